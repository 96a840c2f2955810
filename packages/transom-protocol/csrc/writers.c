/*
 * Serializing a header or trailer section: every field line, pre-formatted
 * extra lines, then the blank line, as the pure-Python encode_fields of
 * transom/protocol/http1/_writers.py does. Anything that function would
 * refuse (a name that is not a token, a value with a CTL other than HTAB or a
 * character outside latin-1, a value that is not a str) is handed to it, so
 * it raises its own error.
 */

#include "speedups.h"

#include <string.h>

static PyObject *fields_fallback;

const char set_fields_fallback_doc[] = PyDoc_STR(
"set_fields_fallback(function, /)\n--\n\n"
"Set the function encode_fields() hands a section it does not accept.");

PyObject *
set_fields_fallback(PyObject *Py_UNUSED(module), PyObject *function)
{
    if (!PyCallable_Check(function)) {
        PyErr_SetString(PyExc_TypeError, "the fallback must be callable");
        return NULL;
    }
    Py_XSETREF(fields_fallback, Py_NewRef(function));
    Py_RETURN_NONE;
}

/* A growable byte buffer that starts in the caller's stack space and moves
   to the heap only when a head outgrows it. */
typedef struct {
    char *data;
    Py_ssize_t size;
    Py_ssize_t capacity;
    char *stack;
} Buffer;

static int
reserve(Buffer *buffer, Py_ssize_t more)
{
    if (buffer->size + more <= buffer->capacity) {
        return 0;
    }
    Py_ssize_t capacity = buffer->capacity * 2;
    if (capacity < buffer->size + more) {
        capacity = buffer->size + more;
    }
    char *data;
    if (buffer->data == buffer->stack) {
        data = PyMem_Malloc((size_t)capacity);
        if (data != NULL) {
            memcpy(data, buffer->data, (size_t)buffer->size);
        }
    }
    else {
        data = PyMem_Realloc(buffer->data, (size_t)capacity);
    }
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    buffer->data = data;
    buffer->capacity = capacity;
    return 0;
}

static void
release(Buffer *buffer)
{
    if (buffer->data != buffer->stack) {
        PyMem_Free(buffer->data);
    }
}

static void
append(Buffer *buffer, const void *data, Py_ssize_t size)
{
    memcpy(buffer->data + buffer->size, data, (size_t)size);
    buffer->size += size;
}

/* Whether ``text`` is a str of one-byte characters none of which is a CTL
   other than HTAB, nor DEL; with ``token``, whether it is a non-empty token. */
static int
acceptable(PyObject *text, int token)
{
    if (!PyUnicode_Check(text) || PyUnicode_KIND(text) != PyUnicode_1BYTE_KIND) {
        return 0;
    }
    const unsigned char *data = PyUnicode_1BYTE_DATA(text);
    Py_ssize_t size = PyUnicode_GET_LENGTH(text);
    if (token) {
        if (size == 0) {
            return 0;
        }
        for (Py_ssize_t i = 0; i < size; i++) {
            if (!IS(data[i], C_TCHAR)) {
                return 0;
            }
        }
        return 1;
    }
    for (Py_ssize_t i = 0; i < size; i++) {
        unsigned char c = data[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            return 0;
        }
    }
    return 1;
}

const char encode_fields_doc[] = PyDoc_STR(
"encode_fields(headers, extra='', /)\n--\n\n"
"Serialize headers (a multidict of str), then the pre-formatted lines extra,\n"
"then the blank line, as latin-1 bytes. A section it does not accept goes\n"
"to the fallback set with set_fields_fallback(), which raises.");

PyObject *
encode_fields(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "encode_fields(headers, extra='')");
        return NULL;
    }
    PyObject *headers = args[0];
    PyObject *extra = nargs == 2 ? args[1] : NULL;
    /* extra holds lines the writer formatted itself, CRLFs included: it
       only has to be latin-1. */
    if (extra != NULL
        && (!PyUnicode_Check(extra) || PyUnicode_KIND(extra) != PyUnicode_1BYTE_KIND)) {
        goto fallback;
    }
    static PyObject *items_name;
    if (items_name == NULL) {
        items_name = PyUnicode_InternFromString("items");
        if (items_name == NULL) {
            return NULL;
        }
    }
    char stack[1024];
    Buffer buffer = {stack, 0, sizeof stack, stack};
    PyObject *items = PyObject_CallMethodNoArgs(headers, items_name);
    PyObject *iterator = items == NULL ? NULL : PyObject_GetIter(items);
    Py_XDECREF(items);
    if (iterator == NULL) {
        release(&buffer);
        return NULL;
    }
    PyObject *item;
    int refused = 0;
    while ((item = PyIter_Next(iterator)) != NULL) {
        PyObject *name = PyTuple_Check(item) && PyTuple_GET_SIZE(item) == 2
                             ? PyTuple_GET_ITEM(item, 0)
                             : NULL;
        PyObject *value = name == NULL ? NULL : PyTuple_GET_ITEM(item, 1);
        if (name == NULL || !acceptable(name, 1) || !acceptable(value, 0)) {
            Py_DECREF(item);
            refused = 1;
            break;
        }
        Py_ssize_t name_size = PyUnicode_GET_LENGTH(name);
        Py_ssize_t value_size = PyUnicode_GET_LENGTH(value);
        if (reserve(&buffer, name_size + value_size + 4) < 0) {
            Py_DECREF(item);
            break;
        }
        append(&buffer, PyUnicode_1BYTE_DATA(name), name_size);
        append(&buffer, ": ", 2);
        append(&buffer, PyUnicode_1BYTE_DATA(value), value_size);
        append(&buffer, "\r\n", 2);
        Py_DECREF(item);
    }
    Py_DECREF(iterator);
    if (PyErr_Occurred()) {
        release(&buffer);
        return NULL;
    }
    if (refused) {
        release(&buffer);
        goto fallback;
    }
    Py_ssize_t extra_size = extra == NULL ? 0 : PyUnicode_GET_LENGTH(extra);
    if (reserve(&buffer, extra_size + 2) < 0) {
        release(&buffer);
        return NULL;
    }
    if (extra_size) {
        append(&buffer, PyUnicode_1BYTE_DATA(extra), extra_size);
    }
    append(&buffer, "\r\n", 2);
    PyObject *result = PyBytes_FromStringAndSize(buffer.data, buffer.size);
    release(&buffer);
    return result;
fallback:
    if (fields_fallback == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "set_fields_fallback() first");
        return NULL;
    }
    return PyObject_Vectorcall(fields_fallback, args, (size_t)nargs, NULL);
}

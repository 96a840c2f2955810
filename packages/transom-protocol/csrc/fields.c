/*
 * Field lines: character classes, the scanner for a header or trailer
 * section, and the strings and tuples it builds.
 */

#include "speedups.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

unsigned char classes[256];

void
init_classes(void)
{
    static const char tchar_punct[] = "!#$%&'*+-.^_`|~";
    for (int c = 0x21; c <= 0x7e; c++) {
        classes[c] |= C_VCHAR | C_FVCHAR;
    }
    for (int c = 0x80; c <= 0xff; c++) {
        classes[c] |= C_FVCHAR;
    }
    for (int c = '0'; c <= '9'; c++) {
        classes[c] |= C_TCHAR | C_DIGIT;
    }
    for (int c = 'A'; c <= 'Z'; c++) {
        classes[c] |= C_TCHAR;
        classes[c + ('a' - 'A')] |= C_TCHAR;
    }
    for (const char *p = tchar_punct; *p; p++) {
        classes[(unsigned char)*p] |= C_TCHAR;
    }
    classes[' '] |= C_OWS;
    classes['\t'] |= C_OWS;
}

/*
 * Field names the caller registered with set_known_names(), so a common name
 * is handed out as one shared object instead of a new string each time. The
 * caller registers multidict.istr objects, whose case-folded form is cached,
 * which makes building a CIMultiDict from them cheaper. Bucketed by length;
 * a name matches only byte for byte (case included).
 */
#define MAX_KNOWN_LENGTH 40
#define MAX_KNOWN_PER_LENGTH 16

typedef struct {
    const char *bytes;
    PyObject *name;
} KnownName;

static KnownName known[MAX_KNOWN_LENGTH + 1][MAX_KNOWN_PER_LENGTH];
static int known_count[MAX_KNOWN_LENGTH + 1];

PyObject *
known_name(const char *data, Py_ssize_t size)
{
    if (size > MAX_KNOWN_LENGTH) {
        return NULL;
    }
    KnownName *bucket = known[size];
    for (int i = 0, count = known_count[size]; i < count; i++) {
        if (memcmp(bucket[i].bytes, data, (size_t)size) == 0) {
            return Py_NewRef(bucket[i].name);
        }
    }
    return NULL;
}

const char set_known_names_doc[] = PyDoc_STR(
"set_known_names(names, /)\n--\n\n"
"Register the field names scan_request and scan_response hand out as shared\n"
"objects: an iterable of ASCII str (or str subclass) objects. Replaces any\n"
"earlier registration; names that do not fit are ignored.");

PyObject *
set_known_names(PyObject *Py_UNUSED(module), PyObject *names)
{
    PyObject *list = PySequence_Fast(names, "names must be iterable");
    if (list == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0, n = PySequence_Fast_GET_SIZE(list); i < n; i++) {
        PyObject *name = PySequence_Fast_GET_ITEM(list, i);
        if (!PyUnicode_Check(name) || !PyUnicode_IS_ASCII(name)) {
            Py_DECREF(list);
            PyErr_SetString(PyExc_TypeError, "names must be ASCII strings");
            return NULL;
        }
    }
    for (int size = 0; size <= MAX_KNOWN_LENGTH; size++) {
        for (int i = 0; i < known_count[size]; i++) {
            Py_CLEAR(known[size][i].name);
        }
        known_count[size] = 0;
    }
    for (Py_ssize_t i = 0, n = PySequence_Fast_GET_SIZE(list); i < n; i++) {
        PyObject *name = PySequence_Fast_GET_ITEM(list, i);
        Py_ssize_t size = PyUnicode_GET_LENGTH(name);
        if (size > MAX_KNOWN_LENGTH || known_count[size] == MAX_KNOWN_PER_LENGTH) {
            continue;
        }
        KnownName *slot = &known[size][known_count[size]++];
        /* An ASCII string's characters are its UTF-8 bytes, kept with it. */
        slot->bytes = (const char *)PyUnicode_1BYTE_DATA(name);
        slot->name = Py_NewRef(name);
    }
    Py_DECREF(list);
    Py_RETURN_NONE;
}

/* A str from latin-1 bytes; ``high`` is nonzero when any byte is >= 0x80. */
PyObject *
latin1(const char *data, Py_ssize_t size, int high)
{
    if (high) {
        return PyUnicode_DecodeLatin1(data, size, NULL);
    }
    PyObject *text = PyUnicode_New(size, 127);
    if (text != NULL) {
        memcpy(PyUnicode_1BYTE_DATA(text), data, (size_t)size);
    }
    return text;
}

/* Case-insensitive: does name[0:size] equal ``lower`` (all lowercase)? */
static int
name_is(const char *name, Py_ssize_t size, const char *lower, Py_ssize_t lower_size)
{
    if (size != lower_size) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < size; i++) {
        /* Field names are tchars: OR-ing 0x20 lowercases letters and keeps
           every other tchar distinct from a letter. */
        if ((name[i] | 0x20) != lower[i]) {
            return 0;
        }
    }
    return 1;
}

static int
field_flag(const char *name, Py_ssize_t size)
{
    switch (size) {
    case 4:
        return name_is(name, size, "host", 4) ? F_HOST : 0;
    case 6:
        return name_is(name, size, "expect", 6) ? F_EXPECT : 0;
    case 10:
        return name_is(name, size, "connection", 10) ? F_CONNECTION : 0;
    case 14:
        return name_is(name, size, "content-length", 14) ? F_CONTENT_LENGTH : 0;
    case 17:
        return name_is(name, size, "transfer-encoding", 17) ? F_TRANSFER_ENCODING : 0;
    default:
        return 0;
    }
}

/*
 * Scan the field lines in data[pos:stop] into a new list of at most
 * ``max_count`` (name, value) pairs, adding to ``*flags`` the framing fields seen and setting ``*host`` to
 * a new reference to the last Host value (left alone when there is none). Every line is ``name ":" OWS value OWS CRLF`` and the last CRLF ends
 * exactly at ``stop``. Returns NULL with no exception set when a line does
 * not match, NULL with an exception on memory errors.
 */
PyObject *
scan_fields(const char *data, Py_ssize_t pos, Py_ssize_t stop, Py_ssize_t max_count, int *flags,
            PyObject **host)
{
    PyObject *pairs = PyList_New(0);
    if (pairs == NULL) {
        return NULL;
    }
    while (pos < stop) {
        if (PyList_GET_SIZE(pairs) == max_count) {
            goto mismatch;
        }
        Py_ssize_t name_start = pos;
        while (pos < stop && IS(data[pos], C_TCHAR)) {
            pos++;
        }
        if (pos == name_start || pos >= stop || data[pos] != ':') {
            goto mismatch;
        }
        Py_ssize_t name_end = pos++;
        while (pos < stop && IS(data[pos], C_OWS)) {
            pos++;
        }
        /* The value runs over field-vchars, SP and HTAB; eight bytes at a
           time while none is a control character or DEL. */
        Py_ssize_t value_start = pos;
        uint64_t high = 0;
        while (pos + 8 <= stop) {
            uint64_t word;
            memcpy(&word, data + pos, 8);
            if (HAS_LESS(word, 0x20) | HAS_ZERO(word ^ (ONES * 0x7f))) {
                break;
            }
            high |= word;
            pos += 8;
        }
        while (pos < stop && IS(data[pos], C_FVCHAR | C_OWS)) {
            high |= (unsigned char)data[pos++];
        }
        Py_ssize_t value_end = pos;
        while (value_end > value_start && IS(data[value_end - 1], C_OWS)) {
            value_end--;
        }
        if (pos + 2 > stop || data[pos] != '\r' || data[pos + 1] != '\n') {
            goto mismatch;
        }
        pos += 2;
        PyObject *name = known_name(data + name_start, name_end - name_start);
        if (name == NULL) {
            name = latin1(data + name_start, name_end - name_start, 0);
            if (name == NULL) {
                goto error;
            }
        }
        PyObject *value =
            latin1(data + value_start, value_end - value_start, (high & (ONES * 0x80)) != 0);
        if (value == NULL) {
            Py_DECREF(name);
            goto error;
        }
        int flag = field_flag(data + name_start, name_end - name_start);
        if (flag) {
            if (flag == F_HOST) {
                if (*host != NULL) {
                    *flags |= F_HOST_REPEATED;
                    Py_DECREF(*host);
                }
                Py_INCREF(value);
                *host = value;
            }
            *flags |= flag;
        }
        PyObject *pair = PyTuple_Pack(2, name, value);
        Py_DECREF(name);
        Py_DECREF(value);
        if (pair == NULL) {
            goto error;
        }
        int failed = PyList_Append(pairs, pair);
        Py_DECREF(pair);
        if (failed) {
            goto error;
        }
    }
    return pairs;
mismatch:
error:
    Py_DECREF(pairs);
    Py_CLEAR(*host);
    return NULL;
}

/*
 * A tuple of ``count`` new references, which it takes over; NULL, with every
 * reference released, when any of them is NULL (an error is then set).
 */
PyObject *
steal_tuple(Py_ssize_t count, ...)
{
    PyObject *items[8];
    int missing = 0;
    va_list args;
    va_start(args, count);
    for (Py_ssize_t i = 0; i < count; i++) {
        items[i] = va_arg(args, PyObject *);
        missing |= items[i] == NULL;
    }
    va_end(args);
    PyObject *tuple = missing ? NULL : PyTuple_New(count);
    for (Py_ssize_t i = 0; i < count; i++) {
        if (tuple == NULL) {
            Py_XDECREF(items[i]);
        }
        else {
            PyTuple_SET_ITEM(tuple, i, items[i]);
        }
    }
    return tuple;
}

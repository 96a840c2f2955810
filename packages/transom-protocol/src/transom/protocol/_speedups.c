/*
 * transom.protocol._speedups: compiled scanners for HTTP/1.1 message heads.
 *
 * Each scanner accepts exactly what the regular expressions of
 * transom/protocol/http1/_abnf.py accept (REQUEST_LINE, STATUS_LINE and
 * FIELD_LINES) and returns the same pieces, or None for anything else. None
 * never says why: the caller then runs the pure-Python path over the same
 * bytes, which names the broken rule. So this file decides nothing on its
 * own; tests/http1/test_speedups.py checks both paths agree on generated
 * input.
 *
 * Strings are built from latin-1 bytes, as the pure-Python path decodes them.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

/* Character classes, as bit flags in one table indexed by byte value. */
enum {
    C_TCHAR = 1,  /* tchar (RFC 9110 §5.6.2) */
    C_VCHAR = 2,  /* VCHAR: 0x21-0x7e */
    C_FVCHAR = 4, /* field-vchar: VCHAR / obs-text (0x80-0xff) */
    C_OWS = 8,    /* SP / HTAB */
    C_DIGIT = 16,
};

static unsigned char classes[256];

static void
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

#define IS(c, cls) (classes[(unsigned char)(c)] & (cls))

/* A str from latin-1 bytes; ``high`` is nonzero when any byte is >= 0x80. */
static PyObject *
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

/*
 * Which fields that decide framing a section holds, as bits; the values match
 * transom/protocol/http1/_head.py.
 */
enum {
    F_HOST = 1,
    F_HOST_REPEATED = 2,
    F_CONTENT_LENGTH = 4,
    F_TRANSFER_ENCODING = 8,
    F_CONNECTION = 16,
    F_EXPECT = 32,
};

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
 * Scan the field lines in data[pos:stop] into a new list of (name, value)
 * pairs, adding to ``*flags`` the framing fields seen and setting ``*host`` to
 * a new reference to the last Host value (left alone when there is none). Every line is ``name ":" OWS value OWS CRLF`` and the last CRLF ends
 * exactly at ``stop``. Returns NULL with no exception set when a line does
 * not match, NULL with an exception on memory errors.
 */
static PyObject *
scan_fields(const char *data, Py_ssize_t pos, Py_ssize_t stop, int *flags, PyObject **host)
{
    PyObject *pairs = PyList_New(0);
    if (pairs == NULL) {
        return NULL;
    }
    while (pos < stop) {
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
        Py_ssize_t value_start = pos, value_end = pos;
        unsigned char high = 0;
        while (pos < stop) {
            unsigned char c = (unsigned char)data[pos];
            if (IS(c, C_FVCHAR)) {
                high |= c;
                value_end = ++pos;
            }
            else if (IS(c, C_OWS)) {
                pos++;
            }
            else {
                break;
            }
        }
        if (pos + 2 > stop || data[pos] != '\r' || data[pos + 1] != '\n') {
            goto mismatch;
        }
        pos += 2;
        PyObject *name = latin1(data + name_start, name_end - name_start, 0);
        if (name == NULL) {
            goto error;
        }
        PyObject *value = latin1(data + value_start, value_end - value_start, high & 0x80);
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

/* Borrow the bytes of a bytes-like argument; check ``stop`` against its size. */
static int
get_head(PyObject *const *args, Py_ssize_t nargs, const char *name, Py_buffer *view,
         Py_ssize_t *stop)
{
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "%s() takes exactly 2 arguments", name);
        return -1;
    }
    *stop = PyLong_AsSsize_t(args[1]);
    if (*stop == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (PyObject_GetBuffer(args[0], view, PyBUF_SIMPLE) < 0) {
        return -1;
    }
    if (*stop < 0 || *stop > view->len) {
        PyBuffer_Release(view);
        PyErr_SetString(PyExc_ValueError, "stop is outside the buffer");
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(scan_request_doc,
"scan_request(head, stop, /)\n--\n\n"
"Scan a request head: the request line and field lines in head[:stop].\n\n"
"Returns (method, target, version, pairs, line_end, flags, host) or None when\n"
"head[:stop] is not a well-formed request head. version is the text after\n"
"'HTTP/'; flags has a bit for each framing field present; host is the last\n"
"Host value or None.");

static PyObject *
scan_request(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer view;
    Py_ssize_t stop;
    if (get_head(args, nargs, "scan_request", &view, &stop) < 0) {
        return NULL;
    }
    const char *data = view.buf;
    Py_ssize_t pos = 0;
    while (pos < stop && IS(data[pos], C_TCHAR)) {
        pos++;
    }
    Py_ssize_t method_end = pos;
    if (method_end == 0 || pos >= stop || data[pos] != ' ') {
        goto none;
    }
    Py_ssize_t target_start = ++pos;
    while (pos < stop && IS(data[pos], C_VCHAR)) {
        pos++;
    }
    Py_ssize_t target_end = pos;
    /* " HTTP/d.d\r\n" is 11 bytes. */
    if (target_end == target_start || pos + 11 > stop || memcmp(data + pos, " HTTP/", 6) != 0
        || !IS(data[pos + 6], C_DIGIT) || data[pos + 7] != '.' || !IS(data[pos + 8], C_DIGIT)
        || data[pos + 9] != '\r' || data[pos + 10] != '\n') {
        goto none;
    }
    Py_ssize_t line_end = pos + 11;
    int flags = 0;
    PyObject *host = NULL;
    PyObject *pairs = scan_fields(data, line_end, stop, &flags, &host);
    if (pairs == NULL) {
        goto no_fields;
    }
    if (host == NULL) {
        host = Py_NewRef(Py_None);
    }
    /* "N" steals every reference, the list's included, even on failure. */
    PyObject *result = Py_BuildValue(
        "(NNNNniN)", latin1(data, method_end, 0),
        latin1(data + target_start, target_end - target_start, 0), latin1(data + pos + 6, 3, 0),
        pairs, line_end, flags, host);
    PyBuffer_Release(&view);
    return result;
no_fields:
    PyBuffer_Release(&view);
    if (PyErr_Occurred()) {
        return NULL;
    }
    Py_RETURN_NONE;
none:
    PyBuffer_Release(&view);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(scan_response_doc,
"scan_response(head, stop, /)\n--\n\n"
"Scan a response head: the status line and field lines in head[:stop].\n\n"
"Returns (version, status, reason, pairs, line_end, flags) or None when\n"
"head[:stop] is not a well-formed response head.");

static PyObject *
scan_response(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer view;
    Py_ssize_t stop;
    if (get_head(args, nargs, "scan_response", &view, &stop) < 0) {
        return NULL;
    }
    const char *data = view.buf;
    /* "HTTP/d.d ddd" is 12 bytes, then [" " reason] CRLF. */
    if (stop < 14 || memcmp(data, "HTTP/", 5) != 0 || !IS(data[5], C_DIGIT) || data[6] != '.'
        || !IS(data[7], C_DIGIT) || data[8] != ' ' || !IS(data[9], C_DIGIT)
        || !IS(data[10], C_DIGIT) || !IS(data[11], C_DIGIT)) {
        goto none;
    }
    Py_ssize_t pos = 12, reason_start = 12, reason_end = 12;
    unsigned char high = 0;
    if (data[pos] == ' ') {
        reason_start = ++pos;
        while (pos < stop) {
            unsigned char c = (unsigned char)data[pos];
            if (!IS(c, C_FVCHAR | C_OWS)) {
                break;
            }
            high |= c;
            pos++;
        }
        reason_end = pos;
    }
    if (pos + 2 > stop || data[pos] != '\r' || data[pos + 1] != '\n') {
        goto none;
    }
    Py_ssize_t line_end = pos + 2;
    int status = (data[9] - '0') * 100 + (data[10] - '0') * 10 + (data[11] - '0');
    int flags = 0;
    PyObject *host = NULL;
    PyObject *pairs = scan_fields(data, line_end, stop, &flags, &host);
    Py_XDECREF(host);
    if (pairs == NULL) {
        goto no_fields;
    }
    PyObject *result = Py_BuildValue(
        "(NiNNni)", latin1(data + 5, 3, 0), status,
        latin1(data + reason_start, reason_end - reason_start, high & 0x80), pairs, line_end,
        flags);
    PyBuffer_Release(&view);
    return result;
no_fields:
    PyBuffer_Release(&view);
    if (PyErr_Occurred()) {
        return NULL;
    }
    Py_RETURN_NONE;
none:
    PyBuffer_Release(&view);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"scan_request", (PyCFunction)(void (*)(void))scan_request, METH_FASTCALL, scan_request_doc},
    {"scan_response", (PyCFunction)(void (*)(void))scan_response, METH_FASTCALL,
     scan_response_doc},
    {NULL, NULL, 0, NULL},
};

static int
exec_module(PyObject *Py_UNUSED(module))
{
    init_classes();
    return 0;
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, exec_module},
    {0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT,
    .m_name = "transom.protocol._speedups",
    .m_doc = "Compiled scanners for HTTP/1.1 message heads.",
    .m_size = 0,
    .m_methods = methods,
    .m_slots = slots,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModuleDef_Init(&moduledef);
}

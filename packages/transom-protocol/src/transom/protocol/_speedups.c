/*
 * transom.protocol._speedups: compiled scanners for HTTP/1.1 message heads.
 *
 * Each scanner takes a head and the parser's limits, and returns its pieces
 * exactly as the pure-Python path of transom/protocol/http1/_head.py would,
 * for the heads that path accepts and servers see all day: well-formed
 * (the grammar of _abnf.py), within the limits, HTTP/1.0 or 1.1, and for a
 * request an origin-form target. For anything else it returns None without
 * saying why; the caller then runs the pure-Python path over the same bytes,
 * which accepts the rest or names the broken rule. So this file decides
 * nothing on its own; tests/test_speedups.py checks the two paths agree on
 * generated input.
 *
 * Strings are built from latin-1 bytes, as the pure-Python path decodes them.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>
#include <structmember.h>

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

static PyObject *
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

PyDoc_STRVAR(set_known_names_doc,
"set_known_names(names, /)\n--\n\n"
"Register the field names scan_request and scan_response hand out as shared\n"
"objects: an iterable of ASCII str (or str subclass) objects. Replaces any\n"
"earlier registration; names that do not fit are ignored.");

static PyObject *
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
 * Scan the field lines in data[pos:stop] into a new list of at most
 * ``max_count`` (name, value) pairs, adding to ``*flags`` the framing fields seen and setting ``*host`` to
 * a new reference to the last Host value (left alone when there is none). Every line is ``name ":" OWS value OWS CRLF`` and the last CRLF ends
 * exactly at ``stop``. Returns NULL with no exception set when a line does
 * not match, NULL with an exception on memory errors.
 */
static PyObject *
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
        PyObject *name = known_name(data + name_start, name_end - name_start);
        if (name == NULL) {
            name = latin1(data + name_start, name_end - name_start, 0);
            if (name == NULL) {
                goto error;
            }
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

/* The two HTTP versions a head may carry, as the (major, minor) tuples handed out. */
static PyObject *version_1_0;
static PyObject *version_1_1;

typedef struct {
    Py_buffer view;
    Py_ssize_t stop;
    Py_ssize_t max_line_size;
    Py_ssize_t max_count;
    Py_ssize_t max_block_size;
} HeadArgs;

/* Parse (head, stop, max_line_size, max_count, max_block_size); borrow head's bytes. */
static int
get_head(PyObject *const *args, Py_ssize_t nargs, const char *name, HeadArgs *head)
{
    if (nargs != 5) {
        PyErr_Format(PyExc_TypeError, "%s() takes exactly 5 arguments", name);
        return -1;
    }
    Py_ssize_t *numbers[] = {&head->stop, &head->max_line_size, &head->max_count,
                             &head->max_block_size};
    for (int i = 0; i < 4; i++) {
        *numbers[i] = PyLong_AsSsize_t(args[i + 1]);
        if (*numbers[i] == -1 && PyErr_Occurred()) {
            return -1;
        }
    }
    if (PyObject_GetBuffer(args[0], &head->view, PyBUF_SIMPLE) < 0) {
        return -1;
    }
    if (head->stop < 0 || head->stop > head->view.len) {
        PyBuffer_Release(&head->view);
        PyErr_SetString(PyExc_ValueError, "stop is outside the buffer");
        return -1;
    }
    return 0;
}

/* "HTTP/1.0" or "HTTP/1.1" at data (8 bytes): the version tuple (borrowed), else NULL. */
static PyObject *
http_version(const char *data)
{
    if (memcmp(data, "HTTP/1.", 7) != 0) {
        return NULL;
    }
    return data[7] == '1' ? version_1_1 : data[7] == '0' ? version_1_0 : NULL;
}

PyDoc_STRVAR(scan_request_doc,
"scan_request(head, stop, max_line_size, max_count, max_block_size, /)\n--\n\n"
"Scan a request head: the request line and field lines in head[:stop].\n\n"
"Returns (method, target, version, pairs, flags, host) for an HTTP/1.0 or 1.1\n"
"head within the limits whose target is in origin-form and whose method is\n"
"not CONNECT; None for anything else. version is (1, 0) or (1, 1); flags has\n"
"a bit for each framing field present; host is the last Host value or None.");

static PyObject *
scan_request(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    HeadArgs head;
    if (get_head(args, nargs, "scan_request", &head) < 0) {
        return NULL;
    }
    const char *data = head.view.buf;
    Py_ssize_t stop = head.stop, pos = 0;
    while (pos < stop && IS(data[pos], C_TCHAR)) {
        pos++;
    }
    Py_ssize_t method_end = pos;
    /* CONNECT takes authority-form: the Python path checks it. */
    if (method_end == 0 || pos >= stop || data[pos] != ' '
        || (method_end == 7 && memcmp(data, "CONNECT", 7) == 0)) {
        goto none;
    }
    Py_ssize_t target_start = ++pos;
    while (pos < stop && IS(data[pos], C_VCHAR)) {
        pos++;
    }
    Py_ssize_t target_end = pos;
    /* " HTTP/d.d\r\n" is 11 bytes. */
    if (target_end == target_start || data[target_start] != '/' || pos + 11 > stop
        || data[pos] != ' ' || data[pos + 9] != '\r' || data[pos + 10] != '\n') {
        goto none;
    }
    PyObject *version = http_version(data + pos + 1);
    Py_ssize_t line_end = pos + 11;
    if (version == NULL || line_end > head.max_line_size
        || stop - line_end > head.max_block_size) {
        goto none;
    }
    int flags = 0;
    PyObject *host = NULL;
    PyObject *pairs = scan_fields(data, line_end, stop, head.max_count, &flags, &host);
    if (pairs == NULL) {
        goto no_fields;
    }
    if (host == NULL) {
        host = Py_NewRef(Py_None);
    }
    /* "N" steals every reference, the list's included, even on failure. */
    PyObject *result = Py_BuildValue(
        "(NNONiN)", latin1(data, method_end, 0),
        latin1(data + target_start, target_end - target_start, 0), version, pairs, flags, host);
    PyBuffer_Release(&head.view);
    return result;
no_fields:
    PyBuffer_Release(&head.view);
    if (PyErr_Occurred()) {
        return NULL;
    }
    Py_RETURN_NONE;
none:
    PyBuffer_Release(&head.view);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(scan_response_doc,
"scan_response(head, stop, max_line_size, max_count, max_block_size, /)\n--\n\n"
"Scan a response head: the status line and field lines in head[:stop].\n\n"
"Returns (version, status, reason, pairs, flags) for an HTTP/1.0 or 1.1 head\n"
"within the limits with a status of 100 or more; None for anything else.");

static PyObject *
scan_response(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    HeadArgs head;
    if (get_head(args, nargs, "scan_response", &head) < 0) {
        return NULL;
    }
    const char *data = head.view.buf;
    Py_ssize_t stop = head.stop;
    /* "HTTP/d.d ddd" is 12 bytes, then [" " reason] CRLF. */
    if (stop < 14 || data[8] != ' ' || data[9] < '1' || data[9] > '9'
        || !IS(data[10], C_DIGIT) || !IS(data[11], C_DIGIT)) {
        goto none;
    }
    PyObject *version = http_version(data);
    if (version == NULL) {
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
    if (line_end > head.max_line_size || stop - line_end > head.max_block_size) {
        goto none;
    }
    int status = (data[9] - '0') * 100 + (data[10] - '0') * 10 + (data[11] - '0');
    int flags = 0;
    PyObject *host = NULL;
    PyObject *pairs = scan_fields(data, line_end, stop, head.max_count, &flags, &host);
    Py_XDECREF(host);
    if (pairs == NULL) {
        goto no_fields;
    }
    PyObject *result = Py_BuildValue(
        "(OiNNi)", version, status,
        latin1(data + reason_start, reason_end - reason_start, high & 0x80), pairs, flags);
    PyBuffer_Release(&head.view);
    return result;
no_fields:
    PyBuffer_Release(&head.view);
    if (PyErr_Occurred()) {
        return NULL;
    }
    Py_RETURN_NONE;
none:
    PyBuffer_Release(&head.view);
    Py_RETURN_NONE;
}

/*
 * Events (transom.protocol.http1) are immutable slotted objects: their
 * __setattr__ refuses every assignment, so the pure-Python factories set each
 * slot through its descriptor, one call per field. register_event() records
 * where a class keeps its fields, and new_event() fills them in one call.
 */
#define MAX_EVENT_TYPES 8
#define MAX_EVENT_FIELDS 6

typedef struct {
    PyTypeObject *type;
    Py_ssize_t count;
    Py_ssize_t offsets[MAX_EVENT_FIELDS];
} EventLayout;

static EventLayout layouts[MAX_EVENT_TYPES];
static int layout_count;

PyDoc_STRVAR(register_event_doc,
"register_event(cls, fields, /)\n--\n\n"
"Record the slot descriptors of cls, in the order new_event() takes values.\n"
"fields is a sequence of the class's member descriptors (cls.__dict__[name]).");

static PyObject *
register_event(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyType_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "register_event(cls, fields)");
        return NULL;
    }
    PyTypeObject *type = (PyTypeObject *)args[0];
    PyObject *fields = PySequence_Fast(args[1], "fields must be a sequence");
    if (fields == NULL) {
        return NULL;
    }
    Py_ssize_t count = PySequence_Fast_GET_SIZE(fields);
    EventLayout layout = {.type = type, .count = count};
    if (count > MAX_EVENT_FIELDS) {
        PyErr_SetString(PyExc_ValueError, "too many fields");
        goto error;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *field = PySequence_Fast_GET_ITEM(fields, i);
        if (!Py_IS_TYPE(field, &PyMemberDescr_Type)
            || ((PyMemberDescrObject *)field)->d_member->type != T_OBJECT_EX
            || !PyType_IsSubtype(type, ((PyDescrObject *)field)->d_type)) {
            PyErr_SetString(PyExc_TypeError, "fields must be slots of cls");
            goto error;
        }
        layout.offsets[i] = ((PyMemberDescrObject *)field)->d_member->offset;
    }
    for (int i = 0; i < layout_count; i++) {
        if (layouts[i].type == type) {
            Py_DECREF(fields);
            layouts[i] = layout;
            Py_RETURN_NONE;
        }
    }
    if (layout_count == MAX_EVENT_TYPES) {
        PyErr_SetString(PyExc_ValueError, "too many event types");
        goto error;
    }
    /* The class is kept alive for good: the table refers to it. */
    Py_INCREF(type);
    layouts[layout_count++] = layout;
    Py_DECREF(fields);
    Py_RETURN_NONE;
error:
    Py_DECREF(fields);
    return NULL;
}

PyDoc_STRVAR(new_event_doc,
"new_event(cls, *values)\n--\n\n"
"A new cls (registered with register_event) with its fields set to values,\n"
"without calling __init__ or __setattr__.");

static PyObject *
new_event(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 1) {
        PyErr_SetString(PyExc_TypeError, "new_event(cls, *values)");
        return NULL;
    }
    EventLayout *layout = NULL;
    for (int i = 0; i < layout_count; i++) {
        if ((PyObject *)layouts[i].type == args[0]) {
            layout = &layouts[i];
            break;
        }
    }
    if (layout == NULL) {
        PyErr_SetString(PyExc_TypeError, "not a registered event type");
        return NULL;
    }
    if (nargs - 1 != layout->count) {
        PyErr_Format(PyExc_TypeError, "%s takes %zd values", layout->type->tp_name,
                     layout->count);
        return NULL;
    }
    PyObject *event = layout->type->tp_alloc(layout->type, 0);
    if (event == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < layout->count; i++) {
        *(PyObject **)((char *)event + layout->offsets[i]) = Py_NewRef(args[i + 1]);
    }
    return event;
}

static PyMethodDef methods[] = {
    {"register_event", (PyCFunction)(void (*)(void))register_event, METH_FASTCALL,
     register_event_doc},
    {"new_event", (PyCFunction)(void (*)(void))new_event, METH_FASTCALL, new_event_doc},
    {"set_known_names", set_known_names, METH_O, set_known_names_doc},
    {"scan_request", (PyCFunction)(void (*)(void))scan_request, METH_FASTCALL, scan_request_doc},
    {"scan_response", (PyCFunction)(void (*)(void))scan_response, METH_FASTCALL,
     scan_response_doc},
    {NULL, NULL, 0, NULL},
};

static int
exec_module(PyObject *Py_UNUSED(module))
{
    init_classes();
    if (version_1_0 == NULL) {
        version_1_0 = Py_BuildValue("(ii)", 1, 0);
        version_1_1 = Py_BuildValue("(ii)", 1, 1);
        if (version_1_0 == NULL || version_1_1 == NULL) {
            return -1;
        }
    }
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

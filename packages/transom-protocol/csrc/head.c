/*
 * Message heads: request and status lines, and the scanners that take a
 * whole head (scan_request, scan_response, read_request, read_response).
 */

#include "speedups.h"

#include <string.h>

/* Methods handed out as shared strings rather than new ones. */
static const char *const common_methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS",
                                             "PATCH"};
#define COMMON_METHODS (sizeof(common_methods) / sizeof(common_methods[0]))
static PyObject *common_method_names[COMMON_METHODS];

static PyObject *
method_name(const char *data, Py_ssize_t size)
{
    for (size_t i = 0; i < COMMON_METHODS; i++) {
        const char *name = common_methods[i];
        if ((size_t)size == strlen(name) && memcmp(name, data, (size_t)size) == 0) {
            return Py_NewRef(common_method_names[i]);
        }
    }
    return latin1(data, size, 0);
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

const char scan_request_doc[] = PyDoc_STR(
"scan_request(head, stop, max_line_size, max_count, max_block_size, /)\n--\n\n"
"Scan a request head: the request line and field lines in head[:stop].\n\n"
"Returns (method, target, version, pairs, flags, host) for an HTTP/1.0 or 1.1\n"
"head within the limits whose target is in origin-form and whose method is\n"
"not CONNECT; None for anything else. version is (1, 0) or (1, 1); flags has\n"
"a bit for each framing field present; host is the last Host value or None.");

/* Where the pieces of a request line are, once scan_request_line() accepts it. */
typedef struct {
    Py_ssize_t method_end;
    Py_ssize_t target_start;
    Py_ssize_t target_end;
    Py_ssize_t line_end;
    PyObject *version; /* borrowed */
} RequestLine;

/*
 * Accept an HTTP/1.0 or 1.1 request line at the start of data[:stop] with an
 * origin-form target and a method other than CONNECT, ending within
 * max_line_size; 1 when accepted (``line`` filled in), 0 otherwise.
 */
static int
scan_request_line(const char *data, Py_ssize_t stop, Py_ssize_t max_line_size,
                  RequestLine *line)
{
    Py_ssize_t pos = 0;
    while (pos < stop && IS(data[pos], C_TCHAR)) {
        pos++;
    }
    line->method_end = pos;
    /* CONNECT takes authority-form: the Python path checks it. */
    if (pos == 0 || pos >= stop || data[pos] != ' '
        || (pos == 7 && memcmp(data, "CONNECT", 7) == 0)) {
        return 0;
    }
    line->target_start = ++pos;
    while (pos < stop && IS(data[pos], C_VCHAR)) {
        pos++;
    }
    line->target_end = pos;
    /* " HTTP/d.d\r\n" is 11 bytes. */
    if (pos == line->target_start || data[line->target_start] != '/' || pos + 11 > stop
        || data[pos] != ' ' || data[pos + 9] != '\r' || data[pos + 10] != '\n') {
        return 0;
    }
    line->version = http_version(data + pos + 1);
    line->line_end = pos + 11;
    return line->version != NULL && line->line_end <= max_line_size;
}

PyObject *
scan_request(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    HeadArgs head;
    if (get_head(args, nargs, "scan_request", &head) < 0) {
        return NULL;
    }
    const char *data = head.view.buf;
    RequestLine line;
    if (!scan_request_line(data, head.stop, head.max_line_size, &line)
        || head.stop - line.line_end > head.max_block_size) {
        PyBuffer_Release(&head.view);
        Py_RETURN_NONE;
    }
    int flags = 0;
    PyObject *host = NULL;
    PyObject *pairs = scan_fields(data, line.line_end, head.stop, head.max_count, &flags, &host);
    PyObject *result = NULL;
    if (pairs != NULL) {
        result = steal_tuple(6, method_name(data, line.method_end),
                             latin1(data + line.target_start, line.target_end - line.target_start, 0),
                             Py_NewRef(line.version), pairs, PyLong_FromLong(flags),
                             host == NULL ? Py_NewRef(Py_None) : host);
    }
    PyBuffer_Release(&head.view);
    if (pairs == NULL && !PyErr_Occurred()) {
        Py_RETURN_NONE;
    }
    return result;
}

/* What read_request() builds its results with; see configure_requests().
   The layout is looked up once: register_event() updates it in place. */
static EventLayout *request_layout;
static PyObject *headers_type;
static PyObject *valid_hosts;

const char configure_requests_doc[] = PyDoc_STR(
"configure_requests(request_cls, headers_cls, valid_hosts, /)\n--\n\n"
"Set what read_request() builds: request_cls events (registered with\n"
"register_event, fields method, target, headers, http_version) holding\n"
"headers_cls(pairs); valid_hosts is the set of Host values already checked.");

PyObject *
configure_requests(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyType_Check(args[0]) || !PyCallable_Check(args[1])
        || !PyAnySet_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError,
                        "configure_requests(request_cls, headers_cls, valid_hosts)");
        return NULL;
    }
    EventLayout *layout = find_layout(args[0]);
    if (layout == NULL || layout->count != 4) {
        PyErr_SetString(PyExc_TypeError, "register_event(request_cls, its 4 fields) first");
        return NULL;
    }
    request_layout = layout;
    Py_XSETREF(headers_type, Py_NewRef(args[1]));
    Py_XSETREF(valid_hosts, Py_NewRef(args[2]));
    Py_RETURN_NONE;
}

/* Where the first CRLF CRLF in data[:size] starts, or -1. */
static Py_ssize_t
find_head_end(const char *data, Py_ssize_t size)
{
    const char *end = data + size;
    for (const char *cr = memchr(data, '\r', (size_t)size); cr != NULL && end - cr >= 4;
         cr = memchr(cr + 1, '\r', (size_t)(end - cr - 1))) {
        if (cr[1] == '\n' && cr[2] == '\r' && cr[3] == '\n') {
            return cr - data;
        }
    }
    return -1;
}

/* The arguments (bytearray, max_line_size, max_count, max_block_size) of the readers. */
static int
get_reader_args(PyObject *const *args, Py_ssize_t nargs, const char *usage,
                Py_ssize_t limits[3])
{
    if (nargs != 4 || !PyByteArray_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, usage);
        return -1;
    }
    for (int i = 0; i < 3; i++) {
        limits[i] = PyLong_AsSsize_t(args[i + 1]);
        if (limits[i] == -1 && PyErr_Occurred()) {
            return -1;
        }
    }
    return 0;
}

/* Delete the first ``consumed`` bytes of buffer and return event; NULL (event
   released) when the buffer cannot be changed. */
static PyObject *
take_head(PyObject *buffer, Py_ssize_t consumed, PyObject *event)
{
    int failed = consumed == PyByteArray_GET_SIZE(buffer)
                     ? PyByteArray_Resize(buffer, 0)
                     : PySequence_DelSlice(buffer, 0, consumed);
    if (failed) {
        Py_DECREF(event);
        return NULL;
    }
    return event;
}

const char read_request_doc[] = PyDoc_STR(
"read_request(buffer, max_line_size, max_count, max_block_size, /)\n--\n\n"
"Take a complete request head off the front of a bytearray: returns\n"
"(request, flags) and deletes the head from buffer, when the head is one\n"
"scan_request accepts with exactly one Host (a value already in valid_hosts)\n"
"or, for HTTP/1.0, none. Anything else, an unfinished head included, returns\n"
"None and leaves the buffer as it was.");

PyObject *
read_request(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t limits[3];
    if (get_reader_args(args, nargs,
                        "read_request(bytearray, max_line_size, max_count, max_block_size)",
                        limits) < 0) {
        return NULL;
    }
    EventLayout *layout = request_layout;
    if (layout == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure_requests() first");
        return NULL;
    }
    PyObject *buffer = args[0];
    const char *data = PyByteArray_AS_STRING(buffer);
    Py_ssize_t size = PyByteArray_GET_SIZE(buffer);
    Py_ssize_t end = find_head_end(data, size);
    RequestLine line;
    if (end < 0 || !scan_request_line(data, end + 2, limits[0], &line)
        || end + 2 - line.line_end > limits[2]) {
        Py_RETURN_NONE;
    }
    int flags = 0;
    PyObject *host = NULL;
    PyObject *pairs = scan_fields(data, line.line_end, end + 2, limits[1], &flags, &host);
    if (pairs == NULL) {
        if (PyErr_Occurred()) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    /* Host rules and checks are left to Python unless this is the plain case. */
    int host_known = 0;
    if (host == NULL) {
        host_known = line.version == version_1_0;
    }
    else if (!(flags & F_HOST_REPEATED)) {
        host_known = PySet_Contains(valid_hosts, host);
        if (host_known < 0) {
            Py_DECREF(pairs);
            Py_DECREF(host);
            return NULL;
        }
    }
    Py_XDECREF(host);
    if (!host_known) {
        Py_DECREF(pairs);
        Py_RETURN_NONE;
    }
    PyObject *values[4] = {
        method_name(data, line.method_end),
        latin1(data + line.target_start, line.target_end - line.target_start, 0),
        PyObject_CallOneArg(headers_type, pairs),
        Py_NewRef(line.version),
    };
    Py_DECREF(pairs);
    PyObject *request = NULL;
    if (values[0] != NULL && values[1] != NULL && values[2] != NULL) {
        request = build_event(layout, values);
    }
    for (int i = 0; i < 4; i++) {
        Py_XDECREF(values[i]);
    }
    if (request == NULL || take_head(buffer, end + 4, request) == NULL) {
        return NULL;
    }
    return steal_tuple(2, request, PyLong_FromLong(flags));
}

const char scan_response_doc[] = PyDoc_STR(
"scan_response(head, stop, max_line_size, max_count, max_block_size, /)\n--\n\n"
"Scan a response head: the status line and field lines in head[:stop].\n\n"
"Returns (version, status, reason, pairs) for an HTTP/1.0 or 1.1 head\n"
"within the limits with a status of 100 or more; None for anything else.");

/* Where the pieces of a status line are, once scan_status_line() accepts it. */
typedef struct {
    PyObject *version; /* borrowed */
    int status;
    Py_ssize_t reason_start;
    Py_ssize_t reason_end;
    int reason_high; /* a reason byte has its high bit set */
    Py_ssize_t line_end;
} StatusLine;

/*
 * Accept an HTTP/1.0 or 1.1 status line with a status of 100 or more at the
 * start of data[:stop], ending within max_line_size; 1 when accepted
 * (``line`` filled in), 0 otherwise.
 */
static int
scan_status_line(const char *data, Py_ssize_t stop, Py_ssize_t max_line_size, StatusLine *line)
{
    /* "HTTP/d.d ddd" is 12 bytes, then [" " reason] CRLF. */
    if (stop < 14 || data[8] != ' ' || data[9] < '1' || data[9] > '9'
        || !IS(data[10], C_DIGIT) || !IS(data[11], C_DIGIT)) {
        return 0;
    }
    line->version = http_version(data);
    if (line->version == NULL) {
        return 0;
    }
    Py_ssize_t pos = 12;
    unsigned char high = 0;
    line->reason_start = line->reason_end = 12;
    if (data[pos] == ' ') {
        line->reason_start = ++pos;
        while (pos < stop) {
            unsigned char c = (unsigned char)data[pos];
            if (!IS(c, C_FVCHAR | C_OWS)) {
                break;
            }
            high |= c;
            pos++;
        }
        line->reason_end = pos;
    }
    if (pos + 2 > stop || data[pos] != '\r' || data[pos + 1] != '\n') {
        return 0;
    }
    line->line_end = pos + 2;
    line->reason_high = (high & 0x80) != 0;
    line->status = (data[9] - '0') * 100 + (data[10] - '0') * 10 + (data[11] - '0');
    return line->line_end <= max_line_size;
}

PyObject *
scan_response(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    HeadArgs head;
    if (get_head(args, nargs, "scan_response", &head) < 0) {
        return NULL;
    }
    const char *data = head.view.buf;
    Py_ssize_t stop = head.stop;
    StatusLine line;
    if (!scan_status_line(data, stop, head.max_line_size, &line)
        || stop - line.line_end > head.max_block_size) {
        PyBuffer_Release(&head.view);
        Py_RETURN_NONE;
    }
    int flags = 0;
    PyObject *host = NULL;
    PyObject *pairs = scan_fields(data, line.line_end, stop, head.max_count, &flags, &host);
    Py_XDECREF(host);
    PyObject *result = NULL;
    if (pairs != NULL) {
        result = steal_tuple(
            4, Py_NewRef(line.version), PyLong_FromLong(line.status),
            latin1(data + line.reason_start, line.reason_end - line.reason_start,
                   line.reason_high),
            pairs);
    }
    PyBuffer_Release(&head.view);
    if (pairs == NULL && !PyErr_Occurred()) {
        Py_RETURN_NONE;
    }
    return result;
}

/* What read_response() builds its results with; see configure_responses(). */
static EventLayout *response_layout;
static EventLayout *informational_layout;
static PyObject *response_headers_type;

const char configure_responses_doc[] = PyDoc_STR(
"configure_responses(response_cls, informational_cls, headers_cls, /)\n--\n\n"
"Set what read_response() builds: response_cls events for a final status,\n"
"informational_cls for 1xx (both registered with register_event, fields\n"
"status_code, reason, headers, http_version), holding headers_cls(pairs).");

PyObject *
configure_responses(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyType_Check(args[0]) || !PyType_Check(args[1])
        || !PyCallable_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError,
                        "configure_responses(response_cls, informational_cls, headers_cls)");
        return NULL;
    }
    EventLayout *final = find_layout(args[0]);
    EventLayout *informational = find_layout(args[1]);
    if (final == NULL || informational == NULL || final->count != 4
        || informational->count != 4) {
        PyErr_SetString(PyExc_TypeError, "register_event() both classes, 4 fields each, first");
        return NULL;
    }
    response_layout = final;
    informational_layout = informational;
    Py_XSETREF(response_headers_type, Py_NewRef(args[2]));
    Py_RETURN_NONE;
}

const char read_response_doc[] = PyDoc_STR(
"read_response(buffer, max_line_size, max_count, max_block_size, /)\n--\n\n"
"Take a complete response head off the front of a bytearray: returns the\n"
"event (a final response or a 1xx) and deletes the head from buffer, when\n"
"the head is one scan_response accepts. Anything else, an unfinished head\n"
"included, returns None and leaves the buffer as it was.");

PyObject *
read_response(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t limits[3];
    if (get_reader_args(args, nargs,
                        "read_response(bytearray, max_line_size, max_count, max_block_size)",
                        limits) < 0) {
        return NULL;
    }
    if (response_layout == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure_responses() first");
        return NULL;
    }
    PyObject *buffer = args[0];
    const char *data = PyByteArray_AS_STRING(buffer);
    Py_ssize_t size = PyByteArray_GET_SIZE(buffer);
    Py_ssize_t end = find_head_end(data, size);
    StatusLine line;
    if (end < 0 || !scan_status_line(data, end + 2, limits[0], &line)
        || end + 2 - line.line_end > limits[2]) {
        Py_RETURN_NONE;
    }
    int flags = 0;
    PyObject *host = NULL;
    PyObject *pairs = scan_fields(data, line.line_end, end + 2, limits[1], &flags, &host);
    Py_XDECREF(host);
    if (pairs == NULL) {
        if (PyErr_Occurred()) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    PyObject *values[4] = {
        PyLong_FromLong(line.status),
        latin1(data + line.reason_start, line.reason_end - line.reason_start, line.reason_high),
        PyObject_CallOneArg(response_headers_type, pairs),
        Py_NewRef(line.version),
    };
    Py_DECREF(pairs);
    PyObject *response = NULL;
    if (values[0] != NULL && values[1] != NULL && values[2] != NULL) {
        response = build_event(line.status < 200 ? informational_layout : response_layout,
                               values);
    }
    for (int i = 0; i < 4; i++) {
        Py_XDECREF(values[i]);
    }
    if (response == NULL) {
        return NULL;
    }
    return take_head(buffer, end + 4, response);
}

int
init_head(void)
{
    if (version_1_0 != NULL) {
        return 0;
    }
    version_1_0 = Py_BuildValue("(ii)", 1, 0);
    version_1_1 = Py_BuildValue("(ii)", 1, 1);
    if (version_1_0 == NULL || version_1_1 == NULL) {
        return -1;
    }
    for (size_t i = 0; i < COMMON_METHODS; i++) {
        common_method_names[i] = PyUnicode_InternFromString(common_methods[i]);
        if (common_method_names[i] == NULL) {
            return -1;
        }
    }
    return 0;
}

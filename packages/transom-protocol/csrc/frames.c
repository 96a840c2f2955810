/*
 * WebSocket frames (RFC 6455 §5.2): a whole message in one frame, read from
 * the receive buffer straight into its event.
 *
 * read_message() takes only the frame servers and clients see all day: FIN
 * set, no RSV bit, TEXT or BINARY, masked exactly when frames must be, the
 * whole frame buffered, its payload within the limit and, for TEXT, valid
 * UTF-8. For any other bytes it returns None and consumes nothing; the
 * pure-Python reader of transom/protocol/websocket/_frames.py and the
 * connection's assembly then run over the same bytes, and name the broken
 * rule when there is one.
 */

#include "speedups.h"

#include <stdint.h>
#include <string.h>

#define FIN_TEXT 0x81
#define FIN_BINARY 0x82
#define MASK_BIT 0x80

/* What read_message() builds; see configure_messages(). The layouts live in
   events.c's table, which register_event() updates in place. */
static EventLayout *text_layout;
static EventLayout *bytes_layout;

const char configure_messages_doc[] = PyDoc_STR(
"configure_messages(text_cls, bytes_cls, /)\n--\n\n"
"Set the classes read_message() builds: each registered with register_event\n"
"with its one field, the message's data (str for text_cls, bytes for\n"
"bytes_cls).");

PyObject *
configure_messages(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "configure_messages(text_cls, bytes_cls)");
        return NULL;
    }
    EventLayout *text = find_layout(args[0]);
    EventLayout *bytes = find_layout(args[1]);
    if (text == NULL || text->count != 1 || bytes == NULL || bytes->count != 1) {
        PyErr_SetString(PyExc_TypeError, "register_event(cls, its 1 field) first");
        return NULL;
    }
    text_layout = text;
    bytes_layout = bytes;
    Py_RETURN_NONE;
}

/* Whether data[:size] is all ASCII, eight bytes at a time. */
static int
is_ascii(const unsigned char *data, Py_ssize_t size)
{
    uint64_t seen = 0;
    Py_ssize_t i = 0;
    for (; i + 8 <= size; i += 8) {
        uint64_t word;
        memcpy(&word, data + i, 8);
        seen |= word;
    }
    for (; i < size; i++) {
        seen |= data[i];
    }
    return (seen & (ONES * 0x80)) == 0;
}

/*
 * The payload decoded as strict UTF-8, unmasked first with key unless key is
 * NULL. NULL with no exception set when it is not valid UTF-8.
 */
static PyObject *
decode_text(const unsigned char *payload, Py_ssize_t size, const unsigned char *key)
{
    PyObject *text;
    if (key == NULL) {
        text = PyUnicode_DecodeUTF8((const char *)payload, size, "strict");
    }
    else {
        /* Most text is ASCII: unmask into a new ASCII string, which is then
           the result. Otherwise it only holds the bytes to decode. */
        PyObject *plain = PyUnicode_New(size, 127);
        if (plain == NULL) {
            return NULL;
        }
        Py_UCS1 *bytes = PyUnicode_1BYTE_DATA(plain);
        xor_mask(bytes, payload, size, key);
        if (is_ascii(bytes, size)) {
            return plain;
        }
        text = PyUnicode_DecodeUTF8((const char *)bytes, size, "strict");
        Py_DECREF(plain);
    }
    if (text == NULL && PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
        PyErr_Clear();
    }
    return text;
}

const char read_message_doc[] = PyDoc_STR(
"read_message(buffer, masked, limit, /)\n--\n\n"
"Take a whole TEXT or BINARY message in one frame off the front of a\n"
"bytearray: returns the text_cls or bytes_cls event (see configure_messages)\n"
"holding the unmasked payload, and deletes the frame from buffer.\n\n"
"The frame must be complete, with FIN set, no RSV bit, a mask exactly when\n"
"masked is true, a payload of at most limit bytes (None or a negative limit:\n"
"no limit) and, for TEXT, a payload that is valid UTF-8. Anything else\n"
"returns None and leaves the buffer as it was.");

PyObject *
read_message(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyByteArray_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "read_message(bytearray, masked, limit)");
        return NULL;
    }
    if (text_layout == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure_messages() first");
        return NULL;
    }
    int masked = PyObject_IsTrue(args[1]);
    if (masked < 0) {
        return NULL;
    }
    /* A limit beyond 64 bits is no limit; so is a negative one. */
    long long limit = -1;
    if (args[2] != Py_None) {
        int overflow;
        limit = PyLong_AsLongLongAndOverflow(args[2], &overflow);
        if (limit == -1 && PyErr_Occurred()) {
            return NULL;
        }
        if (overflow) {
            limit = -1;
        }
    }
    PyObject *buffer = args[0];
    const unsigned char *data = (const unsigned char *)PyByteArray_AS_STRING(buffer);
    Py_ssize_t available = PyByteArray_GET_SIZE(buffer);
    if (available < 2) {
        Py_RETURN_NONE;
    }
    unsigned char first = data[0], second = data[1];
    if ((first != FIN_TEXT && first != FIN_BINARY) || (second >= MASK_BIT) != masked) {
        Py_RETURN_NONE;
    }
    uint64_t length = second & 0x7F;
    Py_ssize_t start = 2;
    if (length == 126) {
        if (available < 4) {
            Py_RETURN_NONE;
        }
        length = ((uint64_t)data[2] << 8) | data[3];
        start = 4;
    }
    else if (length == 127) {
        if (available < 10) {
            Py_RETURN_NONE;
        }
        length = 0;
        for (int i = 2; i < 10; i++) {
            length = (length << 8) | data[i];
        }
        /* RFC 6455 §5.2: the most significant bit must be 0. */
        if (length >> 63) {
            Py_RETURN_NONE;
        }
        start = 10;
    }
    if (limit >= 0 && length > (uint64_t)limit) {
        Py_RETURN_NONE;
    }
    const unsigned char *key = NULL;
    if (masked) {
        key = data + start;
        start += 4;
    }
    if (available < start || length > (uint64_t)(available - start)) {
        Py_RETURN_NONE;
    }
    Py_ssize_t size = (Py_ssize_t)length;
    const unsigned char *payload = data + start;
    EventLayout *layout;
    PyObject *value;
    if (first == FIN_TEXT) {
        layout = text_layout;
        value = decode_text(payload, size, key);
        if (value == NULL) {
            if (PyErr_Occurred()) {
                return NULL;
            }
            Py_RETURN_NONE;
        }
    }
    else {
        layout = bytes_layout;
        if (key == NULL) {
            value = PyBytes_FromStringAndSize((const char *)payload, size);
        }
        else {
            value = PyBytes_FromStringAndSize(NULL, size);
            if (value != NULL) {
                xor_mask((unsigned char *)PyBytes_AS_STRING(value), payload, size, key);
            }
        }
        if (value == NULL) {
            return NULL;
        }
    }
    PyObject *message = build_event(layout, &value);
    Py_DECREF(value);
    if (message == NULL) {
        return NULL;
    }
    Py_ssize_t end = start + size;
    int failed = end == PyByteArray_GET_SIZE(buffer) ? PyByteArray_Resize(buffer, 0)
                                                     : PySequence_DelSlice(buffer, 0, end);
    if (failed) {
        Py_DECREF(message);
        return NULL;
    }
    return message;
}

/*
 * Chunked message bodies (RFC 9112 §7.1): the chunks a receive buffer already
 * holds, decoded in one call.
 *
 * decode_chunks() runs the state machine of ChunkedReader.read() in
 * transom/protocol/http1/_chunked.py over the chunks everyone sends: chunk-size
 * lines of 1 to 16 hex digits and CRLF, no extension, within the line and body
 * limits, each chunk's data followed by CRLF. It stops before anything else
 * (an extension, whitespace, more digits, a bare LF, a line too long, a size
 * past a limit, a missing CRLF) without consuming it and says so; the Python
 * loop then continues from there over the same bytes, and accepts the rest or
 * names the broken rule. It never refuses anything itself.
 */

#include "speedups.h"

#include <stdint.h>
#include <string.h>

/* The phases of ChunkedReader, as the codes decode_chunks() takes and returns. */
enum {
    PHASE_SIZE = 0,
    PHASE_DATA = 1,
    PHASE_DATA_END = 2,
    PHASE_TRAILERS = 3,
};

/* Longest chunk size taken here; LARGEST_LENGTH in _limits.py. */
#define LARGEST_LENGTH INT64_MAX
/* Most hex digits on a chunk-size line taken here: 64 bits. */
#define MAX_DIGITS 16

typedef struct {
    int phase;
    uint64_t remaining; /* bytes of chunk-data still to come, in PHASE_DATA */
    uint64_t total;     /* every chunk size read so far */
    Py_ssize_t taken;   /* bytes of chunk-data passed over */
    int unusual;        /* stopped before bytes the Python loop must read */
} Progress;

/* The value of a hex digit, or -1. */
static int
hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c |= 0x20;
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

/*
 * Walk data[:end] from the state in progress, as far as the common case goes;
 * copy the chunk-data passed over to out unless out is NULL. Returns how many
 * bytes were consumed and leaves progress at the state after them.
 */
static Py_ssize_t
walk(const unsigned char *data, Py_ssize_t end, Py_ssize_t max_line, long long max_body,
     Progress *progress, unsigned char *out)
{
    Py_ssize_t pos = 0;
    int phase = progress->phase;
    uint64_t remaining = progress->remaining;
    uint64_t total = progress->total;
    Py_ssize_t taken = 0;
    int unusual = 0;
    if (phase == PHASE_TRAILERS) {
        goto done;
    }
    for (;;) {
        if (phase == PHASE_DATA) {
            uint64_t size = (uint64_t)(end - pos);
            if (size > remaining) {
                size = remaining;
            }
            if (size == 0) {
                break;
            }
            if (out != NULL) {
                memcpy(out, data + pos, (size_t)size);
                out += size;
            }
            pos += (Py_ssize_t)size;
            taken += (Py_ssize_t)size;
            remaining -= size;
            if (remaining) {
                break;
            }
            phase = PHASE_DATA_END;
        }
        if (phase == PHASE_DATA_END) {
            if (end - pos < 2) {
                /* A lone CR may still be followed by its LF; anything else is
                   for the Python loop to refuse. */
                unusual = pos < end && data[pos] != '\r';
                break;
            }
            if (data[pos] != '\r' || data[pos + 1] != '\n') {
                unusual = 1;
                break;
            }
            pos += 2;
            phase = PHASE_SIZE;
        }
        /* The LF must come within max_line bytes of the line's start. */
        Py_ssize_t window = end - pos;
        if (window > max_line) {
            window = max_line;
        }
        const unsigned char *newline =
            window > 0 ? memchr(data + pos, '\n', (size_t)window) : NULL;
        if (newline == NULL) {
            unusual = end - pos >= max_line;
            break;
        }
        /* 1 to 16 hex digits, then CRLF. */
        Py_ssize_t digits = newline - (data + pos) - 1;
        if (digits < 1 || digits > MAX_DIGITS || newline[-1] != '\r') {
            unusual = 1;
            break;
        }
        uint64_t size = 0;
        for (Py_ssize_t i = 0; i < digits; i++) {
            int value = hex_value(data[pos + i]);
            if (value < 0) {
                unusual = 1;
                goto done;
            }
            size = (size << 4) | (uint64_t)value;
        }
        if (size > LARGEST_LENGTH || size > LARGEST_LENGTH - total ||
            (max_body >= 0 && total + size > (uint64_t)max_body)) {
            unusual = 1;
            break;
        }
        pos = newline + 1 - data;
        if (size == 0) {
            phase = PHASE_TRAILERS;
            break;
        }
        total += size;
        remaining = size;
        phase = PHASE_DATA;
    }
done:
    progress->phase = phase;
    progress->remaining = remaining;
    progress->total = total;
    progress->taken = taken;
    progress->unusual = unusual;
    return pos;
}

/* A non-negative int argument as a long long; -1 with ValueError set when it is
   not one, or past 64 bits. */
static long long
get_count(PyObject *arg, const char *name)
{
    int overflow;
    long long value = PyLong_AsLongLongAndOverflow(arg, &overflow);
    if (value == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (overflow || value < 0) {
        PyErr_Format(PyExc_ValueError, "%s out of range", name);
        return -1;
    }
    return value;
}

const char decode_chunks_doc[] = PyDoc_STR(
"decode_chunks(buffer, phase, remaining, total, max_line, max_body, /)\n--\n\n"
"Decode the chunks of a chunked body at the front of a bytearray, from the\n"
"state of a ChunkedReader: phase (0 chunk-size line, 1 chunk-data, 2 CRLF\n"
"after chunk-data, 3 trailer section), the bytes of chunk-data still to come\n"
"and the total of the chunk sizes read so far (past 64 bits, nothing is\n"
"taken). max_line is the longest\n"
"chunk-size line, CRLF included; max_body the largest body (negative: no\n"
"limit).\n\n"
"Takes only chunk-size lines of 1 to 16 hex digits and CRLF, within both\n"
"limits, and chunk-data followed by CRLF; stops on a last chunk (phase 3).\n"
"Returns (data, consumed, phase, remaining, total, unusual): the chunk-data\n"
"decoded (bytes, or None when there is none), how many bytes of buffer it\n"
"came from (the buffer itself is left as it is), the state after them, and\n"
"whether it stopped before bytes it leaves to the caller rather than for\n"
"want of more.");

PyObject *
decode_chunks(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6 || !PyByteArray_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError,
                        "decode_chunks(bytearray, phase, remaining, total, max_line, max_body)");
        return NULL;
    }
    int overflow;
    long phase = PyLong_AsLongAndOverflow(args[1], &overflow);
    if (phase == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (overflow || phase < PHASE_SIZE || phase > PHASE_TRAILERS) {
        PyErr_SetString(PyExc_ValueError, "phase out of range");
        return NULL;
    }
    long long remaining = get_count(args[2], "remaining");
    if (remaining < 0) {
        return NULL;
    }
    /* A total past 64 bits (only chunk sizes the Python loop took, with no
       body limit, add up to one) leaves everything to the Python loop. */
    long long total = PyLong_AsLongLongAndOverflow(args[3], &overflow);
    if (total == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (overflow > 0) {
        return steal_tuple(6, Py_NewRef(Py_None), PyLong_FromLong(0), PyLong_FromLong(phase),
                           PyLong_FromLongLong(remaining), Py_NewRef(args[3]),
                           Py_NewRef(Py_True));
    }
    if (overflow || total < 0) {
        PyErr_SetString(PyExc_ValueError, "total out of range");
        return NULL;
    }
    /* A line limit past 64 bits is as good as none; below, as good as 0. */
    long long max_line = PyLong_AsLongLongAndOverflow(args[4], &overflow);
    if (max_line == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (overflow || max_line > PY_SSIZE_T_MAX) {
        max_line = overflow < 0 ? 0 : PY_SSIZE_T_MAX;
    }
    /* A limit past 64 bits is no limit; nor is a negative one. */
    long long max_body = PyLong_AsLongLongAndOverflow(args[5], &overflow);
    if (max_body == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (overflow) {
        max_body = -1;
    }
    PyObject *buffer = args[0];
    const unsigned char *data = (const unsigned char *)PyByteArray_AS_STRING(buffer);
    Py_ssize_t end = PyByteArray_GET_SIZE(buffer);
    Progress progress = {(int)phase, (uint64_t)remaining, (uint64_t)total, 0, 0};

    /* Once to find how far to go and how much chunk-data that holds, then again
       to copy it into the one bytes object handed out. */
    Progress again = progress;
    Py_ssize_t consumed = walk(data, end, (Py_ssize_t)max_line, max_body, &progress, NULL);
    PyObject *decoded;
    if (progress.taken == 0) {
        decoded = Py_NewRef(Py_None);
    }
    else {
        decoded = PyBytes_FromStringAndSize(NULL, progress.taken);
        if (decoded == NULL) {
            return NULL;
        }
        walk(data, end, (Py_ssize_t)max_line, max_body, &again,
             (unsigned char *)PyBytes_AS_STRING(decoded));
    }
    return steal_tuple(6, decoded, PyLong_FromSsize_t(consumed), PyLong_FromLong(progress.phase),
                       PyLong_FromUnsignedLongLong(progress.remaining),
                       PyLong_FromUnsignedLongLong(progress.total),
                       Py_NewRef(progress.unusual ? Py_True : Py_False));
}

/*
 * WebSocket payload masking (RFC 6455 §5.3): the payload XORed with a 4-byte
 * key repeated, eight bytes at a time.
 */

#include "speedups.h"

#include <stdint.h>
#include <string.h>

/* out[:size] = in[:size] XORed with the 4-byte key repeated; out may equal in. */
void
xor_mask(unsigned char *out, const unsigned char *in, Py_ssize_t size, const unsigned char *key)
{
    Py_ssize_t i = 0;
    /* The key repeated over eight bytes, in memory order. */
    unsigned char pattern[8] = {key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3]};
    uint64_t wide;
    memcpy(&wide, pattern, 8);
    for (; i + 8 <= size; i += 8) {
        uint64_t word;
        memcpy(&word, in + i, 8);
        word ^= wide;
        memcpy(out + i, &word, 8);
    }
    for (; i < size; i++) {
        out[i] = in[i] ^ key[i & 3];
    }
}

const char apply_mask_doc[] = PyDoc_STR(
"apply_mask(payload, key, /)\n--\n\n"
"Return payload (bytes-like) XORed with the 4-byte key repeated, as bytes.");

PyObject *
apply_mask(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "apply_mask(payload, key)");
        return NULL;
    }
    Py_buffer payload, key;
    if (PyObject_GetBuffer(args[0], &payload, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    if (PyObject_GetBuffer(args[1], &key, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&payload);
        return NULL;
    }
    PyObject *result = NULL;
    if (key.len != 4) {
        PyErr_SetString(PyExc_ValueError, "the masking key is 4 bytes");
        goto done;
    }
    result = PyBytes_FromStringAndSize(NULL, payload.len);
    if (result == NULL) {
        goto done;
    }
    xor_mask((unsigned char *)PyBytes_AS_STRING(result), payload.buf, payload.len, key.buf);
done:
    PyBuffer_Release(&key);
    PyBuffer_Release(&payload);
    return result;
}

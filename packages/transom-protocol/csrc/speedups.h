/*
 * Declarations shared by the C sources of transom.protocol._speedups, the
 * optional compiled speed-ups of transom.protocol (see module.c).
 */

#ifndef TRANSOM_SPEEDUPS_H
#define TRANSOM_SPEEDUPS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* Character classes, as bit flags in one table indexed by byte value. */
enum {
    C_TCHAR = 1,  /* tchar (RFC 9110 §5.6.2) */
    C_VCHAR = 2,  /* VCHAR: 0x21-0x7e */
    C_FVCHAR = 4, /* field-vchar: VCHAR / obs-text (0x80-0xff) */
    C_OWS = 8,    /* SP / HTAB */
    C_DIGIT = 16,
};

extern unsigned char classes[256];

#define IS(c, cls) (classes[(unsigned char)(c)] & (cls))

/* Byte-parallel tests on eight bytes at once: whether any byte is zero, or
   below n (n at most 128); both may also flag bytes above one that is. */
#define ONES 0x0101010101010101ULL
#define HAS_ZERO(word) (((word) - ONES) & ~(word) & (ONES * 0x80))
#define HAS_LESS(word, n) (((word) - ONES * (n)) & ~(word) & (ONES * 0x80))

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

#define MAX_EVENT_TYPES 16
#define MAX_EVENT_FIELDS 6

typedef struct {
    PyTypeObject *type;
    Py_ssize_t count;
    Py_ssize_t offsets[MAX_EVENT_FIELDS];
} EventLayout;

/* fields.c: field lines, names and strings. */
void init_classes(void);
PyObject *latin1(const char *data, Py_ssize_t size, int high);
PyObject *steal_tuple(Py_ssize_t count, ...);
PyObject *scan_fields(const char *data, Py_ssize_t pos, Py_ssize_t stop, Py_ssize_t max_count,
                      int *flags, PyObject **host);
PyObject *set_known_names(PyObject *module, PyObject *names);
extern const char set_known_names_doc[];

/* head.c: request and status lines, whole heads. */
int init_head(void);
PyObject *scan_request(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *scan_response(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *configure_requests(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *read_request(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *configure_responses(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *read_response(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
extern const char scan_request_doc[];
extern const char scan_response_doc[];
extern const char configure_requests_doc[];
extern const char read_request_doc[];
extern const char configure_responses_doc[];
extern const char read_response_doc[];

/* events.c: building immutable events. */
EventLayout *find_layout(PyObject *type);
PyObject *build_event(EventLayout *layout, PyObject *const *values);
PyObject *register_event(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *new_event(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
extern const char register_event_doc[];
extern const char new_event_doc[];

/* writers.c: serializing header sections. */
PyObject *set_fields_fallback(PyObject *module, PyObject *function);
PyObject *encode_fields(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
extern const char set_fields_fallback_doc[];
extern const char encode_fields_doc[];

/* mask.c: WebSocket payload masking. */
void xor_mask(unsigned char *out, const unsigned char *in, Py_ssize_t size,
              const unsigned char *key);
PyObject *apply_mask(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
extern const char apply_mask_doc[];

/* frames.c: whole WebSocket messages. */
PyObject *configure_messages(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *read_message(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
extern const char configure_messages_doc[];
extern const char read_message_doc[];

/* chunked.c: chunked message bodies. */
PyObject *decode_chunks(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
extern const char decode_chunks_doc[];

#endif

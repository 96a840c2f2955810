/*
 * transom.protocol._speedups: the optional compiled speed-ups of transom.protocol.
 *
 * head.c and fields.c scan HTTP/1.1 message heads; events.c builds the
 * immutable event objects of transom.protocol.http1 in one call; writers.c
 * serializes header sections; mask.c masks WebSocket payloads; frames.c reads
 * a whole WebSocket message in one frame; chunked.c decodes the chunks of a
 * chunked body. Each scanner takes a head and the
 * parser's limits, and returns its pieces exactly as the pure-Python path of
 * transom/protocol/http1/_head.py would, for the heads that path accepts and servers see all day: well-formed
 * (the grammar of _abnf.py), within the limits, HTTP/1.0 or 1.1, and for a
 * request an origin-form target. For anything else it returns None without
 * saying why; the caller then runs the pure-Python path over the same bytes,
 * which accepts the rest or names the broken rule. So this module decides
 * nothing on its own; tests/test_speedups.py (and, for frames,
 * tests/websocket/test_frames_speedups.py) checks the two paths agree on
 * generated input.
 *
 * Strings are built from latin-1 bytes, as the pure-Python path decodes them.
 */

#include "speedups.h"

static PyMethodDef methods[] = {
    {"encode_fields", (PyCFunction)(void (*)(void))encode_fields, METH_FASTCALL,
     encode_fields_doc},
    {"set_fields_fallback", set_fields_fallback, METH_O, set_fields_fallback_doc},
    {"apply_mask", (PyCFunction)(void (*)(void))apply_mask, METH_FASTCALL, apply_mask_doc},
    {"configure_messages", (PyCFunction)(void (*)(void))configure_messages, METH_FASTCALL,
     configure_messages_doc},
    {"read_message", (PyCFunction)(void (*)(void))read_message, METH_FASTCALL, read_message_doc},
    {"decode_chunks", (PyCFunction)(void (*)(void))decode_chunks, METH_FASTCALL,
     decode_chunks_doc},
    {"register_event", (PyCFunction)(void (*)(void))register_event, METH_FASTCALL,
     register_event_doc},
    {"new_event", (PyCFunction)(void (*)(void))new_event, METH_FASTCALL, new_event_doc},
    {"set_known_names", set_known_names, METH_O, set_known_names_doc},
    {"scan_request", (PyCFunction)(void (*)(void))scan_request, METH_FASTCALL, scan_request_doc},
    {"configure_requests", (PyCFunction)(void (*)(void))configure_requests, METH_FASTCALL,
     configure_requests_doc},
    {"read_request", (PyCFunction)(void (*)(void))read_request, METH_FASTCALL, read_request_doc},
    {"scan_response", (PyCFunction)(void (*)(void))scan_response, METH_FASTCALL,
     scan_response_doc},
    {"configure_responses", (PyCFunction)(void (*)(void))configure_responses, METH_FASTCALL,
     configure_responses_doc},
    {"read_response", (PyCFunction)(void (*)(void))read_response, METH_FASTCALL,
     read_response_doc},
    {NULL, NULL, 0, NULL},
};

static int
exec_module(PyObject *Py_UNUSED(module))
{
    init_classes();
    return init_head();
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, exec_module},
    {0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT,
    .m_name = "transom.protocol._speedups",
    .m_doc = "Optional compiled speed-ups of transom.protocol.",
    .m_size = 0,
    .m_methods = methods,
    .m_slots = slots,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModuleDef_Init(&moduledef);
}

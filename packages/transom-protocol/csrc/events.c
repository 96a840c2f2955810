/*
 * Events: building the immutable event objects of transom.protocol.http1
 * without their keyword constructors.
 */

#include "speedups.h"

#include <structmember.h>

/*
 * Events (transom.protocol.http1) are immutable slotted objects: their
 * __setattr__ refuses every assignment, so the pure-Python factories set each
 * slot through its descriptor, one call per field. register_event() records
 * where a class keeps its fields, and new_event() fills them in one call.
 */
static EventLayout layouts[MAX_EVENT_TYPES];
static int layout_count;

const char register_event_doc[] = PyDoc_STR(
"register_event(cls, fields, /)\n--\n\n"
"Record the slot descriptors of cls, in the order new_event() takes values.\n"
"fields is a sequence of the class's member descriptors (cls.__dict__[name]).");

PyObject *
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

const char new_event_doc[] = PyDoc_STR(
"new_event(cls, *values)\n--\n\n"
"A new cls (registered with register_event) with its fields set to values,\n"
"without calling __init__ or __setattr__.");

EventLayout *
find_layout(PyObject *type)
{
    for (int i = 0; i < layout_count; i++) {
        if ((PyObject *)layouts[i].type == type) {
            return &layouts[i];
        }
    }
    return NULL;
}

/* A new event of ``layout``'s class holding new references to ``values``. */
PyObject *
build_event(EventLayout *layout, PyObject *const *values)
{
    PyObject *event = layout->type->tp_alloc(layout->type, 0);
    if (event == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < layout->count; i++) {
        *(PyObject **)((char *)event + layout->offsets[i]) = Py_NewRef(values[i]);
    }
    return event;
}

PyObject *
new_event(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 1) {
        PyErr_SetString(PyExc_TypeError, "new_event(cls, *values)");
        return NULL;
    }
    EventLayout *layout = find_layout(args[0]);
    if (layout == NULL) {
        PyErr_SetString(PyExc_TypeError, "not a registered event type");
        return NULL;
    }
    if (nargs - 1 != layout->count) {
        PyErr_Format(PyExc_TypeError, "%s takes %zd values", layout->type->tp_name,
                     layout->count);
        return NULL;
    }
    return build_event(layout, args + 1);
}

/* sextant._accel: the optional compiled hot path of Run.log_metrics.
 *
 * A MetricBuffer holds the metric calls of one Run as plain doubles, grouped
 * by key tuple (first-seen order, like _encode.BatchBuilder), instead of one
 * Python tuple per call on a deque. The writer thread takes the groups
 * (take()) and gets, per group, exactly the pieces _encode.py would have
 * produced: the steps as JSON, the timestamps and each column as quoted
 * base64 of little-endian float64s. Transposing and base64 run with the GIL
 * released, so the training thread keeps running meanwhile.
 *
 * Every call that is not the plain case (a new key set, a value that is not
 * an exact float/int/bool, a step or timestamp that needs checking, a closed
 * run) returns None and Run takes the Python path, which validates, raises
 * the same errors as the pure-Python SDK, and stores the call with append().
 *
 * Thread-safety: every method runs with the GIL held; take() detaches the
 * groups under the GIL and only then releases it, so appends never touch
 * memory that is being encoded.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define MAX_TIMESTAMP 253402300799.0

typedef struct {
    PyObject *keys;      /* validated key tuple (owned) */
    Py_ssize_t k;        /* len(keys) */
    Py_ssize_t n, cap;   /* rows */
    double *steps;       /* step as double; exact for |step| < 9e12 */
    unsigned char *step_int; /* 1 when the step is an int */
    double *ts;
    int64_t *seq;        /* call order across groups, for merging a path */
    double *vals;        /* row-major n * k */
} Group;

typedef struct {
    PyObject_HEAD
    Group *groups;
    Py_ssize_t ngroups, gcap;
    PyObject *index;     /* {keys: group number} of the groups above */
    Py_ssize_t cur;      /* group of the last call, -1 when none */
    Py_ssize_t rows;
    Py_ssize_t kick_at;
    int64_t seq;
    PyObject *next_step; /* int or float */
    double step_lo, step_hi; /* exclusive bounds of a step taken without checks */
    int closed;
    int discard;         /* validate, keep nothing (a forked child) */
} MetricBuffer;

static void group_free(Group *g)
{
    Py_XDECREF(g->keys);
    free(g->steps);
    free(g->step_int);
    free(g->ts);
    free(g->seq);
    free(g->vals);
    memset(g, 0, sizeof(*g));
}

static void groups_free(Group *groups, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++)
        group_free(&groups[i]);
    free(groups);
}

static int group_reserve(Group *g, Py_ssize_t need)
{
    if (need <= g->cap)
        return 0;
    Py_ssize_t cap = g->cap ? g->cap * 2 : 256;
    while (cap < need)
        cap *= 2;
    double *steps = realloc(g->steps, cap * sizeof(double));
    if (steps) g->steps = steps;
    unsigned char *si = realloc(g->step_int, cap);
    if (si) g->step_int = si;
    double *ts = realloc(g->ts, cap * sizeof(double));
    if (ts) g->ts = ts;
    int64_t *seq = realloc(g->seq, cap * sizeof(int64_t));
    if (seq) g->seq = seq;
    double *vals = realloc(g->vals, (size_t)cap * g->k * sizeof(double));
    if (vals || g->k == 0) g->vals = vals;
    if (!steps || !si || !ts || !seq || (!vals && g->k)) {
        PyErr_NoMemory();
        return -1;
    }
    g->cap = cap;
    return 0;
}

/* The group for `keys` (a validated tuple), made when new. */
static Py_ssize_t find_group(MetricBuffer *self, PyObject *keys)
{
    if (self->cur >= 0 && self->groups[self->cur].keys == keys)
        return self->cur;
    if (!self->index) {
        PyErr_SetString(PyExc_RuntimeError, "MetricBuffer.__init__ was not called");
        return -1;
    }
    PyObject *found = PyDict_GetItemWithError(self->index, keys);
    if (found)
        return PyLong_AsSsize_t(found);
    if (PyErr_Occurred())
        return -1;
    if (self->ngroups == self->gcap) {
        Py_ssize_t cap = self->gcap ? self->gcap * 2 : 4;
        Group *g = realloc(self->groups, cap * sizeof(Group));
        if (!g) {
            PyErr_NoMemory();
            return -1;
        }
        self->groups = g;
        self->gcap = cap;
    }
    PyObject *num = PyLong_FromSsize_t(self->ngroups);
    if (!num || PyDict_SetItem(self->index, keys, num) < 0) {
        Py_XDECREF(num);
        return -1;
    }
    Py_DECREF(num);
    Group *g = &self->groups[self->ngroups];
    memset(g, 0, sizeof(*g));
    Py_INCREF(keys);
    g->keys = keys;
    g->k = PyTuple_GET_SIZE(keys);
    return self->ngroups++;
}

/* Python's time.time(): nanoseconds, then divided as _PyTime_AsSecondsDouble
 * does. Windows has no clock_gettime: calls there take time.time() from the
 * Python path (HAVE_NOW 0). */
#ifdef _WIN32
#define HAVE_NOW 0
static double now_seconds(void) { return 0.0; }
#else
#define HAVE_NOW 1
static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    int64_t ns = (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
    if (ns % 1000000000 == 0)
        return (double)(ns / 1000000000);
    return (double)ns / 1e9;
}
#endif

/* 1 with the double in *out; 0 when the value needs the Python path. */
static int plain_number(PyObject *v, double *out)
{
    if (PyFloat_CheckExact(v)) {
        *out = PyFloat_AS_DOUBLE(v);
        return 1;
    }
    if (PyLong_CheckExact(v) || PyBool_Check(v)) {
        double d = PyLong_AsDouble(v);
        if (d == -1.0 && PyErr_Occurred()) {
            PyErr_Clear();
            return 0;
        }
        *out = d;
        return 1;
    }
    return 0;
}

static PyObject *append_row(MetricBuffer *self, Py_ssize_t gi, double step, int step_int,
                            double ts, const double *row)
{
    Group *g = &self->groups[gi];
    if (group_reserve(g, g->n + 1) < 0)
        return NULL;
    Py_ssize_t n = g->n++;
    g->steps[n] = step;
    g->step_int[n] = (unsigned char)step_int;
    g->ts[n] = ts;
    g->seq[n] = self->seq++;
    memcpy(g->vals + n * g->k, row, g->k * sizeof(double));
    self->cur = gi;
    self->rows++;
    if (self->rows >= self->kick_at)
        Py_RETURN_TRUE;
    Py_RETURN_FALSE;
}

#define ROW_STACK 64

/* log(data, step, timestamp) -> False (kept), True (kept; wake the writer),
 * None (not the plain case: take the Python path). */
static PyObject *MB_log(MetricBuffer *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "log(data, step, timestamp)");
        return NULL;
    }
    PyObject *data = args[0], *step_o = args[1], *ts_o = args[2];
    if (self->closed || self->cur < 0 || !PyDict_CheckExact(data))
        Py_RETURN_NONE;
    Group *g = &self->groups[self->cur];
    Py_ssize_t k = g->k;
    if (PyDict_GET_SIZE(data) != k)
        Py_RETURN_NONE;
    double stack[ROW_STACK];
    double *row = k <= ROW_STACK ? stack : PyMem_Malloc(k * sizeof(double));
    if (!row)
        return PyErr_NoMemory();
    PyObject *result = Py_None;
    Py_ssize_t pos = 0, i = 0;
    PyObject *key, *value;
    while (PyDict_Next(data, &pos, &key, &value)) {
        PyObject *want = PyTuple_GET_ITEM(g->keys, i);
        if (key != want) {
            if (!PyUnicode_CheckExact(key) || !PyUnicode_CheckExact(want)
                    || PyUnicode_Compare(key, want) != 0) {
                if (PyErr_Occurred())
                    PyErr_Clear();
                goto done;
            }
        }
        if (!plain_number(value, &row[i]))
            goto done;
        i++;
    }
    double step;
    long long s;
    if (step_o == Py_None)
        step_o = self->next_step;
    if (!PyLong_CheckExact(step_o))
        goto done;
    {
        int overflow = 0;
        s = PyLong_AsLongLongAndOverflow(step_o, &overflow);
        if (overflow || (s == -1 && PyErr_Occurred())) {
            PyErr_Clear();
            goto done;
        }
        step = (double)s;
        if (!(self->step_lo < step && step < self->step_hi))
            goto done;
    }
    double ts;
    if (ts_o == Py_None && HAVE_NOW) {
        ts = now_seconds();
    } else if (PyFloat_CheckExact(ts_o)) {
        ts = PyFloat_AS_DOUBLE(ts_o);
        if (!(ts >= 0.0 && ts <= MAX_TIMESTAMP))
            goto done;
    } else {
        goto done;
    }
    /* Valid: from here on the call is kept (as the Python path would). */
    {
        PyObject *next = PyLong_FromLongLong(s + 1);
        if (!next) {
            result = NULL;
            goto out;
        }
        Py_SETREF(self->next_step, next);
    }
    if (self->discard) {
        result = Py_False;
        Py_INCREF(result);
        goto out;
    }
    result = append_row(self, self->cur, step, 1, ts, row);
    goto out;
done:
    if (result == Py_None)
        Py_INCREF(result);
out:
    if (row != stack)
        PyMem_Free(row);
    return result;
}

/* append(keys, values, step, ts): a call the Python path validated. */
static PyObject *MB_append(MetricBuffer *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4 || !PyTuple_Check(args[0]) || !PyTuple_Check(args[1])
            || PyTuple_GET_SIZE(args[0]) != PyTuple_GET_SIZE(args[1])) {
        PyErr_SetString(PyExc_TypeError, "append(keys tuple, values tuple, step, ts)");
        return NULL;
    }
    PyObject *keys = args[0], *values = args[1];
    double step;
    int step_int = PyLong_CheckExact(args[2]);
    if (step_int) {
        long long s = PyLong_AsLongLong(args[2]);
        if (s == -1 && PyErr_Occurred())
            return NULL;
        step = (double)s;
    } else if (PyFloat_CheckExact(args[2])) {
        step = PyFloat_AS_DOUBLE(args[2]);
    } else {
        PyErr_SetString(PyExc_TypeError, "step must be an int or a float");
        return NULL;
    }
    double ts = PyFloat_AsDouble(args[3]);
    if (ts == -1.0 && PyErr_Occurred())
        return NULL;
    Py_ssize_t k = PyTuple_GET_SIZE(keys);
    double stack[ROW_STACK];
    double *row = k <= ROW_STACK ? stack : PyMem_Malloc(k * sizeof(double));
    if (!row)
        return PyErr_NoMemory();
    PyObject *result = NULL;
    for (Py_ssize_t i = 0; i < k; i++) {
        row[i] = PyFloat_AsDouble(PyTuple_GET_ITEM(values, i));
        if (row[i] == -1.0 && PyErr_Occurred())
            goto out;
    }
    if (self->discard) {
        result = Py_False;
        Py_INCREF(result);
        goto out;
    }
    Py_ssize_t gi = find_group(self, keys);
    if (gi >= 0)
        result = append_row(self, gi, step, step_int, ts, row);
out:
    if (row != stack)
        PyMem_Free(row);
    return result;
}

/* ---------------------------------------------------------------------- */
/* Encoding, without the GIL */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static Py_ssize_t b64_quoted_size(Py_ssize_t nbytes)
{
    return 2 + 4 * ((nbytes + 2) / 3);
}

static void le_double(unsigned char *dst, double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    for (int i = 0; i < 8; i++)
        dst[i] = (unsigned char)(u >> (8 * i));
}

/* Quoted base64 (standard alphabet, padded: base64.b64encode) of the
 * little-endian float64s src[0], src[stride], ... (n of them). */
static void b64_quad(char *out, const unsigned char *b)
{
    unsigned v = ((unsigned)b[0] << 16) | ((unsigned)b[1] << 8) | b[2];
    out[0] = B64[v >> 18];
    out[1] = B64[(v >> 12) & 63];
    out[2] = B64[(v >> 6) & 63];
    out[3] = B64[v & 63];
}

/* Quoted base64 (standard alphabet, padded: base64.b64encode) of the
 * little-endian float64s src[0], src[stride], ... (n of them). */
static void b64_doubles(char *out, const double *src, Py_ssize_t n, Py_ssize_t stride)
{
    unsigned char buf[24];
    Py_ssize_t j = 0;
    *out++ = '"';
    for (; j + 3 <= n; j += 3) { /* 3 doubles = 24 bytes = 32 characters */
        for (int t = 0; t < 3; t++)
            le_double(buf + 8 * t, src[(j + t) * stride]);
        for (int t = 0; t < 24; t += 3, out += 4)
            b64_quad(out, buf + t);
    }
    Py_ssize_t rest = (n - j) * 8; /* 0, 8 or 16 bytes */
    for (int t = 0; j < n; j++, t++)
        le_double(buf + 8 * t, src[j * stride]);
    Py_ssize_t t = 0;
    for (; t + 3 <= rest; t += 3, out += 4)
        b64_quad(out, buf + t);
    if (rest - t == 1) {        /* one byte left (16 bytes: 5 triples + 1) */
        unsigned char last[3] = {buf[t], 0, 0};
        b64_quad(out, last);
        out[2] = out[3] = '=';
        out += 4;
    } else if (rest - t == 2) { /* two bytes left (8 bytes: 2 triples + 2) */
        unsigned char last[3] = {buf[t], buf[t + 1], 0};
        b64_quad(out, last);
        out[3] = '=';
        out += 4;
    }
    *out = '"';
}

/* json.dumps(steps) with the default separators: "[0, 1, 2.5]". Int steps
 * are printed here; a float step takes repr(), which needs the GIL, so a
 * group with float steps is printed by steps_json_with_gil. Returns a
 * malloc'ed buffer (its length in *len), or NULL when a float step is met. */
static char *steps_json_ints(const Group *g, Py_ssize_t *len)
{
    size_t cap = 2 + (size_t)g->n * 22, used = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    s[used++] = '[';
    for (Py_ssize_t i = 0; i < g->n; i++) {
        if (!g->step_int[i]) {
            free(s);
            return NULL;
        }
        if (i)
            s[used++] = ',', s[used++] = ' ';
        used += (size_t)snprintf(s + used, cap - used, "%lld", (long long)g->steps[i]);
    }
    s[used++] = ']';
    *len = (Py_ssize_t)used;
    return s;
}

static PyObject *steps_json_with_gil(const Group *g)
{
    PyObject *parts = PyList_New(0);
    if (!parts)
        return NULL;
    for (Py_ssize_t i = 0; i < g->n; i++) {
        PyObject *s;
        if (g->step_int[i]) {
            s = PyUnicode_FromFormat("%lld", (long long)g->steps[i]);
        } else {
            char *r = PyOS_double_to_string(g->steps[i], 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
            if (!r) {
                Py_DECREF(parts);
                return NULL;
            }
            s = PyUnicode_FromString(r);
            PyMem_Free(r);
        }
        if (!s || PyList_Append(parts, s) < 0) {
            Py_XDECREF(s);
            Py_DECREF(parts);
            return NULL;
        }
        Py_DECREF(s);
    }
    PyObject *sep = PyUnicode_FromString(", ");
    PyObject *joined = sep ? PyUnicode_Join(sep, parts) : NULL;
    Py_XDECREF(sep);
    Py_DECREF(parts);
    if (!joined)
        return NULL;
    PyObject *text = PyUnicode_FromFormat("[%U]", joined);
    Py_DECREF(joined);
    if (!text)
        return NULL;
    PyObject *out = PyUnicode_AsASCIIString(text);
    Py_DECREF(text);
    return out;
}

typedef struct {
    Group *g;
    PyObject *ts_b64;    /* bytes, filled without the GIL */
    PyObject *cols;      /* list of k bytes, filled without the GIL */
    char *steps;         /* malloc'ed int-steps JSON, or NULL */
    Py_ssize_t steps_len;
} Job;

/* take() -> [(keys, n, steps_json, ts_b64, [col_b64, ...], seq_bytes)]:
 * everything logged so far, in first-seen key order, then forgotten. */
static PyObject *MB_take(MetricBuffer *self, PyObject *Py_UNUSED(ignored))
{
    if (self->ngroups == 0)
        return PyList_New(0);
    Group *groups = self->groups;
    Py_ssize_t ng = self->ngroups;
    self->groups = NULL;
    self->ngroups = self->gcap = 0;
    self->rows = 0;
    self->cur = -1;
    PyDict_Clear(self->index);

    PyObject *out = NULL;
    Job *jobs = calloc(ng, sizeof(Job));
    if (!jobs) {
        PyErr_NoMemory();
        goto fail;
    }
    /* Output objects first (allocating needs the GIL), then fill them. */
    for (Py_ssize_t i = 0; i < ng; i++) {
        Group *g = &groups[i];
        jobs[i].g = g;
        jobs[i].ts_b64 = PyBytes_FromStringAndSize(NULL, b64_quoted_size(g->n * 8));
        jobs[i].cols = PyList_New(g->k);
        if (!jobs[i].ts_b64 || !jobs[i].cols)
            goto fail;
        for (Py_ssize_t j = 0; j < g->k; j++) {
            PyObject *b = PyBytes_FromStringAndSize(NULL, b64_quoted_size(g->n * 8));
            if (!b)
                goto fail;
            PyList_SET_ITEM(jobs[i].cols, j, b);
        }
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < ng; i++) {
        Group *g = jobs[i].g;
        b64_doubles(PyBytes_AS_STRING(jobs[i].ts_b64), g->ts, g->n, 1);
        for (Py_ssize_t j = 0; j < g->k; j++)
            b64_doubles(PyBytes_AS_STRING(PyList_GET_ITEM(jobs[i].cols, j)), g->vals + j, g->n, g->k);
        jobs[i].steps = steps_json_ints(g, &jobs[i].steps_len);
    }
    Py_END_ALLOW_THREADS
    out = PyList_New(ng);
    if (!out)
        goto fail;
    for (Py_ssize_t i = 0; i < ng; i++) {
        Group *g = jobs[i].g;
        PyObject *steps = jobs[i].steps
            ? PyBytes_FromStringAndSize(jobs[i].steps, jobs[i].steps_len)
            : steps_json_with_gil(g);
        PyObject *seq = PyBytes_FromStringAndSize((const char *)g->seq, g->n * sizeof(int64_t));
        PyObject *item = (steps && seq) ? Py_BuildValue("(OnNNNN)", g->keys, g->n, steps,
                                                        jobs[i].ts_b64, jobs[i].cols, seq) : NULL;
        if (!item) {
            Py_XDECREF(steps);
            Py_XDECREF(seq);
            goto fail;
        }
        jobs[i].ts_b64 = jobs[i].cols = NULL; /* stolen by the tuple */
        PyList_SET_ITEM(out, i, item);
    }
    for (Py_ssize_t i = 0; i < ng; i++)
        free(jobs[i].steps);
    free(jobs);
    groups_free(groups, ng);
    return out;
fail:
    if (jobs) {
        for (Py_ssize_t i = 0; i < ng; i++) {
            Py_XDECREF(jobs[i].ts_b64);
            Py_XDECREF(jobs[i].cols);
            free(jobs[i].steps);
        }
        free(jobs);
    }
    Py_XDECREF(out);
    groups_free(groups, ng);
    return NULL;
}

/* ---------------------------------------------------------------------- */

static int MB_init(MetricBuffer *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"kick_at", "step_lo", "step_hi", NULL};
    Py_ssize_t kick_at;
    double lo, hi;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "ndd", kwlist, &kick_at, &lo, &hi))
        return -1;
    self->kick_at = kick_at;
    self->step_lo = lo;
    self->step_hi = hi;
    self->cur = -1;
    Py_XSETREF(self->index, PyDict_New());
    Py_XSETREF(self->next_step, PyLong_FromLong(0));
    return self->next_step && self->index ? 0 : -1;
}

static void MB_dealloc(MetricBuffer *self)
{
    groups_free(self->groups, self->ngroups);
    Py_XDECREF(self->next_step);
    Py_XDECREF(self->index);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static Py_ssize_t MB_len(MetricBuffer *self)
{
    return self->rows;
}

static PyObject *MB_get_next(MetricBuffer *self, void *c)
{
    Py_INCREF(self->next_step);
    return self->next_step;
}

static int MB_set_next(MetricBuffer *self, PyObject *v, void *c)
{
    if (!v || !(PyLong_CheckExact(v) || PyFloat_CheckExact(v))) {
        PyErr_SetString(PyExc_TypeError, "next_step must be an int or a float");
        return -1;
    }
    Py_INCREF(v);
    Py_SETREF(self->next_step, v);
    return 0;
}

static int set_flag(int *flag, PyObject *v)
{
    int b = v ? PyObject_IsTrue(v) : 0;
    if (b < 0)
        return -1;
    *flag = b;
    return 0;
}

static PyObject *MB_get_closed(MetricBuffer *self, void *c) { return PyBool_FromLong(self->closed); }
static int MB_set_closed(MetricBuffer *self, PyObject *v, void *c) { return set_flag(&self->closed, v); }
static PyObject *MB_get_discard(MetricBuffer *self, void *c) { return PyBool_FromLong(self->discard); }
static int MB_set_discard(MetricBuffer *self, PyObject *v, void *c)
{
    if (set_flag(&self->discard, v) < 0)
        return -1;
    if (self->discard) {
        groups_free(self->groups, self->ngroups);
        self->groups = NULL;
        self->ngroups = self->gcap = self->rows = 0;
        self->cur = -1;
        PyDict_Clear(self->index);
    }
    return 0;
}

static PyGetSetDef MB_getset[] = {
    {"next_step", (getter)MB_get_next, (setter)MB_set_next, "the step a call without one gets", NULL},
    {"closed", (getter)MB_get_closed, (setter)MB_set_closed, "calls go to the Python path (which raises)", NULL},
    {"discard", (getter)MB_get_discard, (setter)MB_set_discard, "keep nothing (a forked child)", NULL},
    {NULL},
};

static PyMethodDef MB_methods[] = {
    {"log", (PyCFunction)(void (*)(void))MB_log, METH_FASTCALL,
     "log(data, step, timestamp) -> False | True (wake the writer) | None (take the Python path)"},
    {"append", (PyCFunction)(void (*)(void))MB_append, METH_FASTCALL,
     "append(keys, values, step, ts) -> bool (wake the writer): a validated call"},
    {"take", (PyCFunction)MB_take, METH_NOARGS,
     "take() -> [(keys, n, steps_json, ts_b64, [col_b64], seq)]"},
    {NULL},
};

static PySequenceMethods MB_as_sequence = {.sq_length = (lenfunc)MB_len};

static PyTypeObject MetricBufferType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "sextant._accel.MetricBuffer",
    .tp_basicsize = sizeof(MetricBuffer),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The metric calls of one Run, as doubles grouped by key tuple.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)MB_init,
    .tp_dealloc = (destructor)MB_dealloc,
    .tp_methods = MB_methods,
    .tp_getset = MB_getset,
    .tp_as_sequence = &MB_as_sequence,
};

static struct PyModuleDef accel_module = {
    PyModuleDef_HEAD_INIT, "sextant._accel",
    "The optional compiled hot path of Run.log_metrics (see _accel.c).", -1, NULL,
};

PyMODINIT_FUNC PyInit__accel(void)
{
    if (PyType_Ready(&MetricBufferType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&accel_module);
    if (!m)
        return NULL;
    Py_INCREF(&MetricBufferType);
    if (PyModule_AddObject(m, "MetricBuffer", (PyObject *)&MetricBufferType) < 0) {
        Py_DECREF(&MetricBufferType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

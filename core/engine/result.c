/* result.c: the rows of an executed statement.
 *
 * A result streams from its driver statement and releases it as soon as the
 * last row is read.  A statement that must finish before COMMIT (DML with
 * RETURNING run in autocommit) is buffered: its rows are copied into memory
 * first.  Values are handed out borrowed, straight from the driver. */
#include "engine_int.h"

#include <string.h>

static const char *colname(void *stmt, int i, const rt_driver *drv)
{
    const char *name = drv->colname(stmt, i);
    return name ? name : "?";
}

void rt_colnames_release(rt_colnames *cn)
{
    if (cn && --cn->refs == 0)
        rt_free(cn);
}

/* The statement's column names, in one allocation (the driver's names are
 * asked for once, or twice past NAMES_ON_STACK columns). */
#define NAMES_ON_STACK 32
static rt_colnames *new_colnames(void *stmt, const rt_driver *drv, int ncols)
{
    const char *names[NAMES_ON_STACK];
    int keep = ncols <= NAMES_ON_STACK;
    size_t size = sizeof(rt_colnames) + (size_t)ncols * sizeof(char *);
    for (int i = 0; i < ncols; i++) {
        const char *name = colname(stmt, i, drv);
        if (keep)
            names[i] = name;
        size += strlen(name) + 1;
    }
    rt_colnames *cn = rt_alloc(size);
    if (!cn)
        return NULL;
    cn->refs = 1;
    cn->n = ncols;
    char *p = (char *)(cn->names + ncols);
    for (int i = 0; i < ncols; i++) {
        const char *name = keep ? names[i] : colname(stmt, i, drv);
        size_t n = strlen(name) + 1;
        memcpy(p, name, n);
        cn->names[i] = p;
        p += n;
    }
    return cn;
}

/* Whether the statement's columns are still called what cn says (a
 * statement may be prepared again, after a schema change, with others). */
static int same_colnames(const rt_colnames *cn, void *stmt, const rt_driver *drv, int ncols)
{
    if (cn->n != ncols)
        return 0;
    for (int i = 0; i < ncols; i++)
        if (strcmp(cn->names[i], colname(stmt, i, drv)) != 0)
            return 0;
    return 1;
}

/* Sets r->names from the statement's (made anew when they changed; asked
 * of the driver only when its shape() changed or is unknown). */
static int take_colnames(rt_result *r, rt_stmt *s, const rt_driver *drv)
{
    rt_colnames *cn = s->names;
    int shape = drv->shape ? drv->shape(s->handle) : -1;
    if (!cn || ((shape < 0 || shape != s->names_shape) &&
                !same_colnames(cn, s->handle, drv, r->ncols))) {
        cn = new_colnames(s->handle, drv, r->ncols);
        if (!cn)
            return -1;
        rt_colnames_release(s->names);
        s->names = cn;
    }
    s->names_shape = shape;
    cn->refs++;
    r->names = cn;
    return 0;
}

int rt_result_new(rt_conn *c, rt_stmt *s, int has_row, int autocommit, rt_result **out,
                  rt_error *err)
{
    const rt_driver *drv = c->dbc->drv;
    rt_result *r = rt_calloc(1, sizeof *r);
    *out = NULL;
    if (!r)
        return rt_error_oom(err);
    r->ncols = drv->ncols(s->handle);
    r->rowcount = -1;
    r->lastrowid = drv->lastrowid(s->handle);
    r->autocommit = autocommit;
    if (r->ncols && take_colnames(r, s, drv) < 0) {
        r->stmt = NULL;
        rt_result_free(r);
        return rt_error_oom(err);
    }
    rt_conn_attach_result(c, r);
    r->stmt = s;
    r->has_row = has_row;
    if (!r->ncols)
        rt_result_close(r);
    *out = r;
    return 0;
}

int rt_result_ncols(const rt_result *r) { return r->ncols; }
const char *rt_result_colname(const rt_result *r, int i) { return r->names->names[i]; }
int rt_result_returns_rows(const rt_result *r) { return r->ncols > 0; }
int64_t rt_result_rowcount(const rt_result *r) { return r->rowcount; }
int64_t rt_result_lastrowid(const rt_result *r) { return r->lastrowid; }
int rt_result_autocommit(const rt_result *r) { return r->autocommit; }
int rt_result_closed(const rt_result *r) { return r->closed; }

static void release_stmt(rt_result *r)
{
    if (r->stmt && r->conn && r->conn->dbc)
        rt_dbconn_release_stmt(r->conn->dbc, r->stmt);
    r->stmt = NULL;
}

void rt_result_close(rt_result *r)
{
    if (r->closed)
        return;
    r->closed = 1;
    r->has_row = 0;
    release_stmt(r);
}

static void free_buffer(rt_result *r)
{
    for (size_t i = 0; i < r->nstore; i++)
        rt_free(r->store[i]);
    rt_free(r->store);
    rt_free(r->rows);
    r->store = NULL;
    r->rows = NULL;
    r->nrows = r->nstore = 0;
}

void rt_result_free(rt_result *r)
{
    if (!r)
        return;
    rt_result_close(r);
    if (r->conn)
        rt_conn_detach_result(r->conn, r);
    rt_colnames_release(r->names);
    free_buffer(r);
    rt_free(r);
}

int rt_result_next(rt_result *r, rt_error *err)
{
    if (r->rows) {
        if (r->pos < r->nrows) {
            r->pos++;
            return 1;
        }
        rt_result_close(r);
        return 0;
    }
    if (r->closed || !r->stmt)
        return 0;
    if (r->has_row == 1) {      /* the row run() positioned on */
        r->has_row = 2;
        return 1;
    }
    if (r->has_row == 0) {      /* run() found no rows: do not step past the end */
        rt_result_close(r);
        return 0;
    }
    int rc = r->stmt->drv->step(r->stmt->handle, err);
    if (rc == 1)
        return 1;
    if (rc < 0 && err->disconnect && r->conn) {
        rt_conn_handle_disconnect(r->conn);
        return -1;
    }
    rt_result_close(r);
    return rc;
}

void rt_result_value(rt_result *r, int i, rt_value *out)
{
    if (r->rows) {
        *out = r->pos ? r->rows[(r->pos - 1) * (size_t)r->ncols + (size_t)i] : rt_value_null();
        return;
    }
    if (!r->stmt || i < 0 || i >= r->ncols) {
        *out = rt_value_null();
        return;
    }
    r->stmt->drv->column(r->stmt->handle, i, out);
}

void rt_result_values(rt_result *r, rt_value *out)
{
    if (r->rows) {
        for (int i = 0; i < r->ncols; i++)
            out[i] = r->pos ? r->rows[(r->pos - 1) * (size_t)r->ncols + (size_t)i]
                            : rt_value_null();
        return;
    }
    if (!r->stmt) {
        for (int i = 0; i < r->ncols; i++)
            out[i] = rt_value_null();
        return;
    }
    void (*column)(void *, int, rt_value *) = r->stmt->drv->column;
    void *h = r->stmt->handle;
    for (int i = 0; i < r->ncols; i++)
        column(h, i, &out[i]);
}

/* Copies the current row into the buffer (growing it). */
static int keep_row(rt_result *r, size_t *cap, size_t *storecap)
{
    size_t nc = (size_t)r->ncols;
    if (r->nrows == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        rt_value *rows = rt_realloc(r->rows, ncap * nc * sizeof *rows);
        if (!rows)
            return -1;
        r->rows = rows;
        *cap = ncap;
    }
    for (size_t i = 0; i < nc; i++) {
        rt_value v;
        r->stmt->drv->column(r->stmt->handle, (int)i, &v);
        if (v.type == RT_TEXT || v.type == RT_BLOB) {
            if (r->nstore == *storecap) {
                size_t ncap = *storecap ? *storecap * 2 : 8;
                char **st = rt_realloc(r->store, ncap * sizeof *st);
                if (!st)
                    return -1;
                r->store = st;
                *storecap = ncap;
            }
            char *copy = rt_strndup(v.u.s.p, v.u.s.n);
            if (!copy)
                return -1;
            r->store[r->nstore++] = copy;
            v.u.s.p = copy;
        }
        r->rows[r->nrows * nc + i] = v;
    }
    r->nrows++;
    return 0;
}

int rt_result_buffer(rt_result *r, rt_error *err)
{
    size_t cap = 0, storecap = 0;
    if (r->rows || r->closed)
        return 0;
    int rc = r->has_row == 2 ? r->stmt->drv->step(r->stmt->handle, err) : r->has_row;
    while (rc == 1) {
        if (keep_row(r, &cap, &storecap) < 0) {
            free_buffer(r);
            return rt_error_oom(err);
        }
        rc = r->stmt->drv->step(r->stmt->handle, err);
    }
    release_stmt(r);
    r->has_row = 0;
    if (rc < 0) {
        free_buffer(r);
        r->closed = 1;
        return -1;
    }
    if (!r->rows)   /* no rows: an empty buffer still marks the mode */
        r->rows = rt_calloc(1, sizeof *r->rows);
    r->pos = 0;
    return r->rows ? 0 : rt_error_oom(err);
}

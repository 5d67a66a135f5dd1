/* connection.c: a Connection: one checked-out database connection, statement
 * execution with echo, autocommit of DML outside a transaction (SQLAlchemy
 * 1.x), and recovery from errors and disconnects.  Transactions and savepoints
 * are in transaction.c. */
#include "engine_int.h"

#include <stdio.h>
#include <string.h>

int rt_engine_connect(rt_engine *e, rt_conn **out, rt_error *err)
{
    rt_conn *c = rt_calloc(1, sizeof *c);
    *out = NULL;
    if (!c)
        return rt_error_oom(err);
    if (rt_pool_checkout(e->pool, &c->dbc, err) < 0) {
        rt_free(c);
        return -1;
    }
    c->engine = rt_engine_retain(e);
    c->next_id = 1;
    *out = c;
    return 0;
}

int rt_conn_closed(const rt_conn *c) { return c->closed; }
rt_engine *rt_conn_engine(const rt_conn *c) { return c->engine; }
int rt_conn_invalidated(const rt_conn *c) { return c->invalidated; }

static void close_results(rt_conn *c)
{
    while (c->results) {
        rt_result *r = c->results;
        rt_result_close(r);            /* releases its statement */
        rt_conn_detach_result(c, r);
    }
}

void rt_conn_attach_result(rt_conn *c, rt_result *r)
{
    r->conn = c;
    r->prev = NULL;
    r->next = c->results;
    if (c->results)
        c->results->prev = r;
    c->results = r;
}

/* Constant time: results not yet collected by Lua may be many. */
void rt_conn_detach_result(rt_conn *c, rt_result *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else if (c->results == r)
        c->results = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->next = r->prev = NULL;
    r->conn = NULL;
}

void rt_conn_close(rt_conn *c)
{
    rt_error err;
    if (c->closed)
        return;
    close_results(c);
    if (c->nframes) {
        rt_error_init(&err);
        rt_conn_rollback(c, c->frames[0].id, &err);
        rt_error_clear(&err);
    }
    c->nframes = 0;
    if (c->dbc)
        rt_pool_checkin(c->engine->pool, c->dbc);
    c->dbc = NULL;
    c->closed = 1;
}

void rt_conn_free(rt_conn *c)
{
    if (!c)
        return;
    rt_conn_close(c);
    rt_free(c->frames);
    rt_engine_release(c->engine);
    rt_free(c);
}

void rt_conn_handle_disconnect(rt_conn *c)
{
    close_results(c);
    if (c->dbc)
        rt_pool_invalidate(c->engine->pool, c->dbc);
    c->dbc = NULL;
    if (c->nframes)
        c->invalidated = 1;
}

void rt_conn_invalidate(rt_conn *c)
{
    if (!c->closed)
        rt_conn_handle_disconnect(c);
}

int rt_conn_ensure(rt_conn *c, rt_error *err)
{
    if (c->closed)
        return rt_error_set(err, RT_ERR_RESOURCE_CLOSED, "This Connection is closed");
    if (c->invalidated)
        return rt_error_set(err, RT_ERR_INVALID_REQUEST,
                            "Can't reconnect until invalid transaction is rolled back");
    if (!c->dbc)
        return rt_pool_checkout(c->engine->pool, &c->dbc, err);
    return 0;
}

/* Runs one statement of transaction control, echoed. */
static int control(rt_conn *c, const char *sql, const char *echo, rt_error *err)
{
    if (c->engine->echo)
        rt_echo_line(c->engine, echo ? echo : sql);
    return rt_dbconn_exec(c->dbc, sql, err);
}

/* A connection shared by several checkouts (StaticPool: an in-memory SQLite
 * database has one) may hold another checkout's transaction: BEGIN there
 * would fail, and COMMIT or ROLLBACK would end that transaction.  This
 * Connection's transaction becomes a SAVEPOINT inside it instead, released
 * or rolled back to.  Returns 1 when sql was run so, 0 when it is not such
 * a case. */
static int shared_control(rt_conn *c, const char *sql, int *rc, rt_error *err)
{
    char name[48], stmt[80];
    if (!c->shared_savepoint) {
        if (c->dbc->shares < 2 || !c->dbc->in_txn || strcmp(sql, "BEGIN") != 0)
            return 0;
        c->shared_savepoint = ++c->dbc->next_shared_savepoint;
        snprintf(name, sizeof name, "rt_shared_%u", c->shared_savepoint);
        snprintf(stmt, sizeof stmt, "SAVEPOINT %s", name);
        if ((*rc = control(c, stmt, NULL, err)) < 0)
            c->shared_savepoint = 0;
        return 1;
    }
    int commit = strcmp(sql, "COMMIT") == 0;
    if (!commit && strcmp(sql, "ROLLBACK") != 0)
        return 0;
    snprintf(name, sizeof name, "rt_shared_%u", c->shared_savepoint);
    c->shared_savepoint = 0;
    *rc = 0;
    if (!commit) {
        snprintf(stmt, sizeof stmt, "ROLLBACK TO SAVEPOINT %s", name);
        *rc = control(c, stmt, NULL, err);
    }
    if (*rc == 0) {
        snprintf(stmt, sizeof stmt, "RELEASE SAVEPOINT %s", name);
        *rc = control(c, stmt, NULL, err);
    }
    return 1;
}

int rt_conn_exec_control(rt_conn *c, const char *sql, const char *echo, rt_error *err)
{
    int rc;
    if (shared_control(c, sql, &rc, err)) {
        if (rc < 0 && err->disconnect)
            rt_conn_handle_disconnect(c);
        return rc;
    }
    rc = control(c, sql, echo, err);
    if (strcmp(sql, "BEGIN") == 0)
        c->dbc->in_txn = rc == 0;
    else if (strcmp(sql, "ROLLBACK") == 0 || (rc == 0 && strcmp(sql, "COMMIT") == 0))
        c->dbc->in_txn = 0;   /* a failed COMMIT may leave the transaction open */
    if (rc < 0 && err->disconnect)
        rt_conn_handle_disconnect(c);
    return rc;
}

int rt_conn_compile(rt_conn *c, rt_node *stmt, rt_compiled **out, rt_error *err)
{
    return rt_compile(stmt, c->engine->dialect, out, err);
}

/* Runs every parameter set; returns the first run()'s row flag, or -1. */
static int run_sets(rt_conn *c, rt_stmt *s, rt_compiled *cp, const rt_value *params,
                    size_t nsets, int64_t *changes, rt_error *err)
{
    const rt_driver *drv = c->dbc->drv;
    size_t n = cp->nslots;
    int rc = 0;
    *changes = 0;
    for (size_t i = 0; i < (nsets ? nsets : 1); i++) {
        rc = drv->run(s->handle, nsets ? params + i * n : NULL, nsets ? n : 0, err);
        if (rc < 0)
            return -1;
        int64_t ch = drv->changes(s->handle);
        *changes = ch < 0 || *changes < 0 ? -1 : *changes + ch;
    }
    return rc;
}

static int finish_autocommit(rt_conn *c, rt_result *r, rt_error *err)
{
    if (rt_result_returns_rows(r) && rt_result_buffer(r, err) < 0)
        return -1;
    return rt_conn_exec_control(c, "COMMIT", NULL, err);
}

int rt_conn_execute(rt_conn *c, rt_compiled *cp, const rt_value *params, size_t nsets,
                    rt_result **out, rt_error *err)
{
    rt_stmt *s = NULL;
    rt_result *r = NULL;
    int64_t changes;
    *out = NULL;
    if (rt_conn_ensure(c, err) < 0)
        return -1;
    if (nsets == 0 && cp->nslots > 0)
        return rt_error_set(err, RT_ERR_INVALID_REQUEST,
                            "A value is required for bind parameter '%s'", cp->slot_names[0]);
    int autocommit = cp->autocommit && c->nframes == 0;
    if (autocommit && rt_conn_exec_control(c, "BEGIN", "BEGIN (implicit)", err) < 0)
        return -1;
    if (c->engine->echo)
        rt_echo_statement(c->engine, cp->sql, params, cp->nslots, nsets);
    if (c->engine->fail_at > 0 && --c->engine->fail_at == 0) {
        rt_error_set(err, RT_ERR_OPERATIONAL, "injected failure");
        goto fail;
    }
    if (rt_dbconn_prepare(c->dbc, cp->sql, cp->nslots, &s, err) < 0)
        goto fail;
    int has_row = run_sets(c, s, cp, params, nsets, &changes, err);
    if (has_row < 0)
        goto fail;
    if (rt_result_new(c, s, has_row, autocommit, &r, err) < 0)
        goto fail;
    s = NULL;   /* the result owns it now */
    r->rowcount = changes;
    if (autocommit && finish_autocommit(c, r, err) < 0) {
        rt_result_free(r);
        r = NULL;
        goto fail;
    }
    *out = r;
    return 0;
fail:
    if (!err->statement)
        rt_error_set_statement(err, cp->sql, params, cp->nslots, nsets);
    if (s)
        rt_dbconn_release_stmt(c->dbc, s);
    if (err->disconnect) {
        rt_conn_handle_disconnect(c);
    } else if (c->dbc && autocommit && c->dbc->in_txn) {
        rt_error ignored;
        rt_error_init(&ignored);
        rt_conn_exec_control(c, "ROLLBACK", NULL, &ignored);
        rt_error_clear(&ignored);
    }
    return -1;
}

int rt_conn_execute_rowids(rt_conn *c, rt_compiled *cp, const rt_value *params, size_t nsets,
                           int64_t *rowids, rt_error *err)
{
    if (rt_conn_ensure(c, err) < 0)
        return -1;
    if (cp->autocommit && c->nframes == 0) {   /* a transaction per row: the general path */
        for (size_t i = 0; i < nsets; i++) {
            rt_result *r;
            if (rt_conn_execute(c, cp, params + i * cp->nslots, 1, &r, err) < 0)
                return -1;
            rowids[i] = rt_result_lastrowid(r);
            rt_result_free(r);
        }
        return 0;
    }
    rt_stmt *s = NULL;
    const rt_value *set = params;
    size_t i = 0;
    for (; i < nsets; i++) {
        set = params + i * cp->nslots;
        if (c->engine->echo)
            rt_echo_statement(c->engine, cp->sql, set, cp->nslots, 1);
        if (c->engine->fail_at > 0 && --c->engine->fail_at == 0) {
            rt_error_set(err, RT_ERR_OPERATIONAL, "injected failure");
            goto fail;
        }
        if (!s && rt_dbconn_prepare(c->dbc, cp->sql, cp->nslots, &s, err) < 0)
            goto fail;
        int rc = c->dbc->drv->run(s->handle, set, cp->nslots, err);
        if (rc < 0)
            goto fail;
        if (rc > 0) {
            rt_error_set(err, RT_ERR_INTERNAL, "rt_conn_execute_rowids: the statement "
                                               "returned rows");
            goto fail;
        }
        rowids[i] = c->dbc->drv->lastrowid(s->handle);
    }
    if (s)
        rt_dbconn_release_stmt(c->dbc, s);
    return 0;
fail:
    if (!err->statement)
        rt_error_set_statement(err, cp->sql, set, cp->nslots, 1);
    if (s)
        rt_dbconn_release_stmt(c->dbc, s);
    if (err->disconnect)
        rt_conn_handle_disconnect(c);
    return -1;
}

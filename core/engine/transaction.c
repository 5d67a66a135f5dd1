/* transaction.c: the stack of open transactions on a Connection.
 *
 * The outermost frame is the real transaction (BEGIN ... COMMIT/ROLLBACK).
 * begin() inside it pushes a marker, as SQLAlchemy 1.x's sub-transactions:
 * committing a marker does nothing, rolling it back rolls back the frame it
 * sits in.  begin_nested() pushes a SAVEPOINT.  Ending a frame discards every
 * frame begun after it; a handle whose frame is gone is inactive. */
#include "engine_int.h"

#include <stdio.h>

static int push(rt_conn *c, txn_kind kind, unsigned savepoint, rt_txn *out, rt_error *err)
{
    if (c->nframes == c->capframes) {
        size_t cap = c->capframes ? c->capframes * 2 : 4;
        txn_frame *f = rt_realloc(c->frames, cap * sizeof *f);
        if (!f)
            return rt_error_oom(err);
        c->frames = f;
        c->capframes = cap;
    }
    txn_frame *f = &c->frames[c->nframes++];
    f->kind = kind;
    f->id = c->next_id++;
    f->savepoint = savepoint;
    if (out)
        *out = f->id;
    return 0;
}

static long find(const rt_conn *c, rt_txn t)
{
    for (size_t i = 0; i < c->nframes; i++)
        if (c->frames[i].id == t)
            return (long)i;
    return -1;
}

int rt_txn_is_active(const rt_conn *c, rt_txn t) { return find(c, t) >= 0; }
int rt_conn_in_transaction(const rt_conn *c) { return c->nframes > 0; }

static int begin_root(rt_conn *c, rt_txn *out, rt_error *err)
{
    if (rt_conn_exec_control(c, "BEGIN", "BEGIN (implicit)", err) < 0)
        return -1;
    if (push(c, TXN_ROOT, 0, out, err) < 0) {
        rt_error ignored;
        rt_error_init(&ignored);
        rt_conn_exec_control(c, "ROLLBACK", NULL, &ignored);
        rt_error_clear(&ignored);
        return -1;
    }
    return 0;
}

int rt_conn_begin(rt_conn *c, rt_txn *out, rt_error *err)
{
    if (rt_conn_ensure(c, err) < 0)
        return -1;
    if (c->nframes)
        return push(c, TXN_MARKER, 0, out, err);
    return begin_root(c, out, err);
}

int rt_conn_begin_nested(rt_conn *c, rt_txn *out, rt_error *err)
{
    char sql[64];
    if (rt_conn_ensure(c, err) < 0)
        return -1;
    if (!c->nframes && begin_root(c, NULL, err) < 0)
        return -1;
    unsigned n = ++c->next_savepoint;
    snprintf(sql, sizeof sql, "SAVEPOINT sa_savepoint_%u", n);
    if (rt_conn_exec_control(c, sql, NULL, err) < 0)
        return -1;
    return push(c, TXN_SAVEPOINT, n, out, err);
}

/* Ends frame k and everything after it, with the SQL for `how`. */
static int end_frame(rt_conn *c, size_t k, int commit, rt_error *err)
{
    char sql[80];
    txn_frame f = c->frames[k];
    int rc = 0;
    c->nframes = k;
    if (!c->dbc) /* lost with its connection: nothing to send */
        return 0;
    if (f.kind == TXN_ROOT) {
        rc = rt_conn_exec_control(c, commit ? "COMMIT" : "ROLLBACK", NULL, err);
        if (rc < 0 && commit && c->dbc && c->dbc->in_txn) {
            rt_error ignored;
            rt_error_init(&ignored);
            rt_conn_exec_control(c, "ROLLBACK", NULL, &ignored);
            rt_error_clear(&ignored);
        }
    } else if (f.kind == TXN_SAVEPOINT) {
        snprintf(sql, sizeof sql, commit ? "RELEASE SAVEPOINT sa_savepoint_%u"
                                         : "ROLLBACK TO SAVEPOINT sa_savepoint_%u",
                 f.savepoint);
        rc = rt_conn_exec_control(c, sql, NULL, err);
    }
    return rc;
}

int rt_conn_commit(rt_conn *c, rt_txn t, rt_error *err)
{
    long k = find(c, t);
    if (k < 0)
        return rt_error_set(err, RT_ERR_INVALID_REQUEST, "This transaction is inactive");
    if (c->invalidated)
        return rt_error_set(err, RT_ERR_INVALID_REQUEST,
                            "Can't commit: the connection was lost; roll back the "
                            "transaction");
    if (c->frames[k].kind == TXN_MARKER) {
        c->nframes = (size_t)k;
        return 0;
    }
    return end_frame(c, (size_t)k, 1, err);
}

int rt_conn_rollback(rt_conn *c, rt_txn t, rt_error *err)
{
    long k = find(c, t);
    if (k < 0)
        return 0;   /* already ended: rolling back again is harmless */
    while (k > 0 && c->frames[k].kind == TXN_MARKER)
        k--;
    int rc = end_frame(c, (size_t)k, 0, err);
    if (c->nframes == 0)
        c->invalidated = 0;
    return rc;
}

/* session.c: the Session: which instances belong to it (the identity map
 * for those with an identity, the held list for those it must keep), its
 * connection and transaction (begun lazily on first use, as SQLAlchemy 1.x
 * does), and the lifecycle operations: add, delete, expunge, merge, get,
 * expire, refresh, commit, rollback, close, SAVEPOINTs.  Flushing is
 * unitofwork.c's; loading rows is query.c's. */
#include "orm_int.h"

#include <string.h>

/* === state vectors === */

int orm_vec_push(state_vec *v, rt_state *st)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        rt_state **p = rt_realloc(v->items, cap * sizeof *p);
        if (!p)
            return -1;
        v->items = p;
        v->cap = cap;
    }
    v->items[v->n++] = st;
    return 0;
}

void orm_vec_remove(state_vec *v, rt_state *st)
{
    for (size_t i = v->n; i-- > 0;)
        if (v->items[i] == st) {
            memmove(&v->items[i], &v->items[i + 1], (v->n - i - 1) * sizeof *v->items);
            v->n--;
            return;
        }
}

void orm_vec_free(state_vec *v)
{
    rt_free(v->items);
    v->items = NULL;
    v->n = v->cap = 0;
}

/* A retained copy of a vector, so that callers may change the original. */
static rt_state **snapshot(const rt_state *const *items, size_t n)
{
    rt_state **copy = rt_calloc(n ? n : 1, sizeof *copy);
    if (copy)
        for (size_t i = 0; i < n; i++)
            copy[i] = rt_state_retain((rt_state *)items[i]);
    return copy;
}

static void release_all(rt_state **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        rt_state_release(items[i]);
    rt_free(items);
}

/* === holding and forgetting === */

int orm_session_hold(rt_session *s, rt_state *st, rt_error *err)
{
    if (st->held)
        return 0;
    if (orm_vec_push(&s->held, st) < 0)
        return rt_error_oom(err);
    st->held = 1;
    rt_state_retain(st);
    return 0;
}

void orm_session_unhold(rt_session *s, rt_state *st)
{
    if (!st->held)
        return;
    st->held = 0;
    orm_vec_remove(&s->held, st);
    rt_state_release(st);
}

void orm_session_unhold_if(rt_session *s, int (*drop)(const rt_state *st))
{
    size_t k = 0;
    for (size_t i = 0; i < s->held.n; i++) {
        rt_state *st = s->held.items[i];
        if (drop(st)) {
            st->held = 0;
            rt_state_release(st);
        } else {
            s->held.items[k++] = st;
        }
    }
    s->held.n = k;
}

void orm_session_forget(rt_session *s, rt_state *st)
{
    orm_identity_remove(s->identity, st);
    orm_vec_remove(&s->inserted, st);
    st->session = NULL;
}

/* The fields of a state that leaves its session with this status. */
static void set_detached(rt_state *st, rt_state_status status)
{
    st->session = NULL;
    st->status = status;
    st->marked_deleted = 0;
    st->inserted_in_txn = st->deleted_level = 0;
    if (status == RT_STATE_TRANSIENT)
        orm_state_key_free(st);
}

void orm_session_detach(rt_session *s, rt_state *st, rt_state_status status)
{
    orm_identity_remove(s->identity, st);
    orm_vec_remove(&s->inserted, st);
    set_detached(st, status);
    if (st->held) {
        st->held = 0;
        orm_vec_remove(&s->held, st);
        rt_state_release(st);
    }
}

/* === creation === */

rt_session *rt_session_new(rt_engine *e, rt_error *err)
{
    rt_session *s = rt_calloc(1, sizeof *s);
    if (!s || !(s->identity = orm_identity_new())) {
        rt_free(s);
        rt_error_oom(err);
        return NULL;
    }
    s->engine = rt_engine_retain(e);
    s->autoflush = 1;
    s->expire_on_commit = 1;
    return s;
}

void rt_session_free(rt_session *s)
{
    if (!s)
        return;
    rt_session_close(s);
    orm_identity_free(s->identity);
    orm_vec_free(&s->held);
    orm_vec_free(&s->inserted);
    rt_engine_release(s->engine);
    rt_free(s);
}

rt_engine *rt_session_engine(const rt_session *s) { return s->engine; }
void rt_session_set_hooks(rt_session *s, const rt_orm_hooks *h) { s->hooks = *h; }
void rt_session_set_autoflush(rt_session *s, int on) { s->autoflush = on; }
void rt_session_set_expire_on_commit(rt_session *s, int on) { s->expire_on_commit = on; }

int rt_session_in_transaction(const rt_session *s)
{
    return s->conn && s->txn && rt_txn_is_active(s->conn, s->txn);
}

int rt_session_connection(rt_session *s, rt_conn **out, rt_error *err)
{
    if (!s->engine)
        return rt_error_set(err, RT_ERR_INVALID_REQUEST,
                            "This session is not bound to an engine or connection");
    if (!s->conn && rt_engine_connect(s->engine, &s->conn, err) < 0)
        return -1;
    if (!s->txn || !rt_txn_is_active(s->conn, s->txn)) {
        s->txn = 0;
        s->txn_has_writes = 0;
        s->nest_level = 0;
        if (rt_conn_begin(s->conn, &s->txn, err) < 0)
            return -1;
    }
    *out = s->conn;
    return 0;
}

static void end_connection(rt_session *s)
{
    rt_conn_free(s->conn);
    s->conn = NULL;
    s->txn = 0;
    s->txn_has_writes = 0;
    s->nest_level = 0;
}

/* === add, delete, expunge === */

static int check_owner(rt_session *s, rt_state *st, rt_error *err)
{
    if (st->session && st->session != s)
        return rt_error_set(err, RT_ERR_INVALID_REQUEST,
                            "Object of class %s is already attached to another session",
                            st->mapper->class_name);
    return 0;
}

int rt_session_add(rt_session *s, rt_state *st, rt_error *err)
{
    if (check_owner(s, st, err) < 0)
        return -1;
    if (st->session == s)
        return 0;
    switch (st->status) {
    case RT_STATE_TRANSIENT:
        if (orm_session_hold(s, st, err) < 0)
            return -1;
        st->session = s;
        st->status = RT_STATE_PENDING;
        return orm_dep_cascade_add(s, st, err);
    case RT_STATE_DETACHED:
        if (orm_identity_get(s->identity, st->key))
            return rt_error_set(err, RT_ERR_INVALID_REQUEST,
                                "Can't attach instance; another instance with key %s is "
                                "already present in this session", st->key);
        if (rt_state_modified(st) && orm_session_hold(s, st, err) < 0)
            return -1;
        if (orm_identity_add(s->identity, st, err) < 0)
            return -1;
        st->session = s;
        st->status = RT_STATE_PERSISTENT;
        return orm_dep_cascade_add(s, st, err);
    default:
        return rt_error_set(err, RT_ERR_INVALID_REQUEST, "Instance of %s has been deleted",
                            st->mapper->class_name);
    }
}

int rt_session_delete(rt_session *s, rt_state *st, rt_error *err)
{
    if (check_owner(s, st, err) < 0)
        return -1;
    if (st->status == RT_STATE_TRANSIENT || st->status == RT_STATE_PENDING)
        return rt_error_set(err, RT_ERR_INVALID_REQUEST, "Instance of %s is not persisted",
                            st->mapper->class_name);
    if (st->status == RT_STATE_DELETED)
        return 0;
    if (st->status == RT_STATE_DETACHED && rt_session_add(s, st, err) < 0)
        return -1;
    if (st->marked_deleted)
        return 0;
    if (orm_dep_cascade_delete(s, st, err) < 0 || orm_session_hold(s, st, err) < 0)
        return -1;
    st->marked_deleted = 1;
    return 0;
}

void orm_session_expunge_one(rt_session *s, rt_state *st)
{
    if (st->session != s)
        return;
    rt_state_retain(st);
    orm_session_detach(s, st, st->status == RT_STATE_PENDING ? RT_STATE_TRANSIENT
                                                             : RT_STATE_DETACHED);   /* as expunge_unheld */
    rt_state_release(st);
}

/* Every state of the session (identity map and held), retained. */
static int all_states(rt_session *s, rt_state ***out, size_t *n, rt_error *err)
{
    rt_state **ids;
    size_t nids;
    if (orm_identity_all(s->identity, &ids, &nids) < 0)
        return rt_error_oom(err);
    rt_state **arr = rt_calloc(nids + s->held.n + 1, sizeof *arr);
    if (!arr) {
        rt_free(ids);
        return rt_error_oom(err);
    }
    size_t k = 0;
    for (size_t i = 0; i < nids; i++)
        arr[k++] = rt_state_retain(ids[i]);
    for (size_t i = 0; i < s->held.n; i++)
        if (!s->held.items[i]->key || orm_identity_get(s->identity, s->held.items[i]->key) !=
                                          s->held.items[i])
            arr[k++] = rt_state_retain(s->held.items[i]);
    rt_free(ids);
    *out = arr;
    *n = k;
    return 0;
}

/* orm_session_expunge_one of a state that is not held, the identity map
 * being emptied at once afterwards. */
static void expunge_unheld(rt_state *st, void *s)
{
    if (st->session == s)
        set_detached(st, st->status == RT_STATE_PENDING ? RT_STATE_TRANSIENT
                                                        : RT_STATE_DETACHED);
}

void rt_session_expunge_all(rt_session *s)
{
    rt_state **arr;
    size_t n;
    rt_error err;
    rt_error_init(&err);
    if (!s->held.n && !s->inserted.n) {
        /* only states the session holds no reference on (a session that
         * only loaded): nothing to retain or release */
        orm_identity_each(s->identity, expunge_unheld, s);
        orm_identity_clear(s->identity);
        return;
    }
    if (all_states(s, &arr, &n, &err) < 0) {
        rt_error_clear(&err);
        return;
    }
    orm_identity_clear(s->identity);   /* all of them go: no removal one by one */
    for (size_t i = 0; i < n; i++)
        if (arr[i]->session == s)
            orm_session_expunge_one(s, arr[i]);
    release_all(arr, n);
}

/* === sets === */

int rt_session_states(rt_session *s, rt_session_set which, rt_state ***out, size_t *n,
                      rt_error *err)
{
    if (which == RT_SESSION_ALL) {
        if (all_states(s, out, n, err) < 0)
            return -1;
        for (size_t i = 0; i < *n; i++)
            rt_state_release((*out)[i]);   /* the session keeps them while we return */
        return 0;
    }
    rt_state **arr = rt_calloc(s->held.n + 1, sizeof *arr);
    if (!arr)
        return rt_error_oom(err);
    size_t k = 0;
    for (size_t i = 0; i < s->held.n; i++) {
        rt_state *st = s->held.items[i];
        int in = 0;
        if (which == RT_SESSION_NEW)
            in = st->status == RT_STATE_PENDING;
        else if (which == RT_SESSION_DELETED)
            in = st->marked_deleted;
        else
            in = st->status == RT_STATE_PERSISTENT && !st->marked_deleted && rt_state_modified(st);
        if (in)
            arr[k++] = st;
    }
    *out = arr;
    *n = k;
    return 0;
}

/* === expiry, transactions === */

void orm_session_undo_writes(rt_session *s, rt_conn *c, rt_txn sp)
{
    rt_error ignored;
    rt_error_init(&ignored);
    if (sp)
        rt_conn_rollback(c, sp, &ignored);
    else if (s->txn) {
        rt_conn_rollback(c, s->txn, &ignored);
        s->txn = 0;
    }
    rt_error_clear(&ignored);
}

void orm_session_expire_one(rt_session *s, rt_state *st)
{
    if (st->session != s)
        return;
    orm_state_expire(st, 1);
    if (st->status == RT_STATE_PERSISTENT && !st->marked_deleted)
        orm_session_unhold(s, st);
}

void rt_session_expire_all(rt_session *s)
{
    rt_state **arr;
    size_t n;
    rt_error err;
    rt_error_init(&err);
    if (all_states(s, &arr, &n, &err) < 0) {
        rt_error_clear(&err);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (arr[i]->status == RT_STATE_PERSISTENT)
            orm_session_expire_one(s, arr[i]);
    release_all(arr, n);
}

/* After the transaction ended: deleted instances leave; with rollback,
 * what the transaction did to instances is undone.  level: states changed at
 * this begin_nested level or deeper (1: the whole transaction). */
static void after_end(rt_session *s, int rollback, int level)
{
    rt_state **held = snapshot((const rt_state *const *)s->held.items, s->held.n);
    size_t nheld = s->held.n;
    rt_state **ins = snapshot((const rt_state *const *)s->inserted.items, s->inserted.n);
    size_t nins = s->inserted.n;
    if (!held || !ins) {
        rt_free(held);
        rt_free(ins);
        return;
    }
    for (size_t i = 0; rollback && i < nins; i++)
        if (ins[i]->session == s && ins[i]->inserted_in_txn >= level)
            orm_session_detach(s, ins[i], RT_STATE_TRANSIENT);
    for (size_t i = 0; i < nheld; i++) {
        rt_state *st = held[i];
        if (st->session != s)
            continue;
        if (st->status == RT_STATE_DELETED && st->deleted_level >= level) {
            if (!rollback) {
                orm_session_detach(s, st, RT_STATE_DETACHED);
                continue;
            }
            rt_error err;
            rt_error_init(&err);
            st->status = RT_STATE_PERSISTENT;
            st->deleted_level = 0;
            if (orm_identity_add(s->identity, st, &err) < 0)
                rt_error_clear(&err);
            orm_session_unhold(s, st);
        } else if (rollback && st->status == RT_STATE_PENDING) {
            orm_session_detach(s, st, RT_STATE_TRANSIENT);
        } else if (rollback && st->marked_deleted) {
            st->marked_deleted = 0;
            orm_state_reset(st);
            orm_session_unhold(s, st);
        } else if (rollback && st->status == RT_STATE_PERSISTENT) {
            orm_state_reset(st);
            orm_session_unhold(s, st);
        }
    }
    if (!rollback && level == 1)
        for (size_t i = 0; i < nins; i++)
            ins[i]->inserted_in_txn = 0;
    if (!rollback && level == 1)
        s->inserted.n = 0;
    release_all(held, nheld);
    release_all(ins, nins);
    if (rollback || (level == 1 && s->expire_on_commit))
        rt_session_expire_all(s);
}

int rt_session_commit(rt_session *s, rt_error *err)
{
    if (rt_session_flush(s, err) < 0)
        return -1;
    if (s->conn && s->txn && rt_txn_is_active(s->conn, s->txn)) {
        if (rt_conn_commit(s->conn, s->txn, err) < 0)
            return -1;
    }
    if (s->conn)
        end_connection(s);
    after_end(s, 0, 1);
    return 0;
}

int rt_session_rollback(rt_session *s, rt_error *err)
{
    int rc = 0;
    if (s->conn && s->txn && rt_txn_is_active(s->conn, s->txn))
        rc = rt_conn_rollback(s->conn, s->txn, err);
    if (s->conn)
        end_connection(s);
    after_end(s, 1, 1);
    return rc;
}

/* As SQLAlchemy: every instance is expunged first (keeping its values,
 * modified ones included), then the transaction rolls back. */
void rt_session_close(rt_session *s)
{
    rt_error err;
    rt_error_init(&err);
    rt_session_expunge_all(s);
    s->inserted.n = 0;
    if (s->conn && s->txn && rt_txn_is_active(s->conn, s->txn))
        rt_conn_rollback(s->conn, s->txn, &err);
    rt_error_clear(&err);
    if (s->conn)
        end_connection(s);
}

int rt_session_begin_nested(rt_session *s, rt_txn *out, rt_error *err)
{
    rt_conn *c;
    if (rt_session_flush(s, err) < 0 || rt_session_connection(s, &c, err) < 0)
        return -1;
    if (rt_conn_begin_nested(c, out, err) < 0)
        return -1;
    s->nest_level++;
    return 0;
}

int rt_session_commit_nested(rt_session *s, rt_txn t, rt_error *err)
{
    if (rt_session_flush(s, err) < 0)
        return -1;
    if (!s->conn || !rt_txn_is_active(s->conn, t))
        return rt_error_set(err, RT_ERR_INVALID_REQUEST, "This transaction is inactive");
    if (rt_conn_commit(s->conn, t, err) < 0)
        return -1;
    int level = s->nest_level + 1;
    if (s->nest_level > 0)
        s->nest_level--;
    for (size_t i = 0; i < s->inserted.n; i++)
        if (s->inserted.items[i]->inserted_in_txn >= level)
            s->inserted.items[i]->inserted_in_txn = level - 1;
    for (size_t i = 0; i < s->held.n; i++)
        if (s->held.items[i]->deleted_level >= level)
            s->held.items[i]->deleted_level = level - 1;
    return 0;
}

int rt_session_rollback_nested(rt_session *s, rt_txn t, rt_error *err)
{
    if (!s->conn || !rt_txn_is_active(s->conn, t))
        return rt_error_set(err, RT_ERR_INVALID_REQUEST, "This transaction is inactive");
    int rc = rt_conn_rollback(s->conn, t, err);
    int level = s->nest_level + 1;
    if (s->nest_level > 0)
        s->nest_level--;
    after_end(s, 1, level);
    return rc;
}

/* === identity lookups === */

rt_state *rt_session_identity_get(rt_session *s, rt_mapper *m, const rt_value *pk)
{
    const rt_value *ptrs[16];
    if (m->npk > 16)
        return NULL;
    for (size_t k = 0; k < m->npk; k++)
        ptrs[k] = &pk[k];
    rt_buf b;
    rt_buf_init(&b);
    orm_identity_key(m, ptrs, &b);
    rt_state *st = b.failed ? NULL : orm_identity_get(s->identity, rt_buf_str(&b));
    rt_buf_free(&b);
    return st;
}

int rt_session_has_changes(const rt_session *s)
{
    /* a flush plans from the held states only (orm_plan_build) */
    return s->held.n > 0;
}

int rt_session_get(rt_session *s, rt_mapper *m, const rt_value *pk, rt_state **out,
                   rt_error *err)
{
    *out = NULL;
    if (m->npk > 16)
        return rt_error_set(err, RT_ERR_ARGUMENT, "too many primary key columns");
    rt_state *st = rt_session_identity_get(s, m, pk);
    if (st) {
        /* an expired instance is loaded again, as SQLAlchemy's get() does */
        for (size_t i = 0; i < m->nattrs; i++)
            if (!rt_state_loaded(st, i) && st->status == RT_STATE_PERSISTENT) {
                if (rt_state_load_expired(st, err) < 0)
                    return -1;
                break;
            }
        *out = rt_state_retain(st);
        return 0;
    }
    if (rt_session_has_changes(s) && rt_session_autoflush(s, err) < 0)
        return -1;
    const rt_value *ptrs[16];
    for (size_t k = 0; k < m->npk; k++)
        ptrs[k] = &pk[k];
    return orm_load_by_pk(s, m, ptrs, NULL, 0, out, NULL, err);
}

int rt_state_load_expired(rt_state *st, rt_error *err)
{
    rt_session *s = st->session;
    if (!s || st->status != RT_STATE_PERSISTENT)
        return 0;
    const rt_value *ptrs[16];
    int found = 0;
    if (st->mapper->npk > 16)
        return rt_error_set(err, RT_ERR_ARGUMENT, "too many primary key columns");
    orm_state_pk(st, ptrs, 1);
    if (orm_load_by_pk(s, st->mapper, ptrs, st, 0, NULL, &found, err) < 0)
        return -1;
    if (!found)
        return rt_error_set(err, RT_ERR_INVALID_REQUEST,
                            "Instance of %s (key %s) has been deleted, or its row is "
                            "otherwise not present.", st->mapper->class_name, st->key);
    return 0;
}

int orm_session_merge_one(rt_session *s, rt_state *src, rt_state **out, rt_error *err)
{
    rt_mapper *m = src->mapper;
    *out = NULL;
    if (src->session == s) {
        *out = rt_state_retain(src);
        return 0;
    }
    rt_value *pk = rt_calloc(m->npk ? m->npk : 1, sizeof *pk);
    if (!pk)
        return rt_error_oom(err);
    int have_pk = 1;
    for (size_t k = 0; k < m->npk; k++) {
        pk[k] = *rt_state_get(src, m->pk[k]);
        have_pk &= pk[k].type != RT_NULL;
    }
    rt_state *target = NULL;
    int rc = have_pk ? rt_session_get(s, m, pk, &target, err) : 0;
    rt_free(pk);
    if (rc < 0)
        return -1;
    if (!target) {
        if (!(target = rt_state_new(m, err)))
            return -1;
        if (rt_session_add(s, target, err) < 0) {
            rt_state_release(target);
            return -1;
        }
    }
    for (size_t i = 0; i < m->nattrs; i++) {
        if (!rt_state_loaded(src, i))
            continue;
        if (rt_state_loaded(target, i) && orm_value_equal(rt_state_get(target, i),
                                                          rt_state_get(src, i)))
            continue;
        if (rt_state_set(target, i, rt_state_get(src, i), err) < 0) {
            rt_state_release(target);
            return -1;
        }
    }
    *out = target;
    return 0;
}

/* cascade.c: the cascades of session operations along relationships, as
 * SQLAlchemy's cascade_iterator: expunge, expire and refresh
 * ("refresh-expire") and merge reach the related objects whose
 * relationship carries the cascade, each object once, however the graph
 * loops.  Only loaded relationships are followed (nothing is loaded to
 * cascade), except by merge, which loads the target's side it replaces.
 * The save-update and delete cascades run at add and delete
 * (dependency.c). */
#include "orm_int.h"

#include <string.h>

static int visit(state_vec *v, rt_state *st, rt_error *err)
{
    if (st->cascade_mark)
        return 0;
    if (orm_vec_push(v, st) < 0)
        return rt_error_oom(err);
    rt_state_retain(st);
    st->cascade_mark = 1;
    return 0;
}

int orm_cascade_collect(rt_session *s, rt_state *st, unsigned bit, state_vec *v,
                        rt_error *err)
{
    if (visit(v, st, err) < 0)
        return -1;
    for (size_t i = 0; i < v->n; i++) {
        rt_state *x = v->items[i];
        for (size_t r = 0; r < x->nrels; r++) {
            if (!(x->mapper->rels[r].cascade & bit) || !x->rels[r].loaded)
                continue;
            state_vec *items = &x->rels[r].items;
            for (size_t j = 0; j < items->n; j++)
                if (items->items[j]->session == s && visit(v, items->items[j], err) < 0)
                    return -1;
        }
    }
    return 0;
}

void orm_cascade_release(state_vec *v)
{
    for (size_t i = 0; i < v->n; i++)
        v->items[i]->cascade_mark = 0;
    for (size_t i = 0; i < v->n; i++)
        rt_state_release(v->items[i]);
    orm_vec_free(v);
}

void rt_session_expunge(rt_session *s, rt_state *st)
{
    if (st->session != s)
        return;
    state_vec v = {0};
    rt_error err;
    rt_error_init(&err);
    orm_cascade_collect(s, st, RT_CASCADE_EXPUNGE, &v, &err);   /* OOM: what was reached */
    rt_error_clear(&err);
    if (v.n == 0)
        orm_session_expunge_one(s, st);
    for (size_t i = 0; i < v.n; i++)
        orm_session_expunge_one(s, v.items[i]);
    orm_cascade_release(&v);
}

void rt_session_expire(rt_session *s, rt_state *st)
{
    if (st->session != s)
        return;
    state_vec v = {0};
    rt_error err;
    rt_error_init(&err);
    orm_cascade_collect(s, st, RT_CASCADE_REFRESH, &v, &err);
    rt_error_clear(&err);
    if (v.n == 0)
        orm_session_expire_one(s, st);
    for (size_t i = 0; i < v.n; i++)
        if (v.items[i]->status == RT_STATE_PERSISTENT)
            orm_session_expire_one(s, v.items[i]);
    orm_cascade_release(&v);
}

int rt_session_refresh(rt_session *s, rt_state *st, rt_error *err)
{
    if (st->session != s || st->status != RT_STATE_PERSISTENT)
        return rt_error_set(err, RT_ERR_INVALID_REQUEST,
                            "Instance of %s is not persistent within this Session",
                            st->mapper->class_name);
    state_vec v = {0};
    int rc = orm_cascade_collect(s, st, RT_CASCADE_REFRESH, &v, err);
    for (size_t i = 0; i < v.n && rc == 0; i++) {
        rt_state *x = v.items[i];
        if (x->session != s || x->status != RT_STATE_PERSISTENT)
            continue;
        orm_session_expire_one(s, x);
        rc = rt_state_load_expired(x, err);
    }
    orm_cascade_release(&v);
    return rc;
}

/* === merge === */

typedef struct merge_memo {
    state_vec src, dst;     /* dst[i] is what src[i] became (both retained) */
} merge_memo;

static int merge_rec(rt_session *s, rt_state *src, merge_memo *memo, rt_state **out,
                     rt_error *err);

/* Relationship r of dst as the merged counterparts of src's members. */
static int merge_rel(rt_session *s, rt_state *src, rt_state *dst, size_t r, merge_memo *memo,
                     rt_error *err)
{
    const orm_rel *rel = &src->mapper->rels[r];
    state_vec *items = &src->rels[r].items;
    rt_state **merged = rt_calloc(items->n + 1, sizeof *merged);
    size_t n = 0;
    int rc = merged ? 0 : rt_error_oom(err);
    for (size_t i = 0; i < items->n && rc == 0; i++) {
        rt_state *m = NULL;
        if ((rc = merge_rec(s, items->items[i], memo, &m, err)) == 0)
            merged[n++] = m;                /* borrowed: the memo holds it */
    }
    if (rc == 0)
        rc = rel->uselist ? rt_state_rel_replace(dst, r, merged, n, err)
                          : rt_state_rel_set(dst, r, n ? merged[0] : NULL, err);
    rt_free(merged);
    return rc;
}

static int merge_rec(rt_session *s, rt_state *src, merge_memo *memo, rt_state **out,
                     rt_error *err)
{
    for (size_t i = 0; i < memo->src.n; i++)
        if (memo->src.items[i] == src) {
            *out = memo->dst.items[i];
            return 0;
        }
    rt_state *dst = NULL;
    if (orm_session_merge_one(s, src, &dst, err) < 0)
        return -1;
    if (orm_vec_push(&memo->src, src) < 0 || orm_vec_push(&memo->dst, dst) < 0) {
        if (memo->src.n > memo->dst.n)
            memo->src.n--;
        rt_state_release(dst);
        return rt_error_oom(err);
    }
    rt_state_retain(src);
    *out = dst;
    if (dst == src)
        return 0;                           /* already in this session */
    for (size_t r = 0; r < src->nrels; r++) {
        const orm_rel *rel = &src->mapper->rels[r];
        if ((rel->cascade & RT_CASCADE_MERGE) && rel->target && src->rels[r].loaded &&
            merge_rel(s, src, dst, r, memo, err) < 0)
            return -1;
    }
    return 0;
}

int rt_session_merge(rt_session *s, rt_state *src, rt_state **out, rt_error *err)
{
    merge_memo memo = {{0}, {0}};
    rt_state *dst = NULL;
    int autoflush = s->autoflush;
    s->autoflush = 0;                /* loads for a merge do not flush */
    int rc = merge_rec(s, src, &memo, &dst, err);
    s->autoflush = autoflush;
    *out = rc == 0 ? rt_state_retain(dst) : NULL;
    for (size_t i = 0; i < memo.src.n; i++) {
        rt_state_release(memo.src.items[i]);
        rt_state_release(memo.dst.items[i]);
    }
    orm_vec_free(&memo.src);
    orm_vec_free(&memo.dst);
    return rc;
}

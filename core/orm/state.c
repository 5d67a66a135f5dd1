/* state.c: instance state: what the session knows of one mapped object.
 * Current values per attribute with their text copied here, the value an
 * attribute had before it was modified (kept only for modified attributes,
 * so a clean instance costs one value per attribute), flags per attribute
 * (loaded, modified), the identity key and the lifecycle status.  A state
 * loaded from a row is one allocation holding its values' text and its
 * key; a new one keeps some room there for the text set on it and its key
 * (freeing skips payloads inside the state: orm_state_value_clear).  Changes
 * tell the owning session (a modified persistent instance must be held);
 * nothing here emits SQL. */
#include "orm_int.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

int orm_value_copy(rt_value *dst, const rt_value *src)
{
    *dst = *src;
    if (src->type == RT_TEXT || src->type == RT_BLOB) {
        char *p = rt_alloc(src->u.s.n + 1);
        if (!p) {
            *dst = rt_value_null();
            return -1;
        }
        if (src->u.s.n)
            memcpy(p, src->u.s.p, src->u.s.n);
        p[src->u.s.n] = 0;
        dst->u.s.p = p;
    }
    return 0;
}

void orm_value_clear(rt_value *v)
{
    if (v->type == RT_TEXT || v->type == RT_BLOB)
        rt_free((void *)v->u.s.p);
    *v = rt_value_null();
}

int orm_value_equal(const rt_value *a, const rt_value *b)
{
    if (a->type != b->type) {
        if (a->type == RT_INT && b->type == RT_FLOAT)
            return (double)a->u.i == b->u.f;
        if (a->type == RT_FLOAT && b->type == RT_INT)
            return a->u.f == (double)b->u.i;
        return 0;
    }
    switch (a->type) {
    case RT_NULL: return 1;
    case RT_INT: return a->u.i == b->u.i;
    case RT_FLOAT: return a->u.f == b->u.f;
    case RT_BOOL: return a->u.b == b->u.b;
    default:
        return a->u.s.n == b->u.s.n && (a->u.s.n == 0 || memcmp(a->u.s.p, b->u.s.p, a->u.s.n) == 0);
    }
}

/* "%p" as glibc prints it ("0x" and lowercase hex), and "%lld": written by
 * hand, as loading a row makes one key per row. */
static size_t put_ptr(char *o, const void *p)
{
    uintptr_t v = (uintptr_t)p;
    char tmp[2 * sizeof v];
    size_t n = 0, k = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    o[k++] = '0';
    o[k++] = 'x';
    while (n)
        o[k++] = tmp[--n];
    return k;
}

/* Two decimal digits at a time. */
static const char digit_pairs[] =
    "00010203040506070809101112131415161718192021222324"
    "25262728293031323334353637383940414243444546474849"
    "50515253545556575859606162636465666768697071727374"
    "75767778798081828384858687888990919293949596979899";

static size_t put_int(char *o, int64_t i)
{
    char tmp[24];
    size_t n = sizeof tmp, k = 0;
    uint64_t v = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;
    while (v >= 100) {
        size_t r = (size_t)(v % 100) * 2;
        v /= 100;
        tmp[--n] = digit_pairs[r + 1];
        tmp[--n] = digit_pairs[r];
    }
    if (v >= 10) {
        tmp[--n] = digit_pairs[v * 2 + 1];
        tmp[--n] = digit_pairs[v * 2];
    } else {
        tmp[--n] = (char)('0' + v);
    }
    if (i < 0)
        o[k++] = '-';
    while (n < sizeof tmp)
        o[k++] = tmp[n++];
    return k;
}

size_t orm_identity_key_int(const rt_mapper *m, const rt_value *const *pk, char *buf,
                            size_t cap)
{
    /* the mapper's part, kept from the last call (the same pointer gives
     * the same text whatever it points at) */
    static _Thread_local const rt_mapper *last;
    static _Thread_local char prefix[24];
    static _Thread_local size_t plen;
    if (cap < 20 + m->npk * 22)
        return 0;
    if (m != last || !plen) {
        plen = put_ptr(prefix, m);
        last = m;
    }
    memcpy(buf, prefix, plen);
    size_t k = plen;
    for (size_t i = 0; i < m->npk; i++) {
        if (pk[i]->type != RT_INT)
            return 0;
        buf[k++] = '|';
        k += put_int(buf + k, pk[i]->u.i);
    }
    buf[k] = 0;
    return k;
}

void orm_identity_key(const rt_mapper *m, const rt_value *const *pk, rt_buf *b)
{
    char num[24];
    rt_buf_append(b, num, put_ptr(num, m));
    for (size_t i = 0; i < m->npk; i++) {
        rt_buf_putc(b, '|');
        if (pk[i]->type == RT_INT) {
            rt_buf_append(b, num, put_int(num, pk[i]->u.i));
        } else if (pk[i]->type == RT_BLOB) {     /* the repr would only give a length */
            rt_buf_putc(b, 'x');
            for (size_t k = 0; k < pk[i]->u.s.n; k++)
                rt_buf_printf(b, "%02x", (unsigned char)pk[i]->u.s.p[k]);
        } else if (pk[i]->type == RT_FLOAT && pk[i]->u.f == (double)(int64_t)pk[i]->u.f) {
            rt_buf_append(b, num, put_int(num, (int64_t)pk[i]->u.f));
        } else {
            rt_value_repr(b, pk[i]);
        }
    }
}

/* One allocation: the state, then per attribute its current value and its
 * flags, then `extra` bytes (a loaded row's text and identity key: see
 * orm_state_new_row).  The values before a change are allocated by the
 * first change. */
static rt_state *state_alloc(rt_mapper *m, size_t extra, rt_error *err)
{
    size_t n = m->nattrs ? m->nattrs : 1;
    size_t head = (sizeof(rt_state) + _Alignof(rt_value) - 1) / _Alignof(rt_value) *
                  _Alignof(rt_value);
    size_t fixed = head + n * sizeof(rt_value) + n;
    rt_state *st = rt_alloc(fixed + extra);
    if (!st) {
        rt_error_oom(err);
        return NULL;
    }
    memset(st, 0, fixed);
    st->size = fixed + extra;
    st->cur = (rt_value *)((char *)st + head);
    st->flags = (unsigned char *)(st->cur + n);
    st->refcount = 1;
    st->mapper = rt_mapper_retain(m);
    st->status = RT_STATE_TRANSIENT;
    return st;
}

/* Where a state's extra bytes start. */
static char *state_extra(rt_state *st)
{
    return (char *)(st->flags + (st->mapper->nattrs ? st->mapper->nattrs : 1));
}

/* A new state keeps some room after its flags where the text of the values
 * set on it and its identity key go while they fit (an object made and
 * inserted then costs one allocation); what is taken is not given back
 * (freeing skips it: own_bytes). */
#define ROOM 128

rt_state *rt_state_new(rt_mapper *m, rt_error *err)
{
    rt_state *st = state_alloc(m, ROOM, err);
    if (st)
        st->room = ROOM;
    return st;
}

/* n bytes of st's room, or NULL. */
static char *room_take(rt_state *st, size_t n)
{
    if ((size_t)(st->room - st->room_used) < n)
        return NULL;
    char *p = state_extra(st) + st->room_used;
    st->room_used = (unsigned char)(st->room_used + n);
    return p;
}

/* orm_value_copy into st's room when the text fits. */
static int state_value_copy(rt_state *st, rt_value *dst, const rt_value *src)
{
    char *p;
    if ((src->type != RT_TEXT && src->type != RT_BLOB) || !(p = room_take(st, src->u.s.n + 1)))
        return orm_value_copy(dst, src);
    *dst = *src;
    if (src->u.s.n)
        memcpy(p, src->u.s.p, src->u.s.n);
    p[src->u.s.n] = 0;
    dst->u.s.p = p;
    return 0;
}

rt_state *orm_state_new_row(rt_mapper *m, const rt_value *vals, const char *key, size_t klen,
                            rt_error *err)
{
    size_t extra = klen + 1;
    for (size_t i = 0; i < m->nattrs; i++)
        if (vals[i].type == RT_TEXT || vals[i].type == RT_BLOB)
            extra += vals[i].u.s.n + 1;
    rt_state *st = state_alloc(m, extra, err);
    if (!st)
        return NULL;
    char *o = state_extra(st);
    for (size_t i = 0; i < m->nattrs; i++) {
        st->cur[i] = vals[i];
        st->flags[i] = ATTR_LOADED;
        if (vals[i].type == RT_TEXT || vals[i].type == RT_BLOB) {
            if (vals[i].u.s.n)
                memcpy(o, vals[i].u.s.p, vals[i].u.s.n);
            o[vals[i].u.s.n] = 0;
            st->cur[i].u.s.p = o;
            o += vals[i].u.s.n + 1;
        }
    }
    memcpy(o, key, klen);
    o[klen] = 0;
    st->key = o;
    return st;
}

/* Whether p points into st's own allocation (a payload not to free). */
static int own_bytes(const rt_state *st, const void *p)
{
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)st;
    return a >= lo && a < lo + st->size;
}

void orm_state_value_clear(rt_state *st, rt_value *v)
{
    if ((v->type == RT_TEXT || v->type == RT_BLOB) && own_bytes(st, v->u.s.p))
        *v = rt_value_null();
    else
        orm_value_clear(v);
}

void orm_state_key_free(rt_state *st)
{
    if (!own_bytes(st, st->key))
        rt_free(st->key);
    st->key = NULL;
}

rt_state *rt_state_retain(rt_state *st)
{
    if (st)
        st->refcount++;
    return st;
}

void rt_state_release(rt_state *st)
{
    if (!st)
        return;
    if (--st->refcount > 0) {
        if (st->nrels)
            orm_rel_collect(st);      /* a cycle of relationship links? */
        return;
    }
    if (st->rels)
        orm_state_rels_free(st);
    if (st->session)
        orm_session_forget(st->session, st);
    /* only payloads outside the allocation are freed (a loaded row has none) */
    for (size_t i = 0; i < st->mapper->nattrs; i++)
        if ((st->cur[i].type == RT_TEXT || st->cur[i].type == RT_BLOB) &&
            !own_bytes(st, st->cur[i].u.s.p))
            orm_value_clear(&st->cur[i]);
    if (st->committed) {
        for (size_t i = 0; i < st->mapper->nattrs; i++)
            orm_state_value_clear(st, &st->committed[i]);
        rt_free(st->committed);
    }
    if (st->key && !own_bytes(st, st->key))
        rt_free(st->key);
    rt_mapper_release(st->mapper);
    rt_free(st);
}

rt_mapper *rt_state_mapper(const rt_state *st) { return st->mapper; }
int rt_state_refcount(const rt_state *st) { return st->refcount; }
rt_session *rt_state_session(const rt_state *st) { return st->session; }
rt_state_status rt_state_status_of(const rt_state *st) { return st->status; }
int rt_state_marked_deleted(const rt_state *st) { return st->marked_deleted; }
int rt_state_loaded(const rt_state *st, size_t i) { return (st->flags[i] & ATTR_LOADED) != 0; }
const char *rt_state_identity_key(const rt_state *st) { return st->key; }
void rt_state_set_user(rt_state *st, void *user) { st->user = user; }
void *rt_state_user(const rt_state *st) { return st->user; }

const char *rt_state_status_name(rt_state_status s)
{
    static const char *names[] = {"transient", "pending", "persistent", "deleted", "detached"};
    return names[s];
}

const rt_value *rt_state_get(const rt_state *st, size_t i)
{
    static const rt_value null_value = {RT_NULL, {0}};
    return (st->flags[i] & ATTR_LOADED) ? &st->cur[i] : &null_value;
}

const rt_value *rt_state_loaded_value(const rt_state *st, size_t i)
{
    return (st->flags[i] & ATTR_LOADED) ? &st->cur[i] : NULL;
}

int rt_state_attr_modified(const rt_state *st, size_t i)
{
    if (!(st->flags[i] & ATTR_MODIFIED))
        return 0;
    if (!(st->flags[i] & ATTR_HAD_VALUE))
        return 1;
    return !orm_value_equal(&st->cur[i], &st->committed[i]);
}

int rt_state_modified(const rt_state *st)
{
    for (size_t i = 0; i < st->mapper->nattrs; i++)
        if (rt_state_attr_modified(st, i))
            return 1;
    return 0;
}

int rt_state_set(rt_state *st, size_t i, const rt_value *v, rt_error *err)
{
    rt_value copy;
    unsigned char f = st->flags[i];
    if ((f & ATTR_LOADED) && !(f & ATTR_MODIFIED) && !st->committed &&   /* a value to keep */
        !(st->committed = rt_calloc(st->mapper->nattrs ? st->mapper->nattrs : 1,
                                    sizeof(rt_value))))
        return rt_error_oom(err);
    if (state_value_copy(st, &copy, v) < 0)
        return rt_error_oom(err);
    if (st->status == RT_STATE_PERSISTENT && st->session &&
        orm_session_hold(st->session, st, err) < 0) {
        orm_state_value_clear(st, &copy);
        return -1;
    }
    if (!(f & ATTR_MODIFIED)) {
        if (f & ATTR_LOADED) {
            st->committed[i] = st->cur[i];     /* moved: the value before */
            f |= ATTR_HAD_VALUE;
        }
        st->cur[i] = rt_value_null();
        f |= ATTR_MODIFIED;
    } else {
        orm_state_value_clear(st, &st->cur[i]);
    }
    st->cur[i] = copy;
    st->flags[i] = f | ATTR_LOADED;
    return 0;
}

void rt_state_history(const rt_state *st, size_t i, rt_history *h)
{
    h->added = h->deleted = h->unchanged = NULL;
    unsigned char f = st->flags[i];
    if (!(f & ATTR_LOADED))
        return;
    if (rt_state_attr_modified(st, i)) {
        h->added = &st->cur[i];
        if (f & ATTR_HAD_VALUE)
            h->deleted = &st->committed[i];
    } else {
        h->unchanged = &st->cur[i];
    }
}

void orm_state_pk(const rt_state *st, const rt_value **pk, int committed)
{
    for (size_t k = 0; k < st->mapper->npk; k++) {
        size_t a = st->mapper->pk[k];
        if (committed && (st->flags[a] & ATTR_MODIFIED) && (st->flags[a] & ATTR_HAD_VALUE))
            pk[k] = &st->committed[a];
        else
            pk[k] = rt_state_get(st, a);
    }
}

int orm_state_compute_key(rt_state *st, int use_committed, rt_error *err)
{
    const rt_value *pkbuf[16];
    const rt_value **pk = st->mapper->npk <= 16 ? pkbuf : rt_calloc(st->mapper->npk, sizeof *pk);
    if (!pk)
        return rt_error_oom(err);
    orm_state_pk(st, pk, use_committed);
    char num[128];
    size_t len = orm_identity_key_int(st->mapper, pk, num, sizeof num);
    char *key;
    if (len && (key = room_take(st, len + 1))) {   /* in the state's own room */
        if (pk != pkbuf)
            rt_free(pk);
        orm_state_key_free(st);
        memcpy(key, num, len + 1);
        st->key = key;
        return 0;
    }
    if (len) {                         /* integer keys: no buffer growth */
        key = rt_alloc(len + 1);
        if (key)
            memcpy(key, num, len + 1);
    } else {
        rt_buf b;
        rt_buf_init(&b);
        orm_identity_key(st->mapper, pk, &b);
        key = rt_buf_steal(&b);
    }
    if (pk != pkbuf)
        rt_free(pk);
    if (!key)
        return rt_error_oom(err);
    orm_state_key_free(st);
    st->key = key;
    return 0;
}

int orm_state_load(rt_state *st, const rt_value *vals, int overwrite, rt_error *err)
{
    for (size_t i = 0; i < st->mapper->nattrs; i++) {
        unsigned char f = st->flags[i];
        if ((f & ATTR_LOADED) && !overwrite)
            continue;
        rt_value copy;
        if (orm_value_copy(&copy, &vals[i]) < 0)
            return rt_error_oom(err);
        orm_state_value_clear(st, &st->cur[i]);
        if (st->committed)
            orm_state_value_clear(st, &st->committed[i]);
        st->cur[i] = copy;
        st->flags[i] = ATTR_LOADED;
    }
    return 0;
}

void orm_state_commit(rt_state *st)
{
    for (size_t i = 0; i < st->mapper->nattrs; i++) {
        if (st->committed)
            orm_state_value_clear(st, &st->committed[i]);
        st->flags[i] &= (unsigned char)~(ATTR_MODIFIED | ATTR_HAD_VALUE);
    }
}

void orm_state_reset(rt_state *st)
{
    for (size_t i = 0; i < st->mapper->nattrs; i++) {
        unsigned char f = st->flags[i];
        if (!(f & ATTR_MODIFIED))
            continue;
        orm_state_value_clear(st, &st->cur[i]);
        if (f & ATTR_HAD_VALUE) {
            st->cur[i] = st->committed[i];
            st->committed[i] = rt_value_null();
            st->flags[i] = ATTR_LOADED;
        } else {
            st->flags[i] = 0;
        }
    }
}

void orm_state_expire(rt_state *st, int keep_pk)
{
    orm_state_reset(st);
    orm_state_rels_expire(st);
    for (size_t i = 0; i < st->mapper->nattrs; i++) {
        int is_pk = 0;
        for (size_t k = 0; k < st->mapper->npk; k++)
            is_pk |= st->mapper->pk[k] == i;
        if (keep_pk && is_pk)
            continue;
        orm_state_value_clear(st, &st->cur[i]);
        st->flags[i] = 0;
    }
}

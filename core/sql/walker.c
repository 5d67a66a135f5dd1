/* walker.c: the one traversal of expression trees every analysis shares, as
 * SQLite's walker.c: a fixed structural order of each node kind's children,
 * each node visited once (trees are DAGs: a subquery's columns all lead to
 * it), with continue / prune / abort from the visitor.
 *
 * Two analyses live here because they must agree on that order with the
 * compiler: the values a statement carries (rt_node_bind_values, indexed by
 * rt_compiled.slot_binds) and the serialization of a statement's structure
 * that keys the structural cache (cache.c). */
#include "expr_int.h"

#include <string.h>

typedef struct walkstate {
    rt_walker *w;
    const void **keys;     /* visited nodes (open addressing) */
    size_t *ords;          /* their first-visit ordinals */
    size_t cap, n;
    size_t next;           /* next ordinal */
    const void *inl_keys[64];
    size_t inl_ords[64];
    int oom;
} walkstate;

static size_t hash_ptr(const void *p, size_t cap)
{
    uintptr_t x = (uintptr_t)p;
    x ^= x >> 17;
    x *= 0x9E3779B97F4A7C15ull;
    return (size_t)(x >> 7) & (cap - 1);
}

/* Looks n up; when absent, inserts it with the next ordinal and returns -1. */
static long seen(walkstate *ws, const void *n)
{
    if ((ws->n + 1) * 2 > ws->cap) {
        size_t ncap = ws->cap * 2;
        const void **k = rt_calloc(ncap, sizeof *k);
        size_t *o = rt_calloc(ncap, sizeof *o);
        if (!k || !o) {
            rt_free(k);
            rt_free(o);
            ws->oom = 1;
            return 0;
        }
        for (size_t i = 0; i < ws->cap; i++)
            if (ws->keys[i]) {
                size_t h = hash_ptr(ws->keys[i], ncap);
                while (k[h])
                    h = (h + 1) & (ncap - 1);
                k[h] = ws->keys[i];
                o[h] = ws->ords[i];
            }
        if (ws->keys != ws->inl_keys) {
            rt_free(ws->keys);
            rt_free(ws->ords);
        }
        ws->keys = k;
        ws->ords = o;
        ws->cap = ncap;
    }
    size_t h = hash_ptr(n, ws->cap);
    while (ws->keys[h]) {
        if (ws->keys[h] == n)
            return (long)ws->ords[h];
        h = (h + 1) & (ws->cap - 1);
    }
    ws->keys[h] = n;
    ws->ords[h] = ws->next++;
    ws->n++;
    return -1;
}

static int walk_node(walkstate *ws, const rt_node *n);

static int walk_all(walkstate *ws, rt_node *const *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (walk_node(ws, a[i]))
            return 1;
    return 0;
}

/* The column defaults an INSERT (or onupdates an UPDATE) may render. */
static int walk_defaults(walkstate *ws, const dmlnode *s)
{
    const rt_table *t = rt_table_of(s->table);
    for (size_t i = 0; i < t->ncols; i++) {
        const rt_default *d = s->base.kind == RT_NODE_INSERT ? &t->columns[i]->default_
                                                              : &t->columns[i]->onupdate;
        if (d->kind == RT_DEFAULT_EXPR && d->expr.node && walk_node(ws, d->expr.node))
            return 1;
    }
    return 0;
}

static int walk_select(walkstate *ws, const selectnode *s)
{
    return walk_all(ws, s->cols, s->ncols) || walk_all(ws, s->froms, s->nfroms) ||
           walk_node(ws, s->where) || walk_all(ws, s->group_by, s->ngroup) ||
           walk_node(ws, s->having) || walk_all(ws, s->order_by, s->norder) ||
           walk_node(ws, s->limit) || walk_node(ws, s->offset) ||
           walk_all(ws, s->correlate, s->ncorrelate);
}

static int walk_children(walkstate *ws, const rt_node *n)
{
    switch (n->kind) {
    case RT_NODE_ALIAS: return walk_node(ws, ((const aliasnode *)n)->element);
    case RT_NODE_JOIN: {
        const joinnode *j = (const joinnode *)n;
        return walk_node(ws, j->left) || walk_node(ws, j->right) || walk_node(ws, j->on);
    }
    case RT_NODE_COLUMN: return walk_node(ws, ((const colnode *)n)->from);
    case RT_NODE_BINARY: {
        const binnode *b = (const binnode *)n;
        return walk_node(ws, b->left) || walk_node(ws, b->right);
    }
    case RT_NODE_UNARY: return walk_node(ws, ((const unnode *)n)->operand);
    case RT_NODE_LIST: return walk_all(ws, ((const listnode *)n)->items, ((const listnode *)n)->n);
    case RT_NODE_FUNC: return walk_all(ws, ((const funcnode *)n)->args, ((const funcnode *)n)->n);
    case RT_NODE_LABEL: return walk_node(ws, ((const labelnode *)n)->expr);
    case RT_NODE_CASE: {
        const casenode *c = (const casenode *)n;
        if (walk_node(ws, c->value))
            return 1;
        for (size_t i = 0; i < c->n; i++)
            if (walk_node(ws, c->whens[i]) || walk_node(ws, c->thens[i]))
                return 1;
        return walk_node(ws, c->else_);
    }
    case RT_NODE_CAST:
    case RT_NODE_EXTRACT:
    case RT_NODE_SCALAR_SELECT: return walk_node(ws, ((const wrapnode *)n)->expr);
    case RT_NODE_SELECT: return walk_select(ws, (const selectnode *)n);
    case RT_NODE_COMPOUND: {
        const compoundnode *c = (const compoundnode *)n;
        return walk_all(ws, c->selects, c->n) || walk_all(ws, c->order_by, c->norder) ||
               walk_node(ws, c->limit) || walk_node(ws, c->offset);
    }
    case RT_NODE_INSERT:
    case RT_NODE_UPDATE:
    case RT_NODE_DELETE: {
        const dmlnode *s = (const dmlnode *)n;
        return walk_node(ws, s->table) || walk_all(ws, s->values, s->nkeys * s->nrows) ||
               walk_node(ws, s->where) || walk_all(ws, s->returning, s->nreturning) ||
               walk_node(ws, s->select) || (n->kind != RT_NODE_DELETE && walk_defaults(ws, s));
    }
    default: return 0;
    }
}

static int walk_node(walkstate *ws, const rt_node *n)
{
    if (!n || ws->oom)
        return ws->oom;
    long ord = seen(ws, n);
    if (ws->oom)
        return 1;
    if (ord >= 0) {
        if (ws->w->revisit)
            ws->w->revisit(ws->w, n, (size_t)ord);
        return 0;
    }
    int r = ws->w->visit(ws->w, n, ws->next - 1);
    if (r == RT_WALK_ABORT)
        return 1;
    if (r == RT_WALK_CONTINUE && rt_expr_is_own(n) && walk_children(ws, n))
        return 1;
    if (ws->w->leave)
        ws->w->leave(ws->w, n);
    return 0;
}

int rt_walk(const rt_node *n, rt_walker *w)
{
    walkstate ws;
    ws.n = ws.next = 0;
    ws.oom = 0;
    memset(ws.inl_keys, 0, sizeof ws.inl_keys);   /* (ords are set with their keys) */
    ws.w = w;
    ws.keys = ws.inl_keys;
    ws.ords = ws.inl_ords;
    ws.cap = 64;
    int r = walk_node(&ws, n);
    if (ws.keys != ws.inl_keys) {
        rt_free(ws.keys);
        rt_free(ws.ords);
    }
    return ws.oom ? -1 : r;
}

/* === the values a statement carries === */

typedef struct valwalk {
    rt_walker w;
    const rt_value **out;
    size_t max, n;
} valwalk;

static int visit_value(rt_walker *w, const rt_node *n, size_t ordinal)
{
    (void)ordinal;
    valwalk *v = (valwalk *)w;
    if (n->kind == RT_NODE_BIND && ((const bindnode *)n)->has_value) {
        if (v->n < v->max)
            v->out[v->n] = &((const bindnode *)n)->value;
        v->n++;
    }
    return RT_WALK_CONTINUE;
}

static const rt_value consts[RT_NCONST] = {
    [RT_CONST_ZERO] = {.type = RT_INT, .u.i = 0},
    [RT_CONST_MINUS_ONE] = {.type = RT_INT, .u.i = -1}};

size_t rt_node_bind_values(const rt_node *n, const rt_value **out, size_t max)
{
    valwalk v = {.w = {.visit = visit_value}, .out = out, .max = out ? max : 0};
    if (rt_walk(n, &v.w) < 0)
        return 0;
    for (size_t i = 0; i < RT_NCONST; i++, v.n++)
        if (v.n < v.max)
            v.out[v.n] = &consts[i];
    return v.n;
}

/* === structure serialization (the structural cache's key) ===
 *
 * Runs for every statement built anew (a statement per lookup is usual), so
 * no printf: each node's token is composed in a small scratch array and
 * appended to the key in one call. */

typedef struct structwalk {
    rt_walker w;
    rt_buf *b;
    const rt_sqltype *types[8];   /* bind types written so far, in order */
    size_t ntypes;
    size_t n;                     /* bytes used in tok */
    char tok[256];
    /* the values the statement carries, as rt_node_bind_values lists them
     * (when wanted) */
    const rt_value **vals;
    size_t nvals, capvals;
    int want_vals, oom;
} structwalk;

static void note_value(structwalk *sw, const rt_value *v)
{
    if (sw->nvals == sw->capvals) {
        size_t ncap = sw->capvals ? sw->capvals * 2 : 8;
        const rt_value **a = rt_realloc((void *)sw->vals, ncap * sizeof *a);
        if (!a) {
            sw->oom = 1;
            return;
        }
        sw->vals = a;
        sw->capvals = ncap;
    }
    sw->vals[sw->nvals++] = v;
}

static void kflush(structwalk *sw)
{
    rt_buf_append(sw->b, sw->tok, sw->n);
    sw->n = 0;
}

/* Room for need more bytes in tok (need is below its size). */
static char *kroom(structwalk *sw, size_t need)
{
    if (sw->n + need > sizeof sw->tok)
        kflush(sw);
    return sw->tok + sw->n;
}

static void kputc(structwalk *sw, char c) { *kroom(sw, 1) = c, sw->n++; }

/* tag, then v in decimal: the hot part of a key (a multi-row INSERT has
 * thousands of binds) */
static void put_num(structwalk *sw, char tag, long v)
{
    if (v >= 0 && v < 10) {   /* most are counts and flags */
        char *q = kroom(sw, 2);
        q[0] = tag;
        q[1] = (char)('0' + v);
        sw->n += 2;
        return;
    }
    char tmp[24], *p = tmp + sizeof tmp;
    unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    *--p = tag;
    size_t len = (size_t)(tmp + sizeof tmp - p);
    memcpy(kroom(sw, len), p, len);
    sw->n += len;
}

/* tag, then an address in hex (an identity, as %p) */
static void put_ptr(structwalk *sw, char tag, const void *ptr)
{
    static const char hex[] = "0123456789abcdef";
    char tmp[24], *p = tmp + sizeof tmp;
    uintptr_t u = (uintptr_t)ptr;
    do
        *--p = hex[u & 15];
    while (u >>= 4);
    *--p = tag;
    size_t len = (size_t)(tmp + sizeof tmp - p);
    memcpy(kroom(sw, len), p, len);
    sw->n += len;
}

static void put_str(structwalk *sw, const char *s)
{
    if (!s) {
        kputc(sw, '-');
        return;
    }
    size_t n = strlen(s);
    put_num(sw, 's', (long)n);
    kputc(sw, ':');
    if (n > sizeof sw->tok / 2) {   /* (a text() statement's source) */
        kflush(sw);
        rt_buf_append(sw->b, s, n);
        return;
    }
    memcpy(kroom(sw, n), s, n);
    sw->n += n;
}

/* Types as far as they change the SQL or how values convert; user types
 * (decorators, Lua hooks) by identity. */
static void put_strs(structwalk *sw, char *const *s, size_t n);

static void put_type(structwalk *sw, const rt_sqltype *t)
{
    if (!t) {
        put_num(sw, 't', -1);   /* (kinds are not negative) */
        return;
    }
    if (t->kind == RT_TYPE_DECORATOR || t->user_ref) {
        put_ptr(sw, 'u', t);
        return;
    }
    put_num(sw, 't', (long)t->kind);
    if (t->length == -1 && t->precision == -1 && t->scale == -1 && !t->timezone &&
        !t->asdecimal && !t->sqlname && !t->enum_name && !t->nenum)
        return;   /* the usual plain type: its kind says all (what follows a type
                     is never 'x') */
    kputc(sw, 'x');
    put_num(sw, ',', (long)t->length);
    put_num(sw, ',', (long)t->precision);
    put_num(sw, ',', (long)t->scale);
    put_num(sw, ',', (long)t->timezone);
    put_num(sw, ',', (long)t->asdecimal);
    put_str(sw, t->sqlname);
    put_str(sw, t->enum_name);
    put_strs(sw, t->enum_values, t->nenum);   /* binding checks values against them */
}

static void put_strs(structwalk *sw, char *const *s, size_t n)
{
    put_num(sw, '[', (long)n);
    for (size_t i = 0; i < n; i++)
        put_str(sw, s[i]);
    kputc(sw, ']');
}

static void put_select(structwalk *sw, const selectnode *s)
{
    put_num(sw, 'Q', (long)s->ncols);
    put_num(sw, ',', (long)s->nfroms);
    put_num(sw, ',', s->where != NULL);
    put_num(sw, ',', (long)s->ngroup);
    put_num(sw, ',', s->having != NULL);
    put_num(sw, ',', (long)s->norder);
    put_num(sw, ',', s->limit != NULL);
    put_num(sw, ',', s->offset != NULL);
    put_num(sw, ',', (long)s->ncorrelate);
    put_num(sw, ',', (long)s->correlate_set);
    put_num(sw, ',', (long)s->distinct);
    put_num(sw, ',', (long)s->labels);
    put_num(sw, ',', (long)s->for_update);
}

static void put_dml(structwalk *sw, const dmlnode *s)
{
    put_num(sw, 'D', (long)s->base.kind);
    put_num(sw, ',', (long)s->nrows);
    put_num(sw, ',', s->where != NULL);
    put_num(sw, ',', (long)s->nreturning);
    put_num(sw, ',', s->select != NULL);
    put_strs(sw, s->keys, s->nkeys);
    put_strs(sw, s->sel_keys, s->nsel_keys);
    put_num(sw, ',', (long)rt_table_of(s->table)->ncols);
}

/* A bind's type; one this key has written already (a multi-row INSERT
 * repeats its columns' types in every row) as a reference to that first
 * writing, which the key itself determines. */
static void put_bind_type(structwalk *sw, const rt_sqltype *t)
{
    for (size_t i = 0; i < sw->ntypes; i++)
        if (sw->types[i] == t) {
            put_num(sw, 'r', (long)i);
            return;
        }
    if (t && sw->ntypes < sizeof sw->types / sizeof *sw->types)
        sw->types[sw->ntypes++] = t;
    put_type(sw, t);
}

static void put_node(structwalk *sw, const rt_node *n)
{
    switch (n->kind) {
    case RT_NODE_TEXT: kputc(sw, 'X'); put_str(sw, rt_text_source(n)); break;
    case RT_NODE_TABLE:
        put_ptr(sw, 'T', rt_table_of(n));
        put_num(sw, ',', (long)rt_table_of(n)->ncols);
        break;
    case RT_NODE_ALIAS: kputc(sw, 'A'); put_str(sw, ((const aliasnode *)n)->name); break;
    case RT_NODE_JOIN:
        put_num(sw, 'J', ((const joinnode *)n)->isouter);
        put_num(sw, ',', ((const joinnode *)n)->full);
        break;
    case RT_NODE_COLUMN: put_num(sw, 'C', (long)((const colnode *)n)->index); break;
    case RT_NODE_BIND: {
        const bindnode *x = (const bindnode *)n;
        put_num(sw, 'B', (long)x->has_value);
        if (x->has_value && sw->want_vals && !sw->oom)
            note_value(sw, &x->value);
        put_str(sw, x->key);
        put_str(sw, x->base_name);
        put_bind_type(sw, rt_expr_type(n));
        break;
    }
    case RT_NODE_LITERAL_COLUMN:
        kputc(sw, 'L');
        put_str(sw, ((const litnode *)n)->text);
        put_type(sw, ((const litnode *)n)->type);
        break;
    case RT_NODE_NULL: kputc(sw, 'N'); break;
    case RT_NODE_BOOL: put_num(sw, 'b', ((const litnode *)n)->value); break;
    case RT_NODE_BINARY:
        put_num(sw, 'O', (long)((const binnode *)n)->op);
        put_str(sw, ((const binnode *)n)->custom);
        put_type(sw, ((const binnode *)n)->type);
        break;
    case RT_NODE_UNARY: put_num(sw, 'U', (long)((const unnode *)n)->op); break;
    case RT_NODE_LIST:
        put_num(sw, 'I', (long)((const listnode *)n)->op);
        put_num(sw, ',', (long)((const listnode *)n)->n);
        break;
    case RT_NODE_FUNC:
        put_num(sw, 'F', (long)((const funcnode *)n)->n);
        put_str(sw, ((const funcnode *)n)->name);
        put_type(sw, ((const funcnode *)n)->type);
        break;
    case RT_NODE_LABEL: kputc(sw, 'M'); put_str(sw, ((const labelnode *)n)->name); break;
    case RT_NODE_CASE: {
        const casenode *c = (const casenode *)n;
        put_num(sw, 'K', (long)c->n);
        put_num(sw, ',', c->value != NULL);
        put_num(sw, ',', c->else_ != NULL);
        break;
    }
    case RT_NODE_CAST:
    case RT_NODE_SCALAR_SELECT:
        put_num(sw, 'V', (long)n->kind);
        put_type(sw, ((const wrapnode *)n)->type);
        break;
    case RT_NODE_EXTRACT: kputc(sw, 'E'); put_str(sw, ((const wrapnode *)n)->field); break;
    case RT_NODE_SELECT: put_select(sw, (const selectnode *)n); break;
    case RT_NODE_COMPOUND: {
        const compoundnode *c = (const compoundnode *)n;
        put_num(sw, 'P', (long)c->op);
        put_num(sw, ',', (long)c->n);
        put_num(sw, ',', (long)c->norder);
        put_num(sw, ',', c->limit != NULL);
        put_num(sw, ',', c->offset != NULL);
        break;
    }
    case RT_NODE_INSERT:
    case RT_NODE_UPDATE:
    case RT_NODE_DELETE: put_dml(sw, (const dmlnode *)n); break;
    default: put_ptr(sw, '?', n); break;   /* foreign kinds: identity */
    }
}

static int visit_struct(rt_walker *w, const rt_node *n, size_t ordinal)
{
    (void)ordinal;
    kputc((structwalk *)w, '(');
    put_node((structwalk *)w, n);
    return RT_WALK_CONTINUE;
}

static void revisit_struct(rt_walker *w, const rt_node *n, size_t ordinal)
{
    (void)n;
    put_num((structwalk *)w, '@', (long)ordinal);
}

static void leave_struct(rt_walker *w, const rt_node *n)
{
    (void)n;
    kputc((structwalk *)w, ')');
}

void rt_node_structure(const rt_node *n, rt_buf *b, const rt_value ***vals, size_t *nvals)
{
    structwalk s = {.w = {.visit = visit_struct, .revisit = revisit_struct,
                          .leave = leave_struct},
                    .b = b, .want_vals = vals != NULL};
    if (rt_walk(n, &s.w) < 0)
        b->failed = 1;
    kflush(&s);
    if (!vals)
        return;
    for (size_t i = 0; i < RT_NCONST && !s.oom; i++)
        note_value(&s, &consts[i]);
    if (s.oom) {
        rt_free((void *)s.vals);
        s.vals = NULL;
    }
    *vals = s.vals;
    *nvals = s.vals ? s.nvals : 0;
}

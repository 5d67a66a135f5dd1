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

#include <stdint.h>
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
    memset(&ws, 0, sizeof ws);
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

size_t rt_node_bind_values(const rt_node *n, const rt_value **out, size_t max)
{
    static const rt_value consts[RT_NCONST] = {
        [RT_CONST_ZERO] = {.type = RT_INT, .u.i = 0},
        [RT_CONST_MINUS_ONE] = {.type = RT_INT, .u.i = -1}};
    valwalk v = {.w = {.visit = visit_value}, .out = out, .max = out ? max : 0};
    if (rt_walk(n, &v.w) < 0)
        return 0;
    for (size_t i = 0; i < RT_NCONST; i++, v.n++)
        if (v.n < v.max)
            v.out[v.n] = &consts[i];
    return v.n;
}

/* === structure serialization (the structural cache's key) === */

typedef struct structwalk {
    rt_walker w;
    rt_buf *b;
} structwalk;

/* The key is made for every statement executed: numbers are written by
 * hand, not through printf (decimal; pointers in hex after "0x"). */
static void put_int(rt_buf *b, long long v)
{
    char tmp[24];
    size_t n = 0;
    unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[sizeof tmp - 1 - n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[sizeof tmp - 1 - n++] = '-';
    rt_buf_append(b, tmp + sizeof tmp - n, n);
}

/* tag, then the numbers separated by commas */
static void put_ints(rt_buf *b, char tag, const long long *v, size_t n)
{
    rt_buf_putc(b, tag);
    for (size_t i = 0; i < n; i++) {
        if (i)
            rt_buf_putc(b, ',');
        put_int(b, v[i]);
    }
}

static void put_ptr(rt_buf *b, char tag, const void *p)
{
    char tmp[2 + 2 * sizeof(uintptr_t)];
    size_t n = 0;
    uintptr_t u = (uintptr_t)p;
    do {
        tmp[sizeof tmp - 1 - n++] = "0123456789abcdef"[u & 15];
        u >>= 4;
    } while (u);
    tmp[sizeof tmp - 1 - n++] = 'x';
    tmp[sizeof tmp - 1 - n++] = '0';
    rt_buf_putc(b, tag);
    rt_buf_append(b, tmp + sizeof tmp - n, n);
}

static void put_str(rt_buf *b, const char *s)
{
    if (!s) {
        rt_buf_putc(b, '-');
        return;
    }
    size_t n = strlen(s);
    put_int(b, (long long)n);
    rt_buf_putc(b, ':');
    rt_buf_append(b, s, n);
}

/* Types as far as they change the SQL or how values convert; user types
 * (decorators, Lua hooks) by identity. */
static void put_type(rt_buf *b, const rt_sqltype *t)
{
    if (!t) {
        rt_buf_puts(b, "t0");
        return;
    }
    if (t->kind == RT_TYPE_DECORATOR || t->user_ref) {
        put_ptr(b, 't', t);
        return;
    }
    long long v[] = {t->kind, t->length, t->precision, t->scale, t->timezone, t->asdecimal};
    put_ints(b, 't', v, sizeof v / sizeof v[0]);
    put_str(b, t->sqlname);
    put_str(b, t->enum_name);
}

static void put_strs(rt_buf *b, char *const *s, size_t n)
{
    rt_buf_putc(b, '[');
    put_int(b, (long long)n);
    for (size_t i = 0; i < n; i++)
        put_str(b, s[i]);
    rt_buf_putc(b, ']');
}

static void put_select(rt_buf *b, const selectnode *s)
{
    long long v[] = {(long long)s->ncols, (long long)s->nfroms, s->where != NULL,
                     (long long)s->ngroup, s->having != NULL, (long long)s->norder,
                     s->limit != NULL, s->offset != NULL, (long long)s->ncorrelate,
                     s->correlate_set, s->distinct, s->labels, s->for_update};
    put_ints(b, 'Q', v, sizeof v / sizeof v[0]);
}

static void put_dml(rt_buf *b, const dmlnode *s)
{
    long long v[] = {s->base.kind, (long long)s->nrows, s->where != NULL,
                     (long long)s->nreturning, s->select != NULL};
    put_ints(b, 'D', v, sizeof v / sizeof v[0]);
    put_strs(b, s->keys, s->nkeys);
    put_strs(b, s->sel_keys, s->nsel_keys);
    const rt_table *t = rt_table_of(s->table);
    put_int(b, (long long)t->ncols);
}

static void put_node(rt_buf *b, const rt_node *n)
{
    switch (n->kind) {
    case RT_NODE_TEXT: rt_buf_putc(b, 'X'); put_str(b, rt_text_source(n)); break;
    case RT_NODE_TABLE:
        put_ptr(b, 'T', rt_table_of(n));
        rt_buf_putc(b, ',');
        put_int(b, (long long)rt_table_of(n)->ncols);
        break;
    case RT_NODE_ALIAS: rt_buf_putc(b, 'A'); put_str(b, ((const aliasnode *)n)->name); break;
    case RT_NODE_JOIN:
        rt_buf_putc(b, 'J');
        put_int(b, ((const joinnode *)n)->isouter);
        put_int(b, ((const joinnode *)n)->full);
        break;
    case RT_NODE_COLUMN:
        rt_buf_putc(b, 'C');
        put_int(b, (long long)((const colnode *)n)->index);
        break;
    case RT_NODE_BIND: {
        const bindnode *x = (const bindnode *)n;
        rt_buf_putc(b, 'B');
        put_int(b, x->has_value);
        put_str(b, x->key);
        put_str(b, x->base_name);
        put_type(b, rt_expr_type(n));
        break;
    }
    case RT_NODE_LITERAL_COLUMN:
        rt_buf_putc(b, 'L');
        put_str(b, ((const litnode *)n)->text);
        put_type(b, ((const litnode *)n)->type);
        break;
    case RT_NODE_NULL: rt_buf_putc(b, 'N'); break;
    case RT_NODE_BOOL:
        rt_buf_putc(b, 'b');
        put_int(b, ((const litnode *)n)->value);
        break;
    case RT_NODE_BINARY:
        rt_buf_putc(b, 'O');
        put_int(b, (long long)((const binnode *)n)->op);
        put_str(b, ((const binnode *)n)->custom);
        put_type(b, ((const binnode *)n)->type);
        break;
    case RT_NODE_UNARY:
        rt_buf_putc(b, 'U');
        put_int(b, (long long)((const unnode *)n)->op);
        break;
    case RT_NODE_LIST: {
        long long v[] = {((const listnode *)n)->op, (long long)((const listnode *)n)->n};
        put_ints(b, 'I', v, 2);
        break;
    }
    case RT_NODE_FUNC:
        rt_buf_putc(b, 'F');
        put_int(b, (long long)((const funcnode *)n)->n);
        put_str(b, ((const funcnode *)n)->name);
        put_type(b, ((const funcnode *)n)->type);
        break;
    case RT_NODE_LABEL: rt_buf_putc(b, 'M'); put_str(b, ((const labelnode *)n)->name); break;
    case RT_NODE_CASE: {
        const casenode *c = (const casenode *)n;
        long long v[] = {(long long)c->n, c->value != NULL, c->else_ != NULL};
        put_ints(b, 'K', v, 3);
        break;
    }
    case RT_NODE_CAST:
    case RT_NODE_SCALAR_SELECT:
        rt_buf_putc(b, 'V');
        put_int(b, n->kind);
        put_type(b, ((const wrapnode *)n)->type);
        break;
    case RT_NODE_EXTRACT: rt_buf_putc(b, 'E'); put_str(b, ((const wrapnode *)n)->field); break;
    case RT_NODE_SELECT: put_select(b, (const selectnode *)n); break;
    case RT_NODE_COMPOUND: {
        const compoundnode *c = (const compoundnode *)n;
        long long v[] = {c->op, (long long)c->n, (long long)c->norder, c->limit != NULL,
                         c->offset != NULL};
        put_ints(b, 'P', v, 5);
        break;
    }
    case RT_NODE_INSERT:
    case RT_NODE_UPDATE:
    case RT_NODE_DELETE: put_dml(b, (const dmlnode *)n); break;
    default: put_ptr(b, '?', n); break;   /* foreign kinds: identity */
    }
}

static int visit_struct(rt_walker *w, const rt_node *n, size_t ordinal)
{
    (void)ordinal;
    rt_buf *b = ((structwalk *)w)->b;
    rt_buf_putc(b, '(');
    put_node(b, n);
    return RT_WALK_CONTINUE;
}

static void revisit_struct(rt_walker *w, const rt_node *n, size_t ordinal)
{
    (void)n;
    rt_buf_putc(((structwalk *)w)->b, '@');
    put_int(((structwalk *)w)->b, (long long)ordinal);
}

static void leave_struct(rt_walker *w, const rt_node *n)
{
    (void)n;
    rt_buf_putc(((structwalk *)w)->b, ')');
}

void rt_node_structure(const rt_node *n, rt_buf *b)
{
    structwalk s = {.w = {.visit = visit_struct, .revisit = revisit_struct,
                          .leave = leave_struct},
                    .b = b};
    if (rt_walk(n, &s.w) < 0)
        b->failed = 1;
}

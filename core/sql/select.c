/* select.c: SELECT and compound selects (UNION, INTERSECT, EXCEPT) as
 * nodes, and their generative methods: each returns a new node sharing the
 * unchanged parts with the old one, which stays as it was.
 *
 * A select keeps its column expressions with FROM elements expanded to
 * their columns, and the key each column is exported by when the select is
 * used as a subquery (users.id -> "id", with apply_labels "users_id", a
 * label -> its name).  Which tables end up in the FROM clause is decided
 * when compiling (compile_select.c), as correlation depends on the
 * enclosing statement. */
#include "expr_int.h"

#include <stdio.h>
#include <string.h>

static rt_keys *keys_retain(rt_keys *ks)
{
    if (ks)
        ks->refs++;
    return ks;
}

static void keys_release(rt_keys *ks)
{
    if (ks && --ks->refs == 0)
        rt_free(ks);
}

static void select_destroy(rt_node *n)
{
    selectnode *s = (selectnode *)n;
    rt_nodes_free(s->cols, s->ncols);
    keys_release(s->keys);
    rt_nodes_free(s->froms, s->nfroms);
    rt_node_release(s->where);
    rt_node_release(s->having);
    rt_nodes_free(s->group_by, s->ngroup);
    rt_nodes_free(s->order_by, s->norder);
    rt_node_release(s->limit);
    rt_node_release(s->offset);
    rt_nodes_free(s->correlate, s->ncorrelate);
    rt_free(s);
}

const selectnode *rt_select_first(const rt_node *n)
{
    while (n && n->kind == RT_NODE_COMPOUND)
        n = ((const compoundnode *)n)->selects[0];
    return n && n->kind == RT_NODE_SELECT ? (const selectnode *)n : NULL;
}

/* === exported keys === */

static const char *from_label_prefix(const rt_node *from)
{
    if (from->kind == RT_NODE_TABLE)
        return ((const tablenode *)from)->table->name;
    const aliasnode *a = (const aliasnode *)from;
    if (a->name)
        return a->name;
    return a->element->kind == RT_NODE_TABLE ? ((const tablenode *)a->element)->table->name
                                             : "anon";
}

/* The key column i is exported by: a, or a "_" b when b is not NULL (a
 * label made of the table's name and the column's key).  Counters number
 * anonymous ones, written into buf. */
typedef struct key_parts {
    const char *a, *b;
} key_parts;

static key_parts export_key(const selectnode *s, size_t i, int *nanon, char buf[64])
{
    const rt_node *e = s->cols[i];
    switch (e->kind) {
    case RT_NODE_COLUMN: {
        const colnode *c = (const colnode *)e;
        const char *k = rt_from_column_key(c->from, c->index);
        return s->labels ? (key_parts){from_label_prefix(c->from), k} : (key_parts){k, NULL};
    }
    case RT_NODE_LABEL:
        if (((const labelnode *)e)->name)
            return (key_parts){((const labelnode *)e)->name, NULL};
        break;
    case RT_NODE_LITERAL_COLUMN: return (key_parts){((const litnode *)e)->text, NULL};
    case RT_NODE_TEXT: return (key_parts){rt_text_source(e), NULL};
    case RT_NODE_FUNC:
        snprintf(buf, 64, "%s_%d", rt_expr_bind_base(e) ? rt_expr_bind_base(e) : "anon",
                 ++*nanon);
        return (key_parts){buf, NULL};
    default: break;
    }
    snprintf(buf, 64, "anon_%d", ++*nanon);
    return (key_parts){buf, NULL};
}

/* (Re)computes s->keys, in one allocation: sized by a first pass over the
 * columns, written by a second (the counters start again). */
static int compute_keys(selectnode *s, rt_error *err)
{
    char buf[64];
    int nanon = 0;
    keys_release(s->keys);
    s->keys = NULL;
    if (s->ncols == 0)
        return 0;
    size_t size = sizeof(rt_keys) + s->ncols * sizeof(char *);
    for (size_t i = 0; i < s->ncols; i++) {
        key_parts p = export_key(s, i, &nanon, buf);
        size += strlen(p.a) + 1 + (p.b ? strlen(p.b) + 1 : 0);
    }
    rt_keys *ks = rt_alloc(size);
    if (!ks)
        return rt_error_oom(err);
    ks->refs = 1;
    char *t = (char *)(ks->k + s->ncols);
    nanon = 0;
    for (size_t i = 0; i < s->ncols; i++) {
        key_parts p = export_key(s, i, &nanon, buf);
        ks->k[i] = t;
        size_t n = strlen(p.a);
        memcpy(t, p.a, n);
        t += n;
        if (p.b) {
            *t++ = '_';
            n = strlen(p.b);
            memcpy(t, p.b, n);
            t += n;
        }
        *t++ = '\0';
    }
    s->keys = ks;
    return 0;
}

/* === construction === */

/* Appends items to s->cols, expanding FROM elements into their columns. */
static int add_items(selectnode *s, rt_node *const *items, size_t n, rt_error *err)
{
    for (size_t i = 0; i < n; i++) {
        rt_node *it = items[i];
        if (!rt_node_is_expr(it) && !rt_node_is_from(it))
            return rt_error_set(err, RT_ERR_ARGUMENT,
                                "select(): a column expression or a table is required, "
                                "got %s", it ? rt_node_kind_name(it->kind) : "nothing");
        rt_node *from = rt_node_is_expr(it) ? NULL : rt_from_coerce(it, err);
        if (!rt_node_is_expr(it) && !from)
            return -1;
        size_t m = from ? rt_from_ncols(from) : 1;
        rt_node **a = rt_realloc(s->cols, (s->ncols + m + 1) * sizeof *a);
        if (!a) {
            rt_node_release(from);
            return rt_error_oom(err);
        }
        s->cols = a;
        for (size_t k = 0; k < m; k++) {
            a[s->ncols] = from ? rt_from_column(from, k, err) : rt_node_retain(it);
            if (!a[s->ncols]) {
                rt_node_release(from);
                return -1;
            }
            s->ncols++;
        }
        rt_node_release(from);
    }
    return 0;
}

static selectnode *select_alloc(rt_error *err)
{
    selectnode *s = rt_calloc(1, sizeof *s);
    if (!s) {
        rt_error_oom(err);
        return NULL;
    }
    rt_expr_node_init(&s->base, RT_NODE_SELECT, select_destroy);
    return s;
}

rt_node *rt_select_new(rt_node *const *cols, size_t n, rt_error *err)
{
    selectnode *s = select_alloc(err);
    if (!s)
        return NULL;
    if (add_items(s, cols, n, err) < 0 || compute_keys(s, err) < 0) {
        select_destroy(&s->base);
        return NULL;
    }
    return &s->base;
}

/* A new select sharing everything with s (children retained). */
static selectnode *select_copy(const rt_node *n, rt_error *err)
{
    if (!n || n->kind != RT_NODE_SELECT) {
        rt_error_set(err, RT_ERR_ARGUMENT, "a select is required, got %s",
                     n ? rt_node_kind_name(n->kind) : "nothing");
        return NULL;
    }
    const selectnode *s = (const selectnode *)n;
    selectnode *c = select_alloc(err);
    if (!c)
        return NULL;
    c->where = rt_node_retain(s->where);
    c->having = rt_node_retain(s->having);
    c->limit = rt_node_retain(s->limit);
    c->offset = rt_node_retain(s->offset);
    c->correlate_set = s->correlate_set;
    c->distinct = s->distinct;
    c->labels = s->labels;
    c->for_update = s->for_update;
    /* each count is set once its array is copied, so a failure frees right */
    if (rt_nodes_dup(s->cols, s->ncols, &c->cols, err) < 0)
        goto fail;
    c->keys = keys_retain(s->keys);
    c->ncols = s->ncols;
    if (rt_nodes_dup(s->froms, s->nfroms, &c->froms, err) < 0)
        goto fail;
    c->nfroms = s->nfroms;
    if (rt_nodes_dup(s->group_by, s->ngroup, &c->group_by, err) < 0)
        goto fail;
    c->ngroup = s->ngroup;
    if (rt_nodes_dup(s->order_by, s->norder, &c->order_by, err) < 0)
        goto fail;
    c->norder = s->norder;
    if (rt_nodes_dup(s->correlate, s->ncorrelate, &c->correlate, err) < 0)
        goto fail;
    c->ncorrelate = s->ncorrelate;
    return c;
fail:
    select_destroy(&c->base);
    return NULL;
}

static int need_expr(const rt_node *e, const char *what, rt_error *err)
{
    if (!rt_node_is_expr(e))
        return rt_error_set(err, RT_ERR_ARGUMENT, "%s: an SQL expression is required, got %s",
                            what, e ? rt_node_kind_name(e->kind) : "nothing");
    return 0;
}

/* old AND cond (a new reference). */
static rt_node *and_with(rt_node *old, rt_node *cond, rt_error *err)
{
    if (!old)
        return rt_node_retain(cond);
    rt_node *both[2] = {old, cond};
    return rt_list_new(RT_LIST_AND, both, 2, err);
}

rt_node *rt_select_where(rt_node *s, rt_node *cond, rt_error *err)
{
    if (need_expr(cond, "where()", err) < 0)
        return NULL;
    selectnode *c = select_copy(s, err);
    if (!c)
        return NULL;
    rt_node *w = and_with(c->where, cond, err);
    if (!w) {
        select_destroy(&c->base);
        return NULL;
    }
    rt_node_release(c->where);
    c->where = w;
    return &c->base;
}

rt_node *rt_select_having(rt_node *s, rt_node *cond, rt_error *err)
{
    if (need_expr(cond, "having()", err) < 0)
        return NULL;
    selectnode *c = select_copy(s, err);
    if (!c)
        return NULL;
    rt_node *h = and_with(c->having, cond, err);
    if (!h) {
        select_destroy(&c->base);
        return NULL;
    }
    rt_node_release(c->having);
    c->having = h;
    return &c->base;
}

/* Appends items (checked as expressions) to an array of retained nodes. */
static int append_exprs(rt_node ***arr, size_t *n, rt_node *const *items, size_t m,
                        const char *what, rt_error *err)
{
    for (size_t i = 0; i < m; i++)
        if (need_expr(items[i], what, err) < 0)
            return -1;
    rt_node **a = rt_realloc(*arr, (*n + m + 1) * sizeof *a);
    if (!a)
        return rt_error_oom(err);
    *arr = a;
    for (size_t i = 0; i < m; i++)
        a[(*n)++] = rt_node_retain(items[i]);
    return 0;
}

static rt_node *compound_copy(const rt_node *n, rt_error *err);

rt_node *rt_select_order_by(rt_node *s, rt_node *const *items, size_t n, rt_error *err)
{
    if (s && s->kind == RT_NODE_COMPOUND) {
        compoundnode *c = (compoundnode *)compound_copy(s, err);
        if (c && append_exprs(&c->order_by, &c->norder, items, n, "order_by()", err) < 0) {
            rt_node_release(&c->base);
            return NULL;
        }
        return c ? &c->base : NULL;
    }
    selectnode *c = select_copy(s, err);
    if (c && append_exprs(&c->order_by, &c->norder, items, n, "order_by()", err) < 0) {
        select_destroy(&c->base);
        return NULL;
    }
    return c ? &c->base : NULL;
}

rt_node *rt_select_group_by(rt_node *s, rt_node *const *items, size_t n, rt_error *err)
{
    selectnode *c = select_copy(s, err);
    if (c && append_exprs(&c->group_by, &c->ngroup, items, n, "group_by()", err) < 0) {
        select_destroy(&c->base);
        return NULL;
    }
    return c ? &c->base : NULL;
}

/* limit (which 0) or offset (which 1) of a select or compound. */
static rt_node *set_limit(rt_node *s, rt_node *value, int which, rt_error *err)
{
    if (value && need_expr(value, which ? "offset()" : "limit()", err) < 0)
        return NULL;
    rt_node **slot;
    rt_node *c;
    if (s && s->kind == RT_NODE_COMPOUND) {
        if (!(c = compound_copy(s, err)))
            return NULL;
        slot = which ? &((compoundnode *)c)->offset : &((compoundnode *)c)->limit;
    } else {
        selectnode *sc = select_copy(s, err);
        if (!sc)
            return NULL;
        c = &sc->base;
        slot = which ? &sc->offset : &sc->limit;
    }
    rt_node_release(*slot);
    *slot = rt_node_retain(value);
    return c;
}

rt_node *rt_select_limit(rt_node *s, rt_node *limit, rt_error *err)
{
    return set_limit(s, limit, 0, err);
}

rt_node *rt_select_offset(rt_node *s, rt_node *offset, rt_error *err)
{
    return set_limit(s, offset, 1, err);
}

rt_node *rt_select_distinct(rt_node *s, rt_error *err)
{
    selectnode *c = select_copy(s, err);
    if (c)
        c->distinct = 1;
    return c ? &c->base : NULL;
}

rt_node *rt_select_from(rt_node *s, rt_node *from, rt_error *err)
{
    if (!rt_node_is_from(from)) {
        rt_error_set(err, RT_ERR_ARGUMENT, "select_from(): a table, alias, join or subquery "
                     "is required, got %s", from ? rt_node_kind_name(from->kind) : "nothing");
        return NULL;
    }
    selectnode *c = select_copy(s, err);
    if (!c)
        return NULL;
    rt_node *f = rt_from_coerce(from, err);
    rt_node **a = f ? rt_realloc(c->froms, (c->nfroms + 1) * sizeof *a) : NULL;
    if (!a) {
        if (f && err->cls == RT_ERR_NONE)
            rt_error_oom(err);
        rt_node_release(f);
        select_destroy(&c->base);
        return NULL;
    }
    c->froms = a;
    a[c->nfroms++] = f;
    return &c->base;
}

rt_node *rt_select_correlate(rt_node *s, rt_node *const *froms, size_t n, rt_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (!rt_node_is_from(froms[i])) {
            rt_error_set(err, RT_ERR_ARGUMENT, "correlate(): a table or alias is required, "
                         "got %s", froms[i] ? rt_node_kind_name(froms[i]->kind) : "nothing");
            return NULL;
        }
    selectnode *c = select_copy(s, err);
    if (!c)
        return NULL;
    rt_node **a = n ? rt_realloc(c->correlate, (c->ncorrelate + n) * sizeof *a) : c->correlate;
    if (n && !a) {
        rt_error_oom(err);
        select_destroy(&c->base);
        return NULL;
    }
    c->correlate = a;
    for (size_t i = 0; i < n; i++)
        a[c->ncorrelate++] = rt_node_retain(froms[i]);
    c->correlate_set = 1;
    return &c->base;
}

rt_node *rt_select_for_update(rt_node *s, int nowait, rt_error *err)
{
    selectnode *c = select_copy(s, err);
    if (c)
        c->for_update = nowait ? 2 : 1;
    return c ? &c->base : NULL;
}

rt_node *rt_select_apply_labels(rt_node *s, rt_error *err)
{
    selectnode *c = select_copy(s, err);
    if (!c)
        return NULL;
    c->labels = 1;
    if (compute_keys(c, err) < 0) {
        select_destroy(&c->base);
        return NULL;
    }
    return &c->base;
}

/* Replaces (only) or extends the columns of a copy of s. */
static rt_node *set_columns(rt_node *s, rt_node *const *cols, size_t n, int only,
                            rt_error *err)
{
    selectnode *c = select_copy(s, err);
    if (!c)
        return NULL;
    keys_release(c->keys);
    c->keys = NULL;
    if (only) {
        rt_nodes_free(c->cols, c->ncols);
        c->cols = NULL;
        c->ncols = 0;
    }
    if (add_items(c, cols, n, err) < 0 || compute_keys(c, err) < 0) {
        select_destroy(&c->base);
        return NULL;
    }
    return &c->base;
}

rt_node *rt_select_add_columns(rt_node *s, rt_node *const *cols, size_t n, rt_error *err)
{
    return set_columns(s, cols, n, 0, err);
}

rt_node *rt_select_with_only_columns(rt_node *s, rt_node *const *cols, size_t n,
                                     rt_error *err)
{
    return set_columns(s, cols, n, 1, err);
}

/* === compound selects === */

static void compound_destroy(rt_node *n)
{
    compoundnode *c = (compoundnode *)n;
    rt_nodes_free(c->selects, c->n);
    rt_nodes_free(c->order_by, c->norder);
    rt_node_release(c->limit);
    rt_node_release(c->offset);
    rt_free(c);
}

static compoundnode *compound_alloc(rt_compound_op op, rt_node *const *selects, size_t n,
                                    rt_error *err)
{
    compoundnode *c = rt_calloc(1, sizeof *c);
    if (!c) {
        rt_error_oom(err);
        return NULL;
    }
    if (rt_nodes_dup(selects, n, &c->selects, err) < 0) {
        rt_free(c);
        return NULL;
    }
    rt_expr_node_init(&c->base, RT_NODE_COMPOUND, compound_destroy);
    c->op = op;
    c->n = n;
    return c;
}

rt_node *rt_compound_new(rt_compound_op op, rt_node *const *selects, size_t n, rt_error *err)
{
    if (n == 0) {
        rt_error_set(err, RT_ERR_ARGUMENT, "a compound select needs at least one select");
        return NULL;
    }
    size_t ncols = 0;
    for (size_t i = 0; i < n; i++) {
        if (!rt_node_is_selectable(selects[i])) {
            rt_error_set(err, RT_ERR_ARGUMENT, "union(), intersect(), except_(): select #%zu "
                         "is %s, not a select", i + 1,
                         selects[i] ? rt_node_kind_name(selects[i]->kind) : "nothing");
            return NULL;
        }
        size_t m = rt_select_first(selects[i])->ncols;
        if (i == 0)
            ncols = m;
        else if (m != ncols) {
            rt_error_set(err, RT_ERR_ARGUMENT, "All selectables passed to CompoundSelect must "
                         "have identical numbers of columns; select #1 has %zu columns, "
                         "select #%zu has %zu", ncols, i + 1, m);
            return NULL;
        }
    }
    compoundnode *c = compound_alloc(op, selects, n, err);
    return c ? &c->base : NULL;
}

static rt_node *compound_copy(const rt_node *n, rt_error *err)
{
    const compoundnode *s = (const compoundnode *)n;
    compoundnode *c = compound_alloc(s->op, s->selects, s->n, err);
    if (!c)
        return NULL;
    if (rt_nodes_dup(s->order_by, s->norder, &c->order_by, err) < 0) {
        compound_destroy(&c->base);
        return NULL;
    }
    c->norder = s->norder;
    c->limit = rt_node_retain(s->limit);
    c->offset = rt_node_retain(s->offset);
    return &c->base;
}

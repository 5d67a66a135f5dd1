/* from.c: FROM elements: the node of a table, aliases (of tables and of
 * selects, i.e. subqueries), joins with their ON clause derived from foreign
 * keys, and the column nodes these elements export.
 *
 * Ownership runs one way: a column node retains its FROM element, which
 * keeps only a weak pointer back (cleared when the column dies), so asking
 * twice for users.c.name gives the same node for as long as anyone holds it.
 * A table's node is kept weakly in rt_table.upper in the same way and
 * retains the table's MetaData, so the table cannot be freed under it.
 * Rendering FROM elements is in compile_select.c. */
#include "expr_int.h"

#include <string.h>

/* === table nodes === */

static void table_destroy(rt_node *n)
{
    tablenode *t = (tablenode *)n;
    rt_metadata *md = t->md;
    if (t->table->upper == n)
        t->table->upper = NULL;
    rt_sql_cache_forget_table(t->table);   /* its pointer may be reused from now on */
    rt_free(t->cols);
    rt_free(t);
    rt_metadata_release(md);   /* may free the table: last */
}

rt_node *rt_table_node(rt_table *t, rt_error *err)
{
    if (!t) {
        rt_error_set(err, RT_ERR_ARGUMENT, "a table is required");
        return NULL;
    }
    if (t->upper)
        return rt_node_retain(t->upper);
    tablenode *tn = rt_calloc(1, sizeof *tn);
    if (!tn) {
        rt_error_oom(err);
        return NULL;
    }
    rt_expr_node_init(&tn->base, RT_NODE_TABLE, table_destroy);
    tn->table = t;
    tn->md = t->metadata ? rt_metadata_retain(t->metadata) : NULL;
    t->upper = &tn->base;
    return &tn->base;
}

rt_table *rt_table_of(const rt_node *n)
{
    return n && n->kind == RT_NODE_TABLE ? ((const tablenode *)n)->table : NULL;
}

/* === column nodes === */

/* The weak column array of a table or alias node. */
static rt_node ***col_array(rt_node *from, size_t **cap)
{
    if (from->kind == RT_NODE_TABLE) {
        *cap = &((tablenode *)from)->capcols;
        return &((tablenode *)from)->cols;
    }
    *cap = &((aliasnode *)from)->capcols;
    return &((aliasnode *)from)->cols;
}

static void col_destroy(rt_node *n)
{
    colnode *c = (colnode *)n;
    size_t *cap;
    rt_node ***cols = col_array(c->from, &cap);
    if (c->index < *cap && (*cols)[c->index] == n)
        (*cols)[c->index] = NULL;
    rt_node_release(c->from);
    rt_free(c);
}

static rt_node *column_node(rt_node *from, size_t i, rt_error *err)
{
    size_t *cap;
    rt_node ***cols = col_array(from, &cap);
    if (i >= *cap) {
        size_t ncap = i + 8;
        rt_node **a = rt_realloc(*cols, ncap * sizeof *a);
        if (!a) {
            rt_error_oom(err);
            return NULL;
        }
        memset(a + *cap, 0, (ncap - *cap) * sizeof *a);
        *cols = a;
        *cap = ncap;
    }
    if ((*cols)[i])
        return rt_node_retain((*cols)[i]);
    colnode *c = rt_calloc(1, sizeof *c);
    if (!c) {
        rt_error_oom(err);
        return NULL;
    }
    rt_expr_node_init(&c->base, RT_NODE_COLUMN, col_destroy);
    c->from = rt_node_retain(from);
    c->index = i;
    (*cols)[i] = &c->base;
    return &c->base;
}

rt_column *rt_column_of(const rt_node *n)
{
    if (!n || n->kind != RT_NODE_COLUMN)
        return NULL;
    const colnode *c = (const colnode *)n;
    return rt_from_table_column(c->from, c->index);
}

rt_node *rt_column_from(const rt_node *n)
{
    return n && n->kind == RT_NODE_COLUMN ? ((const colnode *)n)->from : NULL;
}

/* === what FROM elements export === */

rt_node *rt_from_base_table(const rt_node *from)
{
    if (from->kind == RT_NODE_TABLE)
        return (rt_node *)from;
    if (from->kind == RT_NODE_ALIAS && ((const aliasnode *)from)->element->kind == RT_NODE_TABLE)
        return ((const aliasnode *)from)->element;
    return NULL;
}

const selectnode *rt_from_select(const rt_node *from)
{
    if (from->kind != RT_NODE_ALIAS)
        return NULL;
    return rt_select_first(((const aliasnode *)from)->element);
}

rt_column *rt_from_table_column(const rt_node *from, size_t i)
{
    const rt_node *t = rt_from_base_table(from);
    if (!t)
        return NULL;
    const rt_table *tab = ((const tablenode *)t)->table;
    return i < tab->ncols ? tab->columns[i] : NULL;
}

const char *rt_from_column_name(const rt_node *from, size_t i)
{
    rt_column *c = rt_from_table_column(from, i);
    return c ? c->name : rt_from_column_key(from, i);
}

size_t rt_from_ncols(const rt_node *from)
{
    switch (from->kind) {
    case RT_NODE_TABLE: return ((const tablenode *)from)->table->ncols;
    case RT_NODE_ALIAS: return rt_from_ncols(((const aliasnode *)from)->element);
    case RT_NODE_JOIN: {
        const joinnode *j = (const joinnode *)from;
        return rt_from_ncols(j->left) + rt_from_ncols(j->right);
    }
    case RT_NODE_SELECT:
    case RT_NODE_COMPOUND: return rt_select_first(from)->ncols;
    default: return 0;
    }
}

const char *rt_from_column_key(const rt_node *from, size_t i)
{
    if (i >= rt_from_ncols(from))
        return NULL;
    if (from->kind == RT_NODE_JOIN) {
        const joinnode *j = (const joinnode *)from;
        size_t nl = rt_from_ncols(j->left);
        return i < nl ? rt_from_column_key(j->left, i) : rt_from_column_key(j->right, i - nl);
    }
    rt_column *c = rt_from_table_column(from, i);
    if (c)
        return c->key;
    const selectnode *s = from->kind == RT_NODE_ALIAS ? rt_from_select(from)
                                                      : rt_select_first(from);
    return s ? s->keys->k[i] : NULL;
}

rt_node *rt_from_column(rt_node *from, size_t i, rt_error *err)
{
    if (!from || i >= rt_from_ncols(from)) {
        rt_error_set(err, RT_ERR_INVALID_REQUEST, "column index %zu out of range", i + 1);
        return NULL;
    }
    switch (from->kind) {
    case RT_NODE_TABLE:
    case RT_NODE_ALIAS: return column_node(from, i, err);
    case RT_NODE_JOIN: {
        joinnode *j = (joinnode *)from;
        size_t nl = rt_from_ncols(j->left);
        return i < nl ? rt_from_column(j->left, i, err) : rt_from_column(j->right, i - nl, err);
    }
    default: return rt_node_retain(rt_select_first(from)->cols[i]);
    }
}

/* The name a join prefixes its columns' keys with: the table or alias name. */
static const char *element_name(const rt_node *from)
{
    if (from->kind == RT_NODE_TABLE)
        return ((const tablenode *)from)->table->name;
    if (from->kind == RT_NODE_ALIAS) {
        const aliasnode *a = (const aliasnode *)from;
        return a->name ? a->name : a->element->kind == RT_NODE_TABLE
                                       ? ((const tablenode *)a->element)->table->name
                                       : "anon";
    }
    return NULL;
}

/* For joins, "users_id" finds users.c.id as SQLAlchemy's join.c does. */
static rt_node *join_column_by_label(rt_node *from, const char *key, rt_error *err)
{
    size_t n = rt_from_ncols(from);
    for (size_t i = 0; i < n; i++) {
        rt_node *c = rt_from_column(from, i, err);
        if (!c)
            return NULL;
        const char *prefix = element_name(((colnode *)c)->from);
        size_t pl = prefix ? strlen(prefix) : 0;
        if (prefix && strncmp(key, prefix, pl) == 0 && key[pl] == '_' &&
            strcmp(key + pl + 1, rt_from_column_key(from, i)) == 0)
            return c;
        rt_node_release(c);
    }
    return NULL;
}

rt_node *rt_from_column_by_key(rt_node *from, const char *key, rt_error *err)
{
    if (!from || !key)
        return NULL;
    size_t n = rt_from_ncols(from);
    if (from->kind == RT_NODE_JOIN) {
        rt_node *c = join_column_by_label(from, key, err);
        if (c || err->cls != RT_ERR_NONE)
            return c;
    }
    for (size_t i = 0; i < n; i++) {
        const char *k = rt_from_column_key(from, i);
        if (k && strcmp(k, key) == 0)
            return rt_from_column(from, i, err);
    }
    return NULL;
}

/* === aliases === */

static void alias_destroy(rt_node *n)
{
    aliasnode *a = (aliasnode *)n;
    rt_node_release(a->element);
    rt_free(a->name);
    rt_free(a->cols);
    rt_free(a);
}

rt_node *rt_alias_new(rt_node *from, const char *name, rt_error *err)
{
    if (from && from->kind == RT_NODE_ALIAS)
        from = ((aliasnode *)from)->element;   /* an alias of an alias: of the same thing */
    if (!from || !(from->kind == RT_NODE_TABLE || rt_node_is_selectable(from))) {
        rt_error_set(err, RT_ERR_ARGUMENT, "alias(): a table or a select is required, got %s%s",
                     from ? rt_node_kind_name(from->kind) : "nothing",
                     from && from->kind == RT_NODE_JOIN ? " (select from the join and take "
                                                          "its subquery())" : "");
        return NULL;
    }
    if (name && !*name) {
        rt_error_set(err, RT_ERR_ARGUMENT, "alias(): the name may not be empty");
        return NULL;
    }
    aliasnode *a = rt_calloc(1, sizeof *a);
    if (!a || (name && !(a->name = rt_strdup(name)))) {
        rt_free(a);
        rt_error_oom(err);
        return NULL;
    }
    rt_expr_node_init(&a->base, RT_NODE_ALIAS, alias_destroy);
    a->element = rt_node_retain(from);
    return &a->base;
}

rt_node *rt_from_coerce(rt_node *n, rt_error *err)
{
    if (rt_node_is_selectable(n))
        return rt_alias_new(n, NULL, err);
    return rt_node_retain(n);
}

/* === joins === */

static void join_destroy(rt_node *n)
{
    joinnode *j = (joinnode *)n;
    rt_node_release(j->left);
    rt_node_release(j->right);
    rt_node_release(j->on);
    rt_free(j);
}

/* Tables and aliases of tables in a FROM element, left to right. */
static void leaves(rt_node *from, rt_node **out, size_t *n, size_t max)
{
    if (from->kind == RT_NODE_JOIN) {
        leaves(((joinnode *)from)->left, out, n, max);
        leaves(((joinnode *)from)->right, out, n, max);
    } else if (rt_from_base_table(from) && *n < max) {
        out[(*n)++] = from;
    }
}

static void describe(const rt_node *from, rt_buf *b)
{
    if (from->kind == RT_NODE_JOIN) {
        describe(((const joinnode *)from)->left, b);
        rt_buf_puts(b, " JOIN ");
        describe(((const joinnode *)from)->right, b);
    } else {
        const char *name = element_name(from);
        rt_buf_puts(b, from->kind == RT_NODE_TABLE
                           ? rt_table_fullname(((const tablenode *)from)->table)
                           : name);
    }
}

static int join_error(const rt_node *a, const rt_node *b, int many, rt_error *err)
{
    rt_buf da, db;
    rt_buf_init(&da);
    rt_buf_init(&db);
    describe(a, &da);
    describe(b, &db);
    if (many)
        rt_error_set(err, RT_ERR_ARGUMENT,
                     "Can't determine join between '%s' and '%s'; tables have more than one "
                     "foreign key constraint relationship between them. Please specify the "
                     "'onclause' of this join explicitly.", rt_buf_str(&da), rt_buf_str(&db));
    else
        rt_error_set(err, RT_ERR_ARGUMENT,
                     "Can't find any foreign key relationships between '%s' and '%s'.",
                     rt_buf_str(&da), rt_buf_str(&db));
    rt_buf_free(&da);
    rt_buf_free(&db);
    return -1;
}

typedef struct fkscan {
    const rt_constraint *found;   /* the one constraint found so far */
    int nfound;                   /* distinct constraints */
    rt_node *conds[32];           /* pairs as `referenced = referencing` */
    size_t nconds;
} fkscan;

/* Adds the conditions of every FK of `from_el`'s table that references
 * `to_el`'s table: to.target = from.local. */
static int scan_fks(fkscan *sc, rt_node *from_el, rt_node *to_el, rt_error *err)
{
    const rt_table *ft = ((tablenode *)rt_from_base_table(from_el))->table;
    const rt_table *tt = ((tablenode *)rt_from_base_table(to_el))->table;
    for (size_t k = 0; k < ft->nconstraints; k++) {
        const rt_constraint *c = ft->constraints[k];
        rt_error ignore;   /* a key to a table not in the MetaData is skipped */
        rt_error_init(&ignore);
        int refs = c->kind == RT_CONSTRAINT_FOREIGN_KEY &&
                   rt_foreign_key_table(c, ft->metadata, &ignore) == tt;
        if (ignore.cls == RT_ERR_MEMORY)
            return rt_error_oom(err);
        rt_error_clear(&ignore);
        if (!refs || c == sc->found)
            continue;
        sc->found = c;
        if (++sc->nfound > 1)
            continue;
        for (size_t i = 0; i < c->ncols && sc->nconds < 32; i++) {
            rt_column *target = rt_foreign_key_target(c, i, ft->metadata, &ignore);
            if (ignore.cls == RT_ERR_MEMORY)
                return rt_error_oom(err);
            rt_error_clear(&ignore);
            if (!target)
                continue;
            rt_node *l = rt_from_column(to_el, target->position, err);
            rt_node *r = l ? rt_from_column(from_el, c->columns[i]->position, err) : NULL;
            rt_node *eq = r ? rt_binary_new(l, RT_OP_EQ, r, NULL, err) : NULL;
            rt_node_release(l);
            rt_node_release(r);
            if (!eq)
                return -1;
            sc->conds[sc->nconds++] = eq;
        }
    }
    return 0;
}

static int scan_pass(fkscan *sc, rt_node **ls, size_t nl, rt_node **rs, size_t nr,
                     rt_error *err)
{
    for (size_t i = 0; i < nr; i++)
        for (size_t j = 0; j < nl; j++) {
            if (scan_fks(sc, rs[i], ls[j], err) < 0)
                return -1;
            if (ls[j] != rs[i] && scan_fks(sc, ls[j], rs[i], err) < 0)
                return -1;
        }
    return 0;
}

/* The ON clause from foreign keys, as SQLAlchemy's join_condition(): the
 * right side against the left join's right side first, then the whole left. */
static rt_node *derive_on(rt_node *left, rt_node *right, rt_error *err)
{
    rt_node *ls[64], *rs[64];
    size_t nl = 0, nr = 0;
    fkscan sc = {0};
    leaves(right, rs, &nr, 64);
    int rc = 0;
    if (left->kind == RT_NODE_JOIN) {
        leaves(((joinnode *)left)->right, ls, &nl, 64);
        rc = scan_pass(&sc, ls, nl, rs, nr, err);
    }
    if (rc == 0 && sc.nfound == 0) {
        nl = 0;
        leaves(left, ls, &nl, 64);
        rc = scan_pass(&sc, ls, nl, rs, nr, err);
    }
    rt_node *on = NULL;
    if (rc == 0 && (sc.nfound != 1 || sc.nconds == 0))
        join_error(left, right, sc.nfound > 1, err);
    else if (rc == 0)
        on = rt_list_new(RT_LIST_AND, sc.conds, sc.nconds, err);
    for (size_t i = 0; i < sc.nconds; i++)
        rt_node_release(sc.conds[i]);
    return on;
}

rt_node *rt_join_new(rt_node *left, rt_node *right, rt_node *on, int isouter, int full,
                     rt_error *err)
{
    if (!rt_node_is_from(left) || !rt_node_is_from(right)) {
        const rt_node *bad = rt_node_is_from(left) ? right : left;
        rt_error_set(err, RT_ERR_ARGUMENT, "join(): a table, alias, join or subquery is "
                     "required, got %s", bad ? rt_node_kind_name(bad->kind) : "nothing");
        return NULL;
    }
    if (on && !rt_node_is_expr(on)) {
        rt_error_set(err, RT_ERR_ARGUMENT, "join(): the ON clause must be an SQL expression, "
                     "got %s", rt_node_kind_name(on->kind));
        return NULL;
    }
    joinnode *j = rt_calloc(1, sizeof *j);
    if (!j) {
        rt_error_oom(err);
        return NULL;
    }
    rt_expr_node_init(&j->base, RT_NODE_JOIN, join_destroy);
    j->isouter = isouter || full;
    j->full = full;
    j->left = rt_from_coerce(left, err);
    j->right = j->left ? rt_from_coerce(right, err) : NULL;
    j->on = !j->right ? NULL : on ? rt_node_retain(on) : derive_on(j->left, j->right, err);
    if (!j->on) {
        join_destroy(&j->base);
        return NULL;
    }
    return &j->base;
}

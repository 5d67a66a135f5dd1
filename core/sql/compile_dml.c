/* compile_dml.c: rendering of INSERT, UPDATE and DELETE.
 *
 * Which columns an INSERT or UPDATE sets follows SQLAlchemy 1.x (crud.py):
 * the keys of values() and of the execution parameters, in the table's
 * column order; with neither, every column.  Columns left out take their
 * client-side default (INSERT) or onupdate (UPDATE): a constant or a Lua
 * function becomes a parameter named after the column, which the binding
 * fills (slot_binds -1); an SQL expression is rendered in place; a sequence
 * renders nextval() where the dialect has sequences.  Columns with server
 * defaults, and autoincrementing keys, are left to the database.  On
 * dialects with implicit RETURNING (PostgreSQL) a single-row INSERT whose
 * primary key is not fully given returns it (returning_added); SQLite uses
 * lastrowid instead, as SQLAlchemy 1.x does. */
#include "expr_int.h"

#include <string.h>

enum { SET_NONE, SET_VALUE, SET_PARAM, SET_DEFAULT_PARAM, SET_DEFAULT_EXPR, SET_SEQUENCE };

typedef struct crud {
    const rt_column *col;
    int how;                   /* SET_* */
    long vi;                   /* index into values() keys for SET_VALUE */
} crud;

static int has_key(const rt_cctx *cc, const char *key)
{
    for (size_t i = 0; i < cc->nkeys; i++)
        if (cc->keys[i] && strcmp(cc->keys[i], key) == 0)
            return 1;
    return 0;
}

static long value_index(const dmlnode *s, const char *key)
{
    for (size_t i = 0; i < s->nkeys; i++)
        if (strcmp(s->keys[i], key) == 0)
            return (long)i;
    return -1;
}

/* values() keys that name no column: SQLAlchemy's "Unconsumed column names". */
static int check_consumed(rt_cctx *cc, const dmlnode *s, const rt_table *t)
{
    rt_buf names;
    rt_buf_init(&names);
    for (size_t i = 0; i < s->nkeys; i++)
        if (!rt_table_column(t, s->keys[i]))
            rt_buf_printf(&names, "%s%s", names.len ? ", " : "", s->keys[i]);
    if (names.len)
        cc_error(cc, RT_ERR_COMPILE, "Unconsumed column names: %s", rt_buf_str(&names));
    rt_buf_free(&names);
    return cc->nerr ? -1 : 0;
}

/* How column c takes part in the statement. */
static crud decide(rt_cctx *cc, const dmlnode *s, const rt_column *c, int all)
{
    crud r = {c, SET_NONE, value_index(s, c->key)};
    int insert = s->base.kind == RT_NODE_INSERT;
    const rt_default *d = insert ? &c->default_ : &c->onupdate;
    if (r.vi >= 0)
        r.how = SET_VALUE;
    else if ((cc->has_keys && has_key(cc, c->key) && s->nrows <= 1) || all)
        r.how = SET_PARAM;
    else if (insert && c->sequence && cc->d->sequences && !c->sequence->optional)
        r.how = SET_SEQUENCE;
    else if (d->kind == RT_DEFAULT_SCALAR || d->kind == RT_DEFAULT_CALLABLE)
        r.how = SET_DEFAULT_PARAM;
    else if (d->kind == RT_DEFAULT_EXPR && d->expr.node)
        r.how = SET_DEFAULT_EXPR;
    return r;
}

/* The columns set, in table order; *n of them.  Arena memory. */
static crud *decide_all(rt_cctx *cc, const dmlnode *s, size_t *n)
{
    const rt_table *t = rt_table_of(s->table);
    int all = !cc->has_keys && s->nrows == 0;
    crud *a = cc_alloc(cc, (t->ncols + 1) * sizeof *a);
    *n = 0;
    if (!a)
        return NULL;
    for (size_t i = 0; i < t->ncols; i++) {
        crud r = decide(cc, s, t->columns[i], all);
        if (r.how != SET_NONE)
            a[(*n)++] = r;
    }
    return a;
}

/* A value given to values(): anonymous binds take the column's name. */
static void render_value(rt_cctx *cc, const rt_node *v, const char *name)
{
    if (v->kind == RT_NODE_BIND && !((const bindnode *)v)->key) {
        cc_bind(cc, v, name);
    } else if (rt_node_is_selectable(v)) {
        rt_buf_putc(cc->b, '(');
        cc_select(cc, v, CC_NESTED);
        rt_buf_putc(cc->b, ')');
    } else {
        cc_expr_in(cc, v, 1000, -1);   /* grouped as SQLAlchemy's self_group() */
    }
}

static void render_sequence(rt_cctx *cc, const rt_sequence *seq)
{
    rt_buf name;
    rt_buf_init(&name);
    if (seq->schema) {
        rt_dialect_quote(cc->d, &name, seq->schema);
        rt_buf_putc(&name, '.');
    }
    rt_dialect_quote(cc->d, &name, seq->name);
    cc_puts(cc, "nextval('");
    for (const char *p = rt_buf_str(&name); *p; p++) {
        if (*p == '\'')
            rt_buf_putc(cc->b, '\'');
        rt_buf_putc(cc->b, *p);
    }
    cc_puts(cc, "')");
    rt_buf_free(&name);
}

/* The SQL of one column's value in row `row` (of nrows). */
static void render_crud(rt_cctx *cc, const dmlnode *s, const crud *r, size_t row)
{
    const rt_column *c = r->col;
    const rt_default *d = s->base.kind == RT_NODE_INSERT ? &c->default_ : &c->onupdate;
    switch (r->how) {
    case SET_VALUE: {
        const char *name = s->nrows > 1 ? cc_printf(cc, "%s_m%zu", c->key, row) : c->key;
        render_value(cc, s->values[row * s->nkeys + (size_t)r->vi], name ? name : c->key);
        break;
    }
    case SET_PARAM:
    case SET_DEFAULT_PARAM:
        if (rt_map_set(cc->explicit_binds, c->key, (void *)(intptr_t)2) < 0)
            cc_oom(cc);
        cc_slot(cc, c->key, -1, c->type);
        break;
    case SET_DEFAULT_EXPR: render_value(cc, d->expr.node, c->key); break;
    case SET_SEQUENCE: render_sequence(cc, c->sequence); break;
    }
}

/* === RETURNING === */

static void render_returning(rt_cctx *cc, rt_node *const *cols, size_t n)
{
    if (n == 0)
        return;
    cc_puts(cc, " RETURNING ");
    for (size_t i = 0; i < n; i++) {
        const rt_node *e = cols[i];
        const char *key;
        if (i)
            cc_puts(cc, ", ");
        if (e->kind == RT_NODE_COLUMN) {
            cc_expr(cc, e);
            key = rt_from_column_name(((const colnode *)e)->from, ((const colnode *)e)->index);
        } else {
            const labelnode *l = e->kind == RT_NODE_LABEL ? (const labelnode *)e : NULL;
            cc_expr(cc, l ? l->expr : e);
            key = l && l->name ? l->name : cc_anon_label(cc, e, "anon");
            cc_puts(cc, " AS ");
            cc_ident(cc, key);
        }
        if (cc->want_columns)
            cc_result_column(cc, key, e, rt_expr_type(e));
    }
}

/* Where each primary-key column is in the RETURNING list. */
static void find_pk_returning(rt_cctx *cc, rt_node *const *cols, size_t n)
{
    const rt_constraint *pk = rt_table_primary_key(cc->table);
    if (!pk || pk->ncols == 0 || n == 0)
        return;
    long *pos = rt_calloc(pk->ncols, sizeof *pos);
    if (!pos) {
        cc_oom(cc);
        return;
    }
    int any = 0;
    for (size_t k = 0; k < pk->ncols; k++) {
        pos[k] = -1;
        for (size_t i = 0; i < n && pos[k] < 0; i++)
            if (rt_column_of(cols[i]) == pk->columns[k] &&
                rt_table_of(rt_column_from(cols[i])) == cc->table) {
                pos[k] = (long)i;
                any = 1;
            }
    }
    if (!any) {
        rt_free(pos);
        return;
    }
    rt_free(cc->pk_returning);
    cc->pk_returning = pos;
}

/* The primary-key columns a single-row INSERT leaves to the database, on a
 * dialect with implicit RETURNING: rendered as RETURNING users.id (the
 * result columns have no node: the binding reads them by pk_returning). */
static int implicit_returning(rt_cctx *cc, const dmlnode *s, const crud *set, size_t nset)
{
    if (!cc->d->implicit_returning || cc->many || s->nrows > 1 || s->nreturning || s->select)
        return 0;
    const rt_constraint *pk = rt_table_primary_key(cc->table);
    long *pos = rt_calloc(pk->ncols + 1, sizeof *pos);
    if (!pos) {
        cc_oom(cc);
        return 0;
    }
    long nret = 0;
    for (size_t k = 0; k < pk->ncols; k++) {
        const rt_column *c = pk->columns[k];
        /* returned when the database makes the value: autoincrement, a
         * sequence, a server default, an SQL expression default */
        int made = rt_column_autoincrements(c) || c->server_default.kind != RT_DEFAULT_NONE;
        for (size_t i = 0; i < nset; i++)
            if (set[i].col == c)
                made = set[i].how == SET_SEQUENCE || set[i].how == SET_DEFAULT_EXPR;
        pos[k] = -1;
        if (!made)
            continue;
        cc_puts(cc, nret ? ", " : " RETURNING ");
        cc_from_name(cc, s->table);
        rt_buf_putc(cc->b, '.');
        cc_ident(cc, c->name);
        if (cc->want_columns)
            cc_result_column(cc, c->name, NULL, c->type);
        pos[k] = nret++;
    }
    if (!nret) {
        rt_free(pos);
        return 0;
    }
    rt_free(cc->pk_returning);
    cc->pk_returning = pos;
    return 1;
}

/* === INSERT === */

static void render_insert_rows(rt_cctx *cc, const dmlnode *s, const crud *set, size_t nset)
{
    cc_puts(cc, " (");
    for (size_t i = 0; i < nset; i++) {
        if (i)
            cc_puts(cc, ", ");
        cc_ident(cc, set[i].col->name);
    }
    cc_puts(cc, ") VALUES ");
    size_t nrows = s->nrows > 1 ? s->nrows : 1;
    for (size_t row = 0; row < nrows; row++) {
        cc_puts(cc, row ? ", (" : "(");
        for (size_t i = 0; i < nset; i++) {
            if (i)
                cc_puts(cc, ", ");
            render_crud(cc, s, &set[i], row);
        }
        rt_buf_putc(cc->b, ')');
    }
}

static void render_from_select(rt_cctx *cc, const dmlnode *s)
{
    const rt_table *t = cc->table;
    cc_puts(cc, " (");
    for (size_t i = 0; i < s->nsel_keys; i++) {
        if (i)
            cc_puts(cc, ", ");
        cc_ident(cc, rt_table_column(t, s->sel_keys[i])->name);
    }
    cc_puts(cc, ") ");
    cc_select(cc, s->select, CC_NESTED);
}

void cc_insert(rt_cctx *cc, const dmlnode *s)
{
    cc->table = rt_table_of(s->table);
    if (check_consumed(cc, s, cc->table) < 0)
        return;
    cc_push_level(cc, &s->base, NULL, 0);
    cc_puts(cc, "INSERT INTO ");
    cc_from_name(cc, s->table);
    size_t nset = 0;
    crud *set = NULL;
    if (s->select) {
        render_from_select(cc, s);
    } else {
        set = decide_all(cc, s, &nset);
        if (nset)
            render_insert_rows(cc, s, set, nset);
        else
            cc_puts(cc, " DEFAULT VALUES");
    }
    if (implicit_returning(cc, s, set, nset)) {
        cc->returning_added = 1;
    } else {
        render_returning(cc, s->returning, s->nreturning);
        find_pk_returning(cc, s->returning, s->nreturning);
    }
    cc_pop_level(cc);
}

/* === UPDATE and DELETE === */

/* Tables other than the target that the WHERE clause (and SET values) use. */
static rt_node **extra_froms(rt_cctx *cc, const dmlnode *s, size_t *n)
{
    rt_node **a = NULL;
    size_t cap = 0;
    *n = 0;
    for (size_t i = 0; i < s->nkeys * (s->nrows ? 1 : 0); i++)
        if (rt_node_is_expr(s->values[i]))
            cc_expr_froms(cc, s->values[i], &a, n, &cap);
    cc_expr_froms(cc, s->where, &a, n, &cap);
    size_t m = 0;
    for (size_t i = 0; i < *n; i++)
        if (a[i] != s->table)
            a[m++] = a[i];
    *n = m;
    return a;
}

static void render_extra_froms(rt_cctx *cc, const char *kw, rt_node **froms, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cc_puts(cc, i ? ", " : kw);
        cc_from_element(cc, froms[i]);
    }
}

static void render_where(rt_cctx *cc, const rt_node *where)
{
    if (!where || (where->kind == RT_NODE_LIST && ((const listnode *)where)->n == 0))
        return;
    cc_puts(cc, " WHERE ");
    cc_expr(cc, where);
}

static void push_dml_level(rt_cctx *cc, const dmlnode *s, rt_node **extra, size_t nextra)
{
    rt_node **froms = cc_alloc(cc, (nextra + 1) * sizeof *froms);
    if (!froms)
        return;
    froms[0] = s->table;
    if (nextra)
        memcpy(froms + 1, extra, nextra * sizeof *froms);
    cc_push_level(cc, &s->base, froms, nextra + 1);
}

void cc_update(rt_cctx *cc, const dmlnode *s)
{
    cc->table = rt_table_of(s->table);
    if (check_consumed(cc, s, cc->table) < 0)
        return;
    size_t nextra, nset;
    rt_node **extra = extra_froms(cc, s, &nextra);
    if (nextra && !cc->d->update_from) {
        cc_error(cc, RT_ERR_COMPILE, "This backend does not support multiple-table criteria "
                 "within UPDATE");
        return;
    }
    crud *set = decide_all(cc, s, &nset);
    if (nset == 0 && !cc->oom) {
        cc_error(cc, RT_ERR_COMPILE, "UPDATE of table '%s' has no columns to SET: give "
                 "values() or parameters named after its columns", cc->table->name);
        return;
    }
    push_dml_level(cc, s, extra, nextra);
    cc_puts(cc, "UPDATE ");
    cc_from_name(cc, s->table);
    cc_puts(cc, " SET ");
    for (size_t i = 0; i < nset; i++) {
        if (i)
            cc_puts(cc, ", ");
        cc_ident(cc, set[i].col->name);
        rt_buf_putc(cc->b, '=');
        render_crud(cc, s, &set[i], 0);
    }
    render_extra_froms(cc, " FROM ", extra, nextra);
    render_where(cc, s->where);
    render_returning(cc, s->returning, s->nreturning);
    find_pk_returning(cc, s->returning, s->nreturning);
    cc_pop_level(cc);
}

void cc_delete(rt_cctx *cc, const dmlnode *s)
{
    cc->table = rt_table_of(s->table);
    size_t nextra;
    rt_node **extra = extra_froms(cc, s, &nextra);
    if (nextra && !cc->d->delete_using) {
        cc_error(cc, RT_ERR_COMPILE, "This backend does not support multiple-table criteria "
                 "within DELETE");
        return;
    }
    push_dml_level(cc, s, extra, nextra);
    cc_puts(cc, "DELETE FROM ");
    cc_from_name(cc, s->table);
    render_extra_froms(cc, " USING ", extra, nextra);
    render_where(cc, s->where);
    render_returning(cc, s->returning, s->nreturning);
    find_pk_returning(cc, s->returning, s->nreturning);
    cc_pop_level(cc);
}

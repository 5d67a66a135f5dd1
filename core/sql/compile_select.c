/* compile_select.c: rendering of SELECT, compound selects and FROM
 * elements (tables, aliases, subqueries, joins).
 *
 * The FROM list of a select is worked out here: the select_from() elements,
 * then the FROM elements of its columns and WHERE clause in order of
 * appearance, minus those inside joins, minus those correlated away.  A
 * select embedded in another (scalar subquery, EXISTS, IN) with more than
 * one FROM element drops those the enclosing select has (auto-correlation)
 * unless that leaves none; a subquery in FROM correlates only explicitly.
 * Each level of nesting is pushed on the context's select stack. */
#include "expr_int.h"

#include <string.h>

/* === arrays of FROM elements (arena memory) === */

typedef struct nodelist {
    rt_node **a;
    size_t n, cap;
} nodelist;

static int contains(rt_node *const *a, size_t n, const rt_node *x)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] == x)
            return 1;
    return 0;
}

static void push_unique(rt_cctx *cc, rt_node ***a, size_t *n, size_t *cap, rt_node *x)
{
    if (contains(*a, *n, x))
        return;
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        rt_node **na = cc_alloc(cc, ncap * sizeof *na);
        if (!na)
            return;
        if (*n)
            memcpy(na, *a, *n * sizeof *na);
        *a = na;
        *cap = ncap;
    }
    (*a)[(*n)++] = x;
}

void cc_expr_froms(rt_cctx *cc, const rt_node *e, rt_node ***out, size_t *n, size_t *cap)
{
    if (!e)
        return;
    switch (e->kind) {
    case RT_NODE_COLUMN: push_unique(cc, out, n, cap, ((const colnode *)e)->from); break;
    case RT_NODE_BINARY:
        cc_expr_froms(cc, ((const binnode *)e)->left, out, n, cap);
        if (!rt_node_is_selectable(((const binnode *)e)->right))
            cc_expr_froms(cc, ((const binnode *)e)->right, out, n, cap);
        break;
    case RT_NODE_UNARY:
        if (((const unnode *)e)->op != RT_UOP_EXISTS)
            cc_expr_froms(cc, ((const unnode *)e)->operand, out, n, cap);
        break;
    case RT_NODE_LIST:
        for (size_t i = 0; i < ((const listnode *)e)->n; i++)
            cc_expr_froms(cc, ((const listnode *)e)->items[i], out, n, cap);
        break;
    case RT_NODE_FUNC:
        for (size_t i = 0; i < ((const funcnode *)e)->n; i++)
            cc_expr_froms(cc, ((const funcnode *)e)->args[i], out, n, cap);
        break;
    case RT_NODE_LABEL: cc_expr_froms(cc, ((const labelnode *)e)->expr, out, n, cap); break;
    case RT_NODE_CASE: {
        const casenode *c = (const casenode *)e;
        cc_expr_froms(cc, c->value, out, n, cap);
        for (size_t i = 0; i < c->n; i++) {
            cc_expr_froms(cc, c->whens[i], out, n, cap);
            cc_expr_froms(cc, c->thens[i], out, n, cap);
        }
        cc_expr_froms(cc, c->else_, out, n, cap);
        break;
    }
    case RT_NODE_CAST:
    case RT_NODE_EXTRACT: cc_expr_froms(cc, ((const wrapnode *)e)->expr, out, n, cap); break;
    default: break;
    }
}

/* The elements inside a join (recursively), which the join hides. */
static void join_members(rt_cctx *cc, const rt_node *j, nodelist *out)
{
    const joinnode *jn = (const joinnode *)j;
    const rt_node *sides[2] = {jn->left, jn->right};
    for (int i = 0; i < 2; i++) {
        push_unique(cc, &out->a, &out->n, &out->cap, (rt_node *)sides[i]);
        if (sides[i]->kind == RT_NODE_JOIN)
            join_members(cc, sides[i], out);
    }
}

/* Froms plus the members of joins: what an enclosing level correlates with. */
static void expand_joins(rt_cctx *cc, rt_node *const *a, size_t n, nodelist *out)
{
    for (size_t i = 0; i < n; i++) {
        push_unique(cc, &out->a, &out->n, &out->cap, a[i]);
        if (a[i]->kind == RT_NODE_JOIN)
            join_members(cc, a[i], out);
    }
}

void cc_push_level(rt_cctx *cc, const rt_node *stmt, rt_node **froms, size_t n)
{
    if (cc->depth == cc->capdepth) {
        size_t ncap = cc->capdepth ? cc->capdepth * 2 : 4;
        cc_level *a = rt_realloc(cc->stack, ncap * sizeof *a);
        if (!a) {
            cc_oom(cc);
            return;
        }
        cc->stack = a;
        cc->capdepth = ncap;
    }
    nodelist all = {0};
    expand_joins(cc, froms, n, &all);
    cc->stack[cc->depth++] = (cc_level){stmt, all.a, all.n};
}

void cc_pop_level(rt_cctx *cc)
{
    if (cc->depth)
        cc->depth--;
}

/* Removes from l the elements for which drop[i] is set, unless none would
 * remain and keep_one is given. */
static void filter(nodelist *l, const char *drop, int keep_one)
{
    size_t m = 0;
    for (size_t i = 0; i < l->n; i++)
        m += !drop[i];
    if (m == 0 && keep_one)
        return;
    m = 0;
    for (size_t i = 0; i < l->n; i++)
        if (!drop[i])
            l->a[m++] = l->a[i];
    l->n = m;
}

static int in_levels(const rt_cctx *cc, size_t upto, const rt_node *f)
{
    for (size_t k = 0; k < upto; k++)
        if (contains(cc->stack[k].froms, cc->stack[k].nfroms, f))
            return 1;
    return 0;
}

static void correlate(rt_cctx *cc, const selectnode *s, nodelist *l, int ctx)
{
    char *drop = cc_alloc(cc, l->n + 1);
    if (!drop || cc->depth == 0 || ctx == CC_TOP)
        return;
    const cc_level *up = &cc->stack[cc->depth - 1];
    if (s->correlate_set) {
        /* explicit: all enclosing levels (for a FROM subquery, above its own) */
        size_t upto = ctx == CC_ASFROM ? cc->depth - 1 : cc->depth;
        for (size_t i = 0; i < l->n; i++)
            drop[i] = contains(s->correlate, s->ncorrelate, l->a[i]) &&
                      in_levels(cc, upto, l->a[i]);
        filter(l, drop, 0);
    } else if (ctx == CC_NESTED && l->n > 1) {
        for (size_t i = 0; i < l->n; i++)
            drop[i] = contains(up->froms, up->nfroms, l->a[i]);
        filter(l, drop, 1);
    }
}

/* The FROM elements a select renders, in order. */
static nodelist display_froms(rt_cctx *cc, const selectnode *s, int ctx)
{
    nodelist l = {0};
    for (size_t i = 0; i < s->nfroms; i++)
        push_unique(cc, &l.a, &l.n, &l.cap, s->froms[i]);
    for (size_t i = 0; i < s->ncols; i++)
        cc_expr_froms(cc, s->cols[i], &l.a, &l.n, &l.cap);
    cc_expr_froms(cc, s->where, &l.a, &l.n, &l.cap);
    nodelist hidden = {0};
    for (size_t i = 0; i < l.n; i++)
        if (l.a[i]->kind == RT_NODE_JOIN)
            join_members(cc, l.a[i], &hidden);
    if (hidden.n) {
        char *drop = cc_alloc(cc, l.n + 1);
        if (drop) {
            for (size_t i = 0; i < l.n; i++)
                drop[i] = contains(hidden.a, hidden.n, l.a[i]);
            filter(&l, drop, 0);
        }
    }
    correlate(cc, s, &l, ctx);
    return l;
}

/* === FROM elements === */

void cc_from_name(rt_cctx *cc, const rt_node *from)
{
    if (from->kind == RT_NODE_TABLE) {
        const rt_table *t = rt_table_of(from);
        if (t->schema) {
            cc_ident(cc, t->schema);
            rt_buf_putc(cc->b, '.');
        }
        cc_ident(cc, t->name);
    } else if (from->kind == RT_NODE_ALIAS) {
        const aliasnode *a = (const aliasnode *)from;
        const char *base = a->element->kind == RT_NODE_TABLE ? rt_table_of(a->element)->name
                                                             : "anon";
        cc_ident(cc, a->name ? a->name : cc_anon_name(cc, from, base));
    } else {
        cc_error(cc, RT_ERR_COMPILE, "%s has no name to qualify columns with",
                 rt_node_kind_name(from->kind));
    }
}

void cc_from_element(rt_cctx *cc, const rt_node *from)
{
    if (cc->nerr || cc->oom)
        return;
    if (from->kind == RT_NODE_TABLE) {
        cc_from_name(cc, from);
    } else if (from->kind == RT_NODE_ALIAS) {
        const aliasnode *a = (const aliasnode *)from;
        if (a->element->kind == RT_NODE_TABLE) {
            cc_from_name(cc, a->element);
        } else {
            rt_buf_putc(cc->b, '(');
            cc_select(cc, a->element, CC_ASFROM);
            rt_buf_putc(cc->b, ')');
        }
        cc_puts(cc, " AS ");
        cc_from_name(cc, from);
    } else if (from->kind == RT_NODE_JOIN) {
        const joinnode *j = (const joinnode *)from;
        cc_from_element(cc, j->left);
        cc_puts(cc, j->full ? " FULL OUTER JOIN " : j->isouter ? " LEFT OUTER JOIN " : " JOIN ");
        if (j->right->kind == RT_NODE_JOIN)
            rt_buf_putc(cc->b, '(');
        cc_from_element(cc, j->right);
        if (j->right->kind == RT_NODE_JOIN)
            rt_buf_putc(cc->b, ')');
        cc_puts(cc, " ON ");
        cc_expr(cc, j->on);
    } else if (rt_node_is_selectable(from)) {
        rt_buf_putc(cc->b, '(');
        cc_select(cc, from, CC_ASFROM);
        rt_buf_putc(cc->b, ')');
    }
}

/* === the columns clause === */

/* The name a column of a select is labelled with (or known by): label,
 * apply_labels' table_column, a subquery column's own name, name_1 for
 * functions, anon_1 for other expressions.  *as: whether AS is rendered. */
static const char *column_label(rt_cctx *cc, const selectnode *s, size_t i, int asfrom,
                                int *as)
{
    const rt_node *e = s->cols[i];
    *as = 1;
    if (e->kind == RT_NODE_LABEL) {
        const labelnode *l = (const labelnode *)e;
        const char *base = rt_expr_bind_base(l->expr);
        if (l->expr->kind == RT_NODE_COLUMN)
            base = rt_from_column_name(((const colnode *)l->expr)->from,
                                       ((const colnode *)l->expr)->index);
        return l->name ? l->name : cc_anon_label(cc, e, base ? base : "anon");
    }
    const rt_node *col = e->kind == RT_NODE_CAST && ((const wrapnode *)e)->expr->kind ==
                                                        RT_NODE_COLUMN
                             ? ((const wrapnode *)e)->expr
                             : e;
    if (col->kind == RT_NODE_COLUMN) {
        const colnode *c = (const colnode *)col;
        const selectnode *sub = rt_from_select(c->from);
        const char *name = sub ? cc_select_column_name(cc, sub, c->index)
                               : rt_from_column_name(c->from, c->index);
        *as = s->labels || asfrom || col != e;
        if (!s->labels)
            return name;
        const rt_table *t = rt_table_of(c->from);
        const char *prefix;
        if (t)
            prefix = t->schema ? cc_printf(cc, "%s_%s", t->schema, t->name) : t->name;
        else if (((const aliasnode *)c->from)->name)
            prefix = ((const aliasnode *)c->from)->name;
        else
            prefix = cc_anon_name(cc, c->from,
                                  rt_from_base_table(c->from)
                                      ? rt_table_of(rt_from_base_table(c->from))->name
                                      : "anon");
        const char *label = prefix ? cc_printf(cc, "%s_%s", prefix, name) : NULL;
        return label ? label : name;
    }
    switch (e->kind) {
    case RT_NODE_FUNC: {
        const char *base = rt_expr_bind_base(e);
        return cc_anon_label(cc, e, base ? base : "anon");
    }
    case RT_NODE_LITERAL_COLUMN: *as = 0; return ((const litnode *)e)->text;
    case RT_NODE_TEXT: *as = 0; return rt_text_source(e);
    case RT_NODE_UNARY: {
        *as = 0;
        const rt_node *op = ((const unnode *)e)->operand;
        return op->kind == RT_NODE_COLUMN
                   ? rt_from_column_name(((const colnode *)op)->from, ((const colnode *)op)->index)
                   : "anon";
    }
    default: return cc_anon_label(cc, e, "anon");
    }
}

const char *cc_select_column_name(rt_cctx *cc, const selectnode *s, size_t i)
{
    int as;
    if (i >= s->ncols)
        return "?";
    return column_label(cc, s, i, 1, &as);
}

static void render_columns(rt_cctx *cc, const selectnode *s, int ctx)
{
    if (s->ncols == 0)
        rt_buf_putc(cc->b, '*');
    for (size_t i = 0; i < s->ncols && !cc->nerr; i++) {
        const rt_node *e = s->cols[i];
        int as;
        const char *name = column_label(cc, s, i, ctx == CC_ASFROM, &as);
        if (i)
            cc_puts(cc, ", ");
        cc_expr(cc, e->kind == RT_NODE_LABEL ? ((const labelnode *)e)->expr : e);
        if (as) {
            cc_puts(cc, " AS ");
            cc_ident(cc, name);
        }
        if (ctx == CC_TOP && cc->want_columns)
            cc_result_column(cc, name, e, rt_expr_type(e));
    }
}

/* === clauses === */

static void render_items(rt_cctx *cc, const char *kw, rt_node *const *items, size_t n)
{
    if (n == 0)
        return;
    cc_puts(cc, kw);
    for (size_t i = 0; i < n; i++) {
        if (i)
            cc_puts(cc, ", ");
        cc_expr(cc, items[i]);
    }
}

static int empty_clause(const rt_node *n)
{
    return !n || (n->kind == RT_NODE_LIST && ((const listnode *)n)->n == 0);
}

static void render_order_by(rt_cctx *cc, const selectnode *s, rt_node *const *items,
                            size_t n, int unqualified)
{
    const rt_node *saved = cc->order_select;
    int saved_unq = cc->unqualified;
    cc->order_select = &s->base;
    cc->unqualified |= unqualified;
    render_items(cc, "\nORDER BY ", items, n);
    cc->order_select = saved;
    cc->unqualified = saved_unq;
}

static void render_limit(rt_cctx *cc, const rt_node *limit, const rt_node *offset)
{
    if (!limit && !offset)
        return;
    if (cc->d->limit) {
        cc->d->limit(cc, limit, offset);
        return;
    }
    if (limit) {
        cc_puts(cc, "\nLIMIT ");
        cc_expr(cc, limit);
    }
    if (offset) {
        cc_puts(cc, limit ? " OFFSET " : "\nLIMIT -1 OFFSET ");
        cc_expr(cc, offset);
    }
}

static void render_select(rt_cctx *cc, const selectnode *s, int ctx)
{
    nodelist froms = display_froms(cc, s, ctx);
    cc_push_level(cc, &s->base, froms.a, froms.n);
    cc_puts(cc, s->distinct ? "SELECT DISTINCT " : "SELECT ");
    render_columns(cc, s, ctx);
    for (size_t i = 0; i < froms.n; i++) {
        cc_puts(cc, i ? ", " : "\nFROM ");
        cc_from_element(cc, froms.a[i]);
    }
    if (!empty_clause(s->where)) {
        cc_puts(cc, "\nWHERE ");
        cc_expr(cc, s->where);
    }
    render_items(cc, "\nGROUP BY ", s->group_by, s->ngroup);
    if (!empty_clause(s->having)) {
        cc_puts(cc, "\nHAVING ");
        cc_expr(cc, s->having);
    }
    render_order_by(cc, s, s->order_by, s->norder, 0);
    render_limit(cc, s->limit, s->offset);
    if (s->for_update && cc->d->for_update)
        cc_puts(cc, s->for_update == 2 ? "\nFOR UPDATE NOWAIT" : "\nFOR UPDATE");
    cc_pop_level(cc);
}

/* === compound selects === */

static int member_needs_parens(const rt_node *m)
{
    if (m->kind == RT_NODE_COMPOUND)
        return 1;
    const selectnode *s = (const selectnode *)m;
    return s->norder || s->limit || s->offset;
}

static void render_compound(rt_cctx *cc, const compoundnode *c, int ctx)
{
    static const char *const kw[] = {
        [RT_UNION] = " UNION ", [RT_UNION_ALL] = " UNION ALL ",
        [RT_INTERSECT] = " INTERSECT ", [RT_INTERSECT_ALL] = " INTERSECT ALL ",
        [RT_EXCEPT] = " EXCEPT ", [RT_EXCEPT_ALL] = " EXCEPT ALL "};
    int want = cc->want_columns;
    for (size_t i = 0; i < c->n && !cc->nerr; i++) {
        const rt_node *m = c->selects[i];
        if (i)
            cc_puts(cc, kw[c->op]);
        int parens = member_needs_parens(m);
        if (parens)
            cc_puts(cc, cc->d->compound_parens ? "(" : "SELECT * FROM (");
        cc_select(cc, m, ctx);
        if (parens)
            rt_buf_putc(cc->b, ')');
        cc->want_columns = 0;   /* result columns are the first select's */
    }
    cc->want_columns = want;
    render_order_by(cc, rt_select_first(&c->base), c->order_by, c->norder, 1);
    render_limit(cc, c->limit, c->offset);
}

void cc_select(rt_cctx *cc, const rt_node *sel, int ctx)
{
    if (cc->nerr || cc->oom)
        return;
    if (sel->kind == RT_NODE_COMPOUND)
        render_compound(cc, (const compoundnode *)sel, ctx);
    else
        render_select(cc, (const selectnode *)sel, ctx);
}

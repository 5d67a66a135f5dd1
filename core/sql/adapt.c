/* adapt.c: expression trees taken apart and rebuilt with some columns
 * replaced, as SQLAlchemy's ClauseAdapter: a relationship's join condition
 * pointed at an alias of its target, or with the parent's columns turned
 * into bound values for a lazy load.  Also the two questions the ORM asks
 * of a join condition: its AND-ed terms, and whether a term is
 * "column = column".  Statements inside an expression (EXISTS, scalar
 * subqueries) are kept as they are: they correlate on their own. */
#include "expr_int.h"

static rt_node *adapt(rt_node *n, rt_adapt_fn fn, void *ctx, rt_error *err);

static void release_all(rt_node **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        rt_node_release(items[i]);
}

/* Adapts items[0..n) into out; *changed tells whether any differs.  On
 * failure everything taken is released. */
static int adapt_all(rt_node *const *items, size_t n, rt_node **out, int *changed,
                     rt_adapt_fn fn, void *ctx, rt_error *err)
{
    for (size_t i = 0; i < n; i++) {
        out[i] = items[i] ? adapt(items[i], fn, ctx, err) : NULL;
        if (items[i] && !out[i]) {
            release_all(out, i);
            return -1;
        }
        *changed |= out[i] != items[i];
    }
    return 0;
}

static rt_node *adapt_list(rt_node *n, rt_adapt_fn fn, void *ctx, rt_error *err)
{
    const listnode *l = (const listnode *)n;
    rt_node **items = rt_calloc(l->n ? l->n : 1, sizeof *items);
    int changed = 0;
    if (!items) {
        rt_error_oom(err);
        return NULL;
    }
    rt_node *out = NULL;
    if (adapt_all(l->items, l->n, items, &changed, fn, ctx, err) == 0) {
        out = changed ? rt_list_new(l->op, items, l->n, err) : rt_node_retain(n);
        release_all(items, l->n);
    }
    rt_free(items);
    return out;
}

static rt_node *adapt_func(rt_node *n, rt_adapt_fn fn, void *ctx, rt_error *err)
{
    const funcnode *f = (const funcnode *)n;
    rt_node **args = rt_calloc(f->n ? f->n : 1, sizeof *args);
    int changed = 0;
    if (!args) {
        rt_error_oom(err);
        return NULL;
    }
    rt_node *out = NULL;
    if (adapt_all(f->args, f->n, args, &changed, fn, ctx, err) == 0) {
        out = changed ? rt_func_new(f->name, args, f->n, f->type, err) : rt_node_retain(n);
        release_all(args, f->n);
    }
    rt_free(args);
    return out;
}

static rt_node *adapt_case(rt_node *n, rt_adapt_fn fn, void *ctx, rt_error *err)
{
    const casenode *c = (const casenode *)n;
    size_t total = 2 * c->n + 2;
    rt_node **in = rt_calloc(total, sizeof *in), **out = rt_calloc(total, sizeof *out);
    rt_node *res = NULL;
    int changed = 0;
    if (!in || !out) {
        rt_error_oom(err);
        goto done;
    }
    for (size_t i = 0; i < c->n; i++) {
        in[i] = c->whens[i];
        in[c->n + i] = c->thens[i];
    }
    in[2 * c->n] = c->value;
    in[2 * c->n + 1] = c->else_;
    if (adapt_all(in, total, out, &changed, fn, ctx, err) < 0)
        goto done;
    res = changed ? rt_case_new(out, out + c->n, c->n, out[2 * c->n], out[2 * c->n + 1], err)
                  : rt_node_retain(n);
    release_all(out, total);
done:
    rt_free(in);
    rt_free(out);
    return res;
}

/* Rebuilds a node with one or two operands. */
static rt_node *adapt_operands(rt_node *n, rt_adapt_fn fn, void *ctx, rt_error *err)
{
    rt_node *a = NULL, *b = NULL, *out = NULL;
    switch (n->kind) {
    case RT_NODE_BINARY: {
        const binnode *x = (const binnode *)n;
        a = adapt(x->left, fn, ctx, err);
        b = a ? adapt(x->right, fn, ctx, err) : NULL;
        if (b)
            out = a == x->left && b == x->right ? rt_node_retain(n)
                                                : rt_binary_new(a, x->op, b, x->custom, err);
        break;
    }
    case RT_NODE_UNARY: {
        const unnode *x = (const unnode *)n;
        if (x->op == RT_UOP_EXISTS)
            return rt_node_retain(n);
        if ((a = adapt(x->operand, fn, ctx, err)))
            out = a == x->operand ? rt_node_retain(n) : rt_unary_new(x->op, a, err);
        break;
    }
    case RT_NODE_LABEL: {
        const labelnode *x = (const labelnode *)n;
        if ((a = adapt(x->expr, fn, ctx, err)))
            out = a == x->expr ? rt_node_retain(n) : rt_label_new(a, x->name, err);
        break;
    }
    default: {                               /* CAST, EXTRACT */
        const wrapnode *x = (const wrapnode *)n;
        if ((a = adapt(x->expr, fn, ctx, err)))
            out = a == x->expr ? rt_node_retain(n)
                  : n->kind == RT_NODE_CAST ? rt_cast_new(a, x->type, err)
                                            : rt_extract_new(x->field, a, err);
        break;
    }
    }
    rt_node_release(a);
    rt_node_release(b);
    return out;
}

static rt_node *adapt(rt_node *n, rt_adapt_fn fn, void *ctx, rt_error *err)
{
    switch (n->kind) {
    case RT_NODE_COLUMN:
        return fn(ctx, n, err);
    case RT_NODE_BINARY:
    case RT_NODE_UNARY:
    case RT_NODE_LABEL:
    case RT_NODE_CAST:
    case RT_NODE_EXTRACT:
        return adapt_operands(n, fn, ctx, err);
    case RT_NODE_LIST:
        return adapt_list(n, fn, ctx, err);
    case RT_NODE_FUNC:
        return adapt_func(n, fn, ctx, err);
    case RT_NODE_CASE:
        return adapt_case(n, fn, ctx, err);
    default:                                 /* binds, literals, statements */
        return rt_node_retain(n);
    }
}

rt_node *rt_expr_adapt(rt_node *n, rt_adapt_fn fn, void *ctx, rt_error *err)
{
    if (!rt_node_is_expr(n)) {
        rt_error_set(err, RT_ERR_ARGUMENT, "adapt: a column expression expected, got %s",
                     n ? rt_node_kind_name(n->kind) : "nothing");
        return NULL;
    }
    return adapt(n, fn, ctx, err);
}

size_t rt_expr_and_terms(rt_node *n, rt_node **out, size_t max)
{
    if (n->kind != RT_NODE_LIST || ((const listnode *)n)->op != RT_LIST_AND) {
        if (max)
            out[0] = n;
        return 1;
    }
    const listnode *l = (const listnode *)n;
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++)
        k += rt_expr_and_terms(l->items[i], out + (k < max ? k : max), k < max ? max - k : 0);
    return k;
}

int rt_expr_column_eq(const rt_node *n, rt_node **left, rt_node **right)
{
    if (n->kind != RT_NODE_BINARY)
        return 0;
    const binnode *b = (const binnode *)n;
    if (b->op != RT_OP_EQ || b->left->kind != RT_NODE_COLUMN ||
        b->right->kind != RT_NODE_COLUMN)
        return 0;
    *left = b->left;
    *right = b->right;
    return 1;
}

/* operators.c: binary operators (comparisons, arithmetic, LIKE, IN, BETWEEN,
 * IS, custom operators), unary operators (NOT, -, DISTINCT, ASC/DESC,
 * EXISTS, NULLS FIRST/LAST) and clause lists (AND, OR, comma lists).
 *
 * Construction does what SQLAlchemy's comparators do when an operator is
 * applied: a value compared with a column becomes an anonymous parameter
 * named after the column (users.name = :name_1) and typed like it; `+` on
 * strings becomes `||`; `= NULL` becomes IS NULL; NOT of a comparison
 * becomes the opposite comparison.  How operators render (their SQL text and
 * precedence) is in compiler.c. */
#include "expr_int.h"

#include <string.h>

static void bin_destroy(rt_node *n)
{
    binnode *b = (binnode *)n;
    rt_node_release(b->left);
    rt_node_release(b->right);
    rt_free(b->custom);
    rt_type_drop(b->type);
    rt_free(b);
}

static int is_comparison(rt_binop op)
{
    return !(op == RT_OP_ADD || op == RT_OP_SUB || op == RT_OP_MUL || op == RT_OP_DIV ||
             op == RT_OP_MOD || op == RT_OP_CONCAT || op == RT_OP_CUSTOM);
}

/* The node itself; takes over the references to left and right. */
static rt_node *bin_make(rt_node *left, rt_binop op, rt_node *right, const char *custom,
                         const rt_sqltype *type, rt_error *err)
{
    binnode *b = rt_calloc(1, sizeof *b);
    if (!b || (custom && !(b->custom = rt_strdup(custom)))) {
        rt_free(b);
        rt_node_release(left);
        rt_node_release(right);
        rt_error_oom(err);
        return NULL;
    }
    rt_expr_node_init(&b->base, RT_NODE_BINARY, bin_destroy);
    b->left = left;
    b->right = right;
    b->op = op;
    b->type = rt_type_hold(type);
    return &b->base;
}

static rt_node *coerce(rt_node *n, const char *base, const rt_sqltype *type, rt_error *err);

/* A comma list with its anonymous binds renamed (IN (:id_1, :id_2)). */
static rt_node *coerce_list(rt_node *n, const char *base, const rt_sqltype *type,
                            rt_error *err)
{
    const listnode *l = (const listnode *)n;
    rt_node **items = rt_calloc(l->n ? l->n : 1, sizeof *items);
    if (!items) {
        rt_error_oom(err);
        return NULL;
    }
    int changed = 0;
    size_t i;
    for (i = 0; i < l->n; i++) {
        if (!(items[i] = coerce(l->items[i], base, type, err)))
            break;
        changed |= items[i] != l->items[i];
    }
    rt_node *out = NULL;
    if (i == l->n)
        out = changed ? rt_list_new(l->op, items, l->n, err) : rt_node_retain(n);
    rt_nodes_free(items, i);
    return out;
}

/* Renames anonymous binds in a value compared with a named expression: the
 * bind itself, the items of a comma list, the operands of `||` (LIKE
 * patterns built as :p || '%').  Returns a new reference (n itself when
 * nothing changes). */
static rt_node *coerce(rt_node *n, const char *base, const rt_sqltype *type, rt_error *err)
{
    if (n->kind == RT_NODE_BIND) {
        const bindnode *b = (const bindnode *)n;
        if (!b->key && !b->base_name && (base || (type && !b->type)))
            return rt_bind_rename(n, base, type, err);
    } else if (n->kind == RT_NODE_LIST && ((const listnode *)n)->op == RT_LIST_COMMA) {
        return coerce_list(n, base, type, err);
    } else if (n->kind == RT_NODE_BINARY && ((const binnode *)n)->op == RT_OP_CONCAT) {
        const binnode *c = (const binnode *)n;
        rt_node *l = coerce(c->left, base, type, err);
        rt_node *r = l ? coerce(c->right, base, type, err) : NULL;
        if (!r) {
            rt_node_release(l);
            return NULL;
        }
        if (l == c->left && r == c->right) {
            rt_node_release(l);
            rt_node_release(r);
            return rt_node_retain(n);
        }
        return bin_make(l, RT_OP_CONCAT, r, NULL, c->type, err);
    }
    return rt_node_retain(n);
}

/* Operator text given by the user is spliced into SQL: refuse anything that
 * could end the statement, open a quote or a comment. */
static int check_custom(const char *op, rt_error *err)
{
    if (!op || !*op || strpbrk(op, ";'\"\n\r\\") || strstr(op, "--") || strstr(op, "/*"))
        return rt_error_set(err, RT_ERR_ARGUMENT, "op(): '%s' is not a valid operator",
                            op ? op : "");
    return 0;
}

static int check_operands(const rt_node *left, rt_binop op, const rt_node *right,
                          rt_error *err)
{
    if (!rt_node_is_expr(left))
        return rt_error_set(err, RT_ERR_ARGUMENT,
                            "the left side of an operator must be an SQL expression, got %s",
                            left ? rt_node_kind_name(left->kind) : "nothing");
    if ((op == RT_OP_IN || op == RT_OP_NOT_IN) && rt_node_is_selectable(right))
        return 0;
    if (!rt_node_is_expr(right))
        return rt_error_set(err, RT_ERR_ARGUMENT,
                            "the right side of an operator must be an SQL expression, got %s",
                            right ? rt_node_kind_name(right->kind) : "nothing");
    int is_list = right->kind == RT_NODE_LIST && ((const listnode *)right)->op == RT_LIST_COMMA;
    if ((op == RT_OP_BETWEEN || op == RT_OP_NOT_BETWEEN) &&
        (!is_list || ((const listnode *)right)->n != 2))
        return rt_error_set(err, RT_ERR_ARGUMENT,
                            "between() takes a list of exactly two bounds");
    if ((op == RT_OP_IN || op == RT_OP_NOT_IN) && !is_list &&
        right->kind != RT_NODE_SCALAR_SELECT && right->kind != RT_NODE_BIND &&
        right->kind != RT_NODE_TEXT)
        return rt_error_set(err, RT_ERR_ARGUMENT,
                            "in_() takes a list of values or a select, got %s",
                            rt_node_kind_name(right->kind));
    return 0;
}

static const rt_sqltype *result_type(const rt_node *left, rt_binop op, const rt_node *right)
{
    if (is_comparison(op))
        return rt_static_type(RT_TYPE_BOOLEAN);
    const rt_sqltype *t = rt_expr_type(left);
    if (op == RT_OP_CONCAT)
        return rt_type_is_string(t) ? t : rt_static_type(RT_TYPE_STRING);
    return t ? t : rt_expr_type(right);
}

rt_node *rt_binary_new(rt_node *left, rt_binop op, rt_node *right, const char *custom,
                       rt_error *err)
{
    if (check_operands(left, op, right, err) < 0 ||
        (op == RT_OP_CUSTOM && check_custom(custom, err) < 0))
        return NULL;
    if (op != RT_OP_CUSTOM)
        custom = NULL;
    if (right->kind == RT_NODE_NULL && (op == RT_OP_EQ || op == RT_OP_NE))
        op = op == RT_OP_EQ ? RT_OP_IS : RT_OP_IS_NOT;
    if (op == RT_OP_ADD && (rt_type_is_string(rt_expr_type(left)) ||
                            (!rt_expr_type(left) && rt_type_is_string(rt_expr_type(right)))))
        op = RT_OP_CONCAT;
    rt_node *r = rt_node_is_selectable(right)
                     ? rt_node_retain(right)
                     : coerce(right, rt_expr_bind_base(left), rt_expr_type(left), err);
    if (!r)
        return NULL;
    return bin_make(rt_node_retain(left), op, r, custom, result_type(left, op, r), err);
}

rt_node *rt_binary_value_new(rt_node *left, rt_binop op, const rt_value *value, rt_error *err)
{
    rt_node *b = rt_bind_numbered_new(rt_expr_bind_base(left), value, rt_expr_type(left), err);
    rt_node *n = b ? rt_binary_new(left, op, b, NULL, err) : NULL;
    rt_node_release(b);
    return n;
}

/* === unary operators === */

/* An and_() or or_() with nothing in it: dropped from enclosing lists. */
static int is_empty_bool(const rt_node *n)
{
    return n && n->kind == RT_NODE_LIST && ((const listnode *)n)->op != RT_LIST_COMMA &&
           ((const listnode *)n)->n == 0;
}

/* Items of an AND inside an AND (or OR in OR) join the outer list, as
 * SQLAlchemy's and_() flattens them; returns the number of items. */
static size_t flat_count(rt_listop op, const rt_node *it)
{
    if (op != RT_LIST_COMMA && it->kind == RT_NODE_LIST && ((const listnode *)it)->op == op)
        return ((const listnode *)it)->n;
    return 1;
}

static void un_destroy(rt_node *n)
{
    unnode *u = (unnode *)n;
    rt_node_release(u->operand);
    rt_free(u);
}

/* The opposite comparison, or -1. */
static int negated(rt_binop op)
{
    static const struct { rt_binop a, b; } pairs[] = {
        {RT_OP_EQ, RT_OP_NE},       {RT_OP_LT, RT_OP_GE},         {RT_OP_GT, RT_OP_LE},
        {RT_OP_LIKE, RT_OP_NOT_LIKE}, {RT_OP_ILIKE, RT_OP_NOT_ILIKE}, {RT_OP_IN, RT_OP_NOT_IN},
        {RT_OP_IS, RT_OP_IS_NOT},   {RT_OP_BETWEEN, RT_OP_NOT_BETWEEN}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        if (pairs[i].a == op)
            return (int)pairs[i].b;
        if (pairs[i].b == op)
            return (int)pairs[i].a;
    }
    return -1;
}

/* NOT x: the opposite comparison, the operand of a NOT, the other boolean. */
static rt_node *negate(rt_node *x, rt_error *err)
{
    if (x->kind == RT_NODE_BINARY) {
        const binnode *b = (const binnode *)x;
        int op = negated(b->op);
        if (op >= 0)
            return bin_make(rt_node_retain(b->left), (rt_binop)op, rt_node_retain(b->right),
                            NULL, b->type, err);
    } else if (x->kind == RT_NODE_UNARY && ((const unnode *)x)->op == RT_UOP_NOT) {
        return rt_node_retain(((const unnode *)x)->operand);
    } else if (x->kind == RT_NODE_BOOL) {
        return rt_bool_new(!((const litnode *)x)->value, err);
    }
    return NULL;
}

rt_node *rt_unary_new(rt_unop op, rt_node *operand, rt_error *err)
{
    if (op == RT_UOP_EXISTS ? !rt_node_is_selectable(operand) : !rt_node_is_expr(operand)) {
        rt_error_set(err, RT_ERR_ARGUMENT, "%s requires %s, got %s",
                     op == RT_UOP_EXISTS ? "EXISTS" : "a unary operator",
                     op == RT_UOP_EXISTS ? "a select" : "an SQL expression",
                     operand ? rt_node_kind_name(operand->kind) : "nothing");
        return NULL;
    }
    if (op == RT_UOP_NOT && is_empty_bool(operand))
        return rt_node_retain(operand);   /* not_(and_()) is nothing, as and_() is */
    if (op == RT_UOP_NOT) {
        rt_error e2;
        rt_error_init(&e2);
        rt_node *n = negate(operand, &e2);
        if (n || e2.cls != RT_ERR_NONE) {
            rt_error_move(err, &e2);
            return n;
        }
    }
    unnode *u = rt_calloc(1, sizeof *u);
    if (!u) {
        rt_error_oom(err);
        return NULL;
    }
    rt_expr_node_init(&u->base, RT_NODE_UNARY, un_destroy);
    u->op = op;
    u->operand = rt_node_retain(operand);
    return &u->base;
}

/* === clause lists === */

static void list_destroy(rt_node *n)
{
    listnode *l = (listnode *)n;
    rt_nodes_free(l->items, l->n);
    rt_free(l);
}

rt_node *rt_list_new(rt_listop op, rt_node *const *items, size_t n, rt_error *err)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!items[i] || (op != RT_LIST_COMMA && is_empty_bool(items[i])))
            continue;
        if (!rt_node_is_expr(items[i])) {
            rt_error_set(err, RT_ERR_ARGUMENT, "%s: an SQL expression is required, got %s",
                         op == RT_LIST_AND ? "and_()" : op == RT_LIST_OR ? "or_()" : "list",
                         rt_node_kind_name(items[i]->kind));
            return NULL;
        }
        m += flat_count(op, items[i]);
    }
    const rt_node *only = NULL;
    size_t given = 0;
    for (size_t i = 0; i < n; i++)
        if (items[i] && !(op != RT_LIST_COMMA && is_empty_bool(items[i])))
            only = items[i], given++;
    if (given == 1 && op != RT_LIST_COMMA)
        return rt_node_retain((rt_node *)only);
    listnode *l = rt_calloc(1, sizeof *l);
    if (!l || (m && !(l->items = rt_calloc(m, sizeof *l->items)))) {
        rt_free(l);
        rt_error_oom(err);
        return NULL;
    }
    rt_expr_node_init(&l->base, RT_NODE_LIST, list_destroy);
    l->op = op;
    for (size_t i = 0; i < n; i++) {
        if (!items[i] || (op != RT_LIST_COMMA && is_empty_bool(items[i])))
            continue;
        if (op != RT_LIST_COMMA && items[i]->kind == RT_NODE_LIST &&
            ((const listnode *)items[i])->op == op) {
            const listnode *in = (const listnode *)items[i];
            for (size_t k = 0; k < in->n; k++)
                l->items[l->n++] = rt_node_retain(in->items[k]);
        } else {
            l->items[l->n++] = rt_node_retain(items[i]);
        }
    }
    return &l->base;
}

/* compare.c: whether two comparisons differ only in the value they bind
 * (rt_same_comparison).  A statement compiled with one of them says the
 * same with the other's value in that slot: the ORM runs its queries of one
 * filter (query(User):filter(User.id:eq(k))) through one statement. */
#include "expr_int.h"

#include <string.h>

/* The anonymous bind carrying a value that n is, else NULL. */
static const bindnode *value_bind(const rt_node *n)
{
    if (n->kind != RT_NODE_BIND)
        return NULL;
    const bindnode *b = (const bindnode *)n;
    return b->has_value && !b->key ? b : NULL;
}

static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

int rt_same_comparison(const rt_node *a, const rt_node *b)
{
    if (!a || !b || a->kind != RT_NODE_BINARY || b->kind != RT_NODE_BINARY)
        return 0;
    const binnode *x = (const binnode *)a, *y = (const binnode *)b;
    if (x->op != y->op || x->op == RT_OP_CUSTOM || x->custom || y->custom ||
        x->type != y->type || x->left != y->left || x->left->kind != RT_NODE_COLUMN)
        return 0;
    const bindnode *p = value_bind(x->right), *q = value_bind(y->right);
    return p && q && same_str(p->base_name, q->base_name) &&
           rt_expr_type(x->right) == rt_expr_type(y->right);
}

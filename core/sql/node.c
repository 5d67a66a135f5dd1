/* node.c: reference counting and the per-dialect compile cache shared by all
 * executable nodes. */
#include "sql_int.h"

void rt_node_init(rt_node *n, rt_node_kind kind, void (*destroy)(rt_node *),
                  int (*compile)(const rt_node *, const rt_dialect *, rt_compiled *,
                                 rt_error *))
{
    n->kind = kind;
    n->refcount = 1;
    n->destroy = destroy;
    n->compile = compile;
    for (int i = 0; i < RT_DIALECT_COUNT; i++)
        n->cache[i] = NULL;
}

rt_node *rt_node_retain(rt_node *n)
{
    if (n)
        n->refcount++;
    return n;
}

void rt_node_release(rt_node *n)
{
    if (!n || --n->refcount > 0)
        return;
    for (int i = 0; i < RT_DIALECT_COUNT; i++)
        rt_compiled_release(n->cache[i]);
    n->destroy(n);
}

rt_node_kind rt_node_kind_of(const rt_node *n) { return n->kind; }

int rt_node_shared(const rt_node *n) { return n->refcount > 1; }

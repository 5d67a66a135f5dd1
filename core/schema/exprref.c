/* exprref.c: references to expressions owned by the layer above (server
 * defaults, CHECK conditions, SQL-expression defaults): the schema keeps them
 * alive through the retain/release functions the layer above supplies. */
#include "rt_schema.h"

void rt_exprref_clear(rt_exprref *r)
{
    if (r->node && r->release)
        r->release(r->node);
    r->node = NULL;
    r->release = NULL;
}

void rt_exprref_copy(rt_exprref *dst, const rt_exprref *src)
{
    rt_exprref_clear(dst);
    if (!src->node || !src->retain)
        return;     /* a reference that cannot be shared is not copied */
    dst->node = src->retain(src->node);
    dst->release = src->release;
    dst->retain = src->retain;
}

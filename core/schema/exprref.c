/* exprref.c: references to expressions owned by the layer above. */
#include "rt_schema.h"

void rt_exprref_clear(rt_exprref *r)
{
    if (r->node && r->release)
        r->release(r->node);
    r->node = NULL;
    r->release = NULL;
}

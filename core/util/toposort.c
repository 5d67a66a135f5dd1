/* toposort.c: a generic topological sort over integer-numbered nodes.
 *
 * Knows nothing of tables or mappers: callers number their items 0..n-1 and
 * give "a before b" edges.  The order is stable (among the nodes whose
 * predecessors are done, the lowest number goes first), so callers get a
 * deterministic order from a deterministic numbering.  Self-edges are
 * ignored; a cycle is reported with the nodes left in it. */
#include "rt_util.h"

#include <string.h>

int rt_toposort(size_t n, const rt_edge *edges, size_t nedges, size_t *order, rt_error *err)
{
    size_t *indeg = rt_calloc(n ? n : 1, sizeof *indeg);
    unsigned char *done = rt_calloc(n ? n : 1, 1);
    if (!indeg || !done) {
        rt_free(indeg);
        rt_free(done);
        return rt_error_oom(err);
    }
    for (size_t e = 0; e < nedges; e++)
        if (edges[e].before != edges[e].after && edges[e].after < n)
            indeg[edges[e].after]++;
    size_t count = 0;
    while (count < n) {
        size_t pick = n;
        for (size_t i = 0; i < n; i++)
            if (!done[i] && indeg[i] == 0) {
                pick = i;
                break;
            }
        if (pick == n)
            break;
        done[pick] = 1;
        order[count++] = pick;
        for (size_t e = 0; e < nedges; e++)
            if (edges[e].before == pick && edges[e].after != pick && edges[e].after < n)
                indeg[edges[e].after]--;
    }
    rt_free(indeg);
    if (count < n) {
        rt_buf b;
        rt_buf_init(&b);
        for (size_t i = 0; i < n; i++)
            if (!done[i])
                rt_buf_printf(&b, "%s%zu", b.len ? ", " : "", i);
        rt_error_set(err, RT_ERR_CIRCULAR, "Circular dependency detected among nodes %s",
                     rt_buf_str(&b));
        rt_buf_free(&b);
        rt_free(done);
        return -1;
    }
    rt_free(done);
    return 0;
}

/* dbconn.c: one database connection as the pool holds it: the driver handle,
 * its age, whether a transaction is open on it, and its cache of prepared
 * statements keyed by SQL text (so a statement is prepared once per
 * connection however often it runs).  The statement prepared last is
 * remembered besides: a program running one statement over and over finds
 * it by comparing the text, without hashing it. */
#include "engine_int.h"

#include <string.h>

enum { STMT_CACHE_MAX = 256 };

static void stmt_free(rt_stmt *s)
{
    s->drv->finalize(s->handle);
    rt_colnames_release(s->names);
    rt_free(s->sql);
    rt_free(s);
}

static void free_cached(void *p)
{
    rt_stmt *s = p;
    if (!s)
        return;
    if (s->busy) {          /* an open result still uses it: it finalizes later */
        s->cached = 0;
        return;
    }
    stmt_free(s);
}

int rt_dbconn_open(const rt_driver *drv, const rt_url *url, rt_dbconn **out, rt_error *err)
{
    rt_dbconn *d = rt_calloc(1, sizeof *d);
    *out = NULL;
    if (!d)
        return rt_error_oom(err);
    d->drv = drv;
    d->stmts = rt_map_new(free_cached);
    if (!d->stmts) {
        rt_free(d);
        return rt_error_oom(err);
    }
    if (drv->connect(url, &d->handle, err) < 0) {
        rt_map_free(d->stmts);
        rt_free(d);
        return -1;
    }
    d->created = rt_monotonic();
    *out = d;
    return 0;
}

void rt_dbconn_close(rt_dbconn *d)
{
    if (!d)
        return;
    rt_map_free(d->stmts);
    d->drv->close(d->handle);
    rt_free(d);
}

int rt_dbconn_prepare(rt_dbconn *d, const char *sql, size_t nparams, rt_stmt **out,
                      rt_error *err)
{
    rt_stmt *s = d->recent;
    if (!s || strcmp(s->sql, sql) != 0)
        s = rt_map_get(d->stmts, sql);
    if (s && !s->busy) {
        d->recent = s;
        s->busy = 1;
        *out = s;
        return 0;
    }
    rt_stmt *ns = rt_calloc(1, sizeof *ns);
    if (!ns)
        return rt_error_oom(err);
    if (d->drv->prepare(d->handle, sql, nparams, &ns->handle, err) < 0) {
        rt_free(ns);
        return -1;
    }
    ns->drv = d->drv;
    ns->busy = 1;
    if (!s) {   /* cache it, unless a busy copy already holds the slot */
        if (rt_map_count(d->stmts) >= STMT_CACHE_MAX) {
            d->recent = NULL;
            rt_map_clear(d->stmts);
        }
        ns->sql = rt_strdup(sql);
        if (ns->sql && rt_map_set(d->stmts, sql, ns) == 0) {
            ns->cached = 1;
            d->recent = ns;
        } else {
            rt_free(ns->sql);
            ns->sql = NULL;
        }
    }
    *out = ns;
    return 0;
}

void rt_dbconn_release_stmt(rt_dbconn *d, rt_stmt *s)
{
    s->busy = 0;
    if (s->cached) {
        d->drv->reset(s->handle);
        return;
    }
    stmt_free(s);
}

int rt_dbconn_exec(rt_dbconn *d, const char *sql, rt_error *err)
{
    return d->drv->exec(d->handle, sql, err);
}

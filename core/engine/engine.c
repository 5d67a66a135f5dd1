/* engine.c: create_engine: a URL, the dialect and driver it names, a pool. */
#include "engine_int.h"

#include <string.h>

void rt_engine_options_init(rt_engine_options *o)
{
    memset(o, 0, sizeof *o);
    o->poolclass = RT_POOL_DEFAULT;
    o->pool_size = 5;
    o->max_overflow = 10;
    o->pool_timeout = 30;
    o->pool_recycle = -1;
}

const rt_driver *rt_driver_for(const char *drivername)
{
    if (strcmp(drivername, "sqlite") == 0)
        return &rt_driver_sqlite;
    if (strcmp(drivername, "postgresql") == 0)
        return &rt_driver_pg;
    return NULL;
}

static int check_options(const rt_engine_options *o, rt_error *err)
{
    if (o->pool_size < 0)
        return rt_error_set(err, RT_ERR_ARGUMENT, "pool_size must not be negative");
    if (o->max_overflow < -1)
        return rt_error_set(err, RT_ERR_ARGUMENT, "max_overflow must be -1 or more");
    if (o->pool_timeout < 0)
        return rt_error_set(err, RT_ERR_ARGUMENT, "pool_timeout must not be negative");
    return 0;
}

int rt_engine_create(const char *url, const rt_engine_options *opts, rt_engine **out,
                     rt_error *err)
{
    rt_engine_options defaults;
    rt_engine *e;
    *out = NULL;
    if (!opts) {
        rt_engine_options_init(&defaults);
        opts = &defaults;
    }
    if (check_options(opts, err) < 0)
        return -1;
    e = rt_calloc(1, sizeof *e);
    if (!e)
        return rt_error_oom(err);
    e->refcount = 1;
    e->echo = opts->echo;
    if (rt_url_parse(url, &e->url, err) < 0) {
        rt_free(e);
        return -1;
    }
    e->dialect = rt_dialect_by_name(e->url->drivername);
    e->drv = rt_driver_for(e->url->drivername);
    rt_pool_options po = {opts->poolclass, opts->pool_size, opts->max_overflow,
                          opts->pool_timeout, opts->pool_recycle, opts->pool_pre_ping};
    if (po.kind == RT_POOL_DEFAULT)
        po.kind = rt_url_is_memory(e->url) ? RT_POOL_STATIC : RT_POOL_QUEUE;
    if (rt_url_is_memory(e->url) && po.kind != RT_POOL_STATIC) {
        rt_url_free(e->url);
        rt_free(e);
        return rt_error_set(err, RT_ERR_ARGUMENT,
                            "an in-memory SQLite database needs the static pool: each "
                            "new connection would see an empty database");
    }
    e->pool = rt_pool_new(&po, e->drv, e->url);
    if (!e->pool) {
        rt_url_free(e->url);
        rt_free(e);
        return rt_error_oom(err);
    }
    *out = e;
    return 0;
}

rt_engine *rt_engine_retain(rt_engine *e)
{
    if (e)
        e->refcount++;
    return e;
}

void rt_engine_release(rt_engine *e)
{
    if (!e || --e->refcount > 0)
        return;
    rt_pool_free(e->pool);
    rt_url_free(e->url);
    rt_free(e);
}

void rt_engine_dispose(rt_engine *e) { rt_pool_dispose(e->pool); }
const rt_url *rt_engine_url(const rt_engine *e) { return e->url; }
const rt_dialect *rt_engine_dialect(const rt_engine *e) { return e->dialect; }
int rt_engine_echo(const rt_engine *e) { return e->echo; }
void rt_engine_set_echo(rt_engine *e, int on) { e->echo = on != 0; }
void rt_engine_fail_statement(rt_engine *e, long n) { e->fail_at = n > 0 ? n : 0; }

void rt_engine_set_echo_sink(rt_engine *e, rt_echo_fn fn, void *ctx)
{
    e->echo_fn = fn;
    e->echo_ctx = ctx;
}

void rt_engine_pool_status(const rt_engine *e, rt_pool_status *st)
{
    rt_pool_status_get(e->pool, st);
}

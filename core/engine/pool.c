/* pool.c: connection pools.
 *
 * QueuePool keeps up to `size` idle connections and opens up to `max_overflow`
 * more under load; a checkout beyond that waits up to `timeout` seconds for a
 * checkin (the pool is thread-safe, so C programs may share an engine between
 * threads).  NullPool opens a connection per checkout.  StaticPool shares one
 * connection among all checkouts, which is how an in-memory SQLite database
 * lives as long as its engine.  Connections come back rolled back; stale
 * (recycle), invalidated and dead (pre_ping) connections are replaced on
 * checkout. */
#include "engine_int.h"

#include <errno.h>
#include <time.h>

struct rt_pool {
    rt_pool_options o;
    const rt_driver *drv;
    const rt_url *url;        /* borrowed: the engine outlives its pool */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    rt_dbconn *idle;          /* stack of idle connections */
    int nidle;
    int total;                /* open connections, idle or checked out */
    int checked_out;
    double invalidated_at;    /* connections created before this are stale */
    rt_dbconn *shared;        /* StaticPool's connection */
};

rt_pool *rt_pool_new(const rt_pool_options *o, const rt_driver *drv, const rt_url *url)
{
    rt_pool *p = rt_calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->o = *o;
    p->drv = drv;
    p->url = url;
    p->invalidated_at = -1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    return p;
}

void rt_pool_dispose(rt_pool *p)
{
    rt_dbconn *shared = NULL;
    pthread_mutex_lock(&p->mu);
    rt_dbconn *d = p->idle;
    p->idle = NULL;
    p->total -= p->nidle;
    p->nidle = 0;
    /* connections in use now close when they come back */
    p->invalidated_at = rt_monotonic();
    if (p->shared) {
        if (p->shared->shares == 0) {
            shared = p->shared;
            p->total--;
        }
        p->shared = NULL;   /* a held one is detached: its last checkin closes it */
    }
    pthread_mutex_unlock(&p->mu);
    rt_dbconn_close(shared);
    while (d) {
        rt_dbconn *next = d->next;
        rt_dbconn_close(d);
        d = next;
    }
}

void rt_pool_free(rt_pool *p)
{
    if (!p)
        return;
    rt_pool_dispose(p);   /* the engine's connections, which hold it, are gone */
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    rt_free(p);
}

/* Replaces d when it is stale, invalidated or dead.  On failure d is closed. */
static int validate(rt_pool *p, rt_dbconn **dp, rt_error *err)
{
    rt_dbconn *d = *dp;
    int stale = (p->o.recycle > 0 && rt_monotonic() - d->created > p->o.recycle) ||
                d->created <= p->invalidated_at ||
                (p->o.pre_ping && p->drv->ping(d->handle) < 0);
    if (!stale)
        return 0;
    rt_dbconn_close(d);
    *dp = NULL;
    return rt_dbconn_open(p->drv, p->url, dp, err);
}

static int checkout_static(rt_pool *p, rt_dbconn **out, rt_error *err)
{
    pthread_mutex_lock(&p->mu);
    if (!p->shared) {
        rt_dbconn *d;
        if (rt_dbconn_open(p->drv, p->url, &d, err) < 0) {
            pthread_mutex_unlock(&p->mu);
            return -1;
        }
        p->shared = d;
        p->total++;
    }
    p->shared->shares++;
    p->checked_out++;
    *out = p->shared;
    pthread_mutex_unlock(&p->mu);
    return 0;
}

static int wait_until(rt_pool *p, double deadline)
{
    double t = deadline - rt_monotonic();
    if (t <= 0)
        return ETIMEDOUT;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    time_t whole = (time_t)t;   /* t > 0: truncation is floor (no libm needed) */
    ts.tv_sec += whole;
    ts.tv_nsec += (long)((t - (double)whole) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return pthread_cond_timedwait(&p->cv, &p->mu, &ts);
}

int rt_pool_checkout(rt_pool *p, rt_dbconn **out, rt_error *err)
{
    *out = NULL;
    if (p->o.kind == RT_POOL_STATIC)
        return checkout_static(p, out, err);
    double deadline = rt_monotonic() + p->o.timeout;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        if (p->idle) {
            rt_dbconn *d = p->idle;
            p->idle = d->next;
            p->nidle--;
            p->checked_out++;
            pthread_mutex_unlock(&p->mu);
            if (validate(p, &d, err) < 0) {
                pthread_mutex_lock(&p->mu);
                p->checked_out--;
                p->total--;
                pthread_cond_signal(&p->cv);
                pthread_mutex_unlock(&p->mu);
                return -1;
            }
            *out = d;
            return 0;
        }
        int limit = p->o.size + p->o.max_overflow;
        if (p->o.kind == RT_POOL_NULL || p->o.max_overflow < 0 || p->total < limit) {
            p->total++;
            p->checked_out++;
            pthread_mutex_unlock(&p->mu);
            if (rt_dbconn_open(p->drv, p->url, out, err) == 0)
                return 0;
            pthread_mutex_lock(&p->mu);
            p->total--;
            p->checked_out--;
            pthread_cond_signal(&p->cv);
            pthread_mutex_unlock(&p->mu);
            return -1;
        }
        if (wait_until(p, deadline) == ETIMEDOUT && !p->idle &&
            p->total >= limit) {
            pthread_mutex_unlock(&p->mu);
            return rt_error_set(err, RT_ERR_TIMEOUT,
                                "QueuePool limit of size %d overflow %d reached, connection "
                                "timed out, timeout %.2f", p->o.size, p->o.max_overflow,
                                p->o.timeout);
        }
    }
}

/* Rolls back what the connection left open.  Returns -1 if it is unusable. */
static int reset(rt_pool *p, rt_dbconn *d)
{
    rt_error err;
    if (!d->in_txn)
        return 0;
    rt_error_init(&err);
    int rc = p->drv->exec(d->handle, "ROLLBACK", &err);
    rt_error_clear(&err);
    d->in_txn = 0;
    return rc;
}

void rt_pool_checkin(rt_pool *p, rt_dbconn *d)
{
    if (!d)
        return;
    if (p->o.kind == RT_POOL_STATIC) {
        int close = 0;
        pthread_mutex_lock(&p->mu);
        p->checked_out--;
        /* the last holder returns it: reset it, or close it when it was
         * detached (invalidated, disposed) or cannot be reset */
        if (--d->shares == 0 && (d != p->shared || reset(p, d) < 0)) {
            if (d == p->shared)
                p->shared = NULL;
            p->total--;
            close = 1;
        }
        pthread_mutex_unlock(&p->mu);
        if (close)
            rt_dbconn_close(d);
        return;
    }
    int ok = reset(p, d) == 0;
    pthread_mutex_lock(&p->mu);
    p->checked_out--;
    if (!ok || p->o.kind == RT_POOL_NULL || p->nidle >= p->o.size ||
        d->created <= p->invalidated_at) {
        p->total--;
        pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
        rt_dbconn_close(d);
        return;
    }
    d->next = p->idle;
    p->idle = d;
    p->nidle++;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void rt_pool_invalidate(rt_pool *p, rt_dbconn *d)
{
    pthread_mutex_lock(&p->mu);
    p->invalidated_at = rt_monotonic();
    p->checked_out--;
    if (p->o.kind == RT_POOL_STATIC) {
        if (d == p->shared)
            p->shared = NULL;   /* never handed out again */
        if (--d->shares > 0) {
            /* others still hold it: it closes when the last one returns it */
            pthread_mutex_unlock(&p->mu);
            return;
        }
    }
    p->total--;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    rt_dbconn_close(d);
}

void rt_pool_status_get(rt_pool *p, rt_pool_status *st)
{
    pthread_mutex_lock(&p->mu);
    st->size = p->o.size;
    st->checked_out = p->checked_out;
    st->idle = p->nidle;
    st->overflow = p->total - p->o.size;
    pthread_mutex_unlock(&p->mu);
}

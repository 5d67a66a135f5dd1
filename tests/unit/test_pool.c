/* test_pool.c: the connection pools of core/engine/pool.c, driven through a
 * fake driver that counts connects, closes, ROLLBACKs and pings and can be
 * told to refuse a connection, fail a ping or fail a ROLLBACK.  Covers
 * QueuePool reuse, size and overflow, the checkout timeout and a waiter woken
 * by a checkin from another thread, reset on return, invalidation, recycle,
 * pre-ping, dispose, NullPool and StaticPool, and the status figures.  The
 * pool is used directly (rt_pool_new with the fake), never a real database. */
#include "engine_int.h"

#include <criterion/criterion.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the fake driver ------------------------------------------------- */

typedef struct fake_conn {
    int id;              /* 1, 2, ... in connect order */
} fake_conn;

static struct {
    int connects, closes, execs, rollbacks, pings;
    int open;            /* connections not yet closed */
    int fail_connect, fail_ping, fail_rollback;
} F;

static int fake_connect(const rt_url *url, void **handle, rt_error *err)
{
    (void)url;
    if (F.fail_connect)
        return rt_error_set(err, RT_ERR_OPERATIONAL, "fake: connection refused");
    fake_conn *c = malloc(sizeof *c);
    c->id = ++F.connects;
    F.open++;
    *handle = c;
    return 0;
}

static void fake_close(void *handle)
{
    F.closes++;
    F.open--;
    free(handle);
}

static int fake_exec(void *handle, const char *sql, rt_error *err)
{
    (void)handle;
    F.execs++;
    if (strcmp(sql, "ROLLBACK") == 0) {
        F.rollbacks++;
        if (F.fail_rollback) {
            rt_error_set(err, RT_ERR_OPERATIONAL, "fake: server closed the connection");
            err->disconnect = 1;
            return -1;
        }
    }
    return 0;
}

static int fake_ping(void *handle)
{
    (void)handle;
    F.pings++;
    return F.fail_ping ? -1 : 0;
}

/* The pool needs only these four; the statement functions stay NULL. */
static const rt_driver fake = {
    .name = "fake",
    .connect = fake_connect,
    .close = fake_close,
    .exec = fake_exec,
    .ping = fake_ping,
};

/* ---- helpers ---------------------------------------------------------- */

static rt_error err;
static rt_pool *pool;

static void setup(void)
{
    memset(&F, 0, sizeof F);
    rt_error_init(&err);
    pool = NULL;
}

static void teardown(void)
{
    rt_pool_free(pool);
    rt_error_clear(&err);
}

TestSuite(pool, .init = setup, .fini = teardown);

static rt_pool *make(rt_poolclass kind, int size, int max_overflow, double timeout,
                     double recycle, int pre_ping)
{
    rt_pool_options o = {kind, size, max_overflow, timeout, recycle, pre_ping};
    rt_pool *p = rt_pool_new(&o, &fake, NULL);
    cr_assert_not_null(p);
    return p;
}

static rt_dbconn *checkout(void)
{
    rt_dbconn *d = NULL;
    cr_assert_eq(rt_pool_checkout(pool, &d, &err), 0, "checkout: %s",
                 err.message ? err.message : "?");
    cr_assert_not_null(d);
    return d;
}

static int id_of(const rt_dbconn *d) { return ((const fake_conn *)d->handle)->id; }

static void status_is(int size, int checked_out, int idle, int overflow)
{
    rt_pool_status st;
    rt_pool_status_get(pool, &st);
    cr_assert_eq(st.size, size, "size %d", st.size);
    cr_assert_eq(st.checked_out, checked_out, "checked_out %d", st.checked_out);
    cr_assert_eq(st.idle, idle, "idle %d", st.idle);
    cr_assert_eq(st.overflow, overflow, "overflow %d", st.overflow);
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* ---- QueuePool --------------------------------------------------------- */

Test(pool, checkin_then_checkout_reuses_the_connection)
{
    pool = make(RT_POOL_QUEUE, 5, 10, 1, -1, 0);
    status_is(5, 0, 0, -5);
    rt_dbconn *a = checkout();
    cr_assert_eq(id_of(a), 1);
    status_is(5, 1, 0, -4);
    rt_pool_checkin(pool, a);
    status_is(5, 0, 1, -4);
    rt_dbconn *b = checkout();
    cr_assert_eq(b, a, "the idle connection comes back");
    cr_assert_eq(F.connects, 1);
    cr_assert_eq(F.closes, 0);
    cr_assert_eq(F.pings, 0, "no ping without pre_ping");
    rt_pool_checkin(pool, b);
    rt_pool_checkin(pool, NULL);     /* a no-op */
    status_is(5, 0, 1, -4);
    rt_pool_free(pool);
    pool = NULL;
    cr_assert_eq(F.closes, 1, "freeing the pool closes idle connections");
    cr_assert_eq(F.open, 0);
}

Test(pool, size_and_overflow_then_timeout)
{
    pool = make(RT_POOL_QUEUE, 2, 1, 0.2, -1, 0);
    rt_dbconn *a = checkout(), *b = checkout(), *c = checkout();
    cr_assert(a != b && b != c && a != c);
    cr_assert_eq(F.connects, 3);
    status_is(2, 3, 0, 1);

    rt_dbconn *d = (rt_dbconn *)1;
    double t0 = rt_monotonic();
    cr_assert_eq(rt_pool_checkout(pool, &d, &err), -1);
    double waited = rt_monotonic() - t0;
    cr_assert_null(d);
    cr_assert_eq(err.cls, RT_ERR_TIMEOUT);
    cr_assert_str_eq(err.message, "QueuePool limit of size 2 overflow 1 reached, connection "
                                  "timed out, timeout 0.20");
    cr_assert_geq(waited, 0.15, "gave up after %.3f s", waited);
    cr_assert_eq(F.connects, 3, "no connection opened beyond the limit");
    status_is(2, 3, 0, 1);

    /* the overflow connection is closed on return, pool_size ones are kept */
    rt_pool_checkin(pool, a);
    rt_pool_checkin(pool, b);
    cr_assert_eq(F.closes, 0);
    rt_pool_checkin(pool, c);
    cr_assert_eq(F.closes, 1);
    status_is(2, 0, 2, 0);
    /* and the pool serves again */
    rt_dbconn *e = checkout();
    cr_assert(e == a || e == b);
    rt_pool_checkin(pool, e);
}

Test(pool, overflow_connections_close_on_checkin)
{
    pool = make(RT_POOL_QUEUE, 1, 2, 1, -1, 0);
    rt_dbconn *a = checkout(), *b = checkout(), *c = checkout();
    status_is(1, 3, 0, 2);
    rt_pool_checkin(pool, a);          /* fills the one idle place */
    status_is(1, 2, 1, 2);
    cr_assert_eq(F.closes, 0);
    rt_pool_checkin(pool, b);
    rt_pool_checkin(pool, c);
    cr_assert_eq(F.closes, 2);
    cr_assert_eq(F.open, 1);
    status_is(1, 0, 1, 0);
    rt_dbconn *again = checkout();
    cr_assert_eq(again, a);
    rt_pool_checkin(pool, again);
}

Test(pool, unlimited_overflow)
{
    rt_dbconn *held[20];
    pool = make(RT_POOL_QUEUE, 1, -1, 0.1, -1, 0);
    for (int i = 0; i < 20; i++)
        held[i] = checkout();
    cr_assert_eq(F.connects, 20);
    status_is(1, 20, 0, 19);
    for (int i = 0; i < 20; i++)
        rt_pool_checkin(pool, held[i]);
    cr_assert_eq(F.closes, 19);
    status_is(1, 0, 1, 0);
}

Test(pool, zero_timeout_fails_at_once)
{
    pool = make(RT_POOL_QUEUE, 1, 0, 0, -1, 0);
    rt_dbconn *a = checkout(), *b = NULL;
    cr_assert_eq(rt_pool_checkout(pool, &b, &err), -1);
    cr_assert_eq(err.cls, RT_ERR_TIMEOUT);
    cr_assert_str_eq(err.message, "QueuePool limit of size 1 overflow 0 reached, connection "
                                  "timed out, timeout 0.00");
    rt_pool_checkin(pool, a);
}

struct later {
    rt_pool *pool;
    rt_dbconn *d;
    double delay;
};

static void *checkin_later(void *arg)
{
    struct later *l = arg;
    sleep_s(l->delay);
    rt_pool_checkin(l->pool, l->d);
    return NULL;
}

Test(pool, a_waiting_checkout_gets_a_connection_checked_in_by_another_thread)
{
    pool = make(RT_POOL_QUEUE, 1, 0, 10, -1, 0);
    rt_dbconn *a = checkout();
    struct later l = {pool, a, 0.1};
    pthread_t th;
    double t0 = rt_monotonic();
    cr_assert_eq(pthread_create(&th, NULL, checkin_later, &l), 0);
    rt_dbconn *b = checkout();        /* blocks until the thread checks a in */
    double waited = rt_monotonic() - t0;
    pthread_join(th, NULL);
    cr_assert_eq(b, a);
    cr_assert_geq(waited, 0.05, "returned after %.3f s, before the checkin", waited);
    cr_assert_eq(F.connects, 1);
    status_is(1, 1, 0, 0);
    rt_pool_checkin(pool, b);
}

Test(pool, a_connect_failure_frees_the_slot)
{
    pool = make(RT_POOL_QUEUE, 1, 0, 0.1, -1, 0);
    F.fail_connect = 1;
    rt_dbconn *d = (rt_dbconn *)1;
    cr_assert_eq(rt_pool_checkout(pool, &d, &err), -1);
    cr_assert_null(d);
    cr_assert_eq(err.cls, RT_ERR_OPERATIONAL);
    cr_assert_str_eq(err.message, "fake: connection refused");
    status_is(1, 0, 0, -1);
    F.fail_connect = 0;
    rt_error_clear(&err);
    d = checkout();                    /* the failed attempt did not use up the slot */
    cr_assert_eq(id_of(d), 1);
    rt_pool_checkin(pool, d);
}

/* ---- reset on return --------------------------------------------------- */

Test(pool, checkin_rolls_back_an_open_transaction)
{
    pool = make(RT_POOL_QUEUE, 2, 0, 1, -1, 0);
    rt_dbconn *a = checkout();
    a->in_txn = 1;
    rt_pool_checkin(pool, a);
    cr_assert_eq(F.rollbacks, 1);
    cr_assert_eq(F.execs, 1);
    cr_assert_eq(a->in_txn, 0);
    cr_assert_eq(F.closes, 0, "a clean rollback keeps the connection");
    rt_dbconn *b = checkout();
    cr_assert_eq(b, a);
    rt_pool_checkin(pool, b);          /* no transaction: nothing sent */
    cr_assert_eq(F.rollbacks, 1);
    cr_assert_eq(F.execs, 1);
}

Test(pool, a_failing_rollback_closes_the_connection)
{
    pool = make(RT_POOL_QUEUE, 2, 0, 1, -1, 0);
    rt_dbconn *a = checkout();
    a->in_txn = 1;
    F.fail_rollback = 1;
    rt_pool_checkin(pool, a);
    cr_assert_eq(F.rollbacks, 1);
    cr_assert_eq(F.closes, 1);
    status_is(2, 0, 0, -2);
    F.fail_rollback = 0;
    rt_dbconn *b = checkout();
    cr_assert_eq(id_of(b), 2, "a new connection replaces it");
    rt_pool_checkin(pool, b);
}

/* ---- invalidation, recycle, pre-ping ----------------------------------- */

Test(pool, invalidate_closes_and_frees_the_slot)
{
    pool = make(RT_POOL_QUEUE, 1, 0, 0.1, -1, 0);
    rt_dbconn *a = checkout();
    rt_pool_invalidate(pool, a);
    cr_assert_eq(F.closes, 1);
    status_is(1, 0, 0, -1);
    rt_dbconn *b = checkout();         /* would time out if the slot were still taken */
    cr_assert_eq(id_of(b), 2);
    rt_pool_checkin(pool, b);
    status_is(1, 0, 1, 0);
    cr_assert_eq(F.closes, 1, "connections made after the invalidation are kept");
}

Test(pool, invalidate_replaces_older_connections)
{
    pool = make(RT_POOL_QUEUE, 3, 0, 1, -1, 0);
    rt_dbconn *a = checkout(), *b = checkout(), *c = checkout();
    rt_pool_checkin(pool, b);          /* idle, made before the invalidation */
    rt_pool_invalidate(pool, a);
    cr_assert_eq(F.closes, 1);
    status_is(3, 1, 1, -1);

    rt_pool_checkin(pool, c);          /* checked out, older: closed on return */
    cr_assert_eq(F.closes, 2);
    status_is(3, 0, 1, -2);

    rt_dbconn *d = checkout();         /* pops b, finds it stale, replaces it */
    cr_assert_eq(id_of(d), 4);
    cr_assert_eq(F.connects, 4);
    cr_assert_eq(F.closes, 3);
    cr_assert_eq(F.open, 1);
    status_is(3, 1, 0, -2);
    rt_pool_checkin(pool, d);
    cr_assert_eq(F.closes, 3, "the replacement is kept");
    status_is(3, 0, 1, -2);
}

Test(pool, idle_connection_older_than_an_invalidation_is_replaced_on_checkout)
{
    pool = make(RT_POOL_QUEUE, 2, 0, 1, -1, 0);
    rt_dbconn *a = checkout(), *b = checkout();
    rt_pool_checkin(pool, b);
    rt_pool_invalidate(pool, a);
    status_is(2, 0, 1, -1);
    cr_assert_eq(F.closes, 1);
    rt_dbconn *c = checkout();         /* takes b's place, but b is stale */
    cr_assert_eq(id_of(c), 3);
    cr_assert_eq(F.closes, 2);
    cr_assert_eq(F.open, 1);
    status_is(2, 1, 0, -1);
    rt_pool_checkin(pool, c);
    status_is(2, 0, 1, -1);
}

Test(pool, recycle_replaces_old_connections)
{
    pool = make(RT_POOL_QUEUE, 1, 0, 1, 0.05, 0);
    rt_dbconn *a = checkout();
    rt_pool_checkin(pool, a);
    rt_dbconn *b = checkout();         /* young enough */
    cr_assert_eq(id_of(b), 1);
    rt_pool_checkin(pool, b);
    sleep_s(0.1);
    rt_dbconn *c = checkout();
    cr_assert_eq(id_of(c), 2, "recycled after 0.05 s");
    cr_assert_eq(F.closes, 1);
    cr_assert_eq(F.open, 1);
    status_is(1, 1, 0, 0);
    rt_pool_checkin(pool, c);
}

Test(pool, recycle_off_keeps_connections)
{
    pool = make(RT_POOL_QUEUE, 1, 0, 1, 0, 0);
    rt_dbconn *a = checkout();
    rt_pool_checkin(pool, a);
    sleep_s(0.02);
    rt_dbconn *b = checkout();
    cr_assert_eq(id_of(b), 1);
    rt_pool_checkin(pool, b);
}

Test(pool, pre_ping_replaces_dead_connections)
{
    pool = make(RT_POOL_QUEUE, 1, 0, 1, -1, 1);
    rt_dbconn *a = checkout();
    cr_assert_eq(F.pings, 0, "a new connection is not pinged");
    rt_pool_checkin(pool, a);
    rt_dbconn *b = checkout();
    cr_assert_eq(F.pings, 1);
    cr_assert_eq(id_of(b), 1, "alive: kept");
    rt_pool_checkin(pool, b);

    F.fail_ping = 1;
    rt_dbconn *c = checkout();
    cr_assert_eq(F.pings, 2);
    cr_assert_eq(id_of(c), 2, "dead: replaced");
    cr_assert_eq(F.closes, 1);
    status_is(1, 1, 0, 0);
    rt_pool_checkin(pool, c);
}

Test(pool, pre_ping_then_reconnect_failure)
{
    pool = make(RT_POOL_QUEUE, 1, 0, 0.1, -1, 1);
    rt_dbconn *a = checkout();
    rt_pool_checkin(pool, a);
    F.fail_ping = 1;
    F.fail_connect = 1;
    rt_dbconn *b = (rt_dbconn *)1;
    cr_assert_eq(rt_pool_checkout(pool, &b, &err), -1);
    cr_assert_null(b);
    cr_assert_eq(err.cls, RT_ERR_OPERATIONAL);
    cr_assert_eq(F.closes, 1);
    status_is(1, 0, 0, -1);
    F.fail_ping = F.fail_connect = 0;
    rt_error_clear(&err);
    b = checkout();
    cr_assert_eq(id_of(b), 2);
    rt_pool_checkin(pool, b);
}

/* ---- dispose ------------------------------------------------------------ */

Test(pool, dispose_closes_idle_connections_now_and_busy_ones_on_return)
{
    pool = make(RT_POOL_QUEUE, 2, 0, 1, -1, 0);
    rt_dbconn *a = checkout(), *b = checkout();
    rt_pool_checkin(pool, b);
    rt_pool_dispose(pool);
    cr_assert_eq(F.closes, 1, "the idle one");
    status_is(2, 1, 0, -1);
    rt_pool_checkin(pool, a);          /* made before dispose: closed, not kept */
    cr_assert_eq(F.closes, 2);
    cr_assert_eq(F.open, 0);
    status_is(2, 0, 0, -2);
    rt_dbconn *c = checkout();
    cr_assert_eq(id_of(c), 3);
    rt_pool_checkin(pool, c);
    status_is(2, 0, 1, -1);
}

/* ---- NullPool ----------------------------------------------------------- */

Test(pool, null_pool_connects_per_checkout_and_closes_on_checkin)
{
    pool = make(RT_POOL_NULL, 0, 0, 0, -1, 0);
    rt_dbconn *a = checkout(), *b = checkout();
    cr_assert_eq(id_of(a), 1);
    cr_assert_eq(id_of(b), 2);
    rt_pool_checkin(pool, a);
    cr_assert_eq(F.closes, 1);
    rt_dbconn *c = checkout();
    cr_assert_eq(id_of(c), 3);
    cr_assert_eq(F.connects, 3);
    rt_pool_checkin(pool, b);
    rt_pool_checkin(pool, c);
    cr_assert_eq(F.closes, 3);
    cr_assert_eq(F.open, 0);
    status_is(0, 0, 0, 0);
}

/* ---- StaticPool ---------------------------------------------------------- */

Test(pool, static_pool_shares_one_connection)
{
    pool = make(RT_POOL_STATIC, 1, 0, 0, -1, 0);
    rt_dbconn *a = checkout(), *b = checkout();
    cr_assert_eq(a, b);
    cr_assert_eq(F.connects, 1);
    cr_assert_eq(a->shares, 2);
    status_is(1, 2, 0, 0);

    a->in_txn = 1;
    rt_pool_checkin(pool, a);          /* b still holds it: no reset yet */
    cr_assert_eq(F.rollbacks, 0);
    cr_assert_eq(a->in_txn, 1);
    rt_pool_checkin(pool, b);          /* the last holder: reset */
    cr_assert_eq(F.rollbacks, 1);
    cr_assert_eq(a->in_txn, 0);
    cr_assert_eq(F.closes, 0, "the shared connection stays open");
    status_is(1, 0, 0, 0);

    rt_dbconn *c = checkout();
    cr_assert_eq(c, a);
    cr_assert_eq(F.connects, 1);
    rt_pool_checkin(pool, c);
    rt_pool_free(pool);
    pool = NULL;
    cr_assert_eq(F.closes, 1);
    cr_assert_eq(F.open, 0);
}

Test(pool, static_pool_failed_reset_closes)
{
    pool = make(RT_POOL_STATIC, 1, 0, 0, -1, 0);
    rt_dbconn *a = checkout();
    a->in_txn = 1;
    F.fail_rollback = 1;
    rt_pool_checkin(pool, a);
    cr_assert_eq(F.closes, 1);
    F.fail_rollback = 0;
    rt_dbconn *b = checkout();
    cr_assert_eq(id_of(b), 2);
    rt_pool_checkin(pool, b);
}

Test(pool, static_pool_invalidate_by_the_only_holder)
{
    pool = make(RT_POOL_STATIC, 1, 0, 0, -1, 0);
    rt_dbconn *a = checkout();
    rt_pool_invalidate(pool, a);
    cr_assert_eq(F.closes, 1);
    status_is(1, 0, 0, -1);
    rt_dbconn *b = checkout();
    cr_assert_eq(id_of(b), 2);
    rt_pool_checkin(pool, b);
}

/* One holder finds the shared connection broken while another still uses it:
 * the next checkout must not hand out the broken connection again, and the
 * broken one closes when its last holder returns it. */
Test(pool, static_pool_invalidate_while_shared)
{
    pool = make(RT_POOL_STATIC, 1, 0, 0, -1, 0);
    rt_dbconn *a = checkout(), *b = checkout();
    cr_assert_eq(a, b);
    rt_pool_invalidate(pool, a);       /* b still holds it */
    cr_assert_eq(F.closes, 0, "not closed under its other holder");
    rt_dbconn *c = checkout();
    cr_assert_neq(c, a, "the invalidated connection was handed out again");
    cr_assert_eq(id_of(c), 2);
    rt_pool_checkin(pool, b);          /* its last holder returns it */
    cr_assert_eq(F.closes, 1);
    rt_pool_checkin(pool, c);
    cr_assert_eq(F.closes, 1, "the new shared connection stays");
    rt_pool_free(pool);
    pool = NULL;
    cr_assert_eq(F.open, 0);
}

Test(pool, static_pool_connect_failure)
{
    pool = make(RT_POOL_STATIC, 1, 0, 0, -1, 0);
    F.fail_connect = 1;
    rt_dbconn *d = (rt_dbconn *)1;
    cr_assert_eq(rt_pool_checkout(pool, &d, &err), -1);
    cr_assert_null(d);
    cr_assert_eq(err.cls, RT_ERR_OPERATIONAL);
    status_is(1, 0, 0, -1);
}

Test(pool, static_pool_dispose_waits_for_holders)
{
    pool = make(RT_POOL_STATIC, 1, 0, 0, -1, 0);
    rt_dbconn *a = checkout();
    rt_pool_dispose(pool);
    cr_assert_eq(F.closes, 0, "still in use");
    rt_pool_checkin(pool, a);
    cr_assert_eq(F.closes, 1, "closed when returned after dispose");
    rt_dbconn *b = checkout();
    cr_assert_eq(id_of(b), 2);
    rt_pool_checkin(pool, b);
    rt_pool_dispose(pool);             /* idle: closed at once */
    cr_assert_eq(F.closes, 2);
    cr_assert_eq(F.open, 0);
}

/* test_orm_unitofwork.c: the order of a flush (core/orm/unitofwork.c):
 * parents inserted before the rows whose foreign keys point at them and
 * deleted after them, whatever order the instances were added in; one flush
 * per transaction without a SAVEPOINT, later ones within one; nothing sent
 * for an empty flush or an attribute set back to its value; commit expiring
 * and rollback restoring. */
#include "orm_fixture.h"

TestSuite(orm_unitofwork, .init = fixture_setup, .fini = fixture_teardown);

static rt_state *new_address(const char *email, int64_t user_id)
{
    rt_state *st = rt_state_new(Address, &err);
    set_text(st, "email", email);
    set_int(st, "user_id", user_id);
    cr_assert_eq(rt_session_add(session, st, &err), 0);
    return st;
}

Test(orm_unitofwork, parents_first_on_insert_children_first_on_delete)
{
    rt_state *a = new_address("ed@x.org", 1);     /* added before its user */
    rt_state *u = new_user("ed", 1);
    cr_assert_eq(rt_session_flush(session, &err), 0, "%s", err.message);
    const char *log = rt_buf_str(&echo);
    const char *iu = strstr(log, "INSERT INTO users"), *ia = strstr(log, "INSERT INTO addresses");
    cr_assert(iu && ia && iu < ia, "%s", log);
    cr_assert(strncmp(log, "BEGIN (implicit)\n", 17) == 0, "%s", log);
    cr_assert_null(strstr(log, "SAVEPOINT"));
    rt_buf_reset(&echo);
    cr_assert_eq(rt_session_delete(session, u, &err), 0);
    cr_assert_eq(rt_session_delete(session, a, &err), 0);
    cr_assert_eq(rt_session_flush(session, &err), 0, "%s", err.message);
    log = rt_buf_str(&echo);
    const char *da = strstr(log, "DELETE FROM addresses"), *du = strstr(log, "DELETE FROM users");
    cr_assert(da && du && da < du, "%s", log);
    cr_assert(strncmp(log, "SAVEPOINT sa_savepoint_1\n", 25) == 0, "%s", log);
    cr_assert_not_null(strstr(log, "RELEASE SAVEPOINT sa_savepoint_1\n"));
    rt_state_release(a);
    rt_state_release(u);
}

Test(orm_unitofwork, nothing_to_do_sends_nothing)
{
    cr_assert_eq(rt_session_flush(session, &err), 0);
    rt_state *u = new_user("ed", 1);
    cr_assert_eq(rt_session_commit(session, &err), 0);
    rt_buf_reset(&echo);
    cr_assert_eq(rt_state_load_expired(u, &err), 0);       /* commit expired it */
    set_text(u, "name", "other");
    set_text(u, "name", "ed");                             /* back: no change */
    cr_assert_eq(rt_session_flush(session, &err), 0);
    cr_assert_null(strstr(rt_buf_str(&echo), "UPDATE"), "%s", rt_buf_str(&echo));
    rt_state_release(u);
}

Test(orm_unitofwork, commit_expires_rollback_restores)
{
    rt_state *u = new_user("ed", 1);
    set_text(u, "fullname", "Ed Jones");
    cr_assert_eq(rt_session_commit(session, &err), 0);
    cr_assert_not(rt_state_loaded(u, 1));
    cr_assert_eq(rt_state_load_expired(u, &err), 0);
    cr_assert(rt_state_loaded(u, 1));
    set_text(u, "fullname", "changed");
    cr_assert_eq(rt_session_rollback(session, &err), 0);
    cr_assert_eq(rt_state_load_expired(u, &err), 0);
    cr_assert_eq(memcmp(get(u, "fullname")->u.s.p, "Ed Jones", 8), 0);
    rt_state_release(u);
}

Test(orm_unitofwork, nested_rollback_undoes_only_the_savepoint)
{
    rt_state *a = new_user("a", 0);
    cr_assert_eq(rt_session_flush(session, &err), 0);
    rt_txn sp;
    cr_assert_eq(rt_session_begin_nested(session, &sp, &err), 0);
    rt_state *b = new_user("b", 0);
    cr_assert_eq(rt_session_flush(session, &err), 0);
    cr_assert_eq(rt_session_rollback_nested(session, sp, &err), 0);
    cr_assert_eq(rt_state_status_of(a), RT_STATE_PERSISTENT);
    cr_assert_eq(rt_state_status_of(b), RT_STATE_TRANSIENT);
    cr_assert_eq(count_rows("users"), 1);
    cr_assert_eq(rt_session_commit(session, &err), 0);
    rt_state_release(a);
    rt_state_release(b);
}

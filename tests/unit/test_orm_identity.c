/* test_orm_identity.c: the identity map and the session's hold on states:
 * one state per primary key, loaded rows merged into it, clean states
 * leaving the map when their last reference goes while modified, pending
 * and deleted ones are kept; get() without SQL for a loaded instance;
 * expunge, add of a detached state, merge. */
#include "orm_fixture.h"

TestSuite(orm_identity, .init = fixture_setup, .fini = fixture_teardown);

static rt_state *load(int64_t id, const char *name)
{
    rt_value row[3] = {rt_value_int(id), rt_value_text(name, strlen(name)), rt_value_null()};
    rt_state *st = NULL;
    cr_assert_eq(rt_session_load_row(session, User, row, &st, &err), 0);
    return st;
}

Test(orm_identity, one_state_per_key)
{
    rt_state *a = load(1, "ed"), *b = load(1, "other"), *c = load(2, "x");
    cr_assert_eq(a, b);
    cr_assert_neq(a, c);
    cr_assert_eq(memcmp(get(a, "name")->u.s.p, "ed", 2), 0);   /* not overwritten */
    cr_assert_eq(rt_state_status_of(a), RT_STATE_PERSISTENT);
    rt_value nullpk[3] = {rt_value_null(), rt_value_null(), rt_value_null()};
    rt_state *none = (rt_state *)1;
    cr_assert_eq(rt_session_load_row(session, User, nullpk, &none, &err), 0);
    cr_assert_null(none);
    rt_state_release(a);
    rt_state_release(b);
    rt_state_release(c);
}

Test(orm_identity, clean_states_are_weak_modified_ones_held)
{
    rt_value pk1 = rt_value_int(1), pk2 = rt_value_int(2);
    rt_state *a = load(1, "ed"), *b = load(2, "wendy");
    cr_assert_eq(rt_session_identity_get(session, User, &pk1), a);
    rt_state_release(a);                                  /* clean: gone */
    cr_assert_null(rt_session_identity_get(session, User, &pk1));
    set_text(b, "fullname", "W");
    rt_state_release(b);                                  /* dirty: kept */
    rt_state *kept = rt_session_identity_get(session, User, &pk2);
    cr_assert_not_null(kept);
    rt_state **set;
    size_t n;
    cr_assert_eq(rt_session_states(session, RT_SESSION_DIRTY, &set, &n, &err), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(set[0], kept);
    rt_free(set);
    rt_session_expire(session, kept);                     /* changes dropped: released */
    cr_assert_null(rt_session_identity_get(session, User, &pk2));
}

Test(orm_identity, get_of_a_loaded_instance_sends_nothing)
{
    rt_state *u = new_user("ed", 0);
    cr_assert_eq(rt_session_flush(session, &err), 0, "%s", err.message);
    rt_value pk = *get(u, "id");
    rt_buf_reset(&echo);
    rt_state *again = NULL;
    cr_assert_eq(rt_session_get(session, User, &pk, &again, &err), 0);
    cr_assert_eq(again, u);
    cr_assert_eq(echo.len, 0, "echo: %s", rt_buf_str(&echo));
    rt_value missing = rt_value_int(42);
    rt_state *none = NULL;
    cr_assert_eq(rt_session_get(session, User, &missing, &none, &err), 0);
    cr_assert_null(none);
    cr_assert_not_null(strstr(rt_buf_str(&echo), "WHERE users.id = ?\n(42,)"));
    rt_state_release(again);
    rt_state_release(u);
}

Test(orm_identity, expunge_add_and_merge)
{
    rt_state *u = new_user("ed", 5);
    cr_assert_eq(rt_session_commit(session, &err), 0, "%s", err.message);
    rt_session_expunge(session, u);
    cr_assert_eq(rt_state_status_of(u), RT_STATE_DETACHED);
    cr_assert_null(rt_state_session(u));
    rt_state *copy = rt_state_new(User, &err);
    set_int(copy, "id", 5);
    set_text(copy, "name", "merged");
    rt_state *m = NULL;
    cr_assert_eq(rt_session_merge(session, copy, &m, &err), 0, "%s", err.message);
    cr_assert_neq(m, copy);
    cr_assert(rt_state_modified(m));
    rt_value pk = rt_value_int(5);
    cr_assert_eq(rt_session_identity_get(session, User, &pk), m);
    cr_assert_eq(rt_session_add(session, u, &err), -1);       /* key taken */
    cr_assert_eq(err.cls, RT_ERR_INVALID_REQUEST);
    rt_error_clear(&err);
    cr_assert_eq(rt_session_commit(session, &err), 0);
    rt_state_release(m);
    rt_state_release(copy);
    rt_state_release(u);
}

Test(orm_identity, rollback_makes_pending_transient_and_undeletes)
{
    rt_state *a = new_user("a", 1), *b = new_user("b", 2);
    cr_assert_eq(rt_session_commit(session, &err), 0);
    rt_state *c = new_user("c", 3);
    cr_assert_eq(rt_session_delete(session, b, &err), 0);
    cr_assert_eq(rt_session_flush(session, &err), 0, "%s", err.message);
    cr_assert_eq(rt_state_status_of(b), RT_STATE_DELETED);
    cr_assert_eq(rt_session_rollback(session, &err), 0);
    cr_assert_eq(rt_state_status_of(b), RT_STATE_PERSISTENT);
    cr_assert_eq(rt_state_status_of(c), RT_STATE_TRANSIENT);
    cr_assert_null(rt_state_identity_key(c));
    cr_assert_eq(count_rows("users"), 2);
    rt_state_release(a);
    rt_state_release(b);
    rt_state_release(c);
}

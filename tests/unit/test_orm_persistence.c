/* test_orm_persistence.c: how a flush groups rows into statements
 * (core/orm/persistence.c): INSERTs with known keys as one executemany,
 * INSERTs needing a generated key one by one with the keys copied back,
 * consecutive rows of one shape together, UPDATEs of the changed columns
 * only, executemany UPDATE and DELETE by primary key; and a failing
 * statement at every position leaving database and states as they were. */
#include "orm_fixture.h"

TestSuite(orm_persistence, .init = fixture_setup, .fini = fixture_teardown);

Test(orm_persistence, known_keys_go_as_executemany)
{
    rt_state *s[3] = {new_user("a", 1), new_user("b", 2), new_user("c", 3)};
    cr_assert_eq(rt_session_flush(session, &err), 0, "%s", err.message);
    cr_assert_str_eq(rt_buf_str(&echo),
                     "BEGIN (implicit)\n"
                     "INSERT INTO users (id, name, fullname) VALUES (?, ?, ?)\n"
                     "[(1, 'a', nil), (2, 'b', nil), (3, 'c', nil)]\n");
    for (int i = 0; i < 3; i++)
        rt_state_release(s[i]);
}

Test(orm_persistence, generated_keys_one_by_one_and_copied_back)
{
    rt_state *s[3] = {new_user("a", 0), new_user("b", 0), new_user("c", 0)};
    set_text(s[2], "fullname", "C");
    cr_assert_eq(rt_session_flush(session, &err), 0, "%s", err.message);
    cr_assert_str_eq(rt_buf_str(&echo),
                     "BEGIN (implicit)\n"
                     "INSERT INTO users (name, fullname) VALUES (?, ?)\n('a', nil)\n"
                     "INSERT INTO users (name, fullname) VALUES (?, ?)\n('b', nil)\n"
                     "INSERT INTO users (name, fullname) VALUES (?, ?)\n('c', 'C')\n");
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(get(s[i], "id")->type, RT_INT);
        cr_assert_eq(get(s[i], "id")->u.i, i + 1);
        cr_assert_not_null(rt_state_identity_key(s[i]));
        rt_state_release(s[i]);
    }
}

Test(orm_persistence, updates_by_shape_and_deletes_together)
{
    rt_state *s[4] = {new_user("a", 1), new_user("b", 2), new_user("c", 3), new_user("d", 4)};
    cr_assert_eq(rt_session_flush(session, &err), 0);
    rt_buf_reset(&echo);
    set_text(s[0], "fullname", "A");
    set_text(s[1], "fullname", "B");
    set_text(s[2], "name", "cc");
    cr_assert_eq(rt_session_delete(session, s[3], &err), 0);
    cr_assert_eq(rt_session_flush(session, &err), 0, "%s", err.message);
    cr_assert_str_eq(rt_buf_str(&echo),
                     "SAVEPOINT sa_savepoint_1\n"
                     "UPDATE users SET fullname=? WHERE users.id = ?\n[('A', 1), ('B', 2)]\n"
                     "UPDATE users SET name=? WHERE users.id = ?\n('cc', 3)\n"
                     "DELETE FROM users WHERE users.id = ?\n(4,)\n"
                     "RELEASE SAVEPOINT sa_savepoint_1\n");
    cr_assert_eq(count_rows("users"), 3);
    for (int i = 0; i < 4; i++)
        rt_state_release(s[i]);
}

/* Row n of three pending users takes a name that exists: the nth INSERT
 * fails.  Nothing may change: database, statuses, keys, values. */
static void fail_at(int n, int prior_write)
{
    rt_state *taken = new_user("taken", 0);
    cr_assert_eq(rt_session_commit(session, &err), 0);
    rt_state *p = NULL;
    if (prior_write) {
        p = new_user("prior", 0);
        cr_assert_eq(rt_session_flush(session, &err), 0);
    }
    rt_state *s[3];
    for (int i = 0; i < 3; i++) {
        char name[8];
        snprintf(name, sizeof name, "u%d", i);
        s[i] = new_user(i == n ? "taken" : name, 0);
    }
    int64_t before = count_rows("users");
    cr_assert_eq(rt_session_flush(session, &err), -1);
    cr_assert_eq(err.cls, RT_ERR_INTEGRITY, "%s", err.message);
    cr_assert_not_null(err.statement);
    rt_error_clear(&err);
    cr_assert_eq(count_rows("users"), before);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(rt_state_status_of(s[i]), RT_STATE_PENDING);
        cr_assert_eq(get(s[i], "id")->type, RT_NULL);
        cr_assert_null(rt_state_identity_key(s[i]));
    }
    set_text(s[n], "name", "fixed");
    cr_assert_eq(rt_session_commit(session, &err), 0, "%s", err.message);
    cr_assert_eq(count_rows("users"), 4 + (prior_write ? 1 : 0));
    for (int i = 0; i < 3; i++)
        rt_state_release(s[i]);
    rt_state_release(taken);
    rt_state_release(p);
}

Test(orm_persistence, failing_first_statement) { fail_at(0, 0); }
Test(orm_persistence, failing_second_statement) { fail_at(1, 0); }
Test(orm_persistence, failing_third_statement) { fail_at(2, 0); }
Test(orm_persistence, failing_in_savepoint_first) { fail_at(0, 1); }
Test(orm_persistence, failing_in_savepoint_third) { fail_at(2, 1); }

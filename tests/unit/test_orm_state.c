/* test_orm_state.c: instance state (core/orm/state.c) without a database:
 * values copied in, per-attribute history (added / deleted / unchanged),
 * modified flags that notice a value set back, expiry that keeps the
 * primary key, rollback of modified values, identity keys; and the generic
 * topological sort of core/util that the unit of work uses. */
#include "orm_fixture.h"

#include <stdint.h>

TestSuite(orm_state, .init = fixture_setup, .fini = fixture_teardown);

Test(orm_state, transient_values_are_copied)
{
    rt_state *st = rt_state_new(User, &err);
    char buf[8] = "ed";
    rt_value v = rt_value_text(buf, 2);
    cr_assert_eq(rt_state_set(st, 1, &v, &err), 0);
    buf[0] = 'X';
    cr_assert_eq(rt_state_status_of(st), RT_STATE_TRANSIENT);
    cr_assert_eq(get(st, "name")->u.s.n, 2);
    cr_assert_eq(memcmp(get(st, "name")->u.s.p, "ed", 2), 0);
    cr_assert_eq(get(st, "id")->type, RT_NULL);
    cr_assert_not(rt_state_loaded(st, 0));
    cr_assert_null(rt_state_identity_key(st));
    rt_state_release(st);
}

/* A new state keeps the text of its values and its key in its own room
 * while they fit, then allocates: values and keys stay right either way
 * (and nothing leaks: the ASan build). */
Test(orm_state, values_and_keys_past_a_new_state_room)
{
    rt_state *st = rt_state_new(User, &err);
    char big[100];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    for (int i = 0; i < 10; i++)
        set_text(st, "name", i % 2 ? big : "ed");
    set_text(st, "fullname", "Ed Jones");
    cr_assert_eq(get(st, "name")->u.s.n, strlen(big));
    cr_assert_eq(memcmp(get(st, "name")->u.s.p, big, strlen(big)), 0);
    cr_assert_eq(memcmp(get(st, "fullname")->u.s.p, "Ed Jones", 9), 0);
    for (int k = 1; k <= 20; k++) {
        char want[16];
        snprintf(want, sizeof want, "|%d", k);
        set_int(st, "id", k);
        cr_assert_eq(orm_state_compute_key(st, 0, &err), 0);
        const char *key = rt_state_identity_key(st);
        cr_assert_str_eq(key + strlen(key) - strlen(want), want);
    }
    orm_state_commit(st);
    set_text(st, "name", "jack");              /* a loaded value moved aside */
    rt_history h;
    rt_state_history(st, 1, &h);
    cr_assert(h.added && h.deleted);
    cr_assert_eq(memcmp(h.deleted->u.s.p, big, strlen(big)), 0);
    orm_state_reset(st);
    cr_assert_eq(memcmp(get(st, "name")->u.s.p, big, strlen(big)), 0);
    rt_state_release(st);
}

/* Integer identity keys end in the number as "%lld" writes it. */
Test(orm_state, integer_keys_as_printf_writes_them)
{
    const int64_t nums[] = {0, 7, 10, 99, 100, 12345, -1, -100, -98765, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        rt_state *st = rt_state_new(User, &err);
        set_int(st, "id", nums[i]);
        cr_assert_eq(orm_state_compute_key(st, 0, &err), 0);
        char want[32];
        snprintf(want, sizeof want, "|%lld", (long long)nums[i]);
        const char *key = rt_state_identity_key(st);
        cr_assert_str_eq(key + strlen(key) - strlen(want), want);
        rt_state_release(st);
    }
}

Test(orm_state, history_of_a_loaded_attribute)
{
    rt_state *st = rt_state_new(User, &err);
    rt_value row[3] = {rt_value_int(1), rt_value_text("ed", 2), rt_value_null()};
    cr_assert_eq(orm_state_load(st, row, 1, &err), 0);
    rt_history h;
    rt_state_history(st, 1, &h);
    cr_assert(h.unchanged && !h.added && !h.deleted);
    set_text(st, "name", "jack");
    cr_assert(rt_state_attr_modified(st, 1));
    rt_state_history(st, 1, &h);
    cr_assert(h.added && h.deleted && !h.unchanged);
    cr_assert_eq(memcmp(h.added->u.s.p, "jack", 4), 0);
    cr_assert_eq(memcmp(h.deleted->u.s.p, "ed", 2), 0);
    set_text(st, "name", "ed");               /* set back: no net change */
    cr_assert_not(rt_state_modified(st));
    set_text(st, "fullname", "Ed Jones");
    cr_assert(rt_state_modified(st));
    orm_state_reset(st);                      /* rollback */
    cr_assert_not(rt_state_modified(st));
    cr_assert_eq(get(st, "fullname")->type, RT_NULL);
    cr_assert_eq(memcmp(get(st, "name")->u.s.p, "ed", 2), 0);
    set_text(st, "fullname", "x");
    orm_state_commit(st);                     /* after a flush */
    cr_assert_not(rt_state_modified(st));
    rt_state_history(st, 2, &h);
    cr_assert(h.unchanged);
    rt_state_release(st);
}

Test(orm_state, expire_keeps_the_primary_key)
{
    rt_state *st = rt_state_new(User, &err);
    rt_value row[3] = {rt_value_int(7), rt_value_text("ed", 2), rt_value_text("E", 1)};
    cr_assert_eq(orm_state_load(st, row, 1, &err), 0);
    set_text(st, "name", "changed");
    orm_state_expire(st, 1);
    cr_assert(rt_state_loaded(st, 0));
    cr_assert_eq(get(st, "id")->u.i, 7);
    cr_assert_not(rt_state_loaded(st, 1));
    cr_assert_not(rt_state_loaded(st, 2));
    cr_assert_not(rt_state_modified(st));
    cr_assert_eq(orm_state_compute_key(st, 0, &err), 0);
    cr_assert_not_null(strstr(rt_state_identity_key(st), "|7"));
    rt_state_release(st);
}

Test(orm_state, load_does_not_overwrite_modified_values)
{
    rt_state *st = rt_state_new(User, &err);
    set_text(st, "name", "mine");
    rt_value row[3] = {rt_value_int(1), rt_value_text("db", 2), rt_value_text("F", 1)};
    cr_assert_eq(orm_state_load(st, row, 0, &err), 0);
    cr_assert_eq(memcmp(get(st, "name")->u.s.p, "mine", 4), 0);
    cr_assert_eq(get(st, "id")->u.i, 1);
    cr_assert_eq(orm_state_load(st, row, 1, &err), 0);      /* refresh */
    cr_assert_eq(memcmp(get(st, "name")->u.s.p, "db", 2), 0);
    rt_state_release(st);
}

Test(orm_state, toposort_is_stable_and_finds_cycles)
{
    rt_edge edges[] = {{2, 0}, {2, 1}, {1, 1}};
    size_t order[3];
    cr_assert_eq(rt_toposort(3, edges, 3, order, &err), 0);
    cr_assert(order[0] == 2 && order[1] == 0 && order[2] == 1);
    rt_edge cycle[] = {{0, 1}, {1, 2}, {2, 1}};
    cr_assert_eq(rt_toposort(3, cycle, 3, order, &err), -1);
    cr_assert_eq(err.cls, RT_ERR_CIRCULAR);
    cr_assert_not_null(strstr(err.message, "1, 2"));
    rt_error_clear(&err);
    cr_assert_eq(rt_toposort(0, NULL, 0, order, &err), 0);
}

Test(orm_state, mapper_attributes_and_select)
{
    cr_assert_eq(rt_mapper_nattrs(User), 3);
    cr_assert_eq(rt_mapper_attr_index(User, "fullname"), 2);
    cr_assert_eq(rt_mapper_attr_index(User, "nope"), -1);
    cr_assert_eq(rt_mapper_npk(User), 1);
    rt_node *s = rt_mapper_select(User, &err);
    rt_compiled *cp;
    cr_assert_eq(rt_compile(s, rt_dialect_sqlite(), &cp, &err), 0);
    cr_assert_str_eq(cp->sql, "SELECT users.id AS users_id, users.name AS users_name, "
                              "users.fullname AS users_fullname\nFROM users");
    rt_compiled_release(cp);
    rt_node_release(s);
    rt_metadata *m2 = rt_metadata_new();
    rt_table *t = rt_metadata_add_table(m2, "nopk", NULL, &err);
    add(t, col(t, "a", RT_TYPE_INTEGER, 0));
    cr_assert_null(rt_mapper_new("N", t, NULL, NULL, 0, &err));
    cr_assert_not_null(strstr(err.message, "could not assemble any primary key"));
    rt_error_clear(&err);
    rt_metadata_release(m2);
}

/* test_expr_postgresql.c: the expression language compiled for PostgreSQL:
 * `$n` placeholders, LIMIT ALL before a lone OFFSET, native ILIKE and
 * booleans, MATCH as @@ to_tsquery(), EXTRACT with casts, typed empty IN
 * sets, parenthesised compound members, FOR UPDATE, DELETE ... USING,
 * nextval() for sequences, and the RETURNING added to a single-row INSERT
 * whose key the database makes (pk_returning, returning_added).  The last
 * suite runs statements on the server named by RETORT_PG_URL
 * (scripts/lib/pg-server.sh starts one); without it those tests fail, as
 * test_driver_pg's do: nothing is skipped. */
#include "expr_fixture.h"

#include <stdlib.h>

TestSuite(pg, .init = setup, .fini = teardown);
TestSuite(pg_dml, .init = setup, .fini = teardown);

static void open_db(void)
{
    setup();
    const char *url = getenv("RETORT_PG_URL");
    if (!url)
        cr_assert_fail("RETORT_PG_URL is not set");
    db_open(url);
}

static void close_db(void)
{
    db_close();
    teardown();
}

TestSuite(pg_run, .init = open_db, .fini = close_db);

#define D PG

static void check_where(rt_node *cond, const char *where, const char *slots, int line)
{
    rt_node *s = WHERE(SELECT(C(users, "id")), cond);
    char want[512];
    snprintf(want, sizeof want, "SELECT users.id\nFROM users\nWHERE %s", where);
    check_keys(s, D, NULL, 0, want, slots, line);
}
#define W(cond, where, slots) check_where((cond), (where), (slots), __LINE__)

/* === select === */

Test(pg, numbered_parameters)
{
    rt_node *s = OFFSET(LIMIT(WHERE(SELECT(C(users, "id")),
                                    AND(EQ(C(users, "name"), S("a")), GT(C(users, "id"), I(1)))),
                              10), 5);
    CHECK(s, D, "SELECT users.id\nFROM users\nWHERE users.name = $1 AND users.id > $2\n"
                "LIMIT $3 OFFSET $4", "name_1,id_1,param_1,param_2");
}

Test(pg, limit_all)
{
    CHECK(OFFSET(SELECT(C(users, "id")), 3), D, "SELECT users.id\nFROM users\nLIMIT ALL OFFSET $1",
          "param_1");
    CHECK(LIMIT(SELECT(C(users, "id")), 3), D, "SELECT users.id\nFROM users\nLIMIT $1",
          "param_1");
}

Test(pg, ilike_native)
{
    W(B(C(users, "name"), RT_OP_ILIKE, S("%ed")), "users.name ILIKE $1", "name_1");
    W(NOT(B(C(users, "name"), RT_OP_ILIKE, S("%ed"))), "users.name NOT ILIKE $1", "name_1");
}

Test(pg, match)
{
    W(B(C(users, "name"), RT_OP_MATCH, S("wendy")), "users.name @@ to_tsquery($1)", "name_1");
}

Test(pg, booleans_and_now)
{
    CHECK(SELECT(K(rt_bool_new(1, &err)), F("now"), F("current_date")), D,
          "SELECT true AS anon_1, now() AS now_1, CURRENT_DATE AS current_date_1", "");
}

Test(pg, extract_casts)
{
    rt_node *a = K(rt_extract_new("year", C(items, "stamp"), &err));
    rt_node *b = K(rt_extract_new("day", C(items, "name"), &err));
    CHECK(SELECT(a, b), D,
          "SELECT EXTRACT(year FROM items.stamp::timestamp) AS anon_1, "
          "EXTRACT(day FROM items.name) AS anon_2\nFROM items", "");
}

Test(pg, empty_in_is_typed)
{
    rt_node *empty = K(rt_list_new(RT_LIST_COMMA, NULL, 0, &err));
    W(B(C(users, "id"), RT_OP_IN, empty), "users.id IN (SELECT CAST(NULL AS INTEGER) WHERE 1!=1)",
      "");
    W(B(C(users, "name"), RT_OP_NOT_IN, empty),
      "users.name NOT IN (SELECT CAST(NULL AS VARCHAR(50)) WHERE 1!=1)", "");
}

Test(pg, casts)
{
    rt_sqltype *ts = rt_type_new(RT_TYPE_DATETIME);
    rt_sqltype *num = rt_type_new(RT_TYPE_NUMERIC);
    num->precision = 10;
    num->scale = 2;
    rt_node *a = K(rt_cast_new(C(users, "name"), ts, &err));
    rt_node *b = K(rt_cast_new(S("1.5"), num, &err));
    rt_type_release(ts);
    rt_type_release(num);
    CHECK(SELECT(a, b), D,
          "SELECT CAST(users.name AS TIMESTAMP WITHOUT TIME ZONE) AS name, "
          "CAST($1 AS NUMERIC(10, 2)) AS anon_1\nFROM users", "param_1");
}

Test(pg, for_update)
{
    CHECK(K(rt_select_for_update(WHERE(SELECT(C(users, "id")), EQ(C(users, "id"), I(1))), 0, &err)),
          D, "SELECT users.id\nFROM users\nWHERE users.id = $1\nFOR UPDATE", "id_1");
    CHECK(K(rt_select_for_update(SELECT(C(users, "id")), 1, &err)), D,
          "SELECT users.id\nFROM users\nFOR UPDATE NOWAIT", "");
}

Test(pg, compound_member_parenthesised)
{
    rt_node *u = UNION(LIMIT(ORDER_BY(SELECT(C(users, "id")), C(users, "id")), 2),
                       WHERE(SELECT(C(users, "id")), EQ(C(users, "id"), I(9))));
    CHECK(u, D, "(SELECT users.id\nFROM users\nORDER BY users.id\nLIMIT $1) UNION SELECT users.id\n"
                "FROM users\nWHERE users.id = $2", "param_1,id_1");
}

Test(pg, repeated_name_numbers_each_placeholder)
{
    rt_node *x = P("x");
    W(OR(EQ(C(users, "id"), x), GT(C(users, "id"), x)), "users.id = $1 OR users.id > $2", "x,x");
}

Test(pg, subquery_join_and_labels)
{
    rt_node *cnt = LABEL(F("count", C(addresses, "id")), "address_count");
    rt_node *sub = ALIAS(GROUP_BY(SELECT(C(addresses, "user_id"), cnt), C(addresses, "user_id")),
                         NULL);
    rt_node *s = K(rt_select_apply_labels(
        FROM(SELECT(users, C(sub, "address_count")),
             OUTERJOIN(users, sub, EQ(C(users, "id"), C(sub, "user_id")))), &err));
    CHECK(ORDER_BY(s, C(users, "id")), D,
          "SELECT users.id AS users_id, users.name AS users_name, users.fullname AS "
          "users_fullname, anon_1.address_count AS anon_1_address_count\n"
          "FROM users LEFT OUTER JOIN (SELECT addresses.user_id AS user_id, count(addresses.id) "
          "AS address_count\nFROM addresses\nGROUP BY addresses.user_id) AS anon_1 "
          "ON users.id = anon_1.user_id\nORDER BY users.id", "");
}

Test(pg, scalar_subquery_compared)
{
    rt_node *mx = SCALAR(WHERE(SELECT(F("max", C(addresses, "id"))),
                               EQ(C(addresses, "user_id"), C(users, "id"))));
    W(B(C(users, "id"), RT_OP_LT, mx),
      "users.id < (SELECT max(addresses.id) AS max_1\nFROM addresses\n"
      "WHERE addresses.user_id = users.id)", "");
}

/* === DML === */

Test(pg_dml, insert_returns_new_key)
{
    static const char *const keys[] = {"name", "fullname"};
    rt_compiled *c = CHECK_KEYS(K(rt_insert_new(users, &err)), D, keys,
                                "INSERT INTO users (name, fullname) VALUES ($1, $2) "
                                "RETURNING users.id", "name,fullname");
    cr_assert(c->returning_added);
    cr_assert_not_null(c->pk_returning);
    cr_assert_eq(c->pk_returning[0], 0);
    cr_assert_eq(c->ncolumns, 1);
    cr_assert_str_eq(c->column_keys[0], "id");
    cr_assert_null(c->column_nodes[0]);
}

Test(pg_dml, insert_with_key_given)
{
    static const char *const keys[] = {"id", "name"};
    rt_compiled *c = CHECK_KEYS(K(rt_insert_new(users, &err)), D, keys,
                                "INSERT INTO users (id, name) VALUES ($1, $2)", "id,name");
    cr_assert_not(c->returning_added);
    cr_assert_null(c->pk_returning);
}

Test(pg_dml, insert_values_returning)
{
    rt_node *i = VALUES(K(rt_insert_new(users, &err)), "name", S("x"), NULL);
    CHECK(i, D, "INSERT INTO users (name) VALUES ($1) RETURNING users.id", "name");
    CHECK(K(rt_insert_new(users, &err)), D,
          "INSERT INTO users (id, name, fullname) VALUES ($1, $2, $3)", "id,name,fullname");
}

Test(pg_dml, executemany_has_no_returning)
{
    static const char *const keys[] = {"name"};
    rt_node *i = K(rt_insert_new(users, &err));
    rt_compiled *c = NULL;
    cr_assert_eq(rt_compile_keys_many(i, D, keys, 1, &c, &err), 0, "%s", err.message);
    cr_assert_str_eq(c->sql, "INSERT INTO users (name) VALUES ($1)");
    cr_assert_not(c->returning_added);
    rt_compiled_release(c);
    CHECK_KEYS(i, D, keys, "INSERT INTO users (name) VALUES ($1) RETURNING users.id", "name");
}

Test(pg_dml, multirow_has_no_returning)
{
    const char *keys[] = {"name"};
    rt_node *vals[2] = {S("a"), S("b")};
    CHECK(K(rt_dml_values(K(rt_insert_new(users, &err)), keys, vals, 1, 2, &err)), D,
          "INSERT INTO users (name) VALUES ($1), ($2)", "name_m0,name_m1");
}

Test(pg_dml, explicit_returning)
{
    rt_node *i = RETURNING(VALUES(K(rt_insert_new(users, &err)), "name", S("x"), NULL),
                           C(users, "name"), C(users, "id"));
    rt_compiled *c = CHECK(i, D, "INSERT INTO users (name) VALUES ($1) "
                                 "RETURNING users.name, users.id", "name");
    cr_assert_not(c->returning_added);
    cr_assert_eq(c->pk_returning[0], 1);
    cr_assert_eq(c->column_nodes[0], C(users, "name"));
}

Test(pg_dml, sequence_nextval)
{
    static const char *const keys[] = {"x"};
    rt_compiled *c = CHECK_KEYS(K(rt_insert_new(seqt, &err)), D, keys,
                                "INSERT INTO seqt (id, x) VALUES (nextval('seqt_id_seq'), $1) "
                                "RETURNING seqt.id", "x");
    cr_assert_eq(c->pk_returning[0], 0);
}

Test(pg_dml, defaults)
{
    static const char *const keys[] = {"name"};
    CHECK_KEYS(K(rt_insert_new(items, &err)), D, keys,
               "INSERT INTO items (name, qty, stamp, who) VALUES ($1, $2, now(), $3) "
               "RETURNING items.id", "name,qty,who");
}

Test(pg_dml, composite_key_not_returned)
{
    static const char *const keys[] = {"v"};
    rt_compiled *c = CHECK_KEYS(K(rt_insert_new(pairs, &err)), D, keys,
                                "INSERT INTO pairs (v) VALUES ($1)", "v");
    cr_assert_null(c->pk_returning);
}

Test(pg_dml, update_returning)
{
    rt_node *u = VALUES(K(rt_update_new(users, &err)), "name", S("x"), NULL);
    u = RETURNING(K(rt_dml_where(u, EQ(C(users, "id"), I(2)), &err)), C(users, "id"));
    rt_compiled *c = CHECK(u, D, "UPDATE users SET name=$1 WHERE users.id = $2 RETURNING users.id",
                           "name,id_1");
    cr_assert_eq(c->kind, RT_NODE_UPDATE);
    cr_assert_eq(c->pk_returning[0], 0);
}

Test(pg_dml, delete_using)
{
    rt_node *d = K(rt_dml_where(K(rt_delete_new(users, &err)),
                                AND(EQ(C(users, "id"), C(addresses, "user_id")),
                                    EQ(C(addresses, "email_address"), S("e"))), &err));
    CHECK(d, D, "DELETE FROM users USING addresses WHERE users.id = addresses.user_id AND "
                "addresses.email_address = $1", "email_address_1");
}

Test(pg_dml, quoting)
{
    static const char *const keys[] = {"order"};
    CHECK_KEYS(K(rt_insert_new(quoted, &err)), D, keys,
               "INSERT INTO \"User\" (\"order\") VALUES ($1) RETURNING \"User\".\"Id\"", "order");
}

/* === on a real server === */

static rt_value txt(const char *s) { return rt_value_text(s, strlen(s)); }

/* Inserts a user and returns the key RETURNING gave back. */
static int64_t add_user(const char *name)
{
    rt_value n = txt(name);
    rt_result *r = run(K(rt_insert_new(users, &err)), "name", &n, NULL);
    cr_assert_eq(rt_result_next(r, &err), 1, "%s", err.message);
    rt_value v;
    rt_result_value(r, 0, &v);
    cr_assert_eq(v.type, RT_INT);
    int64_t id = v.u.i;
    rt_result_free(r);
    return id;
}

Test(pg_run, returning_and_limit_all)
{
    int64_t a = add_user("ed"), b = add_user("wendy");
    cr_assert_eq(b, a + 1);
    rt_node *s = OFFSET(ORDER_BY(SELECT(C(users, "id")), C(users, "id")), 1);
    cr_assert_eq(scalar_int(s), b);
    rt_node *il = WHERE(SELECT(F("count", C(users, "id"))), B(C(users, "name"), RT_OP_ILIKE,
                                                              S("WEN%")));
    cr_assert_eq(scalar_int(il), 1);
}

Test(pg_run, typed_empty_in_and_extract)
{
    add_user("ed");
    rt_node *empty = K(rt_list_new(RT_LIST_COMMA, NULL, 0, &err));
    cr_assert_eq(scalar_int(WHERE(SELECT(F("count", C(users, "id"))),
                                  B(C(users, "name"), RT_OP_IN, empty))), 0);
    cr_assert_eq(scalar_int(WHERE(SELECT(F("count", C(users, "id"))),
                                  B(C(users, "name"), RT_OP_NOT_IN, empty))), 1);
    rt_value n = txt("pen"), who = txt("me");
    rt_result_free(run(K(rt_insert_new(items, &err)), "name", &n, "who", &who, NULL));
    rt_sqltype *it = rt_type_new(RT_TYPE_INTEGER);
    rt_node *year = K(rt_cast_new(K(rt_extract_new("year", C(items, "stamp"), &err)), it, &err));
    rt_type_release(it);
    cr_assert_geq(scalar_int(SELECT(year)), 2020);
}

Test(pg_run, sequence_compound_and_delete_using)
{
    rt_sequence *seq = rt_table_of(seqt)->columns[0]->sequence;
    cr_assert_eq(rt_sequence_create(conn, seq, 1, &err), 0, "%s", err.message);
    rt_value x = rt_value_int(5);
    rt_result *r = run(K(rt_insert_new(seqt, &err)), "x", &x, NULL);
    cr_assert_eq(rt_result_next(r, &err), 1, "%s", err.message);
    rt_result_free(r);
    int64_t ed = add_user("ed");
    add_user("jack");
    rt_value uid = rt_value_int(ed), e = txt("ed@x");
    rt_result_free(run(K(rt_insert_new(addresses, &err)), "user_id", &uid, "email_address", &e,
                       NULL));
    rt_node *u = UNION_ALL(LIMIT(ORDER_BY(SELECT(C(users, "id")), DESC(C(users, "id"))), 1),
                           SELECT(C(addresses, "user_id")));
    cr_assert_eq(scalar_int(SELECT(F("count", C(ALIAS(u, "t"), "id")))), 2);
    rt_node *d = K(rt_dml_where(K(rt_delete_new(addresses, &err)),
                                AND(EQ(C(users, "id"), C(addresses, "user_id")),
                                    EQ(C(users, "name"), S("ed"))), &err));
    r = run(d, NULL);
    cr_assert_eq(rt_result_rowcount(r), 1);
    rt_result_free(r);
}

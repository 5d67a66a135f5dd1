/* test_expr_sqlite.c: the expression language compiled for SQLite: `?`
 * placeholders, LIMIT/OFFSET always bound in pairs (OFFSET 0, LIMIT -1 as
 * SQLAlchemy binds them), now() as CURRENT_TIMESTAMP, ILIKE as lower() LIKE
 * lower(), booleans as 1/0, EXTRACT as STRFTIME, compound members never
 * parenthesised, no implicit RETURNING (lastrowid gives the new key), no
 * FOR UPDATE and no DELETE ... USING.  The last suite runs statements on an
 * in-memory database to show the SQL is what SQLite accepts. */
#include "expr_fixture.h"

TestSuite(sqlite, .init = setup, .fini = teardown);
TestSuite(sqlite_dml, .init = setup, .fini = teardown);

static void open_db(void)
{
    setup();
    db_open("sqlite://");
}

static void close_db(void)
{
    db_close();
    teardown();
}

TestSuite(sqlite_run, .init = open_db, .fini = close_db);

#define D SQLITE

static void check_where(rt_node *cond, const char *where, const char *slots, int line)
{
    rt_node *s = WHERE(SELECT(C(users, "id")), cond);
    char want[512];
    snprintf(want, sizeof want, "SELECT users.id\nFROM users\nWHERE %s", where);
    check_keys(s, D, NULL, 0, want, slots, line);
}
#define W(cond, where, slots) check_where((cond), (where), (slots), __LINE__)

/* === select === */

Test(sqlite, qmark_parameters)
{
    rt_node *s = WHERE(SELECT(C(users, "id"), C(users, "name")),
                       AND(EQ(C(users, "name"), S("ed")), GT(C(users, "id"), I(3))));
    CHECK(s, D, "SELECT users.id, users.name\nFROM users\nWHERE users.name = ? AND users.id > ?",
          "name_1,id_1");
}

Test(sqlite, limit_binds_offset_zero)
{
    rt_node *s = LIMIT(WHERE(SELECT(users), EQ(C(users, "name"), S("ed"))), 1);
    rt_compiled *c = CHECK(s, D,
                           "SELECT users.id, users.name, users.fullname\nFROM users\n"
                           "WHERE users.name = ?\nLIMIT ? OFFSET ?", "name_1,param_1,param_2");
    const rt_value *vals[8];
    cr_assert_eq(rt_node_bind_values(s, vals, 8), 4);
    cr_assert_eq(vals[c->slot_binds[1]]->u.i, 1);
    cr_assert_eq(vals[c->slot_binds[2]]->u.i, 0);
}

Test(sqlite, offset_binds_limit_minus_one)
{
    rt_compiled *c = CHECK(OFFSET(SELECT(C(users, "id")), 20), D,
                           "SELECT users.id\nFROM users\nLIMIT ? OFFSET ?", "param_1,param_2");
    const rt_value *vals[8];
    rt_node_bind_values(OFFSET(SELECT(C(users, "id")), 20), vals, 8);
    cr_assert_eq(vals[c->slot_binds[0]]->u.i, -1);
    cr_assert_eq(vals[c->slot_binds[1]]->u.i, 20);
}

Test(sqlite, limit_and_offset)
{
    CHECK(OFFSET(LIMIT(SELECT(C(users, "id")), 10), 20), D,
          "SELECT users.id\nFROM users\nLIMIT ? OFFSET ?", "param_1,param_2");
}

Test(sqlite, functions)
{
    CHECK(SELECT(F("now"), F("count"), F("char_length", C(users, "name"))), D,
          "SELECT CURRENT_TIMESTAMP AS now_1, count(*) AS count_1, length(users.name) AS "
          "char_length_1\nFROM users", "");
}

Test(sqlite, ilike_is_lower_like)
{
    W(B(C(users, "name"), RT_OP_ILIKE, S("%e%")), "lower(users.name) LIKE lower(?)", "name_1");
    W(NOT(B(C(users, "name"), RT_OP_ILIKE, S("%e%"))), "lower(users.name) NOT LIKE lower(?)",
      "name_1");
}

Test(sqlite, booleans)
{
    CHECK(SELECT(K(rt_bool_new(1, &err)), K(rt_bool_new(0, &err))), D,
          "SELECT 1 AS anon_1, 0 AS anon_2", "");
}

Test(sqlite, extract_strftime)
{
    rt_node *e = K(rt_extract_new("month", C(users, "name"), &err));
    CHECK(SELECT(e), D, "SELECT CAST(STRFTIME('%m', users.name) AS INTEGER) AS anon_1\nFROM users",
          "");
    CHECK_ERROR(SELECT(K(rt_extract_new("century", C(users, "name"), &err))), D,
                "century is not a valid extract argument.");
}

Test(sqlite, match)
{
    W(B(C(users, "name"), RT_OP_MATCH, S("x")), "users.name MATCH ?", "name_1");
}

Test(sqlite, empty_in)
{
    rt_node *empty = K(rt_list_new(RT_LIST_COMMA, NULL, 0, &err));
    W(B(C(users, "id"), RT_OP_IN, empty), "users.id IN (SELECT 1 FROM (SELECT 1) WHERE 1!=1)", "");
}

Test(sqlite, in_list_and_between)
{
    W(B(C(users, "id"), RT_OP_IN, TUPLE(I(1), I(2))), "users.id IN (?, ?)", "id_1,id_2");
    W(B(C(users, "id"), RT_OP_BETWEEN, TUPLE(I(1), I(2))), "users.id BETWEEN ? AND ?",
      "id_1,id_2");
}

Test(sqlite, startswith)
{
    W(B(C(users, "name"), RT_OP_LIKE, B(S("J"), RT_OP_CONCAT, LIT("'%'"))),
      "users.name LIKE ? || '%'", "name_1");
}

Test(sqlite, for_update_is_ignored)
{
    CHECK(K(rt_select_for_update(SELECT(C(users, "id")), 1, &err)), D,
          "SELECT users.id\nFROM users", "");
}

Test(sqlite, reserved_words_quoted)
{
    CHECK(SELECT(quoted), D, "SELECT \"User\".\"Id\", \"User\".\"order\"\nFROM \"User\"", "");
}

Test(sqlite, compound_members_bare)
{
    rt_node *a = WHERE(SELECT(C(users, "id")), EQ(C(users, "id"), I(7)));
    rt_node *b = WHERE(SELECT(C(users, "id")), EQ(C(users, "id"), I(9)));
    CHECK(ORDER_BY(UNION_ALL(a, b), C(users, "id")), D,
          "SELECT users.id\nFROM users\nWHERE users.id = ? UNION ALL SELECT users.id\n"
          "FROM users\nWHERE users.id = ?\nORDER BY id", "id_1,id_2");
}

Test(sqlite, compound_member_with_limit_becomes_subquery)
{
    rt_node *u = UNION_ALL(LIMIT(SELECT(C(users, "id")), 1), SELECT(C(users, "id")));
    CHECK(u, D, "SELECT * FROM (SELECT users.id\nFROM users\nLIMIT ? OFFSET ?) UNION ALL "
                "SELECT users.id\nFROM users", "param_1,param_2");
}

Test(sqlite, compound_of_compound)
{
    rt_node *inner = UNION(SELECT(C(users, "id")), SELECT(C(addresses, "user_id")));
    rt_node *outer = compound(RT_EXCEPT, inner, SELECT(C(orders, "buyer_id")), NULL);
    CHECK(outer, D,
          "SELECT * FROM (SELECT users.id\nFROM users UNION SELECT addresses.user_id\n"
          "FROM addresses) EXCEPT SELECT orders.buyer_id\nFROM orders", "");
}

Test(sqlite, correlated_subqueries)
{
    rt_node *sc = SCALAR(WHERE(SELECT(F("count", C(addresses, "id"))),
                               EQ(C(addresses, "user_id"), C(users, "id"))));
    rt_node *s = WHERE(SELECT(C(users, "name"), LABEL(sc, "n")),
                       EXISTS(WHERE(SELECT(C(addresses, "id")),
                                    AND(EQ(C(addresses, "user_id"), C(users, "id")),
                                        B(C(addresses, "email_address"), RT_OP_LIKE,
                                          S("%@x"))))));
    CHECK(s, D,
          "SELECT users.name, (SELECT count(addresses.id) AS count_1\nFROM addresses\n"
          "WHERE addresses.user_id = users.id) AS n\nFROM users\n"
          "WHERE EXISTS (SELECT addresses.id\nFROM addresses\n"
          "WHERE addresses.user_id = users.id AND addresses.email_address LIKE ?)",
          "email_address_1");
}

Test(sqlite, alias_and_join)
{
    rt_node *a1 = ALIAS(addresses, "a1"), *a2 = ALIAS(addresses, "a2");
    rt_node *s = WHERE(SELECT(C(users, "name")),
                       AND(EQ(C(users, "id"), C(a1, "user_id")),
                           B(C(a1, "email_address"), RT_OP_LIKE, S("%a")),
                           EQ(C(users, "id"), C(a2, "user_id")),
                           B(C(a2, "email_address"), RT_OP_LIKE, S("%b"))));
    CHECK(s, D,
          "SELECT users.name\nFROM users, addresses AS a1, addresses AS a2\n"
          "WHERE users.id = a1.user_id AND a1.email_address LIKE ? AND users.id = a2.user_id "
          "AND a2.email_address LIKE ?", "email_address_1,email_address_2");
}

/* === DML === */

Test(sqlite_dml, insert_no_returning)
{
    static const char *const keys[] = {"name", "fullname"};
    rt_compiled *c = CHECK_KEYS(K(rt_insert_new(users, &err)), D, keys,
                                "INSERT INTO users (name, fullname) VALUES (?, ?)",
                                "name,fullname");
    cr_assert_not(c->returning_added);
    cr_assert_null(c->pk_returning);
    cr_assert_eq(c->ncolumns, 0);
}

Test(sqlite_dml, insert_sequence_is_ignored)
{
    static const char *const keys[] = {"x"};
    CHECK_KEYS(K(rt_insert_new(seqt, &err)), D, keys, "INSERT INTO seqt (x) VALUES (?)", "x");
}

Test(sqlite_dml, insert_defaults)
{
    static const char *const keys[] = {"name"};
    CHECK_KEYS(K(rt_insert_new(items, &err)), D, keys,
               "INSERT INTO items (name, qty, stamp, who) VALUES (?, ?, CURRENT_TIMESTAMP, ?)",
               "name,qty,who");
}

Test(sqlite_dml, insert_explicit_returning)
{
    rt_node *i = RETURNING(VALUES(K(rt_insert_new(users, &err)), "name", S("a"), NULL),
                           C(users, "id"));
    rt_compiled *c = CHECK(i, D, "INSERT INTO users (name) VALUES (?) RETURNING users.id",
                           "name");
    cr_assert_eq(c->pk_returning[0], 0);
}

Test(sqlite_dml, insert_multirow)
{
    const char *keys[] = {"name", "fullname"};
    rt_node *vals[4] = {S("a"), S("A"), S("b"), S("B")};
    rt_node *i = K(rt_dml_values(K(rt_insert_new(users, &err)), keys, vals, 2, 2, &err));
    CHECK(i, D, "INSERT INTO users (name, fullname) VALUES (?, ?), (?, ?)",
          "name_m0,fullname_m0,name_m1,fullname_m1");
}

Test(sqlite_dml, update_and_delete)
{
    static const char *const keys[] = {"fullname"};
    rt_node *u = K(rt_dml_where(K(rt_update_new(users, &err)), EQ(C(users, "id"), P("uid")),
                                &err));
    CHECK_KEYS(u, D, keys, "UPDATE users SET fullname=? WHERE users.id = ?", "fullname,uid");
    rt_node *d = K(rt_dml_where(K(rt_delete_new(users, &err)), EQ(C(users, "id"), I(3)), &err));
    CHECK(d, D, "DELETE FROM users WHERE users.id = ?", "id_1");
}

Test(sqlite_dml, update_from)
{
    rt_node *u = VALUES(K(rt_update_new(users, &err)), "name", C(addresses, "email_address"), NULL);
    u = K(rt_dml_where(u, EQ(C(users, "id"), C(addresses, "user_id")), &err));
    CHECK(u, D, "UPDATE users SET name=addresses.email_address FROM addresses "
                "WHERE users.id = addresses.user_id", "");
}

Test(sqlite_dml, delete_using_is_refused)
{
    rt_node *d = K(rt_dml_where(K(rt_delete_new(users, &err)),
                                EQ(C(users, "id"), C(addresses, "user_id")), &err));
    CHECK_ERROR(d, D, "This backend does not support multiple-table criteria within DELETE");
}

Test(sqlite_dml, composite_key_insert)
{
    static const char *const keys[] = {"a", "b", "v"};
    CHECK_KEYS(K(rt_insert_new(pairs, &err)), D, keys, "INSERT INTO pairs (a, b, v) VALUES (?, ?, ?)",
               "a,b,v");
}

/* === on a real database === */

static rt_value txt(const char *s) { return rt_value_text(s, strlen(s)); }

static void add_user(const char *name, const char *fullname)
{
    rt_value n = txt(name), f = txt(fullname);
    rt_result_free(run(K(rt_insert_new(users, &err)), "name", &n, "fullname", &f, NULL));
}

Test(sqlite_run, insert_and_select)
{
    rt_value n = txt("ed"), f = txt("Ed Jones");
    rt_result *r = run(K(rt_insert_new(users, &err)), "name", &n, "fullname", &f, NULL);
    cr_assert_eq(rt_result_lastrowid(r), 1);
    rt_result_free(r);
    add_user("wendy", "Wendy Williams");
    rt_node *s = LIMIT(WHERE(SELECT(C(users, "fullname")), EQ(C(users, "name"), S("wendy"))), 1);
    r = run(s, NULL);
    cr_assert_eq(rt_result_next(r, &err), 1);
    rt_value v;
    rt_result_value(r, 0, &v);
    cr_assert_eq(v.type, RT_TEXT);
    cr_assert_eq(strncmp(v.u.s.p, "Wendy Williams", v.u.s.n), 0);
    rt_result_free(r);
}

Test(sqlite_run, limit_offset_and_compound)
{
    add_user("a", "A");
    add_user("b", "B");
    add_user("c", "C");
    cr_assert_eq(scalar_int(OFFSET(ORDER_BY(SELECT(C(users, "id")), C(users, "id")), 2)), 3);
    rt_node *u = UNION_ALL(LIMIT(ORDER_BY(SELECT(C(users, "id")), DESC(C(users, "id"))), 1),
                           WHERE(SELECT(C(users, "id")), EQ(C(users, "id"), I(1))));
    rt_node *total = SELECT(F("sum", C(ALIAS(u, "t"), "id")));
    cr_assert_eq(scalar_int(total), 4);
}

Test(sqlite_run, defaults_and_update)
{
    rt_value n = txt("pen"), who = txt("me");
    rt_result_free(run(K(rt_insert_new(items, &err)), "name", &n, "who", &who, NULL));
    cr_assert_eq(scalar_int(SELECT(C(items, "qty"))), 1);
    cr_assert_eq(scalar_int(SELECT(F("count", C(items, "stamp")))), 1);
    rt_node *u = VALUES(K(rt_update_new(items, &err)), "qty",
                        B(C(items, "qty"), RT_OP_ADD, I(4)), NULL);
    rt_result *r = run(u, "who", &who, NULL);
    cr_assert_eq(rt_result_rowcount(r), 1);
    rt_result_free(r);
    cr_assert_eq(scalar_int(SELECT(C(items, "qty"))), 5);
}

Test(sqlite_run, join_exists_in_and_empty_in)
{
    add_user("ed", "Ed");
    add_user("jack", "Jack");
    rt_value uid = rt_value_int(1), e = txt("ed@x");
    rt_result_free(run(K(rt_insert_new(addresses, &err)), "user_id", &uid, "email_address", &e,
                       NULL));
    rt_node *j = FROM(SELECT(F("count")), JOIN(users, addresses, NULL));
    cr_assert_eq(scalar_int(j), 1);
    rt_node *ex = EXISTS(WHERE(SELECT(C(addresses, "id")),
                               EQ(C(addresses, "user_id"), C(users, "id"))));
    cr_assert_eq(scalar_int(FROM(WHERE(SELECT(F("count")), NOT(ex)), users)), 1);
    cr_assert_eq(scalar_int(FROM(WHERE(SELECT(F("count")), B(C(users, "id"), RT_OP_IN,
                                                             SELECT(C(addresses, "user_id")))),
                                 users)), 1);
    rt_node *empty = K(rt_list_new(RT_LIST_COMMA, NULL, 0, &err));
    cr_assert_eq(scalar_int(WHERE(SELECT(F("count", C(users, "id"))),
                                  B(C(users, "id"), RT_OP_IN, empty))), 0);
    cr_assert_eq(scalar_int(WHERE(SELECT(F("count", C(users, "id"))),
                                  B(C(users, "name"), RT_OP_ILIKE, S("ED")))), 1);
}

Test(sqlite_run, update_from_and_returning)
{
    add_user("ed", "Ed");
    rt_value uid = rt_value_int(1), e = txt("new@x");
    rt_result_free(run(K(rt_insert_new(addresses, &err)), "user_id", &uid, "email_address", &e,
                       NULL));
    rt_node *u = VALUES(K(rt_update_new(users, &err)), "fullname", C(addresses, "email_address"),
                        NULL);
    u = RETURNING(K(rt_dml_where(u, EQ(C(users, "id"), C(addresses, "user_id")), &err)),
                  C(users, "id"));
    rt_result *r = run(u, NULL);
    cr_assert_eq(rt_result_next(r, &err), 1, "%s", err.message);
    rt_result_free(r);
    rt_node *check = WHERE(SELECT(F("count")), EQ(C(users, "fullname"), S("new@x")));
    cr_assert_eq(scalar_int(FROM(check, users)), 1);
}

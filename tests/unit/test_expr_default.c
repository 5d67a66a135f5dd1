/* test_expr_default.c: the expression language rendered with the default
 * dialect (what tostring() shows: named parameters, as SQLAlchemy's str()):
 * selects, operators and precedence, bind naming, labels, functions, joins,
 * subqueries and correlation, compound selects, INSERT/UPDATE/DELETE, the
 * structural cache, rt_render_inline and the errors for bad input.  The
 * SQLite and PostgreSQL spellings are pinned in test_expr_sqlite.c and
 * test_expr_postgresql.c. */
#include "expr_fixture.h"

TestSuite(select, .init = setup, .fini = teardown);
TestSuite(ops, .init = setup, .fini = teardown);
TestSuite(cols, .init = setup, .fini = teardown);
TestSuite(from, .init = setup, .fini = teardown);
TestSuite(sub, .init = setup, .fini = teardown);
TestSuite(compound, .init = setup, .fini = teardown);
TestSuite(dml, .init = setup, .fini = teardown);
TestSuite(cache, .init = setup, .fini = teardown);
TestSuite(errors, .init = setup, .fini = teardown);

#define D GENERIC

/* === select === */

Test(select, simple_where)
{
    rt_node *s = WHERE(SELECT(C(users, "id"), C(users, "name")), EQ(C(users, "name"), S("ed")));
    CHECK(s, D, "SELECT users.id, users.name\nFROM users\nWHERE users.name = :name_1", "name_1");
}

Test(select, whole_table)
{
    CHECK(SELECT(users), D, "SELECT users.id, users.name, users.fullname\nFROM users", "");
}

Test(select, two_tables_from_where)
{
    rt_node *s = WHERE(SELECT(users), EQ(C(users, "id"), C(addresses, "user_id")));
    CHECK(s, D,
          "SELECT users.id, users.name, users.fullname\nFROM users, addresses\n"
          "WHERE users.id = addresses.user_id", "");
}

Test(select, limit_offset)
{
    rt_node *s = OFFSET(LIMIT(WHERE(SELECT(C(users, "id")), EQ(C(users, "name"), S("ed"))), 5), 2);
    CHECK(s, D,
          "SELECT users.id\nFROM users\nWHERE users.name = :name_1\n"
          "LIMIT :param_1 OFFSET :param_2", "name_1,param_1,param_2");
}

Test(select, offset_alone)
{
    CHECK(OFFSET(SELECT(C(users, "id")), 3), D,
          "SELECT users.id\nFROM users\nLIMIT -1 OFFSET :param_1", "param_1");
}

Test(select, distinct_order_by)
{
    rt_node *s = K(rt_select_distinct(SELECT(C(users, "name")), &err));
    s = ORDER_BY(s, DESC(C(users, "id")), ASC(C(users, "name")));
    CHECK(s, D, "SELECT DISTINCT users.name\nFROM users\nORDER BY users.id DESC, users.name ASC",
          "");
}

Test(select, group_by_having)
{
    rt_node *cnt = F("count", C(addresses, "id"));
    rt_node *s = GROUP_BY(SELECT(cnt), C(addresses, "user_id"));
    s = K(rt_select_having(s, GT(F("count", C(addresses, "id")), I(1)), &err));
    CHECK(s, D,
          "SELECT count(addresses.id) AS count_1\nFROM addresses\n"
          "GROUP BY addresses.user_id\nHAVING count(addresses.id) > :count_2", "count_2");
}

Test(select, where_calls_are_anded)
{
    rt_node *s = WHERE(SELECT(C(users, "id")), EQ(C(users, "id"), I(5)));
    s = WHERE(s, EQ(C(users, "id"), I(6)));
    s = WHERE(s, EQ(C(users, "name"), S("x")));
    CHECK(s, D,
          "SELECT users.id\nFROM users\n"
          "WHERE users.id = :id_1 AND users.id = :id_2 AND users.name = :name_1",
          "id_1,id_2,name_1");
}

Test(select, generative_leaves_original)
{
    rt_node *s = SELECT(C(users, "id"));
    rt_node *w = WHERE(s, EQ(C(users, "id"), I(1)));
    CHECK(s, D, "SELECT users.id\nFROM users", "");
    CHECK(w, D, "SELECT users.id\nFROM users\nWHERE users.id = :id_1", "id_1");
}

Test(select, explicit_bindparam_keeps_name)
{
    rt_node *x = P("x");
    rt_node *s = WHERE(SELECT(C(users, "id"), C(users, "name")),
                       AND(EQ(C(users, "id"), x), EQ(C(users, "name"), x)));
    CHECK(s, D, "SELECT users.id, users.name\nFROM users\nWHERE users.id = :x AND users.name = :x",
          "x,x");
}

Test(select, with_only_and_add_columns)
{
    rt_node *s = SELECT(users);
    rt_node *name = C(users, "name");
    rt_node *a = K(rt_select_with_only_columns(s, &name, 1, &err));
    CHECK(a, D, "SELECT users.name\nFROM users", "");
    CHECK(ADD_COLUMNS(a, C(users, "id")), D, "SELECT users.name, users.id\nFROM users", "");
}

Test(select, for_update)
{
    rt_node *s = K(rt_select_for_update(SELECT(C(users, "id")), 0, &err));
    CHECK(s, D, "SELECT users.id\nFROM users\nFOR UPDATE", "");
}

Test(select, no_columns_is_star)
{
    rt_node *s = K(rt_select_new(NULL, 0, &err));
    s = WHERE(s, EQ(C(addresses, "user_id"), I(1)));
    CHECK(s, D, "SELECT *\nFROM addresses\nWHERE addresses.user_id = :user_id_1", "user_id_1");
}

Test(select, quoting)
{
    rt_node *s = WHERE(SELECT(quoted), EQ(C(quoted, "order"), S("a")));
    CHECK(s, D, "SELECT \"User\".\"Id\", \"User\".\"order\"\nFROM \"User\"\n"
                "WHERE \"User\".\"order\" = :order_1", "order_1");
}

Test(select, text_in_where)
{
    rt_node *t = K(rt_text_new("id < :value", &err));
    rt_node *s = WHERE(SELECT(C(users, "name")), t);
    s = WHERE(s, EQ(C(users, "name"), S("x")));
    CHECK(s, D, "SELECT users.name\nFROM users\nWHERE id < :value AND users.name = :name_1",
          "value,name_1");
}

/* === operators === */

static void check_where(rt_node *cond, const char *where, const char *slots, int line)
{
    rt_node *s = WHERE(SELECT(C(users, "id")), cond);
    char want[512];
    snprintf(want, sizeof want, "SELECT users.id\nFROM users\nWHERE %s", where);
    check_keys(s, D, NULL, 0, want, slots, line);
}
#define W(cond, where, slots) check_where((cond), (where), (slots), __LINE__)

Test(ops, comparisons)
{
    W(NE(C(users, "id"), I(1)), "users.id != :id_1", "id_1");
    W(LT(C(users, "id"), I(1)), "users.id < :id_1", "id_1");
    W(B(C(users, "id"), RT_OP_LE, I(1)), "users.id <= :id_1", "id_1");
    W(B(C(users, "id"), RT_OP_GE, I(1)), "users.id >= :id_1", "id_1");
}

Test(ops, null_tests)
{
    rt_node *null = K(rt_null_new(&err));
    W(EQ(C(users, "name"), null), "users.name IS NULL", "");
    W(NE(C(users, "name"), null), "users.name IS NOT NULL", "");
    W(B(C(users, "name"), RT_OP_IS, null), "users.name IS NULL", "");
    W(B(C(users, "name"), RT_OP_IS_NOT, null), "users.name IS NOT NULL", "");
}

Test(ops, and_or_precedence)
{
    rt_node *c = AND(GT(C(users, "id"), I(1)),
                     OR(EQ(C(users, "name"), S("a")), EQ(C(users, "name"), S("b"))));
    W(c, "users.id > :id_1 AND (users.name = :name_1 OR users.name = :name_2)",
      "id_1,name_1,name_2");
    rt_node *o = OR(AND(EQ(C(users, "id"), I(1)), EQ(C(users, "id"), I(2))),
                    EQ(C(users, "name"), S("c")));
    W(o, "users.id = :id_1 AND users.id = :id_2 OR users.name = :name_1", "id_1,id_2,name_1");
}

Test(ops, nested_and_flattens)
{
    rt_node *c = AND(EQ(C(users, "id"), I(1)), AND(EQ(C(users, "id"), I(2)),
                                                   EQ(C(users, "id"), I(3))));
    W(c, "users.id = :id_1 AND users.id = :id_2 AND users.id = :id_3", "id_1,id_2,id_3");
}

Test(ops, single_and_is_the_clause)
{
    W(AND(EQ(C(users, "id"), I(1))), "users.id = :id_1", "id_1");
}

Test(ops, not_negates_comparisons)
{
    W(NOT(EQ(C(users, "id"), I(5))), "users.id != :id_1", "id_1");
    W(NOT(GT(C(users, "id"), I(5))), "users.id <= :id_1", "id_1");
    W(NOT(B(C(users, "name"), RT_OP_LIKE, S("a%"))), "users.name NOT LIKE :name_1", "name_1");
    W(NOT(NOT(EQ(C(users, "id"), I(5)))), "users.id = :id_1", "id_1");
}

Test(ops, not_of_and_groups)
{
    W(NOT(AND(EQ(C(users, "id"), I(1)), EQ(C(users, "id"), I(2)))),
      "NOT (users.id = :id_1 AND users.id = :id_2)", "id_1,id_2");
}

Test(ops, in_list)
{
    W(B(C(users, "id"), RT_OP_IN, TUPLE(I(1), I(2), I(3))), "users.id IN (:id_1, :id_2, :id_3)",
      "id_1,id_2,id_3");
    W(NOT(B(C(users, "id"), RT_OP_IN, TUPLE(I(1), I(2)))), "users.id NOT IN (:id_1, :id_2)",
      "id_1,id_2");
}

Test(ops, in_empty)
{
    rt_node *empty = K(rt_list_new(RT_LIST_COMMA, NULL, 0, &err));
    W(B(C(users, "id"), RT_OP_IN, empty), "users.id IN (SELECT 1 FROM (SELECT 1) WHERE 1!=1)",
      "");
    W(B(C(users, "id"), RT_OP_NOT_IN, empty),
      "users.id NOT IN (SELECT 1 FROM (SELECT 1) WHERE 1!=1)", "");
}

Test(ops, between)
{
    W(B(C(users, "id"), RT_OP_BETWEEN, TUPLE(I(1), I(5))), "users.id BETWEEN :id_1 AND :id_2",
      "id_1,id_2");
    W(NOT(B(C(users, "id"), RT_OP_BETWEEN, TUPLE(I(1), I(5)))),
      "users.id NOT BETWEEN :id_1 AND :id_2", "id_1,id_2");
}

Test(ops, like_and_ilike)
{
    W(B(C(users, "name"), RT_OP_LIKE, S("%ed")), "users.name LIKE :name_1", "name_1");
    W(B(C(users, "name"), RT_OP_ILIKE, S("%ed")), "lower(users.name) LIKE lower(:name_1)",
      "name_1");
    W(B(C(users, "name"), RT_OP_NOT_ILIKE, S("%ed")),
      "lower(users.name) NOT LIKE lower(:name_1)", "name_1");
}

Test(ops, startswith_endswith_contains)
{
    rt_node *pct = LIT("'%'");
    W(B(C(users, "name"), RT_OP_LIKE, B(S("a"), RT_OP_CONCAT, pct)),
      "users.name LIKE :name_1 || '%'", "name_1");
    W(B(C(users, "name"), RT_OP_LIKE, B(pct, RT_OP_CONCAT, S("a"))),
      "users.name LIKE '%' || :name_1", "name_1");
    W(B(C(users, "name"), RT_OP_LIKE, B(B(pct, RT_OP_CONCAT, S("a")), RT_OP_CONCAT, pct)),
      "users.name LIKE '%' || :name_1 || '%'", "name_1");
}

Test(ops, arithmetic_precedence)
{
    rt_node *id = C(users, "id");
    rt_node *s = SELECT(B(B(id, RT_OP_ADD, I(5)), RT_OP_MUL, I(2)),
                        B(id, RT_OP_SUB, B(id, RT_OP_SUB, I(1))),
                        B(B(id, RT_OP_ADD, id), RT_OP_ADD, I(3)), U(RT_UOP_NEG, id),
                        U(RT_UOP_NEG, B(id, RT_OP_ADD, I(1))));
    CHECK(s, D,
          "SELECT (users.id + :id_1) * :param_1 AS anon_1, users.id - (users.id - :id_2) AS "
          "anon_2, users.id + users.id + :param_2 AS anon_3, -users.id, -(users.id + :id_3)\n"
          "FROM users", "id_1,param_1,id_2,param_2,id_3");
}

Test(ops, division_and_modulo)
{
    rt_node *id = C(users, "id");
    CHECK(SELECT(B(B(id, RT_OP_DIV, I(2)), RT_OP_MOD, I(3))), D,
          "SELECT (users.id / :id_1) % :param_1 AS anon_1\nFROM users", "id_1,param_1");
}

Test(ops, string_plus_is_concat)
{
    CHECK(SELECT(B(C(users, "name"), RT_OP_ADD, S("x"))), D,
          "SELECT users.name || :name_1 AS anon_1\nFROM users", "name_1");
}

Test(ops, binary_with_a_value_names_its_bind_once)
{
    rt_value five = rt_value_int(5), x = rt_value_text("x", 1);
    W(K(rt_binary_value_new(C(users, "id"), RT_OP_EQ, &five, &err)), "users.id = :id_1", "id_1");
    W(K(rt_binary_value_new(C(users, "name"), RT_OP_ADD, &x, &err)), "users.name || :name_1",
      "name_1");
    W(K(rt_binary_value_new(K(rt_func_new("count", NULL, 0, NULL, &err)), RT_OP_GT, &five,
                            &err)),
      "count(*) > :count_1", "count_1");
}

Test(ops, custom_operator)
{
    rt_node *c = K(rt_binary_new(C(users, "name"), RT_OP_CUSTOM, S("x"), "@@", &err));
    rt_node *p = K(rt_binary_new(C(users, "id"), RT_OP_CUSTOM, I(3), "+", &err));
    CHECK(SELECT(c, EQ(p, I(4))), D,
          "SELECT users.name @@ :name_1 AS anon_1, (users.id + :id_1) = :param_1 AS anon_2\n"
          "FROM users", "name_1,id_1,param_1");
}

Test(ops, comparison_of_comparisons_groups)
{
    W(EQ(EQ(C(users, "id"), I(1)), K(rt_bool_new(1, &err))), "(users.id = :id_1) = true",
      "id_1");
}

Test(ops, exists_in_and_groups)
{
    rt_node *sub = WHERE(SELECT(C(addresses, "id")), EQ(C(addresses, "user_id"), C(users, "id")));
    W(AND(NOT(EXISTS(sub)), EQ(C(users, "id"), I(1))),
      "NOT (EXISTS (SELECT addresses.id\nFROM addresses\nWHERE addresses.user_id = users.id)) "
      "AND users.id = :id_1", "id_1");
}

/* === columns: labels, functions, literals === */

Test(cols, labels)
{
    rt_node *s = SELECT(LABEL(C(users, "id"), "foo"), LABEL(C(users, "id"), NULL),
                        LABEL(B(C(users, "id"), RT_OP_ADD, I(1)), NULL));
    rt_compiled *c = CHECK(s, D,
                           "SELECT users.id AS foo, users.id AS id_1, users.id + :id_2 AS anon_1"
                           "\nFROM users", "id_2");
    cr_assert_eq(c->ncolumns, 3);
    cr_assert_str_eq(c->column_keys[0], "foo");
    cr_assert_str_eq(c->column_keys[1], "id_1");
    cr_assert_str_eq(c->column_keys[2], "anon_1");
}

Test(cols, label_in_order_by_and_group_by)
{
    rt_node *l = LABEL(C(users, "id"), "foo");
    rt_node *s = ORDER_BY(GROUP_BY(SELECT(l), l), l);
    CHECK(s, D, "SELECT users.id AS foo\nFROM users\nGROUP BY users.id\nORDER BY foo", "");
    CHECK(ORDER_BY(SELECT(l), DESC(l)), D, "SELECT users.id AS foo\nFROM users\nORDER BY foo DESC",
          "");
}

Test(cols, functions)
{
    rt_node *s = SELECT(F("count"), F("now"), F("current_timestamp"),
                        F("substr", C(users, "name"), I(1), I(2)),
                        F("count", U(RT_UOP_DISTINCT, C(users, "name"))));
    CHECK(s, D,
          "SELECT count(*) AS count_1, now() AS now_1, CURRENT_TIMESTAMP AS current_timestamp_1, "
          "substr(users.name, :substr_2, :substr_3) AS substr_1, "
          "count(DISTINCT users.name) AS count_2\nFROM users", "substr_2,substr_3");
}

Test(cols, function_compared)
{
    W(EQ(F("lower", C(users, "name")), S("ed")), "lower(users.name) = :lower_1", "lower_1");
}

Test(cols, dotted_function_name)
{
    CHECK(SELECT(F("pg_catalog.length", C(users, "name"))), D,
          "SELECT pg_catalog.length(users.name) AS length_1\nFROM users", "");
}

Test(cols, literals)
{
    rt_node *s = SELECT(I(5), K(rt_null_new(&err)), K(rt_bool_new(1, &err)),
                        K(rt_bool_new(0, &err)), LIT("x"), K(rt_text_new("y + 1", &err)));
    CHECK(s, D, "SELECT :param_1 AS anon_1, NULL AS anon_2, true AS anon_3, false AS anon_4, x, "
                "y + 1", "param_1");
}

Test(cols, case_expression)
{
    rt_node *w[2] = {EQ(C(users, "id"), I(1)), EQ(C(users, "id"), I(2))};
    rt_node *t[2] = {S("a"), S("b")};
    rt_node *c = K(rt_case_new(w, t, 2, NULL, S("c"), &err));
    CHECK(SELECT(c), D,
          "SELECT CASE WHEN (users.id = :id_1) THEN :param_1 WHEN (users.id = :id_2) THEN "
          ":param_2 ELSE :param_3 END AS anon_1\nFROM users",
          "id_1,param_1,id_2,param_2,param_3");
}

Test(cols, case_with_value)
{
    rt_node *w[1] = {I(1)};
    rt_node *t[1] = {S("one")};
    rt_node *c = K(rt_case_new(w, t, 1, C(users, "id"), NULL, &err));
    CHECK(SELECT(c), D, "SELECT CASE users.id WHEN :param_1 THEN :param_2 END AS anon_1\n"
                        "FROM users", "param_1,param_2");
}

Test(cols, cast_and_extract)
{
    rt_sqltype *v20 = rt_type_new(RT_TYPE_STRING);
    v20->length = 20;
    rt_node *c1 = K(rt_cast_new(C(users, "id"), v20, &err));
    rt_type_release(v20);
    rt_sqltype *it = rt_type_new(RT_TYPE_INTEGER);
    rt_node *c2 = LABEL(K(rt_cast_new(C(users, "name"), it, &err)), "x");
    rt_type_release(it);
    rt_node *e = K(rt_extract_new("YEAR", C(users, "name"), &err));
    CHECK(SELECT(c1, c2, e), D,
          "SELECT CAST(users.id AS VARCHAR(20)) AS id, CAST(users.name AS INTEGER) AS x, "
          "EXTRACT(year FROM users.name) AS anon_1\nFROM users", "");
}

Test(cols, result_columns)
{
    rt_node *name = C(users, "name");
    rt_node *cnt = F("count", C(users, "id"));
    rt_compiled *c = CHECK(GROUP_BY(SELECT(name, cnt), name), D,
                           "SELECT users.name, count(users.id) AS count_1\nFROM users\n"
                           "GROUP BY users.name", "");
    cr_assert_eq(c->ncolumns, 2);
    cr_assert_str_eq(c->column_keys[0], "name");
    cr_assert_str_eq(c->column_keys[1], "count_1");
    cr_assert_eq(c->column_nodes[0], name);
    cr_assert_eq(c->column_nodes[1], cnt);
    cr_assert_eq(c->column_types[1]->kind, RT_TYPE_INTEGER);
    cr_assert_eq(c->column_types[0]->kind, RT_TYPE_STRING);
    cr_assert_eq(c->kind, RT_NODE_SELECT);
    cr_assert_not(c->autocommit);
}

Test(cols, apply_labels)
{
    rt_node *u2 = ALIAS(users, "u2");
    rt_node *s = K(rt_select_apply_labels(WHERE(SELECT(users, C(u2, "name")),
                                                EQ(C(users, "id"), C(u2, "id"))), &err));
    rt_compiled *c = CHECK(s, D,
                           "SELECT users.id AS users_id, users.name AS users_name, "
                           "users.fullname AS users_fullname, u2.name AS u2_name\n"
                           "FROM users, users AS u2\nWHERE users.id = u2.id", "");
    cr_assert_str_eq(c->column_keys[0], "users_id");
    cr_assert_str_eq(c->column_keys[3], "u2_name");
}

/* === FROM: aliases and joins === */

Test(from, anonymous_table_alias)
{
    rt_node *a = K(rt_alias_new(users, NULL, &err));
    CHECK(WHERE(SELECT(a), EQ(C(users, "id"), I(1))), D,
          "SELECT users_1.id, users_1.name, users_1.fullname\nFROM users AS users_1, users\n"
          "WHERE users.id = :id_1", "id_1");
}

Test(from, join_on_foreign_key)
{
    CHECK(JOIN(users, addresses, NULL), D, "users JOIN addresses ON users.id = addresses.user_id",
          "");
    CHECK(JOIN(addresses, users, NULL), D, "addresses JOIN users ON users.id = addresses.user_id",
          "");
}

Test(from, select_from_outer_join)
{
    rt_node *s = FROM(SELECT(C(users, "name"), C(addresses, "email_address")),
                      OUTERJOIN(users, addresses, NULL));
    CHECK(s, D,
          "SELECT users.name, addresses.email_address\n"
          "FROM users LEFT OUTER JOIN addresses ON users.id = addresses.user_id", "");
}

Test(from, full_join_explicit_on)
{
    rt_node *j = K(rt_join_new(users, orders, EQ(C(users, "id"), C(orders, "seller_id")), 0, 1,
                               &err));
    CHECK(FROM(SELECT(C(users, "id")), j), D,
          "SELECT users.id\nFROM users FULL OUTER JOIN orders ON users.id = orders.seller_id", "");
}

Test(from, join_chain_and_join_columns)
{
    rt_node *j = JOIN(JOIN(users, addresses, NULL), ALIAS(addresses, "a2"),
                      EQ(C(addresses, "id"), C(ALIAS(addresses, "a3"), "id")));
    cr_assert_eq(rt_from_ncols(j), 9);
    rt_node *c = K(rt_from_column_by_key(j, "addresses_email_address", &err));
    cr_assert_eq(c, C(addresses, "email_address"));
    rt_node *j2 = JOIN(JOIN(users, addresses, NULL), ALIAS(orders, "o"),
                       EQ(C(users, "id"), C(orders, "buyer_id")));
    CHECK(FROM(SELECT(C(users, "id")), j2), D,
          "SELECT users.id\nFROM users JOIN addresses ON users.id = addresses.user_id "
          "JOIN orders AS o ON users.id = orders.buyer_id", "");
}

Test(from, right_nested_join)
{
    rt_node *inner = JOIN(addresses, ALIAS(users, "u"), NULL);
    CHECK(JOIN(users, inner, EQ(C(users, "id"), C(addresses, "user_id"))), D,
          "users JOIN (addresses JOIN users AS u ON u.id = addresses.user_id) "
          "ON users.id = addresses.user_id", "");
}

Test(from, self_referential_join)
{
    rt_node *n2 = ALIAS(nodes_t, "n2");
    CHECK(JOIN(nodes_t, n2, NULL), D, "nodes JOIN nodes AS n2 ON nodes.id = n2.parent_id", "");
}

Test(from, table_inside_join_not_repeated)
{
    rt_node *s = WHERE(FROM(SELECT(users), JOIN(users, addresses, NULL)),
                       EQ(C(addresses, "email_address"), S("e")));
    CHECK(s, D,
          "SELECT users.id, users.name, users.fullname\n"
          "FROM users JOIN addresses ON users.id = addresses.user_id\n"
          "WHERE addresses.email_address = :email_address_1", "email_address_1");
}

Test(from, select_from_comes_first)
{
    CHECK(FROM(SELECT(C(users, "id"), C(addresses, "id")), addresses), D,
          "SELECT users.id, addresses.id\nFROM addresses, users", "");
}

/* === subqueries and correlation === */

Test(sub, named_subquery)
{
    rt_node *s = ALIAS(WHERE(SELECT(C(users, "id"), C(users, "name")), GT(C(users, "id"), I(3))),
                       "s");
    CHECK(WHERE(SELECT(C(s, "name")), EQ(C(s, "id"), I(4))), D,
          "SELECT s.name\nFROM (SELECT users.id AS id, users.name AS name\nFROM users\n"
          "WHERE users.id > :id_1) AS s\nWHERE s.id = :id_2", "id_1,id_2");
}

Test(sub, select_of_select_is_anonymous)
{
    rt_node *inner = WHERE(SELECT(C(users, "id")), EQ(C(users, "id"), I(1)));
    CHECK(SELECT(inner), D,
          "SELECT anon_1.id\nFROM (SELECT users.id AS id\nFROM users\nWHERE users.id = :id_1) "
          "AS anon_1", "id_1");
}

Test(sub, labelled_subquery_columns)
{
    rt_node *inner = K(rt_select_apply_labels(WHERE(SELECT(C(users, "id")),
                                                    EQ(C(users, "id"), I(1))), &err));
    rt_node *a = K(rt_alias_new(inner, NULL, &err));
    CHECK(SELECT(C(a, "users_id")), D,
          "SELECT anon_1.users_id\nFROM (SELECT users.id AS users_id\nFROM users\n"
          "WHERE users.id = :id_1) AS anon_1", "id_1");
}

Test(sub, join_to_subquery)
{
    rt_node *n = LABEL(F("count", C(addresses, "id")), "n");
    rt_node *sub = ALIAS(GROUP_BY(SELECT(C(addresses, "user_id"), n), C(addresses, "user_id")),
                         NULL);
    rt_node *j = JOIN(users, sub, EQ(C(users, "id"), C(sub, "user_id")));
    CHECK(FROM(SELECT(C(users, "name"), C(sub, "n")), j), D,
          "SELECT users.name, anon_1.n\nFROM users JOIN (SELECT addresses.user_id AS user_id, "
          "count(addresses.id) AS n\nFROM addresses\nGROUP BY addresses.user_id) AS anon_1 "
          "ON users.id = anon_1.user_id", "");
}

Test(sub, subquery_function_column_name)
{
    rt_node *sub = ALIAS(SELECT(F("max", C(users, "id"))), "m");
    CHECK(SELECT(C(sub, "max_1")), D,
          "SELECT m.max_1\nFROM (SELECT max(users.id) AS max_1\nFROM users) AS m", "");
}

Test(sub, exists_correlates)
{
    rt_node *e = EXISTS(WHERE(SELECT(C(addresses, "id")),
                              EQ(C(addresses, "user_id"), C(users, "id"))));
    CHECK(WHERE(SELECT(users), e), D,
          "SELECT users.id, users.name, users.fullname\nFROM users\n"
          "WHERE EXISTS (SELECT addresses.id\nFROM addresses\n"
          "WHERE addresses.user_id = users.id)", "");
}

Test(sub, scalar_subquery_in_columns)
{
    rt_node *sc = SCALAR(WHERE(SELECT(F("count", C(addresses, "id"))),
                               EQ(C(addresses, "user_id"), C(users, "id"))));
    CHECK(SELECT(C(users, "name"), sc), D,
          "SELECT users.name, (SELECT count(addresses.id) AS count_1\nFROM addresses\n"
          "WHERE addresses.user_id = users.id) AS anon_1\nFROM users", "");
}

Test(sub, single_from_is_not_correlated)
{
    rt_node *sc = SCALAR(WHERE(SELECT(C(users, "id")), EQ(C(users, "name"), S("x"))));
    W(EQ(C(users, "id"), sc), "users.id = (SELECT users.id\nFROM users\nWHERE users.name = "
                              ":name_1)", "name_1");
}

Test(sub, correlate_none)
{
    rt_node *inner = CORRELATE(WHERE(SELECT(F("max", C(addresses, "id"))),
                                     EQ(C(addresses, "user_id"), C(users, "id"))));
    W(EQ(C(users, "id"), SCALAR(inner)),
      "users.id = (SELECT max(addresses.id) AS max_1\nFROM addresses, users\n"
      "WHERE addresses.user_id = users.id)", "");
}

Test(sub, explicit_correlate)
{
    rt_node *inner = CORRELATE(SELECT(C(users, "id")), users);
    W(EQ(C(users, "id"), SCALAR(inner)), "users.id = (SELECT users.id)", "");
}

Test(sub, correlation_that_would_empty_from_is_skipped)
{
    rt_node *inner = WHERE(SELECT(C(addresses, "id")), EQ(C(addresses, "user_id"), C(users, "id")));
    rt_node *s = WHERE(FROM(SELECT(C(users, "id")), JOIN(users, addresses, NULL)), EXISTS(inner));
    CHECK(s, D,
          "SELECT users.id\nFROM users JOIN addresses ON users.id = addresses.user_id\n"
          "WHERE EXISTS (SELECT addresses.id\nFROM addresses, users\n"
          "WHERE addresses.user_id = users.id)", "");
}

Test(sub, in_subquery)
{
    rt_node *in = B(C(users, "id"), RT_OP_IN, SELECT(C(addresses, "user_id")));
    W(in, "users.id IN (SELECT addresses.user_id\nFROM addresses)", "");
}

Test(sub, from_subquery_does_not_correlate)
{
    rt_node *s = ALIAS(WHERE(SELECT(C(addresses, "email_address")),
                             EQ(C(addresses, "user_id"), C(users, "id"))), "s");
    CHECK(SELECT(users, C(s, "email_address")), D,
          "SELECT users.id, users.name, users.fullname, s.email_address\n"
          "FROM users, (SELECT addresses.email_address AS email_address\n"
          "FROM addresses, users\nWHERE addresses.user_id = users.id) AS s", "");
}

/* === compound selects === */

Test(compound, union_order_limit)
{
    rt_node *a = WHERE(SELECT(C(users, "id")), EQ(C(users, "id"), I(1)));
    rt_node *b = WHERE(SELECT(C(users, "id")), EQ(C(users, "id"), I(2)));
    rt_node *u = LIMIT(ORDER_BY(UNION(a, b), C(users, "id")), 3);
    CHECK(u, D,
          "SELECT users.id\nFROM users\nWHERE users.id = :id_1 UNION SELECT users.id\n"
          "FROM users\nWHERE users.id = :id_2\nORDER BY id\nLIMIT :param_1",
          "id_1,id_2,param_1");
}

Test(compound, member_with_limit_is_parenthesised)
{
    rt_node *u = UNION_ALL(LIMIT(SELECT(C(users, "id")), 1), SELECT(C(users, "id")));
    CHECK(u, D, "(SELECT users.id\nFROM users\nLIMIT :param_1) UNION ALL SELECT users.id\n"
                "FROM users", "param_1");
}

Test(compound, intersect_except)
{
    rt_node *a = SELECT(C(users, "id")), *b = SELECT(C(addresses, "user_id"));
    CHECK(compound(RT_INTERSECT, a, b, NULL), D,
          "SELECT users.id\nFROM users INTERSECT SELECT addresses.user_id\nFROM addresses", "");
    CHECK(compound(RT_EXCEPT_ALL, a, b, NULL), D,
          "SELECT users.id\nFROM users EXCEPT ALL SELECT addresses.user_id\nFROM addresses", "");
}

Test(compound, result_columns_of_first)
{
    rt_node *u = UNION(SELECT(LABEL(C(users, "id"), "x")), SELECT(C(addresses, "id")));
    rt_compiled *c = CHECK(u, D, "SELECT users.id AS x\nFROM users UNION SELECT addresses.id\n"
                                 "FROM addresses", "");
    cr_assert_eq(c->ncolumns, 1);
    cr_assert_str_eq(c->column_keys[0], "x");
}

Test(compound, as_subquery)
{
    rt_node *u = ALIAS(UNION(SELECT(C(users, "id")), SELECT(C(addresses, "user_id"))), "u");
    CHECK(SELECT(C(u, "id")), D,
          "SELECT u.id\nFROM (SELECT users.id AS id\nFROM users UNION SELECT "
          "addresses.user_id AS user_id\nFROM addresses) AS u", "");
}

/* === INSERT, UPDATE, DELETE === */

Test(dml, insert_all_columns)
{
    rt_compiled *c = CHECK(K(rt_insert_new(users, &err)), D,
                           "INSERT INTO users (id, name, fullname) VALUES (:id, :name, :fullname)",
                           "id,name,fullname");
    cr_assert(c->autocommit);
    cr_assert_eq(c->kind, RT_NODE_INSERT);
    cr_assert_eq(c->table, rt_table_of(users));
    cr_assert_eq(c->slot_binds[0], -1);
}

Test(dml, insert_values)
{
    rt_node *i = VALUES(K(rt_insert_new(users, &err)), "fullname", S("Ed Jones"), "name", S("ed"),
                        NULL);
    rt_compiled *c = CHECK(i, D, "INSERT INTO users (name, fullname) VALUES (:name, :fullname)",
                           "name,fullname");
    const rt_value *vals[8];
    cr_assert_eq(rt_node_bind_values(i, vals, 8), 4);   /* two values, two constants */
    cr_assert_str_eq(vals[c->slot_binds[0]]->u.s.p, "ed");
    cr_assert_str_eq(vals[c->slot_binds[1]]->u.s.p, "Ed Jones");
}

Test(dml, insert_keys_follow_parameters)
{
    static const char *const keys[] = {"fullname", "name", "nosuch"};
    CHECK_KEYS(K(rt_insert_new(users, &err)), D, keys,
               "INSERT INTO users (name, fullname) VALUES (:name, :fullname)", "name,fullname");
    static const char *const none[] = {NULL};
    check_keys(K(rt_insert_new(users, &err)), D, none, 0, "INSERT INTO users DEFAULT VALUES", "",
               __LINE__);
}

Test(dml, insert_defaults)
{
    static const char *const keys[] = {"name"};
    rt_compiled *c = CHECK_KEYS(K(rt_insert_new(items, &err)), D, keys,
                                "INSERT INTO items (name, qty, stamp, who) "
                                "VALUES (:name, :qty, now(), :who)", "name,qty,who");
    cr_assert_eq(c->slot_binds[1], -1);
    cr_assert_eq(c->slot_binds[2], -1);
}

Test(dml, insert_multiple_rows)
{
    const char *keys[] = {"name"};
    rt_node *vals[2] = {S("a"), S("b")};
    rt_node *i = K(rt_dml_values(K(rt_insert_new(users, &err)), keys, vals, 1, 2, &err));
    CHECK(i, D, "INSERT INTO users (name) VALUES (:name_m0), (:name_m1)", "name_m0,name_m1");
}

Test(dml, insert_from_select)
{
    const char *keys[] = {"name"};
    rt_node *i = K(rt_insert_from_select(K(rt_insert_new(users, &err)), keys, 1,
                                         SELECT(C(addresses, "email_address")), &err));
    CHECK(i, D, "INSERT INTO users (name) SELECT addresses.email_address\nFROM addresses", "");
}

Test(dml, insert_returning)
{
    rt_node *i = RETURNING(VALUES(K(rt_insert_new(users, &err)), "name", S("x"), NULL),
                           C(users, "id"), C(users, "name"));
    rt_compiled *c = CHECK(i, D, "INSERT INTO users (name) VALUES (:name) "
                                 "RETURNING users.id, users.name", "name");
    cr_assert_eq(c->ncolumns, 2);
    cr_assert_str_eq(c->column_keys[0], "id");
    cr_assert_not_null(c->pk_returning);
    cr_assert_eq(c->pk_returning[0], 0);
    cr_assert_not(c->returning_added);
}

Test(dml, update_values)
{
    rt_node *u = K(rt_update_new(users, &err));
    u = VALUES(K(rt_dml_where(u, EQ(C(users, "id"), I(5)), &err)), "name", S("x"), "fullname",
               B(C(users, "name"), RT_OP_CONCAT, S("y")), NULL);
    CHECK(u, D, "UPDATE users SET name=:name, fullname=(users.name || :name_1) "
                "WHERE users.id = :id_1", "name,name_1,id_1");
}

Test(dml, update_all_columns_and_keys)
{
    CHECK(K(rt_update_new(users, &err)), D,
          "UPDATE users SET id=:id, name=:name, fullname=:fullname", "id,name,fullname");
    static const char *const keys[] = {"name"};
    rt_node *u = K(rt_dml_where(K(rt_update_new(users, &err)), EQ(C(users, "id"), P("uid")),
                                &err));
    CHECK_KEYS(u, D, keys, "UPDATE users SET name=:name WHERE users.id = :uid", "name,uid");
}

Test(dml, update_onupdate)
{
    static const char *const keys[] = {"name"};
    CHECK_KEYS(K(rt_update_new(items, &err)), D, keys,
               "UPDATE items SET name=:name, stamp=now(), who=:who", "name,who");
}

Test(dml, update_correlated_subquery)
{
    rt_node *sub = SCALAR(WHERE(SELECT(C(addresses, "email_address")),
                                EQ(C(addresses, "user_id"), C(users, "id"))));
    CHECK(VALUES(K(rt_update_new(users, &err)), "name", sub, NULL), D,
          "UPDATE users SET name=(SELECT addresses.email_address\nFROM addresses\n"
          "WHERE addresses.user_id = users.id)", "");
}

Test(dml, update_from_other_table)
{
    rt_node *u = VALUES(K(rt_update_new(users, &err)), "name", S("x"), NULL);
    u = K(rt_dml_where(u, AND(EQ(C(users, "id"), C(addresses, "user_id")),
                              EQ(C(addresses, "email_address"), S("e"))), &err));
    CHECK(u, D, "UPDATE users SET name=:name FROM addresses WHERE users.id = addresses.user_id "
                "AND addresses.email_address = :email_address_1", "name,email_address_1");
}

Test(dml, delete_where)
{
    rt_node *d = K(rt_dml_where(K(rt_delete_new(users, &err)), EQ(C(users, "name"), S("x")), &err));
    rt_compiled *c = CHECK(d, D, "DELETE FROM users WHERE users.name = :name_1", "name_1");
    cr_assert(c->autocommit);
    CHECK(K(rt_delete_new(users, &err)), D, "DELETE FROM users", "");
}

Test(dml, delete_exists)
{
    rt_node *e = EXISTS(WHERE(SELECT(C(addresses, "id")),
                              EQ(C(addresses, "user_id"), C(users, "id"))));
    CHECK(K(rt_dml_where(K(rt_delete_new(users, &err)), NOT(e), &err)), D,
          "DELETE FROM users WHERE NOT (EXISTS (SELECT addresses.id\nFROM addresses\n"
          "WHERE addresses.user_id = users.id))", "");
}

Test(dml, bindparam_named_like_set_column)
{
    static const char *const keys[] = {"id", "name"};
    rt_node *u = K(rt_dml_where(K(rt_update_new(users, &err)), EQ(C(users, "id"), P("id")), &err));
    rt_compiled *c = NULL;
    cr_assert_eq(rt_compile_keys(u, D, keys, 2, &c, &err), -1);
    cr_assert(strstr(err.message, "bindparam() name 'id' is reserved"), "%s", err.message);
    rt_error_clear(&err);
}

/* === the structural cache === */

Test(cache, same_shape_compiles_once)
{
    rt_node *s1 = WHERE(SELECT(C(users, "id")), EQ(C(users, "name"), S("a")));
    CHECK(s1, D, "SELECT users.id\nFROM users\nWHERE users.name = :name_1", "name_1");
    unsigned long before = rt_compile_count();
    rt_node *s2 = WHERE(SELECT(C(users, "id")), EQ(C(users, "name"), S("b")));
    rt_compiled *c = CHECK(s2, D, "SELECT users.id\nFROM users\nWHERE users.name = :name_1",
                           "name_1");
    cr_assert_eq(rt_compile_count(), before);
    const rt_value *vals[4];
    cr_assert_eq(rt_node_bind_values(s2, vals, 4), 3);
    cr_assert_str_eq(vals[c->slot_binds[0]]->u.s.p, "b");
    cr_assert_eq(c->column_nodes[0], C(users, "id"));
    rt_node *s3 = WHERE(SELECT(C(users, "id")), EQ(C(users, "fullname"), S("b")));
    CHECK(s3, D, "SELECT users.id\nFROM users\nWHERE users.fullname = :fullname_1",
          "fullname_1");
    cr_assert_eq(rt_compile_count(), before + 1);
}

Test(cache, result_nodes_are_the_new_statements)
{
    rt_node *l1 = LABEL(C(users, "id"), "x"), *l2 = LABEL(C(users, "id"), "x");
    CHECK(SELECT(l1), D, "SELECT users.id AS x\nFROM users", "");
    rt_compiled *c = CHECK(SELECT(l2), D, "SELECT users.id AS x\nFROM users", "");
    cr_assert_eq(c->column_nodes[0], l2);
}

Test(cache, keys_are_part_of_the_shape)
{
    static const char *const k1[] = {"name"}, *const k2[] = {"name", "fullname"};
    rt_node *i = K(rt_insert_new(users, &err));
    CHECK_KEYS(i, D, k1, "INSERT INTO users (name) VALUES (:name)", "name");
    CHECK_KEYS(i, D, k2, "INSERT INTO users (name, fullname) VALUES (:name, :fullname)",
               "name,fullname");
    unsigned long before = rt_compile_count();
    CHECK_KEYS(K(rt_insert_new(users, &err)), D, k1, "INSERT INTO users (name) VALUES (:name)",
               "name");
    cr_assert_eq(rt_compile_count(), before);
}

Test(cache, shared_bind_keeps_its_index)
{
    rt_node *v = S("a");
    rt_node *s1 = WHERE(SELECT(C(users, "id")), OR(EQ(C(users, "name"), v),
                                                   EQ(C(users, "fullname"), S("b"))));
    CHECK(s1, D, "SELECT users.id\nFROM users\nWHERE users.name = :name_1 OR "
                 "users.fullname = :fullname_1", "name_1,fullname_1");
    rt_node *x = EQ(C(users, "name"), S("c"));
    rt_node *s2 = WHERE(SELECT(C(users, "id")), OR(x, x));
    rt_compiled *c = CHECK(s2, D, "SELECT users.id\nFROM users\nWHERE users.name = :name_1 OR "
                                  "users.name = :name_1", "name_1,name_1");
    cr_assert_eq(c->slot_binds[0], c->slot_binds[1]);
}

Test(cache, bind_values_order)
{
    rt_node *s = LIMIT(WHERE(SELECT(C(users, "id"), I(7)), EQ(C(users, "name"), S("n"))), 3);
    rt_compiled *c = CHECK(s, D, "SELECT users.id, :param_1 AS anon_1\nFROM users\n"
                                 "WHERE users.name = :name_1\nLIMIT :param_2",
                           "param_1,name_1,param_2");
    const rt_value *vals[8];
    size_t n = rt_node_bind_values(s, vals, 8);
    cr_assert_eq(n, 5);
    cr_assert_eq(vals[c->slot_binds[0]]->u.i, 7);
    cr_assert_str_eq(vals[c->slot_binds[1]]->u.s.p, "n");
    cr_assert_eq(vals[c->slot_binds[2]]->u.i, 3);
    cr_assert_eq(rt_node_bind_values(s, NULL, 0), 5);
}

Test(cache, clear_and_recompile)
{
    rt_node *s = SELECT(C(users, "id"));
    CHECK(s, D, "SELECT users.id\nFROM users", "");
    rt_sql_cache_clear();
    unsigned long before = rt_compile_count();
    CHECK(SELECT(C(users, "id")), D, "SELECT users.id\nFROM users", "");
    cr_assert_eq(rt_compile_count(), before + 1);
}

Test(cache, render_inline)
{
    rt_buf b;
    rt_buf_init(&b);
    rt_node *e = AND(GT(C(users, "id"), I(5)), EQ(C(users, "name"), S("it's")));
    cr_assert_eq(rt_render_inline(e, D, &b, &err), 0, "%s", err.message);
    cr_assert_str_eq(rt_buf_str(&b), "id > 5 AND name = 'it''s'");
    rt_buf_reset(&b);
    cr_assert_eq(rt_render_inline(F("now"), rt_dialect_sqlite(), &b, &err), 0);
    cr_assert_str_eq(rt_buf_str(&b), "CURRENT_TIMESTAMP");
    rt_buf_reset(&b);
    cr_assert_eq(rt_render_inline(K(rt_bool_new(1, &err)), rt_dialect_sqlite(), &b, &err), 0);
    cr_assert_str_eq(rt_buf_str(&b), "1");
    rt_buf_reset(&b);
    cr_assert_eq(rt_render_inline(P("x"), D, &b, &err), -1);
    rt_error_clear(&err);
    rt_buf_free(&b);
}

/* === errors === */

Test(errors, non_expressions)
{
    FAILS(rt_select_where(SELECT(C(users, "id")), users, &err), RT_ERR_ARGUMENT,
          "where(): an SQL expression is required, got a table");
    FAILS(rt_binary_new(C(users, "id"), RT_OP_EQ, SELECT(C(users, "id")), NULL, &err),
          RT_ERR_ARGUMENT, "right side of an operator must be an SQL expression, got a select");
    FAILS(rt_label_new(NULL, "x", &err), RT_ERR_ARGUMENT, "label()");
    FAILS(rt_select_new(&(rt_node *){K(rt_insert_new(users, &err))}, 1, &err), RT_ERR_ARGUMENT,
          "got an insert");
    FAILS(rt_binary_new(C(users, "id"), RT_OP_BETWEEN, I(1), NULL, &err), RT_ERR_ARGUMENT,
          "between() takes a list of exactly two bounds");
    FAILS(rt_binary_new(C(users, "id"), RT_OP_CUSTOM, I(1), "; drop", &err), RT_ERR_ARGUMENT,
          "not a valid operator");
    FAILS(rt_extract_new("ye ar", C(users, "id"), &err), RT_ERR_ARGUMENT, "not a date field");
}

Test(errors, joins)
{
    FAILS(rt_join_new(addresses, orders, NULL, 0, 0, &err), RT_ERR_ARGUMENT,
          "Can't find any foreign key relationships between 'addresses' and 'orders'.");
    FAILS(rt_join_new(users, orders, NULL, 0, 0, &err), RT_ERR_ARGUMENT,
          "Can't determine join between 'users' and 'orders'; tables have more than one "
          "foreign key constraint relationship between them.");
}

Test(errors, compound_column_counts)
{
    rt_node *a = SELECT(C(users, "id")), *b = SELECT(C(users, "id"), C(users, "name"));
    rt_node *sel[2] = {a, b};
    FAILS(rt_compound_new(RT_UNION, sel, 2, &err), RT_ERR_ARGUMENT,
          "select #1 has 1 columns, select #2 has 2");
}

Test(errors, unknown_column_in_values)
{
    rt_node *i = VALUES(K(rt_insert_new(users, &err)), "nme", S("x"), "name", S("y"), NULL);
    CHECK_ERROR(i, D, "Unconsumed column names: nme");
    cr_assert_null(rt_from_column_by_key(users, "nosuch", &err));
    cr_assert_eq(err.cls, RT_ERR_NONE);
}

Test(errors, dml_targets)
{
    FAILS(rt_insert_new(ALIAS(users, "u"), &err), RT_ERR_ARGUMENT, "insert(): a table is required");
    FAILS(rt_dml_where(K(rt_insert_new(users, &err)), EQ(C(users, "id"), I(1)), &err),
          RT_ERR_ARGUMENT, "an insert has no WHERE clause");
    FAILS(rt_alias_new(JOIN(users, addresses, NULL), "j", &err), RT_ERR_ARGUMENT,
          "alias(): a table or a select is required, got a join");
}

/* === more: API of FROM elements, types, naming, lifetimes === */

TestSuite(api, .init = setup, .fini = teardown);

Test(api, from_columns)
{
    cr_assert_eq(rt_from_ncols(users), 3);
    cr_assert_str_eq(rt_from_column_key(users, 1), "name");
    rt_node *c1 = C(users, "name"), *c2 = K(rt_from_column(users, 1, &err));
    cr_assert_eq(c1, c2, "the same node every time");
    cr_assert_eq(rt_column_of(c1), rt_table_of(users)->columns[1]);
    cr_assert_eq(rt_column_from(c1), users);
    rt_node *a = ALIAS(users, "u");
    cr_assert_eq(rt_column_of(C(a, "id")), rt_table_of(users)->columns[0]);
    cr_assert_eq(rt_column_from(C(a, "id")), a);
    cr_assert_null(rt_column_of(F("now")));
    cr_assert_null(rt_from_column(users, 3, &err));
    rt_error_clear(&err);
    rt_node *sel = SELECT(C(users, "id"), LABEL(C(users, "name"), "n"));
    cr_assert_eq(rt_from_ncols(sel), 2);
    cr_assert_str_eq(rt_from_column_key(sel, 1), "n");
    rt_node *sub = ALIAS(sel, "s");
    cr_assert_str_eq(rt_from_column_key(sub, 0), "id");
    cr_assert_eq(rt_expr_type(C(sub, "n"))->kind, RT_TYPE_STRING);
    cr_assert_null(rt_column_of(C(sub, "id")));
}

Test(api, table_node_is_weak)
{
    rt_table *t = rt_metadata_add_table(md, "tmp", NULL, &err);
    add_col(t, "id", RT_TYPE_INTEGER, -1, 1, NULL);
    rt_node *n = rt_table_node(t, &err);
    cr_assert_eq(t->upper, n);
    rt_node *again = rt_table_node(t, &err);
    cr_assert_eq(again, n);
    rt_node_release(again);
    rt_node *col = rt_from_column(n, 0, &err);
    rt_node_release(n);
    cr_assert_eq(t->upper, n, "kept alive by its column");
    rt_node_release(col);
    cr_assert_null(t->upper);
}

Test(api, node_keeps_metadata_alive)
{
    rt_metadata *m2 = rt_metadata_new();
    rt_table *t = rt_metadata_add_table(m2, "solo", NULL, &err);
    add_col(t, "x", RT_TYPE_INTEGER, -1, 0, NULL);
    rt_node *n = rt_table_node(t, &err);
    rt_node *s = rt_select_new(&n, 1, &err);
    rt_node_release(n);
    rt_metadata_release(m2);   /* the select still holds the table */
    rt_compiled *c = NULL;
    cr_assert_eq(rt_compile(s, D, &c, &err), 0);
    cr_assert_str_eq(c->sql, "SELECT solo.x\nFROM solo");
    rt_compiled_release(c);
    rt_node_release(s);
}

Test(api, cache_forgets_tables_whose_node_died)
{
    rt_table *t = rt_metadata_add_table(md, "tmp", NULL, &err);
    add_col(t, "id", RT_TYPE_INTEGER, -1, 1, NULL);
    for (int round = 0; round < 2; round++) {
        rt_node *n = rt_table_node(t, &err);
        rt_node *s = rt_select_new(&n, 1, &err);
        unsigned long before = rt_compile_count();
        rt_compiled *c = NULL;
        cr_assert_eq(rt_compile(s, D, &c, &err), 0);
        cr_assert_eq(rt_compile_count(), before + 1, "round %d compiles again", round);
        rt_compiled_release(c);
        rt_node_release(s);
        rt_node_release(n);
    }
}

Test(api, expression_types)
{
    cr_assert_eq(rt_expr_type(EQ(C(users, "id"), I(1)))->kind, RT_TYPE_BOOLEAN);
    cr_assert_eq(rt_expr_type(B(C(users, "name"), RT_OP_ADD, S("x")))->kind, RT_TYPE_STRING);
    cr_assert_eq(rt_expr_type(B(C(users, "id"), RT_OP_ADD, I(1)))->kind, RT_TYPE_INTEGER);
    cr_assert_eq(rt_expr_type(F("count"))->kind, RT_TYPE_INTEGER);
    cr_assert_eq(rt_expr_type(F("max", C(users, "name")))->kind, RT_TYPE_STRING);
    cr_assert_eq(rt_expr_type(S("x"))->kind, RT_TYPE_STRING);
    cr_assert_eq(rt_expr_type(SCALAR(SELECT(C(users, "id"))))->kind, RT_TYPE_INTEGER);
    cr_assert_null(rt_expr_type(K(rt_null_new(&err))));
    cr_assert(rt_node_is_expr(C(users, "id")));
    cr_assert_not(rt_node_is_expr(users));
    cr_assert(rt_node_is_from(users));
    cr_assert(rt_node_is_from(SELECT(C(users, "id"))));
    cr_assert_not(rt_node_is_from(C(users, "id")));
    /* a value compared with a column takes the column's type */
    rt_node *cmp = EQ(C(users, "id"), K(rt_bind_new(NULL, &(rt_value){.type = RT_NULL}, NULL,
                                                    &err)));
    rt_compiled *c = NULL;
    cr_assert_eq(rt_compile(cmp, D, &c, &err), 0);
    cr_assert_eq(c->slot_types[0]->kind, RT_TYPE_INTEGER);
    rt_compiled_release(c);
}

Test(api, anonymous_names_in_order_of_appearance)
{
    rt_node *s1 = ALIAS(SELECT(C(users, "id")), NULL);
    rt_node *s2 = ALIAS(SELECT(C(addresses, "user_id")), NULL);
    rt_node *s = WHERE(SELECT(C(s1, "id"), C(s2, "user_id"),
                              LABEL(B(C(s1, "id"), RT_OP_ADD, I(1)), NULL)),
                       EQ(C(s1, "id"), C(s2, "user_id")));
    CHECK(s, D,
          "SELECT anon_1.id, anon_2.user_id, anon_1.id + :id_1 AS anon_3\n"
          "FROM (SELECT users.id AS id\nFROM users) AS anon_1, "
          "(SELECT addresses.user_id AS user_id\nFROM addresses) AS anon_2\n"
          "WHERE anon_1.id = anon_2.user_id", "id_1");
}

Test(api, empty_and_is_no_where)
{
    rt_node *none = K(rt_list_new(RT_LIST_AND, NULL, 0, &err));
    CHECK(WHERE(SELECT(C(users, "id")), none), D, "SELECT users.id\nFROM users", "");
    rt_node *s = WHERE(WHERE(SELECT(C(users, "id")), EQ(C(users, "id"), I(1))), none);
    CHECK(s, D, "SELECT users.id\nFROM users\nWHERE users.id = :id_1", "id_1");
    W(AND(none, EQ(C(users, "id"), I(2)), NOT(none)), "users.id = :id_1", "id_1");
}

Test(api, or_chains_flatten)
{
    rt_node *o = OR(OR(EQ(C(users, "id"), I(1)), EQ(C(users, "id"), I(2))),
                    EQ(C(users, "id"), I(3)));
    W(AND(o, EQ(C(users, "name"), S("x"))),
      "(users.id = :id_1 OR users.id = :id_2 OR users.id = :id_3) AND users.name = :name_1",
      "id_1,id_2,id_3,name_1");
}

Test(api, update_where_correlates_to_target)
{
    rt_node *inner = WHERE(WHERE(SELECT(C(addresses, "user_id")),
                                 EQ(C(addresses, "user_id"), C(users, "id"))),
                           GT(C(addresses, "id"), I(5)));
    rt_node *u = VALUES(K(rt_update_new(users, &err)), "name", S("x"), NULL);
    u = K(rt_dml_where(u, B(C(users, "id"), RT_OP_IN, inner), &err));
    CHECK(u, D, "UPDATE users SET name=:name WHERE users.id IN (SELECT addresses.user_id\n"
                "FROM addresses\nWHERE addresses.user_id = users.id AND addresses.id > :id_1)",
          "name,id_1");
}

Test(api, in_text_and_bindparam)
{
    W(B(C(users, "id"), RT_OP_IN, K(rt_text_new("SELECT 1", &err))), "users.id IN (SELECT 1)",
      "");
    W(B(C(users, "id"), RT_OP_IN, P("ids")), "users.id IN (:ids)", "ids");
}

Test(api, values_errors)
{
    FAILS(rt_dml_values(K(rt_delete_new(users, &err)), (const char *[]){"name"},
                        (rt_node *[]){S("x")}, 1, 1, &err),
          RT_ERR_ARGUMENT, "a delete has no values");
    FAILS(rt_insert_from_select(K(rt_insert_new(users, &err)), (const char *[]){"nosuch"}, 1,
                                SELECT(C(addresses, "id")), &err),
          RT_ERR_ARGUMENT, "table 'users' has no column 'nosuch'");
    FAILS(rt_insert_from_select(K(rt_insert_new(users, &err)), (const char *[]){"id", "name"}, 2,
                                SELECT(C(addresses, "id")), &err),
          RT_ERR_ARGUMENT, "2 column names for a select of 1 columns");
}

Test(api, update_without_columns)
{
    static const char *const keys[] = {"nosuch"};
    rt_compiled *c = NULL;
    cr_assert_eq(rt_compile_keys(K(rt_update_new(users, &err)), D, keys, 1, &c, &err), -1);
    cr_assert(strstr(err.message, "has no columns to SET"), "%s", err.message);
    rt_error_clear(&err);
}

/* Out of memory at every allocation of building and compiling: no crash,
 * a MemoryError or a result, and no leak (checked by the sanitizer). */
Test(api, out_of_memory_everywhere)
{
    for (long n = 1; n < 400; n++) {
        rt_error e;
        rt_error_init(&e);
        rt_alloc_fail_after(n);
        rt_node *id = rt_from_column_by_key(users, "id", &e);
        rt_node *name = rt_from_column_by_key(users, "name", &e);
        rt_value v = rt_value_text("ed", 2);
        rt_node *b = rt_bind_new(NULL, &v, NULL, &e);
        rt_node *cond = name && b ? rt_binary_new(name, RT_OP_EQ, b, NULL, &e) : NULL;
        rt_node *cnt = rt_func_new("count", NULL, 0, NULL, &e);
        rt_node *cols[2] = {id, cnt};
        rt_node *s = id && cnt && cond ? rt_select_new(cols, 2, &e) : NULL;
        rt_node *w = s ? rt_select_where(s, cond, &e) : NULL;
        rt_node *j = rt_join_new(users, addresses, NULL, 1, 0, &e);
        rt_node *f = w && j ? rt_select_from(w, j, &e) : NULL;
        rt_compiled *c = NULL;
        int rc = f ? rt_compile(f, rt_dialect_sqlite(), &c, &e) : -1;
        rt_alloc_fail_after(0);
        if (rc == 0) {
            cr_assert_str_eq(c->sql, "SELECT users.id, count(*) AS count_1\n"
                                     "FROM users LEFT OUTER JOIN addresses ON "
                                     "users.id = addresses.user_id\nWHERE users.name = ?");
            rt_compiled_release(c);
        } else {
            cr_assert(e.cls == RT_ERR_MEMORY || e.cls == RT_ERR_NONE, "n=%ld %s: %s", n,
                      rt_errclass_name(e.cls), e.message);
        }
        rt_node_release(f), rt_node_release(j), rt_node_release(w), rt_node_release(s);
        rt_node_release(cond), rt_node_release(b), rt_node_release(name), rt_node_release(id);
        rt_node_release(cnt);
        rt_error_clear(&e);
        rt_sql_cache_clear();
    }
}

/* The same for DML, subqueries and the structural cache's shared copies. */
Test(api, out_of_memory_in_dml_and_cache)
{
    static const char *const keys[] = {"name", "qty"};
    for (long n = 1; n < 600; n++) {
        rt_error e;
        rt_error_init(&e);
        rt_node *id = rt_from_column_by_key(items, "id", &e);
        rt_node *sub = id ? rt_select_new(&id, 1, &e) : NULL;
        rt_node *in = sub ? rt_binary_new(id, RT_OP_IN, sub, NULL, &e) : NULL;
        rt_alloc_fail_after(n);
        rt_node *ins = rt_insert_new(items, &e);
        rt_node *upd = rt_update_new(items, &e);
        rt_node *updw = upd && in ? rt_dml_where(upd, in, &e) : NULL;
        rt_compiled *c1 = NULL, *c2 = NULL, *c3 = NULL;
        int r1 = ins ? rt_compile_keys(ins, rt_dialect_postgresql(), keys, 2, &c1, &e) : -1;
        int r2 = updw ? rt_compile_keys(updw, rt_dialect_sqlite(), keys, 1, &c2, &e) : -1;
        rt_node *ins2 = rt_insert_new(items, &e);   /* a structural cache hit */
        int r3 = ins2 ? rt_compile_keys(ins2, rt_dialect_postgresql(), keys, 2, &c3, &e) : -1;
        rt_alloc_fail_after(0);
        if (r1 == 0)
            cr_assert_str_eq(c1->sql, "INSERT INTO items (name, qty, stamp, who) VALUES "
                                      "($1, $2, now(), $3) RETURNING items.id");
        if (r2 == 0)
            cr_assert_str_eq(c2->sql, "UPDATE items SET name=?, stamp=CURRENT_TIMESTAMP, "
                                      "who=? WHERE items.id IN (SELECT items.id\nFROM items)");
        if (r3 == 0)
            cr_assert_eq(c3->ncolumns, 1);
        if (r1 < 0 || r2 < 0 || r3 < 0)
            cr_assert(e.cls == RT_ERR_MEMORY || e.cls == RT_ERR_NONE, "n=%ld %s: %s", n,
                      rt_errclass_name(e.cls), e.message);
        rt_compiled_release(c1), rt_compiled_release(c2), rt_compiled_release(c3);
        rt_node_release(ins2), rt_node_release(updw), rt_node_release(upd);
        rt_node_release(ins), rt_node_release(in), rt_node_release(sub), rt_node_release(id);
        rt_error_clear(&e);
        rt_sql_cache_clear();
    }
}

Test(ops, exists_and_nulls_ordering)
{
    rt_node *e = EXISTS(WHERE(SELECT(C(addresses, "id")),
                              EQ(C(addresses, "user_id"), C(users, "id"))));
    W(AND(e, EQ(C(users, "id"), I(1))),
      "(EXISTS (SELECT addresses.id\nFROM addresses\nWHERE addresses.user_id = users.id)) AND "
      "users.id = :id_1", "id_1");
    rt_node *s = ORDER_BY(SELECT(C(users, "id")), U(RT_UOP_NULLS_LAST, DESC(C(users, "name"))),
                          U(RT_UOP_NULLS_FIRST, C(users, "id")));
    CHECK(s, D, "SELECT users.id\nFROM users\nORDER BY users.name DESC NULLS LAST, users.id "
                "NULLS FIRST", "");
}

Test(cols, boolean_expressions_as_columns)
{
    rt_node *null = K(rt_null_new(&err));
    CHECK(SELECT(LABEL(EQ(C(users, "id"), I(5)), "b"), NOT(EQ(C(users, "name"), null)),
                 U(RT_UOP_NEG, B(C(users, "id"), RT_OP_ADD, C(users, "id")))), D,
          "SELECT users.id = :id_1 AS b, users.name IS NOT NULL AS anon_1, "
          "-(users.id + users.id)\nFROM users", "id_1");
}

Test(cols, label_having_group)
{
    rt_node *c = LABEL(F("count", C(users, "id")), "c");
    rt_node *s = GROUP_BY(SELECT(c), C(users, "name"));
    s = K(rt_select_having(s, GT(F("count", C(users, "id")), I(2)), &err));
    CHECK(s, D, "SELECT count(users.id) AS c\nFROM users\nGROUP BY users.name\n"
                "HAVING count(users.id) > :count_1", "count_1");
}

/* Every constructor under allocation failure: NULL with MemoryError or a
 * node, never a crash or a leak. */
Test(api, constructors_out_of_memory)
{
    for (long n = 1; n < 120; n++) {
        rt_error e;
        rt_error_init(&e);
        rt_node *made[24] = {0};
        size_t k = 0;
        rt_value v = rt_value_text("abc", 3);
        rt_alloc_fail_after(n);
        rt_node *id = made[k++] = rt_from_column(users, 0, &e);
        rt_node *b = made[k++] = rt_bind_new("p", &v, NULL, &e);
        if (id && b) {
            rt_node *w[1] = {b}, *t[1] = {id};
            made[k++] = rt_case_new(w, t, 1, id, b, &e);
            made[k++] = rt_cast_new(id, rt_table_of(users)->columns[1]->type, &e);
            made[k++] = rt_extract_new("year", id, &e);
            made[k++] = rt_label_new(id, "x", &e);
            made[k++] = rt_func_new("f", &b, 1, NULL, &e);
            made[k++] = rt_list_new(RT_LIST_COMMA, w, 1, &e);
            rt_node *s = made[k++] = rt_select_new(&id, 1, &e);
            if (s) {
                made[k++] = rt_select_order_by(s, &id, 1, &e);
                made[k++] = rt_select_group_by(s, &id, 1, &e);
                made[k++] = rt_select_correlate(s, &users, 1, &e);
                made[k++] = rt_select_add_columns(s, &b, 1, &e);
                made[k++] = rt_select_apply_labels(s, &e);
                made[k++] = rt_alias_new(s, NULL, &e);
                made[k++] = rt_scalar_subquery_new(s, &e);
                rt_node *two[2] = {s, s};
                made[k++] = rt_compound_new(RT_UNION, two, 2, &e);
            }
            rt_node *ins = made[k++] = rt_insert_new(users, &e);
            const char *key = "name";
            if (ins) {
                rt_node *vals[2] = {b, b};
                made[k++] = rt_dml_values(ins, &key, vals, 1, 2, &e);
                made[k++] = rt_dml_returning(ins, &users, 1, &e);
            }
        }
        rt_alloc_fail_after(0);
        for (size_t i = 0; i < k; i++) {
            if (!made[i])
                cr_assert(e.cls == RT_ERR_MEMORY, "n=%ld item %zu: %s", n, i, e.message);
            rt_node_release(made[i]);
        }
        rt_error_clear(&e);
    }
}

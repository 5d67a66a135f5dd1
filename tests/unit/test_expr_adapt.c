/* test_expr_adapt.c: adapt.c, expression copies with columns replaced (a
 * join condition pointed at an alias, a table's columns turned into bound
 * values), and the reading of join conditions: AND terms, column equality. */
#include "expr_fixture.h"

TestSuite(adapt, .init = setup, .fini = teardown);

#define D GENERIC

/* Columns of users -> the same columns of the alias in ctx. */
static rt_node *to_alias(void *ctx, rt_node *col, rt_error *e)
{
    if (rt_column_from(col) != users)
        return rt_node_retain(col);
    return rt_from_column_by_key(ctx, rt_column_of(col)->key, e);
}

/* Columns of users -> a bound 7. */
static rt_node *to_value(void *ctx, rt_node *col, rt_error *e)
{
    (void)ctx;
    if (rt_column_from(col) != users)
        return rt_node_retain(col);
    rt_value v = rt_value_int(7);
    return rt_bind_new(NULL, &v, NULL, e);
}

static rt_node *fail(void *ctx, rt_node *col, rt_error *e)
{
    (void)ctx;
    (void)col;
    rt_error_set(e, RT_ERR_ARGUMENT, "no");
    return NULL;
}

Test(adapt, columns_to_an_alias)
{
    rt_node *u1 = ALIAS(users, "u1");
    rt_node *cond = AND(EQ(C(users, "id"), C(addresses, "user_id")),
                        NOT(B(C(users, "name"), RT_OP_LIKE, S("x%"))),
                        EQ(func("lower", C(users, "fullname"), NULL), S("ed")));
    rt_node *a = K(rt_expr_adapt(cond, to_alias, u1, &err));
    CHECK(WHERE(SELECT(C(addresses, "id")), a), D,
          "SELECT addresses.id\nFROM addresses, users AS u1\nWHERE u1.id = addresses.user_id AND "
          "u1.name NOT LIKE :name_1 AND lower(u1.fullname) = :lower_1", "name_1,lower_1");
}

Test(adapt, columns_to_values)
{
    rt_node *cond = AND(EQ(C(users, "id"), C(addresses, "user_id")),
                        EQ(C(addresses, "email_address"), S("a@b")));
    rt_node *a = K(rt_expr_adapt(cond, to_value, NULL, &err));
    CHECK(WHERE(SELECT(C(addresses, "id")), a), D,
          "SELECT addresses.id\nFROM addresses\nWHERE :param_1 = addresses.user_id AND "
          "addresses.email_address = :email_address_1", "param_1,email_address_1");
}

Test(adapt, unchanged_is_the_same_node)
{
    rt_node *cond = EQ(C(addresses, "user_id"), I(3));
    rt_node *a = K(rt_expr_adapt(cond, to_alias, NULL, &err));
    cr_assert_eq(a, cond);
}

Test(adapt, errors)
{
    rt_node *cond = AND(EQ(C(users, "id"), C(addresses, "user_id")), EQ(C(users, "id"), I(1)));
    cr_assert_null(rt_expr_adapt(cond, fail, NULL, &err));
    cr_assert_eq(err.cls, RT_ERR_ARGUMENT);
    rt_error_clear(&err);
    cr_assert_null(rt_expr_adapt(users, to_alias, NULL, &err));
    cr_assert_str_eq(err.message, "adapt: a column expression expected, got a table");
}

Test(adapt, and_terms_and_column_equality)
{
    rt_node *e1 = EQ(C(users, "id"), C(addresses, "user_id"));
    rt_node *e2 = EQ(C(users, "name"), S("ed"));
    rt_node *e3 = GT(C(users, "id"), I(2));
    rt_node *terms[4];
    cr_assert_eq(rt_expr_and_terms(AND(e1, AND(e2, e3)), terms, 4), 3);
    cr_assert(terms[0] == e1 && terms[1] == e2 && terms[2] == e3);
    cr_assert_eq(rt_expr_and_terms(AND(e1, e2, e3), terms, 2), 3);   /* counts past max */
    cr_assert_eq(rt_expr_and_terms(e2, terms, 4), 1);
    cr_assert_eq(terms[0], e2);
    rt_node *l, *r;
    cr_assert(rt_expr_column_eq(e1, &l, &r));
    cr_assert_eq(rt_column_of(l), rt_column_of(C(users, "id")));
    cr_assert_eq(rt_column_of(r), rt_column_of(C(addresses, "user_id")));
    cr_assert_not(rt_expr_column_eq(e2, &l, &r));
    cr_assert_not(rt_expr_column_eq(e3, &l, &r));
}

/* test_schema.c: the schema layer as plain data (core/schema): types and
 * their generic names, reading type names back, columns and their flags,
 * tables with constraints made from column flags and ForeignKey()s, creation
 * order of constraints, foreign-key resolution (also to tables defined
 * later, and the type a typeless FK column takes), MetaData ordering with
 * cycles, tometadata copies, and failure without side effects. */
#include "rt_schema.h"

#include <criterion/criterion.h>

#include <string.h>

static rt_error err;
static rt_metadata *md;

static void setup(void)
{
    rt_error_init(&err);
    md = rt_metadata_new();
}

static void teardown(void)
{
    rt_metadata_release(md);
    rt_error_clear(&err);
}

TestSuite(types, .init = setup, .fini = teardown);
TestSuite(tables, .init = setup, .fini = teardown);
TestSuite(metadata, .init = setup, .fini = teardown);

static rt_sqltype *type(rt_typekind k, int length)
{
    rt_sqltype *t = rt_type_new(k);
    cr_assert_not_null(t);
    t->length = length;
    return t;
}

/* A column of a new type (the column holds the only reference). */
static rt_column *column(const char *name, rt_typekind k, int length)
{
    rt_sqltype *t = type(k, length);
    rt_column *c = rt_column_new(name, t);
    rt_type_release(t);
    cr_assert_not_null(c);
    return c;
}

static void add(rt_table *t, rt_column *c)
{
    cr_assert_eq(rt_table_add_column(t, c, &err), 0, "%s", err.message);
}

static rt_table *users_table(void)
{
    rt_table *t = rt_metadata_add_table(md, "users", NULL, &err);
    cr_assert_not_null(t);
    rt_column *id = column("id", RT_TYPE_INTEGER, -1);
    id->primary_key = 1;
    add(t, id);
    add(t, column("name", RT_TYPE_STRING, 50));
    return t;
}

static void check_repr(rt_sqltype *t, const char *want)
{
    char *s = rt_type_repr(t);
    cr_assert_str_eq(s, want);
    rt_free(s);
}

Test(types, repr_of_generic_and_sql_types)
{
    rt_sqltype *s = type(RT_TYPE_STRING, 50);
    check_repr(s, "String(50)");
    cr_assert(rt_type_is_string(s));
    cr_assert_not(rt_type_is_numeric(s));
    rt_type_release(s);
    rt_sqltype *n = type(RT_TYPE_NUMERIC, -1);
    n->precision = 10;
    n->scale = 2;
    check_repr(n, "Numeric(10, 2)");
    cr_assert(rt_type_is_numeric(n));
    rt_type_set_sqlname(n, "DECIMAL");
    check_repr(n, "DECIMAL(10, 2)");
    rt_type_release(n);
    rt_sqltype *e = type(RT_TYPE_ENUM, -1);
    const char *labels[] = {"sad", "happy"};
    cr_assert_eq(rt_type_set_enum(e, labels, 2, "mood"), 0);
    cr_assert_eq(e->length, 5);
    check_repr(e, "Enum('sad', 'happy', name='mood')");
    rt_sqltype *c = rt_type_copy(e);
    cr_assert(rt_type_equivalent(c, e));
    cr_assert_str_eq(c->enum_name, "mood");
    rt_type_release(c);
    rt_type_release(e);
}

Test(types, decorator_resolves_to_impl)
{
    rt_sqltype *d = type(RT_TYPE_DECORATOR, -1);
    d->impl = type(RT_TYPE_STRING, 10);
    d->decorator_name = rt_strdup("Upper");
    cr_assert_eq(rt_type_base(d), d->impl);
    cr_assert(rt_type_is_string(d));
    check_repr(d, "Upper()");
    rt_type_release(d);
}

Test(types, names_read_back)
{
    static const struct {
        const char *spec;
        rt_typekind kind;
        const char *sqlname;
        int length, precision, scale, tz;
    } cases[] = {
        {"VARCHAR(50)", RT_TYPE_STRING, "VARCHAR", 50, -1, -1, 0},
        {"character varying(20)", RT_TYPE_STRING, "VARCHAR", 20, -1, -1, 0},
        {"INTEGER", RT_TYPE_INTEGER, "INTEGER", -1, -1, -1, 0},
        {"numeric(10,2)", RT_TYPE_NUMERIC, "NUMERIC", -1, 10, 2, 0},
        {"timestamp with time zone", RT_TYPE_DATETIME, "TIMESTAMP", -1, -1, -1, 1},
        {"timestamp(6) without time zone", RT_TYPE_DATETIME, "TIMESTAMP", -1, -1, -1, 0},
        {"double precision", RT_TYPE_FLOAT, "DOUBLE PRECISION", -1, -1, -1, 0},
        {"bytea", RT_TYPE_LARGEBINARY, "BYTEA", -1, -1, -1, 0},
        {"geometry", RT_TYPE_NULL, "GEOMETRY", -1, -1, -1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rt_sqltype *t = rt_type_from_sql(cases[i].spec);
        cr_assert_not_null(t);
        cr_assert_eq(t->kind, cases[i].kind, "%s", cases[i].spec);
        cr_assert_str_eq(t->sqlname, cases[i].sqlname, "%s", cases[i].spec);
        cr_assert_eq(t->length, cases[i].length, "%s", cases[i].spec);
        cr_assert_eq(t->precision, cases[i].precision, "%s", cases[i].spec);
        cr_assert_eq(t->scale, cases[i].scale, "%s", cases[i].spec);
        cr_assert_eq(t->timezone, cases[i].tz, "%s", cases[i].spec);
        rt_type_release(t);
    }
}

Test(tables, columns_by_key_and_name)
{
    rt_table *t = users_table();
    rt_column *c = column("email_address", RT_TYPE_STRING, 60);
    cr_assert_eq(rt_column_set_key(c, "email", &err), 0);
    add(t, c);
    cr_assert_eq(rt_table_column(t, "email"), c);
    cr_assert_null(rt_table_column(t, "email_address"));
    cr_assert_eq(rt_table_column_by_name(t, "email_address"), c);
    cr_assert_eq(c->position, 2);
    cr_assert_eq(c->table, t);
    cr_assert_str_eq(rt_table_fullname(t), "users");
    rt_constraint *pk = rt_table_primary_key(t);
    cr_assert_eq(pk->ncols, 1);
    cr_assert_str_eq(pk->columns[0]->name, "id");
    cr_assert_eq(rt_column_nullable(pk->columns[0]), 0);
    cr_assert_eq(rt_column_nullable(c), 1);
    cr_assert(rt_column_autoincrements(pk->columns[0]));
}

Test(tables, duplicate_columns_are_refused)
{
    rt_table *t = users_table();
    rt_column *dup = column("name", RT_TYPE_TEXT, -1);
    cr_assert_eq(rt_table_add_column(t, dup, &err), -1);
    cr_assert_eq(err.cls, RT_ERR_ARGUMENT);
    cr_assert(strstr(err.message, "already has a column named 'name'"));
    cr_assert_null(dup->table);
    cr_assert_eq(t->ncols, 2);
    rt_column_free(dup);
    rt_column *unnamed = column(NULL, RT_TYPE_TEXT, -1);
    cr_assert_eq(rt_table_add_column(t, unnamed, &err), -1);
    cr_assert(strstr(err.message, "non-blank name"));
    rt_column_free(unnamed);
}

Test(tables, flags_make_constraints_in_creation_order)
{
    rt_table *users = users_table();
    (void)users;
    rt_table *t = rt_metadata_add_table(md, "addresses", NULL, &err);
    rt_column *id = column("id", RT_TYPE_INTEGER, -1);
    id->primary_key = 1;
    add(t, id);
    rt_column *uid = column("user_id", RT_TYPE_INTEGER, -1);
    rt_fk_options o = {.ondelete = "CASCADE"};
    cr_assert_eq(rt_column_add_foreign_key(uid, "users.id", &o, &err), 0);
    add(t, uid);
    rt_column *email = column("email", RT_TYPE_STRING, 100);
    email->unique = 1;
    email->index = 0;
    add(t, email);
    cr_assert_eq(t->nconstraints, 3);
    cr_assert_eq(t->constraints[1]->kind, RT_CONSTRAINT_FOREIGN_KEY);
    cr_assert_str_eq(t->constraints[1]->fk.ondelete, "CASCADE");
    cr_assert_eq(t->constraints[2]->kind, RT_CONSTRAINT_UNIQUE);
    /* a constraint made earlier (as UniqueConstraint(...) before Table()) goes first */
    unsigned long early = t->constraints[1]->seq - 1;
    const char *keys[] = {"user_id", "email"};
    rt_constraint *u = rt_table_add_constraint(t, RT_CONSTRAINT_UNIQUE, "uq", keys, 2, NULL,
                                               &err);
    cr_assert_not_null(u);
    cr_assert_eq(t->constraints[3], u);
    rt_table_order_constraint(t, u, early);
    cr_assert_eq(t->constraints[1], u);
    cr_assert_eq(t->constraints[0]->kind, RT_CONSTRAINT_PRIMARY_KEY);
    rt_column *target = rt_foreign_key_target(t->constraints[2], 0, md, &err);
    cr_assert_eq(target, rt_table_column(users, "id"));
    cr_assert(rt_table_references(t, users, md));
    cr_assert_not(rt_table_references(users, t, md));
    cr_assert_not(rt_column_autoincrements(uid));
}

Test(tables, typeless_fk_column_takes_target_type_later)
{
    rt_table *t = rt_metadata_add_table(md, "posts", NULL, &err);
    rt_column *aid = rt_column_new("author_id", NULL);
    cr_assert_eq(rt_column_add_foreign_key(aid, "users.id", NULL, &err), 0);
    add(t, aid);
    cr_assert_null(aid->type);
    rt_constraint *fk = t->constraints[1];
    cr_assert_null(rt_foreign_key_table(fk, md, &err));
    cr_assert(strstr(err.message, "could not find table 'users'"), "%s", err.message);
    rt_error_clear(&err);
    users_table();
    cr_assert_not_null(aid->type);
    cr_assert_eq(aid->type->kind, RT_TYPE_INTEGER);
}

Test(tables, unknown_target_column)
{
    users_table();
    rt_table *t = rt_metadata_add_table(md, "posts", NULL, &err);
    rt_column *aid = column("author_id", RT_TYPE_INTEGER, -1);
    rt_column_add_foreign_key(aid, "users.nope", NULL, &err);
    add(t, aid);
    cr_assert_null(rt_foreign_key_target(t->constraints[1], 0, md, &err));
    cr_assert(strstr(err.message, "has no column named 'nope'"), "%s", err.message);
}

Test(tables, primary_key_constraint_replaces_flags)
{
    rt_table *t = users_table();
    const char *keys[] = {"name", "id"};
    rt_constraint *pk = rt_table_add_constraint(t, RT_CONSTRAINT_PRIMARY_KEY, "pk_users", keys,
                                                2, NULL, &err);
    cr_assert_eq(pk, rt_table_primary_key(t));
    cr_assert_eq(pk->ncols, 2);
    cr_assert_str_eq(pk->columns[0]->name, "name");
    cr_assert(rt_table_column(t, "name")->primary_key);
    const char *bad[] = {"nope"};
    cr_assert_null(rt_table_add_constraint(t, RT_CONSTRAINT_UNIQUE, NULL, bad, 1, NULL, &err));
    cr_assert(strstr(err.message, "has no column 'nope'"));
    cr_assert_eq(t->nconstraints, 1);
}

Test(metadata, duplicate_table_is_refused)
{
    users_table();
    cr_assert_null(rt_metadata_add_table(md, "users", NULL, &err));
    cr_assert_eq(err.cls, RT_ERR_INVALID_REQUEST);
    cr_assert_str_eq(err.message, "Table 'users' is already defined for this MetaData instance.");
    rt_error_clear(&err);
    cr_assert_not_null(rt_metadata_add_table(md, "users", "other", &err));
    cr_assert_not_null(rt_metadata_table(md, "other.users"));
}

static rt_table *table_with_fk(const char *name, const char *target, int use_alter)
{
    rt_table *t = rt_metadata_add_table(md, name, NULL, &err);
    rt_column *id = column("id", RT_TYPE_INTEGER, -1);
    id->primary_key = 1;
    add(t, id);
    if (target) {
        rt_column *ref = column("ref_id", RT_TYPE_INTEGER, -1);
        rt_fk_options o = {.use_alter = use_alter, .name = use_alter ? "fk_cycle" : NULL};
        rt_column_add_foreign_key(ref, target, &o, &err);
        add(t, ref);
    }
    return t;
}

static void check_order(const char *const *want, size_t n)
{
    rt_table **sorted;
    size_t got;
    cr_assert_eq(rt_metadata_sorted_tables(md, &sorted, &got, &err), 0, "%s", err.message);
    cr_assert_eq(got, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_str_eq(sorted[i]->name, want[i], "position %zu", i);
    rt_free(sorted);
}

Test(metadata, sorted_by_dependency_then_name)
{
    table_with_fk("post_keywords", "posts.id", 0);
    table_with_fk("posts", "users.id", 0);
    table_with_fk("keywords", NULL, 0);
    table_with_fk("users", NULL, 0);
    table_with_fk("nodes", "nodes.id", 0);   /* self-reference */
    static const char *const want[] = {"keywords", "nodes", "users", "posts",
                                       "post_keywords"};
    check_order(want, 5);
}

Test(metadata, cycles_need_use_alter)
{
    table_with_fk("a", "b.id", 0);
    rt_table *b = table_with_fk("b", "a.id", 0);
    rt_table **sorted;
    size_t n;
    cr_assert_eq(rt_metadata_sorted_tables(md, &sorted, &n, &err), -1);
    cr_assert_eq(err.cls, RT_ERR_CIRCULAR);
    cr_assert(strstr(err.message, "between tables: a, b"), "%s", err.message);
    rt_error_clear(&err);
    b->constraints[1]->fk.use_alter = 1;
    static const char *const want[] = {"b", "a"};   /* a references b */
    check_order(want, 2);
}

Test(metadata, tometadata_copies_everything)
{
    rt_table *users = users_table();
    const char *keys[] = {"name"};
    cr_assert_not_null(rt_table_add_index(users, "ix_name", keys, 1, 1, &err));
    rt_table *t = table_with_fk("addresses", "users.id", 0);
    t->constraints[1]->fk.ondelete = rt_strdup("CASCADE");
    rt_metadata *other = rt_metadata_new();
    rt_table *cu = rt_table_copy_to(users, other, NULL, &err);
    rt_table *ct = rt_table_copy_to(t, other, NULL, &err);
    cr_assert_not_null(cu);
    cr_assert_not_null(ct, "%s", err.message);
    cr_assert_eq(cu->ncols, 2);
    cr_assert_eq(cu->nindexes, 1);
    cr_assert(cu->indexes[0]->unique);
    cr_assert_eq(rt_table_primary_key(cu)->ncols, 1);
    cr_assert_eq(ct->nconstraints, 2);
    cr_assert_str_eq(ct->constraints[1]->fk.ondelete, "CASCADE");
    cr_assert_eq(rt_foreign_key_target(ct->constraints[1], 0, other, &err),
                 rt_table_column(cu, "id"));
    cr_assert_null(rt_table_copy_to(t, other, NULL, &err));
    cr_assert(strstr(err.message, "already defined"));
    rt_metadata_release(other);
}

Test(metadata, failed_allocations_leave_nothing_behind)
{
    for (long n = 1; n < 40; n++) {
        rt_metadata *m = rt_metadata_new();
        if (!m)
            continue;
        rt_alloc_fail_after(n);
        rt_table *t = rt_metadata_add_table(m, "t", NULL, &err);
        rt_column *c = rt_column_new("c", NULL);
        if (t && c && rt_column_add_foreign_key(c, "t.c", NULL, &err) == 0 &&
            rt_table_add_column(t, c, &err) == 0)
            c = NULL;
        rt_alloc_fail_after(0);
        rt_column_free(c);
        rt_error_clear(&err);
        rt_metadata_release(m);
    }
}

/* test_text.c: the text() construct and what compiling it produces
 * (core/sql/text.c, compiler.c, dialect*.c): `:name` parameters rendered in
 * each dialect's style (`?` for SQLite, `$n` for PostgreSQL, `:name` for the
 * default dialect) with one slot per occurrence; the places where a colon is
 * not a parameter (casts, `\:`, quoted strings and identifiers, comments,
 * a colon not followed by a word, times); slot lookup; autocommit detection
 * from the first keyword; the per-node, per-dialect compile cache; identifier
 * quoting and dialect lookup. */
#include "rt_sql.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

static rt_error err;

static void setup(void) { rt_error_init(&err); }
static void teardown(void) { rt_error_clear(&err); }

TestSuite(text, .init = setup, .fini = teardown);
TestSuite(autocommit);
TestSuite(cache, .init = setup, .fini = teardown);
TestSuite(quote);

/* Compiles sql for d; the caller releases the result with rt_compiled_release. */
static rt_compiled *compile(const char *sql, const rt_dialect *d)
{
    rt_node *n = rt_text_new(sql, &err);
    rt_compiled *c = NULL;
    cr_assert_not_null(n, "rt_text_new(%s)", sql);
    cr_assert_eq(rt_compile(n, d, &c, &err), 0, "compile %s: %s", sql,
                 err.message ? err.message : "?");
    rt_node_release(n);     /* the compiled statement outlives its node */
    return c;
}

/* Checks the SQL and the slot names of sql compiled for d. */
static void check(const char *sql, const rt_dialect *d, const char *want_sql,
                  size_t nslots, const char *const *names)
{
    rt_compiled *c = compile(sql, d);
    cr_assert_str_eq(c->sql, want_sql, "for %s (%s)", sql, rt_dialect_name(d));
    cr_assert_eq(c->nslots, nslots, "slots of %s: %zu", sql, c->nslots);
    for (size_t i = 0; i < nslots; i++)
        cr_assert_str_eq(c->slot_names[i], names[i], "slot %zu of %s", i, sql);
    rt_compiled_release(c);
}

/* Text that must come out unchanged, with no slots, in every dialect. */
static void no_params(const char *sql, const char *want)
{
    check(sql, rt_dialect_sqlite(), want, 0, NULL);
    check(sql, rt_dialect_postgresql(), want, 0, NULL);
    check(sql, rt_dialect_default(), want, 0, NULL);
}

static const char *const ab[] = {"a", "b"};

Test(text, named_parameters_per_dialect)
{
    const char *sql = "SELECT * FROM t WHERE a = :a AND b = :b";
    check(sql, rt_dialect_sqlite(), "SELECT * FROM t WHERE a = ? AND b = ?", 2, ab);
    check(sql, rt_dialect_postgresql(), "SELECT * FROM t WHERE a = $1 AND b = $2", 2, ab);
    check(sql, rt_dialect_default(), "SELECT * FROM t WHERE a = :a AND b = :b", 2, ab);
}

Test(text, node_keeps_its_source)
{
    rt_node *n = rt_text_new("SELECT :x, '\\:'", &err);
    cr_assert_eq(rt_node_kind_of(n), RT_NODE_TEXT);
    cr_assert_str_eq(rt_text_source(n), "SELECT :x, '\\:'");
    cr_assert_eq(rt_node_retain(n), n);
    rt_node_release(n);
    rt_node_release(n);
    rt_node_release(NULL);
}

Test(text, repeated_names_get_a_slot_each)
{
    static const char *const names[] = {"a", "b", "a"};
    const char *sql = "SELECT * FROM t WHERE x = :a OR y = :b OR z = :a";
    check(sql, rt_dialect_sqlite(), "SELECT * FROM t WHERE x = ? OR y = ? OR z = ?", 3, names);
    check(sql, rt_dialect_postgresql(), "SELECT * FROM t WHERE x = $1 OR y = $2 OR z = $3", 3,
          names);
    check(sql, rt_dialect_default(), sql, 3, names);
}

Test(text, slot_lookup)
{
    rt_compiled *c = compile("UPDATE t SET a = :a, b = :b WHERE id = :id AND a <> :a",
                             rt_dialect_sqlite());
    cr_assert_eq(c->nslots, 4);
    cr_assert_eq(rt_compiled_slot(c, "a"), 0, "first occurrence");
    cr_assert_eq(rt_compiled_slot(c, "b"), 1);
    cr_assert_eq(rt_compiled_slot(c, "id"), 2);
    cr_assert_eq(rt_compiled_slot(c, "ID"), -1, "names are case-sensitive");
    cr_assert_eq(rt_compiled_slot(c, "c"), -1);
    cr_assert_eq(rt_compiled_slot(c, ""), -1);
    rt_compiled_release(c);
}

Test(text, parameter_names_are_words)
{
    static const char *const names[] = {"user_id2", "_x", "Name"};
    check("SELECT * FROM t WHERE a=:user_id2 AND b IN (:_x,:Name)", rt_dialect_postgresql(),
          "SELECT * FROM t WHERE a=$1 AND b IN ($2,$3)", 3, names);
    static const char *const first[] = {"first"};
    check(":first", rt_dialect_sqlite(), "?", 1, first);
    static const char *const last[] = {"last"};
    check("SELECT :last", rt_dialect_sqlite(), "SELECT ?", 1, last);
}

Test(text, casts_are_not_parameters)
{
    no_params("SELECT a::int, b::text FROM t", "SELECT a::int, b::text FROM t");
    /* a parameter followed by a cast: the parameter stays, the cast too */
    static const char *const x[] = {"x"};
    check("SELECT :x::int", rt_dialect_postgresql(), "SELECT $1::int", 1, x);
    check("SELECT :x::int", rt_dialect_default(), "SELECT :x::int", 1, x);
}

Test(text, escaped_colons_are_literal)
{
    no_params("SELECT * FROM t WHERE a = \\:b", "SELECT * FROM t WHERE a = :b");
    static const char *const c[] = {"c"};
    check("SELECT '\\:' || \\:lit || :c", rt_dialect_sqlite(),
          "SELECT ':' || :lit || ?", 1, c);
    /* SQLAlchemy's documented escape inside a string reads as a plain colon */
    no_params("SELECT * FROM users WHERE name = '\\:username'",
              "SELECT * FROM users WHERE name = ':username'");
    no_params("SELECT \"a\\:b\"", "SELECT \"a:b\"");
    /* other backslashes are left alone */
    no_params("SELECT 'C:\\dir', '\\n'", "SELECT 'C:\\dir', '\\n'");
}

Test(text, quoted_strings_and_identifiers_hide_colons)
{
    static const char *const c[] = {"c"};
    const char *sql = "SELECT ':a', \"x:y\", 'it''s :b' FROM t WHERE c = :c";
    check(sql, rt_dialect_sqlite(), "SELECT ':a', \"x:y\", 'it''s :b' FROM t WHERE c = ?", 1,
          c);
    check(sql, rt_dialect_postgresql(),
          "SELECT ':a', \"x:y\", 'it''s :b' FROM t WHERE c = $1", 1, c);
    no_params("SELECT \"a\"\":b\" FROM t", "SELECT \"a\"\":b\" FROM t");
    /* an empty string does not swallow what follows it */
    static const char *const d[] = {"d"};
    check("SELECT '' || :d", rt_dialect_sqlite(), "SELECT '' || ?", 1, d);
    /* an unterminated string runs to the end */
    no_params("SELECT ':a", "SELECT ':a");
}

Test(text, comments_hide_colons)
{
    static const char *const c[] = {"c"};
    check("SELECT 1 -- :a\nFROM t /* :b */ WHERE c = :c", rt_dialect_sqlite(),
          "SELECT 1 -- :a\nFROM t /* :b */ WHERE c = ?", 1, c);
    no_params("SELECT 1 -- :a", "SELECT 1 -- :a");
    no_params("SELECT 1 /* :a", "SELECT 1 /* :a");
    /* a single dash or slash is not a comment */
    static const char *const ab2[] = {"a", "b"};
    check("SELECT 2 - :a / :b", rt_dialect_sqlite(), "SELECT 2 - ? / ?", 2, ab2);
}

Test(text, colon_without_a_name_is_literal)
{
    no_params("SELECT a : b FROM t", "SELECT a : b FROM t");
    no_params("SELECT :", "SELECT :");
    no_params("SELECT :)", "SELECT :)");
    no_params("SELECT 1 AS x:", "SELECT 1 AS x:");
}

Test(text, times_are_not_parameters)
{
    no_params("SELECT * FROM t WHERE at = '12:30'", "SELECT * FROM t WHERE at = '12:30'");
    no_params("SELECT time('12:30:45')", "SELECT time('12:30:45')");
    /* unquoted, a colon after a word character is not a parameter either */
    no_params("SELECT 12:30", "SELECT 12:30");
    no_params("SELECT a:b", "SELECT a:b");
}

Test(text, no_parameters_at_all)
{
    rt_compiled *c = compile("SELECT 1", rt_dialect_postgresql());
    cr_assert_str_eq(c->sql, "SELECT 1");
    cr_assert_eq(c->nslots, 0);
    cr_assert_eq(c->autocommit, 0);
    rt_compiled_release(c);
    no_params("", "");
}

Test(text, compiled_statement_records_autocommit)
{
    rt_compiled *c = compile("insert into t (a) values (:a)", rt_dialect_sqlite());
    cr_assert_eq(c->autocommit, 1);
    rt_compiled_release(c);
    c = compile("SELECT * FROM t WHERE a = :a", rt_dialect_sqlite());
    cr_assert_eq(c->autocommit, 0);
    rt_compiled_release(c);
}

Test(text, construction_fails_cleanly_without_memory)
{
    const char *sql = "SELECT ':x' -- :y\nFROM t WHERE a = :a AND b = :b AND c = :c "
                      "AND d = :d AND e = :e";
    rt_node *n = NULL;
    long k;
    for (k = 1; k < 100 && !n; k++) {
        rt_error_clear(&err);
        rt_alloc_fail_after(k);
        n = rt_text_new(sql, &err);
        rt_alloc_fail_after(0);
        if (!n)
            cr_assert_eq(err.cls, RT_ERR_MEMORY, "allocation %ld", k);
    }
    cr_assert_not_null(n);
    cr_assert_gt(k, 5, "the loop should have failed several allocations");
    rt_compiled *c;
    cr_assert_eq(rt_compile(n, rt_dialect_sqlite(), &c, &err), 0);
    cr_assert_str_eq(c->sql, "SELECT ':x' -- :y\nFROM t WHERE a = ? AND b = ? AND c = ? "
                             "AND d = ? AND e = ?");
    cr_assert_eq(c->nslots, 5);
    rt_compiled_release(c);
    rt_node_release(n);
}

/* ---- autocommit detection ------------------------------------------- */

Test(autocommit, dml_and_ddl)
{
    cr_assert_eq(rt_sql_is_autocommit("INSERT INTO t VALUES (1)"), 1);
    cr_assert_eq(rt_sql_is_autocommit("UPDATE t SET a = 1"), 1);
    cr_assert_eq(rt_sql_is_autocommit("DELETE FROM t"), 1);
    cr_assert_eq(rt_sql_is_autocommit("CREATE TABLE t (a INTEGER)"), 1);
    cr_assert_eq(rt_sql_is_autocommit("DROP TABLE t"), 1);
    cr_assert_eq(rt_sql_is_autocommit("ALTER TABLE t ADD COLUMN b TEXT"), 1);
    cr_assert_eq(rt_sql_is_autocommit("REPLACE INTO t VALUES (1)"), 1);
    cr_assert_eq(rt_sql_is_autocommit("TRUNCATE t"), 1);
}

Test(autocommit, case_whitespace_and_comments_before_the_keyword)
{
    cr_assert_eq(rt_sql_is_autocommit("insert into t values (1)"), 1);
    cr_assert_eq(rt_sql_is_autocommit("Update t set a = 1"), 1);
    cr_assert_eq(rt_sql_is_autocommit("  \n\t delete from t"), 1);
    cr_assert_eq(rt_sql_is_autocommit("-- make it\nCREATE TABLE t (a)"), 1);
    cr_assert_eq(rt_sql_is_autocommit("/* one */ /* two */\n  drop table t"), 1);
    cr_assert_eq(rt_sql_is_autocommit("-- a\n-- b\n  ALTER TABLE t RENAME TO u"), 1);
    cr_assert_eq(rt_sql_is_autocommit("(INSERT INTO t VALUES (1))"), 1);
}

Test(autocommit, queries_are_not)
{
    cr_assert_eq(rt_sql_is_autocommit("SELECT * FROM t"), 0);
    cr_assert_eq(rt_sql_is_autocommit("  select 1"), 0);
    cr_assert_eq(rt_sql_is_autocommit("WITH x AS (SELECT 1) SELECT * FROM x"), 0);
    cr_assert_eq(rt_sql_is_autocommit("PRAGMA main.table_info(\"users\")"), 0);
    cr_assert_eq(rt_sql_is_autocommit("BEGIN"), 0);
    cr_assert_eq(rt_sql_is_autocommit("-- INSERT\nSELECT 1"), 0);
    cr_assert_eq(rt_sql_is_autocommit("/* DELETE */ SELECT 1"), 0);
    cr_assert_eq(rt_sql_is_autocommit(""), 0);
    cr_assert_eq(rt_sql_is_autocommit("   "), 0);
    cr_assert_eq(rt_sql_is_autocommit("-- INSERT only a comment"), 0);
    cr_assert_eq(rt_sql_is_autocommit("/* INSERT unterminated"), 0);
    /* the whole first word must match */
    cr_assert_eq(rt_sql_is_autocommit("INSERTS"), 0);
    cr_assert_eq(rt_sql_is_autocommit("selectinsert"), 0);
    cr_assert_eq(rt_sql_is_autocommit("INSERT"), 1);
}

/* ---- the compile cache ---------------------------------------------- */

Test(cache, same_node_same_dialect_compiles_once)
{
    rt_node *n = rt_text_new("SELECT * FROM t WHERE a = :a", &err);
    rt_compiled *c1, *c2, *c3, *c4;
    unsigned long before = rt_compile_count();
    cr_assert_eq(rt_compile(n, rt_dialect_sqlite(), &c1, &err), 0);
    cr_assert_eq(rt_compile_count(), before + 1);
    cr_assert_eq(rt_compile(n, rt_dialect_sqlite(), &c2, &err), 0);
    cr_assert_eq(rt_compile_count(), before + 1, "cached: no second compilation");
    cr_assert_eq(c1, c2);
    cr_assert_eq(c1->refcount, 3, "the node's reference and two callers'");

    cr_assert_eq(rt_compile(n, rt_dialect_postgresql(), &c3, &err), 0);
    cr_assert_eq(rt_compile_count(), before + 2, "another dialect compiles again");
    cr_assert_neq(c3, c1);
    cr_assert_str_eq(c3->sql, "SELECT * FROM t WHERE a = $1");
    cr_assert_eq(rt_compile(n, rt_dialect_default(), &c4, &err), 0);
    cr_assert_eq(rt_compile_count(), before + 3);
    cr_assert_str_eq(c4->sql, "SELECT * FROM t WHERE a = :a");

    rt_compiled *again;
    cr_assert_eq(rt_compile(n, rt_dialect_postgresql(), &again, &err), 0);
    cr_assert_eq(again, c3);
    cr_assert_eq(rt_compile_count(), before + 3);
    rt_compiled_release(again);

    rt_compiled_release(c2);
    rt_node_release(n);             /* drops the cache's references */
    cr_assert_eq(c1->refcount, 1, "still held by this test");
    cr_assert_str_eq(c1->sql, "SELECT * FROM t WHERE a = ?");
    rt_compiled_release(c1);
    rt_compiled_release(c3);
    rt_compiled_release(c4);
}

Test(cache, the_cache_is_per_node)
{
    rt_node *a = rt_text_new("SELECT 1", &err);
    rt_node *b = rt_text_new("SELECT 1", &err);
    rt_compiled *ca, *cb;
    unsigned long before = rt_compile_count();
    rt_compile(a, rt_dialect_sqlite(), &ca, &err);
    rt_compile(b, rt_dialect_sqlite(), &cb, &err);
    cr_assert_eq(rt_compile_count(), before + 2);
    cr_assert_neq(ca, cb);
    rt_compiled_release(ca);
    rt_compiled_release(cb);
    rt_node_release(a);
    rt_node_release(b);
}

Test(cache, compile_fails_cleanly_without_memory)
{
    rt_node *n = rt_text_new("SELECT :a, :b", &err);
    rt_compiled *c = NULL;
    unsigned long before = rt_compile_count();
    /* fail each allocation of a compilation in turn: never a leak, never a
     * half-built entry left in the cache */
    for (long k = 1; k < 20; k++) {
        rt_error_clear(&err);
        rt_alloc_fail_after(k);
        int rc = rt_compile(n, rt_dialect_postgresql(), &c, &err);
        rt_alloc_fail_after(0);
        if (rc == 0)
            break;
        cr_assert_eq(err.cls, RT_ERR_MEMORY, "allocation %ld", k);
        cr_assert_eq(rt_compile_count(), before);
    }
    cr_assert_not_null(c);
    cr_assert_str_eq(c->sql, "SELECT $1, $2");
    cr_assert_eq(c->nslots, 2);
    rt_compiled_release(c);
    rt_node_release(n);
}

/* ---- identifiers and dialects --------------------------------------- */

static const char *quoted(const rt_dialect *d, const char *ident)
{
    static char out[256];
    rt_buf b;
    rt_buf_init(&b);
    rt_dialect_quote(d, &b, ident);
    snprintf(out, sizeof out, "%s", rt_buf_str(&b));
    rt_buf_free(&b);
    return out;
}

Test(quote, plain_identifiers_stay_bare)
{
    const rt_dialect *ds[] = {rt_dialect_sqlite(), rt_dialect_postgresql(),
                              rt_dialect_default()};
    for (int i = 0; i < 3; i++) {
        cr_assert_str_eq(quoted(ds[i], "users"), "users");
        cr_assert_str_eq(quoted(ds[i], "user_id"), "user_id");
        cr_assert_str_eq(quoted(ds[i], "t2"), "t2");
        cr_assert_str_eq(quoted(ds[i], "a$b"), "a$b");
    }
}

Test(quote, reserved_words)
{
    cr_assert_str_eq(quoted(rt_dialect_sqlite(), "order"), "\"order\"");
    cr_assert_str_eq(quoted(rt_dialect_postgresql(), "order"), "\"order\"");
    cr_assert_str_eq(quoted(rt_dialect_default(), "order"), "\"order\"");
    cr_assert_str_eq(quoted(rt_dialect_postgresql(), "user"), "\"user\"");
    cr_assert_str_eq(quoted(rt_dialect_default(), "user"), "\"user\"");
    /* "user" is not reserved in SQLite */
    cr_assert_str_eq(quoted(rt_dialect_sqlite(), "user"), "user");
    cr_assert_str_eq(quoted(rt_dialect_sqlite(), "pragma"), "\"pragma\"");
    cr_assert_str_eq(quoted(rt_dialect_postgresql(), "pragma"), "pragma");
    cr_assert_str_eq(quoted(rt_dialect_postgresql(), "returning"), "\"returning\"");
}

Test(quote, case_and_odd_characters)
{
    const rt_dialect *d = rt_dialect_sqlite();
    cr_assert_str_eq(quoted(d, "UserName"), "\"UserName\"");
    cr_assert_str_eq(quoted(d, "ORDER"), "\"ORDER\"");
    cr_assert_str_eq(quoted(d, "my table"), "\"my table\"");
    cr_assert_str_eq(quoted(d, "a\"b"), "\"a\"\"b\"");
    cr_assert_str_eq(quoted(d, "\""), "\"\"\"\"");
    cr_assert_str_eq(quoted(d, "1st"), "\"1st\"");
    cr_assert_str_eq(quoted(d, "$x"), "\"$x\"");
    cr_assert_str_eq(quoted(d, ""), "\"\"");
    cr_assert_str_eq(quoted(rt_dialect_postgresql(), "caf\xc3\xa9"), "\"caf\xc3\xa9\"");
}

Test(quote, dialect_lookup)
{
    cr_assert_eq(rt_dialect_by_name("sqlite"), rt_dialect_sqlite());
    cr_assert_eq(rt_dialect_by_name("postgresql"), rt_dialect_postgresql());
    cr_assert_eq(rt_dialect_by_name("postgres"), rt_dialect_postgresql());
    cr_assert_eq(rt_dialect_by_name("default"), rt_dialect_default());
    cr_assert_null(rt_dialect_by_name("mysql"));
    cr_assert_null(rt_dialect_by_name("SQLite"));
    cr_assert_str_eq(rt_dialect_name(rt_dialect_sqlite()), "sqlite");
    cr_assert_str_eq(rt_dialect_name(rt_dialect_postgresql()), "postgresql");
    cr_assert_str_eq(rt_dialect_name(rt_dialect_default()), "default");
    cr_assert_eq(rt_dialect_paramstyle(rt_dialect_sqlite()), RT_PARAM_QMARK);
    cr_assert_eq(rt_dialect_paramstyle(rt_dialect_postgresql()), RT_PARAM_NUMERIC);
    cr_assert_eq(rt_dialect_paramstyle(rt_dialect_default()), RT_PARAM_NAMED);
}

/* test_util.c: the bottom layer of the core (core/util): the string buffer
 * (appends, printf on both sides of its 256-byte stack scratch, the sticky
 * failure flag under rt_alloc_fail_after, steal), the string-keyed hash map
 * (replacement and removal with the value destructor counted, backward-shift
 * deletion keeping every other key findable, iteration, clearing, allocation
 * failure) and the error record (long messages kept whole, the formatted
 * text with and without a statement, the SQLAlchemy class hierarchy and the
 * name table).  Values and their echo representation are in test_value.c. */
#include "rt_util.h"

#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- rt_buf ---------------------------------------------------------- */

Test(buf, starts_empty_and_reads_as_empty_string)
{
    rt_buf b;
    rt_buf_init(&b);
    cr_assert_null(b.data);
    cr_assert_eq(b.len, 0);
    cr_assert_str_eq(rt_buf_str(&b), "");
    rt_buf_free(&b);
}

Test(buf, append_puts_putc_concatenate)
{
    rt_buf b;
    rt_buf_init(&b);
    rt_buf_append(&b, "SELECTxyz", 6);
    rt_buf_putc(&b, ' ');
    rt_buf_puts(&b, "1");
    rt_buf_append(&b, "", 0);
    cr_assert_str_eq(rt_buf_str(&b), "SELECT 1");
    cr_assert_eq(b.len, 8);
    cr_assert_eq(b.failed, 0);
    rt_buf_free(&b);
    cr_assert_null(b.data);
    cr_assert_eq(b.len, 0);
}

Test(buf, grows_past_its_first_block)
{
    rt_buf b;
    rt_buf_init(&b);
    for (int i = 0; i < 1000; i++)
        rt_buf_putc(&b, (char)('a' + i % 26));
    cr_assert_eq(b.len, 1000);
    cr_assert_geq(b.cap, 1001);
    cr_assert_eq(strlen(rt_buf_str(&b)), 1000);
    cr_assert_eq(b.data[0], 'a');
    cr_assert_eq(b.data[999], 'a' + 999 % 26);
    rt_buf_free(&b);
}

Test(buf, printf_short)
{
    rt_buf b;
    rt_buf_init(&b);
    rt_buf_printf(&b, "%s=%d", "x", 42);
    rt_buf_printf(&b, ", %05.1f", 2.5);
    cr_assert_str_eq(rt_buf_str(&b), "x=42, 002.5");
    cr_assert_eq(b.len, 11);
    rt_buf_free(&b);
}

/* 255 characters fit the stack scratch, 256 do not: both must come out whole. */
Test(buf, printf_on_both_sides_of_the_scratch_size)
{
    char s255[256], s256[257];
    memset(s255, 'x', 255);
    s255[255] = '\0';
    memset(s256, 'y', 256);
    s256[256] = '\0';
    rt_buf b;
    rt_buf_init(&b);
    rt_buf_printf(&b, "%s", s255);
    cr_assert_eq(b.len, 255);
    cr_assert_str_eq(rt_buf_str(&b), s255);
    rt_buf_reset(&b);
    rt_buf_printf(&b, "%s", s256);
    cr_assert_eq(b.len, 256);
    cr_assert_str_eq(rt_buf_str(&b), s256);
    rt_buf_free(&b);
}

Test(buf, printf_long_appends_after_existing_text)
{
    char big[1001];
    memset(big, 'z', 1000);
    big[1000] = '\0';
    rt_buf b;
    rt_buf_init(&b);
    rt_buf_puts(&b, "head:");
    rt_buf_printf(&b, "[%s]%d", big, 7);
    cr_assert_eq(b.len, 5 + 1 + 1000 + 1 + 1);
    cr_assert_eq(strncmp(rt_buf_str(&b), "head:[zzz", 9), 0);
    cr_assert_str_eq(rt_buf_str(&b) + 5 + 1 + 1000, "]7");
    cr_assert_eq(b.data[b.len], '\0');
    rt_buf_free(&b);
}

Test(buf, reset_empties_but_keeps_memory)
{
    rt_buf b;
    rt_buf_init(&b);
    rt_buf_puts(&b, "abc");
    char *mem = b.data;
    size_t cap = b.cap;
    rt_buf_reset(&b);
    cr_assert_eq(b.len, 0);
    cr_assert_str_eq(rt_buf_str(&b), "");
    cr_assert_eq(b.data, mem);
    cr_assert_eq(b.cap, cap);
    rt_buf_puts(&b, "de");
    cr_assert_str_eq(rt_buf_str(&b), "de");
    rt_buf_free(&b);
}

Test(buf, failure_is_sticky_and_keeps_what_was_there)
{
    char big[200];
    memset(big, 'q', sizeof big);
    rt_buf b;
    rt_buf_init(&b);
    rt_buf_puts(&b, "abc");            /* 64 bytes allocated */
    rt_alloc_fail_after(1);
    rt_buf_append(&b, big, sizeof big); /* must grow: the realloc fails */
    rt_alloc_fail_after(0);
    cr_assert_eq(b.failed, 1);
    cr_assert_str_eq(rt_buf_str(&b), "abc");
    cr_assert_eq(b.len, 3);
    /* memory is available again, but the buffer stays failed */
    rt_buf_puts(&b, "d");
    rt_buf_putc(&b, 'e');
    rt_buf_printf(&b, "%d", 5);
    char longer[300];
    memset(longer, 'l', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    rt_buf_printf(&b, "%s", longer);    /* the path past the stack scratch */
    cr_assert_eq(b.failed, 1);
    cr_assert_eq(b.len, 3);
    cr_assert_str_eq(rt_buf_str(&b), "abc");
    cr_assert_null(rt_buf_steal(&b));
    /* steal of a failed buffer frees it and leaves it empty and usable */
    cr_assert_null(b.data);
    cr_assert_eq(b.failed, 0);
    rt_buf_puts(&b, "ok");
    cr_assert_str_eq(rt_buf_str(&b), "ok");
    rt_buf_free(&b);
}

Test(buf, failure_on_first_allocation)
{
    rt_buf b;
    rt_buf_init(&b);
    rt_alloc_fail_after(1);
    rt_buf_printf(&b, "%d", 1);
    rt_alloc_fail_after(0);
    cr_assert_eq(b.failed, 1);
    cr_assert_str_eq(rt_buf_str(&b), "");
    rt_buf_reset(&b);                  /* reset clears the flag */
    cr_assert_eq(b.failed, 0);
    rt_buf_printf(&b, "%d", 2);
    cr_assert_str_eq(rt_buf_str(&b), "2");
    rt_buf_free(&b);
}

Test(buf, steal_hands_over_and_empties)
{
    rt_buf b;
    rt_buf_init(&b);
    rt_buf_puts(&b, "payload");
    char *s = rt_buf_steal(&b);
    cr_assert_str_eq(s, "payload");
    cr_assert_null(b.data);
    cr_assert_eq(b.len, 0);
    cr_assert_eq(b.cap, 0);
    rt_free(s);
    /* an empty buffer steals as a fresh "" */
    s = rt_buf_steal(&b);
    cr_assert_not_null(s);
    cr_assert_str_eq(s, "");
    rt_free(s);
}

/* ---- rt_map ---------------------------------------------------------- */

static int freed;
static void *last_freed;

static void count_free(void *v)
{
    freed++;
    last_freed = v;
}

Test(map, empty_map_answers_absent)
{
    rt_map *m = rt_map_new(count_free);
    size_t pos = 0;
    cr_assert_not_null(m);
    cr_assert_eq(rt_map_count(m), 0);
    cr_assert_null(rt_map_get(m, "x"));
    cr_assert_eq(rt_map_remove(m, "x"), 0);
    cr_assert_eq(rt_map_next(m, &pos, NULL, NULL), 0);
    rt_map_free(m);
    rt_map_free(NULL);
    cr_assert_eq(freed, 0);
}

Test(map, set_get_replace_remove_count_destructor_calls)
{
    int a, b, c;
    rt_map *m = rt_map_new(count_free);
    freed = 0;
    cr_assert_eq(rt_map_set(m, "users", &a), 0);
    cr_assert_eq(rt_map_set(m, "addresses", &b), 0);
    cr_assert_eq(rt_map_count(m), 2);
    cr_assert_eq(rt_map_get(m, "users"), &a);
    cr_assert_eq(rt_map_get(m, "addresses"), &b);
    cr_assert_null(rt_map_get(m, "user"));
    cr_assert_eq(freed, 0);

    cr_assert_eq(rt_map_set(m, "users", &c), 0);      /* replace: old value freed */
    cr_assert_eq(freed, 1);
    cr_assert_eq(last_freed, &a);
    cr_assert_eq(rt_map_get(m, "users"), &c);
    cr_assert_eq(rt_map_count(m), 2);

    cr_assert_eq(rt_map_set(m, "users", &c), 0);      /* same value: not freed */
    cr_assert_eq(freed, 1);

    cr_assert_eq(rt_map_remove(m, "users"), 1);
    cr_assert_eq(freed, 2);
    cr_assert_eq(last_freed, &c);
    cr_assert_eq(rt_map_remove(m, "users"), 0);
    cr_assert_eq(freed, 2);
    cr_assert_null(rt_map_get(m, "users"));
    cr_assert_eq(rt_map_count(m), 1);

    rt_map_free(m);                                    /* frees the remaining value */
    cr_assert_eq(freed, 3);
    cr_assert_eq(last_freed, &b);
}

Test(map, keys_are_copied)
{
    char key[8] = "name";
    int v;
    rt_map *m = rt_map_new(NULL);
    rt_map_set(m, key, &v);
    strcpy(key, "xxxx");
    cr_assert_eq(rt_map_get(m, "name"), &v);
    cr_assert_null(rt_map_get(m, "xxxx"));
    rt_map_free(m);
}

static void *num(size_t i) { return (void *)(uintptr_t)(i + 1); }

/* Grows through several resizes, then removes every other key: backward shift
 * must move displaced keys so that none of the survivors goes missing. */
Test(map, thousand_keys_remove_half)
{
    enum { N = 1000 };
    char key[32];
    rt_map *m = rt_map_new(count_free);
    freed = 0;
    for (size_t i = 0; i < N; i++) {
        snprintf(key, sizeof key, "key%zu", i);
        cr_assert_eq(rt_map_set(m, key, num(i)), 0);
    }
    cr_assert_eq(rt_map_count(m), N);
    for (size_t i = 0; i < N; i += 2) {
        snprintf(key, sizeof key, "key%zu", i);
        cr_assert_eq(rt_map_remove(m, key), 1, "remove %s", key);
    }
    cr_assert_eq(freed, N / 2);
    cr_assert_eq(rt_map_count(m), N / 2);
    for (size_t i = 0; i < N; i++) {
        snprintf(key, sizeof key, "key%zu", i);
        if (i % 2)
            cr_assert_eq(rt_map_get(m, key), num(i), "lost %s", key);
        else
            cr_assert_null(rt_map_get(m, key), "%s still there", key);
    }

    /* iteration visits each survivor exactly once */
    size_t pos = 0, seen = 0;
    const char *k;
    void *v;
    static char visited[N];
    while (rt_map_next(m, &pos, &k, &v)) {
        size_t i;
        cr_assert_eq(sscanf(k, "key%zu", &i), 1);
        cr_assert(i < N && i % 2 == 1, "unexpected key %s", k);
        cr_assert_eq(v, num(i));
        cr_assert_eq(visited[i], 0, "%s visited twice", k);
        visited[i] = 1;
        seen++;
    }
    cr_assert_eq(seen, N / 2);

    /* removed keys can come back */
    for (size_t i = 0; i < N; i += 2) {
        snprintf(key, sizeof key, "key%zu", i);
        cr_assert_eq(rt_map_set(m, key, num(i)), 0);
    }
    cr_assert_eq(rt_map_count(m), N);
    for (size_t i = 0; i < N; i++) {
        snprintf(key, sizeof key, "key%zu", i);
        cr_assert_eq(rt_map_get(m, key), num(i), "lost %s", key);
    }
    rt_map_free(m);
    cr_assert_eq(freed, N / 2 + N);
}

Test(map, clear_frees_values_and_stays_usable)
{
    int a, b;
    rt_map *m = rt_map_new(count_free);
    freed = 0;
    rt_map_set(m, "a", &a);
    rt_map_set(m, "b", &b);
    rt_map_clear(m);
    cr_assert_eq(freed, 2);
    cr_assert_eq(rt_map_count(m), 0);
    cr_assert_null(rt_map_get(m, "a"));
    size_t pos = 0;
    cr_assert_eq(rt_map_next(m, &pos, NULL, NULL), 0);
    cr_assert_eq(rt_map_set(m, "a", &b), 0);
    cr_assert_eq(rt_map_get(m, "a"), &b);
    rt_map_free(m);
    cr_assert_eq(freed, 3);
}

Test(map, set_fails_cleanly_when_memory_runs_out)
{
    int a, b;
    rt_map *m = rt_map_new(count_free);
    freed = 0;
    rt_alloc_fail_after(1);                 /* the first table allocation */
    cr_assert_eq(rt_map_set(m, "a", &a), -1);
    cr_assert_eq(rt_map_count(m), 0);
    cr_assert_eq(freed, 0, "a value that was not taken must not be freed");
    cr_assert_eq(rt_map_set(m, "a", &a), 0);
    rt_alloc_fail_after(1);                 /* the key copy */
    cr_assert_eq(rt_map_set(m, "b", &b), -1);
    cr_assert_eq(rt_map_count(m), 1);
    cr_assert_null(rt_map_get(m, "b"));
    cr_assert_eq(rt_map_get(m, "a"), &a);
    cr_assert_eq(freed, 0);
    rt_map_free(m);
    cr_assert_eq(freed, 1);
}

/* ---- rt_error -------------------------------------------------------- */

Test(error, set_keeps_long_messages_whole)
{
    char msg[701];
    for (int i = 0; i < 700; i++)
        msg[i] = (char)('0' + i % 10);
    msg[700] = '\0';
    rt_error e;
    rt_error_init(&e);
    cr_assert_eq(rt_error_set(&e, RT_ERR_OPERATIONAL, "%s", msg), -1);
    cr_assert_eq(e.cls, RT_ERR_OPERATIONAL);
    cr_assert_str_eq(e.message, msg);

    char *text = rt_error_format(&e);
    cr_assert_eq(strlen(text), strlen("(OperationalError) ") + 700);
    cr_assert_eq(strncmp(text, "(OperationalError) 0123456789", 29), 0);
    cr_assert_str_eq(text + strlen("(OperationalError) "), msg);
    rt_free(text);
    rt_error_clear(&e);
    cr_assert_eq(e.cls, RT_ERR_NONE);
    cr_assert_null(e.message);
}

Test(error, set_replaces_the_previous_error)
{
    rt_error e;
    rt_error_init(&e);
    rt_error_set(&e, RT_ERR_INTEGRITY, "first %d", 1);
    e.code = 19;
    strcpy(e.sqlstate, "23505");
    rt_error_set_statement(&e, "INSERT INTO t VALUES (?)", NULL, 0, 0);
    rt_error_set(&e, RT_ERR_ARGUMENT, "second %s", "one");
    cr_assert_eq(e.cls, RT_ERR_ARGUMENT);
    cr_assert_str_eq(e.message, "second one");
    cr_assert_eq(e.code, 0);
    cr_assert_str_eq(e.sqlstate, "");
    cr_assert_null(e.statement);
    cr_assert_null(e.params);
    rt_error_clear(&e);
}

Test(error, format_without_statement)
{
    rt_error e;
    rt_error_init(&e);
    rt_error_set(&e, RT_ERR_ARGUMENT, "unknown database '%s'", "mysql");
    char *text = rt_error_format(&e);
    cr_assert_str_eq(text, "(ArgumentError) unknown database 'mysql'");
    rt_free(text);
    rt_error_clear(&e);
}

Test(error, format_with_statement_and_parameters)
{
    rt_value p[2] = {rt_value_int(1), rt_value_text("ed", 2)};
    rt_error e;
    rt_error_init(&e);
    rt_error_set(&e, RT_ERR_INTEGRITY, "UNIQUE constraint failed: users.name");
    rt_error_set_statement(&e, "INSERT INTO users (id, name) VALUES (?, ?)", p, 2, 1);
    cr_assert_str_eq(e.statement, "INSERT INTO users (id, name) VALUES (?, ?)");
    cr_assert_str_eq(e.params, "(1, 'ed')");
    char *text = rt_error_format(&e);
    cr_assert_str_eq(text, "(IntegrityError) UNIQUE constraint failed: users.name\n"
                           "[SQL: INSERT INTO users (id, name) VALUES (?, ?)]\n"
                           "[parameters: (1, 'ed')]");
    rt_free(text);

    /* no parameters at all, then several sets */
    rt_error_set_statement(&e, "SELECT 1", NULL, 0, 0);
    cr_assert_str_eq(e.params, "()");
    rt_value many[3] = {rt_value_int(1), rt_value_int(2), rt_value_int(3)};
    rt_error_set_statement(&e, "INSERT INTO t VALUES (?)", many, 1, 3);
    cr_assert_str_eq(e.params, "[(1,), (2,), (3,)]");
    text = rt_error_format(&e);
    cr_assert_str_eq(text, "(IntegrityError) UNIQUE constraint failed: users.name\n"
                           "[SQL: INSERT INTO t VALUES (?)]\n"
                           "[parameters: [(1,), (2,), (3,)]]");
    rt_free(text);

    /* a NULL statement drops both */
    rt_error_set_statement(&e, NULL, p, 2, 1);
    cr_assert_null(e.statement);
    cr_assert_null(e.params);
    text = rt_error_format(&e);
    cr_assert_str_eq(text, "(IntegrityError) UNIQUE constraint failed: users.name");
    rt_free(text);
    rt_error_clear(&e);
}

Test(error, format_with_a_long_statement)
{
    char sql[2000];
    strcpy(sql, "SELECT ");
    for (int i = 0; i < 300; i++)
        strcat(sql, "a, ");
    strcat(sql, "b FROM t");
    rt_error e;
    rt_error_init(&e);
    rt_error_set(&e, RT_ERR_OPERATIONAL, "no such table: t");
    rt_error_set_statement(&e, sql, NULL, 0, 0);
    char *text = rt_error_format(&e);
    rt_buf want;
    rt_buf_init(&want);
    rt_buf_printf(&want, "(OperationalError) no such table: t\n[SQL: %s]\n[parameters: ()]",
                  sql);
    cr_assert_str_eq(text, rt_buf_str(&want));
    rt_buf_free(&want);
    rt_free(text);
    rt_error_clear(&e);
}

Test(error, out_of_memory_formats_without_a_message)
{
    rt_error e;
    rt_error_init(&e);
    rt_error_set(&e, RT_ERR_ARGUMENT, "old");
    cr_assert_eq(rt_error_oom(&e), -1);
    cr_assert_eq(e.cls, RT_ERR_MEMORY);
    cr_assert_null(e.message);
    char *text = rt_error_format(&e);
    cr_assert_str_eq(text, "(MemoryError) out of memory");
    rt_free(text);

    /* the message itself cannot be allocated: the class survives */
    rt_alloc_fail_after(1);
    cr_assert_eq(rt_error_set(&e, RT_ERR_OPERATIONAL, "disk I/O error"), -1);
    rt_alloc_fail_after(0);
    cr_assert_eq(e.cls, RT_ERR_OPERATIONAL);
    text = rt_error_format(&e);
    cr_assert_str_eq(text, "(OperationalError) out of memory");
    rt_free(text);
    rt_error_clear(&e);
}

Test(error, move_transfers_and_empties_the_source)
{
    rt_error a, b;
    rt_error_init(&a);
    rt_error_init(&b);
    rt_error_set(&a, RT_ERR_DATA, "value too long");
    a.code = 18;
    rt_error_set_statement(&a, "INSERT INTO t VALUES (1)", NULL, 0, 0);
    rt_error_set(&b, RT_ERR_ARGUMENT, "to be replaced");
    rt_error_move(&b, &a);
    cr_assert_eq(b.cls, RT_ERR_DATA);
    cr_assert_eq(b.code, 18);
    cr_assert_str_eq(b.message, "value too long");
    cr_assert_str_eq(b.statement, "INSERT INTO t VALUES (1)");
    cr_assert_eq(a.cls, RT_ERR_NONE);
    cr_assert_null(a.message);
    cr_assert_null(a.statement);
    rt_error_move(&b, &b);              /* self-move is a no-op */
    cr_assert_str_eq(b.message, "value too long");
    rt_error_clear(&b);
    rt_error_clear(&a);
}

Test(error, class_hierarchy)
{
    /* IntegrityError is a DatabaseError is a DBAPIError is a StatementError ... */
    cr_assert(rt_errclass_is(RT_ERR_INTEGRITY, RT_ERR_INTEGRITY));
    cr_assert(rt_errclass_is(RT_ERR_INTEGRITY, RT_ERR_DATABASE));
    cr_assert(rt_errclass_is(RT_ERR_INTEGRITY, RT_ERR_DBAPI));
    cr_assert(rt_errclass_is(RT_ERR_INTEGRITY, RT_ERR_STATEMENT));
    cr_assert(rt_errclass_is(RT_ERR_INTEGRITY, RT_ERR_BASE));
    cr_assert_not(rt_errclass_is(RT_ERR_INTEGRITY, RT_ERR_OPERATIONAL));
    cr_assert_not(rt_errclass_is(RT_ERR_INTEGRITY, RT_ERR_INTERFACE));
    cr_assert_not(rt_errclass_is(RT_ERR_DATABASE, RT_ERR_INTEGRITY));
    cr_assert_not(rt_errclass_is(RT_ERR_DBAPI, RT_ERR_DATABASE));
    cr_assert(rt_errclass_is(RT_ERR_INTERFACE, RT_ERR_DBAPI));
    cr_assert_not(rt_errclass_is(RT_ERR_INTERFACE, RT_ERR_DATABASE));
    cr_assert(rt_errclass_is(RT_ERR_OPERATIONAL, RT_ERR_DATABASE));
    cr_assert(rt_errclass_is(RT_ERR_PROGRAMMING, RT_ERR_DATABASE));
    cr_assert(rt_errclass_is(RT_ERR_NO_RESULT, RT_ERR_INVALID_REQUEST));
    cr_assert(rt_errclass_is(RT_ERR_MULTIPLE_RESULTS, RT_ERR_INVALID_REQUEST));
    cr_assert(rt_errclass_is(RT_ERR_RESOURCE_CLOSED, RT_ERR_INVALID_REQUEST));
    cr_assert_not(rt_errclass_is(RT_ERR_ARGUMENT, RT_ERR_INVALID_REQUEST));
    cr_assert_not(rt_errclass_is(RT_ERR_TIMEOUT, RT_ERR_DBAPI));
    cr_assert(rt_errclass_is(RT_ERR_TIMEOUT, RT_ERR_BASE));

    cr_assert_eq(rt_errclass_parent(RT_ERR_INTEGRITY), RT_ERR_DATABASE);
    cr_assert_eq(rt_errclass_parent(RT_ERR_DATABASE), RT_ERR_DBAPI);
    cr_assert_eq(rt_errclass_parent(RT_ERR_DBAPI), RT_ERR_STATEMENT);
    cr_assert_eq(rt_errclass_parent(RT_ERR_STATEMENT), RT_ERR_BASE);
    cr_assert_eq(rt_errclass_parent(RT_ERR_BASE), RT_ERR_NONE);
    cr_assert_eq(rt_errclass_parent(RT_ERR__COUNT), RT_ERR_NONE);
    /* every class except the root descends from SQLAlchemyError */
    for (int i = RT_ERR_BASE; i < RT_ERR__COUNT; i++)
        cr_assert(rt_errclass_is((rt_errclass)i, RT_ERR_BASE), "%s",
                  rt_errclass_name((rt_errclass)i));
}

Test(error, names_round_trip)
{
    cr_assert_str_eq(rt_errclass_name(RT_ERR_INTEGRITY), "IntegrityError");
    cr_assert_str_eq(rt_errclass_name(RT_ERR_BASE), "SQLAlchemyError");
    cr_assert_str_eq(rt_errclass_name(RT_ERR_DBAPI), "DBAPIError");
    cr_assert_str_eq(rt_errclass_name(RT_ERR_RESOURCE_CLOSED), "ResourceClosedError");
    cr_assert_str_eq(rt_errclass_name(RT_ERR_NO_RESULT), "NoResultFound");
    cr_assert_str_eq(rt_errclass_name(RT_ERR_TIMEOUT), "TimeoutError");
    cr_assert_str_eq(rt_errclass_name(RT_ERR__COUNT), "Error");
    for (int i = RT_ERR_BASE; i < RT_ERR__COUNT; i++) {
        const char *name = rt_errclass_name((rt_errclass)i);
        cr_assert_eq(rt_errclass_by_name(name), (rt_errclass)i, "%s", name);
    }
    cr_assert_eq(rt_errclass_by_name("ProgrammingError"), RT_ERR_PROGRAMMING);
    cr_assert_eq(rt_errclass_by_name("integrityerror"), RT_ERR_NONE);
    cr_assert_eq(rt_errclass_by_name("NoSuchError"), RT_ERR_NONE);
    cr_assert_eq(rt_errclass_by_name(""), RT_ERR_NONE);
}

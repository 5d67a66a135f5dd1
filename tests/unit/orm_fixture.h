/* orm_fixture.h: what the test_orm_*.c files share: an echoing in-memory
 * SQLite engine, a MetaData with users (id, name UNIQUE, fullname) and
 * addresses (id, user_id -> users.id, email), their mappers, a session, and
 * helpers to make and inspect instances.  The echo buffer pins the SQL a
 * flush sends, in order. */
#ifndef ORM_FIXTURE_H
#define ORM_FIXTURE_H

#include "orm_int.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

static rt_engine *engine;
static rt_metadata *md;
static rt_table *users, *addresses;
static rt_mapper *User, *Address;
static rt_session *session;
static rt_error err;
static rt_buf echo;

static void sink(void *ctx, const char *line)
{
    rt_buf_puts(ctx, line);
    rt_buf_putc(ctx, '\n');
}

static inline rt_column *col(rt_table *t, const char *name, rt_typekind kind, int pk)
{
    rt_sqltype *ty = rt_type_new(kind);
    rt_column *c = rt_column_new(name, ty);
    rt_type_release(ty);
    (void)t;
    c->primary_key = pk;
    return c;
}

static inline void add(rt_table *t, rt_column *c)
{
    cr_assert_eq(rt_table_add_column(t, c, &err), 0, "%s", err.message);
}

static void fixture_setup(void)
{
    rt_error_init(&err);
    rt_buf_init(&echo);
    cr_assert_eq(rt_engine_create("sqlite://", NULL, &engine, &err), 0);
    rt_engine_set_echo_sink(engine, sink, &echo);
    md = rt_metadata_new();
    users = rt_metadata_add_table(md, "users", NULL, &err);
    add(users, col(users, "id", RT_TYPE_INTEGER, 1));
    rt_column *name = col(users, "name", RT_TYPE_STRING, 0);
    name->unique = 1;
    add(users, name);
    add(users, col(users, "fullname", RT_TYPE_STRING, 0));
    addresses = rt_metadata_add_table(md, "addresses", NULL, &err);
    add(addresses, col(addresses, "id", RT_TYPE_INTEGER, 1));
    rt_column *uid = col(addresses, "user_id", RT_TYPE_INTEGER, 0);
    cr_assert_eq(rt_column_add_foreign_key(uid, "users.id", NULL, &err), 0);
    add(addresses, uid);
    add(addresses, col(addresses, "email", RT_TYPE_STRING, 0));
    rt_conn *c;
    cr_assert_eq(rt_engine_connect(engine, &c, &err), 0);
    cr_assert_eq(rt_metadata_create_all(c, md, NULL, 0, 0, &err), 0, "%s", err.message);
    rt_conn_free(c);
    User = rt_mapper_new("User", users, NULL, NULL, 0, &err);
    Address = rt_mapper_new("Address", addresses, NULL, NULL, 0, &err);
    cr_assert(User && Address);
    session = rt_session_new(engine, &err);
    cr_assert(session);
    rt_engine_set_echo(engine, 1);
}

static void fixture_teardown(void)
{
    rt_session_free(session);
    rt_mapper_release(User);
    rt_mapper_release(Address);
    rt_metadata_release(md);
    rt_engine_release(engine);
    rt_buf_free(&echo);
    rt_error_clear(&err);
    rt_sql_cache_clear();
}

static inline void set_text(rt_state *st, const char *attr, const char *text)
{
    long a = rt_mapper_attr_index(rt_state_mapper(st), attr);
    cr_assert(a >= 0, "no attribute %s", attr);
    rt_value v = text ? rt_value_text(text, strlen(text)) : rt_value_null();
    cr_assert_eq(rt_state_set(st, (size_t)a, &v, &err), 0);
}

static inline void set_int(rt_state *st, const char *attr, int64_t i)
{
    long a = rt_mapper_attr_index(rt_state_mapper(st), attr);
    cr_assert(a >= 0, "no attribute %s", attr);
    rt_value v = rt_value_int(i);
    cr_assert_eq(rt_state_set(st, (size_t)a, &v, &err), 0);
}

static inline const rt_value *get(rt_state *st, const char *attr)
{
    long a = rt_mapper_attr_index(rt_state_mapper(st), attr);
    cr_assert(a >= 0, "no attribute %s", attr);
    return rt_state_get(st, (size_t)a);
}

/* A new pending user (the caller keeps one reference). */
static inline rt_state *new_user(const char *name, int64_t id)
{
    rt_state *st = rt_state_new(User, &err);
    cr_assert(st);
    set_text(st, "name", name);
    if (id)
        set_int(st, "id", id);
    cr_assert_eq(rt_session_add(session, st, &err), 0, "%s", err.message);
    return st;
}

static inline int64_t count_rows(const char *table)
{
    rt_conn *c;
    rt_result *r;
    rt_compiled *cp;
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    rt_node *n = rt_text_new(sql, &err);
    cr_assert_eq(rt_session_connection(session, &c, &err), 0);
    cr_assert_eq(rt_compile(n, rt_engine_dialect(engine), &cp, &err), 0);
    int echo_on = rt_engine_echo(engine);
    rt_engine_set_echo(engine, 0);
    cr_assert_eq(rt_conn_execute(c, cp, NULL, 0, &r, &err), 0, "%s", err.message);
    rt_engine_set_echo(engine, echo_on);
    cr_assert_eq(rt_result_next(r, &err), 1);
    rt_value v;
    rt_result_value(r, 0, &v);
    int64_t out = v.u.i;
    rt_result_free(r);
    rt_compiled_release(cp);
    rt_node_release(n);
    return out;
}

#endif

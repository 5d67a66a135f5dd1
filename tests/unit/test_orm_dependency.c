/* test_orm_dependency.c: relationships in the C core: the join derived from
 * foreign keys (relationship.c), collections and backrefs in memory and
 * instances linked both ways freed (collection.c), and what a flush sends
 * for them (dependency.c): the parent's INSERT before the children's with
 * the generated key copied, NULL for a removed child, orphans deleted,
 * children nulled before their parent's DELETE, and the rows of a
 * self-referential table ordered among themselves (remote_side). */
#include "orm_fixture.h"

static size_t user_addresses, address_user;

static void setup(void)
{
    fixture_setup();
    rt_rel_options o = {.uselist = -1, .cascade = RT_CASCADE_DEFAULT};
    cr_assert_eq(rt_mapper_add_relationship(User, "addresses", Address, &o, &user_addresses,
                                            &err), 0, "%s", err.message);
    cr_assert_eq(rt_mapper_add_relationship(Address, "user", User, &o, &address_user, &err), 0);
    cr_assert_eq(rt_mapper_link_backref(User, user_addresses, address_user, &err), 0);
}

static void teardown(void)
{
    rt_mapper_clear_relationships(User);
    rt_mapper_clear_relationships(Address);
    fixture_teardown();
}

TestSuite(orm_dependency, .init = setup, .fini = teardown);

static rt_state *address(const char *email)
{
    rt_state *st = rt_state_new(Address, &err);
    cr_assert(st);
    set_text(st, "email", email);
    return st;
}

Test(orm_dependency, join_from_foreign_keys)
{
    cr_assert_eq(rt_mapper_rel_direction(User, user_addresses), RT_ONETOMANY);
    cr_assert_eq(rt_mapper_rel_direction(Address, address_user), RT_MANYTOONE);
    cr_assert(rt_mapper_rel_uselist(User, user_addresses));
    cr_assert_not(rt_mapper_rel_uselist(Address, address_user));
    rt_column *p = NULL, *c = NULL;
    cr_assert_eq(rt_mapper_rel_pair(Address, address_user, 0, &p, &c), 1);
    cr_assert_str_eq(p->name, "id");
    cr_assert_str_eq(c->name, "user_id");
    size_t idx;
    rt_rel_options o = {.uselist = -1, .cascade = RT_CASCADE_DEFAULT};
    cr_assert_eq(rt_mapper_add_relationship(User, "selves", User, &o, &idx, &err), -1);
    cr_assert_not_null(strstr(err.message, "no foreign keys linking these tables"), "%s",
                       err.message);
    cr_assert_eq(rt_mapper_add_relationship(User, "addresses", Address, &o, &idx, &err), -1);
}

Test(orm_dependency, backrefs_in_memory_and_wrong_class)
{
    rt_state *u = rt_state_new(User, &err), *v = rt_state_new(User, &err);
    rt_state *a = address("a@x");
    cr_assert_eq(rt_state_rel_append(u, user_addresses, a, &err), 0);
    cr_assert_eq(rt_state_rel_count(u, user_addresses), 1);
    cr_assert_eq(rt_state_rel_load(a, address_user, &err), 0);
    cr_assert_eq(rt_state_rel_item(a, address_user, 0), u);
    cr_assert_eq(rt_state_rel_set(a, address_user, v, &err), 0);   /* moves */
    cr_assert_eq(rt_state_rel_count(u, user_addresses), 0);
    cr_assert_eq(rt_state_rel_item(v, user_addresses, 0), a);
    cr_assert_eq(rt_state_rel_append(u, user_addresses, v, &err), -1);
    cr_assert_not_null(strstr(err.message, "object of class User"), "%s", err.message);
    cr_assert_not_null(strstr(err.message, "expects class Address"), "%s", err.message);
    rt_state_release(a);       /* u, v and a refer to each other: freed by the collector */
    rt_state_release(u);
    rt_state_release(v);
}

Test(orm_dependency, parent_inserted_first_key_copied)
{
    rt_state *u = rt_state_new(User, &err);
    set_text(u, "name", "ed");
    rt_state *a = address("a@x"), *b = address("b@x");
    cr_assert_eq(rt_state_rel_append(u, user_addresses, a, &err), 0);
    cr_assert_eq(rt_state_rel_append(u, user_addresses, b, &err), 0);
    cr_assert_eq(rt_session_add(session, a, &err), 0);        /* cascades along the backref */
    rt_state **news;
    size_t n;
    cr_assert_eq(rt_session_states(session, RT_SESSION_NEW, &news, &n, &err), 0);
    cr_assert_eq(n, 3);
    rt_free(news);
    cr_assert_eq(rt_session_flush(session, &err), 0, "%s", err.message);
    const char *log = rt_buf_str(&echo);
    const char *iu = strstr(log, "INSERT INTO users"), *ia = strstr(log, "INSERT INTO addresses");
    cr_assert(iu && ia && iu < ia, "%s", log);
    cr_assert_eq(get(a, "user_id")->u.i, get(u, "id")->u.i);
    cr_assert_eq(get(b, "user_id")->u.i, get(u, "id")->u.i);
    rt_state_release(a);
    rt_state_release(b);
    rt_state_release(u);
}

Test(orm_dependency, removed_child_nulled_deleted_parent_last)
{
    rt_state *u = new_user("ed", 0);
    rt_state *a = address("a@x"), *b = address("b@x");
    cr_assert_eq(rt_state_rel_append(u, user_addresses, a, &err), 0);
    cr_assert_eq(rt_state_rel_append(u, user_addresses, b, &err), 0);
    cr_assert_eq(rt_session_flush(session, &err), 0, "%s", err.message);
    rt_buf_reset(&echo);
    cr_assert_eq(rt_state_rel_remove(u, user_addresses, a, &err), 0);
    cr_assert_eq(rt_state_rel_count(a, address_user), 0);
    cr_assert_eq(rt_session_flush(session, &err), 0, "%s", err.message);
    cr_assert_not_null(strstr(rt_buf_str(&echo), "UPDATE addresses SET user_id=?"), "%s",
                       rt_buf_str(&echo));
    cr_assert_eq(get(a, "user_id")->type, RT_NULL);
    rt_buf_reset(&echo);
    cr_assert_eq(rt_session_delete(session, u, &err), 0);
    cr_assert_eq(rt_session_flush(session, &err), 0, "%s", err.message);
    const char *log = rt_buf_str(&echo);
    const char *up = strstr(log, "UPDATE addresses"), *du = strstr(log, "DELETE FROM users");
    cr_assert(up && du && up < du, "%s", log);
    cr_assert_eq(count_rows("addresses"), 2);
    cr_assert_eq(count_rows("users"), 0);
    rt_state_release(a);
    rt_state_release(b);
    rt_state_release(u);
}

Test(orm_dependency, orphans_deleted)
{
    rt_mapper_clear_relationships(User);
    rt_mapper_clear_relationships(Address);
    rt_mapper *U2 = rt_mapper_new("U2", users, NULL, NULL, 0, &err);
    rt_mapper *A2 = rt_mapper_new("A2", addresses, NULL, NULL, 0, &err);
    rt_rel_options o = {.uselist = -1, .cascade = RT_CASCADE_ALL | RT_CASCADE_DELETE_ORPHAN};
    size_t r;
    cr_assert_eq(rt_mapper_add_relationship(U2, "addresses", A2, &o, &r, &err), 0);
    rt_state *u = rt_state_new(U2, &err);
    set_text(u, "name", "ed");
    rt_state *a = rt_state_new(A2, &err), *b = rt_state_new(A2, &err);
    cr_assert_eq(rt_state_rel_append(u, r, a, &err), 0);
    cr_assert_eq(rt_state_rel_append(u, r, b, &err), 0);
    cr_assert_eq(rt_session_add(session, u, &err), 0);
    cr_assert_eq(rt_session_flush(session, &err), 0, "%s", err.message);
    cr_assert_eq(rt_state_rel_remove(u, r, a, &err), 0);
    cr_assert_eq(rt_session_flush(session, &err), 0, "%s", err.message);
    cr_assert_eq(count_rows("addresses"), 1);
    cr_assert_eq(rt_session_delete(session, u, &err), 0);   /* cascades to b */
    cr_assert_eq(rt_session_flush(session, &err), 0, "%s", err.message);
    cr_assert_eq(count_rows("addresses"), 0);
    cr_assert_eq(count_rows("users"), 0);
    rt_state_release(a);
    rt_state_release(b);
    rt_state_release(u);
    rt_mapper_clear_relationships(U2);
    rt_mapper_release(U2);
    rt_mapper_release(A2);
}

Test(orm_dependency, self_referential_rows_in_order)
{
    rt_table *nodes = rt_metadata_add_table(md, "nodes", NULL, &err);
    add(nodes, col(nodes, "id", RT_TYPE_INTEGER, 1));
    rt_column *pid = col(nodes, "parent_id", RT_TYPE_INTEGER, 0);
    cr_assert_eq(rt_column_add_foreign_key(pid, "nodes.id", NULL, &err), 0);
    add(nodes, pid);
    rt_conn *c;
    cr_assert_eq(rt_session_connection(session, &c, &err), 0);
    cr_assert_eq(rt_metadata_create_all(c, md, NULL, 0, 1, &err), 0, "%s", err.message);
    rt_mapper *N = rt_mapper_new("Node", nodes, NULL, NULL, 0, &err);
    rt_column *remote[] = {nodes->columns[0]};
    rt_rel_options o = {.uselist = -1, .cascade = RT_CASCADE_DEFAULT, .remote_side = remote, .nremote = 1};
    size_t parent, children;
    cr_assert_eq(rt_mapper_add_relationship(N, "parent", N, &o, &parent, &err), 0, "%s",
                 err.message);
    cr_assert_eq(rt_mapper_rel_direction(N, parent), RT_MANYTOONE);
    o.remote_side = NULL;
    o.nremote = 0;
    cr_assert_eq(rt_mapper_add_relationship(N, "children", N, &o, &children, &err), 0);
    cr_assert_eq(rt_mapper_rel_direction(N, children), RT_ONETOMANY);
    cr_assert_eq(rt_mapper_link_backref(N, parent, children, &err), 0, "%s", err.message);
    rt_state *leaf = rt_state_new(N, &err), *mid = rt_state_new(N, &err);
    rt_state *root = rt_state_new(N, &err);
    cr_assert_eq(rt_state_rel_set(leaf, parent, mid, &err), 0);
    cr_assert_eq(rt_state_rel_append(root, children, mid, &err), 0);
    cr_assert_eq(rt_session_add(session, leaf, &err), 0);     /* added child first */
    rt_buf_reset(&echo);
    cr_assert_eq(rt_session_flush(session, &err), 0, "%s", err.message);
    cr_assert_not_null(strstr(rt_buf_str(&echo), "(nil,)\nINSERT INTO nodes (parent_id) "
                              "VALUES (?)\n(1,)\nINSERT INTO nodes (parent_id) VALUES (?)\n(2,)"),
                       "%s", rt_buf_str(&echo));
    rt_buf_reset(&echo);
    cr_assert_eq(rt_session_delete(session, root, &err), 0);
    cr_assert_eq(rt_session_delete(session, mid, &err), 0);
    cr_assert_eq(rt_session_delete(session, leaf, &err), 0);
    cr_assert_eq(rt_session_flush(session, &err), 0, "%s", err.message);
    cr_assert_not_null(strstr(rt_buf_str(&echo), "[(3,), (2,), (1,)]"), "%s", rt_buf_str(&echo));
    rt_state_release(leaf);
    rt_state_release(mid);
    rt_state_release(root);
    rt_mapper_clear_relationships(N);
    rt_mapper_release(N);
}

/* What the eager loaders and the lazy-load hook of the binding ask: whether a
 * relationship is loaded or would lazy load, whether a many-to-one's lazy
 * load needs SQL, populate without changes, and unload (populate_existing)
 * unless changed. */
Test(orm_dependency, eager_population_and_lazy_state)
{
    rt_state *u = new_user("ed", 0);
    rt_state *a = address("a@x"), *b = address("b@x");
    cr_assert_not(rt_state_rel_loaded(u, user_addresses));
    cr_assert_not(rt_state_rel_lazy_pending(u, user_addresses));    /* pending: no SQL */
    cr_assert_eq(rt_state_rel_append(u, user_addresses, a, &err), 0);
    cr_assert_eq(rt_session_add(session, b, &err), 0);
    cr_assert_eq(rt_session_commit(session, &err), 0, "%s", err.message);
    /* expired by the commit: reading would lazy load */
    cr_assert(rt_state_rel_lazy_pending(u, user_addresses));
    cr_assert(rt_state_rel_lazy_pending(a, address_user));
    cr_assert_not(rt_state_rel_lazy_cached(a, address_user));       /* a's key is expired */
    cr_assert_eq(rt_state_load_expired(a, &err), 0, "%s", err.message);
    cr_assert(rt_state_rel_lazy_cached(a, address_user));           /* u is in the map */
    cr_assert_eq(rt_state_load_expired(b, &err), 0, "%s", err.message);
    cr_assert(rt_state_rel_lazy_cached(b, address_user));           /* NULL foreign key */
    cr_assert_not(rt_state_rel_lazy_cached(u, user_addresses));     /* a collection */
    rt_buf_reset(&echo);
    rt_state *items[] = {a};
    cr_assert_eq(rt_state_rel_populate(u, user_addresses, items, 1, &err), 0);
    cr_assert(rt_state_rel_loaded(u, user_addresses));
    cr_assert_not(rt_state_rel_lazy_pending(u, user_addresses));
    cr_assert_eq(rt_state_rel_count(u, user_addresses), 1);
    cr_assert_not(rt_state_modified(u));
    rt_state *more[] = {a, b};
    cr_assert_eq(rt_state_rel_populate(u, user_addresses, more, 2, &err), 1);   /* kept */
    cr_assert_eq(rt_state_rel_count(u, user_addresses), 1);
    cr_assert_eq(rt_state_rel_unload(u, user_addresses), 0);
    cr_assert(rt_state_rel_lazy_pending(u, user_addresses));
    cr_assert_eq(rt_state_rel_populate(u, user_addresses, more, 2, &err), 0);
    cr_assert_eq(rt_state_rel_count(u, user_addresses), 2);
    cr_assert_str_eq(rt_buf_str(&echo), "");                         /* no SQL */
    cr_assert_eq(rt_state_rel_remove(u, user_addresses, b, &err), 0);
    cr_assert_eq(rt_state_rel_unload(u, user_addresses), 1);        /* changed: kept */
    cr_assert_eq(rt_state_rel_count(u, user_addresses), 1);
    rt_state_release(a);
    rt_state_release(b);
    rt_state_release(u);
}

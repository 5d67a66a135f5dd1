/* l_metadata.c: MetaData and Table objects, create/drop of tables and whole
 * MetaData, reflection (Table(..., {autoload_with = engine}),
 * metadata:reflect()).  inspect() is in l_inspect.c.
 *
 * One Lua object per MetaData and per table (weak registry maps keyed by the
 * core pointers).  A MetaData object keeps its Table objects (uservalue 1)
 * and its bind (uservalue 2); a Table object keeps its MetaData object, so
 * the two live and die together.  A Table object is an l_node over the
 * table's FROM node (core/sql), so select(t), t:join(...) and friends take
 * it like any FROM element; its DML and select shortcuts call the module's
 * functions. */
#include <string.h>

#include "l_schema_int.h"

#define L_MDS "retort.metadatas"   /* registry: weak map rt_metadata* -> object */
#define L_TABLES "retort.tables"   /* registry: weak map rt_table* -> object */

/* === binds === */

rt_conn *l_bind_conn(lua_State *L, int idx, int *close_after)
{
    rt_error err;
    rt_conn *c;
    idx = lua_absindex(L, idx);
    *close_after = 0;
    if (luaL_testudata(L, idx, L_CONN)) {
        lua_pushvalue(L, idx);
        return l_check_conn(L, idx);
    }
    if (!luaL_testudata(L, idx, L_ENGINE))
        luaL_argerror(L, idx, lua_pushfstring(L, "an Engine or Connection expected, got %s",
                                              luaL_typename(L, idx)));
    rt_error_init(&err);
    if (rt_engine_connect(l_check_engine(L, idx)->e, &c, &err) < 0)
        l_raise(L, &err, 0);
    l_push_connection(L, c, idx);
    *close_after = 1;
    return c;
}

/* Replaces a nil bind at idx by the bind of the MetaData at md_idx. */
static void default_bind(lua_State *L, int idx, int md_idx)
{
    if (!lua_isnoneornil(L, idx))
        return;
    lua_getiuservalue(L, md_idx, 2);
    if (lua_isnil(L, -1))
        luaL_error(L, "no Engine or Connection given, and the MetaData is not bound to one");
    lua_replace(L, idx);
}

/* === MetaData objects === */

static void weak_map(lua_State *L, const char *name)
{
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "v");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, name);
}

void l_push_metadata(lua_State *L, rt_metadata *md)
{
    lua_getfield(L, LUA_REGISTRYINDEX, L_MDS);
    if (lua_rawgetp(L, -1, md) != LUA_TNIL) {
        lua_remove(L, -2);
        return;
    }
    lua_pop(L, 1);
    l_metadata *u = lua_newuserdatauv(L, sizeof *u, 2);
    u->md = rt_metadata_retain(md);
    luaL_setmetatable(L, L_METADATA);
    lua_newtable(L);
    lua_setiuservalue(L, -2, 1);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, -3, md);
    lua_remove(L, -2);
}

static rt_metadata *check_md(lua_State *L, int idx)
{
    l_metadata *u = luaL_checkudata(L, idx, L_METADATA);
    if (!u->md)
        luaL_error(L, "attempt to use a freed MetaData");
    return u->md;
}

static int md_gc(lua_State *L)
{
    l_metadata *u = luaL_checkudata(L, 1, L_METADATA);
    rt_metadata_release(u->md);
    u->md = NULL;
    return 0;
}

static void check_bind(lua_State *L, int idx)
{
    if (!lua_isnil(L, idx) && !luaL_testudata(L, idx, L_ENGINE) &&
        !luaL_testudata(L, idx, L_CONN))
        luaL_error(L, "MetaData: bind must be an Engine or Connection, not %s",
                   luaL_typename(L, idx));
}

/* MetaData(), MetaData(engine), MetaData({schema = ..., bind = engine}) */
static int l_metadata_new(lua_State *L)
{
    static const char *const known[] = {"schema", "bind", "naming_convention", NULL};
    lua_settop(L, 1);
    int opts = lua_istable(L, 1) ? 1 : 0;
    l_check_options(L, opts, "MetaData", known);
    rt_metadata *md = rt_metadata_new();
    if (!md)
        return luaL_error(L, "not enough memory");
    l_push_metadata(L, md);
    rt_metadata_release(md);   /* the object holds it */
    int self = lua_gettop(L);
    if (opts && lua_getfield(L, opts, "schema") != LUA_TNIL) {
        char *s = rt_strdup(luaL_checkstring(L, -1));
        rt_free(md->schema);
        md->schema = s;
    }
    if (opts)
        lua_getfield(L, opts, "bind");
    else
        lua_pushvalue(L, 1);
    check_bind(L, lua_gettop(L));
    lua_setiuservalue(L, self, 2);
    lua_settop(L, self);
    return 1;
}

static void push_sorted_tables(lua_State *L, rt_metadata *md)
{
    rt_table **sorted;
    size_t n;
    rt_error err;
    rt_error_init(&err);
    if (rt_metadata_sorted_tables(md, &sorted, &n, &err) < 0)
        l_raise(L, &err, 0);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        l_push_table(L, sorted[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    rt_free(sorted);
}

static int md_index(lua_State *L)
{
    rt_metadata *md = check_md(L, 1);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "tables") == 0) {
        lua_createtable(L, 0, (int)md->ntables);
        for (size_t i = 0; i < md->ntables; i++) {
            l_push_table(L, md->tables[i]);
            lua_setfield(L, -2, md->tables[i]->fullname);
        }
    } else if (strcmp(k, "sorted_tables") == 0) {
        push_sorted_tables(L, md);
    } else if (strcmp(k, "schema") == 0) {
        lua_pushstring(L, md->schema);
    } else if (strcmp(k, "bind") == 0) {
        lua_getiuservalue(L, 1, 2);
    } else {
        lua_getmetatable(L, 1);
        lua_getfield(L, -1, "__methods");
        lua_getfield(L, -1, k);
    }
    return 1;
}

static int md_newindex(lua_State *L)
{
    check_md(L, 1);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "bind") != 0)
        return luaL_error(L, "cannot set '%s' on a MetaData (only bind can be changed)", k);
    check_bind(L, 3);
    lua_settop(L, 3);
    lua_setiuservalue(L, 1, 2);
    return 0;
}

static int md_tostring(lua_State *L)
{
    check_md(L, 1);
    if (lua_getiuservalue(L, 1, 2) == LUA_TNIL)
        lua_pushliteral(L, "MetaData()");
    else
        lua_pushfstring(L, "MetaData(bind=%s)", luaL_tolstring(L, -1, NULL));
    return 1;
}

/* The tables of an option `tables` (Table objects), in a userdata array. */
static rt_table **option_tables(lua_State *L, int opts, size_t *n)
{
    *n = 0;
    if (!opts || lua_getfield(L, opts, "tables") == LUA_TNIL)
        return NULL;
    int list = lua_gettop(L);
    *n = (size_t)luaL_len(L, list);
    rt_table **ts = lua_newuserdatauv(L, (*n ? *n : 1) * sizeof *ts, 0);
    for (size_t i = 0; i < *n; i++) {
        lua_rawgeti(L, list, (lua_Integer)i + 1);
        ts[i] = l_check_table(L, -1);
        lua_pop(L, 1);
    }
    return ts;
}

/* md:create_all([bind], {checkfirst = true, tables = {...}}) and drop_all */
static int md_ddl(lua_State *L, int create)
{
    static const char *const known[] = {"checkfirst", "tables", NULL};
    const char *fn = create ? "create_all" : "drop_all";
    rt_metadata *md = check_md(L, 1);
    int close_after;
    size_t n;
    rt_error err;
    lua_settop(L, 3);
    l_check_options(L, 3, fn, known);
    int checkfirst = l_opt_boolean(L, 3, fn, "checkfirst", 1);
    rt_table **ts = option_tables(L, lua_istable(L, 3) ? 3 : 0, &n);
    default_bind(L, 2, 1);
    rt_conn *c = l_bind_conn(L, 2, &close_after);
    rt_error_init(&err);
    int rc = (create ? rt_metadata_create_all : rt_metadata_drop_all)(c, md, ts, n, checkfirst,
                                                                     &err);
    if (close_after)
        rt_conn_close(c);
    return rc < 0 ? l_raise(L, &err, 0) : 0;
}

static int md_create_all(lua_State *L) { return md_ddl(L, 1); }
static int md_drop_all(lua_State *L) { return md_ddl(L, 0); }

/* md:reflect([bind], {only = {...}, schema = ...}) */
static int md_reflect(lua_State *L)
{
    static const char *const known[] = {"only", "schema", "views", NULL};
    rt_metadata *md = check_md(L, 1);
    int close_after;
    rt_error err;
    lua_settop(L, 3);
    l_check_options(L, 3, "reflect", known);
    const char *schema = NULL;
    size_t nonly = 0;
    const char **only = NULL;
    if (lua_istable(L, 3) && lua_getfield(L, 3, "schema") != LUA_TNIL)
        schema = luaL_checkstring(L, -1);
    if (lua_istable(L, 3) && lua_getfield(L, 3, "only") != LUA_TNIL) {
        int list = lua_gettop(L);
        luaL_checktype(L, list, LUA_TTABLE);
        nonly = (size_t)luaL_len(L, list);
        only = lua_newuserdatauv(L, (nonly ? nonly : 1) * sizeof *only, 0);
        for (size_t i = 0; i < nonly; i++) {
            lua_rawgeti(L, list, (lua_Integer)i + 1);
            only[i] = luaL_checkstring(L, -1);   /* anchored by the list */
            lua_pop(L, 1);
        }
    }
    default_bind(L, 2, 1);
    rt_conn *c = l_bind_conn(L, 2, &close_after);
    rt_error_init(&err);
    int rc = rt_metadata_reflect(c, md, schema, only, only ? nonly : 0, &err);
    if (close_after)
        rt_conn_close(c);
    return rc < 0 ? l_raise(L, &err, 0) : 0;
}

/* === Table objects === */

void l_push_table(lua_State *L, rt_table *t)
{
    lua_getfield(L, LUA_REGISTRYINDEX, L_TABLES);
    if (lua_rawgetp(L, -1, t) != LUA_TNIL) {
        lua_remove(L, -2);
        return;
    }
    lua_pop(L, 1);
    l_table *u = lua_newuserdatauv(L, sizeof *u, 2);   /* its MetaData, its .c */
    u->n = NULL;
    u->t = t;
    luaL_setmetatable(L, L_TABLE);
    int self = lua_gettop(L);
    l_push_metadata(L, t->metadata);
    lua_getiuservalue(L, -1, 1);       /* the MetaData's tables */
    lua_pushvalue(L, self);
    lua_setfield(L, -2, t->fullname);
    lua_pop(L, 1);
    lua_setiuservalue(L, self, 1);
    lua_pushvalue(L, self);
    lua_rawsetp(L, -3, t);
    lua_remove(L, -2);
    rt_error err;
    rt_error_init(&err);
    u->n = rt_table_node(t, &err);
    if (!u->n)
        l_raise(L, &err, 0);
}

static l_table *check_table_u(lua_State *L, int idx)
{
    l_table *u = luaL_checkudata(L, idx, L_TABLE);
    if (!u->t)
        luaL_error(L, "attempt to use a freed Table");
    return u;
}

rt_table *l_check_table(lua_State *L, int idx) { return check_table_u(L, idx)->t; }

static int table_gc(lua_State *L)
{
    l_table *u = luaL_checkudata(L, 1, L_TABLE);
    rt_node_release(u->n);
    u->n = NULL;
    u->t = NULL;
    return 0;
}

static int table_tostring(lua_State *L)
{
    lua_pushstring(L, rt_table_fullname(l_check_table(L, 1)));
    return 1;
}

static void push_primary_key(lua_State *L, rt_table *t)
{
    const rt_constraint *pk = rt_table_primary_key(t);
    lua_createtable(L, (int)pk->ncols, 0);
    for (size_t i = 0; i < pk->ncols; i++) {
        l_push_column_object(L, pk->columns[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

/* t.c: one ColumnCollection per table, kept as the table's uservalue 2 */
static void push_table_columns(lua_State *L)
{
    if (lua_getiuservalue(L, 1, 2) == LUA_TUSERDATA)
        return;
    lua_pop(L, 1);
    l_push_columns(L, 1);
    lua_pushvalue(L, -1);
    lua_setiuservalue(L, 1, 2);
}

/* Whether k may name a property rather than a method (t:select() is the hot
 * case: no string comparisons for it). */
static int maybe_property(const char *k)
{
    switch (k[0]) {
    case 'c': case 'n': case 'f': case 'k': case 'm': case 'p': case 'i': return 1;
    case 's': return k[1] == 'c';   /* schema */
    default: return 0;
    }
}

static int table_index(lua_State *L)
{
    rt_table *t = l_check_table(L, 1);
    const char *k = luaL_checkstring(L, 2);
    if (!maybe_property(k)) {
        lua_getmetatable(L, 1);
        lua_getfield(L, -1, "__methods");
        lua_getfield(L, -1, k);
    } else if (strcmp(k, "c") == 0 || strcmp(k, "columns") == 0)
        push_table_columns(L);
    else if (strcmp(k, "name") == 0)
        lua_pushstring(L, t->name);
    else if (strcmp(k, "schema") == 0)
        lua_pushstring(L, t->schema);
    else if (strcmp(k, "fullname") == 0 || strcmp(k, "key") == 0)
        lua_pushstring(L, t->fullname);
    else if (strcmp(k, "comment") == 0)
        lua_pushstring(L, t->comment);
    else if (strcmp(k, "metadata") == 0)
        lua_getiuservalue(L, 1, 1);
    else if (strcmp(k, "primary_key") == 0)
        push_primary_key(L, t);
    else if (strcmp(k, "foreign_keys") == 0)
        l_push_foreign_keys(L, t, NULL);
    else if (strcmp(k, "constraints") == 0)
        l_push_constraints(L, t);
    else if (strcmp(k, "indexes") == 0)
        l_push_indexes(L, t);
    else {
        lua_getmetatable(L, 1);
        lua_getfield(L, -1, "__methods");
        lua_getfield(L, -1, k);
    }
    return 1;
}

/* t:create([bind], {checkfirst = false}) and t:drop(...) */
static int table_ddl(lua_State *L, int create)
{
    static const char *const known[] = {"checkfirst", NULL};
    const char *fn = create ? "create" : "drop";
    rt_table *t = l_check_table(L, 1);
    int close_after;
    rt_error err;
    lua_settop(L, 3);
    l_check_options(L, 3, fn, known);
    int checkfirst = l_opt_boolean(L, 3, fn, "checkfirst", 0);
    if (lua_isnil(L, 2)) {
        lua_getiuservalue(L, 1, 1);
        default_bind(L, 2, lua_gettop(L));
    }
    rt_conn *c = l_bind_conn(L, 2, &close_after);
    rt_error_init(&err);
    int rc = (create ? rt_table_create : rt_table_drop)(c, t, checkfirst, &err);
    if (close_after)
        rt_conn_close(c);
    return rc < 0 ? l_raise(L, &err, 0) : 0;
}

static int table_create(lua_State *L) { return table_ddl(L, 1); }
static int table_drop(lua_State *L) { return table_ddl(L, 0); }

/* t:tometadata(other_md, {schema = ...}) -> the copy's Table object */
static int table_tometadata(lua_State *L)
{
    static const char *const known[] = {"schema", "name", NULL};
    rt_table *t = l_check_table(L, 1);
    rt_metadata *md = check_md(L, 2);
    rt_error err;
    l_check_options(L, 3, "tometadata", known);
    const char *schema = NULL;
    if (lua_istable(L, 3) && lua_getfield(L, 3, "schema") != LUA_TNIL)
        schema = luaL_checkstring(L, -1);
    rt_error_init(&err);
    rt_table *copy = rt_table_copy_to(t, md, schema, &err);
    if (!copy)
        return l_raise(L, &err, 0);
    l_push_table(L, copy);
    return 1;
}

/* Calls module[name](args at 1..top) and returns its results. */
static int call_module(lua_State *L, const char *name)
{
    int nargs = lua_gettop(L);
    l_push_module(L);
    if (lua_getfield(L, -1, name) == LUA_TNIL)
        return luaL_error(L, "%s() is not available", name);
    lua_remove(L, -2);
    lua_insert(L, 1);
    lua_call(L, nargs, LUA_MULTRET);
    return lua_gettop(L);
}

/* Calls obj:method(arg) on the value at -1 when arg (at idx) is given. */
static void then_call(lua_State *L, const char *method, int idx)
{
    if (lua_isnoneornil(L, idx))
        return;
    lua_getfield(L, -1, method);
    lua_insert(L, -2);
    lua_pushvalue(L, idx);
    lua_call(L, 2, 1);
}

/* t:select([whereclause]), t:insert([values]), t:update([whereclause], [values]),
 * t:delete([whereclause]) */
static int table_dml(lua_State *L, const char *fn, int where_idx, int values_idx)
{
    check_table_u(L, 1);
    lua_settop(L, 3);
    l_push_module(L);
    if (lua_getfield(L, -1, fn) == LUA_TNIL)
        return luaL_error(L, "%s() is not available", fn);
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    if (where_idx)
        then_call(L, "where", where_idx);
    if (values_idx)
        then_call(L, "values", values_idx);
    return 1;
}

static int table_select(lua_State *L) { return table_dml(L, "select", 2, 0); }
static int table_insert(lua_State *L) { return table_dml(L, "insert", 0, 2); }
static int table_update(lua_State *L) { return table_dml(L, "update", 2, 3); }
static int table_delete(lua_State *L) { return table_dml(L, "delete", 2, 0); }
static int table_join(lua_State *L) { return call_module(L, "join"); }
static int table_outerjoin(lua_State *L) { return call_module(L, "outerjoin"); }
static int table_alias(lua_State *L) { return call_module(L, "alias"); }

/* === Table(name, metadata, items..., {options}) === */

/* Checks the items at first..last before anything is made. */
static int check_items(lua_State *L, int first, int last, const rt_table *existing)
{
    int ncols = 0;
    for (int i = first; i <= last; i++) {
        l_column *u = l_test_column(L, i);
        const char *kind = u ? NULL : l_item_kind(L, i);
        if (!u && (!kind || strcmp(kind, "ForeignKey") == 0 || strcmp(kind, "Sequence") == 0))
            return luaL_argerror(L, i, lua_pushfstring(L, "Table: a Column, a constraint or "
                                                          "an Index expected, got %s",
                                                       kind ? kind : luaL_typename(L, i)));
        if (!u)
            continue;
        ncols++;
        if (u->c->table)
            return l_raisef(L, RT_ERR_ARGUMENT, "Column object '%s' already assigned to Table "
                                                "'%s'", u->c->name, u->c->table->name);
        if (!u->c->name)
            return l_raisef(L, RT_ERR_ARGUMENT, "Column must be constructed with a non-blank "
                                                "name or assign a non-blank .name before "
                                                "adding to a Table.");
        for (int j = first; j < i; j++) {
            l_column *o = l_test_column(L, j);
            if (o == u || (o && (strcmp(o->c->name, u->c->name) == 0 ||
                                 strcmp(o->c->key, u->c->key) == 0)))
                return l_raisef(L, RT_ERR_ARGUMENT, "Table: column '%s' is given twice",
                                u->c->name);
        }
        if (existing && (rt_table_column_by_name(existing, u->c->name) ||
                         rt_table_column(existing, u->c->key)))
            return l_raisef(L, RT_ERR_ARGUMENT, "Table '%s' already has a column named '%s'",
                            existing->name, u->c->name);
    }
    return ncols;
}

/* Adds the items to t: columns first, then constraints and indexes.
 * `fresh`: t is new, so on failure it is discarded (columns handed back). */
static int add_items(lua_State *L, int first, int last, rt_table *t, int fresh, rt_error *err)
{
    for (int i = first; i <= last; i++) {
        l_column *u = l_test_column(L, i);
        if (u && rt_table_add_column(t, u->c, err) < 0)
            goto fail;
        if (u && !fresh)
            l_column_attached(L, i);
    }
    for (int i = first; i <= last; i++)
        if (!l_test_column(L, i) && l_item_attach(L, i, t, err) < 0)
            goto fail;
    return 0;
fail:
    if (fresh)
        rt_metadata_discard_table(t->metadata, t);
    return -1;
}

static rt_table *reflect_new(lua_State *L, int bind, rt_metadata *md, const char *name,
                             const char *schema)
{
    int close_after;
    rt_table *t;
    rt_error err;
    rt_error_init(&err);
    rt_conn *c = l_bind_conn(L, bind, &close_after);
    int rc = rt_reflect_table(c, md, name, schema, 1, &t, &err);
    if (close_after)
        rt_conn_close(c);
    lua_pop(L, 1);
    if (rc < 0)
        l_raise(L, &err, 0);
    return t;
}

static int table_options(lua_State *L, int top)
{
    static const char *const known[] = {"schema", "autoload_with", "autoload",
                                        "extend_existing", "keep_existing", "comment", "info",
                                        "quote", "useexisting", NULL};
    if (top < 3 || !lua_istable(L, top) || l_item_kind(L, top))
        return 0;
    if (lua_getmetatable(L, top)) {
        lua_pop(L, 1);
        return 0;
    }
    l_check_options(L, top, "Table", known);
    return top;
}

static int l_table_new(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    rt_metadata *md = check_md(L, 2);
    int opts = table_options(L, lua_gettop(L));
    int last = opts ? opts - 1 : lua_gettop(L);
    const char *schema = md->schema;
    if (opts && lua_getfield(L, opts, "schema") != LUA_TNIL)
        schema = luaL_checkstring(L, -1);
    int extend = l_opt_boolean(L, opts, "Table", "extend_existing", 0) ||
                 l_opt_boolean(L, opts, "Table", "useexisting", 0);
    int keep = l_opt_boolean(L, opts, "Table", "keep_existing", 0);
    int bind = 0;
    if (opts && lua_getfield(L, opts, "autoload_with") != LUA_TNIL)
        bind = lua_gettop(L);
    else if (l_opt_boolean(L, opts, "Table", "autoload", 0)) {
        lua_getiuservalue(L, 2, 2);
        default_bind(L, lua_gettop(L), 2);
        bind = lua_gettop(L);
    }
    lua_pushfstring(L, schema ? "%s.%s" : "%s%s", schema ? schema : "", name);
    rt_table *t = rt_metadata_table(md, lua_tostring(L, -1));
    int nitems = last - 2;
    if (t && (keep || (nitems == 0 && !extend))) {
        l_push_table(L, t);
        return 1;
    }
    if (t && !extend)
        return l_raisef(L, RT_ERR_INVALID_REQUEST,
                        "Table '%s' is already defined for this MetaData instance.  Specify "
                        "'extend_existing=true' to redefine options and columns on an existing "
                        "Table object.", rt_table_fullname(t));
    check_items(L, 3, last, t);
    int fresh = !t && !bind;
    rt_error err;
    rt_error_init(&err);
    if (!t && bind)
        t = reflect_new(L, bind, md, name, schema);
    else if (!t && !(t = rt_metadata_add_table(md, name, schema, &err)))
        return l_raise(L, &err, 0);
    if (opts && lua_getfield(L, opts, "comment") == LUA_TSTRING) {
        char *c = rt_strdup(lua_tostring(L, -1));
        rt_free(t->comment);
        t->comment = c;
    }
    if (add_items(L, 3, last, t, fresh, &err) < 0)
        return l_raise(L, &err, 0);
    l_push_table(L, t);
    for (int i = 3; fresh && i <= last; i++)
        if (l_test_column(L, i))
            l_column_attached(L, i);
    return 1;
}

void l_open_metadata(lua_State *L, int module)
{
    static const luaL_Reg md_meta[] = {{"__gc", md_gc},
                                       {"__index", md_index},
                                       {"__newindex", md_newindex},
                                       {"__tostring", md_tostring},
                                       {NULL, NULL}};
    static const luaL_Reg md_methods[] = {{"create_all", md_create_all},
                                          {"drop_all", md_drop_all},
                                          {"reflect", md_reflect},
                                          {NULL, NULL}};
    static const luaL_Reg t_meta[] = {{"__gc", table_gc},
                                      {"__index", table_index},
                                      {"__tostring", table_tostring},
                                      {NULL, NULL}};
    static const luaL_Reg t_methods[] = {{"create", table_create},
                                         {"drop", table_drop},
                                         {"tometadata", table_tometadata},
                                         {"to_metadata", table_tometadata},
                                         {"select", table_select},
                                         {"insert", table_insert},
                                         {"update", table_update},
                                         {"delete", table_delete},
                                         {"join", table_join},
                                         {"outerjoin", table_outerjoin},
                                         {"alias", table_alias},
                                         {NULL, NULL}};
    weak_map(L, L_MDS);
    weak_map(L, L_TABLES);
    l_new_class(L, L_METADATA, md_meta, md_methods);
    lua_pop(L, 1);
    l_new_class(L, L_TABLE, t_meta, t_methods);
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "__rt_node");
    lua_pop(L, 1);
    lua_pushcfunction(L, l_metadata_new);
    lua_setfield(L, module, "MetaData");
    lua_pushcfunction(L, l_table_new);
    lua_setfield(L, module, "Table");
}

/* l_inspect.c: inspect(engine_or_connection): the Inspector, which answers
 * questions about the database (table names, columns, primary key, foreign
 * keys, indexes, unique constraints) as plain Lua tables, in SQLAlchemy's
 * shapes.  Each question reflects the table into a private MetaData
 * (core/engine/reflect.c) and reads the answer from it. */
#include <string.h>

#include "l_schema_int.h"

typedef struct l_inspector { int unused; } l_inspector;   /* uservalue 1: the bind */

static int l_inspect(lua_State *L)
{
    if (!luaL_testudata(L, 1, L_ENGINE) && !luaL_testudata(L, 1, L_CONN))
        return luaL_argerror(L, 1, "an Engine or Connection expected");
    lua_newuserdatauv(L, sizeof(l_inspector), 1);
    luaL_setmetatable(L, L_INSPECTOR);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    return 1;
}

static const char *insp_schema(lua_State *L, int opts)
{
    static const char *const known[] = {"schema", NULL};
    l_check_options(L, opts, "Inspector", known);
    if (lua_istable(L, opts) && lua_getfield(L, opts, "schema") != LUA_TNIL)
        return luaL_checkstring(L, -1);
    return NULL;
}

/* Reflects table arg 2 of the inspector at 1 into a new, private MetaData
 * (its object is pushed to keep it alive). */
static rt_table *insp_reflect(lua_State *L, rt_conn **conn, int *close_after)
{
    luaL_checkudata(L, 1, L_INSPECTOR);
    const char *name = luaL_checkstring(L, 2);
    const char *schema = insp_schema(L, 3);
    rt_error err;
    rt_table *t;
    lua_getiuservalue(L, 1, 1);
    *conn = l_bind_conn(L, lua_gettop(L), close_after);
    rt_metadata *md = rt_metadata_new();
    if (!md)
        luaL_error(L, "not enough memory");
    l_push_metadata(L, md);
    rt_metadata_release(md);
    rt_error_init(&err);
    if (rt_reflect_table(*conn, md, name, schema, 0, &t, &err) < 0) {
        if (*close_after)
            rt_conn_close(*conn);
        l_raise(L, &err, 0);
    }
    return t;
}

static void push_names(lua_State *L, rt_column *const *cols, size_t n)
{
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, cols[i]->name);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

static void set_field_string(lua_State *L, const char *k, const char *v)
{
    if (v)
        lua_pushstring(L, v);
    else
        lua_pushnil(L);
    lua_setfield(L, -2, k);
}

static void push_column_info(lua_State *L, const rt_column *c)
{
    lua_createtable(L, 0, 6);
    set_field_string(L, "name", c->name);
    if (c->type)
        l_push_type(L, c->type);
    else
        lua_pushnil(L);
    lua_setfield(L, -2, "type");
    lua_pushboolean(L, rt_column_nullable(c));
    lua_setfield(L, -2, "nullable");
    const rt_default *d = &c->server_default;
    set_field_string(L, "default",
                     d->kind == RT_DEFAULT_TEXT ? d->text
                     : d->kind == RT_DEFAULT_EXPR ? rt_text_source(d->expr.node)
                                                  : NULL);
    lua_pushboolean(L, rt_column_autoincrements(c));
    lua_setfield(L, -2, "autoincrement");
    lua_pushboolean(L, c->primary_key);
    lua_setfield(L, -2, "primary_key");
}

/* Runs the inspector query `what` on table arg 2. */
static int insp_table(lua_State *L, int what)
{
    rt_conn *c;
    int close_after;
    rt_table *t = insp_reflect(L, &c, &close_after);
    size_t n = 0;
    lua_newtable(L);
    if (what == 'c') {
        for (size_t i = 0; i < t->ncols; i++) {
            push_column_info(L, t->columns[i]);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
    } else if (what == 'p') {
        const rt_constraint *pk = rt_table_primary_key(t);
        push_names(L, pk->columns, pk->ncols);
        lua_setfield(L, -2, "constrained_columns");
        set_field_string(L, "name", pk->name);
    } else if (what == 'i') {
        for (size_t i = 0; i < t->nindexes; i++) {
            lua_createtable(L, 0, 3);
            set_field_string(L, "name", t->indexes[i]->name);
            push_names(L, t->indexes[i]->columns, t->indexes[i]->ncols);
            lua_setfield(L, -2, "column_names");
            lua_pushboolean(L, t->indexes[i]->unique);
            lua_setfield(L, -2, "unique");
            lua_rawseti(L, -2, (lua_Integer)++n);
        }
    } else if (what == 'u') {
        for (size_t i = 0; i < t->nconstraints; i++) {
            const rt_constraint *k = t->constraints[i];
            if (k->kind != RT_CONSTRAINT_UNIQUE)
                continue;
            lua_createtable(L, 0, 2);
            set_field_string(L, "name", k->name);
            push_names(L, k->columns, k->ncols);
            lua_setfield(L, -2, "column_names");
            lua_rawseti(L, -2, (lua_Integer)++n);
        }
    }
    if (close_after)
        rt_conn_close(c);
    return 1;
}

/* {name, constrained_columns, referred_schema, referred_table,
 *  referred_columns, options = {ondelete, onupdate}} for each foreign key */
static void push_fk_info(lua_State *L, rt_conn *c, const rt_constraint *k)
{
    char *tname = NULL, *cname = NULL;
    lua_createtable(L, 0, 6);
    set_field_string(L, "name", k->name);
    push_names(L, k->columns, k->ncols);
    lua_setfield(L, -2, "constrained_columns");
    lua_createtable(L, (int)k->ncols, 0);
    for (size_t i = 0; i < k->ncols; i++) {
        if (rt_fk_target_split(k->fk.targets[i], &tname, &cname) < 0)
            luaL_error(L, "not enough memory");
        if (!cname) {   /* SQLite names only the table: its primary key */
            rt_error err;
            rt_error_init(&err);
            rt_column *target = rt_foreign_key_target(k, i, k->table->metadata, &err);
            rt_error_clear(&err);
            if (!target)
                rt_reflect_table(c, k->table->metadata, tname, NULL, 0, NULL, &err);
            rt_error_clear(&err);
            target = rt_foreign_key_target(k, i, k->table->metadata, &err);
            rt_error_clear(&err);
            cname = target ? rt_strdup(target->name) : NULL;
        }
        lua_pushstring(L, cname);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
        if (i == 0) {
            const char *dot = strrchr(tname, '.');
            lua_pushstring(L, dot ? dot + 1 : tname);
            lua_setfield(L, -3, "referred_table");
            if (dot) {
                lua_pushlstring(L, tname, (size_t)(dot - tname));
                lua_setfield(L, -3, "referred_schema");
            }
        }
        rt_free(tname);
        rt_free(cname);
    }
    lua_setfield(L, -2, "referred_columns");
    lua_createtable(L, 0, 2);
    set_field_string(L, "ondelete", k->fk.ondelete);
    set_field_string(L, "onupdate", k->fk.onupdate);
    lua_setfield(L, -2, "options");
}

static int insp_foreign_keys(lua_State *L)
{
    rt_conn *c;
    int close_after;
    rt_table *t = insp_reflect(L, &c, &close_after);
    lua_Integer n = 0;
    lua_newtable(L);
    for (size_t i = 0; i < t->nconstraints; i++) {
        if (t->constraints[i]->kind != RT_CONSTRAINT_FOREIGN_KEY)
            continue;
        push_fk_info(L, c, t->constraints[i]);
        lua_rawseti(L, -2, ++n);
    }
    if (close_after)
        rt_conn_close(c);
    return 1;
}

static int insp_columns(lua_State *L) { return insp_table(L, 'c'); }
static int insp_pk(lua_State *L) { return insp_table(L, 'p'); }
static int insp_indexes(lua_State *L) { return insp_table(L, 'i'); }
static int insp_uniques(lua_State *L) { return insp_table(L, 'u'); }

static int insp_table_names(lua_State *L)
{
    luaL_checkudata(L, 1, L_INSPECTOR);
    const char *schema = insp_schema(L, 2);
    int close_after;
    char **names;
    size_t n;
    rt_error err;
    lua_getiuservalue(L, 1, 1);
    rt_conn *c = l_bind_conn(L, lua_gettop(L), &close_after);
    rt_error_init(&err);
    int rc = rt_reflect_table_names(c, schema, &names, &n, &err);
    if (close_after)
        rt_conn_close(c);
    if (rc < 0)
        return l_raise(L, &err, 0);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, names[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    rt_reflect_names_free(names, n);
    return 1;
}

static int insp_has_table(lua_State *L)
{
    luaL_checkudata(L, 1, L_INSPECTOR);
    const char *name = luaL_checkstring(L, 2);
    const char *schema = insp_schema(L, 3);
    int close_after, exists = 0;
    rt_error err;
    lua_getiuservalue(L, 1, 1);
    rt_conn *c = l_bind_conn(L, lua_gettop(L), &close_after);
    rt_error_init(&err);
    int rc = rt_has_table(c, name, schema, &exists, &err);
    if (close_after)
        rt_conn_close(c);
    if (rc < 0)
        return l_raise(L, &err, 0);
    lua_pushboolean(L, exists);
    return 1;
}

void l_open_inspect(lua_State *L, int module)
{
    static const luaL_Reg methods[] = {{"get_table_names", insp_table_names},
                                       {"get_columns", insp_columns},
                                       {"get_pk_constraint", insp_pk},
                                       {"get_foreign_keys", insp_foreign_keys},
                                       {"get_indexes", insp_indexes},
                                       {"get_unique_constraints", insp_uniques},
                                       {"has_table", insp_has_table},
                                       {NULL, NULL}};
    static const luaL_Reg meta[] = {{NULL, NULL}};
    l_new_class(L, L_INSPECTOR, meta, methods);
    lua_pop(L, 1);
    lua_pushcfunction(L, l_inspect);
    lua_setfield(L, module, "inspect");
}

/* l_types.c: SQL type objects in Lua (retort.TypeEngine): the generic types
 * (Integer, String, Numeric, DateTime, Enum, JSON, ...) and the upper-case SQL
 * ones (VARCHAR, TIMESTAMP, ...), each usable bare (`String`) or called
 * (`String(50)`); TypeDecorator with Lua hooks; and l_type_process, the value
 * conversion by type that the execution path applies to parameters and
 * results.
 *
 * One Lua object per rt_sqltype (weak registry map), so `users.c.name.type`
 * is the same object each time.  A decorator's hooks live in a registry table
 * referenced from rt_sqltype.user_ref and released with the type through the
 * schema's ref hooks, which this file installs. */
#include <stdio.h>
#include <ctype.h>
#include <string.h>

#include "l_common.h"

#define L_TYPES "retort.types"   /* registry: weak map rt_sqltype* -> object */

/* === registry references held by schema objects === */

static void ref_release(void *ctx, int ref)
{
    lua_State *L = ctx;
    luaL_unref(L, LUA_REGISTRYINDEX, ref);
}

static int ref_dup(void *ctx, int ref)
{
    lua_State *L = ctx;
    if (!lua_checkstack(L, 2))
        return 0;
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    return luaL_ref(L, LUA_REGISTRYINDEX);
}

/* The state every registry reference is made through (the main thread, which
 * lives as long as the registry). */
static void *ref_ctx(lua_State *L)
{
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
    void *ctx = lua_tothread(L, -1);
    lua_pop(L, 1);
    return ctx;
}

/* === type objects === */

static l_type *test_type(lua_State *L, int idx)
{
    l_type *u = luaL_testudata(L, idx, L_TYPE);
    return u && u->t ? u : NULL;
}

rt_sqltype *l_to_type(lua_State *L, int idx)
{
    l_type *u = test_type(L, idx);
    if (!u)
        luaL_argerror(L, idx, lua_pushfstring(L, "a type (Integer, String(50), ...) expected, "
                                                 "got %s", luaL_typename(L, idx)));
    return u->t;
}

/* Pushes the object of t (retaining t for a new object). */
int l_push_type(lua_State *L, rt_sqltype *t)
{
    lua_getfield(L, LUA_REGISTRYINDEX, L_TYPES);
    if (lua_rawgetp(L, -1, t) != LUA_TNIL) {
        lua_remove(L, -2);
        return 1;
    }
    lua_pop(L, 1);
    l_type *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->t = rt_type_retain(t);
    luaL_setmetatable(L, L_TYPE);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, -3, t);
    lua_remove(L, -2);
    return 1;
}

/* Pushes a new type object owning t (one reference), or raises on OOM. */
static int push_new_type(lua_State *L, rt_sqltype *t)
{
    if (!t)
        return luaL_error(L, "not enough memory");
    l_push_type(L, t);
    rt_type_release(t);   /* the object holds its own reference */
    return 1;
}

static int type_gc(lua_State *L)
{
    l_type *u = luaL_checkudata(L, 1, L_TYPE);
    rt_type_release(u->t);
    u->t = NULL;
    return 0;
}

static int type_tostring(lua_State *L)
{
    rt_buf b;
    rt_buf_init(&b);
    rt_type_ddl(rt_dialect_default(), l_to_type(L, 1), &b);
    lua_pushstring(L, rt_buf_str(&b));
    rt_buf_free(&b);
    return 1;
}

/* === constructors: calling a type object makes a new one of its kind === */

/* Reads an integer argument (positional at pos, or opts[key]); -1 when absent. */
static int int_arg(lua_State *L, int pos, int opts, const char *fn, const char *key)
{
    if (lua_isinteger(L, pos))
        return (int)lua_tointeger(L, pos);
    if (!lua_isnoneornil(L, pos) && !lua_istable(L, pos))
        luaL_argerror(L, pos, lua_pushfstring(L, "%s: an integer expected", fn));
    return (int)l_opt_integer(L, opts, fn, key, -1);
}

static int opts_index(lua_State *L)
{
    int top = lua_gettop(L);
    return top >= 2 && lua_istable(L, top) && !test_type(L, top) ? top : 0;
}

/* Enum("a", "b", {name = ...}) or Enum({"a", "b"}, {...}) */
static int set_enum(lua_State *L, rt_sqltype *t, int opts)
{
    static const char *const known[] = {"name", "native_enum", "create_constraint", "length",
                                        NULL};
    const char *labels[256];
    size_t n = 0;
    if (opts == 2) {        /* Enum({"a", "b"}): the labels, not options */
        int list = lua_rawgeti(L, 2, 1) != LUA_TNIL;
        lua_pop(L, 1);
        if (list)
            opts = 0;
    }
    int last = opts ? opts - 1 : lua_gettop(L);
    int list = last == 2 && lua_istable(L, 2);
    int count = list ? (int)luaL_len(L, 2) : last - 1;
    if (count > 256)
        return luaL_error(L, "Enum: too many labels");
    for (int i = 0; i < count; i++) {
        if (list)
            lua_rawgeti(L, 2, i + 1);
        else
            lua_pushvalue(L, i + 2);
        if (lua_type(L, -1) != LUA_TSTRING)
            return luaL_error(L, "Enum: labels must be strings, not %s", luaL_typename(L, -1));
        labels[n++] = lua_tostring(L, -1);   /* anchored by the argument */
        lua_pop(L, 1);
    }
    l_check_options(L, opts, "Enum", known);
    const char *name = NULL;
    if (opts && lua_getfield(L, opts, "name") == LUA_TSTRING)
        name = lua_tostring(L, -1);
    if (rt_type_set_enum(t, labels, n, name) < 0)
        return luaL_error(L, "not enough memory");
    t->native_enum = l_opt_boolean(L, opts, "Enum", "native_enum", 1);
    int length = (int)l_opt_integer(L, opts, "Enum", "length", -1);
    if (length >= 0)
        t->length = length;
    return 0;
}

/* Fills the arguments of a new type of t's kind from the call's arguments. */
static void type_args(lua_State *L, rt_sqltype *t, const char *fn)
{
    static const char *const length_opts[] = {"length", "collation", NULL};
    static const char *const num_opts[] = {"precision", "scale", "asdecimal", NULL};
    static const char *const tz_opts[] = {"timezone", NULL};
    int opts = opts_index(L);
    switch (t->kind) {
    case RT_TYPE_STRING: case RT_TYPE_TEXT: case RT_TYPE_UNICODE: case RT_TYPE_UNICODE_TEXT:
    case RT_TYPE_LARGEBINARY:
        l_check_options(L, opts, fn, length_opts);
        t->length = int_arg(L, 2, opts, fn, "length");
        break;
    case RT_TYPE_NUMERIC: case RT_TYPE_FLOAT:
        l_check_options(L, opts, fn, num_opts);
        t->precision = int_arg(L, 2, opts, fn, "precision");
        t->scale = t->kind == RT_TYPE_NUMERIC ? int_arg(L, 3, opts, fn, "scale") : -1;
        t->asdecimal = l_opt_boolean(L, opts, fn, "asdecimal", t->kind == RT_TYPE_NUMERIC);
        break;
    case RT_TYPE_DATETIME: case RT_TYPE_TIME:
        l_check_options(L, opts ? opts : (lua_istable(L, 2) ? 2 : 0), fn, tz_opts);
        t->timezone = l_opt_boolean(L, opts ? opts : (lua_istable(L, 2) ? 2 : 0), fn,
                                    "timezone", 0);
        break;
    case RT_TYPE_ENUM:
        set_enum(L, t, opts);
        break;
    default:
        if (lua_gettop(L) > 1 && !(lua_gettop(L) == 2 && lua_istable(L, 2)))
            luaL_error(L, "%s() takes no arguments", fn);
        break;
    }
}

/* The class-like name of a type for messages: String, VARCHAR, MyType. */
static void type_name(const rt_sqltype *t, char *out, size_t cap)
{
    snprintf(out, cap, "%s", t->kind == RT_TYPE_DECORATOR && t->decorator_name
                                 ? t->decorator_name
                                 : t->sqlname ? t->sqlname : rt_typekind_name(t->kind));
}

/* MyType(...): a new decorator with the same hooks over impl(...). */
static int decorator_call(lua_State *L, rt_sqltype *proto)
{
    int nargs = lua_gettop(L) - 1;
    rt_sqltype *t = rt_type_copy(proto);
    push_new_type(L, t);               /* anchors t */
    lua_insert(L, 1);                  /* 1 new object, 2 prototype, 3.. args */
    l_push_type(L, proto->impl);
    lua_replace(L, 2);
    lua_call(L, nargs, 1);             /* impl(...) */
    rt_sqltype *impl = l_to_type(L, -1);
    rt_type_release(t->impl);
    t->impl = rt_type_retain(impl);
    lua_settop(L, 1);
    return 1;
}

static int type_call(lua_State *L)
{
    rt_sqltype *proto = l_to_type(L, 1);
    char name[64];
    if (proto->kind == RT_TYPE_DECORATOR)
        return decorator_call(L, proto);
    type_name(proto, name, sizeof name);
    rt_sqltype *t = rt_type_new(proto->kind);
    if (!t || rt_type_set_sqlname(t, proto->sqlname) < 0) {
        rt_type_release(t);
        return luaL_error(L, "not enough memory");
    }
    push_new_type(L, t);
    lua_replace(L, 1);     /* the new object replaces the prototype */
    type_args(L, t, name);
    lua_settop(L, 1);
    return 1;
}

/* TypeDecorator({impl = String(50), process_bind_param = fn,
 *                process_result_value = fn, name = "MyType",
 *                col_spec = "MYTYPE(8)"})   -- col_spec: its own DDL spelling */
static int l_type_decorator(lua_State *L)
{
    static const char *const known[] = {"impl", "process_bind_param", "process_result_value",
                                        "name", "cache_ok", "col_spec", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    l_check_options(L, 1, "TypeDecorator", known);
    if (lua_getfield(L, 1, "impl") == LUA_TNIL)
        return luaL_error(L, "TypeDecorator: option 'impl' (the type it adapts) is required");
    rt_sqltype *impl = l_to_type(L, -1);
    const char *hooks[] = {"process_bind_param", "process_result_value"};
    lua_createtable(L, 0, 2);
    for (int i = 0; i < 2; i++) {
        int ty = lua_getfield(L, 1, hooks[i]);
        if (ty != LUA_TNIL && ty != LUA_TFUNCTION)
            return luaL_error(L, "TypeDecorator: option '%s' must be a function, not %s",
                              hooks[i], luaL_typename(L, -1));
        lua_setfield(L, -2, hooks[i]);
    }
    const char *name = "TypeDecorator";
    if (lua_getfield(L, 1, "name") != LUA_TNIL)
        name = luaL_checkstring(L, -1);
    lua_pop(L, 1);
    rt_sqltype *t = rt_type_new(RT_TYPE_DECORATOR);
    if (!t || !(t->decorator_name = rt_strdup(name))) {
        rt_type_release(t);
        return luaL_error(L, "not enough memory");
    }
    t->impl = rt_type_retain(impl);
    if (lua_getfield(L, 1, "col_spec") != LUA_TNIL &&
        rt_type_set_sqlname(t, luaL_checkstring(L, -1)) < 0) {
        rt_type_release(t);
        return luaL_error(L, "not enough memory");
    }
    lua_pop(L, 1);
    t->user_ctx = ref_ctx(L);
    t->user_ref = luaL_ref(L, LUA_REGISTRYINDEX);   /* the hooks table */
    return push_new_type(L, t);
}

/* === fields and methods === */

static void push_labels(lua_State *L, const rt_sqltype *t)
{
    lua_createtable(L, (int)t->nenum, 0);
    for (size_t i = 0; i < t->nenum; i++) {
        lua_pushstring(L, t->enum_values[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

static int push_opt_int(lua_State *L, int v)
{
    if (v < 0)
        lua_pushnil(L);
    else
        lua_pushinteger(L, v);
    return 1;
}

static int type_index(lua_State *L)
{
    rt_sqltype *t = l_to_type(L, 1);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "length") == 0)
        return push_opt_int(L, t->length);
    if (strcmp(k, "precision") == 0)
        return push_opt_int(L, t->precision);
    if (strcmp(k, "scale") == 0)
        return push_opt_int(L, t->scale);
    if (strcmp(k, "timezone") == 0 || strcmp(k, "asdecimal") == 0 ||
        strcmp(k, "native_enum") == 0) {
        lua_pushboolean(L, k[0] == 't' ? t->timezone : k[0] == 'a' ? t->asdecimal
                                                                  : t->native_enum);
        return 1;
    }
    if (strcmp(k, "enums") == 0 && t->kind == RT_TYPE_ENUM) {
        push_labels(L, t);
        return 1;
    }
    if (strcmp(k, "name") == 0 && t->kind == RT_TYPE_ENUM) {
        lua_pushstring(L, t->enum_name);
        return 1;
    }
    if (strcmp(k, "impl") == 0 && t->impl)
        return l_push_type(L, t->impl);
    if (strcmp(k, "type_name") == 0) {
        char name[64];
        type_name(t, name, sizeof name);
        lua_pushstring(L, name);
        return 1;
    }
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "__methods");
    lua_getfield(L, -1, k);
    return 1;
}

static int type_repr(lua_State *L)
{
    char *s = rt_type_repr(l_to_type(L, 1));
    if (!s)
        return luaL_error(L, "not enough memory");
    lua_pushstring(L, s);
    rt_free(s);
    return 1;
}

/* type:compile([engine | dialect name]) -> its DDL spelling there */
static int type_compile(lua_State *L)
{
    rt_sqltype *t = l_to_type(L, 1);
    const rt_dialect *d = rt_dialect_default();
    if (lua_type(L, 2) == LUA_TSTRING) {
        d = rt_dialect_by_name(lua_tostring(L, 2));
        if (!d)
            return luaL_argerror(L, 2, "unknown dialect (sqlite, postgresql or default)");
    } else if (!lua_isnoneornil(L, 2)) {
        d = rt_engine_dialect(l_check_engine(L, 2)->e);
    }
    rt_buf b;
    rt_buf_init(&b);
    rt_type_ddl(d, t, &b);
    lua_pushstring(L, rt_buf_str(&b));
    rt_buf_free(&b);
    return 1;
}

/* === value processing === */

static void call_hook(lua_State *L, const rt_sqltype *t, const char *hook, const rt_dialect *d)
{
    if (!t->user_ref)
        return;
    lua_rawgeti(L, LUA_REGISTRYINDEX, t->user_ref);
    if (lua_getfield(L, -1, hook) != LUA_TFUNCTION) {
        lua_pop(L, 2);
        return;
    }
    lua_remove(L, -2);
    lua_insert(L, -2);   /* fn, value */
    lua_pushstring(L, d ? rt_dialect_name(d) : "default");
    lua_call(L, 2, 1);
}

static void check_label(lua_State *L, const rt_sqltype *t)
{
    if (lua_isnil(L, -1) || l_is_null(L, -1))
        return;
    if (lua_type(L, -1) == LUA_TSTRING) {
        const char *v = lua_tostring(L, -1);
        for (size_t i = 0; i < t->nenum; i++)
            if (strcmp(t->enum_values[i], v) == 0)
                return;
    }
    luaL_Buffer b;
    const char *shown = luaL_tolstring(L, -1, NULL);
    lua_pop(L, 1);
    luaL_buffinit(L, &b);
    for (size_t i = 0; i < t->nenum; i++) {
        if (i)
            luaL_addstring(&b, ", ");
        luaL_addstring(&b, t->enum_values[i]);
    }
    luaL_pushresult(&b);
    l_raisef(L, RT_ERR_STATEMENT,
             "'%s' is not among the defined enum values. Enum name: %s. Possible values: %s",
             shown, t->enum_name ? t->enum_name : "None", lua_tostring(L, -1));
}

/* An os.date("*t")-style table as ISO text (Date, DateTime, Time). */
static void iso_from_table(lua_State *L, rt_typekind kind)
{
    static const char *const f[] = {"year", "month", "day", "hour", "min", "sec"};
    lua_Integer v[6] = {0};
    if (!lua_istable(L, -1) || l_is_null(L, -1))
        return;
    for (int i = 0; i < 6; i++) {
        lua_getfield(L, -1, f[i]);
        v[i] = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : 0;
        lua_pop(L, 1);
    }
    char s[64];
    if (kind == RT_TYPE_DATE)
        snprintf(s, sizeof s, "%04lld-%02lld-%02lld", (long long)v[0], (long long)v[1],
                 (long long)v[2]);
    else if (kind == RT_TYPE_TIME)
        snprintf(s, sizeof s, "%02lld:%02lld:%02lld", (long long)v[3], (long long)v[4],
                 (long long)v[5]);
    else
        snprintf(s, sizeof s, "%04lld-%02lld-%02lld %02lld:%02lld:%02lld", (long long)v[0],
                 (long long)v[1], (long long)v[2], (long long)v[3], (long long)v[4],
                 (long long)v[5]);
    lua_pop(L, 1);
    lua_pushstring(L, s);
}

/* Consumes s against a template where 'd' is a digit and other characters
 * stand for themselves; returns the rest of s, or NULL when it does not fit. */
static const char *fits(const char *s, const char *tpl)
{
    for (; *tpl; tpl++, s++)
        if (*tpl == 'd' ? !isdigit((unsigned char)*s) : *s != *tpl)
            return NULL;
    return s;
}

/* HH:MM[:SS[.ffffff]][timezone]; returns whether all of s was read. */
static int iso_time(const char *s)
{
    if (!(s = fits(s, "dd:dd")))
        return 0;
    if (*s == ':') {
        if (!(s = fits(s, ":dd")))
            return 0;
        if (*s == '.' && isdigit((unsigned char)s[1]))
            for (s++; isdigit((unsigned char)*s); s++)
                ;
    }
    if (*s == 'Z')
        s++;
    else if ((*s == '+' || *s == '-') && (s = fits(s + 1, "dd")) && *s)
        s = fits(s, *s == ':' ? ":dd" : "dd");
    return s && *s == '\0';
}

/* Dates and times are bound as ISO-8601 text: anything else is refused
 * before it reaches the database. */
static void check_iso(lua_State *L, rt_typekind kind)
{
    if (lua_type(L, -1) != LUA_TSTRING)
        return;
    const char *s = lua_tostring(L, -1), *rest = s;
    int ok;
    if (kind == RT_TYPE_TIME) {
        ok = iso_time(s);
    } else {
        ok = (rest = fits(s, "dddd-dd-dd")) != NULL;
        if (ok && *rest)
            ok = kind == RT_TYPE_DATETIME && (*rest == ' ' || *rest == 'T') &&
                 iso_time(rest + 1);
    }
    if (!ok)
        l_raisef(L, RT_ERR_STATEMENT, "'%s' is not an ISO-8601 %s (expected %s)", s,
                 kind == RT_TYPE_DATE ? "date" : kind == RT_TYPE_TIME ? "time" : "date-time",
                 kind == RT_TYPE_DATE ? "YYYY-MM-DD"
                 : kind == RT_TYPE_TIME ? "HH:MM:SS" : "YYYY-MM-DD HH:MM:SS");
}

/* Booleans bind as booleans; 0 and 1 are taken for false and true. */
static void check_boolean(lua_State *L)
{
    int ty = lua_type(L, -1);
    if (ty == LUA_TBOOLEAN || ty == LUA_TNIL || l_is_null(L, -1))
        return;
    if (lua_isinteger(L, -1) && (lua_tointeger(L, -1) == 0 || lua_tointeger(L, -1) == 1)) {
        int b = lua_tointeger(L, -1) == 1;   /* 0 and 1 mean false and true */
        lua_pop(L, 1);
        lua_pushboolean(L, b);
        return;
    }
    l_raisef(L, RT_ERR_STATEMENT, "Not a boolean value: %s", luaL_tolstring(L, -1, NULL));
}

static int process_bind(lua_State *L, const rt_sqltype *t, const rt_dialect *d)
{
    switch (t->kind) {
    case RT_TYPE_DECORATOR:
        call_hook(L, t, "process_bind_param", d);
        return t->impl ? process_bind(L, t->impl, d) : 0;
    case RT_TYPE_JSON:
        if (!lua_isnil(L, -1) && !l_is_null(L, -1)) {
            l_json_encode(L, -1);
            lua_replace(L, -2);
        }
        return 0;
    case RT_TYPE_ENUM:
        check_label(L, t);
        return 0;
    case RT_TYPE_LARGEBINARY:
        return lua_type(L, -1) == LUA_TSTRING ? L_BIND_BLOB : 0;
    case RT_TYPE_DATE: case RT_TYPE_DATETIME: case RT_TYPE_TIME:
        iso_from_table(L, t->kind);
        check_iso(L, t->kind);
        return 0;
    case RT_TYPE_BOOLEAN:
        check_boolean(L);
        return 0;
    default:
        return 0;
    }
}

static void process_result(lua_State *L, const rt_sqltype *t, const rt_dialect *d)
{
    switch (t->kind) {
    case RT_TYPE_DECORATOR:
        if (t->impl)
            process_result(L, t->impl, d);
        call_hook(L, t, "process_result_value", d);
        return;
    case RT_TYPE_JSON:
        if (lua_type(L, -1) == LUA_TSTRING) {
            size_t n;
            const char *s = lua_tolstring(L, -1, &n);
            l_json_decode(L, s, n);
            lua_replace(L, -2);
        }
        return;
    case RT_TYPE_BOOLEAN:
        if (lua_isinteger(L, -1)) {
            int b = lua_tointeger(L, -1) != 0;
            lua_pop(L, 1);
            lua_pushboolean(L, b);
        }
        return;
    default:
        return;
    }
}

int l_type_process(lua_State *L, const rt_sqltype *t, int direction, const rt_dialect *d)
{
    if (!t)
        return 0;
    luaL_checkstack(L, 6, "type processing");
    if (direction == L_TYPE_BIND)
        return process_bind(L, t, d);
    process_result(L, t, d);
    return 0;
}

int l_type_needs_processing(const rt_sqltype *t, int direction, const rt_dialect *d)
{
    if (!t)
        return 0;
    switch (t->kind) {
    case RT_TYPE_DECORATOR: case RT_TYPE_JSON:
        return 1;
    case RT_TYPE_ENUM: case RT_TYPE_LARGEBINARY: case RT_TYPE_DATE: case RT_TYPE_DATETIME:
    case RT_TYPE_TIME:
        return direction == L_TYPE_BIND;
    case RT_TYPE_BOOLEAN:
        return direction == L_TYPE_BIND || !d || d == rt_dialect_sqlite();
    default:
        return 0;
    }
}

/* type:process_bind(value [, dialect]) -> value, is_binary;
 * type:process_result(value [, dialect]) -> value: what the execution path
 * does to values of this type (see l_type_process). */
static const rt_dialect *dialect_arg(lua_State *L, int idx)
{
    if (lua_isnoneornil(L, idx))
        return NULL;
    const rt_dialect *d = rt_dialect_by_name(luaL_checkstring(L, idx));
    if (!d)
        luaL_argerror(L, idx, "unknown dialect (sqlite, postgresql or default)");
    return d;
}

static int type_process_bind(lua_State *L)
{
    rt_sqltype *t = l_to_type(L, 1);
    const rt_dialect *d = dialect_arg(L, 3);
    lua_settop(L, 2);
    int blob = l_type_process(L, t, L_TYPE_BIND, d);
    lua_pushboolean(L, blob == L_BIND_BLOB);
    return 2;
}

static int type_process_result(lua_State *L)
{
    rt_sqltype *t = l_to_type(L, 1);
    const rt_dialect *d = dialect_arg(L, 3);
    lua_settop(L, 2);
    l_type_process(L, t, L_TYPE_RESULT, d);
    return 1;
}

/* === registration === */

typedef struct type_entry {
    const char *name;
    rt_typekind kind;
    const char *sqlname;
} type_entry;

static const type_entry entries[] = {
    {"Integer", RT_TYPE_INTEGER, NULL},        {"SmallInteger", RT_TYPE_SMALLINT, NULL},
    {"BigInteger", RT_TYPE_BIGINT, NULL},      {"Float", RT_TYPE_FLOAT, NULL},
    {"Numeric", RT_TYPE_NUMERIC, NULL},        {"String", RT_TYPE_STRING, NULL},
    {"Text", RT_TYPE_TEXT, NULL},              {"Unicode", RT_TYPE_UNICODE, NULL},
    {"UnicodeText", RT_TYPE_UNICODE_TEXT, NULL}, {"Boolean", RT_TYPE_BOOLEAN, NULL},
    {"Date", RT_TYPE_DATE, NULL},              {"DateTime", RT_TYPE_DATETIME, NULL},
    {"Time", RT_TYPE_TIME, NULL},              {"Interval", RT_TYPE_INTERVAL, NULL},
    {"LargeBinary", RT_TYPE_LARGEBINARY, NULL}, {"Binary", RT_TYPE_LARGEBINARY, NULL},
    {"Enum", RT_TYPE_ENUM, NULL},              {"JSON", RT_TYPE_JSON, NULL},
    {"INTEGER", RT_TYPE_INTEGER, "INTEGER"},   {"INT", RT_TYPE_INTEGER, "INTEGER"},
    {"SMALLINT", RT_TYPE_SMALLINT, "SMALLINT"}, {"BIGINT", RT_TYPE_BIGINT, "BIGINT"},
    {"VARCHAR", RT_TYPE_STRING, "VARCHAR"},    {"CHAR", RT_TYPE_STRING, "CHAR"},
    {"NCHAR", RT_TYPE_UNICODE, "NCHAR"},       {"NVARCHAR", RT_TYPE_UNICODE, "NVARCHAR"},
    {"TEXT", RT_TYPE_TEXT, "TEXT"},            {"CLOB", RT_TYPE_TEXT, "CLOB"},
    {"NUMERIC", RT_TYPE_NUMERIC, "NUMERIC"},   {"DECIMAL", RT_TYPE_NUMERIC, "DECIMAL"},
    {"FLOAT", RT_TYPE_FLOAT, "FLOAT"},         {"REAL", RT_TYPE_FLOAT, "REAL"},
    {"BOOLEAN", RT_TYPE_BOOLEAN, "BOOLEAN"},   {"DATE", RT_TYPE_DATE, "DATE"},
    {"TIME", RT_TYPE_TIME, "TIME"},            {"DATETIME", RT_TYPE_DATETIME, "DATETIME"},
    {"TIMESTAMP", RT_TYPE_DATETIME, "TIMESTAMP"}, {"BLOB", RT_TYPE_LARGEBINARY, "BLOB"},
    {NULL, RT_TYPE_NULL, NULL}};

void l_open_types(lua_State *L, int module)
{
    static const luaL_Reg meta[] = {{"__gc", type_gc},
                                    {"__index", type_index},
                                    {"__call", type_call},
                                    {"__tostring", type_tostring},
                                    {NULL, NULL}};
    static const luaL_Reg methods[] = {{"compile", type_compile},
                                       {"repr", type_repr},
                                       {"process_bind", type_process_bind},
                                       {"process_result", type_process_result},
                                       {NULL, NULL}};
    rt_schema_set_ref_hooks(ref_release, ref_dup);
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "v");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, L_TYPES);
    l_new_class(L, L_TYPE, meta, methods);
    lua_pop(L, 1);
    lua_newtable(L);   /* module.types: every type by name */
    for (const type_entry *e = entries; e->name; e++) {
        rt_sqltype *t = rt_type_new(e->kind);
        if (!t || rt_type_set_sqlname(t, e->sqlname) < 0) {
            rt_type_release(t);
            luaL_error(L, "not enough memory");
        }
        push_new_type(L, t);
        lua_pushvalue(L, -1);
        lua_setfield(L, module, e->name);
        lua_setfield(L, -2, e->name);
    }
    lua_pushcfunction(L, l_type_decorator);
    lua_pushvalue(L, -1);
    lua_setfield(L, module, "TypeDecorator");
    lua_setfield(L, -2, "TypeDecorator");
    lua_setfield(L, module, "types");
}

/* l_orm_class.c: mapped classes and their instances in Lua.  A class is a
 * plain Lua table (methods, column attributes as SQL expressions, __table,
 * __mapper); its instances are thin userdata over C instance state
 * (core/orm): __index and __newindex read and write the state's values
 * directly, converting between Lua and SQL values by the column's type,
 * and fall back to the instance's own extra fields (REG_EXTRAS) and then
 * the class.  One
 * Lua object per state: objects sit in a weak array (REG_INSTANCES) at the
 * slot their state records (rt_state_user), and each object holds one
 * reference on its state.  A slot is given back by the object's __gc to
 * the slot_list at [0] of the array (also anchored in the registry): the
 * highest slot used and a C stack of the free ones. */
#include <stdint.h>
#include <string.h>

#include "l_orm.h"
#include "l_schema_int.h"

#define REG_MAPPERS "retort.orm.mappers"      /* lightuserdata(rt_mapper) -> Mapper */
#define REG_INSTANCES "retort.orm.instances"  /* slot -> instance (weak values) */
#define REG_SLOTS "retort.orm.slots"          /* the slot_list of REG_INSTANCES */
/* instance -> table of its fields that are not attributes (weak keys): not
 * a user value of each object, which would cost every object 16 bytes and
 * the collector a traversal */
#define REG_EXTRAS "retort.orm.extras"

/* The instances' metatables hold [1] = lightuserdata(&instance_mark) in
 * their array part (besides __rt_instance, for Lua): found without
 * hashing. */
static const char instance_mark;

typedef struct slot_list {
    lua_Integer top;          /* the highest slot used */
    unsigned *free;           /* slots given back, a stack (rt_alloc'd) */
    size_t nfree, capfree;
    int closed;               /* its __gc ran (lua_close): slots are not kept */
} slot_list;

/* Keeps slot for reuse; on OOM it is just not reused. */
static void slot_give_back(slot_list *sl, unsigned slot)
{
    if (sl->closed)
        return;
    if (sl->nfree == sl->capfree) {
        size_t cap = sl->capfree ? sl->capfree * 2 : 64;
        unsigned *f = rt_realloc(sl->free, cap * sizeof *f);
        if (!f)
            return;
        sl->free = f;
        sl->capfree = cap;
    }
    sl->free[sl->nfree++] = slot;
}

static int slots_gc(lua_State *L)
{
    slot_list *sl = lua_touserdata(L, 1);
    rt_free(sl->free);
    sl->free = NULL;
    sl->nfree = sl->capfree = 0;
    sl->closed = 1;
    return 0;
}

static int inst_index(lua_State *L);
static int inst_newindex(lua_State *L);

/* Lua interns strings up to this length (LUAI_MAXSHORTLEN): one object per
 * content, so the same name is the same address while it is anchored. */
#define SHORT_STRING 40

/* Per attribute of a class: the address of its name as an interned Lua
 * string (a key of the class's name -> index table, which anchors it; NULL
 * for longer names) and what its column's type needs, found on first use
 * and kept when the column has a type of its own (one taken through a
 * foreign key is looked up each time). */
enum { TYPE_KNOWN = 1, TYPE_RESULT = 2, TYPE_BIND = 4 };
typedef struct attr_info {
    const char *p;
    unsigned char type;   /* TYPE_* */
} attr_info;
typedef struct attr_names {
    size_t n;
    attr_info a[];
} attr_names;

/* The index of the attribute whose name is the interned string k, or -1. */
static inline long attr_by_address(const attr_names *an, const char *k)
{
    for (size_t i = 0; i < an->n; i++)
        if (an->a[i].p == k)
            return (long)i;
    return -1;
}

/* The TYPE_* flags of attribute i of m (cached in ai when not NULL). */
static unsigned attr_type_flags(rt_mapper *m, size_t i, attr_info *ai)
{
    if (ai && ai->type)
        return ai->type;
    const rt_column *c = rt_mapper_attr_column(m, i);
    const rt_sqltype *t = rt_column_type(c);
    if (!t)
        return 0;
    unsigned f = TYPE_KNOWN;
    if (l_type_needs_processing(t, L_TYPE_RESULT, NULL))
        f |= TYPE_RESULT;      /* with no dialect: as for any dialect */
    if (l_type_needs_processing(t, L_TYPE_BIND, NULL))
        f |= TYPE_BIND;        /* the same for every dialect */
    if (ai && c->type)         /* a type of its own: it stays */
        ai->type = (unsigned char)f;
    return f;
}

/* === classes === */

rt_mapper *l_orm_test_class(lua_State *L, int idx)
{
    if (!lua_istable(L, idx))
        return NULL;
    lua_getfield(L, idx, "__mapper");   /* raw: classes have no __index */
    l_mapper *u = luaL_testudata(L, -1, L_MAPPER);
    lua_pop(L, 1);
    return u ? u->m : NULL;
}

rt_mapper *l_orm_check_class(lua_State *L, int idx)
{
    rt_mapper *m = l_orm_test_class(L, idx);
    if (m)
        return m;
    if (lua_istable(L, idx) && lua_getfield(L, idx, "__rt_class") != LUA_TNIL) {
        lua_getfield(L, idx, "__name");
        luaL_error(L, "Class '%s' is not mapped", lua_tostring(L, -1));
    }
    luaL_argerror(L, idx, lua_pushfstring(L, "a mapped class expected, got %s",
                                          luaL_typename(L, idx)));
    return NULL;
}

static l_mapper *mapper_ud(lua_State *L, rt_mapper *m)
{
    lua_getfield(L, LUA_REGISTRYINDEX, REG_MAPPERS);
    lua_rawgetp(L, -1, m);
    lua_remove(L, -2);
    return luaL_testudata(L, -1, L_MAPPER);
}

static int mapper_gc(lua_State *L)
{
    l_mapper *u = luaL_checkudata(L, 1, L_MAPPER);
    if (u->m)
        rt_mapper_clear_relationships(u->m);   /* mappers refer to each other */
    rt_mapper_release(u->m);
    u->m = NULL;
    return 0;
}

static int mapper_tostring(lua_State *L)
{
    l_mapper *u = luaL_checkudata(L, 1, L_MAPPER);
    if (!u->m)
        lua_pushliteral(L, "<Mapper (disposed)>");
    else
        lua_pushfstring(L, "<Mapper %s|%s>", rt_mapper_class_name(u->m),
                        rt_mapper_table(u->m)->name);
    return 1;
}

/* _orm.mapper(cls, table, props): props maps attribute names to columns of
 * the table (renaming them); other columns keep their keys. */
static int o_mapper(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    rt_table *t = l_check_table(L, 2);
    if (l_orm_test_class(L, 1))
        return luaL_error(L, "Class already has a primary mapper defined");
    lua_getfield(L, 1, "__name");
    const char *name = lua_tostring(L, -1);
    if (!name)
        return luaL_error(L, "mapper: the class has no __name");
    size_t n = t->ncols;
    const char **keys = lua_newuserdatauv(L, (n + 1) * sizeof *keys, 0);
    for (size_t i = 0; i < n; i++)
        keys[i] = t->columns[i]->key;
    if (lua_istable(L, 3)) {
        int base = lua_gettop(L);
        for (lua_pushnil(L); lua_next(L, 3); lua_settop(L, base + 1)) {
            if (lua_type(L, -2) != LUA_TSTRING)
                return luaL_error(L, "mapper: property names must be strings");
            rt_column *c = l_to_column(L, base + 2);
            size_t i = 0;
            while (i < n && t->columns[i] != c)
                i++;
            if (i == n)
                return luaL_error(L, "mapper: property '%s' is not a column of table '%s'",
                                  lua_tostring(L, -2), t->name);
            keys[i] = lua_tostring(L, base + 1);   /* anchored by props */
        }
    }
    l_mapper *u = lua_newuserdatauv(L, sizeof *u, 3);
    u->m = NULL;
    luaL_setmetatable(L, L_MAPPER);
    int ud = lua_gettop(L);
    rt_error err;
    rt_error_init(&err);
    u->m = rt_mapper_new(name, t, NULL, keys, n, &err);
    if (!u->m)
        return l_raise(L, &err, 0);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, ud, 1);
    /* the instances' metatable */
    lua_getfield(L, LUA_REGISTRYINDEX, "retort.orm.instance_meta");
    lua_createtable(L, 1, 8);          /* [1], the mark, in the array part */
    for (lua_pushnil(L); lua_next(L, -3);) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);    /* copies the pair, leaves the key for next */
    }
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__name");
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "__class");
    size_t na = rt_mapper_nattrs(u->m);
    lua_createtable(L, 0, (int)na);   /* attribute name -> index */
    attr_names *an = lua_newuserdatauv(L, sizeof *an + na * sizeof an->a[0], 0);
    an->n = na;
    for (size_t i = 0; i < na; i++) {
        lua_pushstring(L, rt_mapper_attr_key(u->m, i));
        size_t len;
        const char *k = lua_tolstring(L, -1, &len);
        an->a[i].p = len <= SHORT_STRING ? k : NULL;   /* the key anchors it */
        an->a[i].type = 0;
        lua_pushinteger(L, (lua_Integer)i);
        lua_rawset(L, -4);
    }
    rt_mapper_set_user(u->m, an);   /* alive while an instance is: see attr_of */
    lua_pushvalue(L, -1);
    lua_setiuservalue(L, ud, 3);
    lua_getfield(L, LUA_REGISTRYINDEX, REG_EXTRAS);
    lua_pushvalue(L, -3);
    lua_pushvalue(L, -3);
    lua_pushvalue(L, -3);
    lua_pushcclosure(L, inst_index, 3);
    lua_setfield(L, -5, "__index");
    lua_pushcclosure(L, inst_newindex, 3);
    lua_setfield(L, -2, "__newindex");
    lua_setiuservalue(L, ud, 2);
    lua_pop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, REG_MAPPERS);
    lua_pushvalue(L, ud);
    lua_rawsetp(L, -2, u->m);
    lua_pop(L, 1);
    /* class attributes: the mapped columns as SQL expressions */
    for (size_t i = 0; i < rt_mapper_nattrs(u->m); i++) {
        l_push_column_object(L, rt_mapper_attr_column(u->m, i));
        lua_setfield(L, 1, rt_mapper_attr_key(u->m, i));
    }
    lua_pushvalue(L, ud);
    lua_setfield(L, 1, "__mapper");
    lua_pushvalue(L, 2);
    lua_setfield(L, 1, "__table");
    lua_pushvalue(L, ud);
    return 1;
}

/* _orm.unmap(cls): what clear_mappers does to one class. */
static int o_unmap(lua_State *L)
{
    rt_mapper *m = l_orm_test_class(L, 1);
    if (!m)
        return 0;
    for (size_t i = 0; i < rt_mapper_nattrs(m); i++) {
        lua_pushnil(L);
        lua_setfield(L, 1, rt_mapper_attr_key(m, i));
    }
    lua_getfield(L, LUA_REGISTRYINDEX, REG_MAPPERS);
    lua_pushnil(L);
    lua_rawsetp(L, -2, m);
    lua_pushnil(L);
    lua_setfield(L, 1, "__mapper");
    return 0;
}

/* _orm.columns(cls): the column objects of the attributes, in order, and
 * their attribute names. */
static int o_columns(lua_State *L)
{
    rt_mapper *m = l_orm_check_class(L, 1);
    size_t n = rt_mapper_nattrs(m);
    lua_createtable(L, (int)n, 0);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        l_push_column_object(L, rt_mapper_attr_column(m, i));
        lua_rawseti(L, -3, (lua_Integer)i + 1);
        lua_pushstring(L, rt_mapper_attr_key(m, i));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 2;
}

/* === instances === */

rt_state *l_orm_test_instance(lua_State *L, int idx)
{
    if (lua_type(L, idx) != LUA_TUSERDATA || !lua_getmetatable(L, idx))
        return NULL;
    int is = lua_rawgeti(L, -1, 1) == LUA_TLIGHTUSERDATA &&
             lua_touserdata(L, -1) == &instance_mark;
    lua_pop(L, 2);
    return is ? ((l_instance *)lua_touserdata(L, idx))->st : NULL;
}

void l_orm_push_class_of(lua_State *L, int idx)
{
    if (!lua_getmetatable(L, idx)) {
        lua_pushnil(L);
        return;
    }
    lua_getfield(L, -1, "__class");
    lua_remove(L, -2);
}

rt_state *l_orm_check_instance(lua_State *L, int idx)
{
    rt_state *st = l_orm_test_instance(L, idx);
    if (!st) {
        if (lua_istable(L, idx) && l_orm_test_class(L, idx))
            luaL_argerror(L, idx, "a mapped instance expected, got a class");
        luaL_argerror(L, idx, lua_pushfstring(L, "a mapped instance expected, got %s",
                                              luaL_typename(L, idx)));
    }
    return st;
}

/* Pushes the object of st from the weak array at inst_idx and returns it,
 * or returns NULL (none: it never had one, or it was collected). */
static l_instance *find_instance(lua_State *L, rt_state *st, int inst_idx)
{
    lua_Integer slot = (lua_Integer)(uintptr_t)rt_state_user(st);
    if (!slot)
        return NULL;
    if (lua_rawgeti(L, inst_idx, slot) == LUA_TUSERDATA) {
        l_instance *u = lua_touserdata(L, -1);
        if (u->st == st)
            return u;
    }
    lua_pop(L, 1);
    return NULL;
}

/* Makes and pushes the object of st (which has none). */
static l_instance *new_instance(lua_State *L, rt_state *st, const l_loader *ld)
{
    l_instance *u = lua_newuserdatauv(L, sizeof *u, 0);   /* no user value: see REG_EXTRAS */
    u->st = NULL;
    u->load_tag = 0;
    u->slot = 0;
    lua_pushvalue(L, ld->meta);
    lua_setmetatable(L, -2);
    /* a slot: the first free one, else one past the highest used */
    slot_list *sl = ld->slots;
    lua_Integer slot;
    if (sl->nfree) {
        slot = sl->free[--sl->nfree];
    } else {
        if (sl->top >= (lua_Integer)0xffffffffu)
            luaL_error(L, "too many instances");
        slot = ++sl->top;
    }
    lua_pushvalue(L, -1);
    lua_rawseti(L, ld->objects, slot);
    u->slot = (unsigned)slot;
    u->st = rt_state_retain(st);
    rt_state_set_user(st, (void *)(uintptr_t)slot);
    return u;
}

/* Pushes the loader's two values for the Mapper userdata at mapper_idx
 * and the weak array of objects at objects_idx. */
static void push_loader(lua_State *L, int mapper_idx, int objects_idx, l_loader *ld)
{
    objects_idx = lua_absindex(L, objects_idx);
    lua_getiuservalue(L, mapper_idx, 2);
    ld->meta = lua_gettop(L);
    lua_pushvalue(L, objects_idx);
    ld->objects = ld->meta + 1;
    lua_rawgeti(L, ld->objects, 0);
    ld->slots = lua_touserdata(L, -1);
    lua_pop(L, 1);
}

void l_orm_push_instance(lua_State *L, rt_state *st)
{
    lua_getfield(L, LUA_REGISTRYINDEX, REG_INSTANCES);
    if (find_instance(L, st, lua_gettop(L))) {
        lua_remove(L, -2);
        return;
    }
    if (!mapper_ud(L, rt_state_mapper(st)))
        luaL_error(L, "the class of this instance is no longer mapped");
    int top = lua_gettop(L);
    l_loader ld;
    push_loader(L, top, top - 1, &ld);
    new_instance(L, st, &ld);
    lua_replace(L, top - 1);
    lua_settop(L, top - 1);
}

void l_orm_push_loader(lua_State *L, rt_mapper *m, l_loader *ld)
{
    int base = lua_gettop(L) + 1;
    if (!mapper_ud(L, m))
        luaL_error(L, "the class of this instance is no longer mapped");
    lua_getfield(L, LUA_REGISTRYINDEX, REG_INSTANCES);
    push_loader(L, base, base + 1, ld);
    lua_rotate(L, base, -2);         /* the loader's two values first */
    lua_settop(L, base + 1);
    ld->meta = base;
    ld->objects = base + 1;
}

l_instance *l_orm_push_instance_fast(lua_State *L, rt_state *st, const l_loader *ld)
{
    l_instance *u = find_instance(L, st, ld->objects);
    return u ? u : new_instance(L, st, ld);
}

static const rt_dialect *state_dialect(rt_state *st)
{
    rt_session *s = rt_state_session(st);
    return s && rt_session_engine(s) ? rt_engine_dialect(rt_session_engine(s)) : NULL;
}

void l_orm_push_attr(lua_State *L, rt_state *st, size_t i)
{
    const rt_sqltype *t = rt_column_type(rt_mapper_attr_column(rt_state_mapper(st), i));
    l_push_value(L, rt_state_get(st, i));
    if (t && l_type_needs_processing(t, L_TYPE_RESULT, NULL) && !lua_isnil(L, -1)) {
        const rt_dialect *d = state_dialect(st);
        if (l_type_needs_processing(t, L_TYPE_RESULT, d))
            l_type_process(L, t, L_TYPE_RESULT, d);
    }
}

static void load_if_expired(lua_State *L, rt_state *st, size_t i)
{
    if (rt_state_loaded(st, i))
        return;
    rt_error err;
    rt_error_init(&err);
    if (rt_state_status_of(st) == RT_STATE_DETACHED)
        l_raisef(L, RT_ERR_INVALID_REQUEST,
                 "Instance of %s is not bound to a Session; attribute refresh operation "
                 "cannot proceed", rt_mapper_class_name(rt_state_mapper(st)));
    if (rt_state_load_expired(st, &err) < 0)
        l_raise(L, &err, 0);
}

/* The attribute index of the string key at 2, or -1: first by the address
 * of the interned string among the attribute names (the user pointer of
 * st's mapper, which upvalue 2 of the instances' __index and __newindex
 * keeps alive while an instance exists), then through the class's table of
 * attribute names (upvalue 1; upvalue 3 is REG_EXTRAS).  *ai: the
 * attribute's cached facts, or NULL. */
static inline long attr_of(lua_State *L, rt_state *st, attr_info **ai)
{
    attr_names *an = rt_mapper_user(rt_state_mapper(st));
    *ai = NULL;
    if (an) {
        long i = attr_by_address(an, lua_tostring(L, 2));
        if (i >= 0) {
            *ai = &an->a[i];
            return i;
        }
    }
    long a;
    if (lua_type(L, lua_upvalueindex(1)) == LUA_TTABLE) {
        lua_pushvalue(L, 2);
        a = lua_rawget(L, lua_upvalueindex(1)) == LUA_TNUMBER ? (long)lua_tointeger(L, -1) : -1;
        lua_pop(L, 1);
    } else {
        a = rt_mapper_attr_index(rt_state_mapper(st), lua_tostring(L, 2));
    }
    if (an && a >= 0 && (size_t)a < an->n)
        *ai = &an->a[a];
    return a;
}

static int inst_index(lua_State *L)
{
    l_instance *u = lua_touserdata(L, 1);
    if (u->st && lua_type(L, 2) == LUA_TSTRING) {
        attr_info *ai;
        long a = attr_of(L, u->st, &ai);
        const rt_value *v;
        /* the usual read: a loaded value whose type does not process it */
        if (ai && ai->type && !(ai->type & TYPE_RESULT) &&
            (v = rt_state_loaded_value(u->st, (size_t)a))) {
            l_push_value(L, v);
            return 1;
        }
        if (a >= 0) {
            load_if_expired(L, u->st, (size_t)a);
            if (attr_type_flags(rt_state_mapper(u->st), (size_t)a, ai) & TYPE_RESULT)
                l_orm_push_attr(L, u->st, (size_t)a);
            else
                l_push_value(L, rt_state_get(u->st, (size_t)a));
            return 1;
        }
        if (l_orm_rel_get(L, u->st, lua_tostring(L, 2)))
            return 1;
    }
    lua_pushvalue(L, 1);
    if (lua_rawget(L, lua_upvalueindex(3)) == LUA_TTABLE) {   /* its own fields */
        lua_pushvalue(L, 2);
        if (lua_rawget(L, -2) != LUA_TNIL)
            return 1;
    }
    l_orm_push_class_of(L, 1);
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    return 1;
}

/* Converts the Lua value at idx for attribute i and sets it (ai: the
 * attribute's cached facts, or NULL). */
static void set_attr(lua_State *L, rt_state *st, size_t i, int idx, attr_info *ai)
{
    rt_mapper *m = rt_state_mapper(st);
    rt_value v;
    int blob = 0, top = 0;     /* top: the stack to restore after processing */
    if ((attr_type_flags(m, i, ai) & TYPE_BIND) && !lua_isnil(L, idx) && !l_is_null(L, idx)) {
        idx = lua_absindex(L, idx);
        top = lua_gettop(L);
        lua_pushvalue(L, idx);
        blob = l_type_process(L, rt_column_type(rt_mapper_attr_column(m, i)), L_TYPE_BIND,
                              state_dialect(st)) == L_BIND_BLOB;
    }
    if (l_to_value(L, top && lua_gettop(L) > top ? -1 : idx, &v) < 0)
        luaL_error(L, "cannot assign a %s to attribute '%s' of %s", luaL_typename(L, idx),
                   rt_mapper_attr_key(m, i), rt_mapper_class_name(m));
    if (blob && v.type == RT_TEXT)
        v.type = RT_BLOB;
    rt_error err;
    rt_error_init(&err);
    if (rt_state_set(st, i, &v, &err) < 0)
        l_raise(L, &err, 0);
    if (top)
        lua_settop(L, top);
}

static int inst_newindex(lua_State *L)
{
    l_instance *u = lua_touserdata(L, 1);
    if (lua_type(L, 2) == LUA_TSTRING && u->st) {
        attr_info *ai;
        long a = attr_of(L, u->st, &ai);
        if (a >= 0) {
            set_attr(L, u->st, (size_t)a, 3, ai);
            return 0;
        }
        if (l_orm_rel_set(L, u->st, lua_tostring(L, 2), 3))
            return 0;
    }
    lua_pushvalue(L, 1);
    if (lua_rawget(L, lua_upvalueindex(3)) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, 1);
        lua_pushvalue(L, -2);
        lua_rawset(L, lua_upvalueindex(3));
    }
    lua_pushvalue(L, 2);
    lua_pushvalue(L, 3);
    lua_rawset(L, -3);
    return 0;
}

/* Releases the state and gives the slot back (its slot_list is upvalue 1;
 * the collector has already emptied the slot of the weak array). */
static int inst_gc(lua_State *L)
{
    l_instance *u = lua_touserdata(L, 1);
    if (u->st && (uintptr_t)rt_state_user(u->st) == u->slot)
        rt_state_set_user(u->st, NULL);
    rt_state_release(u->st);
    u->st = NULL;
    slot_list *sl = lua_touserdata(L, lua_upvalueindex(1));
    if (u->slot && sl)
        slot_give_back(sl, u->slot);
    u->slot = 0;
    return 0;
}

/* Appends the repr of the value on top of the stack (popped). */
static void add_repr(lua_State *L, luaL_Buffer *b)
{
    rt_value v;
    if (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER ||
        lua_type(L, -1) == LUA_TBOOLEAN || lua_isnil(L, -1)) {
        rt_buf rb;
        rt_buf_init(&rb);
        l_to_value(L, -1, &v);
        rt_value_repr(&rb, &v);
        lua_pop(L, 1);
        luaL_addlstring(b, rt_buf_str(&rb), rb.len);
        rt_buf_free(&rb);
    } else {
        luaL_tolstring(L, -1, NULL);
        lua_remove(L, -2);
        luaL_addvalue(b);
    }
}

static int inst_tostring(lua_State *L)
{
    rt_state *st = l_orm_check_instance(L, 1);
    l_orm_push_class_of(L, 1);
    if (lua_getfield(L, -1, "__tostring") == LUA_TFUNCTION) {
        lua_pushvalue(L, 1);
        lua_call(L, 1, 1);
        if (!lua_isstring(L, -1))
            return luaL_error(L, "'__tostring' must return a string");
        return 1;
    }
    rt_mapper *m = rt_state_mapper(st);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addchar(&b, '<');
    luaL_addstring(&b, rt_mapper_class_name(m));
    luaL_addchar(&b, '(');
    for (size_t i = 0; i < rt_mapper_nattrs(m); i++) {
        if (i)
            luaL_addstring(&b, ", ");
        luaL_addstring(&b, rt_mapper_attr_key(m, i));
        luaL_addchar(&b, '=');
        load_if_expired(L, st, i);
        l_orm_push_attr(L, st, i);
        add_repr(L, &b);
    }
    luaL_addstring(&b, ")>");
    luaL_pushresult(&b);
    return 1;
}

/* _orm.construct(cls, ...): User({name = "ed"}) */
/* Pushes the __init of the class at 1.  A class of class() answers nil for
 * every "__" key it does not hold itself (orm.lua's ClassMeta.__index), so
 * its own field is read without calling __index (a Lua call per object
 * made); another metatable gets the ordinary lookup. */
static int class_init(lua_State *L)
{
    lua_pushvalue(L, lua_upvalueindex(4));
    int t = lua_rawget(L, 1);
    if (t != LUA_TNIL || !lua_getmetatable(L, 1))
        return t;
    int plain = lua_rawequal(L, -1, lua_upvalueindex(6));   /* seen before */
    if (!plain) {
        lua_pushvalue(L, lua_upvalueindex(5));
        lua_rawget(L, -2);
        const char *name = lua_tostring(L, -1);
        plain = name && strcmp(name, "retort.Class") == 0;
        lua_pop(L, 1);
        if (plain) {
            lua_pushvalue(L, -1);
            lua_replace(L, lua_upvalueindex(6));
        }
    }
    lua_pop(L, 2);
    return plain ? (lua_pushnil(L), LUA_TNIL) : lua_getfield(L, 1, "__init");
}

/* The index of the attribute named by the string at idx (k, len), or -1:
 * by address among the class's interned names (an, may be NULL), then by
 * hashing. */
static long attr_by_name(rt_mapper *m, attr_names *an, const char *k, size_t len)
{
    if (an && len <= SHORT_STRING)
        return attr_by_address(an, k);      /* every short name is in an */
    return rt_mapper_attr_index(m, k);
}

/* The Mapper userdata of the class at 1, pushed: its own __mapper field
 * when it is one (the Mapper metatable is upvalue 2), else through the
 * registry (which raises the errors of a class that is not mapped). */
static l_mapper *construct_mapper(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TTABLE) {
        lua_pushvalue(L, lua_upvalueindex(3));
        if (lua_rawget(L, 1) == LUA_TUSERDATA && lua_getmetatable(L, -1)) {
            int same = lua_rawequal(L, -1, lua_upvalueindex(2));
            lua_pop(L, 1);
            l_mapper *u = lua_touserdata(L, -1);
            if (same && u->m)
                return u;
        }
        lua_pop(L, 1);
    }
    rt_mapper *m = l_orm_check_class(L, 1);
    l_mapper *u = mapper_ud(L, m);
    if (!u)
        luaL_error(L, "the class of this instance is no longer mapped");
    return u;
}

/* _orm.construct(cls, ...); upvalues: 1 the weak array of instances, 2 the
 * Mapper metatable, 3-5 the strings "__mapper", "__init" and "__name", 6
 * the metatable of plain classes once one was seen (class_init), 7 the
 * slot list of the weak array. */
static int o_construct(lua_State *L)
{
    int nargs = lua_gettop(L) - 1;
    rt_mapper *m = construct_mapper(L)->m;
    int mi = lua_gettop(L);
    rt_error err;
    rt_error_init(&err);
    rt_state *st = rt_state_new(m, &err);
    if (!st)
        return l_raise(L, &err, 0);
    l_loader ld;
    lua_getiuservalue(L, mi, 2);
    ld.meta = mi + 1;
    ld.objects = lua_upvalueindex(1);
    ld.slots = lua_touserdata(L, lua_upvalueindex(7));
    new_instance(L, st, &ld);               /* a new state has no object to look up */
    rt_state_release(st);
    attr_names *an = rt_mapper_user(m);
    lua_replace(L, mi);                     /* mi: the object, mi + 1: its metatable */
    int obj = mi;
    if (class_init(L) == LUA_TFUNCTION) {
        lua_pushvalue(L, obj);
        for (int i = 0; i < nargs; i++)
            lua_pushvalue(L, 2 + i);
        lua_call(L, nargs + 1, 0);
        lua_settop(L, obj);
        return 1;
    }
    lua_pop(L, 1);
    if (nargs == 0 || lua_isnil(L, 2)) {
        lua_settop(L, obj);
        return 1;
    }
    luaL_checktype(L, 2, LUA_TTABLE);
    for (lua_pushnil(L); lua_next(L, 2); lua_pop(L, 1)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            return luaL_error(L, "%s(): attribute names must be strings",
                              rt_mapper_class_name(m));
        size_t len;
        const char *k = lua_tolstring(L, -2, &len);
        long a = attr_by_name(m, an, k, len);
        if (a >= 0) {
            set_attr(L, st, (size_t)a, lua_gettop(L),
                     an && (size_t)a < an->n ? &an->a[a] : NULL);
            continue;
        }
        if (l_orm_rel_set(L, st, k, lua_gettop(L)))
            continue;
        lua_getfield(L, 1, k);
        int known = !lua_isnil(L, -1);
        lua_pop(L, 1);
        if (!known)
            return luaL_error(L, "'%s' is an invalid keyword argument for %s", k,
                              rt_mapper_class_name(m));
        lua_pushvalue(L, -2);
        lua_pushvalue(L, -2);
        lua_settable(L, obj);
    }
    lua_settop(L, obj);
    return 1;
}

/* _orm.state(obj): a table describing the instance's state. */
static int o_state(lua_State *L)
{
    rt_state *st = l_orm_check_instance(L, 1);
    rt_state_status s = rt_state_status_of(st);
    lua_createtable(L, 0, 8);
    lua_pushstring(L, rt_state_status_name(s));
    lua_setfield(L, -2, "status");
    const char *flags[] = {"transient", "pending", "persistent", "deleted", "detached"};
    for (int i = 0; i < 5; i++) {
        lua_pushboolean(L, (int)s == i);
        lua_setfield(L, -2, flags[i]);
    }
    lua_pushboolean(L, rt_state_modified(st));
    lua_setfield(L, -2, "modified");
    lua_pushboolean(L, rt_state_marked_deleted(st));
    lua_setfield(L, -2, "marked_deleted");
    if (rt_state_identity_key(st)) {
        rt_mapper *m = rt_state_mapper(st);
        lua_createtable(L, (int)rt_mapper_npk(m), 0);
        for (size_t k = 0; k < rt_mapper_npk(m); k++) {
            l_orm_push_attr(L, st, rt_mapper_pk_attr(m, k));
            lua_rawseti(L, -2, (lua_Integer)k + 1);
        }
        lua_setfield(L, -2, "identity");
    }
    lua_createtable(L, 0, 0);
    rt_mapper *m = rt_state_mapper(st);
    for (size_t i = 0; i < rt_mapper_nattrs(m); i++)
        if (!rt_state_loaded(st, i)) {
            lua_pushboolean(L, 1);
            lua_setfield(L, -2, rt_mapper_attr_key(m, i));
        }
    lua_setfield(L, -2, "unloaded");
    return 1;
}

/* _orm.history(obj, key): {added = {...}, deleted = {...}, unchanged = {...}} */
static int o_history(lua_State *L)
{
    rt_state *st = l_orm_check_instance(L, 1);
    const char *key = luaL_checkstring(L, 2);
    long a = rt_mapper_attr_index(rt_state_mapper(st), key);
    if (a < 0)
        return luaL_error(L, "%s has no attribute '%s'", rt_mapper_class_name(rt_state_mapper(st)),
                          key);
    rt_history h;
    rt_state_history(st, (size_t)a, &h);
    const rt_value *parts[3] = {h.added, h.deleted, h.unchanged};
    const char *names[3] = {"added", "deleted", "unchanged"};
    lua_createtable(L, 0, 3);
    for (int i = 0; i < 3; i++) {
        lua_createtable(L, 1, 0);
        if (parts[i]) {
            l_push_value(L, parts[i]);
            lua_rawseti(L, -2, 1);
        }
        lua_setfield(L, -2, names[i]);
    }
    return 1;
}

static int o_column_name(lua_State *L)
{
    rt_column *c = l_to_column(L, 1);
    const char *name = luaL_checkstring(L, 2);
    if (c->name)
        return 0;
    rt_error err;
    rt_error_init(&err);
    if (rt_column_set_name(c, name, &err) < 0)
        return l_raise(L, &err, 0);
    return 0;
}

static int o_column_order(lua_State *L)
{
    if (!l_test_column(L, 1))
        return 0;
    lua_pushinteger(L, (lua_Integer)l_column_order(L, 1));
    return 1;
}

static int o_is_instance(lua_State *L)
{
    lua_pushboolean(L, l_orm_test_instance(L, 1) != NULL);
    return 1;
}

static int o_is_mapped(lua_State *L)
{
    lua_pushboolean(L, l_orm_test_class(L, 1) != NULL);
    return 1;
}

void l_open_orm_class(lua_State *L, int orm)
{
    static const luaL_Reg mapper_meta[] = {{"__gc", mapper_gc}, {"__tostring", mapper_tostring},
                                           {NULL, NULL}};
    /* __index and __newindex are closures per class (o_mapper) */
    static const luaL_Reg inst_meta[] = {{"__tostring", inst_tostring}, {NULL, NULL}};
    static const luaL_Reg funcs[] = {
        {"mapper", o_mapper},         {"unmap", o_unmap},           {"columns", o_columns},
        {"state", o_state},           {"history", o_history},
        {"column_name", o_column_name}, {"column_order", o_column_order},
        {"is_instance", o_is_instance}, {"is_mapped", o_is_mapped}, {NULL, NULL}};
    l_new_class(L, L_MAPPER, mapper_meta, NULL);
    lua_pop(L, 1);
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "v");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, REG_INSTANCES);
    slot_list *sl = lua_newuserdatauv(L, sizeof *sl, 0);
    memset(sl, 0, sizeof *sl);
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, slots_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, REG_SLOTS);
    lua_pushvalue(L, -1);
    lua_rawseti(L, -3, 0);
    lua_createtable(L, 1, 8);
    luaL_setfuncs(L, inst_meta, 0);
    lua_pushvalue(L, -2);
    lua_pushcclosure(L, inst_gc, 1);
    lua_setfield(L, -2, "__gc");
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "__rt_instance");
    lua_pushlightuserdata(L, (void *)&instance_mark);
    lua_rawseti(L, -2, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, "retort.orm.instance_meta");
    lua_pop(L, 2);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, REG_MAPPERS);
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, REG_EXTRAS);
    lua_pushvalue(L, orm);
    luaL_setfuncs(L, funcs, 0);
    lua_getfield(L, LUA_REGISTRYINDEX, REG_INSTANCES);
    luaL_getmetatable(L, L_MAPPER);
    lua_pushliteral(L, "__mapper");
    lua_pushliteral(L, "__init");
    lua_pushliteral(L, "__name");
    lua_pushnil(L);
    lua_getfield(L, LUA_REGISTRYINDEX, REG_SLOTS);
    lua_pushcclosure(L, o_construct, 7);
    lua_setfield(L, -2, "construct");
    lua_pop(L, 1);
}

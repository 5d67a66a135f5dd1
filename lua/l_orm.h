/* l_orm.h: what the ORM binding's files share (l_orm_class.c: mapped
 * classes and instances; l_orm_rel.c: relationships and collections;
 * l_orm_session.c: sessions; l_orm_query.c: loading
 * query results; orm.lua: the Lua half, declarative classes and Query). */
#ifndef RETORT_L_ORM_H
#define RETORT_L_ORM_H

#include "l_common.h"
#include "rt_orm.h"

#define L_MAPPER "retort.Mapper"
#define L_SESSION "retort.Session"

typedef struct l_mapper { rt_mapper *m; } l_mapper;   /* uservalues: 1 class, 2 instance mt, 3 attr names */
typedef struct l_instance {
    rt_state *st;
    unsigned load_tag;   /* the session's query result it came from last (N+1 guard), 0 none */
    unsigned slot;       /* its index in the weak table of objects (l_orm_class.c) */
} l_instance;            /* no user value; metatable: the class's (its __class) */
typedef struct l_session {
    rt_session *s;
    lua_State *L;        /* the state of the call in progress (for default hooks) */
} l_session;             /* uservalues: 1 Engine, 2 anchor table for hook values */

/* l_orm_class.c */
/* The mapper of the mapped class at idx, or NULL (not a mapped class). */
rt_mapper *l_orm_test_class(lua_State *L, int idx);
/* The same, raising "class X is not mapped" / a bad-argument error. */
rt_mapper *l_orm_check_class(lua_State *L, int idx);
/* The state of the instance at idx, or NULL. */
rt_state *l_orm_test_instance(lua_State *L, int idx);
rt_state *l_orm_check_instance(lua_State *L, int idx);
/* Pushes the class of the instance at idx (nil when it has none). */
void l_orm_push_class_of(lua_State *L, int idx);
/* Pushes the one Lua object of a state (made on first use; retains st). */
void l_orm_push_instance(lua_State *L, rt_state *st);
/* What making many objects of one class needs, found once. */
typedef struct l_loader {
    int meta;        /* stack index of the metatable of the class's instances */
    int objects;     /* index of the weak array of objects (meta + 1, or an upvalue) */
    void *slots;     /* that array's free-slot list (l_orm_class.c) */
} l_loader;
/* For loading many rows of m: pushes two values (the loader's) and fills
 * *ld; l_orm_push_instance_fast is l_orm_push_instance without the
 * look-ups, and returns the object pushed. */
void l_orm_push_loader(lua_State *L, rt_mapper *m, l_loader *ld);
l_instance *l_orm_push_instance_fast(lua_State *L, rt_state *st, const l_loader *ld);
/* Pushes attribute i of st as Lua sees it (type processing applied). */
void l_orm_push_attr(lua_State *L, rt_state *st, size_t i);
void l_open_orm_class(lua_State *L, int orm);

/* l_orm_rel.c */
/* Reads / writes relationship `key` of st as Lua sees it (the value from
 * idx); 0 when st's class has no such relationship, else 1 (get: pushed). */
int l_orm_rel_get(lua_State *L, rt_state *st, const char *key);
int l_orm_rel_set(lua_State *L, rt_state *st, const char *key, int idx);
void l_open_orm_rel(lua_State *L, int orm);

/* l_orm_session.c */
l_session *l_orm_check_session(lua_State *L, int idx);
void l_open_orm_session(lua_State *L, int orm);

/* l_orm_query.c */
void l_open_orm_query(lua_State *L, int orm);

/* l_orm_bulk.c: bulk_insert_mappings and bulk_save_objects on the Session
 * (after l_open_orm_session) */
void l_open_orm_bulk(lua_State *L, int orm);

/* Called by select() (l_select.c) when its first argument is a mapped
 * class: returns the ORM's select of entities.  l_orm_is_entity tells. */
int l_orm_is_entity(lua_State *L, int idx);
int l_orm_select(lua_State *L);
/* Opens the ORM: the C halves, then orm.lua; names go into the module. */
void l_open_orm(lua_State *L, int module);

#endif

/* retort.h: the Lua binding's entry point.
 *
 * luaopen_retort builds the module table (every public name of retort); the
 * shell preloads it and `require "retort"` loads it from retort.so. */
#ifndef RETORT_LUA_H
#define RETORT_LUA_H

#include <lua.h>

int luaopen_retort(lua_State *L);

#endif

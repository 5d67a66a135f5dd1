/* alloc.c: the allocator of the program's Lua states.  Small blocks (rows,
 * strings, tables, userdata: most of what Lua allocates) come from free lists
 * per 8-byte size class, carved from 64 KB chunks, which costs a few
 * instructions where malloc and free cost a hundred or more; Lua passes the
 * old size of every block it frees, so blocks carry no header.  Larger blocks
 * go to realloc and free.  Freed small blocks stay on their free list (the
 * peak is what the process needs anyway); the chunks go back when the state's
 * last block is freed (lua_close).  Under AddressSanitizer every block goes
 * to realloc and free, so that the sanitizer sees them. */
#include "shell.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRAIN 8                           /* Lua aligns to 8 (LUAI_MAXALIGN) */
#define SMALL_MAX 512                     /* larger blocks: realloc and free */
#define NCLASSES (SMALL_MAX / GRAIN)
#define CHUNK_SIZE (64 * 1024)

typedef struct chunk {
    struct chunk *next;
} chunk;

typedef struct pool {
    void *free[NCLASSES];   /* per class: a list linked through the blocks */
    char *bump, *end;       /* the unused part of the newest chunk */
    chunk *chunks;
    size_t live;            /* blocks not freed yet */
    int started;            /* lua_newstate returned: the last free destroys the pool */
} pool;

#if defined(__SANITIZE_ADDRESS__)
#define POOL_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_OFF 1
#endif
#endif
#ifndef POOL_OFF
#define POOL_OFF 0
#endif

static size_t class_of(size_t n) { return (n + GRAIN - 1) / GRAIN - 1; }

static void *small_alloc(pool *p, size_t n)
{
    size_t c = class_of(n);
    void *b = p->free[c];
    if (b) {
        memcpy(&p->free[c], b, sizeof(void *));
        return b;
    }
    size_t size = (c + 1) * GRAIN;
    if ((size_t)(p->end - p->bump) < size) {
        chunk *k = malloc(CHUNK_SIZE);
        if (!k)
            return NULL;
        k->next = p->chunks;
        p->chunks = k;
        p->bump = (char *)k + GRAIN;   /* (the header fits in one grain) */
        p->end = (char *)k + CHUNK_SIZE;
    }
    b = p->bump;
    p->bump += size;
    return b;
}

static void small_free(pool *p, void *b, size_t n)
{
    size_t c = class_of(n);
    memcpy(b, &p->free[c], sizeof(void *));
    p->free[c] = b;
}

static void destroy(pool *p)
{
    while (p->chunks) {
        chunk *k = p->chunks;
        p->chunks = k->next;
        free(k);
    }
    free(p);
}

static void *pool_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    pool *p = ud;
    if (!ptr)
        osize = 0;   /* (Lua passes the kind of object being made) */
    if (nsize == 0) {
        if (!ptr)
            return NULL;
        if (osize <= SMALL_MAX)
            small_free(p, ptr, osize);
        else
            free(ptr);
        if (--p->live == 0 && p->started)
            destroy(p);
        return NULL;
    }
    if (!ptr) {
        void *b = nsize <= SMALL_MAX ? small_alloc(p, nsize) : malloc(nsize);
        if (b)
            p->live++;
        return b;
    }
    if (osize > SMALL_MAX && nsize > SMALL_MAX)
        return realloc(ptr, nsize);
    if (osize <= SMALL_MAX && nsize <= SMALL_MAX && class_of(osize) == class_of(nsize))
        return ptr;
    void *b = nsize <= SMALL_MAX ? small_alloc(p, nsize) : malloc(nsize);
    if (!b)   /* Lua keeps the old block; a shrink must not fail: keep it (its
               * extra bytes are lost when it is freed as the smaller size) */
        return nsize <= osize ? ptr : NULL;
    memcpy(b, ptr, osize < nsize ? osize : nsize);
    if (osize <= SMALL_MAX)
        small_free(p, ptr, osize);
    else
        free(ptr);
    return b;
}

static void *plain_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud;
    (void)osize;
    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, nsize);
}

/* === what luaL_newstate adds: a panic message and warn() === */

static int panic(lua_State *L)
{
    const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
                                                     : "error object is not a string";
    fprintf(stderr, "PANIC: unprotected error in call to Lua API (%s)\n", msg);
    fflush(stderr);
    return 0;
}

static void warn_off(void *ud, const char *msg, int tocont);
static void warn_on(void *ud, const char *msg, int tocont);

/* "@on" and "@off" switch warnings (off at start), as in the standalone lua. */
static int warn_control(lua_State *L, const char *msg, int tocont)
{
    if (tocont || msg[0] != '@')
        return 0;
    if (strcmp(msg + 1, "on") == 0)
        lua_setwarnf(L, warn_on, L);
    else if (strcmp(msg + 1, "off") == 0)
        lua_setwarnf(L, warn_off, L);
    return 1;
}

static void warn_off(void *ud, const char *msg, int tocont)
{
    warn_control(ud, msg, tocont);
}

static void warn_more(void *ud, const char *msg, int tocont)
{
    fputs(msg, stderr);
    if (!tocont)
        fputs("\n", stderr);
    fflush(stderr);
    lua_setwarnf(ud, tocont ? warn_more : warn_on, ud);
}

static void warn_on(void *ud, const char *msg, int tocont)
{
    if (warn_control(ud, msg, tocont))
        return;
    fputs("Lua warning: ", stderr);
    warn_more(ud, msg, tocont);
}

lua_State *shell_lua_newstate(void)
{
    lua_State *L;
    pool *p = NULL;
    if (POOL_OFF) {
        L = lua_newstate(plain_alloc, NULL);
    } else {
        p = calloc(1, sizeof *p);
        if (!p)
            return NULL;
        L = lua_newstate(pool_alloc, p);
    }
    if (!L) {
        if (p)
            destroy(p);   /* (nothing of the state is left in it) */
        return NULL;
    }
    if (p)
        p->started = 1;
    lua_atpanic(L, panic);
    lua_setwarnf(L, warn_off, L);
    return L;
}

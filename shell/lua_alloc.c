/* lua_alloc.c: how the shell's Lua states are made and closed: their memory
 * allocator, panic function and warnings.  Lua makes and frees many small
 * blocks (strings, userdata such as ORM instances,
 * closures, small tables) and tells the size of a block when it frees or
 * resizes it, so small blocks need no header: they come from free lists,
 * one per size class of 8 bytes, carved out of 64 KB chunks, and go back
 * to their list when freed (never to malloc, until the state is closed).
 * Larger blocks come from malloc.  Under AddressSanitizer every block comes
 * from malloc, so that the sanitizer sees each one.  Warnings behave as
 * with luaL_newstate: off until warn("@on"), printed to stderr after it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shell.h"

#define GRAIN 8                       /* size classes: 8, 16, ... SMALL bytes */
#define SMALL 256
#define NCLASSES (SMALL / GRAIN)
#define CHUNK (64 * 1024)

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

typedef struct block { struct block *next; } block;

typedef struct shell_pool {
    int warn_on;             /* warnings are printed */
    int warn_cont;           /* the last piece of a warning asked for more */
    block *free[NCLASSES];   /* free blocks per class, linked through their first word */
    block *chunks;           /* the chunks, linked through their first word */
    char *cur, *end;         /* the part of the newest chunk not handed out yet */
} shell_pool;

static size_t class_of(size_t n) { return (n + GRAIN - 1) / GRAIN - 1; }

static void *small_new(shell_pool *p, size_t n)
{
    size_t c = class_of(n);
    block *b = p->free[c];
    if (b) {
        p->free[c] = b->next;
        return b;
    }
    size_t size = (c + 1) * GRAIN;
    if ((size_t)(p->end - p->cur) < size) {
        block *chunk = malloc(CHUNK);
        if (!chunk)
            return NULL;
        chunk->next = p->chunks;
        p->chunks = chunk;
        p->cur = (char *)chunk + GRAIN;       /* after the link */
        p->end = (char *)chunk + CHUNK;
    }
    void *r = p->cur;
    p->cur += size;
    return r;
}

static void small_free(shell_pool *p, void *ptr, size_t n)
{
    size_t c = class_of(n);
    block *b = ptr;
    b->next = p->free[c];
    p->free[c] = b;
}

/* The lua_Alloc of the shell's states; ud is the pool. */
static void *pool_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    shell_pool *p = ud;
    if (nsize == 0) {
        if (ptr && osize <= SMALL)
            small_free(p, ptr, osize);
        else
            free(ptr);
        return NULL;
    }
    if (!ptr)                                 /* osize is a type tag then */
        return nsize <= SMALL ? small_new(p, nsize) : malloc(nsize);
    if (osize > SMALL && nsize > SMALL)
        return realloc(ptr, nsize);
    if (osize <= SMALL && nsize <= SMALL && class_of(osize) == class_of(nsize))
        return ptr;
    void *n = nsize <= SMALL ? small_new(p, nsize) : malloc(nsize);
    if (!n)
        return NULL;
    memcpy(n, ptr, osize < nsize ? osize : nsize);
    if (osize <= SMALL)
        small_free(p, ptr, osize);
    else
        free(ptr);
    return n;
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

static void pool_free(shell_pool *p)
{
    while (p->chunks) {
        block *next = p->chunks->next;
        free(p->chunks);
        p->chunks = next;
    }
    free(p);
}

static int panic(lua_State *L)
{
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "PANIC: unprotected error in call to Lua API (%s)\n",
            msg ? msg : "error object is not a string");
    fflush(stderr);
    return 0;   /* Lua aborts */
}

static void warning(void *ud, const char *msg, int tocont)
{
    shell_pool *p = ud;
    if (!p->warn_cont && !tocont && msg[0] == '@') {   /* a control message */
        if (strcmp(msg, "@on") == 0)
            p->warn_on = 1;
        else if (strcmp(msg, "@off") == 0)
            p->warn_on = 0;
        return;
    }
    if (p->warn_on) {
        if (!p->warn_cont)
            fputs("Lua warning: ", stderr);
        fputs(msg, stderr);
        if (!tocont)
            fputs("\n", stderr);
        fflush(stderr);
    }
    p->warn_cont = tocont;
}

lua_State *shell_lua_open(void)
{
    shell_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    lua_State *L = lua_newstate(POOL_OFF ? plain_alloc : pool_alloc, p);
    if (!L) {
        free(p);
        return NULL;
    }
    lua_atpanic(L, panic);
    lua_setwarnf(L, warning, p);
    return L;
}

void shell_lua_close(lua_State *L)
{
    void *ud;
    lua_getallocf(L, &ud);
    lua_close(L);
    pool_free(ud);
}

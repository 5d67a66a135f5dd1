/* l_json.c: JSON text to and from Lua values, for the JSON type: objects are
 * tables with string keys (encoded with sorted keys, so the text is stable),
 * arrays are sequences, JSON null is the `null` sentinel inside tables (nil
 * at the top level).  An empty table encodes as {}.  Integers stay integers
 * both ways; strings are UTF-8 and pass through, \u escapes are decoded. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l_common.h"

#define MAX_DEPTH 128

/* === encoding === */

/* The text is built in an rt_buf held by a userdata, so that a Lua error in
 * the middle (a function value, a cycle) frees it through __gc. */
#define L_JSONBUF "retort.JSONBuffer"

static int jbuf_gc(lua_State *L)
{
    rt_buf_free(lua_touserdata(L, 1));
    return 0;
}

static void encode_value(lua_State *L, int idx, rt_buf *b, int depth);

static void encode_string(rt_buf *b, const char *s, size_t n)
{
    rt_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': rt_buf_puts(b, "\\\""); break;
        case '\\': rt_buf_puts(b, "\\\\"); break;
        case '\n': rt_buf_puts(b, "\\n"); break;
        case '\r': rt_buf_puts(b, "\\r"); break;
        case '\t': rt_buf_puts(b, "\\t"); break;
        case '\b': rt_buf_puts(b, "\\b"); break;
        case '\f': rt_buf_puts(b, "\\f"); break;
        default:
            if (c < 0x20)
                rt_buf_printf(b, "\\u%04x", c);
            else
                rt_buf_putc(b, (char)c);
        }
    }
    rt_buf_putc(b, '"');
}

static void encode_number(lua_State *L, int idx, rt_buf *b)
{
    char num[64];
    if (lua_isinteger(L, idx)) {
        snprintf(num, sizeof num, LUA_INTEGER_FMT, lua_tointeger(L, idx));
    } else {
        double d = lua_tonumber(L, idx);
        if (!isfinite(d))
            luaL_error(L, "cannot encode %f as JSON", d);
        snprintf(num, sizeof num, "%.17g", d);
        if (!strpbrk(num, ".eE"))
            strcat(num, ".0");
    }
    rt_buf_puts(b, num);
}

/* Length n when the table at idx is a sequence 1..n with nothing else; -1
 * otherwise (0 for an empty table). */
static lua_Integer array_length(lua_State *L, int idx)
{
    lua_Integer n = 0, count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1) {
            lua_pop(L, 1);
            return -1;
        }
        if (lua_tointeger(L, -1) > n)
            n = lua_tointeger(L, -1);
        count++;
    }
    return n == count ? n : -1;
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void encode_object(lua_State *L, int idx, rt_buf *b, int depth)
{
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "cannot encode a table with %s keys as JSON", luaL_typename(L, -1));
        n++;
    }
    /* the keys, borrowed from the table, in a userdata the GC frees */
    const char **keys = lua_newuserdatauv(L, (n ? n : 1) * sizeof *keys, 0);
    size_t k = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        keys[k++] = lua_tostring(L, -1);
    }
    qsort(keys, n, sizeof *keys, compare_keys);
    rt_buf_putc(b, '{');
    for (size_t i = 0; i < n; i++) {
        if (i)
            rt_buf_putc(b, ',');
        encode_string(b, keys[i], strlen(keys[i]));
        rt_buf_putc(b, ':');
        lua_getfield(L, idx, keys[i]);
        encode_value(L, lua_gettop(L), b, depth + 1);
        lua_pop(L, 1);
    }
    rt_buf_putc(b, '}');
    lua_pop(L, 1);
}

static void encode_value(lua_State *L, int idx, rt_buf *b, int depth)
{
    size_t n;
    const char *s;
    if (depth > MAX_DEPTH)
        luaL_error(L, "cannot encode as JSON: nesting too deep (a cycle?)");
    luaL_checkstack(L, 6, "JSON encoding");
    switch (lua_type(L, idx)) {
    case LUA_TNIL: rt_buf_puts(b, "null"); return;
    case LUA_TBOOLEAN: rt_buf_puts(b, lua_toboolean(L, idx) ? "true" : "false"); return;
    case LUA_TNUMBER: encode_number(L, idx, b); return;
    case LUA_TSTRING:
        s = lua_tolstring(L, idx, &n);
        encode_string(b, s, n);
        return;
    case LUA_TTABLE: {
        lua_Integer len = array_length(L, idx);
        if (len <= 0) {
            encode_object(L, idx, b, depth);
            return;
        }
        rt_buf_putc(b, '[');
        for (lua_Integer i = 1; i <= len; i++) {
            if (i > 1)
                rt_buf_putc(b, ',');
            lua_rawgeti(L, idx, i);
            encode_value(L, lua_gettop(L), b, depth + 1);
            lua_pop(L, 1);
        }
        rt_buf_putc(b, ']');
        return;
    }
    default:
        if (l_is_null(L, idx)) {
            rt_buf_puts(b, "null");
            return;
        }
        luaL_error(L, "cannot encode a %s as JSON", luaL_typename(L, idx));
    }
}

void l_json_encode(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    rt_buf *b = lua_newuserdatauv(L, sizeof *b, 0);
    rt_buf_init(b);
    if (luaL_newmetatable(L, L_JSONBUF)) {
        lua_pushcfunction(L, jbuf_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    encode_value(L, idx, b, 0);
    if (b->failed)
        luaL_error(L, "not enough memory");
    lua_pushlstring(L, rt_buf_str(b), b->len);
    rt_buf_free(b);
    lua_remove(L, -2);
}

/* === decoding === */

typedef struct reader {
    const char *s, *end, *start;
} reader;

static int fail(lua_State *L, const reader *r, const char *what)
{
    return luaL_error(L, "invalid JSON (%s at position %d)", what, (int)(r->s - r->start) + 1);
}

static void skip_ws(reader *r)
{
    while (r->s < r->end && (*r->s == ' ' || *r->s == '\t' || *r->s == '\n' || *r->s == '\r'))
        r->s++;
}

static void add_utf8(luaL_Buffer *b, unsigned long cp)
{
    char u[4];
    int n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    luaL_addlstring(b, u, (size_t)n);
}

static unsigned long hex4(lua_State *L, reader *r)
{
    if (r->end - r->s < 4)
        fail(L, r, "short \\u escape");
    char h[5] = {r->s[0], r->s[1], r->s[2], r->s[3], 0};
    char *endp;
    unsigned long v = strtoul(h, &endp, 16);
    if (*endp)
        fail(L, r, "bad \\u escape");
    r->s += 4;
    return v;
}

static void decode_escape(lua_State *L, reader *r, luaL_Buffer *b)
{
    char c = *r->s++;
    switch (c) {
    case '"': case '\\': case '/': luaL_addchar(b, c); return;
    case 'n': luaL_addchar(b, '\n'); return;
    case 'r': luaL_addchar(b, '\r'); return;
    case 't': luaL_addchar(b, '\t'); return;
    case 'b': luaL_addchar(b, '\b'); return;
    case 'f': luaL_addchar(b, '\f'); return;
    case 'u': {
        unsigned long cp = hex4(L, r);
        if (cp >= 0xD800 && cp < 0xDC00 && r->end - r->s >= 6 && r->s[0] == '\\' &&
            r->s[1] == 'u') {
            r->s += 2;
            unsigned long lo = hex4(L, r);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        add_utf8(b, cp);
        return;
    }
    default: fail(L, r, "bad escape");
    }
}

static void decode_string(lua_State *L, reader *r)
{
    luaL_Buffer b;
    r->s++;   /* opening quote */
    luaL_buffinit(L, &b);
    for (;;) {
        if (r->s >= r->end)
            fail(L, r, "unterminated string");
        char c = *r->s++;
        if (c == '"')
            break;
        if (c == '\\') {
            if (r->s >= r->end)
                fail(L, r, "unterminated string");
            decode_escape(L, r, &b);
        } else {
            luaL_addchar(&b, c);
        }
    }
    luaL_pushresult(&b);
}

static void decode_number(lua_State *L, reader *r)
{
    char num[64];
    size_t n = 0;
    int is_float = 0;
    while (r->s < r->end && strchr("+-0123456789.eE", *r->s) && n + 1 < sizeof num) {
        is_float |= *r->s == '.' || *r->s == 'e' || *r->s == 'E';
        num[n++] = *r->s++;
    }
    num[n] = '\0';
    if (!is_float && lua_stringtonumber(L, num) != 0)
        return;
    char *endp;
    double d = strtod(num, &endp);
    if (n == 0 || *endp)
        fail(L, r, "bad number");
    lua_pushnumber(L, d);
}

static void decode_value(lua_State *L, reader *r, int depth);

static void decode_container(lua_State *L, reader *r, int depth, char close)
{
    lua_Integer i = 0;
    lua_newtable(L);
    r->s++;
    skip_ws(r);
    if (r->s < r->end && *r->s == close) {
        r->s++;
        return;
    }
    for (;;) {
        skip_ws(r);
        if (close == '}') {
            if (r->s >= r->end || *r->s != '"')
                fail(L, r, "expected a key");
            decode_string(L, r);
            skip_ws(r);
            if (r->s >= r->end || *r->s++ != ':')
                fail(L, r, "expected ':'");
        }
        decode_value(L, r, depth + 1);
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            lua_getfield(L, LUA_REGISTRYINDEX, L_NULL);
        }
        if (close == '}')
            lua_rawset(L, -3);
        else
            lua_rawseti(L, -2, ++i);
        skip_ws(r);
        if (r->s < r->end && *r->s == ',') {
            r->s++;
            continue;
        }
        if (r->s < r->end && *r->s == close) {
            r->s++;
            return;
        }
        fail(L, r, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static void decode_value(lua_State *L, reader *r, int depth)
{
    if (depth > MAX_DEPTH)
        fail(L, r, "nesting too deep");
    luaL_checkstack(L, 4, "JSON decoding");
    skip_ws(r);
    if (r->s >= r->end)
        fail(L, r, "unexpected end");
    size_t left = (size_t)(r->end - r->s);
    switch (*r->s) {
    case '{': decode_container(L, r, depth, '}'); return;
    case '[': decode_container(L, r, depth, ']'); return;
    case '"': decode_string(L, r); return;
    case 't':
        if (left >= 4 && memcmp(r->s, "true", 4) == 0) {
            r->s += 4;
            lua_pushboolean(L, 1);
            return;
        }
        break;
    case 'f':
        if (left >= 5 && memcmp(r->s, "false", 5) == 0) {
            r->s += 5;
            lua_pushboolean(L, 0);
            return;
        }
        break;
    case 'n':
        if (left >= 4 && memcmp(r->s, "null", 4) == 0) {
            r->s += 4;
            lua_pushnil(L);
            return;
        }
        break;
    default:
        decode_number(L, r);
        return;
    }
    fail(L, r, "unexpected character");
}

void l_json_decode(lua_State *L, const char *s, size_t n)
{
    reader r = {s, s + n, s};
    decode_value(L, &r, 0);
    skip_ws(&r);
    if (r.s != r.end)
        fail(L, &r, "trailing characters");
}

/* buf.c: a growable string buffer with a sticky failure flag.
 *
 * Builders (compilers, formatters) append without checking each call and look
 * at `failed` once at the end, as SQLite's StrAccum does. */
#include "rt_util.h"

#include <stdio.h>
#include <string.h>

void rt_buf_init(rt_buf *b) { memset(b, 0, sizeof *b); }

void rt_buf_free(rt_buf *b)
{
    rt_free(b->data);
    rt_buf_init(b);
}

void rt_buf_reset(rt_buf *b)
{
    b->len = 0;
    b->failed = 0;
    if (b->data)
        b->data[0] = '\0';
}

static int grow(rt_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (b->failed)
        return -1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *d = rt_realloc(b->data, cap);
    if (!d) {
        b->failed = 1;
        return -1;
    }
    b->data = d;
    b->cap = cap;
    return 0;
}

void rt_buf_reserve(rt_buf *b, size_t n) { grow(b, n); }

void rt_buf_append(rt_buf *b, const char *s, size_t n)
{
    if (grow(b, n) < 0)
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void rt_buf_puts(rt_buf *b, const char *s) { rt_buf_append(b, s, strlen(s)); }

void rt_buf_putc(rt_buf *b, char c) { rt_buf_append(b, &c, 1); }

void rt_buf_printf(rt_buf *b, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        rt_buf_append(b, small, (size_t)n);
        return;
    }
    if (grow(b, (size_t)n) < 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

const char *rt_buf_str(const rt_buf *b) { return b->data ? b->data : ""; }

char *rt_buf_steal(rt_buf *b)
{
    char *s;
    if (b->failed) {
        rt_buf_free(b);
        return NULL;
    }
    s = b->data ? b->data : rt_strdup("");
    rt_buf_init(b);
    return s;
}

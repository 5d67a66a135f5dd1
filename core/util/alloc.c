/* alloc.c: retort's allocation wrappers.
 *
 * Every core allocation goes through here so that tests can make the n-th one
 * fail and check that no path loses data or leaks when memory runs out. */
#include "rt_util.h"

#include <stdlib.h>
#include <string.h>

static long fail_countdown; /* 0: off; otherwise allocations left before one fails */

static int should_fail(void)
{
    if (fail_countdown <= 0)
        return 0;
    if (--fail_countdown == 0)
        return 1;
    return 0;
}

void rt_alloc_fail_after(long n) { fail_countdown = n > 0 ? n : 0; }

void *rt_alloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *rt_calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *rt_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

void rt_free(void *p) { free(p); }

char *rt_strndup(const char *s, size_t n)
{
    char *d = rt_alloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *rt_strdup(const char *s) { return rt_strndup(s, strlen(s)); }

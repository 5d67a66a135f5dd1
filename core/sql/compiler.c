/* compiler.c: turns nodes into rt_compiled statements for a dialect and keeps
 * the per-node cache.  Each node kind renders itself through its compile hook;
 * this file owns what they share: the compiled object, slots, the counter. */
#include "sql_int.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static unsigned long compile_counter;

unsigned long rt_compile_count(void) { return compile_counter; }

rt_compiled *rt_compiled_retain(rt_compiled *c)
{
    if (c)
        c->refcount++;
    return c;
}

void rt_compiled_release(rt_compiled *c)
{
    if (!c || --c->refcount > 0)
        return;
    for (size_t i = 0; i < c->nslots; i++)
        rt_free(c->slot_names[i]);
    rt_free(c->slot_names);
    rt_free(c->sql);
    rt_free(c);
}

long rt_compiled_slot(const rt_compiled *c, const char *name)
{
    for (size_t i = 0; i < c->nslots; i++)
        if (strcmp(c->slot_names[i], name) == 0)
            return (long)i;
    return -1;
}

int rt_compile(rt_node *n, const rt_dialect *d, rt_compiled **out, rt_error *err)
{
    rt_compiled *c = n->cache[d->id];
    if (c) {
        *out = rt_compiled_retain(c);
        return 0;
    }
    c = rt_calloc(1, sizeof *c);
    if (!c)
        return rt_error_oom(err);
    c->refcount = 1;
    if (n->compile(n, d, c, err) < 0) {
        rt_compiled_release(c);
        return -1;
    }
    compile_counter++;
    n->cache[d->id] = c;
    *out = rt_compiled_retain(c);
    return 0;
}

/* Skips blanks, comments and opening parentheses before the first keyword. */
static const char *first_keyword(const char *s)
{
    for (;;) {
        while (isspace((unsigned char)*s) || *s == '(')
            s++;
        if (s[0] == '-' && s[1] == '-') {
            s = strchr(s, '\n');
            if (!s)
                return "";
        } else if (s[0] == '/' && s[1] == '*') {
            s = strstr(s + 2, "*/");
            if (!s)
                return "";
            s += 2;
        } else {
            return s;
        }
    }
}

int rt_sql_is_autocommit(const char *sql)
{
    static const char *const words[] = {"INSERT", "UPDATE", "DELETE", "CREATE", "DROP",
                                        "ALTER", "REPLACE", "TRUNCATE", "GRANT",
                                        "REVOKE", "COMMENT", "MERGE", NULL};
    const char *s = first_keyword(sql);
    size_t n = 0;
    while (isalpha((unsigned char)s[n]))
        n++;
    for (int i = 0; words[i]; i++)
        if (strlen(words[i]) == n && strncasecmp(s, words[i], n) == 0)
            return 1;
    return 0;
}

/* dialect.c: what all dialects share: lookup by name, placeholders in each
 * parameter style, identifier quoting, and the default dialect that tostring()
 * uses (named parameters, ANSI quoting). */
#include "sql_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *const ansi_reserved[] = {
    "all", "and", "as", "asc", "between", "by", "case", "check", "column", "constraint",
    "create", "cross", "default", "delete", "desc", "distinct", "drop", "else", "end",
    "except", "exists", "foreign", "from", "full", "group", "having", "in", "index",
    "inner", "insert", "intersect", "into", "is", "join", "key", "left", "like", "limit",
    "natural", "not", "null", "offset", "on", "or", "order", "outer", "primary",
    "references", "right", "select", "set", "table", "then", "to", "union", "unique",
    "update", "user", "using", "values", "when", "where", "with", NULL};

static const rt_dialect default_dialect = {
    .name = "default",
    .id = RT_DIALECT_DEFAULT_ID,
    .paramstyle = RT_PARAM_NAMED,
    .reserved = ansi_reserved,
    .native_boolean = 1,
    .compound_parens = 1,
    .update_from = 1,
    .delete_using = 1,
    .for_update = 1,
};

const rt_dialect *rt_dialect_default(void) { return &default_dialect; }

const rt_dialect *rt_dialect_by_name(const char *name)
{
    if (strcmp(name, "sqlite") == 0)
        return rt_dialect_sqlite();
    if (strcmp(name, "postgresql") == 0 || strcmp(name, "postgres") == 0)
        return rt_dialect_postgresql();
    if (strcmp(name, "default") == 0)
        return rt_dialect_default();
    return NULL;
}

const char *rt_dialect_name(const rt_dialect *d) { return d->name; }

rt_paramstyle rt_dialect_paramstyle(const rt_dialect *d) { return d->paramstyle; }

void rt_dialect_placeholder(const rt_dialect *d, rt_buf *b, const char *name, size_t number)
{
    switch (d->paramstyle) {
    case RT_PARAM_NAMED: rt_buf_printf(b, ":%s", name); break;
    case RT_PARAM_QMARK: rt_buf_putc(b, '?'); break;
    case RT_PARAM_NUMERIC: rt_buf_printf(b, "$%zu", number); break;
    }
}

static int is_reserved(const rt_dialect *d, const char *lower)
{
    for (const char *const *w = d->reserved; *w; w++)
        if (strcmp(*w, lower) == 0)
            return 1;
    return 0;
}

void rt_dialect_quote(const rt_dialect *d, rt_buf *b, const char *ident)
{
    int needs = ident[0] == '\0' || isdigit((unsigned char)ident[0]) || ident[0] == '$';
    char lower[64];
    size_t n = strlen(ident);
    for (size_t i = 0; i < n && !needs; i++) {
        unsigned char c = (unsigned char)ident[i];
        if (!(islower(c) || isdigit(c) || c == '_' || c == '$'))
            needs = 1;
    }
    if (!needs && n < sizeof lower) {
        memcpy(lower, ident, n + 1);
        needs = is_reserved(d, lower);
    }
    if (!needs) {
        rt_buf_append(b, ident, n);
        return;
    }
    rt_buf_putc(b, '"');
    for (const char *p = ident; *p; p++) {
        if (*p == '"')
            rt_buf_putc(b, '"');
        rt_buf_putc(b, *p);
    }
    rt_buf_putc(b, '"');
}

/* types.c: SQL types as plain data: construction, reference counting, copies,
 * the generic names users write (`String(50)`), and reading back the type
 * names databases report during reflection.
 *
 * How a type is spelled in DDL for a given database is not here: that is the
 * dialect's business (rt_type_ddl in core/sql/ddl.c).  The binding's hooks on
 * a TypeDecorator are held through user_ref and released with the ref hooks
 * this file also keeps (rt_schema_set_ref_hooks). */
#include "rt_schema.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void (*ref_release)(void *ctx, int ref);
static int (*ref_dup)(void *ctx, int ref);

void rt_schema_set_ref_hooks(void (*release)(void *ctx, int ref),
                             int (*dup)(void *ctx, int ref))
{
    ref_release = release;
    ref_dup = dup;
}

/* Used by column.c for callable defaults as well. */
void rt_schema_ref_release(void *ctx, int ref)
{
    if (ref && ref_release)
        ref_release(ctx, ref);
}

int rt_schema_ref_dup(void *ctx, int ref)
{
    return ref && ref_dup ? ref_dup(ctx, ref) : 0;
}

rt_sqltype *rt_type_new(rt_typekind kind)
{
    rt_sqltype *t = rt_calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->refcount = 1;
    t->kind = kind;
    t->length = t->precision = t->scale = -1;
    t->native_enum = 1;
    return t;
}

rt_sqltype *rt_type_retain(rt_sqltype *t)
{
    if (t)
        t->refcount++;
    return t;
}

static void free_enum(rt_sqltype *t)
{
    for (size_t i = 0; i < t->nenum; i++)
        rt_free(t->enum_values[i]);
    rt_free(t->enum_values);
    t->enum_values = NULL;
    t->nenum = 0;
}

void rt_type_release(rt_sqltype *t)
{
    if (!t || --t->refcount > 0)
        return;
    free_enum(t);
    rt_free(t->sqlname);
    rt_free(t->enum_name);
    rt_free(t->decorator_name);
    rt_type_release(t->impl);
    rt_schema_ref_release(t->user_ctx, t->user_ref);
    rt_free(t);
}

int rt_type_set_sqlname(rt_sqltype *t, const char *sqlname)
{
    char *s = sqlname ? rt_strdup(sqlname) : NULL;
    if (sqlname && !s)
        return -1;
    rt_free(t->sqlname);
    t->sqlname = s;
    return 0;
}

int rt_type_set_enum(rt_sqltype *t, const char *const *labels, size_t n, const char *name)
{
    char **v = rt_calloc(n ? n : 1, sizeof *v);
    char *nm = name ? rt_strdup(name) : NULL;
    int failed = !v || (name && !nm);
    size_t longest = 0;
    for (size_t i = 0; i < n && !failed; i++) {
        v[i] = rt_strdup(labels[i]);
        failed = !v[i];
        if (!failed && strlen(labels[i]) > longest)
            longest = strlen(labels[i]);
    }
    if (failed) {
        for (size_t i = 0; v && i < n; i++)
            rt_free(v[i]);
        rt_free(v);
        rt_free(nm);
        return -1;
    }
    free_enum(t);
    rt_free(t->enum_name);
    t->enum_values = v;
    t->nenum = n;
    t->enum_name = nm;
    t->length = (int)longest;
    return 0;
}

rt_sqltype *rt_type_copy(const rt_sqltype *t)
{
    rt_sqltype *c = rt_type_new(t->kind);
    if (!c)
        return NULL;
    c->length = t->length;
    c->precision = t->precision;
    c->scale = t->scale;
    c->timezone = t->timezone;
    c->asdecimal = t->asdecimal;
    c->native_enum = t->native_enum;
    c->impl = rt_type_retain(t->impl);
    c->user_ctx = t->user_ctx;
    c->user_ref = rt_schema_ref_dup(t->user_ctx, t->user_ref);
    if (rt_type_set_sqlname(c, t->sqlname) < 0 ||
        (t->decorator_name && !(c->decorator_name = rt_strdup(t->decorator_name))) ||
        (t->nenum && rt_type_set_enum(c, (const char *const *)t->enum_values, t->nenum,
                                      t->enum_name) < 0) ||
        (t->user_ref && !c->user_ref)) {
        rt_type_release(c);
        return NULL;
    }
    if (t->enum_name && !t->nenum && !(c->enum_name = rt_strdup(t->enum_name))) {
        rt_type_release(c);
        return NULL;
    }
    c->length = t->length;
    return c;
}

const rt_sqltype *rt_type_base(const rt_sqltype *t)
{
    while (t && t->kind == RT_TYPE_DECORATOR && t->impl)
        t = t->impl;
    return t;
}

const char *rt_typekind_name(rt_typekind k)
{
    static const char *const names[RT_TYPE__COUNT] = {
        [RT_TYPE_NULL] = "NullType",          [RT_TYPE_INTEGER] = "Integer",
        [RT_TYPE_SMALLINT] = "SmallInteger",  [RT_TYPE_BIGINT] = "BigInteger",
        [RT_TYPE_FLOAT] = "Float",            [RT_TYPE_NUMERIC] = "Numeric",
        [RT_TYPE_STRING] = "String",          [RT_TYPE_TEXT] = "Text",
        [RT_TYPE_UNICODE] = "Unicode",        [RT_TYPE_UNICODE_TEXT] = "UnicodeText",
        [RT_TYPE_BOOLEAN] = "Boolean",        [RT_TYPE_DATE] = "Date",
        [RT_TYPE_DATETIME] = "DateTime",      [RT_TYPE_TIME] = "Time",
        [RT_TYPE_INTERVAL] = "Interval",      [RT_TYPE_LARGEBINARY] = "LargeBinary",
        [RT_TYPE_ENUM] = "Enum",              [RT_TYPE_JSON] = "JSON",
        [RT_TYPE_DECORATOR] = "TypeDecorator"};
    return (unsigned)k < RT_TYPE__COUNT ? names[k] : "NullType";
}

int rt_type_is_numeric(const rt_sqltype *t)
{
    t = rt_type_base(t);
    if (!t)
        return 0;
    switch (t->kind) {
    case RT_TYPE_INTEGER: case RT_TYPE_SMALLINT: case RT_TYPE_BIGINT:
    case RT_TYPE_FLOAT: case RT_TYPE_NUMERIC:
        return 1;
    default:
        return 0;
    }
}

int rt_type_is_string(const rt_sqltype *t)
{
    t = rt_type_base(t);
    if (!t)
        return 0;
    switch (t->kind) {
    case RT_TYPE_STRING: case RT_TYPE_TEXT: case RT_TYPE_UNICODE:
    case RT_TYPE_UNICODE_TEXT: case RT_TYPE_ENUM:
        return 1;
    default:
        return 0;
    }
}

/* Appends a label as a quoted literal ('it''s'). */
static void put_quoted(rt_buf *b, const char *s)
{
    rt_buf_putc(b, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            rt_buf_putc(b, '\'');
        rt_buf_putc(b, *s);
    }
    rt_buf_putc(b, '\'');
}

static void repr_args(const rt_sqltype *t, rt_buf *b)
{
    switch (t->kind) {
    case RT_TYPE_NUMERIC: case RT_TYPE_FLOAT:
        if (t->precision >= 0 && t->scale >= 0)
            rt_buf_printf(b, "(%d, %d)", t->precision, t->scale);
        else if (t->precision >= 0)
            rt_buf_printf(b, "(%d)", t->precision);
        break;
    case RT_TYPE_STRING: case RT_TYPE_UNICODE: case RT_TYPE_LARGEBINARY:
    case RT_TYPE_TEXT: case RT_TYPE_UNICODE_TEXT:
        if (t->length >= 0)
            rt_buf_printf(b, "(%d)", t->length);
        break;
    case RT_TYPE_DATETIME: case RT_TYPE_TIME:
        if (t->timezone)
            rt_buf_puts(b, "(timezone=true)");
        break;
    case RT_TYPE_ENUM:
        rt_buf_putc(b, '(');
        for (size_t i = 0; i < t->nenum; i++) {
            if (i)
                rt_buf_puts(b, ", ");
            put_quoted(b, t->enum_values[i]);
        }
        if (t->enum_name) {
            rt_buf_puts(b, t->nenum ? ", name=" : "name=");
            put_quoted(b, t->enum_name);
        }
        rt_buf_putc(b, ')');
        break;
    default:
        break;
    }
}

char *rt_type_repr(const rt_sqltype *t)
{
    rt_buf b;
    rt_buf_init(&b);
    if (t->kind == RT_TYPE_DECORATOR) {
        rt_buf_puts(&b, t->decorator_name ? t->decorator_name : "TypeDecorator");
        rt_buf_puts(&b, "()");
    } else {
        rt_buf_puts(&b, t->sqlname ? t->sqlname : rt_typekind_name(t->kind));
        repr_args(t, &b);
    }
    return rt_buf_steal(&b);
}

int rt_type_equivalent(const rt_sqltype *a, const rt_sqltype *b)
{
    a = rt_type_base(a);
    b = rt_type_base(b);
    if (!a || !b)
        return a == b;
    if (a->kind != b->kind || a->length != b->length || a->timezone != b->timezone ||
        a->precision != b->precision || a->scale != b->scale || a->nenum != b->nenum)
        return 0;
    for (size_t i = 0; i < a->nenum; i++)
        if (strcmp(a->enum_values[i], b->enum_values[i]) != 0)
            return 0;
    return 1;
}

/* === reading type names back (reflection) === */

typedef struct type_name {
    const char *name;      /* lower case, as reported (base name, no arguments) */
    rt_typekind kind;
    const char *sqlname;   /* the upper-case spelling kept, or NULL: generic */
    int timezone;
} type_name;

static const type_name known_names[] = {
    {"integer", RT_TYPE_INTEGER, "INTEGER", 0},
    {"int", RT_TYPE_INTEGER, "INTEGER", 0},
    {"int4", RT_TYPE_INTEGER, "INTEGER", 0},
    {"serial", RT_TYPE_INTEGER, "INTEGER", 0},
    {"smallint", RT_TYPE_SMALLINT, "SMALLINT", 0},
    {"int2", RT_TYPE_SMALLINT, "SMALLINT", 0},
    {"bigint", RT_TYPE_BIGINT, "BIGINT", 0},
    {"int8", RT_TYPE_BIGINT, "BIGINT", 0},
    {"bigserial", RT_TYPE_BIGINT, "BIGINT", 0},
    {"float", RT_TYPE_FLOAT, "FLOAT", 0},
    {"double precision", RT_TYPE_FLOAT, "DOUBLE PRECISION", 0},
    {"double", RT_TYPE_FLOAT, "DOUBLE", 0},
    {"real", RT_TYPE_FLOAT, "REAL", 0},
    {"numeric", RT_TYPE_NUMERIC, "NUMERIC", 0},
    {"decimal", RT_TYPE_NUMERIC, "DECIMAL", 0},
    {"varchar", RT_TYPE_STRING, "VARCHAR", 0},
    {"character varying", RT_TYPE_STRING, "VARCHAR", 0},
    {"nvarchar", RT_TYPE_UNICODE, "NVARCHAR", 0},
    {"char", RT_TYPE_STRING, "CHAR", 0},
    {"character", RT_TYPE_STRING, "CHAR", 0},
    {"bpchar", RT_TYPE_STRING, "CHAR", 0},
    {"nchar", RT_TYPE_UNICODE, "NCHAR", 0},
    {"text", RT_TYPE_TEXT, "TEXT", 0},
    {"clob", RT_TYPE_TEXT, "CLOB", 0},
    {"boolean", RT_TYPE_BOOLEAN, "BOOLEAN", 0},
    {"bool", RT_TYPE_BOOLEAN, "BOOLEAN", 0},
    {"date", RT_TYPE_DATE, "DATE", 0},
    {"datetime", RT_TYPE_DATETIME, "DATETIME", 0},
    {"timestamp", RT_TYPE_DATETIME, "TIMESTAMP", 0},
    {"timestamp without time zone", RT_TYPE_DATETIME, "TIMESTAMP", 0},
    {"timestamp with time zone", RT_TYPE_DATETIME, "TIMESTAMP", 1},
    {"timestamptz", RT_TYPE_DATETIME, "TIMESTAMP", 1},
    {"time", RT_TYPE_TIME, "TIME", 0},
    {"time without time zone", RT_TYPE_TIME, "TIME", 0},
    {"time with time zone", RT_TYPE_TIME, "TIME", 1},
    {"interval", RT_TYPE_INTERVAL, "INTERVAL", 0},
    {"blob", RT_TYPE_LARGEBINARY, "BLOB", 0},
    {"bytea", RT_TYPE_LARGEBINARY, "BYTEA", 0},
    {"json", RT_TYPE_JSON, "JSON", 0},
    {"jsonb", RT_TYPE_JSON, "JSONB", 0},
    {NULL, RT_TYPE_NULL, NULL, 0}};

/* Splits "name(a, b) rest" into a lower-cased base name (with any text after
 * the arguments, as in "timestamp(6) with time zone") and up to two numbers. */
static void split_spec(const char *spec, char *base, size_t cap, int *args, int *nargs)
{
    size_t n = 0;
    const char *p = spec;
    *nargs = 0;
    while (isspace((unsigned char)*p))
        p++;
    for (; *p && n + 1 < cap; p++) {
        if (*p == '(') {
            const char *q = p + 1;
            while (*nargs < 2) {
                char *end;
                long v = strtol(q, &end, 10);
                if (end == q)
                    break;
                args[(*nargs)++] = (int)v;
                q = end;
                while (isspace((unsigned char)*q) || *q == ',')
                    q++;
            }
            p = strchr(p, ')');
            if (!p)
                break;
            continue;
        }
        base[n++] = (char)tolower((unsigned char)*p);
    }
    while (n > 0 && isspace((unsigned char)base[n - 1]))
        n--;
    base[n] = '\0';
}

static void set_args(rt_sqltype *t, const int *args, int nargs)
{
    if (nargs == 0)
        return;
    switch (t->kind) {
    case RT_TYPE_NUMERIC:
        t->precision = args[0];
        t->scale = nargs > 1 ? args[1] : 0;
        break;
    case RT_TYPE_FLOAT:
        t->precision = args[0];
        break;
    case RT_TYPE_STRING: case RT_TYPE_UNICODE: case RT_TYPE_LARGEBINARY:
        t->length = args[0];
        break;
    default:
        break;
    }
}

rt_sqltype *rt_type_from_sql(const char *spec)
{
    char base[128];
    int args[2], nargs;
    split_spec(spec, base, sizeof base, args, &nargs);
    for (const type_name *k = known_names; k->name; k++) {
        if (strcmp(k->name, base) != 0)
            continue;
        rt_sqltype *t = rt_type_new(k->kind);
        if (!t || rt_type_set_sqlname(t, k->sqlname) < 0) {
            rt_type_release(t);
            return NULL;
        }
        t->timezone = k->timezone;
        set_args(t, args, nargs);
        return t;
    }
    /* unknown (or empty, as SQLite allows): keep the spelling */
    rt_sqltype *t = rt_type_new(RT_TYPE_NULL);
    char upper[128];
    size_t i;
    for (i = 0; spec[i] && i + 1 < sizeof upper; i++)
        upper[i] = (char)toupper((unsigned char)spec[i]);
    upper[i] = '\0';
    if (t && upper[0] && rt_type_set_sqlname(t, upper) < 0) {
        rt_type_release(t);
        return NULL;
    }
    return t;
}

/* dialect_postgresql.c: the compile side of PostgreSQL: $n parameters,
 * PostgreSQL's reserved words, and the expression compiler's hooks (LIMIT
 * ALL, EXTRACT with casts, MATCH as @@ to_tsquery, typed empty IN sets).
 * The driver side is core/engine/driver_pg.c. */
#include "sql_int.h"
#include "expr_int.h"

static const char *const reserved[] = {
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
    "authorization", "binary", "both", "case", "cast", "check", "collate", "collation",
    "column", "concurrently", "constraint", "create", "cross", "current_catalog",
    "current_date", "current_role", "current_schema", "current_time",
    "current_timestamp", "current_user", "default", "deferrable", "desc", "distinct",
    "do", "else", "end", "except", "false", "fetch", "for", "foreign", "freeze", "from",
    "full", "grant", "group", "having", "ilike", "in", "initially", "inner", "intersect",
    "into", "is", "isnull", "join", "lateral", "leading", "left", "like", "limit",
    "localtime", "localtimestamp", "natural", "not", "notnull", "null", "offset", "on",
    "only", "or", "order", "outer", "overlaps", "placing", "primary", "references",
    "returning", "right", "select", "session_user", "similar", "some", "symmetric",
    "table", "tablesample", "then", "to", "trailing", "true", "union", "unique", "user",
    "using", "variadic", "verbose", "when", "where", "window", "with", NULL};

/* DDL spellings that differ from the generic ones (ddl.c). */
static const char *const type_names[RT_TYPE__COUNT] = {
    [RT_TYPE_DATETIME] = "TIMESTAMP", [RT_TYPE_TIME] = "TIME",
    [RT_TYPE_INTERVAL] = "INTERVAL", [RT_TYPE_LARGEBINARY] = "BYTEA"};
static const char *const type_aliases[] = {
    "DATETIME", "TIMESTAMP", "BLOB", "BYTEA", "CLOB", "TEXT", "DOUBLE", "DOUBLE PRECISION",
    "NVARCHAR", "VARCHAR", "NCHAR", "CHAR", NULL};

/* --- expression hooks (compiler) --- */

/* EXTRACT casts date and time operands as SQLAlchemy's dialect does. */
static void pg_extract(struct rt_cctx *cc, const char *field, const rt_node *expr)
{
    const rt_sqltype *t = rt_type_base(rt_expr_type(expr));
    const char *cast = !t ? NULL
                     : t->kind == RT_TYPE_DATE ? "date"
                     : t->kind == RT_TYPE_DATETIME ? "timestamp"
                     : t->kind == RT_TYPE_INTERVAL ? "interval"
                     : t->kind == RT_TYPE_TIME ? "time" : NULL;
    rt_buf_printf(cc->b, "EXTRACT(%s FROM ", field);
    cc_expr_in(cc, expr, cast ? 100 : -100, -1);
    if (cast)
        rt_buf_printf(cc->b, "::%s", cast);
    cc_puts(cc, ")");
}

/* An OFFSET alone needs LIMIT ALL (LIMIT -1 is an error here). */
static void pg_limit(struct rt_cctx *cc, const rt_node *limit, const rt_node *offset)
{
    cc_puts(cc, "\nLIMIT ");
    if (limit)
        cc_expr(cc, limit);
    else
        cc_puts(cc, "ALL");
    if (offset) {
        cc_puts(cc, " OFFSET ");
        cc_expr(cc, offset);
    }
}

static void pg_match(struct rt_cctx *cc, const rt_node *left, const rt_node *right)
{
    cc_expr_in(cc, left, 5, RT_OP_MATCH);
    cc_puts(cc, " @@ to_tsquery(");
    cc_expr(cc, right);
    cc_puts(cc, ")");
}

/* IN () as an empty typed set: PostgreSQL compares types. */
static void pg_empty_in(struct rt_cctx *cc, const rt_node *left)
{
    const rt_sqltype *t = rt_expr_type(left);
    cc_puts(cc, "SELECT CAST(NULL AS ");
    if (t && rt_type_base(t) && rt_type_base(t)->kind != RT_TYPE_NULL)
        cc_type(cc, t);
    else
        cc_puts(cc, "INTEGER");
    cc_puts(cc, ") WHERE 1!=1");
}

static const rt_dialect pg_dialect = {
    .name = "postgresql",
    .id = RT_DIALECT_POSTGRESQL_ID,
    .paramstyle = RT_PARAM_NUMERIC,
    .reserved = reserved,
    .native_boolean = 1,
    .native_ilike = 1,
    .compound_parens = 1,
    .implicit_returning = 1,
    .update_from = 1,
    .delete_using = 1,
    .for_update = 1,
    .limit = pg_limit,
    .extract = pg_extract,
    .match = pg_match,
    .empty_in = pg_empty_in,
    .cast_string_func_args = 1,
    .type_names = type_names,
    .type_aliases = type_aliases,
    .native_enum = 1,
    .serial = 1,
    .sequences = 1,
    .alter_constraints = 1,
    .time_zones = 1,
};

const rt_dialect *rt_dialect_postgresql(void) { return &pg_dialect; }

/* dialect_sqlite.c: the compile side of SQLite: qmark parameters, SQLite's
 * reserved words, and the expression compiler's hooks (LIMIT/OFFSET always
 * bound in pairs, EXTRACT as STRFTIME, now() as CURRENT_TIMESTAMP).  The
 * driver side lives in core/engine/driver_sqlite.c. */
#include "sql_int.h"
#include "expr_int.h"

#include <string.h>

static const char *const reserved[] = {
    "abort", "action", "add", "after", "all", "alter", "analyze", "and", "as", "asc",
    "attach", "autoincrement", "before", "begin", "between", "by", "cascade", "case",
    "cast", "check", "collate", "column", "commit", "conflict", "constraint", "create",
    "cross", "current_date", "current_time", "current_timestamp", "database", "default",
    "deferrable", "deferred", "delete", "desc", "detach", "distinct", "drop", "each",
    "else", "end", "escape", "except", "exclusive", "exists", "explain", "fail", "for",
    "foreign", "from", "full", "glob", "group", "having", "if", "ignore", "immediate",
    "in", "index", "indexed", "initially", "inner", "insert", "instead", "intersect",
    "into", "is", "isnull", "join", "key", "left", "like", "limit", "match", "natural",
    "no", "not", "notnull", "null", "of", "offset", "on", "or", "order", "outer", "plan",
    "pragma", "primary", "query", "raise", "recursive", "references", "regexp", "reindex",
    "release", "rename", "replace", "restrict", "right", "rollback", "row", "savepoint",
    "select", "set", "table", "temp", "temporary", "then", "to", "transaction",
    "trigger", "union", "unique", "update", "using", "vacuum", "values", "view",
    "virtual", "when", "where", "with", "without", NULL};

/* --- expression hooks (compiler) --- */

static const char *const func_names[] = {"now", "CURRENT_TIMESTAMP", "char_length", "length",
                                         NULL};

/* SQLite has no parameterless LIMIT or OFFSET: LIMIT ? OFFSET ? always, with
 * -1 and 0 bound as SQLAlchemy binds them. */
static void sqlite_limit(struct rt_cctx *cc, const rt_node *limit, const rt_node *offset)
{
    cc_puts(cc, "\nLIMIT ");
    if (limit)
        cc_expr(cc, limit);
    else
        cc_const_bind(cc, (const char *)offset + 1, RT_CONST_MINUS_ONE);
    cc_puts(cc, " OFFSET ");
    if (offset)
        cc_expr(cc, offset);
    else
        cc_const_bind(cc, (const char *)limit + 1, RT_CONST_ZERO);
}

/* EXTRACT as STRFTIME, as SQLAlchemy's SQLite dialect renders it. */
static void sqlite_extract(struct rt_cctx *cc, const char *field, const rt_node *expr)
{
    static const char *const map[] = {"month", "%m", "day", "%d", "year", "%Y", "second", "%S",
                                      "hour", "%H", "doy", "%j", "minute", "%M", "epoch", "%s",
                                      "dow", "%w", "week", "%W", NULL};
    for (int i = 0; map[i]; i += 2)
        if (strcmp(map[i], field) == 0) {
            cc_puts(cc, "CAST(STRFTIME('");
            cc_puts(cc, map[i + 1]);
            cc_puts(cc, "', ");
            cc_expr(cc, expr);
            cc_puts(cc, ") AS INTEGER)");
            return;
        }
    cc_error(cc, RT_ERR_COMPILE, "%s is not a valid extract argument.", field);
}

static const rt_dialect sqlite_dialect = {
    .name = "sqlite",
    .id = RT_DIALECT_SQLITE_ID,
    .paramstyle = RT_PARAM_QMARK,
    .reserved = reserved,
    .func_names = func_names,
    .update_from = 1,
    .limit = sqlite_limit,
    .extract = sqlite_extract,
};

const rt_dialect *rt_dialect_sqlite(void) { return &sqlite_dialect; }

/* dialect_sqlite.c: the compile side of SQLite: qmark parameters and SQLite's
 * reserved words.  The driver side lives in core/engine/driver_sqlite.c. */
#include "sql_int.h"

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

static const rt_dialect sqlite_dialect = {
    .name = "sqlite",
    .id = RT_DIALECT_SQLITE_ID,
    .paramstyle = RT_PARAM_QMARK,
    .reserved = reserved,
};

const rt_dialect *rt_dialect_sqlite(void) { return &sqlite_dialect; }

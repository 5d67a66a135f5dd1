/* reflect_int.h: what reflect.c shares with the per-database reflection
 * files (reflect_sqlite.c, reflect_postgresql.c): a string list, readers of
 * result values, and the helpers that turn what a database reports into
 * columns and constraints of an rt_table. */
#ifndef RT_REFLECT_INT_H
#define RT_REFLECT_INT_H

#include "engine_int.h"

/* A growable list of copied strings (NULL items allowed). */
typedef struct rf_list {
    char **items;
    size_t n, cap;
} rf_list;

int rf_list_push(rf_list *l, const char *s);        /* 0, -1 on OOM */
void rf_list_clear(rf_list *l);
/* Index of s in l, or -1. */
long rf_list_find(const rf_list *l, const char *s);

/* The current row's value i as a new string (NULL for SQL NULL), an integer
 * (0 for NULL) or a truth value (booleans, integers, 't'/'true' text). */
char *rf_text(rt_result *r, int i, int *oom);
int64_t rf_int(rt_result *r, int i);
int rf_bool(rt_result *r, int i);

/* Adds a reflected column.  type is taken (NULL: NullType); default_sql is
 * the server default as SQL text (becomes a text() server default). */
int rf_add_column(rt_table *t, const char *name, rt_sqltype *type, int nullable,
                  const char *default_sql, rt_autoinc autoinc, rt_error *err);
/* Adds a constraint over the named columns (targets for foreign keys). */
rt_constraint *rf_add_constraint(rt_table *t, rt_constraint_kind kind, const char *name,
                                 const rf_list *cols, const rf_list *targets, rt_error *err);
/* A foreign-key target "[schema.]table[.column]". */
char *rf_target(const char *schema, const char *table, const char *column);

/* Per database: fill t (already in its MetaData) from the database, or fail
 * with NoSuchTableError; list table names. */
int rt_reflect_sqlite_table(rt_conn *c, rt_table *t, rt_error *err);
int rt_reflect_sqlite_names(rt_conn *c, const char *schema, rf_list *out, rt_error *err);
int rt_reflect_pg_table(rt_conn *c, rt_table *t, rt_error *err);
int rt_reflect_pg_names(rt_conn *c, const char *schema, rf_list *out, rt_error *err);

#endif

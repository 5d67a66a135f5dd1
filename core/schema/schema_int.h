/* schema_int.h: internals shared by the files of core/schema (not a public
 * header): the binding-handle hooks, and the constructors and destructors
 * that only the owner of an object may call. */
#ifndef RT_SCHEMA_INT_H
#define RT_SCHEMA_INT_H

#include "rt_schema.h"

/* types.c: the hooks set by rt_schema_set_ref_hooks (no-ops when unset). */
void rt_schema_ref_release(void *ctx, int ref);
int rt_schema_ref_dup(void *ctx, int ref);

/* column.c */
void rt_column_fk_clear(rt_column_fk *f);

/* constraint.c */
rt_constraint *rt_constraint_new(rt_table *t, rt_constraint_kind kind, const char *name,
                                 rt_error *err);
void rt_constraint_free(rt_constraint *c);
rt_index *rt_index_new(rt_table *t, const char *name, rt_error *err);
void rt_index_free(rt_index *ix);
/* Appends a column to a constraint's or index's column list; -1 on OOM. */
int rt_constraint_push_column(rt_constraint *c, rt_column *col, const char *target);
int rt_index_push_column(rt_index *ix, rt_column *col);

/* table.c */
rt_table *rt_table_new(rt_metadata *md, const char *name, const char *schema, rt_error *err);
void rt_table_free(rt_table *t);
/* Adds a column; with generate, also the constraints and index its flags and
 * ForeignKey()s ask for (tometadata copies them separately). */
int rt_table_attach_column(rt_table *t, rt_column *c, int generate, rt_error *err);

#endif

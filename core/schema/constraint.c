/* constraint.c: PRIMARY KEY, FOREIGN KEY, UNIQUE and CHECK constraints and
 * indexes as plain data, and the resolution of foreign-key targets
 * ("table.column" strings) against a MetaData.
 *
 * Targets stay strings until asked for, so a foreign key may name a table
 * defined later; rendering them (ddl.c) and ordering tables by them
 * (metadata.c) resolve them on demand. */
#include "schema_int.h"

#include <string.h>

unsigned long rt_schema_next_seq(void)
{
    static unsigned long counter;
    return __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
}

rt_constraint *rt_constraint_new(rt_table *t, rt_constraint_kind kind, const char *name,
                                 rt_error *err)
{
    rt_constraint *c = rt_calloc(1, sizeof *c);
    if (!c || (name && !(c->name = rt_strdup(name)))) {
        rt_free(c);
        rt_error_oom(err);
        return NULL;
    }
    c->kind = kind;
    c->table = t;
    c->seq = rt_schema_next_seq();
    return c;
}

void rt_constraint_free(rt_constraint *c)
{
    if (!c)
        return;
    if (c->fk.targets)
        for (size_t i = 0; i < c->ncols; i++)
            rt_free(c->fk.targets[i]);
    rt_free(c->fk.targets);
    rt_free(c->fk.ondelete);
    rt_free(c->fk.onupdate);
    rt_free(c->columns);
    rt_free(c->name);
    rt_free(c->sqltext);
    rt_exprref_clear(&c->expr);
    rt_free(c);
}

int rt_constraint_push_column(rt_constraint *c, rt_column *col, const char *target)
{
    rt_column **cols = rt_realloc(c->columns, (c->ncols + 1) * sizeof *cols);
    if (!cols)
        return -1;
    c->columns = cols;
    if (c->kind == RT_CONSTRAINT_FOREIGN_KEY) {
        char **tg = rt_realloc(c->fk.targets, (c->ncols + 1) * sizeof *tg);
        if (!tg)
            return -1;
        c->fk.targets = tg;
        if (!(tg[c->ncols] = rt_strdup(target ? target : "")))
            return -1;
    }
    cols[c->ncols++] = col;
    c->fk.columns = c->columns;
    c->fk.ncols = c->ncols;
    return 0;
}

static int dup_opt(char **dst, const char *src)
{
    char *s = src ? rt_strdup(src) : NULL;
    if (src && !s)
        return -1;
    rt_free(*dst);
    *dst = s;
    return 0;
}

int rt_constraint_set_fk_options(rt_constraint *c, const rt_fk_options *o, rt_error *err)
{
    if (dup_opt(&c->fk.ondelete, o->ondelete) < 0 || dup_opt(&c->fk.onupdate, o->onupdate) < 0 ||
        (o->name && dup_opt(&c->name, o->name) < 0))
        return rt_error_oom(err);
    c->fk.deferrable = o->deferrable;
    c->fk.initially_deferred = o->initially_deferred;
    c->fk.use_alter = o->use_alter;
    return 0;
}

int rt_constraint_set_check(rt_constraint *c, const char *sqltext, const rt_exprref *expr,
                            rt_error *err)
{
    if (dup_opt(&c->sqltext, sqltext) < 0)
        return rt_error_oom(err);
    rt_exprref_clear(&c->expr);
    if (expr)
        c->expr = *expr;   /* takes the reference */
    return 0;
}

rt_index *rt_index_new(rt_table *t, const char *name, rt_error *err)
{
    rt_index *ix = rt_calloc(1, sizeof *ix);
    if (!ix || !(ix->name = rt_strdup(name ? name : ""))) {
        rt_free(ix);
        rt_error_oom(err);
        return NULL;
    }
    ix->table = t;
    return ix;
}

void rt_index_free(rt_index *ix)
{
    if (!ix)
        return;
    rt_free(ix->name);
    rt_free(ix->columns);
    rt_free(ix);
}

int rt_index_push_column(rt_index *ix, rt_column *col)
{
    rt_column **cols = rt_realloc(ix->columns, (ix->ncols + 1) * sizeof *cols);
    if (!cols)
        return -1;
    ix->columns = cols;
    cols[ix->ncols++] = col;
    return 0;
}

int rt_fk_target_split(const char *target, char **table, char **column)
{
    const char *dot = strrchr(target, '.');
    *table = *column = NULL;
    if (!dot) {
        *table = rt_strdup(target);
        return *table ? 0 : -1;
    }
    *table = rt_strndup(target, (size_t)(dot - target));
    *column = rt_strdup(dot + 1);
    if (!*table || !*column) {
        rt_free(*table);
        rt_free(*column);
        *table = *column = NULL;
        return -1;
    }
    return 0;
}

/* The table named fullname in md; a name without schema also tries md's
 * default schema. */
static rt_table *find_table(const rt_metadata *md, const char *fullname)
{
    rt_table *t = rt_metadata_table(md, fullname);
    if (!t && md->schema && !strchr(fullname, '.')) {
        rt_buf b;
        rt_buf_init(&b);
        rt_buf_printf(&b, "%s.%s", md->schema, fullname);
        if (!b.failed)
            t = rt_metadata_table(md, rt_buf_str(&b));
        rt_buf_free(&b);
    }
    return t;
}

rt_table *rt_foreign_key_table(const rt_constraint *fk, const rt_metadata *md, rt_error *err)
{
    char *tname, *cname;
    if (!fk->ncols)
        return NULL;
    if (rt_fk_target_split(fk->fk.targets[0], &tname, &cname) < 0) {
        rt_error_oom(err);
        return NULL;
    }
    rt_table *t = md ? find_table(md, tname) : NULL;
    if (!t)
        rt_error_set(err, RT_ERR_INVALID_REQUEST,
                     "Foreign key associated with column '%s.%s' could not find table "
                     "'%s' with which to generate a foreign key to target column '%s'",
                     fk->table->name, fk->columns[0]->name, tname, cname ? cname : "");
    rt_free(tname);
    rt_free(cname);
    return t;
}

rt_column *rt_foreign_key_target(const rt_constraint *fk, size_t i, const rt_metadata *md,
                                 rt_error *err)
{
    char *tname, *cname;
    rt_column *col = NULL;
    if (i >= fk->ncols || rt_fk_target_split(fk->fk.targets[i], &tname, &cname) < 0) {
        rt_error_oom(err);
        return NULL;
    }
    rt_table *t = md ? find_table(md, tname) : NULL;
    if (!t) {
        rt_error_set(err, RT_ERR_INVALID_REQUEST,
                     "Foreign key associated with column '%s.%s' could not find table "
                     "'%s' with which to generate a foreign key to target column '%s'",
                     fk->table->name, fk->columns[i]->name, tname, cname ? cname : "");
    } else if (!cname) {
        const rt_constraint *pk = rt_table_primary_key(t);
        col = i < pk->ncols ? pk->columns[i] : NULL;
        if (!col)
            rt_error_set(err, RT_ERR_INVALID_REQUEST,
                         "Could not initialize target column for ForeignKey '%s' on table "
                         "'%s': table '%s' has no primary key column %zu",
                         fk->fk.targets[i], fk->table->name, t->name, i + 1);
    } else {
        col = rt_table_column(t, cname);
        if (!col)
            col = rt_table_column_by_name(t, cname);
        if (!col)
            rt_error_set(err, RT_ERR_INVALID_REQUEST,
                         "Could not initialize target column for ForeignKey '%s' on table "
                         "'%s': table '%s' has no column named '%s'",
                         fk->fk.targets[i], fk->table->name, t->name, cname);
    }
    rt_free(tname);
    rt_free(cname);
    return col;
}

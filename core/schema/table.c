/* table.c: a table's columns, constraints and indexes: adding them (with the
 * constraints that column flags and ForeignKey()s imply), finding them by key
 * or name, and the foreign-key questions the layers above ask.
 *
 * Tables are created and freed by their MetaData (metadata.c).  Constraints
 * are kept in creation order (SQLAlchemy's), with the primary key first. */
#include "schema_int.h"

#include <string.h>

/* Appends p to a growable pointer array. */
static int push(void ***arr, size_t *n, size_t *cap, void *p)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        void **a = rt_realloc(*arr, ncap * sizeof *a);
        if (!a)
            return -1;
        *arr = a;
        *cap = ncap;
    }
    (*arr)[(*n)++] = p;
    return 0;
}

rt_table *rt_table_new(rt_metadata *md, const char *name, const char *schema, rt_error *err)
{
    rt_table *t = rt_calloc(1, sizeof *t);
    rt_buf b;
    if (!t)
        goto oom;
    t->metadata = md;
    rt_buf_init(&b);
    rt_buf_printf(&b, schema ? "%s.%s" : "%s%s", schema ? schema : "", name);
    t->fullname = rt_buf_steal(&b);
    t->name = rt_strdup(name);
    t->schema = schema ? rt_strdup(schema) : NULL;
    if (!t->fullname || !t->name || (schema && !t->schema))
        goto oom;
    rt_constraint *pk = rt_constraint_new(t, RT_CONSTRAINT_PRIMARY_KEY, NULL, err);
    if (!pk || push((void ***)&t->constraints, &t->nconstraints, &t->capconstraints, pk) < 0) {
        rt_constraint_free(pk);
        goto oom;
    }
    pk->seq = 0;
    return t;
oom:
    rt_table_free(t);
    rt_error_oom(err);
    return NULL;
}

void rt_table_free(rt_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nindexes; i++)
        rt_index_free(t->indexes[i]);
    for (size_t i = 0; i < t->nconstraints; i++)
        rt_constraint_free(t->constraints[i]);
    for (size_t i = 0; i < t->ncols; i++)
        rt_column_free(t->columns[i]);
    rt_free(t->indexes);
    rt_free(t->constraints);
    rt_free(t->columns);
    rt_free(t->name);
    rt_free(t->schema);
    rt_free(t->fullname);
    rt_free(t->comment);
    rt_free(t);
}

rt_column *rt_table_column(const rt_table *t, const char *key)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->columns[i]->key, key) == 0)
            return t->columns[i];
    return NULL;
}

rt_column *rt_table_column_by_name(const rt_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->columns[i]->name, name) == 0)
            return t->columns[i];
    return NULL;
}

rt_constraint *rt_table_primary_key(const rt_table *t) { return t->constraints[0]; }

const char *rt_table_fullname(const rt_table *t) { return t->fullname; }

/* A column by key, then by name (constraints may name either). */
static rt_column *find_column(const rt_table *t, const char *k)
{
    rt_column *c = rt_table_column(t, k);
    return c ? c : rt_table_column_by_name(t, k);
}

/* Inserts c among t's constraints after those with a smaller seq. */
static int insert_ordered(rt_table *t, rt_constraint *c)
{
    if (push((void ***)&t->constraints, &t->nconstraints, &t->capconstraints, c) < 0)
        return -1;
    rt_table_order_constraint(t, c, c->seq);
    return 0;
}

void rt_table_order_constraint(rt_table *t, rt_constraint *c, unsigned long seq)
{
    size_t i, n = t->nconstraints;
    if (c->kind == RT_CONSTRAINT_PRIMARY_KEY)
        return;
    c->seq = seq;
    for (i = 1; i < n && t->constraints[i] != c; i++)
        ;
    if (i == n)
        return;
    memmove(&t->constraints[i], &t->constraints[i + 1], (n - i - 1) * sizeof c);
    size_t j = 1;
    while (j < n - 1 && t->constraints[j]->seq <= seq)
        j++;
    memmove(&t->constraints[j + 1], &t->constraints[j], (n - 1 - j) * sizeof c);
    t->constraints[j] = c;
}

void rt_table_remove_constraint(rt_table *t, rt_constraint *c)
{
    for (size_t i = 1; i < t->nconstraints; i++) {
        if (t->constraints[i] == c) {
            memmove(&t->constraints[i], &t->constraints[i + 1],
                    (t->nconstraints - i - 1) * sizeof c);
            t->nconstraints--;
            rt_constraint_free(c);
            return;
        }
    }
}

void rt_table_remove_index(rt_table *t, rt_index *ix)
{
    for (size_t i = 0; i < t->nindexes; i++) {
        if (t->indexes[i] == ix) {
            memmove(&t->indexes[i], &t->indexes[i + 1], (t->nindexes - i - 1) * sizeof ix);
            t->nindexes--;
            rt_index_free(ix);
            return;
        }
    }
}

/* Fills a new constraint's columns from keys; ArgumentError for unknown or
 * repeated ones. */
static int fill_columns(rt_constraint *c, const char *const *keys, size_t n,
                        const char *const *targets, rt_error *err)
{
    for (size_t i = 0; i < n; i++) {
        rt_column *col = find_column(c->table, keys[i]);
        if (!col)
            return rt_error_set(err, RT_ERR_ARGUMENT, "table '%s' has no column '%s'",
                                c->table->name, keys[i]);
        for (size_t j = 0; j < c->ncols; j++)
            if (c->columns[j] == col)
                return rt_error_set(err, RT_ERR_ARGUMENT,
                                    "column '%s' is named twice in a constraint", keys[i]);
        if (rt_constraint_push_column(c, col, targets ? targets[i] : NULL) < 0)
            return rt_error_oom(err);
    }
    return 0;
}

/* PrimaryKeyConstraint: the table's primary key becomes exactly these. */
static rt_constraint *replace_primary_key(rt_table *t, const char *name,
                                          const char *const *keys, size_t n, rt_error *err)
{
    rt_constraint *tmp = rt_constraint_new(t, RT_CONSTRAINT_PRIMARY_KEY, name, err);
    if (!tmp || fill_columns(tmp, keys, n, NULL, err) < 0) {
        rt_constraint_free(tmp);
        return NULL;
    }
    rt_constraint *pk = rt_table_primary_key(t);
    for (size_t i = 0; i < pk->ncols; i++)
        pk->columns[i]->primary_key = 0;
    rt_free(pk->columns);
    rt_free(pk->name);
    pk->columns = tmp->columns;
    pk->ncols = tmp->ncols;
    pk->name = tmp->name;
    tmp->columns = NULL;
    tmp->name = NULL;
    tmp->ncols = 0;
    rt_constraint_free(tmp);
    for (size_t i = 0; i < pk->ncols; i++)
        pk->columns[i]->primary_key = 1;
    return pk;
}

rt_constraint *rt_table_add_constraint(rt_table *t, rt_constraint_kind kind, const char *name,
                                       const char *const *colkeys, size_t ncols,
                                       const char *const *targets, rt_error *err)
{
    if (kind == RT_CONSTRAINT_PRIMARY_KEY)
        return replace_primary_key(t, name, colkeys, ncols, err);
    if (kind == RT_CONSTRAINT_FOREIGN_KEY && (!targets || ncols == 0)) {
        rt_error_set(err, RT_ERR_ARGUMENT, "a foreign key needs columns and their targets");
        return NULL;
    }
    rt_constraint *c = rt_constraint_new(t, kind, name, err);
    if (!c || fill_columns(c, colkeys, ncols, targets, err) < 0 || insert_ordered(t, c) < 0) {
        if (c && err->cls == RT_ERR_NONE)
            rt_error_oom(err);
        rt_constraint_free(c);
        return NULL;
    }
    return c;
}

rt_index *rt_table_add_index(rt_table *t, const char *name, const char *const *colkeys,
                             size_t ncols, int unique, rt_error *err)
{
    for (size_t i = 0; i < t->nindexes; i++)
        if (name && strcmp(t->indexes[i]->name, name) == 0) {
            rt_error_set(err, RT_ERR_ARGUMENT, "table '%s' already has an index named '%s'",
                         t->name, name);
            return NULL;
        }
    rt_index *ix = rt_index_new(t, name, err);
    if (!ix)
        return NULL;
    ix->unique = unique;
    for (size_t i = 0; i < ncols; i++) {
        rt_column *col = find_column(t, colkeys[i]);
        if (!col) {
            rt_error_set(err, RT_ERR_ARGUMENT, "table '%s' has no column '%s' for index '%s'",
                         t->name, colkeys[i], ix->name);
            rt_index_free(ix);
            return NULL;
        }
        if (rt_index_push_column(ix, col) < 0) {
            rt_index_free(ix);
            rt_error_oom(err);
            return NULL;
        }
    }
    if (push((void ***)&t->indexes, &t->nindexes, &t->capindexes, ix) < 0) {
        rt_index_free(ix);
        rt_error_oom(err);
        return NULL;
    }
    return ix;
}

int rt_column_foreign_keys(const rt_column *c, rt_constraint ***out, size_t *n)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    if (!c->table)
        return 0;
    for (size_t i = 0; i < c->table->nconstraints; i++) {
        rt_constraint *k = c->table->constraints[i];
        if (k->kind != RT_CONSTRAINT_FOREIGN_KEY)
            continue;
        for (size_t j = 0; j < k->ncols; j++) {
            if (k->columns[j] == c) {
                if (push((void ***)out, n, &cap, k) < 0) {
                    rt_free(*out);
                    *out = NULL;
                    *n = 0;
                    return -1;
                }
                break;
            }
        }
    }
    return 0;
}

int rt_table_references(const rt_table *t, const rt_table *other, const rt_metadata *md)
{
    for (size_t i = 0; i < t->nconstraints; i++) {
        const rt_constraint *k = t->constraints[i];
        if (k->kind != RT_CONSTRAINT_FOREIGN_KEY)
            continue;
        rt_error err;
        rt_error_init(&err);
        rt_table *target = rt_foreign_key_table(k, md, &err);
        rt_error_clear(&err);
        if (target == other)
            return 1;
    }
    return 0;
}

/* === adding columns === */

/* Gives typeless columns with a ForeignKey to c the type of c (SQLAlchemy lets
 * Column("user_id", ForeignKey("users.id")) take the type of users.id). */
static void type_followers(rt_column *c)
{
    rt_metadata *md = c->table->metadata;
    rt_error err;
    rt_error_init(&err);
    for (size_t i = 0; md && i < md->ntables; i++) {
        rt_table *t = md->tables[i];
        for (size_t k = 0; k < t->nconstraints; k++) {
            rt_constraint *fk = t->constraints[k];
            if (fk->kind != RT_CONSTRAINT_FOREIGN_KEY)
                continue;
            for (size_t j = 0; j < fk->ncols; j++) {
                if (fk->columns[j]->type)
                    continue;
                rt_column *target = rt_foreign_key_target(fk, j, md, &err);
                rt_error_clear(&err);
                if (target && target->type)
                    fk->columns[j]->type = rt_type_retain(target->type);
            }
        }
    }
}

static int generate_constraints(rt_table *t, rt_column *c, rt_error *err)
{
    if (c->primary_key && rt_constraint_push_column(rt_table_primary_key(t), c, NULL) < 0)
        return rt_error_oom(err);
    const char *key = c->key;
    const rt_sqltype *bt = rt_type_base(c->type);
    if (c->unique && !c->index) {
        rt_constraint *u = rt_table_add_constraint(t, RT_CONSTRAINT_UNIQUE, NULL, &key, 1,
                                                   NULL, err);
        if (!u)
            return -1;
        u->generated = 1;
    }
    if (bt && bt->kind == RT_TYPE_ENUM) {
        rt_constraint *ck = rt_table_add_constraint(t, RT_CONSTRAINT_CHECK, bt->enum_name,
                                                    &key, 1, NULL, err);
        if (!ck)
            return -1;
        ck->generated = 2;
    }
    for (size_t i = 0; i < c->nfks; i++) {
        const rt_column_fk *f = &c->fks[i];
        const char *target = f->target;
        rt_fk_options o = {f->name, f->ondelete, f->onupdate, f->deferrable,
                           f->initially_deferred, f->use_alter};
        rt_constraint *fk = rt_table_add_constraint(t, RT_CONSTRAINT_FOREIGN_KEY, f->name,
                                                    &key, 1, &target, err);
        if (!fk)
            return -1;
        fk->generated = 1;
        if (rt_constraint_set_fk_options(fk, &o, err) < 0)
            return -1;
    }
    if (c->index) {
        rt_buf b;
        rt_buf_init(&b);
        rt_buf_printf(&b, "ix_%s_%s", t->name, c->name);
        if (b.failed)
            return rt_error_oom(err);
        rt_index *ix = rt_table_add_index(t, rt_buf_str(&b), &key, 1, c->unique, err);
        rt_buf_free(&b);
        if (!ix)
            return -1;
    }
    return 0;
}

int rt_table_attach_column(rt_table *t, rt_column *c, int generate, rt_error *err)
{
    if (c->table)
        return rt_error_set(err, RT_ERR_ARGUMENT,
                            "Column object '%s' already assigned to Table '%s'",
                            c->name ? c->name : "?", c->table->name);
    if (!c->name || !c->name[0])
        return rt_error_set(err, RT_ERR_ARGUMENT,
                            "Column must be constructed with a non-blank name or assign a "
                            "non-blank .name before adding to a Table.");
    if (rt_table_column_by_name(t, c->name))
        return rt_error_set(err, RT_ERR_ARGUMENT,
                            "Table '%s' already has a column named '%s'", t->name, c->name);
    if (rt_table_column(t, c->key))
        return rt_error_set(err, RT_ERR_ARGUMENT,
                            "Table '%s' already has a column with key '%s'", t->name, c->key);
    if (push((void ***)&t->columns, &t->ncols, &t->capcols, c) < 0)
        return rt_error_oom(err);
    c->table = t;
    c->position = t->ncols - 1;
    if (generate && generate_constraints(t, c, err) < 0) {
        /* undo: drop what was generated for c, then c itself */
        rt_constraint *pk = rt_table_primary_key(t);
        if (pk->ncols && pk->columns[pk->ncols - 1] == c)
            pk->ncols--;
        for (size_t i = t->nconstraints; i-- > 1;)
            if (t->constraints[i]->ncols && t->constraints[i]->columns[0] == c)
                rt_table_remove_constraint(t, t->constraints[i]);
        for (size_t i = t->nindexes; i-- > 0;)
            if (t->indexes[i]->ncols && t->indexes[i]->columns[0] == c)
                rt_table_remove_index(t, t->indexes[i]);
        t->ncols--;
        c->table = NULL;
        return -1;
    }
    if (c->type || c->nfks)
        type_followers(c);
    return 0;
}

int rt_table_add_column(rt_table *t, rt_column *c, rt_error *err)
{
    return rt_table_attach_column(t, c, 1, err);
}

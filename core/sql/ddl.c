/* ddl.c: DDL statements as nodes: CREATE/DROP TABLE, INDEX, SEQUENCE and
 * (PostgreSQL) ENUM types, ALTER TABLE ADD/DROP CONSTRAINT for foreign keys
 * created after their tables, and the spelling of types per dialect.
 *
 * CREATE TABLE puts one element per line, tab-indented: the columns
 * (`name TYPE[ DEFAULT x][ NOT NULL]`), then the primary key and the other
 * constraints in creation order.  Values never enter DDL except DEFAULT
 * literals, which are rendered as quoted SQL literals.  Running DDL in order
 * (create_all) is core/engine's job (schema_ops.c). */
#include "sql_int.h"

#include <string.h>

#include "rt_expr.h"

typedef struct ddl_node {
    rt_node base;
    rt_metadata *md;          /* retained: keeps table, index, constraint alive */
    rt_table *table;          /* CREATE/DROP TABLE */
    rt_index *index;          /* CREATE/DROP INDEX */
    rt_constraint *fk;        /* ADD/DROP CONSTRAINT */
    rt_sequence *seq;         /* CREATE/DROP SEQUENCE: a copy */
    rt_sqltype *type;         /* CREATE/DROP TYPE: retained */
} ddl_node;

static const char *const generic_names[RT_TYPE__COUNT] = {
    [RT_TYPE_NULL] = "NULL",          [RT_TYPE_INTEGER] = "INTEGER",
    [RT_TYPE_SMALLINT] = "SMALLINT",  [RT_TYPE_BIGINT] = "BIGINT",
    [RT_TYPE_FLOAT] = "FLOAT",        [RT_TYPE_NUMERIC] = "NUMERIC",
    [RT_TYPE_STRING] = "VARCHAR",     [RT_TYPE_TEXT] = "TEXT",
    [RT_TYPE_UNICODE] = "VARCHAR",    [RT_TYPE_UNICODE_TEXT] = "TEXT",
    [RT_TYPE_BOOLEAN] = "BOOLEAN",    [RT_TYPE_DATE] = "DATE",
    [RT_TYPE_DATETIME] = "DATETIME",  [RT_TYPE_TIME] = "TIME",
    [RT_TYPE_INTERVAL] = "DATETIME",  [RT_TYPE_LARGEBINARY] = "BLOB",
    [RT_TYPE_ENUM] = "VARCHAR",       [RT_TYPE_JSON] = "JSON",
    [RT_TYPE_DECORATOR] = "NULL"};

static void release_node(void *n) { rt_node_release(n); }
static void *retain_node(void *n) { return rt_node_retain(n); }

void rt_exprref_set_node(rt_exprref *r, rt_node *n)
{
    rt_exprref_clear(r);
    if (!n)
        return;
    r->node = rt_node_retain(n);
    r->release = release_node;
    r->retain = retain_node;
}

/* === types === */

static const char *alias(const rt_dialect *d, const char *name)
{
    for (const char *const *a = d->type_aliases; a && a[0]; a += 2)
        if (strcmp(a[0], name) == 0)
            return a[1];
    return name;
}

static void put_literal(rt_buf *b, const char *s)
{
    rt_buf_putc(b, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            rt_buf_putc(b, '\'');
        rt_buf_putc(b, *s);
    }
    rt_buf_putc(b, '\'');
}

static void type_args(const rt_sqltype *t, const char *name, rt_buf *b)
{
    switch (t->kind) {
    case RT_TYPE_NUMERIC:
        if (t->precision >= 0 && t->scale >= 0)
            rt_buf_printf(b, "(%d, %d)", t->precision, t->scale);
        else if (t->precision >= 0)
            rt_buf_printf(b, "(%d)", t->precision);
        break;
    case RT_TYPE_FLOAT:
        if (t->precision >= 0)
            rt_buf_printf(b, "(%d)", t->precision);
        break;
    case RT_TYPE_STRING: case RT_TYPE_UNICODE: case RT_TYPE_ENUM: case RT_TYPE_LARGEBINARY:
        if (t->length >= 0 && strcmp(name, "BYTEA") != 0)
            rt_buf_printf(b, "(%d)", t->length);
        break;
    default:
        break;
    }
}

void rt_type_ddl(const rt_dialect *d, const rt_sqltype *t, rt_buf *b)
{
    if (t && t->kind == RT_TYPE_DECORATOR && t->sqlname) {
        rt_buf_puts(b, t->sqlname);   /* a user type's own spelling (col_spec) */
        return;
    }
    t = rt_type_base(t);
    if (!t) {
        rt_buf_puts(b, "NULL");
        return;
    }
    if (t->kind == RT_TYPE_ENUM && d->native_enum && t->native_enum && t->enum_name) {
        rt_dialect_quote(d, b, t->enum_name);
        return;
    }
    const char *name = t->sqlname;
    if (!name && d->type_names && d->type_names[t->kind])
        name = d->type_names[t->kind];
    if (!name)
        name = generic_names[t->kind];
    name = alias(d, name);
    rt_buf_puts(b, name);
    type_args(t, name, b);
    if (d->time_zones && (t->kind == RT_TYPE_DATETIME || t->kind == RT_TYPE_TIME) &&
        (strcmp(name, "TIMESTAMP") == 0 || strcmp(name, "TIME") == 0))
        rt_buf_puts(b, t->timezone ? " WITH TIME ZONE" : " WITHOUT TIME ZONE");
}

/* === pieces === */

static void put_table(const rt_dialect *d, rt_buf *b, const rt_table *t)
{
    if (t->schema) {
        rt_dialect_quote(d, b, t->schema);
        rt_buf_putc(b, '.');
    }
    rt_dialect_quote(d, b, t->name);
}

static void put_columns(const rt_dialect *d, rt_buf *b, rt_column *const *cols, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            rt_buf_puts(b, ", ");
        rt_dialect_quote(d, b, cols[i]->name);
    }
}

/* An expression rendered inline: text() as written, others through the
 * expression compiler. */
static int put_expr(const rt_dialect *d, rt_buf *b, const rt_exprref *e, rt_error *err)
{
    const rt_node *n = e->node;
    if (rt_node_kind_of(n) == RT_NODE_TEXT) {
        rt_buf_puts(b, rt_text_source(n));
        return 0;
    }
    return rt_render_inline(n, d, b, err);
}

static int put_default(const rt_dialect *d, rt_buf *b, const rt_default *df, rt_error *err)
{
    char num[64];
    switch (df->kind) {
    case RT_DEFAULT_TEXT:
        rt_buf_puts(b, " DEFAULT ");
        put_literal(b, df->text);
        return 0;
    case RT_DEFAULT_EXPR:
        rt_buf_puts(b, " DEFAULT ");
        return put_expr(d, b, &df->expr, err);
    case RT_DEFAULT_SCALAR:
        rt_buf_puts(b, " DEFAULT ");
        switch (df->value.type) {
        case RT_INT: rt_buf_printf(b, "%lld", (long long)df->value.u.i); break;
        case RT_FLOAT: rt_format_float(num, df->value.u.f); rt_buf_puts(b, num); break;
        case RT_BOOL:
            if (d->id == RT_DIALECT_SQLITE_ID)
                rt_buf_puts(b, df->value.u.b ? "1" : "0");
            else
                rt_buf_puts(b, df->value.u.b ? "true" : "false");
            break;
        case RT_TEXT: put_literal(b, df->value.u.s.p); break;
        default: rt_buf_puts(b, "NULL"); break;
        }
        return 0;
    default:
        return 0;
    }
}

static int put_column(const rt_dialect *d, rt_buf *b, const rt_column *c, rt_error *err)
{
    const rt_sqltype *t = rt_column_type(c);
    const rt_sqltype *bt = rt_type_base(t);
    rt_dialect_quote(d, b, c->name);
    rt_buf_putc(b, ' ');
    if (!bt || (bt->kind == RT_TYPE_NULL && !bt->sqlname))
        return rt_error_set(err, RT_ERR_COMPILE,
                            "(in table '%s', column '%s'): Can't generate DDL for NullType(); "
                            "did you forget to specify a type on this Column?",
                            c->table->name, c->name);
    if (bt->kind == RT_TYPE_ENUM && d->native_enum && bt->native_enum && !bt->enum_name)
        return rt_error_set(err, RT_ERR_COMPILE, "PostgreSQL ENUM type requires a name.");
    if (d->serial && rt_column_autoincrements(c) && c->server_default.kind == RT_DEFAULT_NONE &&
        (!c->sequence || c->sequence->optional)) {
        rt_buf_puts(b, bt->kind == RT_TYPE_BIGINT     ? "BIGSERIAL"
                       : bt->kind == RT_TYPE_SMALLINT ? "SMALLSERIAL"
                                                      : "SERIAL");
    } else {
        rt_type_ddl(d, t, b);
        if (put_default(d, b, &c->server_default, err) < 0)
            return -1;
    }
    if (!rt_column_nullable(c))
        rt_buf_puts(b, " NOT NULL");
    return 0;
}

static void put_name(const rt_dialect *d, rt_buf *b, const char *name)
{
    if (!name)
        return;
    rt_buf_puts(b, "CONSTRAINT ");
    rt_dialect_quote(d, b, name);
    rt_buf_putc(b, ' ');
}

static int put_foreign_key(const rt_dialect *d, rt_buf *b, const rt_constraint *k, rt_error *err)
{
    const rt_metadata *md = k->table->metadata;
    rt_table *target = rt_foreign_key_table(k, md, err);
    if (!target)
        return -1;
    rt_buf_puts(b, "FOREIGN KEY(");
    put_columns(d, b, k->columns, k->ncols);
    rt_buf_puts(b, ") REFERENCES ");
    if (d->id == RT_DIALECT_SQLITE_ID)   /* SQLite: same schema, never qualified */
        rt_dialect_quote(d, b, target->name);
    else
        put_table(d, b, target);
    rt_buf_puts(b, " (");
    for (size_t i = 0; i < k->ncols; i++) {
        rt_column *tc = rt_foreign_key_target(k, i, md, err);
        if (!tc)
            return -1;
        if (i)
            rt_buf_puts(b, ", ");
        rt_dialect_quote(d, b, tc->name);
    }
    rt_buf_putc(b, ')');
    if (k->fk.ondelete)
        rt_buf_printf(b, " ON DELETE %s", k->fk.ondelete);
    if (k->fk.onupdate)
        rt_buf_printf(b, " ON UPDATE %s", k->fk.onupdate);
    if (k->fk.deferrable)
        rt_buf_puts(b, " DEFERRABLE");
    if (k->fk.initially_deferred)
        rt_buf_puts(b, " INITIALLY DEFERRED");
    return 0;
}

static void put_enum_check(const rt_dialect *d, rt_buf *b, const rt_constraint *k)
{
    const rt_sqltype *t = rt_type_base(rt_column_type(k->columns[0]));
    rt_buf_puts(b, "CHECK (");
    rt_dialect_quote(d, b, k->columns[0]->name);
    rt_buf_puts(b, " IN (");
    for (size_t i = 0; t && i < t->nenum; i++) {
        if (i)
            rt_buf_puts(b, ", ");
        put_literal(b, t->enum_values[i]);
    }
    rt_buf_puts(b, "))");
}

/* Whether a foreign key refers to a table of its own table's schema. */
static int same_schema(const rt_constraint *k)
{
    rt_error err;
    rt_error_init(&err);
    const rt_table *target = rt_foreign_key_table(k, k->table->metadata, &err);
    rt_error_clear(&err);
    const char *a = k->table->schema, *b = target ? target->schema : NULL;
    return !target || (a ? b && strcmp(a, b) == 0 : !b);
}

/* Whether constraint k is a line of CREATE TABLE for dialect d. */
static int rendered_inline(const rt_dialect *d, const rt_constraint *k)
{
    if (k->kind == RT_CONSTRAINT_PRIMARY_KEY)
        return k->ncols > 0;
    if (k->kind == RT_CONSTRAINT_FOREIGN_KEY) {
        if (d->id == RT_DIALECT_SQLITE_ID && !same_schema(k))
            return 0;   /* SQLite cannot refer to another database's table */
        return !(k->fk.use_alter && d->alter_constraints);
    }
    if (k->kind == RT_CONSTRAINT_CHECK && k->generated == 2) {
        const rt_sqltype *t = rt_type_base(rt_column_type(k->columns[0]));
        return !(d->native_enum && t && t->native_enum);
    }
    return 1;
}

static int put_constraint(const rt_dialect *d, rt_buf *b, const rt_constraint *k, rt_error *err)
{
    put_name(d, b, k->name);
    switch (k->kind) {
    case RT_CONSTRAINT_PRIMARY_KEY:
    case RT_CONSTRAINT_UNIQUE:
        rt_buf_puts(b, k->kind == RT_CONSTRAINT_UNIQUE ? "UNIQUE (" : "PRIMARY KEY (");
        put_columns(d, b, k->columns, k->ncols);
        rt_buf_putc(b, ')');
        return 0;
    case RT_CONSTRAINT_FOREIGN_KEY:
        return put_foreign_key(d, b, k, err);
    case RT_CONSTRAINT_CHECK:
        if (k->generated == 2) {
            put_enum_check(d, b, k);
            return 0;
        }
        rt_buf_puts(b, "CHECK (");
        if (k->sqltext)
            rt_buf_puts(b, k->sqltext);
        else if (k->expr.node && put_expr(d, b, &k->expr, err) < 0)
            return -1;
        rt_buf_putc(b, ')');
        return 0;
    }
    return 0;
}

/* === the nodes === */

static void ddl_destroy(rt_node *n)
{
    ddl_node *x = (ddl_node *)n;
    rt_metadata_release(x->md);
    rt_sequence_free(x->seq);
    rt_type_release(x->type);
    rt_free(x);
}

/* Finishes a compile: hands over the text, or reports failure. */
static int finish(rt_buf *b, rt_compiled *c, rt_node_kind kind, int rc, rt_error *err)
{
    if (rc < 0) {
        rt_buf_free(b);
        return -1;
    }
    c->sql = rt_buf_steal(b);
    if (!c->sql)
        return rt_error_oom(err);
    c->autocommit = 1;
    c->kind = kind;
    return 0;
}

static int create_table_compile(const rt_node *n, const rt_dialect *d, rt_compiled *c,
                                rt_error *err)
{
    const rt_table *t = ((const ddl_node *)n)->table;
    rt_buf b;
    int rc = 0, first = 1;
    rt_buf_init(&b);
    rt_buf_puts(&b, "CREATE TABLE ");
    put_table(d, &b, t);
    rt_buf_puts(&b, " (");
    for (size_t i = 0; i < t->ncols && rc == 0; i++, first = 0) {
        rt_buf_puts(&b, first ? "\n\t" : ",\n\t");
        rc = put_column(d, &b, t->columns[i], err);
    }
    for (size_t i = 0; i < t->nconstraints && rc == 0; i++) {
        if (!rendered_inline(d, t->constraints[i]))
            continue;
        rt_buf_puts(&b, first ? "\n\t" : ",\n\t");
        first = 0;
        rc = put_constraint(d, &b, t->constraints[i], err);
    }
    rt_buf_puts(&b, "\n)");
    return finish(&b, c, n->kind, rc, err);
}

static int drop_table_compile(const rt_node *n, const rt_dialect *d, rt_compiled *c,
                              rt_error *err)
{
    rt_buf b;
    rt_buf_init(&b);
    rt_buf_puts(&b, "DROP TABLE ");
    put_table(d, &b, ((const ddl_node *)n)->table);
    return finish(&b, c, n->kind, 0, err);
}

/* SQLite qualifies the index name with the schema, others the table name. */
static void put_index_name(const rt_dialect *d, rt_buf *b, const rt_index *ix, int create)
{
    if (ix->table->schema && (!create || d->id == RT_DIALECT_SQLITE_ID)) {
        rt_dialect_quote(d, b, ix->table->schema);
        rt_buf_putc(b, '.');
    }
    rt_dialect_quote(d, b, ix->name);
}

static int create_index_compile(const rt_node *n, const rt_dialect *d, rt_compiled *c,
                                rt_error *err)
{
    const rt_index *ix = ((const ddl_node *)n)->index;
    rt_buf b;
    rt_buf_init(&b);
    rt_buf_puts(&b, ix->unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ");
    put_index_name(d, &b, ix, 1);
    rt_buf_puts(&b, " ON ");
    if (ix->table->schema && d->id == RT_DIALECT_SQLITE_ID)
        rt_dialect_quote(d, &b, ix->table->name);
    else
        put_table(d, &b, ix->table);
    rt_buf_puts(&b, " (");
    put_columns(d, &b, ix->columns, ix->ncols);
    rt_buf_putc(&b, ')');
    return finish(&b, c, n->kind, 0, err);
}

static int drop_index_compile(const rt_node *n, const rt_dialect *d, rt_compiled *c,
                              rt_error *err)
{
    rt_buf b;
    rt_buf_init(&b);
    rt_buf_puts(&b, "DROP INDEX ");
    put_index_name(d, &b, ((const ddl_node *)n)->index, 0);
    return finish(&b, c, n->kind, 0, err);
}

static void put_sequence(const rt_dialect *d, rt_buf *b, const rt_sequence *s)
{
    if (s->schema) {
        rt_dialect_quote(d, b, s->schema);
        rt_buf_putc(b, '.');
    }
    rt_dialect_quote(d, b, s->name);
}

static int sequence_compile(const rt_node *n, const rt_dialect *d, rt_compiled *c,
                            rt_error *err)
{
    const rt_sequence *s = ((const ddl_node *)n)->seq;
    int create = n->kind == RT_NODE_CREATE_SEQUENCE;
    rt_buf b;
    rt_buf_init(&b);
    rt_buf_puts(&b, create ? "CREATE SEQUENCE " : "DROP SEQUENCE ");
    put_sequence(d, &b, s);
    if (create && s->has_increment)
        rt_buf_printf(&b, " INCREMENT BY %lld", (long long)s->increment);
    if (create && s->has_start)
        rt_buf_printf(&b, " START WITH %lld", (long long)s->start);
    return finish(&b, c, n->kind, 0, err);
}

static int enum_compile(const rt_node *n, const rt_dialect *d, rt_compiled *c, rt_error *err)
{
    const rt_sqltype *t = ((const ddl_node *)n)->type;
    rt_buf b;
    rt_buf_init(&b);
    rt_buf_puts(&b, n->kind == RT_NODE_CREATE_ENUM ? "CREATE TYPE " : "DROP TYPE ");
    rt_dialect_quote(d, &b, t->enum_name);
    if (n->kind == RT_NODE_CREATE_ENUM) {
        rt_buf_puts(&b, " AS ENUM (");
        for (size_t i = 0; i < t->nenum; i++) {
            if (i)
                rt_buf_puts(&b, ", ");
            put_literal(&b, t->enum_values[i]);
        }
        rt_buf_putc(&b, ')');
    }
    return finish(&b, c, n->kind, 0, err);
}

static int constraint_compile(const rt_node *n, const rt_dialect *d, rt_compiled *c,
                              rt_error *err)
{
    const rt_constraint *k = ((const ddl_node *)n)->fk;
    rt_buf b;
    int rc = 0;
    rt_buf_init(&b);
    rt_buf_puts(&b, "ALTER TABLE ");
    put_table(d, &b, k->table);
    if (n->kind == RT_NODE_ADD_CONSTRAINT) {
        rt_buf_puts(&b, " ADD ");
        rc = put_constraint(d, &b, k, err);
    } else {
        rt_buf_puts(&b, " DROP CONSTRAINT ");
        rt_dialect_quote(d, &b, k->name);
    }
    return finish(&b, c, n->kind, rc, err);
}

static ddl_node *ddl_new(rt_node_kind kind, rt_metadata *md,
                         int (*compile)(const rt_node *, const rt_dialect *, rt_compiled *,
                                        rt_error *),
                         rt_error *err)
{
    ddl_node *x = rt_calloc(1, sizeof *x);
    if (!x) {
        rt_error_oom(err);
        return NULL;
    }
    rt_node_init(&x->base, kind, ddl_destroy, compile);
    x->md = rt_metadata_retain(md);
    return x;
}

rt_node *rt_create_table_new(rt_table *t, rt_error *err)
{
    ddl_node *x = ddl_new(RT_NODE_CREATE_TABLE, t->metadata, create_table_compile, err);
    if (x)
        x->table = t;
    return x ? &x->base : NULL;
}

rt_node *rt_drop_table_new(rt_table *t, rt_error *err)
{
    ddl_node *x = ddl_new(RT_NODE_DROP_TABLE, t->metadata, drop_table_compile, err);
    if (x)
        x->table = t;
    return x ? &x->base : NULL;
}

rt_node *rt_create_index_new(rt_index *ix, rt_error *err)
{
    ddl_node *x = ddl_new(RT_NODE_CREATE_INDEX, ix->table->metadata, create_index_compile, err);
    if (x)
        x->index = ix;
    return x ? &x->base : NULL;
}

rt_node *rt_drop_index_new(rt_index *ix, rt_error *err)
{
    ddl_node *x = ddl_new(RT_NODE_DROP_INDEX, ix->table->metadata, drop_index_compile, err);
    if (x)
        x->index = ix;
    return x ? &x->base : NULL;
}

static rt_node *sequence_node(rt_node_kind kind, const rt_sequence *seq, rt_error *err)
{
    ddl_node *x = ddl_new(kind, NULL, sequence_compile, err);
    if (x && !(x->seq = rt_sequence_copy(seq))) {
        rt_error_oom(err);
        ddl_destroy(&x->base);
        return NULL;
    }
    return x ? &x->base : NULL;
}

rt_node *rt_create_sequence_new(const rt_sequence *seq, rt_error *err)
{
    return sequence_node(RT_NODE_CREATE_SEQUENCE, seq, err);
}

rt_node *rt_drop_sequence_new(const rt_sequence *seq, rt_error *err)
{
    return sequence_node(RT_NODE_DROP_SEQUENCE, seq, err);
}

static rt_node *enum_node(rt_node_kind kind, const rt_sqltype *t, rt_error *err)
{
    t = rt_type_base(t);
    if (!t || t->kind != RT_TYPE_ENUM || !t->enum_name) {
        rt_error_set(err, RT_ERR_ARGUMENT, "CREATE TYPE needs an Enum type with a name");
        return NULL;
    }
    ddl_node *x = ddl_new(kind, NULL, enum_compile, err);
    if (x)
        x->type = rt_type_retain((rt_sqltype *)t);
    return x ? &x->base : NULL;
}

rt_node *rt_create_enum_new(const rt_sqltype *enum_type, rt_error *err)
{
    return enum_node(RT_NODE_CREATE_ENUM, enum_type, err);
}

rt_node *rt_drop_enum_new(const rt_sqltype *enum_type, rt_error *err)
{
    return enum_node(RT_NODE_DROP_ENUM, enum_type, err);
}

static rt_node *constraint_node(rt_node_kind kind, rt_constraint *fk, rt_error *err)
{
    if (kind == RT_NODE_DROP_CONSTRAINT && !fk->name) {
        rt_error_set(err, RT_ERR_COMPILE, "Can't emit DROP CONSTRAINT for constraint on "
                                          "table '%s'; it has no name", fk->table->name);
        return NULL;
    }
    ddl_node *x = ddl_new(kind, fk->table->metadata, constraint_compile, err);
    if (x)
        x->fk = fk;
    return x ? &x->base : NULL;
}

rt_node *rt_add_constraint_new(rt_constraint *fk, rt_error *err)
{
    return constraint_node(RT_NODE_ADD_CONSTRAINT, fk, err);
}

rt_node *rt_drop_constraint_new(rt_constraint *fk, rt_error *err)
{
    return constraint_node(RT_NODE_DROP_CONSTRAINT, fk, err);
}

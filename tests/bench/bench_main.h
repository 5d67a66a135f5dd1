/* bench_main.h: what the plain C baselines share: the clock and main(),
 * which runs one workload and prints its seconds.  Included by
 * bench_sqlite.c and bench_pg.c, each of which defines the six workloads
 * and how it opens (bench_open: creates table `customer`) and closes its
 * database.
 *
 *   PROGRAM SUITE NUM TARGET [VARIANT] */
#ifndef BENCH_MAIN_H
#define BENCH_MAIN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Rows a program keeps (variant kept of large_resultsets, the work of
 * fetchall and of loading objects): each row's values copied out of the
 * driver's buffers into memory of its own. */
typedef struct kept_row {
    long id;
    char *name, *description;
    size_t name_len, description_len;
} kept_row;

typedef struct kept_rows {
    kept_row *rows;
    size_t n, cap;
} kept_rows;

static char *kept_copy(const char *s, size_t len)
{
    char *p = malloc(len + 1);
    if (!p) {
        fputs("bench: out of memory\n", stderr);
        exit(1);
    }
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

static void keep_row(kept_rows *k, long id, const char *name, size_t name_len,
                     const char *description, size_t description_len)
{
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 1024;
        k->rows = realloc(k->rows, k->cap * sizeof *k->rows);
        if (!k->rows) {
            fputs("bench: out of memory\n", stderr);
            exit(1);
        }
    }
    kept_row *r = &k->rows[k->n++];
    r->id = id;
    r->name = kept_copy(name, name_len);
    r->name_len = name_len;
    r->description = kept_copy(description, description_len);
    r->description_len = description_len;
}

/* Reads the kept rows, stops the clock started at t0, frees the rows (not
 * timed, as the retort side's are collected after its clock stops) and
 * returns the seconds. */
static double kept_finish(kept_rows *k, double t0)
{
    size_t sum = 0;
    for (size_t i = 0; i < k->n; i++)
        sum += (size_t)k->rows[i].id + k->rows[i].name_len + k->rows[i].description_len;
    double t = now() - t0;
    for (size_t i = 0; i < k->n; i++) {
        free(k->rows[i].name);
        free(k->rows[i].description);
    }
    free(k->rows);
    if (sum == 42)
        puts("");
    return t;
}

static void bench_open(const char *target);
static void bench_close(void);
static double bulk_inserts(long n);
static double bulk_updates(long n);
static double bulk_updates_load_update(long n);
static double large_resultsets(long n);
static double large_resultsets_kept(long n);
static double short_selects(long n);
static double short_selects_in_txn(long n);
static double single_inserts(long n);

int main(int argc, char **argv)
{
    static const struct {
        const char *name, *variant;
        double (*run)(long);
    } suites[] = {{"bulk_inserts", "", bulk_inserts}, {"bulk_updates", "", bulk_updates},
                  {"bulk_updates", "load_update", bulk_updates_load_update},
                  {"large_resultsets", "", large_resultsets},
                  {"large_resultsets", "kept", large_resultsets_kept},
                  {"short_selects", "", short_selects},
                  {"short_selects", "in_txn", short_selects_in_txn},
                  {"single_inserts", "", single_inserts}};
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: %s SUITE NUM TARGET [VARIANT]\n", argv[0]);
        return 2;
    }
    const char *variant = argc == 5 ? argv[4] : "";
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
        if (strcmp(argv[1], suites[i].name) == 0 && strcmp(variant, suites[i].variant) == 0) {
            bench_open(argv[3]);
            printf("%.6f\n", suites[i].run(atol(argv[2])));
            bench_close();
            return 0;
        }
    }
    fprintf(stderr, "%s: unknown suite '%s' (variant '%s')\n", argv[0], argv[1], variant);
    return 2;
}

#endif

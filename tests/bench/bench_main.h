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

static void bench_open(const char *target);
static void bench_close(void);
static double bulk_inserts(long n);
static double bulk_updates(long n);
static double bulk_updates_load_update(long n);
static double large_resultsets(long n);
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

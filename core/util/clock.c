/* clock.c: a monotonic clock in seconds, for pool timeouts and benchmarks. */
#include "rt_util.h"

#include <time.h>

double rt_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

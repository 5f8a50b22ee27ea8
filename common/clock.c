/* The monotonic clock of rm_clock.h. */
#include "rm_clock.h"

#include "rm_error.h"

#define NS_PER_S 1000000000L

uint64_t rm_clock_ms(void)
{
    struct timespec ts = rm_clock_now();
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

double rm_clock_s(void)
{
    struct timespec ts = rm_clock_now();
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct timespec rm_clock_now(void)
{
    struct timespec ts;
    /* Cannot fail: CLOCK_MONOTONIC exists on every Linux, and ts is valid. */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts;
}

struct timespec rm_clock_add(struct timespec t, double seconds)
{
    /* Rounded: 0.001001 s is 1001000 ns, not the 1000999 that truncating
     * its binary approximation would give. */
    double ns_d = seconds * 1e9;
    long long ns = (long long)(ns_d + (ns_d >= 0 ? 0.5 : -0.5));
    t.tv_sec += (time_t)(ns / NS_PER_S);
    t.tv_nsec += (long)(ns % NS_PER_S);
    if (t.tv_nsec >= NS_PER_S) {
        t.tv_sec++;
        t.tv_nsec -= NS_PER_S;
    } else if (t.tv_nsec < 0) {
        t.tv_sec--;
        t.tv_nsec += NS_PER_S;
    }
    return t;
}

struct timespec rm_clock_after(double seconds)
{
    return rm_clock_add(rm_clock_now(), seconds);
}

int rm_clock_cond_init(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        return RM_ENOMEM;
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
    return rc ? RM_ENOMEM : 0;
}

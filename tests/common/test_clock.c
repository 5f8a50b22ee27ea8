/* The monotonic clock of common/rm_clock.h: deadline arithmetic (carried,
 * borrowed, rounded to the nanosecond) and its readings agreeing with each
 * other. No test here measures how long anything takes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rm_clock.h"

static void assert_timespec(struct timespec t, long long sec, long nsec)
{
    assert_int_equal((long long)t.tv_sec, sec);
    assert_int_equal(t.tv_nsec, nsec);
}

static void test_add_carries_and_borrows(void **state)
{
    (void)state;
    struct timespec t = {10, 900000000L};
    assert_timespec(rm_clock_add(t, 0.2), 11, 100000000L);
    assert_timespec(rm_clock_add(t, 2.0), 12, 900000000L);
    assert_timespec(rm_clock_add(t, -0.95), 9, 950000000L);
    assert_timespec(rm_clock_add(t, -3.0), 7, 900000000L);
    assert_timespec(rm_clock_add(t, 0.0), 10, 900000000L);
}

/* 1001 us as seconds is not exact in binary: the deadline must still be
 * 1001000 ns on, as the file device's pacing counts it. */
static void test_add_rounds_to_the_nanosecond(void **state)
{
    (void)state;
    struct timespec t = {0, 0};
    assert_timespec(rm_clock_add(t, (double)1001 * 1e-6), 0, 1001000L);
    assert_timespec(rm_clock_add(t, 0.1), 0, 100000000L);
    assert_timespec(rm_clock_add(t, 3599.999999999), 3599, 999999999L);
}

static void test_readings_agree(void **state)
{
    (void)state;
    struct timespec before = rm_clock_now();
    uint64_t ms = rm_clock_ms();
    double s = rm_clock_s();
    struct timespec after = rm_clock_now();
    uint64_t before_ms = (uint64_t)before.tv_sec * 1000u + (uint64_t)before.tv_nsec / 1000000u;
    uint64_t after_ms = (uint64_t)after.tv_sec * 1000u + (uint64_t)after.tv_nsec / 1000000u;
    assert_true(before_ms <= ms && ms <= after_ms);
    assert_true((double)before.tv_sec <= s && s <= (double)after.tv_sec + 1.0);
    struct timespec dl = rm_clock_after(1.0);
    assert_true(dl.tv_sec >= after.tv_sec + 1 && dl.tv_nsec >= 0 && dl.tv_nsec < 1000000000L);
}

static void test_cond_init(void **state)
{
    (void)state;
    pthread_cond_t cond;
    assert_int_equal(rm_clock_cond_init(&cond), 0);
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&lock);
    /* A deadline already past returns at once on this clock; on the wall
     * clock (the default) it would be decades in the future. */
    struct timespec past = rm_clock_add(rm_clock_now(), -1.0);
    assert_int_equal(pthread_cond_timedwait(&cond, &lock, &past), ETIMEDOUT);
    pthread_mutex_unlock(&lock);
    pthread_cond_destroy(&cond);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_carries_and_borrows),
        cmocka_unit_test(test_add_rounds_to_the_nanosecond),
        cmocka_unit_test(test_readings_agree),
        cmocka_unit_test(test_cond_init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

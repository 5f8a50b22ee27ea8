/* The device/host clock map on arrival times generated with a known drift
 * and a realistic latency (a floor plus exponential jitter of milliseconds,
 * late outliers): the drift and the host -> device mapping come out within
 * what the minimum filter promises. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "clock_map.h"

/* Deterministic uniform (0, 1). */
static double uniform(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return ((double)(*state >> 11) + 0.5) / 9007199254740992.0;
}

/* Feeds `seconds` of frames at 100 Hz from a device whose clock runs
 * drift_ppm fast; host = start + device time / (1 + drift) + latency. */
static void feed(struct rm_clock_map *m, double drift_ppm, double seconds, double host0,
                 uint64_t seed)
{
    uint64_t rng = seed;
    for (int k = 0; k * 0.01 < seconds; k++) {
        double t = k * 0.01;
        double latency = 0.0008 - 0.002 * log(uniform(&rng));
        if (uniform(&rng) < 0.01)
            latency += 0.050; /* a late wake-up */
        double host = host0 + t / (1.0 + drift_ppm * 1e-6) + latency;
        if (k == 0)
            rm_clock_map_reset(m, t, host);
        else
            rm_clock_map_add(m, t, host);
    }
}

static void test_drift_is_measured(void **state)
{
    (void)state;
    const double drifts[] = {0.0, 40.0, -120.0, 900.0};
    for (size_t i = 0; i < sizeof(drifts) / sizeof(drifts[0]); i++) {
        struct rm_clock_map m;
        feed(&m, drifts[i], 300.0, 1000.0, 7 + i);
        assert_true(m.have_drift);
        /* Latency floor noise of ~0.1 ms over ~290 s: well under 2 ppm. */
        if (fabs(m.drift_ppm - drifts[i]) > 2.0)
            fail_msg("drift %g ppm measured as %g", drifts[i], m.drift_ppm);
    }
}

static void test_no_drift_before_two_windows(void **state)
{
    (void)state;
    struct rm_clock_map m;
    feed(&m, 100.0, 15.0, 5.0, 1);
    assert_false(m.have_drift);
    assert_true(m.have_window);
}

static void test_host_maps_onto_device_clock(void **state)
{
    (void)state;
    struct rm_clock_map m;
    feed(&m, 50.0, 60.0, 200.0, 3);
    /* A host instant 30 s in: the device read about 30 s (+50 ppm) then;
     * the estimate is off by the latency floor (0.8 ms) and the drift since
     * the last window (< 10 s x 50 ppm). */
    double host = 200.0 + 30.0 / (1.0 + 50e-6);
    double t = rm_clock_map_device_time(&m, host);
    assert_true(fabs(t - 30.0) < 0.002);
    /* Before any window completes, the running minimum serves. */
    struct rm_clock_map early;
    feed(&early, 0.0, 3.0, 10.0, 4);
    assert_false(early.have_window);
    assert_true(fabs(rm_clock_map_device_time(&early, 12.0) - 2.0) < 0.002);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drift_is_measured),
        cmocka_unit_test(test_no_drift_before_two_windows),
        cmocka_unit_test(test_host_maps_onto_device_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

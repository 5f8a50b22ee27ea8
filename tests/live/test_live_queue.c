/* The live page's frame queue when the analysis falls behind: a full queue
 * is thinned to every other frame, the newest kept, so that the analysis
 * sees frames 20 ms apart (bridged) rather than missing a stretch of 2.5 s
 * that would end a hold on the page (a test_live_browser failure on a
 * loaded machine: states paused, rolling, never hold). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "live_internal.h"

enum { ELEMS = 6 };

static void test_full_queue_thinned_to_every_other_frame(void **state)
{
    (void)state;
    static uint16_t mem[LIVE_QUEUE_FRAMES * ELEMS];
    static struct live_slot slots[LIVE_QUEUE_FRAMES];
    for (size_t head = 0; head < LIVE_QUEUE_FRAMES; head += 37) {
        for (size_t k = 0; k < LIVE_QUEUE_FRAMES; k++) {
            size_t at = (head + k) % LIVE_QUEUE_FRAMES; /* the k-th oldest */
            slots[at].sensels = mem + at * ELEMS;
            slots[at].t = 0.01 * (double)k;
            slots[at].host_s = 100 + (double)k;
            for (size_t e = 0; e < ELEMS; e++)
                slots[at].sensels[e] = (uint16_t)(k * 10 + e);
        }
        size_t lost = live_queue_thin(slots, head, LIVE_QUEUE_FRAMES, ELEMS);
        assert_int_equal(lost, LIVE_QUEUE_FRAMES / 2);
        size_t kept = LIVE_QUEUE_FRAMES - lost;
        for (size_t i = 0; i < kept; i++) {
            const struct live_slot *s = &slots[(head + i) % LIVE_QUEUE_FRAMES];
            size_t k = 2 * i + 1;
            assert_true(s->t == 0.01 * (double)k);
            assert_true(s->host_s == 100 + (double)k);
            for (size_t e = 0; e < ELEMS; e++)
                assert_int_equal(s->sensels[e], k * 10 + e);
            /* Frames 20 ms apart: well within the 0.5 s bridged. */
            if (i > 0)
                assert_true(s->t - slots[(head + i - 1) % LIVE_QUEUE_FRAMES].t < 0.021);
        }
        /* The newest frame is still the last. */
        assert_true(slots[(head + kept - 1) % LIVE_QUEUE_FRAMES].t ==
                    0.01 * (LIVE_QUEUE_FRAMES - 1));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_queue_thinned_to_every_other_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

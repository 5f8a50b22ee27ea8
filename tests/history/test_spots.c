/* The spot rule of history/spots.c on hand-made holds: the window with the
 * most sessions wins, every two holds of a spot are within 0.1, a session
 * counts once, muscles never merge, and "recurring" starts at exactly 3
 * sessions over 14 days. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hi_internal.h"
#include "testlib.h"

#define DAY 86400

static struct hi_hold_row hold(const char *muscle, int64_t session, int64_t day, double pos)
{
    struct hi_hold_row r = {.session_id = session,
                            .when = day * DAY,
                            .relative_position = pos,
                            .duration_s = 20,
                            .spot = -1};
    snprintf(r.muscle, sizeof(r.muscle), "%s", muscle);
    return r;
}

static void recurring_from_14_days(void **state)
{
    (void)state;
    for (int span = 13; span <= 14; span++) {
        struct hi_hold_row rows[] = {hold("calf-left", 1, 0, 0.60), hold("calf-left", 2, 5, 0.63),
                                     hold("calf-left", 3, span, 0.69)};
        struct rm_history_spot *spots = NULL;
        size_t n = 0;
        assert_int_equal(hi_cluster(rows, 3, &spots, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(spots[0].sessions, 3);
        assert_int_equal(spots[0].recurring, span == 14);
        assert_true(spots[0].relative_position == 0.63);
        for (int i = 0; i < 3; i++)
            assert_int_equal(rows[i].spot, 0);
        free(spots);
    }
}

static void the_window_with_most_sessions_wins(void **state)
{
    (void)state;
    /* From the lowest hold up, [0.50, 0.60] would hold 2; the rule finds
     * the 3 sessions of [0.58, 0.68] and leaves 0.50 and 0.70 alone. */
    struct hi_hold_row rows[] = {hold("calf-left", 1, 0, 0.50), hold("calf-left", 2, 1, 0.58),
                                 hold("calf-left", 3, 2, 0.62), hold("calf-left", 4, 3, 0.66),
                                 hold("calf-left", 5, 4, 0.70)};
    struct rm_history_spot *spots = NULL;
    size_t n = 0;
    assert_int_equal(hi_cluster(rows, 5, &spots, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(spots[0].sessions, 3);
    assert_true(spots[0].position_lo == 0.58 && spots[0].position_hi == 0.66);
    assert_int_equal(rows[0].spot, -1);
    assert_int_equal(rows[4].spot, -1);
    free(spots);
}

static void a_session_counts_once_and_muscles_stay_apart(void **state)
{
    (void)state;
    struct hi_hold_row rows[] = {hold("calf-left", 1, 0, 0.30), hold("calf-left", 1, 0, 0.31),
                                 hold("calf-left", 2, 20, 0.33), hold("calf-right", 3, 40, 0.30),
                                 hold("calf-right", 4, 50, 0.30)};
    struct rm_history_spot *spots = NULL;
    size_t n = 0;
    assert_int_equal(hi_cluster(rows, 5, &spots, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(spots[0].muscle, "calf-left");
    assert_int_equal(spots[0].sessions, 2);
    assert_int_equal(spots[0].holds, 3);
    assert_false(spots[0].recurring);
    assert_string_equal(spots[1].muscle, "calf-right");
    assert_int_equal(spots[1].sessions, 2);
    free(spots);
}

static void sentence_names_spot_and_span(void **state)
{
    (void)state;
    struct rm_history_spot s = {.muscle = "calf-left",
                                .relative_position = 0.66,
                                .sessions = 5,
                                .days = 21,
                                .recurring = true};
    char buf[320];
    rm_history_spot_sentence(&s, buf, sizeof(buf));
    assert_string_equal(buf, "The spot two-thirds of the way along your left calf has needed a "
                             "hold in 5 sessions over 3 weeks: consider having a "
                             "physiotherapist look at it.");
    snprintf(s.muscle, sizeof(s.muscle), "lower-back");
    s.relative_position = 0.12;
    s.days = 10;
    rm_history_spot_sentence(&s, buf, sizeof(buf));
    assert_non_null(strstr(buf, "The spot 12 % of the way along your lower back"));
    assert_non_null(strstr(buf, "over 10 days"));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(recurring_from_14_days),
        cmocka_unit_test(the_window_with_most_sessions_wins),
        cmocka_unit_test(a_session_counts_once_and_muscles_stay_apart),
        cmocka_unit_test(sentence_names_spot_and_span),
    };
    return rm_test_run_selected(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}

/* The built-in scenarios of docs/simulator.md, written as plans: they are
 * also the examples of the plan language. Hold lengths follow the guidance
 * in shared/seeds/ (20-30 s: seeds 000 and 001; about 10 s: seed 002; 30-90
 * s: seed 004); speeds around 30 mm/s are "slow" (under 50 mm/s), 120-150
 * mm/s is "too fast" (over 100 mm/s) by shared/spec/analysis-output.md. */
#include <stdio.h>
#include <string.h>

#include "rm_error.h"
#include "sim_internal.h"

struct scenario {
    const char *name;
    const char *text;
};

/* The mat of every scenario: 64 x 32 sensels at 10 mm, 100 Hz, 12 bits; the
 * roll axis runs 0-630 mm, the cross axis 0-310 mm. */
static const struct scenario scenarios[] = {
    {"good", "# Two calves, rolled slowly with holds on the tender spots, each\n"
             "# approached at 10 mm/s for the last 15 mm (rolling, not yet a pause).\n"
             "mat rows=64 cols=32 pitch_row_mm=10 pitch_col_mm=10 rate_hz=100 adc_bits=12 "
             "serial=SIM-0001\n"
             "body mass_kg=70\n"
             "idle 2\n"
             "muscle calf-left share=0.32 lateral_mm=150 width_mm=125\n"
             "at 120\n"
             "rolls 120 440 speed=30 count=3\n"
             "roll 315 speed=28\n"
             "roll 300 speed=10\n"
             "mark \"felt tight\"\n"
             "pause 24\n"
             "roll 160 speed=32\n"
             "rolls 160 440 speed=27 count=2\n"
             "roll 215 speed=26\n"
             "roll 230 speed=10\n"
             "pause 22\n"
             "roll 400 speed=30\n"
             "end\n"
             "idle 3\n"
             "muscle calf-right share=0.34 lateral_mm=160 width_mm=130\n"
             "at 140\n"
             "rolls 140 450 speed=33 count=3\n"
             "roll 365 speed=29\n"
             "roll 350 speed=10\n"
             "pause 27\n"
             "roll 150 speed=31\n"
             "rolls 150 430 speed=25 count=2\n"
             "roll 245 speed=28\n"
             "roll 260 speed=10\n"
             "pause 21\n"
             "roll 430 speed=34\n"
             "end\n"
             "idle 2\n"},
    {"fast", "# Rolling far too fast, never stopping.\n"
             "mat rows=64 cols=32 pitch_row_mm=10 pitch_col_mm=10 rate_hz=100 adc_bits=12 "
             "serial=SIM-0001\n"
             "idle 2\n"
             "muscle calf-left share=0.33 lateral_mm=150 width_mm=125\n"
             "at 100\n"
             "rolls 100 450 speed=140 count=16\n"
             "roll 480 speed=125\n"
             "rolls 480 220 speed=150 count=9\n"
             "end\n"
             "idle 3\n"
             "muscle calf-right share=0.33 lateral_mm=160 width_mm=125\n"
             "at 120\n"
             "rolls 120 440 speed=130 count=20\n"
             "end\n"
             "idle 2\n"},
    {"short-holds", "# Slow rolling with holds of only 5-8 s.\n"
                    "mat rows=64 cols=32 pitch_row_mm=10 pitch_col_mm=10 rate_hz=100 "
                    "adc_bits=12 serial=SIM-0001\n"
                    "idle 2\n"
                    "muscle calf-left share=0.32 lateral_mm=150 width_mm=125\n"
                    "at 120\n"
                    "rolls 120 430 speed=30 count=2\n"
                    "roll 300 speed=28\n"
                    "pause 6\n"
                    "roll 200 speed=30\n"
                    "pause 8\n"
                    "roll 420 speed=32\n"
                    "pause 5\n"
                    "roll 150 speed=29\n"
                    "pause 7\n"
                    "roll 380 speed=30\n"
                    "end\n"
                    "idle 2\n"},
    {"long-holds", "# Slow rolling with holds of 45-60 s.\n"
                   "mat rows=64 cols=32 pitch_row_mm=10 pitch_col_mm=10 rate_hz=100 "
                   "adc_bits=12 serial=SIM-0001\n"
                   "idle 2\n"
                   "muscle calf-left share=0.32 lateral_mm=150 width_mm=125\n"
                   "at 120\n"
                   "rolls 120 430 speed=30 count=2\n"
                   "roll 280 speed=28\n"
                   "pause 52\n"
                   "roll 400 speed=30\n"
                   "pause 47\n"
                   "roll 150 speed=31\n"
                   "pause 58\n"
                   "roll 350 speed=30\n"
                   "end\n"
                   "idle 2\n"},
    {"no-events", "# Three muscles and no segment events: the analyzer must find the\n"
                  "# segments from the unloaded gaps between them.\n"
                  "mat rows=64 cols=32 pitch_row_mm=10 pitch_col_mm=10 rate_hz=100 "
                  "adc_bits=12 serial=SIM-0001\n"
                  "events off\n"
                  "idle 2\n"
                  "muscle calf-left share=0.32 lateral_mm=150 width_mm=125\n"
                  "at 120\n"
                  "rolls 120 420 speed=30 count=2\n"
                  "roll 260 speed=30\n"
                  "pause 21\n"
                  "roll 400 speed=30\n"
                  "end\n"
                  "idle 4\n"
                  "muscle calf-right share=0.34 lateral_mm=160 width_mm=130\n"
                  "at 140\n"
                  "rolls 140 440 speed=32 count=2\n"
                  "roll 300 speed=30\n"
                  "pause 23\n"
                  "roll 160 speed=30\n"
                  "end\n"
                  "idle 5\n"
                  "muscle hamstring-left share=0.40 lateral_mm=155 width_mm=150\n"
                  "at 100\n"
                  "rolls 100 500 speed=35 count=2\n"
                  "roll 320 speed=30\n"
                  "pause 25\n"
                  "roll 480 speed=30\n"
                  "end\n"
                  "idle 3\n"},
    {"zero", "# An empty mat, for `calib zero`.\n"
             "mat rows=64 cols=32 pitch_row_mm=10 pitch_col_mm=10 rate_hz=100 adc_bits=12 "
             "serial=SIM-0001\n"
             "idle 10\n"},
    {"uniform", "# Uniform pressure over the whole mat, for `calib equilibrate`.\n"
                "mat rows=64 cols=32 pitch_row_mm=10 pitch_col_mm=10 rate_hz=100 adc_bits=12 "
                "serial=SIM-0001\n"
                "uniform 20 10\n"
                "uniform 60 10\n"
                "uniform 120 10\n"},
    {"load", "# A 160 x 160 mm board, aligned to the sensels, carrying 40, 70 and 100 kg\n"
             "# (15-38 kPa, the range a foam roller presses with), for `calib fit`.\n"
             "mat rows=64 cols=32 pitch_row_mm=10 pitch_col_mm=10 rate_hz=100 adc_bits=12 "
             "serial=SIM-0001\n"
             "mass 40 10 area=235,75,395,235\n"
             "mass 70 10 area=235,75,395,235\n"
             "mass 100 10 area=235,75,395,235\n"},
};

#define NSCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

const char *const *rm_sim_scenarios(void)
{
    static const char *const names[] = {"good", "fast",    "short-holds", "long-holds", "no-events",
                                        "zero", "uniform", "load",        NULL};
    _Static_assert(sizeof(names) / sizeof(names[0]) == NSCENARIOS + 1,
                   "every scenario is listed by name");
    return names;
}

const char *rm_sim_scenario_text(const char *name)
{
    for (size_t i = 0; i < NSCENARIOS; i++)
        if (strcmp(scenarios[i].name, name) == 0)
            return scenarios[i].text;
    return NULL;
}

int rm_sim_plan_builtin(struct rm_sim_plan **out, const char *name)
{
    *out = NULL;
    const char *text = rm_sim_scenario_text(name);
    if (!text) {
        char list[256] = "";
        for (size_t i = 0; i < NSCENARIOS; i++) {
            strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
            strncat(list, scenarios[i].name, sizeof(list) - strlen(list) - 1);
        }
        return rm_fail(RM_ENOTFOUND, "no scenario '%s' (there are: %s)", name, list);
    }
    int rc = rm_sim_plan_parse_string(out, text, name);
    /* A built-in plan that does not parse is a bug here, not bad input. */
    return rc == RM_EFORMAT ? RM_EUSAGE : rc;
}

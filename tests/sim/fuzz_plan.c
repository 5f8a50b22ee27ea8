/* libFuzzer target: the plan parser takes any bytes without crashing,
 * leaking or reading out of bounds, and a plan it accepts compiles. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rm_error.h"
#include "rm_sim.h"

/* Keeps the optimiser from dropping the work. */
volatile int64_t rm_fuzz_sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct rm_sim_plan *plan;
    if (rm_sim_plan_parse_string(&plan, text, "fuzz.plan") == 0) {
        /* Compiling draws the whole timeline and its truth: bounded here
         * to plans short enough to stay fast. */
        struct rm_sim *sim;
        if (size < 512 && !strstr(text, "00") && rm_sim_new(&sim, plan, 1) == 0) {
            struct rm_sim_frame f;
            for (int i = 0; i < 3 && rm_sim_next(sim, &f) == 0; i++)
                rm_fuzz_sink += f.sensels[0];
            rm_fuzz_sink += rm_sim_frames_delivered(sim);
            rm_sim_free(sim);
        }
        rm_sim_plan_free(plan);
    }
    free(text);
    return 0;
}

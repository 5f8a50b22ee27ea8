/* The simulated mat (docs/simulator.md): a plain-text plan of what a person
 * does on the roller, played on a physically modelled mat, one frame at a
 * time. The same generator feeds `rollmat sim` (files) and the real-time
 * `sim:SCENARIO` device of `rollmat record` / `rollmatd` (wire bytes).
 *
 *     struct rm_sim_plan *plan;
 *     struct rm_sim *sim;
 *     rm_sim_plan_builtin(&plan, "good");
 *     rm_sim_new(&sim, plan, 1);
 *     rm_sim_plan_free(plan);             // the generator keeps what it needs
 *     struct rm_sim_frame f;
 *     while ((rc = rm_sim_next(sim, &f)) == 0) { ...f.events, f.sensels... }
 *     // rc == RM_EEOF: f.events holds any events after the last frame
 *     rm_sim_free(sim);
 */
#ifndef RM_SIM_H
#define RM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "rm_calibration.h"
#include "rm_mat.h"

/* ---- plans ------------------------------------------------------------ */

struct rm_sim_plan;

/* Parses a plan file. A bad line gives RM_EFORMAT with
 * "<path>:<line>: <what>"; an unreadable file RM_EIO (or RM_ENOTFOUND).
 * Free with rm_sim_plan_free(). */
int rm_sim_plan_parse_file(struct rm_sim_plan **out, const char *path);

/* Parses plan text; `name` stands for the file in messages and in the
 * truth's "plan" field. */
int rm_sim_plan_parse_string(struct rm_sim_plan **out, const char *text, const char *name);

/* One of the built-in scenarios of docs/simulator.md ("good", "fast", ...).
 * RM_ENOTFOUND (with a message listing the names) for an unknown name. */
int rm_sim_plan_builtin(struct rm_sim_plan **out, const char *name);

/* The built-in scenario names, NULL terminated, and a scenario's plan text
 * (NULL for an unknown name); static storage. */
const char *const *rm_sim_scenarios(void);
const char *rm_sim_scenario_text(const char *name);

/* The scenario name or the file the plan came from. Owned by the plan. */
const char *rm_sim_plan_name(const struct rm_sim_plan *plan);

void rm_sim_plan_free(struct rm_sim_plan *plan);

/* ---- the generator ---------------------------------------------------- */

struct rm_sim;

#define RM_SIM_EVENT_KIND_LEN  16
#define RM_SIM_EVENT_LABEL_LEN 64

/* An event of the plan (segment_start, segment_end, mark), on the frame
 * clock: t = seconds of device time since frame 0. */
struct rm_sim_event {
    double t;
    char kind[RM_SIM_EVENT_KIND_LEN + 1];
    char label[RM_SIM_EVENT_LABEL_LEN + 1];
};

struct rm_sim_frame {
    uint64_t seq;   /* device frame counter (not wrapped); gaps where frames dropped */
    uint64_t t_us;  /* device clock, seq * 1e6 / rate_hz (not wrapped) */
    double t;       /* the same in seconds */
    uint16_t flags; /* RM_FRAME_OVERRUN after a drop, RM_FRAME_SATURATED (rm_wire.h) */
    int rows, cols;
    const uint16_t *sensels; /* rows * cols raw counts, row-major; NULL at the end */
    /* Events due since the previous delivered frame, up to and including
     * this frame's t (at the end: every event left). */
    const struct rm_sim_event *events;
    size_t nevents;
};

/* Compiles the plan into a timeline and draws everything random: the mat's
 * properties from its serial, the session's (noise, wobble, load
 * fluctuation) from seed. The plan is not kept: free it whenever. Same plan
 * and seed give the same frames. Free with rm_sim_free(). */
int rm_sim_new(struct rm_sim **out, const struct rm_sim_plan *plan, uint64_t seed);
void rm_sim_free(struct rm_sim *sim);

/* The info block the simulated device reports: model "simulated", firmware
 * "rollmat-sim", serial/grid/pitch (um)/adc_bits/rate from the plan. */
void rm_sim_info(const struct rm_sim *sim, struct rm_mat_info *out);

/* The recording's created_utc from the plan's `date` command, or "" when
 * the plan has none (the writer then stamps the time of writing). Owned by
 * sim. */
const char *rm_sim_created_utc(const struct rm_sim *sim);

/* Length of the plan (s), frames the device samples over it (dropped ones
 * included) and frames delivered (dropped ones excluded). */
double rm_sim_duration_s(const struct rm_sim *sim);
int64_t rm_sim_frames_sampled(const struct rm_sim *sim);
int64_t rm_sim_frames_delivered(const struct rm_sim *sim);

/* The next delivered frame: 0 with *out filled (buffers owned by sim,
 * valid until the next call), or RM_EEOF at the end of the plan (out->sensels
 * NULL, out->events the events after the last frame). */
int rm_sim_next(struct rm_sim *sim, struct rm_sim_frame *out);

/* Starts over from frame 0 (the same frames again). */
void rm_sim_rewind(struct rm_sim *sim);

/* What really happened, as docs/simulator.md "Truth" defines it. A new
 * reference owned by the caller (json_decref), or NULL without memory. Known
 * from rm_sim_new() on: it does not depend on how far the sim has run. */
json_t *rm_sim_truth_json(const struct rm_sim *sim);

/* The mat's true calibration (power curve, per-sensel offset, gain, dead):
 * the exact inverse of the sensor model. Owned by the caller
 * (rm_calibration_free). */
int rm_sim_true_calibration(const struct rm_sim *sim, struct rm_calibration **out);

/* The noiseless model at frame index k (0 .. frames_sampled - 1), for
 * tests: the pressure in kPa of each sensel (rows * cols, caller's buffer),
 * and the total force on the mat in N. */
int rm_sim_pressure_at(const struct rm_sim *sim, int64_t k, float *kpa, double *force_n);

/* For tests: frames without sensor noise (on) or with it (off, the
 * default), from the next frame on. The mat is the same either way. */
void rm_sim_set_noiseless(struct rm_sim *sim, bool on);

/* ---- the command ------------------------------------------------------ */

/* `rollmat sim`: see docs/simulator.md. */
int rm_cmd_sim(int argc, char **argv);

#endif

/* What the files of sim/ share: the parsed plan, the compiled timeline, the
 * mat model and the random generators. Not for other parts (rm_sim.h is). */
#ifndef RM_SIM_INTERNAL_H
#define RM_SIM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rm_sim.h"

#define SIM_G          9.80665
#define SIM_TEXT_LEN   64
#define SIM_SERIAL_LEN 16

/* ---- random numbers --------------------------------------------------- */

/* xoshiro256** (Blackman & Vigna): fast, good, and the same on every host,
 * which is what makes a plan + seed reproducible. */
struct sim_rng {
    uint64_t s[4];
};

void sim_rng_seed(struct sim_rng *rng, uint64_t seed);
uint64_t sim_rng_next(struct sim_rng *rng);
/* Uniform in [0, 1). */
double sim_rng_uniform(struct sim_rng *rng);
double sim_rng_range(struct sim_rng *rng, double lo, double hi);
/* 64-bit FNV-1a of a string: the mat's serial seeds its properties. */
uint64_t sim_hash_string(const char *s);

/* 4096 standard normal quantiles, (i + 0.5) / 4096, for drawing sensor noise
 * with one table lookup per sensel. Static, built once, thread-safe. */
#define SIM_GAUSS_BITS 12
const float *sim_gauss_table(void);

/* ---- plans ------------------------------------------------------------ */

enum sim_cmd_kind {
    CMD_BODY,
    CMD_EVENTS,
    CMD_IDLE,
    CMD_MUSCLE,
    CMD_AT,
    CMD_ROLL,
    CMD_ROLLS,
    CMD_PAUSE,
    CMD_END,
    CMD_MARK,
    CMD_DROP,
    CMD_UNIFORM,
    CMD_MASS,
};

struct sim_cmd {
    enum sim_cmd_kind kind;
    int line;
    /* Numbers by command: body {mass}; events {on}; idle/pause {s};
     * muscle {share, lateral_mm, width_mm}; at {pos}; roll {pos, speed};
     * rolls {from, to, speed, count}; drop {n}; uniform {kpa, s};
     * mass {kg, s, x0, y0, x1, y1}. */
    double v[6];
    char text[SIM_TEXT_LEN + 1]; /* muscle label, mark text */
};

struct sim_mat_params {
    int rows, cols;
    int pitch_row_um, pitch_col_um;
    int rate_hz;
    int adc_bits;
    char serial[SIM_SERIAL_LEN + 1];
};

struct rm_sim_plan {
    char name[256];
    struct sim_mat_params mat;
    char created_utc[24]; /* `date`: the recording's created_utc; "" = now */
    struct sim_cmd *cmds; /* owned */
    size_t ncmds, cap;
};

/* ---- the compiled timeline -------------------------------------------- */

enum sim_phase_kind {
    PH_IDLE,    /* nothing on the mat */
    PH_ON,      /* the person settles onto the roller: load ramps up */
    PH_OFF,     /* the person steps off: load ramps down */
    PH_STILL,   /* the roller stays at pos, wobbling (a pause) */
    PH_MOVE,    /* the roller rolls from -> to */
    PH_UNIFORM, /* calibration: uniform pressure */
    PH_MASS,    /* calibration: a board carrying a mass */
};

struct sim_phase {
    enum sim_phase_kind kind;
    double t0, t1;
    int seg; /* index into segments while a person is on the roller, else -1 */
    /* PH_MOVE: from -> to at speed, entering at v_in and leaving at v_out
     * (0 but where it blends into a stroke in the same direction), with
     * cosine ramps of ramp_in and ramp_out seconds between those and speed. */
    double from, to, speed, v_in, v_out, ramp_in, ramp_out;
    double pos;                             /* PH_ON, PH_OFF, PH_STILL */
    double wob_amp[2], wob_f[2], wob_ph[2]; /* PH_STILL */
    double kpa;                             /* PH_UNIFORM; PH_MASS: the board's pressure */
    double area[4];                         /* PH_MASS: x0 (roll axis), y0, x1, y1 in mm */
    double kg;                              /* PH_MASS */
};

#define SIM_STROKE_PARTS 8

/* One pass in one direction: one `roll` or stroke of `rolls`, or several
 * blended into one when they follow each other in the same direction. */
struct sim_stroke {
    double t0, t1, from, to;
    bool rhythm; /* part of a `rolls` */
    double part_speed[SIM_STROKE_PARTS], part_len[SIM_STROKE_PARTS];
    int nparts;
};

struct sim_pause {
    double t0, t1, pos_cmd;
    double pos_mean, force_mean; /* filled from the frames */
};

struct sim_segment {
    char label[SIM_TEXT_LEN + 1];
    bool events;
    double share, lateral_mm, width_mm, mass_kg;
    double t_start, t_end;       /* segment_start, segment_end */
    double t_loaded0, t_loaded1; /* fully on the roller */
    struct sim_stroke *strokes;  /* owned */
    size_t nstrokes;
    struct sim_pause *pauses; /* owned */
    size_t npauses;
    double force_mean;
};

struct sim_load {
    double t0, t1;
    bool mass; /* else uniform */
    double kg, force_n, kpa, area[4];
};

struct sim_mark {
    double t;
    char text[SIM_TEXT_LEN + 1];
};

struct sim_drop {
    int64_t k0, n; /* frames k0 .. k0 + n - 1 are lost */
};

struct rm_sim {
    char plan_name[256];
    char created_utc[24]; /* from the plan's `date`; "" = now */
    uint64_t seed;
    struct sim_mat_params mat;
    double pitch_row_mm, pitch_col_mm;
    int full_scale;

    /* the mat, from its serial */
    double curve_a, curve_b;
    float *offset, *gain; /* rows * cols, owned */
    uint8_t *dead;        /* rows * cols: 0 alive, 1 reads 0, 2 stuck */
    uint16_t *stuck;      /* rows * cols: the stuck value */
    size_t *dead_index;   /* ndead sensel indices, owned */
    size_t ndead;
    float noise_sd, noise_sd_mat; /* in use; the mat's own */

    /* the session, from the seed */
    double fluct_amp[3], fluct_f[3], fluct_ph[3];
    struct sim_rng noise_rng;

    /* the timeline */
    struct sim_phase *phases; /* owned */
    size_t nphases;
    struct sim_segment *segs; /* owned */
    size_t nsegs;
    struct sim_load *loads;
    size_t nloads;
    struct sim_mark *marks;
    size_t nmarks;
    struct sim_drop *drops;
    size_t ndrops;
    struct rm_sim_event *events; /* sorted by t, owned */
    size_t nevents;
    double duration_s;
    int64_t frames_sampled, frames_dropped;

    /* playing */
    int64_t next_k;      /* next sampled frame index */
    size_t next_event;   /* first event not yet handed out */
    size_t phase_cursor; /* phase of the last frame, to find the next fast */
    size_t drop_cursor;
    uint16_t *raw;               /* rows * cols, owned: the frame handed out */
    float *value;                /* rows * cols, owned: counts before rounding */
    float *kpa;                  /* rows * cols, owned: scratch pressure */
    double *row_frac, *col_frac; /* scratch */
};

/* timeline.c: fills sim->phases, segs, loads, marks, drops, events,
 * duration_s and frames_* from the plan, drawing wobble from rng. */
int sim_timeline_build(struct rm_sim *sim, const struct rm_sim_plan *plan, struct sim_rng *rng);
void sim_timeline_free(struct rm_sim *sim);

/* model.c */
int sim_mat_build(struct rm_sim *sim);
/* Index of the phase holding time t, searching forward from *cursor. */
size_t sim_phase_at(const struct rm_sim *sim, double t, size_t *cursor);

/* The noiseless pressure field at t (cursor: as for sim_phase_at). Writes
 * kpa (rows * cols) for the rows [*r0, *r1) that carry load and leaves the
 * others untouched (they are 0); row_frac and col_frac are scratch of rows
 * and cols. *force_n is the force on the mat. */
void sim_pressure(const struct rm_sim *sim, double t, size_t *cursor, float *kpa, double *row_frac,
                  double *col_frac, int *r0, int *r1, double *force_n);

/* Roller state at t: position (mm) and applied force (N, 0 when nobody is
 * on it); the force that lands on the mat (band overhanging an edge loses
 * some) goes to *mat_force_n when not NULL. */
void sim_roller(const struct rm_sim *sim, const struct sim_phase *ph, double t, double *pos_mm,
                double *force_n, double *mat_force_n);

/* truth.c: per-segment and per-pause figures taken over the frames. */
void sim_truth_measure(struct rm_sim *sim);

#endif

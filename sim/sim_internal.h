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
/* Touches (hands, knees) on the mat at the same moment that are modelled. */
#define SIM_MAX_TOUCHES 8

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
    CMD_HESITATE,
    CMD_TOUCH,
};

/* What rolls on the mat. */
enum sim_tool { TOOL_ROLLER, TOOL_BALL };

struct sim_cmd {
    enum sim_cmd_kind kind;
    int line;
    /* Numbers by command (x along the roll axis, y across it; a y of NAN:
     * unchanged): body {mass}; events {on}; idle/pause/hesitate {s};
     * muscle {share, lateral_mm, width_mm, tool, legs, spacing_mm, label_late_s};
     * at {x, y}; roll {x, speed, y}; rolls {from x, to x, speed, count, from y, to y,
     * spread}; drop {n}; uniform {kpa, s}; mass {kg, s, x0, y0, x1, y1};
     * touch {x, y, for_s, after_s, force_n, size_mm}. */
    double v[8];
    char text[SIM_TEXT_LEN + 1]; /* muscle label, mark text, touch kind */
};

struct sim_mat_params {
    int rows, cols;
    int pitch_row_um, pitch_col_um;
    int rate_hz;
    int adc_bits;
    char serial[SIM_SERIAL_LEN + 1];
    bool axis_cols;       /* the mat laid sideways: the roller rolls along the columns */
    double creep;         /* a loaded sensel reads up to this fraction more ... */
    double creep_tau_s;   /*   approached with this time constant */
    double drift_per_min; /* the zero drifts by this many counts a minute */
    double ghost;         /* passive-matrix ghosting strength, 0 .. 1 */
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
    PH_STILL,   /* the roller stays at pos, wobbling (a pause; no wobble: a hesitation) */
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
    double lat_from, lat_to; /* PH_MOVE: the cross position at from and at to */
    double path;             /* PH_MOVE: length of the path (a ball's is 2-D) */
    double pos, lat;         /* PH_ON, PH_OFF, PH_STILL: along and across the roll axis */
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
    double lat_from, lat_to; /* across the roll axis */
    bool rhythm;             /* part of a `rolls` */
    double part_speed[SIM_STROKE_PARTS], part_len[SIM_STROKE_PARTS];
    int nparts;
};

struct sim_pause {
    double t0, t1, pos_cmd, lat_cmd;
    double pos_mean, lat_mean, force_mean; /* filled from the frames */
};

/* A short stop that is no pause (under pause_min_s): a hesitation. */
struct sim_hesitation {
    double t0, t1, pos;
};

/* Something else put down on the mat: a hand, a knee, a foot. */
struct sim_touch {
    char kind[SIM_TEXT_LEN + 1];
    double t0, t1;  /* on the mat (ramps of TOUCH_RAMP_S included) */
    double x, y;    /* centre along and across the roll axis, mm */
    double force_n; /* when fully down */
    double size_mm; /* contact diameter */
};

struct sim_segment {
    char label[SIM_TEXT_LEN + 1];
    bool events;
    enum sim_tool tool;
    int legs;          /* 1 or 2 limbs on the roller */
    double spacing_mm; /* between two legs' centres */
    double share, lateral_mm, width_mm, mass_kg;
    double t_start, t_end;       /* getting on starts, getting off ends */
    double label_t;              /* the segment_start event (late: after t_start) */
    double t_loaded0, t_loaded1; /* fully on the roller */
    struct sim_stroke *strokes;  /* owned */
    size_t nstrokes;
    struct sim_pause *pauses; /* owned */
    size_t npauses;
    struct sim_hesitation *hesitations; /* owned */
    size_t nhesitations;
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
    struct sim_touch *touches; /* owned */
    size_t ntouches;
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
    /* real sensors (docs/simulator.md "Real sensors") */
    float *drift;              /* rows * cols: each sensel's share of drift_per_min, owned */
    float *creep_x;            /* rows * cols: how far each sensel has crept, 0 .. 1, owned */
    int64_t creep_k;           /* the frame creep_x belongs to, -1 before the first */
    float *sig;                /* rows * cols scratch: counts of the load before gain */
    double *ghost_r, *ghost_c; /* rows, cols scratch: line sums for ghosting */
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

/* Tool state at t: position along (*pos_mm) and across (*lat_mm) the roll
 * axis and applied force (N, 0 when nobody is on it); the force that lands
 * on the mat (a contact overhanging an edge loses some) goes to
 * *mat_force_n when not NULL. */
void sim_roller(const struct rm_sim *sim, const struct sim_phase *ph, double t, double *pos_mm,
                double *lat_mm, double *force_n, double *mat_force_n);

/* contact.c: the contacts on the mat as separable elliptic pressure
 * profiles (a roller's band times the limbs across it, a ball, a hand). */
struct sim_blob {
    double x, hx; /* centre and half width along the roll axis, mm */
    double y, hy; /* ... across it */
    double force_n;
};

/* The tool's blobs at t (one, or one per leg), at most 2; returns the count. */
int sim_tool_blobs(const struct rm_sim *sim, const struct sim_phase *ph, double t,
                   struct sim_blob *out);
/* The touches' blobs at t, at most max; returns the count. */
int sim_touch_blobs(const struct rm_sim *sim, double t, struct sim_blob *out, int max);
/* The share of a blob's force that lands on the sensing area. */
double sim_blob_on_mat(const struct rm_sim *sim, const struct sim_blob *b);
/* Adds the blob's pressure to kpa over the rows [r0, r1) (which the caller
 * zeroed: sim_blob_rows gives them); rf and cf are scratch of rows and cols. */
void sim_blob_rows(const struct rm_sim *sim, const struct sim_blob *b, int *r0, int *r1);
void sim_blob_add(const struct rm_sim *sim, const struct sim_blob *b, float *kpa, double *rf,
                  double *cf);

/* sensor.c: creep, drift and ghosting (all off unless the plan's mat asks). */
int sim_sensor_build(struct rm_sim *sim);
void sim_sensor_free(struct rm_sim *sim);
void sim_sensor_rewind(struct rm_sim *sim);
/* Whether creep or ghosting is on: then sim_sensor_load gives the load's
 * counts (before gain) in sim->sig for the rows [r0, r1) of frame k. */
bool sim_sensor_real(const struct rm_sim *sim);
void sim_sensor_load(struct rm_sim *sim, int64_t k, int r0, int r1);
/* Adds frame k's zero drift to value (rows * cols counts). */
void sim_sensor_drift(const struct rm_sim *sim, int64_t k, float *value);

/* truth.c: per-segment and per-pause figures taken over the frames. */
void sim_truth_measure(struct rm_sim *sim);

#endif

/* Making a calibration (docs/calibration.md): the three steps of
 * `rollmat calib` and the check, on frames held in memory, so that tests can
 * drive them without files. A step changes the calibration it is given and
 * leaves saving it to the caller.
 *
 *     zero         nothing on the mat       -> offset, dead (gain 1, curve identity)
 *     equilibrate  uniform pressure         -> gain, more dead
 *     fit          known masses on the mat  -> curve (power or table)
 *     check        known masses on the mat  -> error of each, in N and %
 */
#ifndef RM_CALIB_H
#define RM_CALIB_H

#include <stddef.h>
#include <stdint.h>

#include "rm_calibration.h"

/* Standard gravity (m/s^2): a mass in kg weighs kg * RM_GRAVITY newtons. */
#define RM_GRAVITY 9.80665
/* A load heavier than this is a typo, not a person on a board. */
#define RM_CALIB_MAX_KG 500.0

/* The frames of one recording, as the steps read them. */
struct rm_calib_frames {
    char name[512]; /* the file, for messages */
    int rows, cols;
    int adc_bits; /* full scale = 2^adc_bits - 1 */
    double pitch_row_mm, pitch_col_mm;
    char serial[64];
    size_t nframes;
    uint16_t *data; /* nframes * rows * cols raw counts, owned */
    /* The recording's own /calibration, or NULL; owned. */
    struct rm_calibration *calibration;
};

/* An empty set of nframes frames of rows x cols (data zeroed) named `name`:
 * adc_bits 12, pitch 10 mm. Free with rm_calib_frames_free(). */
int rm_calib_frames_new(struct rm_calib_frames **out, const char *name, int rows, int cols,
                        size_t nframes);

/* Reads a recording. At most max_frames frames are kept, evenly spaced over
 * the whole recording (a calibration step needs a few hundred, not an
 * hour). RM_EFORMAT with "<path>: <what>" for anything that is not a valid
 * recording, or one with no frames. */
int rm_calib_frames_read(const char *path, size_t max_frames, struct rm_calib_frames **out);
void rm_calib_frames_free(struct rm_calib_frames *fr);

/* RM_EFORMAT naming both files when the grids differ; a warning (and 0) when
 * the serials differ. */
int rm_calib_frames_match(const struct rm_calib_frames *fr, const struct rm_calibration *cal,
                          const char *cal_name);

/* ---- zero ------------------------------------------------------------- */

struct rm_calib_zero_report {
    size_t sensels;
    size_t dead_stuck;   /* no response: no noise at all, or stuck at 0 or full scale */
    size_t dead_noisy;   /* far noisier than their neighbours */
    double noise_median; /* counts, over live sensels */
    double noise_max;    /* counts, over live sensels */
};

/* From frames of an empty mat: per-sensel offset (a trimmed mean) and dead
 * mask into cal (gain reset to 1, curve to the identity, serial from the
 * recording). noise (rows * cols, may be NULL) receives each sensel's robust
 * standard deviation in counts. rep may be NULL. */
int rm_calib_zero(const struct rm_calib_frames *fr, struct rm_calibration *cal, float *noise,
                  struct rm_calib_zero_report *rep);

/* ---- equilibrate ------------------------------------------------------ */

struct rm_calib_equil_report {
    size_t frames_used;        /* loaded frames, over all recordings */
    size_t newly_dead;         /* sensels this step marked dead */
    double gain_min, gain_max; /* over live sensels, after normalising */
    double spread_pct;         /* robust spread of the gains (1.4826 MAD), % */
};

/* From frames under uniform pressure (any number of levels, in any number
 * of recordings): gain so that every live sensel reads like the mat's
 * median, normalised so the median gain is 1; sensels that disagree wildly
 * become dead. Keeps offset and curve. RM_EFORMAT naming the file when a
 * recording carries no pressure. */
int rm_calib_equilibrate(struct rm_calibration *cal, struct rm_calib_frames *const *recs,
                         size_t nrecs, struct rm_calib_equil_report *rep);

/* ---- loads: fit and check --------------------------------------------- */

/* One known mass on the mat, and what the calibration makes of it. */
struct rm_calib_load {
    const struct rm_calib_frames *fr;
    size_t first, count; /* the frames of fr it rests in; count 0: all */
    double kg;
    /* Filled by rm_calib_fit() and rm_calib_measure(): */
    double force_n;     /* kg * RM_GRAVITY */
    double measured_n;  /* mean force over the loaded frames */
    double error_n;     /* measured - force */
    double error_pct;   /* 100 * error / force */
    double mean_kpa;    /* mean pressure over the contact */
    double contact_cm2; /* mean contact area */
    size_t frames_used; /* frames with the whole load on */
};

/* Parses "PATH=KG" or "PATH=KG,KG,..." (masses put on the mat one after the
 * other in one recording; the last '=' splits). RM_EUSAGE with a message for
 * a missing '=' or more than max masses, RM_EFORMAT naming the file for a
 * mass that is not a number, zero, negative or above RM_CALIB_MAX_KG. path
 * points into arg; *nkg receives the number of masses. */
int rm_calib_parse_load(char *arg, const char **path, double *kg, size_t max, size_t *nkg);

/* Finds the k steady loads of a recording that holds k masses one after the
 * other, in time order: frames [first[i], first[i] + count[i]). RM_EFORMAT
 * naming the file when it does not hold exactly k. */
int rm_calib_split_loads(const struct rm_calibration *cal, const struct rm_calib_frames *fr,
                         size_t k, size_t *first, size_t *count);

/* Fits the curve so that the force summed over the contact equals every
 * load's weight. RM_CURVE_POWER: a and b by least squares on the relative
 * force error of every loaded frame (needs two loads of clearly different
 * pressure: b is not identifiable otherwise). RM_CURVE_TABLE: a monotone
 * piecewise-linear table through (0, 0) and one knot per distinct load
 * level. Fills each load's measurement with the new curve. */
int rm_calib_fit(struct rm_calibration *cal, struct rm_calib_load *loads, size_t nloads,
                 enum rm_curve curve);

/* Measures one load through rm_calibration_apply(): force over the contact
 * (sensels above the frame's noise floor), its error, pressure and area.
 * RM_EFORMAT naming the file when nothing rests on the mat. */
int rm_calib_measure(const struct rm_calibration *cal, struct rm_calib_load *load);

/* ---- the command ------------------------------------------------------ */

/* `rollmat calib zero|equilibrate|fit|check` (shared/spec/cli.md). */
int rm_cmd_calib(int argc, char **argv);

#endif

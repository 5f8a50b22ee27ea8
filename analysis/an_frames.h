/* Per-frame figures from raw counts (frames.c). */
#ifndef AN_FRAMES_H
#define AN_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include "an_contacts.h"
#include "an_internal.h"
#include "rm_calibration.h"
#include "rm_recording.h"

/* Contact needs a reading this many noise deviations above zero load: at
 * 5 sigma a 64 x 32 mat sees a false contact about once a minute. */
#define AN_NOISE_K 5.0

struct an_frames {
    int rows, cols;
    size_t n;
    double pitch_row, pitch_col, sensel_mm2;
    const struct rm_calibration *cal; /* NULL: uncalibrated; borrowed */
    uint16_t *thr;                    /* per sensel: contact iff raw > thr (dead: 65535) */
    float *base;                      /* uncalibrated: per-sensel zero-load counts */
    double noise_sigma;               /* x units (calibrated) or counts */
    double floor_x;                   /* calibrated: contact floor in equilibrated counts */
    double floor;                     /* contact floor in kPa or counts */
};

/* Per-stream scratch of one frame's size, and what is followed from
 * frame to frame: the tool's contact, and each sensel's zero (its drift
 * since the baseline, tracked over the frames it is not in contact). */
struct an_scratch {
    float *kpa;
    uint32_t *idx;
    double *val;
    float *zero_shift; /* counts */
    uint16_t *thr;     /* the contact thresholds with the zero's shift */
    int64_t frames_seen;
    struct an_contacts_scratch cw;
    struct an_tracker tracker;
};

/* Sets up thresholds from nsample frames spread over the recording. */
int an_frames_init(struct an_frames *c, const struct rm_rec_meta *meta,
                   const struct rm_calibration *cal, const uint16_t *sample, size_t nsample);
void an_frames_free(struct an_frames *c);

int an_frames_scratch_new(const struct an_frames *c, struct an_scratch *w);
void an_frames_scratch_free(struct an_scratch *w);

/* Figures of nframes frames into s at [first, first + nframes): the tool's
 * contact, the largest other one, whether the tool's track is new. Frames
 * come in time order, all through one scratch (it follows them). */
void an_frames_compute(const struct an_frames *c, struct an_scratch *w, const uint16_t *raw,
                       size_t nframes, struct an_series *s, int64_t first);

/* The smallest force that can be a person on the roller, and the load
 * threshold to use when no frame carries more (analyze.c): what the batch
 * and the online analysis (online.c) both start from. */
void an_load_limits(const struct an_frames *c, double *force_min, double *fallback);

#endif

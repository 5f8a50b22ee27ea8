/* Internals of the analysis library, shared between its files and its unit
 * tests. Nothing here is API: rm_analysis.h is. */
#ifndef AN_INTERNAL_H
#define AN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rm_analysis.h"

/* Low-pass cut-off for the roll position (docs/scoring.md, "Filtering"):
 * deliberate rolling, reversals included, has no content above ~1 Hz; 2 Hz
 * keeps it undistorted and removes tremor (8-12 Hz) and sensor noise. */
#define AN_LOWPASS_HZ 2.0
/* Frames further apart than this are not bridged when filtering (dropped
 * frames closer together are interpolated). */
#define AN_MAX_BRIDGE_S 0.5
/* Unloaded gaps at least this long separate automatic segments. */
#define AN_SEGMENT_GAP_S 2.0
/* An unloaded gap at least this long ends a labelled segment when the next
 * label comes late, while the next muscle is already rolled (stream.c). */
#define AN_LABEL_GAP_S 3.0
/* ... as long as the label comes within this of getting on (a segment
 * analysed in steps keeps that long unaccounted after a return, segment.c). */
#define AN_LATE_LABEL_S 60.0

/* The time a frame at t adds to an unloaded gap after the frame at t_prev
 * (NAN: none): the interval, or one nominal frame across frames lost
 * (further apart than AN_MAX_BRIDGE_S): lost frames are not seen unloaded,
 * and a muscle rolled through a USB hiccup is still one segment. */
static inline double an_gap_step(double t_prev, double t, double rate_hz)
{
    double d = t - t_prev;
    if (!(d > 0)) /* the first frame (NAN) */
        return 0;
    return d <= AN_MAX_BRIDGE_S ? d : 1.0 / rate_hz;
}

/* ---- fft.c -------------------------------------------------------------- */

/* Smallest n' >= n of the form 2^a 3^b 5^c 7^d (fast FFTW sizes). */
size_t an_fft_nice_size(size_t n);

/* The FFT length used for n samples: the smallest 2^k x {8, 9, 10, 12, 14,
 * 15} >= n (all fast sizes, at most 20 % of padding), so that a few
 * dozen cached plans serve every length up to millions. */
size_t an_fft_size(size_t n);

/* Zero-phase low-pass of x[0..n) sampled at fs Hz, cut-off fc Hz (a
 * Butterworth-shaped magnitude 1 / (1 + (f/fc)^8), no phase), into y (may be
 * x). Edges are extended by odd reflection so that a ramp passes unchanged.
 * Returns 0 or RM_ENOMEM. Thread-safe. */
int an_lowpass(const double *x, size_t n, double fs, double fc, double *y);

/* Dominant frequency (Hz) of x[0..n) sampled at fs between fmin and fmax, by
 * the power spectrum of the detrended, Hann-windowed signal, or NAN when
 * there is no peak: less than one cycle in the signal, the highest power at
 * an end of the band, or the peak's lobe holding less than
 * AN_CADENCE_MIN_SHARE of the band's power. *clear says whether the peak
 * proves a rhythm on its own: at least AN_CADENCE_MIN_CYCLES cycles, and the
 * spectrum between fmin and the peak dipping to AN_CADENCE_MAX_DIP of the
 * peak's power or less (a drift or random walk keeps rising toward low
 * frequencies). With fewer cycles, the caller needs other evidence. */
#define AN_CADENCE_MIN_SHARE  0.35
#define AN_CADENCE_MIN_CYCLES 2.0
#define AN_CADENCE_MAX_DIP    0.5
double an_dominant_frequency(const double *x, size_t n, double fs, double fmin, double fmax,
                             bool *clear);

/* Frees the cached FFTW plans (end of process; optional). */
void an_fft_cleanup(void);

/* ---- series.c: per-frame figures and the motion derived from them -------- */

/* Room for entry n of *arr (entries of size bytes, *cap of them, NULL and 0
 * at first): doubles the array when full. 0, or RM_ENOMEM with *arr as it
 * was. */
int an_grow(void **arr, size_t *cap, size_t n, size_t size);

/* Per-frame scalar series (a few doubles per frame; the frames themselves
 * are streamed): the window of the segment under way (stream.c), a whole
 * recording for a trace, or a view into either. All arrays have n entries,
 * owned by the struct unless it is a view. */
struct an_series {
    int64_t n;
    double rate_hz;
    double *t;
    /* The tool's contact (contacts.c): */
    double *force; /* N (calibrated) or counts over the baseline */
    double *area_cm2;
    double *peak;    /* kPa or counts */
    double *mean;    /* contact-mean, kPa or counts */
    double *cop_row; /* mm; NAN without contact */
    double *cop_col;
    double *sd_row; /* the followed region's pressure-weighted spread, mm; NAN without */
    double *sd_col;
    double *trk_row; /* the followed region's centre (the tool's position: a second */
    double *trk_col; /*   leg or a ghost beside it does not move it); NAN without */
    /* The largest other contacts (a hand, a knee; AN_MAX_OTHERS, the
     * largest first): force 0 without one. */
    double *oth_force[2], *oth_row[2], *oth_col[2], *oth_peak[2];
    /* The whole frame's contact, every sensel carrying pressure (cli.md's
     * --frames-csv): force, area, peak, contact-mean, centre. */
    double *all_force, *all_area_cm2, *all_peak, *all_mean, *all_row, *all_col;
    uint8_t *loaded;
    uint8_t *newtrack; /* 1: the tool's contact is not the one of the frame before */
    double *p_raw;     /* roll position, NAN unloaded */
    double *p;         /* filtered */
    double *q;         /* a ball's: its filtered position across (cols); else NAN */
    double *v;         /* velocity mm/s (a ball: path speed, signed along its main direction) */
};

/* The series' arrays, for code that treats them all alike (allocation,
 * windows): AN_SERIES_NDOUBLE of doubles and AN_SERIES_NBYTE of bytes, the
 * figures computed per frame first (AN_SERIES_NINPUT doubles, then the
 * bytes' first, `loaded`, is derived; `newtrack` is per frame too). */
#define AN_SERIES_NDOUBLE 29
#define AN_SERIES_NINPUT  25
#define AN_SERIES_NBYTE   2
void an_series_arrays(struct an_series *s, double **d[AN_SERIES_NDOUBLE],
                      uint8_t **b[AN_SERIES_NBYTE]);

int an_series_alloc(struct an_series *s, int64_t n, double rate_hz);
void an_series_free(struct an_series *s);

/* Marks frames loaded whose force is above a threshold derived from the
 * series itself (docs/scoring.md, "Loaded"): a quarter of the median force
 * of the frames above force_min, and at least force_min; a loaded stretch
 * then extends while the force stays above half the threshold. Returns the
 * threshold (INFINITY when nothing was above force_min). */
double an_mark_loaded(struct an_series *s, double force_min);

/* The threshold alone, from n forces. */
double an_loaded_threshold(const double *force, int64_t n, double force_min);

/* Marks frames [from, to) of s, continuing a trigger state `on` (false at
 * the start) and returning it; a run starting there may reach back to frame
 * lo. */
bool an_mark_loaded_range(struct an_series *s, int64_t lo, int64_t from, int64_t to, double thr,
                          bool on);

/* A view of frames [a, b) of s: the same arrays, offset; owns nothing. */
void an_series_view(const struct an_series *s, int64_t a, int64_t b, struct an_series *v);

/* The first frame of s with t >= x (t > x when after is set); s->n when
 * none. */
int64_t an_series_frame_at(const struct an_series *s, double x, bool after);

/* Drops the first k frames of s (an owning series), moving the rest to
 * the front: a window over a stream of frames. */
void an_series_drop_front(struct an_series *s, int64_t k);

/* Fills p_raw (the tool's position along the axis where loaded: trk_row
 * for RM_AXIS_ROWS and a ball, trk_col for RM_AXIS_COLS), p (low-passed),
 * for a ball q (trk_col low-passed), and v (a ball's: its 2-D path speed)
 * for every run of loaded frames of one track. Returns 0 or RM_ENOMEM. */
int an_motion(struct an_series *s, enum rm_tool tool, enum rm_axis axis);

/* ---- muscles.c ---------------------------------------------------------- */

/* The typical rollable length (mm) of the muscle a label names, 0 when the
 * table does not know it. */
double an_muscle_length_mm(const char *label);
/* The muscle a label names, side and case aside: "Calf_Left" -> "calf". */
void an_muscle_base(const char *label, char *out, size_t len);

/* ---- tool.c ------------------------------------------------------------- */

/* The tool of a segment's frames (a compact contact: a ball; else a
 * roller) and a roller's axis (the way its contact travelled furthest, or,
 * without travel, the way its band is narrow); RM_TOOL_NONE for a contact
 * long along the way it travels (a foot). Segments without rolling become
 * RM_TOOL_NONE later, from the strokes found. */
void an_classify_tool(const struct an_series *s, enum rm_tool *tool, enum rm_axis *axis);

/* ---- events.c: pauses and strokes within a frame range ------------------ */

/* Pauses in frames [a, b) under profile pf (analysis-output.md "Pause"),
 * merged across brief wobbles. *out is malloc'ed (caller frees); only
 * t_start, t_end, duration_s, position_mm, hold, mean_force_n (force
 * average) and peak_pressure_kpa (peak maximum) are filled; calibrated
 * selects whether the last two are numbers or NAN. Also returns, in
 * in_pause (length b - a, may be NULL), 1 for frames inside a pause. */
int an_find_pauses(const struct an_series *s, int64_t a, int64_t b, const struct rm_profile *pf,
                   bool calibrated, struct rm_pause **out, size_t *nout, uint8_t *in_pause);

/* A pause's figures as sums over its frames, so that a pause longer than
 * a step's window (segment.c) is summed piece by piece. */
struct an_pause_sums {
    int64_t n, nmean;
    double force, mean, peak, row, col, p, q;
    double p_lo, p_hi, q_lo, q_hi; /* q: a ball's; empty (lo > hi) else */
};
void an_pause_sums_init(struct an_pause_sums *ps);
/* Adds frames [a, b) of s (loaded, with their motion). */
void an_pause_sums_add(struct an_pause_sums *ps, const struct an_series *s, int64_t a, int64_t b);
void an_pause_sums_merge(struct an_pause_sums *into, const struct an_pause_sums *from);
/* Whether the positions stay within tol of their mean (a ball's: its box's
 * farthest corner, never nearer than the farthest position). */
bool an_pause_sums_within(const struct an_pause_sums *ps, double tol);
/* p's figures from its t_start and t_end and the sums (relative_position
 * NAN: the segment's range is not known yet). */
void an_pause_fill(struct rm_pause *p, const struct an_pause_sums *ps, const struct rm_profile *pf,
                   bool calibrated);

/* Strokes in frames [a, b), skipping frames with in_pause set. */
int an_find_strokes(const struct an_series *s, int64_t a, int64_t b, const struct rm_profile *pf,
                    const uint8_t *in_pause, struct rm_stroke **out, size_t *nout);

/* ---- score.c ------------------------------------------------------------ */

/* Fills seg->score from its figures (0..100; pressure RM_SCORE_NONE when
 * uncalibrated). */
void an_score_segment(struct rm_segment *seg, const struct rm_profile *pf, bool calibrated);

/* Fills seg->advice: sentences, most important first, from its figures and
 * scores. 0 or RM_ENOMEM. */
int an_advice(struct rm_segment *seg, const struct rm_profile *pf, bool calibrated);

/* "calf-left" -> "your left calf", "lower-back" -> "your lower back"; an
 * automatic segment's "segment-2" -> "this muscle". */
void an_muscle_words(const char *label, char *out, size_t len);

/* ---- figures.c ------------------------------------------------------------ */

/* Frees what a segment owns (pauses, strokes, advice, ...) and empties
 * those arrays. */
void an_segment_clear(struct rm_segment *g);

/* ---- analyze.c: output files ---------------------------------------------- */

/* Puts a file written under the temporary name tmp in place as path: closes
 * f (NULL: already closed) and renames tmp to path, or, after a failed write
 * or rename, removes tmp and returns RM_EIO with a message naming path. */
int an_file_commit(FILE *f, const char *tmp, const char *path);

#endif

/* Analysis of one rolling session: per-frame figures (force, contact,
 * pressure, centre of pressure, roll position), a zero-phase low-pass of the
 * roll position and its speed, segments, pauses, holds, strokes, cadence,
 * scores and advice, exactly as shared/spec/analysis-output.md defines them.
 *
 * In-process callers (rollmat analyze, rollmat plot) run one recording with
 * rm_analysis_run() and get a typed result (struct rm_analysis_result) and,
 * on request, a per-frame trace for plotting; the JSON document, the
 * summary CSV and the text summary are serializations of that result. docs/scoring.md explains
 * the thresholds and scores. */
#ifndef RM_ANALYSIS_H
#define RM_ANALYSIS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rm_calibration.h"
#include "rm_recording.h"

#define RM_PROFILE_NAME_LEN 64

/* ---- guidance profiles -------------------------------------------------- */

/* The thresholds a session is judged against (analysis-output.md, "Guidance
 * profiles"). */
struct rm_profile {
    char name[RM_PROFILE_NAME_LEN];
    double speed_slow_max_mm_s; /* rolling at or below this is "slow" */
    double speed_fast_mm_s;     /* rolling above this is too fast */
    double pause_min_s;         /* shortest pause */
    double pause_speed_mm_s;    /* a pause starts/ends where speed crosses this */
    double pause_tolerance_mm;  /* p(t) stays within this of its mean in a pause */
    double hold_min_s;          /* shortest hold */
    double hold_target_min_s;   /* a hold's duration is judged against */
    double hold_target_max_s;   /*   hold_target_min_s .. hold_target_max_s */
    double pressure_max_kpa;    /* contact-mean pressure not to exceed for >= 1 s */
};

/* Fills out with a built-in profile: "default", "short" or "long".
 * RM_ENOTFOUND for any other name. */
int rm_profile_builtin(const char *name, struct rm_profile *out);

/* `--profile NAME|FILE`: a built-in name, else an INI file whose keys (the
 * struct's field names, optionally under a [profile] section, plus `name`
 * and `base` = the built-in profile it starts from, default "default")
 * override the built-in values. An unknown key, a value that is not a
 * finite number, or inconsistent values (e.g. hold_target_min_s >
 * hold_target_max_s) give RM_EFORMAT with "<file>:<line>: <what>"; a name
 * that is neither built in nor a readable file gives RM_EUSAGE. */
int rm_profile_load(const char *name_or_path, struct rm_profile *out);

/* The profile as the "profile" object of the spec's document. New reference. */
json_t *rm_profile_to_json(const struct rm_profile *p);

/* ---- options ------------------------------------------------------------ */

struct rm_analysis_opts {
    struct rm_profile profile;    /* set by rm_analysis_opts_init to "default" */
    const char *calibration_path; /* --calibration CAL.h5; NULL: the recording's own, if any */
    bool keep_trace;              /* fill rm_analysis_result.trace */
    const char *frames_csv;       /* write the per-frame CSV of cli.md here; NULL: none */
    int read_threads;             /* threads reading this file, the caller included: 0 one per
                                     core (and the caller), 1 the caller alone (batch) */
};

/* Defaults: the "default" profile, no calibration override, no trace, no
 * CSV, automatic threads. */
void rm_analysis_opts_init(struct rm_analysis_opts *opts);

/* ---- result ------------------------------------------------------------- */

/* Per-frame figures, one entry per frame of the recording, in file order.
 * Values that do not exist for a frame (roll position while unloaded) are
 * NAN. Pressure-like arrays are in kPa (force in N) when `calibrated`, else
 * in counts above the unloaded baseline (force: their sum over contact). */
struct rm_trace {
    int64_t n;
    bool calibrated;
    double *t;                /* s, the recording's /t */
    uint8_t *loaded;          /* 1: the roller carries weight (see docs/scoring.md) */
    double *force;            /* N, or counts summed over contact */
    double *contact_area_cm2; /* sensels in contact * sensel area */
    double *peak;             /* highest sensel, kPa or counts */
    double *mean;             /* contact-mean pressure, kPa or counts */
    double *cop_row_mm;       /* centre of pressure along the roll axis */
    double *cop_col_mm;       /* ... and across it */
    /* The same of the tool's contact alone, what the analysis judges: a
     * hand or a knee put down beside it left out (the figures above are
     * the whole frame's, as --frames-csv has them). */
    double *tool_force, *tool_area_cm2, *tool_peak, *tool_mean;
    double *tool_row_mm, *tool_col_mm;
    double *p_raw_mm;      /* roll position p(t): NAN while unloaded */
    double *p_mm;          /* zero-phase low-passed p(t): NAN while unloaded */
    double *velocity_mm_s; /* d p_mm / dt, signed (+: toward higher rows); NAN unloaded */
    double *speed_mm_s;    /* |velocity_mm_s| */
};

/* The result below is the analysis: every figure of the JSON document
 * (analysis-output.md) is a field here, and the document, the summary CSV,
 * the text summary and the HTML report are written from these structs
 * (document.c, plot/). A figure that does not exist is NAN (a JSON null);
 * an integer score that does not exist is RM_SCORE_NONE. Fields marked "v2"
 * are carried for analysis-output.md version 2 and left at their "unknown"
 * value by the version 1 analysis. */
#define RM_SCORE_NONE (-1)

/* What rolls on the mat (v2 "tool"); RM_TOOL_NONE: no rolling at all. */
enum rm_tool { RM_TOOL_ROLLER = 0, RM_TOOL_BALL, RM_TOOL_NONE };
/* The direction a roller rolls along (v2 "axis"); a ball: RM_AXIS_2D. */
enum rm_axis { RM_AXIS_ROWS = 0, RM_AXIS_COLS, RM_AXIS_2D };

/* One pause (analysis-output.md "Pause"); kPa/N fields NAN when uncalibrated. */
struct rm_pause {
    double t_start, t_end, duration_s;
    double position_mm, relative_position;
    double position_xy_mm[2]; /* v2 [row_mm, col_mm]; NAN: not known */
    bool hold;
    double mean_force_n;
    double peak_pressure_kpa;
    double mean_pressure_kpa; /* contact-mean pressure over the pause (added field) */
};

/* One stroke: a pass in one direction between reversals or pauses. */
struct rm_stroke {
    double t_start, t_end;
    double p_start_mm, p_end_mm;
    double mean_speed_mm_s;
};

/* A segment's "rolling": loaded and not pausing. */
struct rm_rolling {
    double time_s, path_mm;
    double speed_median_mm_s; /* NAN: no rolling */
    double speed_p90_mm_s;    /* NAN: no rolling */
    double fraction_slow;     /* of time_s at or below speed_slow_max_mm_s; NAN: no rolling */
    double fraction_fast;     /* ... above speed_fast_mm_s (scoring, advice); NAN: no rolling */
    double cadence_hz;        /* NAN: no dominant rhythm */
};

/* A segment's "pressure" (NAN when uncalibrated, but contact_area_cm2),
 * plus the pressure held above the profile's limit, which scores and
 * advice judge. */
struct rm_seg_pressure {
    double mean_kpa, peak_kpa, mean_force_n, contact_area_cm2;
    double over_limit_s;   /* time the 1-s contact-mean stayed above pressure_max_kpa */
    double over_limit_kpa; /* its highest 1-s contact-mean, 0 when never above */
};

/* A segment's "coverage": its range against a reference length. */
struct rm_coverage {
    double fraction;                        /* 0..1; NAN: no reference (v2 null) */
    double rolled_mm;                       /* the length rolled (a ball: its longer extent) */
    double ref_mm;                          /* the reference length */
    char ref_label[RM_EVENT_LABEL_LEN + 1]; /* the other side's segment that is the reference,
                                               "" for the muscle table's typical length */
};

/* A segment's "score": 0..100, or RM_SCORE_NONE (pressure uncalibrated). */
struct rm_scores {
    int total, speed, holds, pressure, coverage;
};

/* v2 "other_contacts": pressure on the mat that is not the tool's. */
struct rm_other_contact {
    double t_start, t_end;
    double position_xy_mm[2];
    double peak_kpa;
};

/* One segment (the stretch spent on one muscle). Arrays are owned by the
 * result. */
struct rm_segment {
    char label[RM_EVENT_LABEL_LEN + 1]; /* valid UTF-8 (cleaned where it was read) */
    bool from_events;                   /* "source": "events" or "auto" */
    double t_start, t_end;              /* s on the /t clock */
    int64_t frame_start;                /* first frame index in the segment */
    int64_t frame_end;                  /* one past the last */
    double loaded_s;
    enum rm_tool tool;  /* v2; version 1: always a roller ... */
    enum rm_axis axis;  /* ... along the rows */
    double range_mm[2]; /* roll-axis stretch covered; NAN when never loaded */
    struct rm_coverage coverage;
    struct rm_rolling rolling;
    size_t npauses;
    struct rm_pause *pauses;
    size_t nstrokes; /* "rolling.strokes" */
    struct rm_stroke *strokes;
    struct rm_seg_pressure pressure;
    size_t nother_contacts; /* v2; 0 in version 1 */
    struct rm_other_contact *other_contacts;
    struct rm_scores score;
    size_t nadvice; /* sentences, most important first, valid UTF-8 */
    char **advice;
};

struct rm_analysis_result {
    int version;            /* "rollmat_analysis_version" */
    char *recording;        /* the path analysed, as given */
    char created_utc[32];   /* the recording's, ISO 8601 (added field); "" unknown */
    char device_serial[64]; /* the mat's serial number (added field); "" unknown */
    int64_t frames;
    double duration_s;
    int64_t frames_dropped;
    struct rm_meta_copy {
        int rows, cols;
        double pitch_row_mm, pitch_col_mm, rate_hz;
    } mat;
    bool calibrated;
    struct rm_profile profile; /* the profile judged against */
    /* What turned counts into figures, for anyone drawing the frames the
     * same way (plot): the calibration used (the recording's own or
     * --calibration's), NULL when uncalibrated; uncalibrated, the
     * per-sensel zero-load counts (rows * cols) the analysis subtracted,
     * NULL when calibrated. Both owned by the result. */
    struct rm_calibration *calibration;
    float *baseline_counts;
    size_t nsegments;
    struct rm_segment *segments;
    int score_total;       /* session score; RM_SCORE_NONE: never loaded */
    struct rm_trace trace; /* n = 0 and NULL arrays unless opts.keep_trace */
};

/* Analyses the recording at path. On success *out owns everything and is
 * freed with rm_analysis_result_free(). Errors: RM_EFORMAT (with rm_fail's
 * message) for a file that is not a valid recording or a bad calibration;
 * RM_EIO for an unwritable CSV; RM_ENOMEM. An empty recording or one never
 * loaded gives a valid document with no segments. Frames are streamed;
 * memory follows neither the recording nor a segment's length (long
 * segments are analysed in steps, docs/scoring.md "Memory"), unless keep_trace
 * asks for every frame's figures. Thread-safe: batch callers run it from
 * several threads at once. */
int rm_analysis_run(const char *path, const struct rm_analysis_opts *opts,
                    struct rm_analysis_result **out);

void rm_analysis_result_free(struct rm_analysis_result *r);

/* Appends a copy of sentence (valid UTF-8) to seg's advice, after the
 * analysis's own: for advice that needs more than the one recording (the
 * history's recurring spots). 0 or RM_ENOMEM. */
int rm_segment_add_advice(struct rm_segment *seg, const char *sentence);

/* ---- serializers (document.c) ------------------------------------------- */

/* The spec's JSON document of r, built on demand. New reference; NULL
 * without memory. */
json_t *rm_analysis_to_json(const struct rm_analysis_result *r);

/* The summary CSV of cli.md: its header line, and one line per segment of r
 * with `recording` in the first column. */
void rm_analysis_csv_header(FILE *f);
void rm_analysis_csv_rows(FILE *f, const char *recording, const struct rm_analysis_result *r);
/* The summary.csv row of a recording that could not be analysed: its path
 * and its error, every other column empty. */
void rm_analysis_csv_error_row(FILE *f, const char *recording, const char *error);

/* holds.csv (docs/batch.md): one row per hold of every segment. */
void rm_analysis_holds_header(FILE *f);
void rm_analysis_holds_rows(FILE *f, const char *recording, const struct rm_analysis_result *r);

/* The typed loader: the document of rm_analysis_to_json back into a result
 * (document_load.c), so that tables built later from the files are those a
 * run writes. What the document does not carry (strokes' detail, trace,
 * calibration) stays empty. A document that is not one (a wrong type, a
 * missing key, an unknown version) is RM_EFORMAT naming file and field. */
int rm_analysis_from_json(const char *file, json_t *doc, struct rm_analysis_result **out);
/* The same from a file. */
int rm_analysis_load(const char *path, struct rm_analysis_result **out);

/* The human summary of r that `rollmat analyze` prints. */
void rm_analysis_print_summary(FILE *f, const struct rm_analysis_result *r);

/* Frees what the library caches between runs (FFTW plans). Optional, at
 * the end of a process, when no run is under way. */
void rm_analysis_cleanup(void);

/* ---- command ------------------------------------------------------------ */

/* `rollmat analyze` (shared/spec/cli.md). */
int rm_cmd_analyze(int argc, char **argv);

/* `rollmat export FILE.h5 ...`: the per-frame series beside each recording
 * (cmd_export.c, docs/recording.md). */
int rm_cmd_export(int argc, char **argv);

/* A function `rollmat analyze` calls on every result before writing or
 * printing it, to add advice that needs more than the one recording (the
 * CLI sets history/'s rm_history_advise; analysis/ does not depend on
 * history/). NULL, the default: none. Set it before any analysis runs. */
void rm_cmd_analyze_set_advice_hook(void (*hook)(struct rm_analysis_result *r));

#endif

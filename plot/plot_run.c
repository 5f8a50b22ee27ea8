/* `rollmat plot` for one recording: analyse it, stream each segment's frames
 * into its maps, hand the maps to gnuplot as binary matrices in a private
 * temporary directory (each segment's pictures are drawn by plot_segment.c),
 * draw the overview, and write report.html last. */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plot_internal.h"
#include "rm_progress.h"
#include "rm_error.h"
#include "rm_log.h"
#include "rm_recording.h"

#define LOG_PREFIX "plot"

/* The kymograph needs no more time columns than a picture has pixels. */
#define KYMO_MAX_BINS 1200

/* Points of the force/pressure curves and of the centre-of-pressure track
 * per segment: more than a picture's width shows. */
#define SERIES_MAX_POINTS 1400
#define COP_MAX_POINTS    3000

#define OVERVIEW_W 1000
#define OVERVIEW_H 700
/* Each bar gets the room of its "NNN s loaded" label, so that twenty
 * muscles do not print over each other: the canvas widens with them. */
#define OVERVIEW_BAR_PX 110
/* The y axis and its label on the left; the session's line label and the
 * last slanted name on the right (plot-overview.gp). */
#define OVERVIEW_LEFT_PX  90
#define OVERVIEW_RIGHT_PX 190
/* Names under the bars are cut to this many characters (the report has
 * them whole): a 64-byte label would not fit under any bar. */
#define OVERVIEW_NAME_MAX 24

int rm_plot_join(char *out, size_t size, const char *dir, const char *name)
{
    int n = snprintf(out, size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= size)
        return rm_fail(RM_EUSAGE, "%s/%s: path too long", dir, name);
    return 0;
}

/* Common head of every variables file: terminal, size, output, titles. */
FILE *rm_plot_open_vars(struct rm_plot_run *run, const char *vars_path, const char *out_path,
                        int width, int height, const char *title, const char *subtitle)
{
    FILE *f = fopen(vars_path, "w");
    if (!f) {
        rm_fail(RM_EIO, "%s: %s", vars_path, strerror(errno));
        return NULL;
    }
    rm_gp_str(f, "out", out_path);
    rm_gp_str(f, "term", run->ext);
    rm_gp_int(f, "width", width);
    rm_gp_int(f, "height", height);
    rm_gp_str(f, "title", title);
    rm_gp_str(f, "subtitle", subtitle);
    return f;
}

int rm_plot_close_vars(FILE *f, const char *vars_path)
{
    bool ok = !ferror(f);
    if (fclose(f) != 0 || !ok)
        return rm_fail(RM_EIO, "%s: cannot write: %s", vars_path, strerror(errno));
    return 0;
}

/* Runs one script writing out_dir/name: gnuplot writes a hidden partial
 * file that is renamed into place only once gnuplot succeeded. */
int rm_plot_draw(struct rm_plot_run *run, const char *script, const char *vars_path,
                 const char *final, const char *what)
{
    int rc =
        rm_gnuplot_draw(run->gnuplot, run->tmpdir, script, vars_path, run->partial, final, what);
    if (!rc)
        run->partial[0] = '\0';
    return rc;
}

/* The partial name gnuplot writes for out_dir/name. */
int rm_plot_set_partial(struct rm_plot_run *run, const char *name)
{
    char hidden[512];
    /* The pid keeps two runs writing into one directory apart. */
    snprintf(hidden, sizeof(hidden), ".%s.%ld.partial", name, (long)getpid());
    return rm_plot_join(run->partial, sizeof(run->partial), run->opts->out_dir, hidden);
}

/* The data file tmpdir/STEM-KIND.f32. */
int rm_plot_data_path(const struct rm_plot_run *run, const char *stem, const char *kind, char *out,
                      size_t size)
{
    char name[256];
    snprintf(name, sizeof(name), "%s-%s.f32", stem, kind);
    return rm_plot_join(out, size, run->tmpdir, name);
}

/* Streams the segment's frames into its maps and writes them as binary
 * matrices for gnuplot; only the maxima stay in memory. */
static int prepare_segment(struct rm_plot_run *run, size_t index, struct rm_plot_seg_data *sd)
{
    const struct rm_analysis_result *r = run->result;
    const struct rm_segment *s = &r->segments[index];
    const struct rm_trace *tr = &r->trace;
    int rows = r->mat.rows, cols = r->mat.cols;
    assert(s->frame_start >= 0 && s->frame_end <= tr->n && s->frame_start <= s->frame_end);
    bool calibrated = run->cal != NULL;
    double period = r->mat.rate_hz > 0 ? 1.0 / r->mat.rate_hz : 0.01;
    int64_t nframes = s->frame_end - s->frame_start;
    sd->t0 = nframes > 0 ? tr->t[s->frame_start] : s->t_start;
    sd->span = nframes > 0 ? tr->t[s->frame_end - 1] - sd->t0 + period : s->t_end - s->t_start;
    if (!(sd->span > 0))
        sd->span = period;
    double row_scale = calibrated ? r->mat.pitch_row_mm * r->mat.pitch_col_mm * 1e-3 : 1.0;

    struct rm_plot_maps *m = NULL;
    /* The kymograph's lines run across the roll axis: a roller along the
     * columns (a mat laid sideways) moves along them. */
    sd->kymo_cols = s->tool == RM_TOOL_ROLLER && s->axis == RM_AXIS_COLS;
    int rc = rm_plot_maps_new(&m, rows, cols, sd->kymo_cols, sd->t0, sd->span, nframes,
                              KYMO_MAX_BINS, row_scale, calibrated ? NULL : r->baseline_counts);
    if (rc)
        return rc;
    m->above_threshold = rm_plot_above_threshold(r);
    if ((rc = rm_plot_maps_fill(m, run->reader, r, s)))
        goto out;
    char path[4096];
    size_t cells = (size_t)rows * (size_t)cols;
    if ((rc = rm_plot_data_path(run, sd->stem, "peak", path, sizeof(path))) ||
        (rc = rm_plot_write_floats(path, m->peak, cells, 1)) ||
        (rc = rm_plot_data_path(run, sd->stem, "kymo", path, sizeof(path))) ||
        (rc = rm_plot_write_floats(path, m->kymo, (size_t)m->lines * (size_t)m->nbins, 1)) ||
        (rc = rm_plot_data_path(run, sd->stem, "speed", path, sizeof(path))) ||
        (rc = rm_plot_write_floats(path, m->speed, 2 * (size_t)m->nbins, 1)) ||
        (rc = rm_plot_data_path(run, sd->stem, "above", path, sizeof(path))) ||
        (rc = rm_plot_write_floats(path, m->above, cells, 1)) ||
        (rc = rm_plot_data_path(run, sd->stem, "cop", path, sizeof(path))) ||
        (rc = rm_plot_write_cop(path, tr, s, COP_MAX_POINTS, &sd->ncop)) ||
        (rc = rm_plot_data_path(run, sd->stem, "series", path, sizeof(path))) ||
        (rc =
             rm_plot_write_series(path, tr, s->frame_start, s->frame_end, SERIES_MAX_POINTS, NULL)))
        goto out;
    sd->above_max = m->above_max;
    sd->nbins = m->nbins;
    sd->bin_s = m->bin_s;
    sd->integral_max = m->integral_max;
    sd->peak_max = m->peak_max;
    sd->kymo_max = m->kymo_max;
    sd->speed_max = m->speed_max;
out:
    rm_plot_maps_free(m);
    return rc;
}

/* name cut to at most max characters of UTF-8, with an ellipsis when cut;
 * returns its length in characters. */
static size_t short_name(const char *name, size_t max, char *out, size_t size)
{
    assert(size >= 4 * max + 4);
    (void)size;
    size_t chars = 0, i = 0;
    for (; name[i]; i++) {
        if (((unsigned char)name[i] & 0xC0) == 0x80)
            continue; /* inside a character */
        if (chars == max)
            break;
        chars++;
    }
    memcpy(out, name, i);
    out[i] = '\0';
    if (name[i]) {
        memcpy(out + i, "\xE2\x80\xA6", 4); /* U+2026 */
        chars++;
    }
    return chars;
}

static int plot_overview(struct rm_plot_run *run, char *overview, size_t size)
{
    const struct rm_analysis_result *r = run->result;
    size_t n = r->nsegments;
    assert(n > 0);
    char vars_path[4096], final[4096], title[256], subtitle[256];
    snprintf(overview, size, "overview.%s", run->ext);
    int rc;
    if ((rc = rm_plot_join(vars_path, sizeof(vars_path), run->tmpdir, "vars-overview.gp")) ||
        (rc = rm_plot_join(final, sizeof(final), run->opts->out_dir, overview)) ||
        (rc = rm_plot_set_partial(run, overview)))
        return rc;
    double total = r->score_total == RM_SCORE_NONE ? NAN : r->score_total;
    double loaded = 0;
    for (size_t i = 0; i < n; i++)
        loaded += r->segments[i].loaded_s;
    const char *base = strrchr(run->path, '/');
    base = base ? base + 1 : run->path;
    snprintf(title, sizeof(title), "Session score %.0f%s", total,
             run->cal ? "" : " · UNCALIBRATED (raw counts)");
    snprintf(subtitle, sizeof(subtitle), "%s · %zu muscle%s · %.1f min rolled", base, n,
             n == 1 ? "" : "s", loaded / 60.0);
    enum { NAME_SIZE = 4 * OVERVIEW_NAME_MAX + 4 };
    const char **labels = calloc(n, sizeof(*labels)); /* into names, owned here */
    char *names = calloc(n, NAME_SIZE);               /* owned here */
    double *scores = calloc(n, sizeof(double));
    double *loaded_s = calloc(n, sizeof(double));
    FILE *f = NULL;
    if (!labels || !names || !scores || !loaded_s) {
        rc = RM_ENOMEM;
        goto out;
    }
    size_t widest = 0;
    for (size_t i = 0; i < n; i++) {
        labels[i] = names + i * NAME_SIZE;
        size_t len =
            short_name(r->segments[i].label, OVERVIEW_NAME_MAX, names + i * NAME_SIZE, NAME_SIZE);
        if (len > widest)
            widest = len;
        scores[i] = r->segments[i].score.total == RM_SCORE_NONE ? NAN : r->segments[i].score.total;
        loaded_s[i] = r->segments[i].loaded_s;
    }
    /* Up to five names stand level under their bars (plot-overview.gp):
     * a bar is then as wide as the widest name, at about 8 px a character. */
    double bar_px = n <= 5 ? fmax(OVERVIEW_BAR_PX, 8.0 * (double)widest + 20) : OVERVIEW_BAR_PX;
    double width = OVERVIEW_LEFT_PX + OVERVIEW_RIGHT_PX + ((double)n + 0.2) * bar_px;
    f = rm_plot_open_vars(run, vars_path, run->partial, (int)fmax(OVERVIEW_W, ceil(width)),
                          OVERVIEW_H, title, subtitle);
    if (!f) {
        rc = RM_EIO;
        goto out;
    }
    rm_gp_int(f, "right_px", OVERVIEW_RIGHT_PX);
    rm_gp_int(f, "n_seg", (long)n);
    rm_gp_str_array(f, "seg_label", labels, n);
    rm_gp_num_array(f, "seg_score", scores, n);
    rm_gp_num_array(f, "seg_loaded", loaded_s, n);
    rm_gp_num(f, "session_score", total);
    if ((rc = rm_plot_close_vars(f, vars_path)))
        goto out;
    rc = rm_plot_draw(run, "plot-overview", vars_path, final, "overview");
out:
    free(labels);
    free(names);
    free(scores);
    free(loaded_s);
    return rc;
}

/* Writes name in the output directory through a hidden partial file. */
static int write_json(struct rm_plot_run *run, const char *name)
{
    char final[4096];
    int rc;
    if ((rc = rm_plot_join(final, sizeof(final), run->opts->out_dir, name)) ||
        (rc = rm_plot_set_partial(run, name)))
        return rc;
    json_t *doc = rm_analysis_to_json(run->result);
    if (!doc)
        return RM_ENOMEM;
    int bad = json_dump_file(doc, run->partial, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (bad != 0)
        return rm_fail(RM_EIO, "%s: cannot write", run->partial);
    if (rename(run->partial, final) != 0)
        return rm_fail(RM_EIO, "%s: cannot rename into place: %s", final, strerror(errno));
    run->partial[0] = '\0';
    return 0;
}

/* The session's movie (plot_movie.c) through a hidden partial file. */
static int write_movie(struct rm_plot_run *run, const char *name)
{
    char final[4096];
    int rc;
    if ((rc = rm_plot_join(final, sizeof(final), run->opts->out_dir, name)) ||
        (rc = rm_plot_set_partial(run, name)) ||
        (rc = rm_plot_write_movie(run->partial, run->reader, run->result)))
        return rc;
    if (rename(run->partial, final) != 0)
        return rm_fail(RM_EIO, "%s: cannot rename into place: %s", final, strerror(errno));
    run->partial[0] = '\0';
    return 0;
}

static int write_report(struct rm_plot_run *run, const char *overview, char *report_path,
                        size_t report_path_size)
{
    char final[4096];
    int rc;
    if ((rc = rm_plot_join(final, sizeof(final), run->opts->out_dir, "report.html")) ||
        (rc = rm_plot_set_partial(run, "report.html")))
        return rc;
    struct rm_plot_report rep = {
        .recording = run->path,
        .created_utc = rm_rec_meta(run->reader)->created_utc,
        .format_ext = run->ext,
        .result = run->result,
        .files = run->files,
        .events = rm_rec_events(run->reader),
        .nevents = rm_rec_nevents(run->reader),
        .overview = overview,
        .analysis_json = "analysis.json",
        .movie = run->result->trace.n > 0 ? "movie.js" : NULL,
    };
    if ((rc = rm_plot_write_report(run->partial, &rep)))
        return rc;
    if (rename(run->partial, final) != 0)
        return rm_fail(RM_EIO, "%s: cannot rename into place: %s", final, strerror(errno));
    run->partial[0] = '\0';
    if (report_path)
        snprintf(report_path, report_path_size, "%s", final);
    rm_info("wrote %s", final);
    return 0;
}

static int open_inputs(struct rm_plot_run *run)
{
    struct rm_analysis_opts aopts;
    rm_analysis_opts_init(&aopts);
    int rc;
    if (run->opts->profile && (rc = rm_profile_load(run->opts->profile, &aopts.profile)))
        return rc;
    run->profile = aopts.profile;
    aopts.calibration_path = run->opts->calibration_path;
    aopts.keep_trace = true;
    if ((rc = rm_analysis_run(run->path, &aopts, &run->result)))
        return rc;
    if ((rc = rm_rec_reader_open(&run->reader, run->path)))
        return rc;
    /* The pictures convert counts exactly as the analysis did. */
    run->cal = run->result->calibration;
    const struct rm_rec_meta *meta = rm_rec_meta(run->reader);
    if (meta->rows != run->result->mat.rows || meta->cols != run->result->mat.cols ||
        run->result->trace.n != rm_rec_frames(run->reader))
        return rm_fail(RM_EFORMAT, "%s: changed while being read", run->path);
    return 0;
}

static int plot_all(struct rm_plot_run *run, char *report_path, size_t report_path_size)
{
    const struct rm_analysis_result *r = run->result;
    size_t n = r->nsegments;
    run->files = calloc(n ? n : 1, sizeof(*run->files));          /* owned by the run */
    struct rm_plot_seg_data *sd = calloc(n ? n : 1, sizeof(*sd)); /* owned here */
    const char **taken = calloc(n ? n : 1, sizeof(*taken));
    int rc = 0;
    if (!run->files || !sd || !taken) {
        rc = RM_ENOMEM;
        goto out;
    }
    /* Reading each segment's frames, drawing it, the overview. */
    struct rm_progress progress;
    rm_progress_start(&progress, "plot");
    double steps = 2.0 * (double)n + 1;
    struct rm_plot_seg_data scale = {.integral_max = 0};
    for (size_t i = 0; i < n && !rc; i++) {
        rm_plot_file_stem(r->segments[i].label, taken, i, sd[i].stem, sizeof(sd[i].stem));
        taken[i] = sd[i].stem;
        rm_progress_update(&progress, (double)i, steps, sd[i].stem);
        rc = prepare_segment(run, i, &sd[i]);
        scale.integral_max = fmax(scale.integral_max, sd[i].integral_max);
        scale.peak_max = fmax(scale.peak_max, sd[i].peak_max);
        scale.kymo_max = fmax(scale.kymo_max, sd[i].kymo_max);
        scale.speed_max = fmax(scale.speed_max, sd[i].speed_max);
        scale.above_max = fmax(scale.above_max, sd[i].above_max);
    }
    for (size_t i = 0; i < n && !rc; i++) {
        rm_progress_update(&progress, (double)(n + i), steps, sd[i].stem);
        rc = rm_plot_draw_segment(run, i, &sd[i], &scale);
    }
    rm_progress_update(&progress, 2.0 * (double)n, steps, "overview and report");
    char overview[64] = "";
    if (!rc && n > 0)
        rc = plot_overview(run, overview, sizeof(overview));
    if (!rc)
        rc = write_json(run, "analysis.json");
    if (!rc && r->trace.n > 0)
        rc = write_movie(run, "movie.js");
    if (!rc)
        rc = write_report(run, n > 0 ? overview : NULL, report_path, report_path_size);
    rm_progress_end(&progress);
out:
    free(sd);
    free(taken);
    return rc;
}

int rm_plot_run(const char *path, const struct rm_plot_opts *opts, char *report_path,
                size_t report_path_size)
{
    assert(path && opts && opts->out_dir);
    struct rm_plot_run run;
    memset(&run, 0, sizeof(run));
    char stage[4096] = ""; /* the staging folder while it exists */
    run.path = path;
    run.opts = opts;
    run.ext = opts->format == RM_PLOT_SVG ? "svg" : "png";

    /* Before any work: without gnuplot there is nothing to do. */
    int rc = rm_gnuplot_find(run.gnuplot, sizeof(run.gnuplot));
    if (rc)
        return rc;

    struct rm_plot_signals saved;
    rm_plot_signals_catch(&saved);
    if ((rc = open_inputs(&run)))
        goto out;
    if (run.result->nsegments > RM_PLOT_MAX_SEGMENTS) {
        rc = rm_fail(RM_ERANGE,
                     "%s: %zu segments, more than the %d plot draws; `rollmat analyze` reports "
                     "them all",
                     path, run.result->nsegments, RM_PLOT_MAX_SEGMENTS);
        goto out;
    }
    if (rm_plot_interrupted()) {
        rc = rm_fail(RM_EINTR, "interrupted");
        goto out;
    }
    /* Everything is drawn into a staging folder beside the output and
     * moved into place only once all of it succeeded. */
    struct rm_plot_opts staged = *opts;
    staged.out_dir = stage;
    run.opts = &staged;
    if ((rc = rm_plot_stage_create(opts->out_dir, stage, sizeof(stage))) ||
        (rc = rm_plot_tmpdir_create(run.tmpdir, sizeof(run.tmpdir))))
        goto out;
    rc = plot_all(&run, NULL, 0);
    if (!rc && !rm_plot_interrupted())
        rc = rm_plot_stage_commit(stage, opts->out_dir);
    else if (!rc)
        rc = rm_fail(RM_EINTR, "interrupted");
    if (!rc)
        stage[0] = '\0'; /* moved into place */
    if (!rc && report_path)
        rc = rm_plot_join(report_path, report_path_size, opts->out_dir, "report.html");

out:
    if (stage[0])
        rm_plot_tmpdir_remove(stage);
    if (run.partial[0])
        unlink(run.partial);
    if (run.tmpdir[0])
        rm_plot_tmpdir_remove(run.tmpdir);
    rm_plot_signals_restore(&saved);
    free(run.files);
    if (run.reader)
        rm_rec_reader_close(run.reader);
    rm_analysis_result_free(run.result);
    return rc;
}

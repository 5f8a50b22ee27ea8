/* report.html: the session's score, its movie, the holds, left against
 * right, each muscle's figures, advice and pictures, in one page that opens
 * offline in any browser from its folder (inline CSS, the page's own small
 * script inline, the movie's data in movie.js beside it, no fonts or
 * anything else fetched, pictures by relative path).
 * Every text that comes from the recording or the analysis is escaped. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plot_internal.h"
#include "rm_error.h"

void rm_html_escape(FILE *f, const char *s)
{
    for (const char *p = s ? s : ""; *p; p++) {
        switch (*p) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(*p, f);
        }
    }
}

static const char *score_class(int score)
{
    return score >= 80 ? "good" : score >= 50 ? "fair" : "poor";
}

static const char CSS[] =
    "body{font-family:system-ui,-apple-system,'Segoe "
    "UI',Roboto,'DejaVu Sans',sans-serif;margin:0;background:#f6f6f4;color:#222;"
    "line-height:1.45}"
    "main{max-width:1240px;margin:0 auto;padding:1.2em}"
    "header{background:#263238;color:#fff;padding:1.2em}"
    "header .in{max-width:1240px;margin:0 auto;position:relative}"
    "h1{margin:0 0 .2em;font-size:1.6em}"
    ".meta{opacity:.85;font-size:.95em;margin:0}"
    ".total{font-size:1.25em;margin:.5em 0 0}"
    ".badge{display:inline-block;min-width:2.2em;text-align:center;border-radius:.4em;"
    "padding:.05em .4em;font-weight:bold;color:#fff}"
    ".good{background:#1a9850}.fair{background:#e08214}.poor{background:#d73027}"
    "section{background:#fff;border-radius:.5em;padding:1em 1.2em;margin:1.2em 0;"
    "box-shadow:0 1px 3px rgba(0,0,0,.12)}"
    "h2{margin:.1em 0 .5em}"
    "table{border-collapse:collapse;margin:.5em 0}"
    "td,th{padding:.2em .9em .2em 0;text-align:left;vertical-align:top}"
    "th{font-weight:normal;color:#555}"
    "table.grid th,table.grid td{border-bottom:1px solid #e4e4e4;padding:.25em .7em}"
    "table.grid thead th{font-weight:bold;color:#333;border-bottom:2px solid #bbb}"
    "td.ok{color:#1a7340}td.off{color:#b35806;font-weight:bold}"
    ".advice li{margin:.2em 0}"
    "figure{margin:1em 0}"
    "figure img{max-width:100%;height:auto;border:1px solid #ddd}"
    "figcaption{color:#555;font-size:.92em}"
    ".note{color:#555;font-size:.92em}"
    ".judged{background:#f3f6fb;border-left:4px solid #2166ac;padding:.4em .8em}"
    ".warn{background:#fff3cd;border-left:4px solid #e0a800;padding:.5em .8em}"
    ".side-by-side{display:grid;grid-template-columns:1fr 1fr;gap:1em}"
    ".pictures{display:grid;grid-template-columns:1fr;gap:0}"
    ".mode{position:absolute;right:0;top:0}"
    ".mode button{background:#455a64;color:#fff;border:1px solid #90a4ae;padding:.3em .8em;"
    "cursor:pointer;font:inherit}"
    ".mode button[aria-pressed=true]{background:#fff;color:#263238}"
    "body.runner .tech{display:none}"
    ".runner-only{display:none}body.runner .runner-only{display:block}"
    "body.runner .clinician-only{display:none}"
    ".movie canvas{border:1px solid #ccc;image-rendering:pixelated;background:#fff}"
    ".movie .player{display:flex;gap:1.2em;align-items:flex-start;flex-wrap:wrap}"
    ".movie .controls{display:flex;gap:.6em;align-items:center;margin:.6em 0 .2em}"
    ".movie input[type=range]{width:100%;margin:0}"
    ".scrub{position:relative;max-width:900px}"
    ".scrub-marks{position:relative;height:13px;background:linear-gradient(#eee 8px,#fff 8px)}"
    ".hold-mark{position:absolute;top:0;height:8px;background:#2166ac}"
    ".other-mark{position:absolute;top:9px;height:4px;background:#762a83}"
    ".movie-info{font-variant-numeric:tabular-nums;margin:.3em 0}"
    ".scale{position:relative;width:18px;margin-right:11em;border:1px solid #ccc;background:"
    "linear-gradient(to top,#fff 0%,#ffffcc 3%,#ffeda0 15%,#fed976 28%,#feb24c 41%,#fd8d3c 54%,"
    "#fc4e2a 67%,#e31a1c 80%,#bd0026 90%,#800026 100%)}"
    ".scale span{position:absolute;left:24px;white-space:nowrap;font-size:.85em}"
    ".scale .top{top:-.6em}.scale .zero{bottom:-.6em}"
    ".scale .limit{transform:translateY(50%);border-top:2px solid #000;left:-4px;padding-left:28px}"
    ".print-only{display:none}"
    "@page{size:A4;margin:12mm}"
    "@media print{body{background:#fff;font-size:10pt}header{background:#fff;color:#000;"
    "padding:0}.mode,.movie,.no-print{display:none}main{padding:0;max-width:none}"
    "section{box-shadow:none;margin:0;padding:0;border-radius:0}"
    "section.muscle,section.pair,section.holds{break-before:page}"
    ".print-only{display:block}figure{margin:.3em 0;break-inside:avoid}"
    ".muscle .pictures{grid-template-columns:1fr 1fr;gap:.4em}"
    ".muscle .pictures figure.heat{grid-row:span 2}"
    "figcaption{font-size:8pt}figure img{max-height:120mm;width:auto}"
    ".side-by-side img{max-height:110mm}}";

static void put_figure(FILE *f, const char *cls, const char *file, const char *alt,
                       const char *caption)
{
    fprintf(f, "<figure class=\"%s\"><img src=\"", cls);
    rm_html_escape(f, file);
    fputs("\" alt=\"", f);
    rm_html_escape(f, alt);
    fputs("\"><figcaption>", f);
    rm_html_escape(f, caption);
    fputs("</figcaption></figure>\n", f);
}

/* A picture over the segment's time; its caption says what the hatching
 * is when another contact was down. */
static void put_time_figure(FILE *f, const char *cls, const char *file, const char *what,
                            const struct rm_segment *s, const char *text)
{
    char alt[256], caption[640];
    snprintf(alt, sizeof(alt), "%s over time for %s", what, s->label);
    snprintf(caption, sizeof(caption), "%s%s", text,
             s->nother_contacts > 0 ? " Hatched purple: another contact was down (not judged)."
                                    : "");
    put_figure(f, cls, file, alt, caption);
}

void rm_html_heatmap_figure(FILE *f, const struct rm_plot_report *rep, size_t i,
                            const char *caption)
{
    const struct rm_segment *s = &rep->result->segments[i];
    const struct rm_plot_segment_files *files = &rep->files[i];
    char alt[256];
    snprintf(alt, sizeof(alt), "Pressure over the mat for %s", s->label);
    if (!files->heatmap_runner[0]) {
        put_figure(f, "heat", files->heatmap, alt, caption);
        return;
    }
    /* The clinician's picture marks dead sensels; the runner's does not. */
    put_figure(f, "heat clinician-only", files->heatmap, alt, caption);
    put_figure(f, "heat runner-only", files->heatmap_runner, alt, caption);
}

static void put_row(FILE *f, const char *cls, const char *name, const char *value)
{
    fprintf(f, "<tr%s%s%s><th>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    rm_html_escape(f, name);
    fputs("</th><td>", f);
    rm_html_escape(f, value);
    fputs("</td></tr>\n", f);
}

/* Seconds the contact-mean pressure of the segment's loaded frames stayed
 * at or above `kpa`: time under pressure in a figure a clinician reads. */
static double seconds_at_or_above(const struct rm_analysis_result *r, const struct rm_segment *s,
                                  double kpa)
{
    const struct rm_trace *tr = &r->trace;
    double sum = 0, period = r->mat.rate_hz > 0 ? 1.0 / r->mat.rate_hz : 0.01;
    for (int64_t i = s->frame_start; i < s->frame_end && i < tr->n; i++) {
        if (!tr->loaded[i] || !(tr->mean[i] >= kpa))
            continue;
        double dt = i + 1 < tr->n ? fmin(tr->t[i + 1] - tr->t[i], 2 * period) : period;
        sum += dt;
    }
    return sum;
}

static void put_pressure_rows(FILE *f, const struct rm_analysis_result *r,
                              const struct rm_segment *s)
{
    char buf[512];
    const struct rm_seg_pressure *pr = &s->pressure;
    if (!r->calibrated) {
        if (isfinite(pr->mean_kpa))
            snprintf(buf, sizeof(buf), "contact mean %.0f counts, peak sensel %.0f counts",
                     pr->mean_kpa, pr->peak_kpa);
        else
            snprintf(buf, sizeof(buf), "not known (uncalibrated)");
        put_row(f, NULL, "pressure", buf);
        return;
    }
    double limit = r->profile.pressure_max_kpa;
    snprintf(buf, sizeof(buf),
             "contact mean %.0f kPa: judged against the %.0f kPa limit (%s). Peak sensel "
             "%.0f kPa: not judged (the roller's edge and bone always peak).",
             pr->mean_kpa, limit, pr->over_limit_s > 0 ? "went over it" : "stayed under it",
             pr->peak_kpa);
    put_row(f, NULL, "pressure", buf);
    if (pr->over_limit_s > 0) {
        snprintf(buf, sizeof(buf), "%.0f s above %.0f kPa (up to %.0f kPa, 1-s contact mean)",
                 pr->over_limit_s, limit, pr->over_limit_kpa);
        put_row(f, NULL, "over the limit", buf);
    }
    double half = 0.5 * limit;
    snprintf(buf, sizeof(buf), "%.0f s with the contact mean at %.0f kPa or more",
             seconds_at_or_above(r, s, half), half);
    put_row(f, NULL, "time under pressure", buf);
}

static void put_segment(FILE *f, const struct rm_plot_report *rep, size_t i)
{
    const struct rm_analysis_result *r = rep->result;
    const struct rm_segment *s = &r->segments[i];
    char buf[512];

    fprintf(f, "<section class=\"muscle\" id=\"segment-%zu\">\n", i + 1);
    fprintf(f, "<p class=\"print-only note\">muscle %zu of %zu</p>\n<h2>", i + 1, r->nsegments);
    rm_html_escape(f, s->label);
    if (s->score.total != RM_SCORE_NONE)
        fprintf(f, " <span class=\"badge %s\">%d</span>", score_class(s->score.total),
                s->score.total);
    else
        fputs(" <span class=\"badge\">not judged</span>", f);
    fputs("</h2>\n<table>\n", f);
    snprintf(buf, sizeof(buf), "%.1f – %.1f s", s->t_start, s->t_end);
    put_row(f, NULL, "time", buf);
    put_row(f, "tech", "segment",
            s->from_events ? "marked by the user" : "found automatically (no muscle named)");
    snprintf(buf, sizeof(buf), "%.0f s", s->loaded_s);
    put_row(f, NULL, "rolled for", buf);
    /* What rolled, and which way (analysis-output.md "tool", "roll axis"),
     * said when it is not the usual roller along the rows. */
    if (s->tool != RM_TOOL_ROLLER || s->axis != RM_AXIS_ROWS)
        put_row(f, NULL, "tool",
                s->tool == RM_TOOL_NONE   ? "no rolling: described, not judged"
                : s->tool == RM_TOOL_BALL ? "a ball, tracked in 2-D"
                : s->axis == RM_AXIS_COLS
                    ? "a roller, rolling along the columns (mat laid sideways)"
                    : "a roller, rolling along the rows");
    if (s->tool != RM_TOOL_NONE && isfinite(s->range_mm[0]) && isfinite(s->range_mm[1])) {
        snprintf(buf, sizeof(buf), "%.0f mm, from %.0f to %.0f mm along the %s",
                 s->range_mm[1] - s->range_mm[0], s->range_mm[0], s->range_mm[1],
                 s->axis == RM_AXIS_COLS ? "columns" : "rows");
        put_row(f, NULL, "length rolled", buf);
    }
    if (s->nother_contacts > 0) {
        size_t used_o = 0;
        buf[0] = '\0';
        for (size_t k = 0; k < s->nother_contacts && used_o < sizeof(buf); k++) {
            const struct rm_other_contact *c = &s->other_contacts[k];
            int n = snprintf(buf + used_o, sizeof(buf) - used_o, "%s%.1f – %.1f s at %.0f, %.0f mm",
                             k ? "; " : "", c->t_start, c->t_end, c->position_xy_mm[0],
                             c->position_xy_mm[1]);
            if (n > 0)
                used_o += (size_t)n;
        }
        put_row(f, NULL, "other contacts (a hand, a knee: not judged)", buf);
    }
    double median = s->rolling.speed_median_mm_s;
    double slow = s->rolling.fraction_slow;
    if (isfinite(median)) {
        if (isfinite(slow))
            snprintf(buf, sizeof(buf), "median %.0f mm/s, %.0f %% of the rolling slow enough",
                     median, 100.0 * slow);
        else
            snprintf(buf, sizeof(buf), "median %.0f mm/s", median);
        put_row(f, NULL, "speed", buf);
    }
    size_t nholds = 0, used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < s->npauses; k++) {
        const struct rm_pause *p = &s->pauses[k];
        if (!p->hold)
            continue;
        int n = snprintf(buf + used, sizeof(buf) - used,
                         "%s%.0f s at %.0f mm (%.0f %% up the muscle)", nholds ? ", " : "",
                         p->duration_s, p->position_mm, 100.0 * p->relative_position);
        if (n > 0 && (size_t)n < sizeof(buf) - used)
            used += (size_t)n;
        nholds++;
    }
    put_row(f, NULL, "holds", nholds ? buf : "none");
    put_pressure_rows(f, r, s);
    for (size_t k = 0; k < rep->nevents; k++) {
        const struct rm_event *ev = &rep->events[k];
        if (strcmp(ev->kind, "mark") != 0 || ev->t < s->t_start || ev->t > s->t_end)
            continue;
        snprintf(buf, sizeof(buf), "at %.0f s: %s", ev->t, ev->label);
        put_row(f, NULL, "note", buf);
    }
    if (s->score.total != RM_SCORE_NONE) {
        snprintf(buf, sizeof(buf), "speed %d, holds %d, pressure %d, coverage %d", s->score.speed,
                 s->score.holds, s->score.pressure, s->score.coverage);
        put_row(f, "tech", "score parts", buf);
    }
    fputs("</table>\n", f);

    if (s->nadvice > 0) {
        fputs("<h3>Advice</h3>\n<ul class=\"advice\">\n", f);
        for (size_t k = 0; k < s->nadvice; k++) {
            fputs("<li>", f);
            rm_html_escape(f, s->advice[k]);
            fputs("</li>\n", f);
        }
        fputs("</ul>\n", f);
    }

    const struct rm_plot_segment_files *files = &rep->files[i];
    /* The pictures mark the roll axis and the other contacts
     * (plot_segment.c); the captions say what the marks are. */
    bool others = s->nother_contacts > 0;
    char caption[640];
    snprintf(caption, sizeof(caption),
             "Where %s pressed, the mat seen from above, rows upward%s. Left: how many seconds "
             "each spot spent at or above the pressure named. Right: the highest pressure each "
             "spot saw, the limit marked on its colour bar (it judges the contact mean, not "
             "this peak). Grey line: the centre of pressure's track. Blue: holds.%s",
             s->tool == RM_TOOL_BALL ? "the ball" : "the roller",
             s->tool == RM_TOOL_ROLLER ? "; the green arrow is the roll axis" : "",
             others ? " Purple rings: other contacts (a hand, a knee), not judged." : "");
    fputs("<div class=\"pictures\">\n", f);
    rm_html_heatmap_figure(f, rep, i, caption);
    put_time_figure(f, "series", files->series, "Force, pressure and contact area", s,
                    "How hard. Top: the force on the roller. Middle: the contact-mean pressure "
                    "(judged; the dashed red line is the limit) and, faint, the highest sensel. "
                    "Bottom: the contact area. Holds shaded blue.");
    put_time_figure(f, "timeline", files->timeline, "Roll position and speed", s,
                    "How it was rolled. Top: where the roller was over time (the coloured "
                    "band), holds shaded in blue, shorter pauses in grey. Bottom: the rolling "
                    "speed; green is slow enough, red is too fast.");
    fputs("</div>\n</section>\n", f);
}

static void put_movie(FILE *f, const struct rm_plot_report *rep)
{
    const struct rm_analysis_result *r = rep->result;
    double w = r->mat.cols * r->mat.pitch_col_mm, h = r->mat.rows * r->mat.pitch_row_mm;
    /* The mat to scale, 420 px along its longer side. */
    double k = 420.0 / fmax(w, h);
    fputs("<section id=\"movie\" class=\"movie\">\n<h2>The session, as it happened</h2>\n", f);
    fprintf(f,
            "<div class=\"player\"><canvas width=\"%d\" height=\"%d\" aria-label=\"pressure "
            "map\"></canvas>",
            (int)lround(w * k), (int)lround(h * k));
    /* The colour scale beside the map, the limit marked on it. */
    double top = rm_plot_movie_scale(r);
    const char *unit = r->calibrated ? "kPa" : "counts";
    fprintf(f, "<div class=\"scale\" style=\"height:%dpx\"><span class=\"top\">%.0f %s</span>",
            (int)lround(h * k), top, unit);
    double limit = r->profile.pressure_max_kpa;
    if (r->calibrated && limit < top)
        fprintf(f, "<span class=\"limit\" style=\"bottom:%.1f%%\">limit %.0f (contact mean)</span>",
                100.0 * limit / top, limit);
    fprintf(f,
            "<span class=\"zero\">0</span></div><div class=\"note\" style=\"max-width:28em\">The "
            "pressure on the mat (%s), rows upward. Frames are sampled at most 10 a "
            "second. Blue marks under the scrubber are holds; purple ones, and purple rings on "
            "the mat, another contact (a hand, a knee), not judged.</div></div>\n",
            r->calibrated ? "kPa" : "raw counts");
    fputs("<div class=\"scrub\"><div class=\"controls\"><button class=\"play\" "
          "type=\"button\">▶ play</button><label>speed <select class=\"speed\"><option "
          "value=\"1\">1×</option><option value=\"2\">2×</option><option value=\"4\" "
          "selected>4×</option><option value=\"8\">8×</option></select></label></div>\n"
          "<input type=\"range\" min=\"0\" max=\"0\" value=\"0\" step=\"1\" aria-label=\"time\">"
          "<div class=\"scrub-marks\"></div>\n<p class=\"movie-info\"></p></div>\n</section>\n",
          f);
}

static void put_body(FILE *f, const struct rm_plot_report *rep)
{
    const struct rm_analysis_result *r = rep->result;
    double duration = r->duration_s;

    fputs("<header><div class=\"in\">\n<div class=\"mode\" role=\"group\" aria-label=\"view\">"
          "<button type=\"button\" data-mode=\"runner\">Runner</button><button type=\"button\" "
          "data-mode=\"clinician\">Clinician</button></div>\n<h1>Foam rolling report</h1>\n"
          "<p class=\"meta\">",
          f);
    rm_html_escape(f, rep->recording);
    if (rep->created_utc && rep->created_utc[0]) {
        fputs(" · recorded ", f);
        rm_html_escape(f, rep->created_utc);
    }
    if (isfinite(duration))
        fprintf(f, " · %.0f s", duration);
    fprintf(f, " · %zu muscle%s</p>\n", r->nsegments, r->nsegments == 1 ? "" : "s");
    if (r->nsegments > 0 && r->score_total != RM_SCORE_NONE)
        fprintf(f,
                "<p class=\"total\">Session score <span class=\"badge %s\">%d</span> / 100</p>\n",
                score_class(r->score_total), r->score_total);
    fputs("</div></header>\n<main>\n", f);

    if (!r->calibrated)
        fputs("<p class=\"warn\">This recording is not calibrated: pressures are raw sensor "
              "counts, not kPa, and cannot be compared with other mats.</p>\n",
              f);
    if (r->nsegments == 0) {
        fputs("<section><h2>No segments</h2><p>No rolling was found in this recording: the "
              "roller never carried a person's weight long enough to count as a muscle, and "
              "there are no segment events. There is nothing to score or draw.</p></section>\n",
              f);
    }
    if (rep->movie)
        put_movie(f, rep);
    if (rep->overview) {
        fputs("<section>\n<h2>All muscles</h2>\n", f);
        put_figure(f, "overview", rep->overview, "Score and loaded time per muscle",
                   "One bar per muscle: its score (0-100) and how long it was rolled. The "
                   "dashed line is the session's score.");
        if (r->calibrated)
            fprintf(f,
                    "<p class=\"judged\">How pressure is judged: the <b>contact-mean "
                    "pressure</b> (the average over the sensels the roller touches) must not "
                    "stay above %.0f kPa for a second or more. The peak of a single sensel is "
                    "shown but not judged: under a roller's edge or over bone it is always "
                    "higher.</p>\n",
                    r->profile.pressure_max_kpa);
        fputs("</section>\n", f);
    }
    if (r->nsegments > 0)
        rm_html_holds_table(f, r);
    rm_html_pairs(f, rep);
    for (size_t i = 0; i < r->nsegments; i++)
        put_segment(f, rep, i);

    fputs("<p class=\"note\">Scores follow the guidance profile ", f);
    rm_html_escape(f, r->profile.name);
    fputs(". Times are seconds from the start of the recording.", f);
    if (rep->analysis_json) {
        fputs(" All figures: <a href=\"", f);
        rm_html_escape(f, rep->analysis_json);
        fputs("\">", f);
        rm_html_escape(f, rep->analysis_json);
        fputs("</a>.", f);
    }
    fputs("</p>\n</main>\n", f);
}

int rm_plot_write_report(const char *path, const struct rm_plot_report *rep)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return rm_fail(RM_EIO, "%s: %s", path, strerror(errno));
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>"
          "Foam rolling report: ",
          f);
    rm_html_escape(f, rep->recording);
    fprintf(f, "</title>\n<style>%s</style>\n", CSS);
    if (rep->movie) {
        fputs("<script src=\"", f);
        rm_html_escape(f, rep->movie);
        fputs("\"></script>\n", f);
    }
    fprintf(f, "<script>%s</script>\n</head>\n<body>\n", rm_plot_report_js);
    put_body(f, rep);
    fputs("</body>\n</html>\n", f);
    bool ok = !ferror(f);
    if (fclose(f) != 0 || !ok)
        return rm_fail(RM_EIO, "%s: cannot write: %s", path, strerror(errno));
    return 0;
}

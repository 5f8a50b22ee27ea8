/* report.html: the session's score, each muscle's figures, advice and
 * pictures, in one file that opens offline in any browser (inline CSS, no
 * scripts, no fonts or anything else fetched, pictures by relative path).
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
    "header .in{max-width:1240px;margin:0 auto}"
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
    ".advice li{margin:.2em 0}"
    "figure{margin:1em 0}"
    "figure img{max-width:100%;height:auto;border:1px solid #ddd}"
    "figcaption{color:#555;font-size:.92em}"
    ".note{color:#555;font-size:.92em}"
    ".warn{background:#fff3cd;border-left:4px solid #e0a800;padding:.5em .8em}";

static void put_figure(FILE *f, const char *file, const char *alt, const char *caption)
{
    fputs("<figure><img src=\"", f);
    rm_html_escape(f, file);
    fputs("\" alt=\"", f);
    rm_html_escape(f, alt);
    fputs("\"><figcaption>", f);
    rm_html_escape(f, caption);
    fputs("</figcaption></figure>\n", f);
}

static void put_row(FILE *f, const char *name, const char *value)
{
    fputs("<tr><th>", f);
    rm_html_escape(f, name);
    fputs("</th><td>", f);
    rm_html_escape(f, value);
    fputs("</td></tr>\n", f);
}

static void put_segment(FILE *f, const struct rm_plot_report *rep, size_t i)
{
    const struct rm_analysis_result *r = rep->result;
    const struct rm_segment *s = &r->segments[i];
    const char *unit = r->calibrated ? "kPa" : "counts";
    char buf[512];

    fprintf(f, "<section id=\"segment-%zu\">\n<h2>", i + 1);
    rm_html_escape(f, s->label);
    if (s->score.total == RM_SCORE_NONE)
        fputs(" <span class=\"badge\">not judged</span></h2>\n", f);
    else
        fprintf(f, " <span class=\"badge %s\">%d</span></h2>\n", score_class(s->score.total),
                s->score.total);

    fputs("<table>\n", f);
    snprintf(buf, sizeof(buf), "%.1f – %.1f s (%s)", s->t_start, s->t_end,
             s->from_events ? "marked by the user" : "found automatically");
    put_row(f, "time", buf);
    snprintf(buf, sizeof(buf), "%.0f s", s->loaded_s);
    put_row(f, "loaded", buf);
    /* What rolled, and which way (analysis-output.md "tool", "roll axis"). */
    put_row(f, "tool",
            s->tool == RM_TOOL_NONE   ? "no rolling: described, not judged"
            : s->tool == RM_TOOL_BALL ? "a ball, tracked in 2-D"
            : s->axis == RM_AXIS_COLS ? "a roller, rolling along the columns (mat laid sideways)"
                                      : "a roller, rolling along the rows");
    if (s->tool != RM_TOOL_NONE && isfinite(s->range_mm[0]) && isfinite(s->range_mm[1])) {
        snprintf(buf, sizeof(buf), "%.0f – %.0f mm along the %s (%.0f mm)", s->range_mm[0],
                 s->range_mm[1], s->axis == RM_AXIS_COLS ? "columns" : "rows",
                 s->range_mm[1] - s->range_mm[0]);
        put_row(f, "covered", buf);
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
        put_row(f, "other contacts (a hand, a knee: not judged)", buf);
    }
    double median = s->rolling.speed_median_mm_s;
    double slow = s->rolling.fraction_slow;
    if (isfinite(median)) {
        if (isfinite(slow))
            snprintf(buf, sizeof(buf), "median %.0f mm/s, %.0f %% of the rolling slow enough",
                     median, 100.0 * slow);
        else
            snprintf(buf, sizeof(buf), "median %.0f mm/s", median);
        put_row(f, "speed", buf);
    }
    size_t nholds = 0;
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < s->npauses; k++) {
        const struct rm_pause *p = &s->pauses[k];
        if (!p->hold)
            continue;
        int n = snprintf(buf + used, sizeof(buf) - used, "%s%.0f s at %.0f mm", nholds ? ", " : "",
                         p->duration_s, p->position_mm);
        if (n > 0 && (size_t)n < sizeof(buf) - used)
            used += (size_t)n;
        nholds++;
    }
    put_row(f, "holds", nholds ? buf : "none");
    double mean_p = s->pressure.mean_kpa;
    double peak_p = s->pressure.peak_kpa;
    if (isfinite(mean_p) && isfinite(peak_p)) {
        snprintf(buf, sizeof(buf), "contact-mean %.0f %s (the one judged), peak %.0f %s", mean_p,
                 unit, peak_p, unit);
        put_row(f, "pressure", buf);
    }
    for (size_t k = 0; k < rep->nevents; k++) {
        const struct rm_event *ev = &rep->events[k];
        if (strcmp(ev->kind, "mark") != 0 || ev->t < s->t_start || ev->t > s->t_end)
            continue;
        snprintf(buf, sizeof(buf), "at %.0f s: %s", ev->t, ev->label);
        put_row(f, "note", buf);
    }
    if (s->score.total != RM_SCORE_NONE) {
        snprintf(buf, sizeof(buf), "speed %d, holds %d, pressure %d, coverage %d", s->score.speed,
                 s->score.holds, s->score.pressure, s->score.coverage);
        put_row(f, "score parts", buf);
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
    snprintf(buf, sizeof(buf), "Pressure over the mat for %s", s->label);
    put_figure(f, files->heatmap, buf,
               "Where the roller pressed. Left: time under pressure, how much pressure each "
               "spot took in total. Right: the highest pressure each spot saw. The roll axis "
               "runs upward; blue marks show where the roller stood still, with how long.");
    snprintf(buf, sizeof(buf), "Roll position and speed over time for %s", s->label);
    put_figure(f, files->timeline, buf,
               "How it was rolled. Top: where the roller was over time (the coloured band), "
               "holds shaded in blue, shorter pauses in grey. Bottom: the rolling speed; "
               "green is slow enough, red is too fast.");
    fputs("</section>\n", f);
}

static void put_body(FILE *f, const struct rm_plot_report *rep)
{
    const struct rm_analysis_result *r = rep->result;
    double duration = r->duration_s;

    fputs("<header><div class=\"in\">\n<h1>Foam rolling report</h1>\n<p class=\"meta\">", f);
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
    if (rep->overview) {
        fputs("<section>\n<h2>All muscles</h2>\n", f);
        put_figure(f, rep->overview, "Score and loaded time per muscle",
                   "One bar per muscle: its score (0-100) and how long it was rolled. The "
                   "dashed line is the session's score.");
        fputs("</section>\n", f);
    }
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
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n", CSS);
    put_body(f, rep);
    fputs("</body>\n</html>\n", f);
    bool ok = !ferror(f);
    if (fclose(f) != 0 || !ok)
        return rm_fail(RM_EIO, "%s: cannot write: %s", path, strerror(errno));
    return 0;
}

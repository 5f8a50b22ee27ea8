/* The report's tables across muscles: every hold of the session, and each
 * muscle's left side against its right. Figures come from the typed
 * result; a figure that does not exist is a dash. */
#include <ctype.h>
#include <stdbool.h>
#include <strings.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plot_internal.h"

/* A table cell: v with `decimals` decimals and a suffix, or a dash for
 * NAN. */
void rm_html_num_cell(FILE *f, int decimals, const char *suffix, double v)
{
    if (isfinite(v))
        fprintf(f, "<td>%.*f%s</td>", decimals, v, suffix);
    else
        fputs("<td>–</td>", f);
}

void rm_html_holds_table(FILE *f, const struct rm_analysis_result *r)
{
    const struct rm_profile *pf = &r->profile;
    const char *unit = r->calibrated ? "kPa" : "counts";
    size_t nholds = 0;
    for (size_t i = 0; i < r->nsegments; i++)
        for (size_t k = 0; k < r->segments[i].npauses; k++)
            nholds += r->segments[i].pauses[k].hold;
    fputs("<section id=\"holds\" class=\"holds\">\n<h2>Holds</h2>\n", f);
    if (nholds == 0) {
        fputs("<p>No holds: the roller never stood still on a spot long enough.</p>\n"
              "</section>\n",
              f);
        return;
    }
    fprintf(f,
            "<p class=\"note\">Every stop of at least %g s. Where: along the roll axis of the "
            "mat, and as a fraction of the stretch rolled on that muscle (0 = its lower end, "
            "1 = its upper end). The target is %g–%g s.</p>\n",
            pf->hold_min_s, pf->hold_target_min_s, pf->hold_target_max_s);
    fprintf(f,
            "<table class=\"grid\" id=\"holds-table\">\n<thead><tr><th>muscle</th><th>where "
            "(mm)</th><th>where (of the muscle)</th><th>start (s)</th><th>duration (s)</th>"
            "<th>against the target</th><th>mean force (%s)</th><th>contact-mean pressure "
            "(%s)</th><th>peak pressure (%s)</th></tr></thead>\n<tbody>\n",
            r->calibrated ? "N" : "counts", unit, unit);
    for (size_t i = 0; i < r->nsegments; i++) {
        const struct rm_segment *s = &r->segments[i];
        for (size_t k = 0; k < s->npauses; k++) {
            const struct rm_pause *p = &s->pauses[k];
            if (!p->hold)
                continue;
            fprintf(f, "<tr data-segment=\"%zu\"><td>", i);
            rm_html_escape(f, s->label);
            fputs("</td>", f);
            rm_html_num_cell(f, 0, "", p->position_mm);
            rm_html_num_cell(f, 2, "", p->relative_position);
            rm_html_num_cell(f, 1, "", p->t_start);
            rm_html_num_cell(f, 1, "", p->duration_s);
            const char *judged = p->duration_s < pf->hold_target_min_s   ? "short"
                                 : p->duration_s > pf->hold_target_max_s ? "long"
                                                                         : "on target";
            fprintf(f, "<td class=\"%s\">%s</td>", strcmp(judged, "on target") == 0 ? "ok" : "off",
                    judged);
            rm_html_num_cell(f, 0, "", r->calibrated ? p->mean_force_n : NAN);
            rm_html_num_cell(f, 0, "", rm_plot_hold_mean_pressure(&r->trace, p));
            rm_html_num_cell(f, 0, "", r->calibrated ? p->peak_pressure_kpa : NAN);
            fputs("</tr>\n", f);
        }
    }
    fputs("</tbody></table>\n</section>\n", f);
}

/* ---- left and right ------------------------------------------------------ */

/* The word `side` ("left"/"right") as a whole token of label (bounded by
 * the ends or by '-', '_', ' ', case ignored): its offset, or -1. */
static long find_side(const char *label, const char *side)
{
    size_t n = strlen(side), len = strlen(label);
    for (size_t i = 0; i + n <= len; i++) {
        bool start = i == 0 || strchr("-_ ", label[i - 1]);
        bool end = i + n == len || strchr("-_ ", label[i + n]);
        if (start && end && strncasecmp(label + i, side, n) == 0)
            return (long)i;
    }
    return -1;
}

bool rm_plot_pair_label(const char *label, char *out, size_t size)
{
    long at = find_side(label, "left");
    if (at < 0)
        return false;
    /* Keep the label's case: "Calf Left" pairs with "Calf Right". */
    const char *right = isupper((unsigned char)label[at]) ? "Right" : "right";
    if (isupper((unsigned char)label[at]) && isupper((unsigned char)label[at + 1]))
        right = "RIGHT";
    int n = snprintf(out, size, "%.*s%s%s", (int)at, label, right, label + at + 4);
    return n > 0 && (size_t)n < size;
}

/* 100 |L - R| / ((L + R) / 2): 0 % for equal sides (Robinson et al.'s
 * symmetry index). NAN when either is missing or both are zero. */
double rm_plot_symmetry_index(double left, double right)
{
    if (!isfinite(left) || !isfinite(right) || left + right == 0)
        return NAN;
    return 100.0 * fabs(left - right) / (0.5 * fabs(left + right));
}

double rm_plot_hold_seconds(const struct rm_segment *s, size_t *count)
{
    double sum = 0;
    *count = 0;
    for (size_t k = 0; k < s->npauses; k++)
        if (s->pauses[k].hold) {
            sum += s->pauses[k].duration_s;
            (*count)++;
        }
    return sum;
}

void rm_html_two_sides_row(FILE *f, const char *what, int decimals, double a, double b, bool change)
{
    fputs("<tr><th>", f);
    rm_html_escape(f, what);
    fputs("</th>", f);
    rm_html_num_cell(f, decimals, "", a);
    rm_html_num_cell(f, decimals, "", b);
    if (!change)
        rm_html_num_cell(f, 0, " %", rm_plot_symmetry_index(a, b));
    else if (fabs(b - a) < 0.5 * pow(10, -decimals))
        fprintf(f, "<td>%.*f</td>", decimals, 0.0); /* no change: no sign */
    else if (isfinite(b - a))
        fprintf(f, "<td>%+.*f</td>", decimals, b - a); /* the change, signed */
    else
        fputs("<td>–</td>", f);
    fputs("</tr>\n", f);
}

static void pair_row(FILE *f, const char *what, int decimals, double left, double right)
{
    rm_html_two_sides_row(f, what, decimals, left, right, false);
}

double rm_plot_score_value(int score)
{
    return score == RM_SCORE_NONE ? NAN : score;
}

static void put_pair(FILE *f, const struct rm_plot_report *rep, size_t li, size_t ri)
{
    const struct rm_analysis_result *r = rep->result;
    const struct rm_segment *L = &r->segments[li], *R = &r->segments[ri];
    const char *unit = r->calibrated ? "kPa" : "counts";
    char buf[160];
    fprintf(f, "<section class=\"pair\" data-left=\"%zu\" data-right=\"%zu\">\n<h2>", li, ri);
    rm_html_escape(f, L->label);
    fputs(" against ", f);
    rm_html_escape(f, R->label);
    fputs("</h2>\n<table class=\"grid\">\n<thead><tr><th></th><th>", f);
    rm_html_escape(f, L->label);
    fputs("</th><th>", f);
    rm_html_escape(f, R->label);
    fputs("</th><th>symmetry index</th></tr></thead>\n<tbody>\n", f);
    pair_row(f, "score", 0, rm_plot_score_value(L->score.total),
             rm_plot_score_value(R->score.total));
    pair_row(f, "time rolled (s)", 0, L->loaded_s, R->loaded_s);
    pair_row(f, "median speed (mm/s)", 0, L->rolling.speed_median_mm_s,
             R->rolling.speed_median_mm_s);
    size_t nl, nr;
    double hl = rm_plot_hold_seconds(L, &nl), hr = rm_plot_hold_seconds(R, &nr);
    pair_row(f, "holds", 0, (double)nl, (double)nr);
    pair_row(f, "time in holds (s)", 0, hl, hr);
    snprintf(buf, sizeof(buf), "contact-mean pressure (%s)", unit);
    pair_row(f, buf, 1, L->pressure.mean_kpa, R->pressure.mean_kpa);
    snprintf(buf, sizeof(buf), "peak pressure (%s)", unit);
    pair_row(f, buf, 0, L->pressure.peak_kpa, R->pressure.peak_kpa);
    pair_row(f, "mean force (N)", 0, L->pressure.mean_force_n, R->pressure.mean_force_n);
    pair_row(f, "length rolled (mm)", 0, L->range_mm[1] - L->range_mm[0],
             R->range_mm[1] - R->range_mm[0]);
    fputs("</tbody></table>\n<p class=\"note\">Symmetry index: the difference between the "
          "sides as a percentage of their average; 0 % means both sides alike. The two "
          "pictures share one colour scale.</p>\n<div class=\"side-by-side\">\n",
          f);
    rm_html_heatmap_figure(f, rep, li, "");
    rm_html_heatmap_figure(f, rep, ri, "");
    fputs("</div>\n</section>\n", f);
}

size_t rm_html_pairs(FILE *f, const struct rm_plot_report *rep)
{
    const struct rm_analysis_result *r = rep->result;
    size_t pairs = 0;
    char want[RM_EVENT_LABEL_LEN + 8];
    for (size_t i = 0; i < r->nsegments; i++) {
        if (!rm_plot_pair_label(r->segments[i].label, want, sizeof(want)))
            continue;
        /* The first segment of each label: a muscle rolled twice pairs once. */
        bool first = true;
        for (size_t k = 0; k < i; k++)
            first = first && strcmp(r->segments[k].label, r->segments[i].label) != 0;
        for (size_t j = 0; first && j < r->nsegments; j++) {
            if (strcmp(r->segments[j].label, want) != 0)
                continue;
            put_pair(f, rep, i, j);
            pairs++;
            break;
        }
    }
    return pairs;
}

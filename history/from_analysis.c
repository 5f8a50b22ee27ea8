/* THE one file of history/ that reads an rm_analysis_result: everything
 * the store keeps is copied out here, from the result's typed fields, into
 * history's own typed session, and the analyze hook's advice goes in here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hi_internal.h"
#include "rm_error.h"

static int copy_segment(const struct rm_analysis_result *r, size_t i, struct hi_segment *out)
{
    const struct rm_segment *g = &r->segments[i];
    snprintf(out->label, sizeof(out->label), "%s", g->label);
    out->t_start = g->t_start;
    out->t_end = g->t_end;
    out->loaded_s = g->loaded_s;
    out->speed_median_mm_s = g->rolling.speed_median_mm_s;
    out->fraction_slow = g->rolling.fraction_slow;
    out->mean_kpa = g->pressure.mean_kpa;
    /* RM_SCORE_NONE (-1): a segment the analysis does not score. */
    out->score_total = g->score.total;
    out->nholds = 0;
    out->holds = calloc(g->npauses ? g->npauses : 1, sizeof(*out->holds));
    if (!out->holds)
        return RM_ENOMEM;
    for (size_t k = 0; k < g->npauses; k++) {
        const struct rm_pause *p = &g->pauses[k];
        if (!p->hold || !isfinite(p->relative_position))
            continue;
        out->holds[out->nholds++] = (struct hi_hold){
            .t_start = p->t_start,
            .duration_s = p->duration_s,
            .position_mm = p->position_mm,
            .relative_position = p->relative_position,
            .mean_force_n = p->mean_force_n,
            .peak_pressure_kpa = p->peak_pressure_kpa,
        };
    }
    return 0;
}

int hi_session_from_analysis(const struct rm_analysis_result *r, struct hi_session *out)
{
    memset(out, 0, sizeof(*out));
    out->analysis_version = r->version;
    snprintf(out->profile, sizeof(out->profile), "%s", r->profile.name);
    out->duration_s = r->duration_s;
    out->score_total = r->score_total;
    out->calibrated = r->calibrated;
    out->segments = calloc(r->nsegments ? r->nsegments : 1, sizeof(*out->segments));
    if (!out->segments)
        return RM_ENOMEM;
    for (size_t i = 0; i < r->nsegments; i++) {
        int rc = copy_segment(r, i, &out->segments[i]);
        out->nsegments = i + 1;
        if (rc) {
            hi_session_free(out);
            return rc;
        }
    }
    return 0;
}

void hi_session_free(struct hi_session *s)
{
    for (size_t i = 0; i < s->nsegments; i++)
        free(s->segments[i].holds);
    free(s->segments);
    memset(s, 0, sizeof(*s));
}

size_t hi_result_nsegments(const struct rm_analysis_result *r)
{
    return r->nsegments;
}

const char *hi_result_label(const struct rm_analysis_result *r, size_t i)
{
    return r->segments[i].label;
}

int hi_result_add_advice(struct rm_analysis_result *r, size_t i, const char *sentence)
{
    return rm_segment_add_advice(&r->segments[i], sentence);
}

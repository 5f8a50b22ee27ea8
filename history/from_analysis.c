/* THE one file of history/ that reads an rm_analysis_result: everything
 * the store keeps is copied out here into history's own typed session, and
 * the analyze hook's advice goes in here. Figures the result has as struct
 * fields are read from them; the few that today exist only in its JSON
 * document are read from there and marked TODO(issue-10): issue 10 gives
 * them typed fields, and this file is then all that changes. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hi_internal.h"
#include "rm_error.h"

static json_t *doc_segment(const struct rm_analysis_result *r, size_t i)
{
    return json_array_get(json_object_get(r->doc, "segments"), i);
}

static double json_num_or_nan(json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static int copy_segment(const struct rm_analysis_result *r, size_t i, struct hi_segment *out)
{
    const struct rm_segment *g = &r->segments[i];
    snprintf(out->label, sizeof(out->label), "%s", g->label);
    out->t_start = g->t_start;
    out->t_end = g->t_end;
    out->loaded_s = g->loaded_s;
    out->speed_median_mm_s = g->speed_median_mm_s;
    out->score_total = g->score_total;
    json_t *seg = doc_segment(r, i);
    /* TODO(issue-10): rolling.fraction_slow and pressure.mean_kpa from the
     * typed result once it has them. */
    out->fraction_slow =
        json_num_or_nan(json_object_get(json_object_get(seg, "rolling"), "fraction_slow"));
    out->mean_kpa = json_num_or_nan(json_object_get(json_object_get(seg, "pressure"), "mean_kpa"));
    /* A segment the analysis does not score (no rolling) has a null score
     * in the document. TODO(issue-10): a typed "not scored". */
    if (!json_is_integer(json_object_get(json_object_get(seg, "score"), "total")))
        out->score_total = -1;
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
    /* TODO(issue-10): the document's version and profile name as typed
     * fields of the result. */
    out->analysis_version =
        (int)json_integer_value(json_object_get(r->doc, "rollmat_analysis_version"));
    const char *profile =
        json_string_value(json_object_get(json_object_get(r->doc, "profile"), "name"));
    snprintf(out->profile, sizeof(out->profile), "%s", profile ? profile : "");
    out->duration_s = json_num_or_nan(json_object_get(r->doc, "duration_s"));
    json_t *total = json_object_get(json_object_get(r->doc, "score"), "total");
    out->score_total = json_is_integer(total) ? (int)json_integer_value(total) : -1;
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
    /* TODO(issue-10): append to the typed advice list of the segment. */
    json_t *advice = json_object_get(doc_segment(r, i), "advice");
    if (!json_is_array(advice))
        return RM_EFORMAT;
    return json_array_append_new(advice, json_string(sentence)) == 0 ? 0 : RM_ENOMEM;
}

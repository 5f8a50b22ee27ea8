/* Which tool rolls, and along which axis (docs/scoring.md "Contacts, axis
 * and tool"): found per segment from the tool's contact itself, since a
 * mat may lie either way round and a massage ball moves in 2-D. */
#include <math.h>
#include <stdlib.h>

#include "an_internal.h"
#include "rm_stats.h"

/* A contact no more elongated than this (the ratio of its spreads across
 * and along) is compact: a ball's is about 1, a roller's band under a limb
 * 2 or more (a band some 50 mm wide under a limb 90-150 mm wide). */
#define AN_COMPACT_RATIO 1.4
/* Positions are compared this far apart in time for the travel: coarse
 * enough that sensor noise adds nothing to speak of. */
#define AN_TRAVEL_STEP_S 0.25
/* Less travel than this in a segment (mm) tells no axis: the shape does. */
#define AN_TRAVEL_MIN_MM 50.0

void an_classify_tool(const struct an_series *s, enum rm_tool *tool, enum rm_axis *axis)
{
    double travel_r = 0, travel_c = 0, last_t = -INFINITY, last_r = NAN, last_c = NAN;
    size_t cap = 4096, n = 0;
    float *ratio = malloc(cap * sizeof(float));
    float *along_r = malloc(cap * sizeof(float));
    for (int64_t i = 0; i < s->n; i++) {
        if (!s->loaded[i] || s->newtrack[i]) {
            last_r = NAN;
            if (!s->loaded[i])
                continue;
        }
        if (s->t[i] - last_t < AN_TRAVEL_STEP_S && isfinite(last_r))
            continue;
        /* A series made by hand (tests) has only the centre of pressure. */
        double r = isnan(s->trk_row[i]) ? s->cop_row[i] : s->trk_row[i];
        double c = isnan(s->trk_col[i]) ? s->cop_col[i] : s->trk_col[i];
        if (isfinite(last_r)) {
            travel_r += fabs(r - last_r);
            travel_c += fabs(c - last_c);
        }
        last_t = s->t[i];
        last_r = r;
        last_c = c;
        double a = s->sd_row[i], b = s->sd_col[i];
        if (ratio && along_r && n < cap && isfinite(a) && isfinite(b) && a > 0 && b > 0) {
            ratio[n] = (float)(a > b ? a / b : b / a);
            along_r[n++] = a < b ? 1.0f : 0.0f; /* narrow along the rows: rolls along them */
        }
    }
    double elong = n ? rm_median(ratio, n) : INFINITY, narrow_rows = n ? rm_median(along_r, n) : 1;
    free(ratio);
    free(along_r);
    if (elong < AN_COMPACT_RATIO) {
        *tool = RM_TOOL_BALL;
        *axis = RM_AXIS_2D;
        return;
    }
    *tool = RM_TOOL_ROLLER;
    enum rm_axis narrow = narrow_rows >= 0.5 ? RM_AXIS_ROWS : RM_AXIS_COLS;
    if (travel_r + travel_c < AN_TRAVEL_MIN_MM) {
        *axis = narrow;
        return;
    }
    *axis = travel_r >= travel_c ? RM_AXIS_ROWS : RM_AXIS_COLS;
    /* A roller's band is narrow along the way it rolls. A contact long
     * along the way it travels is a foot, its centre of pressure running
     * from heel to toe at every step (walking, running, an insole's
     * recording): no rolling. */
    if (*axis != narrow)
        *tool = RM_TOOL_NONE;
}

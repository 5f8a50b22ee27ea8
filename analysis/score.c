/* Scores (0..100) and advice of one segment; docs/scoring.md gives the
 * reasoning and the guidance behind every number here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "an_internal.h"
#include "rm_error.h"

/* Weights of the components in a segment's total (pressure's share goes to
 * the others, pro rata, when the recording is uncalibrated). Speed and holds
 * are what the guidance insists on; pressure and coverage refine. */
#define W_SPEED    0.35
#define W_HOLDS    0.35
#define W_PRESSURE 0.15
#define W_COVERAGE 0.15

static int clamp_score(double x)
{
    if (!(x > 0))
        return 0;
    if (x > 100)
        return 100;
    return (int)lround(x);
}

/* Credit 0..1 of one hold of d seconds against the target range: full
 * inside it, growing linearly up to it from hold_min_s (a shorter stop is a
 * pause, not a hold), and easing off above it down to one half at twice the
 * target's upper end (holding too long is the lesser fault). */
static double hold_credit(double d, const struct rm_profile *pf)
{
    if (d < pf->hold_min_s)
        return 0;
    if (d < pf->hold_target_min_s)
        return d / pf->hold_target_min_s;
    if (d <= pf->hold_target_max_s)
        return 1;
    double over = (d - pf->hold_target_max_s) / pf->hold_target_max_s;
    return over >= 1 ? 0.5 : 1 - 0.5 * over;
}

void an_score_segment(struct rm_segment *seg, const struct rm_profile *pf, bool calibrated)
{
    if (seg->tool == RM_TOOL_NONE) {
        /* No rolling: nothing to judge against rolling guidance. */
        seg->score = (struct rm_scores){RM_SCORE_NONE, RM_SCORE_NONE, RM_SCORE_NONE, RM_SCORE_NONE,
                                        RM_SCORE_NONE};
        return;
    }
    /* Speed: full credit for slow rolling, half for the middle band, none
     * for fast; no rolling at all is not slow rolling either. */
    double speed = 0;
    const struct rm_rolling *ro = &seg->rolling;
    if (ro->time_s > 0) {
        double mid = 1 - ro->fraction_slow - ro->fraction_fast;
        speed = 100 * (ro->fraction_slow + 0.5 * (mid > 0 ? mid : 0));
    }
    double holds = 0, sum = 0;
    size_t nh = 0;
    for (size_t i = 0; i < seg->npauses; i++)
        if (seg->pauses[i].hold) {
            sum += hold_credit(seg->pauses[i].duration_s, pf);
            nh++;
        }
    if (nh)
        holds = 100 * sum / (double)nh;
    double pressure = -1;
    if (calibrated) {
        double loaded = seg->loaded_s > 0 ? seg->loaded_s : 1;
        pressure = 100 * (1 - seg->pressure.over_limit_s / loaded);
    }
    /* Coverage without a reference (a muscle the table does not know,
     * rolled on one side only) is left out, its weight to the others. */
    bool has_cov = isfinite(seg->coverage.fraction);
    double coverage = has_cov ? 100 * seg->coverage.fraction : 0;
    seg->score.speed = clamp_score(speed);
    seg->score.holds = clamp_score(holds);
    seg->score.pressure = calibrated ? clamp_score(pressure) : RM_SCORE_NONE;
    seg->score.coverage = has_cov ? clamp_score(coverage) : RM_SCORE_NONE;
    double total, wsum = W_SPEED + W_HOLDS + (has_cov ? W_COVERAGE : 0);
    total = W_SPEED * speed + W_HOLDS * holds + (has_cov ? W_COVERAGE * coverage : 0);
    if (calibrated) {
        total += W_PRESSURE * pressure;
        wsum += W_PRESSURE;
    }
    seg->score.total = clamp_score(total / wsum);
}

void an_muscle_words(const char *label, char *out, size_t len)
{
    char buf[RM_EVENT_LABEL_LEN + 1];
    snprintf(buf, sizeof(buf), "%s", label);
    const char *side = NULL;
    size_t l = strlen(buf);
    if (l > 5 && strcmp(buf + l - 5, "-left") == 0) {
        side = "left";
        buf[l - 5] = 0;
    } else if (l > 6 && strcmp(buf + l - 6, "-right") == 0) {
        side = "right";
        buf[l - 6] = 0;
    }
    for (char *c = buf; *c; c++)
        if (*c == '-' || *c == '_')
            *c = ' ';
    if (strncmp(label, "segment-", 8) == 0)
        snprintf(out, len, "this muscle"); /* a made-up name means nothing to a runner */
    else if (side)
        snprintf(out, len, "your %s %s", side, buf);
    else
        snprintf(out, len, "your %s", buf);
}

struct tip {
    double weight; /* points of the total it would win back */
    size_t order;  /* ties: speed, holds, pressure, coverage */
    char text[320];
};

static int cmp_tip(const void *a, const void *b)
{
    const struct tip *x = a, *y = b;
    if (x->weight != y->weight)
        return (x->weight < y->weight) - (x->weight > y->weight);
    return (x->order > y->order) - (x->order < y->order);
}

int an_advice(struct rm_segment *seg, const struct rm_profile *pf, bool calibrated)
{
    const struct rm_rolling *ro = &seg->rolling;
    const struct rm_seg_pressure *pr = &seg->pressure;
    const struct rm_coverage *cov = &seg->coverage;
    struct tip tips[8];
    size_t n = 0;
    char who[RM_EVENT_LABEL_LEN + 16];
    an_muscle_words(seg->label, who, sizeof(who));
    double tmin = pf->hold_target_min_s, tmax = pf->hold_target_max_s;

    if (seg->tool == RM_TOOL_NONE) {
        /* analysis-output.md: one sentence, no judgement. */
        seg->advice = calloc(1, sizeof(*seg->advice));
        if (!seg->advice)
            return RM_ENOMEM;
        char text[320];
        snprintf(text, sizeof(text),
                 "Not judged: there was no rolling on %s (standing, walking or a press on the "
                 "mat); its pressures are described only.",
                 who);
        if (!(seg->advice[0] = strdup(text)))
            return RM_ENOMEM;
        seg->nadvice = 1;
        return 0;
    }

    if (ro->time_s > 0 && isfinite(ro->speed_median_mm_s) &&
        ro->speed_median_mm_s > pf->speed_slow_max_mm_s) {
        /* Rolling too fast undoes everything else: it comes first. */
        tips[n].weight = ro->speed_median_mm_s > pf->speed_fast_mm_s
                             ? W_SPEED * 100
                             : W_SPEED * (100 - seg->score.speed);
        snprintf(tips[n].text, sizeof(tips[n].text),
                 "Slow down: you rolled %s at %.0f mm/s; aim for under %.0f.", who,
                 ro->speed_median_mm_s, pf->speed_slow_max_mm_s);
        n++;
    } else if (ro->time_s > 0 && ro->fraction_fast > 0.1) {
        tips[n].weight = W_SPEED * (100 - seg->score.speed);
        snprintf(tips[n].text, sizeof(tips[n].text),
                 "Keep it slow all the way: %.0f %% of your rolling on %s was faster than %.0f "
                 "mm/s.",
                 100 * ro->fraction_fast, who, pf->speed_fast_mm_s);
        n++;
    }

    size_t nh = 0, nshort = 0, nlong = 0;
    double dsum = 0;
    for (size_t i = 0; i < seg->npauses; i++)
        if (seg->pauses[i].hold) {
            nh++;
            dsum += seg->pauses[i].duration_s;
            nshort += seg->pauses[i].duration_s < tmin;
            nlong += seg->pauses[i].duration_s > tmax;
        }
    if (nh == 0) {
        tips[n].weight = W_HOLDS * 100;
        snprintf(tips[n].text, sizeof(tips[n].text),
                 "Stop on tender spots: you never held still on %s; when a spot feels tight, "
                 "stay on it for %.0f-%.0f s.",
                 who, tmin, tmax);
        n++;
    } else if (nshort * 2 >= nh) {
        tips[n].weight = W_HOLDS * (100 - seg->score.holds);
        snprintf(tips[n].text, sizeof(tips[n].text),
                 "Hold longer: your holds on %s lasted %.0f s on average; stay on each tender "
                 "spot for %.0f-%.0f s.",
                 who, dsum / (double)nh, tmin, tmax);
        n++;
    } else if (nlong * 2 >= nh) {
        tips[n].weight = W_HOLDS * (100 - seg->score.holds);
        snprintf(tips[n].text, sizeof(tips[n].text),
                 "Shorter holds are enough: yours on %s lasted %.0f s on average; %.0f-%.0f s "
                 "does the job.",
                 who, dsum / (double)nh, tmin, tmax);
        n++;
    }

    if (calibrated && pr->over_limit_s >= 1) {
        tips[n].weight = W_PRESSURE * (100 - seg->score.pressure);
        snprintf(tips[n].text, sizeof(tips[n].text),
                 "Ease off: %s took up to %.0f kPa for %.0f s; keep under %.0f kPa by taking "
                 "some weight on your hands or other leg.",
                 who, pr->over_limit_kpa, pr->over_limit_s, pf->pressure_max_kpa);
        n++;
    }

    if (isfinite(cov->fraction) && cov->fraction < 0.8 && cov->ref_mm > 0) {
        tips[n].weight = W_COVERAGE * (100 - seg->score.coverage);
        if (cov->ref_label[0]) {
            char ref[RM_EVENT_LABEL_LEN + 16];
            an_muscle_words(cov->ref_label, ref, sizeof(ref));
            snprintf(tips[n].text, sizeof(tips[n].text),
                     "Roll the full length of the muscle: you covered %.0f mm of %s but %.0f mm "
                     "of %s.",
                     cov->rolled_mm, who, cov->ref_mm, ref);
        } else {
            snprintf(tips[n].text, sizeof(tips[n].text),
                     "Roll the full length of the muscle: you covered %.0f mm of %s, which is "
                     "typically about %.0f mm long.",
                     cov->rolled_mm, who, cov->ref_mm);
        }
        n++;
    }

    /* (over by half a kPa at least, so that the rounded figure shows it) */
    if (calibrated && pr->over_limit_s < 1 && pr->peak_kpa >= pf->pressure_max_kpa + 0.5) {
        /* The peak over the limit but the judged pressure under it: say
         * which is judged, lest the runner read the peak as a fault. */
        tips[n].weight = 0;
        snprintf(tips[n].text, sizeof(tips[n].text),
                 "Pressure is fine: the judged pressure, the average over the contact, stayed "
                 "under %.0f kPa on %s; the single highest sensel reached %.0f kPa, which is not "
                 "judged.",
                 pf->pressure_max_kpa, who, pr->peak_kpa);
        n++;
    }

    for (size_t i = 0; i < n; i++)
        tips[i].order = i;
    qsort(tips, n, sizeof(tips[0]), cmp_tip);
    seg->advice = calloc(n ? n : 1, sizeof(*seg->advice));
    if (!seg->advice)
        return RM_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!(seg->advice[i] = strdup(tips[i].text)))
            return RM_ENOMEM; /* the caller frees what was made */
        seg->nadvice++;
    }
    return 0;
}

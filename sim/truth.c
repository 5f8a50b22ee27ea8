/* The truth document (docs/simulator.md "Truth"): what the plan made
 * happen, measured on the same frame clock the recording has. */
#include <math.h>
#include <stdlib.h>

#include "rm_stats.h"
#include "sim_internal.h"

/* Mean force of the tool on the mat (and its mean position along and
 * across the roll axis) over the frames in [t0, t1). */
static void frame_means(const struct rm_sim *sim, double t0, double t1, double *force, double *pos,
                        double *lat)
{
    double rate = sim->mat.rate_hz, fsum = 0, psum = 0, lsum = 0;
    int64_t k0 = (int64_t)ceil(t0 * rate - 1e-6), k1 = (int64_t)ceil(t1 * rate - 1e-6), n = 0;
    size_t cursor = 0;
    if (k1 > sim->frames_sampled)
        k1 = sim->frames_sampled;
    for (int64_t k = k0; k < k1; k++, n++) {
        double t = (double)k / rate, p, l, f, fm;
        const struct sim_phase *ph = &sim->phases[sim_phase_at(sim, t, &cursor)];
        sim_roller(sim, ph, t, &p, &l, &f, &fm);
        fsum += fm;
        psum += isfinite(p) ? p : 0;
        lsum += isfinite(l) ? l : 0;
    }
    *force = n ? fsum / (double)n : 0;
    if (pos)
        *pos = n ? psum / (double)n : NAN;
    if (lat)
        *lat = n ? lsum / (double)n : NAN;
}

void sim_truth_measure(struct rm_sim *sim)
{
    for (size_t i = 0; i < sim->nsegs; i++) {
        struct sim_segment *s = &sim->segs[i];
        frame_means(sim, s->t_loaded0, s->t_loaded1, &s->force_mean, NULL, NULL);
        for (size_t j = 0; j < s->npauses; j++) {
            struct sim_pause *p = &s->pauses[j];
            frame_means(sim, p->t0, p->t1, &p->force_mean, &p->pos_mean, &p->lat_mean);
        }
    }
}

/* Times to the microsecond, lengths to the micrometre: what the frame clock
 * and the plan can mean, without float noise in the JSON. */
static json_t *num(double v, double unit)
{
    return json_real(round(v / unit) * unit);
}

/* Duration-weighted median of the speeds of the given strokes' parts (all
 * of a segment, or one blended stroke): the speed the roller ran at for
 * most of the time. NAN without parts. */
static double speed_median(const struct sim_stroke *strokes, size_t n)
{
    size_t nparts = 0;
    for (size_t i = 0; i < n; i++)
        nparts += (size_t)strokes[i].nparts;
    if (!nparts)
        return NAN;
    double *pairs = malloc(2 * nparts * sizeof(double)), total = 0;
    if (!pairs)
        return NAN;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (int j = 0; j < strokes[i].nparts; j++, k++) {
            pairs[2 * k] = strokes[i].part_speed[j];
            pairs[2 * k + 1] = strokes[i].part_len[j];
            total += pairs[2 * k + 1];
        }
    qsort(pairs, nparts, 2 * sizeof(double), rm_cmp_double);
    double acc = 0, med = pairs[0];
    for (size_t i = 0; i < nparts; i++) {
        acc += pairs[2 * i + 1];
        med = pairs[2 * i];
        if (acc >= total / 2)
            break;
    }
    free(pairs);
    return med;
}

/* One back-and-forth cycle of the rhythm strokes (`rolls`): the median
 * stroke of a rhythm lasts half a cycle. */
static double cadence(const struct sim_segment *s)
{
    double *len = malloc((s->nstrokes + 1) * sizeof(double));
    size_t n = 0;
    if (!len)
        return NAN;
    for (size_t i = 0; i < s->nstrokes; i++)
        if (s->strokes[i].rhythm)
            len[n++] = s->strokes[i].t1 - s->strokes[i].t0;
    double c = NAN;
    if (n >= 2) {
        qsort(len, n, sizeof(double), rm_cmp_double);
        c = 1.0 / (2.0 * len[n / 2]);
    }
    free(len);
    return c;
}

static json_t *area_json(const double a[4])
{
    json_t *arr = json_array();
    for (int i = 0; i < 4; i++)
        json_array_append_new(arr, num(a[i], 1e-3));
    return arr;
}

/* A point along (x) and across (y) the roll axis as [row_mm, col_mm], the
 * analysis output's position_xy_mm. */
static json_t *xy_json(const struct rm_sim *sim, double x, double y)
{
    return sim->mat.axis_cols ? json_pack("[o, o]", num(y, 1e-3), num(x, 1e-3))
                              : json_pack("[o, o]", num(x, 1e-3), num(y, 1e-3));
}

static json_t *touch_json(const struct rm_sim *sim, const struct sim_touch *tc)
{
    return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}", "kind", tc->kind, "t_start",
                     num(tc->t0, 1e-6), "t_end", num(tc->t1, 1e-6), "position_xy_mm",
                     xy_json(sim, tc->x, tc->y), "force_n", num(tc->force_n, 1e-3), "size_mm",
                     num(tc->size_mm, 1e-3));
}

static json_t *segment_json(const struct rm_sim *sim, const struct sim_segment *s)
{
    json_t *strokes = json_array(), *pauses = json_array(), *hes = json_array(),
           *others = json_array();
    bool ball = s->tool == TOOL_BALL;
    for (size_t i = 0; i < s->nstrokes; i++) {
        const struct sim_stroke *st = &s->strokes[i];
        json_array_append_new(strokes,
                              json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "t_start",
                                        num(st->t0, 1e-6), "t_end", num(st->t1, 1e-6), "from_mm",
                                        num(st->from, 1e-3), "to_mm", num(st->to, 1e-3),
                                        "from_xy_mm", xy_json(sim, st->from, st->lat_from),
                                        "to_xy_mm", xy_json(sim, st->to, st->lat_to), "speed_mm_s",
                                        num(speed_median(st, 1), 1e-3), "rhythm", st->rhythm));
    }
    for (size_t i = 0; i < s->npauses; i++) {
        const struct sim_pause *p = &s->pauses[i];
        json_array_append_new(
            pauses, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "t_start", num(p->t0, 1e-6),
                              "t_end", num(p->t1, 1e-6), "duration_s", num(p->t1 - p->t0, 1e-6),
                              "position_mm", num(p->pos_mean, 1e-3), "position_xy_mm",
                              xy_json(sim, p->pos_mean, p->lat_mean), "position_commanded_mm",
                              num(p->pos_cmd, 1e-3), "mean_force_n", num(p->force_mean, 1e-3)));
    }
    for (size_t i = 0; i < s->nhesitations; i++) {
        const struct sim_hesitation *h = &s->hesitations[i];
        json_array_append_new(hes, json_pack("{s:o, s:o, s:o, s:o}", "t_start", num(h->t0, 1e-6),
                                             "t_end", num(h->t1, 1e-6), "duration_s",
                                             num(h->t1 - h->t0, 1e-6), "position_mm",
                                             num(h->pos, 1e-3)));
    }
    for (size_t i = 0; i < sim->ntouches; i++) {
        const struct sim_touch *tc = &sim->touches[i];
        if (tc->t1 > tc->t0 && tc->t0 < s->t_end && tc->t1 > s->t_start)
            json_array_append_new(others, touch_json(sim, tc));
    }
    double med = speed_median(s->strokes, s->nstrokes), cad = cadence(s);
    json_t *o = json_pack(
        "{s:s, s:o, s:o, s:o, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "label",
        s->label, "t_start", num(s->t_start, 1e-6), "t_end", num(s->t_end, 1e-6), "label_t",
        num(s->label_t, 1e-6), "events", s->events, "loaded_t_start", num(s->t_loaded0, 1e-6),
        "loaded_t_end", num(s->t_loaded1, 1e-6), "strokes", strokes, "pauses", pauses,
        "speed_median_mm_s", isfinite(med) ? num(med, 1e-3) : json_null(), "cadence_hz",
        isfinite(cad) ? num(cad, 1e-6) : json_null(), "mean_force_n", num(s->force_mean, 1e-3),
        "share", num(s->share, 1e-6), "lateral_mm", num(s->lateral_mm, 1e-3), "width_mm",
        num(s->width_mm, 1e-3));
    if (!o)
        return NULL;
    json_object_set_new(o, "tool", json_string(ball ? "ball" : "roller"));
    json_object_set_new(o, "axis", json_string(ball ? "2d" : sim->mat.axis_cols ? "cols" : "rows"));
    json_object_set_new(o, "legs", json_integer(s->legs));
    json_object_set_new(o, "spacing_mm", num(s->spacing_mm, 1e-3));
    json_object_set_new(o, "hesitations", hes);
    json_object_set_new(o, "other_contacts", others);
    return o;
}

json_t *rm_sim_truth_json(const struct rm_sim *sim)
{
    const struct sim_mat_params *m = &sim->mat;
    size_t n = (size_t)m->rows * (size_t)m->cols;
    json_t *dead = json_array(), *segs = json_array(), *marks = json_array(), *loads = json_array();
    for (size_t i = 0; i < n; i++)
        if (sim->dead[i])
            json_array_append_new(
                dead, json_pack("[i, i]", (int)(i / (size_t)m->cols), (int)(i % (size_t)m->cols)));
    json_t *mat = json_pack("{s:i, s:i, s:o, s:o, s:i, s:i, s:s, s:o, s:o, s:o}", "rows", m->rows,
                            "cols", m->cols, "pitch_row_mm", num(sim->pitch_row_mm, 1e-3),
                            "pitch_col_mm", num(sim->pitch_col_mm, 1e-3), "rate_hz", m->rate_hz,
                            "adc_bits", m->adc_bits, "serial", m->serial, "dead", dead, "curve_a",
                            json_real(sim->curve_a), "curve_b", json_real(sim->curve_b));
    if (mat) {
        json_object_set_new(mat, "axis", json_string(m->axis_cols ? "cols" : "rows"));
        json_object_set_new(mat, "creep", num(m->creep, 1e-6));
        json_object_set_new(mat, "creep_tau_s", num(m->creep_tau_s, 1e-6));
        json_object_set_new(mat, "drift_per_min", num(m->drift_per_min, 1e-6));
        json_object_set_new(mat, "ghost", num(m->ghost, 1e-6));
    }
    json_t *others = json_array();
    for (size_t i = 0; i < sim->ntouches; i++)
        if (sim->touches[i].t1 > sim->touches[i].t0)
            json_array_append_new(others, touch_json(sim, &sim->touches[i]));
    for (size_t i = 0; i < sim->nsegs; i++)
        json_array_append_new(segs, segment_json(sim, &sim->segs[i]));
    for (size_t i = 0; i < sim->nmarks; i++)
        json_array_append_new(marks, json_pack("{s:o, s:s}", "t", num(sim->marks[i].t, 1e-6),
                                               "text", sim->marks[i].text));
    for (size_t i = 0; i < sim->nloads; i++) {
        const struct sim_load *l = &sim->loads[i];
        json_t *o = json_pack("{s:o, s:o, s:s, s:o, s:o, s:o}", "t_start", num(l->t0, 1e-6),
                              "t_end", num(l->t1, 1e-6), "kind", l->mass ? "mass" : "uniform",
                              "force_n", num(l->force_n, 1e-3), "kpa", num(l->kpa, 1e-6), "area_mm",
                              area_json(l->area));
        if (o && l->mass)
            json_object_set_new(o, "kg", num(l->kg, 1e-6));
        json_array_append_new(loads, o);
    }
    return json_pack("{s:s, s:I, s:o, s:I, s:I, s:o, s:o, s:o, s:o, s:o}", "plan", sim->plan_name,
                     "seed", (json_int_t)sim->seed, "mat", mat, "frames",
                     (json_int_t)(sim->frames_sampled - sim->frames_dropped), "frames_dropped",
                     (json_int_t)sim->frames_dropped, "duration_s", num(sim->duration_s, 1e-6),
                     "segments", segs, "marks", marks, "loads", loads, "other_contacts", others);
}

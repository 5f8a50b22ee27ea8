/* Compiles a plan into a timeline: phases with exact start and end times,
 * and, alongside, the truth (segments, strokes, pauses, marks, loads) and
 * the events, all known before a single frame is drawn. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rm_error.h"
#include "sim_internal.h"

/* A person settling onto the roller or getting off takes about a second. */
#define ON_OFF_S 1.0
/* Stroke ends: the speed ramps smoothly to and from the commanded speed in
 * this time (a human reverses in 0.2-0.3 s). */
#define RAMP_S 0.25

struct builder {
    struct rm_sim *sim;
    struct sim_rng *rng;
    size_t cap_phases, cap_events, cap_marks, cap_loads, cap_drops, cap_touches;
    double t, pos, lat, mass_kg;
    /* The roller's speed as the last phase ends: 0 but where that stroke
     * blends into the next one. */
    double v;
    bool events_on;
    int seg; /* open segment or -1 */
    const struct rm_sim_plan *plan;
    size_t ci; /* the command being compiled */
};

/* Grows *arr (of *n elements of size sz, capacity *cap) by one zeroed
 * element; returns it or NULL without memory. */
static void *push(void **arr, size_t *n, size_t *cap, size_t sz)
{
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 16;
        void *a = realloc(*arr, c * sz);
        if (!a)
            return NULL;
        *arr = a;
        *cap = c;
    }
    void *e = (char *)*arr + (*n)++ * sz;
    memset(e, 0, sz);
    return e;
}

static struct sim_phase *add_phase(struct builder *b, enum sim_phase_kind kind, double len)
{
    struct rm_sim *sim = b->sim;
    struct sim_phase *ph = push((void **)&sim->phases, &sim->nphases, &b->cap_phases, sizeof(*ph));
    if (!ph)
        return NULL;
    ph->kind = kind;
    ph->t0 = b->t;
    ph->t1 = b->t + len;
    ph->seg = b->seg;
    ph->pos = b->pos;
    ph->lat = b->lat;
    b->t = ph->t1;
    if (kind != PH_MOVE)
        b->v = 0;
    return ph;
}

static int add_event_at(struct builder *b, double t, const char *kind, const char *label)
{
    struct rm_sim *sim = b->sim;
    struct rm_sim_event *e = push((void **)&sim->events, &sim->nevents, &b->cap_events, sizeof(*e));
    if (!e)
        return RM_ENOMEM;
    e->t = t;
    snprintf(e->kind, sizeof(e->kind), "%s", kind);
    snprintf(e->label, sizeof(e->label), "%s", label);
    return 0;
}

static int add_event(struct builder *b, const char *kind, const char *label)
{
    return add_event_at(b, b->t, kind, label);
}

static struct sim_segment *cur_seg(struct builder *b)
{
    assert(b->seg >= 0);
    return &b->sim->segs[b->seg];
}

static void add_part(struct sim_stroke *st, double speed, double len)
{
    /* A chain longer than the parts kept folds into the last part. */
    int i = st->nparts < SIM_STROKE_PARTS ? st->nparts++ : SIM_STROKE_PARTS - 1;
    if (i == SIM_STROKE_PARTS - 1 && st->part_len[i] > 0) {
        st->part_speed[i] = st->part_len[i] > len ? st->part_speed[i] : speed;
        st->part_len[i] += len;
        return;
    }
    st->part_speed[i] = speed;
    st->part_len[i] = len;
}

/* Whether a move by (dx2, dy2) carries on the way of one by (dx1, dy1): for
 * a roller along the roll axis, for a ball on the same straight line. */
static bool same_way(const struct builder *b, double dx1, double dy1, double dx2, double dy2)
{
    if (b->seg < 0 || b->sim->segs[b->seg].tool != TOOL_BALL)
        return dx1 * dx2 > 0;
    double dot = dx1 * dx2 + dy1 * dy2, cross = dx1 * dy2 - dy1 * dx2;
    return dot > 0 && fabs(cross) <= 1e-6 * hypot(dx1, dy1) * hypot(dx2, dy2);
}

static int add_stroke(struct builder *b, double from, double to, double lat_from, double lat_to,
                      double speed, double t0, double t1, bool rhythm)
{
    struct sim_segment *s = cur_seg(b);
    if (s->nstrokes > 0) {
        /* Blended into the previous stroke: the same pass goes on. */
        struct sim_stroke *last = &s->strokes[s->nstrokes - 1];
        if (fabs(last->t1 - t0) < 1e-9 &&
            same_way(b, last->to - last->from, last->lat_to - last->lat_from, to - from,
                     lat_to - lat_from) &&
            fabs(last->to - from) < 1e-9 && fabs(last->lat_to - lat_from) < 1e-9) {
            last->t1 = t1;
            last->to = to;
            last->lat_to = lat_to;
            last->rhythm |= rhythm;
            add_part(last, speed, t1 - t0);
            return 0;
        }
    }
    struct sim_stroke *st = realloc(s->strokes, (s->nstrokes + 1) * sizeof(*st));
    if (!st)
        return RM_ENOMEM;
    s->strokes = st;
    st = &st[s->nstrokes++];
    memset(st, 0, sizeof(*st));
    *st = (struct sim_stroke){.t0 = t0,
                              .t1 = t1,
                              .from = from,
                              .to = to,
                              .lat_from = lat_from,
                              .lat_to = lat_to,
                              .rhythm = rhythm};
    add_part(st, speed, t1 - t0);
    return 0;
}

/* A y of NAN in a command: where the tool is across the roll axis. */
static double or_lat(double y, double lat)
{
    return isnan(y) ? lat : y;
}

/* The speed of the next stroke if it carries on from (x, y) the way (dx,
 * dy) goes (nothing but marks, drops, body, events and touch commands in
 * between), else 0: a person changes speed there without stopping. */
static double next_speed_same_way(const struct builder *b, double x, double y, double dx, double dy)
{
    for (size_t i = b->ci + 1; i < b->plan->ncmds; i++) {
        const struct sim_cmd *c = &b->plan->cmds[i];
        double ex, ey;
        switch (c->kind) {
        case CMD_MARK:
        case CMD_DROP:
        case CMD_BODY:
        case CMD_EVENTS:
        case CMD_TOUCH:
            continue;
        case CMD_ROLL:
            ex = c->v[0] - x;
            ey = or_lat(c->v[2], y) - y;
            return same_way(b, dx, dy, ex, ey) ? c->v[1] : 0;
        case CMD_ROLLS: {
            /* Its first stroke goes to FROM, or from FROM to TO. */
            double fx = c->v[0], fy = or_lat(c->v[4], y);
            if (fabs(x - fx) >= 1.0 || fabs(y - fy) >= 1.0) {
                ex = fx - x;
                ey = fy - y;
            } else {
                ex = c->v[1] - fx;
                ey = or_lat(c->v[5], fy) - fy;
            }
            return same_way(b, dx, dy, ex, ey) ? c->v[2] : 0;
        }
        default:
            return 0;
        }
    }
    return 0;
}

/* Rolls from where the tool is to (to, lat_to): a roller's path runs along
 * the roll axis (the body may drift across meanwhile), a ball's in 2-D. */
static int move(struct builder *b, double to, double lat_to, double speed, bool rhythm,
                double v_out)
{
    double from = b->pos, lat_from = b->lat, v_in = b->v;
    bool ball = cur_seg(b)->tool == TOOL_BALL;
    double dist = ball ? hypot(to - from, lat_to - lat_from) : fabs(to - from);
    if (dist < 1e-9)
        return 0;
    /* Cosine speed ramps of RAMP_S from v_in to speed and from speed to
     * v_out (none where they are equal); a stroke too short for both
     * shortens them in proportion and never runs at full speed. */
    double ramp_in = v_in == speed ? 0 : RAMP_S, ramp_out = v_out == speed ? 0 : RAMP_S;
    double d_in = ramp_in * (v_in + speed) / 2, d_out = ramp_out * (speed + v_out) / 2;
    if (d_in + d_out > dist) {
        double k = dist / (d_in + d_out);
        ramp_in *= k;
        ramp_out *= k;
        d_in *= k;
        d_out *= k;
    }
    double t0 = b->t;
    struct sim_phase *ph =
        add_phase(b, PH_MOVE, ramp_in + ramp_out + (dist - d_in - d_out) / speed);
    if (!ph)
        return RM_ENOMEM;
    ph->from = from;
    ph->to = to;
    ph->lat_from = lat_from;
    ph->lat_to = lat_to;
    ph->path = dist;
    ph->speed = speed;
    ph->v_in = v_in;
    ph->v_out = v_out;
    ph->ramp_in = ramp_in;
    ph->ramp_out = ramp_out;
    b->pos = to;
    b->lat = lat_to;
    b->v = v_out;
    return add_stroke(b, from, to, lat_from, lat_to, speed, t0, b->t, rhythm);
}

static int pause_here(struct builder *b, double len)
{
    struct rm_sim *sim = b->sim;
    struct sim_segment *s = cur_seg(b);
    /* Two pause commands in a row are one stop of the roller. */
    bool joined = s->npauses > 0 && sim->nphases > 0 &&
                  sim->phases[sim->nphases - 1].kind == PH_STILL &&
                  fabs(s->pauses[s->npauses - 1].t1 - b->t) < 1e-9;
    struct sim_phase *ph = add_phase(b, PH_STILL, len);
    if (!ph)
        return RM_ENOMEM;
    /* A person holding still sways slowly: two sines, under 2 mm together
     * and under about 3 mm/s even while fading in and out. */
    ph->wob_amp[0] = sim_rng_range(b->rng, 0.6, 1.2);
    ph->wob_f[0] = sim_rng_range(b->rng, 0.06, 0.12);
    ph->wob_ph[0] = sim_rng_range(b->rng, 0, 2 * M_PI);
    ph->wob_amp[1] = sim_rng_range(b->rng, 0.2, 0.5);
    ph->wob_f[1] = sim_rng_range(b->rng, 0.15, 0.25);
    ph->wob_ph[1] = sim_rng_range(b->rng, 0, 2 * M_PI);
    if (joined) {
        s->pauses[s->npauses - 1].t1 = ph->t1;
        return 0;
    }
    struct sim_pause *p = realloc(s->pauses, (s->npauses + 1) * sizeof(*p));
    if (!p)
        return RM_ENOMEM;
    s->pauses = p;
    p[s->npauses++] =
        (struct sim_pause){.t0 = ph->t0, .t1 = ph->t1, .pos_cmd = b->pos, .lat_cmd = b->lat};
    return 0;
}

/* A short stop without sway: under pause_min_s, so not a pause. */
static int hesitate(struct builder *b, double len)
{
    struct sim_segment *s = cur_seg(b);
    struct sim_phase *ph = add_phase(b, PH_STILL, len);
    if (!ph)
        return RM_ENOMEM;
    struct sim_hesitation *h = realloc(s->hesitations, (s->nhesitations + 1) * sizeof(*h));
    if (!h)
        return RM_ENOMEM;
    s->hesitations = h;
    h[s->nhesitations++] = (struct sim_hesitation){.t0 = ph->t0, .t1 = ph->t1, .pos = b->pos};
    return 0;
}

static int add_touch(struct builder *b, const struct sim_cmd *c)
{
    struct rm_sim *sim = b->sim;
    struct sim_touch *tc =
        push((void **)&sim->touches, &sim->ntouches, &b->cap_touches, sizeof(*tc));
    if (!tc)
        return RM_ENOMEM;
    memcpy(tc->kind, c->text, sizeof(tc->kind));
    tc->x = c->v[0];
    tc->y = c->v[1];
    tc->t0 = b->t + c->v[3];
    tc->t1 = tc->t0 + c->v[2];
    tc->force_n = c->v[4];
    tc->size_mm = c->v[5];
    return 0;
}

static int start_segment(struct builder *b, const struct sim_cmd *c)
{
    struct rm_sim *sim = b->sim;
    struct sim_segment *s = realloc(sim->segs, (sim->nsegs + 1) * sizeof(*s));
    if (!s)
        return RM_ENOMEM;
    sim->segs = s;
    s = &sim->segs[sim->nsegs];
    memset(s, 0, sizeof(*s));
    snprintf(s->label, sizeof(s->label), "%s", c->text);
    s->events = b->events_on;
    s->share = c->v[0];
    s->lateral_mm = c->v[1];
    s->width_mm = c->v[2];
    s->tool = c->v[3] != 0 ? TOOL_BALL : TOOL_ROLLER;
    s->legs = (int)c->v[4];
    s->spacing_mm = c->v[5];
    s->mass_kg = b->mass_kg;
    s->t_start = b->t;
    s->label_t = b->t + c->v[6];
    b->seg = (int)sim->nsegs++;
    b->lat = s->lateral_mm;
    if (s->events) {
        /* A late label (label_late_s): the segment_start event comes after
         * the person got on, as a `rollmat muscle` typed late does. */
        int rc = add_event_at(b, s->label_t, "segment_start", s->label);
        if (rc)
            return rc;
    }
    if (!add_phase(b, PH_ON, ON_OFF_S))
        return RM_ENOMEM;
    s->t_loaded0 = b->t;
    return 0;
}

/* Ends the open segment; `said` false: no segment_end event (`end
 * silent`: nobody said the muscle was done, as when the next `rollmat
 * muscle` is typed late). */
static int end_segment(struct builder *b, bool said)
{
    struct sim_segment *s = cur_seg(b);
    s->t_loaded1 = b->t;
    if (!add_phase(b, PH_OFF, ON_OFF_S))
        return RM_ENOMEM;
    s->t_end = b->t;
    b->seg = -1;
    return s->events && said ? add_event(b, "segment_end", s->label) : 0;
}

static int add_load(struct builder *b, const struct sim_cmd *c)
{
    struct rm_sim *sim = b->sim;
    bool mass = c->kind == CMD_MASS;
    struct sim_phase *ph = add_phase(b, mass ? PH_MASS : PH_UNIFORM, c->v[1]);
    struct sim_load *l = push((void **)&sim->loads, &sim->nloads, &b->cap_loads, sizeof(*l));
    if (!ph || !l)
        return RM_ENOMEM;
    l->t0 = ph->t0;
    l->t1 = ph->t1;
    l->mass = mass;
    if (mass) {
        double area_mm2 = (c->v[4] - c->v[2]) * (c->v[5] - c->v[3]);
        memcpy(ph->area, &c->v[2], sizeof(ph->area));
        memcpy(l->area, &c->v[2], sizeof(l->area));
        ph->kg = l->kg = c->v[0];
        l->force_n = c->v[0] * SIM_G;
        /* N / mm^2 is MPa: * 1000 for kPa. */
        ph->kpa = l->kpa = l->force_n / area_mm2 * 1000.0;
    } else {
        ph->kpa = l->kpa = c->v[0];
        double area_mm2 = sim->mat.rows * sim->pitch_row_mm * sim->mat.cols * sim->pitch_col_mm;
        l->force_n = c->v[0] * area_mm2 / 1000.0;
        l->area[0] = -sim->pitch_row_mm / 2;
        l->area[1] = -sim->pitch_col_mm / 2;
        l->area[2] = l->area[0] + sim->mat.rows * sim->pitch_row_mm;
        l->area[3] = l->area[1] + sim->mat.cols * sim->pitch_col_mm;
    }
    return 0;
}

static int add_drop(struct builder *b, int64_t n)
{
    struct rm_sim *sim = b->sim;
    int64_t k0 = (int64_t)ceil(b->t * sim->mat.rate_hz - 1e-6);
    if (sim->ndrops > 0) {
        struct sim_drop *last = &sim->drops[sim->ndrops - 1];
        if (k0 <= last->k0 + last->n) {
            last->n = k0 + n - last->k0 > last->n ? k0 + n - last->k0 : last->n;
            return 0;
        }
    }
    struct sim_drop *d = push((void **)&sim->drops, &sim->ndrops, &b->cap_drops, sizeof(*d));
    if (!d)
        return RM_ENOMEM;
    d->k0 = k0;
    d->n = n;
    return 0;
}

static int compile(struct builder *b, const struct sim_cmd *c)
{
    struct rm_sim *sim = b->sim;
    switch (c->kind) {
    case CMD_BODY:
        b->mass_kg = c->v[0];
        return 0;
    case CMD_EVENTS:
        b->events_on = c->v[0] != 0;
        return 0;
    case CMD_IDLE:
        return add_phase(b, PH_IDLE, c->v[0]) ? 0 : RM_ENOMEM;
    case CMD_MUSCLE:
        if (b->seg >= 0) {
            int rc = end_segment(b, true);
            if (rc)
                return rc;
        }
        return start_segment(b, c);
    case CMD_AT:
        b->pos = c->v[0];
        b->lat = or_lat(c->v[1], b->lat);
        /* Placed right after getting on: the person got on there. */
        if (sim->nphases && sim->phases[sim->nphases - 1].kind == PH_ON) {
            sim->phases[sim->nphases - 1].pos = b->pos;
            sim->phases[sim->nphases - 1].lat = b->lat;
        }
        return 0;
    case CMD_ROLL: {
        double to = c->v[0], lat_to = or_lat(c->v[2], b->lat);
        double v_out = next_speed_same_way(b, to, lat_to, to - b->pos, lat_to - b->lat);
        return move(b, to, lat_to, c->v[1], false, v_out);
    }
    case CMD_ROLLS: {
        double from = c->v[0], to = c->v[1], speed = c->v[2], spread = c->v[6];
        double lat_from = or_lat(c->v[4], b->lat), lat_to = or_lat(c->v[5], lat_from);
        int count = (int)c->v[3], rc = 0;
        if (fabs(b->pos - from) >= 1.0 || fabs(b->lat - lat_from) >= 1.0) {
            /* Getting to FROM blends into the first stroke if it goes on
             * the same way. */
            bool same = same_way(b, from - b->pos, lat_from - b->lat, to - from, lat_to - lat_from);
            rc = move(b, from, lat_from, speed, false, same ? speed : 0);
        }
        for (int i = 0; i < count && !rc; i++) {
            double tx = i % 2 ? from : to, ty = i % 2 ? lat_from : lat_to;
            /* A person's strokes differ: each its own speed within
             * +-spread of the rhythm's (drawn only when asked for, so a plan
             * without spread plays as it always did). */
            double v = spread > 0 ? speed * (1 + spread * sim_rng_range(b->rng, -1, 1)) : speed;
            double v_out =
                i + 1 < count ? 0 : next_speed_same_way(b, tx, ty, tx - b->pos, ty - b->lat);
            rc = move(b, tx, ty, v, true, v_out);
        }
        return rc;
    }
    case CMD_HESITATE:
        return hesitate(b, c->v[0]);
    case CMD_TOUCH:
        return add_touch(b, c);
    case CMD_PAUSE:
        return pause_here(b, c->v[0]);
    case CMD_END:
        return end_segment(b, c->v[0] == 0);
    case CMD_MARK: {
        struct sim_mark *m = push((void **)&sim->marks, &sim->nmarks, &b->cap_marks, sizeof(*m));
        if (!m)
            return RM_ENOMEM;
        m->t = b->t;
        memcpy(m->text, c->text, sizeof(m->text));
        return add_event(b, "mark", c->text);
    }
    case CMD_DROP:
        return add_drop(b, (int64_t)c->v[0]);
    case CMD_UNIFORM:
    case CMD_MASS:
        return add_load(b, c);
    }
    return RM_EUSAGE;
}

int sim_timeline_build(struct rm_sim *sim, const struct rm_sim_plan *plan, struct sim_rng *rng)
{
    double along = sim->mat.axis_cols ? (sim->mat.cols - 1) * sim->pitch_col_mm
                                      : (sim->mat.rows - 1) * sim->pitch_row_mm;
    struct builder b = {
        .sim = sim,
        .rng = rng,
        .pos = along / 2,
        .mass_kg = 70.0,
        .events_on = true,
        .seg = -1,
        .plan = plan,
    };
    int rc = 0;
    for (b.ci = 0; b.ci < plan->ncmds && !rc; b.ci++)
        rc = compile(&b, &plan->cmds[b.ci]);
    /* A plan that stops with someone on the roller: they step off. */
    if (!rc && b.seg >= 0)
        rc = end_segment(&b, true);
    if (rc)
        return rc;
    sim->duration_s = b.t;
    /* Late labels and touches reach past later commands: events in time
     * order (stable: events at one moment keep the plan's order), touches
     * cut at the plan's end. */
    for (size_t i = 1; i < sim->nevents; i++) {
        struct rm_sim_event e = sim->events[i];
        size_t j = i;
        for (; j > 0 && sim->events[j - 1].t > e.t; j--)
            sim->events[j] = sim->events[j - 1];
        sim->events[j] = e;
    }
    for (size_t i = 0; i < sim->ntouches; i++)
        sim->touches[i].t1 = fmin(sim->touches[i].t1, b.t);
    /* Frame k is at k / rate; the plan covers [0, duration). */
    sim->frames_sampled = (int64_t)ceil(b.t * sim->mat.rate_hz - 1e-6);
    if (sim->frames_sampled < 1)
        sim->frames_sampled = 1;
    sim->frames_dropped = 0;
    size_t keep = 0;
    for (size_t i = 0; i < sim->ndrops; i++) {
        struct sim_drop d = sim->drops[i];
        if (d.k0 >= sim->frames_sampled)
            continue;
        if (d.k0 + d.n > sim->frames_sampled)
            d.n = sim->frames_sampled - d.k0;
        sim->drops[keep++] = d;
        sim->frames_dropped += d.n;
    }
    sim->ndrops = keep;
    return 0;
}

void sim_timeline_free(struct rm_sim *sim)
{
    for (size_t i = 0; i < sim->nsegs; i++) {
        free(sim->segs[i].strokes);
        free(sim->segs[i].pauses);
        free(sim->segs[i].hesitations);
    }
    free(sim->touches);
    free(sim->segs);
    free(sim->phases);
    free(sim->loads);
    free(sim->marks);
    free(sim->drops);
    free(sim->events);
}

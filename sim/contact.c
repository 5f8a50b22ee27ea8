/* The contacts on the simulated mat (docs/simulator.md "The model"): where
 * the tool is at any time, and every contact as a separable elliptic
 * pressure profile: a roller's Hertz band along the roll axis times the
 * limb (or two legs) across it, a ball's small round contact, a hand or
 * knee put down. Each sensel gets the exact mean over its area (the
 * profiles' integrals are closed-form). */
#include <assert.h>
#include <math.h>

#include "sim_internal.h"

/* A foam roller under a third of a 70 kg person (about 230 N) touches the
 * mat along a band about 50 mm wide; Hertz contact of a cylinder widens it
 * with the square root of the load. */
#define BAND_REF_FORCE_N  230.0
#define BAND_REF_WIDTH_MM 50.0
#define BAND_MIN_HALF_MM  3.0
#define BAND_MAX_HALF_MM  40.0
/* A massage or lacrosse ball (60-70 mm) under about 230 N flattens to a
 * contact about 40 mm across; a sphere's Hertz contact grows with the cube
 * root of the load. */
#define BALL_REF_WIDTH_MM 40.0
/* A hand or knee is put down and lifted over about 0.2 s. */
#define TOUCH_RAMP_S 0.2

static double smoothstep(double x)
{
    x = x < 0 ? 0 : x > 1 ? 1 : x;
    return x * x * (3 - 2 * x);
}

/* The share of an elliptic (Hertz) pressure profile sqrt(1 - u^2) on
 * [-1, 1] that lies below u. */
static double elliptic_cdf(double u)
{
    if (u <= -1)
        return 0;
    if (u >= 1)
        return 1;
    return 0.5 + (u * sqrt(1 - u * u) + asin(u)) / M_PI;
}

/* Distance covered r seconds into a cosine ramp of length ta from speed v0
 * to v1. */
static double ramp_distance(double r, double ta, double v0, double v1)
{
    if (ta <= 0)
        return 0;
    return v0 * r + (v1 - v0) / 2 * (r - ta / M_PI * sin(M_PI * r / ta));
}

/* The fraction of a move's path covered at t. */
static double move_fraction(const struct sim_phase *ph, double t)
{
    double tau = t - ph->t0, len = ph->t1 - ph->t0, v = ph->speed, dist = ph->path;
    double s;
    tau = tau < 0 ? 0 : tau > len ? len : tau;
    if (tau < ph->ramp_in)
        s = ramp_distance(tau, ph->ramp_in, ph->v_in, v);
    else if (tau > len - ph->ramp_out)
        /* The end ramp, measured back from the end. */
        s = dist - ramp_distance(len - tau, ph->ramp_out, ph->v_out, v);
    else
        s = ramp_distance(ph->ramp_in, ph->ramp_in, ph->v_in, v) + v * (tau - ph->ramp_in);
    return dist > 0 ? s / dist : 1;
}

static double wobble(const struct sim_phase *ph, double t)
{
    double tau = t - ph->t0, len = ph->t1 - ph->t0;
    /* Faded in and out over up to 2 s so the roller leaves the spot from
     * where it stopped. */
    double fade_len = fmin(2.0, len / 2);
    double fade = smoothstep(tau / fade_len) * smoothstep((len - tau) / fade_len);
    double w = 0;
    for (int i = 0; i < 2; i++)
        w += ph->wob_amp[i] * sin(2 * M_PI * ph->wob_f[i] * tau + ph->wob_ph[i]);
    return fade * w;
}

static double band_half_width(double force_n)
{
    double b = BAND_REF_WIDTH_MM / 2 * sqrt(fmax(force_n, 0) / BAND_REF_FORCE_N);
    return fmin(fmax(b, BAND_MIN_HALF_MM), BAND_MAX_HALF_MM);
}

static double ball_half_width(double force_n)
{
    double b = BALL_REF_WIDTH_MM / 2 * cbrt(fmax(force_n, 0) / BAND_REF_FORCE_N);
    return fmin(fmax(b, BAND_MIN_HALF_MM), BAND_MAX_HALF_MM);
}

/* Position and load factor of the tool at t; false when nobody is on it. */
static bool tool_state(const struct sim_phase *ph, double t, double *x, double *y, double *load)
{
    *x = ph->pos;
    *y = ph->lat;
    *load = 1.0;
    switch (ph->kind) {
    case PH_ON:
        *load = smoothstep((t - ph->t0) / (ph->t1 - ph->t0));
        return true;
    case PH_OFF:
        *load = 1 - smoothstep((t - ph->t0) / (ph->t1 - ph->t0));
        return true;
    case PH_STILL:
        *x += wobble(ph, t);
        return true;
    case PH_MOVE: {
        double f = move_fraction(ph, t);
        *x = ph->from + (ph->to - ph->from) * f;
        *y = ph->lat_from + (ph->lat_to - ph->lat_from) * f;
        return true;
    }
    default:
        return false;
    }
}

int sim_tool_blobs(const struct rm_sim *sim, const struct sim_phase *ph, double t,
                   struct sim_blob *out)
{
    double x, y, load;
    if (!tool_state(ph, t, &x, &y, &load))
        return 0;
    assert(ph->seg >= 0 && (size_t)ph->seg < sim->nsegs);
    const struct sim_segment *seg = &sim->segs[ph->seg];
    double fluct = 0;
    for (int i = 0; i < 3; i++)
        fluct += sim->fluct_amp[i] * sin(2 * M_PI * sim->fluct_f[i] * t + sim->fluct_ph[i]);
    double f = seg->share * seg->mass_kg * SIM_G * (1 + fluct) * load;
    if (seg->tool == TOOL_BALL) {
        double b = ball_half_width(f);
        out[0] = (struct sim_blob){x, b, y, b, f};
        return 1;
    }
    double b = band_half_width(f), w = seg->width_mm / 2;
    if (seg->legs == 2) {
        /* Two legs side by side on one roller, each carrying half. */
        out[0] = (struct sim_blob){x, b, y - seg->spacing_mm / 2, w, f / 2};
        out[1] = (struct sim_blob){x, b, y + seg->spacing_mm / 2, w, f / 2};
        return 2;
    }
    out[0] = (struct sim_blob){x, b, y, w, f};
    return 1;
}

int sim_touch_blobs(const struct rm_sim *sim, double t, struct sim_blob *out, int max)
{
    int n = 0;
    for (size_t i = 0; i < sim->ntouches && n < max; i++) {
        const struct sim_touch *tc = &sim->touches[i];
        if (t < tc->t0 || t >= tc->t1)
            continue;
        double ramp = fmin(TOUCH_RAMP_S, (tc->t1 - tc->t0) / 2);
        double load = smoothstep((t - tc->t0) / ramp) * smoothstep((tc->t1 - t) / ramp);
        if (load > 0)
            out[n++] = (struct sim_blob){tc->x, tc->size_mm / 2, tc->y, tc->size_mm / 2,
                                         tc->force_n * load};
    }
    return n;
}

void sim_roller(const struct rm_sim *sim, const struct sim_phase *ph, double t, double *pos_mm,
                double *lat_mm, double *force_n, double *mat_force_n)
{
    double load;
    *force_n = 0;
    if (mat_force_n)
        *mat_force_n = 0;
    if (!tool_state(ph, t, pos_mm, lat_mm, &load)) {
        *pos_mm = *lat_mm = NAN;
        return;
    }
    struct sim_blob b[2];
    int n = sim_tool_blobs(sim, ph, t, b);
    for (int i = 0; i < n; i++) {
        *force_n += b[i].force_n;
        if (mat_force_n)
            *mat_force_n += b[i].force_n * sim_blob_on_mat(sim, &b[i]);
    }
}

/* The blob along the mat's rows (r) and columns (c): centre and half width. */
static void blob_axes(const struct rm_sim *sim, const struct sim_blob *b, double *rc, double *rh,
                      double *cc, double *ch)
{
    if (sim->mat.axis_cols) {
        *rc = b->y, *rh = b->hy, *cc = b->x, *ch = b->hx;
    } else {
        *rc = b->x, *rh = b->hx, *cc = b->y, *ch = b->hy;
    }
}

/* Share of the profile centred at c with half width h that lies on sensel
 * i of pitch p. */
static double sensel_share(int i, double p, double c, double h)
{
    return elliptic_cdf((i * p + p / 2 - c) / h) - elliptic_cdf((i * p - p / 2 - c) / h);
}

double sim_blob_on_mat(const struct rm_sim *sim, const struct sim_blob *b)
{
    double rc, rh, cc, ch, pr = sim->pitch_row_mm, pc = sim->pitch_col_mm;
    blob_axes(sim, b, &rc, &rh, &cc, &ch);
    double on_rows =
        elliptic_cdf((sim->mat.rows * pr - pr / 2 - rc) / rh) - elliptic_cdf((-pr / 2 - rc) / rh);
    double on_cols =
        elliptic_cdf((sim->mat.cols * pc - pc / 2 - cc) / ch) - elliptic_cdf((-pc / 2 - cc) / ch);
    return on_rows * on_cols;
}

/* The sensels [lo, hi) of pitch p out of n a profile at c, half width h
 * reaches. */
static void reach(double c, double h, double p, int n, int *lo, int *hi)
{
    *lo = (int)floor((c - h) / p - 0.5);
    *hi = (int)ceil((c + h) / p + 0.5) + 1;
    *lo = *lo < 0 ? 0 : *lo > n ? n : *lo;
    *hi = *hi > n ? n : *hi < *lo ? *lo : *hi;
}

void sim_blob_rows(const struct rm_sim *sim, const struct sim_blob *b, int *r0, int *r1)
{
    double rc, rh, cc, ch;
    blob_axes(sim, b, &rc, &rh, &cc, &ch);
    reach(rc, rh, sim->pitch_row_mm, sim->mat.rows, r0, r1);
}

void sim_blob_add(const struct rm_sim *sim, const struct sim_blob *b, float *kpa, double *rf,
                  double *cf)
{
    double rc, rh, cc, ch, pr = sim->pitch_row_mm, pc = sim->pitch_col_mm;
    int r0, r1, c0, c1, cols = sim->mat.cols;
    blob_axes(sim, b, &rc, &rh, &cc, &ch);
    reach(rc, rh, pr, sim->mat.rows, &r0, &r1);
    reach(cc, ch, pc, cols, &c0, &c1);
    for (int c = c0; c < c1; c++)
        cf[c] = sensel_share(c, pc, cc, ch);
    /* N per mm^2 is MPa: * 1000 for kPa. */
    double scale = b->force_n * 1000.0 / (pr * pc);
    for (int r = r0; r < r1; r++) {
        rf[r] = sensel_share(r, pr, rc, rh);
        for (int c = c0; c < c1; c++)
            kpa[(size_t)r * cols + c] += (float)(scale * rf[r] * cf[c]);
    }
}

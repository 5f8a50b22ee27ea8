/* The physical model (docs/simulator.md "The model"): the mat's sensels and
 * their power-law response, the roller's Hertz-like contact band carrying a
 * share of body weight, and the frames a real mat would send. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rm_error.h"
#include "rm_wire.h"
#include "sim_internal.h"

/* ---- the mat, from its serial ----------------------------------------- */

int sim_mat_build(struct rm_sim *sim)
{
    const struct sim_mat_params *m = &sim->mat;
    size_t n = (size_t)m->rows * (size_t)m->cols;
    struct sim_rng rng;
    sim_rng_seed(&rng, sim_hash_string(m->serial) ^ 0x6d61742d6d6f646cull);

    sim->full_scale = (1 << m->adc_bits) - 1;
    double scale = sim->full_scale / 4095.0;
    /* The curve: about 250 kPa at 90 % of full scale, exponent 1.25-1.4 (a
     * force-sensing resistor read through a divider flattens at high load),
     * so that 10-200 kPa spans most of the range and a roller's 30-70 kPa
     * sits in its lower half. */
    sim->curve_b = sim_rng_range(&rng, 1.25, 1.40);
    double p_full = sim_rng_range(&rng, 230.0, 270.0);
    sim->curve_a = p_full / pow(0.9 * sim->full_scale, sim->curve_b);
    sim->noise_sd = sim->noise_sd_mat = (float)fmax(0.5, 1.5 * scale);

    /* owned by sim, freed in rm_sim_free */
    sim->offset = malloc(n * sizeof(float));
    sim->gain = malloc(n * sizeof(float));
    sim->dead = calloc(n, 1);
    sim->stuck = calloc(n, sizeof(uint16_t));
    if (!sim->offset || !sim->gain || !sim->dead || !sim->stuck)
        return RM_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        sim->offset[i] = (float)(sim_rng_range(&rng, 20.0, 60.0) * scale);
        sim->gain[i] = (float)sim_rng_range(&rng, 0.9, 1.1);
    }
    /* A few dead sensels on any mat worth the name: about one in 700, half
     * reading 0 (broken trace), half stuck at a value (shorted). */
    size_t ndead = n >= 64 ? (n + 350) / 700 : 0;
    if (n >= 64 && ndead == 0)
        ndead = 1;
    sim->dead_index = malloc((ndead ? ndead : 1) * sizeof(size_t));
    if (!sim->dead_index)
        return RM_ENOMEM;
    sim->ndead = ndead;
    for (size_t d = 0; d < ndead; d++) {
        size_t i;
        do
            i = (size_t)(sim_rng_uniform(&rng) * (double)n);
        while (sim->dead[i]);
        sim->dead_index[d] = i;
        sim->dead[i] = d % 2 ? 2 : 1;
        sim->stuck[i] =
            d % 2 ? (uint16_t)lround(sim_rng_range(&rng, 0.05, 0.3) * sim->full_scale) : 0;
    }
    return 0;
}

size_t sim_phase_at(const struct rm_sim *sim, double t, size_t *cursor)
{
    size_t i = *cursor < sim->nphases ? *cursor : 0;
    if (sim->phases[i].t0 > t)
        i = 0;
    while (i + 1 < sim->nphases && sim->phases[i].t1 <= t)
        i++;
    *cursor = i;
    return i;
}

/* Fraction of [lo, hi) covered by [a, b), over hi - lo. */
static double coverage(double lo, double hi, double a, double b)
{
    double l = fmax(lo, a), h = fmin(hi, b);
    return h > l ? (h - l) / (hi - lo) : 0;
}

void sim_pressure(const struct rm_sim *sim, double t, size_t *cursor, float *kpa, double *row_frac,
                  double *col_frac, int *r0, int *r1, double *force_n)
{
    const struct sim_phase *ph = &sim->phases[sim_phase_at(sim, t, cursor)];
    int rows = sim->mat.rows, cols = sim->mat.cols;
    double pr = sim->pitch_row_mm, pc = sim->pitch_col_mm;
    *r0 = *r1 = 0;
    *force_n = 0;

    if (t >= ph->t1)
        return;
    if (ph->kind == PH_UNIFORM) {
        *r0 = 0;
        *r1 = rows;
        for (size_t i = 0; i < (size_t)rows * cols; i++)
            kpa[i] = (float)ph->kpa;
        *force_n = ph->kpa * rows * pr * cols * pc / 1000.0;
        return;
    }
    if (ph->kind == PH_MASS) {
        /* A rigid board on a flat mat presses evenly; a sensel reads the
         * mean pressure over its area. */
        for (int c = 0; c < cols; c++)
            col_frac[c] = coverage(c * pc - pc / 2, c * pc + pc / 2, ph->area[1], ph->area[3]);
        *r0 = rows;
        for (int r = 0; r < rows; r++) {
            double fr = coverage(r * pr - pr / 2, r * pr + pr / 2, ph->area[0], ph->area[2]);
            if (fr > 0 && r < *r0)
                *r0 = r;
            if (fr > 0)
                *r1 = r + 1;
            for (int c = 0; c < cols; c++)
                kpa[(size_t)r * cols + c] = (float)(ph->kpa * fr * col_frac[c]);
        }
        if (*r1 == 0)
            *r0 = 0;
        *force_n = ph->kg * SIM_G;
        return;
    }

    /* The tool and anything else put down: only the rows under them carry
     * load, the rest of the frame is offset and noise, which keeps a long
     * plan cheap. */
    struct sim_blob blobs[2 + SIM_MAX_TOUCHES];
    int nb = sim_tool_blobs(sim, ph, t, blobs);
    for (int i = 0; i < nb; i++)
        *force_n += blobs[i].force_n * sim_blob_on_mat(sim, &blobs[i]);
    int nt = sim_touch_blobs(sim, t, blobs + nb, SIM_MAX_TOUCHES);
    for (int i = nb; i < nb + nt; i++)
        *force_n += blobs[i].force_n * sim_blob_on_mat(sim, &blobs[i]);
    nb += nt;
    int lo = rows, hi = 0;
    for (int i = 0; i < nb; i++) {
        int a, b;
        sim_blob_rows(sim, &blobs[i], &a, &b);
        if (a < b) {
            lo = a < lo ? a : lo;
            hi = b > hi ? b : hi;
        }
    }
    if (lo >= hi)
        return;
    memset(kpa + (size_t)lo * cols, 0, (size_t)(hi - lo) * cols * sizeof(float));
    for (int i = 0; i < nb; i++)
        sim_blob_add(sim, &blobs[i], kpa, row_frac, col_frac);
    *r0 = lo;
    *r1 = hi;
}

/* ---- the generator ---------------------------------------------------- */

static bool frame_dropped(struct rm_sim *sim, int64_t k)
{
    while (sim->drop_cursor < sim->ndrops &&
           k >= sim->drops[sim->drop_cursor].k0 + sim->drops[sim->drop_cursor].n)
        sim->drop_cursor++;
    return sim->drop_cursor < sim->ndrops && k >= sim->drops[sim->drop_cursor].k0;
}

static void seed_noise(struct rm_sim *sim)
{
    sim_rng_seed(&sim->noise_rng, sim->seed ^ 0x6e6f697365ull);
}

const char *rm_sim_created_utc(const struct rm_sim *sim)
{
    return sim->created_utc;
}

int rm_sim_new(struct rm_sim **out, const struct rm_sim_plan *plan, uint64_t seed)
{
    *out = NULL;
    struct rm_sim *sim = calloc(1, sizeof(*sim));
    if (!sim)
        return RM_ENOMEM;
    snprintf(sim->plan_name, sizeof(sim->plan_name), "%s", plan->name);
    snprintf(sim->created_utc, sizeof(sim->created_utc), "%s", plan->created_utc);
    sim->seed = seed;
    sim->mat = plan->mat;
    sim->pitch_row_mm = plan->mat.pitch_row_um / 1000.0;
    sim->pitch_col_mm = plan->mat.pitch_col_um / 1000.0;
    size_t n = (size_t)plan->mat.rows * (size_t)plan->mat.cols;

    struct sim_rng session;
    sim_rng_seed(&session, seed ^ 0x73657373696f6eull);
    /* Load fluctuation: three slow sines, +-5 % together. */
    const double amp[3] = {0.025, 0.015, 0.01}, flo[3] = {0.02, 0.08, 0.2},
                 fhi[3] = {0.05, 0.15, 0.4};
    for (int i = 0; i < 3; i++) {
        sim->fluct_amp[i] = amp[i];
        sim->fluct_f[i] = sim_rng_range(&session, flo[i], fhi[i]);
        sim->fluct_ph[i] = sim_rng_range(&session, 0, 2 * M_PI);
    }
    seed_noise(sim);

    int rc = sim_mat_build(sim);
    if (!rc)
        rc = sim_sensor_build(sim);
    if (!rc)
        rc = sim_timeline_build(sim, plan, &session);
    if (!rc) {
        /* owned by sim */
        sim->raw = malloc(n * sizeof(uint16_t));
        sim->value = malloc(n * sizeof(float));
        sim->kpa = calloc(n, sizeof(float));
        sim->row_frac = calloc((size_t)plan->mat.rows, sizeof(double));
        sim->col_frac = calloc((size_t)plan->mat.cols, sizeof(double));
        if (!sim->raw || !sim->value || !sim->kpa || !sim->row_frac || !sim->col_frac)
            rc = RM_ENOMEM;
    }
    if (!rc && sim->nphases == 0)
        rc = rm_fail(RM_EFORMAT, "%s: the plan plays nothing", plan->name);
    if (rc) {
        rm_sim_free(sim);
        return rc;
    }
    sim_truth_measure(sim);
    *out = sim;
    return 0;
}

void rm_sim_free(struct rm_sim *sim)
{
    if (!sim)
        return;
    sim_timeline_free(sim);
    sim_sensor_free(sim);
    free(sim->offset);
    free(sim->gain);
    free(sim->dead);
    free(sim->stuck);
    free(sim->raw);
    free(sim->value);
    free(sim->dead_index);
    free(sim->kpa);
    free(sim->row_frac);
    free(sim->col_frac);
    free(sim);
}

void rm_sim_info(const struct rm_sim *sim, struct rm_mat_info *out)
{
    memset(out, 0, sizeof(*out));
    out->protocol_version = RM_PROTOCOL_VERSION;
    out->rows = (uint8_t)sim->mat.rows;
    out->cols = (uint8_t)sim->mat.cols;
    out->pitch_row_um = (uint16_t)sim->mat.pitch_row_um;
    out->pitch_col_um = (uint16_t)sim->mat.pitch_col_um;
    out->adc_bits = (uint8_t)sim->mat.adc_bits;
    out->rate_hz = (uint16_t)sim->mat.rate_hz;
    out->max_rate_hz = (uint16_t)(sim->mat.rate_hz > 200 ? sim->mat.rate_hz : 200);
    snprintf(out->serial, sizeof(out->serial), "%s", sim->mat.serial);
    snprintf(out->model, sizeof(out->model), "simulated");
    snprintf(out->firmware, sizeof(out->firmware), "rollmat-sim");
}

double rm_sim_duration_s(const struct rm_sim *sim)
{
    return sim->duration_s;
}

int64_t rm_sim_frames_sampled(const struct rm_sim *sim)
{
    return sim->frames_sampled;
}

int64_t rm_sim_frames_delivered(const struct rm_sim *sim)
{
    return sim->frames_sampled - sim->frames_dropped;
}

void rm_sim_set_noiseless(struct rm_sim *sim, bool on)
{
    sim->noise_sd = on ? 0.0f : sim->noise_sd_mat;
}

void rm_sim_rewind(struct rm_sim *sim)
{
    sim->next_k = 0;
    sim->next_event = 0;
    sim->phase_cursor = 0;
    sim->drop_cursor = 0;
    sim_sensor_rewind(sim);
    seed_noise(sim);
}

static void hand_out_events(struct rm_sim *sim, double t, struct rm_sim_frame *out)
{
    size_t first = sim->next_event;
    while (sim->next_event < sim->nevents && sim->events[sim->next_event].t <= t + 1e-9)
        sim->next_event++;
    out->events = sim->nevents ? &sim->events[first] : NULL;
    out->nevents = sim->next_event - first;
}

/* Counts for one frame: offset and noise everywhere, the sensor's response
 * where the pressure is. The hot loop of every simulation: local restrict
 * pointers and no per-sensel branches but the clamp. */
static uint16_t render(struct rm_sim *sim, int64_t frame, int r0, int r1)
{
    const float *restrict gauss = sim_gauss_table();
    const float *restrict offset = sim->offset, *restrict gain = sim->gain,
                          *restrict kpa = sim->kpa;
    float *restrict value = sim->value;
    uint16_t *restrict raw = sim->raw;
    size_t n = (size_t)sim->mat.rows * (size_t)sim->mat.cols;
    const float fs = (float)sim->full_scale, sd = sim->noise_sd;
    const double inv_a = 1.0 / sim->curve_a, inv_b = 1.0 / sim->curve_b;
    const uint64_t mask = (1u << SIM_GAUSS_BITS) - 1;
    struct sim_rng rng = sim->noise_rng;

    /* Five 12-bit draws per 64-bit number, in sensel order. */
    size_t i = 0;
    while (i < n) {
        uint64_t bits = sim_rng_next(&rng);
        for (int k = 0; k < 64 / SIM_GAUSS_BITS && i < n; k++, i++, bits >>= SIM_GAUSS_BITS)
            value[i] = offset[i] + sd * gauss[bits & mask];
    }
    sim->noise_rng = rng;
    sim_sensor_drift(sim, frame, value);
    if (sim_sensor_real(sim)) {
        sim_sensor_load(sim, frame, r0, r1);
        for (size_t j = (size_t)r0 * sim->mat.cols; j < (size_t)r1 * sim->mat.cols; j++)
            value[j] += sim->sig[j] / gain[j];
    } else {
        for (size_t j = (size_t)r0 * sim->mat.cols; j < (size_t)r1 * sim->mat.cols; j++)
            if (kpa[j] > 0)
                value[j] += (float)(pow(kpa[j] * inv_a, inv_b)) / gain[j];
    }
    for (size_t d = 0; d < sim->ndead; d++)
        value[sim->dead_index[d]] = sim->stuck[sim->dead_index[d]];

    uint16_t full = 0;
    for (size_t j = 0; j < n; j++) {
        float v = value[j];
        v = v < 0 ? 0 : v > fs ? fs : v;
        raw[j] = (uint16_t)(v + 0.5f);
        full |= raw[j] >= (uint16_t)sim->full_scale;
    }
    return full ? RM_FRAME_SATURATED : 0;
}

int rm_sim_next(struct rm_sim *sim, struct rm_sim_frame *out)
{
    memset(out, 0, sizeof(*out));
    out->rows = sim->mat.rows;
    out->cols = sim->mat.cols;
    bool overrun = false;
    while (sim->next_k < sim->frames_sampled && frame_dropped(sim, sim->next_k)) {
        sim->next_k++;
        overrun = true;
    }
    if (sim->next_k >= sim->frames_sampled) {
        hand_out_events(sim, INFINITY, out);
        return RM_EEOF;
    }
    int64_t k = sim->next_k++;
    double t = (double)k / sim->mat.rate_hz;
    int r0, r1;
    double force;
    sim_pressure(sim, t, &sim->phase_cursor, sim->kpa, sim->row_frac, sim->col_frac, &r0, &r1,
                 &force);
    out->flags = render(sim, k, r0, r1);
    if (overrun)
        out->flags |= RM_FRAME_OVERRUN;
    out->seq = (uint64_t)k;
    out->t_us = (uint64_t)llround((double)k * 1e6 / sim->mat.rate_hz);
    out->t = t;
    out->sensels = sim->raw;
    hand_out_events(sim, t, out);
    return 0;
}

int rm_sim_pressure_at(const struct rm_sim *sim, int64_t k, float *kpa, double *force_n)
{
    if (k < 0 || k >= sim->frames_sampled)
        return RM_EUSAGE;
    size_t rows = (size_t)sim->mat.rows, cols = (size_t)sim->mat.cols;
    double *rf = calloc(rows, sizeof(double)), *cf = calloc(cols, sizeof(double));
    if (!rf || !cf) {
        free(rf);
        free(cf);
        return RM_ENOMEM;
    }
    size_t cursor = 0;
    int r0, r1;
    memset(kpa, 0, rows * cols * sizeof(float));
    sim_pressure(sim, (double)k / sim->mat.rate_hz, &cursor, kpa, rf, cf, &r0, &r1, force_n);
    free(rf);
    free(cf);
    return 0;
}

int rm_sim_true_calibration(const struct rm_sim *sim, struct rm_calibration **out)
{
    size_t n = (size_t)sim->mat.rows * (size_t)sim->mat.cols;
    int rc = rm_calibration_new(out, sim->mat.rows, sim->mat.cols);
    if (rc)
        return rc;
    struct rm_calibration *cal = *out;
    snprintf(cal->device_serial, sizeof(cal->device_serial), "%s", sim->mat.serial);
    /* The mat's calibration does not change between sessions; a fixed date
     * keeps a plan + seed's output identical. */
    snprintf(cal->created_utc, sizeof(cal->created_utc), "2026-01-01T00:00:00Z");
    cal->curve = RM_CURVE_POWER;
    cal->curve_a = sim->curve_a;
    cal->curve_b = sim->curve_b;
    memcpy(cal->offset, sim->offset, n * sizeof(float));
    memcpy(cal->gain, sim->gain, n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        cal->dead[i] = sim->dead[i] ? 1 : 0;
    return 0;
}

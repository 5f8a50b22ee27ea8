/* What real pressure mats do that the ideal sensor does not
 * (docs/simulator.md "Real sensors"): velostat and FSR sensels creep (a
 * steady load reads higher and higher), their zero drifts with temperature
 * over a session, and a passive row/column matrix ghosts (current sneaking
 * through three loaded crossings shows load on a fourth). Off unless the
 * plan's `mat` asks for them, so ideal plans give the same frames as ever. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rm_error.h"
#include "sim_internal.h"

/* A sensel counts as loaded for creep above this pressure. */
#define CREEP_LOADED_KPA 1.0

bool sim_sensor_real(const struct rm_sim *sim)
{
    return sim->mat.creep > 0 || sim->mat.ghost > 0;
}

int sim_sensor_build(struct rm_sim *sim)
{
    size_t n = (size_t)sim->mat.rows * (size_t)sim->mat.cols;
    sim->creep_k = -1;
    if (sim->mat.drift_per_min != 0) {
        /* Each sensel drifts by 0.7-1.3 times the mat's rate: the same mat,
         * the same sensels, from its serial (a stream of its own, so the
         * mat's other properties stay what they were). */
        struct sim_rng rng;
        sim_rng_seed(&rng, sim_hash_string(sim->mat.serial) ^ 0x6472696674ull);
        sim->drift = malloc(n * sizeof(float)); /* owned by sim */
        if (!sim->drift)
            return RM_ENOMEM;
        for (size_t i = 0; i < n; i++)
            sim->drift[i] = (float)sim_rng_range(&rng, 0.7, 1.3);
    }
    if (sim_sensor_real(sim)) {
        /* owned by sim */
        sim->creep_x = calloc(n, sizeof(float));
        sim->sig = calloc(n, sizeof(float));
        sim->ghost_r = calloc((size_t)sim->mat.rows, sizeof(double));
        sim->ghost_c = calloc((size_t)sim->mat.cols, sizeof(double));
        if (!sim->creep_x || !sim->sig || !sim->ghost_r || !sim->ghost_c)
            return RM_ENOMEM;
    }
    return 0;
}

void sim_sensor_free(struct rm_sim *sim)
{
    free(sim->drift);
    free(sim->creep_x);
    free(sim->sig);
    free(sim->ghost_r);
    free(sim->ghost_c);
}

void sim_sensor_rewind(struct rm_sim *sim)
{
    if (sim->creep_x)
        memset(sim->creep_x, 0, (size_t)sim->mat.rows * sim->mat.cols * sizeof(float));
    sim->creep_k = -1;
}

void sim_sensor_drift(const struct rm_sim *sim, int64_t k, float *value)
{
    if (!sim->drift)
        return;
    size_t n = (size_t)sim->mat.rows * (size_t)sim->mat.cols;
    float d = (float)(sim->mat.drift_per_min * ((double)k / sim->mat.rate_hz) / 60.0);
    for (size_t i = 0; i < n; i++)
        value[i] += d * sim->drift[i];
}

/* Creep: each sensel's state x (0 .. 1) approaches 1 under load and 0
 * without, with time constant creep_tau_s; it reads (1 + creep * x) times
 * its pressure. Updated for every sensel, loaded or not. */
static void creep_step(struct rm_sim *sim, int64_t k, int r0, int r1)
{
    size_t n = (size_t)sim->mat.rows * (size_t)sim->mat.cols, cols = (size_t)sim->mat.cols;
    double dt = sim->creep_k < 0 ? 0 : (double)(k - sim->creep_k) / sim->mat.rate_hz;
    float a = (float)(1 - exp(-dt / sim->mat.creep_tau_s));
    sim->creep_k = k;
    for (size_t i = 0; i < n; i++) {
        bool loaded = i >= (size_t)r0 * cols && i < (size_t)r1 * cols &&
                      sim->kpa[i] > (float)CREEP_LOADED_KPA;
        sim->creep_x[i] += a * ((loaded ? 1.0f : 0.0f) - sim->creep_x[i]);
    }
}

void sim_sensor_load(struct rm_sim *sim, int64_t k, int r0, int r1)
{
    size_t cols = (size_t)sim->mat.cols, j0 = (size_t)r0 * cols, j1 = (size_t)r1 * cols;
    const double inv_a = 1.0 / sim->curve_a, inv_b = 1.0 / sim->curve_b;
    float creep = (float)sim->mat.creep;
    if (creep > 0)
        creep_step(sim, k, r0, r1);
    for (size_t j = j0; j < j1; j++) {
        float p = sim->kpa[j] * (creep > 0 ? 1 + creep * sim->creep_x[j] : 1);
        sim->sig[j] = p > 0 ? (float)pow(p * inv_a, inv_b) : 0;
    }
    if (!(sim->mat.ghost > 0))
        return;
    /* Ghosting, to first order: a crossing (r, c) sees the load of row r
     * times that of column c over the total, which is its own load where
     * there is one contact (a rank-one picture) and something where row r
     * and column c are loaded by different contacts; it reads `ghost` times
     * what its own load does not explain. */
    double total = 0;
    memset(sim->ghost_c, 0, cols * sizeof(double));
    for (int r = r0; r < r1; r++) {
        double sum = 0;
        for (size_t c = 0; c < cols; c++) {
            sum += sim->sig[(size_t)r * cols + c];
            sim->ghost_c[c] += sim->sig[(size_t)r * cols + c];
        }
        sim->ghost_r[r] = sum;
        total += sum;
    }
    if (!(total > 0))
        return;
    for (int r = r0; r < r1; r++)
        for (size_t c = 0; c < cols; c++) {
            float *s = &sim->sig[(size_t)r * cols + c];
            double extra = sim->ghost_r[r] * sim->ghost_c[c] / total - *s;
            if (extra > 0)
                *s += (float)(sim->mat.ghost * extra);
        }
}

#include "load_detect.h"

#include <assert.h>
#include <math.h>

void rm_load_detector_init(struct rm_load_detector *d, int rows, int cols, int adc_bits)
{
    assert(rows > 0 && cols > 0 && adc_bits >= 1 && adc_bits <= 16);
    double full_scale = (double)((1u << adc_bits) - 1u);
    /* Four sensels at full scale on a mat of 256 sensels or more; one per
     * 64 sensels below that, at least one. */
    double sensels = (double)rows * cols / 64.0;
    if (sensels > 4.0)
        sensels = 4.0;
    if (sensels < 1.0)
        sensels = 1.0;
    *d = (struct rm_load_detector){.floor = sensels * full_scale, .last_loaded = -1.0};
}

double rm_load_detector_threshold(const struct rm_load_detector *d)
{
    double margin = RM_LOAD_NOISE_FACTOR * d->noise;
    return d->baseline + (margin > d->floor ? margin : d->floor);
}

bool rm_load_detector_feed(struct rm_load_detector *d, double t, double sum)
{
    if (d->last_loaded < 0)
        d->last_loaded = t;
    if (!d->have_baseline) {
        d->have_baseline = true;
        d->baseline = sum;
        d->last_t = t;
    }
    double dt = t > d->last_t ? t - d->last_t : 0.0;
    d->last_t = t;

    double threshold = rm_load_detector_threshold(d);
    double release = d->baseline + 0.5 * (threshold - d->baseline);
    bool loaded = d->loaded ? sum >= release : sum > threshold;
    if (loaded && !d->loaded)
        d->loaded_since = t;
    d->loaded = loaded;
    if (loaded) {
        d->last_loaded = t;
        return true;
    }

    /* Unloaded: a lower sum is the better baseline at once (it may have
     * been learnt under load); a higher one is followed slowly. */
    if (sum < d->baseline) {
        /* Falling by more than the margin means the baseline was learnt
         * under load, and so was the noise: learn it again. */
        if (d->baseline - sum > threshold - d->baseline)
            d->noise = 0.0;
        d->baseline = sum;
    } else {
        double a = 1.0 - exp(-dt / RM_LOAD_BASELINE_TAU_S);
        d->noise += a * (fabs(sum - d->baseline) - d->noise);
        d->baseline += a * (sum - d->baseline);
    }
    return false;
}

double rm_load_detector_loaded_for(const struct rm_load_detector *d, double t)
{
    return d->loaded && t > d->loaded_since ? t - d->loaded_since : 0.0;
}

double rm_load_detector_idle_for(const struct rm_load_detector *d, double t)
{
    if (d->loaded || d->last_loaded < 0)
        return 0.0;
    return t > d->last_loaded ? t - d->last_loaded : 0.0;
}

void rm_load_detector_restart(struct rm_load_detector *d, double t)
{
    d->loaded = false;
    d->loaded_since = t;
    d->last_loaded = t;
}

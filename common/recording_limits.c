/* Range checks of recording metadata and times (see rm_limits.h). */
#include "rm_limits.h"

#include <math.h>
#include <stdbool.h>

#include "rm_error.h"

static bool within(double v, double lo, double hi)
{
    return isfinite(v) && v >= lo && v <= hi;
}

int rm_rec_meta_check(const struct rm_rec_meta *m, const char *where)
{
    if (m->rows < 1 || m->rows > RM_GRID_MAX || m->cols < 1 || m->cols > RM_GRID_MAX)
        return rm_fail(RM_EFORMAT, "%s: grid %d x %d is outside 1-%d x 1-%d", where, m->rows,
                       m->cols, RM_GRID_MAX, RM_GRID_MAX);
    if (!within(m->pitch_row_mm, RM_PITCH_MM_MIN, RM_PITCH_MM_MAX) ||
        !within(m->pitch_col_mm, RM_PITCH_MM_MIN, RM_PITCH_MM_MAX))
        return rm_fail(RM_EFORMAT, "%s: pitch %g x %g mm is outside %g-%g mm", where,
                       m->pitch_row_mm, m->pitch_col_mm, RM_PITCH_MM_MIN, RM_PITCH_MM_MAX);
    if (m->adc_bits < 1 || m->adc_bits > RM_ADC_BITS_MAX)
        return rm_fail(RM_EFORMAT, "%s: adc_bits %d is outside 1-%d", where, m->adc_bits,
                       RM_ADC_BITS_MAX);
    if (!within(m->rate_hz, RM_RATE_HZ_MIN, RM_RATE_HZ_MAX))
        return rm_fail(RM_EFORMAT, "%s: rate_hz %g is outside %g-%g Hz", where, m->rate_hz,
                       RM_RATE_HZ_MIN, RM_RATE_HZ_MAX);
    return 0;
}

bool rm_time_ok(double t)
{
    return within(t, -RM_TIME_S_MAX, RM_TIME_S_MAX);
}

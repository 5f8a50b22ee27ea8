/* Order statistics shared by every part: one comparison for qsort, one
 * selection, one median. Robust estimates (noise, baselines, calibration
 * levels) use these so that "median" means the same everywhere. */
#ifndef RM_STATS_H
#define RM_STATS_H

#include <stddef.h>

/* qsort comparison of doubles, ascending (NaN compares equal to anything:
 * callers filter non-finite values first). Also sorts records whose first
 * member is a double. */
int rm_cmp_double(const void *a, const void *b);

/* The k-th smallest of v[0..n) (0-based), k < n; reorders v so that v[k] is
 * in place with no larger value before it. Linear on average. */
float rm_select(float *v, size_t n, size_t k);

/* The median of v[0..n), the mean of the middle two for even n; reorders v.
 * n > 0. */
float rm_median(float *v, size_t n);

/* The median absolute deviation of v[0..n) from m; overwrites v. n > 0.
 * RM_MAD_TO_SIGMA times it estimates the standard deviation of normal
 * data. */
float rm_mad(float *v, size_t n, float m);
#define RM_MAD_TO_SIGMA 1.4826

/* The median of sorted[0..n) (the mean of the middle two for even n), as
 * rm_median; n > 0. */
double rm_median_sorted(const double *sorted, size_t n);

/* The q-quantile (0..1) of sorted[0..n) by the lower nearest rank,
 * sorted[floor(q * (n - 1))]; n > 0. */
double rm_quantile_sorted(const double *sorted, size_t n, double q);

#endif

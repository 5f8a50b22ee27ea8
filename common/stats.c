/* Order statistics (rm_stats.h). */
#include <assert.h>
#include <math.h>
#include <stdint.h>

#include "rm_stats.h"

static inline void swap(float *v, size_t i, size_t j)
{
    float t = v[i];
    v[i] = v[j];
    v[j] = t;
}

float rm_select(float *v, size_t n, size_t k)
{
    assert(n > 0 && k < n);
    /* Quickselect with a median-of-three pivot (Numerical Recipes'
     * `select`): linear on average, and sensor readings are not
     * adversarial. Afterwards v[k] is in place, smaller ones left of it. */
    size_t l = 0, ir = n - 1;
    for (;;) {
        if (ir <= l + 1) {
            if (ir == l + 1 && v[ir] < v[l])
                swap(v, l, ir);
            return v[k];
        }
        size_t mid = l + (ir - l) / 2;
        swap(v, mid, l + 1);
        if (v[l] > v[ir])
            swap(v, l, ir);
        if (v[l + 1] > v[ir])
            swap(v, l + 1, ir);
        if (v[l] > v[l + 1])
            swap(v, l, l + 1);
        size_t i = l + 1, j = ir;
        float a = v[l + 1];
        for (;;) {
            do
                i++;
            while (v[i] < a);
            do
                j--;
            while (v[j] > a);
            if (j < i)
                break;
            swap(v, i, j);
        }
        v[l + 1] = v[j];
        v[j] = a;
        if (j >= k)
            ir = j - 1;
        if (j <= k)
            l = i;
    }
}

float rm_median(float *v, size_t n)
{
    assert(n > 0);
    float upper = rm_select(v, n, n / 2);
    if (n % 2)
        return upper;
    /* After selection everything below n/2 is <= upper: its maximum is the
     * lower middle. */
    float lower = v[0];
    for (size_t i = 1; i < n / 2; i++)
        if (v[i] > lower)
            lower = v[i];
    return 0.5f * (lower + upper);
}

float rm_mad(float *v, size_t n, float m)
{
    for (size_t i = 0; i < n; i++)
        v[i] = fabsf(v[i] - m);
    return rm_median(v, n);
}

int rm_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double rm_median_sorted(const double *sorted, size_t n)
{
    assert(n > 0);
    return n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
}

double rm_quantile_sorted(const double *sorted, size_t n, double q)
{
    assert(n > 0 && q >= 0 && q <= 1);
    return sorted[(size_t)floor(q * (double)(n - 1))];
}

/* FFTW for the analysis: a cache of real<->complex plans, one per padded
 * length, made once under a mutex (only fftw_execute* is thread-safe) and
 * executed on the caller's arrays with the new-array interface; the
 * zero-phase low-pass of the roll position; the dominant frequency of the
 * rolling. */
#include <assert.h>
#include <fftw3.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "an_internal.h"
#include "rm_error.h"

#define MAX_PLANS 256

struct plan_pair {
    size_t n;
    fftw_plan r2c, c2r;
};

static pthread_mutex_t plan_lock = PTHREAD_MUTEX_INITIALIZER;
static struct plan_pair plans[MAX_PLANS];
static size_t nplans;

size_t an_fft_nice_size(size_t n)
{
    if (n <= 1)
        return 1;
    for (size_t m = n;; m++) {
        size_t r = m;
        static const size_t primes[] = {2, 3, 5, 7};
        for (int i = 0; i < 4; i++)
            while (r % primes[i] == 0)
                r /= primes[i];
        if (r == 1)
            return m;
    }
}

size_t an_fft_size(size_t n)
{
    static const size_t steps[] = {8, 9, 10, 12, 14, 15};
    if (n <= 16)
        return an_fft_nice_size(n);
    for (size_t p = 1;; p *= 2)
        for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
            if (p * steps[i] >= n)
                return p * steps[i];
}

/* Makes the plans for length n into *p. Planning with FFTW_ESTIMATE
 * touches no data; the arrays given here only fix the alignment, which
 * fftw_alloc_* guarantees for every later array too. Under plan_lock. */
static bool make_plans(struct plan_pair *p, size_t n)
{
    double *re = fftw_alloc_real(n);
    fftw_complex *co = fftw_alloc_complex(n / 2 + 1);
    p->n = n;
    p->r2c = p->c2r = NULL;
    if (re && co) {
        p->r2c = fftw_plan_dft_r2c_1d((int)n, re, co, FFTW_ESTIMATE);
        p->c2r = fftw_plan_dft_c2r_1d((int)n, co, re, FFTW_ESTIMATE);
    }
    fftw_free(re);
    fftw_free(co);
    if (p->r2c && p->c2r)
        return true;
    if (p->r2c)
        fftw_destroy_plan(p->r2c);
    if (p->c2r)
        fftw_destroy_plan(p->c2r);
    return false;
}

/* The cached plans for length n (an an_fft_size), made on first use; with
 * the cache full (more lengths than MAX_PLANS, which an_fft_size's buckets
 * make unlikely below 2^30), one-off plans into *spare that the caller
 * hands back to put_plans. NULL when FFTW or memory fails. */
static const struct plan_pair *get_plans(size_t n, struct plan_pair *spare)
{
    const struct plan_pair *found = NULL;
    spare->n = 0;
    pthread_mutex_lock(&plan_lock);
    for (size_t i = 0; i < nplans; i++)
        if (plans[i].n == n) {
            found = &plans[i];
            break;
        }
    if (!found && nplans < MAX_PLANS && make_plans(&plans[nplans], n))
        found = &plans[nplans++];
    else if (!found && make_plans(spare, n))
        found = spare;
    pthread_mutex_unlock(&plan_lock);
    return found;
}

static void put_plans(struct plan_pair *spare)
{
    if (spare->n == 0 || !spare->r2c)
        return;
    pthread_mutex_lock(&plan_lock);
    fftw_destroy_plan(spare->r2c);
    fftw_destroy_plan(spare->c2r);
    pthread_mutex_unlock(&plan_lock);
}

void an_fft_cleanup(void)
{
    pthread_mutex_lock(&plan_lock);
    for (size_t i = 0; i < nplans; i++) {
        fftw_destroy_plan(plans[i].r2c);
        fftw_destroy_plan(plans[i].c2r);
    }
    nplans = 0;
    fftw_cleanup();
    pthread_mutex_unlock(&plan_lock);
}

int an_lowpass(const double *x, size_t n, double fs, double fc, double *y)
{
    assert(fs > 0 && fc > 0);
    if (n < 3) {
        if (y != x)
            memmove(y, x, n * sizeof(*x));
        return 0;
    }
    /* The straight line through the end points is taken out and put back
     * after filtering, so a steady roll passes unchanged to the last frame.
     * What remains starts and ends at zero; its odd reflection about each
     * end keeps value and slope continuous, tapered to zero over three time
     * constants of the filter, then zeros up to the FFT length: the
     * periodic FFT sees no jump anywhere. */
    size_t ext = (size_t)ceil(3.0 * fs / fc);
    if (ext > n - 1)
        ext = n - 1;
    size_t m = n + 2 * ext;
    size_t len = an_fft_size(m);
    struct plan_pair spare;
    const struct plan_pair *pp = get_plans(len, &spare);
    double *buf = fftw_alloc_real(len);
    fftw_complex *spec = fftw_alloc_complex(len / 2 + 1);
    if (!pp || !buf || !spec) {
        put_plans(&spare);
        fftw_free(buf);
        fftw_free(spec);
        return RM_ENOMEM;
    }
    const double x0 = x[0], slope = (x[n - 1] - x[0]) / (double)(n - 1);
    double *d = buf + ext;
    for (size_t i = 0; i < n; i++)
        d[i] = x[i] - (x0 + slope * (double)i);
    for (size_t k = 1; k <= ext; k++) {
        double w = 0.5 + 0.5 * cos(M_PI * (double)k / (double)(ext + 1));
        d[-(ptrdiff_t)k] = -d[k] * w;
        d[n - 1 + k] = -d[n - 1 - k] * w;
    }
    for (size_t k = m; k < len; k++)
        buf[k] = 0;

    fftw_execute_dft_r2c(pp->r2c, buf, spec);
    double df = fs / (double)len;
    for (size_t k = 0; k <= len / 2; k++) {
        double r = (double)k * df / fc;
        double r2 = r * r, r4 = r2 * r2;
        double h = 1.0 / (1.0 + r4 * r4) / (double)len;
        spec[k][0] *= h;
        spec[k][1] *= h;
    }
    fftw_execute_dft_c2r(pp->c2r, spec, buf);
    for (size_t i = 0; i < n; i++)
        y[i] = buf[ext + i] + x0 + slope * (double)i;
    put_plans(&spare);
    fftw_free(buf);
    fftw_free(spec);
    return 0;
}

double an_dominant_frequency(const double *x, size_t n, double fs, double fmin, double fmax,
                             bool *clear)
{
    *clear = false;
    if (n < 8)
        return NAN;
    double dur = (double)n / fs;
    /* One full cycle at least, or it is not a rhythm. */
    if (fmin < 1.0 / dur)
        fmin = 1.0 / dur;
    if (fmax > fs / 2)
        fmax = fs / 2;
    if (fmin >= fmax)
        return NAN;

    /* Least-squares line removed: a drift along the muscle is not rhythm. */
    double st = 0, sx = 0, stt = 0, stx = 0;
    for (size_t i = 0; i < n; i++) {
        double ti = (double)i;
        st += ti;
        sx += x[i];
        stt += ti * ti;
        stx += ti * x[i];
    }
    double dn = (double)n;
    double slope = (dn * stx - st * sx) / (dn * stt - st * st);
    double icpt = (sx - slope * st) / dn;

    /* Four times zero padding so the peak is found between the bins of a
     * short segment, refined by a parabola through the log power. */
    size_t len = an_fft_size(4 * n);
    struct plan_pair spare;
    const struct plan_pair *pp = get_plans(len, &spare);
    double *buf = fftw_alloc_real(len);
    fftw_complex *spec = fftw_alloc_complex(len / 2 + 1);
    double *pw = malloc((len / 2 + 1) * sizeof(*pw));
    double result = NAN;
    if (!pp || !buf || !spec || !pw)
        goto out;
    for (size_t i = 0; i < n; i++) {
        double w = 0.5 - 0.5 * cos(2 * M_PI * (double)i / (double)(n - 1));
        buf[i] = w * (x[i] - (icpt + slope * (double)i));
    }
    for (size_t i = n; i < len; i++)
        buf[i] = 0;
    fftw_execute_dft_r2c(pp->r2c, buf, spec);

    double df = fs / (double)len;
    size_t k0 = (size_t)ceil(fmin / df), k1 = (size_t)floor(fmax / df);
    if (k1 > len / 2)
        k1 = len / 2;
    if (k0 < 1)
        k0 = 1;
    if (k0 + 2 >= k1)
        goto out;
    double total = 0;
    size_t kmax = k0;
    for (size_t k = k0; k <= k1; k++) {
        pw[k] = spec[k][0] * spec[k][0] + spec[k][1] * spec[k][1];
        total += pw[k];
        if (pw[k] > pw[kmax])
            kmax = k;
    }
    if (!(total > 0) || kmax == k0 || kmax == k1)
        goto out; /* rising toward the band's edge: no peak inside it */
    /* The Hann main lobe is +-2 bins of the unpadded signal: 8 padded bins. */
    size_t lobe = 2 * len / n + 1;
    double share = 0;
    for (size_t k = (kmax > k0 + lobe ? kmax - lobe : k0); k <= kmax + lobe && k <= k1; k++)
        share += pw[k];
    share /= total;
    double dip = pw[kmax];
    for (size_t k = k0; k < kmax; k++)
        if (pw[k] < dip)
            dip = pw[k];
    /* Clear on its own: two cycles or more, and a valley below the peak
     * (a drift or a random walk rises toward the low end instead). */
    *clear =
        (double)kmax * df * dur >= AN_CADENCE_MIN_CYCLES && dip / pw[kmax] <= AN_CADENCE_MAX_DIP;
    if (share < AN_CADENCE_MIN_SHARE)
        goto out;
    double a = log(pw[kmax - 1] + 1e-300), b = log(pw[kmax] + 1e-300),
           c = log(pw[kmax + 1] + 1e-300);
    double denom = a - 2 * b + c;
    double delta = denom < 0 ? 0.5 * (a - c) / denom : 0;
    result = ((double)kmax + delta) * df;
out:
    put_plans(&spare);
    fftw_free(buf);
    fftw_free(spec);
    free(pw);
    return result;
}

/* Known loads: parsing "FILE=KG", finding the frames that carry the load,
 * and measuring the force a calibration makes of them. */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LOG_PREFIX "calib"
#include "calib_internal.h"
#include "rm_error.h"
#include "rm_log.h"

/* Contact: equilibrated counts above this many noise sigmas. One-sided, a
 * normal reading passes 4 sigmas 3 times in 100,000: a few false sensels per
 * hundred frames of a 64 x 32 mat, carrying next to nothing. */
#define CONTACT_SIGMAS 4.0
/* Fewer contact sensels than this in nearly every frame: nothing rests on
 * the mat. */
#define MIN_CONTACT_SENSELS 4
/* Frames whose summed response is within this fraction of the loaded
 * frames' median carry the whole load; the rest are the load being put down
 * or taken off. */
#define PLATEAU_TOLERANCE 0.15

/* Successive steady loads in one recording: a frame whose response is
 * within this fraction of the current stretch's mean continues it. */
#define SPLIT_TOLERANCE 0.10
/* Stretches shorter than this fraction of the longest are the load moving
 * (being put down, a weight added), not a steady load. */
#define SPLIT_MIN_FRACTION 0.2

static int parse_mass(const char *file, const char *mass, double *kg)
{
    char *end;
    errno = 0;
    double v = strtod(mass, &end);
    if (end == mass || *end != '\0' || errno || !isfinite(v))
        return rm_fail(RM_EFORMAT, "%s: mass '%s' is not a number of kg", file, mass);
    if (v <= 0)
        return rm_fail(RM_EFORMAT, "%s: mass %g kg must be above zero", file, v);
    if (v > RM_CALIB_MAX_KG)
        return rm_fail(RM_EFORMAT, "%s: mass %g kg is absurd (more than %g kg)", file, v,
                       RM_CALIB_MAX_KG);
    *kg = v;
    return 0;
}

int rm_calib_parse_load(char *arg, const char **path, double *kg, size_t max, size_t *nkg)
{
    *nkg = 0;
    char *eq = strrchr(arg, '=');
    if (!eq || eq == arg)
        return rm_fail(RM_EUSAGE, "--load %s: expected FILE.h5=KG", arg);
    *eq = '\0';
    *path = arg;
    char *mass = eq + 1;
    for (;;) {
        char *comma = strchr(mass, ',');
        if (comma)
            *comma = '\0';
        if (*nkg == max)
            return rm_fail(RM_EUSAGE, "--load %s: more than %zu masses", arg, max);
        int rc = parse_mass(arg, mass, &kg[*nkg]);
        if (rc)
            return rc;
        (*nkg)++;
        if (!comma)
            return 0;
        mass = comma + 1;
    }
}

/* The noise of x, from its negative readings: a load never pushes a reading
 * below its offset, so only noise does, and for zero-mean normal noise
 * E[x^2 | x < 0] = sigma^2. */
static double noise_sigma(const struct rm_calibration *cal, const struct rm_calib_frames *fr)
{
    size_t n = (size_t)fr->rows * (size_t)fr->cols;
    double sum2 = 0;
    size_t below = 0;
    for (size_t f = 0; f < fr->nframes; f++)
        for (size_t s = 0; s < n; s++) {
            if (cal->dead[s])
                continue;
            double x = cal->gain[s] * ((double)fr->data[f * n + s] - cal->offset[s]);
            if (x < 0) {
                sum2 += x * x;
                below++;
            }
        }
    return below ? sqrt(sum2 / (double)below) : 0.0;
}

/* Per frame: contact sensels and their summed x. */
static void frame_response(const struct rm_calibration *cal, const struct rm_calib_frames *fr,
                           double tau, double *sum, size_t *contact)
{
    size_t n = (size_t)fr->rows * (size_t)fr->cols;
    for (size_t f = 0; f < fr->nframes; f++) {
        sum[f] = 0;
        contact[f] = 0;
        for (size_t s = 0; s < n; s++) {
            if (cal->dead[s])
                continue;
            double x = cal->gain[s] * ((double)fr->data[f * n + s] - cal->offset[s]);
            if (x > tau) {
                sum[f] += x;
                contact[f]++;
            }
        }
    }
}

int calib_find_loaded(const struct rm_calibration *cal, const struct rm_calib_frames *fr,
                      size_t first, size_t count, struct calib_loaded *out)
{
    memset(out, 0, sizeof(*out));
    if (fr->nframes == 0)
        return rm_fail(RM_EFORMAT, "%s: empty recording (0 frames)", fr->name);
    if (count == 0 || first + count > fr->nframes) {
        first = 0;
        count = fr->nframes;
    }
    out->sigma = noise_sigma(cal, fr);
    out->tau = CONTACT_SIGMAS * out->sigma;

    /* Freed below. */
    double *sum = malloc(fr->nframes * sizeof(double));
    double *sorted = malloc(fr->nframes * sizeof(double));
    size_t *contact = malloc(fr->nframes * sizeof(size_t));
    out->idx = malloc(fr->nframes * sizeof(size_t));
    if (!sum || !sorted || !contact || !out->idx) {
        free(sum);
        free(sorted);
        free(contact);
        free(out->idx);
        out->idx = NULL;
        return RM_ENOMEM;
    }
    frame_response(cal, fr, out->tau, sum, contact);
    size_t most_contact = 0;
    for (size_t k = 0; k < count; k++) {
        sorted[k] = sum[first + k];
        if (contact[first + k] > most_contact)
            most_contact = contact[first + k];
    }
    int rc = 0;
    qsort(sorted, count, sizeof(double), rm_cmp_double);
    /* The load is on in the frames near the top: the 95th percentile frame
     * stands for "loaded" even if a few frames spike. */
    double top = sorted[(size_t)(0.95 * (double)(count - 1))];
    size_t high = 0;
    for (size_t f = first; f < first + count; f++)
        if (sum[f] >= 0.5 * top && contact[f] >= MIN_CONTACT_SENSELS)
            sorted[high++] = sum[f];
    if (high == 0 || top <= 0) {
        rc = rm_fail(RM_EFORMAT,
                     "%s: no load on it (at most %zu sensel(s) above the noise in any frame)",
                     fr->name, most_contact);
        goto out;
    }
    qsort(sorted, high, sizeof(double), rm_cmp_double);
    double plateau = sorted[high / 2];
    for (size_t f = first; f < first + count; f++)
        if (fabs(sum[f] - plateau) <= PLATEAU_TOLERANCE * plateau &&
            contact[f] >= MIN_CONTACT_SENSELS)
            out->idx[out->n++] = f;
    assert(out->n > 0);
    if (out->n < high / 2)
        rm_warn("%s: the load varies: only %zu of %zu loaded frames agree (one mass per "
                "recording, or list the masses in order: FILE.h5=KG,KG,...)",
                fr->name, out->n, high);
    rm_dbg("%s: %zu loaded frames of %zu, noise %.2f counts", fr->name, out->n, count, out->sigma);
out:
    free(sum);
    free(sorted);
    free(contact);
    if (rc) {
        free(out->idx);
        out->idx = NULL;
    }
    return rc;
}

int rm_calib_split_loads(const struct rm_calibration *cal, const struct rm_calib_frames *fr,
                         size_t k, size_t *first, size_t *count)
{
    if (fr->nframes == 0)
        return rm_fail(RM_EFORMAT, "%s: empty recording (0 frames)", fr->name);
    if (k == 1) {
        first[0] = 0;
        count[0] = fr->nframes;
        return 0;
    }
    double tau = CONTACT_SIGMAS * noise_sigma(cal, fr);
    /* Freed below: the response, and the stretches (start, length, mean). */
    double *sum = malloc(fr->nframes * sizeof(double));
    size_t *contact = malloc(fr->nframes * sizeof(size_t));
    size_t *run_start = malloc(fr->nframes * sizeof(size_t));
    size_t *run_len = malloc(fr->nframes * sizeof(size_t));
    double *run_mean = malloc(fr->nframes * sizeof(double));
    int rc = 0;
    if (!sum || !contact || !run_start || !run_len || !run_mean) {
        rc = RM_ENOMEM;
        goto out;
    }
    frame_response(cal, fr, tau, sum, contact);
    size_t runs = 0, longest = 0;
    int open = 0;
    for (size_t f = 0; f < fr->nframes; f++) {
        int loaded = contact[f] >= MIN_CONTACT_SENSELS && sum[f] > 0;
        if (open && loaded &&
            fabs(sum[f] - run_mean[runs - 1]) <= SPLIT_TOLERANCE * run_mean[runs - 1]) {
            size_t len = ++run_len[runs - 1];
            run_mean[runs - 1] += (sum[f] - run_mean[runs - 1]) / (double)len;
        } else if (loaded) {
            run_start[runs] = f;
            run_len[runs] = 1;
            run_mean[runs] = sum[f];
            runs++;
            open = 1;
        } else {
            open = 0;
        }
        if (runs && run_len[runs - 1] > longest)
            longest = run_len[runs - 1];
    }
    /* Keep the steady stretches; merge neighbours at one level (a stretch
     * interrupted by a bump). */
    size_t kept = 0;
    for (size_t r = 0; r < runs; r++) {
        if ((double)run_len[r] < SPLIT_MIN_FRACTION * (double)longest)
            continue;
        if (kept &&
            fabs(run_mean[r] - run_mean[kept - 1]) <= SPLIT_TOLERANCE * run_mean[kept - 1]) {
            run_len[kept - 1] = run_start[r] + run_len[r] - run_start[kept - 1];
            continue;
        }
        run_start[kept] = run_start[r];
        run_len[kept] = run_len[r];
        run_mean[kept] = run_mean[r];
        kept++;
    }
    if (kept != k) {
        rc = rm_fail(RM_EFORMAT, "%s: %zu masses given, but %zu steady loads found", fr->name, k,
                     kept);
        goto out;
    }
    for (size_t i = 0; i < k; i++) {
        first[i] = run_start[i];
        count[i] = run_len[i];
    }
out:
    free(sum);
    free(contact);
    free(run_start);
    free(run_len);
    free(run_mean);
    return rc;
}

void calib_fill_dead(const struct rm_calibration *cal, float *v)
{
    int rows = cal->rows, cols = cal->cols;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            size_t s = (size_t)r * (size_t)cols + (size_t)c;
            if (!cal->dead[s])
                continue;
            double sum = 0;
            int k = 0;
            for (int dr = -1; dr <= 1; dr++)
                for (int dc = -1; dc <= 1; dc++) {
                    int rr = r + dr, cc = c + dc;
                    if (rr < 0 || rr >= rows || cc < 0 || cc >= cols)
                        continue;
                    size_t t = (size_t)rr * (size_t)cols + (size_t)cc;
                    if (!cal->dead[t]) {
                        sum += v[t];
                        k++;
                    }
                }
            v[s] = k ? (float)(sum / k) : 0.0f;
        }
}

void calib_contact_x(const struct rm_calibration *cal, const uint16_t *raw, double tau, float *x)
{
    size_t n = (size_t)cal->rows * (size_t)cal->cols;
    for (size_t s = 0; s < n; s++) {
        float v = cal->gain[s] * ((float)raw[s] - cal->offset[s]);
        x[s] = !cal->dead[s] && v > tau ? v : 0.0f;
    }
    calib_fill_dead(cal, x);
}

int rm_calib_measure(const struct rm_calibration *cal, struct rm_calib_load *load)
{
    const struct rm_calib_frames *fr = load->fr;
    struct calib_loaded lf;
    int rc = calib_find_loaded(cal, fr, load->first, load->count, &lf);
    if (rc)
        return rc;
    size_t n = (size_t)fr->rows * (size_t)fr->cols;
    float *kpa = malloc(n * sizeof(float)); /* freed below */
    if (!kpa) {
        free(lf.idx);
        return RM_ENOMEM;
    }
    double area_mm2 = fr->pitch_row_mm * fr->pitch_col_mm;
    double force = 0, pressure = 0, contact = 0;
    size_t saturated = 0;
    unsigned full = calib_full_scale(fr);
    for (size_t k = 0; k < lf.n; k++) {
        const uint16_t *raw = fr->data + lf.idx[k] * n;
        for (size_t s = 0; s < n; s++)
            saturated += !cal->dead[s] && raw[s] >= full;
        rm_calibration_apply(cal, raw, kpa, 1);
        /* Contact only: the noise of the unloaded sensels is not force. */
        for (size_t s = 0; s < n; s++) {
            double x = cal->gain[s] * ((double)raw[s] - cal->offset[s]);
            if (!(x > lf.tau))
                kpa[s] = 0.0f;
        }
        calib_fill_dead(cal, kpa);
        double p_sum = 0;
        size_t c = 0;
        for (size_t s = 0; s < n; s++) {
            if (kpa[s] > 0) {
                p_sum += kpa[s];
                c++;
            }
        }
        /* kPa * mm^2 = 1e3 N/m^2 * 1e-6 m^2 = 1e-3 N. */
        force += p_sum * area_mm2 * 1e-3;
        pressure += c ? p_sum / (double)c : 0.0;
        contact += (double)c * area_mm2 / 100.0;
    }
    if (saturated)
        rm_warn("%s: %.1f sensels per frame at full scale: the pressure is beyond what the mat "
                "reads, so the force reads low (spread the load over a larger plate)",
                fr->name, (double)saturated / (double)lf.n);
    load->frames_used = lf.n;
    load->force_n = load->kg * RM_GRAVITY;
    load->measured_n = force / (double)lf.n;
    load->mean_kpa = pressure / (double)lf.n;
    load->contact_cm2 = contact / (double)lf.n;
    load->error_n = load->measured_n - load->force_n;
    load->error_pct = 100.0 * load->error_n / load->force_n;
    free(kpa);
    free(lf.idx);
    return 0;
}

/* rm_bench_read: how fast the frame stream reads /frames compared with one
 * plain H5Dread of the whole dataset, measured in the same run (page cache
 * warm for both). Run it through scripts/bench-read.sh, which builds it
 * without sanitizers.
 *
 *   rm_bench_read [--threads N] [--repeat K] [FILE.h5]
 *   rm_bench_read [--threads N] [--repeat K] [--frames N] [--size RxC]
 *                 [--compression L]          (makes a synthetic recording)
 *
 * The synthetic recording is a roller contact line sweeping the mat with
 * sensor noise, so that deflate sees realistic data. Prints medians in ms,
 * MB/s of raw counts, and the ratio stream / plain. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rm_stats.h"
#include "rm_clock.h"
#include "rm_error.h"
#include "rm_frame_stream.h"
#include "rm_h5.h"
#include "rm_recording.h"

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), rm_cmp_double);
    return rm_median_sorted(v, (size_t)n);
}

static int make_recording(const char *path, long frames, int rows, int cols, int level)
{
    struct rm_rec_meta m;
    memset(&m, 0, sizeof(m));
    snprintf(m.device_model, sizeof(m.device_model), "benchmark");
    m.rows = rows;
    m.cols = cols;
    m.pitch_row_mm = m.pitch_col_mm = 10;
    m.adc_bits = 12;
    m.rate_hz = 100;
    struct rm_rec_writer_opts o = RM_REC_WRITER_OPTS_DEFAULT;
    o.compression = level;
    struct rm_rec_writer *w;
    int rc = rm_rec_writer_create(&w, path, &m, NULL, &o);
    if (rc)
        return rc;
    uint16_t *f = malloc((size_t)rows * (size_t)cols * sizeof(uint16_t));
    uint32_t x = 1;
    for (long i = 0; i < frames && f && !rc; i++) {
        double t = (double)i / m.rate_hz;
        /* The contact line rolls up and down the mat every 4 s. */
        double line = rows * (0.5 + 0.35 * sin(2 * M_PI * t / 4.0));
        for (int r = 0; r < rows; r++) {
            double along = exp(-0.5 * pow((r - line) / 2.0, 2));
            for (int c = 0; c < cols; c++) {
                x = x * 1664525u + 1013904223u;
                int noise = (int)(x >> 29);
                bool leg = c > cols / 4 && c < 3 * cols / 4;
                double v = leg ? 2000.0 * along : 0.0;
                f[r * cols + c] = (uint16_t)(v > 5 ? v + noise : (noise > 5 ? noise - 5 : 0));
            }
        }
        rc = rm_rec_writer_append(w, t, (uint64_t)i, f);
    }
    free(f);
    int crc = rm_rec_writer_close(w);
    return rc ? rc : crc;
}

static int plain_read(const char *path, double *seconds, uint64_t *sum)
{
    struct rm_rec_reader *r;
    int rc = rm_rec_reader_open(&r, path);
    if (rc)
        return rc;
    const struct rm_rec_meta *m = rm_rec_meta(r);
    int64_t n = rm_rec_frames(r);
    uint16_t *buf = malloc((size_t)n * (size_t)m->rows * (size_t)m->cols * sizeof(uint16_t));
    if (!buf) {
        rm_rec_reader_close(r);
        return RM_ENOMEM;
    }
    hid_t d = rm_rec_frames_dataset(r);
    double t0 = rm_clock_s();
    if (H5Dread(d, H5T_NATIVE_UINT16, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        rc = RM_EHDF5;
    *seconds = rm_clock_s() - t0;
    uint64_t s = 0;
    for (size_t i = 0; i < (size_t)n * (size_t)m->rows * (size_t)m->cols; i++)
        s += buf[i];
    *sum = s;
    free(buf);
    rm_rec_reader_close(r);
    return rc;
}

static int stream_read(const char *path, int threads, double *seconds, uint64_t *sum, int *direct)
{
    struct rm_rec_reader *r;
    int rc = rm_rec_reader_open(&r, path);
    if (rc)
        return rc;
    const struct rm_rec_meta *m = rm_rec_meta(r);
    size_t per = (size_t)m->rows * (size_t)m->cols;
    struct rm_frame_stream *s;
    double t0 = rm_clock_s();
    rc = rm_frame_stream_open(&s, r, threads);
    uint64_t total = 0;
    if (!rc) {
        *direct = rm_frame_stream_is_direct(s);
        const uint16_t *f;
        int64_t start, count;
        /* Summing is the stand-in for work on each block; the plain read's
         * sum is outside its timing, so this side is charged more. */
        while ((rc = rm_frame_stream_next(s, &f, &start, &count)) == 0 && count > 0)
            for (size_t i = 0; i < (size_t)count * per; i++)
                total += f[i];
        rm_frame_stream_close(s);
    }
    *seconds = rm_clock_s() - t0;
    *sum = total;
    rm_rec_reader_close(r);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"threads", required_argument, NULL, 't'},
        {"repeat", required_argument, NULL, 'r'},
        {"frames", required_argument, NULL, 'n'},
        {"size", required_argument, NULL, 's'},
        {"compression", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long threads = sysconf(_SC_NPROCESSORS_ONLN), repeat = 5, frames = 6000;
    int rows = 64, cols = 64, level = 1, opt;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 't':
            threads = atol(optarg);
            break;
        case 'r':
            repeat = atol(optarg);
            break;
        case 'n':
            frames = atol(optarg);
            break;
        case 's':
            if (sscanf(optarg, "%dx%d", &rows, &cols) != 2)
                return 2;
            break;
        case 'c':
            level = atoi(optarg);
            break;
        case 'h':
            printf("usage: rm_bench_read [--threads N] [--repeat K] [FILE.h5 | --frames N "
                   "--size RxC --compression L]\n");
            return 0;
        default:
            return 2;
        }
    }
    if (repeat < 1 || repeat > 101 || threads < 0 || threads > 64)
        return 2;
    rm_h5_quiet();
    char tmp[] = "/tmp/rm-bench-XXXXXX";
    char path[64];
    const char *file = optind < argc ? argv[optind] : NULL;
    if (!file) {
        if (!mkdtemp(tmp))
            return 1;
        snprintf(path, sizeof(path), "%s/bench.h5", tmp);
        int rc = make_recording(path, frames, rows, cols, level);
        if (rc) {
            fprintf(stderr, "rm_bench_read: %s\n", rm_last_error(rc));
            return 1;
        }
        file = path;
        struct stat st;
        double size_mb = stat(path, &st) == 0 ? (double)st.st_size / 1e6 : 0;
        printf("synthetic recording: %ld frames of %d x %d, deflate %d: %.2f MB file, "
               "%.1f x smaller than the counts\n",
               frames, rows, cols, level, size_mb,
               (double)frames * rows * cols * 2 / 1e6 / (size_mb > 0 ? size_mb : 1));
    }

    double *plain = calloc((size_t)repeat, sizeof(double));
    double *stream = calloc((size_t)repeat, sizeof(double));
    double *inline_s = calloc((size_t)repeat, sizeof(double));
    uint64_t sum_plain = 0, sum_stream = 0, sum_inline = 0;
    int direct = 0, rc = (!plain || !stream || !inline_s) ? RM_ENOMEM : 0;
    /* Interleaved, so drifts of the machine hit all three alike. */
    for (long k = 0; k < repeat && !rc; k++) {
        rc = plain_read(file, &plain[k], &sum_plain);
        rc = rc ? rc : stream_read(file, 0, &inline_s[k], &sum_inline, &direct);
        rc = rc ? rc : stream_read(file, (int)threads, &stream[k], &sum_stream, &direct);
    }
    if (rc) {
        fprintf(stderr, "rm_bench_read: %s\n", rm_last_error(rc));
    } else if (sum_plain != sum_stream || sum_plain != sum_inline) {
        fprintf(stderr, "rm_bench_read: stream and H5Dread disagree\n");
        rc = 1;
    } else {
        struct rm_rec_reader *r;
        rm_rec_reader_open(&r, file);
        const struct rm_rec_meta *m = rm_rec_meta(r);
        double mb = (double)rm_rec_frames(r) * m->rows * m->cols * 2 / 1e6;
        rm_rec_reader_close(r);
        double p = median(plain, (int)repeat), s0 = median(inline_s, (int)repeat);
        double s = median(stream, (int)repeat);
        printf("file: %s (%.1f MB of counts), %s decoding, %ld repeats, medians:\n", file, mb,
               direct ? "direct" : "H5Dread fallback", repeat);
        printf("  plain H5Dread of /frames      %8.1f ms  %7.1f MB/s\n", p * 1e3, mb / p);
        printf("  stream, no threads (+ sum)    %8.1f ms  %7.1f MB/s  ratio %.3f\n", s0 * 1e3,
               mb / s0, s0 / p);
        printf("  stream, %ld threads (+ sum)    %8.1f ms  %7.1f MB/s  ratio %.3f\n", threads,
               s * 1e3, mb / s, s / p);
    }
    free(plain);
    free(stream);
    free(inline_s);
    if (file == path) {
        unlink(path);
        rmdir(tmp);
    }
    return rc ? 1 : 0;
}

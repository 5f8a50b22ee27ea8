/* Recordings through the real HDF5: the writer's output read back bit for
 * bit by the reader, calibration files, writer argument checks, and a writer
 * killed with SIGKILL mid-session. */
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "rm_calibration.h"
#include "rm_error.h"
#include "rm_log.h"
#include "rm_recording.h"
#include "testlib.h"

#define ROWS  24
#define COLS  16
#define NSENS (ROWS * COLS)

static struct rm_rec_meta test_meta(void)
{
    struct rm_rec_meta m;
    memset(&m, 0, sizeof(m));
    snprintf(m.created_utc, sizeof(m.created_utc), "2026-11-23T07:15:02Z");
    snprintf(m.device_model, sizeof(m.device_model), "simulated");
    snprintf(m.device_serial, sizeof(m.device_serial), "SIM-0042");
    snprintf(m.device_firmware, sizeof(m.device_firmware), "2.1.0");
    m.rows = ROWS;
    m.cols = COLS;
    m.pitch_row_mm = 7.62;
    m.pitch_col_mm = 5.08;
    m.adc_bits = 12;
    m.rate_hz = 100.0;
    return m;
}

/* Frame i's counts: every value a uint16 can take turns up somewhere. */
static void make_frame(int64_t i, uint16_t *f)
{
    uint32_t x = (uint32_t)i * 2654435761u + 12345u;
    for (int k = 0; k < NSENS; k++) {
        x = x * 1664525u + 1013904223u;
        f[k] = (k % 5 == 0) ? 0 : (uint16_t)(x >> 16);
    }
}

static double frame_time(int64_t i)
{
    /* Irregular steps, as a real device clock gives. */
    return (double)i * 0.01 + (double)(i % 3) * 1e-4;
}

static struct rm_calibration *test_calibration(void)
{
    struct rm_calibration *cal;
    assert_int_equal(rm_calibration_new(&cal, ROWS, COLS), 0);
    snprintf(cal->device_serial, sizeof(cal->device_serial), "SIM-0042");
    snprintf(cal->created_utc, sizeof(cal->created_utc), "2026-11-20T10:00:00Z");
    for (int k = 0; k < NSENS; k++) {
        cal->offset[k] = 10.0f + (float)k * 0.125f;
        cal->gain[k] = 1.0f + (float)(k % 7) * 0.01f;
        cal->dead[k] = (k % 37) == 0;
    }
    double table[] = {0, 0, 100, 12.5, 400, 80.25, 4095, 900};
    assert_int_equal(rm_calibration_set_table(cal, table, 4), 0);
    return cal;
}

static void assert_calibration_equal(const struct rm_calibration *a, const struct rm_calibration *b)
{
    assert_int_equal(a->rows, b->rows);
    assert_int_equal(a->cols, b->cols);
    assert_string_equal(a->device_serial, b->device_serial);
    assert_string_equal(a->created_utc, b->created_utc);
    assert_int_equal(a->curve, b->curve);
    size_t n = (size_t)a->rows * (size_t)a->cols;
    assert_memory_equal(a->offset, b->offset, n * sizeof(float));
    assert_memory_equal(a->gain, b->gain, n * sizeof(float));
    assert_memory_equal(a->dead, b->dead, n);
    if (a->curve == RM_CURVE_TABLE) {
        assert_int_equal(a->table_len, b->table_len);
        assert_memory_equal(a->table, b->table, a->table_len * 2 * sizeof(double));
    } else {
        assert_true(a->curve_a == b->curve_a);
        assert_true(a->curve_b == b->curve_b);
    }
}

static const char *long_label = "a-label-of-exactly-sixty-four-bytes-which-fills-the-field-012345";

/* Writes n frames (with one explicit partial flush in the middle) and the
 * events and counters every round trip checks. */
static void write_recording(const char *path, int64_t n, int compression, int chunk,
                            const struct rm_calibration *cal)
{
    struct rm_rec_meta m = test_meta();
    struct rm_rec_writer_opts o = RM_REC_WRITER_OPTS_DEFAULT;
    o.compression = compression;
    o.chunk_frames = chunk;
    struct rm_rec_writer *w;
    assert_int_equal(rm_rec_writer_create(&w, path, &m, cal, &o), 0);
    assert_int_equal(rm_rec_writer_event(w, 0.0, "segment_start", "calf-left"), 0);
    uint16_t f[NSENS];
    for (int64_t i = 0; i < n; i++) {
        make_frame(i, f);
        assert_int_equal(rm_rec_writer_append(w, frame_time(i), 1000 + (uint64_t)i * 2, f), 0);
        if (i == n / 3)
            assert_int_equal(rm_rec_writer_flush(w), 0); /* a partial chunk */
    }
    assert_int_equal(rm_rec_writer_frames(w), n);
    assert_int_equal(rm_rec_writer_event(w, 1.5, "mark", long_label), 0);
    assert_int_equal(rm_rec_writer_event(w, 2.0, "segment_end", "calf-left"), 0);
    struct rm_rec_counters c = {3, 1, 77, 1};
    rm_rec_writer_set_counters(w, &c);
    assert_int_equal(rm_rec_writer_close(w), 0);
}

static void check_recording(const char *path, int64_t n, const struct rm_calibration *cal)
{
    struct rm_rec_reader *r;
    rm_clear_error();
    int rc = rm_rec_reader_open(&r, path);
    if (rc)
        fail_msg("open: %s", rm_last_error(rc));
    struct rm_rec_meta want = test_meta();
    const struct rm_rec_meta *m = rm_rec_meta(r);
    assert_string_equal(m->created_utc, want.created_utc);
    assert_string_equal(m->device_model, want.device_model);
    assert_string_equal(m->device_serial, want.device_serial);
    assert_string_equal(m->device_firmware, want.device_firmware);
    assert_int_equal(m->rows, ROWS);
    assert_int_equal(m->cols, COLS);
    assert_true(m->pitch_row_mm == want.pitch_row_mm);
    assert_true(m->pitch_col_mm == want.pitch_col_mm);
    assert_int_equal(m->adc_bits, 12);
    assert_true(m->rate_hz == 100.0);
    const struct rm_rec_counters *c = rm_rec_counters(r);
    assert_int_equal(c->frames_dropped, 3);
    assert_int_equal(c->crc_errors, 1);
    assert_int_equal(c->bytes_skipped, 77);
    assert_int_equal(c->disconnects, 1);
    assert_true(rm_rec_complete(r));
    assert_int_equal(rm_rec_frames(r), n);

    uint16_t *frames = malloc((size_t)n * NSENS * sizeof(uint16_t));
    double *t = malloc((size_t)n * sizeof(double));
    uint64_t *seq = malloc((size_t)n * sizeof(uint64_t));
    assert_non_null(frames);
    assert_non_null(t);
    assert_non_null(seq);
    assert_int_equal(rm_rec_read_frames(r, 0, n, frames), 0);
    assert_int_equal(rm_rec_read_t(r, 0, n, t), 0);
    assert_int_equal(rm_rec_read_seq(r, 0, n, seq), 0);
    uint16_t want_f[NSENS];
    for (int64_t i = 0; i < n; i++) {
        make_frame(i, want_f);
        assert_memory_equal(frames + (size_t)i * NSENS, want_f, sizeof(want_f));
        assert_true(t[i] == frame_time(i));
        assert_int_equal(seq[i], 1000 + (uint64_t)i * 2);
    }
    /* Reading outside the recording is the caller's mistake. */
    assert_int_equal(rm_rec_read_frames(r, n, 1, frames), RM_EUSAGE);
    free(frames);
    free(t);
    free(seq);

    assert_int_equal(rm_rec_nevents(r), 3);
    const struct rm_event *e = rm_rec_events(r);
    assert_true(e[0].t == 0.0);
    assert_string_equal(e[0].kind, "segment_start");
    assert_string_equal(e[0].label, "calf-left");
    assert_string_equal(e[1].kind, "mark");
    assert_string_equal(e[1].label, long_label);
    assert_true(e[2].t == 2.0);
    assert_string_equal(e[2].kind, "segment_end");

    if (cal) {
        assert_non_null(rm_rec_calibration(r));
        assert_calibration_equal(cal, rm_rec_calibration(r));
    } else {
        assert_null(rm_rec_calibration(r));
    }
    rm_rec_reader_close(r);
}

static void round_trip_deflate_with_calibration(void **state)
{
    (void)state;
    struct rm_calibration *cal = test_calibration();
    const char *path = rm_test_path("deflate.h5");
    write_recording(path, 257, 6, 50, cal); /* last chunk holds 7 frames */
    check_recording(path, 257, cal);
    struct rm_rec_reader *r;
    assert_int_equal(rm_rec_reader_open(&r, path), 0);
    assert_int_equal(rm_rec_chunk_frames(r), 50);
    rm_rec_reader_close(r);
    rm_calibration_free(cal);
}

static void round_trip_uncompressed_default_chunk(void **state)
{
    (void)state;
    const char *path = rm_test_path("plain.h5");
    write_recording(path, 333, 0, 0, NULL);
    check_recording(path, 333, NULL);
    struct rm_rec_reader *r;
    assert_int_equal(rm_rec_reader_open(&r, path), 0);
    assert_int_equal(rm_rec_chunk_frames(r), 50); /* half the default 1 s flush interval */
    rm_rec_reader_close(r);
}

static void empty_recording_is_valid(void **state)
{
    (void)state;
    const char *path = rm_test_path("empty.h5");
    struct rm_rec_meta m = test_meta();
    struct rm_rec_writer *w;
    assert_int_equal(rm_rec_writer_create(&w, path, &m, NULL, NULL), 0);
    assert_int_equal(rm_rec_writer_close(w), 0);
    struct rm_rec_reader *r;
    assert_int_equal(rm_rec_reader_open(&r, path), 0);
    assert_int_equal(rm_rec_frames(r), 0);
    assert_int_equal(rm_rec_nevents(r), 0);
    assert_true(rm_rec_complete(r));
    rm_rec_reader_close(r);
}

static void writer_refuses_bad_arguments(void **state)
{
    (void)state;
    const char *path = rm_test_path("args.h5");
    struct rm_rec_meta m = test_meta();
    struct rm_rec_writer *w;
    m.rows = 0;
    assert_int_equal(rm_rec_writer_create(&w, path, &m, NULL, NULL), RM_EUSAGE);
    m = test_meta();
    struct rm_calibration *small;
    assert_int_equal(rm_calibration_new(&small, 4, 4), 0);
    assert_int_equal(rm_rec_writer_create(&w, path, &m, small, NULL), RM_EUSAGE);
    rm_calibration_free(small);

    assert_int_equal(rm_rec_writer_create(&w, path, &m, NULL, NULL), 0);
    uint16_t f[NSENS] = {0};
    assert_int_equal(rm_rec_writer_append(w, 1.0, 0, f), 0);
    assert_int_equal(rm_rec_writer_append(w, 1.0, 1, f), RM_EUSAGE); /* not increasing */
    assert_int_equal(rm_rec_writer_event(w, 1.0, "a-kind-of-17-byte", ""), RM_EUSAGE);
    char label[RM_EVENT_LABEL_LEN + 2];
    memset(label, 'x', sizeof(label) - 1);
    label[sizeof(label) - 1] = '\0';
    assert_int_equal(rm_rec_writer_event(w, 1.0, "mark", label), RM_EUSAGE);
    assert_int_equal(rm_rec_writer_event(w, 1.0, "", "x"), RM_EUSAGE);
    assert_int_equal(rm_rec_writer_close(w), 0);
}

static void calibration_file_round_trip(void **state)
{
    (void)state;
    struct rm_calibration *cal = test_calibration(), *back;
    const char *path = rm_test_path("table.cal.h5");
    assert_int_equal(rm_calibration_save(path, cal), 0);
    assert_int_equal(rm_calibration_load(path, &back), 0);
    assert_calibration_equal(cal, back);
    rm_calibration_free(back);

    /* The power curve keeps a and b. */
    free(cal->table);
    cal->table = NULL;
    cal->table_len = 0;
    cal->curve = RM_CURVE_POWER;
    cal->curve_a = 0.0123;
    cal->curve_b = 1.37;
    path = rm_test_path("power.cal.h5");
    assert_int_equal(rm_calibration_save(path, cal), 0);
    assert_int_equal(rm_calibration_load(path, &back), 0);
    assert_calibration_equal(cal, back);
    rm_calibration_free(back);

    /* An invalid calibration is never saved, and leaves no file behind. */
    cal->curve_a = -1;
    path = rm_test_path("invalid.cal.h5");
    assert_int_equal(rm_calibration_save(path, cal), RM_EUSAGE);
    assert_int_equal(access(path, F_OK), -1);
    rm_calibration_free(cal);
}

static void calibration_and_recording_are_not_confused(void **state)
{
    (void)state;
    const char *rec = rm_test_path("a-recording.h5");
    const char *calpath = rm_test_path("a-calibration.h5");
    write_recording(rec, 10, 1, 0, NULL);
    struct rm_calibration *cal = test_calibration(), *back;
    assert_int_equal(rm_calibration_save(calpath, cal), 0);
    rm_calibration_free(cal);

    rm_clear_error();
    assert_int_equal(rm_calibration_load(rec, &back), RM_EFORMAT);
    assert_non_null(strstr(rm_last_error(RM_EFORMAT), "not \"calibration\""));
    struct rm_rec_reader *r;
    rm_clear_error();
    assert_int_equal(rm_rec_reader_open(&r, calpath), RM_EFORMAT);
    assert_non_null(strstr(rm_last_error(RM_EFORMAT), "is a calibration file"));
}

/* The child appends `frames` frames in chunks of `chunk`, flushes if told
 * to (as the daemon's timer does when frames stop), tells the parent, and
 * waits to be killed without ever closing the file. */
static void killed_writer_child(const char *path, int fd, int chunk, int64_t frames, bool flush)
{
    struct rm_rec_meta m = test_meta();
    struct rm_rec_writer_opts o = RM_REC_WRITER_OPTS_DEFAULT;
    o.chunk_frames = chunk;
    struct rm_rec_writer *w;
    if (rm_rec_writer_create(&w, path, &m, NULL, &o) != 0)
        _exit(1);
    rm_rec_writer_event(w, 0.0, "segment_start", "quad-left");
    uint16_t f[NSENS];
    for (int64_t i = 0; i < frames; i++) {
        make_frame(i, f);
        if (rm_rec_writer_append(w, frame_time(i), (uint64_t)i, f) != 0)
            _exit(1);
    }
    if (flush && rm_rec_writer_flush(w) != 0)
        _exit(1);
    if (write(fd, &frames, sizeof(frames)) != sizeof(frames))
        _exit(1);
    for (;;)
        pause();
}

/* Frames a SWMR reader sees in a file being written (-1: cannot open). */
static int64_t visible_frames(const char *path)
{
    struct rm_rec_reader *r;
    enum rm_log_level level = rm_log_get_level();
    rm_log_set_level(RM_LOG_NONE); /* "never closed by its writer", every time */
    int rc = rm_rec_reader_open(&r, path);
    rm_log_set_level(level);
    if (rc)
        return -1;
    int64_t n = rm_rec_frames(r);
    rm_rec_reader_close(r);
    return n;
}

/* Completed chunks are compressed and written by the writer's compression
 * threads, a few milliseconds after the append that completed them and with
 * no further call from the writing thread: wait (at most 30 s, never on a
 * healthy machine) until they are visible before the kill. */
static void wait_until_visible(const char *path, int64_t frames)
{
    for (int i = 0; i < 3000 && visible_frames(path) < frames; i++)
        usleep(10000);
}

/* Kills a writer after `frames` frames and checks that at least
 * `min_visible` of them survive, bit exact, for rollmat and for h5py. */
static void kill_writer_and_check(const char *name, int chunk, int64_t frames, bool flush,
                                  int64_t min_visible)
{
    const char *path = rm_test_path(name);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        killed_writer_child(path, fds[1], chunk, frames, flush);
    }
    close(fds[1]);
    int64_t written = 0;
    ssize_t got = read(fds[0], &written, sizeof(written));
    if (got == sizeof(written))
        wait_until_visible(path, min_visible);
    kill(pid, SIGKILL);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    close(fds[0]);
    assert_int_equal(got, sizeof(written));
    assert_int_equal(written, frames);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    struct rm_rec_reader *r;
    rm_clear_error();
    int rc = rm_rec_reader_open(&r, path);
    if (rc)
        fail_msg("open killed file: %s", rm_last_error(rc));
    assert_false(rm_rec_complete(r));
    int64_t n = rm_rec_frames(r);
    print_message("%s: %lld of %lld frames survived\n", name, (long long)n, (long long)frames);
    assert_true(n >= min_visible && n <= frames);
    uint16_t *got_frames = malloc((size_t)n * NSENS * sizeof(uint16_t));
    assert_non_null(got_frames);
    assert_int_equal(rm_rec_read_frames(r, 0, n, got_frames), 0);
    uint16_t want[NSENS];
    for (int64_t i = 0; i < n; i++) {
        make_frame(i, want);
        assert_memory_equal(got_frames + (size_t)i * NSENS, want, sizeof(want));
    }
    free(got_frames);
    assert_int_equal(rm_rec_nevents(r), 1);
    rm_rec_reader_close(r);

    /* Outside tools: h5py reads it in SWMR mode. */
    const char *py = getenv("ROLLMAT_PYTHON");
    char out[256];
    rc = rm_test_run(out, sizeof(out),
                     "%s -c \"import h5py; f = h5py.File('%s', 'r', libver='latest', swmr=True); "
                     "print(f['frames'].shape[0], f.attrs['complete'])\"",
                     py ? py : "/usr/bin/python3", path);
    assert_int_equal(rc, 0);
    long long h5py_frames = -1;
    int complete = -1;
    assert_int_equal(sscanf(out, "%lld %d", &h5py_frames, &complete), 2);
    assert_true(h5py_frames >= min_visible);
    assert_int_equal(complete, 0);
}

static void killed_writer_keeps_flushed_chunks(void **state)
{
    (void)state;
    /* Every completed chunk of 10 is written and flushed at once. */
    kill_writer_and_check("killed-chunks.h5", 10, 57, false, 50);
}

static void killed_writer_keeps_frames_older_than_a_second(void **state)
{
    (void)state;
    /* A chunk (1000 frames) longer than the flush interval: 2.5 s of frames,
     * of which everything more than 1 s old must be in the file. */
    kill_writer_and_check("killed-slow.h5", 1000, 250, false, 150);
}

static void killed_writer_keeps_explicitly_flushed_frames(void **state)
{
    (void)state;
    /* Frames stop mid-chunk and the timer flushes: every frame survives. */
    kill_writer_and_check("killed-flushed.h5", 100, 37, true, 37);
}

/* In a child limited to 300 KB of file (RLIMIT_FSIZE, as a full disk would):
 * append and close report the failure, and the file is never taken for a
 * complete recording. */
static void full_disk_never_looks_complete(void **state)
{
    (void)state;
    const char *path = rm_test_path("full.h5");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit lim = {300 * 1024, 300 * 1024};
        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &lim) != 0)
            _exit(10);
        struct rm_rec_meta m = test_meta();
        struct rm_rec_writer_opts o = RM_REC_WRITER_OPTS_DEFAULT;
        o.compression = 0;
        struct rm_rec_writer *w;
        if (rm_rec_writer_create(&w, path, &m, NULL, &o) != 0)
            _exit(11);
        uint16_t f[NSENS];
        int rc = 0;
        for (int64_t i = 0; i < 2000 && rc == 0; i++) {
            make_frame(i, f);
            rc = rm_rec_writer_append(w, frame_time(i), (uint64_t)i, f);
        }
        int crc = rm_rec_writer_close(w);
        /* Both fail, with the path in the message. */
        bool named = strstr(rm_last_error(crc), path) != NULL;
        _exit(rc == RM_EIO && crc == RM_EIO && named ? 0 : 12);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    struct rm_rec_reader *r;
    int rc = rm_rec_reader_open(&r, path);
    if (rc == 0) {
        assert_false(rm_rec_complete(r));
        rm_rec_reader_close(r);
    } else {
        assert_int_equal(rc, RM_EFORMAT);
    }
}

/* Bytes of a recording of `frames` compressible frames at 100 Hz, written
 * with the given flush interval, losing `drop_every`-th frame (0: none). */
static long recording_size(const char *name, int frames, double flush_s, int drop_every)
{
    struct rm_rec_meta m = test_meta();
    struct rm_rec_writer_opts o = RM_REC_WRITER_OPTS_DEFAULT;
    o.flush_interval_s = flush_s;
    struct rm_rec_writer *w;
    const char *path = rm_test_path(name);
    assert_int_equal(rm_rec_writer_create(&w, path, &m, NULL, &o), 0);
    uint16_t f[NSENS];
    for (int i = 0, kept = 0; kept < frames; i++) {
        if (drop_every && i % drop_every == drop_every - 1)
            continue; /* a frame the device lost: a gap in t and seq */
        for (int k = 0; k < NSENS; k++)
            f[k] = (uint16_t)(100 + (k + i) % 7); /* a quiet mat: compresses well */
        assert_int_equal(rm_rec_writer_append(w, i * 0.01, (uint64_t)i, f), 0);
        kept++;
    }
    assert_int_equal(rm_rec_writer_close(w), 0);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fclose(fp);
    return size;
}

/* Regression: a chunk written partially by a flush and again when full
 * leaves its first copy as dead space under SWMR (shared/notes). The daemon
 * flushes every 0.5 s and devices drop frames, so neither may make the file
 * grow: the same frames take the same room. */
static void flushes_and_drops_do_not_grow_the_file(void **state)
{
    (void)state;
    long plain = recording_size("plain.h5", 3000, 1.0, 0);
    long daemon = recording_size("daemon.h5", 3000, 0.5, 0);
    long drops = recording_size("drops.h5", 3000, 1.0, 20); /* 5 lost a second */
    assert_true(daemon <= plain + plain / 10);
    assert_true(drops <= plain + plain / 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_deflate_with_calibration),
        cmocka_unit_test(round_trip_uncompressed_default_chunk),
        cmocka_unit_test(empty_recording_is_valid),
        cmocka_unit_test(writer_refuses_bad_arguments),
        cmocka_unit_test(calibration_file_round_trip),
        cmocka_unit_test(calibration_and_recording_are_not_confused),
        cmocka_unit_test(killed_writer_keeps_flushed_chunks),
        cmocka_unit_test(killed_writer_keeps_frames_older_than_a_second),
        cmocka_unit_test(killed_writer_keeps_explicitly_flushed_frames),
        cmocka_unit_test(full_disk_never_looks_complete),
        cmocka_unit_test(flushes_and_drops_do_not_grow_the_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of the plot pieces that do not need a recording: file names,
 * gnuplot variables files (checked by the real gnuplot), gnuplot error
 * reporting, the per-segment maps, HTML escaping and the temporary
 * directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plot_internal.h"
#include "rm_error.h"
#include "testlib.h"

static char *memfile_text(FILE *f, char **buf)
{
    fclose(f);
    return *buf;
}

static void test_file_stem(void **state)
{
    (void)state;
    char out[64];
    rm_plot_file_stem("calf-left", NULL, 0, out, sizeof(out));
    assert_string_equal(out, "calf-left");
    rm_plot_file_stem("Calf Left!", NULL, 0, out, sizeof(out));
    assert_string_equal(out, "calf-left");
    rm_plot_file_stem("../../etc/passwd", NULL, 0, out, sizeof(out));
    assert_string_equal(out, "etc-passwd");
    rm_plot_file_stem("", NULL, 0, out, sizeof(out));
    assert_string_equal(out, "segment");
    rm_plot_file_stem("\xc3\x84\xc3\x96", NULL, 0, out, sizeof(out));
    assert_string_equal(out, "segment");
    rm_plot_file_stem("-rf .x", NULL, 0, out, sizeof(out));
    assert_string_equal(out, "rf-.x");

    const char *taken[] = {"calf-left", "calf-left-2"};
    rm_plot_file_stem("calf-left", taken, 2, out, sizeof(out));
    assert_string_equal(out, "calf-left-3");
    rm_plot_file_stem("CALF-LEFT", taken, 1, out, sizeof(out));
    assert_string_equal(out, "calf-left-2");

    char label[200];
    memset(label, 'a', sizeof(label) - 1);
    label[sizeof(label) - 1] = '\0';
    rm_plot_file_stem(label, NULL, 0, out, sizeof(out));
    assert_int_equal(strlen(out), 48);
}

static void test_vars_text(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    rm_gp_str(f, "title", "it's\na test");
    rm_gp_num(f, "x", 1.5);
    rm_gp_num(f, "nan", NAN);
    rm_gp_num_array(f, "empty", NULL, 0);
    double v[] = {1, 2.25};
    rm_gp_num_array(f, "two", v, 2);
    const char *s[] = {"a'b", "c"};
    rm_gp_str_array(f, "names", s, 2);
    char *text = memfile_text(f, &buf);
    assert_non_null(strstr(text, "title = 'it''s a test'\n"));
    assert_non_null(strstr(text, "x = 1.5\n"));
    assert_non_null(strstr(text, "nan = NaN\n"));
    assert_non_null(strstr(text, "array empty[1] = [0]\n"));
    assert_non_null(strstr(text, "array two[2] = [1, 2.25]\n"));
    assert_non_null(strstr(text, "array names[2] = ['a''b', 'c']\n"));
    free(text);
}

/* Writes a file in the test's temporary directory; returns its path. */
static const char *write_file(const char *name, const char *text)
{
    static char path[4][1024];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, 1024, "%s", rm_test_path(name));
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    return p;
}

/* The variables file, read by the real gnuplot, gives back exactly the
 * strings and numbers written, however awkward. */
static void test_vars_roundtrip_through_gnuplot(void **state)
{
    (void)state;
    char gnuplot[4096];
    assert_int_equal(rm_gnuplot_find(gnuplot, sizeof(gnuplot)), 0);

    const char *vars = rm_test_path("vars.gp");
    FILE *f = fopen(vars, "w");
    assert_non_null(f);
    rm_gp_str(f, "label", "o'neil \"calf\" \\n $x @y {z}");
    rm_gp_num(f, "value", 212.5);
    double a[] = {3, 4};
    rm_gp_num_array(f, "arr", a, 2);
    rm_gp_num_array(f, "none", NULL, 0);
    rm_gp_int(f, "n_none", 0);
    assert_int_equal(fclose(f), 0);

    const char *script =
        write_file("check.gp", "if (label ne 'o''neil \"calf\" \\n $x @y {z}') exit status 3\n"
                               "if (value != 212.5) exit status 4\n"
                               "if (arr[2] != 4) exit status 5\n"
                               "count = 0\n"
                               "do for [i=1:n_none] { count = count + 1 }\n"
                               "if (count != 0) exit status 6\n");
    char tmp[1024];
    snprintf(tmp, sizeof(tmp), "%s", rm_test_tmpdir());
    rm_clear_error();
    int rc = rm_gnuplot_run(gnuplot, tmp, vars, script, "check");
    assert_int_equal(rc, 0);
}

static void test_gnuplot_failure_reports_its_error(void **state)
{
    (void)state;
    char gnuplot[4096];
    assert_int_equal(rm_gnuplot_find(gnuplot, sizeof(gnuplot)), 0);
    const char *vars = write_file("v2.gp", "x = 1\n");
    const char *script = write_file("bad.gp", "y = 2\nplot undefined_thing_xyz(x)\n");
    char tmp[1024];
    snprintf(tmp, sizeof(tmp), "%s", rm_test_tmpdir());
    rm_clear_error();
    int rc = rm_gnuplot_run(gnuplot, tmp, vars, script, "a picture");
    assert_int_equal(rc, RM_EEXTERNAL);
    const char *msg = rm_last_error(rc);
    assert_non_null(strstr(msg, "a picture: gnuplot failed: "));
    assert_non_null(strstr(msg, "line 2"));
    assert_non_null(strstr(msg, "undefined"));
    assert_null(strchr(msg, '\n'));
}

static void test_error_line_choice(void **state)
{
    (void)state;
    char out[256];
    rm_gnuplot_error_line("\nplot foo(x)\n     ^\n\"s.gp\" line 3: undefined function: foo\n", out,
                          sizeof(out));
    assert_string_equal(out, "\"s.gp\" line 3: undefined function: foo");
    rm_gnuplot_error_line("something odd\nlast words\n\n", out, sizeof(out));
    assert_string_equal(out, "last words");
    rm_gnuplot_error_line("", out, sizeof(out));
    assert_string_equal(out, "no message");
}

static void test_gnuplot_missing(void **state)
{
    (void)state;
    const char *old = getenv("PATH");
    char *saved = strdup(old ? old : "");
    setenv("PATH", "/nonexistent-dir", 1);
    char path[256];
    rm_clear_error();
    int rc = rm_gnuplot_find(path, sizeof(path));
    setenv("PATH", saved, 1);
    free(saved);
    assert_int_equal(rc, RM_EEXTERNAL);
    assert_non_null(strstr(rm_last_error(rc), "apt-get install gnuplot-nox"));
}

/* 2 x 3 grid: one sensel at 5 kPa for 10 frames of 0.1 s. */
static void test_maps_calibrated(void **state)
{
    (void)state;
    struct rm_plot_maps *m = NULL;
    assert_int_equal(rm_plot_maps_new(&m, 2, 3, false, 0.0, 1.0, 10, 4, 0.1, NULL), 0);
    assert_int_equal(m->nbins, 4);
    float frame[6] = {0, 0, 0, 0, 5, 0};
    for (int i = 0; i < 10; i++)
        rm_plot_maps_add(m, frame, i * 0.1, 0.1, i < 5 ? 20.0 : NAN);
    rm_plot_maps_finish(m);
    assert_float_equal(m->integral[4], 5.0, 1e-5);
    assert_float_equal(m->integral[0], 0.0, 1e-9);
    assert_float_equal(m->peak[4], 5.0, 1e-6);
    assert_float_equal(m->peak_max, 5.0, 1e-6);
    /* Row 1 carries 5 kPa in every bin, times the row scale. */
    for (int b = 0; b < 4; b++) {
        assert_float_equal(m->kymo[1 * 4 + b], 0.5, 1e-6);
        assert_float_equal(m->kymo[0 * 4 + b], 0.0, 1e-9);
    }
    /* Speed: frames 0-4 at 20 mm/s fall in bins 0 and 1; bins 2, 3 unloaded. */
    assert_float_equal(m->speed[1], 20.0, 1e-6);
    assert_true(isnan(m->speed[5]));
    assert_true(isnan(m->speed[7]));
    assert_float_equal(m->speed[0], 0.125, 1e-6); /* centre of bin 0 */
    rm_plot_maps_free(m);
}

/* Raw counts: each sensel's offset (the analysis's baseline) is removed,
 * whatever it is. */
static void test_maps_raw_counts_baseline(void **state)
{
    (void)state;
    struct rm_plot_maps *m = NULL;
    const float baseline[2] = {40.0f, 30.0f};
    assert_int_equal(rm_plot_maps_new(&m, 1, 2, false, 0.0, 2.0, 20, 2000, 1.0, baseline), 0);
    assert_int_equal(m->nbins, 10); /* two frames per bin */
    for (int i = 0; i < 20; i++) {
        float frame[2] = {40.0f, i < 10 ? 100.0f : 30.0f};
        rm_plot_maps_add(m, frame, i * 0.1, 0.1, NAN);
    }
    rm_plot_maps_finish(m);
    assert_float_equal(m->integral[0], 0.0, 1e-4);
    assert_float_equal(m->integral[1], 70.0 * 1.0, 1e-3);
    assert_float_equal(m->peak[1], 70.0, 1e-4);
    assert_float_equal(m->kymo[0], 70.0, 1e-4); /* bin 0: 40 + 100 - (40 + 30) */
    assert_float_equal(m->kymo[9], 0.0, 1e-4);  /* bin 9: at baseline */
    assert_float_equal(m->speed_max, 0.0, 0);
    rm_plot_maps_free(m);
}

/* A roller along the columns (a mat laid sideways): the kymograph's lines
 * are the columns, each with its own sensels' baseline removed. */
static void test_maps_kymograph_along_columns(void **state)
{
    (void)state;
    struct rm_plot_maps *m = NULL;
    /* 2 rows x 3 columns; baseline 10 everywhere but 13 in row 1, col 2. */
    const float baseline[6] = {10, 10, 10, 10, 10, 13};
    assert_int_equal(rm_plot_maps_new(&m, 2, 3, true, 0.0, 1.0, 10, 2, 1.0, baseline), 0);
    assert_int_equal(m->lines, 3);
    /* Column 2 loaded 5 counts in both rows for the first half, then column
     * 0 by 7 counts. */
    for (int i = 0; i < 10; i++) {
        float frame[6] = {10, 10, 15, 10, 10, 18};
        if (i >= 5) {
            float later[6] = {17, 10, 10, 17, 10, 13};
            memcpy(frame, later, sizeof(frame));
        }
        rm_plot_maps_add(m, frame, i * 0.1, 0.1, NAN);
    }
    rm_plot_maps_finish(m);
    assert_int_equal(m->nbins, 2);
    assert_float_equal(m->kymo[2 * 2 + 0], 10.0, 1e-4); /* column 2, bin 0: 5 + 5 */
    assert_float_equal(m->kymo[2 * 2 + 1], 0.0, 1e-4);
    assert_float_equal(m->kymo[0 * 2 + 0], 0.0, 1e-4);
    assert_float_equal(m->kymo[0 * 2 + 1], 14.0, 1e-4); /* column 0, bin 1: 7 + 7 */
    assert_float_equal(m->kymo[1 * 2 + 0], 0.0, 1e-4);
    assert_float_equal(m->kymo_max, 14.0, 1e-4);
    rm_plot_maps_free(m);
}

/* The centre-of-pressure track is the tool's: a hand put down pulls the
 * centre of all the pressure toward it, not the track. */
static void test_cop_track_is_the_tools(void **state)
{
    (void)state;
    enum { N = 10 };
    double t[N], row[N], col[N], all_row[N], all_col[N];
    uint8_t loaded[N];
    for (int i = 0; i < N; i++) {
        t[i] = 0.1 * i;
        row[i] = 100 + i;
        col[i] = 50;
        bool hand = i >= 3 && i <= 5;
        all_row[i] = hand ? 300 : row[i];
        all_col[i] = hand ? 200 : col[i];
        loaded[i] = i != 8;
    }
    struct rm_trace tr = {.n = N,
                          .t = t,
                          .loaded = loaded,
                          .cop_row_mm = all_row,
                          .cop_col_mm = all_col,
                          .tool_row_mm = row,
                          .tool_col_mm = col};
    struct rm_other_contact hand = {.t_start = 0.25, .t_end = 0.55};
    struct rm_segment seg = {
        .frame_start = 1, .frame_end = N, .nother_contacts = 1, .other_contacts = &hand};
    const char *path = rm_test_path("cop.f32");
    size_t n = 0;
    assert_int_equal(rm_plot_write_cop(path, &tr, &seg, 100, &n), 0);
    assert_int_equal(n, N - 1);
    float v[2 * N];
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(v, 2 * sizeof(float), n, f), n);
    fclose(f);
    for (size_t k = 0; k < n; k++) {
        int i = (int)k + 1;
        assert_int_equal(isnan(v[2 * k + 1]), i == 8); /* unloaded */
        if (i != 8) {
            assert_float_equal(v[2 * k], 50.0, 1e-6);
            assert_float_equal(v[2 * k + 1], row[i], 1e-4);
        }
    }
}

static void test_html_escape(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rm_html_escape(f, "<img src=x onerror='a'>&\"");
    rm_html_escape(f, NULL);
    char *text = memfile_text(f, &buf);
    assert_string_equal(text, "&lt;img src=x onerror=&#39;a&#39;&gt;&amp;&quot;");
    free(text);
}

static void test_tmpdir(void **state)
{
    (void)state;
    char dir[1024];
    assert_int_equal(rm_plot_tmpdir_create(dir, sizeof(dir)), 0);
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);

    /* A file, a subdirectory, and a symlink to something outside that must
     * survive. */
    char path[1200], outside[1200];
    snprintf(path, sizeof(path), "%s/a.f32", dir);
    FILE *f = fopen(path, "w");
    fputs("x", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/sub", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(outside, sizeof(outside), "%s", write_file("keep.txt", "keep"));
    snprintf(path, sizeof(path), "%s/sub/link", dir);
    assert_int_equal(symlink(outside, path), 0);

    rm_plot_tmpdir_remove(dir);
    assert_int_not_equal(stat(dir, &st), 0);
    assert_int_equal(stat(outside, &st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_stem),
        cmocka_unit_test(test_vars_text),
        cmocka_unit_test(test_vars_roundtrip_through_gnuplot),
        cmocka_unit_test(test_gnuplot_failure_reports_its_error),
        cmocka_unit_test(test_error_line_choice),
        cmocka_unit_test(test_gnuplot_missing),
        cmocka_unit_test(test_maps_calibrated),
        cmocka_unit_test(test_maps_raw_counts_baseline),
        cmocka_unit_test(test_maps_kymograph_along_columns),
        cmocka_unit_test(test_cop_track_is_the_tools),
        cmocka_unit_test(test_html_escape),
        cmocka_unit_test(test_tmpdir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The command line's usage errors and option values (common/rm_cli.h): the
 * exact line each prints, and which numbers pass. */
#include <float.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rm_cli.h"

/* What stderr received since the last start_capture(). */
static FILE *captured;
static int saved_stderr = -1;
static char text[4096];

static void start_capture(void)
{
    fflush(stderr);
    captured = tmpfile();
    assert_non_null(captured);
    saved_stderr = dup(STDERR_FILENO);
    assert_true(saved_stderr >= 0);
    assert_true(dup2(fileno(captured), STDERR_FILENO) >= 0);
}

static const char *end_capture(void)
{
    fflush(stderr);
    assert_true(dup2(saved_stderr, STDERR_FILENO) >= 0);
    close(saved_stderr);
    rewind(captured);
    size_t n = fread(text, 1, sizeof(text) - 1, captured);
    text[n] = '\0';
    fclose(captured);
    return text;
}

static void test_usage_error_line(void **state)
{
    (void)state;
    start_capture();
    int rc = rm_cli_usage_error("record", "-o OUT.h5 is required");
    assert_int_equal(rc, 2);
    assert_string_equal(end_capture(),
                        "rollmat: record: -o OUT.h5 is required (see rollmat record --help)\n");

    start_capture();
    rc = rm_cli_usage_error("calib fit", "more than %d --load", 64);
    assert_int_equal(rc, 2);
    assert_string_equal(end_capture(),
                        "rollmat: calib fit: more than 64 --load (see rollmat calib fit --help)\n");
}

static void test_usage_error_daemon_and_rollmat(void **state)
{
    (void)state;
    start_capture();
    assert_int_equal(rm_cli_usage_error(RM_CLI_DAEMON, "--dir is too long"), 2);
    assert_string_equal(end_capture(),
                        "rollmat: rollmatd: --dir is too long (see rollmatd --help)\n");

    start_capture();
    assert_int_equal(rm_cli_usage_error(NULL, "unknown command '%s'", "frob"), 2);
    assert_string_equal(end_capture(), "rollmat: unknown command 'frob' (see rollmat --help)\n");
}

/* An argument with a newline in it must not break the one line. */
static void test_usage_error_stays_one_line(void **state)
{
    (void)state;
    char *argv[] = {"info", "a.h5", "a\nb\tc", NULL};
    optind = 1;
    start_capture();
    assert_int_equal(rm_cli_operands("info", 3, argv, 1, 1, "FILE.h5"), 2);
    assert_string_equal(end_capture(),
                        "rollmat: info: unexpected argument 'a?b?c' (see rollmat info --help)\n");
}

/* What getopt_long left: how many a command takes. */
static void test_operands(void **state)
{
    (void)state;
    char *argv[] = {"mark", "--socket", "s", "x", "y", NULL};
    optind = 3;
    assert_int_equal(rm_cli_operands("mark", 5, argv, 1, -1, "TEXT"), 0);
    assert_int_equal(rm_cli_operands("mark", 5, argv, 2, 2, "TEXT"), 0);
    optind = 5;
    start_capture();
    assert_int_equal(rm_cli_operands("mark", 5, argv, 1, -1, "TEXT"), 2);
    assert_string_equal(end_capture(), "rollmat: mark: missing TEXT (see rollmat mark --help)\n");
    assert_int_equal(rm_cli_operands("stop", 5, argv, 0, 0, NULL), 0);
    optind = 3;
    start_capture();
    assert_int_equal(rm_cli_operands("start", 5, argv, 0, 1, "[LABEL]"), 2);
    assert_string_equal(end_capture(),
                        "rollmat: start: unexpected argument 'y' (see rollmat start --help)\n");
    start_capture();
    assert_int_equal(rm_cli_operands("record", 5, argv, 0, 0, NULL), 2);
    assert_string_equal(end_capture(),
                        "rollmat: record: unexpected argument 'x' (see rollmat record --help)\n");
}

static void test_parse_double_good(void **state)
{
    (void)state;
    double v = -1;
    assert_int_equal(rm_cli_parse_double("record", "--duration", "1.5", DBL_TRUE_MIN, DBL_MAX, &v),
                     0);
    assert_true(v == 1.5);
    assert_int_equal(rm_cli_parse_double("record", "--duration", "2e3", DBL_TRUE_MIN, DBL_MAX, &v),
                     0);
    assert_true(v == 2000);
    /* Both bounds belong to the range. */
    assert_int_equal(
        rm_cli_parse_double("calib check", "--tolerance", "100", DBL_TRUE_MIN, 100, &v), 0);
    assert_true(v == 100);
    assert_int_equal(rm_cli_parse_double("x", "--v", "-2.5", -2.5, 0, &v), 0);
    assert_true(v == -2.5);
}

static void test_parse_double_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",  " 1", "1 ",      "1x",   "abc",   "inf", "-inf", "nan", "1e999",
        "0", "-1", "100.001", "0x10", "0x1p3", ".",   "+",    "1e",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        double v = 42;
        start_capture();
        int rc = rm_cli_parse_double("calib check", "--tolerance", bad[i], DBL_TRUE_MIN, 100, &v);
        const char *err = end_capture();
        if (rc != 2)
            fail_msg("'%s' passed", bad[i]);
        assert_true(v == 42); /* untouched */
        assert_non_null(strstr(err, "rollmat: calib check: --tolerance '"));
        assert_non_null(strstr(err, "': expected a number above 0 and at most 100 (see"));
        assert_int_equal(strchr(err, '\n') - err, (long)strlen(err) - 1); /* one line */
    }
}

static void test_parse_double_messages(void **state)
{
    (void)state;
    double v;
    start_capture();
    rm_cli_parse_double("record", "--duration", "-1", DBL_TRUE_MIN, DBL_MAX, &v);
    assert_string_equal(end_capture(), "rollmat: record: --duration '-1': expected a number above "
                                       "0 (see rollmat record --help)\n");
    start_capture();
    rm_cli_parse_double("calib check", "--tolerance", "nan", DBL_TRUE_MIN, 100, &v);
    assert_string_equal(end_capture(),
                        "rollmat: calib check: --tolerance 'nan': expected a number above 0 and "
                        "at most 100 (see rollmat calib check --help)\n");
    start_capture();
    rm_cli_parse_double("x", "--v", "9", 1, 5, &v);
    assert_string_equal(
        end_capture(),
        "rollmat: x: --v '9': expected a number from 1 to 5 (see rollmat x --help)\n");
    start_capture();
    rm_cli_parse_double("x", "--v", "-9", 1, DBL_MAX, &v);
    assert_string_equal(end_capture(), "rollmat: x: --v '-9': expected a number of at least 1 "
                                       "(see rollmat x --help)\n");
    start_capture();
    rm_cli_parse_double("x", "--v", "z", -DBL_MAX, DBL_MAX, &v);
    assert_string_equal(end_capture(),
                        "rollmat: x: --v 'z': expected a number (see rollmat x --help)\n");
}

static void test_parse_int(void **state)
{
    (void)state;
    int v = -1;
    assert_int_equal(rm_cli_parse_int("record", "--compression", "0", 0, 9, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(rm_cli_parse_int("record", "--compression", "9", 0, 9, &v), 0);
    assert_int_equal(v, 9);
    assert_int_equal(rm_cli_parse_int("x", "--n", "-7", -10, 10, &v), 0);
    assert_int_equal(v, -7);
    assert_int_equal(rm_cli_parse_int("x", "--n", "007", 0, 10, &v), 0);
    assert_int_equal(v, 7);

    static const char *const bad[] = {
        "", "-", "10", "-1", "+5", " 5", "5 ", "5x", "3.0", "1e1", "0x5", "99999999999999999999",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v = 42;
        start_capture();
        int rc = rm_cli_parse_int("record", "--compression", bad[i], 0, 9, &v);
        const char *err = end_capture();
        if (rc != 2)
            fail_msg("'%s' passed", bad[i]);
        assert_int_equal(v, 42);
        assert_non_null(strstr(err, "rollmat: record: --compression '"));
    }
    start_capture();
    rm_cli_parse_int("record", "--compression", "10", 0, 9, &v);
    assert_string_equal(end_capture(), "rollmat: record: --compression '10': expected a whole "
                                       "number from 0 to 9 (see rollmat record --help)\n");
    /* A bound at the end of the type is not one to name. */
    start_capture();
    rm_cli_parse_int("x", "--n", "0", 1, INT32_MAX, &v);
    assert_string_equal(end_capture(), "rollmat: x: --n '0': expected a whole number of at least 1 "
                                       "(see rollmat x --help)\n");
    /* Beyond int, though within long. */
    start_capture();
    assert_int_equal(rm_cli_parse_int("x", "--n", "4294967296", 1, INT32_MAX, &v), 2);
    end_capture();
}

static void test_parse_int64(void **state)
{
    (void)state;
    int64_t v = -1;
    assert_int_equal(rm_cli_parse_int64("sim", "--seed", "9223372036854775807", 0, INT64_MAX, &v),
                     0);
    assert_true(v == INT64_MAX);
    assert_int_equal(rm_cli_parse_int64("sim", "--seed", "0", 0, INT64_MAX, &v), 0);
    assert_true(v == 0);
    start_capture();
    assert_int_equal(rm_cli_parse_int64("sim", "--seed", "9223372036854775808", 0, INT64_MAX, &v),
                     2);
    end_capture();
    start_capture();
    assert_int_equal(rm_cli_parse_int64("sim", "--seed", "-3", 0, INT64_MAX, &v), 2);
    assert_string_equal(end_capture(), "rollmat: sim: --seed '-3': expected a whole number of at "
                                       "least 0 (see rollmat sim --help)\n");
    assert_true(v == 0);
}

/* getopt_long over args, then the line rm_cli_bad_option() prints for the
 * first refusal. */
static const char *refusal(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'},
        {"json", no_argument, NULL, 'j'},
        {"realtime", no_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    rm_cli_getopt_start();
    int c;
    start_capture();
    while ((c = getopt_long(argc, argv, ":o:r", longopts, NULL)) != -1)
        if (c == '?' || c == ':') {
            assert_int_equal(rm_cli_bad_option("plot", c, argv), 2);
            break;
        }
    return end_capture();
}

static void test_bad_option(void **state)
{
    (void)state;
    char *unknown_long[] = {"plot", "--bogus", "f.h5", NULL};
    assert_string_equal(refusal(3, unknown_long),
                        "rollmat: plot: unknown option '--bogus' (see rollmat plot --help)\n");
    char *unknown_short[] = {"plot", "-q", NULL};
    assert_string_equal(refusal(2, unknown_short),
                        "rollmat: plot: unknown option '-q' (see rollmat plot --help)\n");
    /* Inside a group, after an option with its argument. */
    char *grouped[] = {"plot", "--out=d", "-rq", NULL};
    assert_string_equal(refusal(3, grouped),
                        "rollmat: plot: unknown option '-q' (see rollmat plot --help)\n");
    char *missing_short[] = {"plot", "-o", NULL};
    assert_string_equal(refusal(2, missing_short),
                        "rollmat: plot: -o needs an argument (see rollmat plot --help)\n");
    char *missing_long[] = {"plot", "f.h5", "--out", NULL};
    assert_string_equal(refusal(3, missing_long),
                        "rollmat: plot: --out needs an argument (see rollmat plot --help)\n");
    char *argument_to_flag[] = {"plot", "--json=yes", NULL};
    assert_string_equal(refusal(2, argument_to_flag),
                        "rollmat: plot: --json takes no argument (see rollmat plot --help)\n");
    /* A restart forgets the group an earlier vector stopped in. */
    char *stopped[] = {"plot", "-qr", NULL};
    refusal(2, stopped);
    char *fine[] = {"plot", "-r", NULL};
    assert_string_equal(refusal(2, fine), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage_error_line),
        cmocka_unit_test(test_usage_error_daemon_and_rollmat),
        cmocka_unit_test(test_usage_error_stays_one_line),
        cmocka_unit_test(test_operands),
        cmocka_unit_test(test_parse_double_good),
        cmocka_unit_test(test_parse_double_bad),
        cmocka_unit_test(test_parse_double_messages),
        cmocka_unit_test(test_parse_int),
        cmocka_unit_test(test_parse_int64),
        cmocka_unit_test(test_bad_option),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The pieces of rollmatd that need no mat: the --auto load detector, the
 * checks on what clients send, and the control socket itself. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control_server.h"
#include "load_detect.h"
#include "rm_control.h"
#include "rm_error.h"
#include "testlib.h"

#define RATE 100.0

/* ---- load detector --------------------------------------------------------- */

/* A 64 x 32, 12-bit mat: floor = 4 sensels at full scale = 16380 counts. */
static void init_mat(struct rm_load_detector *d)
{
    rm_load_detector_init(d, 64, 32, 12);
}

static double noise(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return (double)((*seed >> 16) % 600); /* 0..599 counts of jitter */
}

/* Feeds frames from t0 for seconds with sum(t); returns the last verdict. */
static bool feed(struct rm_load_detector *d, double t0, double seconds, double (*sum)(double),
                 unsigned *seed)
{
    bool loaded = false;
    for (double t = t0; t < t0 + seconds - 1e-9; t += 1.0 / RATE)
        loaded = rm_load_detector_feed(d, t, sum(t) + noise(seed));
    return loaded;
}

static double unloaded(double t)
{
    (void)t;
    return 20000.0;
}

static double rolling(double t)
{
    /* A leg on the roller: 40 sensels around 1500 counts, varying. */
    return 20000.0 + 60000.0 + 10000.0 * (t - (double)(long)t);
}

static double drifting(double t)
{
    /* Warming up: +5000 counts over a minute, well under the floor. */
    return 20000.0 + 5000.0 * t / 60.0;
}

static void test_noise_is_not_load(void **state)
{
    (void)state;
    struct rm_load_detector d;
    unsigned seed = 1;
    init_mat(&d);
    assert_false(feed(&d, 0, 20, unloaded, &seed));
    assert_true(rm_load_detector_threshold(&d) >= 20000.0 + 16380.0);
    assert_true(rm_load_detector_threshold(&d) < 20000.0 + 16380.0 + 1000.0);
    assert_true(rm_load_detector_idle_for(&d, 20.0) > 19.9);
    assert_true(rm_load_detector_loaded_for(&d, 20.0) == 0.0);
}

static void test_drift_is_not_load(void **state)
{
    (void)state;
    struct rm_load_detector d;
    unsigned seed = 2;
    init_mat(&d);
    bool ever = false;
    for (double t = 0; t < 60.0; t += 1.0 / RATE)
        ever |= rm_load_detector_feed(&d, t, drifting(t) + noise(&seed));
    assert_false(ever);
}

static void test_load_timing(void **state)
{
    (void)state;
    struct rm_load_detector d;
    unsigned seed = 3;
    init_mat(&d);
    assert_false(feed(&d, 0, 5, unloaded, &seed));
    assert_true(feed(&d, 5, 1.5, rolling, &seed));
    double t = 6.5 - 1.0 / RATE;
    assert_true(rm_load_detector_loaded_for(&d, t) > 1.45);
    assert_true(rm_load_detector_loaded_for(&d, t) < 1.55);
    assert_true(rm_load_detector_idle_for(&d, t) == 0.0);
    assert_false(feed(&d, 6.5, 3, unloaded, &seed));
    assert_true(rm_load_detector_idle_for(&d, 9.5) > 2.95);
    assert_true(rm_load_detector_loaded_for(&d, 9.5) == 0.0);
}

static void test_hysteresis_keeps_one_load(void **state)
{
    (void)state;
    struct rm_load_detector d;
    unsigned seed = 4;
    init_mat(&d);
    feed(&d, 0, 5, unloaded, &seed);
    double threshold = rm_load_detector_threshold(&d);
    assert_true(rm_load_detector_feed(&d, 5.0, threshold + 5000));
    /* Lighter for a moment, still above halfway: the same load. */
    assert_true(rm_load_detector_feed(&d, 5.01, 20000.0 + 0.7 * (threshold - 20000.0)));
    assert_true(rm_load_detector_loaded_for(&d, 5.01) > 0.0099);
    /* Below halfway: the load ended. */
    assert_false(rm_load_detector_feed(&d, 5.02, 20000.0 + 0.3 * (threshold - 20000.0)));
}

static void test_baseline_learnt_under_load_recovers(void **state)
{
    (void)state;
    struct rm_load_detector d;
    unsigned seed = 5;
    init_mat(&d);
    /* Started while someone rolls: that is taken for the baseline ... */
    feed(&d, 0, 3, rolling, &seed);
    /* ... until the roller is lifted, which lowers it at once ... */
    assert_false(feed(&d, 3, 2, unloaded, &seed));
    assert_true(rm_load_detector_threshold(&d) < 20000.0 + 16380.0 + 1000.0);
    /* ... and the next load is seen. */
    assert_true(feed(&d, 5, 1, rolling, &seed));
}

static void test_small_mat_floor(void **state)
{
    (void)state;
    struct rm_load_detector d;
    rm_load_detector_init(&d, 4, 4, 10);
    rm_load_detector_feed(&d, 0, 0);
    /* One sensel at full scale (1023) on a 16-sensel mat. */
    assert_true(rm_load_detector_threshold(&d) == 1023.0);
    assert_false(rm_load_detector_feed(&d, 0.01, 1000));
    assert_true(rm_load_detector_feed(&d, 0.02, 1100));
}

/* ---- labels and texts --------------------------------------------------------- */

static void test_labels(void **state)
{
    (void)state;
    char why[128];
    const char *good[] = {"calf-left",
                          "it-band-right",
                          "lower-back",
                          "Quad_L",
                          "x",
                          "c7.5",
                          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_int_equal(rm_control_check_label(good[i], why, sizeof(why)), 0);
    const char *bad[] = {"",
                         "../x",
                         "a/b",
                         "..",
                         "a..b",
                         "/etc",
                         "a\\b",
                         "-rf",
                         ".hidden",
                         "calf left",
                         "caf\xc3\xa9",
                         "tab\there",
                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = '\0';
        assert_int_equal(rm_control_check_label(bad[i], why, sizeof(why)), RM_EUSAGE);
        assert_true(why[0] != '\0');
    }
    rm_control_check_label("a/b", why, sizeof(why));
    assert_non_null(strstr(why, "'/'"));
    rm_control_check_label("x..", why, sizeof(why));
    assert_non_null(strstr(why, "'..'"));
}

static void test_texts(void **state)
{
    (void)state;
    char why[128];
    const char *good[] = {"felt a knot", "10/10 pain", "caf\xc3\xa9 \xe2\x80\x94 ok",
                          "\xf0\x9f\x91\x8d", "../../ is just text here"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_int_equal(rm_control_check_text(good[i], why, sizeof(why)), 0);
    const char *bad[] = {
        "",
        "line\nbreak",
        "tab\t",
        "del\x7f",
        "\xff\xfe",
        "\xc0\xaf",         /* overlong '/' */
        "\xed\xa0\x80",     /* a surrogate */
        "\xf4\x90\x80\x80", /* above U+10FFFF */
        "\xc2\x85",         /* C1 control NEL */
        "\xe2\x80",         /* cut short */
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(rm_control_check_text(bad[i], why, sizeof(why)), RM_EUSAGE);
}

/* ---- control socket ------------------------------------------------------------- */

static void echo_handler(void *user, const char *line, char *reply, size_t size)
{
    int *calls = user;
    (*calls)++;
    snprintf(reply, size, "ok [%s]", line);
}

static int connect_to(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Runs the server until the client's answer is complete (or it hung up). */
static void pump(struct rm_control_server *srv, int *calls)
{
    for (int i = 0; i < 20; i++) {
        struct pollfd fds[RM_CONTROL_POLLFDS];
        int n = rm_control_server_pollfds(srv, fds);
        if (poll(fds, (nfds_t)n, 20) > 0)
            rm_control_server_dispatch(srv, fds, n, echo_handler, calls);
    }
}

static void read_reply(int fd, char *out, size_t size)
{
    size_t got = 0;
    ssize_t n;
    while (got + 1 < size && (n = recv(fd, out + got, size - 1 - got, MSG_DONTWAIT)) > 0)
        got += (size_t)n;
    out[got] = '\0';
}

static void test_server_lines_and_permissions(void **state)
{
    (void)state;
    const char *path = rm_test_path("ctl.sock");
    struct rm_control_server *srv = NULL;
    int calls = 0;
    assert_int_equal(rm_control_server_open(&srv, path), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0660);

    /* Two commands in one write, CRLF tolerated, a last one without newline
     * answered at hang-up. */
    int fd = connect_to(path);
    assert_true(fd >= 0);
    const char msg[] = "status\r\nmark a b\nstop";
    assert_int_equal(send(fd, msg, sizeof(msg) - 1, 0), (ssize_t)sizeof(msg) - 1);
    shutdown(fd, SHUT_WR);
    pump(srv, &calls);
    char reply[512];
    read_reply(fd, reply, sizeof(reply));
    assert_string_equal(reply, "ok [status]\nok [mark a b]\nok [stop]\n");
    close(fd);

    /* Too long a line: refused, handler never called, client dropped. */
    calls = 0;
    fd = connect_to(path);
    char longline[400];
    memset(longline, 'x', sizeof(longline));
    assert_int_equal(send(fd, longline, sizeof(longline), 0), (ssize_t)sizeof(longline));
    pump(srv, &calls);
    read_reply(fd, reply, sizeof(reply));
    assert_string_equal(reply, "error command line longer than 256 bytes\n");
    assert_int_equal(calls, 0);
    close(fd);

    /* A NUL inside a line. */
    fd = connect_to(path);
    assert_int_equal(send(fd, "mark a\0b\n", 9, 0), 9);
    pump(srv, &calls);
    read_reply(fd, reply, sizeof(reply));
    assert_string_equal(reply, "error NUL byte in command\n");
    assert_int_equal(calls, 0);
    close(fd);

    /* A second server on a live socket is refused; after close the socket
     * file is gone. */
    struct rm_control_server *other = NULL;
    rm_clear_error();
    assert_int_equal(rm_control_server_open(&other, path), RM_EIO);
    assert_non_null(strstr(rm_last_error(RM_EIO), "another rollmatd"));
    rm_control_server_close(srv);
    assert_int_equal(access(path, F_OK), -1);
}

static void test_server_stale_socket_and_plain_file(void **state)
{
    (void)state;
    const char *path = rm_test_path("stale.sock");
    /* A socket nobody listens on: what a killed daemon leaves. */
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    close(fd);
    struct rm_control_server *srv = NULL;
    assert_int_equal(rm_control_server_open(&srv, path), 0);
    int calls = 0;
    fd = connect_to(path);
    assert_true(fd >= 0);
    assert_int_equal(send(fd, "status\n", 7, 0), 7);
    pump(srv, &calls);
    assert_int_equal(calls, 1);
    close(fd);
    rm_control_server_close(srv);

    const char *plain = rm_test_path("plain");
    FILE *f = fopen(plain, "w");
    fputs("keep me\n", f);
    fclose(f);
    rm_clear_error();
    assert_int_equal(rm_control_server_open(&srv, plain), RM_EIO);
    assert_non_null(strstr(rm_last_error(RM_EIO), "not a socket"));
    struct stat st;
    assert_int_equal(stat(plain, &st), 0);
    assert_int_equal(st.st_size, 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_noise_is_not_load),
        cmocka_unit_test(test_drift_is_not_load),
        cmocka_unit_test(test_load_timing),
        cmocka_unit_test(test_hysteresis_keeps_one_load),
        cmocka_unit_test(test_baseline_learnt_under_load_recovers),
        cmocka_unit_test(test_small_mat_floor),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_texts),
        cmocka_unit_test(test_server_lines_and_permissions),
        cmocka_unit_test(test_server_stale_socket_and_plain_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

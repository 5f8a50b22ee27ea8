/* The serial backend's rate request (rm_device_opts.rate_hz) against a
 * minimal fake mat on a pseudo-terminal: the handshake sends R with the
 * rate and reads the info block again to see it taken; a mat that ignores
 * R, and a rate beyond the mat's maximum, are refused with a message. The
 * rest of the backend is tested from Python (test_serial_pty.py). */
#define _XOPEN_SOURCE 600 /* posix_openpt, ptsname */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "rm_device.h"
#include "rm_error.h"
#include "serial_proto.h"

struct fake {
    int master, slave;
    char spec[64];
    bool obeys_rate;
    atomic_int rate_hz;
    atomic_int rate_requests;
    atomic_bool quit;
    pthread_t thread;
};

static void reply_info(struct fake *f)
{
    struct rm_mat_info info = {.protocol_version = 1,
                               .rows = 4,
                               .cols = 4,
                               .pitch_row_um = 20000,
                               .pitch_col_um = 20000,
                               .adc_bits = 10,
                               .max_rate_hz = 60,
                               .rate_hz = (uint16_t)atomic_load(&f->rate_hz)};
    snprintf(info.serial, sizeof(info.serial), "RATE-1");
    snprintf(info.model, sizeof(info.model), "fake");
    uint8_t reply[RM_SERIAL_INFO_REPLY_SIZE];
    rm_serial_encode_info(&info, reply);
    assert_int_equal(write(f->master, reply, sizeof(reply)), sizeof(reply));
}

/* Answers I and R until told to quit. */
static void *fake_thread(void *arg)
{
    struct fake *f = arg;
    uint8_t buf[64];
    size_t have = 0;
    while (!atomic_load(&f->quit)) {
        struct pollfd p = {.fd = f->master, .events = POLLIN};
        if (poll(&p, 1, 20) <= 0)
            continue;
        ssize_t n = read(f->master, buf + have, sizeof(buf) - have);
        if (n <= 0)
            continue;
        have += (size_t)n;
        size_t used = 0;
        while (used < have) {
            uint8_t cmd = buf[used];
            if (cmd == RM_SERIAL_CMD_RATE) {
                if (have - used < 3)
                    break;
                atomic_fetch_add(&f->rate_requests, 1);
                if (f->obeys_rate)
                    atomic_store(&f->rate_hz, buf[used + 1] | buf[used + 2] << 8);
                used += 3;
                continue;
            }
            if (cmd == RM_SERIAL_CMD_INFO)
                reply_info(f);
            used++;
        }
        memmove(buf, buf + used, have - used);
        have -= used;
    }
    return NULL;
}

static void fake_start(struct fake *f, bool obeys_rate)
{
    memset(f, 0, sizeof(*f));
    f->obeys_rate = obeys_rate;
    atomic_store(&f->rate_hz, 50);
    f->master = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(f->master >= 0);
    assert_int_equal(grantpt(f->master), 0);
    assert_int_equal(unlockpt(f->master), 0);
    /* Held open, raw, so that nothing echoes before the backend opens it. */
    f->slave = open(ptsname(f->master), O_RDWR | O_NOCTTY);
    assert_true(f->slave >= 0);
    struct termios t;
    assert_int_equal(tcgetattr(f->slave, &t), 0);
    cfmakeraw(&t);
    assert_int_equal(tcsetattr(f->slave, TCSANOW, &t), 0);
    snprintf(f->spec, sizeof(f->spec), "serial:%s", ptsname(f->master));
    assert_int_equal(pthread_create(&f->thread, NULL, fake_thread, f), 0);
}

static void fake_stop(struct fake *f)
{
    atomic_store(&f->quit, true);
    pthread_join(f->thread, NULL);
    close(f->slave);
    close(f->master);
}

static void test_rate_taken(void **state)
{
    (void)state;
    struct fake f;
    fake_start(&f, true);
    struct rm_device *dev = NULL;
    struct rm_device_opts opts = {.rate_hz = 60};
    assert_int_equal(rm_device_open(&dev, f.spec, &opts), 0);
    assert_int_equal(rm_device_info(dev)->rate_hz, 60);
    assert_int_equal(atomic_load(&f.rate_hz), 60);
    assert_int_equal(atomic_load(&f.rate_requests), 1);
    rm_device_close(dev);

    /* The mat's own rate already: no R at all. */
    assert_int_equal(rm_device_open(&dev, f.spec, &opts), 0);
    assert_int_equal(atomic_load(&f.rate_requests), 1);
    rm_device_close(dev);
    fake_stop(&f);
}

static void test_rate_ignored(void **state)
{
    (void)state;
    struct fake f;
    fake_start(&f, false);
    struct rm_device *dev = NULL;
    struct rm_device_opts opts = {.rate_hz = 60};
    rm_clear_error();
    assert_int_equal(rm_device_open(&dev, f.spec, &opts), RM_EFORMAT);
    assert_null(dev);
    assert_non_null(strstr(rm_last_error(RM_EFORMAT), "kept 50 Hz after being asked for 60 Hz"));
    fake_stop(&f);
}

static void test_rate_beyond_max(void **state)
{
    (void)state;
    struct fake f;
    fake_start(&f, true);
    struct rm_device *dev = NULL;
    struct rm_device_opts opts = {.rate_hz = 100};
    rm_clear_error();
    assert_int_equal(rm_device_open(&dev, f.spec, &opts), RM_EUSAGE);
    assert_non_null(strstr(rm_last_error(RM_EUSAGE), "rate 100 Hz outside the mat's 1..60 Hz"));
    assert_int_equal(atomic_load(&f.rate_requests), 0);
    fake_stop(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_taken),
        cmocka_unit_test(test_rate_ignored),
        cmocka_unit_test(test_rate_beyond_max),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The device layer's one table of backends: specs map to the backend that
 * declares them, with its capabilities, known before anything opens; the
 * help lists every backend; a spec no backend takes is a usage error naming
 * them all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rm_device.h"
#include "rm_error.h"

static void test_caps_from_spec(void **state)
{
    (void)state;
    unsigned caps = 0;
    assert_int_equal(rm_device_spec_caps("usb", &caps), 0);
    assert_true(caps & RM_DEVICE_CAN_RECONNECT);
    assert_int_equal(rm_device_spec_caps("usb:1209:0001:SER", &caps), 0);
    assert_true(caps & RM_DEVICE_CAN_RECONNECT);
    assert_int_equal(rm_device_spec_caps(NULL, &caps), 0); /* the default: usb */
    assert_true(caps & RM_DEVICE_CAN_RECONNECT);
    assert_int_equal(rm_device_spec_caps("sim:good", &caps), 0);
    assert_false(caps & RM_DEVICE_CAN_RECONNECT);
    assert_true(caps & RM_DEVICE_ENDS);
    assert_int_equal(rm_device_spec_caps("file:x.rmw", &caps), 0);
    assert_true(caps & RM_DEVICE_REPLAY);
    assert_false(caps & (RM_DEVICE_CAN_RECONNECT | RM_DEVICE_PACED));
    /* A scheme is a whole word: "usbx" and "simulator" are not usb or sim. */
    assert_int_equal(rm_device_spec_caps("usbx", &caps), RM_EUSAGE);
    assert_int_equal(caps, 0);
    assert_int_equal(rm_device_spec_caps("simulator", &caps), RM_EUSAGE);
    assert_non_null(strstr(rm_last_error(RM_EUSAGE), "usb[:VID:PID[:SERIAL]]"));
    assert_non_null(strstr(rm_last_error(RM_EUSAGE), "file:PATH.rmw"));
}

static void test_open_rejects_what_the_table_rejects(void **state)
{
    (void)state;
    struct rm_device *dev = NULL;
    assert_int_equal(rm_device_open(&dev, "bogus:1", NULL), RM_EUSAGE);
    assert_null(dev);
    assert_int_equal(rm_device_open(&dev, "file:", NULL), RM_EUSAGE);
    assert_int_equal(rm_device_open(&dev, "usb:12345:1", NULL), RM_EUSAGE);
    assert_int_equal(rm_device_open(&dev, "sim:no-such-scenario", NULL), RM_EUSAGE);
}

static void test_help_lists_every_backend(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    rm_device_print_specs(f, 4);
    fclose(f);
    assert_non_null(strstr(buf, "    usb[:VID:PID[:SERIAL]] (default)\n"));
    assert_non_null(strstr(buf, "    sim[:SCENARIO]\n"));
    assert_non_null(strstr(buf, "    file:PATH.rmw\n"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_caps_from_spec),
        cmocka_unit_test(test_open_rejects_what_the_table_rejects),
        cmocka_unit_test(test_help_lists_every_backend),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* One ctest per behaviour: a cmocka binary given a test's name runs only
 * that test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "testlib.h"

int rm_test_run_selected(const struct CMUnitTest *tests, size_t n, int argc, char **argv)
{
    if (argc > 1) {
        /* A name that matches nothing would run nothing and pass. */
        bool known = false;
        for (size_t i = 0; i < n; i++)
            known |= strcmp(tests[i].name, argv[1]) == 0;
        if (!known) {
            fprintf(stderr, "no test named %s\n", argv[1]);
            return 1;
        }
        cmocka_set_test_filter(argv[1]);
    }
    return _cmocka_run_group_tests("tests", tests, n, NULL, NULL);
}

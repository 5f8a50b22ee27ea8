/* The request checks of live/live_request.c, case by case: what the
 * server routes, what it refuses and with which status, the token compare
 * and --http's argument. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "live_request.h"

static int check(const char *target)
{
    size_t path_len;
    return live_check_target(target, strlen(target), &path_len);
}

static void test_targets_routed(void **state)
{
    (void)state;
    size_t path_len;
    const char *t = "/events?token=0123";
    assert_int_equal(live_check_target(t, strlen(t), &path_len), 0);
    assert_int_equal(path_len, strlen("/events"));
    assert_int_equal(check("/"), 0);
    assert_int_equal(check("/live.js"), 0);
    assert_int_equal(check("/a.b/c..d/..e"), 0); /* dots that are no ".." segment */
    assert_int_equal(check("/x?q=a/../b"), 0);   /* the query is no path */
    assert_int_equal(check("/%41"), 0);          /* an encoded letter is routed (and 404s) */
}

static void test_targets_refused(void **state)
{
    (void)state;
    const char *bad[] = {"",      "x",         "/..",     "/../etc/passwd", "/a/../b",
                         "/a/..", "/%2e%2e",   "/.%2E/x", "/a%2fb",         "/a%2Fb",
                         "/a%5c", "/a\\b",     "/a b",    "/a%00",          "/a\tb",
                         "/\x7f", "/\xc3\xa9", "/%2e/x",  "/x?%2f"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        print_message("%s\n", bad[i]);
        assert_int_equal(check(bad[i]), 400);
    }
    char longer[LIVE_TARGET_MAX + 2];
    memset(longer, 'a', sizeof(longer) - 1);
    longer[0] = '/';
    longer[sizeof(longer) - 1] = '\0';
    assert_int_equal(check(longer), 414);
    longer[LIVE_TARGET_MAX] = '\0';
    assert_int_equal(check(longer), 0);
}

static void test_token(void **state)
{
    (void)state;
    const char *tok = "0123456789abcdef0123456789abcdef";
    assert_true(live_token_equal(tok, tok));
    assert_false(live_token_equal(NULL, tok));
    assert_false(live_token_equal("", tok));
    assert_false(live_token_equal("0123456789abcdef0123456789abcde", tok));
    assert_false(live_token_equal("0123456789abcdef0123456789abcdef0", tok));
    assert_false(live_token_equal("0123456789abcdef0123456789abcdeF", tok));
}

static void test_listen(void **state)
{
    (void)state;
    char addr[64], why[160];
    unsigned port = 1;
    assert_int_equal(live_parse_listen("8080", addr, sizeof(addr), &port, why, sizeof(why)), 0);
    assert_string_equal(addr, "127.0.0.1");
    assert_int_equal(port, 8080);
    assert_int_equal(
        live_parse_listen("192.168.1.20:0", addr, sizeof(addr), &port, why, sizeof(why)), 0);
    assert_string_equal(addr, "192.168.1.20");
    assert_int_equal(port, 0);
    const char *bad[] = {"",
                         "x",
                         ":80",
                         "127.0.0.1:",
                         "127.0.0.1:65536",
                         "1.2.3:80",
                         "localhost:80",
                         "127.0.0.1:8x",
                         "127.0.0.1:-1",
                         "127.0.0.1:000080",
                         "[::1]:80"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        print_message("%s\n", bad[i]);
        assert_int_equal(live_parse_listen(bad[i], addr, sizeof(addr), &port, why, sizeof(why)),
                         -1);
        assert_non_null(strstr(why, "--http"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_targets_routed),
        cmocka_unit_test(test_targets_refused),
        cmocka_unit_test(test_token),
        cmocka_unit_test(test_listen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

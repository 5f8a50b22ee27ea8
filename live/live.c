/* rm_live.h: the listening socket, the token, the URL, and the parts'
 * start and stop. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "live_internal.h"
#include "rm_error.h"
#include "rm_log.h"

#define LOG_PREFIX "live"

int rm_live_check_listen(const char *spec, char *why, size_t why_size)
{
    char addr[INET_ADDRSTRLEN];
    unsigned port;
    return live_parse_listen(spec, addr, sizeof(addr), &port, why, why_size);
}

static int make_token(char *out)
{
    unsigned char raw[LIVE_TOKEN_LEN / 2];
    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
        return rm_fail(RM_EIO, "--http: no random bytes for the token: %s", strerror(errno));
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

/* Binds and listens; the port the kernel chose when port is 0. */
static int listen_on(struct rm_live *l, int *fd_out)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return rm_fail(RM_EIO, "--http: socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)l->port)};
    inet_pton(AF_INET, l->addr, &sa.sin_addr);
    socklen_t len = sizeof(sa);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
        int err = errno;
        close(fd);
        return rm_fail(RM_EIO, "--http: cannot listen on %s:%u: %s", l->addr, l->port,
                       strerror(err));
    }
    l->port = ntohs(sa.sin_port);
    *fd_out = fd;
    return 0;
}

/* The address a phone would use for a server on every interface: the
 * first IPv4 address that is not loopback. */
static void lan_address(char *out, size_t size)
{
    struct ifaddrs *ifs;
    if (getifaddrs(&ifs) != 0)
        return;
    for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
            continue;
        const struct sockaddr_in *sa = (const struct sockaddr_in *)i->ifa_addr;
        if ((ntohl(sa->sin_addr.s_addr) >> 24) == 127)
            continue;
        inet_ntop(AF_INET, &sa->sin_addr, out, (socklen_t)size);
        break;
    }
    freeifaddrs(ifs);
}

int rm_live_new(struct rm_live **out, const char *spec, const struct rm_calibration *cal,
                const struct rm_profile *profile)
{
    *out = NULL;
    char why[160];
    /* Owned by the caller until rm_live_free(). */
    struct rm_live *l = calloc(1, sizeof(*l));
    if (!l)
        return RM_ENOMEM;
    l->cal = cal;
    l->profile = *profile;
    int rc = 0;
    if (live_parse_listen(spec, l->addr, sizeof(l->addr), &l->port, why, sizeof(why)) < 0)
        rc = rm_fail(RM_EUSAGE, "%s", why);
    l->need_token = strcmp(l->addr, "127.0.0.1") != 0;
    if (rc == 0)
        rc = make_token(l->token);
    int fd = -1;
    if (rc == 0)
        rc = listen_on(l, &fd);
    if (rc == 0)
        rc = live_feed_start(l);
    if (rc == 0) {
        rc = live_http_start(l, fd);
        if (rc == 0)
            fd = -1; /* libmicrohttpd's now */
    }
    if (fd >= 0)
        close(fd);
    if (rc != 0) {
        rm_live_free(l);
        return rc;
    }
    char host[INET_ADDRSTRLEN];
    snprintf(host, sizeof(host), "%s", l->addr);
    if (strcmp(host, "0.0.0.0") == 0)
        lan_address(host, sizeof(host));
    if (l->need_token)
        snprintf(l->url, sizeof(l->url), "http://%s:%u/?token=%s", host, l->port, l->token);
    else
        snprintf(l->url, sizeof(l->url), "http://%s:%u/", host, l->port);
    rm_info("live page at %s", l->url);
    printf("live page: %s\n", l->url);
    if (l->need_token && isatty(fileno(stdout)))
        live_print_qr(stdout, l->url);
    fflush(stdout);
    *out = l;
    return 0;
}

void rm_live_free(struct rm_live *l)
{
    if (!l)
        return;
    live_http_stop(l);
    live_feed_stop(l);
    if (l->latency_n)
        rm_info("live: %lld clients, %lld dropped; %lld frames skipped by the analysis; "
                "frame to socket: mean %.1f ms, max %.1f ms, %lld of %lld events over 50 ms",
                (long long)l->clients_served, (long long)l->clients_dropped,
                (long long)l->queue_drops, 1e3 * l->latency_sum_s / (double)l->latency_n,
                1e3 * l->latency_max_s, (long long)l->latency_over_50ms, (long long)l->latency_n);
    free(l->slot_mem);
    free(l->frame_json);
    free(l->session_json);
    free(l);
}

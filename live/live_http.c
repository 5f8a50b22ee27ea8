/* The server (libmicrohttpd, one thread per connection so that an event
 * stream may wait for the next event): every request is checked before it
 * is routed (raw target, method, token or Host), only the built-in files
 * and the three documents of live.md are served, and a client that falls
 * behind the event stream is dropped. */
#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "live_internal.h"
#include "rm_clock.h"
#include "rm_error.h"
#include "rm_log.h"

#define LOG_PREFIX "live"

/* Bytes of a request's line and headers libmicrohttpd may buffer: more is
 * refused (414/431) before any handler runs. */
#define LIVE_REQUEST_MEMORY 8192
/* A connection that makes no progress for this long is closed (a client
 * that stopped reading its stream). */
#define LIVE_IDLE_TIMEOUT_S 10
/* An idle stream gets a comment line this often, which also finds clients
 * that went away. */
#define LIVE_KEEPALIVE_S 2.0
#define COOKIE_NAME      "rollmat_token"
/* The kernel's send buffer per connection: a few seconds of events. A
 * client that stops reading fills it, and LIVE_IDLE_TIMEOUT_S later it is
 * closed, instead of the kernel buffering megabytes for it. */
#define LIVE_SNDBUF_BYTES 32768

/* Per request, from the URI log callback: the verdict on the raw target. */
struct request {
    int status; /* 0: may be routed */
    char path[LIVE_TARGET_MAX + 1];
    bool is_stream;
};

/* One /events client. */
struct client {
    struct rm_live *l;
    uint64_t next;
    bool started;
};

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *con)
{
    (void)cls;
    (void)con;
    struct request *rq = calloc(1, sizeof(*rq)); /* freed in completed() */
    if (!rq)
        return NULL;
    size_t len = strlen(uri), path_len;
    rq->status = live_check_target(uri, len, &path_len);
    if (rq->status == 0)
        memcpy(rq->path, uri, path_len);
    return rq;
}

static void completed(void *cls, struct MHD_Connection *con, void **req_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct rm_live *l = cls;
    (void)con;
    struct request *rq = *req_cls;
    /* A stream closed for making no progress: a client that stopped
     * reading (one that reads too slowly is dropped in stream_read). */
    if (rq && rq->is_stream && toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED) {
        pthread_mutex_lock(&l->elock);
        l->clients_dropped++;
        pthread_mutex_unlock(&l->elock);
        rm_warn("an event stream client stopped reading and was dropped");
    }
    free(rq);
    *req_cls = NULL;
}

static void connection_notify(void *cls, struct MHD_Connection *con, void **socket_context,
                              enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    (void)socket_context;
    if (code != MHD_CONNECTION_NOTIFY_STARTED)
        return;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
    int bytes = LIVE_SNDBUF_BYTES;
    if (ci)
        setsockopt(ci->connect_fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
}

/* libmicrohttpd's messages, into the debug log. */
__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[256];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = '\0';
    rm_dbg("libmicrohttpd: %s", msg);
}

/* ---- responses ------------------------------------------------------------ */

static void common_headers(struct MHD_Response *r)
{
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
}

static enum MHD_Result send_buffer(struct MHD_Connection *con, unsigned status,
                                   const char *content_type, const void *data, size_t len,
                                   enum MHD_ResponseMemoryMode mode, const char *cookie)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)data, mode);
    if (!r)
        return MHD_NO;
    common_headers(r);
    MHD_add_response_header(r, "Content-Type", content_type);
    if (cookie)
        MHD_add_response_header(r, "Set-Cookie", cookie);
    enum MHD_Result ret = MHD_queue_response(con, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *con, unsigned status)
{
    const char *text;
    switch (status) {
    case 400:
        text = "400 bad request\n";
        break;
    case 403:
        text = "403 forbidden: open the URL rollmatd printed (with its token)\n";
        break;
    case 404:
        text = "404 not found\n";
        break;
    case 405:
        text = "405 only GET\n";
        break;
    case 413:
        text = "413 no request bodies here\n";
        break;
    case 414:
        text = "414 URI too long\n";
        break;
    default:
        text = "503 not ready\n";
        status = 503;
        break;
    }
    return send_buffer(con, status, "text/plain; charset=utf-8", text, strlen(text),
                       MHD_RESPMEM_PERSISTENT, NULL);
}

/* A document the analysis thread publishes (copied under the lock). */
static enum MHD_Result send_doc(struct MHD_Connection *con, struct rm_live *l, char *const *slot)
{
    pthread_mutex_lock(&l->elock);
    char *copy = *slot ? strdup(*slot) : NULL;
    pthread_mutex_unlock(&l->elock);
    if (!copy)
        return send_buffer(con, 200, "application/json", "null", 4, MHD_RESPMEM_PERSISTENT, NULL);
    return send_buffer(con, 200, "application/json", copy, strlen(copy), MHD_RESPMEM_MUST_FREE,
                       NULL);
}

/* ---- the event stream -------------------------------------------------------- */

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct client *c = cls;
    struct rm_live *l = c->l;
    (void)pos;
    if (!c->started) {
        c->started = true;
        return snprintf(buf, max, "retry: 1000\n\n");
    }
    struct timespec dl = rm_clock_after(LIVE_KEEPALIVE_S);
    pthread_mutex_lock(&l->elock);
    while (c->next == l->event_seq && !l->stopping) {
        if (pthread_cond_timedwait(&l->econd, &l->elock, &dl) == ETIMEDOUT) {
            pthread_mutex_unlock(&l->elock);
            return snprintf(buf, max, ": idle\n\n");
        }
    }
    if (l->stopping) {
        pthread_mutex_unlock(&l->elock);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    if (l->event_seq - c->next >= LIVE_EVENT_RING - 1) {
        l->clients_dropped++;
        int64_t dropped = l->clients_dropped;
        pthread_mutex_unlock(&l->elock);
        rm_warn("an event stream client fell %d events behind and was dropped (%lld so far)",
                LIVE_EVENT_RING - 1, (long long)dropped);
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t len = 0;
    double now = rm_clock_s();
    while (c->next < l->event_seq) {
        size_t k = c->next % LIVE_EVENT_RING;
        size_t need = l->event_len[k] + 8;
        if (len + need > max)
            break;
        memcpy(buf + len, "data: ", 6);
        memcpy(buf + len + 6, l->events[k], l->event_len[k]);
        memcpy(buf + len + 6 + l->event_len[k], "\n\n", 2);
        len += need;
        double lat = now - l->event_host[k];
        l->latency_n++;
        l->latency_sum_s += lat;
        if (lat > l->latency_max_s)
            l->latency_max_s = lat;
        l->latency_over_50ms += lat > 0.050;
        c->next++;
    }
    pthread_mutex_unlock(&l->elock);
    return (ssize_t)len;
}

static enum MHD_Result send_stream(struct MHD_Connection *con, struct rm_live *l,
                                   struct request *rq)
{
    struct client *c = calloc(1, sizeof(*c)); /* freed by free() when the stream ends */
    if (!c)
        return MHD_NO;
    c->l = l;
    pthread_mutex_lock(&l->elock);
    /* From the latest event on: the page shows the state at once. */
    c->next = l->event_seq ? l->event_seq - 1 : 0;
    l->clients_served++;
    pthread_mutex_unlock(&l->elock);
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_read, c, free);
    if (!r) {
        free(c);
        return MHD_NO;
    }
    rq->is_stream = true;
    common_headers(r);
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    enum MHD_Result ret = MHD_queue_response(con, 200, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- routing ------------------------------------------------------------------ */

/* Without a token (127.0.0.1), the Host a browser sends must name this
 * server: a page elsewhere that rebinds its DNS name to 127.0.0.1 cannot
 * read the stream. */
static bool host_ok(struct rm_live *l, struct MHD_Connection *con)
{
    const char *host = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Host");
    if (!host)
        return false;
    char a[64], b[64];
    snprintf(a, sizeof(a), "%s:%u", l->addr, l->port);
    snprintf(b, sizeof(b), "localhost:%u", l->port);
    return strcmp(host, a) == 0 || strcmp(host, b) == 0;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *con, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls)
{
    struct rm_live *l = cls;
    (void)url;
    (void)version;
    (void)upload_data;
    struct request *rq = *req_cls;
    if (!rq)
        return MHD_NO; /* out of memory in uri_log */
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return send_error(con, 405);
    if (*upload_data_size != 0)
        return send_error(con, 413);
    if (rq->status != 0)
        return send_error(con, (unsigned)rq->status);
    const char *query_token = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, "token");
    if (l->need_token) {
        const char *cookie = MHD_lookup_connection_value(con, MHD_COOKIE_KIND, COOKIE_NAME);
        if (!live_token_equal(query_token, l->token) && !live_token_equal(cookie, l->token))
            return send_error(con, 403);
    } else if (!host_ok(l, con)) {
        return send_error(con, 403);
    }
    const char *path = rq->path;
    if (strcmp(path, "/events") == 0)
        return send_stream(con, l, rq);
    if (strcmp(path, "/frame") == 0)
        return send_doc(con, l, &l->frame_json);
    if (strcmp(path, "/session") == 0)
        return send_doc(con, l, &l->session_json);
    for (const struct live_asset *a = live_assets; a->path; a++) {
        if (strcmp(path, a->path) != 0)
            continue;
        char cookie[128];
        /* The page's own requests carry the token as a cookie from here. */
        bool set =
            l->need_token && strcmp(a->path, "/") == 0 && live_token_equal(query_token, l->token);
        if (set)
            snprintf(cookie, sizeof(cookie), COOKIE_NAME "=%s; Path=/; HttpOnly; SameSite=Strict",
                     l->token);
        return send_buffer(con, 200, a->content_type, a->data, a->len, MHD_RESPMEM_PERSISTENT,
                           set ? cookie : NULL);
    }
    return send_error(con, 404);
}

int live_http_start(struct rm_live *l, int listen_fd)
{
    l->mhd = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL,
        NULL, handle, l, MHD_OPTION_LISTEN_SOCKET, listen_fd, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)LIVE_MAX_CLIENTS, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)LIVE_REQUEST_MEMORY,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)LIVE_IDLE_TIMEOUT_S, MHD_OPTION_URI_LOG_CALLBACK,
        uri_log, l, MHD_OPTION_NOTIFY_COMPLETED, completed, l, MHD_OPTION_NOTIFY_CONNECTION,
        connection_notify, l, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, l, MHD_OPTION_THREAD_STACK_SIZE,
        (size_t)(256 * 1024), MHD_OPTION_END);
    if (!l->mhd)
        return rm_fail(RM_EIO, "--http: cannot start the HTTP server");
    return 0;
}

void live_http_stop(struct rm_live *l)
{
    if (!l->mhd)
        return;
    pthread_mutex_lock(&l->elock);
    l->stopping = true;
    pthread_cond_broadcast(&l->econd);
    pthread_mutex_unlock(&l->elock);
    MHD_stop_daemon(l->mhd);
    l->mhd = NULL;
}

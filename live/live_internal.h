/* Internals of the live part, shared by its files (live_feed.c: the queue,
 * the analysis thread and the documents; live_http.c: the server). */
#ifndef LIVE_INTERNAL_H
#define LIVE_INTERNAL_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "live_request.h"
#include "rm_analysis.h"
#include "rm_live.h"
#include "rm_recording.h"

/* Frames between the device thread and the analysis thread: 2.5 s at
 * 100 Hz (a loaded machine can starve the analysis thread for a second); a
 * full queue drops the frame for the page only. */
#define LIVE_QUEUE_FRAMES 256
/* Events kept for the clients: 6 s at LIVE_EVENT_HZ; a client further
 * behind is dropped. */
#define LIVE_EVENT_RING 128
#define LIVE_EVENT_MAX  1024
/* Events per second while a session runs (live.md: at least 10), and
 * while idle. */
#define LIVE_EVENT_HZ      20.0
#define LIVE_IDLE_EVENT_HZ 1.0
/* The live map is rebuilt this often. */
#define LIVE_FRAME_HZ 10.0
/* Connections at once (each /events client holds one). */
#define LIVE_MAX_CLIENTS 64

/* A page file compiled in (live_page_embedded.c, from live/page/). */
struct live_asset {
    const char *path; /* "/", "/live.js", ... */
    const char *content_type;
    const unsigned char *data;
    size_t len;
};
extern const struct live_asset live_assets[];

struct live_slot {
    double t, host_s;
    uint16_t *sensels;
};

struct rm_live {
    char addr[INET_ADDRSTRLEN];
    unsigned port;
    char token[LIVE_TOKEN_LEN + 1];
    bool need_token;
    char url[128];
    const struct rm_calibration *cal;
    struct rm_profile profile;
    struct MHD_Daemon *mhd;

    /* The queue and the session (qlock). */
    pthread_mutex_t qlock;
    pthread_cond_t qcond;
    struct live_slot slots[LIVE_QUEUE_FRAMES];
    uint16_t *slot_mem;
    size_t slot_elems, head, count;
    uint64_t session_gen;
    bool session_on, stop;
    struct rm_mat_info info;
    char session[64];
    char muscle[RM_EVENT_LABEL_LEN + 1];
    int64_t queue_drops;
    pthread_t thread;
    bool thread_started;

    /* What the clients read (elock). */
    pthread_mutex_t elock;
    pthread_cond_t econd;
    char events[LIVE_EVENT_RING][LIVE_EVENT_MAX];
    size_t event_len[LIVE_EVENT_RING];
    double event_host[LIVE_EVENT_RING]; /* host time of the event's frame */
    uint64_t event_seq;                 /* events published so far */
    char *frame_json, *session_json;    /* malloc'ed; NULL: none yet */
    bool stopping;
    int64_t clients_dropped, clients_served;
    /* Frame to socket, over every event handed to a client. */
    int64_t latency_n;
    double latency_max_s, latency_sum_s;
    int64_t latency_over_50ms;
};

/* live_feed.c: the analysis thread. */
/* A full queue of count frames from slot head (of elems sensels each)
 * thinned to every other frame, the newest kept: the analysis then sees a
 * frame every 20 ms instead of missing a stretch of 2.5 s (which would
 * end a hold on the page; the analysis bridges gaps up to 0.5 s). Returns
 * the frames dropped (the queue keeps its head, count less them). */
size_t live_queue_thin(struct live_slot *slots, size_t head, size_t count, size_t elems);

int live_feed_start(struct rm_live *l);
void live_feed_stop(struct rm_live *l);

/* live_http.c: the server on the bound socket. */
int live_http_start(struct rm_live *l, int listen_fd);
void live_http_stop(struct rm_live *l);

/* live_qr.c: text as a QR code on f (UTF-8 half blocks). */
void live_print_qr(FILE *f, const char *text);

#endif

/* The daemon's adder: finished recordings are queued by path and added by
 * one thread of its own, at the lowest CPU priority, so that analysing a
 * session never delays the recording of the next one (the acquisition
 * threads never touch the database or the analysis). A recording that
 * cannot be added is logged and left for `rollmat history add`. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hi_internal.h"
#include "rm_error.h"
#include "rm_log.h"

#define LOG_PREFIX "history"

struct item {
    struct item *next;
    char path[];
};

struct rm_history_queue {
    char db_path[4096];
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct item *head, *tail;
    bool stop;
};

static void add_one(const char *db_path, const char *path)
{
    struct rm_history *h = NULL;
    struct rm_analysis_opts opts;
    rm_analysis_opts_init(&opts);
    opts.read_threads = 1; /* one core at most: the recorder comes first */
    bool added = false;
    rm_clear_error();
    int rc = rm_history_open(&h, db_path, RM_HISTORY_WRITE);
    rc = rc ? rc : rm_history_add_file(h, path, &opts, &added);
    rm_history_close(h);
    if (rc)
        rm_warn("%s not added to the history: %s", path, rm_last_error(rc));
    else
        rm_info("%s %s the history %s", path, added ? "added to" : "already in", db_path);
}

static void *worker(void *arg)
{
    struct rm_history_queue *q = arg;
    /* Linux nices threads one by one. */
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
    /* Said once at the start: a history that cannot be written is worth a
     * line before the first session, not after it. */
    struct rm_history *h = NULL;
    rm_clear_error();
    int rc = rm_history_open(&h, q->db_path, RM_HISTORY_WRITE);
    rm_history_close(h);
    if (rc)
        rm_warn("sessions will not be added to the history: %s", rm_last_error(rc));
    else
        rm_info("finished sessions go into the history %s", q->db_path);
    pthread_mutex_lock(&q->lock);
    for (;;) {
        while (!q->head && !q->stop)
            pthread_cond_wait(&q->wake, &q->lock);
        struct item *it = q->head;
        if (!it)
            break; /* stopping with nothing left */
        q->head = it->next;
        if (!q->head)
            q->tail = NULL;
        pthread_mutex_unlock(&q->lock);
        add_one(q->db_path, it->path);
        free(it);
        pthread_mutex_lock(&q->lock);
    }
    pthread_mutex_unlock(&q->lock);
    rm_analysis_cleanup();
    return NULL;
}

int rm_history_queue_new(struct rm_history_queue **out, const char *db_path)
{
    *out = NULL;
    struct rm_history_queue *q = calloc(1, sizeof(*q));
    if (!q)
        return RM_ENOMEM;
    snprintf(q->db_path, sizeof(q->db_path), "%s", db_path);
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->wake, NULL);
    if (pthread_create(&q->thread, NULL, worker, q) != 0) {
        pthread_mutex_destroy(&q->lock);
        pthread_cond_destroy(&q->wake);
        free(q);
        return rm_fail(RM_ENOMEM, "cannot start the history thread");
    }
    *out = q;
    return 0;
}

void rm_history_queue_push(struct rm_history_queue *q, const char *path)
{
    size_t len = strlen(path) + 1;
    struct item *it = malloc(sizeof(*it) + len);
    if (!it) {
        rm_warn("%s not queued for the history: out of memory", path);
        return;
    }
    it->next = NULL;
    memcpy(it->path, path, len);
    pthread_mutex_lock(&q->lock);
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->lock);
}

void rm_history_queue_free(struct rm_history_queue *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    q->stop = true;
    pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->lock);
    pthread_join(q->thread, NULL);
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->wake);
    free(q);
}

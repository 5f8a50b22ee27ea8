/* The sim backend: the simulated mat (sim/rm_sim.h) playing a scenario in
 * real time, speaking the wire protocol like a real mat so that everything
 * downstream runs the same code as with hardware. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "device_backend.h"
#include "rm_clock.h"
#include "rm_error.h"
#include "rm_log.h"
#include "rm_sim.h"
#include "rm_wire.h"

#define LOG_PREFIX "sim"

#define DEFAULT_SCENARIO "good"

struct sim_dev {
    struct rm_sim *sim;
    struct rm_mat_info info;
    double duration_s; /* 0: the whole plan */
    const struct rm_device_callbacks *cb;
    pthread_t thread;
    bool thread_started;
    uint8_t *wire; /* one encoded frame */

    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
};

/* Sleeps until due; false when stop was requested. */
static bool sleep_until(struct sim_dev *sd, const struct timespec *due)
{
    pthread_mutex_lock(&sd->lock);
    while (!sd->stop && pthread_cond_timedwait(&sd->wake, &sd->lock, due) == 0) {
    }
    bool go_on = !sd->stop;
    pthread_mutex_unlock(&sd->lock);
    return go_on;
}

static void *sim_thread(void *arg)
{
    struct sim_dev *sd = arg;
    struct timespec start = rm_clock_now();
    struct rm_sim_frame f;
    int rc;
    while ((rc = rm_sim_next(sd->sim, &f)) == 0) {
        if (sd->duration_s > 0 && f.t >= sd->duration_s)
            break;
        struct timespec due = rm_clock_add(start, f.t);
        if (!sleep_until(sd, &due))
            return NULL;
        /* The wire carries 32-bit counters, as a mat's firmware would. */
        size_t n = rm_wire_encode_frame(sd->wire, (uint32_t)f.seq, (uint32_t)f.t_us,
                                        (uint8_t)f.rows, (uint8_t)f.cols, f.flags, f.sensels);
        sd->cb->data(sd->cb->user, sd->wire, n);
    }
    if (rc != 0 && rc != RM_EEOF) {
        sd->cb->event(sd->cb->user, RM_DEVICE_FAILED);
        return NULL;
    }
    sd->cb->event(sd->cb->user, RM_DEVICE_END);
    return NULL;
}

static int sim_start(void *impl, const struct rm_device_callbacks *cb)
{
    struct sim_dev *sd = impl;
    sd->cb = cb;
    sd->stop = false;
    rm_sim_rewind(sd->sim);
    if (pthread_create(&sd->thread, NULL, sim_thread, sd) != 0)
        return rm_fail(RM_ENOMEM, "sim: cannot start the simulator thread");
    sd->thread_started = true;
    return 0;
}

static int sim_stop(void *impl)
{
    struct sim_dev *sd = impl;
    if (!sd->thread_started)
        return 0;
    pthread_mutex_lock(&sd->lock);
    sd->stop = true;
    pthread_cond_broadcast(&sd->wake);
    pthread_mutex_unlock(&sd->lock);
    pthread_join(sd->thread, NULL);
    sd->thread_started = false;
    return 0;
}

static void sim_close(void *impl)
{
    struct sim_dev *sd = impl;
    if (!sd)
        return;
    sim_stop(sd);
    rm_sim_free(sd->sim);
    free(sd->wire);
    pthread_cond_destroy(&sd->wake);
    pthread_mutex_destroy(&sd->lock);
    free(sd);
}

static const struct rm_device_ops sim_ops = {
    .name = "sim", .start = sim_start, .stop = sim_stop, .close = sim_close};

/* "sim" or "sim:SCENARIO". */
static int sim_open(struct rm_device **out, const char *spec, const char *scenario,
                    const struct rm_device_opts *opts)
{
    (void)spec;
    *out = NULL;
    if (!scenario || !*scenario)
        scenario = DEFAULT_SCENARIO;
    struct rm_sim_plan *plan = NULL;
    int rc = rm_sim_plan_builtin(&plan, scenario);
    if (rc < 0)
        return rc == RM_ENOTFOUND ? RM_EUSAGE : rc;
    /* Owned by the device once rm_device_new() succeeds. */
    struct sim_dev *sd = calloc(1, sizeof(*sd));
    if (!sd) {
        rm_sim_plan_free(plan);
        return RM_ENOMEM;
    }
    pthread_mutex_init(&sd->lock, NULL);
    rm_clock_cond_init(&sd->wake);
    sd->duration_s = opts->duration_s;
    rc = rm_sim_new(&sd->sim, plan, 1);
    rm_sim_plan_free(plan);
    if (rc == 0) {
        rm_sim_info(sd->sim, &sd->info);
        sd->wire = malloc(rm_wire_frame_size(sd->info.rows, sd->info.cols));
        if (!sd->wire)
            rc = RM_ENOMEM;
    }
    if (rc == 0)
        rc = rm_device_new(out, &sim_ops, sd, &sd->info, true);
    if (rc < 0) {
        sim_close(sd);
        return rc;
    }
    rm_info("simulated mat playing '%s' (%ux%u at %u Hz, %.0f s)", scenario, sd->info.rows,
            sd->info.cols, sd->info.rate_hz, rm_sim_duration_s(sd->sim));
    return 0;
}

const struct rm_device_backend rm_device_backend_sim = {
    .scheme = "sim",
    .syntax = "sim[:SCENARIO]",
    .help = "the simulated mat playing a built-in scenario in real time",
    .caps = RM_DEVICE_PACED | RM_DEVICE_ENDS,
    .open = sim_open,
};

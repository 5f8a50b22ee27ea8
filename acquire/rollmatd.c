/* rollmatd: the acquisition daemon (shared/spec/cli.md, docs/acquisition.md).
 *
 * One thread runs everything the user can see: a poll() loop over a
 * signalfd and the control socket, with a tick every 100 ms that opens the
 * mat when there is none, ends sessions that ended by themselves, and
 * applies --auto. The mat streams into a tee (device_tee.h) for as long as
 * the daemon has it; each session is a recording attached to that stream.
 * SIGINT, SIGTERM and SIGHUP are blocked in every thread and read from the
 * signalfd, so a signal always ends in a clean stop with a valid file.
 *
 * It never forks: under systemd (Type=simple) the service manager does
 * what a double fork would, and logs go to the journal through stderr.
 * --foreground is accepted for scripts that ask for it. */
#define LOG_PREFIX "rollmatd"

#include "rollmatd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "control_server.h"
#include "device_tee.h"
#include "rm_calibration.h"
#include "rm_control.h"
#include "rm_device.h"
#include "rm_clock.h"
#include "rm_error.h"
#include "rm_history.h"
#include "rm_live.h"
#include "rm_log.h"
#include "rm_recording.h"
#include "rm_session.h"

#define TICK_MS 100
/* --auto: a session begins at the first loaded frame and is kept once the
 * load has lasted this long (a foot brushing the mat, the roller set down:
 * the file is deleted again). */
#define AUTO_START_S      1.0
#define REOPEN_INTERVAL_S 1.0
/* A killed daemon loses the frames not yet flushed: flushing twice a
 * second keeps that under a second even when the writer lags a little
 * (each one-second chunk is then compressed twice: nothing at mat rates). */
#define FLUSH_INTERVAL_S 0.5

/* mkdir -p, 0750 for what it creates: recordings are personal data. */
static int make_dir(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1;; p++) {
        bool last = *p == '\0';
        if (*p == '/' || last) {
            *p = '\0';
            if (mkdir(buf, 0750) < 0 && errno != EEXIST)
                return rm_fail(RM_EIO, "%s: cannot create: %s", buf, strerror(errno));
            if (last)
                break;
            *p = '/';
        }
    }
    struct stat st;
    if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
        return rm_fail(RM_EIO, "%s: not a directory", path);
    return 0;
}

/* ---- the mat ---------------------------------------------------------------- */

static void close_device(struct rm_daemon *d)
{
    rm_device_tee_free(d->tee);
    d->tee = NULL;
    rm_device_close(d->dev);
    d->dev = NULL;
}

static int open_device(struct rm_daemon *d)
{
    struct rm_device_opts dopts = {.realtime = d->o.realtime};
    rm_clear_error();
    int rc = rm_device_open(&d->dev, d->o.device, &dopts);
    if (rc == 0 && d->cal) {
        const struct rm_mat_info *info = rm_device_info(d->dev);
        if (d->cal->rows != info->rows || d->cal->cols != info->cols)
            rc = rm_fail(RM_EFORMAT, "%s: calibration for a %dx%d mat, the mat is %ux%u",
                         d->o.calibration, d->cal->rows, d->cal->cols, info->rows, info->cols);
    }
    if (rc == 0)
        rc = rm_device_tee_new(&d->tee, d->dev);
    if (rc == 0)
        rc = rm_device_tee_start(d->tee);
    if (rc < 0) {
        snprintf(d->last_error, sizeof(d->last_error), "%s", rm_last_error(rc));
        close_device(d);
        return rc;
    }
    const struct rm_mat_info *info = rm_device_info(d->dev);
    rm_info("mat '%s' (%s) ready: %ux%u at %u Hz", info->serial, info->model, info->rows,
            info->cols, info->rate_hz);
    d->waiting_logged = false;
    d->last_error[0] = '\0';
    return 0;
}

/* ---- sessions -------------------------------------------------------------- */

/* Creates DIR/<UTC start>.h5 (with -2, -3 ... when taken) exclusively, so
 * that no session ever overwrites another file; the recording writer then
 * fills the empty file. */
static int reserve_file(struct rm_daemon *d, char *path, size_t path_size)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%d_%H%M%S", &tm);
    for (int k = 1; k <= 99; k++) {
        if (k == 1)
            snprintf(d->session_name, sizeof(d->session_name), "%s.h5", stamp);
        else
            snprintf(d->session_name, sizeof(d->session_name), "%s-%d.h5", stamp, k);
        int n = snprintf(path, path_size, "%s/%s", d->o.dir, d->session_name);
        if (n < 0 || (size_t)n >= path_size)
            return rm_fail(RM_ERANGE, "%s: session path too long", d->o.dir);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        if (errno != EEXIST)
            return rm_fail(RM_EIO, "%s: %s", path, strerror(errno));
    }
    return rm_fail(RM_EIO, "%s: too many sessions named %s", d->o.dir, stamp);
}

int rm_daemon_begin_session(struct rm_daemon *d, const char *label, bool tentative, char *reply,
                            size_t reply_size)
{
    if (d->session) {
        snprintf(reply, reply_size, "error already recording %s", d->session_name);
        return RM_EUSAGE;
    }
    if (!d->tee && d->can_reconnect && !d->device_done)
        open_device(d);
    if (!d->tee) {
        snprintf(reply, reply_size, "error no mat connected%s%s", d->last_error[0] ? ": " : "",
                 d->last_error);
        return RM_ENODEV;
    }

    char *path = d->session_path;
    rm_clear_error();
    int rc = reserve_file(d, path, sizeof(d->session_path));
    bool reserved = rc == 0;
    if (rc == 0)
        rc = rm_device_tee_session_device(d->tee, &d->session_dev);
    struct rm_session_opts so = RM_SESSION_OPTS_DEFAULT;
    so.compression = d->o.compression;
    so.flush_interval_s = FLUSH_INTERVAL_S;
    if (d->live) {
        so.on_frame = rm_live_on_frame;
        so.on_frame_user = d->live;
    }
    if (rc == 0)
        rc = rm_session_new(&d->session, d->session_dev, path, d->cal, &so);
    if (rc == 0)
        rc = rm_live_session_begin(d->live, d->session_name, rm_device_info(d->dev));
    if (rc == 0)
        rc = rm_session_start(d->session);
    if (rc == 0 && label && *label)
        rc = rm_session_event(d->session, "segment_start", label);
    if (rc < 0) {
        snprintf(reply, reply_size, "error %s", rm_last_error(rc));
        if (d->session) {
            rm_session_stop(d->session);
            rm_session_free(d->session);
            d->session = NULL;
        }
        rm_device_close(d->session_dev);
        d->session_dev = NULL;
        if (reserved)
            unlink(path); /* ours, reserved above: nothing worth keeping */
        rm_err("cannot start a session: %s", reply + 6);
        return rc;
    }
    snprintf(d->segment, sizeof(d->segment), "%s", label ? label : "");
    rm_live_set_muscle(d->live, d->segment);
    d->next_segment[0] = '\0';
    d->tentative = tentative;
    /* Idle time counts from the start of a session; a tentative one keeps
     * the start of the load it was started for. */
    if (!tentative)
        rm_device_tee_restart_load(d->tee, rm_clock_s());
    rm_info("session %s started%s%s%s", d->session_name, d->segment[0] ? ", segment " : "",
            d->segment, tentative ? " (kept if the load lasts 1 s)" : "");
    snprintf(reply, reply_size, "ok %s", d->session_name);
    return 0;
}

int rm_daemon_end_session(struct rm_daemon *d, const char *why)
{
    if (!d->session)
        return 0;
    /* Also when the device ended the session (a capture ran out): the
     * segment is closed at its last frame; refused only once failed. */
    if (d->segment[0])
        rm_session_event(d->session, "segment_end", d->segment);
    rm_clear_error();
    int rc = rm_session_stop(d->session);
    struct rm_session_status st;
    rm_session_status(d->session, &st);
    if (rc) {
        snprintf(d->last_error, sizeof(d->last_error), "%s", rm_last_error(rc));
        rm_err("session %s ended (%s): %s", d->session_name, why, d->last_error);
    } else
        rm_info("session %s ended (%s): %lld frames, %.1f s, %lld dropped, %lld CRC errors, "
                "%lld disconnects",
                d->session_name, why, (long long)st.frames, st.t,
                (long long)st.counters.frames_dropped, (long long)st.counters.crc_errors,
                (long long)st.counters.disconnects);
    rm_session_free(d->session);
    d->session = NULL;
    rm_live_session_end(d->live);
    rm_device_close(d->session_dev);
    d->session_dev = NULL;
    if (d->tentative) {
        /* The load it was started for did not last: not a session. */
        unlink(d->session_path);
        rm_info("session %s discarded", d->session_name);
        snprintf(d->next_segment, sizeof(d->next_segment), "%s", d->segment);
        d->tentative = false;
        rc = 0;
    } else {
        snprintf(d->last_session, sizeof(d->last_session), "%s", d->session_name);
        if (d->history) /* the file is closed: analysed and stored by the queue's thread */
            rm_history_queue_push(d->history, d->session_path);
    }
    d->segment[0] = '\0';
    return rc;
}

/* ---- the loop ------------------------------------------------------------------ */

static void tick(struct rm_daemon *d)
{
    double now = rm_clock_s();
    if (!d->tee && !d->device_done && now >= d->next_open) {
        if (open_device(d) < 0) {
            d->next_open = now + REOPEN_INTERVAL_S;
            if (!d->waiting_logged)
                rm_warn("waiting for a mat: %s", d->last_error);
            d->waiting_logged = true;
        }
    }
    if (d->session && rm_session_wait(d->session, 0) == 0) {
        /* It ended by itself (the device ran out or went away) while the
         * load still counted: frames cut short are kept, never deleted. */
        d->tentative = false;
        rm_daemon_end_session(d, "the recording ended");
    }
    if (!d->tee)
        return;

    struct rm_device_tee_state ts;
    rm_device_tee_state(d->tee, now, &ts);
    if (ts.ended || ts.failed) {
        /* Frames of a load the mat stopped in its first second are a
         * session cut short, not a foot brushing the mat: kept. */
        if (d->tentative && ts.loaded)
            d->tentative = false;
        rm_daemon_end_session(d, ts.failed ? "the mat failed" : "the device ended");
        if (ts.failed) {
            snprintf(d->last_error, sizeof(d->last_error), "%s", ts.fail_msg);
            rm_err("%s", ts.fail_msg);
        } else {
            rm_info("the device has no more data");
        }
        close_device(d);
        d->device_done = !d->can_reconnect;
        d->next_open = now + REOPEN_INTERVAL_S;
        return;
    }
    if (!d->o.auto_mode)
        return;
    if (!ts.away && !ts.loaded)
        d->wait_for_unload = false;
    if (!d->session && !ts.away && ts.loaded && !d->wait_for_unload) {
        /* Begun at once so that the file has the roll from its start. */
        char reply[256];
        rm_info("the roller is loaded: starting a session");
        if (rm_daemon_begin_session(d, d->next_segment, true, reply, sizeof(reply)) < 0) {
            /* Once per load: retrying at every tick would flood the
             * journal while the roller stays loaded. */
            snprintf(d->last_error, sizeof(d->last_error), "%s", reply + 6);
            d->wait_for_unload = true;
        }
    } else if (d->session && d->tentative) {
        if (ts.away) {
            /* Unplugged while loaded: the frames so far are the runner's. */
            d->tentative = false;
            rm_info("session %s kept: the mat went away while loaded", d->session_name);
        } else if (ts.loaded_for >= AUTO_START_S) {
            d->tentative = false;
            rm_info("session %s kept: the roller stayed loaded", d->session_name);
        } else if (!ts.loaded) {
            rm_daemon_end_session(d, "the load lasted less than 1 s");
        }
    } else if (d->session && ts.idle_for >= d->o.auto_idle_s) {
        char why[64];
        snprintf(why, sizeof(why), "no load for %.0f s", d->o.auto_idle_s);
        /* The rolling ended with the last loaded frame, not now. */
        if (d->segment[0] &&
            rm_session_event_before(d->session, ts.idle_for, "segment_end", d->segment) == 0)
            d->segment[0] = '\0';
        rm_daemon_end_session(d, why);
    }
}

static int run(struct rm_daemon *d, int sigfd, struct rm_control_server *srv)
{
    while (!d->quit) {
        struct pollfd fds[1 + RM_CONTROL_POLLFDS];
        fds[0] = (struct pollfd){.fd = sigfd, .events = POLLIN};
        int n = 1 + rm_control_server_pollfds(srv, fds + 1);
        if (poll(fds, (nfds_t)n, TICK_MS) < 0 && errno != EINTR)
            return rm_fail(RM_EIO, "poll: %s", strerror(errno));
        if (fds[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                rm_info("%s: stopping", strsignal((int)si.ssi_signo));
                d->quit = true;
                break;
            }
        }
        rm_control_server_dispatch(srv, fds + 1, n - 1, rm_daemon_handle_command, d);
        tick(d);
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct rm_daemon d = {0};
    int prc = rm_daemon_parse_args(argc, argv, &d.o);
    if (prc)
        return prc < 0 ? 0 : prc;
    unsigned caps = 0;
    rm_device_spec_caps(d.o.device, &caps); /* a bad spec fails to open below */
    d.can_reconnect = (caps & RM_DEVICE_CAN_RECONNECT) != 0;
    /* A daemon's log is its only voice: sessions starting and ending, the
     * mat coming and going are worth a line in the journal. */
    if (!getenv("ROLLMAT_LOG"))
        rm_log_set_level(RM_LOG_INFO);

    /* Blocked before any thread exists: every thread inherits the mask and
     * only the signalfd sees these. A client hanging up must not kill us. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP); /* the terminal of `rollmatd &` closing */
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sigfd = signalfd(-1, &sigs, SFD_CLOEXEC);

    rm_clear_error();
    int rc = sigfd < 0 ? rm_fail(RM_EIO, "signalfd: %s", strerror(errno)) : make_dir(d.o.dir);
    if (rc == 0 && d.o.calibration)
        rc = rm_calibration_load(d.o.calibration, &d.cal);
    if (rc == 0 && d.o.history[0])
        rc = rm_history_queue_new(&d.history, d.o.history);
    struct rm_control_server *srv = NULL;
    if (rc == 0)
        rc = rm_control_socket_dir(&d.o.socket, true);
    if (rc == 0)
        rc = rm_control_server_open(&srv, d.o.socket.path);
    struct rm_profile profile;
    if (rc == 0)
        rc = rm_profile_load(d.o.profile ? d.o.profile : "default", &profile);
    if (rc == 0 && d.o.http)
        rc = rm_live_new(&d.live, d.o.http, d.cal, &profile);
    if ((caps & RM_DEVICE_REPLAY) && !d.o.realtime)
        rm_warn("%s replays as fast as it can be read, before any session can start: "
                "give --realtime",
                d.o.device);
    /* A file or the simulator is there or not: fail now rather than wait. */
    if (rc == 0 && !d.can_reconnect)
        rc = open_device(&d);
    if (rc == 0) {
        rm_info("recording into %s; control socket %s%s", d.o.dir, d.o.socket.path,
                d.o.auto_mode ? "; automatic sessions" : "");
        rc = run(&d, sigfd, srv);
    }
    if (rc)
        rm_log_error_line(rm_last_error(rc));
    /* A load cut short by shutdown, not by the runner: its frames are kept. */
    d.tentative = false;
    rm_daemon_end_session(&d, "shutting down");
    rm_history_queue_free(d.history); /* adds what is queued first */
    close_device(&d);
    rm_live_free(d.live);
    rm_control_server_close(srv);
    rm_calibration_free(d.cal);
    if (sigfd >= 0)
        close(sigfd);
    return rm_exit_code(rc);
}

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

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
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
#include "rm_cli.h"
#include "rm_control.h"
#include "rm_device.h"
#include "rm_error.h"
#include "rm_history.h"
#include "rm_log.h"
#include "rm_recording.h"
#include "rm_session.h"
#include "rm_text.h"

#define TICK_MS 100
/* --auto: a session begins at the first loaded frame and is kept once the
 * load has lasted this long (a foot brushing the mat, the roller set down:
 * the file is deleted again). */
#define AUTO_START_S        1.0
#define AUTO_IDLE_DEFAULT_S 30.0
#define REOPEN_INTERVAL_S   1.0
/* A killed daemon loses the frames not yet flushed: flushing twice a
 * second keeps that under a second even when the writer lags a little
 * (each one-second chunk is then compressed twice: nothing at mat rates). */
#define FLUSH_INTERVAL_S 0.5

struct options {
    const char *device;
    char dir[PATH_MAX];
    struct rm_socket_path socket;
    bool auto_mode;
    double auto_idle_s;
    bool realtime;
    const char *calibration;
    int compression;
    char history[PATH_MAX]; /* the history finished sessions go to; "" none */
};

struct daemon {
    struct options o;
    bool can_reconnect; /* the device comes and goes: keep looking for it */

    struct rm_calibration *cal;
    struct rm_history_queue *history; /* adds finished sessions, off the recording path */
    struct rm_device *dev;
    struct rm_device_tee *tee;
    double next_open;
    bool device_done; /* a file or sim device that ended: nothing more to open */
    bool waiting_logged;

    struct rm_device *session_dev;
    struct rm_session *session;
    char session_name[64];
    char segment[RM_EVENT_LABEL_LEN + 1];      /* the open segment, "" if none */
    char next_segment[RM_EVENT_LABEL_LEN + 1]; /* --auto: for the next session */
    char session_path[PATH_MAX + 64];
    /* --auto: started at the first loaded frame, kept once the load has
     * lasted AUTO_START_S, deleted if it did not (a foot brushing the mat). */
    bool tentative;
    /* --auto after `rollmat stop` with the roller still loaded, or after
     * failing to start a session for it: the next session waits for that
     * load to end (or stop would not stop). */
    bool wait_for_unload;
    char last_session[64];
    char last_error[256];
    bool quit;
};

/* ---- options --------------------------------------------------------------- */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: rollmatd [--device SPEC] [--dir DIR] [--socket PATH] [--auto] [--foreground]\n"
            "\n"
            "The acquisition daemon: waits for a mat, records one file per session into DIR\n"
            "(named after the session's UTC start time), survives the mat being unplugged,\n"
            "and takes `rollmat start|stop|muscle|mark|status` over a UNIX socket.\n"
            "\n"
            "  -d, --device SPEC      the mat, one of:\n");
    rm_device_print_specs(out, 25);
    fprintf(out,
            "  -D, --dir DIR          session directory (default\n"
            "                         ${XDG_DATA_HOME:-~/.local/share}/rollmat/sessions)\n"
            "  -s, --socket PATH      control socket (default $ROLLMAT_SOCKET, else\n"
            "                         $XDG_RUNTIME_DIR/rollmat/rollmat.sock, else\n"
            "                         ${TMPDIR:-/tmp}/rollmat-UID/rollmat.sock)\n"
            "  -a, --auto             start a session when the roller is loaded for 1 s,\n"
            "                         end it after --auto-idle seconds without load\n"
            "  -i, --auto-idle S      seconds without load that end a session (default 30)\n"
            "  -f, --foreground       run in the foreground (always the case: rollmatd never\n"
            "                         forks; systemd or the shell puts it in the background)\n"
            "  -r, --realtime         replay a file device at the mat's own pace\n"
            "  -c, --calibration CAL  copy this calibration into every recording\n"
            "  -z, --compression N    deflate level of the frames, 0-9 (default 1)\n"
            "  -H, --history DB       add each finished session to this history (default\n"
            "                         ${XDG_DATA_HOME:-~/.local/share}/rollmat/history.sqlite)\n"
            "  -N, --no-history       keep no history\n"
            "  -h, --help             this text\n"
            "      --version          print the version\n");
}

/* 0, 2 after a usage error, -1 after --help. */
static int parse_args(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"device", required_argument, NULL, 'd'},
        {"dir", required_argument, NULL, 'D'},
        {"socket", required_argument, NULL, 's'},
        {"auto", no_argument, NULL, 'a'},
        {"auto-idle", required_argument, NULL, 'i'},
        {"foreground", no_argument, NULL, 'f'},
        {"realtime", no_argument, NULL, 'r'},
        {"calibration", required_argument, NULL, 'c'},
        {"compression", required_argument, NULL, 'z'},
        {"history", required_argument, NULL, 'H'},
        {"no-history", no_argument, NULL, 'N'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct options){.device = "usb", .auto_idle_s = AUTO_IDLE_DEFAULT_S, .compression = 1};
    const char *dir = NULL, *sock = NULL, *history = NULL;
    bool no_history = false;
    rm_cli_getopt_start();
    int c;
    while ((c = getopt_long(argc, argv, ":d:D:s:ai:frc:z:H:Nh", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            o->device = optarg;
            break;
        case 'D':
            dir = optarg;
            break;
        case 's':
            sock = optarg;
            break;
        case 'a':
            o->auto_mode = true;
            break;
        case 'i':
            if (rm_cli_parse_double(RM_CLI_DAEMON, "--auto-idle", optarg, DBL_TRUE_MIN, DBL_MAX,
                                    &o->auto_idle_s))
                return RM_CLI_USAGE;
            break;
        case 'f':
            break;
        case 'r':
            o->realtime = true;
            break;
        case 'c':
            o->calibration = optarg;
            break;
        case 'z':
            if (rm_cli_parse_int(RM_CLI_DAEMON, "--compression", optarg, 0, 9, &o->compression))
                return RM_CLI_USAGE;
            break;
        case 'H':
            history = optarg;
            break;
        case 'N':
            no_history = true;
            break;
        case 'h':
            usage(stdout);
            return -1;
        case 'V':
            printf("rollmatd %s\n", ROLLMAT_VERSION);
            return -1;
        default:
            return rm_cli_bad_option(RM_CLI_DAEMON, c, argv);
        }
    }
    if (rm_cli_operands(RM_CLI_DAEMON, argc, argv, 0, 0, NULL))
        return RM_CLI_USAGE;

    if (dir) {
        if (strlen(dir) >= sizeof(o->dir))
            return rm_cli_usage_error(RM_CLI_DAEMON, "--dir is too long");
        strcpy(o->dir, dir);
    } else if (rm_control_default_dir(o->dir, sizeof(o->dir)) < 0) {
        return rm_cli_usage_error(RM_CLI_DAEMON, "%s", rm_last_error(RM_EUSAGE));
    }
    if (history && no_history)
        return rm_cli_usage_error(RM_CLI_DAEMON, "--history and --no-history exclude each other");
    if (history && (!history[0] || strlen(history) >= sizeof(o->history)))
        return rm_cli_usage_error(RM_CLI_DAEMON, "--history needs a path shorter than %zu",
                                  sizeof(o->history));
    if (history)
        strcpy(o->history, history);
    else if (!no_history && rm_history_default_path(o->history, sizeof(o->history)) < 0)
        o->history[0] = '\0'; /* no home to keep it in: recording matters more */
    if (rm_control_socket_path(sock, &o->socket) < 0)
        return rm_cli_usage_error(RM_CLI_DAEMON, "%s", rm_last_error(RM_ERANGE));
    return 0;
}

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

static void close_device(struct daemon *d)
{
    rm_device_tee_free(d->tee);
    d->tee = NULL;
    rm_device_close(d->dev);
    d->dev = NULL;
}

static int open_device(struct daemon *d)
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
static int reserve_file(struct daemon *d, char *path, size_t path_size)
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

static int begin_session(struct daemon *d, const char *label, bool tentative, char *reply,
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
    if (rc == 0)
        rc = rm_session_new(&d->session, d->session_dev, path, d->cal, &so);
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
    d->next_segment[0] = '\0';
    d->tentative = tentative;
    /* Idle time counts from the start of a session; a tentative one keeps
     * the start of the load it was started for. */
    if (!tentative)
        rm_device_tee_restart_load(d->tee, rm_device_tee_now());
    rm_info("session %s started%s%s%s", d->session_name, d->segment[0] ? ", segment " : "",
            d->segment, tentative ? " (kept if the load lasts 1 s)" : "");
    snprintf(reply, reply_size, "ok %s", d->session_name);
    return 0;
}

static int end_session(struct daemon *d, const char *why)
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

/* ---- commands ------------------------------------------------------------- */

static const char *state_name(const struct daemon *d, const struct rm_device_tee_state *ts,
                              const struct rm_session_status *ss)
{
    if (d->session)
        return ss->state == RM_SESSION_DISCONNECTED ? "disconnected" : "recording";
    if (!d->tee)
        return d->device_done ? "ended" : "waiting";
    return ts->away ? "disconnected" : "idle";
}

static void status_json(struct daemon *d, char *reply, size_t reply_size)
{
    struct rm_device_tee_state ts = {0};
    struct rm_session_status ss = {0};
    if (d->tee)
        rm_device_tee_state(d->tee, rm_device_tee_now(), &ts);
    if (d->session)
        rm_session_status(d->session, &ss);

    json_t *root = json_object();
    json_object_set_new(root, "state", json_string(state_name(d, &ts, &ss)));
    json_object_set_new(root, "device", rm_json_text(d->o.device));
    json_object_set_new(root, "dir", rm_json_text(d->o.dir));
    json_object_set_new(root, "auto", json_boolean(d->o.auto_mode));
    if (d->tee) {
        const struct rm_mat_info *info = rm_device_info(d->dev);
        json_t *mat = json_object();
        json_object_set_new(mat, "model", rm_json_text(info->model));
        json_object_set_new(mat, "serial", rm_json_text(info->serial));
        json_object_set_new(mat, "firmware", rm_json_text(info->firmware));
        json_object_set_new(mat, "rows", json_integer(info->rows));
        json_object_set_new(mat, "cols", json_integer(info->cols));
        json_object_set_new(mat, "rate_hz", json_integer(info->rate_hz));
        json_object_set_new(mat, "connected", json_boolean(!ts.away));
        json_object_set_new(mat, "loaded", json_boolean(ts.loaded));
        json_object_set_new(root, "mat", mat);
    } else {
        json_object_set_new(root, "mat", json_null());
    }
    if (d->session) {
        json_t *s = json_object();
        json_object_set_new(s, "file", rm_json_text(d->session_name));
        json_object_set_new(s, "segment", d->segment[0] ? rm_json_text(d->segment) : json_null());
        json_object_set_new(s, "frames", json_integer(ss.frames));
        json_object_set_new(s, "t", json_real(ss.t));
        json_object_set_new(s, "elapsed_s", json_real(ss.elapsed_s));
        json_object_set_new(s, "frames_dropped", json_integer(ss.counters.frames_dropped));
        json_object_set_new(s, "crc_errors", json_integer(ss.counters.crc_errors));
        json_object_set_new(s, "bytes_skipped", json_integer(ss.counters.bytes_skipped));
        json_object_set_new(s, "disconnects", json_integer(ss.counters.disconnects));
        json_object_set_new(s, "ring_overflows", json_integer(ss.ring_overflows));
        json_object_set_new(s, "drift_ppm", json_real(ss.drift_ppm));
        json_object_set_new(root, "session", s);
    } else {
        json_object_set_new(root, "session", json_null());
    }
    json_object_set_new(root, "last_session",
                        d->last_session[0] ? rm_json_text(d->last_session) : json_null());
    if (d->o.auto_mode)
        json_object_set_new(root, "next_segment",
                            d->next_segment[0] ? rm_json_text(d->next_segment) : json_null());
    json_object_set_new(root, "error",
                        d->last_error[0] ? rm_json_text(d->last_error) : json_null());
    char *text = json_dumps(root, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(9));
    json_decref(root);
    if (text && strlen(text) + 4 < reply_size)
        snprintf(reply, reply_size, "ok %s", text);
    else
        snprintf(reply, reply_size, "error status does not fit a reply");
    free(text);
}

/* What a client sent, fit to be quoted in a reply or a log line. */
static void sanitize(const char *in, char *out, size_t size)
{
    size_t n = 0;
    for (; *in && n + 4 < size && n < 32; in++)
        out[n++] = (*in >= 0x20 && *in < 0x7f && *in != '\'') ? *in : '?';
    if (*in && n + 4 < size) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

static void cmd_muscle(struct daemon *d, const char *label, char *reply, size_t reply_size)
{
    if (!d->session) {
        if (d->o.auto_mode) {
            snprintf(d->next_segment, sizeof(d->next_segment), "%s", label);
            snprintf(reply, reply_size, "ok %s (for the next session)", label);
        } else {
            snprintf(reply, reply_size, "error not recording (rollmat start first)");
        }
        return;
    }
    rm_clear_error();
    int rc = 0;
    if (d->segment[0])
        rc = rm_session_event(d->session, "segment_end", d->segment);
    if (rc == 0)
        rc = rm_session_event(d->session, "segment_start", label);
    if (rc < 0) {
        snprintf(reply, reply_size, "error %s", rm_last_error(rc));
        return;
    }
    snprintf(d->segment, sizeof(d->segment), "%s", label);
    rm_info("segment %s", label);
    snprintf(reply, reply_size, "ok %s", label);
}

static void handle_command(void *user, const char *raw, char *reply, size_t reply_size)
{
    struct daemon *d = user;
    char why[128], shown[48];
    /* Spaces around the command and its argument mean nothing. */
    char buf[RM_CONTROL_LINE_MAX + 1];
    snprintf(buf, sizeof(buf), "%s", raw);
    size_t n = strlen(buf);
    while (n > 0 && buf[n - 1] == ' ')
        buf[--n] = '\0';
    const char *line = buf;
    while (*line == ' ')
        line++;
    size_t verb_len = strcspn(line, " ");
    const char *arg = line + verb_len;
    while (*arg == ' ')
        arg++;
    char verb[16];
    if (verb_len == 0 || verb_len >= sizeof(verb)) {
        sanitize(line, shown, sizeof(shown));
        snprintf(reply, reply_size,
                 "error unknown command '%s' (start, stop, muscle, mark, status)", shown);
        return;
    }
    memcpy(verb, line, verb_len);
    verb[verb_len] = '\0';
    /* Someone is working with the session --auto just began: keep it. */
    if (d->tentative &&
        (strcmp(verb, "stop") == 0 || strcmp(verb, "muscle") == 0 || strcmp(verb, "mark") == 0)) {
        d->tentative = false;
        rm_device_tee_restart_load(d->tee, rm_device_tee_now());
    }

    if (strcmp(verb, "start") == 0) {
        if (*arg && rm_control_check_label(arg, why, sizeof(why)) < 0) {
            snprintf(reply, reply_size, "error bad label: %s", why);
            return;
        }
        /* Without a label, the one `muscle` named for the next session. */
        char label[RM_EVENT_LABEL_LEN + 1];
        snprintf(label, sizeof(label), "%s", *arg ? arg : d->next_segment);
        if (d->session && d->tentative) {
            /* --auto just began one: that is the session asked for. */
            d->tentative = false;
            rm_device_tee_restart_load(d->tee, rm_device_tee_now());
            if (*arg)
                cmd_muscle(d, arg, reply, reply_size);
            if (!*arg || strncmp(reply, "ok", 2) == 0)
                snprintf(reply, reply_size, "ok %s", d->session_name);
        } else {
            begin_session(d, label, false, reply, reply_size);
        }
    } else if (strcmp(verb, "stop") == 0) {
        if (*arg) {
            snprintf(reply, reply_size, "error stop takes no argument");
        } else if (!d->session) {
            snprintf(reply, reply_size, "error not recording");
        } else {
            char name[64];
            snprintf(name, sizeof(name), "%s", d->session_name);
            int rc = end_session(d, "stop command");
            d->wait_for_unload = true;
            if (rc)
                snprintf(reply, reply_size, "error %s: %s", name, rm_last_error(rc));
            else
                snprintf(reply, reply_size, "ok %s", name);
        }
    } else if (strcmp(verb, "muscle") == 0) {
        if (rm_control_check_label(arg, why, sizeof(why)) < 0)
            snprintf(reply, reply_size, "error bad label: %s", why);
        else
            cmd_muscle(d, arg, reply, reply_size);
    } else if (strcmp(verb, "mark") == 0) {
        rm_clear_error();
        if (rm_control_check_text(arg, why, sizeof(why)) < 0)
            snprintf(reply, reply_size, "error bad text: %s", why);
        else if (!d->session)
            snprintf(reply, reply_size, "error not recording");
        else if (rm_session_event(d->session, "mark", arg) < 0)
            snprintf(reply, reply_size, "error %s", rm_last_error(RM_EUSAGE));
        else
            snprintf(reply, reply_size, "ok");
    } else if (strcmp(verb, "status") == 0) {
        if (*arg)
            snprintf(reply, reply_size, "error status takes no argument");
        else
            status_json(d, reply, reply_size);
    } else {
        sanitize(verb, shown, sizeof(shown));
        snprintf(reply, reply_size,
                 "error unknown command '%s' (start, stop, muscle, mark, status)", shown);
    }
    if (strcmp(verb, "status") != 0) {
        sanitize(line, shown, sizeof(shown));
        rm_info("command '%s': %s", shown, reply);
    }
}

/* ---- the loop ------------------------------------------------------------------ */

static void tick(struct daemon *d)
{
    double now = rm_device_tee_now();
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
        end_session(d, "the recording ended");
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
        end_session(d, ts.failed ? "the mat failed" : "the device ended");
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
        if (begin_session(d, d->next_segment, true, reply, sizeof(reply)) < 0) {
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
            end_session(d, "the load lasted less than 1 s");
        }
    } else if (d->session && ts.idle_for >= d->o.auto_idle_s) {
        char why[64];
        snprintf(why, sizeof(why), "no load for %.0f s", d->o.auto_idle_s);
        /* The rolling ended with the last loaded frame, not now. */
        if (d->segment[0] &&
            rm_session_event_before(d->session, ts.idle_for, "segment_end", d->segment) == 0)
            d->segment[0] = '\0';
        end_session(d, why);
    }
}

static int run(struct daemon *d, int sigfd, struct rm_control_server *srv)
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
        rm_control_server_dispatch(srv, fds + 1, n - 1, handle_command, d);
        tick(d);
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct daemon d = {0};
    int prc = parse_args(argc, argv, &d.o);
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
    end_session(&d, "shutting down");
    rm_history_queue_free(d.history); /* adds what is queued first */
    close_device(&d);
    rm_control_server_close(srv);
    rm_calibration_free(d.cal);
    if (sigfd >= 0)
        close(sigfd);
    return rm_exit_code(rc);
}

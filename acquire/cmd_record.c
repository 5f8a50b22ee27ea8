/* `rollmat record`: one recording in the foreground (shared/spec/cli.md).
 * SIGINT and SIGTERM are blocked in every thread and taken synchronously by
 * the main thread, which then stops the session cleanly: whatever ends the
 * recording, the file is closed valid. */
#include <float.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rm_calibration.h"
#include "rm_cli.h"
#include "rm_device.h"
#include "rm_error.h"
#include "rm_log.h"
#include "record_feedback.h"
#include "rm_output.h"
#include "rm_session.h"

#define LOG_PREFIX "record"
#define COMMAND    "record"

/* How often the main thread looks at the session between signals. */
#define POLL_S 0.2

static void usage(FILE *out)
{
    fprintf(out, "usage: rollmat record [--device SPEC] -o OUT.h5 [--duration S]\n"
                 "                      [--calibration CAL.h5] [--realtime] [--compression 0-9]\n"
                 "                      [--quiet] [--force]\n"
                 "\n"
                 "Records one session from a mat into OUT.h5 until --duration, the end of a\n"
                 "replayed capture, or SIGINT/SIGTERM; the file is always left valid. On a\n"
                 "terminal a status line shows time, frames, rate, losses and load; a summary\n"
                 "line (file, frames, duration, losses) always ends the recording.\n"
                 "\n"
                 "  -d, --device SPEC       the mat, one of:\n");
    rm_device_print_specs(out, 26);
    fprintf(out, "  -o, --output OUT.h5     the recording to write\n"
                 "  -t, --duration S        stop after S seconds of device time\n"
                 "  -c, --calibration CAL   copy this calibration into the recording\n"
                 "  -r, --realtime          replay a file: capture at the mat's own pace\n"
                 "  -z, --compression N     deflate level of the frames, 0-9 (default 1)\n"
                 "  -q, --quiet             no live status line, no summary line at the end\n"
                 "  -f, --force             replace OUT.h5 if it exists (never a symbolic link)\n"
                 "  -h, --help              this text\n");
}

struct record_args {
    const char *device, *out, *calibration;
    double duration_s;
    bool realtime, quiet, force;
    int compression;
};

/* 0, 2 after printing a usage error, or -1 after --help. */
static int parse_args(int argc, char **argv, struct record_args *a)
{
    static const struct option longopts[] = {
        {"device", required_argument, NULL, 'd'},   {"output", required_argument, NULL, 'o'},
        {"duration", required_argument, NULL, 't'}, {"calibration", required_argument, NULL, 'c'},
        {"realtime", no_argument, NULL, 'r'},       {"compression", required_argument, NULL, 'z'},
        {"quiet", no_argument, NULL, 'q'},          {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    *a = (struct record_args){.device = "usb", .compression = 1};
    rm_cli_getopt_start();
    int c;
    while ((c = getopt_long(argc, argv, ":d:o:t:c:rz:qfh", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            a->device = optarg;
            break;
        case 'o':
            a->out = optarg;
            break;
        case 't':
            if (rm_cli_parse_double(COMMAND, "--duration", optarg, DBL_TRUE_MIN, DBL_MAX,
                                    &a->duration_s))
                return RM_CLI_USAGE;
            break;
        case 'c':
            a->calibration = optarg;
            break;
        case 'r':
            a->realtime = true;
            break;
        case 'z':
            if (rm_cli_parse_int(COMMAND, "--compression", optarg, 0, 9, &a->compression))
                return RM_CLI_USAGE;
            break;
        case 'q':
            a->quiet = true;
            break;
        case 'f':
            a->force = true;
            break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            return rm_cli_bad_option(COMMAND, c, argv);
        }
    }
    if (rm_cli_operands(COMMAND, argc, argv, 0, 0, NULL))
        return RM_CLI_USAGE;
    if (!a->out)
        return rm_cli_usage_error(COMMAND, "-o OUT.h5 is required");
    return 0;
}

/* Waits for the session to end or a signal; returns the signal or 0. */
static int wait_for_end(struct rm_session *s, const sigset_t *sigs, struct rm_record_feedback *fb)
{
    const struct timespec poll = {0, (long)(POLL_S * 1e9)};
    for (;;) {
        int sig = sigtimedwait(sigs, NULL, &poll);
        if (sig > 0)
            return sig;
        if (rm_session_wait(s, 0) == 0)
            return 0;
        struct rm_session_status st;
        rm_session_status(s, &st);
        rm_record_feedback_update(fb, &st);
    }
}

/* How the recording ended, for the summary line. */
static const char *ended_by(const struct record_args *a, int sig, int rc, char *buf, size_t size)
{
    if (sig)
        snprintf(buf, size, "stopped by %s", strsignal(sig));
    else if (rc)
        snprintf(buf, size, "failed");
    else
        snprintf(buf, size, "%s", a->duration_s > 0 ? "duration reached" : "end of the input");
    return buf;
}

static int record(const struct record_args *a, const sigset_t *sigs)
{
    struct rm_device *dev = NULL;
    struct rm_calibration *cal = NULL;
    struct rm_session *s = NULL;
    struct rm_device_opts dopts = {.realtime = a->realtime, .duration_s = a->duration_s};

    bool created = false;
    int rc = rm_output_claim(a->out, a->force, &created);
    rc = rc ? rc : rm_device_open(&dev, a->device, &dopts);
    if (rc == 0 && a->calibration) {
        rc = rm_calibration_load(a->calibration, &cal);
        const struct rm_mat_info *info = rc == 0 ? rm_device_info(dev) : NULL;
        if (rc == 0 && (cal->rows != info->rows || cal->cols != info->cols))
            rc = rm_fail(RM_EFORMAT, "%s: calibration for a %dx%d mat, the device is %ux%u",
                         a->calibration, cal->rows, cal->cols, info->rows, info->cols);
    }
    struct rm_record_feedback fb;
    if (rc == 0)
        rm_record_feedback_init(&fb, a->out, rm_device_info(dev), a->quiet);
    struct rm_session_opts sopts = RM_SESSION_OPTS_DEFAULT;
    sopts.on_frame = rm_record_feedback_on_frame;
    sopts.on_frame_user = &fb;
    sopts.compression = a->compression;
    sopts.duration_s = a->duration_s;
    if (rc == 0)
        rc = rm_session_new(&s, dev, a->out, cal, &sopts);
    if (rc == 0)
        rc = rm_session_start(s);
    int sig = 0;
    if (rc == 0) {
        sig = wait_for_end(s, sigs, &fb);
        if (sig)
            rm_info("%s: stopping", strsignal(sig));
    }
    if (s) {
        int stop_rc = rm_session_stop(s);
        if (rc == 0)
            rc = stop_rc;
        struct rm_session_status st;
        rm_session_status(s, &st);
        char why[64];
        rm_record_feedback_summary(&fb, &st, ended_by(a, sig, rc, why, sizeof(why)));
    }
    /* The message of the first failure, before cleanup can replace it. */
    if (rc)
        rm_log_error_line(rm_last_error(rc));
    if (rc && !s && created)
        unlink(a->out); /* claimed, never written: no empty file left as if recorded */
    rm_session_free(s);
    rm_calibration_free(cal);
    rm_device_close(dev);
    return rc;
}

int rm_cmd_record(int argc, char **argv)
{
    struct record_args a;
    int prc = parse_args(argc, argv, &a);
    if (prc)
        return prc < 0 ? 0 : prc;

    /* Blocked before any thread exists, so every thread inherits the mask
     * and only sigtimedwait() below ever takes these signals. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);

    rm_clear_error();
    int rc = record(&a, &sigs);
    return rm_exit_code(rc);
}

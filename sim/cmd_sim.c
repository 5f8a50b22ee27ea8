/* `rollmat sim`: plays a plan on the simulated mat into a recording (.h5)
 * or a wire capture (.rmw), and optionally writes the truth (JSON). Every
 * output appears under its name only when complete. */
#define LOG_PREFIX "sim"
#define COMMAND    "sim"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rm_capture.h"
#include "rm_cli.h"
#include "rm_error.h"
#include "rm_log.h"
#include "rm_recording.h"
#include "rm_sim.h"
#include "rm_utc.h"
#include "rm_wire.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: rollmat sim [--scenario NAME | --plan FILE] [--seed N] -o OUT.h5|OUT.rmw\n"
                 "                   [--truth OUT.json]\n"
                 "\n"
                 "Plays a plan on the simulated mat and writes what a real mat would have\n"
                 "sent: a recording (.h5, with the mat's true calibration) or a wire capture\n"
                 "(.rmw). See docs/simulator.md.\n"
                 "\n"
                 "  --scenario NAME   a built-in plan (default good):");
    for (const char *const *s = rm_sim_scenarios(); *s; s++)
        fprintf(out, " %s", *s);
    fprintf(out, "\n"
                 "  --plan FILE       a plan file\n"
                 "  --seed N          session randomness: noise, wobble, load (default 1)\n"
                 "  --created-utc T   the recording's date, YYYY-MM-DDTHH:MM:SSZ (default: the\n"
                 "                    plan's `date`, else now)\n"
                 "  -o, --output OUT  the recording (.h5) or capture (.rmw) to write\n"
                 "  --truth OUT.json  what really happened, for checking the analysis\n"
                 "  -h, --help        this text\n");
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A temporary name beside path; caller frees. */
static char *temp_name(const char *path)
{
    static atomic_uint counter;
    size_t cap = strlen(path) + 48;
    char *tmp = malloc(cap);
    if (tmp)
        snprintf(tmp, cap, "%s.tmp.%ld.%u", path, (long)getpid(), atomic_fetch_add(&counter, 1));
    return tmp;
}

static int finish_file(const char *tmp, const char *path, int rc)
{
    if (!rc && rename(tmp, path) != 0)
        rc = rm_fail(RM_EIO, "%s: %s", path, strerror(errno));
    if (rc)
        unlink(tmp);
    return rc;
}

static int write_recording(struct rm_sim *sim, const char *path, const char *created_utc)
{
    struct rm_mat_info info;
    struct rm_rec_meta meta = {0};
    struct rm_calibration *cal = NULL;
    struct rm_rec_writer *w = NULL;
    struct rm_rec_writer_opts opts = RM_REC_WRITER_OPTS_DEFAULT;
    char *tmp = temp_name(path);
    if (!tmp)
        return RM_ENOMEM;

    rm_sim_info(sim, &info);
    snprintf(meta.created_utc, sizeof(meta.created_utc), "%s", created_utc);
    snprintf(meta.device_model, sizeof(meta.device_model), "%s", info.model);
    snprintf(meta.device_serial, sizeof(meta.device_serial), "%s", info.serial);
    snprintf(meta.device_firmware, sizeof(meta.device_firmware), "%s", info.firmware);
    meta.rows = info.rows;
    meta.cols = info.cols;
    meta.pitch_row_mm = info.pitch_row_um / 1000.0;
    meta.pitch_col_mm = info.pitch_col_um / 1000.0;
    meta.adc_bits = info.adc_bits;
    meta.rate_hz = info.rate_hz;
    /* The frames are all there at once: no reader follows along, so flush
     * only by whole chunks. */
    opts.flush_interval_s = 1e9;

    /* Creating the file ourselves first gives the system's own reason for
     * a bad path, which HDF5 would hide. */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
        int rc = rm_fail(RM_EIO, "%s: %s", path, strerror(errno));
        free(tmp);
        return rc;
    }
    close(fd);
    int rc = rm_sim_true_calibration(sim, &cal);
    if (!rc)
        rc = rm_rec_writer_create(&w, tmp, &meta, cal, &opts);
    rm_calibration_free(cal);
    struct rm_sim_frame f;
    int step;
    while (!rc && (step = rm_sim_next(sim, &f)) != RM_EEOF) {
        for (size_t i = 0; i < f.nevents && !rc; i++)
            rc = rm_rec_writer_event(w, f.events[i].t, f.events[i].kind, f.events[i].label);
        if (!rc)
            rc = step ? step : rm_rec_writer_append(w, f.t, f.seq, f.sensels);
    }
    if (!rc)
        for (size_t i = 0; i < f.nevents && !rc; i++)
            rc = rm_rec_writer_event(w, f.events[i].t, f.events[i].kind, f.events[i].label);
    if (w) {
        struct rm_rec_counters counters = {0};
        counters.frames_dropped = rm_sim_frames_sampled(sim) - rm_sim_frames_delivered(sim);
        rm_rec_writer_set_counters(w, &counters);
        int crc = rm_rec_writer_close(w);
        rc = rc ? rc : crc;
    }
    rc = finish_file(tmp, path, rc);
    free(tmp);
    return rc;
}

static int write_capture(struct rm_sim *sim, const char *path)
{
    struct rm_mat_info info;
    struct rm_capture_writer *w;
    rm_sim_info(sim, &info);
    int rc = rm_capture_writer_open(&w, path, &info);
    if (rc)
        return rc;
    /* owned here: one encoded frame */
    uint8_t *buf = malloc(rm_wire_frame_size(info.rows, info.cols));
    if (!buf) {
        rm_capture_writer_discard(w);
        return RM_ENOMEM;
    }
    struct rm_sim_frame f;
    while (!rc && (rc = rm_sim_next(sim, &f)) == 0) {
        /* The wire carries 32-bit counters that wrap, as a device's do. */
        size_t len = rm_wire_encode_frame(buf, (uint32_t)f.seq, (uint32_t)f.t_us, info.rows,
                                          info.cols, f.flags, f.sensels);
        rc = rm_capture_writer_write(w, buf, len);
    }
    free(buf);
    if (rc != RM_EEOF) {
        rm_capture_writer_discard(w);
        return rc;
    }
    return rm_capture_writer_close(w);
}

/* Writes the truth to a temporary name beside path (*tmp_out, renamed by
 * the caller once the recording is there too). */
static int write_truth(struct rm_sim *sim, const char *path, char **tmp_out)
{
    json_t *truth = rm_sim_truth_json(sim);
    char *tmp = temp_name(path);
    FILE *f = NULL;
    int rc = 0;
    *tmp_out = NULL;
    if (!truth || !tmp)
        rc = RM_ENOMEM;
    else if (!(f = fopen(tmp, "w")))
        rc = rm_fail(RM_EIO, "%s: %s", path, strerror(errno));
    else if (json_dumpf(truth, f, JSON_INDENT(2) | JSON_REAL_PRECISION(12)) != 0 ||
             fputc('\n', f) == EOF)
        rc = rm_fail(RM_EIO, "%s: %s", path, strerror(errno));
    if (f && fclose(f) != 0 && !rc)
        rc = rm_fail(RM_EIO, "%s: %s", path, strerror(errno));
    if (rc && f)
        unlink(tmp);
    if (rc)
        free(tmp);
    else
        *tmp_out = tmp;
    json_decref(truth);
    return rc;
}

int rm_cmd_sim(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"scenario", required_argument, NULL, 's'}, {"plan", required_argument, NULL, 'p'},
        {"seed", required_argument, NULL, 'S'},     {"output", required_argument, NULL, 'o'},
        {"truth", required_argument, NULL, 't'},    {"created-utc", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    const char *scenario = NULL, *plan_path = NULL, *out = NULL, *truth = NULL, *created = NULL;
    int64_t seed = 1;
    int c;
    rm_cli_getopt_start();
    while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            scenario = optarg;
            break;
        case 'p':
            plan_path = optarg;
            break;
        case 'S':
            if (rm_cli_parse_int64(COMMAND, "--seed", optarg, 0, INT64_MAX, &seed))
                return RM_CLI_USAGE;
            break;
        case 'o':
            out = optarg;
            break;
        case 't':
            truth = optarg;
            break;
        case 'C': {
            int64_t epoch;
            if (rm_utc_parse(optarg, &epoch) != 0)
                return rm_cli_usage_error(
                    COMMAND, "--created-utc: expected YYYY-MM-DDTHH:MM:SSZ, got '%s'", optarg);
            created = optarg;
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        default:
            return rm_cli_bad_option(COMMAND, c, argv);
        }
    }
    if (rm_cli_operands(COMMAND, argc, argv, 0, 0, NULL))
        return RM_CLI_USAGE;
    const char *problem = NULL;
    if (scenario && plan_path)
        problem = "--scenario and --plan exclude each other";
    else if (!out)
        problem = "-o OUT.h5|OUT.rmw is required";
    else if (!ends_with(out, ".h5") && !ends_with(out, ".rmw"))
        problem = "the output must end in .h5 (recording) or .rmw (wire capture)";
    else if (truth && strcmp(truth, out) == 0)
        problem = "--truth names the output file: the truth would replace the recording";
    if (problem)
        return rm_cli_usage_error(COMMAND, "%s", problem);

    struct rm_sim_plan *plan = NULL;
    struct rm_sim *sim = NULL;
    rm_clear_error();
    int rc;
    if (plan_path) {
        rc = rm_sim_plan_parse_file(&plan, plan_path);
    } else {
        rc = rm_sim_plan_builtin(&plan, scenario ? scenario : "good");
        if (rc == RM_ENOTFOUND)
            return rm_cli_usage_error(COMMAND, "%s", rm_last_error(rc));
    }
    if (!rc)
        rc = rm_sim_new(&sim, plan, (uint64_t)seed);
    rm_sim_plan_free(plan);
    /* The truth first: it is cheap, and a run that cannot write it must not
     * spend minutes on a recording. One run, one result: neither appears
     * without the other. */
    char *truth_tmp = NULL;
    if (!rc && truth)
        rc = write_truth(sim, truth, &truth_tmp);
    if (!rc)
        rc = ends_with(out, ".rmw")
                 ? write_capture(sim, out)
                 : write_recording(sim, out, created ? created : rm_sim_created_utc(sim));
    if (truth_tmp) {
        bool out_written = rc == 0;
        rc = finish_file(truth_tmp, truth, rc);
        if (rc && out_written)
            unlink(out);
        free(truth_tmp);
    }
    if (!rc)
        rm_info("%s: %lld frames, %.1f s", out, (long long)rm_sim_frames_delivered(sim),
                rm_sim_duration_s(sim));
    rm_sim_free(sim);
    if (rc) {
        rm_log_error_line(rm_last_error(rc));
        return rm_exit_code(rc);
    }
    return 0;
}

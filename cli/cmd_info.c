/* `rollmat info [--json] FILE.h5`: validates a recording (everything
 * rm_rec_reader_open checks) and prints its summary, as text for people or
 * as JSON for scripts. Exit 3 with one line for a file that is not a valid
 * recording. */
#include "rm_cmd_info.h"

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rm_cli.h"
#include "rm_error.h"
#include "rm_log.h"
#include "rm_text.h"
#include "rm_recording.h"

#define LOG_PREFIX "info"
#define COMMAND    "info"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: rollmat info [--json] FILE.h5\n"
            "\n"
            "Validates a recording and prints its summary: grid, pitch, frames, duration,\n"
            "rate, loss counters, events, calibration, and whether its writer closed it.\n"
            "\n"
            "  --json      print the summary as one JSON object\n"
            "  -h, --help  this text\n"
            "\n"
            "Exit status: 0 valid, 2 usage error, 3 not a valid recording, 1 other failure.\n");
}

struct span {
    double first_t, last_t, duration_s, measured_hz;
};

static int time_span(struct rm_rec_reader *r, struct span *s)
{
    int64_t n = rm_rec_frames(r);
    memset(s, 0, sizeof(*s));
    if (n == 0)
        return 0;
    int rc = rm_rec_read_t(r, 0, 1, &s->first_t);
    rc = rc ? rc : rm_rec_read_t(r, n - 1, 1, &s->last_t);
    if (rc)
        return rc;
    s->duration_s = s->last_t - s->first_t;
    if (n > 1 && s->duration_s > 0)
        s->measured_hz = (double)(n - 1) / s->duration_s;
    return 0;
}

static size_t dead_sensels(const struct rm_calibration *cal)
{
    size_t n = (size_t)cal->rows * (size_t)cal->cols, dead = 0;
    for (size_t i = 0; i < n; i++)
        dead += cal->dead[i] != 0;
    return dead;
}

/* What a stored time means when it names no zone: a vendor's export keeps
 * the clock of the computer that recorded it, in a zone nobody wrote down
 * (rollmat's own recordings are UTC, "...Z"). */
static const char *zone_note(const char *iso)
{
    /* The zone follows the date (YYYY-MM-DD, whose '-' are no offset). */
    size_t date_len = strlen("YYYY-MM-DD");
    const char *rest = strlen(iso) > date_len ? iso + date_len : "";
    if (!iso[0] || strpbrk(rest, "Z+-"))
        return "";
    return " (local time, zone unknown)";
}

static void print_text(struct rm_rec_reader *r, const struct span *s)
{
    const struct rm_rec_meta *m = rm_rec_meta(r);
    const struct rm_rec_counters *c = rm_rec_counters(r);
    const struct rm_calibration *cal = rm_rec_calibration(r);
    printf("file          %s\n", rm_rec_path(r));
    printf("format        rollmat recording v%d, %s\n", RM_RECORDING_FORMAT_VERSION,
           rm_rec_complete(r) ? "complete"
                              : "INCOMPLETE (its writer never closed it; data up to the last "
                                "flush)");
    printf("created       %s%s\n", m->created_utc, zone_note(m->created_utc));
    printf("device        %s, serial %s, firmware %s\n", m->device_model,
           m->device_serial[0] ? m->device_serial : "-",
           m->device_firmware[0] ? m->device_firmware : "-");
    printf("grid          %d rows x %d cols, pitch %g x %g mm (%g x %g mm), %d-bit\n", m->rows,
           m->cols, m->pitch_row_mm, m->pitch_col_mm, m->rows * m->pitch_row_mm,
           m->cols * m->pitch_col_mm, m->adc_bits);
    printf("frames        %lld over %.3f s\n", (long long)rm_rec_frames(r), s->duration_s);
    if (s->measured_hz > 0)
        printf("rate          %g Hz nominal, %.2f Hz measured\n", m->rate_hz, s->measured_hz);
    else
        printf("rate          %g Hz nominal\n", m->rate_hz);
    printf("losses        %lld frames dropped, %lld CRC errors, %lld bytes skipped, "
           "%lld disconnects\n",
           (long long)c->frames_dropped, (long long)c->crc_errors, (long long)c->bytes_skipped,
           (long long)c->disconnects);
    size_t ne = rm_rec_nevents(r);
    const struct rm_event *ev = rm_rec_events(r);
    printf("events        %zu\n", ne);
    for (size_t i = 0; i < ne; i++)
        printf("  %10.3f s  %-14s %s\n", ev[i].t, ev[i].kind, ev[i].label);
    if (!cal) {
        printf("calibration   none (analysed in counts)\n");
        return;
    }
    if (cal->curve == RM_CURVE_TABLE)
        printf("calibration   table curve of %zu points", cal->table_len);
    else
        printf("calibration   power curve %g * x^%g kPa", cal->curve_a, cal->curve_b);
    printf(", %zu dead sensels, mat serial %s, created %s%s\n", dead_sensels(cal),
           cal->device_serial[0] ? cal->device_serial : "-", cal->created_utc,
           zone_note(cal->created_utc));
}

static json_t *calibration_json(const struct rm_calibration *cal)
{
    if (!cal)
        return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "device_serial", rm_json_text(cal->device_serial));
    json_object_set_new(o, "created_utc", rm_json_text(cal->created_utc));
    json_object_set_new(o, "dead_sensels", json_integer((json_int_t)dead_sensels(cal)));
    if (cal->curve == RM_CURVE_TABLE) {
        json_object_set_new(o, "curve", json_string("table"));
        json_object_set_new(o, "table_rows", json_integer((json_int_t)cal->table_len));
    } else {
        json_object_set_new(o, "curve", json_string("power"));
        json_object_set_new(o, "curve_a", json_real(cal->curve_a));
        json_object_set_new(o, "curve_b", json_real(cal->curve_b));
    }
    return o;
}

static int print_json(struct rm_rec_reader *r, const struct span *s)
{
    const struct rm_rec_meta *m = rm_rec_meta(r);
    const struct rm_rec_counters *c = rm_rec_counters(r);
    json_t *o = json_object();
    json_object_set_new(o, "file", rm_json_text(rm_rec_path(r)));
    json_object_set_new(o, "format_version", json_integer(RM_RECORDING_FORMAT_VERSION));
    json_object_set_new(o, "complete", json_boolean(rm_rec_complete(r)));
    json_object_set_new(o, "created_utc", rm_json_text(m->created_utc));
    json_object_set_new(o, "device_model", rm_json_text(m->device_model));
    json_object_set_new(o, "device_serial", rm_json_text(m->device_serial));
    json_object_set_new(o, "device_firmware", rm_json_text(m->device_firmware));
    json_object_set_new(o, "rows", json_integer(m->rows));
    json_object_set_new(o, "cols", json_integer(m->cols));
    json_object_set_new(o, "pitch_row_mm", json_real(m->pitch_row_mm));
    json_object_set_new(o, "pitch_col_mm", json_real(m->pitch_col_mm));
    json_object_set_new(o, "adc_bits", json_integer(m->adc_bits));
    json_object_set_new(o, "rate_hz", json_real(m->rate_hz));
    json_object_set_new(o, "frames", json_integer(rm_rec_frames(r)));
    json_object_set_new(o, "duration_s", json_real(s->duration_s));
    json_object_set_new(o, "measured_rate_hz",
                        s->measured_hz > 0 ? json_real(s->measured_hz) : json_null());
    json_object_set_new(o, "frames_dropped", json_integer(c->frames_dropped));
    json_object_set_new(o, "crc_errors", json_integer(c->crc_errors));
    json_object_set_new(o, "bytes_skipped", json_integer(c->bytes_skipped));
    json_object_set_new(o, "disconnects", json_integer(c->disconnects));
    json_t *events = json_array();
    const struct rm_event *ev = rm_rec_events(r);
    for (size_t i = 0; i < rm_rec_nevents(r); i++) {
        json_t *e = json_object();
        json_object_set_new(e, "t", json_real(ev[i].t));
        json_object_set_new(e, "kind", rm_json_text(ev[i].kind));
        json_object_set_new(e, "label", rm_json_text(ev[i].label));
        json_array_append_new(events, e);
    }
    json_object_set_new(o, "events", events);
    json_object_set_new(o, "calibration", calibration_json(rm_rec_calibration(r)));
    int rc = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    json_decref(o);
    if (rc != 0 || fputc('\n', stdout) == EOF)
        return rm_fail(RM_EIO, "info: cannot write to stdout");
    return 0;
}

int rm_cmd_info(int argc, char **argv)
{
    static const struct option options[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool json = false;
    int opt;
    rm_cli_getopt_start();
    while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        switch (opt) {
        case 'j':
            json = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return rm_cli_bad_option(COMMAND, opt, argv);
        }
    }
    if (rm_cli_operands(COMMAND, argc, argv, 1, 1, "FILE.h5"))
        return RM_CLI_USAGE;
    rm_clear_error();
    struct rm_rec_reader *r;
    struct span s;
    int rc = rm_rec_reader_open(&r, argv[optind]);
    if (rc) {
        rm_log_error_line(rm_last_error(rc));
        return rm_exit_code(rc);
    }
    rc = time_span(r, &s);
    if (!rc) {
        if (json)
            rc = print_json(r, &s);
        else
            print_text(r, &s);
    }
    if (rc)
        rm_log_error_line(rm_last_error(rc));
    rm_rec_reader_close(r);
    return rm_exit_code(rc);
}

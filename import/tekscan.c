/* Tekscan ASCII movie export (I-Scan, F-Scan ... "Save as ASCII", .csv or
 * .asf): a header of "KEY value" lines up to "ASCII_DATA @@", then per frame a
 * "Frame N, t,, date time,,,Raw Sum=,,S" heading and ROWS lines of COLS
 * comma-separated values ("B" = blanked sensel), and a closing "@@". */
#include <assert.h>
#include <stdarg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "import_parse.h"
#include "import_text.h"
#include "rm_error.h"
#include "rm_import.h"
#include "rm_limits.h"

#define LOG_PREFIX "import"
#include "rm_log.h"

#define MAX_GRID 4096

struct tekscan {
    struct rm_text text;
    struct rm_fields fields;
    const char *name;
    const struct rm_import_sink *sink;
    struct rm_import_header h;
    bool have_rows, have_cols, have_row_pitch, have_col_pitch, have_units;
    bool closing_marker;         /* ASCII_DATA @@: the data ends with a line "@@" */
    long start_frame, end_frame; /* -1 when the header has none */
    char version[64], sensor_type[32];
    double *values; /* rows * cols of the frame being read */
    uint8_t *blank;
    int64_t frames;
    int64_t last_number;
    double t0, last_t; /* the first frame's own time, the previous frame's t */
};

static int fail(struct tekscan *k, const char *what, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct tekscan *k, const char *what, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, what);
    vsnprintf(msg, sizeof(msg), what, ap);
    va_end(ap);
    return rm_fail(RM_EFORMAT, "%s:%ld: %s", k->name, k->text.line, msg);
}

/* "0.127 centimeters" -> mm. */
static int parse_spacing(struct tekscan *k, const char *key, char *value, double *mm)
{
    char *unit = value;
    while (*unit && *unit != ' ' && *unit != '\t')
        unit++;
    if (*unit) {
        *unit++ = '\0';
        while (*unit == ' ' || *unit == '\t')
            unit++;
    }
    double v, factor;
    if (!rm_text_number(value, &v) || !(v > 0))
        return fail(k, "%s: '%s' is not a positive number", key, value);
    if (!*unit)
        return fail(k, "%s: no unit after %s (mm, cm, inches ...)", key, value);
    if (!rm_unit_to_mm(unit, &factor))
        return fail(k, "%s: unknown unit '%s'", key, unit);
    *mm = v * factor;
    if (!(*mm >= RM_PITCH_MM_MIN && *mm <= RM_PITCH_MM_MAX))
        return fail(k, "%s: '%s %s' is outside %g-%g mm", key, value, unit, RM_PITCH_MM_MIN,
                    RM_PITCH_MM_MAX);
    return 0;
}

static int parse_grid_size(struct tekscan *k, const char *key, const char *value, int *out)
{
    long v;
    if (!rm_text_uint(value, MAX_GRID, &v) || v < 1)
        return fail(k, "%s: '%s' is not a grid size from 1 to %d", key, value, MAX_GRID);
    *out = (int)v;
    return 0;
}

static int header_line(struct tekscan *k, char *line)
{
    char *key = line, *value = line;
    while (*value && *value != ' ' && *value != '\t' && *value != ',')
        value++;
    if (*value)
        *value++ = '\0';
    while (*value == ' ' || *value == '\t' || *value == ',')
        value++;
    char *end = value + strlen(value);
    while (end > value && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == ','))
        *--end = '\0';

    if (strcmp(key, "ROWS") == 0) {
        k->have_rows = true;
        return parse_grid_size(k, key, value, &k->h.rows);
    }
    if (strcmp(key, "COLS") == 0) {
        k->have_cols = true;
        return parse_grid_size(k, key, value, &k->h.cols);
    }
    if (strcmp(key, "ROW_SPACING") == 0) {
        k->have_row_pitch = true;
        return parse_spacing(k, key, value, &k->h.pitch_row_mm);
    }
    if (strcmp(key, "COL_SPACING") == 0) {
        k->have_col_pitch = true;
        return parse_spacing(k, key, value, &k->h.pitch_col_mm);
    }
    if (strcmp(key, "SECONDS_PER_FRAME") == 0) {
        double v;
        if (!rm_text_number(value, &v) || !(v > 0))
            return fail(k, "SECONDS_PER_FRAME: '%s' is not a positive number", value);
        if (!(v >= 1 / RM_RATE_HZ_MAX && v <= 1 / RM_RATE_HZ_MIN))
            return fail(k, "SECONDS_PER_FRAME: '%s' is outside %g-%g s", value, 1 / RM_RATE_HZ_MAX,
                        1 / RM_RATE_HZ_MIN);
        k->h.seconds_per_frame = v;
        return 0;
    }
    if (strcmp(key, "UNITS") == 0) {
        k->have_units = true;
        snprintf(k->h.units, sizeof(k->h.units), "%s", value);
        if (rm_text_ieq(value, "raw")) {
            k->h.raw = true;
            k->h.to_kpa = 0;
            return 0;
        }
        k->h.raw = false;
        if (!rm_unit_to_kpa(value, &k->h.to_kpa))
            return fail(k,
                        "UNITS: unknown unit '%s' (raw or a pressure unit: kPa, MPa, PSI, "
                        "mmHg, N/cm^2, kg/cm^2, bar ...)",
                        value);
        return 0;
    }
    if (strcmp(key, "NOISE_THRESHOLD") == 0) {
        double v;
        if (rm_text_number(value, &v) && v >= 0)
            k->h.threshold = v;
        return 0;
    }
    if (strcmp(key, "START_FRAME") == 0 || strcmp(key, "END_FRAME") == 0) {
        long v;
        if (!rm_text_uint(value, 1L << 40, &v))
            return fail(k, "%s: '%s' is not a frame number", key, value);
        *(key[0] == 'S' ? &k->start_frame : &k->end_frame) = v;
        return 0;
    }
    if (strcmp(key, "TIME") == 0) {
        if (rm_import_us_datetime(value, k->h.start_local, sizeof(k->h.start_local)) != 0)
            rm_warn("%s:%ld: TIME '%s' not understood; the recording gets no start time", k->name,
                    k->text.line, value);
        return 0;
    }
    if (strcmp(key, "VERSION") == 0) {
        snprintf(k->version, sizeof(k->version), "%s", value);
        return 0;
    }
    if (strcmp(key, "SENSOR_TYPE") == 0) {
        snprintf(k->sensor_type, sizeof(k->sensor_type), "%s", value);
        return 0;
    }
    if (strcmp(key, "HARDWARE") == 0) {
        snprintf(k->h.serial, sizeof(k->h.serial), "%s", value);
        return 0;
    }
    if (strcmp(key, "ASCII_DATA") == 0) {
        k->closing_marker = strcmp(value, "@@") == 0;
        return 0;
    }
    return 0; /* FILENAME, MAP_VERSION, SENSITIVITY, MIRROR_*...: not needed */
}

static bool is_frame_heading(const char *line)
{
    return strncmp(line, "Frame", 5) == 0 && (line[5] == ' ' || line[5] == ',' || !line[5]);
}

static int finish_header(struct tekscan *k)
{
    const char *missing = !k->have_rows        ? "ROWS"
                          : !k->have_cols      ? "COLS"
                          : !k->have_row_pitch ? "ROW_SPACING"
                          : !k->have_col_pitch ? "COL_SPACING"
                          : !k->have_units     ? "UNITS"
                                               : NULL;
    if (missing)
        return fail(k, "the header has no %s line", missing);
    if (k->start_frame >= 0 && k->end_frame >= 0 && k->end_frame < k->start_frame)
        return fail(k, "END_FRAME %ld is before START_FRAME %ld", k->end_frame, k->start_frame);
    if (strncmp(k->version, "Tekscan", 7) == 0)
        snprintf(k->h.model, sizeof(k->h.model), "%s", k->version);
    else
        rm_text_set(k->h.model, sizeof(k->h.model), "Tekscan%s%s", k->version[0] ? " " : "",
                    k->version);
    if (k->sensor_type[0]) {
        size_t len = strlen(k->h.model);
        rm_text_set(k->h.model + len, sizeof(k->h.model) - len, " sensor %s", k->sensor_type);
    }
    k->h.adc_bits = k->h.raw ? 8 : 0; /* Tekscan electronics digitise to 8 bits */
    if (!k->h.raw)
        k->h.threshold = -1; /* NOISE_THRESHOLD is in counts, not the export's unit */
    size_t n = (size_t)k->h.rows * (size_t)k->h.cols;
    k->values = malloc(n * sizeof(*k->values)); /* owned by k, freed by rm_import_parse_tekscan() */
    k->blank = malloc(n);
    if (!k->values || !k->blank)
        return RM_ENOMEM;
    return 0;
}

/* One row of a frame: COLS values, "B" for blanked. */
static int frame_row(struct tekscan *k, int64_t number, int row, double *sum)
{
    int rc = rm_fields_split(&k->fields, k->text.buf);
    if (rc)
        return rc;
    if (k->fields.used != (size_t)k->h.cols)
        return fail(k, "frame %lld row %d has %zu values, COLS is %d", (long long)number, row + 1,
                    k->fields.used, k->h.cols);
    double *v = k->values + (size_t)row * (size_t)k->h.cols;
    uint8_t *b = k->blank + (size_t)row * (size_t)k->h.cols;
    for (int c = 0; c < k->h.cols; c++) {
        const char *f = k->fields.f[c];
        if ((f[0] == 'B' || f[0] == 'b') && f[1] == '\0') {
            v[c] = 0;
            b[c] = 1;
            continue;
        }
        b[c] = 0;
        if (!rm_text_number(f, &v[c]))
            return fail(k, "frame %lld row %d column %d: '%.32s' is not a number",
                        (long long)number, row + 1, c + 1, f);
        if (v[c] < 0)
            return fail(k, "frame %lld row %d column %d: negative value %s", (long long)number,
                        row + 1, c + 1, f);
        if (k->h.raw && (v[c] != floor(v[c]) || v[c] > 65535))
            return fail(k,
                        "frame %lld row %d column %d: raw count '%s' is not an integer "
                        "from 0 to 65535",
                        (long long)number, row + 1, c + 1, f);
        *sum += v[c];
    }
    return 0;
}

/* A frame: its heading is the current line. */
static int frame(struct tekscan *k)
{
    long heading_line = k->text.line;
    int rc = rm_fields_split(&k->fields, k->text.buf);
    if (rc)
        return rc;
    long number;
    const char *num = k->fields.f[0] + 5;
    while (*num == ' ')
        num++;
    if (!rm_text_uint(num, 1L << 40, &number))
        return fail(k, "frame heading '%.40s' has no frame number", k->fields.f[0]);
    if (k->frames > 0 && number <= k->last_number)
        return fail(k, "frame %ld follows frame %lld: frame numbers must increase", number,
                    (long long)k->last_number);
    if ((k->start_frame >= 0 && number < k->start_frame) ||
        (k->end_frame >= 0 && number > k->end_frame))
        return fail(k, "frame %ld is outside START_FRAME..END_FRAME (%ld..%ld)", number,
                    k->start_frame, k->end_frame);
    /* The frame's own time (s) follows the number; older exports have none. */
    double own_t = NAN, v;
    if (k->fields.used > 1 && k->fields.f[1][0] && rm_text_number(k->fields.f[1], &v))
        own_t = v;
    else if (k->fields.used > 1 && k->fields.f[1][0])
        return fail(k, "frame %ld: time '%.32s' is not a number", number, k->fields.f[1]);
    bool have_sum = false;
    double raw_sum = 0;
    for (size_t i = 1; i + 1 < k->fields.used; i++) {
        if (strcmp(k->fields.f[i], "Raw Sum=") != 0)
            continue;
        size_t j = i + 1;
        while (j < k->fields.used && !k->fields.f[j][0])
            j++;
        if (j == k->fields.used || !rm_text_number(k->fields.f[j], &raw_sum))
            return fail(k, "frame %ld: 'Raw Sum=' without a number", number);
        have_sum = true;
        break;
    }

    double t;
    if (k->frames == 0) {
        k->t0 = own_t;
        t = 0;
    } else if (!isnan(own_t) && !isnan(k->t0)) {
        t = own_t - k->t0;
    } else if (k->h.seconds_per_frame > 0) {
        t = (double)(number - k->last_number) * k->h.seconds_per_frame + k->last_t;
    } else {
        return fail(k, "frame %ld has no time and the header no SECONDS_PER_FRAME", number);
    }
    if (k->frames > 0 && !(t > k->last_t))
        return fail(k, "frame %ld: time %g s is not after the previous frame's %g s", number,
                    t + (isnan(k->t0) ? 0 : k->t0), k->last_t + (isnan(k->t0) ? 0 : k->t0));

    double sum = 0;
    for (int r = 0; r < k->h.rows; r++) {
        rc = rm_text_next(&k->text);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return fail(k, "the file ends inside frame %ld after %d of %d rows (truncated)", number,
                        r, k->h.rows);
        if (k->text.len == 0 || is_frame_heading(k->text.buf) || strcmp(k->text.buf, "@@") == 0)
            return fail(k, "frame %ld has %d rows, ROWS is %d", number, r, k->h.rows);
        rc = frame_row(k, number, r, &sum);
        if (rc)
            return rc;
    }
    if (have_sum && k->h.raw && sum != raw_sum)
        return rm_fail(RM_EFORMAT,
                       "%s:%ld: frame %ld: the values add up to %.0f, its Raw Sum= "
                       "says %.0f",
                       k->name, heading_line, number, sum, raw_sum);

    if (k->frames == 0 && k->sink->header) {
        rc = k->sink->header(k->sink->ctx, &k->h);
        if (rc)
            return rc;
    }
    struct rm_import_frame f = {
        .line = heading_line, .number = number, .t = t, .values = k->values, .blank = k->blank};
    if (k->sink->frame) {
        rc = k->sink->frame(k->sink->ctx, &k->h, &f);
        if (rc)
            return rc;
    }
    k->frames++;
    k->last_number = number;
    k->last_t = t;
    return 0;
}

static int parse(struct tekscan *k)
{
    int rc;
    bool in_data = false, closed = false;
    while ((rc = rm_text_next(&k->text)) == 1) {
        char *line = k->text.buf;
        if (!in_data) {
            if (k->text.len == 0)
                continue;
            if (is_frame_heading(line)) {
                rc = finish_header(k);
                if (rc)
                    return rc;
                in_data = true;
            } else {
                rc = header_line(k, line);
                if (rc)
                    return rc;
                if (strncmp(line, "ASCII_DATA", 10) == 0) {
                    rc = finish_header(k);
                    if (rc)
                        return rc;
                    in_data = true;
                }
                continue;
            }
        }
        if (k->text.len == 0)
            continue;
        if (closed)
            return fail(k, "text after the closing @@");
        if (strcmp(line, "@@") == 0) {
            closed = true;
            continue;
        }
        if (!is_frame_heading(line)) {
            if (k->frames > 0 &&
                (line[0] == 'B' || line[0] == '-' || (line[0] >= '0' && line[0] <= '9')))
                return fail(k, "frame %lld has more than ROWS %d rows", (long long)k->last_number,
                            k->h.rows);
            return fail(k, "expected a 'Frame N' heading, found '%.40s'", line);
        }
        rc = frame(k);
        if (rc)
            return rc;
    }
    if (rc < 0)
        return rc;
    if (!in_data)
        return fail(k, "no ASCII_DATA or Frame line: not a Tekscan ASCII export, or truncated");
    if (k->frames == 0)
        return fail(k, "no frames");
    if (k->closing_marker && !closed)
        return fail(k, "the file ends after frame %lld without the closing @@ (truncated)",
                    (long long)k->last_number);
    if (k->start_frame >= 0 && k->end_frame >= 0 && k->frames != k->end_frame - k->start_frame + 1)
        return fail(k, "%lld frames, the header says START_FRAME %ld to END_FRAME %ld",
                    (long long)k->frames, k->start_frame, k->end_frame);
    return 0;
}

int rm_import_parse_tekscan(FILE *in, const char *name, int sensor,
                            const struct rm_import_sink *sink)
{
    if (sensor > 1)
        return rm_fail(RM_EUSAGE, "%s: a Tekscan export holds one sensor; --sensor %d asked", name,
                       sensor);
    struct tekscan k = {0};
    /* Tekscan's software writes its ASCII exports in the Windows ANSI code
     * page (US dates, "N/cm\xB2"). */
    rm_text_init(&k.text, in, name, RM_TEXT_CP1252);
    k.name = name;
    k.sink = sink;
    k.start_frame = k.end_frame = -1;
    k.h.format = RM_IMPORT_TEKSCAN;
    k.h.nsensors = 1;
    k.h.sensor = sensor;
    k.h.threshold = -1;
    int rc = parse(&k);
    rm_text_free(&k.text);
    rm_fields_free(&k.fields);
    free(k.values);
    free(k.blank);
    return rc;
}

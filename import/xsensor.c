/* XSENSOR CSV export (X3 / Foresite "Export to CSV"): a preamble (File:,
 * Units:, Threshold:), then per frame "FRAME,n", "Date,", "Time," and for
 * each sensor a block: SENSOR name and serial, Rows, Columns, Sensel Width and
 * Height, the vendor's own figures, SENSELS and the Rows x Columns matrix.
 * GROUP blocks (regions of the insole with their cells listed flat) follow;
 * they repeat sensor data and are checked for completeness but not kept.
 * Rows of the matrix are padded with empty fields and separated by empty
 * lines (",,,,"). */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "import_parse.h"
#include "import_text.h"
#include "rm_error.h"
#include "rm_import.h"

#define LOG_PREFIX "import"
#include "rm_log.h"

#define MAX_GRID    4096
#define MAX_SENSORS 16

struct xs_sensor {
    char name[64];
    int rows, cols;
    double width_mm, height_mm;
    double *v; /* rows * cols of this frame, owned */
    int rows_read;
    bool seen_rows, seen_cols, seen_width, seen_height;
};

enum block { NONE, SENSOR_HEAD, SENSOR_MATRIX, SENSOR_DONE, GROUP_HEAD, GROUP_VALUES };

struct xsensor {
    struct rm_text text;
    struct rm_fields fields;
    const char *name;
    const struct rm_import_sink *sink;
    struct rm_import_header h;
    int sensor; /* asked: 0 = all */
    bool have_units;

    struct xs_sensor s[MAX_SENSORS];
    int nsensors, ngroups; /* of the first frame, which sets the layout */

    bool in_frame;
    long frame_line;
    int64_t number;
    int cur_sensors, cur_groups;
    enum block block;
    long group_cells, group_values;
    bool have_date, have_time;
    int y, mo, d;
    int64_t days;
    double tod;
    char frac[16];

    double *out_v; /* the imported frame, owned */
    uint8_t *out_b;
    int64_t frames, last_number;
    int64_t days0; /* the first frame's date and time of day */
    double tod0, last_t;
    bool warned_date;
};

static int fail(struct xsensor *x, const char *what, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct xsensor *x, const char *what, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, what);
    vsnprintf(msg, sizeof(msg), what, ap);
    va_end(ap);
    return rm_fail(RM_EFORMAT, "%s:%ld: %s", x->name, x->text.line, msg);
}

/* "Sensel Width (cm)" -> the unit between the parentheses, in mm. */
static int label_length_unit(struct xsensor *x, const char *label, double *mm_per_unit)
{
    const char *open = strrchr(label, '(');
    const char *close = open ? strchr(open, ')') : NULL;
    char unit[16];
    if (!open || !close || close - open - 1 <= 0 || close - open - 1 >= (long)sizeof(unit))
        return fail(x, "'%.40s' names no unit", label);
    memcpy(unit, open + 1, (size_t)(close - open - 1));
    unit[close - open - 1] = '\0';
    if (!rm_unit_to_mm(unit, mm_per_unit))
        return fail(x, "'%.40s': unknown length unit '%s'", label, unit);
    return 0;
}

/* The vendor's per-sensor figures name their pressure unit; it must be the
 * file's. */
static int check_label_units(struct xsensor *x, const char *label)
{
    if (!strstr(label, "Pressure ("))
        return 0;
    const char *open = strrchr(label, '(');
    const char *close = strchr(open, ')');
    if (!close)
        return 0;
    char unit[16];
    size_t n = (size_t)(close - open - 1);
    if (n >= sizeof(unit))
        return fail(x, "'%.40s': unit too long", label);
    memcpy(unit, open + 1, n);
    unit[n] = '\0';
    if (!rm_text_ieq(unit, x->h.units))
        return fail(x, "'%.40s' is in %s but the file's Units: are %s", label, unit, x->h.units);
    return 0;
}

static int positive_int(struct xsensor *x, const char *key, const char *value, int *out)
{
    long v;
    if (!rm_text_uint(value, MAX_GRID, &v) || v < 1)
        return fail(x, "%s: '%.32s' is not a size from 1 to %d", key, value, MAX_GRID);
    *out = (int)v;
    return 0;
}

/* Closes the current block, complaining when it is incomplete. */
static int close_block(struct xsensor *x)
{
    struct xs_sensor *s = x->cur_sensors ? &x->s[x->cur_sensors - 1] : NULL;
    switch (x->block) {
    case SENSOR_HEAD:
        return fail(x, "frame %lld sensor %d has no SENSELS", (long long)x->number, x->cur_sensors);
    case SENSOR_MATRIX:
        return fail(x, "frame %lld sensor %d has %d rows, Rows is %d", (long long)x->number,
                    x->cur_sensors, s->rows_read, s->rows);
    case GROUP_VALUES:
        if (x->group_cells >= 0 && x->group_values != x->group_cells)
            return fail(x, "frame %lld group %d lists %ld cells, Cells is %ld",
                        (long long)x->number, x->cur_groups, x->group_values, x->group_cells);
        break;
    case GROUP_HEAD:
        return fail(x, "frame %lld group %d has no SENSELS", (long long)x->number, x->cur_groups);
    default:
        break;
    }
    x->block = NONE;
    return 0;
}

static void split_sensor_name(const char *name, char *model, size_t msize, char *serial,
                              size_t ssize)
{
    const char *sp = strrchr(name, ' ');
    if (sp) {
        snprintf(model, msize, "%.*s", (int)(sp - name), name);
        snprintf(serial, ssize, "%s", sp + 1);
    } else {
        snprintf(model, msize, "%s", name);
        serial[0] = '\0';
    }
}

static void append_distinct(char *dst, size_t size, const char *item)
{
    if (!item[0] || strstr(dst, item))
        return;
    size_t len = strlen(dst);
    rm_text_set(dst + len, size - len, "%s%s", len ? " + " : "", item);
}

/* The first frame sets the layout: grid, pitch, names. */
static int set_layout(struct xsensor *x)
{
    x->nsensors = x->cur_sensors;
    x->ngroups = x->cur_groups;
    x->h.nsensors = x->nsensors;
    if (x->sensor > x->nsensors)
        return rm_fail(RM_EUSAGE, "%s: the export holds %d sensor%s; --sensor %d asked", x->name,
                       x->nsensors, x->nsensors == 1 ? "" : "s", x->sensor);
    int first = x->sensor ? x->sensor - 1 : 0;
    int last = x->sensor ? x->sensor - 1 : x->nsensors - 1;
    x->h.rows = 0;
    x->h.cols = 0;
    char models[64] = "", serials[64] = "";
    for (int i = first; i <= last; i++) {
        struct xs_sensor *s = &x->s[i];
        if (s->rows > x->h.rows)
            x->h.rows = s->rows;
        x->h.cols += s->cols;
        if (fabs(s->width_mm - x->s[first].width_mm) > 1e-9 * x->s[first].width_mm ||
            fabs(s->height_mm - x->s[first].height_mm) > 1e-9 * x->s[first].height_mm)
            return fail(x,
                        "the sensors' sensels differ in size (sensor %d: %g x %g mm, sensor "
                        "%d: %g x %g mm): import one at a time with --sensor N",
                        first + 1, x->s[first].width_mm, x->s[first].height_mm, i + 1, s->width_mm,
                        s->height_mm);
        char model[64], serial[64];
        split_sensor_name(s->name, model, sizeof(model), serial, sizeof(serial));
        append_distinct(models, sizeof(models), model);
        append_distinct(serials, sizeof(serials), serial);
    }
    if (x->h.cols > MAX_GRID)
        return fail(x, "the sensors side by side are %d columns wide, at most %d", x->h.cols,
                    MAX_GRID);
    x->h.pitch_row_mm = x->s[first].height_mm;
    x->h.pitch_col_mm = x->s[first].width_mm;
    rm_text_set(x->h.model, sizeof(x->h.model), "XSENSOR %s", models);
    snprintf(x->h.serial, sizeof(x->h.serial), "%s", serials);
    if (x->have_date) {
        int secs = (int)x->tod;
        rm_text_set(x->h.start_local, sizeof(x->h.start_local), "%04d-%02d-%02dT%02d:%02d:%02d%s",
                    x->y, x->mo, x->d, secs / 3600, secs / 60 % 60, secs % 60, x->frac);
    }
    size_t n = (size_t)x->h.rows * (size_t)x->h.cols;
    x->out_v = malloc(n * sizeof(*x->out_v)); /* owned by x, freed by rm_import_parse_xsensor() */
    x->out_b = malloc(n);
    if (!x->out_v || !x->out_b)
        return RM_ENOMEM;
    return 0;
}

static int end_frame(struct xsensor *x)
{
    int rc = close_block(x);
    if (rc)
        return rc;
    if (x->cur_sensors == 0)
        return fail(x, "frame %lld has no SENSOR", (long long)x->number);
    if (x->frames > 0 && x->cur_sensors != x->nsensors)
        return fail(x, "frame %lld has %d sensors, the first frame %d", (long long)x->number,
                    x->cur_sensors, x->nsensors);
    if (x->frames > 0 && x->cur_groups != x->ngroups)
        return fail(x, "frame %lld has %d groups, the first frame %d (truncated?)",
                    (long long)x->number, x->cur_groups, x->ngroups);
    if (!x->have_time)
        return fail(x, "frame %lld has no Time line", (long long)x->number);
    int64_t days = x->have_date ? x->days : 0;
    double t = 0;
    if (x->frames == 0) {
        rc = set_layout(x);
        if (rc)
            return rc;
        x->days0 = days;
        x->tod0 = x->tod;
    } else {
        /* Differences first: seconds since 1970 would round away microseconds. */
        t = (double)(days - x->days0) * 86400.0 + (x->tod - x->tod0);
        if (!(t > x->last_t))
            return rm_fail(RM_EFORMAT,
                           "%s:%ld: frame %lld: its time is not after the previous "
                           "frame's",
                           x->name, x->frame_line, (long long)x->number);
    }

    int first = x->sensor ? x->sensor - 1 : 0;
    int last = x->sensor ? x->sensor - 1 : x->nsensors - 1;
    int col0 = 0;
    for (int i = first; i <= last; i++) {
        const struct xs_sensor *s = &x->s[i];
        for (int r = 0; r < x->h.rows; r++) {
            double *v = x->out_v + (size_t)r * (size_t)x->h.cols + (size_t)col0;
            uint8_t *b = x->out_b + (size_t)r * (size_t)x->h.cols + (size_t)col0;
            for (int c = 0; c < s->cols; c++) {
                bool pad = r >= s->rows; /* a shorter sensor beside a longer one */
                v[c] = pad ? 0 : s->v[(size_t)r * (size_t)s->cols + (size_t)c];
                b[c] = pad;
            }
        }
        col0 += s->cols;
    }
    if (x->frames == 0 && x->sink->header) {
        rc = x->sink->header(x->sink->ctx, &x->h);
        if (rc)
            return rc;
    }
    struct rm_import_frame f = {
        .line = x->frame_line, .number = x->number, .t = t, .values = x->out_v, .blank = x->out_b};
    if (x->sink->frame) {
        rc = x->sink->frame(x->sink->ctx, &x->h, &f);
        if (rc)
            return rc;
    }
    x->frames++;
    x->last_number = x->number;
    x->last_t = t;
    x->in_frame = false;
    return 0;
}

static int start_frame(struct xsensor *x)
{
    long number;
    if (x->fields.used < 2 || !rm_text_uint(x->fields.f[1], 1L << 40, &number))
        return fail(x, "FRAME without a frame number");
    if (!x->have_units)
        return fail(x, "no Units: line before the first FRAME");
    if (x->frames > 0 && number <= x->last_number)
        return fail(x, "frame %ld follows frame %lld: frame numbers must increase", number,
                    (long long)x->last_number);
    x->in_frame = true;
    x->frame_line = x->text.line;
    x->number = number;
    x->cur_sensors = x->cur_groups = 0;
    x->block = NONE;
    x->have_date = x->have_time = false;
    return 0;
}

static int start_sensor(struct xsensor *x)
{
    int rc = close_block(x);
    if (rc)
        return rc;
    if (x->cur_sensors == MAX_SENSORS)
        return fail(x, "more than %d sensors in one frame", MAX_SENSORS);
    if (x->frames > 0 && x->cur_sensors == x->nsensors)
        return fail(x, "frame %lld has more sensors than the first frame (%d)",
                    (long long)x->number, x->nsensors);
    struct xs_sensor *s = &x->s[x->cur_sensors++];
    const char *name = x->fields.used > 1 ? x->fields.f[1] : "";
    if (x->frames == 0)
        snprintf(s->name, sizeof(s->name), "%s", name);
    s->seen_rows = s->seen_cols = s->seen_width = s->seen_height = false;
    s->rows_read = 0;
    x->block = SENSOR_HEAD;
    return 0;
}

/* Rows, Columns, Sensel Width/Height of a sensor; later frames must agree
 * with the first. */
static int sensor_key(struct xsensor *x, const char *key, const char *value)
{
    struct xs_sensor *s = &x->s[x->cur_sensors - 1];
    int k = x->cur_sensors, rc;
    if (strcmp(key, "Rows") == 0 || strcmp(key, "Columns") == 0) {
        int v = 0;
        bool rows = key[0] == 'R';
        rc = positive_int(x, key, value, &v);
        if (rc)
            return rc;
        int *dst = rows ? &s->rows : &s->cols;
        if (x->frames > 0 && v != *dst)
            return fail(x, "sensor %d: %s %d, the first frame said %d", k, key, v, *dst);
        *dst = v;
        *(rows ? &s->seen_rows : &s->seen_cols) = true;
        return 0;
    }
    if (strncmp(key, "Sensel Width", 12) == 0 || strncmp(key, "Sensel Height", 13) == 0) {
        double mm_per_unit, v;
        bool width = key[7] == 'W';
        rc = label_length_unit(x, key, &mm_per_unit);
        if (rc)
            return rc;
        if (!rm_text_number(value, &v) || !(v > 0))
            return fail(x, "%s: '%.32s' is not a positive number", key, value);
        double mm = v * mm_per_unit;
        double *dst = width ? &s->width_mm : &s->height_mm;
        if (x->frames > 0 && mm != *dst)
            return fail(x, "sensor %d: %s %s, the first frame said otherwise", k, key, value);
        *dst = mm;
        *(width ? &s->seen_width : &s->seen_height) = true;
        return 0;
    }
    return check_label_units(x, key);
}

static int begin_matrix(struct xsensor *x)
{
    struct xs_sensor *s = &x->s[x->cur_sensors - 1];
    const char *missing = !s->seen_rows     ? "Rows"
                          : !s->seen_cols   ? "Columns"
                          : !s->seen_width  ? "Sensel Width"
                          : !s->seen_height ? "Sensel Height"
                                            : NULL;
    if (missing)
        return fail(x, "sensor %d has SENSELS but no %s line before", x->cur_sensors, missing);
    if (!s->v) {
        s->v = malloc((size_t)s->rows * (size_t)s->cols *
                      sizeof(*s->v)); /* owned by x, freed by rm_import_parse_xsensor() */
        if (!s->v)
            return RM_ENOMEM;
    }
    s->rows_read = 0;
    x->block = SENSOR_MATRIX;
    return 0;
}

static int matrix_row(struct xsensor *x)
{
    struct xs_sensor *s = &x->s[x->cur_sensors - 1];
    if (x->block == SENSOR_DONE)
        return fail(x, "frame %lld sensor %d has more rows than Rows %d", (long long)x->number,
                    x->cur_sensors, s->rows);
    if (x->fields.used != (size_t)s->cols)
        return fail(x, "frame %lld sensor %d row %d has %zu values, Columns is %d",
                    (long long)x->number, x->cur_sensors, s->rows_read + 1, x->fields.used,
                    s->cols);
    double *v = s->v + (size_t)s->rows_read * (size_t)s->cols;
    for (int c = 0; c < s->cols; c++) {
        const char *f = x->fields.f[c];
        if (!rm_text_number(f, &v[c]))
            return fail(x, "frame %lld sensor %d row %d column %d: '%.32s' is not a number",
                        (long long)x->number, x->cur_sensors, s->rows_read + 1, c + 1, f);
        if (v[c] < 0)
            return fail(x, "frame %lld sensor %d row %d column %d: negative pressure %s",
                        (long long)x->number, x->cur_sensors, s->rows_read + 1, c + 1, f);
    }
    if (++s->rows_read == s->rows)
        x->block = SENSOR_DONE;
    return 0;
}

static int group_values(struct xsensor *x)
{
    for (size_t i = 0; i < x->fields.used; i++) {
        double v;
        if (!rm_text_number(x->fields.f[i], &v))
            return fail(x, "frame %lld group %d: '%.32s' is not a number", (long long)x->number,
                        x->cur_groups, x->fields.f[i]);
    }
    x->group_values += (long)x->fields.used;
    return 0;
}

static int preamble_line(struct xsensor *x, char *key, const char *value)
{
    size_t len = strlen(key);
    if (len && key[len - 1] == ':')
        key[len - 1] = '\0';
    if (strcmp(key, "Units") == 0) {
        snprintf(x->h.units, sizeof(x->h.units), "%s", value);
        if (!rm_unit_to_kpa(value, &x->h.to_kpa))
            return fail(x, "Units: unknown unit '%.32s' (mmHg, kPa, PSI, N/cm2 ...)", value);
        x->have_units = true;
        return 0;
    }
    if (strcmp(key, "Threshold") == 0) {
        double v;
        if (!rm_text_number(value, &v) || v < 0)
            return fail(x, "Threshold: '%.32s' is not a pressure", value);
        x->h.threshold = v;
        return 0;
    }
    return 0;
}

static int line(struct xsensor *x)
{
    int rc = rm_fields_split(&x->fields, x->text.buf);
    if (rc)
        return rc;
    if (x->fields.used == 0)
        return 0;
    char *key = x->fields.f[0];
    const char *value = x->fields.used > 1 ? x->fields.f[1] : "";
    double number;
    bool numeric = rm_text_number(key, &number);

    if (strcmp(key, "FRAME") == 0) {
        if (x->in_frame) {
            rc = end_frame(x);
            if (rc)
                return rc;
        }
        return start_frame(x);
    }
    if (!x->in_frame) {
        if (x->frames > 0 || numeric)
            return fail(x, "'%.32s' outside a FRAME", key);
        return preamble_line(x, key, value);
    }
    if (numeric) {
        if (x->block == SENSOR_MATRIX || x->block == SENSOR_DONE)
            return matrix_row(x);
        if (x->block == GROUP_VALUES)
            return group_values(x);
        return fail(x, "values outside a SENSELS block");
    }
    if (x->block == SENSOR_MATRIX)
        return close_block(x); /* fails: the matrix is short */
    if (strcmp(key, "Date") == 0) {
        if (rm_import_date(value, &x->y, &x->mo, &x->d, &x->days) == 0) {
            x->have_date = true;
        } else if (!x->warned_date) {
            rm_warn("%s:%ld: date '%s' not understood; frame times use the time of day only",
                    x->name, x->text.line, value);
            x->warned_date = true;
        }
        return 0;
    }
    if (strcmp(key, "Time") == 0) {
        if (rm_import_time_of_day(value, &x->tod, x->frac) != 0)
            return fail(x, "Time: '%.32s' is not a time of day", value);
        x->have_time = true;
        return 0;
    }
    if (strcmp(key, "SENSOR") == 0)
        return start_sensor(x);
    if (strcmp(key, "GROUP") == 0) {
        rc = close_block(x);
        if (rc)
            return rc;
        x->cur_groups++;
        x->group_cells = -1;
        x->group_values = 0;
        x->block = GROUP_HEAD;
        return 0;
    }
    if (strcmp(key, "SENSELS") == 0) {
        if (x->block == SENSOR_HEAD)
            return begin_matrix(x);
        if (x->block == GROUP_HEAD) {
            x->block = GROUP_VALUES;
            return 0;
        }
        return fail(x, "SENSELS outside a SENSOR or GROUP block");
    }
    if (x->block == GROUP_HEAD && strcmp(key, "Cells") == 0) {
        long v;
        if (!rm_text_uint(value, 1L << 24, &v))
            return fail(x, "Cells: '%.32s' is not a count", value);
        x->group_cells = v;
        return 0;
    }
    if (x->block == SENSOR_HEAD)
        return sensor_key(x, key, value);
    if (x->block == GROUP_VALUES)
        return close_block(x); /* a group's cells end at the next heading */
    return 0;                  /* figures of a sensor or group we do not keep */
}

static int parse(struct xsensor *x)
{
    int rc;
    while ((rc = rm_text_next(&x->text)) == 1) {
        rc = line(x);
        if (rc)
            return rc;
    }
    if (rc < 0)
        return rc;
    if (x->in_frame) {
        rc = end_frame(x);
        if (rc)
            return rc;
    }
    if (x->frames == 0)
        return fail(x, "no FRAME: not an XSENSOR export, or empty");
    return 0;
}

int rm_import_parse_xsensor(FILE *in, const char *name, int sensor,
                            const struct rm_import_sink *sink)
{
    struct xsensor *x = calloc(1, sizeof(*x)); /* freed below */
    if (!x)
        return RM_ENOMEM;
    /* XSENSOR writes UTF-8 (with a byte order mark: "cm\u00b2"). */
    rm_text_init(&x->text, in, name, RM_TEXT_UTF8);
    x->name = name;
    x->sink = sink;
    x->sensor = sensor;
    x->h.format = RM_IMPORT_XSENSOR;
    x->h.sensor = sensor;
    x->h.threshold = -1;
    int rc = parse(x);
    rm_text_free(&x->text);
    rm_fields_free(&x->fields);
    for (int i = 0; i < MAX_SENSORS; i++)
        free(x->s[i].v);
    free(x->out_v);
    free(x->out_b);
    free(x);
    return rc;
}

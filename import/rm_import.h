/* Vendors' ASCII exports -> rollmat recordings (docs/formats.md).
 *
 * The parsers stream: they read one line at a time and hand each complete
 * frame to a sink, so a file of any length needs one frame of memory. A
 * parser validates everything it reads and fails on the first problem with
 * RM_EFORMAT and the message "<file>:<line>: <what>". rm_import_file() runs a
 * parser twice over the file: once to validate it and collect what the
 * recording's header and calibration need (every distinct pressure value,
 * the rate, the blanked sensels), then to write the frames. */
#ifndef RM_IMPORT_H
#define RM_IMPORT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum rm_import_format {
    RM_IMPORT_GUESS = 0, /* decide from the content */
    RM_IMPORT_TEKSCAN,   /* Tekscan ASCII movie export (.csv, .asf) */
    RM_IMPORT_XSENSOR,   /* XSENSOR CSV export */
};

/* What a parser learned from the export's headers and first frame. Sent to
 * the sink once, just before the first frame. */
struct rm_import_header {
    enum rm_import_format format;
    int rows, cols;           /* imported grid: rows = vendor rows; several sensors side by side */
    int nsensors;             /* sensors in the file (XSENSOR); 1 for Tekscan */
    int sensor;               /* the one imported (1-based), 0 = all side by side */
    double pitch_row_mm;      /* distance between row centres (the roll axis) */
    double pitch_col_mm;      /* distance between column centres */
    bool raw;                 /* values are device counts, not pressures */
    char units[16];           /* the unit as the export spells it ("raw", "mmHg", ...) */
    double to_kpa;            /* kPa per export unit; 0 when raw */
    double threshold;         /* the vendor's contact threshold in export units, < 0 if none */
    double seconds_per_frame; /* from the header, 0 when the export has none */
    char start_local[32];     /* ISO 8601 local time (no zone) of the export, "" if none */
    char model[64];           /* "Tekscan ..." or "XSENSOR ..." */
    char serial[64];
    int adc_bits; /* bits of the device's counts when raw, else 0 */
};

/* One frame. values and blank are rows * cols, row-major, valid during the
 * call only. */
struct rm_import_frame {
    long line;            /* the line of the frame's heading in the export */
    int64_t number;       /* the vendor's frame number */
    double t;             /* seconds since the first frame, from the export */
    const double *values; /* in the export's unit; 0 where blank */
    const uint8_t *blank; /* 1: blanked sensel ("B"), or padding between sensors */
};

/* Callbacks of a parser. A callback that fails returns a negative RM_E*
 * code (after rm_fail()); the parser stops and returns it. */
struct rm_import_sink {
    int (*header)(void *ctx, const struct rm_import_header *h);
    int (*frame)(void *ctx, const struct rm_import_header *h, const struct rm_import_frame *f);
    void *ctx;
};

/* Parses a whole export from in (positioned at its start); name is the file
 * name used in messages. sensor: 0 = all (side by side), N = the N-th sensor
 * (1-based). Returns 0, RM_EFORMAT for a bad export, RM_EUSAGE for a sensor
 * the file does not have, RM_ENOMEM or RM_EIO. */
int rm_import_parse_tekscan(FILE *in, const char *name, int sensor,
                            const struct rm_import_sink *sink);
int rm_import_parse_xsensor(FILE *in, const char *name, int sensor,
                            const struct rm_import_sink *sink);
int rm_import_parse(FILE *in, const char *name, enum rm_import_format format, int sensor,
                    const struct rm_import_sink *sink);

/* Decides the format from the first lines of in and rewinds it. RM_EFORMAT
 * ("<name>: not a Tekscan or XSENSOR ASCII export") when neither fits. */
int rm_import_guess(FILE *in, const char *name, enum rm_import_format *out);

const char *rm_import_format_name(enum rm_import_format format);

/* Imports in_path into a new recording out_path. The recording is written
 * under a temporary name beside out_path and renamed only when complete; on
 * any failure nothing is left at out_path (an existing file there is kept). */
int rm_import_file(const char *in_path, const char *out_path, enum rm_import_format format,
                   int sensor);

/* Set (from a signal handler) to stop rm_import_file() at the next frame:
 * it then fails with RM_EINTR and removes its temporary file. */
extern volatile sig_atomic_t rm_import_stop;

/* `rollmat import`. */
int rm_cmd_import(int argc, char **argv);

#endif

/* Which vendor wrote an export, from its first lines. */
#include <string.h>

#include "import_text.h"
#include "rm_error.h"
#include "rm_import.h"

/* Enough lines to pass any preamble of either vendor. */
#define GUESS_LINES 64

int rm_import_guess(FILE *in, const char *name, enum rm_import_format *out)
{
    struct rm_text t;
    struct rm_fields fs = {0};
    rm_text_init(&t, in, name, RM_TEXT_UTF8); /* only ASCII keys matter */
    *out = RM_IMPORT_GUESS;
    int rc = 0;
    while (*out == RM_IMPORT_GUESS && t.line < GUESS_LINES && (rc = rm_text_next(&t)) == 1) {
        const char *l = t.buf;
        /* Header keys only: an XSENSOR export's first line is the path it
         * came from, which may well name the other vendor. */
        if (strncmp(l, "DATA_TYPE ", 10) == 0 || strncmp(l, "ASCII_DATA ", 11) == 0 ||
            strncmp(l, "SECONDS_PER_FRAME ", 18) == 0 ||
            (strncmp(l, "VERSION ", 8) == 0 && strstr(l, "Tekscan"))) {
            *out = RM_IMPORT_TEKSCAN;
            break;
        }
        rc = rm_fields_split(&fs, t.buf);
        if (rc)
            break;
        const char *f0 = fs.f[0];
        if (fs.n > 1 && (strcmp(f0, "FRAME") == 0 || strcmp(f0, "SENSOR") == 0 ||
                         strcmp(f0, "Units:") == 0 || strcmp(f0, "SENSELS") == 0))
            *out = RM_IMPORT_XSENSOR;
    }
    rm_text_free(&t);
    rm_fields_free(&fs);
    if (rc < 0 && *out == RM_IMPORT_GUESS)
        return rc;
    if (fseek(in, 0, SEEK_SET) != 0)
        return rm_fail(RM_EIO, "%s: cannot rewind", name);
    if (*out == RM_IMPORT_GUESS)
        return rm_fail(RM_EFORMAT,
                       "%s:1: not a Tekscan or XSENSOR ASCII export (give --format if it is one)",
                       name);
    return 0;
}

int rm_import_parse(FILE *in, const char *name, enum rm_import_format format, int sensor,
                    const struct rm_import_sink *sink)
{
    if (format == RM_IMPORT_GUESS) {
        int rc = rm_import_guess(in, name, &format);
        if (rc)
            return rc;
    }
    if (format == RM_IMPORT_TEKSCAN)
        return rm_import_parse_tekscan(in, name, sensor, sink);
    return rm_import_parse_xsensor(in, name, sensor, sink);
}

const char *rm_import_format_name(enum rm_import_format format)
{
    switch (format) {
    case RM_IMPORT_TEKSCAN:
        return "tekscan";
    case RM_IMPORT_XSENSOR:
        return "xsensor";
    default:
        return "guess";
    }
}

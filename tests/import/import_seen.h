/* What an import parser hands its sink, kept for the import tests to check
 * (test_import_parse.c: the real exports; test_import_parse_small.c: small
 * exports, good and bad). */
#ifndef RM_TEST_IMPORT_SEEN_H
#define RM_TEST_IMPORT_SEEN_H

#include <stdint.h>

#include "rm_import.h"

#define MAX_FRAMES 400

/* What a sink saw: the header, and per frame its number, t, sum, a copy of
 * frames 1 and 2 of values and blanks. */
struct seen {
    struct rm_import_header h;
    int headers;
    int frames;
    int64_t number[MAX_FRAMES];
    double t[MAX_FRAMES];
    double sum[MAX_FRAMES];
    int blanks[MAX_FRAMES];
    double *first, *second;
    uint8_t *first_blank;
};

/* Frees the copies of frames 1 and 2. */
void seen_free(struct seen *s);

/* Parses the export at path (or the text, named "mem.csv" in messages) with
 * fmt and sensor into *s, afresh; the parser's result (its message in
 * rm_last_error()). */
int parse_file(const char *path, enum rm_import_format fmt, int sensor, struct seen *s);
int parse_text(const char *text, enum rm_import_format fmt, int sensor, struct seen *s);

#endif

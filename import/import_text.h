/* Text helpers the export parsers share: a line reader that knows its line
 * number, a CSV field splitter, strict number parsing and the unit tables.
 * Internal to rm_import. */
#ifndef RM_IMPORT_TEXT_H
#define RM_IMPORT_TEXT_H

#include <stdbool.h>

#include "rm_number.h"
#include <stddef.h>
#include <stdio.h>

/* Longest line accepted: far above any real export (a 256-column Tekscan
 * row is about 1 KB), low enough that garbage cannot exhaust memory. */
#define RM_TEXT_MAX_LINE (1 << 20)

/* The character encoding a format's exports are written in, declared by
 * its parser: lines are decoded to UTF-8 as they are read, so nothing
 * after the reader sees another encoding. A UTF-8 byte order mark at the
 * start of a file overrides the declaration. */
enum rm_text_encoding {
    RM_TEXT_UTF8,   /* bytes that are not UTF-8 become U+FFFD */
    RM_TEXT_CP1252, /* Windows-1252, the ANSI code page of Western Windows */
};

struct rm_text {
    FILE *in;
    enum rm_text_encoding encoding;
    const char *name; /* file name for messages, not owned */
    char *buf;        /* the current line, NUL terminated, without its end of line */
    size_t len;
    size_t cap;
    long line; /* 1-based number of the current line; 0 before the first */
};

/* Owns nothing until the first read; free the buffer with rm_text_free(). */
void rm_text_init(struct rm_text *t, FILE *in, const char *name, enum rm_text_encoding encoding);
void rm_text_free(struct rm_text *t);

/* Reads the next line: 1 when there is one, 0 at end of file, or a negative
 * RM_E* code (after rm_fail) for a line too long, a NUL byte or a read error.
 * Strips "\n", "\r\n" and a UTF-8 byte order mark at the start of the file,
 * and decodes the line from the declared encoding to UTF-8. */
int rm_text_next(struct rm_text *t);

/* The fields of one CSV line, pointing into the line (which is modified). */
struct rm_fields {
    char **f;
    size_t n; /* fields on the line */
    size_t cap;
    size_t used; /* n without the trailing empty fields */
};

/* Splits line at commas, honouring double quotes ("a,b" is one field, ""
 * inside quotes is one quote), and trims blanks around each field. */
int rm_fields_split(struct rm_fields *fs, char *line);
void rm_fields_free(struct rm_fields *fs);

/* Strict non-negative decimal integer not above max. */
bool rm_text_uint(const char *s, long max, long *out);

/* Formats into a fixed-size descriptive field (model, serial, start time),
 * cutting what does not fit: a vendor's long description may be shortened,
 * never a value. Returns true when the text was cut. */
bool rm_text_set(char *dst, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Case-insensitive equality of ASCII strings. */
bool rm_text_ieq(const char *a, const char *b);

/* kPa per unit of a pressure unit name (kPa, mmHg, PSI, N/cm2, MPa, ...);
 * false when the name is not a pressure unit we know. */
bool rm_unit_to_kpa(const char *unit, double *kpa_per_unit);
/* mm per unit of a length unit name (mm, cm, centimeters, in, inches, m ...). */
bool rm_unit_to_mm(const char *unit, double *mm_per_unit);

#endif

/* Line reading, CSV fields, numbers and units for the export parsers. */
#include "import_text.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rm_error.h"
#include "rm_text.h"

void rm_text_init(struct rm_text *t, FILE *in, const char *name, enum rm_text_encoding encoding)
{
    memset(t, 0, sizeof(*t));
    t->in = in;
    t->name = name;
    t->encoding = encoding;
}

/* Windows-1252's 0x80..0x9F (0: not assigned); 0xA0..0xFF are Latin-1's. */
static const uint16_t cp1252_high[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
};

/* Windows-1252 s (len bytes) as UTF-8 into out (3 * len + 1 bytes). */
static size_t cp1252_to_utf8(const unsigned char *s, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned cp = s[i] < 0x80 ? s[i] : s[i] < 0xA0 ? cp1252_high[s[i] - 0x80] : s[i];
        if (cp == 0)
            cp = 0xFFFD;
        if (cp < 0x80) {
            out[o++] = (char)cp;
        } else if (cp < 0x800) {
            out[o++] = (char)(0xC0 | (cp >> 6));
            out[o++] = (char)(0x80 | (cp & 0x3F));
        } else {
            out[o++] = (char)(0xE0 | (cp >> 12));
            out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            out[o++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    out[o] = '\0';
    return o;
}

/* Decodes the current line (t->len bytes) to UTF-8 in place. */
static int decode_line(struct rm_text *t)
{
    bool ascii = true;
    for (size_t i = 0; i < t->len && ascii; i++)
        ascii = (unsigned char)t->buf[i] < 0x80;
    if (ascii)
        return 0;
    size_t cap = 3 * t->len + 1;
    char *out = malloc(cap); /* becomes the line buffer */
    if (!out)
        return RM_ENOMEM;
    size_t n = t->encoding == RM_TEXT_CP1252
                   ? cp1252_to_utf8((const unsigned char *)t->buf, t->len, out)
                   : rm_utf8_fix(t->buf, out, cap);
    free(t->buf);
    t->buf = out;
    t->cap = cap;
    t->len = n;
    return 0;
}

void rm_text_free(struct rm_text *t)
{
    free(t->buf);
    t->buf = NULL;
    t->cap = 0;
}

static int grow(struct rm_text *t)
{
    size_t cap = t->cap ? t->cap * 2 : 4096;
    if (cap > RM_TEXT_MAX_LINE + 1)
        cap = RM_TEXT_MAX_LINE + 1;
    if (cap <= t->cap)
        return rm_fail(RM_EFORMAT, "%s:%ld: line longer than %d bytes", t->name, t->line + 1,
                       RM_TEXT_MAX_LINE);
    char *buf = realloc(t->buf, cap);
    if (!buf)
        return RM_ENOMEM;
    t->buf = buf;
    t->cap = cap;
    return 0;
}

int rm_text_next(struct rm_text *t)
{
    size_t len = 0;
    int c;
    if (!t->buf) {
        int rc = grow(t);
        if (rc)
            return rc;
    }
    while ((c = getc_unlocked(t->in)) != EOF && c != '\n') {
        if (c == 0)
            return rm_fail(RM_EFORMAT, "%s:%ld: NUL byte: not a text file", t->name, t->line + 1);
        if (len + 1 >= t->cap) {
            int rc = grow(t);
            if (rc)
                return rc;
        }
        t->buf[len++] = (char)c;
    }
    if (c == EOF && ferror(t->in))
        return rm_fail(RM_EIO, "%s:%ld: read error: %s", t->name, t->line + 1, strerror(errno));
    if (c == EOF && len == 0)
        return 0;
    t->line++;
    if (len > 0 && t->buf[len - 1] == '\r')
        len--;
    t->buf[len] = '\0';
    if (t->line == 1 && len >= 3 && memcmp(t->buf, "\xEF\xBB\xBF", 3) == 0) {
        memmove(t->buf, t->buf + 3, len - 2);
        len -= 3;
        t->encoding = RM_TEXT_UTF8; /* the mark says so, whatever was declared */
    }
    t->len = len;
    int rc = decode_line(t);
    if (rc)
        return rc;
    return 1;
}

static int push_field(struct rm_fields *fs, char *f)
{
    if (fs->n == fs->cap) {
        size_t cap = fs->cap ? fs->cap * 2 : 64;
        char **nf = realloc(fs->f, cap * sizeof(*nf));
        if (!nf)
            return RM_ENOMEM;
        fs->f = nf;
        fs->cap = cap;
    }
    fs->f[fs->n++] = f;
    return 0;
}

static char *trim(char *s, char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *end = '\0';
    return s;
}

int rm_fields_split(struct rm_fields *fs, char *line)
{
    fs->n = 0;
    char *r = line; /* read position */
    for (;;) {
        char *start = r, *w = r; /* fields are rewritten in place, quotes removed */
        bool quoted = false;
        while (*r && (quoted || *r != ',')) {
            if (*r == '"') {
                if (quoted && r[1] == '"') {
                    *w++ = '"';
                    r += 2;
                    continue;
                }
                quoted = !quoted;
                r++;
                continue;
            }
            *w++ = *r++;
        }
        bool last = (*r == '\0');
        char *field = trim(start, w);
        int rc = push_field(fs, field);
        if (rc)
            return rc;
        if (last)
            break;
        r++;
    }
    fs->used = fs->n;
    while (fs->used > 0 && fs->f[fs->used - 1][0] == '\0')
        fs->used--;
    return 0;
}

void rm_fields_free(struct rm_fields *fs)
{
    free(fs->f);
    memset(fs, 0, sizeof(*fs));
}

bool rm_text_uint(const char *s, long max, long *out)
{
    if (!isdigit((unsigned char)*s))
        return false;
    long v = 0;
    for (const char *p = s; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return false;
        if (v > (max - (*p - '0')) / 10)
            return false;
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return true;
}

bool rm_text_ieq(const char *a, const char *b)
{
    while (*a && *b) {
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
        a++;
        b++;
    }
    return *a == *b;
}

struct unit {
    const char *name;
    double factor;
};

/* Conventional exact definitions: 1 mmHg = 133.322387415 Pa, 1 psi =
 * 6894.757293168 Pa, 1 kgf = 9.80665 N, 1 atm = 101325 Pa. */
static const struct unit pressure_units[] = {
    {"kPa", 1.0},
    {"Pa", 0.001},
    {"MPa", 1000.0},
    {"mmHg", 0.133322387415},
    {"PSI", 6.894757293168},
    {"N/cm2", 10.0},
    {"N/cm^2", 10.0},
    {"N/cm\xC2\xB2", 10.0}, /* N/cm² in UTF-8 */
    {"N/mm2", 1000.0},
    {"N/mm^2", 1000.0},
    {"kg/cm2", 98.0665},
    {"kg/cm^2", 98.0665},
    {"kgf/cm2", 98.0665},
    {"kgf/cm^2", 98.0665},
    {"g/cm2", 0.0980665},
    {"g/cm^2", 0.0980665},
    {"bar", 100.0},
    {"mbar", 0.1},
    {"atm", 101.325},
};

static const struct unit length_units[] = {
    {"mm", 1.0},           {"millimeters", 1.0},  {"millimetres", 1.0}, {"cm", 10.0},
    {"centimeters", 10.0}, {"centimetres", 10.0}, {"m", 1000.0},        {"meters", 1000.0},
    {"metres", 1000.0},    {"in", 25.4},          {"inch", 25.4},       {"inches", 25.4},
};

static bool lookup(const struct unit *table, size_t n, const char *name, double *out)
{
    for (size_t i = 0; i < n; i++)
        if (rm_text_ieq(table[i].name, name)) {
            *out = table[i].factor;
            return true;
        }
    return false;
}

bool rm_unit_to_kpa(const char *unit, double *kpa_per_unit)
{
    return lookup(pressure_units, sizeof(pressure_units) / sizeof(pressure_units[0]), unit,
                  kpa_per_unit);
}

bool rm_unit_to_mm(const char *unit, double *mm_per_unit)
{
    return lookup(length_units, sizeof(length_units) / sizeof(length_units[0]), unit, mm_per_unit);
}

bool rm_text_set(char *dst, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(dst, size, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= size;
}

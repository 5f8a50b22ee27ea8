/* The import tests' sink (import_seen.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "import_seen.h"

#include "rm_error.h"

static int on_header(void *ctx, const struct rm_import_header *h)
{
    struct seen *s = ctx;
    s->h = *h;
    s->headers++;
    return 0;
}

static int on_frame(void *ctx, const struct rm_import_header *h, const struct rm_import_frame *f)
{
    struct seen *s = ctx;
    size_t n = (size_t)h->rows * (size_t)h->cols;
    assert_true(s->frames < MAX_FRAMES);
    s->number[s->frames] = f->number;
    s->t[s->frames] = f->t;
    double sum = 0;
    int blanks = 0;
    for (size_t i = 0; i < n; i++) {
        sum += f->values[i];
        blanks += f->blank[i];
        if (f->blank[i])
            assert_true(f->values[i] == 0);
    }
    s->sum[s->frames] = sum;
    s->blanks[s->frames] = blanks;
    double **copy = s->frames == 0 ? &s->first : s->frames == 1 ? &s->second : NULL;
    if (copy) {
        *copy = malloc(n * sizeof(double));
        memcpy(*copy, f->values, n * sizeof(double));
    }
    if (s->frames == 0) {
        s->first_blank = malloc(n);
        memcpy(s->first_blank, f->blank, n);
    }
    s->frames++;
    return 0;
}

void seen_free(struct seen *s)
{
    free(s->first);
    free(s->second);
    free(s->first_blank);
}

int parse_file(const char *path, enum rm_import_format fmt, int sensor, struct seen *s)
{
    memset(s, 0, sizeof(*s));
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    struct rm_import_sink sink = {on_header, on_frame, s};
    rm_clear_error();
    int rc = rm_import_parse(f, path, fmt, sensor, &sink);
    fclose(f);
    return rc;
}

int parse_text(const char *text, enum rm_import_format fmt, int sensor, struct seen *s)
{
    memset(s, 0, sizeof(*s));
    FILE *f = fmemopen((void *)text, strlen(text), "rb");
    assert_non_null(f);
    struct rm_import_sink sink = {on_header, on_frame, s};
    rm_clear_error();
    int rc = rm_import_parse(f, "mem.csv", fmt, sensor, &sink);
    fclose(f);
    return rc;
}

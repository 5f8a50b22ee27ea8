/* libFuzzer target: the Tekscan and XSENSOR export parsers, the format
 * guess and the distinct-value codes, on arbitrary bytes. Every input goes
 * through the guess and through both parsers explicitly, so that a mutation
 * of either sample reaches either parser. Seeds: the first frames of the
 * real exports in tests/import/data (pressuRe, Scott Telfer, MIT licence). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "import_codes.h"
#include "rm_error.h"
#include "rm_import.h"

/* A global the work reaches, so that the optimiser keeps it. */
volatile double fuzz_import_sink;

static int on_header(void *ctx, const struct rm_import_header *h)
{
    (void)ctx;
    fuzz_import_sink += h->rows * h->cols + h->pitch_row_mm + h->to_kpa;
    return 0;
}

static int on_frame(void *ctx, const struct rm_import_header *h, const struct rm_import_frame *f)
{
    struct rm_codes *codes = ctx;
    size_t n = (size_t)h->rows * (size_t)h->cols;
    for (size_t i = 0; i < n; i++) {
        if (f->blank[i] && f->values[i] != 0)
            __builtin_trap(); /* a blanked sensel must read 0 */
        if (f->values[i] < 0)
            __builtin_trap(); /* negative values are refused */
        if (f->values[i] > 0) {
            int rc = rm_codes_add(codes, f->values[i]);
            if (rc)
                return rc;
        }
        fuzz_import_sink += f->values[i];
    }
    fuzz_import_sink += f->t;
    return 0;
}

static void run(const uint8_t *data, size_t size, enum rm_import_format format)
{
    FILE *in = fmemopen((void *)data, size, "rb");
    if (!in)
        return;
    struct rm_codes *codes;
    if (rm_codes_new(&codes) == 0) {
        struct rm_import_sink sink = {on_header, on_frame, codes};
        rm_clear_error();
        int rc = rm_import_parse(in, "fuzz", format, 0, &sink);
        if (rc == 0 && rm_codes_seal(codes) == 0) {
            uint16_t code;
            fuzz_import_sink += rm_codes_code(codes, 1.0, &code);
        }
        rm_codes_free(codes);
    }
    fclose(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0; /* fmemopen refuses an empty buffer */
    run(data, size, RM_IMPORT_GUESS);
    run(data, size, RM_IMPORT_TEKSCAN);
    run(data, size, RM_IMPORT_XSENSOR);
    return 0;
}

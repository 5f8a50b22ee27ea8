/* The set of distinct exported values and its table curve. */
#include "rm_stats.h"
#include "import_codes.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rm_error.h"

struct rm_codes {
    double *slots; /* open addressing hash set; 0 marks an empty slot (0 is never added) */
    size_t cap;    /* power of two */
    size_t count;
    double *sorted; /* after seal: count values, increasing */
};

int rm_codes_new(struct rm_codes **out)
{
    struct rm_codes *c = calloc(1, sizeof(*c));
    if (!c)
        return RM_ENOMEM;
    c->cap = 1024;
    c->slots = calloc(c->cap, sizeof(double));
    if (!c->slots) {
        free(c);
        return RM_ENOMEM;
    }
    *out = c;
    return 0;
}

void rm_codes_free(struct rm_codes *c)
{
    if (!c)
        return;
    free(c->slots);
    free(c->sorted);
    free(c);
}

static size_t hash(double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    bits ^= bits >> 33; /* murmur3's finaliser mixes all bits into the low ones */
    bits *= 0xff51afd7ed558ccdULL;
    bits ^= bits >> 33;
    bits *= 0xc4ceb9fe1a85ec53ULL;
    bits ^= bits >> 33;
    return (size_t)bits;
}

/* Returns true when v was inserted, false when it was there. */
static bool insert(double *slots, size_t cap, double v)
{
    for (size_t i = hash(v) & (cap - 1);; i = (i + 1) & (cap - 1)) {
        if (slots[i] == 0) {
            slots[i] = v;
            return true;
        }
        if (slots[i] == v)
            return false;
    }
}

int rm_codes_add(struct rm_codes *c, double v)
{
    assert(v > 0 && isfinite(v) && !c->sorted);
    if (c->count * 2 >= c->cap) { /* keep the load under one half */
        size_t cap = c->cap * 2;
        double *slots = calloc(cap, sizeof(double));
        if (!slots)
            return RM_ENOMEM;
        for (size_t i = 0; i < c->cap; i++)
            if (c->slots[i] != 0)
                insert(slots, cap, c->slots[i]);
        free(c->slots);
        c->slots = slots;
        c->cap = cap;
    }
    if (insert(c->slots, c->cap, v) && ++c->count > RM_CODES_MAX)
        return RM_ERANGE;
    return 0;
}

size_t rm_codes_count(const struct rm_codes *c)
{
    return c->count;
}

int rm_codes_seal(struct rm_codes *c)
{
    c->sorted = malloc((c->count ? c->count : 1) * sizeof(double));
    if (!c->sorted)
        return RM_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < c->cap; i++)
        if (c->slots[i] != 0)
            c->sorted[n++] = c->slots[i];
    assert(n == c->count);
    qsort(c->sorted, n, sizeof(double), rm_cmp_double);
    return 0;
}

int rm_codes_code(const struct rm_codes *c, double v, uint16_t *code)
{
    assert(c->sorted);
    if (v == 0) {
        *code = 0;
        return 0;
    }
    size_t lo = 0, hi = c->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->sorted[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == c->count || c->sorted[lo] != v)
        return RM_ERANGE;
    *code = (uint16_t)(lo + 1);
    return 0;
}

int rm_codes_table(const struct rm_codes *c, double to_kpa, struct rm_calibration *cal)
{
    assert(c->sorted && to_kpa > 0);
    size_t k = c->count, rows = k + 2;
    double *xy = malloc(rows * 2 * sizeof(double)); /* freed below; set_table copies */
    if (!xy)
        return RM_ENOMEM;
    xy[0] = 0;
    xy[1] = 0;
    for (size_t i = 0; i < k; i++) {
        xy[2 * (i + 1)] = (double)(i + 1);
        xy[2 * (i + 1) + 1] = c->sorted[i] * to_kpa;
    }
    /* The lookup evaluates a node x_i exactly as y_i only when x_i starts its
     * segment; the extra point makes the last value such a node. */
    double last = xy[2 * k + 1], before = k ? xy[2 * (k - 1) + 1] : 0;
    xy[2 * (k + 1)] = (double)(k + 1);
    xy[2 * (k + 1) + 1] = k ? last + (last - before) : 1.0;
    int rc = rm_calibration_set_table(cal, xy, rows);
    free(xy);
    return rc;
}

/* Contacts per frame and the tool among them (docs/scoring.md "Contacts,
 * axis and tool"). A real floor has more on the mat than the roller: a hand
 * put down to steady oneself, a knee, the other foot, and on a passive
 * matrix their ghosts. Each frame's contact sensels are grouped into
 * connected regions; the tool is the region followed from frame to frame
 * (the one the person rolls on), together with regions lying on the same
 * band across the roll axis (two legs on one roller). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "an_contacts.h"
#include "rm_error.h"

/* A tool contact unseen for longer than this is lost: the next contact
 * starts a new track. */
#define TRACK_LOST_S 0.5
/* Another contact outweighing the followed one this many times over, for
 * this long, becomes the tool: the person got on while steadying
 * themselves with a hand, which then carried more than the roller. */
#define RIVAL_RATIO 2.0
#define RIVAL_S     1.0
/* Regions on the same band: their extents across it overlap by this share
 * of the smaller one, and neither is this many times thicker. */
#define BAND_OVERLAP   0.5
#define BAND_THICKNESS 1.5
/* ... and centred on one line: legs under one roller are centred on its
 * band to a few mm; a hand put down beside it hardly ever is. Within the
 * band's own spread, or this many mm. */
#define BAND_CENTRE_MM 8.0
/* The followed region moves a few mm between frames (150 mm/s at 40 Hz:
 * under 4 mm; across half a second of lost frames: 75 mm); the nearest
 * region further than this is another one: the tool was lifted. */
#define TRACK_GATE_MM 100.0

int an_contacts_scratch_new(struct an_contacts_scratch *w, size_t n)
{
    w->n = n;
    w->at = malloc(n * sizeof(*w->at));
    w->parent = malloc(n * sizeof(*w->parent));
    if (!w->at || !w->parent) {
        an_contacts_scratch_free(w);
        return RM_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        w->at[i] = -1;
    return 0;
}

void an_contacts_scratch_free(struct an_contacts_scratch *w)
{
    free(w->at);
    free(w->parent);
    memset(w, 0, sizeof(*w));
}

static uint32_t find_root(uint32_t *parent, uint32_t j)
{
    while (parent[j] != j) {
        parent[j] = parent[parent[j]];
        j = parent[j];
    }
    return j;
}

static void unite(uint32_t *parent, uint32_t a, uint32_t b)
{
    a = find_root(parent, a);
    b = find_root(parent, b);
    if (a != b)
        parent[a > b ? a : b] = a < b ? a : b;
}

/* Sums over one region, turned into a contact by finish(). */
struct acc {
    double sum, sr, sc, srr, scc, peak;
    int n, r0, r1, c0, c1;
};

static void finish(const struct acc *a, double pr, double pc, struct an_contact *c)
{
    double mr = a->sr / a->sum, mc = a->sc / a->sum;
    c->sum = a->sum;
    c->peak = a->peak;
    c->row_mm = mr * pr;
    c->col_mm = mc * pc;
    c->sd_row_mm = sqrt(fmax(a->srr / a->sum - mr * mr, 0)) * pr;
    c->sd_col_mm = sqrt(fmax(a->scc / a->sum - mc * mc, 0)) * pc;
    c->nsensels = a->n;
    c->r0 = a->r0;
    c->r1 = a->r1;
    c->c0 = a->c0;
    c->c1 = a->c1;
}

void an_contacts_find(struct an_contacts_scratch *w, const uint32_t *idx, const double *val,
                      size_t nc, int rows, int cols, double pitch_row, double pitch_col,
                      double min_sum, struct an_frame_contacts *out)
{
    (void)rows;
    out->n = 0;
    if (!nc)
        return;
    uint32_t ucols = (uint32_t)cols;
    for (size_t j = 0; j < nc; j++) {
        uint32_t i = idx[j], r = i / ucols, c = i % ucols;
        w->at[i] = (int32_t)j;
        w->parent[j] = (uint32_t)j;
        /* The neighbours seen before this sensel: left, and the three above. */
        if (c > 0 && w->at[i - 1] >= 0)
            unite(w->parent, (uint32_t)j, (uint32_t)w->at[i - 1]);
        if (r > 0) {
            for (int dc = -1; dc <= 1; dc++) {
                int cc = (int)c + dc;
                if (cc < 0 || cc >= cols)
                    continue;
                int32_t k = w->at[(size_t)(r - 1) * ucols + (size_t)cc];
                if (k >= 0)
                    unite(w->parent, (uint32_t)j, (uint32_t)k);
            }
        }
    }
    /* Regions, indexed by their root (the smallest member), accumulated in
     * a small table; frames rarely hold more than a handful. */
    struct acc acc[4 * AN_MAX_CONTACTS];
    uint32_t root_of[4 * AN_MAX_CONTACTS];
    int nacc = 0;
    for (size_t j = 0; j < nc; j++) {
        uint32_t root = find_root(w->parent, (uint32_t)j), i = idx[j];
        int r = (int)(i / ucols), c = (int)(i % ucols);
        int k = 0;
        while (k < nacc && root_of[k] != root)
            k++;
        if (k == nacc) {
            if (nacc == 4 * AN_MAX_CONTACTS)
                continue; /* a frame of noise: the largest regions came first */
            root_of[nacc] = root;
            acc[nacc++] = (struct acc){.r0 = r, .r1 = r, .c0 = c, .c1 = c};
        }
        struct acc *a = &acc[k];
        double v = val[j];
        a->sum += v;
        a->sr += v * r;
        a->sc += v * c;
        a->srr += v * r * r;
        a->scc += v * c * c;
        a->peak = v > a->peak ? v : a->peak;
        a->n++;
        a->r1 = r;
        a->c0 = c < a->c0 ? c : a->c0;
        a->c1 = c > a->c1 ? c : a->c1;
    }
    for (size_t j = 0; j < nc; j++)
        w->at[idx[j]] = -1;
    /* The largest regions, by summed value. */
    for (int k = 0; k < nacc; k++) {
        if (!(acc[k].sum >= min_sum) || !(acc[k].sum > 0))
            continue;
        struct an_contact c;
        finish(&acc[k], pitch_row, pitch_col, &c);
        int pos = out->n < AN_MAX_CONTACTS ? out->n++ : AN_MAX_CONTACTS;
        if (pos == AN_MAX_CONTACTS) {
            if (c.sum <= out->c[AN_MAX_CONTACTS - 1].sum)
                continue;
            pos = AN_MAX_CONTACTS - 1;
        }
        while (pos > 0 && out->c[pos - 1].sum < c.sum) {
            out->c[pos] = out->c[pos - 1];
            pos--;
        }
        out->c[pos] = c;
    }
}

/* How much of the smaller of [a0, a1] and [b0, b1] (sensel indices,
 * inclusive) the two share. */
static double overlap(int a0, int a1, int b0, int b1)
{
    int lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
    int small = (a1 - a0) < (b1 - b0) ? a1 - a0 + 1 : b1 - b0 + 1;
    return hi >= lo ? (double)(hi - lo + 1) / small : 0;
}

/* Whether c lies on the same band across the roll axis as the tool's
 * region m: side by side along the band, as thick, centred on the same
 * line. */
static bool same_band(const struct an_contact *m, const struct an_contact *c)
{
    int mt, ct;
    if (m->sd_row_mm < m->sd_col_mm) { /* a band along the columns */
        mt = m->r1 - m->r0 + 1;
        ct = c->r1 - c->r0 + 1;
        return overlap(m->r0, m->r1, c->r0, c->r1) >= BAND_OVERLAP && ct <= BAND_THICKNESS * mt &&
               mt <= BAND_THICKNESS * ct &&
               fabs(c->row_mm - m->row_mm) <= fmax(m->sd_row_mm, BAND_CENTRE_MM);
    }
    mt = m->c1 - m->c0 + 1;
    ct = c->c1 - c->c0 + 1;
    return overlap(m->c0, m->c1, c->c0, c->c1) >= BAND_OVERLAP && ct <= BAND_THICKNESS * mt &&
           mt <= BAND_THICKNESS * ct &&
           fabs(c->col_mm - m->col_mm) <= fmax(m->sd_col_mm, BAND_CENTRE_MM);
}

/* Merges b into a (both sums > 0, or a empty). */
static void merge(struct an_contact *a, const struct an_contact *b)
{
    if (!(a->sum > 0)) {
        *a = *b;
        return;
    }
    double s = a->sum + b->sum;
    double mr = (a->row_mm * a->sum + b->row_mm * b->sum) / s;
    double mc = (a->col_mm * a->sum + b->col_mm * b->sum) / s;
    /* Spreads combine through second moments about the joint centre. */
    double vr = (a->sum * (a->sd_row_mm * a->sd_row_mm + pow(a->row_mm - mr, 2)) +
                 b->sum * (b->sd_row_mm * b->sd_row_mm + pow(b->row_mm - mr, 2))) /
                s;
    double vc = (a->sum * (a->sd_col_mm * a->sd_col_mm + pow(a->col_mm - mc, 2)) +
                 b->sum * (b->sd_col_mm * b->sd_col_mm + pow(b->col_mm - mc, 2))) /
                s;
    a->sum = s;
    a->row_mm = mr;
    a->col_mm = mc;
    a->sd_row_mm = sqrt(vr);
    a->sd_col_mm = sqrt(vc);
    a->peak = fmax(a->peak, b->peak);
    a->nsensels += b->nsensels;
    a->r0 = a->r0 < b->r0 ? a->r0 : b->r0;
    a->r1 = a->r1 > b->r1 ? a->r1 : b->r1;
    a->c0 = a->c0 < b->c0 ? a->c0 : b->c0;
    a->c1 = a->c1 > b->c1 ? a->c1 : b->c1;
}

void an_tracker_pick(struct an_tracker *tr, double t, const struct an_frame_contacts *fc,
                     struct an_picked *out)
{
    memset(out, 0, sizeof(*out));
    if (tr->have && t - tr->t > TRACK_LOST_S)
        tr->have = false;
    if (fc->n == 0)
        return;
    /* The followed region: the one nearest where the tool was (it moves a
     * few mm between frames; a hand lands elsewhere), else the largest. */
    int main = 0;
    bool had = tr->have;
    if (tr->have) {
        double best = INFINITY;
        for (int k = 0; k < fc->n; k++) {
            double d = hypot(fc->c[k].row_mm - tr->row_mm, fc->c[k].col_mm - tr->col_mm);
            if (d < best) {
                best = d;
                main = k;
            }
        }
        if (best > TRACK_GATE_MM) {
            main = 0;
            had = false;
        }
        /* A rival far heavier for a while takes over (see RIVAL_RATIO). */
        if (main != 0 && fc->c[0].sum > RIVAL_RATIO * fc->c[main].sum) {
            if (isnan(tr->rival_since))
                tr->rival_since = t;
            if (t - tr->rival_since >= RIVAL_S) {
                main = 0;
                had = false;
            }
        } else {
            tr->rival_since = NAN;
        }
    } else {
        tr->rival_since = NAN;
    }
    const struct an_contact *m = &fc->c[main];
    out->main = *m;
    for (int k = 0; k < fc->n; k++) {
        if (k == main || same_band(m, &fc->c[k]))
            merge(&out->tool, &fc->c[k]);
        else if (out->nother++ < AN_MAX_OTHERS)
            out->other[out->nother - 1] = fc->c[k];
    }
    if (main == 0)
        tr->rival_since = NAN;
    out->newtrack = !had;
    tr->have = true;
    tr->t = t;
    /* Follow the followed region itself, not the merged centre, so that a
     * companion coming and going does not make the track jump. */
    tr->row_mm = m->row_mm;
    tr->col_mm = m->col_mm;
    tr->sum = m->sum;
}

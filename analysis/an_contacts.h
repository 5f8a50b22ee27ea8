/* Contacts on the mat, frame by frame (contacts.c; docs/scoring.md
 * "Contacts, axis and tool"): the connected regions of sensels in contact,
 * and which of them are the tool's (the roller or ball the person rolls
 * on), followed over time; the rest are other contacts (a hand, a knee, the
 * other foot) and never move the roll position. */
#ifndef AN_CONTACTS_H
#define AN_CONTACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Regions kept per frame, the largest first; smaller ones are dropped. */
#define AN_MAX_CONTACTS 6

/* One connected region of contact sensels (8-connected). */
struct an_contact {
    double sum;                  /* pressure (kPa or counts) summed over its sensels */
    double peak;                 /* its highest sensel */
    double row_mm, col_mm;       /* pressure-weighted centre */
    double sd_row_mm, sd_col_mm; /* pressure-weighted spread about it */
    int nsensels;
    int r0, r1, c0, c1; /* bounding box, sensel indices, inclusive */
};

struct an_frame_contacts {
    int n;
    struct an_contact c[AN_MAX_CONTACTS];
};

/* Scratch for an_contacts_find: a rows x cols map (all -1 between calls)
 * and room for every sensel of a frame. */
struct an_contacts_scratch {
    int32_t *at;      /* sensel -> its position in the contact list, or -1 */
    uint32_t *parent; /* union-find over the contact list */
    size_t n;
};

int an_contacts_scratch_new(struct an_contacts_scratch *w, size_t n);
void an_contacts_scratch_free(struct an_contacts_scratch *w);

/* The regions of one frame: idx[0..nc) are its contact sensels in
 * ascending order, val[0..nc) their values (> 0). Regions whose summed
 * value is below min_sum (a speck of noise) are left out. */
void an_contacts_find(struct an_contacts_scratch *w, const uint32_t *idx, const double *val,
                      size_t nc, int rows, int cols, double pitch_row, double pitch_col,
                      double min_sum, struct an_frame_contacts *out);

/* Following the tool over time. Zero-initialise; one per stream, fed every
 * frame in time order. */
struct an_tracker {
    bool have; /* a tool contact is being followed */
    double t;  /* when it was last seen */
    double row_mm, col_mm;
    double sum;
    double rival_since; /* since when another contact has outweighed it (NAN: none) */
};

/* Other contacts kept per frame, the largest first: both hands put down
 * (the usual way to hold oneself up over the calves) are two. */
#define AN_MAX_OTHERS 2

/* A frame's contacts merged: the tool's, and the largest other ones. */
struct an_picked {
    struct an_contact tool;                 /* sum 0: none */
    struct an_contact main;                 /* the followed region alone: where the tool is */
    struct an_contact other[AN_MAX_OTHERS]; /* the first min(nother, AN_MAX_OTHERS) */
    int nother;                             /* how many other regions in all */
    bool newtrack; /* the tool's region is not the one followed until now */
};

/* Picks the tool's regions among fc at time t (see contacts.c for the
 * rules) and merges them into out->tool; the largest others into
 * out->other. */
void an_tracker_pick(struct an_tracker *tr, double t, const struct an_frame_contacts *fc,
                     struct an_picked *out);

#endif

/* What a recurring spot means to the runner: one sentence, added to
 * `rollmat analyze`'s advice for the muscle (seed 000: see a therapist "if
 * trigger points are recurrent"; seed 004: it "will most certainly come
 * back if your form or posture is still out of whack"). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hi_internal.h"
#include "rm_error.h"
#include "rm_log.h"

#define LOG_PREFIX "history"

void hi_muscle_words(const char *label, char *out, size_t size)
{
    char words[RM_EVENT_LABEL_LEN + 1];
    snprintf(words, sizeof(words), "%s", label);
    for (char *p = words; *p; p++)
        if (*p == '-' || *p == '_')
            *p = ' ';
    /* The side goes first, as it is said: "calf left" -> "left calf". */
    char *last = strrchr(words, ' ');
    if (last && (strcmp(last + 1, "left") == 0 || strcmp(last + 1, "right") == 0)) {
        *last = '\0';
        snprintf(out, size, "%s %s", last + 1, words);
    } else {
        snprintf(out, size, "%s", words);
    }
}

/* "two-thirds of the way along" for 0.66; a percentage where no simple
 * fraction is near. */
static void position_words(double p, char *out, size_t size)
{
    static const struct {
        double at;
        const char *words;
    } named[] = {
        {0.0, "at the start of"},
        {0.25, "a quarter of the way along"},
        {1.0 / 3, "a third of the way along"},
        {0.5, "halfway along"},
        {2.0 / 3, "two-thirds of the way along"},
        {0.75, "three-quarters of the way along"},
        {1.0, "at the far end of"},
    };
    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
        if (fabs(p - named[i].at) <= 0.04) {
            snprintf(out, size, "%s", named[i].words);
            return;
        }
    snprintf(out, size, "%.0f %% of the way along", 100 * p);
}

void rm_history_spot_sentence(const struct rm_history_spot *s, char *buf, size_t size)
{
    char where[64], muscle[RM_EVENT_LABEL_LEN + 8], span[32];
    position_words(s->relative_position, where, sizeof(where));
    hi_muscle_words(s->muscle, muscle, sizeof(muscle));
    int weeks = (int)lround(s->days / 7);
    if (weeks >= 2)
        snprintf(span, sizeof(span), "%d weeks", weeks);
    else
        snprintf(span, sizeof(span), "%.0f days", s->days);
    snprintf(buf, size,
             "The spot %s your %s has needed a hold in %d sessions over %s: consider having a "
             "physiotherapist look at it.",
             where, muscle, s->sessions, span);
}

/* The recurring spots of the default history, read once per process. */
static struct {
    pthread_once_t once;
    struct rm_history_spot *spots;
    size_t n;
} recurring = {PTHREAD_ONCE_INIT, NULL, 0};

static void load_recurring(void)
{
    char path[4096];
    struct stat st;
    if (rm_history_default_path(path, sizeof(path)) != 0 || stat(path, &st) != 0)
        return; /* no history: nothing to add */
    struct rm_history *h = NULL;
    struct rm_history_spot *all = NULL;
    size_t n = 0;
    int rc = rm_history_open(&h, path, RM_HISTORY_READ);
    rc = rc ? rc : rm_history_spots(h, &all, &n);
    rm_history_close(h);
    if (rc) {
        rm_warn("history not used for advice: %s", rm_last_error(rc));
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (all[i].recurring)
            all[k++] = all[i];
    recurring.spots = all;
    recurring.n = k;
}

void rm_history_advise(struct rm_analysis_result *r)
{
    pthread_once(&recurring.once, load_recurring);
    for (size_t i = 0; i < hi_result_nsegments(r); i++)
        for (size_t k = 0; k < recurring.n; k++) {
            if (strcmp(recurring.spots[k].muscle, hi_result_label(r, i)) != 0)
                continue;
            char sentence[320];
            rm_history_spot_sentence(&recurring.spots[k], sentence, sizeof(sentence));
            if (hi_result_add_advice(r, i, sentence) != 0)
                rm_warn("cannot add the history's advice");
        }
}

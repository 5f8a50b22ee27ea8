/* Typical rollable lengths of the muscles a label may name, against which
 * coverage is judged (docs/scoring.md "Coverage", with the sources). A
 * label names a muscle by any of its words ("calf-left", "left_calf",
 * "Calves"), its side aside. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "an_internal.h"

struct muscle {
    const char *names; /* space separated, lower case */
    double length_mm;
};

/* Segment lengths of an adult of 1.75 m (Drillis and Contini's fractions of
 * height, in Winter, Biomechanics and Motor Control of Human Movement,
 * 4th ed., 2009, fig. 4.1: thigh 0.245, shank 0.246, foot 0.152) less the
 * ends a roller cannot work (knee, hip, ankle); back lengths from the
 * spine's thoracic (about 280 mm) and lumbar (about 180 mm) lengths. See
 * docs/scoring.md for each. */
static const struct muscle muscles[] = {
    {"calf calves gastrocnemius soleus", 300},
    {"shin shins tibialis", 300},
    {"hamstring hamstrings", 330},
    {"quad quads quadriceps thigh", 330},
    {"itband it-band iliotibial it", 330},
    {"adductor adductors groin", 250},
    {"glute glutes gluteus buttock piriformis", 150},
    {"back upper-back thoracic", 280},
    {"lower-back lumbar", 180},
    {"lat lats latissimus", 250},
    {"plantar plantar-fascia foot sole", 180},
};

/* The label in lower case, its side and separators dropped: "Calf_Left" ->
 * "calf", "upper-back" stays. */
static void muscle_key(const char *label, char *out, size_t len)
{
    snprintf(out, len, "%s", label);
    for (char *c = out; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    const char *sides[] = {"-left", "-right", "_left", "_right", " left", " right",
                           "left-", "right-", "left_", "right_", "left ", "right "};
    for (size_t i = 0; i < sizeof(sides) / sizeof(sides[0]); i++) {
        char *at = strstr(out, sides[i]);
        if (at)
            memmove(at, at + strlen(sides[i]), strlen(at + strlen(sides[i])) + 1);
    }
    for (char *c = out; *c; c++)
        if (*c == '_' || *c == ' ')
            *c = '-';
}

double an_muscle_length_mm(const char *label)
{
    char key[RM_EVENT_LABEL_LEN + 1];
    muscle_key(label, key, sizeof(key));
    for (size_t i = 0; i < sizeof(muscles) / sizeof(muscles[0]); i++) {
        char names[128];
        snprintf(names, sizeof(names), "%s", muscles[i].names);
        char *save = NULL;
        for (char *w = strtok_r(names, " ", &save); w; w = strtok_r(NULL, " ", &save))
            if (strcmp(w, key) == 0)
                return muscles[i].length_mm;
    }
    return 0;
}

void an_muscle_base(const char *label, char *out, size_t len)
{
    muscle_key(label, out, len);
}

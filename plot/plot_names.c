/* File names from segment labels. A label is free text from the recording
 * (a muscle name, usually `calf-left`), so it is reduced to characters that
 * are safe in any file system and in a URL, and repeats are numbered. */
#include <stdio.h>
#include <string.h>

#include "plot_internal.h"

#define STEM_MAX 48

static bool keep(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
           ch == '.';
}

static bool taken_already(const char *stem, const char *const *taken, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (taken[i] && strcmp(taken[i], stem) == 0)
            return true;
    return false;
}

void rm_plot_file_stem(const char *label, const char *const *taken, size_t n, char *out,
                       size_t size)
{
    char stem[STEM_MAX + 1];
    size_t len = 0;
    bool dash = false;
    for (const unsigned char *p = (const unsigned char *)(label ? label : ""); *p; p++) {
        unsigned char ch = *p;
        if (ch >= 'A' && ch <= 'Z')
            ch = (unsigned char)(ch - 'A' + 'a');
        if (!keep(ch)) {
            dash = len > 0; /* a run of others becomes one '-', none leading */
            continue;
        }
        if (len == 0 && (ch == '.' || ch == '-'))
            continue; /* no hidden files, nothing that looks like an option */
        if (dash && len < STEM_MAX)
            stem[len++] = '-';
        dash = false;
        if (len < STEM_MAX)
            stem[len++] = (char)ch;
    }
    stem[len] = '\0';
    if (len == 0)
        snprintf(stem, sizeof(stem), "segment");

    snprintf(out, size, "%s", stem);
    for (int k = 2; taken_already(out, taken, n); k++)
        snprintf(out, size, "%s-%d", stem, k);
}

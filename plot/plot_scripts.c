/* Where the gnuplot scripts come from: the copies embedded at build time
 * from scripts/ (so an installed binary needs no source tree), or, for
 * someone adjusting the pictures, the files in $ROLLMAT_SCRIPTS_DIR. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plot_internal.h"
#include "rm_error.h"
#include "rm_log.h"

#define LOG_PREFIX "plot"

static const char *embedded_text(const char *name)
{
    for (const struct rm_plot_embedded_script *s = rm_plot_embedded_scripts; s->name; s++)
        if (strcmp(s->name, name) == 0)
            return s->text;
    return NULL;
}

int rm_plot_script_path(const char *name, const char *tmpdir, char *out, size_t size)
{
    const char *dir = getenv("ROLLMAT_SCRIPTS_DIR");
    if (dir && dir[0]) {
        int n = snprintf(out, size, "%s/%s.gp", dir, name);
        if (n < 0 || (size_t)n >= size)
            return rm_fail(RM_EUSAGE, "ROLLMAT_SCRIPTS_DIR is too long");
        if (access(out, R_OK) != 0)
            return rm_fail(RM_EUSAGE, "ROLLMAT_SCRIPTS_DIR: %s: %s", out, strerror(errno));
        return 0;
    }
    const char *text = embedded_text(name);
    assert(text && "every script the plot code names is embedded");
    if (!text)
        return rm_fail(RM_ENOTFOUND, "no embedded script %s", name);
    int n = snprintf(out, size, "%s/%s.gp", tmpdir, name);
    if (n < 0 || (size_t)n >= size)
        return rm_fail(RM_EUSAGE, "temporary directory path too long");
    if (access(out, R_OK) == 0)
        return 0; /* written for an earlier picture of this run */
    FILE *f = fopen(out, "w");
    if (!f)
        return rm_fail(RM_EIO, "%s: %s", out, strerror(errno));
    size_t len = strlen(text);
    bool ok = fwrite(text, 1, len, f) == len;
    if (fclose(f) != 0 || !ok)
        return rm_fail(RM_EIO, "%s: cannot write: %s", out, strerror(errno));
    return 0;
}

/* The output folder is written whole or not at all (issue 12 item 9): a run
 * draws into a hidden staging folder beside the output and moves it into
 * place only when everything succeeded. A failure leaves no folder, or an
 * existing one exactly as it was. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plot_internal.h"
#include "rm_error.h"

/* out_dir split into its parent and last name, trailing slashes ignored. */
static int split(const char *out_dir, char *parent, size_t psize, char *base, size_t bsize)
{
    char buf[4096];
    int n = snprintf(buf, sizeof(buf), "%s", out_dir);
    if (n <= 0 || (size_t)n >= sizeof(buf))
        return rm_fail(RM_EUSAGE, "%s: path too long", out_dir);
    while (n > 1 && buf[n - 1] == '/')
        buf[--n] = '\0';
    char *slash = strrchr(buf, '/');
    const char *b = slash ? slash + 1 : buf;
    int np;
    if (!slash)
        np = snprintf(parent, psize, ".");
    else if (slash == buf)
        np = snprintf(parent, psize, "/");
    else
        np = snprintf(parent, psize, "%.*s", (int)(slash - buf), buf);
    int nb = snprintf(base, bsize, "%s", b[0] ? b : ".");
    if (np < 0 || (size_t)np >= psize || nb < 0 || (size_t)nb >= bsize)
        return rm_fail(RM_EUSAGE, "%s: path too long", out_dir);
    return 0;
}

int rm_plot_stage_create(const char *out_dir, char *stage, size_t size)
{
    char parent[4096], base[4096];
    int rc = split(out_dir, parent, sizeof(parent), base, sizeof(base));
    if (rc)
        return rc;
    if ((rc = rm_plot_make_dirs(parent)))
        return rc;
    int n = snprintf(stage, size, "%s/.%s.partial-XXXXXX", parent, base);
    if (n < 0 || (size_t)n >= size)
        return rm_fail(RM_EUSAGE, "%s: path too long", out_dir);
    if (!mkdtemp(stage)) {
        int err = errno;
        stage[0] = '\0';
        return rm_fail(RM_EIO, "%s: cannot create a folder beside it: %s", out_dir, strerror(err));
    }
    chmod(stage, 0755); /* what the output folder gets, not mkdtemp's 0700 */
    return 0;
}

static int move(const char *from_dir, const char *to_dir, const char *name)
{
    char from[4096], to[4096];
    if (snprintf(from, sizeof(from), "%s/%s", from_dir, name) >= (int)sizeof(from) ||
        snprintf(to, sizeof(to), "%s/%s", to_dir, name) >= (int)sizeof(to))
        return rm_fail(RM_EUSAGE, "%s/%s: path too long", to_dir, name);
    if (rename(from, to) != 0)
        return rm_fail(RM_EIO, "%s: cannot move into place: %s", to, strerror(errno));
    return 0;
}

int rm_plot_stage_commit(const char *stage, const char *out_dir)
{
    /* A new folder arrives in one rename. */
    if (rename(stage, out_dir) == 0)
        return 0;
    struct stat st;
    if (stat(out_dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return rm_fail(RM_EIO, "%s: cannot move into place: %s", out_dir,
                       errno ? strerror(errno) : "not a directory");
    /* An existing folder (the user's, with files of their own): the
     * report goes first and comes back last, so that its presence still
     * says the set is complete. */
    char report[4096];
    if (snprintf(report, sizeof(report), "%s/report.html", out_dir) >= (int)sizeof(report))
        return rm_fail(RM_EUSAGE, "%s: path too long", out_dir);
    if (unlink(report) != 0 && errno != ENOENT)
        return rm_fail(RM_EIO, "%s: cannot replace: %s", report, strerror(errno));
    DIR *d = opendir(stage);
    if (!d)
        return rm_fail(RM_EIO, "%s: %s", stage, strerror(errno));
    int rc = 0;
    struct dirent *e;
    while (!rc && (e = readdir(d)))
        if (e->d_name[0] != '.' && strcmp(e->d_name, "report.html") != 0)
            rc = move(stage, out_dir, e->d_name);
    closedir(d);
    rc = rc ? rc : move(stage, out_dir, "report.html");
    if (!rc)
        rmdir(stage);
    return rc;
}

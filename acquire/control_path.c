/* Where rollmatd's control socket is: one rule for the daemon and every
 * client (rm_control.h), so that they cannot look in different places. */
#include "rm_control.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rm_error.h"

/* n is what snprintf() returned for out->path. */
static int check_fits(const struct rm_socket_path *out, enum rm_socket_source source, int n)
{
    if (n >= 0 && (size_t)n < sizeof(out->path))
        return 0;
    return rm_fail(RM_ERANGE,
                   "%.48s...: the socket path (%s) is too long for a UNIX socket (at most %zu "
                   "bytes); give a shorter --socket PATH or ROLLMAT_SOCKET",
                   out->path, rm_control_socket_origin(&(struct rm_socket_path){.source = source}),
                   sizeof(out->path) - 1);
}

int rm_control_socket_path(const char *given, struct rm_socket_path *out)
{
    const char *env = getenv("ROLLMAT_SOCKET");
    const char *runtime = getenv("XDG_RUNTIME_DIR");
    const char *tmp = getenv("TMPDIR");
    char *p = out->path;
    size_t size = sizeof(out->path);
    int n;
    if (given) {
        out->source = RM_SOCKET_OPTION;
        n = snprintf(p, size, "%s", given);
    } else if (env && *env) {
        out->source = RM_SOCKET_ENV;
        n = snprintf(p, size, "%s", env);
    } else if (runtime && runtime[0] == '/') {
        /* A relative XDG_RUNTIME_DIR is invalid by the XDG spec: ignored. */
        out->source = RM_SOCKET_RUNTIME_DIR;
        n = snprintf(p, size, "%s/rollmat/%s", runtime, RM_CONTROL_SOCKET_NAME);
    } else {
        out->source = RM_SOCKET_TMP;
        n = snprintf(p, size, "%s/rollmat-%u/%s", tmp && tmp[0] == '/' ? tmp : "/tmp",
                     (unsigned)getuid(), RM_CONTROL_SOCKET_NAME);
    }
    return check_fits(out, out->source, n);
}

const char *rm_control_socket_origin(const struct rm_socket_path *p)
{
    switch (p->source) {
    case RM_SOCKET_OPTION:
        return "given with --socket";
    case RM_SOCKET_ENV:
        return "from ROLLMAT_SOCKET";
    case RM_SOCKET_RUNTIME_DIR:
        return "the default under $XDG_RUNTIME_DIR";
    case RM_SOCKET_TMP:
        return "the default without XDG_RUNTIME_DIR";
    }
    return "";
}

/* The parent directory of a default path: the path up to its last '/'. */
static void parent_of(const char *path, char *dir, size_t size)
{
    snprintf(dir, size, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
}

int rm_control_socket_dir(const struct rm_socket_path *p, bool create)
{
    /* A path given by the user is where the user wants it. */
    if (p->source == RM_SOCKET_OPTION || p->source == RM_SOCKET_ENV)
        return 0;
    char dir[sizeof(p->path)];
    parent_of(p->path, dir, sizeof(dir));
    if (create && mkdir(dir, 0700) < 0 && errno != EEXIST)
        return rm_fail(RM_EIO, "%s: cannot create the socket's directory: %s", dir,
                       strerror(errno));
    struct stat st;
    /* lstat: a symlink planted in /tmp by someone else is not followed. */
    if (lstat(dir, &st) < 0)
        return create ? rm_fail(RM_EIO, "%s: %s", dir, strerror(errno)) : 0;
    /* Anyone who can write into the directory can put their own socket in
     * place of the daemon's and read every command sent to it. */
    if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077) != 0)
        return rm_fail(RM_EIO,
                       "%s: not a private directory of this user (owner uid %u, mode %04o, "
                       "expected uid %u, 0700); remove it, or give --socket PATH or "
                       "ROLLMAT_SOCKET",
                       dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777),
                       (unsigned)getuid());
    return 0;
}

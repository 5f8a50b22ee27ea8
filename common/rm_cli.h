/* The command line's usage errors, in one form for every command
 * (shared/spec/cli.md): one line on stderr,
 *
 *     rollmat: <command>: <what is wrong> (see rollmat <command> --help)
 *
 * and exit code 2. <command> is what follows `rollmat` ("record",
 * "calib fit"). The daemon, a program of its own, is RM_CLI_DAEMON: its
 * line is "rollmat: rollmatd: ... (see rollmatd --help)", like its log
 * lines. NULL is `rollmat` itself: "rollmat: ... (see rollmat --help)".
 * Every function that reports a usage error returns 2, so that a command
 * refuses its arguments in one statement:
 *
 *     if (!out)
 *         return rm_cli_usage_error("sim", "-o OUT.h5|OUT.rmw is required");
 */
#ifndef RM_CLI_H
#define RM_CLI_H

#include <stdint.h>

/* The exit code of a usage error. */
#define RM_CLI_USAGE 2

/* The command name of rollmatd, whose help is `rollmatd --help`. */
#define RM_CLI_DAEMON "rollmatd"

/* Prints the usage line for command (control characters in the message,
 * which would break the one line, come out as '?'). Returns 2. */
int rm_cli_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prepares getopt_long for a new argument vector: a full restart from
 * argv[1], and quiet, since rm_cli_bad_option() prints the one line. The
 * optstring must begin with ':' so that a missing argument returns ':'. */
void rm_cli_getopt_start(void);

/* The usage line for what getopt_long refused: opt is the ':' (an option
 * without its argument) or '?' (an unknown option, or an argument given to
 * an option that takes none) it returned. Returns 2. */
int rm_cli_bad_option(const char *command, int opt, char *const argv[]);

/* Checks the arguments getopt_long left, argv[optind..argc): at least min
 * ("missing <what>" otherwise) and at most max (max -1: any number;
 * "unexpected argument '<the first one too many>'" otherwise). 0, or 2
 * after the usage line. */
int rm_cli_operands(const char *command, int argc, char *const argv[], int min, int max,
                    const char *what);

/* A number given to an option: the whole of arg, finite, within min ..
 * max (both included; DBL_TRUE_MIN as min means "above 0"). 0 and *out
 * set, or 2 after the usage line naming the option and the range. */
int rm_cli_parse_double(const char *command, const char *option, const char *arg, double min,
                        double max, double *out);

/* A whole number given to an option: an optional '-' and decimal digits,
 * nothing else, within lo .. hi (both included). 0 and *out set, or 2 after
 * the usage line naming the option and the range. */
int rm_cli_parse_int(const char *command, const char *option, const char *arg, int lo, int hi,
                     int *out);
int rm_cli_parse_int64(const char *command, const char *option, const char *arg, int64_t lo,
                       int64_t hi, int64_t *out);

#endif

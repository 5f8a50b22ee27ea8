/* `rollmat COMMAND ...`: one binary, one table of subcommands. A command is
 * listed here only once it works. */
#include <stdio.h>
#include <string.h>

#include "rm_commands.h"

static const struct rm_command commands[] = {
    {NULL, NULL, NULL},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: rollmat COMMAND [OPTIONS] ...\n\ncommands:\n");
    for (const struct rm_command *c = commands; c->name; c++)
        fprintf(out, "  %-12s %s\n", c->name, c->summary);
    fprintf(out, "\n`rollmat COMMAND --help` describes a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("rollmat %s\n", ROLLMAT_VERSION);
        return 0;
    }
    for (const struct rm_command *c = commands; c->name; c++)
        if (strcmp(argv[1], c->name) == 0)
            return c->run(argc - 1, argv + 1);
    fprintf(stderr, "rollmat: unknown command '%s' (see rollmat --help)\n", argv[1]);
    return 2;
}

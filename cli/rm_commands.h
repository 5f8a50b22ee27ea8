/* The subcommands of `rollmat`. Each part implements its own in its folder;
 * each takes the arguments after the command name (argv[0] is the command)
 * and returns the process exit code of shared/spec/cli.md. */
#ifndef RM_COMMANDS_H
#define RM_COMMANDS_H

struct rm_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
};

#endif

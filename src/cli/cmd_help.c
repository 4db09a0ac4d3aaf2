/*
 * cmd_help.c — `forecast help [CMD]`.
 */
#include <stdio.h>

#include "forecast/cli/cli.h"
#include "forecast/core/util.h"

static int cmd_help(int argc, char **argv)
{
    struct fc_args a;
    int done;
    int rc = fc_cmd_parse(&fc_cmd_help, argc, argv, &a, &done);
    if (rc || done)
        return rc;
    if (a.n == 0) {
        fc_args_free(&a);
        printf("usage: forecast [--version] [--help] <command> [<args>]\n\ncommands:\n");
        for (size_t i = 0; fc_commands[i]; i++)
            printf("  %-13s %s\n", fc_commands[i]->name, fc_commands[i]->summary);
        printf("\n'forecast help <command>' shows a command's options.\n");
        return FC_EXIT_OK;
    }
    if (a.n > 1) {
        fc_args_free(&a);
        fc_error("help: expected one command name");
        return FC_EXIT_USAGE;
    }
    const char *name = a.items[0].value;
    const struct fc_cmd *c = fc_cmd_find(name);
    if (!c) {
        fc_cmd_unknown("help: ", name);
        fc_args_free(&a);
        return FC_EXIT_USAGE;
    }
    fc_cmd_usage(c);
    fc_args_free(&a);
    return FC_EXIT_OK;
}

const struct fc_cmd fc_cmd_help = {
    .name = "help",
    .fn = cmd_help,
    .summary = "show the commands, or one command's options",
    .synopsis = "forecast help [COMMAND]",
    .description = "Without COMMAND, lists the commands. With one, prints the same text as\n"
                   "'forecast COMMAND --help'.",
};

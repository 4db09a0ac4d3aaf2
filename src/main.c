/*
 * main.c — entry point: global flags (--version, --help), then dispatch to
 * the subcommand table. Only main and cmd_* choose exit statuses.
 */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "forecast/cli/cli.h"
#include "forecast/core/util.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

static void print_main_usage(FILE *out)
{
    fprintf(out, "usage: forecast [--version] [--help] <command> [<args>]\n\n"
                 "Train, evaluate and package forecasting models for panel data.\n\n"
                 "commands:\n");
    for (size_t i = 0; fc_commands[i]; i++)
        fprintf(out, "  %-13s %s\n", fc_commands[i]->name, fc_commands[i]->summary);
    fprintf(out, "\n'forecast help <command>' or 'forecast <command> --help' shows a "
                 "command's options.\n");
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "C");
    if (argc < 2) {
        print_main_usage(stderr);
        return FC_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
        fc_print_version();
        return FC_EXIT_OK;
    }
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        print_main_usage(stdout);
        return FC_EXIT_OK;
    }
    const struct fc_cmd *c = fc_cmd_find(name);
    if (!c) {
        if (name[0] == '-')
            fc_error("unknown option '%s' (see 'forecast --help')", name);
        else
            fc_cmd_unknown("", name);
        fc_error_report();
        return FC_EXIT_USAGE;
    }
    int rc = c->fn(argc - 1, argv + 1);
    /* errors are values below the commands: the one that ended a failed
     * command is printed here (a command may have reported causes first) */
    if (rc == FC_EXIT_FAILURE || rc == FC_EXIT_USAGE)
        fc_error_report();
#if defined(__SANITIZE_ADDRESS__)
    /* the leak check now, while the library thread pools (libtorch's) wait
     * idle, rather than at exit, when they are torn down: there
     * LeakSanitizer's tracer crashed on threads being destroyed (Makefile) */
    fflush(NULL);
    __lsan_do_leak_check();
#endif
    return rc;
}

/*
 * main.c — entry point: global flags (--version, --help), then dispatch to
 * the subcommand table. Only main and cmd_* choose exit statuses.
 */
#include <cjson/cJSON.h>
#include <csv.h>
#include <locale.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "forecast/cli.h"
#include "forecast/util.h"
#include "forecast/version.h"

const struct fc_cmd *const fc_commands[] = {
    &fc_cmd_describe, &fc_cmd_help, &fc_cmd_list_models, &fc_cmd_predict, &fc_cmd_train, NULL,
};

const struct fc_cmd *fc_cmd_find(const char *name)
{
    for (size_t i = 0; fc_commands[i]; i++)
        if (strcmp(fc_commands[i]->name, name) == 0)
            return fc_commands[i];
    return NULL;
}

void fc_cmd_usage(const struct fc_cmd *c)
{
    printf("usage: %s\n\n%s\n", c->synopsis, c->description);
    if (c->n_opts || 1) {
        printf("\noptions:\n");
        fc_args_print_options(c->opts, c->n_opts);
    }
}

int fc_cmd_parse(const struct fc_cmd *c, int argc, char **argv, struct fc_args *a, int *done)
{
    *done = 0;
    if (fc_args_parse(c->name, c->opts, c->n_opts, argc, argv, a))
        return FC_EXIT_USAGE;
    if (a->help) {
        fc_cmd_usage(c);
        fc_args_free(a);
        *done = 1;
    }
    return 0;
}

void fc_print_version(void)
{
    printf("forecast %s\n", FC_VERSION);
    printf("  cJSON %s\n", cJSON_Version());
    printf("  libcsv %d.%d.%d\n", CSV_MAJOR, CSV_MINOR, CSV_RELEASE);
    printf("  %s\n", OpenSSL_version(OPENSSL_VERSION));
}

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
        const char *names[32];
        size_t n = 0;
        for (size_t i = 0; fc_commands[i] && n < 32; i++)
            names[n++] = fc_commands[i]->name;
        const char *s = fc_suggest(name, names, n);
        if (name[0] == '-')
            fc_error("unknown option '%s' (see 'forecast --help')", name);
        else if (s)
            fc_error("'%s' is not a forecast command; did you mean '%s'?", name, s);
        else
            fc_error("'%s' is not a forecast command (see 'forecast --help')", name);
        return FC_EXIT_USAGE;
    }
    return c->fn(argc - 1, argv + 1);
}

/*
 * cli.c — the subcommand table and what every command shares: usage text,
 * option parsing with --help, the version banner.
 */
#include <cjson/cJSON.h>
#include <csv.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "forecast/cli/cli.h"
#include "forecast/core/registry.h"
#include "forecast/core/util.h"
#include "forecast/core/version.h"

const struct fc_cmd *const fc_commands[] = {
    &fc_cmd_compare, &fc_cmd_describe, &fc_cmd_evaluate, &fc_cmd_help, &fc_cmd_inspect,
    &fc_cmd_list_models,
    &fc_cmd_merge,   &fc_cmd_predict,  &fc_cmd_release,  &fc_cmd_releases, &fc_cmd_train,
    &fc_cmd_tune,    &fc_cmd_verify,  NULL,
};

const struct fc_cmd *fc_cmd_find(const char *name)
{
    for (size_t i = 0; fc_commands[i]; i++)
        if (strcmp(fc_commands[i]->name, name) == 0)
            return fc_commands[i];
    return NULL;
}

int fc_cmd_unknown(const char *prefix, const char *name)
{
    const char *names[32];
    size_t n = 0;
    for (size_t i = 0; fc_commands[i] && n < 32; i++)
        names[n++] = fc_commands[i]->name;
    const char *s = fc_suggest(name, names, n);
    if (s)
        return fc_error("%s'%s' is not a forecast command; did you mean '%s'?", prefix, name, s);
    return fc_error("%s'%s' is not a forecast command (see 'forecast --help')", prefix, name);
}

void fc_cmd_usage(const struct fc_cmd *c)
{
    printf("usage: %s\n\n%s\n", c->synopsis, c->description);
    printf("\noptions:\n");
    fc_args_print_options(c->opts, c->n_opts);
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
    /* the libraries behind the model plugins, each once */
    char seen[8][512];
    size_t n_seen = 0;
    for (size_t i = 0; fc_models[i]; i++) {
        if (!fc_models[i]->version)
            continue;
        char v[512];
        fc_models[i]->version(v, sizeof v);
        size_t k;
        for (k = 0; k < n_seen; k++)
            if (strcmp(seen[k], v) == 0)
                break;
        if (k < n_seen || n_seen == 8)
            continue;
        snprintf(seen[n_seen++], sizeof seen[0], "%s", v);
        printf("  %s\n", v);
    }
}


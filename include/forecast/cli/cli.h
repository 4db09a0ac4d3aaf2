/*
 * cli.h — the subcommand table (git.c style). Each cmd_*.c defines one
 * struct fc_cmd; main.c lists them alphabetically. `forecast help CMD` and
 * `forecast CMD --help` print the same text through fc_cmd_usage.
 */
#ifndef FORECAST_CLI_H
#define FORECAST_CLI_H

#include <stddef.h>

#include "forecast/cli/args.h"

struct fc_cmd {
    const char *name;
    int (*fn)(int argc, char **argv); /* returns an exit status (enum fc_exit) */
    const char *summary;              /* one line for `forecast help` */
    const char *synopsis;             /* "forecast train [options]" */
    const char *description;          /* paragraphs after the synopsis */
    const struct fc_opt *opts;
    size_t n_opts;
};

extern const struct fc_cmd *const fc_commands[]; /* NULL-terminated */

const struct fc_cmd *fc_cmd_find(const char *name);
void fc_cmd_usage(const struct fc_cmd *c);
/* Reports an unknown command with the nearest one; returns -1. */
int fc_cmd_unknown(const char *prefix, const char *name);
/* Parses a command's options; prints usage and sets *done on --help.
 * Returns 0, or FC_EXIT_USAGE after an error. */
int fc_cmd_parse(const struct fc_cmd *c, int argc, char **argv, struct fc_args *a, int *done);
/* Prints forecast's and the linked libraries' versions. */
void fc_print_version(void);

struct fc_override;
/* The config overrides of train's first-class flags (--model, --data,
 * --strategy, --split-date, --quantiles, --sku, --seed, --jobs, --set, ...)
 * among a command's parsed options, and --config into *config; options
 * that are not config values are left to the command. 0, or -1 after
 * fc_error. */
int fc_train_overrides(const char *cmd, const struct fc_args *a, const char **config,
                       struct fc_override **out, size_t *n_out);

extern const struct fc_cmd fc_cmd_compare, fc_cmd_describe, fc_cmd_evaluate, fc_cmd_inspect, fc_cmd_help, fc_cmd_list_models,
    fc_cmd_merge, fc_cmd_predict, fc_cmd_release, fc_cmd_releases, fc_cmd_train, fc_cmd_tune, fc_cmd_verify;

#endif

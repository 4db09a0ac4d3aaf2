/*
 * args.h — long-option parsing shared by the subcommands: "--name value",
 * "--name=value", flags without a value, positional arguments, "--" ends
 * options. An unknown option is an error that suggests the nearest one.
 */
#ifndef FORECAST_ARGS_H
#define FORECAST_ARGS_H

#include <stddef.h>

struct fc_opt {
    const char *name;    /* without the leading "--" */
    const char *metavar; /* NULL: a flag without a value */
    const char *help;
};

struct fc_arg {
    const struct fc_opt *opt; /* NULL for a positional argument */
    const char *value;        /* the value, or the positional text */
};

struct fc_args {
    struct fc_arg *items;
    size_t n;
    int help; /* --help or -h was given */
};

/* Parses argv[1..argc-1] (argv[0] is the command name). Returns 0, or -1
 * after fc_error. */
int fc_args_parse(const char *cmd, const struct fc_opt *opts, size_t n_opts, int argc,
                  char **argv, struct fc_args *out);
void fc_args_free(struct fc_args *a);
/* Prints the option table (for usage texts). */
void fc_args_print_options(const struct fc_opt *opts, size_t n_opts);

#endif

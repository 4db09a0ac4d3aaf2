/*
 * args.c — long-option parsing for the subcommands (see args.h).
 */
#include "forecast/cli/args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/util.h"

static void push(struct fc_args *a, const struct fc_opt *o, const char *v)
{
    a->items = xrealloc(a->items, (a->n + 1) * sizeof *a->items);
    a->items[a->n].opt = o;
    a->items[a->n].value = v;
    a->n++;
}

int fc_args_parse(const char *cmd, const struct fc_opt *opts, size_t n_opts, int argc,
                  char **argv, struct fc_args *out)
{
    memset(out, 0, sizeof *out);
    int only_positional = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_positional || a[0] != '-' || a[1] == '\0') {
            push(out, NULL, a);
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_positional = 1;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            out->help = 1;
            continue;
        }
        if (a[1] != '-') {
            fc_args_free(out);
            return fc_error("%s: unknown option '%s' (options are long: --name; see "
                            "'forecast help %s')",
                            cmd, a, cmd);
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const struct fc_opt *o = NULL;
        for (size_t k = 0; k < n_opts; k++)
            if (strlen(opts[k].name) == len && strncmp(opts[k].name, name, len) == 0)
                o = &opts[k];
        if (!o) {
            char *word = xstrdup(name);
            word[len] = '\0';
            const char *names[64];
            size_t n = 0;
            for (size_t k = 0; k < n_opts && n < 64; k++)
                names[n++] = opts[k].name;
            const char *s = fc_suggest(word, names, n);
            if (s)
                fc_error("%s: unknown option '--%s'; did you mean '--%s'?", cmd, word, s);
            else
                fc_error("%s: unknown option '--%s' (see 'forecast help %s')", cmd, word, cmd);
            free(word);
            fc_args_free(out);
            return -1;
        }
        if (!o->metavar) {
            if (eq) {
                fc_args_free(out);
                return fc_error("%s: option '--%s' takes no value", cmd, o->name);
            }
            push(out, o, NULL);
        } else if (eq) {
            push(out, o, eq + 1);
        } else if (i + 1 < argc) {
            push(out, o, argv[++i]);
        } else {
            fc_args_free(out);
            return fc_error("%s: option '--%s' needs a value (%s)", cmd, o->name, o->metavar);
        }
    }
    return 0;
}

void fc_args_free(struct fc_args *a)
{
    free(a->items);
    a->items = NULL;
    a->n = 0;
}

void fc_args_print_options(const struct fc_opt *opts, size_t n_opts)
{
    for (size_t k = 0; k < n_opts; k++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", opts[k].name, opts[k].metavar ? " " : "",
                 opts[k].metavar ? opts[k].metavar : "");
        printf("  %-26s %s\n", left, opts[k].help);
    }
    printf("  %-26s %s\n", "-h, --help", "show this help");
}

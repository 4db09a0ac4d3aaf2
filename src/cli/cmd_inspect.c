/*
 * cmd_inspect.c — `forecast inspect`: loads the data with the config's column
 * roles (and writes its binary cache) and prints what forecast sees: rows,
 * series, date range, features with their missing counts. A quick check of a
 * config against a file, and the load-only command the ingest benchmark
 * times.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "forecast/cli/cli.h"
#include "forecast/core/config.h"
#include "forecast/data/cache.h"
#include "forecast/data/categorical.h"
#include "forecast/data/dataset.h"
#include "forecast/data/derive.h"
#include "forecast/core/util.h"
#include "forecast/store/rundir.h"

static const struct fc_opt inspect_opts[] = {
    {"config", "FILE", "JSON config (default: config/default.json when present)"},
    {"data", "FILE", "data CSV (data.path)"},
    {"set", "PATH=VALUE", "set any config value (repeatable)"},
    {"no-cache", NULL, "neither read nor write the binary cache of the data"},
    {"quiet", NULL, "print only the summary line"},
};

static int cmd_inspect(int argc, char **argv)
{
    struct fc_args a;
    int done;
    int rc = fc_cmd_parse(&fc_cmd_inspect, argc, argv, &a, &done);
    if (rc || done)
        return rc;
    const char *config = NULL;
    struct fc_override *ov = xcalloc(a.n + 2, sizeof *ov);
    size_t n_ov = 0;
    int quiet = 0;
    rc = FC_EXIT_USAGE;
    struct fc_config cfg;
    int have_cfg = 0;
    struct fc_dataset *ds = NULL;
    for (size_t i = 0; i < a.n; i++) {
        const struct fc_arg *it = &a.items[i];
        if (!it->opt) {
            fc_error("inspect: unexpected argument '%s'", it->value);
            goto out;
        }
        const char *nm = it->opt->name;
        if (!strcmp(nm, "config")) {
            config = it->value;
        } else if (!strcmp(nm, "set")) {
            if (fc_override_parse_set(it->value, &ov[n_ov]))
                goto out;
            n_ov++;
        } else if (!strcmp(nm, "data")) {
            fc_override_add_string(ov, &n_ov, "data.path", it->value, "--data");
        } else if (!strcmp(nm, "no-cache")) {
            fc_override_add(ov, &n_ov, "data.cache", "false", "--no-cache");
        } else if (!strcmp(nm, "quiet")) {
            quiet = 1;
        }
    }
    if (fc_config_load_unsplit(&cfg, config, ov, n_ov, fc_run_unwrap_config))
        goto out;
    have_cfg = 1;
    double t0 = fc_now();
    ds = fc_dataset_open(&cfg.data, 1);
    if (!ds)
        goto out;
    double secs = fc_now() - t0;
    fc_dataset_cache_store(&cfg.data, 1, ds);
    /* derived features as predict computes them: every target is history */
    struct fc_categories cats = {0};
    int bad = fc_derive(ds, &cfg.features, &cfg.data.freq, 0, 0) ||
              fc_categories_build(&cats, &cfg.features, ds, INT32_MAX) || fc_categories_apply(&cats, ds);
    fc_categories_free(&cats);
    if (bad)
        goto out;
    char dlo[11], dhi[11];
    fc_dataset_date_range(ds, dlo, dhi);
    printf("%s: %zu rows, %zu series, %zu features, %s to %s, loaded in %.3f s%s\n", ds->path,
           ds->n_rows, ds->n_series, ds->n_features, dlo, dhi, secs,
           ds->from_cache ? " (binary cache)" : "");
    if (!quiet) {
        printf("sha256 %s, %zu bytes\n", ds->sha256, ds->file_size);
        printf("frequency %s%s\n", fc_freq_name(fc_derive_freq(ds, cfg.data.freq)),
               ds->n_derived ? "" : " (no derived features configured)");
        if (ds->n_dropped)
            printf("%zu rows dropped for a missing target\n", ds->n_dropped);
        printf("\n%-28s %10s %14s %14s\n", "feature", "missing", "min", "max");
        for (size_t j = 0; j < ds->n_features; j++) {
            size_t miss = 0;
            double mn = INFINITY, mx = -INFINITY;
            for (size_t i = 0; i < ds->n_rows; i++) {
                float v = ds->features[j][i];
                if (isnan(v)) {
                    miss++;
                } else {
                    mn = fmin(mn, v);
                    mx = fmax(mx, v);
                }
            }
            if (ds->categories && ds->categories[j])
                printf("%-28s %10zu %14s %14u\n", ds->feature_names[j], miss, "categories",
                       ds->categories[j]);
            else
                printf("%-28s %10zu %14.6g %14.6g\n", ds->feature_names[j], miss, mn, mx);
        }
    }
    rc = FC_EXIT_OK;
out:
    fc_dataset_free(ds);
    if (have_cfg)
        fc_config_free(&cfg);
    for (size_t i = 0; i < n_ov; i++)
        fc_override_free(&ov[i]);
    free(ov);
    fc_args_free(&a);
    return rc;
}

const struct fc_cmd fc_cmd_inspect = {
    .name = "inspect",
    .fn = cmd_inspect,
    .summary = "load the data with the config's column roles and summarise it",
    .synopsis = "forecast inspect [--config FILE] [--data FILE] [--no-cache]",
    .description =
        "Loads the data exactly as train would (column roles from the config, every\n"
        "check, the binary cache) and prints rows, series, the date range and each\n"
        "feature's missing count and range. The first load writes the cache.\n"
        "\n"
        "exit status: 0 done; 2 bad input.",
    .opts = inspect_opts,
    .n_opts = sizeof inspect_opts / sizeof inspect_opts[0],
};

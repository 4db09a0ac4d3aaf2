/*
 * derive_step.c — forecast's side of bench/derive.sh: opens a dataset as
 * train does (its binary cache) with a config, times fc_derive alone (no
 * origin: every target is history, as pandas' shift sees it) and writes the
 * derived columns for the peer to compare.
 *
 *   build/bench/derive_step CONFIG OUT.f32
 *
 * OUT.f32: the derived columns, each n_rows float32 in dataset order (series
 * in first-appearance order, dates ascending). Prints one JSON line:
 * {"rows": n, "series": s, "features": k, "derive_s": seconds, "names": [...]}.
 */
#include <stdio.h>
#include <stdlib.h>

#include "forecast/core/config.h"
#include "forecast/core/util.h"
#include "forecast/data/cache.h"
#include "forecast/data/derive.h"
#include "forecast/store/rundir.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: derive_step CONFIG OUT.f32\n");
        return 2;
    }
    fc_verbosity = 0;
    struct fc_config cfg;
    struct fc_dataset *ds = NULL;
    if (fc_config_load(&cfg, argv[1], NULL, 0, fc_run_unwrap_config) ||
        !(ds = fc_dataset_open(&cfg.data, 1))) {
        fc_error_report();
        return 2;
    }
    fc_dataset_cache_store(&cfg.data, 1, ds);
    size_t before = ds->n_features;
    double t0 = fc_now();
    int rc = fc_derive(ds, &cfg.features, &cfg.data.freq, 0, 0);
    double secs = fc_now() - t0;
    if (rc) {
        fc_error_report();
        return 2;
    }
    FILE *f = fopen(argv[2], "wb");
    for (size_t j = before; f && j < ds->n_features; j++)
        fwrite(ds->features[j], sizeof(float), ds->n_rows, f);
    if (!f || fclose(f) != 0) {
        fprintf(stderr, "derive_step: cannot write %s\n", argv[2]);
        return 1;
    }
    printf("{\"rows\": %zu, \"series\": %zu, \"features\": %zu, \"derive_s\": %.6f, \"names\": [",
           ds->n_rows, ds->n_series, ds->n_features - before, secs);
    for (size_t j = before; j < ds->n_features; j++)
        printf("%s\"%s\"", j > before ? ", " : "", ds->feature_names[j]);
    printf("]}\n");
    fc_dataset_free(ds);
    fc_config_free(&cfg);
    return 0;
}

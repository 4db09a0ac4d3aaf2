/*
 * fuzz_model.c — what reads a saved model: the manifest check
 * (store/store.c) and the plugins' loaders. The first input byte picks
 * one; the rest is the file (for the MLPs: meta.json, a line "--", then
 * weights.bin):
 *   0 statquant.json   1 mlp_standard   2 mlp_quantile
 *   3 manifest.json (beside a file weights.bin)
 *   4 xgboost_quantile's meta.json (its boosters are absent: it must fail
 *     cleanly once the meta has been read)
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forecast/core/config.h"
#include "forecast/core/registry.h"
#include "forecast/core/util.h"
#include "forecast/store/store.h"
#include "fuzz.h"

static void try_load(const char *name)
{
    const struct fc_model_ops *ops = fc_registry_find(name);
    struct fc_params p;
    if (!ops || fc_config_model_params(NULL, ops, "defaults", &p))
        abort();
    static const double levels[] = {0.1, 0.5, 0.9};
    struct fc_model_ctx ctx = {levels, 3, 42, 1, 0, ""};
    void *m = ops->load(fuzz_dir(), &p, &ctx);
    if (m)
        ops->free(m);
    fc_params_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    fc_verbosity = 0;
    if (n == 0)
        return 0;
    int which = d[0] % 5;
    d++;
    n--;
    /* the files of an earlier input must not be read by this one */
    const char *const files[] = {"statquant.json", "meta.json", "weights.bin", "manifest.json"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *path = fc_xasprintf("%s/%s", fuzz_dir(), files[i]);
        unlink(path);
        free(path);
    }
    switch (which) {
    case 0:
        fuzz_file("statquant.json", d, n);
        try_load("statquant");
        break;
    case 1:
    case 2: {
        const uint8_t *sep = NULL;
        for (size_t i = 0; i + 4 <= n && !sep; i++)
            if (memcmp(d + i, "\n--\n", 4) == 0)
                sep = d + i;
        size_t meta = sep ? (size_t)(sep - d) : n;
        fuzz_file("meta.json", d, meta);
        if (sep)
            fuzz_file("weights.bin", sep + 4, n - meta - 4);
        try_load(which == 1 ? "mlp_standard" : "mlp_quantile");
        break;
    }
    case 3: {
        fuzz_file("weights.bin", "x", 1);
        fuzz_file("manifest.json", d, n);
        cJSON *m = fc_manifest_verify(fuzz_dir(), "forecast-model");
        cJSON_Delete(m);
        break;
    }
    default:
        fuzz_file("meta.json", d, n);
        try_load("xgboost_quantile");
    }
    fuzz_done();
    return 0;
}

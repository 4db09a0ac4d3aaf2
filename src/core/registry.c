/*
 * registry.c — the one place that knows which model plugins exist.
 * list-models walks this table; everything else looks names up here.
 */
#include "forecast/core/registry.h"

#include <string.h>

#include "forecast/core/util.h"

extern const struct fc_model_ops fc_model_croston;
extern const struct fc_model_ops fc_model_ensemble;
extern const struct fc_model_ops fc_model_linear;
extern const struct fc_model_ops fc_model_mlp_quantile;
extern const struct fc_model_ops fc_model_mlp_standard;
extern const struct fc_model_ops fc_model_random_forest;
extern const struct fc_model_ops fc_model_seasonal_naive;
extern const struct fc_model_ops fc_model_statquant;
extern const struct fc_model_ops fc_model_tsb;
extern const struct fc_model_ops fc_model_ets;
extern const struct fc_model_ops fc_model_xgboost_quantile;
extern const struct fc_model_ops fc_model_xgboost_standard;

const struct fc_model_ops *const fc_models[] = {
    &fc_model_statquant,
    &fc_model_seasonal_naive,
    &fc_model_croston,
    &fc_model_tsb,
    &fc_model_ets,
    &fc_model_xgboost_standard,
    &fc_model_xgboost_quantile,
    &fc_model_random_forest,
    &fc_model_linear,
    &fc_model_mlp_standard,
    &fc_model_mlp_quantile,
    &fc_model_ensemble,
    NULL,
};

const struct fc_model_ops *fc_registry_find(const char *name)
{
    for (size_t i = 0; fc_models[i]; i++)
        if (strcmp(fc_models[i]->name, name) == 0)
            return fc_models[i];
    return NULL;
}

int fc_registry_unknown(const char *where, const char *name)
{
    const char *names[64];
    size_t n = 0;
    for (size_t i = 0; fc_models[i] && n < 64; i++)
        names[n++] = fc_models[i]->name;
    /* a family name ("xgboost", "mlp"): every model whose name starts with it */
    char list[512] = "";
    size_t hits = 0, len = strlen(name);
    for (size_t i = 0; len >= 2 && i < n; i++) {
        if (strncmp(names[i], name, len) == 0 && names[i][len] == '_') {
            size_t l = strlen(list);
            snprintf(list + l, sizeof list - l, "%s\"%s\"", hits ? " or " : "", names[i]);
            hits++;
        }
    }
    if (hits > 1)
        return fc_error("%s: unknown model \"%s\"; did you mean %s? "
                        "(forecast list-models shows them all)",
                        where, name, list);
    const char *s = fc_suggest(name, names, n);
    if (s)
        return fc_error("%s: unknown model \"%s\"; did you mean \"%s\"? "
                        "(forecast list-models shows them all)",
                        where, name, s);
    return fc_error("%s: unknown model \"%s\" (forecast list-models shows them all)",
                    where, name);
}

/*
 * mlp_quantile.c — the mlp_standard network with one output per quantile
 * level, trained on the mean pinball loss over the levels. The outputs are
 * monotone in the level by construction: the first output is the lowest
 * quantile and each next one adds softplus(z) > 0 (torch_shim.cpp).
 */
#include "mlp_common.h"

static const struct fc_param_spec params[] = {MLP_PARAMS};

static void *q_create(const struct fc_params *p, const struct fc_model_ctx *ctx)
{
    return mlp_create("mlp_quantile", 1, p, ctx);
}

static int q_fit(void *m, const struct fc_fit_input *in) { return mlp_fit(m, in); }

static int q_predict(void *m, const struct fc_dataset *ds, const uint32_t *rows, size_t n,
                     struct fc_pred *out)
{
    return mlp_predict(m, ds, rows, n, out->q);
}

static int q_save(void *m, const char *dir) { return mlp_save(m, dir); }

static void q_record(void *m, struct fc_fit_record *rec) { mlp_record(m, rec); }

static void *q_load(const char *dir, const struct fc_params *p, const struct fc_model_ctx *ctx)
{
    return mlp_load("mlp_quantile", 1, dir, p, ctx);
}

static void q_free(void *m) { mlp_free(m); }

const struct fc_model_ops fc_model_mlp_quantile = {
    .name = "mlp_quantile",
    .family = "neural",
    .summary = "multilayer perceptron (libtorch), one output per quantile level",
    .details =
        "The mlp_standard network with one output per level of the run's quantiles "
        "(config key quantiles, flag --quantiles), trained on the mean pinball loss over "
        "the levels (weighted by the weight column when configured). Monotone by "
        "construction, never repaired: the first output is the lowest level's quantile "
        "and each next level adds softplus of its output, which is positive, so the "
        "predicted quantiles never cross. Scaling, early stopping, best weights, "
        "determinism and files as mlp_standard; meta.json also records the levels, and "
        "predicting with other levels is an error.",
    .params = params,
    .n_params = sizeof params / sizeof params[0],
    .flags = FC_MODEL_QUANTILE,
    .create = q_create,
    .fit = q_fit,
    .predict = q_predict,
    .save = q_save,
    .record = q_record,
    .load = q_load,
    .free = q_free,
    .version = mlp_version,
    .check = mlp_check,
};

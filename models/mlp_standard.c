/*
 * mlp_standard.c — a three-layer perceptron for a point forecast, trained
 * with libtorch through the C shim (mlp_common.c, torch_shim.cpp): squared
 * error, Adam, early stopping on the validation window with the best
 * epoch's weights kept.
 */
#include "mlp_common.h"

static const struct fc_param_spec params[] = {MLP_PARAMS};

static void *std_create(const struct fc_params *p, const struct fc_model_ctx *ctx)
{
    return mlp_create("mlp_standard", 0, p, ctx);
}

static int std_fit(void *m, const struct fc_fit_input *in) { return mlp_fit(m, in); }

static int std_predict(void *m, const struct fc_dataset *ds, const uint32_t *rows, size_t n,
                       struct fc_pred *out)
{
    return mlp_predict(m, ds, rows, n, out->point);
}

static int std_save(void *m, const char *dir) { return mlp_save(m, dir); }

static void std_record(void *m, struct fc_fit_record *rec) { mlp_record(m, rec); }

static void *std_load(const char *dir, const struct fc_params *p,
                      const struct fc_model_ctx *ctx)
{
    return mlp_load("mlp_standard", 0, dir, p, ctx);
}

static void std_free(void *m) { mlp_free(m); }

const struct fc_model_ops fc_model_mlp_standard = {
    .name = "mlp_standard",
    .family = "neural",
    .summary = "multilayer perceptron (libtorch), point forecast",
    .details =
        "Linear -> ReLU -> Dropout -> Linear -> ReLU -> Dropout -> Linear(1), trained "
        "with libtorch (through a C shim) by Adam on the mean squared error, weighted by "
        "the weight column when one is configured. Features are standardised with the "
        "training rows' mean and standard deviation, missing values imputed with the "
        "mean (plus a 0/1 missing-indicator input per such feature when "
        "missing_indicators is on); the target is standardised too and scaled back at "
        "prediction. Each epoch visits the training rows in a seeded random order; "
        "training stops when the validation loss has not improved for patience epochs "
        "and the best epoch's weights are the ones saved. Same seed and threads give "
        "identical predictions. Saved as weights.bin (float32 weights), meta.json "
        "(scaler, shapes, best epoch) and training_curve.csv.",
    .params = params,
    .n_params = sizeof params / sizeof params[0],
    .flags = FC_MODEL_POINT,
    .create = std_create,
    .fit = std_fit,
    .predict = std_predict,
    .save = std_save,
    .record = std_record,
    .load = std_load,
    .free = std_free,
    .version = mlp_version,
    .check = mlp_check,
};

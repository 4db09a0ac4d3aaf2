/*
 * mlp_common.h — what mlp_standard and mlp_quantile share: the
 * hyperparameters, feature standardisation and target scaling, the training
 * loop (shuffled mini-batches, Adam, early stopping on the validation loss,
 * best weights kept), prediction, model files and the BLAS report. The
 * network itself lives behind the C shim over libtorch (torch_shim.h).
 */
#ifndef FORECAST_MLP_COMMON_H
#define FORECAST_MLP_COMMON_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "forecast/data/dataset.h"
#include "forecast/core/model.h"
#include "torch_shim.h"

extern const char *const fc_mlp_devices[];

#define MLP_PARAMS                                                                         \
    {.name = "hidden_size", .type = FC_PARAM_INT, .def = 64, .min = 1, .max = 8192,        \
     FC_SEARCH(16, 512, 1),                                                                \
     .doc = "units in each of the two hidden layers"},                                     \
    {.name = "learning_rate", .type = FC_PARAM_DOUBLE, .def = 0.001, .min = 0, .max = 10,  \
     FC_SEARCH(0.0001, 0.01, 1),                                                           \
     .min_open = 1, .doc = "Adam step size"},                                              \
    {.name = "dropout", .type = FC_PARAM_DOUBLE, .def = 0.1, .min = 0, .max = 1,           \
     FC_SEARCH(0, 0.5, 0),                                                                 \
     .max_open = 1, .doc = "probability of zeroing a hidden unit while training"},         \
    {.name = "max_epochs", .type = FC_PARAM_INT, .def = 100, .min = 1, .max = 100000,      \
     .doc = "passes over the training rows at most"},                                      \
    {.name = "batch_size", .type = FC_PARAM_INT, .def = 256, .min = 1, .max = 1000000,     \
     FC_SEARCH(32, 1024, 1),                                                               \
     .doc = "rows per optimiser step (the last batch of an epoch may be smaller)"},        \
    {.name = "patience", .type = FC_PARAM_INT, .def = 10, .min = 0, .max = 1000000,        \
     .doc = "stop when the validation loss has not improved for this many epochs; the "    \
            "best epoch's weights are kept; 0 = run max_epochs"},                          \
    {.name = "weight_decay", .type = FC_PARAM_DOUBLE, .def = 0, .min = 0,                  \
     .max = INFINITY, .doc = "L2 penalty added to the gradient by Adam"},                  \
    {.name = "missing_indicators", .type = FC_PARAM_BOOL, .def = 1,                        \
     .doc = "add a 0/1 input for every feature with missing training values (missing "     \
            "values themselves are imputed with the training mean)"},                      \
    {.name = "seed", .type = FC_PARAM_INT, .def = -1, .min = -1, .max = 2147483647,        \
     .doc = "seed of the initial weights, dropout masks and batch order; -1 = the run's "  \
            "seed"},                                                                       \
    {.name = "threads", .type = FC_PARAM_INT, .def = 1, .min = 0, .max = 4096,             \
     .doc = "libtorch and OpenBLAS threads in the combined strategy (0 = all cores; the "  \
            "default network trains fastest on 1); in the individual strategy each model " \
            "uses one"},                                                                   \
    {.name = "device", .type = FC_PARAM_ENUM, .def_str = "cpu", .choices = fc_mlp_devices, \
     .doc = "where to train: cpu, or cuda when the linked libtorch has CUDA"},             \
    {.name = "n_seeds", .type = FC_PARAM_INT, .def = 0, .min = 0, .max = 1000,             \
     .doc = "seed averaging: networks trained from seeds seed, seed + 1, ... (each with "  \
            "its own early stopping), predictions averaged; 0 = 5 in the combined "        \
            "strategy, 1 in the individual"},                                              \
    {.name = "one_hot_max", .type = FC_PARAM_INT, .def = 16, .min = 0,                     \
     .max = MLP_MAX_CATEGORIES,                                                            \
     .doc = "a categorical feature with at most this many categories is one-hot encoded; " \
            "one with more is embedded (a learned table, embedding_dim)"},                 \
    {.name = "embedding_dim", .type = FC_PARAM_INT, .def = 0, .min = 0, .max = 1024,       \
     .doc = "values per category in an embedded feature's table; 0 = min(50, (categories " \
            "+ 1) / 2)"}

/* n_seeds 0 in the combined strategy */
#define MLP_AUTO_SEEDS 5

struct mlp {
    const char *name;      /* plugin name, for messages and meta.json */
    int quantile;          /* mlp_quantile: one output per level */
    /* hyperparameters */
    int hidden, max_epochs, batch, patience, threads, missing_ind;
    double lr, dropout, weight_decay;
    uint64_t seed;
    const char *device;
    const char *prefix;    /* starts progress lines (fc_model_ctx.log_prefix) */
    int combined;          /* one model over all series: a progress line of its epochs */
    double *levels;        /* (L) quantile levels, ascending */
    size_t L;
    /* input schema and scaling, from the training rows */
    size_t n_features;
    char **names;
    double *mean, *sd;     /* (n_features) */
    unsigned char *indicator; /* (n_features) 1: a missing-indicator input */
    int one_hot_max, emb_dim_param;
    uint32_t *card;        /* (n_features) 0: a number; else a category, one-hot
                            * encoded in card inputs (missing or unseen: all 0) or
                            * embedded */
    uint32_t *emb;         /* (n_features) its embedding's width; 0: not embedded */
    size_t *pos;           /* (n_features) its first input */
    size_t n_inputs;       /* one per number, card per one-hot category, the
                            * indicators, then one code per embedded category */
    size_t n_emb;          /* embedded features: the last n_emb inputs */
    size_t width;          /* the first layer's inputs: n_inputs - n_emb + the
                            * embeddings' widths */
    double y_mean, y_sd;
    /* training record */
    int n_seeds;           /* networks averaged (seed averaging) */
    int *member_best;      /* (n_seeds) each network's best epoch, -1: none; after fit */
    int epochs, best_epoch; /* the first network's; best_epoch -1: no validation rows */
    double best_val;
    double *curve;         /* (epochs, 3): train loss, validation loss, seconds */
    struct fc_torch_mlp *net; /* while training (NULL after load) */
    float *params;         /* (n_params) the weights predictions use, n_seeds networks
                            * one after another: after fit each one's best epoch's,
                            * after load the file's */
    size_t n_params;
};

struct mlp *mlp_create(const char *name, int quantile, const struct fc_params *p,
                       const struct fc_model_ctx *ctx);
void mlp_free(struct mlp *m);
int mlp_fit(struct mlp *m, const struct fc_fit_input *in);
/* out: n rows of n_out floats (1 or L), in the target's units. */
int mlp_predict(struct mlp *m, const struct fc_dataset *ds, const uint32_t *rows, size_t n,
                float *out);
int mlp_save(const struct mlp *m, const char *dir);
void mlp_record(const struct mlp *m, struct fc_fit_record *rec);
struct mlp *mlp_load(const char *name, int quantile, const char *dir,
                     const struct fc_params *p, const struct fc_model_ctx *ctx);

/* one_hot_max's ceiling */
#define MLP_MAX_CATEGORIES 256

/* The standardised inputs of rows (n, n_inputs), row-major: an embedded
 * feature's input is its code, card[j] when missing or unseen. */
float *mlp_inputs(const struct mlp *m, const struct fc_dataset *ds, const uint32_t *rows,
                  size_t n);

/* pos, n_inputs, n_emb and width from card, emb and indicator: each
 * feature's first input (numbers one, one-hot categories card), then the
 * indicators, then one code per embedded category. */
void mlp_layout(struct mlp *m);
/* The first layer's inputs (n, width) of x (n, n_inputs) for one network's
 * params: the inputs before the codes as they are, then each code's row of
 * its embedding table; NULL when nothing is embedded (x is the first
 * layer's input). Caller frees. */
float *mlp_embed_inputs(const struct mlp *m, const float *params, const float *x, size_t n);

/* Config check: libtorch loads (will_run), device cuda without CUDA. */
int mlp_check(const struct fc_params *p, int will_run, const char **param, char *expected,
              size_t n);

/* "libtorch 1.13.1, BLAS: OpenBLAS 0.3.21 ... (path)". */
void mlp_version(char *buf, size_t n);

#endif

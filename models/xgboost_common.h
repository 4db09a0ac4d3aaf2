/*
 * xgboost_common.h — what xgboost_standard and xgboost_quantile share: the
 * tree hyperparameters, DMatrix construction from the columnar dataset,
 * booster parameters, prediction, model files and feature importance. All
 * through the XGBoost C API (Debian's libxgboost 1.7.4).
 */
#ifndef FORECAST_XGBOOST_COMMON_H
#define FORECAST_XGBOOST_COMMON_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <xgboost/c_api.h>

#include "forecast/data/dataset.h"
#include "forecast/core/model.h"

struct cJSON;

/* The hyperparameters both plugins take, as param-spec initialisers;
 * mcw: the default min_child_weight (xgboost_quantile's leaves hold the
 * residual quantiles of their rows, which need some rows). */
#define XGB_TREE_PARAMS(mcw)                                                             \
    {.name = "n_estimators", .type = FC_PARAM_INT, .def = 500, .min = 1, .max = 100000,  \
     .doc = "boosting rounds (trees per model); early stopping may use fewer"},          \
    {.name = "max_depth", .type = FC_PARAM_INT, .def = 6, .min = 1, .max = 64,           \
     FC_SEARCH(3, 10, 0),                                                                \
     .doc = "maximum depth of a tree"},                                                  \
    {.name = "learning_rate", .type = FC_PARAM_DOUBLE, .def = 0.05, .min = 0, .max = 1,  \
     FC_SEARCH(0.01, 0.3, 1),                                                            \
     .min_open = 1, .doc = "shrinkage of each tree's contribution (XGBoost eta)"},       \
    {.name = "subsample", .type = FC_PARAM_DOUBLE, .def = 0.8, .min = 0, .max = 1,       \
     FC_SEARCH(0.5, 1, 0),                                                               \
     .min_open = 1, .doc = "fraction of rows sampled for each tree"},                    \
    {.name = "colsample_bytree", .type = FC_PARAM_DOUBLE, .def = 0.8, .min = 0,          \
     FC_SEARCH(0.5, 1, 0),                                                               \
     .max = 1, .min_open = 1, .doc = "fraction of features sampled for each tree"},      \
    {.name = "min_child_weight", .type = FC_PARAM_DOUBLE, .def = (mcw), .min = 0,        \
     FC_SEARCH(1, 100, 1),                                                               \
     .max = INFINITY,                                                                    \
     .doc = "minimum sum of hessian (row weight) in a leaf; with unit hessians "         \
            "(xgboost_quantile, squared error) the rows in a leaf"},                     \
    {.name = "reg_lambda", .type = FC_PARAM_DOUBLE, .def = 1, .min = 0, .max = INFINITY, \
     FC_SEARCH(0.001, 10, 1),                                                            \
     .doc = "L2 regularisation of leaf weights (XGBoost lambda)"},                       \
    {.name = "reg_alpha", .type = FC_PARAM_DOUBLE, .def = 0, .min = 0, .max = INFINITY,  \
     .doc = "L1 regularisation of leaf weights (XGBoost alpha)"},                        \
    {.name = "gamma", .type = FC_PARAM_DOUBLE, .def = 0, .min = 0, .max = INFINITY,      \
     .doc = "minimum loss reduction to make a split"},                                   \
    {.name = "max_bin", .type = FC_PARAM_INT, .def = 256, .min = 2, .max = 65536,        \
     .doc = "histogram bins per feature (tree_method hist / approx)"},                   \
    {.name = "tree_method", .type = FC_PARAM_ENUM, .def_str = "hist",                    \
     .choices = fc_xgb_tree_methods, .doc = "tree construction algorithm"},              \
    {.name = "nthread", .type = FC_PARAM_INT, .def = 0, .min = 0, .max = 4096,           \
     .doc = "XGBoost threads in the combined strategy (0 = all cores); in the "          \
            "individual strategy each model uses one"},                                  \
    {.name = "seed", .type = FC_PARAM_INT, .def = -1, .min = -1, .max = 2147483647,      \
     .doc = "random seed for row / column sampling; -1 = the run's seed"},               \
    {.name = "early_stopping_rounds", .type = FC_PARAM_INT, .def = 50, .min = 0,         \
     .max = 100000,                                                                      \
     .doc = "stop when the validation loss has not improved for this many rounds; the "  \
            "best round is kept; 0 = off"}

extern const char *const fc_xgb_tree_methods[];

struct xgb_tree_params {
    int n_estimators, max_depth, max_bin, nthread, early_stopping;
    double learning_rate, subsample, colsample, min_child_weight, lambda, alpha, gamma;
    const char *tree_method;
    long seed;
    const char *prefix; /* starts progress lines (fc_model_ctx.log_prefix) */
    int combined;       /* one model over all series: a progress line of its rounds */
};

/* --verbose prints every XGB_VERBOSE_EVERY-th round and the last. */
#define XGB_VERBOSE_EVERY 10
#define XGB_VERBOSE_ROUND(it, total) ((it) % XGB_VERBOSE_EVERY == 0 || (it) + 1 == (total))

void xgb_read_params(const struct fc_params *p, const struct fc_model_ctx *ctx,
                     struct xgb_tree_params *t);
/* The parameters that come from the run as much as the model: threads
 * (nthread), seed (-1: the run's), progress prefix, strategy. */
void xgb_read_run_params(const struct fc_params *p, const struct fc_model_ctx *ctx,
                         struct xgb_tree_params *t);
/* Sets the tree parameters (and silences XGBoost) on b. 0 or -1. */
int xgb_set_tree_params(BoosterHandle b, const struct xgb_tree_params *t);
/* Sets one parameter; on failure reports XGBoost's message. */
int xgb_set(BoosterHandle b, const char *key, const char *value);

/* Reports XGBoost's last error with context; returns -1. */
int xgb_fail(const char *what);

/* A row-major DMatrix of the given rows (missing = NAN), with labels and
 * weights when with_label. NULL after fc_error. Free with XGDMatrixFree. */
DMatrixHandle xgb_matrix(const struct fc_dataset *ds, const uint32_t *rows, size_t n,
                         int with_label, int nthread);

/* Prediction of type (0 value, 1 margin, 6 leaf) over trees [begin, end)
 * (end 0 = all) into out[n], copied from XGBoost's buffer. */
int xgb_predict(BoosterHandle b, DMatrixHandle d, int type, int begin, int end, float *out,
                size_t n);

/* Model file (UBJSON), written atomically / read back. */
int xgb_save_model(BoosterHandle b, const char *path);
BoosterHandle xgb_load_model(const char *path, size_t n_features);

/* Gain, weight and cover of every feature (0 for one never split on) into
 * rec->importance. */
int xgb_importance(BoosterHandle b, char *const *feature_names, size_t n,
                   struct fc_fit_record *rec);
/* Names the features on the booster (for importance and model dumps). */
int xgb_set_feature_names(BoosterHandle b, char *const *names, size_t n);

/* Copies the dataset's feature names (caller frees with xgb_free_names). */
char **xgb_copy_names(const struct fc_dataset *ds);
void xgb_free_names(char **names, size_t n);

/* meta.json helpers: the facts a saved model needs besides XGBoost's file. */
int xgb_write_meta(const char *dir, struct cJSON *meta);
struct cJSON *xgb_read_meta(const char *dir, size_t *n_features);

/* "xgboost 1.7.4" into buf. */
void xgb_version(char *buf, size_t n);

/* Sorted copy helper: weighted alpha-quantile of v (n values, weights w or
 * NULL). v and w are permuted. */
double xgb_weighted_quantile(double *v, double *w, size_t n, double alpha);

/* The alpha-quantile of each of K groups of values spread over a
 * distributed run's workers (coll, model.h): group k is v[start[k] ..
 * start[k + 1]) on each worker (weights w or NULL), and out[k] is what
 * xgb_weighted_quantile gives of every worker's values of group k together
 * (NAN when the group is empty everywhere). Order statistics are found by
 * bisection over the values' bit patterns, one sum over the workers per
 * step (at most 64). v and w are permuted. -1 after fc_error. */
int xgb_group_quantiles(const struct fc_model_collective *coll, double *v, double *w,
                        const size_t *start, size_t K, double alpha, double *out);

#endif

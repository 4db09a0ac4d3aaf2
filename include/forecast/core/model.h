/*
 * model.h — the plugin interface. A model plugin is one const struct
 * fc_model_ops in its own file under models/, listed in src/core/registry.c.
 * The core talks to a model only through these ops and never reads its
 * private state.
 */
#ifndef FORECAST_MODEL_H
#define FORECAST_MODEL_H

#include <stddef.h>
#include <stdint.h>

struct fc_dataset;
struct cJSON;

/* ---- hyperparameter specs: what `describe` prints and config validates ---- */
enum fc_param_type {
    FC_PARAM_INT,
    FC_PARAM_DOUBLE,
    FC_PARAM_BOOL,
    FC_PARAM_ENUM, /* one string out of choices */
    FC_PARAM_MODELS, /* a list of other models' names (an ensemble's members): in the
                      * config a JSON array; the value is the names joined by ','
                      * (an interned string), default def_str */
};

/* The range `forecast tune` searches by default (tune.space overrides or
 * adds): on 0 = not searched. INT / DOUBLE: [lo, hi], log: sampled on a log
 * scale; BOOL / ENUM: every choice. */
struct fc_param_search {
    int on;
    double lo, hi;
    int log;
};
#define FC_SEARCH(lo, hi, log) .search = {1, (lo), (hi), (log)}
#define FC_SEARCH_CHOICES .search = {1, 0, 0, 0}

struct fc_param_spec {
    const char *name;
    enum fc_param_type type;
    double def;              /* default for INT, DOUBLE, BOOL (0/1) */
    const char *def_str;     /* default for ENUM */
    double min, max;         /* inclusive range for INT / DOUBLE */
    int min_open, max_open;  /* 1 when the bound is exclusive */
    const char *const *choices; /* ENUM: NULL-terminated */
    const char *doc;         /* one sentence: what it means */
    struct fc_param_search search; /* tune's default range */
};

struct fc_param_value {
    double num;      /* INT, DOUBLE, BOOL */
    const char *str; /* ENUM: points into the spec's choices */
};

struct fc_member;

/* Resolved hyperparameters of one model: values[i] belongs to specs[i]. */
struct fc_params {
    const struct fc_param_spec *specs;
    size_t n;
    struct fc_param_value *values; /* owned by whoever filled it */
    /* the models a FC_PARAM_MODELS parameter names, each with its own
     * hyperparameters resolved from the same config (models.<name>) */
    struct fc_member *members;
    size_t n_members;
};

struct fc_member {
    const struct fc_model_ops *ops;
    struct fc_params params;
};

double fc_params_num(const struct fc_params *p, const char *name);
const char *fc_params_str(const struct fc_params *p, const char *name);

/* ---- what a model gets ---- */

/* A distributed run's collective (train --distributed, dist/collective.h)
 * as a model sees it: each worker fits on its own rows, and what a fit
 * computes from all rows (a quantile, a mean loss) it computes with these.
 * Every worker makes the same calls in the same order. -1 after fc_error
 * (the workers lost contact). */
struct fc_model_collective {
    int (*sum)(double *v, size_t n); /* in place: the element-wise sum over the workers */
    int (*max)(double *v, size_t n); /* in place: the element-wise maximum */
};

struct fc_model_ctx {
    const double *quantiles; /* levels a quantile model predicts, ascending */
    size_t n_quantiles;
    uint64_t seed;
    int threads;             /* library threads this model may use */
    int individual;          /* one model per series (the individual strategy) */
    const char *log_prefix;  /* starts the model's progress lines: "[series] " in the
                              * individual strategy, else ""; outlives the model */
    /* The model of these ops the run trained already on the same rows (with
     * the config's hyperparameters models.<name>, which an ensemble's
     * members share), loaded from its directory; NULL when the run has none.
     * An ensemble whose members train on exactly its own rows asks it
     * before training a member. NULL: the caller offers nothing. */
    void *(*trained)(const struct fc_model_ctx *ctx, const struct fc_model_ops *ops,
                     char **dir); /* *dir: where it was loaded from (caller frees) */
    const void *trained_arg;
    /* NULL: one process holds every row; else a distributed run's workers
     * (only models flagged FC_MODEL_DISTRIBUTED get one) */
    const struct fc_model_collective *coll;
};

/* Rows are indices into ds; fit rows exclude the validation window. */
struct fc_fit_input {
    const struct fc_dataset *ds;
    const uint32_t *rows;
    size_t n_rows;
    const uint32_t *val_rows;
    size_t n_val;
};

/* Predictions for n rows. point[n] (NULL for a model without a point
 * output); q[n * n_quantiles], row-major (NULL for a point-only model). */
struct fc_pred {
    size_t n;
    size_t n_quantiles;
    float *point;
    float *q;
};

/* ---- what a fit leaves for the reports, handed back in memory ---- */

/* A training curve: the loss on the fit and validation rows per step (a
 * boosting round or an epoch); one per level for a model that trains one
 * booster per quantile level. */
struct fc_curve {
    double level;          /* NAN: not one level's */
    char step[16];         /* "round" or "epoch" */
    char loss[32];         /* the losses' name: columns train_<loss>, val_<loss> */
    int first;             /* number of the first step (rounds 0, epochs 1) */
    size_t n;              /* steps run */
    double *train, *val;   /* (n) val NAN without validation rows */
    double *seconds;       /* (n) or NULL */
};

/* Feature importance of a tree model (XGBoost's gain, weight, cover). */
struct fc_importance {
    char *feature;         /* owned */
    double gain, weight, cover;
};

struct fc_fit_record {
    struct fc_curve *curves;        /* (n_curves) owned */
    size_t n_curves;
    struct fc_importance *importance; /* (n_importance) owned; NULL: none */
    size_t n_importance;
    char *summary; /* owned; NULL: none. A sentence for the reports (an ensemble's
                    * weights) */
};

/* A curve of n steps with its arrays allocated (seconds when with_seconds). */
void fc_curve_init(struct fc_curve *c, double level, const char *step, const char *loss,
                   int first, size_t n, int with_seconds);
/* The step with the lowest validation loss: its index, or -1 without one. */
long fc_curve_best(const struct fc_curve *c);
void fc_fit_record_free(struct fc_fit_record *r);

enum {
    FC_MODEL_POINT = 1u << 0,    /* predicts a point forecast */
    FC_MODEL_QUANTILE = 1u << 1, /* predicts the configured quantiles */
    FC_MODEL_NO_FEATURES = 1u << 2, /* reads no feature (predict --horizon needs no --future) */
    FC_MODEL_FITS_VALIDATION = 1u << 3, /* no early stopping: fits the validation rows too */
    FC_MODEL_NUMBERS_ONLY = 1u << 4, /* no categorical features, no row weights (refused at
                                      * config time) */
    FC_MODEL_ENSEMBLE = 1u << 5, /* combines other models: it cannot be one's member */
    FC_MODEL_DISTRIBUTED = 1u << 6, /* its fit works on each worker's rows through
                                      * XGBoost's collective (train --distributed) */
};

struct fc_model_ops {
    const char *name;    /* registry key, e.g. "statquant" */
    const char *family;  /* "baseline", "gbdt", "neural" */
    const char *summary; /* one line for list-models */
    const char *details; /* paragraph for describe */
    const struct fc_param_spec *params;
    size_t n_params;
    unsigned flags;

    /* Returns a new untrained model or NULL after fc_error. */
    void *(*create)(const struct fc_params *p, const struct fc_model_ctx *ctx);
    int (*fit)(void *model, const struct fc_fit_input *in);
    /* Fills out (allocated by the caller with n and n_quantiles set). */
    int (*predict)(void *model, const struct fc_dataset *ds, const uint32_t *rows,
                   size_t n, struct fc_pred *out);
    /* Writes the model's own files into dir (which exists); the core adds
     * the training record's files and the manifest afterwards. */
    int (*save)(void *model, const char *dir);
    /* Optional: what the fit leaves for the reports (curves, importance),
     * filled into out (which it then owns). */
    void (*record)(void *model, struct fc_fit_record *out);
    /* Loads from dir, whose manifest the core has already verified. */
    void *(*load)(const char *dir, const struct fc_params *p,
                  const struct fc_model_ctx *ctx);
    void (*free)(void *model);
    /* Optional: the outputs (FC_MODEL_POINT / _QUANTILE) with these
     * hyperparameters, when they depend on them (an ensemble's members);
     * else flags says. */
    unsigned (*outputs)(const struct fc_params *p);
    /* Optional: the library the plugin wraps, e.g. "xgboost 1.7.4". */
    void (*version)(char *buf, size_t n);
    /* Optional: checks resolved hyperparameters against what this build can
     * do (e.g. device "cuda" without CUDA) when the config is validated;
     * will_run: the command is going to train or load this model (its
     * library must load). Returns 0, or -1 filling expected and naming the
     * parameter at fault (NULL: the model as a whole; expected then says
     * why it cannot run). */
    int (*check)(const struct fc_params *p, int will_run, const char **param, char *expected,
                 size_t n);
};

/* The bounds of an INT / DOUBLE parameter as text: ">= 0", "(0, 1]". */
void fc_param_range(const struct fc_param_spec *s, char *buf, size_t n);

/* The library threads a model uses, from its threads parameter (named
 * param, value requested; 0 = automatic): ctx->threads when automatic, one
 * in the individual strategy whatever was asked (a warning, once per
 * parameter, says so when it asked for more). */
int fc_model_threads(const struct fc_model_ctx *ctx, const char *param, int requested);

/* What a model with these hyperparameters predicts: FC_MODEL_POINT and / or
 * FC_MODEL_QUANTILE (ops->outputs, else its flags). */
unsigned fc_model_outputs(const struct fc_model_ops *ops, const struct fc_params *p);

/* fc_pred helpers */
void fc_pred_alloc(struct fc_pred *p, size_t n, size_t n_quantiles, int point);
void fc_pred_free(struct fc_pred *p);

#endif

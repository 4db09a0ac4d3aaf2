/*
 * config.h — the resolved configuration of one command. Built in four steps
 * (STYLE.md 4): built-in defaults -> JSON file -> command-line overrides ->
 * strict validation into struct fc_config. The merged JSON tree is kept so the
 * run can save exactly what it ran with.
 */
#ifndef FORECAST_CONFIG_H
#define FORECAST_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "forecast/core/model.h"

struct cJSON;

enum fc_strategy { FC_COMBINED, FC_INDIVIDUAL };

/* Which column plays which part; see README "Data schema". */
/* How far apart a series' periods are: lags and windows count periods. */
enum fc_freq { FC_FREQ_AUTO, FC_FREQ_DAILY, FC_FREQ_WEEKLY, FC_FREQ_MONTHLY };

struct fc_data_spec {
    char *path;          /* features (and usually target) CSV */
    char *target_path;   /* optional separate target CSV, joined on join_key */
    char *join_key;
    char **series_cols;  /* id columns, in key order */
    size_t n_series_cols;
    char *date_col;
    char *target_col;
    char *weight_col;    /* NULL: all rows weigh 1 */
    char **features;     /* names or glob patterns; empty: every other column */
    size_t n_features;
    char **ignore;       /* columns never used */
    size_t n_ignore;
    char **text_cols;    /* text columns read as text: features.categorical's
                          * names that are not id columns (borrowed from it) */
    size_t n_text_cols;
    int drop_missing_target; /* 0: a missing target is an error */
    int cache;           /* use and write the binary cache (data.cache) */
    char *cache_dir;     /* NULL: the cache lives beside the data */
    enum fc_freq freq;   /* data.freq; AUTO: inferred from the dates */
};

/* ---- derived features (the "features" object; data/derive.h) ---- */
enum fc_window_stat {
    FC_STAT_MEAN, FC_STAT_STD, FC_STAT_MIN, FC_STAT_MAX, FC_STAT_MEDIAN, FC_STAT_SUM,
};

/* A statistic of the target over the window periods ending lag periods
 * back; window 0: expanding (all history up to the lag). */
struct fc_window_spec {
    enum fc_window_stat stat;
    int window;
    int lag;
};

enum {
    FC_CAL_DOW = 1u << 0, FC_CAL_DOM = 1u << 1, FC_CAL_DOY = 1u << 2, FC_CAL_WEEK = 1u << 3,
    FC_CAL_MONTH = 1u << 4, FC_CAL_QUARTER = 1u << 5, FC_CAL_YEAR = 1u << 6,
    FC_CAL_IS_WEEKEND = 1u << 7,
};

struct fc_feature_spec {
    int *lags;                       /* (n_lags) target lags in periods */
    size_t n_lags;
    struct fc_window_spec *windows;  /* (n_windows) rolling, then expanding */
    size_t n_windows;
    unsigned calendar;               /* FC_CAL_* bits */
    char **categorical;              /* (n_categorical) series id columns as categories */
    size_t n_categorical;
};

enum fc_target_transform { FC_TT_NONE, FC_TT_LOG1P, FC_TT_LOCAL_SCALE, FC_TT_DIFFERENCE };
extern const char *const fc_target_transform_names[]; /* by enum fc_target_transform */

/* How steps after the first of a horizon are forecast: "recursive" (one
 * model; each step's lags use the earlier steps' predictions) or "direct"
 * (every feature known at the origin: lags >= horizon). */
enum fc_multi_step { FC_MULTI_RECURSIVE, FC_MULTI_DIRECT };
extern const char *const fc_multi_step_names[]; /* by enum fc_multi_step */

/* The name of derived feature k (lags, then windows, then calendar fields in
 * bit order): lag_28, rolling_mean_7_lag_28, expanding_std_lag_28, cal_dow.
 * Caller frees. */
char *fc_feature_name(const struct fc_feature_spec *f, size_t k);

extern const char *const fc_window_stat_names[]; /* by enum fc_window_stat */
extern const char *const fc_calendar_names[];    /* by bit position */

struct fc_split_spec {
    int has_split_date;  /* 0: windows counted back from the data's end, or (a horizon,
                          * no windows) a production run: every row trains */
    int32_t split_date;  /* days since epoch; train < split_date <= test */
    int has_test_end;
    int32_t test_end;    /* test < test_end */
    int val_days;        /* last val_days days of each series' train part (daily data);
                          * -1: val_periods */
    int val_periods;     /* or the last val_periods periods of the data's frequency */
    enum fc_freq freq;   /* the frequency (AUTO: inferred by the split) */
    int has_val_date;
    int32_t val_date;    /* or: validation = [val_date, split_date) */
    int min_train_rows;  /* fewer rows before split_date: series skipped */
    int horizon;         /* 0, or test rows at most horizon periods after the origin */
    int production;      /* every row before split_date trains, none is tested (set by
                          * train for a production run, not read from the config) */
    int windows;         /* 0: one split; else backtest windows of horizon periods ... */
    int step;            /* ... whose origins are step periods apart (default horizon); */
    int refit;           /* each window trains its models (0: the first window's are
                          * reused by the later ones) */
};

struct fc_model_choice {
    const struct fc_model_ops *ops;
    struct fc_params params; /* resolved: defaults <- config <- --set */
};

struct fc_config {
    struct cJSON *json;  /* the resolved tree, owned */
    char *source;        /* config file name, or "built-in defaults" */
    struct fc_data_spec data;
    struct fc_split_spec split;
    struct fc_feature_spec features;
    enum fc_target_transform target_transform; /* data/transform.h */
    int difference;      /* FC_TT_DIFFERENCE: the lag k of y - y[k periods back] */
    int nonnegative;     /* 1 clip predictions at 0, 0 not, -1 auto (no negative target) */
    int horizon;         /* periods forecast from an origin; 0: not set */
    enum fc_multi_step multi_step;
    char **skus;         /* "PRODUCT:STORE" keys; empty = all series */
    size_t n_skus;
    struct fc_model_choice *models; /* every model to train, in order */
    size_t n_models;
    struct fc_model_choice model;   /* the one being trained / loaded (a copy of
                                     * models[k]; cmd_* set it) */
    enum fc_strategy strategy;
    double *quantiles;   /* ascending, in (0, 1) */
    size_t n_quantiles;
    uint64_t seed;
    int jobs;            /* 0 = number of cores */
    char **plot_skus;    /* series plotted in report.html; empty = automatic */
    size_t n_plot_skus;
    char *out_dir;
    char *run_name;      /* NULL: timestamp + short hash */
};

/* One command-line override: JSON path and value, and the flag it came from
 * (named in error messages). */
struct fc_override {
    char *path;
    char *value;   /* text; parsed as JSON when it is valid JSON, else a string */
    char *flag;    /* e.g. "--set split.val_days=14" or "--seed" */
    int append;    /* append value to the array at path (repeatable --sku) */
    int as_list;   /* value is a comma-separated list of numbers (--quantiles) */
};

/* Loads and validates. file may be NULL (then ./config/default.json when it
 * exists, else built-in defaults). Returns 0, or -1 after fc_error naming the
 * file and JSON path. */
/* A document that holds a config elsewhere than at its top (a run's
 * run.json holds the run's resolved config): given the parsed file, returns
 * the config object inside it (a child of doc), doc itself when it is a
 * plain config, or NULL after fc_error. */
typedef struct cJSON *fc_config_unwrap_fn(struct cJSON *doc, const char *file);

/* unwrap (may be NULL) says where the config is in the file. */
int fc_config_load(struct fc_config *cfg, const char *file,
                   const struct fc_override *ov, size_t n_ov, fc_config_unwrap_fn *unwrap);
/* The same for a command that splits nothing (inspect): a config without a
 * split date, a horizon or windows is fine. */
int fc_config_load_unsplit(struct fc_config *cfg, const char *file,
                           const struct fc_override *ov, size_t n_ov,
                           fc_config_unwrap_fn *unwrap);
void fc_config_free(struct fc_config *cfg);

/* Checks that the libraries of the models a command is about to train or
 * load can run here (libtorch for the MLPs); -1 after fc_error. */
int fc_config_models_ready(const struct fc_model_choice *m, size_t n);

/* Resolves the hyperparameters of one model from the "models" object of a
 * tree (NULL: defaults only). values are allocated into out. */
int fc_config_model_params(const struct cJSON *models, const struct fc_model_ops *ops,
                           const char *source, struct fc_params *out);
void fc_params_free(struct fc_params *p);

/* Appends the override path = json_value (JSON text, e.g. "false"), named
 * flag in messages, to ov[*n]; _string takes plain text and quotes it. */
void fc_override_add(struct fc_override *ov, size_t *n, const char *path,
                     const char *json_value, const char *flag);
void fc_override_add_string(struct fc_override *ov, size_t *n, const char *path,
                            const char *text, const char *flag);

/* Parses "--set a.b=c" text into an override; -1 on a malformed one. */
int fc_override_parse_set(const char *arg, struct fc_override *ov);
void fc_override_free(struct fc_override *ov);

/* Text of the default hyperparameters of a model as a JSON object (caller
 * frees); what config/models/<name>.json holds. */
char *fc_config_model_defaults_json(const struct fc_model_ops *ops);

const char *fc_strategy_name(enum fc_strategy s);

#endif

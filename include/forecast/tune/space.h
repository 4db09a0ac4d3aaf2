/*
 * space.h — what `forecast tune` searches: one dimension per hyperparameter,
 * from the model's default search ranges (fc_param_spec.search) with the
 * config's tune.space over them, keyed by config path:
 *
 *   "models.xgboost_standard.max_depth": {"int": [3, 10]}
 *   "models.xgboost_standard.learning_rate": {"float": [0.01, 0.3], "log": true}
 *   "models.xgboost_standard.tree_method": {"choice": ["hist", "approx"]}
 *
 * A point of the space is one double per dimension: the value of an int or
 * float dimension, the index of a choice.
 */
#ifndef FORECAST_TUNE_SPACE_H
#define FORECAST_TUNE_SPACE_H

#include <stddef.h>

#include "forecast/core/model.h"

struct cJSON;

enum fc_dim_kind { FC_DIM_INT, FC_DIM_FLOAT, FC_DIM_CHOICE };

struct fc_dim {
    char *path;                 /* "models.<model>.<param>" */
    const struct fc_param_spec *spec;
    enum fc_dim_kind kind;
    double lo, hi;              /* INT / FLOAT: inclusive bounds */
    int log;
    struct cJSON **choices;     /* CHOICE: (n_choices) the values, owned */
    size_t n_choices;
};

struct fc_space {
    struct fc_dim *dims;        /* (n) in config-path order */
    size_t n;
};

/* Where a config path's value came from: the flag of the last override
 * that set it or a parent, else the config's source (file name). */
typedef const char *fc_space_origin_fn(const char *path, const void *arg);

/* The space of model ops (and, for an ensemble, of its members:
 * member_ops[n_members]): the default ranges, then tune.space (NULL: none)
 * over them. Every error names the path (and its origin) and what was
 * expected; -1 after fc_error, 0 otherwise. An empty space is an error. */
int fc_space_build(struct fc_space *sp, const struct fc_model_ops *ops,
                   const struct fc_model_ops *const *member_ops, size_t n_members,
                   const struct cJSON *tune_space, fc_space_origin_fn *origin,
                   const void *origin_arg);
void fc_space_free(struct fc_space *sp);

/* The space as tune.space JSON (what study.db and best.json's report keep). */
struct cJSON *fc_space_to_json(const struct fc_space *sp);
/* One parameter's default search range in tune.space syntax, or NULL when
 * it is not searched by default (describe prints it). */
struct cJSON *fc_space_default_json(const struct fc_param_spec *s);

/* The value of dimension d at point coordinate x, as JSON. */
struct cJSON *fc_space_value(const struct fc_dim *d, double x);
/* Sets every dimension's value at point x into the "models" object of a
 * config tree (creating models.<model> where needed). */
void fc_space_apply(const struct fc_space *sp, const double *x, struct cJSON *models);
/* The value of x[d] as text: exact, the shortest that reads back as x
 * (trials.csv); else 6 significant digits (the reports). */
void fc_space_format(const struct fc_dim *d, double x, int exact, char *buf, size_t n);

/* Grid: the number of points of a space of int and choice dimensions only
 * (0: a float dimension, or more than max points). */
size_t fc_space_grid_size(const struct fc_space *sp, size_t max);
/* The grid point k (0 <= k < fc_space_grid_size), into x. */
void fc_space_grid_point(const struct fc_space *sp, size_t k, double *x);

#endif

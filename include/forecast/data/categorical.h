/*
 * categorical.h — id and text columns as categorical features (config
 * "features": {"categorical": ["store_id", "event_name", ...]}).
 *
 * Each listed column becomes a derived feature cat_<column> whose value for
 * a row is the code of its value: for a series id column the row's series'
 * value, for a text column (read as text by the loader: ds->text) the
 * row's cell. A value's code is its position among the column's values
 * sorted as byte strings, fixed when the run trains (from the training
 * data: every series, or a text column's rows before the split) and saved
 * as the run's categories.json. New data keeps
 * those codes; a value the run never saw, and a missing text cell, is
 * missing (NAN). ds->categories tells the models which features are
 * categories and how many codes each has: XGBoost splits them natively, the
 * MLPs one-hot or embed them.
 */
#ifndef FORECAST_CATEGORICAL_H
#define FORECAST_CATEGORICAL_H

#include <stddef.h>

#include "forecast/core/config.h"
#include "forecast/data/dataset.h"

struct cJSON;

struct fc_categories {
    size_t n;          /* columns */
    char **col;        /* (n) id column names */
    size_t *n_values;  /* (n) */
    char ***values;    /* (n)(n_values) sorted */
};

/* The codes of f's categorical columns from ds: an id column's values of
 * every series, a text column's of the rows dated before `before` (the
 * training rows: a value first seen in a test period is unseen, as it
 * would be in production); -1 after fc_error (a name that is neither an id
 * column nor a text column of ds). */
int fc_categories_build(struct fc_categories *c, const struct fc_feature_spec *f,
                        const struct fc_dataset *ds, int32_t before);
/* Appends the cat_<column> features to ds (derived; ds->categories set);
 * -1 after fc_error (ds lacks a column, or already has a feature of that
 * name). */
int fc_categories_apply(const struct fc_categories *c, struct fc_dataset *ds);
/* categories.json and back (path for messages; -1 after fc_error). */
struct cJSON *fc_categories_to_json(const struct fc_categories *c);
int fc_categories_from_json(struct fc_categories *c, const struct cJSON *j, const char *path);
void fc_categories_free(struct fc_categories *c);

#endif

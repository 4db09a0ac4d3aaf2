/*
 * modeldir.h — the format of one model's directory, <run>/<model>/<strategy>/
 * model/ (combined) or .../series/<key>/ (individual): the plugin's own
 * files, predictions.bin (the test predictions made when it was trained) and,
 * written last, manifest.json (kind, model, strategy, series, feature
 * schema, quantiles, hyperparameters, size and sha256 of every file). A
 * directory with a manifest that verifies is complete. Also the
 * predictions CSV that train and predict write.
 */
#ifndef FORECAST_MODELDIR_H
#define FORECAST_MODELDIR_H

#include <stddef.h>
#include <stdint.h>

#include "forecast/core/config.h"
#include "forecast/core/model.h"
#include "forecast/data/dataset.h"

/* Directory name for a series key: characters other than [A-Za-z0-9._:-]
 * are %XX-escaped. Caller frees. */
char *fc_series_dirname(const char *key);
/* dir/model (series_key NULL: a model of every series) or
 * dir/series/<escaped key>. Caller frees. */
char *fc_modeldir_path(const char *dir, const char *series_key);

/* Creates mdir and writes the model's files into it (ops->save), then its
 * fit record's (training_curve.csv, feature_importance.csv), which it hands
 * back in rec (empty without ops->record). */
int fc_modeldir_save(const char *mdir, const struct fc_model_ops *ops, void *model,
                     struct fc_fit_record *rec);
/* The fit record of a saved model, read back from its files (a model kept
 * by resume or merge): what is there, possibly nothing. */
void fc_modeldir_read_record(const char *mdir, struct fc_fit_record *rec);
/* Completes mdir: predictions.bin with pred (the test rows' predictions),
 * then manifest.json. */
int fc_modeldir_finish(const char *mdir, const struct fc_config *cfg,
                       const struct fc_dataset *ds, const char *series_key,
                       const struct fc_pred *pred);
/* A complete directory of cfg->model (and of series_key when given): the
 * manifest verifies, and its predictions.bin, of the shape out was
 * allocated with, is read into out. -1 after fc_error otherwise. */
int fc_modeldir_verify(const struct fc_config *cfg, const char *mdir, const char *series_key,
                       struct fc_pred *out);
/* Loads cfg->model from mdir for prediction on ds: the manifest verifies,
 * holds that model, and its features are ds's by name and order (ds NULL:
 * no data to match, e.g. verifying a release). NULL after fc_error (bad
 * input: a damaged or mismatched model). */
void *fc_modeldir_load(const struct fc_config *cfg, const struct fc_dataset *ds,
                       const char *mdir, const struct fc_model_ctx *ctx);

/* Writes predictions as CSV: id columns, date, actual (when with_actual),
 * point, q<level>... Quantiles are written sorted per row. path "-" is
 * stdout. */
int fc_predictions_write(const char *path, const struct fc_dataset *ds,
                         const uint32_t *rows, const struct fc_pred *p,
                         const double *levels, int with_actual);
/* The same with a cutoff column after the date (backtests: the last
 * training day of the window that forecast the row; cutoff[i] for row i). */
int fc_predictions_write_cutoffs(const char *path, const struct fc_dataset *ds,
                                 const uint32_t *rows, const struct fc_pred *p,
                                 const double *levels, int with_actual, const int32_t *cutoff);

#endif

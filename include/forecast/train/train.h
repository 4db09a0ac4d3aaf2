/*
 * train.h — strategies: one model over all series (combined) or one per
 * series (individual). Fits through the registry's ops, saves each model with
 * its manifest, predicts the test rows, and scores them with the metrics
 * module. Also the inverse for `predict`: load saved models and predict.
 */
#ifndef FORECAST_TRAIN_H
#define FORECAST_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "forecast/core/config.h"
#include "forecast/data/dataset.h"
#include "forecast/eval/metrics.h"
#include "forecast/core/model.h"
#include "forecast/data/split.h"

struct fc_train_failure {
    uint32_t series;
    char *reason; /* owned */
};

struct fc_train_opts {
    int jobs;         /* individual strategy workers; 0 = number of cores */
    int resume;       /* reuse outputs whose manifest verifies */
    int shard_k;      /* this shard, 0 <= shard_k < shard_n */
    int shard_n;      /* 0: no sharding */
    int merge;        /* train nothing: assemble every shard's outputs */
};

struct fc_train_result {
    struct fc_pred pred;        /* raw predictions for test rows (split order) */
    uint32_t *rows;             /* (pred.n) the rows predicted */
    struct fc_metrics *metrics; /* scored on the series that trained */
    double crossing_rate;       /* before repair */
    size_t n_models;
    struct fc_train_failure *failed;
    size_t n_failed;
    double fit_seconds, predict_seconds; /* summed over models */
    size_t n_resumed;           /* series reused from an earlier attempt */
    int shard_only;             /* a shard's part: no predictions / metrics yet */
};

/* Trains cfg->model with cfg->strategy; writes dir/model/ or
 * dir/series/<key>/ (each with its test predictions and, last, manifest.json),
 * dir/predictions.csv and dir/metrics.json. The individual strategy runs
 * o->jobs workers, one library thread each; a series that fails is recorded
 * and the others go on. With o->resume, model directories whose manifest
 * verifies are reused; with o->shard_n, only the series whose key hashes to
 * shard_k are trained and shards/shard-K-of-N.json is written instead of the
 * run's results; o->merge assembles all shards. Returns 0, or -1 after
 * fc_error (a failure while running). */
int fc_train(const struct fc_config *cfg, const struct fc_dataset *ds,
             const struct fc_split *sp, const char *dir, const struct fc_train_opts *o,
             struct fc_train_result *res);

/* The stable hash that assigns a series key to a shard. */
uint64_t fc_series_hash(const char *key);
void fc_train_result_free(struct fc_train_result *res);

/* Loads the models saved under dir (strategy as trained) and predicts every
 * row of ds into out (rows in dataset order). Model-file problems are bad
 * input: returns -1 after fc_error. */
int fc_predict_saved(const struct fc_config *cfg, const struct fc_dataset *ds,
                     const char *dir, struct fc_pred *out);

/* Writes predictions as CSV: id columns, date, actual (when with_actual),
 * point, q<level>... Quantiles are written sorted per row. path "-" is stdout. */
int fc_predictions_write(const char *path, const struct fc_dataset *ds,
                         const uint32_t *rows, const struct fc_pred *p,
                         const double *levels, int with_actual);

/* Directory name for a series key: characters other than [A-Za-z0-9._:-]
 * are %XX-escaped. Caller frees. */
char *fc_series_dirname(const char *key);

#endif

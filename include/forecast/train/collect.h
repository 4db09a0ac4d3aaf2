/*
 * collect.h — the collector: what a plan's finished jobs add up to. For
 * training: the test predictions of the series that trained, scored by the
 * metrics module, written as the model's predictions.csv and metrics.json
 * (and then the run's reports, fc_collect_reports). For prediction: every
 * job's predictions in row order.
 */
#ifndef FORECAST_COLLECT_H
#define FORECAST_COLLECT_H

#include <stddef.h>
#include <stdint.h>

#include "forecast/eval/metrics.h"
#include "forecast/train/job.h"

struct cJSON;

struct fc_train_failure {
    uint32_t series;
    char *reason; /* owned */
};

/* One model's results in a run. */
struct fc_train_result {
    struct fc_pred pred;        /* test predictions of the series that trained */
    uint32_t *rows;             /* (pred.n) the rows predicted */
    struct fc_metrics *metrics; /* scored on the series that trained */
    double crossing_rate;       /* before repair */
    size_t n_models;
    struct fc_train_failure *failed;
    size_t n_failed;
    double fit_seconds, predict_seconds; /* summed over models */
    size_t n_resumed;           /* models kept from an earlier attempt */
    struct fc_fit_record record; /* a model of every series: its training curves and
                                  * feature importance (empty in the individual strategy) */
};

/* Collects a trained plan into res and writes P->dir/predictions.csv and
 * P->dir/metrics.json. A failed job of all series, or no series trained,
 * is an error (-1 after fc_error). Failures of this process are warned
 * about by series. */
int fc_collect(struct fc_plan *P, struct fc_train_result *res);
void fc_train_result_free(struct fc_train_result *res);

/* Every job's predictions into out (allocated here), in the order of the
 * split's test rows; the first failed job is the error (-1 after fc_error). */
int fc_collect_predictions(const struct fc_plan *P, struct fc_pred *out);

#endif

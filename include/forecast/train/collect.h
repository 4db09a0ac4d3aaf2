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
    double wall_seconds, cpu_seconds;    /* the whole model (every window) in this process:
                                          * elapsed, and CPU time of all threads */
    size_t n_resumed;           /* models kept from an earlier attempt */
    struct fc_fit_record record; /* a model of every series: its training curves and
                                  * feature importance (empty in the individual strategy) */
    /* backtests: metrics is the windows' mean; pred, rows and record are the
     * last window's */
    size_t n_windows;
    struct fc_metrics **window_metrics; /* (n_windows) owned */
    char **window_names;                /* (n_windows) "cutoff-YYYY-MM-DD", owned */
};

/* Collects a trained plan into res and writes P->dir/predictions.csv and
 * P->dir/metrics.json. A failed job of all series, or no series trained,
 * is an error (-1 after fc_error). Failures of this process are warned
 * about by series. */
int fc_collect(struct fc_plan *P, struct fc_train_result *res);
void fc_train_result_free(struct fc_train_result *res);
/* The metrics whose series go with res->pred: res->metrics, or a
 * backtest's last window's. */
const struct fc_metrics *fc_train_result_series_metrics(const struct fc_train_result *res);

/* Backtest windows' results (win[w], oldest first, each collected into
 * dir/<names[w]>) into one: dir/predictions.csv (every window's rows with a
 * cutoff column: cutoffs[w]) and dir/metrics.json ("overall": the windows'
 * means; "windows": each one's). win's contents move into out (the last
 * window's predictions and record; the metrics of each). truth: the data
 * in the target's units. */
int fc_collect_backtest(const struct fc_config *cfg, const char *dir,
                        const struct fc_dataset *truth, struct fc_train_result *win,
                        char *const *names, const int32_t *cutoffs, size_t n,
                        struct fc_train_result *out);

/* Every job's predictions into out (allocated here), in the order of the
 * split's test rows; the first failed job is the error (-1 after fc_error). */
int fc_collect_predictions(const struct fc_plan *P, struct fc_pred *out);

#endif

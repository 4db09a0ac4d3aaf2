/*
 * report.h — report.md: a run's summary as Markdown tables for terminals and
 * CI logs.
 */
#ifndef FORECAST_REPORT_H
#define FORECAST_REPORT_H

#include "forecast/core/config.h"
#include "forecast/data/dataset.h"
#include "forecast/data/split.h"
#include "forecast/train/collect.h"

struct cJSON;

/* Writes path atomically: a leaderboard of the run's models, then a section
 * per model. run is the run.json object; res[k] and model_dirs[k]
 * (<run>/<model>/<strategy>, whose model/feature_importance.csv gives the top
 * features) belong to cfg->models[k]. */
int fc_report_write(const char *path, const struct cJSON *run, const struct fc_config *cfg,
                    const struct fc_dataset *ds, const struct fc_split *sp,
                    const struct fc_train_result *res, const char *const *model_dirs,
                    size_t n);

/* A model's training_curve.csv (<model_dir>/model/), one curve per level
 * for xgboost_quantile's long format, else one: its header names the step
 * ("round" or "epoch"), the train_* and the val_* columns. */
struct fc_curve {
    double level;          /* NAN without a level column */
    char names[3][64];     /* step, train and validation column names */
    size_t n;
    double *step, *train, *val; /* (n); val NAN without validation rows */
    double best_val, best_step; /* lowest validation value and its step; NAN if none */
};

/* 0 with *n >= 1 curves (free with fc_curves_free), -1 when there is no
 * readable curve. */
int fc_curves_read(const char *model_dir, struct fc_curve **out, size_t *n);
void fc_curves_free(struct fc_curve *c, size_t n);

/* ---- report.html: the same content as report.md plus charts (inline SVG
 * written by report_html.c; one self-contained file, readable offline) ---- */

/* plot_skus: series keys to plot (NULL / 0: the best, the worst and the
 * largest by sales of the top-ranked model). */
int fc_report_html_run(const char *path, const struct cJSON *run, const struct fc_config *cfg,
                       const struct fc_dataset *ds, const struct fc_split *sp,
                       const struct fc_train_result *res, const char *const *model_dirs,
                       size_t n, char *const *plot_skus, size_t n_plot);

/* One row of a compare leaderboard, already ranked. */
struct fc_html_entry {
    const char *run, *model, *strategy;
    const struct cJSON *metrics; /* the model's metrics.json */
    size_t wins;
};

int fc_report_html_compare(const char *path, const struct fc_html_entry *e, size_t n,
                           const char *metric, const char *note);

#endif

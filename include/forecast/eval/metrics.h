/*
 * metrics.h — the one module that scores every model. Inputs are plain
 * arrays per series (so the golden tests feed it fixture data directly);
 * undefined values are NAN and become null in JSON. Definitions: README
 * "Metrics".
 */
#ifndef FORECAST_METRICS_H
#define FORECAST_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct cJSON;

/* One series to score. */
struct fc_eval_series {
    const char *key;
    const double *hist;       /* (n_hist) training target in date order */
    const int32_t *hist_date; /* (n_hist) */
    size_t n_hist;
    const double *y;          /* (n) test actuals */
    const int32_t *date;      /* (n) */
    const double *point;      /* (n) or NULL */
    const double *q;          /* (n, n_levels) raw quantile predictions or NULL */
    size_t n;
};

struct fc_series_metrics {
    char *key;
    size_t n;
    double mse, rmse, mae, bias, wape;
    double scale_sq, scale_abs; /* M5 scales from the training history */
    double rmsse, spl;
    double weight;              /* share of sales in the last 28 training days */
    double *pinball;            /* (n_levels) */
};

struct fc_metrics {
    size_t n_levels;
    double *levels;
    int has_point, has_quantiles;
    size_t n;                      /* scored rows */
    /* point */
    double mse, rmse, mae, bias, mape, smape, wape, r2;
    size_t mape_excluded;          /* rows with a zero actual */
    double ic, rank_ic, ic_mean, rank_ic_mean;
    size_t ic_dates, rank_ic_dates;
    double wrmsse, mean_rmsse;
    size_t rmsse_series;
    /* quantile (after repair of crossings) */
    double crossing_rate, mean_pinball, wspl;
    double *pinball, *coverage;    /* (n_levels) */
    size_t n_intervals;
    double *interval_level;        /* (n_intervals) e.g. 0.8 for 0.1 / 0.9 */
    double *interval_coverage, *interval_width;
    /* per series */
    size_t n_series;
    struct fc_series_metrics *series;
};

/* ---- the metric table: every overall metric a model can be ranked by ---- */
struct fc_metric_info {
    const char *name;       /* key in metrics.json "overall", --metric NAME */
    const char *label;      /* for report headings, e.g. "WRMSSE" */
    const char *per_series; /* the per-series metric that counts wins; NULL: none */
    int higher_better;
    const char *aggregate;  /* how the series or rows are pooled, in words */
    size_t offset;          /* of its double in struct fc_metrics */
};
/* In the order of README "Metrics"; ends with a NULL name. */
extern const struct fc_metric_info fc_metric_table[];
/* The entry of name, or NULL. */
const struct fc_metric_info *fc_metric_find(const char *name);
/* The metric's value in m (NAN when undefined). */
double fc_metric_value(const struct fc_metrics *m, const struct fc_metric_info *mi);

/* Scores; last_train_date is the latest training date over all series (the
 * M5 weight window is the 28 days up to it). Caller frees with
 * fc_metrics_free. */
struct fc_metrics *fc_metrics_compute(const struct fc_eval_series *s, size_t n_series,
                                      const double *levels, size_t n_levels,
                                      int32_t last_train_date);
void fc_metrics_free(struct fc_metrics *m);

/* Backtest windows' metrics pooled: each metric of the table (and bias, the
 * per-level pinball and coverage, the intervals) is the mean over the k
 * windows where it is defined; row and date counts are summed; no series
 * (each window keeps its own). The windows share their levels. */
struct fc_metrics *fc_metrics_mean(struct fc_metrics *const *m, size_t k);

/* JSON form (metrics.json); caller deletes. per_series = 0 leaves it out. */
struct cJSON *fc_metrics_to_json(const struct fc_metrics *m, int per_series);

/* Building blocks, exposed for tests. */
double fc_pinball(double y, double q, double level);
double fc_pearson(const double *x, const double *y, size_t n);
double fc_spearman(const double *x, const double *y, size_t n);
/* Average ranks (1-based, ties averaged) of x into r. */
void fc_rank_average(const double *x, size_t n, double *r);
/* Fraction of rows whose quantiles are not non-decreasing; then sorts each row. */
double fc_quantiles_repair(double *q, size_t n, size_t n_levels);

#endif

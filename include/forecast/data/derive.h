/*
 * derive.h — derived features, a stage between the dataset and the split:
 * target lags, rolling and expanding statistics of the target, and calendar
 * fields, computed per series in date order and appended to the dataset's
 * features (config "features"; names lag_28, rolling_mean_7_lag_28,
 * expanding_std_lag_28, cal_dow, ...).
 *
 * Periods. Lags and windows count periods of the data's frequency (daily,
 * weekly or monthly: data.freq, or inferred from the dates), not rows: a
 * series with gaps gets missing values for the periods it lacks, and
 * missing history gives missing values, never zeros.
 *
 * The leakage rule. With an origin (train: the day before split.split_date),
 * no derived value of any row uses a target dated after the origin: a lag
 * or a window whose last period is after the origin's period is missing for
 * that row. Training rows are never affected (their lags end before them);
 * a test row k periods after the origin keeps only its lags >= k.
 */
#ifndef FORECAST_DERIVE_H
#define FORECAST_DERIVE_H

#include <stdint.h>

#include "forecast/core/config.h"
#include "forecast/data/dataset.h"

/* The frequency the features count in: freq itself, or (AUTO) monthly when
 * every date is the first of its month, weekly when every series' dates are
 * a multiple of 7 days apart, else daily. */
enum fc_freq fc_derive_freq(const struct fc_dataset *ds, enum fc_freq freq);
const char *fc_freq_name(enum fc_freq freq);
/* The frequency fc_freq_name calls name ("daily", "weekly", "monthly"), or
 * FC_FREQ_AUTO for anything else (a model file's freq is then refused). */
enum fc_freq fc_freq_of_name(const char *name);
/* Periods per season of a frequency: daily 7, weekly 52, monthly 12 (the
 * seasonal baselines' default). */
int fc_freq_season(enum fc_freq freq);
/* The period of a day (freq not AUTO): the day, its 7-day block since
 * 1970-01-01, or year * 12 + month - 1. */
int64_t fc_derive_period(int32_t day, enum fc_freq freq);
/* The first day of a period (freq not AUTO). */
int32_t fc_derive_period_start(int64_t period, enum fc_freq freq);
/* Periods of freq (not AUTO) from day a to day b. */
long fc_derive_periods(enum fc_freq freq, int32_t a, int32_t b);

/* One observation of a series: its period and target. */
struct fc_obs {
    int64_t period;
    double y;
};
/* The targets of rows[0..n) and more[0..n_more) of ds grouped by series —
 * series s's in (*obs)[(*off)[s] .. (*off)[s + 1]) — each series in period
 * order of freq: what the per-series models (baselines, ets) read. Caller
 * frees *obs and *off. */
void fc_derive_series_obs(const struct fc_dataset *ds, const uint32_t *rows, size_t n,
                          const uint32_t *more, size_t n_more, enum fc_freq freq,
                          struct fc_obs **obs, size_t **off);

/* Appends the features f asks for to ds (ds->n_derived of them); *freq:
 * the frequency asked for, AUTO replaced by the one inferred. has_origin:
 * origin is the last day whose target may be used. 0, or -1 after fc_error:
 * a derived name that is already a column, or two rows of a series in one
 * period of the frequency. */
int fc_derive(struct fc_dataset *ds, const struct fc_feature_spec *f, enum fc_freq *freq,
              int has_origin, int32_t origin);
/* The same from another target column (n_rows of ds; the transformed
 * target, transform.h). */
int fc_derive_from(struct fc_dataset *ds, const float *target, const struct fc_feature_spec *f,
                   enum fc_freq *freq, int has_origin, int32_t origin);
/* The same with an origin per series (origins: n_series days, e.g. each
 * series' last date when forecasting past the data). */
int fc_derive_origins(struct fc_dataset *ds, const float *target,
                      const struct fc_feature_spec *f, enum fc_freq *freq, int has_origin,
                      int32_t origin, const int32_t *origins);

/* The target-based features (lags, then windows: f->n_lags + f->n_windows
 * values into out) of the row at position i of one series, from its
 * targets y (NAN: missing or not known yet) and periods p of positions
 * 0..i: bit for bit what fc_derive computes for that row without an origin.
 * vals, buf: scratch of i doubles each. What a recursive forecast uses
 * after filling y with the earlier steps' predictions. */
void fc_derive_row(const struct fc_feature_spec *f, const float *y, const int64_t *p, size_t i,
                   float *out, double *vals, double *buf);

#endif

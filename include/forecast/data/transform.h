/*
 * transform.h — target transforms (config "target_transform") and the
 * non-negativity of forecasts (config "nonnegative").
 *
 * The models fit and predict a transformed target; the collector maps their
 * predictions back before anything is scored or written:
 *   none         y
 *   log1p        log(1 + y), inverted by exp(p) - 1; needs y > -1
 *   local_scale  (y - mean_s) / sd_s, with the mean and population sd of
 *                series s's training rows (sd 0 -> 1), inverted by p * sd_s +
 *                mean_s
 *   difference   y - y[k periods back] (missing without that period: such
 *                rows are not fitted), inverted by adding the level k periods
 *                back: the actual target when it is history, else the
 *                forecast of that period (the point forecast's path)
 * The first two maps are increasing, so quantiles map to quantiles exactly
 * and their order is kept; a difference's quantiles are shifted by the level,
 * exact while that level is known (steps <= k), on the point path after. Derived features are computed from the transformed target.
 * nonnegative (auto: when no training target is negative) clips point and
 * quantile predictions at 0 after the inversion.
 *
 * The parameters are fitted on the training part only (rows before the
 * split date), saved as the run's transform.json and applied again by
 * predict.
 */
#ifndef FORECAST_TRANSFORM_H
#define FORECAST_TRANSFORM_H

#include <stddef.h>
#include <stdint.h>

#include "forecast/core/config.h"
#include "forecast/core/model.h"
#include "forecast/data/dataset.h"
#include "forecast/data/split.h"

struct cJSON;

struct fc_transform {
    enum fc_target_transform kind;
    int clip;          /* predictions clipped at 0 */
    size_t n_series;   /* of the dataset it was fitted on */
    char **keys;       /* (n_series) series keys (local_scale), owned */
    double *mean, *sd; /* (n_series) local_scale */
    float *target;     /* (n_rows) the transformed target of the dataset applied to */
    int difference;    /* difference: k */
    enum fc_freq freq; /* difference: the periods k counts */
    int32_t origin;    /* difference: the last day whose target is history (fit: the
                        * day before the split date; new data: every day) */
};

/* Fits the transform on the training rows of sp (rows before each used
 * series' test part) and applies it to ds into t->target. -1 after
 * fc_error: a target <= -1 under log1p. */
int fc_transform_fit(struct fc_transform *t, const struct fc_config *cfg,
                     const struct fc_dataset *ds, const struct fc_split *sp);
/* Applies a saved transform to new data (predict): -1 after fc_error when a
 * series has no scale. */
int fc_transform_apply(struct fc_transform *t, const struct fc_dataset *ds);
/* p's rows (indices into ds, in series and date order; ds: the target in
 * its own units) back to the target's units, then clipped. levels: the
 * levels of p's quantiles. */
void fc_transform_invert(const struct fc_transform *t, const struct fc_dataset *ds,
                         const uint32_t *rows, struct fc_pred *p, const double *levels);
/* A view of ds whose target is t->target (shallow: ds owns the rest). */
struct fc_dataset fc_transform_view(const struct fc_transform *t, const struct fc_dataset *ds);

/* transform.json, and back (path for messages; -1 after fc_error). */
struct cJSON *fc_transform_to_json(const struct fc_transform *t);
int fc_transform_from_json(struct fc_transform *t, const struct cJSON *j, const char *path);
void fc_transform_free(struct fc_transform *t);

#endif

/*
 * recursive.h — recursive multi-step forecasts (multi_step "recursive").
 *
 * One model forecasts every step of a horizon: the rows one period after
 * their series' origin first, then the rows two periods after, and so on.
 * Before each step, the target-based derived features of its rows (lags,
 * rolling and expanding statistics) are computed again from the series'
 * targets up to its origin and the predictions of the earlier steps in
 * place of the targets after it: no row ever sees a target after its
 * origin, and no lag is missing because the origin is near.
 */
#ifndef FORECAST_RECURSIVE_H
#define FORECAST_RECURSIVE_H

#include <stddef.h>
#include <stdint.h>

#include "forecast/core/config.h"
#include "forecast/core/model.h"
#include "forecast/data/dataset.h"

struct fc_recursion {
    const struct fc_feature_spec *features; /* the derived features of ds */
    enum fc_freq freq;                      /* their periods (not AUTO) */
    int32_t origin;           /* the last day whose target is known ... */
    const int32_t *origins;   /* ... or one per series of ds (NULL: origin) */
    const double *quantiles;  /* the levels of the predictions' q columns */
};

/* Whether a model forecasting with these features needs the steps: it
 * reads features, and some derived feature reads the target. */
int fc_recursion_needed(const struct fc_feature_spec *f, const struct fc_model_ops *ops);

/* Predicts rows of ds (whole series' rows after their origin, in series
 * and date order) step by step with model, filling out (allocated by the
 * caller, as for ops->predict). The step's prediction fed back is the point
 * forecast, or the quantile level nearest 0.5 of a quantile-only model.
 * 0, or -1 after fc_error (the model's). */
int fc_recursive_predict(const struct fc_recursion *rec, const struct fc_model_ops *ops,
                         void *model, const struct fc_dataset *ds, const uint32_t *rows,
                         size_t n, struct fc_pred *out);

#endif

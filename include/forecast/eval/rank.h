/*
 * rank.h — the one ranking of models, used by report.md, report.html and
 * compare: by a metric of the table (metrics.h) in its direction, undefined
 * values last, ties in the given order. When no metric is asked, the first
 * of WRMSSE, WSPL and mean pinball that every model has.
 */
#ifndef FORECAST_RANK_H
#define FORECAST_RANK_H

#include <stddef.h>

#include "forecast/eval/metrics.h"

/* The value of metric mi for entry k of the caller's list (NAN: undefined). */
typedef double fc_rank_value_fn(const void *ctx, size_t k, const struct fc_metric_info *mi);

/* The default metric for ranking these n entries. */
const struct fc_metric_info *fc_rank_default(size_t n, fc_rank_value_fn *value, const void *ctx);
/* order[r] = the entry of rank r + 1 (order has n slots). */
void fc_rank(size_t n, const struct fc_metric_info *by, fc_rank_value_fn *value,
             const void *ctx, size_t *order);

/* fc_rank_value_fn over an array of struct fc_metrics pointers (ctx). */
double fc_rank_value_of_metrics(const void *ctx, size_t k, const struct fc_metric_info *mi);

#endif

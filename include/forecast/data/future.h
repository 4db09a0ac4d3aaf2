/*
 * future.h — the periods after the data, for `forecast predict --horizon H`:
 * a dataset of the history and, per series, H new rows dated the H periods
 * after its last date (days, weeks, or months: the run's frequency), with no
 * target. Their feature columns (known-future covariates such as price or
 * promo) come from a second file (--future), matched by series and date;
 * the derived features are computed afterwards from the history alone.
 */
#ifndef FORECAST_FUTURE_H
#define FORECAST_FUTURE_H

#include <stddef.h>
#include <stdint.h>

#include "forecast/core/config.h"
#include "forecast/data/dataset.h"
#include "forecast/data/split.h"

/* The day k periods after day (k >= 1); monthly keeps the day of the month
 * (the 31st becomes the month's last day). */
int32_t fc_future_date(int32_t day, int k, enum fc_freq freq);

/* hist extended by horizon rows per series (hist has no derived features
 * yet). future (may be NULL) gives those rows' feature columns; without it,
 * a history with feature columns is an error naming them when need_features
 * (else they are missing), as is a series or date future lacks. origins: (n_series, caller frees) each series' last
 * history date. NULL after fc_error. */
struct fc_dataset *fc_future_extend(const struct fc_dataset *hist, int horizon,
                                    enum fc_freq freq, const struct fc_dataset *future,
                                    const char *future_path, int need_features,
                                    int32_t **origins);

/* The split whose test rows are the new rows of an extended dataset. */
void fc_future_split(const struct fc_dataset *ext, int horizon, struct fc_split *out);

#endif

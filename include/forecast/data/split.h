/*
 * split.h — train / validation / test by date, per series. Rows of a series
 * are contiguous and date-sorted in the dataset, so each part is a row range:
 *   fit   = [train_begin, val_begin)   used to fit
 *   val   = [val_begin, test_begin)    validation window (early stopping)
 *   test  = [test_begin, test_end)     scored
 * fit + val together are the training history (everything before split_date).
 */
#ifndef FORECAST_SPLIT_H
#define FORECAST_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "forecast/core/config.h"
#include "forecast/data/dataset.h"

struct fc_split_series {
    uint32_t series; /* index into the dataset's series */
    size_t train_begin, val_begin, test_begin, test_end;
};

struct fc_split_skip {
    uint32_t series;
    char *reason;    /* owned */
};

struct fc_split {
    struct fc_split_series *used; /* (n_used) in dataset series order */
    size_t n_used;
    struct fc_split_skip *skipped; /* (n_skipped) too little data, with the reason */
    size_t n_skipped;
    int32_t last_train_date; /* latest date before split_date over used series */
    size_t n_fit, n_val, n_test; /* row totals */
};

/* Selects series (keys like "80558:2"; n_keys = 0: all) and splits them.
 * Unknown keys and "nothing left" are errors (-1 after fc_error). */
int fc_split_make(const struct fc_dataset *ds, const struct fc_split_spec *spec,
                  char *const *keys, size_t n_keys, struct fc_split *out);
/* Backtest windows (spec->windows of spec->horizon periods, origins
 * spec->step periods apart): the first test day of each, oldest first, into
 * dates. The last window starts at spec->split_date, or (none given) its
 * periods end with the data's last date before test_end. -1 after fc_error. */
int fc_split_windows(const struct fc_dataset *ds, const struct fc_split_spec *spec,
                     int32_t *dates);
/* Every series, every row a test row (what `predict` predicts). */
void fc_split_all(const struct fc_dataset *ds, struct fc_split *out);
void fc_split_free(struct fc_split *sp);

/* Row lists of one part over all used series, concatenated in series order.
 * part: 0 fit, 1 val, 2 test. Caller frees. */
uint32_t *fc_split_rows(const struct fc_split *sp, int part, size_t *n);

/* The summed weights of the fit rows of n used series (1 per row without a
 * weight column): 0 means the fit has nothing to learn from. */
double fc_split_fit_weight(const struct fc_dataset *ds, const struct fc_split_series *used,
                           size_t n);

#endif

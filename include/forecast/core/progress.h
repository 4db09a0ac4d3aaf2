/*
 * progress.h — progress of many models (or one model's rounds) on stderr: on a terminal one live
 * line (done / total, models per second, ETA) redrawn at most ten times a
 * second; otherwise a plain line every few seconds; nothing when quiet.
 * Thread-safe: workers call fc_progress_add.
 */
#ifndef FORECAST_PROGRESS_H
#define FORECAST_PROGRESS_H

#include <stddef.h>

struct fc_progress;

/* label: e.g. "xgboost_quantile (individual)"; total: models to train. */
struct fc_progress *fc_progress_new(const char *label, size_t total, int quiet);
/* One model's rounds or epochs (the combined strategy): the same line in
 * unit ("rounds", "epochs"); shown at the default verbosity only (with
 * --verbose the model prints its own lines, without it nothing). */
struct fc_progress *fc_progress_steps(const char *label, size_t total, const char *unit);
/* n of the planned steps will not run (early stopping). */
void fc_progress_skip(struct fc_progress *p, size_t n);
/* n more models finished (failed counts too: they are done). */
void fc_progress_add(struct fc_progress *p, size_t n, int failed);
/* Prints the final line and frees p (NULL allowed). */
void fc_progress_end(struct fc_progress *p);

#endif

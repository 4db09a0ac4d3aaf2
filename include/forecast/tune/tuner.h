/*
 * tuner.h — the loop of a tuning study: ask the study for a trial (the
 * sampler's point), evaluate it fold by fold (the command's objective),
 * stop it early when the median pruner says so, tell the study. Several
 * processes may run the loop on one study at once.
 */
#ifndef FORECAST_TUNE_TUNER_H
#define FORECAST_TUNE_TUNER_H

#include <stddef.h>
#include <stdint.h>

#include "forecast/tune/sampler.h"
#include "forecast/tune/space.h"
#include "forecast/tune/study.h"

/* The objective of fold k at point x of trial number: *value, lower is
 * better. 0, or -1 after fc_error (the trial fails with that message). */
typedef int fc_tune_fold_fn(void *arg, long number, const double *x, size_t k, double *value);

struct fc_tuner {
    struct fc_study *study;
    const struct fc_space *space;
    enum fc_sampler_kind sampler;
    struct fc_tpe_options tpe;
    uint64_t seed;
    long n_trials;
    size_t n_folds;
    int prune;              /* median pruning after each fold but the last */
    size_t prune_startup;   /* complete trials before pruning starts (5) */
    double deadline;        /* fc_now() after which no trial starts; 0: none */
    int workers;            /* processes on the study, for the ETA */
    double sign;            /* the metric's value = sign * the objective (-1: higher is
                             * better, the study minimises its negation); for messages */
    fc_tune_fold_fn *fold;
    void *fold_arg;
};

/* Runs trials until the study has n_trials (or the deadline passes).
 * Returns 0, or -1 after fc_error when the study itself failed (a trial's
 * failure is recorded in the study, not returned). */
int fc_tuner_run(const struct fc_tuner *t);

/* Median pruning: whether a trial whose mean over its first k + 1 folds is
 * mean should stop, against the complete trials among t[n] (at least
 * startup of them, else never). */
int fc_median_prune(const struct fc_trial *t, size_t n, size_t k, double mean, size_t startup);

/* The best complete trial among t[n] (lowest objective, the earliest of
 * equals), or NULL. */
const struct fc_trial *fc_trials_best(const struct fc_trial *t, size_t n);

#endif

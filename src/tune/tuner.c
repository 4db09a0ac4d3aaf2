/*
 * tuner.c — the loop of a tuning study (tuner.h): ask, evaluate fold by
 * fold with median pruning, tell; a progress line per trial.
 */
#include "forecast/tune/tuner.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/util.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int fc_median_prune(const struct fc_trial *t, size_t n, size_t k, double mean, size_t startup)
{
    double *v = xmalloc((n ? n : 1) * sizeof *v);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (t[i].state == FC_TRIAL_COMPLETE && t[i].n_folds > k)
            v[m++] = fc_folds_mean(t[i].folds, k + 1);
    int prune = 0;
    if (m >= startup && m > 0) {
        qsort(v, m, sizeof *v, cmp_double);
        double median = m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
        prune = !(mean <= median); /* NAN is worse than anything */
    }
    free(v);
    return prune;
}

const struct fc_trial *fc_trials_best(const struct fc_trial *t, size_t n)
{
    const struct fc_trial *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (t[i].state == FC_TRIAL_COMPLETE && isfinite(t[i].objective) &&
            (!best || t[i].objective < best->objective))
            best = &t[i];
    return best;
}

/* the sampler behind the study's ask */
static int sample(void *arg, long number, const struct fc_trial_obs *obs, size_t n_obs,
                  const double *const *taken, size_t n_taken, double *x)
{
    const struct fc_tuner *t = arg;
    switch (t->sampler) {
    case FC_SAMPLER_RANDOM:
        fc_random_suggest(t->space, t->seed, (uint64_t)number, x);
        return 0;
    case FC_SAMPLER_GRID: {
        size_t g = fc_space_grid_size(t->space, (size_t)1 << 20);
        return fc_grid_suggest(t->space, g, taken, n_taken, t->seed, x) ? 1 : 0;
    }
    default:
        fc_tpe_suggest(t->space, obs, n_obs, &t->tpe, t->seed, (uint64_t)number, x);
        return 0;
    }
}

static void progress(const struct fc_tuner *t, long number, const char *what)
{
    struct fc_trial *all = NULL;
    size_t n = 0;
    if (fc_study_trials(t->study, &all, &n))
        return;
    size_t done = 0;
    double spent = 0;
    for (size_t i = 0; i < n; i++)
        if (!all[i].abandoned && all[i].state >= FC_TRIAL_COMPLETE) {
            done++;
            spent += isfinite(all[i].duration) ? all[i].duration : 0;
        }
    const struct fc_trial *best = fc_trials_best(all, n);
    char eta[64] = "";
    long left = t->n_trials - (long)done;
    if (done && left > 0)
        snprintf(eta, sizeof eta, ", ETA %.0f s",
                 spent / (double)done * (double)left / (t->workers > 0 ? t->workers : 1));
    char b[96] = "no complete trial yet";
    if (best)
        snprintf(b, sizeof b, "best %.6g (trial %ld)", t->sign * best->objective, best->number);
    fc_info(1, "trial %ld %s; %zu / %ld done, %s%s", number, what, done, t->n_trials, b, eta);
    fc_trials_free(all, n);
}

/* one trial: its folds, pruned or failed on the way; 0, or -1 when the
 * study could not record it */
static int run_trial(const struct fc_tuner *t, long number, const double *x)
{
    double *folds = xcalloc(t->n_folds, sizeof *folds);
    size_t k;
    enum fc_trial_state state = FC_TRIAL_COMPLETE;
    char *error = NULL;
    for (k = 0; k < t->n_folds; k++) {
        double v;
        if (t->fold(t->fold_arg, number, x, k, &v)) {
            error = xstrdup(fc_last_error);
            state = FC_TRIAL_FAILED;
            break;
        }
        folds[k] = v;
        if (fc_study_report(t->study, number, folds, k + 1)) {
            free(folds);
            return -1;
        }
        if (!t->prune || k + 1 == t->n_folds)
            continue;
        struct fc_trial *all = NULL;
        size_t n = 0;
        if (fc_study_trials(t->study, &all, &n)) {
            free(folds);
            return -1;
        }
        int stop = fc_median_prune(all, n, k, fc_folds_mean(folds, k + 1), t->prune_startup);
        fc_trials_free(all, n);
        if (stop) {
            state = FC_TRIAL_PRUNED;
            k++;
            break;
        }
    }
    double objective = state == FC_TRIAL_COMPLETE ? fc_folds_mean(folds, t->n_folds) : NAN;
    int rc = fc_study_tell(t->study, number, state, folds, k, objective, error);
    if (rc == 0) {
        char what[512];
        if (state == FC_TRIAL_COMPLETE)
            snprintf(what, sizeof what, "complete: %.6g", t->sign * objective);
        else if (state == FC_TRIAL_PRUNED)
            snprintf(what, sizeof what, "pruned after fold %zu (mean %.6g)", k,
                     t->sign * fc_folds_mean(folds, k));
        else
            snprintf(what, sizeof what, "failed: %s", error);
        progress(t, number, what);
    }
    free(error);
    free(folds);
    return rc;
}

int fc_tuner_run(const struct fc_tuner *t)
{
    double *x = xcalloc(t->space->n ? t->space->n : 1, sizeof *x);
    int rc = 0;
    for (;;) {
        if (t->deadline > 0 && fc_now() >= t->deadline) {
            fc_info(1, "--timeout: no new trial starts after the deadline");
            break;
        }
        long number;
        int got = fc_study_ask(t->study, t->space, t->n_trials, sample, (void *)t, &number, x);
        if (got < 0) {
            rc = -1;
            break;
        }
        if (got == 0)
            break;
        if (run_trial(t, number, x)) {
            rc = -1;
            break;
        }
    }
    free(x);
    return rc;
}

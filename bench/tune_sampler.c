/*
 * tune_sampler.c — bench/tune.sh's timing program for the sampler: a study
 * in SQLite (study.db, as forecast tune keeps it) over xgboost_standard's
 * default space, trials asked and told one after the other with a cheap
 * synthetic objective, and the time of each ask (the study's transaction,
 * reading every trial, the TPE proposal) around trial N.
 *
 *   build/bench/tune_sampler N DIR   prints {"trials": N, "ask_ms_median": ...}
 *                                    for the asks of trials N - 10 .. N + 10
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/registry.h"
#include "forecast/core/util.h"
#include "forecast/tune/sampler.h"
#include "forecast/tune/space.h"
#include "forecast/tune/study.h"

static const char *origin(const char *path, const void *arg)
{
    (void)path;
    return arg;
}

static int tpe(void *arg, long number, const struct fc_trial_obs *obs, size_t n_obs,
               const double *const *taken, size_t n_taken, double *x)
{
    (void)taken, (void)n_taken;
    fc_tpe_suggest(arg, obs, n_obs, &fc_tpe_defaults, 42, (uint64_t)number, x);
    return 0;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: tune_sampler N DIR\n");
        return 2;
    }
    long n = atol(argv[1]);
    struct fc_space sp;
    if (fc_space_build(&sp, fc_registry_find("xgboost_standard"), NULL, 0, NULL, origin, "-")) {
        fc_error_report();
        return 1;
    }
    char *db = fc_xasprintf("%s/study.db", argv[2]);
    struct fc_study st;
    cJSON *meta = cJSON_CreateObject();
    if (fc_study_create(&st, db, meta, sp.n)) {
        fc_error_report();
        return 1;
    }
    double *x = xcalloc(sp.n, sizeof *x), times[21];
    size_t nt = 0;
    for (long i = 0; i < n + 11; i++) {
        long num;
        double t0 = fc_now();
        if (fc_study_ask(&st, &sp, n + 11, tpe, &sp, &num, x) != 1) {
            fc_error_report();
            return 1;
        }
        double dt = fc_now() - t0;
        if (i >= n - 10 && nt < 21)
            times[nt++] = dt * 1e3;
        /* the objective Optuna's side evaluates too: a shifted bowl in the
         * parameters' sampling scale */
        double v = 0;
        for (size_t d = 0; d < sp.n; d++) {
            double t = sp.dims[d].log ? log(x[d]) : x[d];
            double lo = sp.dims[d].log ? log(sp.dims[d].lo) : sp.dims[d].lo;
            double hi = sp.dims[d].log ? log(sp.dims[d].hi) : sp.dims[d].hi;
            double u = (t - lo) / (hi - lo) - 0.3;
            v += u * u;
        }
        if (fc_study_tell(&st, num, FC_TRIAL_COMPLETE, &v, 1, v, NULL)) {
            fc_error_report();
            return 1;
        }
    }
    qsort(times, nt, sizeof *times, cmp);
    printf("{\"trials\": %ld, \"ask_ms_median\": %.4f}\n", n, times[nt / 2]);
    fc_study_close(&st);
    cJSON_Delete(meta);
    free(x);
    free(db);
    fc_space_free(&sp);
    return 0;
}

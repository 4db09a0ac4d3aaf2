/*
 * train_distributed.c — `forecast train --distributed` (train_distributed.h):
 * the place hook that keeps this worker's series, the agreement between
 * the workers, the planner of the collective job and the gather, and the
 * workers' common outcome.
 */
#define _XOPEN_SOURCE 700 /* mkdtemp */
#include "forecast/cli/train_distributed.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/hash.h"
#include "forecast/core/util.h"
#include "forecast/data/derive.h"
#include "forecast/dist/collective.h"
#include "forecast/store/modeldir.h"
#include "forecast/store/store.h"
#include "forecast/train/gather.h"

struct fc_train_dist {
    struct fc_dist d;
    int64_t *task;           /* (world) each rank's task id, for messages */
    uint64_t *orig;          /* (this worker's series) their index in the whole data */
    uint64_t total_rows, total_series;
    char first[11], last[11];
    uint64_t *rows, *series; /* (world) each worker's share */
    struct fc_gathered g;
    int training;            /* past fc_train_dist_opened: the workers are in the models
                              * stage, where they meet only inside the planner */
    int gathered;            /* the planner's gather done: they meet again at the end */
};

static int dist_place(struct fc_train_run *R);

/* "worker 1 (task 0)" */
static const char *who(const struct fc_train_dist *T, int rank, char *buf, size_t n)
{
    snprintf(buf, n, "worker %d (task %lld)", rank, (long long)T->task[rank]);
    return buf;
}

int fc_train_dist_start(struct fc_train_run *R)
{
    struct fc_train_dist *T = xcalloc(1, sizeof *T);
    const char *t = getenv("FORECAST_DIST_TIMEOUT");
    long timeout = 600;
    if (t && (fc_parse_long(t, &timeout) || timeout < 1 || timeout > 86400)) {
        free(T);
        return fc_error("FORECAST_DIST_TIMEOUT=\"%s\": expected seconds, 1..86400", t);
    }
    if (fc_dist_init(&T->d, (int)timeout)) {
        free(T);
        return -1;
    }
    size_t W = (size_t)T->d.world;
    T->task = xcalloc(W, sizeof *T->task);
    T->rows = xcalloc(W, sizeof *T->rows);
    T->series = xcalloc(W, sizeof *T->series);
    /* each rank's task id, for messages (the tracker chooses the ranks) */
    uint64_t *task = xcalloc(W, sizeof *task);
    const char *id = getenv("DMLC_TASK_ID");
    id = id ? id : getenv("SLURM_PROCID");
    id = id ? id : getenv("JOB_COMPLETION_INDEX");
    long v = 0;
    task[T->d.rank] = id && fc_parse_long(id, &v) == 0 && v >= 0 ? (uint64_t)v : 0;
    int rc = fc_dist_sum_u64(task, W);
    for (size_t r = 0; r < W; r++)
        T->task[r] = (int64_t)task[r];
    free(task);
    R->dist = T;
    R->place = dist_place;
    if (rc)
        fc_train_dist_end(R, FC_EXIT_FAILURE);
    return rc ? -1 : 0;
}

/* the shortest lag of the target the derived features read (INT_MAX: none) */
static int shortest_lag(const struct fc_config *c)
{
    int s = INT_MAX;
    for (size_t k = 0; k < c->features.n_lags; k++)
        s = c->features.lags[k] < s ? c->features.lags[k] : s;
    for (size_t k = 0; k < c->features.n_windows; k++)
        s = c->features.windows[k].lag < s ? c->features.windows[k].lag : s;
    return s;
}

/* What a distributed run cannot do yet: bad input, before anything else. */
static int refuse(const struct fc_train_run *R)
{
    const struct fc_config *c = &R->cfg;
    if (c->n_models > 1)
        return fc_error("--distributed: one model per run (%zu given); train each with its own "
                        "run",
                        c->n_models);
    if (c->strategy != FC_COMBINED)
        return fc_error("--distributed: trains one combined model over every worker's series "
                        "(strategy is \"%s\"; the individual strategy scales out with --shard)",
                        fc_strategy_name(c->strategy));
    const struct fc_model_choice *mc = &c->models[0];
    if (!(mc->ops->flags & FC_MODEL_DISTRIBUTED))
        return fc_error("--distributed: model %s cannot train across workers (those that "
                        "can: xgboost_standard, xgboost_quantile, random_forest)",
                        mc->ops->name);
    for (size_t i = 0; i < mc->params.n; i++)
        if (strcmp(mc->params.specs[i].name, "tree_method") == 0 &&
            strcmp(mc->params.values[i].str, "exact") == 0)
            return fc_error("--distributed: models.%s.tree_method \"exact\" is not distributed "
                            "(XGBoost's distributed training builds histograms: hist or approx)",
                            mc->ops->name);
    if (!c->split.has_split_date)
        return fc_error("--distributed: needs a test period (split.split_date or "
                        "--split-date); production runs are not distributed");
    if (c->horizon && c->multi_step == FC_MULTI_RECURSIVE && shortest_lag(c) < c->horizon)
        return fc_error("--distributed: recursive multi-step forecasts are not distributed "
                        "(features: a lag of %d periods is shorter than the horizon, %d; the "
                        "workers would predict different numbers of steps): use lags of at "
                        "least the horizon",
                        shortest_lag(c), c->horizon);
    if (c->split.windows)
        return fc_error("--distributed: backtest windows (split.windows) are not distributed; "
                        "train without split.windows");
    if (c->n_skus)
        return fc_error("--distributed: series selection (series / --sku) is not distributed; "
                        "every worker keeps the series its rank owns");
    if (c->features.n_categorical)
        return fc_error("--distributed: features.categorical is not distributed (each worker "
                        "would code the categories of its own series)");
    if (c->target_transform == FC_TT_LOCAL_SCALE)
        return fc_error("--distributed: target_transform \"local_scale\" is not distributed "
                        "(its per-series scales would be rank 0's only in transform.json)");
    return 0;
}

/* The place hook: this worker's series only (the --shard rule: the key's
 * FNV-1a hash modulo the number of workers). */
static int dist_place(struct fc_train_run *R)
{
    struct fc_train_dist *T = R->dist;
    struct fc_dataset *ds = R->ds;
    if (refuse(R))
        return -1;
    T->total_rows = ds->n_rows;
    T->total_series = ds->n_series;
    fc_dataset_date_range(ds, T->first, T->last);
    unsigned char *keep = xcalloc(ds->n_series ? ds->n_series : 1, 1);
    size_t n = 0;
    for (size_t s = 0; s < ds->n_series; s++) {
        keep[s] = fc_series_hash(ds->series_key[s]) % (uint64_t)T->d.world ==
                  (uint64_t)T->d.rank;
        n += keep[s];
    }
    char w[64];
    if (n == 0) {
        free(keep);
        return fc_error("--distributed: %s owns none of the %zu series of %s (fewer series "
                        "than workers?)",
                        who(T, T->d.rank, w, sizeof w), ds->n_series, ds->path);
    }
    T->orig = xmalloc(n * sizeof *T->orig);
    for (size_t s = 0, k = 0; s < ds->n_series; s++)
        if (keep[s])
            T->orig[k++] = s;
    R->ds = fc_dataset_keep_series(ds, keep);
    free(keep);
    R->scratch = T->d.rank != 0;
    fc_info(1, "%s of %d: %zu of %zu series, %zu of %zu rows", who(T, T->d.rank, w, sizeof w),
            T->d.world, R->ds->n_series, (size_t)T->total_series, R->ds->n_rows,
            (size_t)T->total_rows);
    if (T->d.rank != 0 && fc_verbosity < 2)
        fc_verbosity = 0; /* rank 0 tells the run; the others only warn and fail */
    return 0;
}

/* nonnegative auto: no training target below 0 over every worker's series,
 * as one process decides it over all series */
static int agree_clip(struct fc_train_run *R)
{
    if (R->cfg.nonnegative >= 0)
        return 0;
    struct fc_train_window *W = R->W;
    double lowest = INFINITY;
    for (size_t i = 0; i < W->sp.n_used; i++)
        for (size_t r = W->sp.used[i].train_begin; r < W->sp.used[i].test_begin; r++)
            lowest = R->ds->target[r] < lowest ? R->ds->target[r] : lowest;
    double v = -lowest;
    if (fc_dist_max_f64(&v, 1))
        return -1;
    W->tf.clip = !(-v < 0);
    W->have_tf = W->tf.kind != FC_TT_NONE || W->tf.clip;
    return 0;
}

/* the three things the workers must agree on, as digests */
static void fingerprints(const struct fc_train_run *R, char out[3][65])
{
    char *cfg = cJSON_PrintUnformatted(R->cfg.json);
    fc_sha256_buf(cfg, strlen(cfg), out[0]);
    free(cfg);
    char *data = fc_xasprintf("%s|%s", R->ds->sha256, R->ds->target_sha256);
    fc_sha256_buf(data, strlen(data), out[1]);
    free(data);
    struct fc_buf b;
    fc_buf_init(&b);
    const struct fc_train_window *W = R->W;
    for (size_t j = 0; j < W->ds->n_features; j++)
        fc_buf_printf(&b, "%s\n", W->ds->feature_names[j]);
    fc_buf_printf(&b, "freq %s split %ld transform %d clip %d",
                  fc_freq_name(R->cfg.data.freq), (long)W->split_date, (int)W->tf.kind,
                  W->tf.clip);
    fc_sha256_buf(b.s, b.len, out[2]);
    fc_buf_free(&b);
}

int fc_train_dist_agree(struct fc_train_run *R, int inputs_ok)
{
    struct fc_train_dist *T = R->dist;
    int bad;
    char w[64];
    int rc = fc_dist_all_ok(&T->d, inputs_ok, &bad);
    if (rc < 0 || !inputs_ok)
        return -1; /* this worker's own error says why */
    if (rc == 0)
        return fc_error("--distributed: %s could not read its inputs (its own message says "
                        "why); nothing was written",
                        who(T, bad, w, sizeof w));
    if (agree_clip(R))
        return -1;
    /* every lag at least the horizon: the test rows' features are complete at
     * the origin, and one prediction per worker gives what the step-by-step
     * one would (bit for bit, recursive.h), without a number of steps that
     * may differ between workers */
    R->W->recursive = 0;
    char mine[3][65], zero[3][65];
    fingerprints(R, mine);
    memcpy(zero, mine, sizeof zero);
    size_t W = (size_t)T->d.world;
    uint64_t *mask = xcalloc(W, sizeof *mask);
    T->rows[T->d.rank] = R->ds->n_rows;
    T->series[T->d.rank] = R->ds->n_series;
    rc = fc_dist_broadcast(zero, sizeof zero, 0);
    for (int k = 0; k < 3; k++)
        mask[T->d.rank] |= (uint64_t)(memcmp(zero[k], mine[k], 65) != 0) << k;
    /* fit rows everywhere, validation and test rows everywhere or nowhere:
     * else the workers' XGBoost calls would not pair up */
    const struct fc_split *sp = &R->W->sp;
    mask[T->d.rank] |= (uint64_t)(sp->n_fit == 0) << 3 | (uint64_t)(sp->n_val > 0) << 4 |
                       (uint64_t)(sp->n_test > 0) << 5;
    if (rc == 0)
        rc = fc_dist_sum_u64(mask, W) || fc_dist_sum_u64(T->rows, W) ||
             fc_dist_sum_u64(T->series, W) ? -1 : 0;
    struct fc_buf b;
    fc_buf_init(&b);
    static const char *const what[] = {"config (flags, config file, --set)", "data file",
                                       "features or split"};
    for (size_t r = 1; rc == 0 && r < W; r++) {
        if (!(mask[r] & 7))
            continue;
        fc_buf_printf(&b, "%s%s's", b.len ? "; " : "", who(T, (int)r, w, sizeof w));
        for (int k = 0, first = 1; k < 3; k++)
            if (mask[r] >> k & 1) {
                fc_buf_printf(&b, "%s %s", first ? "" : " and", what[k]);
                first = 0;
            }
    }
    if (rc == 0 && b.len)
        rc = fc_error("--distributed: the workers disagree with %s: %s differ (every worker "
                      "must run the same command on the same data); nothing was written",
                      who(T, 0, w, sizeof w), b.s);
    static const char *const rows[] = {"training", "validation", "test"};
    for (int k = 3; rc == 0 && k < 6; k++) {
        size_t n = 0;
        int first = -1;
        for (size_t r = 0; r < W; r++)
            if (mask[r] >> k & 1) {
                n++;
                first = first < 0 ? (int)r : first;
            }
        int lacking = k == 3 ? first : -1;
        for (size_t r = 0; k > 3 && n && n < W && lacking < 0 && r < W; r++)
            if (!(mask[r] >> k & 1))
                lacking = (int)r;
        if (lacking >= 0)
            rc = fc_error("--distributed: %s has no %s rows%s (its series: every worker needs "
                          "some; fewer workers?); nothing was written",
                          who(T, lacking, w, sizeof w), rows[k - 3],
                          k == 3 ? "" : " where other workers have");
    }
    fc_buf_free(&b);
    free(mask);
    return rc;
}

int fc_train_dist_opened(struct fc_train_run *R, int ok)
{
    struct fc_train_dist *T = R->dist;
    int bad;
    char w[64];
    int rc = fc_dist_all_ok(&T->d, ok, &bad);
    if (rc < 0 || !ok)
        return -1;
    if (rc == 0)
        return fc_error("--distributed: %s could not open the run directory (its own message "
                        "says why)",
                        who(T, bad, w, sizeof w));
    T->training = 1;
    return 0;
}

void fc_train_dist_record(const struct fc_train_run *R, cJSON *run)
{
    const struct fc_train_dist *T = R->dist;
    cJSON *d = cJSON_GetObjectItemCaseSensitive(run, "data");
    cJSON_ReplaceItemInObjectCaseSensitive(d, "rows", cJSON_CreateNumber((double)T->total_rows));
    cJSON_ReplaceItemInObjectCaseSensitive(d, "series",
                                           cJSON_CreateNumber((double)T->total_series));
    cJSON_ReplaceItemInObjectCaseSensitive(d, "first_date", cJSON_CreateString(T->first));
    cJSON_ReplaceItemInObjectCaseSensitive(d, "last_date", cJSON_CreateString(T->last));
    cJSON *o = cJSON_AddObjectToObject(run, "distributed");
    cJSON_AddNumberToObject(o, "workers", T->d.world);
    cJSON *ws = cJSON_AddArrayToObject(o, "shares");
    for (int r = 0; r < T->d.world; r++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "rank", r);
        cJSON_AddNumberToObject(x, "task", (double)T->task[r]);
        cJSON_AddNumberToObject(x, "rows", (double)T->rows[r]);
        cJSON_AddNumberToObject(x, "series", (double)T->series[r]);
        cJSON_AddItemToArray(ws, x);
    }
}

/* ---- the planner ---- */

static int plan_dist(struct fc_train_run *R, struct fc_plan *P)
{
    struct fc_train_dist *T = R->dist;
    char w[64];
    fc_plan_collective(P, R->cfg.jobs, &fc_dist_model_collective);
    fc_info(1, "training %s (combined, %d workers): this worker fits %zu rows of %zu series "
               "with %d thread%s, validating on %zu",
            P->cfg->model.ops->name, T->d.world, P->n_rows_fit, P->sp->n_used, P->threads,
            P->threads == 1 ? "" : "s", P->n_rows_val);
    fc_pool_run(P);
    struct fc_job *j = &P->jobs[0];
    int ok = j->state == FC_JOB_DONE, bad;
    if (!ok) { /* this worker's own failure, or a lost worker seen by XGBoost */
        fc_dist_break();
        return fc_error("%s", j->reason);
    }
    int rc = fc_dist_all_ok(&T->d, ok, &bad);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return fc_error("--distributed: %s failed while training (its own message says why)",
                        who(T, bad, w, sizeof w));
    const struct fc_dataset *local = P->ds; /* the feature schema of the manifest */
    if (fc_gather(&T->d, P, T->orig, &T->g))
        return -1;
    T->gathered = 1;
    if (T->d.rank != 0)
        return 1; /* rank 0 collects */
    R->all_ds = T->g.ds;
    R->all_sp = &T->g.sp;
    /* the model's directory, complete with every worker's test predictions */
    return fc_modeldir_finish(j->dir, P->cfg, local, NULL, &j->pred) ? -1 : 0;
}

const struct fc_train_planner fc_train_dist_planner = {plan_dist, 0};

int fc_train_dist_end(struct fc_train_run *R, int rc)
{
    struct fc_train_dist *T = R->dist;
    if (!T)
        return rc;
    int ok = rc == FC_EXIT_OK || rc == FC_EXIT_PARTIAL, bad;
    /* a worker that failed in the models stage outside the planner's calls
     * (the others may be inside XGBoost's) leaves without a further call */
    if (!ok && T->training && !T->gathered)
        fc_dist_break();
    char keep[sizeof fc_last_error];
    snprintf(keep, sizeof keep, "%s", fc_last_error);
    int all = fc_dist_all_ok(&T->d, ok, &bad);
    char w[64];
    if (!ok) {
        if (keep[0]) /* this worker's own error stays the one reported */
            fc_error("%s", keep);
        if (fc_dist_is_broken() && rc == FC_EXIT_USAGE)
            rc = FC_EXIT_FAILURE; /* a lost worker is no bad input */
    } else if (all < 0) {
        if (T->gathered && T->d.rank == 0)
            fc_error("--distributed: a worker was lost after every worker's results were "
                     "gathered: %s is complete, but the workers did not end together",
                     R->run_dir);
        rc = FC_EXIT_FAILURE;
    } else if (all == 0) {
        fc_error("--distributed: %s failed (its own message says why)%s",
                 who(T, bad, w, sizeof w),
                 T->d.rank == 0 || !T->training ? "" : "; rank 0 marks the run failed");
        rc = FC_EXIT_FAILURE;
    }
    fc_dist_finalize(&T->d);
    fc_gathered_free(&T->g);
    free(T->task);
    free(T->orig);
    free(T->rows);
    free(T->series);
    free(T);
    R->dist = NULL;
    R->all_ds = NULL;
    R->all_sp = NULL;
    return rc;
}

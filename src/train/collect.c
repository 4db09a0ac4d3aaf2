/*
 * collect.c — the collector (collect.h): finished jobs -> the model's test
 * predictions, scores, predictions.csv and metrics.json; or, for predict,
 * every row's predictions.
 */
#include "forecast/train/collect.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/util.h"
#include "forecast/store/modeldir.h"
#include "forecast/store/store.h"

static struct fc_metrics *score(const struct fc_config *cfg, const struct fc_dataset *ds,
                                const struct fc_split *sp, const uint32_t *rows,
                                const struct fc_pred *pred, const unsigned char *ok)
{
    size_t L = pred->n_quantiles; /* 0 for a point-only model */
    size_t n = pred->n;
    double *y = xmalloc((n ? n : 1) * sizeof *y), *p = xmalloc((n ? n : 1) * sizeof *p);
    double *q = xmalloc((n * L > 0 ? n * L : 1) * sizeof *q);
    int32_t *date = xmalloc((n ? n : 1) * sizeof *date);
    for (size_t i = 0; i < n; i++) {
        y[i] = ds->target[rows[i]];
        date[i] = ds->date[rows[i]];
        p[i] = pred->point ? pred->point[i] : NAN;
        for (size_t j = 0; j < L; j++)
            q[i * L + j] = pred->q[i * L + j];
    }
    /* a quantile-only model's point forecast is its median when it has one,
     * taken after the crossing repair, as predictions.csv shows it */
    if (!pred->point && L)
        for (size_t j = 0; j < L; j++)
            if (fabs(cfg->quantiles[j] - 0.5) < 1e-12) {
                double *row = xmalloc(L * sizeof *row);
                for (size_t i = 0; i < n; i++) {
                    memcpy(row, q + i * L, L * sizeof *row);
                    fc_quantiles_repair(row, 1, L);
                    p[i] = row[j];
                }
                free(row);
            }
    size_t total_hist = 0;
    for (size_t i = 0; i < sp->n_used; i++)
        total_hist += sp->used[i].test_begin - sp->used[i].train_begin;
    double *hist = xmalloc((total_hist ? total_hist : 1) * sizeof *hist);
    int32_t *hdate = xmalloc((total_hist ? total_hist : 1) * sizeof *hdate);
    struct fc_eval_series *ev = xcalloc(sp->n_used ? sp->n_used : 1, sizeof *ev);
    size_t ne = 0, off = 0, hoff = 0;
    int has_point = pred->point != NULL || !isnan(n ? p[0] : NAN);
    for (size_t i = 0; i < sp->n_used; i++) {
        const struct fc_split_series *u = &sp->used[i];
        size_t nt = u->test_end - u->test_begin, nh = u->test_begin - u->train_begin;
        if (ok[i]) {
            for (size_t r = 0; r < nh; r++) {
                hist[hoff + r] = ds->target[u->train_begin + r];
                hdate[hoff + r] = ds->date[u->train_begin + r];
            }
            ev[ne++] = (struct fc_eval_series){
                ds->series_key[u->series], hist + hoff, hdate + hoff, nh, y + off,
                date + off, has_point ? p + off : NULL, L ? q + off * L : NULL, nt};
            hoff += nh;
        }
        off += nt; /* rows of failed series are skipped, not removed */
    }
    struct fc_metrics *m = fc_metrics_compute(ev, ne, cfg->quantiles, L, sp->last_train_date);
    free(ev);
    free(hist);
    free(hdate);
    free(y);
    free(p);
    free(q);
    free(date);
    return m;
}

/* Keeps only the predictions of series that trained (ok[i]). */
static void compact(const struct fc_split *sp, const unsigned char *ok, size_t L,
                    struct fc_train_result *res)
{
    size_t w = 0, r = 0;
    for (size_t i = 0; i < sp->n_used; i++) {
        size_t nt = sp->used[i].test_end - sp->used[i].test_begin;
        for (size_t k = 0; k < nt; k++, r++) {
            if (!ok[i])
                continue;
            res->rows[w] = res->rows[r];
            if (res->pred.point)
                res->pred.point[w] = res->pred.point[r];
            for (size_t j = 0; j < L; j++)
                res->pred.q[w * L + j] = res->pred.q[r * L + j];
            w++;
        }
    }
    res->pred.n = w;
}


static void add_failure(struct fc_train_result *res, uint32_t series, const char *reason)
{
    res->failed = xrealloc(res->failed, (res->n_failed + 1) * sizeof *res->failed);
    res->failed[res->n_failed].series = series;
    res->failed[res->n_failed].reason = xstrdup(reason ? reason : "");
    res->n_failed++;
}

/* The finished jobs' predictions in split order; ok[i]: used series i trained. */
static int gather(const struct fc_plan *P, struct fc_train_result *res, unsigned char *ok)
{
    const struct fc_split *sp = P->sp;
    size_t L = res->pred.n_quantiles, offset = 0;
    for (size_t k = 0; k < P->n_jobs; k++) {
        const struct fc_job *j = &P->jobs[k];
        size_t nt = j->pred.n;
        if (j->state == FC_JOB_DONE) {
            memset(ok + j->first, 1, j->n_series);
            res->n_models++;
            res->n_resumed += j->earlier;
            if (res->pred.point)
                memcpy(res->pred.point + offset, j->pred.point, nt * sizeof(float));
            if (L)
                memcpy(res->pred.q + offset * L, j->pred.q, nt * L * sizeof(float));
        } else if (j->state == FC_JOB_FAILED) {
            if (!j->series_key) /* the one model of every series */
                return fc_error("%s", j->reason);
            add_failure(res, sp->used[j->first].series, j->reason);
            if (!j->earlier) /* a shard's failures were told by the shard */
                fc_warn("series %s failed: %s", j->series_key, j->reason);
        }
        res->fit_seconds += j->fit_s;
        res->predict_seconds += j->pred_s;
        offset += nt;
    }
    if (res->n_models == 0)
        return fc_error("no series could be trained (%zu failed)", res->n_failed);
    return 0;
}

static int write_metrics(const struct fc_plan *P, const struct fc_train_result *res)
{
    cJSON *mj = fc_metrics_to_json(res->metrics, 1);
    cJSON_AddStringToObject(mj, "model", P->cfg->model.ops->name);
    cJSON_AddStringToObject(mj, "strategy", fc_strategy_name(P->cfg->strategy));
    cJSON_AddNumberToObject(mj, "format_version", 1);
    cJSON *fl = cJSON_AddObjectToObject(mj, "failed");
    for (size_t i = 0; i < res->n_failed; i++)
        cJSON_AddStringToObject(fl, P->ds->series_key[res->failed[i].series],
                                res->failed[i].reason);
    char *path = fc_xasprintf("%s/metrics.json", P->dir);
    int rc = fc_write_json(path, mj);
    free(path);
    cJSON_Delete(mj);
    return rc;
}

int fc_collect(struct fc_plan *P, struct fc_train_result *res)
{
    const struct fc_config *cfg = P->cfg;
    const struct fc_model_ops *ops = cfg->model.ops;
    memset(res, 0, sizeof *res);
    size_t n_test;
    res->rows = fc_split_rows(P->sp, 2, &n_test);
    unsigned outs = fc_model_outputs(ops, &cfg->model.params);
    size_t L = (outs & FC_MODEL_QUANTILE) ? cfg->n_quantiles : 0;
    fc_pred_alloc(&res->pred, n_test, L, (outs & FC_MODEL_POINT) != 0);
    unsigned char *ok = xcalloc(P->sp->n_used ? P->sp->n_used : 1, 1);
    /* scored and written in the target's own units */
    const struct fc_dataset *ds = P->truth ? P->truth : P->ds;
    int rc = -1;
    if (gather(P, res, ok))
        goto out;
    if (P->transform)
        fc_transform_invert(P->transform, ds, res->rows, &res->pred, cfg->quantiles);
    /* the record of a model of every series: from its fit, or its files when
     * an earlier process made it */
    if (P->n_jobs == 1 && !P->jobs[0].series_key) {
        struct fc_job *j = &P->jobs[0];
        if (j->earlier)
            fc_modeldir_read_record(j->dir, &res->record);
        else {
            res->record = j->record;
            memset(&j->record, 0, sizeof j->record);
        }
    }
    res->metrics = score(cfg, ds, P->sp, res->rows, &res->pred, ok);
    res->crossing_rate = res->metrics->crossing_rate;
    compact(P->sp, ok, L, res);
    char *path = fc_xasprintf("%s/predictions.csv", P->dir);
    rc = fc_predictions_write(path, ds, res->rows, &res->pred, cfg->quantiles, 1);
    free(path);
    if (rc == 0)
        rc = write_metrics(P, res);
out:
    free(ok);
    return rc;
}

int fc_collect_backtest(const struct fc_config *cfg, const char *dir,
                        const struct fc_dataset *truth, struct fc_train_result *win,
                        char *const *names, const int32_t *cutoffs, size_t n,
                        struct fc_train_result *out)
{
    memset(out, 0, sizeof *out);
    /* every window's rows, oldest window first */
    size_t total = 0, L = win[0].pred.n_quantiles;
    for (size_t w = 0; w < n; w++)
        total += win[w].pred.n;
    struct fc_pred all;
    fc_pred_alloc(&all, total, L, win[0].pred.point != NULL);
    uint32_t *rows = xmalloc((total ? total : 1) * sizeof *rows);
    int32_t *cut = xmalloc((total ? total : 1) * sizeof *cut);
    size_t at = 0;
    for (size_t w = 0; w < n; w++) {
        const struct fc_pred *p = &win[w].pred;
        memcpy(rows + at, win[w].rows, p->n * sizeof *rows);
        if (all.point)
            memcpy(all.point + at, p->point, p->n * sizeof *all.point);
        if (L)
            memcpy(all.q + at * L, p->q, p->n * L * sizeof *all.q);
        for (size_t i = 0; i < p->n; i++)
            cut[at + i] = cutoffs[w];
        at += p->n;
    }
    char *path = fc_xasprintf("%s/predictions.csv", dir);
    int rc = fc_predictions_write_cutoffs(path, truth, rows, &all, cfg->quantiles, 1, cut);
    free(path);
    free(rows);
    free(cut);
    fc_pred_free(&all);
    /* the metrics: each window's, and their means */
    out->n_windows = n;
    out->window_metrics = xcalloc(n, sizeof *out->window_metrics);
    out->window_names = xcalloc(n, sizeof *out->window_names);
    cJSON *wj = cJSON_CreateArray();
    for (size_t w = 0; w < n; w++) {
        out->window_metrics[w] = win[w].metrics;
        win[w].metrics = NULL;
        out->window_names[w] = xstrdup(names[w]);
        cJSON *one = fc_metrics_to_json(out->window_metrics[w], 0);
        char d[11];
        fc_format_date(cutoffs[w], d);
        cJSON_AddStringToObject(one, "cutoff", d);
        cJSON_AddStringToObject(one, "dir", names[w]);
        cJSON_AddItemToArray(wj, one);
    }
    out->metrics = fc_metrics_mean(out->window_metrics, n);
    cJSON *mj = fc_metrics_to_json(out->metrics, 0);
    cJSON_AddStringToObject(mj, "pooled", "the mean over the windows");
    cJSON_AddItemToObject(mj, "windows", wj);
    cJSON_AddStringToObject(mj, "model", cfg->model.ops->name);
    cJSON_AddStringToObject(mj, "strategy", fc_strategy_name(cfg->strategy));
    cJSON_AddNumberToObject(mj, "format_version", 1);
    cJSON *fl = cJSON_AddObjectToObject(mj, "failed");
    /* the last window's predictions and record; the tallies of all */
    struct fc_train_result *last = &win[n - 1];
    out->pred = last->pred;
    out->rows = last->rows;
    out->crossing_rate = out->metrics->crossing_rate;
    memset(&last->pred, 0, sizeof last->pred);
    last->rows = NULL;
    /* the record of the latest window that fitted (without refit: the first) */
    for (size_t w = n; w-- > 0;)
        if (win[w].record.n_curves || win[w].record.importance) {
            out->record = win[w].record;
            memset(&win[w].record, 0, sizeof win[w].record);
            break;
        }
    for (size_t w = 0; w < n; w++) {
        out->n_models += win[w].n_models;
        out->n_resumed += win[w].n_resumed;
        out->fit_seconds += win[w].fit_seconds;
        out->predict_seconds += win[w].predict_seconds;
        for (size_t i = 0; i < win[w].n_failed; i++) {
            char *why = fc_xasprintf("%s: %s", names[w], win[w].failed[i].reason);
            add_failure(out, win[w].failed[i].series, why);
            free(why);
            const char *key = truth->series_key[win[w].failed[i].series];
            if (!cJSON_GetObjectItemCaseSensitive(fl, key))
                cJSON_AddStringToObject(fl, key, out->failed[out->n_failed - 1].reason);
        }
    }
    path = fc_xasprintf("%s/metrics.json", dir);
    if (rc == 0)
        rc = fc_write_json(path, mj);
    free(path);
    cJSON_Delete(mj);
    return rc;
}

const struct fc_metrics *fc_train_result_series_metrics(const struct fc_train_result *res)
{
    return res->n_windows ? res->window_metrics[res->n_windows - 1] : res->metrics;
}

void fc_train_result_free(struct fc_train_result *res)
{
    fc_pred_free(&res->pred);
    free(res->rows);
    fc_metrics_free(res->metrics);
    fc_fit_record_free(&res->record);
    for (size_t w = 0; w < res->n_windows; w++) {
        fc_metrics_free(res->window_metrics[w]);
        free(res->window_names[w]);
    }
    free(res->window_metrics);
    free(res->window_names);
    for (size_t i = 0; i < res->n_failed; i++)
        free(res->failed[i].reason);
    free(res->failed);
    memset(res, 0, sizeof *res);
}

int fc_collect_predictions(const struct fc_plan *P, struct fc_pred *out)
{
    const struct fc_model_ops *ops = P->cfg->model.ops;
    unsigned outs = fc_model_outputs(ops, &P->cfg->model.params);
    size_t L = (outs & FC_MODEL_QUANTILE) ? P->cfg->n_quantiles : 0;
    fc_pred_alloc(out, P->sp->n_test, L, (outs & FC_MODEL_POINT) != 0);
    size_t offset = 0;
    for (size_t k = 0; k < P->n_jobs; k++) {
        const struct fc_job *j = &P->jobs[k];
        if (j->state != FC_JOB_DONE)
            return fc_error("%s", j->reason ? j->reason : "a model was not run");
        size_t n = j->pred.n;
        if (out->point)
            memcpy(out->point + offset, j->pred.point, n * sizeof *out->point);
        if (L)
            memcpy(out->q + offset * L, j->pred.q, n * L * sizeof *out->q);
        offset += n;
    }
    if (P->transform) { /* the split's test rows, in order */
        size_t n;
        uint32_t *rows = fc_split_rows(P->sp, 2, &n);
        fc_transform_invert(P->transform, P->truth ? P->truth : P->ds, rows, out,
                            P->cfg->quantiles);
        free(rows);
    }
    return 0;
}

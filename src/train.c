/*
 * train.c — the strategies (combined, individual), model saving with
 * manifests, prediction of the test rows, scoring, and loading saved models
 * for `predict`.
 */
#include "forecast/train.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "forecast/registry.h"
#include "forecast/store.h"
#include "forecast/util.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int n_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

char *fc_series_dirname(const char *key)
{
    struct fc_buf b;
    fc_buf_init(&b);
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        int ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                 (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == ':' ||
                 (*p == '.' && p != (const unsigned char *)key);
        if (ok)
            fc_buf_putc(&b, (char)*p);
        else
            fc_buf_printf(&b, "%%%02X", *p);
    }
    return b.s;
}

static struct fc_model_ctx model_ctx(const struct fc_config *cfg, int threads)
{
    struct fc_model_ctx ctx = {cfg->quantiles, cfg->n_quantiles, cfg->seed, threads};
    return ctx;
}

static cJSON *manifest_info(const struct fc_config *cfg, const struct fc_dataset *ds,
                            const char *series_key)
{
    const struct fc_model_ops *ops = cfg->model.ops;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "kind", "forecast-model");
    cJSON_AddStringToObject(m, "model", ops->name);
    cJSON_AddStringToObject(m, "strategy", fc_strategy_name(cfg->strategy));
    if (series_key)
        cJSON_AddStringToObject(m, "series", series_key);
    cJSON *f = cJSON_AddArrayToObject(m, "features");
    for (size_t j = 0; j < ds->n_features; j++)
        cJSON_AddItemToArray(f, cJSON_CreateString(ds->feature_names[j]));
    cJSON_AddItemToObject(m, "quantiles",
                          cJSON_CreateDoubleArray(cfg->quantiles, (int)cfg->n_quantiles));
    const cJSON *models = cJSON_GetObjectItemCaseSensitive(cfg->json, "models");
    cJSON_AddItemToObject(
        m, "params",
        cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(models, ops->name), 1));
    return m;
}

/* Fit one model on the given rows, save it into mdir with its manifest,
 * predict the test rows into pred at offset. */
static int fit_save_predict(const struct fc_config *cfg, const struct fc_dataset *ds,
                            const uint32_t *fit, size_t n_fit, const uint32_t *val,
                            size_t n_val, const uint32_t *test, size_t n_test,
                            const char *mdir, const char *series_key, struct fc_pred *pred,
                            size_t offset, double *fit_s, double *pred_s)
{
    const struct fc_model_ops *ops = cfg->model.ops;
    /* library threads: all cores for the one combined model, one per model in
     * the individual strategy (workers x threads <= cores) */
    struct fc_model_ctx ctx = model_ctx(cfg, cfg->strategy == FC_COMBINED ? n_cores() : 1);
    void *model = ops->create(&cfg->model.params, &ctx);
    if (!model)
        return -1;
    int rc = -1;
    struct fc_fit_input in = {ds, fit, n_fit, val, n_val};
    double t0 = now();
    if (ops->fit(model, &in))
        goto out;
    double t1 = now();
    *fit_s += t1 - t0;
    if (fc_mkdir_p(mdir) || ops->save(model, mdir))
        goto out;
    cJSON *info = manifest_info(cfg, ds, series_key);
    int mrc = fc_manifest_write(mdir, info);
    cJSON_Delete(info);
    if (mrc)
        goto out;
    struct fc_pred part;
    fc_pred_alloc(&part, n_test, pred->n_quantiles, pred->point != NULL);
    double t2 = now();
    if (ops->predict(model, ds, test, n_test, &part) == 0) {
        if (pred->point)
            memcpy(pred->point + offset, part.point, n_test * sizeof *part.point);
        if (pred->q)
            memcpy(pred->q + offset * pred->n_quantiles, part.q,
                   n_test * pred->n_quantiles * sizeof *part.q);
        rc = 0;
    }
    *pred_s += now() - t2;
    fc_pred_free(&part);
out:
    ops->free(model);
    return rc;
}

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
    /* a quantile-only model's point forecast is its median when it has one */
    if (!pred->point && L)
        for (size_t j = 0; j < L; j++)
            if (fabs(cfg->quantiles[j] - 0.5) < 1e-12)
                for (size_t i = 0; i < n; i++)
                    p[i] = q[i * L + j];
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

int fc_train(const struct fc_config *cfg, const struct fc_dataset *ds,
             const struct fc_split *sp, const char *dir, struct fc_train_result *res)
{
    const struct fc_model_ops *ops = cfg->model.ops;
    memset(res, 0, sizeof *res);
    size_t n_test;
    res->rows = fc_split_rows(sp, 2, &n_test);
    size_t L = (ops->flags & FC_MODEL_QUANTILE) ? cfg->n_quantiles : 0;
    fc_pred_alloc(&res->pred, n_test, L, (ops->flags & FC_MODEL_POINT) != 0);
    unsigned char *ok = xcalloc(sp->n_used ? sp->n_used : 1, 1);
    int rc = -1;
    if (cfg->strategy == FC_COMBINED) {
        size_t n_fit, n_val;
        uint32_t *fit = fc_split_rows(sp, 0, &n_fit);
        uint32_t *val = fc_split_rows(sp, 1, &n_val);
        char *mdir = fc_xasprintf("%s/model", dir);
        fc_info(1, "training %s (combined) on %zu rows of %zu series, validating on %zu",
                ops->name, n_fit, sp->n_used, n_val);
        rc = fit_save_predict(cfg, ds, fit, n_fit, val, n_val, res->rows, n_test, mdir, NULL,
                              &res->pred, 0, &res->fit_seconds, &res->predict_seconds);
        free(mdir);
        free(fit);
        free(val);
        if (rc)
            goto out;
        memset(ok, 1, sp->n_used);
        res->n_models = 1;
    } else {
        fc_info(1, "training %s (individual) on %zu series", ops->name, sp->n_used);
        size_t offset = 0;
        for (size_t i = 0; i < sp->n_used; i++) {
            const struct fc_split_series *u = &sp->used[i];
            size_t nf = u->val_begin - u->train_begin, nv = u->test_begin - u->val_begin;
            size_t nt = u->test_end - u->test_begin;
            uint32_t *rows = xmalloc((nf + nv + nt) * sizeof *rows);
            for (size_t r = 0; r < nf + nv + nt; r++)
                rows[r] = (uint32_t)(u->train_begin + r);
            const char *key = ds->series_key[u->series];
            char *name = fc_series_dirname(key);
            char *mdir = fc_xasprintf("%s/series/%s", dir, name);
            if (fit_save_predict(cfg, ds, rows, nf, rows + nf, nv, rows + nf + nv, nt, mdir,
                                 key, &res->pred, offset, &res->fit_seconds,
                                 &res->predict_seconds) == 0) {
                ok[i] = 1;
                res->n_models++;
            } else {
                res->failed = xrealloc(res->failed, (res->n_failed + 1) * sizeof *res->failed);
                res->failed[res->n_failed].series = u->series;
                res->failed[res->n_failed].reason = xstrdup(fc_last_error);
                res->n_failed++;
                fc_warn("series %s failed to train; the others go on", key);
            }
            offset += nt;
            free(name);
            free(mdir);
            free(rows);
        }
        if (res->n_models == 0) {
            fc_error("no series could be trained (%zu failed)", res->n_failed);
            goto out;
        }
    }
    res->metrics = score(cfg, ds, sp, res->rows, &res->pred, ok);
    res->crossing_rate = res->metrics->crossing_rate;
    compact(sp, ok, L, res);
    char *path = fc_xasprintf("%s/predictions.csv", dir);
    rc = fc_predictions_write(path, ds, res->rows, &res->pred, cfg->quantiles, 1);
    free(path);
    if (rc)
        goto out;
    cJSON *mj = fc_metrics_to_json(res->metrics, 1);
    cJSON_AddStringToObject(mj, "model", ops->name);
    cJSON_AddStringToObject(mj, "strategy", fc_strategy_name(cfg->strategy));
    cJSON_AddNumberToObject(mj, "format_version", 1);
    cJSON *fl = cJSON_AddObjectToObject(mj, "failed");
    for (size_t i = 0; i < res->n_failed; i++)
        cJSON_AddStringToObject(fl, ds->series_key[res->failed[i].series],
                                res->failed[i].reason);
    path = fc_xasprintf("%s/metrics.json", dir);
    rc = fc_write_json(path, mj);
    free(path);
    cJSON_Delete(mj);
out:
    free(ok);
    return rc;
}

void fc_train_result_free(struct fc_train_result *res)
{
    fc_pred_free(&res->pred);
    free(res->rows);
    fc_metrics_free(res->metrics);
    for (size_t i = 0; i < res->n_failed; i++)
        free(res->failed[i].reason);
    free(res->failed);
    memset(res, 0, sizeof *res);
}

/* ---- predictions file ---- */

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

int fc_predictions_write(const char *path, const struct fc_dataset *ds, const uint32_t *rows,
                         const struct fc_pred *p, const double *levels, int with_actual)
{
    struct fc_buf b;
    fc_buf_init(&b);
    for (size_t k = 0; k < ds->n_id_cols; k++) {
        fc_buf_put_csv_field(&b, ds->id_col_names[k]);
        fc_buf_putc(&b, ',');
    }
    fc_buf_puts(&b, "date");
    if (with_actual)
        fc_buf_puts(&b, ",actual");
    if (p->point)
        fc_buf_puts(&b, ",point");
    for (size_t j = 0; j < p->n_quantiles; j++)
        fc_buf_printf(&b, ",q%.15g", levels[j]);
    fc_buf_putc(&b, '\n');
    float *row = xmalloc((p->n_quantiles ? p->n_quantiles : 1) * sizeof *row);
    for (size_t i = 0; i < p->n; i++) {
        uint32_t r = rows[i];
        const char *const *parts = (const char *const *)ds->series_parts[ds->series[r]];
        for (size_t k = 0; k < ds->n_id_cols; k++) {
            fc_buf_put_csv_field(&b, parts[k]);
            fc_buf_putc(&b, ',');
        }
        char d[11];
        fc_format_date(ds->date[r], d);
        fc_buf_puts(&b, d);
        if (with_actual) {
            fc_buf_putc(&b, ',');
            fc_buf_put_double(&b, ds->target[r]);
        }
        if (p->point) {
            fc_buf_putc(&b, ',');
            fc_buf_printf(&b, "%.9g", p->point[i]);
        }
        /* monotone in the level: crossings are repaired by sorting the row */
        if (p->n_quantiles) {
            memcpy(row, p->q + i * p->n_quantiles, p->n_quantiles * sizeof *row);
            qsort(row, p->n_quantiles, sizeof *row, cmp_float);
        }
        for (size_t j = 0; j < p->n_quantiles; j++)
            fc_buf_printf(&b, ",%.9g", row[j]);
        fc_buf_putc(&b, '\n');
    }
    free(row);
    int rc;
    if (strcmp(path, "-") == 0) {
        rc = fwrite(b.s, 1, b.len, stdout) == b.len && fflush(stdout) == 0
                 ? 0
                 : fc_error("cannot write predictions to standard output");
    } else {
        rc = fc_write_atomic(path, b.s, b.len);
    }
    fc_buf_free(&b);
    return rc;
}

/* ---- loading saved models ---- */

static void *load_checked(const struct fc_config *cfg, const struct fc_dataset *ds,
                          const char *mdir)
{
    const struct fc_model_ops *ops = cfg->model.ops;
    cJSON *man = fc_manifest_verify(mdir, "forecast-model");
    if (!man)
        return NULL;
    void *model = NULL;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(man, "model");
    const cJSON *feat = cJSON_GetObjectItemCaseSensitive(man, "features");
    if (!cJSON_IsString(name) || strcmp(name->valuestring, ops->name) != 0) {
        fc_error("%s/manifest.json: holds a %s model, expected %s", mdir,
                 cJSON_IsString(name) ? name->valuestring : "unknown", ops->name);
        goto out;
    }
    if (!cJSON_IsArray(feat)) {
        fc_error("%s/manifest.json: no feature list", mdir);
        goto out;
    }
    size_t nf = (size_t)cJSON_GetArraySize(feat);
    for (size_t j = 0; j < nf || j < ds->n_features; j++) {
        const cJSON *e = cJSON_GetArrayItem(feat, (int)j);
        const char *want = cJSON_IsString(e) ? e->valuestring : NULL;
        const char *have = j < ds->n_features ? ds->feature_names[j] : NULL;
        if (!want || !have || strcmp(want, have) != 0) {
            fc_error("%s: feature %zu is %s%s%s, but the model in %s was trained with %s%s%s "
                     "there (features must match by name and order: the model has %zu, the "
                     "data %zu)",
                     ds->path, j + 1, have ? "\"" : "", have ? have : "missing",
                     have ? "\"" : "", mdir, want ? "\"" : "", want ? want : "none",
                     want ? "\"" : "", nf, ds->n_features);
            goto out;
        }
    }
    struct fc_model_ctx ctx = model_ctx(cfg, cfg->strategy == FC_COMBINED ? n_cores() : 1);
    model = ops->load(mdir, &cfg->model.params, &ctx);
out:
    cJSON_Delete(man);
    return model;
}

int fc_predict_saved(const struct fc_config *cfg, const struct fc_dataset *ds,
                     const char *dir, struct fc_pred *out)
{
    const struct fc_model_ops *ops = cfg->model.ops;
    size_t L = (ops->flags & FC_MODEL_QUANTILE) ? cfg->n_quantiles : 0;
    fc_pred_alloc(out, ds->n_rows, L, (ops->flags & FC_MODEL_POINT) != 0);
    uint32_t *rows = xmalloc(ds->n_rows * sizeof *rows);
    for (size_t i = 0; i < ds->n_rows; i++)
        rows[i] = (uint32_t)i;
    int rc = -1;
    if (cfg->strategy == FC_COMBINED) {
        char *mdir = fc_xasprintf("%s/model", dir);
        void *model = load_checked(cfg, ds, mdir);
        free(mdir);
        if (!model)
            goto out;
        rc = ops->predict(model, ds, rows, ds->n_rows, out);
        ops->free(model);
        goto out;
    }
    for (size_t s = 0; s < ds->n_series; s++) {
        char *name = fc_series_dirname(ds->series_key[s]);
        char *mdir = fc_xasprintf("%s/series/%s", dir, name);
        free(name);
        if (access(mdir, F_OK) != 0) {
            fc_error("series %s has no trained model in %s (it was not in the training "
                     "data, was skipped or failed)",
                     ds->series_key[s], dir);
            free(mdir);
            goto out;
        }
        void *model = load_checked(cfg, ds, mdir);
        free(mdir);
        if (!model)
            goto out;
        size_t b = ds->series_start[s], n = ds->series_len[s];
        struct fc_pred part;
        fc_pred_alloc(&part, n, L, out->point != NULL);
        int prc = ops->predict(model, ds, rows + b, n, &part);
        ops->free(model);
        if (prc == 0) {
            if (out->point)
                memcpy(out->point + b, part.point, n * sizeof *part.point);
            if (L)
                memcpy(out->q + b * L, part.q, n * L * sizeof *part.q);
        }
        fc_pred_free(&part);
        if (prc)
            goto out;
    }
    rc = 0;
out:
    free(rows);
    return rc;
}

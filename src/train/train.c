/*
 * train.c — the strategies (combined, individual), model saving with
 * manifests, prediction of the test rows, scoring, and loading saved models
 * for `predict`.
 */
#include "forecast/train/train.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forecast/core/progress.h"
#include "forecast/core/registry.h"
#include "forecast/store/store.h"
#include "forecast/core/util.h"

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
    struct fc_model_ctx ctx = {cfg->quantiles, cfg->n_quantiles, cfg->seed, threads,
                               cfg->strategy == FC_INDIVIDUAL, ""};
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

/* ---- one model: fit, save, predict, persist ---- */

#define PRED_MAGIC "FCPRED\0\0"
#define PRED_VERSION 1u

/* predictions.bin: magic, version, has_point, n, n_quantiles, then point[n]
 * and q[n * n_quantiles] as float32. The manifest's checksum covers it. */
static int write_pred_file(const char *mdir, const struct fc_pred *p)
{
    struct fc_buf b;
    fc_buf_init(&b);
    uint32_t head[2] = {PRED_VERSION, p->point != NULL};
    uint64_t dims[2] = {p->n, p->n_quantiles};
    fc_buf_append(&b, PRED_MAGIC, 8);
    fc_buf_append(&b, (const char *)head, sizeof head);
    fc_buf_append(&b, (const char *)dims, sizeof dims);
    if (p->point)
        fc_buf_append(&b, (const char *)p->point, p->n * sizeof *p->point);
    if (p->n_quantiles)
        fc_buf_append(&b, (const char *)p->q, p->n * p->n_quantiles * sizeof *p->q);
    char *path = fc_xasprintf("%s/predictions.bin", mdir);
    int rc = fc_write_atomic(path, b.s, b.len);
    free(path);
    fc_buf_free(&b);
    return rc;
}

/* Reads predictions.bin into out (allocated with the expected shape). */
static int read_pred_file(const char *mdir, struct fc_pred *out)
{
    char *path = fc_xasprintf("%s/predictions.bin", mdir);
    size_t len;
    char *buf = fc_read_file(path, &len);
    int rc = -1;
    size_t np = out->point ? out->n : 0, nq = out->n * out->n_quantiles;
    size_t want = 8 + 2 * sizeof(uint32_t) + 2 * sizeof(uint64_t) + (np + nq) * sizeof(float);
    if (!buf)
        goto out;
    uint32_t head[2];
    uint64_t dims[2];
    if (len != want || memcmp(buf, PRED_MAGIC, 8) != 0) {
        fc_error("%s: not the predictions this run expects (%zu bytes, expected %zu)", path,
                 len, want);
        goto out;
    }
    memcpy(head, buf + 8, sizeof head);
    memcpy(dims, buf + 8 + sizeof head, sizeof dims);
    if (head[0] != PRED_VERSION || head[1] != (out->point != NULL) || dims[0] != out->n ||
        dims[1] != out->n_quantiles) {
        fc_error("%s: version or shape differs from this run's", path);
        goto out;
    }
    const char *data = buf + 8 + sizeof head + sizeof dims;
    if (np)
        memcpy(out->point, data, np * sizeof(float));
    if (nq)
        memcpy(out->q, data + np * sizeof(float), nq * sizeof(float));
    rc = 0;
out:
    free(buf);
    free(path);
    return rc;
}

/* Fits one model on the given rows, saves it into mdir, predicts the test
 * rows into out (allocated by the caller), writes them beside the model and
 * finally the manifest: a directory with a valid manifest is complete. */
static int fit_save_predict(const struct fc_config *cfg, const struct fc_dataset *ds,
                            const uint32_t *fit, size_t n_fit, const uint32_t *val,
                            size_t n_val, const uint32_t *test, size_t n_test,
                            const char *mdir, const char *series_key, int threads,
                            struct fc_pred *out, double *fit_s, double *pred_s)
{
    const struct fc_model_ops *ops = cfg->model.ops;
    struct fc_model_ctx ctx = model_ctx(cfg, threads);
    char prefix[160] = ""; /* progress lines of parallel models say whose they are */
    if (series_key)
        snprintf(prefix, sizeof prefix, "[%s] ", series_key);
    ctx.log_prefix = prefix;
    void *model = ops->create(&cfg->model.params, &ctx);
    if (!model)
        return -1;
    int rc = -1;
    struct fc_fit_input in = {ds, fit, n_fit, val, n_val};
    double t0 = fc_now();
    if (ops->fit(model, &in))
        goto out;
    *fit_s += fc_now() - t0;
    if (fc_mkdir_p(mdir) || ops->save(model, mdir))
        goto out;
    double t2 = fc_now();
    if (ops->predict(model, ds, test, n_test, out))
        goto out;
    *pred_s += fc_now() - t2;
    if (write_pred_file(mdir, out))
        goto out;
    cJSON *info = manifest_info(cfg, ds, series_key);
    cJSON_AddNumberToObject(info, "test_rows", (double)n_test);
    rc = fc_manifest_write(mdir, info);
    cJSON_Delete(info);
out:
    ops->free(model);
    return rc;
}

/* A finished model directory: manifest verified, the right model and series,
 * its predictions loaded into out. */
static int load_finished(const struct fc_config *cfg, const char *mdir, const char *series_key,
                         struct fc_pred *out)
{
    cJSON *man = fc_manifest_verify(mdir, "forecast-model");
    if (!man)
        return -1;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(man, "model");
    const cJSON *series = cJSON_GetObjectItemCaseSensitive(man, "series");
    int rc = -1;
    if (!cJSON_IsString(model) || strcmp(model->valuestring, cfg->model.ops->name) != 0)
        fc_error("%s: holds another model", mdir);
    else if (series_key && (!cJSON_IsString(series) ||
                            strcmp(series->valuestring, series_key) != 0))
        fc_error("%s: holds another series", mdir);
    else
        rc = read_pred_file(mdir, out);
    cJSON_Delete(man);
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

/* ---- the individual strategy: a pool of workers over the series ---- */

enum slot_state { TODO, DONE, FAILED, OTHER_SHARD };

struct slot {
    enum slot_state state;
    char *reason;       /* FAILED: why (owned) */
    struct fc_pred pred;
    double fit_s, pred_s;
};

struct pool {
    const struct fc_config *cfg;
    const struct fc_dataset *ds;
    const struct fc_split *sp;
    const char *dir;
    struct slot *slots;
    size_t *todo;       /* indices into sp->used still to train */
    size_t n_todo;
    size_t next;        /* next position in todo; taken under lock */
    pthread_mutex_t lock;
    struct fc_progress *progress;
};

uint64_t fc_series_hash(const char *key)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a: stable across machines */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h;
}

static char *series_dir(const char *dir, const char *key)
{
    char *name = fc_series_dirname(key);
    char *mdir = fc_xasprintf("%s/series/%s", dir, name);
    free(name);
    return mdir;
}

static void train_one(struct pool *P, size_t i)
{
    const struct fc_split_series *u = &P->sp->used[i];
    struct slot *sl = &P->slots[i];
    size_t nf = u->val_begin - u->train_begin, nv = u->test_begin - u->val_begin;
    size_t nt = u->test_end - u->test_begin;
    uint32_t *rows = xmalloc((nf + nv + nt) * sizeof *rows);
    for (size_t r = 0; r < nf + nv + nt; r++)
        rows[r] = (uint32_t)(u->train_begin + r);
    const char *key = P->ds->series_key[u->series];
    char *mdir = series_dir(P->dir, key);
    /* fault injection for the tests: this series fails as a library error would */
    const char *inject = getenv("FORECAST_TEST_FAIL_SERIES");
    if (inject && strcmp(inject, key) == 0) {
        fc_error("injected failure (FORECAST_TEST_FAIL_SERIES=%s)", key);
        sl->state = FAILED;
        sl->reason = xstrdup(fc_last_error);
    } else if (!(fc_split_fit_weight(P->ds, u, 1) > 0)) {
        /* nothing to learn from: XGBoost would quietly predict its base score */
        sl->state = FAILED;
        sl->reason = fc_xasprintf("the weights of its %zu fit rows are all 0", nf);
    } else {
        /* a failure is reported once, with its series, when results are
         * collected ("series KEY failed: why") */
        int rc = fit_save_predict(P->cfg, P->ds, rows, nf, rows + nf, nv, rows + nf + nv, nt,
                                  mdir, key, 1, &sl->pred, &sl->fit_s, &sl->pred_s);
        if (rc == 0) {
            sl->state = DONE;
        } else {
            sl->state = FAILED;
            sl->reason = xstrdup(fc_last_error);
            fc_error_clear();
        }
    }
    free(mdir);
    free(rows);
    fc_progress_add(P->progress, 1, sl->state == FAILED);
}

static void *worker(void *arg)
{
    struct pool *P = arg;
    for (;;) {
        pthread_mutex_lock(&P->lock);
        size_t k = P->next < P->n_todo ? P->next++ : (size_t)-1;
        pthread_mutex_unlock(&P->lock);
        if (k == (size_t)-1)
            return NULL;
        train_one(P, P->todo[k]);
    }
}

static int n_workers(const struct fc_train_opts *o)
{
    return o->jobs > 0 ? o->jobs : n_cores();
}

/* Shard status: shards/shard-K-of-N.json lists the shard's series and
 * whether each trained. */
static int write_shard_status(const char *dir, const struct fc_train_opts *o,
                              const struct fc_dataset *ds, const struct fc_split *sp,
                              const struct slot *slots)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "kind", "forecast-shard");
    cJSON_AddNumberToObject(j, "format_version", 1);
    cJSON_AddNumberToObject(j, "shard", o->shard_k);
    cJSON_AddNumberToObject(j, "of", o->shard_n);
    cJSON_AddStringToObject(j, "status", "completed");
    cJSON *done = cJSON_AddArrayToObject(j, "trained");
    cJSON *failed = cJSON_AddObjectToObject(j, "failed");
    for (size_t i = 0; i < sp->n_used; i++) {
        const char *key = ds->series_key[sp->used[i].series];
        if (slots[i].state == DONE)
            cJSON_AddItemToArray(done, cJSON_CreateString(key));
        else if (slots[i].state == FAILED)
            cJSON_AddStringToObject(failed, key, slots[i].reason);
    }
    char *sdir = fc_xasprintf("%s/shards", dir);
    char *path = fc_xasprintf("%s/shard-%d-of-%d.json", sdir, o->shard_k, o->shard_n);
    int rc = fc_mkdir_p(sdir) ? -1 : fc_write_json(path, j);
    free(path);
    free(sdir);
    cJSON_Delete(j);
    return rc;
}

/* merge: every shard's status, then every series' outputs */
static int merge_shards(const struct fc_config *cfg, const struct fc_train_opts *o,
                        const char *dir,
                        const struct fc_dataset *ds, const struct fc_split *sp,
                        struct slot *slots)
{
    for (int k = 0; k < o->shard_n; k++) {
        char *path = fc_xasprintf("%s/shards/shard-%d-of-%d.json", dir, k, o->shard_n);
        if (access(path, F_OK) != 0) {
            fc_error("%s: shard %d of %d has not finished (no %s); run it (or resume it) "
                     "before merging",
                     dir, k, o->shard_n, path);
            free(path);
            return -1;
        }
        cJSON *j = fc_read_json(path);
        free(path);
        if (!j)
            return -1;
        const cJSON *failed = cJSON_GetObjectItemCaseSensitive(j, "failed");
        const cJSON *f;
        cJSON_ArrayForEach(f, failed)
        {
            long s = fc_dataset_find_series(ds, f->string);
            for (size_t i = 0; s >= 0 && i < sp->n_used; i++)
                if (sp->used[i].series == (uint32_t)s && cJSON_IsString(f)) {
                    slots[i].state = FAILED;
                    slots[i].reason = xstrdup(f->valuestring);
                }
        }
        cJSON_Delete(j);
    }
    for (size_t i = 0; i < sp->n_used; i++) {
        if (slots[i].state == FAILED)
            continue;
        const char *key = ds->series_key[sp->used[i].series];
        char *mdir = series_dir(dir, key);
        int rc = load_finished(cfg, mdir, key, &slots[i].pred);
        free(mdir);
        if (rc) {
            fc_error("series %s: its shard finished but its outputs are missing or damaged "
                     "(%s); resume that shard",
                     key, fc_last_error);
            return -1;
        }
        slots[i].state = DONE;
    }
    return 0;
}

static int train_individual(const struct fc_config *cfg, const struct fc_dataset *ds,
                            const struct fc_split *sp, const char *dir,
                            const struct fc_train_opts *o, struct slot *slots,
                            struct fc_train_result *res)
{
    const struct fc_model_ops *ops = cfg->model.ops;
    if (o->merge)
        return merge_shards(cfg, o, dir, ds, sp, slots);
    struct pool P = {cfg, ds, sp, dir, slots, xmalloc((sp->n_used ? sp->n_used : 1) *
                                                      sizeof(size_t)),
                     0, 0, PTHREAD_MUTEX_INITIALIZER, NULL};
    size_t resumed = 0;
    for (size_t i = 0; i < sp->n_used; i++) {
        const char *key = ds->series_key[sp->used[i].series];
        if (o->shard_n && fc_series_hash(key) % (uint64_t)o->shard_n != (uint64_t)o->shard_k) {
            slots[i].state = OTHER_SHARD;
            continue;
        }
        if (o->resume) {
            /* a complete, verified series is not trained again */
            char *mdir = series_dir(dir, key);
            int rc = load_finished(cfg, mdir, key, &slots[i].pred);
            free(mdir);
            fc_error_clear(); /* not verified: it is trained again */
            if (rc == 0) {
                slots[i].state = DONE;
                resumed++;
                continue;
            }
        }
        P.todo[P.n_todo++] = i;
    }
    int workers = n_workers(o);
    if ((size_t)workers > P.n_todo)
        workers = P.n_todo ? (int)P.n_todo : 1;
    char label[160];
    snprintf(label, sizeof label, "%s (individual)", ops->name);
    fc_info(1, "training %s: %zu series%s%s, %d worker%s x 1 thread%s", label, P.n_todo,
            resumed ? ", resumed " : "", resumed ? "(others verified)" : "", workers,
            workers == 1 ? "" : "s", o->shard_n ? " (this shard)" : "");
    if (resumed)
        fc_info(1, "resume: %zu series already complete and verified", resumed);
    P.progress = fc_progress_new(label, P.n_todo, fc_verbosity < 1);
    pthread_t *tid = xcalloc((size_t)workers, sizeof *tid);
    int started = 0;
    for (int w = 0; w < workers; w++)
        if (pthread_create(&tid[w], NULL, worker, &P) == 0)
            started++;
    if (started == 0)
        worker(&P); /* no threads available: do the work here */
    for (int w = 0; w < started; w++)
        pthread_join(tid[w], NULL);
    free(tid);
    fc_progress_end(P.progress);
    pthread_mutex_destroy(&P.lock);
    free(P.todo);
    res->n_resumed = resumed;
    if (o->shard_n)
        return write_shard_status(dir, o, ds, sp, slots);
    return 0;
}

int fc_train(const struct fc_config *cfg, const struct fc_dataset *ds,
             const struct fc_split *sp, const char *dir, const struct fc_train_opts *o,
             struct fc_train_result *res)
{
    const struct fc_model_ops *ops = cfg->model.ops;
    memset(res, 0, sizeof *res);
    size_t n_test;
    res->rows = fc_split_rows(sp, 2, &n_test);
    size_t L = (ops->flags & FC_MODEL_QUANTILE) ? cfg->n_quantiles : 0;
    int has_point = (ops->flags & FC_MODEL_POINT) != 0;
    fc_pred_alloc(&res->pred, n_test, L, has_point);
    unsigned char *ok = xcalloc(sp->n_used ? sp->n_used : 1, 1);
    struct slot *slots = xcalloc(sp->n_used ? sp->n_used : 1, sizeof *slots);
    for (size_t i = 0; i < sp->n_used; i++)
        fc_pred_alloc(&slots[i].pred, sp->used[i].test_end - sp->used[i].test_begin, L,
                      has_point);
    int rc = -1;
    if (cfg->strategy == FC_COMBINED) {
        char *mdir = fc_xasprintf("%s/model", dir);
        int done = 0;
        if (o->resume) {
            done = load_finished(cfg, mdir, NULL, &res->pred) == 0;
            fc_error_clear(); /* not verified: it is trained again */
            if (done)
                fc_info(1, "resume: the combined model is complete and verified");
        }
        if (!done) {
            size_t n_fit, n_val;
            uint32_t *fit = fc_split_rows(sp, 0, &n_fit);
            uint32_t *val = fc_split_rows(sp, 1, &n_val);
            fc_info(1, "training %s (combined) on %zu rows of %zu series, validating on %zu",
                    ops->name, n_fit, sp->n_used, n_val);
            rc = fit_save_predict(cfg, ds, fit, n_fit, val, n_val, res->rows, n_test, mdir,
                                  NULL, n_cores(), &res->pred, &res->fit_seconds,
                                  &res->predict_seconds);
            free(fit);
            free(val);
        }
        free(mdir);
        if (!done && rc)
            goto out;
        memset(ok, 1, sp->n_used);
        res->n_models = 1;
    } else {
        if (train_individual(cfg, ds, sp, dir, o, slots, res))
            goto out;
        size_t offset = 0;
        for (size_t i = 0; i < sp->n_used; i++) {
            struct slot *sl = &slots[i];
            size_t nt = sp->used[i].test_end - sp->used[i].test_begin;
            if (sl->state == DONE) {
                ok[i] = 1;
                res->n_models++;
                if (has_point)
                    memcpy(res->pred.point + offset, sl->pred.point, nt * sizeof(float));
                if (L)
                    memcpy(res->pred.q + offset * L, sl->pred.q, nt * L * sizeof(float));
            } else if (sl->state == FAILED) {
                res->failed = xrealloc(res->failed, (res->n_failed + 1) * sizeof *res->failed);
                res->failed[res->n_failed].series = sp->used[i].series;
                res->failed[res->n_failed].reason = xstrdup(sl->reason ? sl->reason : "");
                res->n_failed++;
                if (!o->merge)
                    fc_warn("series %s failed: %s", ds->series_key[sp->used[i].series],
                            sl->reason);
            }
            res->fit_seconds += sl->fit_s;
            res->predict_seconds += sl->pred_s;
            offset += nt;
        }
        if (o->shard_n && !o->merge) {
            res->shard_only = 1; /* the run's results come with `forecast merge` */
            rc = 0;
            goto out;
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
    for (size_t i = 0; i < sp->n_used; i++) {
        fc_pred_free(&slots[i].pred);
        free(slots[i].reason);
    }
    free(slots);
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

/*
 * modeldir.c — one model's directory: its files, predictions.bin and the
 * manifest written last (modeldir.h); and the predictions CSV.
 */
#include "forecast/store/modeldir.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forecast/core/util.h"
#include "forecast/data/csv.h"
#include "forecast/data/dataset.h"
#include "forecast/store/store.h"

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

char *fc_modeldir_path(const char *dir, const char *series_key)
{
    if (!series_key)
        return fc_xasprintf("%s/model", dir);
    char *name = fc_series_dirname(series_key);
    char *mdir = fc_xasprintf("%s/series/%s", dir, name);
    free(name);
    return mdir;
}

/* ---- saving ---- */

/* training_curve.csv: [level,] step, train_<loss>, val_<loss>[, seconds] */
static int write_curves(const char *mdir, const struct fc_fit_record *r)
{
    const struct fc_curve *c0 = &r->curves[0];
    int levels = 0, secs = c0->seconds != NULL;
    for (size_t i = 0; i < r->n_curves; i++)
        levels |= !isnan(r->curves[i].level);
    struct fc_buf b;
    fc_buf_init(&b);
    fc_buf_printf(&b, "%s%s,train_%s,val_%s%s\n", levels ? "level," : "", c0->step, c0->loss,
                  c0->loss, secs ? ",seconds" : "");
    for (size_t i = 0; i < r->n_curves; i++) {
        const struct fc_curve *c = &r->curves[i];
        for (size_t k = 0; k < c->n; k++) {
            if (levels)
                fc_buf_printf(&b, "%.15g,", c->level);
            fc_buf_printf(&b, "%ld,", (long)k + c->first);
            fc_buf_put_double(&b, c->train[k]);
            fc_buf_putc(&b, ',');
            fc_buf_put_double(&b, c->val[k]);
            if (secs)
                fc_buf_printf(&b, ",%.6f", c->seconds ? c->seconds[k] : NAN);
            fc_buf_putc(&b, '\n');
        }
    }
    int rc = fc_write_in(mdir, "training_curve.csv", b.s, b.len);
    fc_buf_free(&b);
    return rc;
}

/* feature_importance.csv: feature, gain, weight, cover */
static int write_importance(const char *mdir, const struct fc_fit_record *r)
{
    struct fc_buf b;
    fc_buf_init(&b);
    fc_buf_puts(&b, "feature,gain,weight,cover\n");
    for (size_t j = 0; j < r->n_importance; j++) {
        const struct fc_importance *f = &r->importance[j];
        fc_buf_put_csv_field(&b, f->feature);
        fc_buf_printf(&b, ",%.9g,%.9g,%.9g\n", f->gain, f->weight, f->cover);
    }
    int rc = fc_write_in(mdir, "feature_importance.csv", b.s, b.len);
    fc_buf_free(&b);
    return rc;
}

int fc_modeldir_save(const char *mdir, const struct fc_model_ops *ops, void *model,
                     struct fc_fit_record *rec)
{
    memset(rec, 0, sizeof *rec);
    if (fc_mkdir_p(mdir) || ops->save(model, mdir))
        return -1;
    if (ops->record)
        ops->record(model, rec);
    if (rec->n_curves && write_curves(mdir, rec))
        return -1;
    if (rec->importance && write_importance(mdir, rec))
        return -1;
    return 0;
}

/* ---- reading a record back ---- */

struct curve_reader {
    struct fc_fit_record *r;
    int c_level, c_step, c_train, c_val, c_secs;
    char step[16], loss[32];
    size_t *cap;
};

static int on_curve_row(void *ctx, char **f, size_t n, long line)
{
    struct curve_reader *C = ctx;
    if (line == 1) {
        for (size_t i = 0; i < n; i++) {
            if (strcmp(f[i], "level") == 0)
                C->c_level = (int)i;
            else if (strcmp(f[i], "seconds") == 0)
                C->c_secs = (int)i;
            else if (strncmp(f[i], "train_", 6) == 0 && C->c_train < 0) {
                C->c_train = (int)i;
                snprintf(C->loss, sizeof C->loss, "%s", f[i] + 6);
            } else if (strncmp(f[i], "val_", 4) == 0 && C->c_val < 0)
                C->c_val = (int)i;
            else if (C->c_step < 0) {
                C->c_step = (int)i;
                snprintf(C->step, sizeof C->step, "%s", f[i]);
            }
        }
        return C->c_step >= 0 && C->c_train >= 0 && C->c_val >= 0 ? 0 : -1;
    }
    double v[5] = {NAN, NAN, NAN, NAN, NAN};
    int cols[5] = {C->c_level, C->c_step, C->c_train, C->c_val, C->c_secs};
    for (int k = 0; k < 5; k++)
        if (cols[k] >= 0 && ((size_t)cols[k] >= n || fc_parse_double(f[cols[k]], &v[k])))
            v[k] = NAN;
    if (isnan(v[1]))
        return 0;
    struct fc_fit_record *r = C->r;
    size_t i = 0;
    while (i < r->n_curves && !(r->curves[i].level == v[0] ||
                                (isnan(v[0]) && isnan(r->curves[i].level))))
        i++;
    if (i == r->n_curves) {
        r->curves = xrealloc(r->curves, (i + 1) * sizeof *r->curves);
        C->cap = xrealloc(C->cap, (i + 1) * sizeof *C->cap);
        fc_curve_init(&r->curves[i], v[0], C->step, C->loss, (int)v[1], 0, C->c_secs >= 0);
        C->cap[i] = 1;
        r->n_curves++;
    }
    struct fc_curve *c = &r->curves[i];
    if (c->n == C->cap[i]) {
        C->cap[i] *= 2;
        c->train = xrealloc(c->train, C->cap[i] * sizeof *c->train);
        c->val = xrealloc(c->val, C->cap[i] * sizeof *c->val);
        if (c->seconds)
            c->seconds = xrealloc(c->seconds, C->cap[i] * sizeof *c->seconds);
    }
    c->train[c->n] = v[2];
    c->val[c->n] = v[3];
    if (c->seconds)
        c->seconds[c->n] = v[4];
    c->n++;
    return 0;
}

static int on_importance_row(void *ctx, char **f, size_t n, long line)
{
    struct fc_fit_record *r = ctx;
    if (line == 1 || n != 4)
        return 0;
    struct fc_importance imp = {NULL, NAN, NAN, NAN};
    if (fc_parse_double(f[1], &imp.gain) || fc_parse_double(f[2], &imp.weight) ||
        fc_parse_double(f[3], &imp.cover))
        return 0;
    imp.feature = xstrdup(f[0]);
    r->importance = xrealloc(r->importance, (r->n_importance + 1) * sizeof *r->importance);
    r->importance[r->n_importance++] = imp;
    return 0;
}

void fc_modeldir_read_record(const char *mdir, struct fc_fit_record *rec)
{
    memset(rec, 0, sizeof *rec);
    char *path = fc_xasprintf("%s/training_curve.csv", mdir);
    struct curve_reader C = {rec, -1, -1, -1, -1, -1, "", "", NULL};
    if (access(path, F_OK) == 0)
        fc_csv_foreach(path, on_curve_row, &C);
    free(C.cap);
    free(path);
    path = fc_xasprintf("%s/feature_importance.csv", mdir);
    if (access(path, F_OK) == 0)
        fc_csv_foreach(path, on_importance_row, rec);
    free(path);
    fc_error_clear(); /* a missing or unreadable record only leaves a report shorter */
}

/* The hyperparameters a model is trained with, from the run's resolved
 * config, into m: "params" (the model's) and, for an ensemble,
 * "member_params" (each member's). */
static void add_training_params(cJSON *m, const struct fc_config *cfg)
{
    const cJSON *models = cJSON_GetObjectItemCaseSensitive(cfg->json, "models");
    cJSON_AddItemToObject(
        m, "params",
        cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(models, cfg->model.ops->name), 1));
    if (!cfg->model.params.n_members)
        return;
    cJSON *mp = cJSON_AddObjectToObject(m, "member_params");
    for (size_t i = 0; i < cfg->model.params.n_members; i++) {
        const char *name = cfg->model.params.members[i].ops->name;
        cJSON_AddItemToObject(
            mp, name, cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(models, name), 1));
    }
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
    add_training_params(m, cfg);
    return m;
}


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

int fc_modeldir_finish(const char *mdir, const struct fc_config *cfg,
                       const struct fc_dataset *ds, const char *series_key,
                       const struct fc_pred *pred)
{
    if (write_pred_file(mdir, pred))
        return -1;
    cJSON *info = manifest_info(cfg, ds, series_key);
    cJSON_AddNumberToObject(info, "test_rows", (double)pred->n);
    int rc = fc_manifest_write(mdir, info);
    cJSON_Delete(info);
    return rc;
}

/* The manifest's strategy, quantile levels and hyperparameters against the
 * run's config: a model trained otherwise (a copied shard, an edited
 * manifest) is not this run's. 0, or -1 after fc_error. */
static int same_training(const struct fc_config *cfg, const cJSON *man, const char *mdir)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(man, "strategy");
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(man, "quantiles");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(man, "params");
    const cJSON *mp = cJSON_GetObjectItemCaseSensitive(man, "member_params");
    cJSON *want = cJSON_CreateObject();
    add_training_params(want, cfg);
    const cJSON *mine = cJSON_GetObjectItemCaseSensitive(want, "params");
    const cJSON *theirs = cJSON_GetObjectItemCaseSensitive(want, "member_params");
    cJSON *levels = cJSON_CreateDoubleArray(cfg->quantiles, (int)cfg->n_quantiles);
    const char *what = NULL;
    if (!cJSON_IsString(st) || strcmp(st->valuestring, fc_strategy_name(cfg->strategy)) != 0)
        what = "strategy";
    else if (!q || !cJSON_Compare(q, levels, 1))
        what = "quantile levels";
    else if (!p || !cJSON_IsObject(mine) || !cJSON_Compare(p, mine, 1))
        what = "hyperparameters";
    else if ((mp || theirs) && !(mp && theirs && cJSON_Compare(mp, theirs, 1)))
        what = "member hyperparameters";
    cJSON_Delete(levels);
    cJSON_Delete(want);
    if (what)
        return fc_error("%s/manifest.json: the model was trained with other %s than this "
                        "run's config",
                        mdir, what);
    return 0;
}

/* ---- a finished directory, for resume and merge ---- */

int fc_modeldir_verify(const struct fc_config *cfg, const char *mdir, const char *series_key,
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
    else if (same_training(cfg, man, mdir) == 0)
        rc = read_pred_file(mdir, out);
    cJSON_Delete(man);
    return rc;
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
    return fc_predictions_write_cutoffs(path, ds, rows, p, levels, with_actual, NULL);
}

int fc_predictions_write_cutoffs(const char *path, const struct fc_dataset *ds,
                                 const uint32_t *rows, const struct fc_pred *p,
                                 const double *levels, int with_actual, const int32_t *cutoff)
{
    struct fc_buf b;
    fc_buf_init(&b);
    for (size_t k = 0; k < ds->n_id_cols; k++) {
        fc_buf_put_csv_field(&b, ds->id_col_names[k]);
        fc_buf_putc(&b, ',');
    }
    fc_buf_puts(&b, "date");
    if (cutoff)
        fc_buf_puts(&b, ",cutoff");
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
        if (cutoff) {
            fc_format_date(cutoff[i], d);
            fc_buf_putc(&b, ',');
            fc_buf_puts(&b, d);
        }
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

/* ---- loading a model to predict with ---- */

void *fc_modeldir_load(const struct fc_config *cfg, const struct fc_dataset *ds,
                       const char *mdir, const struct fc_model_ctx *ctx)
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
    if (same_training(cfg, man, mdir))
        goto out;
    size_t nf = (size_t)cJSON_GetArraySize(feat);
    for (size_t j = 0; ds && (j < nf || j < ds->n_features); j++) {
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
    model = ops->load(mdir, &cfg->model.params, ctx);
out:
    cJSON_Delete(man);
    return model;
}

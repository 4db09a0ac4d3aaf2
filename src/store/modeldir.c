/*
 * modeldir.c — one model's directory: its files, predictions.bin and the
 * manifest written last (modeldir.h); and the predictions CSV.
 */
#include "forecast/store/modeldir.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/store/store.h"
#include "forecast/core/util.h"

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

int fc_modeldir_save(const char *mdir, const struct fc_model_ops *ops, void *model)
{
    return fc_mkdir_p(mdir) || ops->save(model, mdir) ? -1 : 0;
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
    else
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
    model = ops->load(mdir, &cfg->model.params, ctx);
out:
    cJSON_Delete(man);
    return model;
}

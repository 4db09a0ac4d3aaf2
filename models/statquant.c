/*
 * statquant.c — the quantile baseline: per-series empirical quantiles of the
 * training target (linear interpolation, numpy's default), point forecast =
 * median or mean, optionally one set per weekday. Trained on the whole
 * history before the split date (fit + validation rows: it has nothing to
 * stop early). In the combined strategy the one model file still holds
 * per-series statistics, plus pooled statistics used for series it never saw.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/data/dataset.h"
#include "forecast/core/model.h"
#include "forecast/store/store.h"
#include "forecast/core/util.h"

static const char *const point_choices[] = {"median", "mean", NULL};

static const struct fc_param_spec statquant_params[] = {
    {.name = "point", .type = FC_PARAM_ENUM, .def_str = "median", .choices = point_choices,
     .doc = "point forecast: the median (50% quantile) or the mean of the training target"},
    {.name = "by_weekday", .type = FC_PARAM_BOOL, .def = 0,
     FC_SEARCH_CHOICES,
     .doc = "keep separate statistics per day of the week (Monday..Sunday)"},
    {.name = "min_weekday_rows", .type = FC_PARAM_INT, .def = 8, .min = 1, .max = INFINITY,
     .doc = "with by_weekday, a weekday with fewer training rows falls back to the "
            "series' all-days statistics"},
};

#define N_STATQUANT_PARAMS (sizeof statquant_params / sizeof statquant_params[0])

/* Statistics of one group of target values. */
struct stats {
    size_t n;
    double point;
    double *q; /* (n_levels) */
};

struct series_stats {
    char *key;
    struct stats all;
    struct stats wd[7]; /* used when by_weekday and wd[d].n >= min_weekday_rows */
};

struct statquant {
    double *levels;
    size_t n_levels;
    int point_mean;
    int by_weekday;
    long min_wd;
    struct stats global;     /* pooled over every training row */
    struct series_stats *series;
    size_t n_series;
    struct fc_strmap index;  /* key -> position in series */
};

/* ---- computing statistics ---- */

static void stats_compute(struct stats *st, double *x, size_t n, const struct statquant *m)
{
    st->n = n;
    st->q = xcalloc(m->n_levels ? m->n_levels : 1, sizeof *st->q);
    if (n == 0) {
        st->point = NAN;
        for (size_t j = 0; j < m->n_levels; j++)
            st->q[j] = NAN;
        return;
    }
    qsort(x, n, sizeof *x, fc_cmp_double);
    for (size_t j = 0; j < m->n_levels; j++)
        st->q[j] = fc_quantile_sorted(x, n, m->levels[j]);
    if (m->point_mean) {
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += x[i];
        st->point = s / (double)n;
    } else {
        st->point = fc_quantile_sorted(x, n, 0.5);
    }
}

static void *statquant_create(const struct fc_params *p, const struct fc_model_ctx *ctx)
{
    struct statquant *m = xcalloc(1, sizeof *m);
    m->n_levels = ctx->n_quantiles;
    m->levels = xcalloc(m->n_levels ? m->n_levels : 1, sizeof *m->levels);
    if (m->n_levels)
        memcpy(m->levels, ctx->quantiles, m->n_levels * sizeof *m->levels);
    m->point_mean = strcmp(fc_params_str(p, "point"), "mean") == 0;
    m->by_weekday = fc_params_num(p, "by_weekday") != 0;
    m->min_wd = (long)fc_params_num(p, "min_weekday_rows");
    fc_strmap_init(&m->index);
    return m;
}

static void statquant_free(void *model)
{
    struct statquant *m = model;
    if (!m)
        return;
    for (size_t i = 0; i < m->n_series; i++) {
        free(m->series[i].key);
        free(m->series[i].all.q);
        for (int d = 0; d < 7; d++)
            free(m->series[i].wd[d].q);
    }
    free(m->series);
    free(m->global.q);
    free(m->levels);
    fc_strmap_free(&m->index);
    free(m);
}

static int statquant_fit(void *model, const struct fc_fit_input *in)
{
    struct statquant *m = model;
    const struct fc_dataset *ds = in->ds;
    size_t n = in->n_rows + in->n_val;
    if (n == 0)
        return fc_error("statquant: no training rows");
    /* rows of all parts, sorted by series so each series is one run */
    uint32_t *rows = xmalloc(n * sizeof *rows);
    if (in->n_rows)
        memcpy(rows, in->rows, in->n_rows * sizeof *rows);
    if (in->n_val)
        memcpy(rows + in->n_rows, in->val_rows, in->n_val * sizeof *rows);
    double *all = xmalloc(n * sizeof *all);
    for (size_t i = 0; i < n; i++)
        all[i] = ds->target[rows[i]];
    double *buf = xmalloc(n * sizeof *buf);
    /* bucket rows by series (counting sort): each series becomes one run */
    size_t *off = xcalloc(ds->n_series + 1, sizeof *off);
    for (size_t i = 0; i < n; i++)
        off[ds->series[rows[i]] + 1]++;
    for (size_t s = 0; s < ds->n_series; s++)
        off[s + 1] += off[s];
    uint32_t *bucket = xmalloc(n * sizeof *bucket);
    size_t *fill = xmalloc(ds->n_series * sizeof *fill);
    memcpy(fill, off, ds->n_series * sizeof *fill);
    for (size_t i = 0; i < n; i++)
        bucket[fill[ds->series[rows[i]]]++] = rows[i];
    m->series = xcalloc(ds->n_series, sizeof *m->series);
    for (uint32_t s = 0; s < ds->n_series; s++) {
        if (off[s] == off[s + 1])
            continue;
        struct series_stats *ss = &m->series[m->n_series];
        ss->key = xstrdup(ds->series_key[s]);
        size_t k = 0;
        for (size_t i = off[s]; i < off[s + 1]; i++)
            buf[k++] = ds->target[bucket[i]];
        stats_compute(&ss->all, buf, k, m);
        for (int d = 0; d < 7; d++) {
            k = 0;
            if (m->by_weekday)
                for (size_t i = off[s]; i < off[s + 1]; i++)
                    if (fc_weekday(ds->date[bucket[i]]) == d)
                        buf[k++] = ds->target[bucket[i]];
            stats_compute(&ss->wd[d], buf, k, m);
        }
        fc_strmap_put(&m->index, ss->key, (uint32_t)m->n_series);
        m->n_series++;
    }
    free(off);
    free(fill);
    free(bucket);
    stats_compute(&m->global, all, n, m);
    free(buf);
    free(all);
    free(rows);
    return 0;
}

static int statquant_predict(void *model, const struct fc_dataset *ds, const uint32_t *rows,
                             size_t n, struct fc_pred *out)
{
    struct statquant *m = model;
    FC_ASSERT(out->n_quantiles == m->n_levels);
    for (size_t i = 0; i < n; i++) {
        uint32_t r = rows[i];
        long pos = fc_strmap_get(&m->index, ds->series_key[ds->series[r]]);
        const struct stats *st = &m->global;
        if (pos >= 0) {
            const struct series_stats *ss = &m->series[pos];
            st = &ss->all;
            int d = fc_weekday(ds->date[r]);
            if (m->by_weekday && ss->wd[d].n >= (size_t)m->min_wd)
                st = &ss->wd[d];
        }
        if (out->point)
            out->point[i] = (float)st->point;
        for (size_t j = 0; j < m->n_levels; j++)
            out->q[i * m->n_levels + j] = (float)st->q[j];
    }
    return 0;
}

/* ---- save / load ---- */

static cJSON *stats_json(const struct stats *st, size_t n_levels)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "n", (double)st->n);
    if (st->n) {
        cJSON_AddNumberToObject(o, "point", st->point);
        cJSON_AddItemToObject(o, "q", cJSON_CreateDoubleArray(st->q, (int)n_levels));
    }
    return o;
}

static int statquant_save(void *model, const char *dir)
{
    struct statquant *m = model;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "format_version", 1);
    cJSON_AddStringToObject(root, "model", "statquant");
    cJSON_AddItemToObject(root, "levels", cJSON_CreateDoubleArray(m->levels, (int)m->n_levels));
    cJSON_AddStringToObject(root, "point", m->point_mean ? "mean" : "median");
    cJSON_AddBoolToObject(root, "by_weekday", m->by_weekday);
    cJSON_AddNumberToObject(root, "min_weekday_rows", (double)m->min_wd);
    cJSON_AddItemToObject(root, "global", stats_json(&m->global, m->n_levels));
    cJSON *series = cJSON_AddObjectToObject(root, "series");
    for (size_t i = 0; i < m->n_series; i++) {
        cJSON *o = stats_json(&m->series[i].all, m->n_levels);
        if (m->by_weekday) {
            cJSON *wd = cJSON_AddArrayToObject(o, "weekday");
            for (int d = 0; d < 7; d++)
                cJSON_AddItemToArray(wd, stats_json(&m->series[i].wd[d], m->n_levels));
        }
        cJSON_AddItemToObject(series, m->series[i].key, o);
    }
    return fc_write_json_in(dir, "statquant.json", root);
}

static int stats_load(const cJSON *o, struct stats *st, size_t n_levels, const char *path,
                      const char *what)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, "n");
    st->q = xcalloc(n_levels ? n_levels : 1, sizeof *st->q);
    if (!cJSON_IsNumber(n) || n->valuedouble < 0)
        return fc_error("%s: %s: bad or missing \"n\"", path, what);
    st->n = (size_t)n->valuedouble;
    st->point = NAN;
    for (size_t j = 0; j < n_levels; j++)
        st->q[j] = NAN;
    if (st->n == 0)
        return 0;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "point");
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(o, "q");
    if (!cJSON_IsNumber(p) || !cJSON_IsArray(q) || (size_t)cJSON_GetArraySize(q) != n_levels)
        return fc_error("%s: %s: expected \"point\" and %zu quantiles", path, what, n_levels);
    st->point = p->valuedouble;
    size_t j = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, q)
    {
        if (!cJSON_IsNumber(e))
            return fc_error("%s: %s: quantile %zu is not a number", path, what, j);
        st->q[j++] = e->valuedouble;
    }
    return 0;
}

static void *statquant_load(const char *dir, const struct fc_params *p,
                            const struct fc_model_ctx *ctx)
{
    char *path = fc_xasprintf("%s/statquant.json", dir);
    cJSON *root = fc_read_json(path);
    struct statquant *m = statquant_create(p, ctx);
    int ok = 0;
    if (!root)
        goto out;
    const cJSON *fv = cJSON_GetObjectItemCaseSensitive(root, "format_version");
    const cJSON *lv = cJSON_GetObjectItemCaseSensitive(root, "levels");
    if (!cJSON_IsNumber(fv) || fv->valuedouble != 1) {
        fc_error("%s: format_version is not 1", path);
        goto out;
    }
    if (!cJSON_IsArray(lv) || (size_t)cJSON_GetArraySize(lv) != m->n_levels) {
        fc_error("%s: quantile levels differ from the run's configuration", path);
        goto out;
    }
    for (size_t j = 0; j < m->n_levels; j++) {
        const cJSON *e = cJSON_GetArrayItem(lv, (int)j);
        if (!cJSON_IsNumber(e) || e->valuedouble != m->levels[j]) {
            fc_error("%s: quantile levels differ from the run's configuration", path);
            goto out;
        }
    }
    if (stats_load(cJSON_GetObjectItemCaseSensitive(root, "global"), &m->global, m->n_levels,
                   path, "global"))
        goto out;
    const cJSON *series = cJSON_GetObjectItemCaseSensitive(root, "series");
    if (!cJSON_IsObject(series)) {
        fc_error("%s: no \"series\" object", path);
        goto out;
    }
    m->series = xcalloc((size_t)cJSON_GetArraySize(series) + 1, sizeof *m->series);
    const cJSON *o;
    cJSON_ArrayForEach(o, series)
    {
        struct series_stats *ss = &m->series[m->n_series++];
        ss->key = xstrdup(o->string);
        if (stats_load(o, &ss->all, m->n_levels, path, o->string))
            goto out;
        const cJSON *wd = cJSON_GetObjectItemCaseSensitive(o, "weekday");
        for (int d = 0; d < 7; d++) {
            if (!m->by_weekday) {
                ss->wd[d].q = xcalloc(1, sizeof *ss->wd[d].q);
                continue;
            }
            if (cJSON_GetArraySize(wd) != 7) {
                fc_error("%s: %s: expected 7 weekday entries", path, o->string);
                goto out;
            }
            if (stats_load(cJSON_GetArrayItem(wd, d), &ss->wd[d], m->n_levels, path,
                           o->string))
                goto out;
        }
        if (fc_strmap_get(&m->index, ss->key) >= 0) {
            fc_error("%s: series %s listed twice", path, ss->key);
            goto out;
        }
        fc_strmap_put(&m->index, ss->key, (uint32_t)(m->n_series - 1));
    }
    ok = 1;
out:
    cJSON_Delete(root);
    free(path);
    if (!ok) {
        statquant_free(m);
        return NULL;
    }
    return m;
}

const struct fc_model_ops fc_model_statquant = {
    .name = "statquant",
    .family = "baseline",
    .summary = "per-series empirical quantiles of the training target (baseline)",
    .details =
        "For each series, the quantiles of its training target (every row before the "
        "split date) with linear interpolation (numpy's default), and a point forecast "
        "equal to the median or the mean. With by_weekday, one set of statistics per day "
        "of the week. Features are not used. In the combined strategy one model file "
        "still holds per-series statistics, plus statistics pooled over all series that "
        "serve series the model never saw; in the individual strategy each series has "
        "its own file. Quantiles are monotone in the level by construction.",
    .params = statquant_params,
    .n_params = N_STATQUANT_PARAMS,
    .flags = FC_MODEL_POINT | FC_MODEL_QUANTILE | FC_MODEL_NO_FEATURES | FC_MODEL_FITS_VALIDATION,
    .create = statquant_create,
    .fit = statquant_fit,
    .predict = statquant_predict,
    .save = statquant_save,
    .load = statquant_load,
    .free = statquant_free,
};

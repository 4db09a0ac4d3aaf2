/*
 * baselines.c — the classical per-series baselines a model has to beat:
 *   seasonal_naive  the value one season earlier (the last season of the
 *                   training history repeated);
 *   croston         Croston's method for intermittent demand: demand sizes
 *                   and the intervals between demands smoothed separately,
 *                   forecast size / interval ("sba": times 1 - alpha / 2,
 *                   the Syntetos-Boylan approximation);
 *   tsb             Teunter-Syntetos-Babai: the demand probability smoothed
 *                   every period, the size on demand; forecast probability
 *                   x size.
 * Each reads only the target, per series in date order over the periods of
 * the data's frequency (data/derive.h), and is fitted on the whole history
 * before the split (fit + validation rows: nothing stops early). The
 * forecast depends on the period only through the season (seasonal_naive)
 * or not at all (croston, tsb: flat). Quantiles: the point plus the
 * empirical quantiles of the training part's in-sample residuals (one
 * season ahead for seasonal_naive, one period ahead for the others). A
 * series the model never saw gets the pooled residual quantiles around the
 * median of the series' points.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/model.h"
#include "forecast/core/util.h"
#include "forecast/data/dataset.h"
#include "forecast/data/derive.h"
#include "forecast/store/store.h"

enum kind { SEASONAL_NAIVE, CROSTON, TSB };

static const char *const kind_names[] = {"seasonal_naive", "croston", "tsb"};
static const char *const croston_variants[] = {"classic", "sba", NULL};

struct series_state {
    char *key;
    int64_t first_period;   /* of the stored season (seasonal_naive) */
    double *values;         /* (season) seasonal_naive; point[0] otherwise */
    double *res_q;          /* (L) residual quantiles */
};

struct baseline {
    enum kind kind;
    int season;             /* seasonal_naive: 0 = from the frequency */
    double alpha, beta;     /* croston / tsb smoothing */
    int sba;
    enum fc_freq freq;
    double *levels;
    size_t L;
    size_t n_values;        /* per series: season or 1 */
    struct series_state *series;
    size_t n_series;
    struct fc_strmap index;
    double global_point;
    double *global_q;       /* (L) pooled residual quantiles */
};

static void *create(enum kind k, const struct fc_params *p, const struct fc_model_ctx *ctx)
{
    struct baseline *m = xcalloc(1, sizeof *m);
    m->kind = k;
    if (k == SEASONAL_NAIVE) {
        m->season = (int)fc_params_num(p, "season");
    } else {
        m->alpha = fc_params_num(p, "alpha");
        if (k == CROSTON)
            m->sba = strcmp(fc_params_str(p, "variant"), "sba") == 0;
        else
            m->beta = fc_params_num(p, "beta");
    }
    m->L = ctx->n_quantiles;
    m->levels = xcalloc(m->L ? m->L : 1, sizeof *m->levels);
    memcpy(m->levels, ctx->quantiles, m->L * sizeof *m->levels);
    m->global_q = xcalloc(m->L ? m->L : 1, sizeof *m->global_q);
    fc_strmap_init(&m->index);
    return m;
}

static void *sn_create(const struct fc_params *p, const struct fc_model_ctx *c)
{
    return create(SEASONAL_NAIVE, p, c);
}
static void *cr_create(const struct fc_params *p, const struct fc_model_ctx *c)
{
    return create(CROSTON, p, c);
}
static void *tsb_create(const struct fc_params *p, const struct fc_model_ctx *c)
{
    return create(TSB, p, c);
}

static void bl_free(void *model)
{
    struct baseline *m = model;
    if (!m)
        return;
    for (size_t i = 0; i < m->n_series; i++) {
        free(m->series[i].key);
        free(m->series[i].values);
        free(m->series[i].res_q);
    }
    free(m->series);
    free(m->levels);
    free(m->global_q);
    fc_strmap_free(&m->index);
    free(m);
}

/* the level-a quantile of sorted x[0..n), 0 when empty */
static double quantile(const double *x, size_t n, double a)
{
    return n ? fc_quantile_sorted(x, n, a) : 0;
}

/* One series' observations in period order: periods p[0..n), targets y. */


/* seasonal_naive: the last season (a missing period takes the value of the
 * same phase a season earlier, else the series' mean); residuals
 * y[t] - y[t - season] */
static void fit_seasonal(const struct baseline *m, const struct fc_obs *o, size_t n,
                         struct series_state *st, double *res, size_t *nres)
{
    int S = m->season;
    int64_t last = o[n - 1].period;
    st->first_period = last - S + 1;
    st->values = xmalloc((size_t)S * sizeof *st->values);
    double mean = 0;
    for (size_t i = 0; i < n; i++)
        mean += o[i].y;
    mean /= (double)n;
    for (int j = 0; j < S; j++)
        st->values[j] = NAN;
    /* the latest value of each phase */
    for (size_t i = 0; i < n; i++) {
        int64_t ph = ((o[i].period - st->first_period) % S + S) % S;
        st->values[ph] = o[i].y;
    }
    for (int j = 0; j < S; j++)
        if (isnan(st->values[j]))
            st->values[j] = mean;
    /* residuals of the forecast one season ahead, where both periods exist */
    size_t k = 0;
    for (size_t i = 0, j = 0; i < n; i++) {
        while (j < i && o[j].period < o[i].period - S)
            j++;
        if (j < i && o[j].period == o[i].period - S)
            res[k++] = o[i].y - o[j].y;
    }
    *nres = k;
}

/* croston / tsb: the smoothed forecast after the last period, and the
 * one-period-ahead in-sample residuals (from the first demand on) */
static void fit_intermittent(const struct baseline *m, const struct fc_obs *o, size_t n,
                             struct series_state *st, double *res, size_t *nres)
{
    double a = m->alpha, size = NAN, interval = NAN, prob = NAN;
    int64_t last_demand = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        double f = NAN; /* the forecast made before seeing y */
        if (m->kind == CROSTON && !isnan(size))
            f = size / interval * (m->sba ? 1 - a / 2 : 1);
        else if (m->kind == TSB && !isnan(size))
            f = prob * size;
        if (!isnan(f))
            res[k++] = o[i].y - f;
        int demand = o[i].y != 0;
        if (m->kind == TSB) {
            /* probability smoothed every period, size on demand */
            prob = isnan(prob) ? (double)demand : prob + m->beta * ((double)demand - prob);
            if (demand)
                size = isnan(size) ? o[i].y : size + a * (o[i].y - size);
        } else if (demand) {
            double q = isnan(size) ? 1 : (double)(o[i].period - last_demand);
            if (isnan(size)) {
                size = o[i].y;
                interval = q;
            } else {
                size += a * (o[i].y - size);
                interval += a * (q - interval);
            }
            last_demand = o[i].period;
        }
    }
    st->values = xmalloc(sizeof *st->values);
    if (isnan(size))
        st->values[0] = 0; /* no demand in the history */
    else if (m->kind == CROSTON)
        st->values[0] = size / interval * (m->sba ? 1 - a / 2 : 1);
    else
        st->values[0] = prob * size;
    *nres = k;
}

static int bl_fit(void *model, const struct fc_fit_input *in)
{
    struct baseline *m = model;
    const struct fc_dataset *ds = in->ds;
    size_t n = in->n_rows + in->n_val;
    if (n == 0)
        return fc_error("%s: no training rows", kind_names[m->kind]);
    m->freq = fc_derive_freq(ds, FC_FREQ_AUTO);
    if (m->kind == SEASONAL_NAIVE && m->season == 0)
        m->season = fc_freq_season(m->freq);
    m->n_values = m->kind == SEASONAL_NAIVE ? (size_t)m->season : 1;
    struct fc_obs *o;
    size_t *off;
    fc_derive_series_obs(ds, in->rows, in->n_rows, in->val_rows, in->n_val, m->freq, &o, &off);
    double *res = xmalloc(n * sizeof *res), *all = xmalloc(n * sizeof *all);
    double *points = xmalloc((ds->n_series + 1) * sizeof *points);
    size_t n_all = 0;
    m->series = xcalloc(ds->n_series, sizeof *m->series);
    for (uint32_t s = 0; s < ds->n_series; s++) {
        struct fc_obs *so = o + off[s];
        size_t cnt = off[s + 1] - off[s], nres = 0;
        if (!cnt)
            continue;
        struct series_state *st = &m->series[m->n_series];
        st->key = xstrdup(ds->series_key[s]);
        if (m->kind == SEASONAL_NAIVE)
            fit_seasonal(m, so, cnt, st, res, &nres);
        else
            fit_intermittent(m, so, cnt, st, res, &nres);
        memcpy(all + n_all, res, nres * sizeof *res);
        n_all += nres;
        qsort(res, nres, sizeof *res, fc_cmp_double);
        st->res_q = xcalloc(m->L ? m->L : 1, sizeof *st->res_q);
        for (size_t j = 0; j < m->L; j++)
            st->res_q[j] = quantile(res, nres, m->levels[j]);
        double sum = 0;
        for (size_t j = 0; j < m->n_values; j++)
            sum += st->values[j];
        points[m->n_series] = sum / (double)m->n_values;
        fc_strmap_put(&m->index, st->key, (uint32_t)m->n_series);
        m->n_series++;
    }
    qsort(all, n_all, sizeof *all, fc_cmp_double);
    for (size_t j = 0; j < m->L; j++)
        m->global_q[j] = quantile(all, n_all, m->levels[j]);
    qsort(points, m->n_series, sizeof *points, fc_cmp_double);
    m->global_point = quantile(points, m->n_series, 0.5);
    free(off);
    free(o);
    free(res);
    free(all);
    free(points);
    return 0;
}

static int bl_predict(void *model, const struct fc_dataset *ds, const uint32_t *rows, size_t n,
                      struct fc_pred *out)
{
    struct baseline *m = model;
    for (size_t i = 0; i < n; i++) {
        uint32_t r = rows[i];
        long pos = fc_strmap_get(&m->index, ds->series_key[ds->series[r]]);
        double point = m->global_point;
        const double *q = m->global_q;
        if (pos >= 0) {
            const struct series_state *st = &m->series[pos];
            size_t ph = 0;
            if (m->kind == SEASONAL_NAIVE) {
                int64_t p = fc_derive_period(ds->date[r], m->freq), S = m->season;
                ph = (size_t)(((p - st->first_period) % S + S) % S);
            }
            point = st->values[ph];
            q = st->res_q;
        }
        if (out->point)
            out->point[i] = (float)point;
        for (size_t j = 0; j < m->L; j++)
            out->q[i * m->L + j] = (float)(point + q[j]);
    }
    return 0;
}

/* ---- files: <name>.json ---- */

static int bl_save(void *model, const char *dir)
{
    struct baseline *m = model;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "format_version", 1);
    cJSON_AddStringToObject(root, "model", kind_names[m->kind]);
    cJSON_AddStringToObject(root, "freq", fc_freq_name(m->freq));
    cJSON_AddNumberToObject(root, "n_values", (double)m->n_values);
    cJSON_AddItemToObject(root, "levels", cJSON_CreateDoubleArray(m->levels, (int)m->L));
    cJSON_AddNumberToObject(root, "global_point", m->global_point);
    cJSON_AddItemToObject(root, "global_q", cJSON_CreateDoubleArray(m->global_q, (int)m->L));
    cJSON *series = cJSON_AddObjectToObject(root, "series");
    for (size_t i = 0; i < m->n_series; i++) {
        const struct series_state *st = &m->series[i];
        cJSON *o = cJSON_AddObjectToObject(series, st->key);
        cJSON_AddNumberToObject(o, "first_period", (double)st->first_period);
        cJSON_AddItemToObject(o, "values", cJSON_CreateDoubleArray(st->values, (int)m->n_values));
        cJSON_AddItemToObject(o, "res_q", cJSON_CreateDoubleArray(st->res_q, (int)m->L));
    }
    char *name = fc_xasprintf("%s.json", kind_names[m->kind]);
    int rc = fc_write_json_in(dir, name, root);
    free(name);
    return rc;
}

static void *load(enum kind k, const char *dir, const struct fc_params *p,
                  const struct fc_model_ctx *ctx)
{
    struct baseline *m = create(k, p, ctx);
    char *path = fc_xasprintf("%s/%s.json", dir, kind_names[k]);
    cJSON *root = fc_read_json(path);
    int ok = 0;
    if (!root)
        goto out;
    const cJSON *fv = cJSON_GetObjectItemCaseSensitive(root, "format_version");
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    const cJSON *freq = cJSON_GetObjectItemCaseSensitive(root, "freq");
    const cJSON *nv = cJSON_GetObjectItemCaseSensitive(root, "n_values");
    const cJSON *gp = cJSON_GetObjectItemCaseSensitive(root, "global_point");
    if (!cJSON_IsNumber(fv) || fv->valuedouble != 1 || !cJSON_IsString(model) ||
        strcmp(model->valuestring, kind_names[k]) != 0) {
        fc_error("%s: expected format_version 1 of a %s model", path, kind_names[k]);
        goto out;
    }
    m->freq = fc_freq_of_name(cJSON_GetStringValue(freq));
    if (m->freq == FC_FREQ_AUTO || !cJSON_IsNumber(nv) || nv->valuedouble < 1 ||
        nv->valuedouble > 1000 || nv->valuedouble != floor(nv->valuedouble) ||
        (k != SEASONAL_NAIVE && nv->valuedouble != 1) || !cJSON_IsNumber(gp) ||
        !isfinite(gp->valuedouble) ||
        fc_json_doubles(cJSON_GetObjectItemCaseSensitive(root, "levels"), m->L, m->global_q) ||
        fc_json_doubles(cJSON_GetObjectItemCaseSensitive(root, "global_q"), m->L, m->global_q)) {
        fc_error("%s: expected freq, n_values, levels (the run's %zu), global_point and "
                 "global_q",
                 path, m->L);
        goto out;
    }
    m->n_values = (size_t)nv->valuedouble;
    m->season = (int)m->n_values;
    m->global_point = gp->valuedouble;
    if (!fc_json_levels_match(cJSON_GetObjectItemCaseSensitive(root, "levels"), m->levels,
                              m->L)) {
        fc_error("%s: levels: the model was trained for other quantile levels", path);
        goto out;
    }
    const cJSON *series = cJSON_GetObjectItemCaseSensitive(root, "series");
    if (!cJSON_IsObject(series)) {
        fc_error("%s: series: expected an object", path);
        goto out;
    }
    size_t ns = (size_t)cJSON_GetArraySize(series);
    m->series = xcalloc(ns ? ns : 1, sizeof *m->series);
    const cJSON *o;
    cJSON_ArrayForEach(o, series)
    {
        struct series_state *st = &m->series[m->n_series];
        const cJSON *fp = cJSON_GetObjectItemCaseSensitive(o, "first_period");
        st->values = xcalloc(m->n_values, sizeof *st->values);
        st->res_q = xcalloc(m->L ? m->L : 1, sizeof *st->res_q);
        st->key = xstrdup(o->string);
        m->n_series++;
        if (!cJSON_IsNumber(fp) || fabs(fp->valuedouble) > 1e12 ||
            fc_json_doubles(cJSON_GetObjectItemCaseSensitive(o, "values"), m->n_values, st->values) ||
            fc_json_doubles(cJSON_GetObjectItemCaseSensitive(o, "res_q"), m->L, st->res_q) ||
            fc_strmap_get(&m->index, st->key) >= 0) {
            fc_error("%s: series \"%s\": expected first_period, %zu values and %zu residual "
                     "quantiles (once per series)",
                     path, st->key, m->n_values, m->L);
            goto out;
        }
        st->first_period = (int64_t)fp->valuedouble;
        fc_strmap_put(&m->index, st->key, (uint32_t)(m->n_series - 1));
    }
    ok = 1;
out:
    cJSON_Delete(root);
    free(path);
    if (!ok) {
        bl_free(m);
        return NULL;
    }
    return m;
}

static void *sn_load(const char *d, const struct fc_params *p, const struct fc_model_ctx *c)
{
    return load(SEASONAL_NAIVE, d, p, c);
}
static void *cr_load(const char *d, const struct fc_params *p, const struct fc_model_ctx *c)
{
    return load(CROSTON, d, p, c);
}
static void *tsb_load(const char *d, const struct fc_params *p, const struct fc_model_ctx *c)
{
    return load(TSB, d, p, c);
}

/* ---- the three plugins ---- */

#define QUANTILE_DOC                                                                      \
    " Quantiles: the point plus the empirical quantiles of the training part's in-sample " \
    "residuals; a series absent from training gets the pooled ones around the median of " \
    "the series' points. It reads the target only (no features) and fits the whole "     \
    "history before the split."

static const struct fc_param_spec sn_params[] = {
    {.name = "season", .type = FC_PARAM_INT, .def = 0, .min = 0, .max = 1000,
     .doc = "periods per season; 0 = from the data's frequency (daily 7, weekly 52, "
            "monthly 12)"},
};

static const struct fc_param_spec cr_params[] = {
    {.name = "alpha", .type = FC_PARAM_DOUBLE, .def = 0.1, .min = 0, .max = 1, .min_open = 1,
     FC_SEARCH(0.01, 0.5, 0),
     .doc = "smoothing of the demand sizes and of the intervals between demands"},
    {.name = "variant", .type = FC_PARAM_ENUM, .def_str = "classic", .choices = croston_variants,
     .doc = "classic (size / interval) or sba (times 1 - alpha / 2, the Syntetos-Boylan "
            "approximation, which removes Croston's bias)"},
};

static const struct fc_param_spec tsb_params[] = {
    {.name = "alpha", .type = FC_PARAM_DOUBLE, .def = 0.1, .min = 0, .max = 1, .min_open = 1,
     FC_SEARCH(0.01, 0.5, 0),
     .doc = "smoothing of the demand size (updated when there is demand)"},
    {.name = "beta", .type = FC_PARAM_DOUBLE, .def = 0.1, .min = 0, .max = 1, .min_open = 1,
     FC_SEARCH(0.01, 0.5, 0),
     .doc = "smoothing of the demand probability (updated every period)"},
};

#define BASELINE_FLAGS                                                                    \
    (FC_MODEL_POINT | FC_MODEL_QUANTILE | FC_MODEL_NO_FEATURES | FC_MODEL_FITS_VALIDATION)

const struct fc_model_ops fc_model_seasonal_naive = {
    .name = "seasonal_naive",
    .family = "baseline",
    .summary = "the value one season earlier (the last season repeated)",
    .details = "Per series, the forecast of a period is the training history's value in the "
               "same phase of its last season (a season of 7 days, 52 weeks or 12 months, or "
               "the season parameter); a phase missing from the last season takes the one "
               "before, else the series' mean. Residuals: y[t] - y[t - season] over the "
               "training part." QUANTILE_DOC,
    .params = sn_params,
    .n_params = sizeof sn_params / sizeof sn_params[0],
    .flags = BASELINE_FLAGS,
    .create = sn_create,
    .fit = bl_fit,
    .predict = bl_predict,
    .save = bl_save,
    .load = sn_load,
    .free = bl_free,
};

const struct fc_model_ops fc_model_croston = {
    .name = "croston",
    .family = "baseline",
    .summary = "Croston's method for intermittent demand (classic or SBA)",
    .details = "Per series, over the periods in date order: the sizes of non-zero demands and "
               "the intervals between them (in periods) are smoothed separately with alpha, "
               "starting from the first demand; the flat forecast is size / interval, times "
               "1 - alpha / 2 with variant sba. A series without demand forecasts 0. "
               "Residuals: the one-period-ahead in-sample forecast errors after the first "
               "demand." QUANTILE_DOC,
    .params = cr_params,
    .n_params = sizeof cr_params / sizeof cr_params[0],
    .flags = BASELINE_FLAGS,
    .create = cr_create,
    .fit = bl_fit,
    .predict = bl_predict,
    .save = bl_save,
    .load = cr_load,
    .free = bl_free,
};

const struct fc_model_ops fc_model_tsb = {
    .name = "tsb",
    .family = "baseline",
    .summary = "Teunter-Syntetos-Babai: demand probability x size, for intermittent demand",
    .details = "Per series, over the periods in date order: the probability of a demand is "
               "smoothed every period with beta (so it decays through long runs of zeros, "
               "unlike Croston's), the size of a demand with alpha when one occurs; the flat "
               "forecast is probability x size. Residuals: the one-period-ahead in-sample "
               "forecast errors after the first demand." QUANTILE_DOC,
    .params = tsb_params,
    .n_params = sizeof tsb_params / sizeof tsb_params[0],
    .flags = BASELINE_FLAGS,
    .create = tsb_create,
    .fit = bl_fit,
    .predict = bl_predict,
    .save = bl_save,
    .load = tsb_load,
    .free = bl_free,
};

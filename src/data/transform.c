/*
 * transform.c — target transforms and non-negative forecasts (transform.h).
 */
#include "forecast/data/transform.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/util.h"
#include "forecast/data/derive.h"

void fc_transform_free(struct fc_transform *t)
{
    for (size_t s = 0; t->keys && s < t->n_series; s++)
        free(t->keys[s]);
    free(t->keys);
    free(t->mean);
    free(t->sd);
    free(t->target);
    memset(t, 0, sizeof *t);
}

static double forward(const struct fc_transform *t, size_t s, double y)
{
    if (t->kind == FC_TT_LOG1P)
        return log1p(y);
    if (t->kind == FC_TT_LOCAL_SCALE)
        return (y - t->mean[s]) / t->sd[s];
    return y;
}

static double inverse(const struct fc_transform *t, size_t s, double p)
{
    if (t->kind == FC_TT_LOG1P)
        p = expm1(p);
    else if (t->kind == FC_TT_LOCAL_SCALE)
        p = p * t->sd[s] + t->mean[s];
    return t->clip && p < 0 ? 0 : p;
}

/* The row of series s (rows b..i of ds) k periods before row i, or -1. */
static long back(const struct fc_dataset *ds, const struct fc_transform *t, size_t b, size_t i)
{
    int64_t want = fc_derive_period(ds->date[i], t->freq) - t->difference;
    for (size_t j = i; j-- > b;) {
        int64_t pj = fc_derive_period(ds->date[j], t->freq);
        if (pj <= want)
            return pj == want ? (long)j : -1;
    }
    return -1;
}

/* t->target from ds->target; idx[s]: the transform's series of ds's
 * series s */
static void apply(struct fc_transform *t, const struct fc_dataset *ds, const size_t *idx)
{
    t->target = xmalloc((ds->n_rows ? ds->n_rows : 1) * sizeof *t->target);
    if (t->kind == FC_TT_DIFFERENCE) { /* y - y k periods back; missing without it */
        for (size_t s = 0; s < ds->n_series; s++) {
            size_t b = ds->series_start[s];
            for (size_t i = b; i < b + ds->series_len[s]; i++) {
                long j = back(ds, t, b, i);
                t->target[i] = j < 0 ? NAN : ds->target[i] - ds->target[j];
            }
        }
        return;
    }
    for (size_t i = 0; i < ds->n_rows; i++) {
        float y = ds->target[i];
        t->target[i] = isnan(y) ? NAN : (float)forward(t, idx ? idx[ds->series[i]] : 0, y);
    }
}

int fc_transform_fit(struct fc_transform *t, const struct fc_config *cfg,
                     const struct fc_dataset *ds, const struct fc_split *sp)
{
    memset(t, 0, sizeof *t);
    t->kind = cfg->target_transform;
    t->difference = cfg->difference;
    t->freq = fc_derive_freq(ds, cfg->data.freq);
    t->origin = cfg->split.split_date - 1;
    double lowest = INFINITY;
    for (size_t i = 0; i < sp->n_used; i++)
        for (size_t r = sp->used[i].train_begin; r < sp->used[i].test_begin; r++)
            lowest = ds->target[r] < lowest ? ds->target[r] : lowest;
    t->clip = cfg->nonnegative < 0 ? !(lowest < 0) : cfg->nonnegative;
    if (t->kind == FC_TT_LOG1P && !(lowest > -1))
        return fc_error("target_transform \"log1p\": the training target has a value of %g; "
                        "log(1 + y) needs y > -1",
                        lowest);
    size_t S = ds->n_series;
    size_t *idx = NULL;
    if (t->kind == FC_TT_LOCAL_SCALE) {
        t->n_series = S;
        t->keys = xcalloc(S ? S : 1, sizeof *t->keys);
        t->mean = xcalloc(S ? S : 1, sizeof *t->mean);
        t->sd = xcalloc(S ? S : 1, sizeof *t->sd);
        idx = xmalloc((S ? S : 1) * sizeof *idx);
        for (size_t s = 0; s < S; s++) {
            t->keys[s] = xstrdup(ds->series_key[s]);
            t->sd[s] = 1;
            idx[s] = s;
        }
        /* mean and population sd of each used series' training rows */
        for (size_t i = 0; i < sp->n_used; i++) {
            const struct fc_split_series *u = &sp->used[i];
            double sum = 0, ss = 0;
            size_t n = 0;
            for (size_t r = u->train_begin; r < u->test_begin; r++)
                if (!isnan(ds->target[r])) {
                    sum += ds->target[r];
                    n++;
                }
            double mean = n ? sum / (double)n : 0;
            for (size_t r = u->train_begin; r < u->test_begin; r++)
                if (!isnan(ds->target[r]))
                    ss += (ds->target[r] - mean) * (ds->target[r] - mean);
            double sd = n ? sqrt(ss / (double)n) : 0;
            t->mean[u->series] = mean;
            t->sd[u->series] = sd > 0 && isfinite(sd) ? sd : 1;
        }
    }
    apply(t, ds, idx);
    free(idx);
    return 0;
}

int fc_transform_apply(struct fc_transform *t, const struct fc_dataset *ds)
{
    size_t *idx = NULL;
    t->origin = INT32_MAX; /* every target of new data is history */
    if (t->kind == FC_TT_LOCAL_SCALE) {
        /* ds's series in the fitted order: by key */
        struct fc_strmap m;
        fc_strmap_init(&m);
        for (size_t s = 0; s < t->n_series; s++)
            fc_strmap_put(&m, t->keys[s], (uint32_t)s);
        idx = xmalloc((ds->n_series ? ds->n_series : 1) * sizeof *idx);
        for (size_t s = 0; s < ds->n_series; s++) {
            long k = fc_strmap_get(&m, ds->series_key[s]);
            if (k < 0) {
                fc_strmap_free(&m);
                free(idx);
                return fc_error("series %s was not in the training data: target_transform "
                                "\"local_scale\" has no scale for it",
                                ds->series_key[s]);
            }
            idx[s] = (size_t)k;
        }
        fc_strmap_free(&m);
    }
    free(t->target);
    apply(t, ds, idx);
    /* keep the per-series parameters in ds's order from now on */
    if (idx) {
        double *mean = xmalloc((ds->n_series ? ds->n_series : 1) * sizeof *mean);
        double *sd = xmalloc((ds->n_series ? ds->n_series : 1) * sizeof *sd);
        char **keys = xcalloc(ds->n_series ? ds->n_series : 1, sizeof *keys);
        for (size_t s = 0; s < ds->n_series; s++) {
            mean[s] = t->mean[idx[s]];
            sd[s] = t->sd[idx[s]];
            keys[s] = xstrdup(ds->series_key[s]);
        }
        for (size_t s = 0; s < t->n_series; s++)
            free(t->keys[s]);
        free(t->keys);
        free(t->mean);
        free(t->sd);
        t->keys = keys;
        t->mean = mean;
        t->sd = sd;
        t->n_series = ds->n_series;
        free(idx);
    }
    return 0;
}

/* Differences back to levels: a row's forecast plus the level k periods
 * before it -- the actual target when that row is history (not after the
 * origin), else that row's own forecast (rows are in series and date order,
 * so it is mapped back already). Quantiles ride on the point path. */
static void invert_difference(const struct fc_transform *t, const struct fc_dataset *ds,
                              const uint32_t *rows, struct fc_pred *p, const double *levels)
{
    size_t L = p->n_quantiles, med = 0;
    for (size_t l = 1; l < L; l++)
        if (fabs(levels[l] - 0.5) < fabs(levels[med] - 0.5))
            med = l;
    long *at = xmalloc((ds->n_rows ? ds->n_rows : 1) * sizeof *at); /* ds row -> i */
    for (size_t r = 0; r < ds->n_rows; r++)
        at[r] = -1;
    for (size_t i = 0; i < p->n; i++)
        at[rows[i]] = (long)i;
    for (size_t i = 0; i < p->n; i++) {
        uint32_t r = rows[i];
        long j = back(ds, t, ds->series_start[ds->series[r]], r);
        double level = NAN;
        if (j >= 0 && ds->date[j] <= t->origin && !isnan(ds->target[j]))
            level = ds->target[j];
        else if (j >= 0 && at[j] >= 0)
            level = p->point ? p->point[at[j]] : p->q[(size_t)at[j] * L + med];
        if (p->point)
            p->point[i] = (float)inverse(t, 0, p->point[i] + level);
        for (size_t l = 0; l < L; l++)
            p->q[i * L + l] = (float)inverse(t, 0, p->q[i * L + l] + level);
    }
    free(at);
}

void fc_transform_invert(const struct fc_transform *t, const struct fc_dataset *ds,
                         const uint32_t *rows, struct fc_pred *p, const double *levels)
{
    if (t->kind == FC_TT_NONE && !t->clip)
        return;
    if (t->kind == FC_TT_DIFFERENCE) {
        invert_difference(t, ds, rows, p, levels);
        return;
    }
    size_t L = p->n_quantiles;
    for (size_t i = 0; i < p->n; i++) {
        size_t s = t->kind == FC_TT_LOCAL_SCALE ? ds->series[rows[i]] : 0;
        if (p->point)
            p->point[i] = (float)inverse(t, s, p->point[i]);
        for (size_t j = 0; j < L; j++)
            p->q[i * L + j] = (float)inverse(t, s, p->q[i * L + j]);
    }
}

struct fc_dataset fc_transform_view(const struct fc_transform *t, const struct fc_dataset *ds)
{
    struct fc_dataset v = *ds;
    v.target = t->target;
    return v;
}

/* ---- transform.json ---- */

cJSON *fc_transform_to_json(const struct fc_transform *t)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "kind", "forecast-transform");
    cJSON_AddNumberToObject(j, "format_version", 1);
    cJSON_AddStringToObject(j, "target_transform", fc_target_transform_names[t->kind]);
    cJSON_AddBoolToObject(j, "nonnegative", t->clip);
    if (t->kind == FC_TT_DIFFERENCE) {
        cJSON_AddNumberToObject(j, "difference", t->difference);
        cJSON_AddStringToObject(j, "freq", fc_freq_name(t->freq));
    }
    if (t->kind == FC_TT_LOCAL_SCALE) {
        cJSON *s = cJSON_AddObjectToObject(j, "series");
        for (size_t k = 0; k < t->n_series; k++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddNumberToObject(e, "mean", t->mean[k]);
            cJSON_AddNumberToObject(e, "sd", t->sd[k]);
            cJSON_AddItemToObject(s, t->keys[k], e);
        }
    }
    return j;
}

int fc_transform_from_json(struct fc_transform *t, const cJSON *j, const char *path)
{
    memset(t, 0, sizeof *t);
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(j, "kind");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(j, "format_version");
    const cJSON *tt = cJSON_GetObjectItemCaseSensitive(j, "target_transform");
    const cJSON *nn = cJSON_GetObjectItemCaseSensitive(j, "nonnegative");
    long k = -1;
    for (long i = 0; cJSON_IsString(tt) && fc_target_transform_names[i]; i++)
        if (strcmp(fc_target_transform_names[i], tt->valuestring) == 0)
            k = i;
    if (!cJSON_IsString(kind) || strcmp(kind->valuestring, "forecast-transform") != 0 ||
        !cJSON_IsNumber(ver) || ver->valuedouble != 1 || k < 0 || !cJSON_IsBool(nn))
        return fc_error("%s: not a forecast transform of format version 1", path);
    t->kind = (enum fc_target_transform)k;
    t->clip = cJSON_IsTrue(nn);
    if (t->kind == FC_TT_DIFFERENCE) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "difference");
        const cJSON *fq = cJSON_GetObjectItemCaseSensitive(j, "freq");
        t->freq = FC_FREQ_AUTO;
        for (int f = FC_FREQ_DAILY; cJSON_IsString(fq) && f <= FC_FREQ_MONTHLY; f++)
            if (strcmp(fc_freq_name((enum fc_freq)f), fq->valuestring) == 0)
                t->freq = (enum fc_freq)f;
        if (!cJSON_IsNumber(d) || d->valuedouble != floor(d->valuedouble) ||
            d->valuedouble < 1 || d->valuedouble > 10000 || t->freq == FC_FREQ_AUTO)
            return fc_error("%s: expected \"difference\" (an integer in [1, 10000]) and "
                            "\"freq\" (daily, weekly or monthly)",
                            path);
        t->difference = (int)d->valuedouble;
        return 0;
    }
    if (t->kind != FC_TT_LOCAL_SCALE)
        return 0;
    const cJSON *series = cJSON_GetObjectItemCaseSensitive(j, "series");
    size_t n = (size_t)cJSON_GetArraySize(series);
    t->keys = xcalloc(n ? n : 1, sizeof *t->keys);
    t->mean = xcalloc(n ? n : 1, sizeof *t->mean);
    t->sd = xcalloc(n ? n : 1, sizeof *t->sd);
    const cJSON *e;
    cJSON_ArrayForEach(e, series)
    {
        const cJSON *mu = cJSON_GetObjectItemCaseSensitive(e, "mean");
        const cJSON *sd = cJSON_GetObjectItemCaseSensitive(e, "sd");
        if (!cJSON_IsNumber(mu) || !isfinite(mu->valuedouble) || !cJSON_IsNumber(sd) ||
            !(sd->valuedouble > 0) || !isfinite(sd->valuedouble)) {
            fc_transform_free(t);
            return fc_error("%s: series.%s: expected {\"mean\", \"sd\" > 0}", path, e->string);
        }
        t->keys[t->n_series] = xstrdup(e->string);
        t->mean[t->n_series] = mu->valuedouble;
        t->sd[t->n_series++] = sd->valuedouble;
    }
    return 0;
}

/*
 * xgboost_common.c — shared XGBoost C API plumbing (see xgboost_common.h).
 */
#include "xgboost_common.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/store/store.h"
#include "forecast/core/util.h"

const char *const fc_xgb_tree_methods[] = {"hist", "approx", "exact", NULL};

int xgb_fail(const char *what)
{
    /* XGBoost's message: "[time] file:line: text\nStack trace: ..." -> text */
    const char *msg = XGBGetLastError();
    const char *p = strstr(msg, ": ");
    const char *start = (msg[0] == '[' && p) ? p + 2 : msg;
    size_t len = strcspn(start, "\n");
    return fc_error("xgboost: %s: %.*s", what, (int)len, start);
}

void xgb_read_params(const struct fc_params *p, const struct fc_model_ctx *ctx,
                     struct xgb_tree_params *t)
{
    t->n_estimators = (int)fc_params_num(p, "n_estimators");
    t->max_depth = (int)fc_params_num(p, "max_depth");
    t->learning_rate = fc_params_num(p, "learning_rate");
    t->subsample = fc_params_num(p, "subsample");
    t->colsample = fc_params_num(p, "colsample_bytree");
    t->min_child_weight = fc_params_num(p, "min_child_weight");
    t->lambda = fc_params_num(p, "reg_lambda");
    t->alpha = fc_params_num(p, "reg_alpha");
    t->gamma = fc_params_num(p, "gamma");
    t->max_bin = (int)fc_params_num(p, "max_bin");
    t->tree_method = fc_params_str(p, "tree_method");
    t->early_stopping = (int)fc_params_num(p, "early_stopping_rounds");
    xgb_read_run_params(p, ctx, t);
}

void xgb_read_run_params(const struct fc_params *p, const struct fc_model_ctx *ctx,
                         struct xgb_tree_params *t)
{
    t->nthread = fc_model_threads(ctx, "nthread", (int)fc_params_num(p, "nthread"));
    t->seed = (long)fc_params_num(p, "seed");
    if (t->seed < 0)
        t->seed = (long)(ctx->seed & 0x7fffffff);
    t->prefix = ctx->log_prefix ? ctx->log_prefix : "";
    t->combined = !ctx->individual;
}

int xgb_set(BoosterHandle b, const char *key, const char *value)
{
    if (XGBoosterSetParam(b, key, value) != 0) {
        char what[128];
        snprintf(what, sizeof what, "parameter %s=%s", key, value);
        return xgb_fail(what);
    }
    return 0;
}

static int set_num(BoosterHandle b, const char *key, double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.17g", v);
    return xgb_set(b, key, buf);
}

int xgb_set_tree_params(BoosterHandle b, const struct xgb_tree_params *t)
{
    return xgb_set(b, "verbosity", "0") || set_num(b, "eta", t->learning_rate) ||
           set_num(b, "max_depth", t->max_depth) || set_num(b, "subsample", t->subsample) ||
           set_num(b, "colsample_bytree", t->colsample) ||
           set_num(b, "min_child_weight", t->min_child_weight) ||
           set_num(b, "lambda", t->lambda) || set_num(b, "alpha", t->alpha) ||
           set_num(b, "gamma", t->gamma) || set_num(b, "max_bin", t->max_bin) ||
           xgb_set(b, "tree_method", t->tree_method) || set_num(b, "nthread", t->nthread) ||
           set_num(b, "seed", (double)t->seed);
}

DMatrixHandle xgb_matrix(const struct fc_dataset *ds, const uint32_t *rows, size_t n,
                         int with_label, int nthread)
{
    size_t F = ds->n_features;
    float *x = xmalloc((n ? n : 1) * F * sizeof *x);
    /* columnar -> row-major, one feature at a time (sequential reads) */
    for (size_t j = 0; j < F; j++) {
        const float *col = ds->features[j];
        for (size_t i = 0; i < n; i++)
            x[i * F + j] = col[rows[i]];
    }
    DMatrixHandle d = NULL;
    if (XGDMatrixCreateFromMat_omp(x, (bst_ulong)n, (bst_ulong)F, NAN, &d, nthread) != 0) {
        free(x);
        xgb_fail("building the data matrix");
        return NULL;
    }
    free(x);
    /* category codes (categorical.h): XGBoost's own categorical splits */
    int any = 0;
    for (size_t j = 0; ds->categories && j < F; j++)
        any |= ds->categories[j] != 0;
    if (any) {
        const char **types = xmalloc(F * sizeof *types);
        for (size_t j = 0; j < F; j++)
            types[j] = ds->categories[j] ? "c" : "q";
        int rc = XGDMatrixSetStrFeatureInfo(d, "feature_type", types, (bst_ulong)F);
        free(types);
        if (rc != 0) {
            xgb_fail("marking the categorical features");
            XGDMatrixFree(d);
            return NULL;
        }
    }
    if (!with_label)
        return d;
    float *y = xmalloc((n ? n : 1) * sizeof *y);
    for (size_t i = 0; i < n; i++)
        y[i] = ds->target[rows[i]];
    int rc = XGDMatrixSetFloatInfo(d, "label", y, (bst_ulong)n);
    if (rc == 0 && ds->weight) {
        for (size_t i = 0; i < n; i++)
            y[i] = ds->weight[rows[i]];
        rc = XGDMatrixSetFloatInfo(d, "weight", y, (bst_ulong)n);
    }
    free(y);
    if (rc != 0) {
        xgb_fail("setting labels and weights");
        XGDMatrixFree(d);
        return NULL;
    }
    return d;
}

int xgb_predict(BoosterHandle b, DMatrixHandle d, int type, int begin, int end, float *out,
                size_t n)
{
    char config[160];
    snprintf(config, sizeof config,
             "{\"type\": %d, \"training\": false, \"iteration_begin\": %d, "
             "\"iteration_end\": %d, \"strict_shape\": false}",
             type, begin, end);
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    const float *res = NULL;
    if (XGBoosterPredictFromDMatrix(b, d, config, &shape, &dim, &res) != 0)
        return xgb_fail("predict");
    bst_ulong total = dim ? 1 : 0;
    for (bst_ulong k = 0; k < dim; k++)
        total *= shape[k];
    if (total != n)
        return fc_error("xgboost: predict returned %llu values for %zu rows",
                        (unsigned long long)total, n);
    /* XGBoost's buffer is thread-local and reused: copy at once */
    memcpy(out, res, n * sizeof *out);
    return 0;
}

int xgb_save_model(BoosterHandle b, const char *path)
{
    bst_ulong len = 0;
    const char *buf = NULL;
    if (XGBoosterSaveModelToBuffer(b, "{\"format\": \"ubj\"}", &len, &buf) != 0)
        return xgb_fail("saving the model");
    return fc_write_atomic(path, buf, (size_t)len);
}

BoosterHandle xgb_load_model(const char *path, size_t n_features)
{
    size_t len;
    char *buf = fc_read_file(path, &len);
    if (!buf)
        return NULL;
    BoosterHandle b = NULL;
    if (XGBoosterCreate(NULL, 0, &b) != 0) {
        free(buf);
        xgb_fail("creating a booster");
        return NULL;
    }
    int rc = XGBoosterLoadModelFromBuffer(b, buf, (bst_ulong)len);
    free(buf);
    if (rc != 0) {
        fc_error("%s: XGBoost cannot read this model: %s", path, XGBGetLastError());
        XGBoosterFree(b);
        return NULL;
    }
    bst_ulong nf = 0;
    if (XGBoosterGetNumFeature(b, &nf) != 0 || nf != n_features) {
        fc_error("%s: the model has %llu features, its manifest lists %zu", path,
                 (unsigned long long)nf, n_features);
        XGBoosterFree(b);
        return NULL;
    }
    xgb_set(b, "verbosity", "0");
    return b;
}

int xgb_set_feature_names(BoosterHandle b, char *const *names, size_t n)
{
    if (XGBoosterSetStrFeatureInfo(b, "feature_name", (const char **)names, (bst_ulong)n) != 0)
        return xgb_fail("setting feature names");
    return 0;
}

int xgb_importance(BoosterHandle b, char *const *feature_names, size_t F,
                   struct fc_fit_record *rec)
{
    static const char *const kinds[] = {"gain", "weight", "cover"};
    double *score = xcalloc(3 * F, sizeof *score);
    for (int k = 0; k < 3; k++) {
        char config[64];
        snprintf(config, sizeof config, "{\"importance_type\": \"%s\"}", kinds[k]);
        bst_ulong nf = 0, dim = 0;
        const char **names = NULL;
        const bst_ulong *shape = NULL;
        const float *s = NULL;
        if (XGBoosterFeatureScore(b, config, &nf, &names, &dim, &shape, &s) != 0) {
            free(score);
            return xgb_fail("feature importance");
        }
        /* features never used in a split are absent from the answer */
        for (bst_ulong i = 0; i < nf; i++)
            for (size_t j = 0; j < F; j++)
                if (strcmp(names[i], feature_names[j]) == 0)
                    score[k * F + j] = s[i];
    }
    rec->importance = xcalloc(F ? F : 1, sizeof *rec->importance);
    rec->n_importance = F;
    for (size_t j = 0; j < F; j++)
        rec->importance[j] = (struct fc_importance){xstrdup(feature_names[j]), score[j],
                                                    score[F + j], score[2 * F + j]};
    free(score);
    return 0;
}

void xgb_version(char *buf, size_t n)
{
    int a, b, c;
    XGBoostVersion(&a, &b, &c);
    snprintf(buf, n, "xgboost %d.%d.%d", a, b, c);
}

/* ---- weighted quantile ---- */

struct vw {
    double v, w;
};

static int cmp_vw(const void *a, const void *b)
{
    double x = ((const struct vw *)a)->v, y = ((const struct vw *)b)->v;
    return (x > y) - (x < y);
}

double xgb_weighted_quantile(double *v, double *w, size_t n, double alpha)
{
    if (n == 0)
        return 0;
    if (!w) {
        /* numpy's default (linear interpolation) */
        qsort(v, n, sizeof *v, fc_cmp_double);
        return fc_quantile_sorted(v, n, alpha);
    }
    struct vw *p = xmalloc(n * sizeof *p);
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        p[i].v = v[i];
        p[i].w = w[i];
        total += w[i];
    }
    qsort(p, n, sizeof *p, cmp_vw);
    double target = alpha * total, acc = 0, q = p[n - 1].v;
    for (size_t i = 0; i < n; i++) {
        acc += p[i].w;
        if (acc >= target) {
            q = p[i].v;
            break;
        }
    }
    free(p);
    return q;
}

char **xgb_copy_names(const struct fc_dataset *ds)
{
    char **names = xcalloc(ds->n_features ? ds->n_features : 1, sizeof *names);
    for (size_t j = 0; j < ds->n_features; j++)
        names[j] = xstrdup(ds->feature_names[j]);
    return names;
}

void xgb_free_names(char **names, size_t n)
{
    for (size_t j = 0; names && j < n; j++)
        free(names[j]);
    free(names);
}

int xgb_write_meta(const char *dir, cJSON *meta)
{
    char v[64];
    xgb_version(v, sizeof v);
    cJSON_AddStringToObject(meta, "library", v);
    char *path = fc_xasprintf("%s/meta.json", dir);
    int rc = fc_write_json(path, meta);
    free(path);
    return rc;
}

cJSON *xgb_read_meta(const char *dir, size_t *n_features)
{
    char *path = fc_xasprintf("%s/meta.json", dir);
    cJSON *m = fc_read_json(path);
    const cJSON *nf = m ? cJSON_GetObjectItemCaseSensitive(m, "n_features") : NULL;
    if (m && (!cJSON_IsNumber(nf) || nf->valuedouble < 1)) {
        fc_error("%s: no n_features", path);
        cJSON_Delete(m);
        m = NULL;
    }
    if (m)
        *n_features = (size_t)nf->valuedouble;
    free(path);
    return m;
}

/* ---- quantiles over a distributed run's workers ---- */

/* doubles in their order as unsigned integers, and back */
static uint64_t order_key(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u >> 63 ? ~u : u | (UINT64_C(1) << 63);
}

static double from_key(uint64_t u)
{
    u = u >> 63 ? u & ~(UINT64_C(1) << 63) : ~u;
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* one order statistic being searched: the smallest key whose count (or
 * weight) of values at or below it reaches target */
struct search {
    size_t group;
    double target;
    uint64_t lo, hi;
};

int xgb_group_quantiles(const struct fc_model_collective *coll, double *v, double *w,
                        const size_t *start, size_t K, double alpha, double *out)
{
    size_t n = start[K];
    uint64_t *key = xmalloc((n ? n : 1) * sizeof *key);
    double *cum = xmalloc((n ? n : 1) * sizeof *cum); /* weights up to and with i */
    double *tot = xcalloc(4 * (K ? K : 1), sizeof *tot); /* count, weight, max, -min */
    struct vw *p = xmalloc((n ? n : 1) * sizeof *p);
    struct search *s = xmalloc(2 * (K ? K : 1) * sizeof *s);
    double *c = xmalloc(2 * (K ? K : 1) * sizeof *c);
    int rc = -1;
    for (size_t k = 0; k < K; k++) {
        size_t b = start[k], m = start[k + 1] - b;
        double wt = 0;
        for (size_t i = 0; i < m; i++) {
            p[i] = (struct vw){v[b + i], w ? w[b + i] : 1};
            wt += p[i].w; /* in the given order, as xgb_weighted_quantile adds them */
        }
        qsort(p, m, sizeof *p, cmp_vw);
        double acc = 0;
        for (size_t i = 0; i < m; i++) {
            v[b + i] = p[i].v;
            if (w)
                w[b + i] = p[i].w;
            key[b + i] = order_key(p[i].v);
            acc += p[i].w;
            cum[b + i] = acc;
        }
        tot[k] = (double)m;
        tot[K + k] = wt;
    }
    if (coll->sum(tot, 2 * K))
        goto out;
    for (size_t k = 0; k < K; k++) {
        size_t b = start[k], m = start[k + 1] - b;
        tot[2 * K + k] = m ? v[b + m - 1] : -INFINITY;
        tot[3 * K + k] = m ? -v[b] : -INFINITY;
    }
    if (coll->max(tot + 2 * K, 2 * K))
        goto out;
    /* the searches: weighted, the first value whose weight reaches alpha of
     * the total; unweighted, numpy's two order statistics around (N-1) alpha */
    size_t ns = 0;
    for (size_t k = 0; k < K; k++) {
        out[k] = NAN;
        double N = tot[k];
        if (N < 1)
            continue;
        uint64_t lo = order_key(-tot[3 * K + k]), hi = order_key(tot[2 * K + k]);
        if (w) {
            s[ns++] = (struct search){k, alpha * tot[K + k], lo, hi};
        } else {
            double r = floor((N - 1) * alpha);
            s[ns++] = (struct search){k, r + 1, lo, hi};
            if (r + 1 < N)
                s[ns++] = (struct search){k, r + 2, lo, hi};
        }
    }
    for (;;) {
        int open = 0;
        for (size_t i = 0; i < ns; i++)
            open |= s[i].lo < s[i].hi;
        if (!open) /* the same on every worker: the bounds come from sums */
            break;
        for (size_t i = 0; i < ns; i++) {
            size_t b = start[s[i].group], m = start[s[i].group + 1] - b;
            uint64_t mid = s[i].lo + (s[i].hi - s[i].lo) / 2;
            size_t lo = 0, hi = m; /* values at or below mid: [0, lo) */
            while (lo < hi) {
                size_t h = lo + (hi - lo) / 2;
                if (key[b + h] <= mid)
                    lo = h + 1;
                else
                    hi = h;
            }
            c[i] = lo == 0 ? 0 : w ? cum[b + lo - 1] : (double)lo;
        }
        if (coll->sum(c, ns))
            goto out;
        for (size_t i = 0; i < ns; i++) {
            if (s[i].lo >= s[i].hi)
                continue;
            uint64_t mid = s[i].lo + (s[i].hi - s[i].lo) / 2;
            if (c[i] >= s[i].target)
                s[i].hi = mid;
            else
                s[i].lo = mid + 1;
        }
    }
    for (size_t i = 0; i < ns; i++) {
        size_t k = s[i].group;
        double x = from_key(s[i].lo);
        if (w || i + 1 == ns || s[i + 1].group != k) {
            out[k] = x; /* weighted, or the last order statistic: numpy's top end */
        } else {
            double N = tot[k], h = (N - 1) * alpha, r = floor(h);
            out[k] = x + (h - r) * (from_key(s[i + 1].lo) - x);
            i++;
        }
    }
    rc = 0;
out:
    free(key);
    free(cum);
    free(tot);
    free(p);
    free(s);
    free(c);
    return rc;
}

/*
 * ensemble.c — a combination of other models (its members, each with the
 * hyperparameters the config gives it under models.<name>). The ensemble
 * trains its members itself on the same rows, then combines their forecasts:
 *   mean      the members' mean;
 *   median    their median;
 *   weighted  non-negative weights summing to 1 (a 1/20 grid of the
 *             simplex up to 4 members, normalised non-negative least squares
 *             beyond) with the lowest squared error; per quantile level the
 *             weights of the grid with the lowest pinball loss;
 *   stacking  a linear meta-model: least squares with an intercept for the
 *             point (a tiny ridge keeps it defined), quantile levels as in
 *             weighted.
 * Both fit on the second half of the validation window by date, which the
 * members never see (they stop early on the first half).
 * A member's point is its point forecast, or its 0.5 level; the ensemble's
 * quantiles come from the members with quantiles (none: point only). The
 * members are saved in subdirectories member-<k>-<name>/ of the model
 * directory, under its manifest; ensemble.json holds the weights.
 * With mean or median (and weighted / stacking without a validation window
 * to split) the members train on exactly the ensemble's rows: a member the
 * run trained already as a model of its own is loaded from its directory
 * instead of trained again (fc_model_ctx.trained).
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include "forecast/core/model.h"
#include "forecast/core/util.h"
#include "forecast/data/dataset.h"
#include "forecast/store/store.h"

enum method { MEAN, MEDIAN, WEIGHTED, STACKING };
static const char *const methods[] = {"mean", "median", "weighted", "stacking", NULL};

static const struct fc_param_spec ens_params[] = {
    {.name = "members", .type = FC_PARAM_MODELS, .def_str = "xgboost_standard,statquant",
     .doc = "the models combined, each trained with its own models.<name> hyperparameters"},
    {.name = "method", .type = FC_PARAM_ENUM, .def_str = "weighted", .choices = methods,
     .doc = "mean, median, weighted (non-negative weights fitted on the validation window, "
            "per quantile level for quantiles) or stacking (a linear meta-model with an "
            "intercept on the members' validation predictions)"},
};

#define MAX_MEMBERS 16
#define GRID 20 /* the simplex grid of the quantile weights: steps of 1/20 */

struct ensemble {
    enum method method;
    struct fc_model_ctx ctx;   /* the ensemble's: its members get the same */
    size_t K;                  /* members */
    const struct fc_member *spec; /* (K) from the params */
    void *m[MAX_MEMBERS];
    unsigned out[MAX_MEMBERS]; /* each member's outputs */
    const double *levels;
    size_t L;
    int median_level;          /* the index of level 0.5, or -1 */
    double w[MAX_MEMBERS + 1]; /* point weights; w[K]: intercept (stacking) */
    int reused[MAX_MEMBERS];   /* the run's own model of that name (fc_model_ctx.trained) */
    char *src[MAX_MEMBERS];    /* reused: its directory, whose files the saved copy keeps */
    double *qw;                /* (L, K) quantile weights (members without quantiles 0) */
    int fitted_weights;
};

static unsigned ens_outputs(const struct fc_params *p)
{
    unsigned q = 0;
    for (size_t k = 0; k < p->n_members; k++)
        q |= fc_model_outputs(p->members[k].ops, &p->members[k].params) & FC_MODEL_QUANTILE;
    return FC_MODEL_POINT | q;
}

static void *ens_create(const struct fc_params *p, const struct fc_model_ctx *ctx)
{
    struct ensemble *e = xcalloc(1, sizeof *e);
    const char *m = fc_params_str(p, "method");
    e->method = !strcmp(m, "mean") ? MEAN : !strcmp(m, "median") ? MEDIAN
                : !strcmp(m, "weighted") ? WEIGHTED : STACKING;
    e->ctx = *ctx;
    e->K = p->n_members < MAX_MEMBERS ? p->n_members : MAX_MEMBERS;
    e->spec = p->members;
    e->levels = ctx->quantiles;
    e->L = ctx->n_quantiles;
    e->median_level = -1;
    for (size_t j = 0; j < e->L; j++)
        if (fabs(e->levels[j] - 0.5) < 1e-12)
            e->median_level = (int)j;
    e->qw = xcalloc((e->L ? e->L : 1) * MAX_MEMBERS, sizeof *e->qw);
    for (size_t k = 0; k < e->K; k++)
        e->out[k] = fc_model_outputs(e->spec[k].ops, &e->spec[k].params);
    return e;
}

static void ens_free(void *model)
{
    struct ensemble *e = model;
    if (!e)
        return;
    for (size_t k = 0; k < e->K; k++) {
        if (e->m[k])
            e->spec[k].ops->free(e->m[k]);
        free(e->src[k]);
    }
    free(e->qw);
    free(e);
}

/* each member's predictions of rows: points (K, n) and quantiles (K, n, L) */
static int predict_members(struct ensemble *e, const struct fc_dataset *ds, const uint32_t *rows,
                           size_t n, double *pt, double *q)
{
    for (size_t k = 0; k < e->K; k++) {
        struct fc_pred p;
        size_t L = e->out[k] & FC_MODEL_QUANTILE ? e->L : 0;
        fc_pred_alloc(&p, n, L, (e->out[k] & FC_MODEL_POINT) != 0);
        int rc = e->spec[k].ops->predict(e->m[k], ds, rows, n, &p);
        for (size_t i = 0; i < n && !rc; i++) {
            if (p.point)
                pt[k * n + i] = p.point[i];
            else if (L && e->median_level >= 0)
                pt[k * n + i] = p.q[i * L + (size_t)e->median_level];
            else
                rc = fc_error("ensemble: member %s has neither a point forecast nor a 0.5 "
                              "quantile level",
                              e->spec[k].ops->name);
            for (size_t j = 0; j < L; j++)
                q[(k * n + i) * e->L + j] = p.q[i * L + j];
        }
        fc_pred_free(&p);
        if (rc)
            return -1;
    }
    return 0;
}

/* Solves the s x s system A x = b (Gaussian elimination with partial
 * pivoting); -1 when singular. */
static int solve(double *A, double *b, size_t s)
{
    for (size_t c = 0; c < s; c++) {
        size_t piv = c;
        for (size_t r = c + 1; r < s; r++)
            if (fabs(A[r * s + c]) > fabs(A[piv * s + c]))
                piv = r;
        if (fabs(A[piv * s + c]) < 1e-12)
            return -1;
        for (size_t j = 0; j < s; j++) {
            double t = A[c * s + j];
            A[c * s + j] = A[piv * s + j];
            A[piv * s + j] = t;
        }
        double t = b[c];
        b[c] = b[piv];
        b[piv] = t;
        for (size_t r = 0; r < s; r++) {
            if (r == c)
                continue;
            double f = A[r * s + c] / A[c * s + c];
            for (size_t j = c; j < s; j++)
                A[r * s + j] -= f * A[c * s + j];
            b[r] -= f * b[c];
        }
    }
    for (size_t c = 0; c < s; c++)
        b[c] /= A[c * s + c];
    return 0;
}

/* Least squares of y on the columns X[cols] (each n long) plus an intercept
 * when intercept; ridge lambda on the non-intercept weights. Weights into
 * w (by column index; intercept in w[K]); the residual sum of squares. */
static double lsq(const double *X, const double *y, size_t n, size_t K, unsigned cols,
                  int intercept, double lambda, double *w)
{
    size_t idx[MAX_MEMBERS + 1], s = 0;
    for (size_t k = 0; k < K; k++)
        if (cols & (1u << k))
            idx[s++] = k;
    size_t S = s + (intercept != 0);
    double A[(MAX_MEMBERS + 1) * (MAX_MEMBERS + 1)] = {0}, b[MAX_MEMBERS + 1] = {0};
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < S; a++) {
            double xa = a < s ? X[idx[a] * n + i] : 1;
            b[a] += xa * y[i];
            for (size_t c = 0; c < S; c++)
                A[a * S + c] += xa * (c < s ? X[idx[c] * n + i] : 1);
        }
    for (size_t a = 0; a < s; a++)
        A[a * S + a] += lambda;
    for (size_t k = 0; k <= K; k++)
        w[k] = 0;
    if (solve(A, b, S))
        return INFINITY;
    for (size_t a = 0; a < s; a++)
        w[idx[a]] = b[a];
    if (intercept)
        w[K] = b[s];
    double rss = 0;
    for (size_t i = 0; i < n; i++) {
        double f = intercept ? w[K] : 0;
        for (size_t k = 0; k < K; k++)
            f += w[k] * X[k * n + i];
        rss += (y[i] - f) * (y[i] - f);
    }
    return rss;
}

/* non-negative least squares without intercept: the best subset whose
 * unconstrained solution is non-negative (exact for a few members) */
static void nnls(const double *X, const double *y, size_t n, size_t K, double *w)
{
    double best = INFINITY, t[MAX_MEMBERS + 1];
    for (size_t k = 0; k <= K; k++)
        w[k] = 0;
    for (unsigned cols = 1; cols < (1u << K); cols++) {
        double rss = lsq(X, y, n, K, cols, 0, 0, t);
        int ok = isfinite(rss);
        for (size_t k = 0; k < K && ok; k++)
            ok = t[k] >= 0;
        if (ok && rss < best) {
            best = rss;
            memcpy(w, t, (K + 1) * sizeof *w);
        }
    }
}

static double pinball(const double *y, const double *f, size_t n, double a)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double r = y[i] - f[i];
        s += r >= 0 ? a * r : (a - 1) * r;
    }
    return s;
}

/* The weights on the 1/GRID grid of the simplex (non-negative, summing to
 * 1) over the m <= 4 columns X[a * n + i] whose blend has the lowest loss
 * against y: squared error (level < 0) or the pinball loss at level; into
 * w[0..m). f: scratch of n. */
static void simplex_fit(const double *X, size_t m, const double *y, size_t n, double level,
                        double *f, double *w)
{
    int c[MAX_MEMBERS] = {0};
    double best = INFINITY;
    for (;;) {
        int used = 0;
        for (size_t a = 0; a + 1 < m; a++)
            used += c[a];
        if (used <= GRID) {
            c[m - 1] = GRID - used;
            for (size_t i = 0; i < n; i++) {
                f[i] = 0;
                for (size_t a = 0; a < m; a++)
                    f[i] += c[a] / (double)GRID * X[a * n + i];
            }
            double loss = 0;
            if (level < 0)
                for (size_t i = 0; i < n; i++)
                    loss += (y[i] - f[i]) * (y[i] - f[i]);
            else
                loss = pinball(y, f, n, level);
            if (loss < best) {
                best = loss;
                for (size_t a = 0; a < m; a++)
                    w[a] = c[a] / (double)GRID;
            }
        }
        /* next composition: an odometer over the first m - 1 parts */
        size_t a = 0;
        while (a + 1 < m && ++c[a] > GRID)
            c[a++] = 0;
        if (a + 1 >= m)
            break;
    }
}

/* level j's weights over the members with quantiles (more than 4: equal) */
static void level_weights(struct ensemble *e, size_t j, const double *q, const double *y,
                          size_t n, double *f)
{
    size_t mem[MAX_MEMBERS], m = 0;
    for (size_t k = 0; k < e->K; k++)
        if (e->out[k] & FC_MODEL_QUANTILE)
            mem[m++] = k;
    double *w = e->qw + j * MAX_MEMBERS, t[MAX_MEMBERS];
    if (m == 0)
        return; /* no member has quantiles: the ensemble has none */
    if (m > 4) {
        for (size_t a = 0; a < m; a++)
            w[mem[a]] = 1.0 / (double)m;
        return;
    }
    double *X = xmalloc(m * n * sizeof *X);
    for (size_t a = 0; a < m; a++)
        for (size_t i = 0; i < n; i++)
            X[a * n + i] = q[(mem[a] * n + i) * e->L + j];
    simplex_fit(X, m, y, n, e->levels[j], f, t);
    for (size_t a = 0; a < m; a++)
        w[mem[a]] = t[a];
    free(X);
}

/* weighted: the point weights on the simplex grid (a convex blend, which
 * the members' forecasts cannot inflate); more than 4 members: non-negative
 * least squares, normalised to sum 1 */
static void point_weights(struct ensemble *e, const double *pt, const double *y, size_t n,
                          double *f)
{
    size_t K = e->K;
    if (K <= 4) {
        simplex_fit(pt, K, y, n, -1, f, e->w);
        return;
    }
    nnls(pt, y, n, K, e->w);
    double s = 0;
    for (size_t k = 0; k < K; k++)
        s += e->w[k];
    for (size_t k = 0; k < K; k++)
        e->w[k] = s > 0 ? e->w[k] / s : 1.0 / (double)K;
}

static int ens_fit(void *model, const struct fc_fit_input *in)
{
    struct ensemble *e = model;
    if (e->K < 1)
        return fc_error("ensemble: no members");
    /* weights fitted on forecasts the members made blind: with weighted or
     * stacking the validation window is split by date, the members stop
     * early on its first half and never see the second, where the weights
     * are fitted (on the window a member's early stopping watched, its
     * forecasts look better than they are) */
    int blend = (e->method == WEIGHTED || e->method == STACKING) && in->n_val > 1;
    /* a member trained on exactly these rows is the model the run trained
     * already, if it did (same hyperparameters, seed and rows): reused */
    for (size_t k = 0; k < e->K; k++) {
        e->reused[k] = !blend && e->ctx.trained &&
                       (e->m[k] = e->ctx.trained(&e->ctx, e->spec[k].ops, &e->src[k])) != NULL;
        if (!e->reused[k] && !(e->m[k] = e->spec[k].ops->create(&e->spec[k].params, &e->ctx)))
            return -1;
    }
    uint32_t *stop = NULL, *hold = NULL;
    size_t n_stop = in->n_val, n_hold = 0;
    struct fc_fit_input fin = *in;
    if (blend) {
        int32_t lo = INT32_MAX, hi = INT32_MIN;
        for (size_t i = 0; i < in->n_val; i++) {
            int32_t d = in->ds->date[in->val_rows[i]];
            lo = d < lo ? d : lo;
            hi = d > hi ? d : hi;
        }
        int32_t cut = lo + (hi - lo + 1) / 2; /* the second half: dates >= cut */
        stop = xmalloc(in->n_val * sizeof *stop);
        hold = xmalloc(in->n_val * sizeof *hold);
        n_stop = 0;
        for (size_t i = 0; i < in->n_val; i++) {
            uint32_t r = in->val_rows[i];
            if (in->ds->date[r] < cut)
                stop[n_stop++] = r;
            else
                hold[n_hold++] = r;
        }
        fin.val_rows = stop;
        fin.n_val = n_stop;
    }
    /* the members get the same rows and the ensemble's context (seed,
     * threads, strategy) */
    int rc = 0;
    for (size_t k = 0; k < e->K && rc == 0; k++)
        if (!e->reused[k] && e->spec[k].ops->fit(e->m[k], &fin))
            rc = fc_error("ensemble: member %s: %s", e->spec[k].ops->name, fc_last_error);
    if (rc) {
        free(stop);
        free(hold);
        return -1;
    }
    size_t n = n_hold, K = e->K;
    const uint32_t *wrows = hold;
    for (size_t k = 0; k < K; k++)
        e->w[k] = 1.0 / (double)K;
    for (size_t j = 0; j < e->L; j++) {
        size_t m = 0;
        for (size_t k = 0; k < K; k++)
            m += (e->out[k] & FC_MODEL_QUANTILE) != 0;
        for (size_t k = 0; k < K; k++)
            e->qw[j * MAX_MEMBERS + k] = (e->out[k] & FC_MODEL_QUANTILE) && m ? 1.0 / (double)m : 0;
    }
    if (!blend || n == 0) {
        if (e->method == WEIGHTED || e->method == STACKING)
            fc_warn("ensemble: too few validation rows to fit weights on: equal weights");
        free(stop);
        free(hold);
        return 0;
    }
    double *pt = xmalloc(K * n * sizeof *pt), *q = xcalloc(K * n * (e->L ? e->L : 1), sizeof *q);
    double *y = xmalloc(n * sizeof *y), *f = xmalloc(n * sizeof *f);
    for (size_t i = 0; i < n; i++)
        y[i] = in->ds->target[wrows[i]];
    rc = predict_members(e, in->ds, wrows, n, pt, q);
    if (rc == 0) {
        if (e->method == WEIGHTED)
            point_weights(e, pt, y, n, f);
        else
            lsq(pt, y, n, K, (1u << K) - 1, 1, 1e-6 * (double)n, e->w);
        for (size_t j = 0; j < e->L; j++)
            level_weights(e, j, q, y, n, f);
        e->fitted_weights = 1;
    }
    free(pt);
    free(q);
    free(y);
    free(f);
    free(stop);
    free(hold);
    return rc;
}

static double median(double *v, size_t m)
{
    qsort(v, m, sizeof *v, fc_cmp_double);
    return m % 2 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2;
}

static int ens_predict(void *model, const struct fc_dataset *ds, const uint32_t *rows, size_t n,
                       struct fc_pred *out)
{
    struct ensemble *e = model;
    size_t K = e->K, L = out->n_quantiles;
    double *pt = xmalloc(K * (n ? n : 1) * sizeof *pt);
    double *q = xcalloc(K * (n ? n : 1) * (e->L ? e->L : 1), sizeof *q);
    int rc = predict_members(e, ds, rows, n, pt, q);
    double v[MAX_MEMBERS];
    for (size_t i = 0; i < n && rc == 0; i++) {
        double s = e->method == STACKING ? e->w[K] : 0;
        for (size_t k = 0; k < K; k++) {
            s += e->w[k] * pt[k * n + i];
            v[k] = pt[k * n + i];
        }
        out->point[i] = (float)(e->method == MEDIAN ? median(v, K) : s);
        for (size_t j = 0; j < L; j++) {
            size_t m = 0;
            double qs = 0;
            for (size_t k = 0; k < K; k++)
                if (e->out[k] & FC_MODEL_QUANTILE) {
                    double x = q[(k * n + i) * e->L + j];
                    v[m++] = x;
                    qs += e->qw[j * MAX_MEMBERS + k] * x;
                }
            out->q[i * L + j] = (float)(e->method == MEDIAN ? median(v, m) : qs);
        }
    }
    free(pt);
    free(q);
    return rc;
}

/* the weights, for report.md and report.html */
static void ens_record(void *model, struct fc_fit_record *rec)
{
    struct ensemble *e = model;
    struct fc_buf b;
    fc_buf_init(&b);
    fc_buf_printf(&b, "Ensemble (%s) of", methods[e->method]);
    for (size_t k = 0; k < e->K; k++) {
        fc_buf_printf(&b, "%s %s%s", k ? "," : "", e->spec[k].ops->name,
                      e->reused[k] ? " (the run's own, reused)" : "");
        if (e->method == WEIGHTED || e->method == STACKING || e->method == MEAN)
            fc_buf_printf(&b, " (point weight %.3g)", e->w[k]);
    }
    if (e->method == STACKING)
        fc_buf_printf(&b, ", intercept %.4g", e->w[e->K]);
    if (e->method == WEIGHTED || e->method == STACKING)
        fc_buf_puts(&b, e->fitted_weights
                            ? "; weights fitted on the second half of the validation window, "
                              "which the members did not see (they stopped early on the first)"
                            : "; equal weights (too few validation rows to fit them)");
    unsigned any_q = 0;
    for (size_t k = 0; k < e->K; k++)
        any_q |= e->out[k] & FC_MODEL_QUANTILE;
    for (size_t j = 0; any_q && j < e->L && (e->method == WEIGHTED || e->method == STACKING);
         j++) {
        fc_buf_printf(&b, "%s q%g:", j ? ";" : ". Quantile weights", e->levels[j]);
        for (size_t k = 0; k < e->K; k++)
            if (e->out[k] & FC_MODEL_QUANTILE)
                fc_buf_printf(&b, " %s %.2f", e->spec[k].ops->name, e->qw[j * MAX_MEMBERS + k]);
    }
    fc_buf_putc(&b, '.');
    rec->summary = b.s;
}

/* ---- files: member-<k>-<name>/ and ensemble.json ---- */

static char *member_dir(const char *dir, size_t k, const char *name)
{
    return fc_xasprintf("%s/member-%zu-%s", dir, k, name);
}

/* A reused member saved from its loaded state may lose what only training
 * knew (a curve, the rounds run): each file its save wrote is replaced by
 * the file of that name in the directory it was loaded from. */
static int keep_originals(const char *dir, const char *src)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return fc_error("%s: cannot list: %s", dir, strerror(errno));
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(dp)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char *from = fc_xasprintf("%s/%s", src, de->d_name);
        size_t len;
        struct stat st;
        char *buf = stat(from, &st) == 0 && S_ISREG(st.st_mode) ? fc_read_file(from, &len) : NULL;
        if (buf)
            rc = fc_write_in(dir, de->d_name, buf, len);
        free(buf);
        free(from);
    }
    closedir(dp);
    return rc;
}

static int ens_save(void *model, const char *dir)
{
    struct ensemble *e = model;
    for (size_t k = 0; k < e->K; k++) {
        char *d = member_dir(dir, k, e->spec[k].ops->name);
        int rc = fc_mkdir_p(d) || e->spec[k].ops->save(e->m[k], d) ||
                 (e->src[k] && keep_originals(d, e->src[k]));
        free(d);
        if (rc)
            return -1;
    }
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "format_version", 1);
    cJSON_AddStringToObject(root, "model", "ensemble");
    cJSON_AddStringToObject(root, "method", methods[e->method]);
    cJSON *mem = cJSON_AddArrayToObject(root, "members");
    for (size_t k = 0; k < e->K; k++)
        cJSON_AddItemToArray(mem, cJSON_CreateString(e->spec[k].ops->name));
    cJSON_AddItemToObject(root, "point_weights", cJSON_CreateDoubleArray(e->w, (int)e->K));
    cJSON_AddNumberToObject(root, "intercept", e->method == STACKING ? e->w[e->K] : 0);
    cJSON *lw = cJSON_AddArrayToObject(root, "level_weights");
    for (size_t j = 0; j < e->L; j++)
        cJSON_AddItemToArray(lw, cJSON_CreateDoubleArray(e->qw + j * MAX_MEMBERS, (int)e->K));
    cJSON_AddBoolToObject(root, "fitted_on_validation", e->fitted_weights);
    return fc_write_json_in(dir, "ensemble.json", root);
}

static void *ens_load(const char *dir, const struct fc_params *p, const struct fc_model_ctx *ctx)
{
    struct ensemble *e = ens_create(p, ctx);
    char *path = fc_xasprintf("%s/ensemble.json", dir);
    cJSON *root = fc_read_json(path);
    int ok = 0;
    if (!root)
        goto out;
    const cJSON *mem = cJSON_GetObjectItemCaseSensitive(root, "members");
    int same = cJSON_IsArray(mem) && (size_t)cJSON_GetArraySize(mem) == e->K;
    for (size_t k = 0; same && k < e->K; k++) {
        const cJSON *nm = cJSON_GetArrayItem(mem, (int)k);
        same = cJSON_IsString(nm) && strcmp(nm->valuestring, e->spec[k].ops->name) == 0;
    }
    const cJSON *ic = cJSON_GetObjectItemCaseSensitive(root, "intercept");
    const cJSON *lw = cJSON_GetObjectItemCaseSensitive(root, "level_weights");
    if (!same || fc_json_doubles(cJSON_GetObjectItemCaseSensitive(root, "point_weights"), e->K, e->w) ||
        !cJSON_IsNumber(ic) || !isfinite(ic->valuedouble) || !cJSON_IsArray(lw) ||
        (size_t)cJSON_GetArraySize(lw) != e->L) {
        fc_error("%s: expected the members of the run's config, point_weights, intercept and "
                 "level_weights for %zu levels",
                 path, e->L);
        goto out;
    }
    e->w[e->K] = ic->valuedouble;
    for (size_t j = 0; j < e->L; j++)
        if (fc_json_doubles(cJSON_GetArrayItem(lw, (int)j), e->K, e->qw + j * MAX_MEMBERS)) {
            fc_error("%s: level_weights[%zu]: expected %zu numbers", path, j, e->K);
            goto out;
        }
    for (size_t k = 0; k < e->K; k++) {
        char *d = member_dir(dir, k, e->spec[k].ops->name);
        e->m[k] = e->spec[k].ops->load(d, &e->spec[k].params, ctx);
        free(d);
        if (!e->m[k])
            goto out;
    }
    ok = 1;
out:
    cJSON_Delete(root);
    free(path);
    if (!ok) {
        ens_free(e);
        return NULL;
    }
    return e;
}

/* the members' libraries must load where the ensemble runs */
static int ens_check(const struct fc_params *p, int will_run, const char **param, char *expected,
                     size_t n)
{
    for (size_t k = 0; k < p->n_members; k++) {
        const struct fc_model_ops *m = p->members[k].ops;
        if (m->check && m->check(&p->members[k].params, will_run, param, expected, n)) {
            char why[512];
            snprintf(why, sizeof why, "member %s: %s", m->name, expected);
            snprintf(expected, n, "%s", why);
            *param = NULL;
            return -1;
        }
    }
    return 0;
}

const struct fc_model_ops fc_model_ensemble = {
    .name = "ensemble",
    .family = "ensemble",
    .summary = "a combination of other models: mean, median, weighted or stacking",
    .details =
        "Trains its members (members, each with its own models.<name> hyperparameters) on "
        "the same rows and combines their forecasts: mean, median, weighted or stacking. "
        "For the last two the validation window is split by date: the members stop early "
        "on its first half and never see the second, where the weights are fitted — "
        "weighted: non-negative weights summing to 1 with the lowest squared error (a "
        "1/20 grid of the simplex up to 4 members, normalised non-negative least squares "
        "beyond), per quantile level the lowest pinball loss on the grid; stacking: least "
        "squares with an intercept for the point, quantile levels as weighted. A member's "
        "point is its "
        "point forecast or its 0.5 level; quantiles come from the members that have them "
        "(none: point only) and are sorted per row afterwards. Saved with its members "
        "(member-<k>-<name>/) and ensemble.json (the weights).",
    .params = ens_params,
    .n_params = sizeof ens_params / sizeof ens_params[0],
    .flags = FC_MODEL_POINT | FC_MODEL_QUANTILE | FC_MODEL_ENSEMBLE,
    .create = ens_create,
    .fit = ens_fit,
    .predict = ens_predict,
    .save = ens_save,
    .record = ens_record,
    .load = ens_load,
    .free = ens_free,
    .check = ens_check,
    .outputs = ens_outputs,
};

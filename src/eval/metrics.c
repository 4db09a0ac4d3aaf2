/*
 * metrics.c — point, quantile, correlation and M5-scaled metrics for every
 * model, per series and pooled. See metrics.h and README "Metrics".
 */
#define _GNU_SOURCE /* qsort_r */
#include "forecast/eval/metrics.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/util.h"

/* ---- the metric table ---- */

#define AT(field) offsetof(struct fc_metrics, field)
const struct fc_metric_info fc_metric_table[] = {
    {"wrmsse", "WRMSSE", "rmsse", 0, "RMSSE per series, weighted by its sales share", AT(wrmsse)},
    {"wspl", "WSPL", "spl", 0, "scaled pinball loss per series, weighted by sales share",
     AT(wspl)},
    {"rmse", "RMSE", "rmse", 0, "over all rows", AT(rmse)},
    {"mse", "MSE", "mse", 0, "over all rows", AT(mse)},
    {"mae", "MAE", "mae", 0, "over all rows", AT(mae)},
    {"wape", "WAPE", "wape", 0, "sum |error| / sum |actual| over all rows", AT(wape)},
    {"mape", "MAPE", NULL, 0, "over rows with a nonzero actual", AT(mape)},
    {"smape", "sMAPE", NULL, 0, "over all rows", AT(smape)},
    {"mean_rmsse", "mean RMSSE", "rmsse", 0, "unweighted mean over series", AT(mean_rmsse)},
    {"mean_pinball", "mean pinball", NULL, 0, "over all rows and levels", AT(mean_pinball)},
    {"r2", "R2", NULL, 1, "over all rows", AT(r2)},
    {"ic", "IC", NULL, 1, "Pearson correlation over all rows", AT(ic)},
    {"rank_ic", "rank IC", NULL, 1, "Spearman correlation over all rows", AT(rank_ic)},
    {"ic_mean", "mean IC", NULL, 1, "Pearson correlation per date, averaged", AT(ic_mean)},
    {"rank_ic_mean", "mean rank IC", NULL, 1, "Spearman correlation per date, averaged",
     AT(rank_ic_mean)},
    {"crossing_rate", "crossing rate", NULL, 0, "rows with crossing quantiles, before repair",
     AT(crossing_rate)},
    {NULL, NULL, NULL, 0, NULL, 0},
};
#undef AT

const struct fc_metric_info *fc_metric_find(const char *name)
{
    for (const struct fc_metric_info *mi = fc_metric_table; mi->name; mi++)
        if (strcmp(mi->name, name) == 0)
            return mi;
    return NULL;
}

double fc_metric_value(const struct fc_metrics *m, const struct fc_metric_info *mi)
{
    double v;
    memcpy(&v, (const char *)m + mi->offset, sizeof v);
    return v;
}

/* ---- building blocks ---- */

double fc_pinball(double y, double q, double level)
{
    return y >= q ? level * (y - q) : (1 - level) * (q - y);
}

double fc_pearson(const double *x, const double *y, size_t n)
{
    if (n < 2)
        return NAN;
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= (double)n;
    my /= (double)n;
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        double dx = x[i] - mx, dy = y[i] - my;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if (sxx == 0 || syy == 0)
        return NAN;
    return sxy / sqrt(sxx * syy);
}

static int cmp_idx(const void *a, const void *b, void *arg)
{
    const double *src = arg;
    double x = src[*(const size_t *)a], y = src[*(const size_t *)b];
    return (x > y) - (x < y);
}

void fc_rank_average(const double *x, size_t n, double *r)
{
    size_t *idx = xmalloc(n * sizeof *idx);
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    qsort_r(idx, n, sizeof *idx, cmp_idx, (void *)x);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && x[idx[j + 1]] == x[idx[i]])
            j++;
        double avg = (double)(i + j) / 2.0 + 1.0;
        for (size_t k = i; k <= j; k++)
            r[idx[k]] = avg;
        i = j + 1;
    }
    free(idx);
}

double fc_spearman(const double *x, const double *y, size_t n)
{
    if (n < 2)
        return NAN;
    double *rx = xmalloc(n * sizeof *rx), *ry = xmalloc(n * sizeof *ry);
    fc_rank_average(x, n, rx);
    fc_rank_average(y, n, ry);
    double c = fc_pearson(rx, ry, n);
    free(rx);
    free(ry);
    return c;
}

double fc_quantiles_repair(double *q, size_t n, size_t n_levels)
{
    if (n == 0 || n_levels == 0)
        return NAN;
    size_t crossed = 0;
    for (size_t i = 0; i < n; i++) {
        double *row = q + i * n_levels;
        int bad = 0;
        for (size_t k = 0; k + 1 < n_levels; k++)
            if (row[k] > row[k + 1])
                bad = 1;
        if (bad) {
            crossed++;
            qsort(row, n_levels, sizeof *row, fc_cmp_double);
        }
    }
    return (double)crossed / (double)n;
}

/* ---- per-date correlations across series ---- */

struct triple {
    int32_t date;
    double y, p;
};

static int cmp_triple(const void *a, const void *b)
{
    const struct triple *x = a, *y = b;
    return (x->date > y->date) - (x->date < y->date);
}

static int constant(const double *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (v[i] != v[0])
            return 0;
    return 1;
}

static void ic_by_date(struct triple *t, size_t n, struct fc_metrics *m)
{
    qsort(t, n, sizeof *t, cmp_triple);
    double *y = xmalloc((n ? n : 1) * sizeof *y), *p = xmalloc((n ? n : 1) * sizeof *p);
    double sum_ic = 0, sum_ric = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i, k = 0;
        while (j < n && t[j].date == t[i].date) {
            y[k] = t[j].y;
            p[k] = t[j].p;
            k++;
            j++;
        }
        if (k >= 2 && !constant(y, k) && !constant(p, k)) {
            sum_ic += fc_pearson(y, p, k);
            sum_ric += fc_spearman(y, p, k);
            m->ic_dates++;
            m->rank_ic_dates++;
        }
        i = j;
    }
    m->ic_mean = m->ic_dates ? sum_ic / (double)m->ic_dates : NAN;
    m->rank_ic_mean = m->rank_ic_dates ? sum_ric / (double)m->rank_ic_dates : NAN;
    free(y);
    free(p);
}

/* ---- M5 scales ---- */

static void m5_scales(const struct fc_eval_series *s, double *sq, double *ab)
{
    size_t first = 0;
    while (first < s->n_hist && s->hist[first] == 0)
        first++;
    size_t n = s->n_hist - first;
    *sq = *ab = NAN;
    if (n < 2)
        return;
    double a = 0, b = 0;
    for (size_t i = first + 1; i < s->n_hist; i++) {
        double d = s->hist[i] - s->hist[i - 1];
        a += d * d;
        b += fabs(d);
    }
    *sq = a / (double)(n - 1);
    *ab = b / (double)(n - 1);
}

/* ---- compute ---- */

/* pooled point metrics over the m->n rows (T: the rows by date for IC) */
static void pooled_point(struct fc_metrics *m, const double *Y, const double *P, struct triple *T)
{
    double se = 0, ae = 0, b = 0, ape = 0, sape = 0, sy = 0, say = 0;
    size_t n_ape = 0;
    for (size_t i = 0; i < m->n; i++) {
        double e = P[i] - Y[i];
        se += e * e;
        ae += fabs(e);
        b += e;
        sy += Y[i];
        say += fabs(Y[i]);
        if (Y[i] != 0) {
            ape += fabs(e) / fabs(Y[i]);
            n_ape++;
        } else {
            m->mape_excluded++;
        }
        double den = fabs(Y[i]) + fabs(P[i]);
        if (den > 0)
            sape += 2 * fabs(e) / den;
    }
    double n = (double)m->n;
    m->mse = se / n;
    m->rmse = sqrt(m->mse);
    m->mae = ae / n;
    m->bias = b / n;
    m->mape = n_ape ? ape / (double)n_ape : NAN;
    m->smape = sape / n;
    m->wape = say > 0 ? ae / say : NAN;
    double my = sy / n, tss = 0;
    for (size_t i = 0; i < m->n; i++)
        tss += (Y[i] - my) * (Y[i] - my);
    m->r2 = tss > 0 ? 1 - se / tss : NAN;
    m->ic = fc_pearson(Y, P, m->n);
    m->rank_ic = fc_spearman(Y, P, m->n);
    ic_by_date(T, m->n, m);
}

/* pooled quantile metrics, after repairing crossings (Q is repaired in place) */
static void pooled_quantiles(struct fc_metrics *m, const double *Y, double *Q,
                             const double *levels)
{
    size_t L = m->n_levels;
    m->crossing_rate = fc_quantiles_repair(Q, m->n, L);
    double total = 0;
    for (size_t j = 0; j < L; j++) {
        double pl = 0;
        size_t cov = 0;
        for (size_t i = 0; i < m->n; i++) {
            pl += fc_pinball(Y[i], Q[i * L + j], levels[j]);
            cov += Y[i] <= Q[i * L + j];
        }
        m->pinball[j] = pl / (double)m->n;
        m->coverage[j] = (double)cov / (double)m->n;
        total += m->pinball[j];
    }
    m->mean_pinball = total / (double)L;
    for (size_t lo = 0; lo < L; lo++) {
        if (levels[lo] >= 0.5)
            continue;
        for (size_t hi = 0; hi < L; hi++) {
            if (fabs(levels[hi] - (1 - levels[lo])) > 1e-9)
                continue;
            size_t in = 0;
            double w = 0;
            for (size_t i = 0; i < m->n; i++) {
                in += Q[i * L + lo] <= Y[i] && Y[i] <= Q[i * L + hi];
                w += Q[i * L + hi] - Q[i * L + lo];
            }
            size_t t = m->n_intervals++;
            m->interval_level[t] = 1 - 2 * levels[lo];
            m->interval_coverage[t] = (double)in / (double)m->n;
            m->interval_width[t] = w / (double)m->n;
        }
    }
}

/* the sums behind the M5 weighted aggregates */
struct m5_sums {
    double w_all, w_rmsse, s_rmsse, w_spl, s_spl, sum_rmsse;
};

/* One series' metrics into o; Y, P, Q: its rows. */
static void series_metrics(struct fc_metrics *m, const struct fc_eval_series *ev,
                           struct fc_series_metrics *o, const double *Y, const double *P,
                           const double *Q, const double *levels, int32_t last_train_date,
                           struct m5_sums *S)
{
    size_t L = m->n_levels;
    o->key = xstrdup(ev->key);
    o->n = ev->n;
    o->pinball = xcalloc(L ? L : 1, sizeof *o->pinball);
    o->mse = o->rmse = o->mae = o->bias = o->wape = o->rmsse = o->spl = NAN;
    m5_scales(ev, &o->scale_sq, &o->scale_abs);
    double w = 0;
    for (size_t h = 0; h < ev->n_hist; h++)
        if (ev->hist_date[h] > last_train_date - 28)
            w += ev->hist[h];
    o->weight = w; /* normalised below */
    S->w_all += w;
    size_t n = ev->n;
    if (m->has_point && n) {
        double se = 0, ae = 0, b = 0, say = 0;
        for (size_t r = 0; r < n; r++) {
            double e = P[r] - Y[r];
            se += e * e;
            ae += fabs(e);
            b += e;
            say += fabs(Y[r]);
        }
        o->mse = se / (double)n;
        o->rmse = sqrt(o->mse);
        o->mae = ae / (double)n;
        o->bias = b / (double)n;
        o->wape = say > 0 ? ae / say : NAN;
        if (o->scale_sq > 0) {
            o->rmsse = sqrt(o->mse / o->scale_sq);
            S->w_rmsse += w;
            S->s_rmsse += w * o->rmsse;
            S->sum_rmsse += o->rmsse;
            m->rmsse_series++;
        }
    }
    if (m->has_quantiles && n) {
        double spl = 0;
        for (size_t j = 0; j < L; j++) {
            double pl = 0;
            for (size_t r = 0; r < n; r++)
                pl += fc_pinball(Y[r], Q[r * L + j], levels[j]);
            o->pinball[j] = pl / (double)n;
            spl += o->pinball[j];
        }
        if (o->scale_abs > 0) {
            o->spl = spl / (double)L / o->scale_abs;
            S->w_spl += w;
            S->s_spl += w * o->spl;
        }
    }
}

struct fc_metrics *fc_metrics_compute(const struct fc_eval_series *s, size_t n_series,
                                      const double *levels, size_t n_levels,
                                      int32_t last_train_date)
{
    struct fc_metrics *m = xcalloc(1, sizeof *m);
    m->n_levels = n_levels;
    m->levels = xcalloc(n_levels ? n_levels : 1, sizeof *m->levels);
    if (n_levels)
        memcpy(m->levels, levels, n_levels * sizeof *levels);
    m->n_series = n_series;
    m->series = xcalloc(n_series ? n_series : 1, sizeof *m->series);
    m->has_point = n_series > 0;
    m->has_quantiles = n_series > 0 && n_levels > 0;
    for (size_t i = 0; i < n_series; i++) {
        m->has_point &= s[i].point != NULL;
        m->has_quantiles &= s[i].q != NULL;
        m->n += s[i].n;
    }
    size_t N = m->n ? m->n : 1, L = n_levels;
    double *Y = xmalloc(N * sizeof *Y), *P = xmalloc(N * sizeof *P);
    double *Q = xmalloc(N * (L ? L : 1) * sizeof *Q);
    struct triple *T = xmalloc(N * sizeof *T);
    size_t k = 0;
    for (size_t i = 0; i < n_series; i++)
        for (size_t r = 0; r < s[i].n; r++, k++) {
            Y[k] = s[i].y[r];
            P[k] = m->has_point ? s[i].point[r] : NAN;
            T[k] = (struct triple){s[i].date[r], Y[k], P[k]};
            if (m->has_quantiles)
                memcpy(Q + k * L, s[i].q + r * L, L * sizeof *Q);
        }

    /* pooled point metrics */
    m->mse = m->rmse = m->mae = m->bias = m->mape = m->smape = m->wape = m->r2 = NAN;
    m->ic = m->rank_ic = m->ic_mean = m->rank_ic_mean = NAN;
    m->wrmsse = m->mean_rmsse = m->wspl = m->crossing_rate = m->mean_pinball = NAN;
    if (m->has_point && m->n)
        pooled_point(m, Y, P, T);

    /* pooled quantile metrics, after repairing crossings */
    m->pinball = xcalloc(L ? L : 1, sizeof *m->pinball);
    m->coverage = xcalloc(L ? L : 1, sizeof *m->coverage);
    m->interval_level = xcalloc(L ? L : 1, sizeof *m->interval_level);
    m->interval_coverage = xcalloc(L ? L : 1, sizeof *m->interval_coverage);
    m->interval_width = xcalloc(L ? L : 1, sizeof *m->interval_width);
    if (m->has_quantiles && m->n)
        pooled_quantiles(m, Y, Q, levels);

    /* per series, and the M5 weighted aggregates */
    struct m5_sums S = {0};
    k = 0;
    for (size_t i = 0; i < n_series; i++) {
        series_metrics(m, &s[i], &m->series[i], Y + k, P + k, Q + k * L, levels,
                       last_train_date, &S);
        k += s[i].n;
    }
    for (size_t i = 0; i < n_series; i++)
        m->series[i].weight = S.w_all > 0 ? m->series[i].weight / S.w_all : NAN;
    if (m->rmsse_series) {
        m->mean_rmsse = S.sum_rmsse / (double)m->rmsse_series;
        m->wrmsse = S.w_rmsse > 0 ? S.s_rmsse / S.w_rmsse : NAN;
    }
    if (m->has_quantiles)
        m->wspl = S.w_spl > 0 ? S.s_spl / S.w_spl : NAN;
    free(Y);
    free(P);
    free(Q);
    free(T);
    return m;
}

void fc_metrics_free(struct fc_metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_series; i++) {
        free(m->series[i].key);
        free(m->series[i].pinball);
    }
    free(m->series);
    free(m->levels);
    free(m->pinball);
    free(m->coverage);
    free(m->interval_level);
    free(m->interval_coverage);
    free(m->interval_width);
    free(m);
}

/* ---- backtest windows ---- */

/* the mean of the defined values among x[0..k) at stride; NAN when none */
static double mean_defined(const double *x, size_t k, size_t stride)
{
    double sum = 0;
    size_t n = 0;
    for (size_t i = 0; i < k; i++)
        if (!isnan(x[i * stride])) {
            sum += x[i * stride];
            n++;
        }
    return n ? sum / (double)n : NAN;
}

struct fc_metrics *fc_metrics_mean(struct fc_metrics *const *m, size_t k)
{
    FC_ASSERT(k > 0);
    struct fc_metrics *out = xcalloc(1, sizeof *out);
    const struct fc_metrics *m0 = m[0];
    out->n_levels = m0->n_levels;
    out->has_point = m0->has_point;
    out->has_quantiles = m0->has_quantiles;
    out->n_intervals = m0->n_intervals;
    size_t L = m0->n_levels ? m0->n_levels : 1, I = m0->n_intervals ? m0->n_intervals : 1;
    out->levels = xcalloc(L, sizeof *out->levels);
    out->pinball = xcalloc(L, sizeof *out->pinball);
    out->coverage = xcalloc(L, sizeof *out->coverage);
    out->interval_level = xcalloc(I, sizeof *out->interval_level);
    out->interval_coverage = xcalloc(I, sizeof *out->interval_coverage);
    out->interval_width = xcalloc(I, sizeof *out->interval_width);
    if (m0->n_levels)
        memcpy(out->levels, m0->levels, m0->n_levels * sizeof *out->levels);
    if (m0->n_intervals)
        memcpy(out->interval_level, m0->interval_level, m0->n_intervals * sizeof *out->levels);
    double *x = xmalloc(k * (L > I ? L : I) * sizeof *x);
    /* every metric of the table, and bias, the one scalar outside it */
    for (const struct fc_metric_info *mi = fc_metric_table; mi->name; mi++) {
        for (size_t w = 0; w < k; w++)
            x[w] = fc_metric_value(m[w], mi);
        double v = mean_defined(x, k, 1);
        memcpy((char *)out + mi->offset, &v, sizeof v);
    }
    for (size_t w = 0; w < k; w++)
        x[w] = m[w]->bias;
    out->bias = mean_defined(x, k, 1);
    for (size_t j = 0; j < m0->n_levels; j++) {
        for (size_t w = 0; w < k; w++)
            x[w] = m[w]->pinball[j];
        out->pinball[j] = mean_defined(x, k, 1);
        for (size_t w = 0; w < k; w++)
            x[w] = m[w]->coverage[j];
        out->coverage[j] = mean_defined(x, k, 1);
    }
    for (size_t t = 0; t < m0->n_intervals; t++) {
        for (size_t w = 0; w < k; w++)
            x[w] = m[w]->interval_coverage[t];
        out->interval_coverage[t] = mean_defined(x, k, 1);
        for (size_t w = 0; w < k; w++)
            x[w] = m[w]->interval_width[t];
        out->interval_width[t] = mean_defined(x, k, 1);
    }
    for (size_t w = 0; w < k; w++) {
        out->n += m[w]->n;
        out->mape_excluded += m[w]->mape_excluded;
        out->ic_dates += m[w]->ic_dates;
        out->rank_ic_dates += m[w]->rank_ic_dates;
        out->rmsse_series += m[w]->rmsse_series;
    }
    free(x);
    return out;
}

/* ---- JSON ---- */

static void num(cJSON *o, const char *k, double v)
{
    if (isnan(v) || isinf(v))
        cJSON_AddNullToObject(o, k);
    else
        cJSON_AddNumberToObject(o, k, v);
}

static void level_key(double level, char *buf, size_t n)
{
    snprintf(buf, n, "%.15g", level);
}

cJSON *fc_metrics_to_json(const struct fc_metrics *m, int per_series)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *o = cJSON_AddObjectToObject(root, "overall");
    char key[32];
    cJSON_AddNumberToObject(o, "n", (double)m->n);
    cJSON_AddNumberToObject(o, "series", (double)m->n_series);
    if (m->has_point) {
        num(o, "mse", m->mse);
        num(o, "rmse", m->rmse);
        num(o, "mae", m->mae);
        num(o, "bias", m->bias);
        num(o, "mape", m->mape);
        cJSON_AddNumberToObject(o, "mape_excluded", (double)m->mape_excluded);
        num(o, "smape", m->smape);
        num(o, "wape", m->wape);
        num(o, "r2", m->r2);
        num(o, "ic", m->ic);
        num(o, "rank_ic", m->rank_ic);
        num(o, "ic_mean", m->ic_mean);
        cJSON_AddNumberToObject(o, "ic_dates", (double)m->ic_dates);
        num(o, "rank_ic_mean", m->rank_ic_mean);
        cJSON_AddNumberToObject(o, "rank_ic_dates", (double)m->rank_ic_dates);
        num(o, "wrmsse", m->wrmsse);
        num(o, "mean_rmsse", m->mean_rmsse);
        cJSON_AddNumberToObject(o, "rmsse_series", (double)m->rmsse_series);
    }
    if (m->has_quantiles) {
        num(o, "crossing_rate", m->crossing_rate);
        num(o, "mean_pinball", m->mean_pinball);
        num(o, "wspl", m->wspl);
        cJSON *pl = cJSON_AddObjectToObject(o, "pinball");
        cJSON *cv = cJSON_AddObjectToObject(o, "coverage");
        for (size_t j = 0; j < m->n_levels; j++) {
            level_key(m->levels[j], key, sizeof key);
            num(pl, key, m->pinball[j]);
            num(cv, key, m->coverage[j]);
        }
        cJSON *iv = cJSON_AddObjectToObject(o, "intervals");
        for (size_t t = 0; t < m->n_intervals; t++) {
            snprintf(key, sizeof key, "%.0f", m->interval_level[t] * 100);
            cJSON *one = cJSON_AddObjectToObject(iv, key);
            num(one, "coverage", m->interval_coverage[t]);
            num(one, "width", m->interval_width[t]);
        }
    }
    if (!per_series)
        return root;
    cJSON *ps = cJSON_AddObjectToObject(root, "series");
    for (size_t i = 0; i < m->n_series; i++) {
        const struct fc_series_metrics *s = &m->series[i];
        cJSON *one = cJSON_AddObjectToObject(ps, s->key);
        cJSON_AddNumberToObject(one, "n", (double)s->n);
        if (m->has_point) {
            num(one, "mse", s->mse);
            num(one, "rmse", s->rmse);
            num(one, "mae", s->mae);
            num(one, "bias", s->bias);
            num(one, "wape", s->wape);
            num(one, "rmsse", s->rmsse);
        }
        num(one, "scale_sq", s->scale_sq);
        num(one, "scale_abs", s->scale_abs);
        num(one, "weight", s->weight);
        if (m->has_quantiles) {
            num(one, "spl", s->spl);
            cJSON *pl = cJSON_AddObjectToObject(one, "pinball");
            for (size_t j = 0; j < m->n_levels; j++) {
                level_key(m->levels[j], key, sizeof key);
                num(pl, key, s->pinball[j]);
            }
        }
    }
    return root;
}

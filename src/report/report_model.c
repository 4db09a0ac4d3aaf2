/*
 * report_model.c — the content of one model's section of a run report, as
 * blocks (a heading, a paragraph, a table of text cells) that report_md.c
 * writes as Markdown and report_html.c as HTML: both reports show the same
 * numbers from this one place.
 */
#define _GNU_SOURCE /* qsort_r */
#include "forecast/report/report.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/util.h"

static struct fc_report_block *add(struct fc_report_blocks *out)
{
    out->b = xrealloc(out->b, (out->n + 1) * sizeof *out->b);
    struct fc_report_block *k = &out->b[out->n++];
    memset(k, 0, sizeof *k);
    return k;
}

#define fmt fc_xasprintf

static char *num(double v) { return isnan(v) ? xstrdup("n/a") : fmt("%.4f", v); }

/* 4 significant digits, but plain digits from 10,000 up (no 3.75e+04) */
static char *sig4(double v)
{
    return fabs(v) >= 1e4 && fabs(v) < 1e15 ? fmt("%.0f", v) : fmt("%.4g", v);
}

struct fc_report_block *fc_report_table_of(struct fc_report_blocks *out, const char *heading,
                                           size_t n_cols, const char *const *names)
{
    struct fc_report_block *k = add(out);
    k->heading = heading ? xstrdup(heading) : NULL;
    k->n_cols = n_cols;
    k->cells = xmalloc(n_cols * sizeof *k->cells);
    for (size_t c = 0; c < n_cols; c++)
        k->cells[c] = xstrdup(names[c]);
    return k;
}

void fc_report_row_of(struct fc_report_block *k, char **cells)
{
    k->cells = xrealloc(k->cells, (k->n_rows + 2) * k->n_cols * sizeof *k->cells);
    memcpy(k->cells + (k->n_rows + 1) * k->n_cols, cells, k->n_cols * sizeof *cells);
    k->n_rows++;
}

struct fc_report_block *fc_report_table(struct fc_report_blocks *out, const char *heading,
                                        size_t n_cols, ...)
{
    const char **names = xmalloc((n_cols ? n_cols : 1) * sizeof *names);
    va_list ap;
    va_start(ap, n_cols);
    for (size_t c = 0; c < n_cols; c++)
        names[c] = va_arg(ap, const char *);
    va_end(ap);
    struct fc_report_block *k = fc_report_table_of(out, heading, n_cols, names);
    free(names);
    return k;
}

void fc_report_row(struct fc_report_block *k, ...)
{
    char **cells = xmalloc((k->n_cols ? k->n_cols : 1) * sizeof *cells);
    va_list ap;
    va_start(ap, k);
    for (size_t c = 0; c < k->n_cols; c++)
        cells[c] = va_arg(ap, char *);
    va_end(ap);
    fc_report_row_of(k, cells);
    free(cells);
}

struct fc_report_block *fc_report_text(struct fc_report_blocks *out, const char *heading,
                                       char *t)
{
    struct fc_report_block *k = add(out);
    k->heading = heading ? xstrdup(heading) : NULL;
    k->text = t;
    return k;
}

#define table fc_report_table
#define row fc_report_row
#define text(out, t) fc_report_text(out, NULL, t)

static int cmp_rmsse(const void *a, const void *b, void *arg)
{
    const struct fc_metrics *m = arg;
    double x = m->series[*(const size_t *)a].rmsse;
    double y = m->series[*(const size_t *)b].rmsse;
    if (isnan(x) || isnan(y))
        return isnan(x) - isnan(y);
    return (x > y) - (x < y);
}

static int cmp_gain(const void *a, const void *b, void *arg)
{
    const struct fc_importance *imp = arg;
    double x = imp[*(const size_t *)a].gain, y = imp[*(const size_t *)b].gain;
    return (x < y) - (x > y);
}

size_t *fc_report_importance_order(const struct fc_fit_record *rec)
{
    size_t n = rec->n_importance;
    size_t *idx = xmalloc((n ? n : 1) * sizeof *idx);
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    qsort_r(idx, n, sizeof *idx, cmp_gain, rec->importance);
    return idx;
}

static void scores(struct fc_report_blocks *out, const struct fc_metrics *m)
{
    if (!m->n)
        return;
    struct {
        const char *name;
        double v;
    } rows[] = {{"WRMSSE", m->wrmsse}, {"mean RMSSE", m->mean_rmsse}, {"RMSE", m->rmse},
                {"MAE", m->mae},       {"WAPE", m->wape},             {"sMAPE", m->smape},
                {"MAPE", m->mape},     {"bias", m->bias},             {"R²", m->r2},
                {"IC (per date)", m->ic_mean}, {"rank IC (per date)", m->rank_ic_mean},
                {"WSPL", m->wspl},     {"mean pinball", m->mean_pinball},
                {"crossing rate (before repair)", m->crossing_rate}};
    struct fc_report_block *t = table(out, NULL, 2, "metric", "value");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (!isnan(rows[i].v))
            row(t, xstrdup(rows[i].name), num(rows[i].v));
    if (!m->has_quantiles)
        return;
    t = table(out, NULL, 3, "level", "pinball", "coverage");
    for (size_t j = 0; j < m->n_levels; j++)
        row(t, fmt("%.15g", m->levels[j]), num(m->pinball[j]), num(m->coverage[j]));
    for (size_t i = 0; i < m->n_intervals; i++)
        text(out, fmt("Central %.0f%% interval: coverage %.4f, mean width %.4f.",
                      m->interval_level[i] * 100, m->interval_coverage[i],
                      m->interval_width[i]));
}

static void best_worst(struct fc_report_blocks *out, const struct fc_metrics *m)
{
    if (!m->has_point || !m->n_series)
        return;
    size_t *idx = xmalloc(m->n_series * sizeof *idx);
    for (size_t i = 0; i < m->n_series; i++)
        idx[i] = i;
    qsort_r(idx, m->n_series, sizeof *idx, cmp_rmsse, (void *)m);
    size_t show = m->n_series < 5 ? m->n_series : 5;
    struct fc_report_block *t = table(out, "Best and worst series by RMSSE", 6, "series",
                                      "rows", "RMSSE", "RMSE", "MAE", "weight");
    for (size_t k = 0; k < 2 * show && k < m->n_series; k++) {
        size_t i = k < show ? idx[k] : idx[m->n_series - 2 * show + k];
        if (k == show && m->n_series > 2 * show)
            row(t, xstrdup("…"), xstrdup(""), xstrdup(""), xstrdup(""), xstrdup(""),
                xstrdup(""));
        const struct fc_series_metrics *s = &m->series[i];
        row(t, xstrdup(s->key), fmt("%zu", s->n), num(s->rmsse), num(s->rmse), num(s->mae),
            num(s->weight));
    }
    free(idx);
}

/* per level (xgboost_quantile) or once: the steps run and the best
 * validation value */
static void training(struct fc_report_blocks *out, const struct fc_fit_record *rec)
{
    if (!rec->n_curves)
        return;
    const struct fc_curve *g = rec->curves;
    int levels = !isnan(g[0].level);
    char *run = fmt("%ss run", g[0].step), *best = fmt("best %s", g[0].step),
         *val = fmt("best val_%s", g[0].loss);
    struct fc_report_block *t =
        levels ? table(out, "Training (training_curve.csv)", 4, "level", run, best, val)
               : table(out, "Training (training_curve.csv)", 3, run, best, val);
    free(run);
    free(best);
    free(val);
    for (size_t i = 0; i < rec->n_curves; i++) {
        long b = fc_curve_best(&g[i]);
        char *c1 = fmt("%zu", g[i].n);
        char *c2 = b < 0 ? xstrdup("n/a (no validation rows)") : fmt("%ld", b + g[i].first);
        char *c3 = b < 0 ? xstrdup("n/a") : fmt("%.6g", g[i].val[b]);
        if (levels)
            row(t, fmt("%g", g[i].level), c1, c2, c3);
        else
            row(t, c1, c2, c3);
    }
}

/* the ten features with the highest gain */
static void top_features(struct fc_report_blocks *out, const struct fc_fit_record *rec)
{
    if (!rec->n_importance)
        return;
    size_t *idx = fc_report_importance_order(rec);
    struct fc_report_block *t =
        table(out, "Top features (by gain)", 4, "feature", "gain", "weight", "cover");
    for (size_t i = 0; i < rec->n_importance && i < 10; i++) {
        const struct fc_importance *f = &rec->importance[idx[i]];
        row(t, xstrdup(f->feature), sig4(f->gain), fmt("%.0f", f->weight), sig4(f->cover));
    }
    free(idx);
}

void fc_report_model_blocks(const struct fc_train_result *res, const struct fc_dataset *ds,
                            struct fc_report_blocks *out)
{
    memset(out, 0, sizeof *out);
    if (res->n_models > 1)
        text(out, fmt("%zu models: %.2f s elapsed, %.2f s CPU; fitting %.2f s and prediction "
                      "%.2f s summed over the models.",
                      res->n_models, res->wall_seconds, res->cpu_seconds, res->fit_seconds,
                      res->predict_seconds));
    else
        text(out, fmt("%zu model: %.2f s elapsed, %.2f s CPU; fitting %.2f s, prediction "
                      "%.2f s.",
                      res->n_models, res->wall_seconds, res->cpu_seconds, res->fit_seconds,
                      res->predict_seconds));
    if (res->record.summary)
        text(out, xstrdup(res->record.summary));
    scores(out, res->metrics);
    best_worst(out, fc_train_result_series_metrics(res)); /* a backtest's: the last window's */
    training(out, &res->record);
    top_features(out, &res->record);
    if (res->n_failed) {
        char *h = fmt("Failed series (%zu)", res->n_failed);
        struct fc_report_block *t = table(out, h, 2, "series", "reason");
        free(h);
        for (size_t i = 0; i < res->n_failed; i++)
            row(t, xstrdup(ds->series_key[res->failed[i].series]),
                xstrdup(res->failed[i].reason));
    }
}

void fc_report_blocks_free(struct fc_report_blocks *out)
{
    for (size_t i = 0; i < out->n; i++) {
        struct fc_report_block *k = &out->b[i];
        free(k->heading);
        free(k->text);
        for (size_t c = 0; k->cells && c < (k->n_rows + 1) * k->n_cols; c++)
            free(k->cells[c]);
        free(k->cells);
    }
    free(out->b);
    memset(out, 0, sizeof *out);
}

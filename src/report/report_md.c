/*
 * report_md.c — report.md for a run: what was trained on what, the scores, the
 * best and worst series, and every series that was skipped or failed.
 */
#define _GNU_SOURCE /* qsort_r */
#include "forecast/report/report.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/eval/rank.h"
#include "forecast/store/store.h"
#include "forecast/core/util.h"

static void cell(struct fc_buf *b, double v)
{
    if (isnan(v))
        fc_buf_puts(b, " n/a |");
    else
        fc_buf_printf(b, " %.4f |", v);
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

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

/* the ten features with the highest gain */
static void top_features(struct fc_buf *b, const struct fc_fit_record *rec)
{
    if (!rec->n_importance)
        return;
    size_t *idx = fc_report_importance_order(rec);
    fc_buf_puts(b, "\n### Top features (by gain)\n\n| feature | gain | weight | cover |\n"
                   "|---|---|---|---|\n");
    for (size_t i = 0; i < rec->n_importance && i < 10; i++) {
        const struct fc_importance *f = &rec->importance[idx[i]];
        fc_buf_printf(b, "| %s | %.4g | %.0f | %.4g |\n", f->feature, f->gain, f->weight,
                      f->cover);
    }
    free(idx);
}

/* per level (xgboost_quantile) or once: the steps run and the best
 * validation value */
static void training_summary(struct fc_buf *b, const struct fc_fit_record *rec)
{
    if (!rec->n_curves)
        return;
    const struct fc_curve *g = rec->curves;
    int levels = !isnan(g[0].level);
    fc_buf_printf(b, "\n### Training (training_curve.csv)\n\n| %s%ss run | best %s | best "
                     "val_%s |\n|%s---|---|---|\n",
                  levels ? "level | " : "", g[0].step, g[0].step, g[0].loss,
                  levels ? "---|" : "");
    for (size_t i = 0; i < rec->n_curves; i++) {
        if (levels)
            fc_buf_printf(b, "| %g ", g[i].level);
        long best = fc_curve_best(&g[i]);
        if (best < 0)
            fc_buf_printf(b, "| %zu | n/a (no validation rows) | n/a |\n", g[i].n);
        else
            fc_buf_printf(b, "| %zu | %ld | %.6g |\n", g[i].n, best + g[i].first,
                          g[i].val[best]);
    }
}

static void model_section(struct fc_buf *b, const char *name, const char *strategy,
                          const struct fc_train_result *res, const struct fc_dataset *ds)
{
    const struct fc_metrics *m = res->metrics;
    fc_buf_printf(b, "## %s (%s)\n\n", name, strategy);
    if (res->n_models > 1)
        fc_buf_printf(b,
                      "%zu models: %.2f s elapsed, %.2f s CPU; fitting %.2f s and prediction "
                      "%.2f s summed over the models.\n\n",
                      res->n_models, res->wall_seconds, res->cpu_seconds, res->fit_seconds,
                      res->predict_seconds);
    else
        fc_buf_printf(b, "%zu model: %.2f s elapsed, %.2f s CPU; fitting %.2f s, prediction "
                      "%.2f s.\n\n",
                      res->n_models, res->wall_seconds, res->cpu_seconds, res->fit_seconds,
                      res->predict_seconds);
    if (m->n)
        fc_buf_puts(b, "| metric | value |\n|---|---|\n");
    struct {
        const char *name;
        double v;
    } rows[] = {{"WRMSSE", m->wrmsse}, {"mean RMSSE", m->mean_rmsse}, {"RMSE", m->rmse},
                {"MAE", m->mae},       {"WAPE", m->wape},             {"sMAPE", m->smape},
                {"MAPE", m->mape},     {"bias", m->bias},             {"R²", m->r2},
                {"IC (per date)", m->ic_mean}, {"rank IC (per date)", m->rank_ic_mean},
                {"WSPL", m->wspl},     {"mean pinball", m->mean_pinball},
                {"crossing rate (before repair)", m->crossing_rate}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0] && m->n; i++) {
        if (isnan(rows[i].v))
            continue;
        fc_buf_printf(b, "| %s |", rows[i].name);
        cell(b, rows[i].v);
        fc_buf_putc(b, '\n');
    }
    if (m->has_quantiles && m->n) {
        fc_buf_puts(b, "\n| level | pinball | coverage |\n|---|---|---|\n");
        for (size_t j = 0; j < m->n_levels; j++) {
            fc_buf_printf(b, "| %.15g |", m->levels[j]);
            cell(b, m->pinball[j]);
            cell(b, m->coverage[j]);
            fc_buf_putc(b, '\n');
        }
        for (size_t t = 0; t < m->n_intervals; t++)
            fc_buf_printf(b, "\nCentral %.0f%% interval: coverage %.4f, mean width %.4f.\n",
                          m->interval_level[t] * 100, m->interval_coverage[t],
                          m->interval_width[t]);
    }
    m = fc_train_result_series_metrics(res); /* a backtest's: the last window's */
    if (m->has_point && m->n_series) {
        size_t *idx = xmalloc(m->n_series * sizeof *idx);
        for (size_t i = 0; i < m->n_series; i++)
            idx[i] = i;
        qsort_r(idx, m->n_series, sizeof *idx, cmp_rmsse, (void *)m);
        size_t show = m->n_series < 5 ? m->n_series : 5;
        fc_buf_puts(b, "\n### Best and worst series by RMSSE\n\n"
                        "| series | rows | RMSSE | RMSE | MAE | weight |\n"
                        "|---|---|---|---|---|---|\n");
        for (size_t k = 0; k < 2 * show && k < m->n_series; k++) {
            size_t i = k < show ? idx[k] : idx[m->n_series - 2 * show + k];
            if (k == show && m->n_series > 2 * show)
                fc_buf_puts(b, "| … | | | | | |\n");
            const struct fc_series_metrics *s = &m->series[i];
            fc_buf_printf(b, "| %s | %zu |", s->key, s->n);
            cell(b, s->rmsse);
            cell(b, s->rmse);
            cell(b, s->mae);
            cell(b, s->weight);
            fc_buf_putc(b, '\n');
        }
        free(idx);
    }
    training_summary(b, &res->record);
    top_features(b, &res->record);
    if (res->n_failed) {
        fc_buf_printf(b, "\n### Failed series (%zu)\n\n| series | reason |\n|---|---|\n",
                      res->n_failed);
        for (size_t i = 0; i < res->n_failed; i++)
            fc_buf_printf(b, "| %s | %s |\n", ds->series_key[res->failed[i].series],
                          res->failed[i].reason);
    }
    fc_buf_putc(b, '\n');
}

static void leaderboard(struct fc_buf *b, const struct fc_config *cfg,
                        const struct fc_train_result *res, size_t n)
{
    const struct fc_metrics **ms = xmalloc(n * sizeof *ms);
    size_t *idx = xmalloc(n * sizeof *idx);
    for (size_t k = 0; k < n; k++)
        ms[k] = res[k].metrics;
    const struct fc_metric_info *by = fc_rank_default(n, fc_rank_value_of_metrics, ms);
    fc_rank(n, by, fc_rank_value_of_metrics, ms, idx);
    free(ms);
    fc_buf_printf(b, "## Leaderboard (ranked by %s%s)\n\n"
                     "| rank | model | strategy | WRMSSE | WSPL | RMSE | MAE | mean pinball | "
                     "failed |\n|---|---|---|---|---|---|---|---|---|\n",
                  by->label, n && res[0].n_windows ? ", the mean over the backtest windows" : "");
    for (size_t r = 0; r < n; r++) {
        size_t k = idx[r];
        const struct fc_metrics *m = res[k].metrics;
        fc_buf_printf(b, "| %zu | %s | %s |", r + 1, cfg->models[k].ops->name,
                      fc_strategy_name(cfg->strategy));
        cell(b, m->wrmsse);
        cell(b, m->wspl);
        cell(b, m->rmse);
        cell(b, m->mae);
        cell(b, m->mean_pinball);
        fc_buf_printf(b, " %zu |\n", res[k].n_failed);
    }
    fc_buf_putc(b, '\n');
    free(idx);
}

/* Backtests: each window's WRMSSE and WSPL per model, then their mean. */
static void windows_table(struct fc_buf *b, const struct fc_config *cfg,
                          const struct fc_train_result *res, size_t n)
{
    if (!n || !res[0].n_windows)
        return;
    fc_buf_printf(b, "## Backtest windows (%zu)\n\nThe leaderboard ranks by the mean over the "
                     "windows; each window's forecasts and metrics are in "
                     "`<model>/<strategy>/<window>/`, the sections below describe the last "
                     "window's models.\n\n",
                  res[0].n_windows);
    const char *names[2] = {"wrmsse", "wspl"};
    for (int t = 0; t < 2; t++) {
        const struct fc_metric_info *mi = fc_metric_find(names[t]);
        fc_buf_printf(b, "| window (%s) |", mi->label);
        for (size_t k = 0; k < n; k++)
            fc_buf_printf(b, " %s |", cfg->models[k].ops->name);
        fc_buf_puts(b, "\n|---|");
        for (size_t k = 0; k < n; k++)
            fc_buf_puts(b, "---|");
        fc_buf_putc(b, '\n');
        for (size_t w = 0; w <= res[0].n_windows; w++) {
            int mean = w == res[0].n_windows;
            fc_buf_printf(b, "| %s |", mean ? "**mean**" : res[0].window_names[w]);
            for (size_t k = 0; k < n; k++)
                cell(b, fc_metric_value(mean ? res[k].metrics : res[k].window_metrics[w], mi));
            fc_buf_putc(b, '\n');
        }
        fc_buf_putc(b, '\n');
    }
}

int fc_report_write(const char *path, const cJSON *run, const struct fc_config *cfg,
                    const struct fc_dataset *ds, const struct fc_split *sp,
                    const struct fc_train_result *res, size_t n)
{
    struct fc_buf b;
    fc_buf_init(&b);
    char d1[11], d2[11];
    fc_buf_printf(&b, "# forecast run %s\n\n", str(run, "id"));
    fc_buf_printf(&b, "Status: **%s**. forecast %s.\n\n", str(run, "status"),
                  str(run, "forecast_version"));
    fc_buf_puts(&b, "## Data and split\n\n| | |\n|---|---|\n");
    fc_buf_printf(&b, "| data | `%s` (%zu bytes, sha256 %.12s…) |\n", ds->path, ds->file_size,
                  ds->sha256);
    fc_buf_printf(&b, "| rows / series | %zu / %zu |\n", ds->n_rows, ds->n_series);
    if (ds->n_dropped)
        fc_buf_printf(&b, "| rows dropped (missing target) | %zu |\n", ds->n_dropped);
    fc_buf_printf(&b, "| features | %zu |\n", ds->n_features);
    fc_format_date(cfg->split.split_date, d1);
    fc_buf_printf(&b, "| split date | %s |\n", d1);
    if (cfg->split.windows)
        fc_buf_printf(&b, "| backtest | %d windows of %d periods, origins %d apart (the split "
                          "shown is the last window's) |\n",
                      cfg->split.windows, cfg->horizon, cfg->split.step);
    if (cfg->split.has_test_end) {
        fc_format_date(cfg->split.test_end, d2);
        fc_buf_printf(&b, "| test end (exclusive) | %s |\n", d2);
    }
    fc_buf_printf(&b, "| fit / validation / test rows | %zu / %zu / %zu |\n", sp->n_fit,
                  sp->n_val, sp->n_test);
    fc_buf_printf(&b, "| series used / skipped | %zu / %zu |\n\n", sp->n_used, sp->n_skipped);

    if (sp->n_test == 0) { /* a production run */
        fc_format_date(cfg->split.split_date - 1, d2);
        fc_buf_printf(&b, "## Production run\n\nThe models were fitted on every row up to %s: "
                          "there is no test period, so nothing is scored. Forecast the %d "
                          "periods after the data with `forecast predict --run <this "
                          "directory> --horizon %d`.\n\n",
                      d2, cfg->horizon, cfg->horizon);
    } else {
        leaderboard(&b, cfg, res, n);
    }
    windows_table(&b, cfg, res, n);
    for (size_t k = 0; k < n; k++)
        model_section(&b, cfg->models[k].ops->name, fc_strategy_name(cfg->strategy), &res[k],
                      ds);
    if (sp->n_skipped) {
        fc_buf_printf(&b, "## Skipped series (%zu)\n\n| series | reason |\n|---|---|\n",
                      sp->n_skipped);
        for (size_t i = 0; i < sp->n_skipped; i++)
            fc_buf_printf(&b, "| %s | %s |\n", ds->series_key[sp->skipped[i].series],
                          sp->skipped[i].reason);
        fc_buf_putc(&b, '\n');
    }
    fc_buf_puts(&b, "Definitions of every metric: README, section \"Metrics\".\n");
    int rc = fc_write_atomic(path, b.s, b.len);
    fc_buf_free(&b);
    return rc;
}

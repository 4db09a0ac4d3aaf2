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

void fc_report_blocks_md(struct fc_buf *b, const struct fc_report_blocks *blocks, int level)
{
    for (size_t i = 0; i < blocks->n; i++) {
        const struct fc_report_block *k = &blocks->b[i];
        if (k->heading)
            fc_buf_printf(b, "%.*s %s\n\n", level, "######", k->heading);
        if (k->text)
            fc_buf_printf(b, "%s\n\n", k->text);
        for (size_t r = 0; k->n_cols && r <= k->n_rows; r++) {
            fc_buf_putc(b, '|');
            for (size_t c = 0; c < k->n_cols; c++)
                fc_buf_printf(b, " %s |", k->cells[r * k->n_cols + c]);
            fc_buf_putc(b, '\n');
            if (r == 0) {
                fc_buf_putc(b, '|');
                for (size_t c = 0; c < k->n_cols; c++)
                    fc_buf_puts(b, "---|");
                fc_buf_putc(b, '\n');
            }
        }
        if (k->n_cols)
            fc_buf_putc(b, '\n');
    }
}

static void model_section(struct fc_buf *b, const char *name, const char *strategy,
                          const struct fc_train_result *res, const struct fc_dataset *ds)
{
    fc_buf_printf(b, "## %s (%s)\n\n", name, strategy);
    struct fc_report_blocks blocks;
    fc_report_model_blocks(res, ds, &blocks);
    fc_report_blocks_md(b, &blocks, 3);
    fc_report_blocks_free(&blocks);
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

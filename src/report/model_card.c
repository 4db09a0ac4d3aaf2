/*
 * model_card.c — MODEL_CARD.md of a release (report.h): what the models
 * forecast, from what data, how they were split and scored, where they were
 * trained, what they are for and where they stop, and the release's notes.
 * Everything comes from the run's run.json and each model's metrics.json.
 */
#include "forecast/report/report.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/util.h"

static const cJSON *at(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *str(const cJSON *o, const char *k, const char *def)
{
    const cJSON *v = at(o, k);
    return cJSON_IsString(v) ? v->valuestring : def;
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = at(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void cell(struct fc_buf *b, double v)
{
    if (isnan(v))
        fc_buf_puts(b, " n/a |");
    else
        fc_buf_printf(b, " %.4f |", v);
}

/* a JSON array of strings as "a, b, c" */
static void list(struct fc_buf *b, const cJSON *a, const char *none)
{
    const cJSON *e;
    int k = 0;
    cJSON_ArrayForEach(e, a)
    {
        if (cJSON_IsString(e))
            fc_buf_printf(b, "%s%s", k++ ? ", " : "", e->valuestring);
    }
    if (!k)
        fc_buf_puts(b, none);
}

static void what(struct fc_buf *b, const cJSON *run, const cJSON *cfg,
                 const struct fc_card_model *m, size_t n)
{
    const cJSON *data = at(cfg, "data");
    fc_buf_puts(b, "## What it forecasts\n\n");
    fc_buf_printf(b, "The target column `%s` of each series (series columns: ",
                  str(data, "target_column", "?"));
    list(b, at(data, "series_columns"), "none");
    fc_buf_printf(b, "; dates in `%s`, frequency %s). ", str(data, "date_column", "?"),
                  str(data, "freq", "inferred from the dates"));
    const cJSON *h = at(cfg, "horizon");
    if (cJSON_IsNumber(h))
        fc_buf_printf(b, "Horizon: %d periods after each series' last date (`forecast predict "
                         "--release ARCHIVE --data HISTORY --horizon %d`), %s multi-step.",
                      h->valueint, h->valueint, str(cfg, "multi_step", "recursive"));
    else
        fc_buf_puts(b, "It predicts the rows it is given (no horizon was configured).");
    fc_buf_puts(b, "\n\n| model | strategy | outputs |\n|---|---|---|\n");
    const cJSON *q = at(cfg, "quantiles");
    for (size_t k = 0; k < n; k++) {
        const cJSON *ov = at(m[k].metrics, "overall");
        int point = cJSON_IsNumber(at(ov, "rmse")), quant = cJSON_IsObject(at(ov, "coverage"));
        fc_buf_printf(b, "| %s | %s | %s", m[k].model, m[k].strategy, point ? "point" : "");
        if (quant) {
            fc_buf_printf(b, "%squantiles ", point ? " + " : "");
            const cJSON *e;
            int i = 0;
            cJSON_ArrayForEach(e, q) fc_buf_printf(b, "%s%g", i++ ? "/" : "", e->valuedouble);
        }
        fc_buf_puts(b, " |\n");
    }
    fc_buf_printf(b, "\nTarget transform: %s; forecasts clipped at 0: %s.\n\n",
                  str(at(run, "transform"), "target_transform", "none"),
                  cJSON_IsTrue(at(at(run, "transform"), "nonnegative")) ? "yes" : "no");
}

static void data_section(struct fc_buf *b, const cJSON *run, const cJSON *cfg)
{
    const cJSON *d = at(run, "data"), *sp = at(run, "split"), *scfg = at(cfg, "split");
    fc_buf_puts(b, "## Data\n\n| | |\n|---|---|\n");
    fc_buf_printf(b, "| file | `%s` |\n| size | %.0f bytes |\n| sha256 | `%s` |\n",
                  str(d, "path", "?"), num(d, "size"), str(d, "sha256", "?"));
    fc_buf_printf(b, "| rows / series | %.0f / %.0f |\n", num(d, "rows"), num(d, "series"));
    fc_buf_printf(b, "| dates | %s to %s |\n", str(d, "first_date", "(not recorded)"),
                  str(d, "last_date", "(not recorded)"));
    fc_buf_puts(b, "| features | ");
    list(b, at(d, "features"), "none");
    fc_buf_puts(b, " |\n\n## Split\n\n| | |\n|---|---|\n");
    fc_buf_printf(b, "| last training date | %s |\n", str(sp, "last_train_date", "n/a"));
    fc_buf_printf(b, "| fit / validation / test rows | %.0f / %.0f / %.0f |\n",
                  num(sp, "fit_rows"), num(sp, "validation_rows"), num(sp, "test_rows"));
    fc_buf_printf(b, "| series used | %.0f |\n", num(sp, "series_used"));
    double w = num(scfg, "windows");
    if (w > 1)
        fc_buf_printf(b, "| backtest | %.0f windows, origins %.0f periods apart (metrics: the "
                         "means over the windows) |\n",
                      w, num(scfg, "step"));
    fc_buf_putc(b, '\n');
}

static int cmp_rmsse(const void *x, const void *y)
{
    double a = num(*(const cJSON *const *)x, "rmsse"), c = num(*(const cJSON *const *)y, "rmsse");
    if (isnan(a) || isnan(c))
        return isnan(a) - isnan(c);
    return (a > c) - (a < c);
}

static void metrics_section(struct fc_buf *b, const struct fc_card_model *m, size_t n)
{
    fc_buf_puts(b, "## Metrics on the test period\n\n| model | WRMSSE | RMSE | MAE | WAPE | bias | "
                   "WSPL | mean pinball | crossing rate (before repair) |\n"
                   "|---|---|---|---|---|---|---|---|---|\n");
    const char *keys[] = {"wrmsse", "rmse", "mae", "wape", "bias", "wspl", "mean_pinball",
                          "crossing_rate"};
    for (size_t k = 0; k < n; k++) {
        const cJSON *ov = at(m[k].metrics, "overall");
        fc_buf_printf(b, "| %s (%s) |", m[k].model, m[k].strategy);
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            cell(b, num(ov, keys[i]));
        fc_buf_putc(b, '\n');
    }
    for (size_t k = 0; k < n; k++) {
        const cJSON *ov = at(m[k].metrics, "overall"), *cov = at(ov, "coverage");
        if (cJSON_IsObject(cov)) {
            fc_buf_printf(b, "\n%s: coverage per level (share of actuals at or below the "
                             "quantile)\n\n| level | coverage | pinball |\n|---|---|---|\n",
                          m[k].model);
            const cJSON *c;
            cJSON_ArrayForEach(c, cov)
            {
                fc_buf_printf(b, "| %s |", c->string);
                cell(b, cJSON_IsNumber(c) ? c->valuedouble : NAN);
                cell(b, num(at(ov, "pinball"), c->string));
                fc_buf_putc(b, '\n');
            }
        }
        /* best and worst series by RMSSE */
        const cJSON *series = at(m[k].metrics, "series");
        size_t ns = (size_t)cJSON_GetArraySize(series);
        if (!ns || !cJSON_IsNumber(at(ov, "rmse")))
            continue;
        const cJSON **s = xmalloc(ns * sizeof *s);
        size_t i = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, series) s[i++] = e;
        qsort(s, ns, sizeof *s, cmp_rmsse);
        size_t show = ns < 3 ? ns : 3;
        fc_buf_printf(b, "\n%s: best and worst series by RMSSE\n\n| series | RMSSE | RMSE |\n"
                         "|---|---|---|\n",
                      m[k].model);
        for (size_t j = 0; j < 2 * show && j < ns; j++) {
            const cJSON *x = s[j < show ? j : ns - 2 * show + j];
            fc_buf_printf(b, "| %s |", x->string ? x->string : "?");
            cell(b, num(x, "rmsse"));
            cell(b, num(x, "rmse"));
            fc_buf_putc(b, '\n');
        }
        free(s);
    }
    fc_buf_putc(b, '\n');
}

static void environment(struct fc_buf *b, const cJSON *run)
{
    fc_buf_puts(b, "## Training environment\n\n| | |\n|---|---|\n");
    fc_buf_printf(b, "| run | %s, created %s |\n", str(run, "id", "?"), str(run, "created", "?"));
    const cJSON *v;
    cJSON_ArrayForEach(v, at(run, "versions"))
    {
        if (cJSON_IsString(v))
            fc_buf_printf(b, "| %s | %s |\n", v->string, v->valuestring);
    }
    const cJSON *mach = at(run, "machine");
    fc_buf_printf(b, "| CPU | %s (%.0f cores) |\n", str(mach, "cpu", "(not recorded)"),
                  num(mach, "cores"));
    fc_buf_printf(b, "| seed | %.0f |\n\n", num(run, "seed"));
}

static void limits(struct fc_buf *b, const cJSON *run, const cJSON *cfg)
{
    fc_buf_puts(b, "## Intended use and known limits\n\n");
    fc_buf_printf(b, "- For the series of the training data, with the same columns (same "
                     "names and meaning) as `%s`; predict checks the feature schema and "
                     "refuses other columns.\n",
                  str(at(run, "data"), "path", "the training data"));
    fc_buf_puts(b, "- A series absent from training: a model of every series (combined) "
                   "predicts it from its features alone; the individual strategy has no "
                   "model for it.\n");
    const cJSON *sk = at(at(run, "split"), "skipped");
    int nsk = cJSON_GetArraySize(sk);
    if (nsk > 0) {
        fc_buf_printf(b, "- %d series were skipped in training (too little data): ", nsk);
        const cJSON *e;
        int i = 0;
        cJSON_ArrayForEach(e, sk)
        {
            if (i < 10)
                fc_buf_printf(b, "%s%s", i ? ", " : "", e->string);
            i++;
        }
        fc_buf_puts(b, nsk > 10 ? ", …\n" : ".\n");
    }
    const cJSON *h = at(cfg, "horizon");
    if (cJSON_IsNumber(h))
        fc_buf_printf(b, "- The scores hold for forecasts up to %d periods ahead; further is "
                         "untested.\n",
                      h->valueint);
    fc_buf_printf(b, "- The scores are for the test period of the run (%s onward) on this "
                     "data; they are not a guarantee for other periods.\n",
                  str(at(cfg, "split"), "split_date", "the split date"));
    if (strcmp(str(run, "status", ""), "partial") == 0)
        fc_buf_puts(b, "- The run was partial: some series failed to train (listed in each "
                       "model's metrics.json) and have no forecasts.\n");
    fc_buf_putc(b, '\n');
}

char *fc_model_card(const cJSON *run, const struct fc_card_model *m, size_t n,
                    const char *name, const char *version, const char *notes)
{
    struct fc_buf b;
    fc_buf_init(&b);
    const cJSON *cfg = at(run, "config");
    fc_buf_printf(&b, "# Model card: %s %s\n\n", name, version);
    fc_buf_printf(&b, "Released from run %s (status %s) by forecast %s.\n\n", str(run, "id", "?"),
                  str(run, "status", "?"), str(run, "forecast_version", "?"));
    what(&b, run, cfg, m, n);
    data_section(&b, run, cfg);
    metrics_section(&b, m, n);
    environment(&b, run);
    limits(&b, run, cfg);
    fc_buf_puts(&b, "## Notes\n\n");
    fc_buf_puts(&b, notes && *notes ? notes : "(none given: forecast release --notes FILE)\n");
    if (notes && *notes && notes[strlen(notes) - 1] != '\n')
        fc_buf_putc(&b, '\n');
    return b.s ? b.s : xstrdup("");
}

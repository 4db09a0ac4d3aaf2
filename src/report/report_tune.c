/*
 * report_tune.c — a tuning study's report.md and report.html: settings,
 * best trial, optimisation history, the objective against each parameter,
 * and parameter importance, as blocks (report.h) both reports render.
 *
 * Importance is the correlation ratio eta^2 of each parameter over the
 * complete trials: the share of the objective's variance between the
 * groups of the parameter's values (each choice, each integer when it takes
 * at most 10 values, else quintiles of the values), normalised to sum to 1
 * over the parameters, from 10 complete trials on. It is marginal (one
 * parameter at a time, no interactions), unlike Optuna's fANOVA.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/util.h"
#include "forecast/report/report.h"
#include "forecast/store/store.h"
#include "forecast/tune/study.h"
#include "forecast/tune/tuner.h"

struct study_view {
    const cJSON *meta;
    const struct fc_space *sp;
    const struct fc_trial *t;
    size_t n;
    double sign;          /* -1: the metric is higher-better (the study minimises -value) */
    const char *metric;
    double *importance;   /* (sp->n) NAN: too few complete trials */
};

static const char *meta_str(const cJSON *m, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, k);
    return cJSON_IsString(v) ? v->valuestring : "?";
}

static double meta_num(const cJSON *m, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

struct iv {
    double x, y;
};

static int cmp_iv(const void *a, const void *b)
{
    const struct iv *p = a, *q = b;
    return (p->x > q->x) - (p->x < q->x);
}

/* eta^2 of dimension d over the complete trials */
static double eta2(const struct study_view *v, size_t d)
{
    const struct fc_dim *dim = &v->sp->dims[d];
    struct iv *p = xmalloc((v->n ? v->n : 1) * sizeof *p);
    size_t m = 0;
    for (size_t i = 0; i < v->n; i++)
        if (v->t[i].state == FC_TRIAL_COMPLETE && isfinite(v->t[i].objective))
            p[m++] = (struct iv){v->t[i].x[d], v->t[i].objective};
    double r = NAN;
    if (m >= 10) { /* fewer: a group of one or two each, eta^2 near 1 for anything */
        qsort(p, m, sizeof *p, cmp_iv);
        size_t distinct = 1;
        for (size_t i = 1; i < m; i++)
            distinct += p[i].x != p[i - 1].x;
        int by_value = dim->kind == FC_DIM_CHOICE || (dim->kind == FC_DIM_INT && distinct <= 10);
        double mean = 0, total = 0, between = 0;
        for (size_t i = 0; i < m; i++)
            mean += p[i].y / (double)m;
        for (size_t i = 0; i < m; i++)
            total += (p[i].y - mean) * (p[i].y - mean);
        /* groups: runs of equal values, or of equal quintile (rank i -> 5 i / m) */
        size_t b = 0;
        while (b < m) {
            size_t e = b + 1;
            while (e < m && (by_value ? p[e].x == p[b].x : e * 5 / m == b * 5 / m))
                e++;
            double gm = 0;
            for (size_t i = b; i < e; i++)
                gm += p[i].y / (double)(e - b);
            between += (double)(e - b) * (gm - mean) * (gm - mean);
            b = e;
        }
        r = total > 0 ? between / total : 0;
    }
    free(p);
    return r;
}

static void importance(struct study_view *v)
{
    double sum = 0;
    for (size_t d = 0; d < v->sp->n; d++) {
        v->importance[d] = eta2(v, d);
        sum += isfinite(v->importance[d]) ? v->importance[d] : 0;
    }
    for (size_t d = 0; d < v->sp->n && sum > 0; d++)
        v->importance[d] /= sum;
}

/* ---- the content, as blocks both reports render ---- */

static void settings(struct fc_report_blocks *out, const struct study_view *v)
{
    const cJSON *m = v->meta;
    struct fc_buf c;
    fc_buf_init(&c);
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(m, "fold_cutoffs"))
        fc_buf_printf(&c, "%s%s", c.len ? " " : "", cJSON_IsString(it) ? it->valuestring : "?");
    size_t counts[5] = {0};
    for (size_t i = 0; i < v->n; i++)
        counts[v->t[i].state] += !v->t[i].abandoned;
    int prune = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "prune"));
    struct fc_report_block *k = fc_report_table(out, NULL, 2, "setting", "value");
    fc_report_row(k, xstrdup("objective"),
                  fc_xasprintf("mean %s over %.0f folds of %.0f %s periods (cutoffs %s), %s is "
                               "better",
                               v->metric, meta_num(m, "folds"), meta_num(m, "fold_periods"),
                               meta_str(m, "freq"), c.s ? c.s : "",
                               v->sign < 0 ? "higher" : "lower"));
    fc_report_row(k, xstrdup("sampler"),
                  fc_xasprintf("%s, seed %.0f, median pruning %s", meta_str(m, "sampler"),
                               meta_num(m, "seed"), prune ? "on" : "off"));
    fc_report_row(k, xstrdup("trials"),
                  fc_xasprintf("%.0f asked: %zu complete, %zu pruned, %zu failed, %zu running "
                               "or queued",
                               meta_num(m, "trials"), counts[FC_TRIAL_COMPLETE],
                               counts[FC_TRIAL_PRUNED], counts[FC_TRIAL_FAILED],
                               counts[FC_TRIAL_RUNNING] + counts[FC_TRIAL_WAITING]));
    fc_buf_free(&c);
}

static void best_trial(struct fc_report_blocks *out, const struct study_view *v)
{
    const struct fc_trial *best = fc_trials_best(v->t, v->n);
    if (!best) {
        fc_report_text(out, "Best trial", xstrdup("No trial completed."));
        return;
    }
    struct fc_buf t;
    fc_buf_init(&t);
    fc_buf_printf(&t, "Trial %ld: %s %.6g (folds:", best->number, v->metric,
                  v->sign * best->objective);
    for (size_t k = 0; k < best->n_folds; k++)
        fc_buf_printf(&t, " %.6g", v->sign * best->folds[k]);
    fc_buf_puts(&t, "). forecast train --config best.json retrains it on the whole training "
                    "part and scores the test period.");
    fc_report_text(out, "Best trial", t.s);
    struct fc_report_block *k = fc_report_table(out, NULL, 3, "parameter", "value", "searched");
    cJSON *space = fc_space_to_json(v->sp);
    for (size_t d = 0; d < v->sp->n; d++) {
        char val[256];
        fc_space_format(&v->sp->dims[d], best->x[d], 0, val, sizeof val);
        fc_report_row(k, xstrdup(v->sp->dims[d].path), xstrdup(val),
                      cJSON_PrintUnformatted(
                          cJSON_GetObjectItemCaseSensitive(space, v->sp->dims[d].path)));
    }
    cJSON_Delete(space);
}

static void importance_table(struct fc_report_blocks *out, const struct study_view *v)
{
    fc_report_text(out, "Parameter importance",
                   xstrdup("The share of the objective's variance over the complete trials "
                           "that each parameter's value explains on its own (correlation ratio "
                           "eta^2 over its choices, its integers when at most 10, else "
                           "quintiles; normalised to sum to 1; marginal, interactions are not "
                           "counted)."));
    struct fc_report_block *k = fc_report_table(out, NULL, 2, "parameter", "importance");
    for (size_t d = 0; d < v->sp->n; d++)
        fc_report_row(k, xstrdup(v->sp->dims[d].path),
                      isfinite(v->importance[d])
                          ? fc_xasprintf("%.3f", v->importance[d])
                          : xstrdup("n/a (fewer than 10 complete trials)"));
}

static char *num6(double v)
{
    return isfinite(v) ? fc_xasprintf("%.6g", v) : xstrdup("");
}

static void history(struct fc_report_blocks *out, const struct study_view *v)
{
    size_t nc = 5 + v->sp->n;
    const char **names = xmalloc(nc * sizeof *names);
    const char *fixed[] = {"trial", "state", v->metric, "best so far", "seconds"};
    memcpy(names, fixed, sizeof fixed);
    for (size_t d = 0; d < v->sp->n; d++)
        names[5 + d] = strrchr(v->sp->dims[d].path, '.') + 1;
    struct fc_report_block *k = fc_report_table_of(out, "Trials", nc, names);
    free(names);
    char **cells = xmalloc(nc * sizeof *cells);
    double best = INFINITY;
    for (size_t i = 0; i < v->n; i++) {
        const struct fc_trial *t = &v->t[i];
        if (t->state == FC_TRIAL_COMPLETE && t->objective < best)
            best = t->objective;
        cells[0] = fc_xasprintf("%ld", t->number);
        cells[1] = fc_xasprintf("%s%s", fc_trial_state_names[t->state],
                                t->abandoned ? " (abandoned)" : "");
        cells[2] = num6(v->sign * t->objective);
        cells[3] = num6(v->sign * best);
        cells[4] = isfinite(t->duration) ? fc_xasprintf("%.1f", t->duration) : xstrdup("");
        for (size_t d = 0; d < v->sp->n; d++) {
            char val[256];
            fc_space_format(&v->sp->dims[d], t->x[d], 0, val, sizeof val);
            cells[5 + d] = xstrdup(val);
        }
        fc_report_row_of(k, cells);
    }
    free(cells);
}

/* ---- report.html's charts ---- */

/* a scatter of (x, y) points with an optional step line (best so far);
 * log_x: x on a log scale; labels: names of integer x positions (choices) */
struct scatter {
    const char *title, *xlabel, *ylabel;
    const double *x, *y;
    const int *grey;      /* (n) 1: drawn grey (pruned) */
    size_t n;
    const double *line;   /* (n) NULL: none */
    int log_x;
    char **labels;        /* NULL: numeric axis */
    size_t n_labels;
};

static void svg_scatter(struct fc_buf *b, const struct scatter *s)
{
    enum { W = 460, H = 260, L = 60, R = 10, T = 24, B = 40 };
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (size_t i = 0; i < s->n; i++) {
        if (!isfinite(s->y[i]))
            continue;
        double x = s->log_x ? log10(s->x[i]) : s->x[i];
        x0 = fmin(x0, x), x1 = fmax(x1, x), y0 = fmin(y0, s->y[i]), y1 = fmax(y1, s->y[i]);
    }
    if (!(x1 >= x0) || !(y1 >= y0))
        return;
    if (s->labels)
        x0 = -0.5, x1 = (double)s->n_labels - 0.5;
    if (x1 == x0)
        x0 -= 0.5, x1 += 0.5;
    if (y1 == y0)
        y0 -= 0.5 * fabs(y0) + 1e-9, y1 += 0.5 * fabs(y1) + 1e-9;
    double pw = W - L - R, ph = H - T - B;
#define PX(x) (L + ((s->log_x ? log10(x) : (x)) - x0) / (x1 - x0) * pw)
#define PY(y) (T + (y1 - (y)) / (y1 - y0) * ph)
    fc_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                     "role=\"img\"><title>",
                  W, H);
    fc_report_html_esc(b, s->title);
    fc_buf_printf(b, "</title><text x=\"%d\" y=\"16\" font-size=\"13\">", L);
    fc_report_html_esc(b, s->title);
    fc_buf_printf(b, "</text><rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" "
                     "fill=\"none\" stroke=\"#999\"/>",
                  L, T, pw, ph);
    for (int k = 0; k <= 2; k++) { /* y ticks */
        double y = y0 + (y1 - y0) * k / 2;
        fc_buf_printf(b, "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%.4g"
                         "</text>",
                      L - 4, PY(y) + 3, y);
    }
    if (s->labels) {
        for (size_t k = 0; k < s->n_labels; k++) {
            fc_buf_printf(b, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" "
                             "text-anchor=\"middle\">",
                          L + ((double)k - x0) / (x1 - x0) * pw, H - B + 14);
            fc_report_html_esc(b, s->labels[k]);
            fc_buf_puts(b, "</text>");
        }
    } else {
        for (int k = 0; k <= 2; k++) {
            double xv = x0 + (x1 - x0) * k / 2;
            fc_buf_printf(b, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" "
                             "text-anchor=\"middle\">%.4g</text>",
                          L + (xv - x0) / (x1 - x0) * pw, H - B + 14,
                          s->log_x ? pow(10, xv) : xv);
        }
    }
    fc_buf_printf(b, "<text x=\"%.0f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">",
                  L + pw / 2, H - 8);
    fc_report_html_esc(b, s->xlabel);
    fc_buf_printf(b, "</text><text x=\"12\" y=\"%.0f\" font-size=\"11\" "
                     "transform=\"rotate(-90 12 %.0f)\" text-anchor=\"middle\">",
                  T + ph / 2, T + ph / 2);
    fc_report_html_esc(b, s->ylabel);
    fc_buf_puts(b, "</text>");
    for (size_t i = 0; i < s->n; i++)
        if (isfinite(s->y[i]))
            fc_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>",
                          PX(s->x[i]), PY(s->y[i]), s->grey && s->grey[i] ? "#bbb" : "#1f77b4");
    if (s->line) {
        fc_buf_puts(b, "<polyline fill=\"none\" stroke=\"#d62728\" points=\"");
        for (size_t i = 0; i < s->n; i++)
            if (isfinite(s->line[i]))
                fc_buf_printf(b, "%.1f,%.1f ", PX(s->x[i]), PY(s->line[i]));
        fc_buf_puts(b, "\"/>");
    }
#undef PX
#undef PY
    fc_buf_puts(b, "</svg>\n");
}

static void html_charts(struct fc_buf *b, const struct study_view *v)
{
    size_t n = v->n;
    double *x = xcalloc(n ? n : 1, sizeof *x), *y = xcalloc(n ? n : 1, sizeof *y);
    double *line = xcalloc(n ? n : 1, sizeof *line);
    int *grey = xcalloc(n ? n : 1, sizeof *grey);
    double best = INFINITY;
    for (size_t i = 0; i < n; i++) {
        const struct fc_trial *t = &v->t[i];
        double m = fc_folds_mean(t->folds, t->n_folds);
        x[i] = (double)t->number;
        y[i] = t->state == FC_TRIAL_COMPLETE ? v->sign * t->objective
               : t->state == FC_TRIAL_PRUNED && t->n_folds ? v->sign * m
                                                            : NAN;
        grey[i] = t->state == FC_TRIAL_PRUNED;
        if (t->state == FC_TRIAL_COMPLETE && t->objective < best)
            best = t->objective;
        line[i] = isfinite(best) ? v->sign * best : NAN;
    }
    fc_buf_puts(b, "<h2>Optimisation history</h2>\n<p>Blue: complete trials; grey: pruned "
                   "(their mean at the fold they stopped); red: the best so far.</p>\n");
    svg_scatter(b, &(struct scatter){"objective by trial", "trial", v->metric, x, y, grey, n,
                                     line, 0, NULL, 0});
    fc_buf_puts(b, "<h2>Objective against each parameter</h2>\n");
    for (size_t d = 0; d < v->sp->n; d++) {
        const struct fc_dim *dim = &v->sp->dims[d];
        char **labels = NULL;
        for (size_t i = 0; i < n; i++)
            x[i] = v->t[i].x[d];
        if (dim->kind == FC_DIM_CHOICE) {
            labels = xcalloc(dim->n_choices, sizeof *labels);
            for (size_t k = 0; k < dim->n_choices; k++) {
                char val[256];
                fc_space_format(dim, (double)k, 0, val, sizeof val);
                labels[k] = xstrdup(val);
            }
        }
        svg_scatter(b, &(struct scatter){dim->path, strrchr(dim->path, '.') + 1, v->metric, x,
                                         y, grey, n, NULL, dim->log, labels,
                                         labels ? dim->n_choices : 0});
        for (size_t k = 0; labels && k < dim->n_choices; k++)
            free(labels[k]);
        free(labels);
    }
    free(x);
    free(y);
    free(line);
    free(grey);
}

int fc_report_tune(const char *dir, const cJSON *meta, const struct fc_space *sp,
                   const struct fc_trial *t, size_t n)
{
    struct study_view v = {meta, sp, t, n, 1, meta_str(meta, "metric"), NULL};
    v.sign = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(meta, "higher_better")) ? -1 : 1;
    v.importance = xcalloc(sp->n ? sp->n : 1, sizeof *v.importance);
    importance(&v);
    struct fc_report_blocks head = {0}, trials = {0};
    settings(&head, &v);
    best_trial(&head, &v);
    importance_table(&head, &v);
    history(&trials, &v);
    char *title = fc_xasprintf("Tuning study: %s (%s)", meta_str(meta, "model"),
                               meta_str(meta, "strategy"));
    struct fc_buf md, html;
    fc_buf_init(&md);
    fc_buf_init(&html);
    fc_buf_printf(&md, "# %s\n\n", title);
    fc_report_blocks_md(&md, &head, 2);
    fc_report_blocks_md(&md, &trials, 2);
    /* the same blocks, with the charts before the trials */
    fc_report_html_head(&html, title);
    fc_report_blocks_html(&html, &head, 2);
    html_charts(&html, &v);
    fc_report_blocks_html(&html, &trials, 2);
    fc_buf_puts(&html, "</body></html>\n");
    char *pm = fc_xasprintf("%s/report.md", dir), *ph = fc_xasprintf("%s/report.html", dir);
    int rc = fc_write_atomic(pm, md.s, md.len) || fc_write_atomic(ph, html.s, html.len);
    free(pm);
    free(ph);
    free(title);
    fc_buf_free(&md);
    fc_buf_free(&html);
    fc_report_blocks_free(&head);
    fc_report_blocks_free(&trials);
    free(v.importance);
    return rc ? -1 : 0;
}

/*
 * report_tune.c — a tuning study's report.md and report.html: settings,
 * best trial, optimisation history, the objective against each parameter,
 * and parameter importance.
 *
 * Importance is the correlation ratio eta^2 of each parameter over the
 * complete trials: the share of the objective's variance between the
 * groups of the parameter's values (each choice, each integer when it takes
 * at most 10 values, else quintiles of the values), normalised to sum to 1
 * over the parameters. It is marginal (one parameter at a time, no
 * interactions), unlike Optuna's fANOVA.
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
    if (m >= 3) {
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
        /* groups: runs of equal values, or five rank bins */
        size_t b = 0;
        while (b < m) {
            size_t e = b + 1;
            if (by_value)
                while (e < m && p[e].x == p[b].x)
                    e++;
            else
                e = ((b * 5 / m) + 1) * m / 5 > b + 1 ? ((b * 5 / m) + 1) * m / 5 : b + 1;
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

/* ---- report.md ---- */

static void md_settings(struct fc_buf *b, const struct study_view *v)
{
    const cJSON *m = v->meta;
    fc_buf_printf(b, "# Tuning study: %s (%s)\n\n", meta_str(m, "model"), meta_str(m, "strategy"));
    fc_buf_printf(b, "- objective: mean %s over %.0f folds of %.0f %s periods (cutoffs",
                  v->metric, meta_num(m, "folds"), meta_num(m, "fold_periods"),
                  meta_str(m, "freq"));
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(m, "fold_cutoffs"))
        fc_buf_printf(b, " %s", cJSON_IsString(c) ? c->valuestring : "?");
    fc_buf_printf(b, "), %s is better\n", v->sign < 0 ? "higher" : "lower");
    fc_buf_printf(b, "- sampler: %s, seed %.0f, median pruning %s; %.0f trials asked\n",
                  meta_str(m, "sampler"), meta_num(m, "seed"),
                  cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "prune")) ? "on" : "off",
                  meta_num(m, "trials"));
    size_t counts[5] = {0};
    for (size_t i = 0; i < v->n; i++)
        counts[v->t[i].state] += !v->t[i].abandoned;
    fc_buf_printf(b, "- trials: %zu complete, %zu pruned, %zu failed, %zu running or queued\n\n",
                  counts[FC_TRIAL_COMPLETE], counts[FC_TRIAL_PRUNED], counts[FC_TRIAL_FAILED],
                  counts[FC_TRIAL_RUNNING] + counts[FC_TRIAL_WAITING]);
}

static void md_best(struct fc_buf *b, const struct study_view *v)
{
    const struct fc_trial *best = fc_trials_best(v->t, v->n);
    fc_buf_puts(b, "## Best trial\n\n");
    if (!best) {
        fc_buf_puts(b, "No trial completed.\n\n");
        return;
    }
    fc_buf_printf(b, "Trial %ld: %s %.6g (folds:", best->number, v->metric,
                  v->sign * best->objective);
    for (size_t k = 0; k < best->n_folds; k++)
        fc_buf_printf(b, " %.6g", v->sign * best->folds[k]);
    fc_buf_puts(b, "). `forecast train --config best.json` retrains it on the whole training "
                   "part and scores the test period.\n\n| parameter | value | searched |\n"
                   "|---|---|---|\n");
    cJSON *space = fc_space_to_json(v->sp);
    for (size_t d = 0; d < v->sp->n; d++) {
        char val[256];
        fc_space_format(&v->sp->dims[d], best->x[d], 0, val, sizeof val);
        char *range = cJSON_PrintUnformatted(
            cJSON_GetObjectItemCaseSensitive(space, v->sp->dims[d].path));
        fc_buf_printf(b, "| %s | %s | `%s` |\n", v->sp->dims[d].path, val, range);
        free(range);
    }
    cJSON_Delete(space);
    fc_buf_puts(b, "\n");
}

static void md_importance(struct fc_buf *b, const struct study_view *v)
{
    fc_buf_puts(b, "## Parameter importance\n\nThe share of the objective's variance over the "
                   "complete trials that each parameter's value explains on its own "
                   "(correlation ratio eta^2 over its choices, its integers when at most 10, "
                   "else quintiles; normalised to sum to 1; marginal, interactions are not "
                   "counted).\n\n| parameter | importance |\n|---|---|\n");
    for (size_t d = 0; d < v->sp->n; d++) {
        if (isfinite(v->importance[d]))
            fc_buf_printf(b, "| %s | %.3f |\n", v->sp->dims[d].path, v->importance[d]);
        else
            fc_buf_printf(b, "| %s | n/a (fewer than 3 complete trials) |\n",
                          v->sp->dims[d].path);
    }
    fc_buf_puts(b, "\n");
}

static void md_history(struct fc_buf *b, const struct study_view *v)
{
    fc_buf_printf(b, "## Trials\n\n| trial | state | %s | best so far | seconds |", v->metric);
    for (size_t d = 0; d < v->sp->n; d++)
        fc_buf_printf(b, " %s |", strrchr(v->sp->dims[d].path, '.') + 1);
    fc_buf_puts(b, "\n|---|---|---|---|---|");
    for (size_t d = 0; d < v->sp->n; d++)
        fc_buf_puts(b, "---|");
    fc_buf_puts(b, "\n");
    double best = INFINITY;
    for (size_t i = 0; i < v->n; i++) {
        const struct fc_trial *t = &v->t[i];
        if (t->state == FC_TRIAL_COMPLETE && t->objective < best)
            best = t->objective;
        fc_buf_printf(b, "| %ld | %s%s | ", t->number, fc_trial_state_names[t->state],
                      t->abandoned ? " (abandoned)" : "");
        if (isfinite(t->objective))
            fc_buf_printf(b, "%.6g", v->sign * t->objective);
        fc_buf_puts(b, " | ");
        if (isfinite(best))
            fc_buf_printf(b, "%.6g", v->sign * best);
        fc_buf_puts(b, " | ");
        if (isfinite(t->duration))
            fc_buf_printf(b, "%.1f", t->duration);
        fc_buf_puts(b, " |");
        for (size_t d = 0; d < v->sp->n; d++) {
            char val[256];
            fc_space_format(&v->sp->dims[d], t->x[d], 0, val, sizeof val);
            fc_buf_printf(b, " %s |", val);
        }
        fc_buf_puts(b, "\n");
    }
    fc_buf_puts(b, "\n");
}

/* ---- report.html: the same, with charts ---- */

static void html_esc(struct fc_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            fc_buf_puts(b, "&lt;");
        else if (*s == '>')
            fc_buf_puts(b, "&gt;");
        else if (*s == '&')
            fc_buf_puts(b, "&amp;");
        else if (*s == '"')
            fc_buf_puts(b, "&quot;");
        else
            fc_buf_putc(b, *s);
    }
}

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
    html_esc(b, s->title);
    fc_buf_printf(b, "</title><text x=\"%d\" y=\"16\" font-size=\"13\">", L);
    html_esc(b, s->title);
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
            html_esc(b, s->labels[k]);
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
    html_esc(b, s->xlabel);
    fc_buf_printf(b, "</text><text x=\"12\" y=\"%.0f\" font-size=\"11\" "
                     "transform=\"rotate(-90 12 %.0f)\" text-anchor=\"middle\">",
                  T + ph / 2, T + ph / 2);
    html_esc(b, s->ylabel);
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

/* markdown tables of the md report as HTML: a minimal converter of the
 * lines this file writes (headings, bullets, tables, paragraphs) */
static void md_to_html(struct fc_buf *b, const char *md)
{
    int in_table = 0, in_list = 0;
    const char *p = md;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char *line = fc_xasprintf("%.*s", (int)len, p);
        p += len + (e != NULL);
        int table = line[0] == '|', list = strncmp(line, "- ", 2) == 0;
        if (in_table && !table)
            fc_buf_puts(b, "</table>\n");
        if (in_list && !list)
            fc_buf_puts(b, "</ul>\n");
        if (table && strncmp(line, "|---", 4) == 0) {
            free(line);
            continue;
        }
        if (table) {
            fc_buf_puts(b, in_table ? "<tr>" : "<table><tr>");
            char *save = NULL;
            for (char *c = strtok_r(line + 1, "|", &save); c; c = strtok_r(NULL, "|", &save)) {
                fc_buf_puts(b, in_table ? "<td>" : "<th>");
                while (*c == ' ')
                    c++;
                html_esc(b, c);
                fc_buf_puts(b, in_table ? "</td>" : "</th>");
            }
            fc_buf_puts(b, "</tr>\n");
        } else if (list) {
            fc_buf_puts(b, in_list ? "<li>" : "<ul><li>");
            html_esc(b, line + 2);
            fc_buf_puts(b, "</li>\n");
        } else if (strncmp(line, "## ", 3) == 0 || strncmp(line, "# ", 2) == 0) {
            int h = line[1] == '#' ? 2 : 1;
            fc_buf_printf(b, "<h%d>", h);
            html_esc(b, line + h + 1);
            fc_buf_printf(b, "</h%d>\n", h);
        } else if (*line) {
            fc_buf_puts(b, "<p>");
            html_esc(b, line);
            fc_buf_puts(b, "</p>\n");
        }
        in_table = table;
        in_list = list;
        free(line);
    }
    if (in_table)
        fc_buf_puts(b, "</table>\n");
    if (in_list)
        fc_buf_puts(b, "</ul>\n");
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
        double m = 0;
        for (size_t k = 0; k < t->n_folds; k++)
            m += t->folds[k] / (double)t->n_folds;
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
    struct fc_buf md, html;
    fc_buf_init(&md);
    fc_buf_init(&html);
    md_settings(&md, &v);
    md_best(&md, &v);
    md_importance(&md, &v);
    md_history(&md, &v);
    fc_buf_puts(&html, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                       "<title>tuning study</title><style>body{font-family:sans-serif;"
                       "max-width:1000px;margin:2em auto}table{border-collapse:collapse}"
                       "td,th{border:1px solid #ccc;padding:2px 6px;font-size:12px}"
                       "</style></head><body>\n");
    /* the settings, best trial and importance as in report.md; then charts;
     * then the trials */
    const char *trials = strstr(md.s, "## Trials");
    char *head = fc_xasprintf("%.*s", (int)(trials ? (size_t)(trials - md.s) : md.len),
                              md.s);
    md_to_html(&html, head);
    free(head);
    html_charts(&html, &v);
    if (trials)
        md_to_html(&html, trials);
    fc_buf_puts(&html, "</body></html>\n");
    char *pm = fc_xasprintf("%s/report.md", dir), *ph = fc_xasprintf("%s/report.html", dir);
    int rc = fc_write_atomic(pm, md.s, md.len) || fc_write_atomic(ph, html.s, html.len);
    free(pm);
    free(ph);
    fc_buf_free(&md);
    fc_buf_free(&html);
    free(v.importance);
    return rc ? -1 : 0;
}

/*
 * report_html.c — report.html for a run and for a compare: one
 * self-contained file (no scripts, no external resources) with the
 * leaderboard and charts drawn as inline SVG by the functions below.
 *
 * Why hand-written SVG rather than PLplot's SVG driver: the charts are simple
 * (bars, lines, a band, points), hand-written SVG is a few kilobytes per
 * chart with text that stays text (searchable, scalable), needs no extra
 * library, and the colours and layout match the tables around them.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/eval/rank.h"
#include "forecast/report/report.h"
#include "forecast/store/store.h"
#include "forecast/core/util.h"

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                      "#9467bd", "#8c564b", "#e377c2", "#17becf"};
#define COLOR(k) palette[(k) % 8]

/* ---- small helpers ---- */

static void esc(struct fc_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fc_buf_puts(b, "&lt;"); break;
        case '>': fc_buf_puts(b, "&gt;"); break;
        case '&': fc_buf_puts(b, "&amp;"); break;
        case '"': fc_buf_puts(b, "&quot;"); break;
        default: fc_buf_putc(b, *s);
        }
    }
}

static void num_cell(struct fc_buf *b, double v)
{
    if (isnan(v))
        fc_buf_puts(b, "<td>n/a</td>");
    else
        fc_buf_printf(b, "<td>%.4f</td>", v);
}

/* Approximate width in pixels of s at the charts' 11px sans-serif: UTF-8
 * continuation bytes take no room. */
static int text_px(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return (int)(n * 6.4) + 4;
}

/* s escaped, at most max characters: a longer one keeps its start and
 * (more of) its end around an ellipsis (the whole name goes into the
 * element's <title>). */
static void esc_fit(struct fc_buf *b, const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max) {
        esc(b, s);
        return;
    }
    /* the end names the model, so it keeps two thirds */
    size_t head = (max - 1) / 3, tail = max - 1 - head;
    /* cut on UTF-8 character boundaries */
    while (head > 0 && ((unsigned char)s[head] & 0xC0) == 0x80)
        head--;
    while (tail > 0 && ((unsigned char)s[n - tail] & 0xC0) == 0x80)
        tail--;
    char *h = fc_xasprintf("%.*s", (int)head, s);
    esc(b, h);
    free(h);
    fc_buf_puts(b, "…");
    esc(b, s + n - tail);
}

/* A value label: plain digits for large numbers (no 2.808e+04). */
static void value_text(struct fc_buf *b, double v)
{
    if (fabs(v) >= 1e4 && fabs(v) < 1e15)
        fc_buf_printf(b, "%.0f", v);
    else
        fc_buf_printf(b, "%.4g", v);
}

/* A "nice" upper bound for an axis. */
static double nice_max(double v)
{
    if (!(v > 0))
        return 1;
    double p = pow(10, floor(log10(v)));
    double m = v / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

static void html_head(struct fc_buf *b, const char *title)
{
    fc_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                   "<title>");
    esc(b, title);
    fc_buf_puts(b, "</title><style>"
                   "body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
                   "table{border-collapse:collapse;margin:1em 0}"
                   "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
                   "td:first-child,th:first-child{text-align:left}"
                   "td.run{text-align:left;max-width:30em;overflow-wrap:anywhere}"
                   "th{background:#f3f3f3} svg{display:block;margin:0.5em 0 1.5em}"
                   "svg text{font-family:sans-serif;font-size:11px;fill:#333}"
                   ".note{background:#fff4d6;padding:0.5em 1em;border-left:4px solid #e0a000}"
                   "</style></head><body>\n<h1>");
    esc(b, title);
    fc_buf_puts(b, "</h1>\n");
}

void fc_report_html_head(struct fc_buf *b, const char *title)
{
    html_head(b, title);
}

void fc_report_html_esc(struct fc_buf *b, const char *s)
{
    esc(b, s);
}

/* ---- charts ---- */

/* Horizontal bars: one per label, value printed at the end. */
static void svg_bars(struct fc_buf *b, const char *title, const char *const *labels,
                     const double *v, size_t n, int color_by_index)
{
    double mx = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i]) && v[i] > mx)
            mx = v[i];
    mx = nice_max(mx);
    /* the label column as wide as the longest label, within limits; longer
     * labels are shortened in the middle */
    enum { MAX_LABEL = 70 };
    int left = 120;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(labels[i]);
        char *cut = len > MAX_LABEL ? fc_xasprintf("%.*s", MAX_LABEL, labels[i]) : NULL;
        int px = text_px(cut ? cut : labels[i]) + 10;
        free(cut);
        left = px > left ? px : left;
    }
    int W = left + 530, row = 24, H = 40 + (int)n * row;
    fc_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                     "role=\"img\"><title>",
                  W, H);
    esc(b, title);
    fc_buf_printf(b, "</title><text x=\"0\" y=\"14\" font-weight=\"bold\">");
    esc(b, title);
    fc_buf_puts(b, "</text>\n");
    for (size_t i = 0; i < n; i++) {
        int y = 28 + (int)i * row;
        double w = isnan(v[i]) ? 0 : (W - left - 90) * v[i] / mx;
        fc_buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\"><title>", left - 6,
                      y + 14);
        esc(b, labels[i]);
        fc_buf_puts(b, "</title>");
        esc_fit(b, labels[i], MAX_LABEL);
        fc_buf_printf(b, "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
                         "fill=\"%s\"/>",
                      left, y + 2, w, row - 6, color_by_index ? COLOR(i) : COLOR(0));
        if (isnan(v[i]))
            fc_buf_printf(b, "<text x=\"%d\" y=\"%d\">n/a</text>\n", left + 4, y + 14);
        else {
            fc_buf_printf(b, "<text x=\"%.1f\" y=\"%d\">", left + w + 4, y + 14);
            value_text(b, v[i]);
            fc_buf_puts(b, "</text>\n");
        }
    }
    fc_buf_puts(b, "</svg>\n");
}

/* Nominal vs empirical coverage per level, one colour per model. */
static void svg_calibration(struct fc_buf *b, const char *const *names,
                            const double *const *levels, const double *const *coverage,
                            const size_t *n_levels, const size_t *color, size_t n)
{
    int S = 300, m = 40, legend = 120;
    for (size_t k = 0; k < n; k++) {
        int px = text_px(names[k]);
        legend = px > legend ? px : legend;
    }
    legend = legend > 700 ? 700 : legend;
    int rows = (int)n * 18 + 20 > S ? (int)n * 18 + 20 : S;
    fc_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                     "role=\"img\"><title>Calibration</title>",
                  m + S + 40 + legend, rows + 2 * m);
    fc_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                     "stroke=\"#999\"/>",
                  m, m, S, S);
    fc_buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#bbb\" "
                     "stroke-dasharray=\"4 3\"/>",
                  m, m + S, m + S, m);
    for (int t = 0; t <= 4; t++) {
        double f = t / 4.0;
        fc_buf_printf(b, "<text x=\"%.0f\" y=\"%d\" text-anchor=\"middle\">%.2g</text>",
                      m + f * S, m + S + 14, f);
        fc_buf_printf(b, "<text x=\"%d\" y=\"%.0f\" text-anchor=\"end\">%.2g</text>", m - 4,
                      m + S - f * S + 4, f);
    }
    fc_buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">nominal level</text>",
                  m + S / 2, m + S + 30);
    fc_buf_printf(b, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">Calibration: share of "
                     "actuals at or below each predicted quantile</text>",
                  0, 14);
    for (size_t k = 0; k < n; k++) {
        fc_buf_puts(b, "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"");
        fc_buf_puts(b, COLOR(color[k]));
        fc_buf_puts(b, "\" points=\"");
        for (size_t j = 0; j < n_levels[k]; j++)
            fc_buf_printf(b, "%.1f,%.1f ", m + levels[k][j] * S, m + S - coverage[k][j] * S);
        fc_buf_puts(b, "\"/>");
        for (size_t j = 0; j < n_levels[k]; j++)
            fc_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>",
                          m + levels[k][j] * S, m + S - coverage[k][j] * S, COLOR(color[k]));
        fc_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                         "<text x=\"%d\" y=\"%d\">",
                      m + S + 20, m + 10 + (int)k * 18, COLOR(color[k]), m + S + 38,
                      m + 20 + (int)k * 18);
        esc_fit(b, names[k], 110);
        fc_buf_puts(b, "</text>\n");
    }
    fc_buf_puts(b, "</svg>\n");
}

/* Histogram of per-series values, one small panel per model, shared bins. */
static void svg_histograms(struct fc_buf *b, const char *what, const char *const *names,
                           const double *const *v, const size_t *nv, size_t n)
{
    double mx = 0;
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < nv[k]; i++)
            if (!isnan(v[k][i]) && v[k][i] > mx)
                mx = v[k][i];
    mx = nice_max(mx);
    enum { BINS = 20 };
    int PW = 250, PH = 120, m = 30;
    int W = (int)(n < 3 ? n : 3) * (PW + m) + m, rows = (int)((n + 2) / 3);
    fc_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                     "role=\"img\"><title>Distribution of per-series %s</title>"
                     "<text x=\"0\" y=\"14\" font-weight=\"bold\">Distribution of per-series ",
                  W, 40 + rows * (PH + 64), what);
    esc(b, what);
    fc_buf_puts(b, "</text>\n");
    for (size_t k = 0; k < n; k++) {
        size_t cnt[BINS] = {0}, top = 1;
        for (size_t i = 0; i < nv[k]; i++) {
            if (isnan(v[k][i]))
                continue;
            int bin = (int)(v[k][i] / mx * BINS);
            cnt[bin >= BINS ? BINS - 1 : bin < 0 ? 0 : bin]++;
        }
        for (int i = 0; i < BINS; i++)
            if (cnt[i] > top)
                top = cnt[i];
        int x0 = m + (int)(k % 3) * (PW + m), y0 = 54 + (int)(k / 3) * (PH + 64);
        /* the panel's title on its own line above the bin count, shortened
         * to the panel's width (the whole name in its <title>) */
        fc_buf_printf(b, "<text x=\"%d\" y=\"%d\"><title>", x0, y0 - 18);
        esc(b, names[k]);
        fc_buf_puts(b, "</title>");
        esc_fit(b, names[k], 40);
        fc_buf_printf(b, "</text><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>",
                      x0, y0 + PH, x0 + PW, y0 + PH);
        for (int i = 0; i < BINS; i++) {
            double h = (double)PH * (double)cnt[i] / (double)top;
            fc_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                             "fill=\"%s\"/>",
                          x0 + i * (double)PW / BINS, y0 + PH - h, (double)PW / BINS - 1, h,
                          COLOR(k));
        }
        fc_buf_printf(b, "<text x=\"%d\" y=\"%d\">0</text><text x=\"%d\" y=\"%d\" "
                         "text-anchor=\"end\">%.3g</text><text x=\"%d\" y=\"%d\" "
                         "text-anchor=\"end\">max %zu series / bin</text>\n",
                      x0, y0 + PH + 14, x0 + PW, y0 + PH + 14, mx, x0 + PW, y0 - 4, top);
    }
    fc_buf_puts(b, "</svg>\n");
}

/* <svg> with its title, and five horizontal grid lines labelled 0..ymax
 * across the plot area (margins L, R, T, B). */
static void svg_open(struct fc_buf *b, const char *title, int W, int H, int L, int R, int T,
                     int B, double ymax)
{
    fc_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                     "role=\"img\"><title>",
                  W, H);
    esc(b, title);
    fc_buf_puts(b, "</title><text x=\"0\" y=\"14\" font-weight=\"bold\">");
    esc(b, title);
    fc_buf_puts(b, "</text>");
    for (int t = 0; t <= 4; t++) {
        double v = ymax * t / 4, y = T + (H - T - B) * (1 - v / ymax);
        fc_buf_printf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>"
                         "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.3g</text>",
                      L, y, W - R, y, L - 4, y + 4, v);
    }
}

/* One series over time: the actual (history + test), each model's point
 * forecast, and a quantile band (the outermost levels of one model). */
struct line {
    const char *name;
    size_t color;
    const int32_t *date;
    const double *y;
    size_t n;
};

/* a quantile band: between the outermost levels of one model */
struct band {
    char *name;
    size_t color;
    int32_t *date;
    double *lo, *hi;
    size_t n;
};

static void svg_timeseries(struct fc_buf *b, const char *title, const struct line *actual,
                           const struct line *lines, size_t n_lines, const struct band *bands,
                           size_t n_bands, int32_t split_date)
{
    int W = 940, H = 260, L = 50, R = 210, T = 24, B = 30;
    int32_t d0 = actual->n ? actual->date[0] : split_date, d1 = d0;
    double ymax = 0;
    for (size_t i = 0; i < actual->n; i++) {
        d1 = actual->date[i] > d1 ? actual->date[i] : d1;
        ymax = fmax(ymax, actual->y[i]);
    }
    for (size_t k = 0; k < n_lines; k++)
        for (size_t i = 0; i < lines[k].n; i++)
            ymax = fmax(ymax, isnan(lines[k].y[i]) ? 0 : lines[k].y[i]);
    for (size_t k = 0; k < n_bands; k++)
        for (size_t i = 0; i < bands[k].n; i++)
            ymax = fmax(ymax, isnan(bands[k].hi[i]) ? 0 : bands[k].hi[i]);
    ymax = nice_max(ymax * 1.05);
    double span = d1 > d0 ? (double)(d1 - d0) : 1;
#define X(d) (L + ((double)(d) - d0) / span * (W - L - R))
#define Y(v) (T + (H - T - B) * (1 - (v) / ymax))
    svg_open(b, title, W, H, L, R, T, B, ymax);
    /* six dates along the axis, ticked; the split marked at the top */
    enum { TICKS = 6 };
    for (int t = 0; t < TICKS; t++) {
        int32_t d = (int32_t)lround(d0 + (double)(d1 - d0) * t / (TICKS - 1));
        char ds[11];
        fc_format_date(d, ds);
        fc_buf_printf(b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\"/>"
                         "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">%s</text>",
                      X(d), H - B, X(d), H - B + 4, X(d), H - 8,
                      t == 0 ? "start" : t == TICKS - 1 ? "end" : "middle", ds);
    }
    char dsp[11];
    fc_format_date(split_date, dsp);
    fc_buf_printf(b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#888\" "
                     "stroke-dasharray=\"3 3\"/><text x=\"%.1f\" y=\"%d\" "
                     "text-anchor=\"end\">split %s</text>",
                  X(split_date), T, X(split_date), H - B, X(split_date) - 3, T + 10, dsp);
    for (size_t k = 0; k < n_bands; k++) {
        const struct band *q = &bands[k];
        fc_buf_printf(b, "<polygon fill=\"%s\" fill-opacity=\"0.16\" stroke=\"%s\" "
                         "stroke-opacity=\"0.4\" stroke-width=\"0.8\" points=\"",
                      COLOR(q->color), COLOR(q->color));
        for (size_t i = 0; i < q->n; i++)
            fc_buf_printf(b, "%.1f,%.1f ", X(q->date[i]), Y(q->hi[i]));
        for (size_t i = q->n; i-- > 0;)
            fc_buf_printf(b, "%.1f,%.1f ", X(q->date[i]), Y(q->lo[i]));
        fc_buf_puts(b, "\"/>");
    }
    fc_buf_puts(b, "<polyline fill=\"none\" stroke=\"#222\" stroke-width=\"1.3\" points=\"");
    for (size_t i = 0; i < actual->n; i++)
        fc_buf_printf(b, "%.1f,%.1f ", X(actual->date[i]), Y(actual->y[i]));
    fc_buf_puts(b, "\"/>");
    for (size_t k = 0; k < n_lines; k++) {
        fc_buf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
                      COLOR(lines[k].color));
        for (size_t i = 0; i < lines[k].n; i++)
            if (!isnan(lines[k].y[i]))
                fc_buf_printf(b, "%.1f,%.1f ", X(lines[k].date[i]), Y(lines[k].y[i]));
        fc_buf_puts(b, "\"/>");
    }
    /* legend */
    int ly = T + 4;
    fc_buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#222\" "
                     "stroke-width=\"2\"/><text x=\"%d\" y=\"%d\">actual</text>",
                  W - R + 12, ly, W - R + 30, ly, W - R + 34, ly + 4);
    for (size_t k = 0; k < n_lines; k++) {
        ly += 16;
        fc_buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
                         "stroke-width=\"2\"/><text x=\"%d\" y=\"%d\">",
                      W - R + 12, ly, W - R + 30, ly, COLOR(lines[k].color), W - R + 34, ly + 4);
        esc(b, lines[k].name);
        fc_buf_puts(b, "</text>");
    }
    for (size_t k = 0; k < n_bands; k++) {
        ly += 16;
        fc_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"18\" height=\"10\" fill=\"%s\" "
                         "fill-opacity=\"0.16\"/><text x=\"%d\" y=\"%d\"><title>",
                      W - R + 12, ly - 5, COLOR(bands[k].color), W - R + 34, ly + 4);
        esc(b, bands[k].name);
        fc_buf_puts(b, "</title>");
        esc_fit(b, bands[k].name, 28);
        fc_buf_puts(b, "</text>");
    }
    fc_buf_puts(b, "</svg>\n");
#undef X
#undef Y
}

/* Training curves of one model (model.h struct fc_curve): train (dashed)
 * and validation (solid) against the step, the best step marked; per level
 * (xgboost_quantile) one colour each. */
static void svg_curves(struct fc_buf *b, const char *title, const struct fc_curve *c, size_t n)
{
    int levels = !isnan(c[0].level);
    int entries = levels ? (int)n + 1 : 2; /* legend lines */
    int W = 900, H = 240 > 24 + 16 * entries + 30 ? 240 : 24 + 16 * entries + 30;
    int L = 50, R = 200, T = 24, B = 30;
    double s0 = INFINITY, s1 = -INFINITY, ymax = 0;
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < c[k].n; i++) {
            s0 = fmin(s0, (double)c[k].first + (double)i);
            s1 = fmax(s1, (double)c[k].first + (double)i);
            if (isfinite(c[k].train[i]))
                ymax = fmax(ymax, c[k].train[i]);
            if (isfinite(c[k].val[i]))
                ymax = fmax(ymax, c[k].val[i]);
        }
    if (!(s1 >= s0) || !(ymax > 0))
        return;
    ymax = nice_max(ymax * 1.05);
    double span = s1 > s0 ? s1 - s0 : 1;
#define X(v) (L + ((v) - s0) / span * (W - L - R))
#define Y(v) (T + (H - T - B) * (1 - (v) / ymax))
    svg_open(b, title, W, H, L, R, T, B, ymax);
    fc_buf_printf(b, "<text x=\"%d\" y=\"%d\">%s %.0f</text><text x=\"%d\" y=\"%d\" "
                     "text-anchor=\"end\">%.0f</text>",
                  L, H - 8, c[0].step, s0, W - R, H - 8, s1);
    int ly = T + 4;
    if (levels) {
        fc_buf_printf(b, "<text x=\"%d\" y=\"%d\">train_", W - R + 12, ly + 4);
        esc(b, c[0].loss);
        fc_buf_puts(b, " dashed, val solid</text>");
        ly += 16;
    }
    for (size_t k = 0; k < n; k++) {
        for (int which = 0; which < 2; which++) {
            const double *y = which ? c[k].val : c[k].train;
            size_t color = levels ? k : (size_t)which;
            int any = 0;
            for (size_t i = 0; i < c[k].n; i++)
                any |= isfinite(y[i]);
            if (!any)
                continue;
            fc_buf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\"%s "
                             "points=\"",
                          COLOR(color), which ? "" : " stroke-dasharray=\"5 3\"");
            for (size_t i = 0; i < c[k].n; i++)
                if (isfinite(y[i]))
                    fc_buf_printf(b, "%.1f,%.1f ", X((double)c[k].first + (double)i), Y(y[i]));
            fc_buf_puts(b, "\"/>");
            if (levels && which == 0)
                continue; /* one legend line per level */
            fc_buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
                             "stroke-width=\"2\"%s/><text x=\"%d\" y=\"%d\">",
                          W - R + 12, ly, W - R + 30, ly, COLOR(color),
                          which ? "" : " stroke-dasharray=\"5 3\"", W - R + 34, ly + 4);
            if (levels) {
                fc_buf_printf(b, "level %g", c[k].level);
            } else {
                fc_buf_printf(b, "%s_", which ? "val" : "train");
                esc(b, c[k].loss);
            }
            fc_buf_puts(b, "</text>");
            ly += 16;
        }
        /* the best step: a line for one curve, a dot per level */
        long best = fc_curve_best(&c[k]);
        if (best < 0)
            continue;
        double at = (double)c[k].first + (double)best;
        if (levels)
            fc_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>"
                             "level %g: best %s %.0f, val %.4g</title></circle>",
                          X(at), Y(c[k].val[best]), COLOR(k), c[k].level, c[k].step, at,
                          c[k].val[best]);
        else
            fc_buf_printf(b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                             "stroke=\"#888\" stroke-dasharray=\"3 3\"/><text x=\"%.1f\" "
                             "y=\"%d\" text-anchor=\"end\">best %.0f: %.4g</text>",
                          X(at), T, X(at), H - B, X(at) - 4, T + 12, at, c[k].val[best]);
    }
    fc_buf_puts(b, "</svg>\n");
#undef X
#undef Y
}

/* ---- the run report ---- */

static double overall(const cJSON *m, const char *k)
{
    const cJSON *v =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "overall"), k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void leaderboard_table(struct fc_buf *b, const struct fc_html_entry *e, size_t n,
                              int with_run, int with_wins)
{
    fc_buf_puts(b, "<table><tr><th>rank</th>");
    if (with_run)
        fc_buf_puts(b, "<th>run</th>");
    fc_buf_puts(b, "<th>model</th><th>strategy</th><th>WRMSSE</th><th>WSPL</th><th>RMSE</th>"
                   "<th>MAE</th><th>mean pinball</th>");
    if (with_wins)
        fc_buf_puts(b, "<th>series wins</th>");
    fc_buf_puts(b, "</tr>\n");
    const char *cols[] = {"wrmsse", "wspl", "rmse", "mae", "mean_pinball"};
    for (size_t k = 0; k < n; k++) {
        fc_buf_printf(b, "<tr><td>%zu</td>", k + 1);
        if (with_run) {
            fc_buf_puts(b, "<td class=\"run\">");
            esc(b, e[k].run);
            fc_buf_puts(b, "</td>");
        }
        fc_buf_puts(b, "<td>");
        esc(b, e[k].model);
        fc_buf_puts(b, "</td><td>");
        esc(b, e[k].strategy);
        fc_buf_puts(b, "</td>");
        for (int c = 0; c < 5; c++)
            num_cell(b, overall(e[k].metrics, cols[c]));
        if (with_wins)
            fc_buf_printf(b, "<td>%zu</td>", e[k].wins);
        fc_buf_puts(b, "</tr>\n");
    }
    fc_buf_puts(b, "</table>\n");
}

/* charts shared by the run and the compare reports, from metrics.json */
static void metric_charts(struct fc_buf *b, const struct fc_html_entry *e, size_t n,
                          const char *metric, int with_run)
{
    const char **labels = xcalloc(n, sizeof *labels);
    char **own = xcalloc(n, sizeof *own);
    double *v = xcalloc(n, sizeof *v);
    for (size_t k = 0; k < n; k++) {
        own[k] = with_run ? fc_xasprintf("%s %s (%s)", e[k].run, e[k].model, e[k].strategy)
                          : fc_xasprintf("%s (%s)", e[k].model, e[k].strategy);
        labels[k] = own[k];
        v[k] = overall(e[k].metrics, metric);
    }
    const struct fc_metric_info *mi = fc_metric_find(metric);
    char title[96];
    snprintf(title, sizeof title, "%s per model (%s is better)", metric,
             mi && mi->higher_better ? "higher" : "lower");
    svg_bars(b, title, labels, v, n, 1);

    /* calibration of the models with quantiles */
    const double **lv = xcalloc(n, sizeof *lv), **cv = xcalloc(n, sizeof *cv);
    size_t *nl = xcalloc(n, sizeof *nl), nq = 0, *qc = xcalloc(n, sizeof *qc);
    const char **qn = xcalloc(n, sizeof *qn);
    double *store = xcalloc(n * 64 * 2, sizeof *store);
    for (size_t k = 0; k < n; k++) {
        const cJSON *cov = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(e[k].metrics, "overall"), "coverage");
        if (!cJSON_IsObject(cov))
            continue;
        double *L = store + nq * 128, *C = L + 64;
        size_t j = 0;
        const cJSON *c;
        cJSON_ArrayForEach(c, cov)
        {
            if (j < 64 && cJSON_IsNumber(c)) {
                L[j] = strtod(c->string, NULL);
                C[j] = c->valuedouble;
                j++;
            }
        }
        lv[nq] = L;
        cv[nq] = C;
        nl[nq] = j;
        qn[nq] = labels[k];
        qc[nq] = k;
        nq++;
    }
    if (nq) {
        svg_calibration(b, qn, lv, cv, nl, qc, nq);
        fc_buf_puts(b, "<p>Coverage is the share of actuals at or below each predicted "
                       "quantile. For a discrete target such as counts, an actual equal to "
                       "the quantile counts as covered, so even a perfect model's points sit "
                       "above the diagonal, most visibly at low levels where many actuals "
                       "tie at 0.</p>\n");
    }

    /* per-series error distributions */
    const char *ps = strcmp(metric, "wspl") == 0 ? "spl" : "rmsse";
    double **pv = xcalloc(n, sizeof *pv);
    size_t *np = xcalloc(n, sizeof *np);
    for (size_t k = 0; k < n; k++) {
        const cJSON *series = cJSON_GetObjectItemCaseSensitive(e[k].metrics, "series");
        pv[k] = xcalloc((size_t)cJSON_GetArraySize(series) + 1, sizeof **pv);
        const cJSON *s;
        cJSON_ArrayForEach(s, series)
        {
            const cJSON *x = cJSON_GetObjectItemCaseSensitive(s, ps);
            pv[k][np[k]++] = cJSON_IsNumber(x) ? x->valuedouble : NAN;
        }
    }
    svg_histograms(b, ps, labels, (const double *const *)pv, np, n);
    for (size_t k = 0; k < n; k++) {
        free(pv[k]);
        free(own[k]);
    }
    free(pv);
    free(np);
    free(own);
    free(labels);
    free(v);
    free(lv);
    free(cv);
    free(nl);
    free(qc);
    free(qn);
    free(store);
}

static int finish(const char *path, struct fc_buf *b)
{
    fc_buf_puts(b, "<p>Metric definitions: see the README of forecast, section "
                   "&ldquo;Metrics&rdquo;.</p>\n</body></html>\n");
    int rc = fc_write_atomic(path, b->s, b->len);
    fc_buf_free(b);
    return rc;
}

int fc_report_html_compare(const char *path, const struct fc_html_entry *e, size_t n,
                           const char *metric, const char *note)
{
    struct fc_buf b;
    fc_buf_init(&b);
    html_head(&b, "forecast compare");
    if (note) {
        fc_buf_puts(&b, "<p class=\"note\">Note: ");
        esc(&b, note);
        fc_buf_puts(&b, ".</p>\n");
    }
    fc_buf_printf(&b, "<h2>Leaderboard (ranked by %s)</h2>\n", metric);
    leaderboard_table(&b, e, n, 1, 1);
    metric_charts(&b, e, n, metric, 1);
    return finish(path, &b);
}

/* rows of series s in a result's (compacted) test rows: [*first, *first + *n) */
static int find_rows(const struct fc_dataset *ds, const struct fc_train_result *r, uint32_t s,
                     size_t *first, size_t *n)
{
    for (size_t i = 0; i < r->pred.n; i++)
        if (ds->series[r->rows[i]] == s) {
            size_t j = i;
            while (j < r->pred.n && ds->series[r->rows[j]] == s)
                j++;
            *first = i;
            *n = j - i;
            return 0;
        }
    return -1;
}

/* ---- the run report's sections ---- */

static void run_summary(struct fc_buf *b, const struct fc_config *cfg,
                        const struct fc_dataset *ds, const struct fc_split *sp)
{
    char d[11];
    fc_format_date(cfg->split.split_date, d);
    fc_buf_puts(b, "<table><tr><td>data</td><td>");
    esc(b, ds->path);
    fc_buf_printf(b, " (%zu rows, %zu series, %zu features)</td></tr>"
                      "<tr><td>split date</td><td>%s</td></tr>"
                      "<tr><td>fit / validation / test rows</td><td>%zu / %zu / %zu</td></tr>"
                      "<tr><td>series used / skipped</td><td>%zu / %zu</td></tr></table>\n",
                  ds->n_rows, ds->n_series, ds->n_features, d, sp->n_fit, sp->n_val,
                  sp->n_test, sp->n_used, sp->n_skipped);

}

/* Backtests: each window's WRMSSE and WSPL per model, then their mean. */
static void windows_table(struct fc_buf *b, const struct fc_config *cfg,
                          const struct fc_train_result *res, size_t n)
{
    if (!n || !res[0].n_windows)
        return;
    fc_buf_printf(b, "<h2>Backtest windows (%zu)</h2>\n<p>Each window's forecasts are its "
                     "own directory's; the plots below show the last window.</p>\n",
                  res[0].n_windows);
    const char *names[2] = {"wrmsse", "wspl"};
    for (int t = 0; t < 2; t++) {
        const struct fc_metric_info *mi = fc_metric_find(names[t]);
        fc_buf_printf(b, "<table><tr><th>window (%s)</th>", mi->label);
        for (size_t k = 0; k < n; k++) {
            fc_buf_puts(b, "<th>");
            esc(b, cfg->models[k].ops->name);
            fc_buf_puts(b, "</th>");
        }
        fc_buf_puts(b, "</tr>\n");
        for (size_t w = 0; w <= res[0].n_windows; w++) {
            int mean = w == res[0].n_windows;
            fc_buf_puts(b, "<tr><td>");
            esc(b, mean ? "mean" : res[0].window_names[w]);
            fc_buf_puts(b, "</td>");
            for (size_t k = 0; k < n; k++)
                num_cell(b, fc_metric_value(mean ? res[k].metrics : res[k].window_metrics[w],
                                            mi));
            fc_buf_puts(b, "</tr>\n");
        }
        fc_buf_puts(b, "</table>\n");
    }
}

/* The series to plot: those asked for, else the best, the worst and the
 * largest by sales of the top-ranked model. Returns how many (<= 16). */
static size_t pick_series(const struct fc_dataset *ds, const struct fc_train_result *top,
                          char *const *plot_skus, size_t n_plot, uint32_t *pick,
                          const char **why)
{
    size_t np = 0;
    if (n_plot) {
        for (size_t i = 0; i < n_plot && np < 16; i++) {
            long s = fc_dataset_find_series(ds, plot_skus[i]);
            if (s >= 0) {
                pick[np] = (uint32_t)s;
                why[np++] = "chosen";
            }
        }
    } else if (fc_train_result_series_metrics(top)->n_series) {
        /* a backtest's: the last window's, whose forecasts are plotted */
        const struct fc_metrics *m = fc_train_result_series_metrics(top);
        size_t best = 0, worst = 0, big = 0;
        for (size_t i = 0; i < m->n_series; i++) {
            const struct fc_series_metrics *x = &m->series[i];
            if (!isnan(x->rmsse) && (isnan(m->series[best].rmsse) || x->rmsse < m->series[best].rmsse))
                best = i;
            if (!isnan(x->rmsse) && (isnan(m->series[worst].rmsse) || x->rmsse > m->series[worst].rmsse))
                worst = i;
            if (x->weight > m->series[big].weight)
                big = i;
        }
        size_t cand[3] = {best, worst, big};
        const char *reason[3] = {"best RMSSE", "worst RMSSE", "largest by sales"};
        for (int c = 0; c < 3; c++) {
            long s = fc_dataset_find_series(ds, m->series[cand[c]].key);
            int dup = 0;
            for (size_t j = 0; j < np; j++)
                dup |= s >= 0 && pick[j] == (uint32_t)s;
            if (s >= 0 && !dup) {
                pick[np] = (uint32_t)s;
                why[np++] = reason[c];
            }
        }
    }
    return np;
}

/* One series: its actuals (the last 84 days before the split and the test
 * period), each model's point forecast, and the first quantile model's band. */
static void series_chart(struct fc_buf *b, const struct fc_config *cfg,
                         const struct fc_dataset *ds, const struct fc_train_result *res,
                         const size_t *order, size_t n, uint32_t s, const char *why)
{
    size_t b0 = ds->series_start[s], len = ds->series_len[s];
    /* the last 84 days before the split and the test period */
    size_t first = b0;
    while (first < b0 + len && ds->date[first] < cfg->split.split_date - 84)
        first++;
    size_t na = 0;
    int32_t *ad = xmalloc((len ? len : 1) * sizeof *ad);
    double *ay = xmalloc((len ? len : 1) * sizeof *ay);
    for (size_t r = first; r < b0 + len; r++)
        if (!cfg->split.has_test_end || ds->date[r] < cfg->split.test_end) {
            ad[na] = ds->date[r];
            ay[na++] = ds->target[r];
        }
    struct line actual = {"actual", 0, ad, ay, na};
    struct line *lines = xcalloc(n, sizeof *lines);
    int32_t **ld = xcalloc(n, sizeof *ld);
    double **ly = xcalloc(n, sizeof *ly);
    size_t nl = 0;
    struct band *bands = xcalloc(n, sizeof *bands);
    size_t nb = 0;
    for (size_t r = 0; r < n; r++) {
        size_t k = order[r];
        const struct fc_train_result *R = &res[k];
        size_t f, cnt;
        if (find_rows(ds, R, s, &f, &cnt))
            continue;
        size_t L = R->pred.n_quantiles;
        int median = -1;
        for (size_t j = 0; j < L; j++)
            if (fabs(cfg->quantiles[j] - 0.5) < 1e-12)
                median = (int)j;
        if (R->pred.point || median >= 0) {
            ld[nl] = xmalloc(cnt * sizeof **ld);
            ly[nl] = xmalloc(cnt * sizeof **ly);
            for (size_t i = 0; i < cnt; i++) {
                ld[nl][i] = ds->date[R->rows[f + i]];
                ly[nl][i] = R->pred.point ? R->pred.point[f + i]
                                          : R->pred.q[(f + i) * L + (size_t)median];
            }
            lines[nl] = (struct line){cfg->models[k].ops->name, r, ld[nl], ly[nl], cnt};
            nl++;
        }
        if (L >= 2) { /* every quantile model's band, in its colour */
            struct band *q = &bands[nb++];
            q->date = xmalloc(cnt * sizeof *q->date);
            q->lo = xmalloc(cnt * sizeof *q->lo);
            q->hi = xmalloc(cnt * sizeof *q->hi);
            for (size_t i = 0; i < cnt; i++) {
                q->date[i] = ds->date[R->rows[f + i]];
                double a = R->pred.q[(f + i) * L], z = R->pred.q[(f + i) * L + L - 1];
                q->lo[i] = fmin(a, z);
                q->hi[i] = fmax(a, z);
            }
            q->n = cnt;
            q->color = r;
            q->name = fc_xasprintf("%s q%g-q%g", cfg->models[k].ops->name, cfg->quantiles[0],
                                   cfg->quantiles[L - 1]);
        }
    }
    char *t = fc_xasprintf("%s (%s)", ds->series_key[s], why);
    svg_timeseries(b, t, &actual, lines, nl, bands, nb, cfg->split.split_date);
    free(t);
    for (size_t k = 0; k < nl; k++) {
        free(ld[k]);
        free(ly[k]);
    }
    free(ld);
    free(ly);
    free(lines);
    for (size_t k = 0; k < nb; k++) {
        free(bands[k].name);
        free(bands[k].date);
        free(bands[k].lo);
        free(bands[k].hi);
    }
    free(bands);
    free(ad);
    free(ay);
}

/* One model's section: the tables report.md has (report_model.c), its
 * training curve and its feature importance. */
void fc_report_blocks_html(struct fc_buf *b, const struct fc_report_blocks *blocks, int level)
{
    for (size_t i = 0; i < blocks->n; i++) {
        const struct fc_report_block *t = &blocks->b[i];
        if (t->heading) {
            fc_buf_printf(b, "<h%d>", level);
            esc(b, t->heading);
            fc_buf_printf(b, "</h%d>\n", level);
        }
        if (t->text) {
            fc_buf_puts(b, "<p>");
            esc(b, t->text);
            fc_buf_puts(b, "</p>\n");
        }
        if (!t->n_cols)
            continue;
        fc_buf_puts(b, "<table>");
        for (size_t r = 0; r <= t->n_rows; r++) {
            fc_buf_puts(b, "<tr>");
            for (size_t c = 0; c < t->n_cols; c++) {
                fc_buf_puts(b, r ? "<td>" : "<th>");
                esc(b, t->cells[r * t->n_cols + c]);
                fc_buf_puts(b, r ? "</td>" : "</th>");
            }
            fc_buf_puts(b, "</tr>\n");
        }
        fc_buf_puts(b, "</table>\n");
    }
}

static void model_section(struct fc_buf *b, const struct fc_config *cfg,
                          const struct fc_dataset *ds, const struct fc_train_result *res,
                          size_t k)
{
    fc_buf_puts(b, "<h2>");
    esc(b, cfg->models[k].ops->name);
    fc_buf_printf(b, " (%s)</h2>\n", fc_strategy_name(cfg->strategy));
    struct fc_report_blocks blocks;
    fc_report_model_blocks(&res[k], ds, &blocks);
    fc_report_blocks_html(b, &blocks, 3);
    fc_report_blocks_free(&blocks);
    const struct fc_fit_record *rec = &res[k].record;
    /* the training curve, where the model has one (the combined strategy) */
    if (rec->n_curves) {
        char *t = fc_xasprintf("Training curve: %s", cfg->models[k].ops->name);
        svg_curves(b, t, rec->curves, rec->n_curves);
        free(t);
    }
    /* feature importance, where the model has it: the 20 highest gains */
    if (rec->n_importance) {
        size_t *idx = fc_report_importance_order(rec);
        size_t nf = rec->n_importance < 20 ? rec->n_importance : 20;
        const char **labels = xcalloc(nf, sizeof *labels);
        double *gain = xcalloc(nf, sizeof *gain);
        for (size_t i = 0; i < nf; i++) {
            labels[i] = rec->importance[idx[i]].feature;
            gain[i] = rec->importance[idx[i]].gain;
        }
        char *t = fc_xasprintf("Feature importance (gain): %s", cfg->models[k].ops->name);
        svg_bars(b, t, labels, gain, nf, 0);
        free(t);
        free(labels);
        free(gain);
        free(idx);
    }
}

static void skipped_table(struct fc_buf *b, const struct fc_dataset *ds,
                          const struct fc_split *sp)
{
    if (sp->n_skipped) {
        fc_buf_printf(b, "<h2>Skipped series (%zu)</h2><table><tr><th>series</th>"
                          "<th>reason</th></tr>",
                      sp->n_skipped);
        for (size_t i = 0; i < sp->n_skipped; i++) {
            fc_buf_puts(b, "<tr><td>");
            esc(b, ds->series_key[sp->skipped[i].series]);
            fc_buf_puts(b, "</td><td>");
            esc(b, sp->skipped[i].reason);
            fc_buf_puts(b, "</td></tr>");
        }
        fc_buf_puts(b, "</table>\n");
    }
}

int fc_report_html_run(const char *path, const cJSON *run, const struct fc_config *cfg,
                       const struct fc_dataset *ds, const struct fc_split *sp,
                       const struct fc_train_result *res, size_t n, char *const *plot_skus, size_t n_plot)
{
    struct fc_buf b;
    fc_buf_init(&b);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(run, "id");
    char *title = fc_xasprintf("forecast run %s", cJSON_IsString(id) ? id->valuestring : "");
    html_head(&b, title);
    free(title);
    run_summary(&b, cfg, ds, sp);
    cJSON **mj = xcalloc(n, sizeof *mj);
    struct fc_html_entry *e = xcalloc(n, sizeof *e);
    size_t *order = xcalloc(n, sizeof *order);
    const struct fc_metrics **ms = xcalloc(n, sizeof *ms);
    for (size_t k = 0; k < n; k++) {
        mj[k] = fc_metrics_to_json(res[k].metrics, 1);
        ms[k] = res[k].metrics;
    }
    const struct fc_metric_info *by = fc_rank_default(n, fc_rank_value_of_metrics, ms);
    fc_rank(n, by, fc_rank_value_of_metrics, ms, order);
    free(ms);
    const char *metric = by->name;
    for (size_t r = 0; r < n; r++) {
        size_t k = order[r];
        e[r] = (struct fc_html_entry){"", cfg->models[k].ops->name,
                                      fc_strategy_name(cfg->strategy), mj[k], 0};
    }
    if (sp->n_test == 0)
        fc_buf_puts(&b, "<h2>Production run</h2>\n<p>The models were fitted on every row: "
                        "there is no test period, so nothing is scored.</p>\n");
    fc_buf_printf(&b, "<h2>Leaderboard (ranked by %s%s)</h2>\n", metric,
                  res[0].n_windows ? ", the mean over the backtest windows" : "");
    leaderboard_table(&b, e, n, 0, 0);
    metric_charts(&b, e, n, metric, 0);
    windows_table(&b, cfg, res, n);

    /* forecasts against actuals for a few series */
    uint32_t pick[16];
    const char *why[16];
    size_t np = pick_series(ds, &res[order[0]], plot_skus, n_plot, pick, why);
    if (np)
        fc_buf_puts(&b, "<h2>Forecasts against actuals</h2>\n");
    for (size_t p = 0; p < np; p++)
        series_chart(&b, cfg, ds, res, order, n, pick[p], why[p]);

    for (size_t r = 0; r < n; r++)
        model_section(&b, cfg, ds, res, order[r]);
    skipped_table(&b, ds, sp);
    for (size_t k = 0; k < n; k++)
        cJSON_Delete(mj[k]);
    free(mj);
    free(e);
    free(order);
    return finish(path, &b);
}

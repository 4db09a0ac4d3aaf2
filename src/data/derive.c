/*
 * derive.c — derived features (derive.h): lags, rolling and expanding
 * statistics of the target and calendar fields, per series in date order,
 * with the leakage rule applied to every row.
 */
#include "forecast/data/derive.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/util.h"

/* ---- periods ---- */

static const char *const freq_names[] = {"auto", "daily", "weekly", "monthly"};

const char *fc_freq_name(enum fc_freq freq) { return freq_names[freq]; }

enum fc_freq fc_freq_of_name(const char *name)
{
    for (int f = FC_FREQ_DAILY; f <= FC_FREQ_MONTHLY; f++)
        if (name && strcmp(name, freq_names[f]) == 0)
            return (enum fc_freq)f;
    return FC_FREQ_AUTO;
}

int fc_freq_season(enum fc_freq freq)
{
    return freq == FC_FREQ_WEEKLY ? 52 : freq == FC_FREQ_MONTHLY ? 12 : 7;
}

/* The period of a day: the day itself, its 7-day block since 1970-01-01,
 * or year * 12 + month. */
static int64_t period_of(int32_t day, enum fc_freq freq)
{
    if (freq == FC_FREQ_WEEKLY)
        return day >= 0 ? day / 7 : -((-(int64_t)day + 6) / 7);
    if (freq == FC_FREQ_MONTHLY) {
        int y, m, d;
        fc_civil_from_days(day, &y, &m, &d);
        return (int64_t)y * 12 + (m - 1);
    }
    return day;
}

int64_t fc_derive_period(int32_t day, enum fc_freq freq)
{
    return period_of(day, freq);
}

int32_t fc_derive_period_start(int64_t period, enum fc_freq freq)
{
    if (freq == FC_FREQ_WEEKLY)
        return (int32_t)(period * 7);
    if (freq == FC_FREQ_MONTHLY) {
        int64_t y = period >= 0 ? period / 12 : -((-period + 11) / 12);
        return fc_days_from_civil((int)y, (int)(period - y * 12) + 1, 1);
    }
    return (int32_t)period;
}

long fc_derive_periods(enum fc_freq freq, int32_t a, int32_t b)
{
    return (long)(period_of(b, freq) - period_of(a, freq));
}

enum fc_freq fc_derive_freq(const struct fc_dataset *ds, enum fc_freq freq)
{
    if (freq != FC_FREQ_AUTO)
        return freq;
    int first_of_month = ds->n_rows > 0, weekly = 0, other = 0;
    for (size_t i = 0; i < ds->n_rows && first_of_month; i++) {
        int y, m, d;
        fc_civil_from_days(ds->date[i], &y, &m, &d);
        first_of_month = d == 1;
    }
    if (first_of_month)
        return FC_FREQ_MONTHLY;
    for (size_t s = 0; s < ds->n_series; s++)
        for (size_t r = ds->series_start[s] + 1; r < ds->series_start[s] + ds->series_len[s];
             r++) {
            int32_t gap = ds->date[r] - ds->date[r - 1];
            weekly |= gap % 7 == 0;
            other |= gap % 7 != 0;
        }
    return weekly && !other ? FC_FREQ_WEEKLY : FC_FREQ_DAILY;
}

/* ---- the statistics ---- */

/* stat over v[0..n) (the window's observed targets); buf: scratch of n */
static double window_stat(enum fc_window_stat stat, const double *v, size_t n, double *buf)
{
    if (n == 0 || (stat == FC_STAT_STD && n < 2))
        return NAN;
    double sum = 0, lo = v[0], hi = v[0];
    for (size_t i = 0; i < n; i++) {
        sum += v[i];
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    switch (stat) {
    case FC_STAT_MEAN:
        return sum / (double)n;
    case FC_STAT_SUM:
        return sum;
    case FC_STAT_MIN:
        return lo;
    case FC_STAT_MAX:
        return hi;
    case FC_STAT_STD: { /* sample standard deviation (ddof 1), as pandas */
        double mean = sum / (double)n, ss = 0;
        for (size_t i = 0; i < n; i++)
            ss += (v[i] - mean) * (v[i] - mean);
        return sqrt(ss / (double)(n - 1));
    }
    case FC_STAT_MEDIAN:
        /* insertion sort: windows are short, and it beats qsort's calls */
        for (size_t i = 0; i < n; i++) {
            size_t k = i;
            while (k > 0 && buf[k - 1] > v[i]) {
                buf[k] = buf[k - 1];
                k--;
            }
            buf[k] = v[i];
        }
        return n % 2 ? buf[n / 2] : (buf[n / 2 - 1] + buf[n / 2]) / 2;
    }
    return NAN;
}

/* ---- one series ---- */

struct series_view {
    const float *y;    /* (n) targets, NAN where missing */
    const int64_t *p;  /* (n) periods, strictly increasing */
    size_t n;
    int64_t origin;    /* the last period whose target may be used */
};

/* lag k: the target of the row k periods back */
static void lag_column(const struct series_view *S, int k, float *out)
{
    size_t j = 0;
    for (size_t i = 0; i < S->n; i++) {
        int64_t t = S->p[i] - k;
        while (j < i && S->p[j] < t)
            j++;
        out[i] = t <= S->origin && j < i && S->p[j] == t ? S->y[j] : NAN;
    }
}

/* stat of the targets in the periods [t - window + 1, t], t = p - lag */
static void rolling_column(const struct series_view *S, const struct fc_window_spec *w,
                           float *out, double *vals, double *buf)
{
    size_t lo = 0, hi = 0;
    for (size_t i = 0; i < S->n; i++) {
        int64_t t = S->p[i] - w->lag;
        while (lo < i && S->p[lo] < t - w->window + 1)
            lo++;
        while (hi < i && S->p[hi] <= t)
            hi++;
        size_t m = 0;
        for (size_t r = lo; r < hi; r++)
            if (!isnan(S->y[r]))
                vals[m++] = S->y[r];
        out[i] = t <= S->origin ? (float)window_stat(w->stat, vals, m, buf) : NAN;
    }
}

/* mean or std of every target up to t = p - lag (Welford, in date order) */
static void expanding_column(const struct series_view *S, const struct fc_window_spec *w,
                             float *out)
{
    size_t hi = 0, count = 0;
    double mean = 0, m2 = 0;
    for (size_t i = 0; i < S->n; i++) {
        int64_t t = S->p[i] - w->lag;
        while (hi < i && S->p[hi] <= t) {
            double y = S->y[hi++];
            if (isnan(y))
                continue;
            count++;
            double d = y - mean;
            mean += d / (double)count;
            m2 += d * (y - mean);
        }
        double v = w->stat == FC_STAT_MEAN ? (count ? mean : NAN)
                                           : (count > 1 ? sqrt(m2 / (double)(count - 1)) : NAN);
        out[i] = t <= S->origin ? (float)v : NAN;
    }
}

/* ---- one row (recursive forecasts) ----
 * The same values as the columns above for the row at position i, found by
 * binary search: the same rows, in the same order, through the same
 * arithmetic, so a row computed alone equals its column entry bit for bit. */

/* the first of p[0..n) that is >= t */
static size_t lower_bound(const int64_t *p, size_t n, int64_t t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void fc_derive_row(const struct fc_feature_spec *f, const float *y, const int64_t *p, size_t i,
                   float *out, double *vals, double *buf)
{
    for (size_t k = 0; k < f->n_lags; k++) {
        int64_t t = p[i] - f->lags[k];
        size_t j = lower_bound(p, i, t);
        out[k] = j < i && p[j] == t ? y[j] : NAN;
    }
    for (size_t k = 0; k < f->n_windows; k++) {
        const struct fc_window_spec *w = &f->windows[k];
        int64_t t = p[i] - w->lag;
        size_t hi = lower_bound(p, i, t + 1);
        if (w->window) {
            size_t m = 0;
            for (size_t r = lower_bound(p, i, t - w->window + 1); r < hi; r++)
                if (!isnan(y[r]))
                    vals[m++] = y[r];
            out[f->n_lags + k] = (float)window_stat(w->stat, vals, m, buf);
            continue;
        }
        size_t count = 0;
        double mean = 0, m2 = 0;
        for (size_t r = 0; r < hi; r++) {
            double v = y[r];
            if (isnan(v))
                continue;
            count++;
            double d = v - mean;
            mean += d / (double)count;
            m2 += d * (v - mean);
        }
        out[f->n_lags + k] =
            (float)(w->stat == FC_STAT_MEAN ? (count ? mean : NAN)
                                            : (count > 1 ? sqrt(m2 / (double)(count - 1)) : NAN));
    }
}

/* ---- calendar ---- */

/* field of a day whose civil date (y, m, d) and weekday are known */
static double calendar_field(int field, int32_t day, int y, int m, int d, int dow)
{
    switch (field) {
    case 0: /* dow: Monday 0 ... Sunday 6 */
        return dow;
    case 1: /* dom */
        return d;
    case 2: /* doy: 1 ... 366 */
        return day - fc_days_from_civil(y, 1, 1) + 1;
    case 3: { /* ISO week: the week of this week's Thursday */
        int32_t thu = day - dow + 3;
        int ty, tm, td;
        fc_civil_from_days(thu, &ty, &tm, &td);
        return (thu - fc_days_from_civil(ty, 1, 1)) / 7 + 1;
    }
    case 4:
        return m;
    case 5:
        return (m - 1) / 3 + 1;
    case 6:
        return y;
    default: /* is_weekend */
        return dow >= 5;
    }
}

/* ---- names and columns ---- */

static size_t n_calendar(unsigned bits)
{
    size_t n = 0;
    for (; bits; bits &= bits - 1)
        n++;
    return n;
}

/* the periods of every row; two rows of a series in one period are refused */
static int64_t *periods(const struct fc_dataset *ds, enum fc_freq freq)
{
    int64_t *p = xmalloc((ds->n_rows ? ds->n_rows : 1) * sizeof *p);
    for (size_t i = 0; i < ds->n_rows; i++)
        p[i] = period_of(ds->date[i], freq);
    for (size_t s = 0; s < ds->n_series; s++)
        for (size_t r = ds->series_start[s] + 1; r < ds->series_start[s] + ds->series_len[s];
             r++)
            if (p[r] == p[r - 1]) {
                char a[11], b[11];
                fc_format_date(ds->date[r - 1], a);
                fc_format_date(ds->date[r], b);
                fc_error("%s: series %s has rows on %s and %s, one %s period (data.freq): "
                         "lags and windows count periods",
                         ds->path, ds->series_key[s], a, b,
                         freq == FC_FREQ_WEEKLY ? "weekly" : "monthly");
                free(p);
                return NULL;
            }
    return p;
}

/* One target-based column for every series. */
static void target_column(const struct fc_dataset *ds, const float *y, const int64_t *P,
                          int64_t origin, const int32_t *origins, enum fc_freq freq,
                          const struct fc_feature_spec *f, size_t k, float *out, double *vals,
                          double *buf)
{
    for (size_t s = 0; s < ds->n_series; s++) {
        size_t b = ds->series_start[s];
        struct series_view S = {y + b, P + b, ds->series_len[s],
                                origins ? period_of(origins[s], freq) : origin};
        if (k < f->n_lags)
            lag_column(&S, f->lags[k], out + b);
        else if (f->windows[k - f->n_lags].window)
            rolling_column(&S, &f->windows[k - f->n_lags], out + b, vals, buf);
        else
            expanding_column(&S, &f->windows[k - f->n_lags], out + b);
    }
}

int fc_derive(struct fc_dataset *ds, const struct fc_feature_spec *f, enum fc_freq *freq,
              int has_origin, int32_t origin)
{
    return fc_derive_from(ds, ds->target, f, freq, has_origin, origin);
}

int fc_derive_from(struct fc_dataset *ds, const float *target, const struct fc_feature_spec *f,
                   enum fc_freq *freq_io, int has_origin, int32_t origin)
{
    return fc_derive_origins(ds, target, f, freq_io, has_origin, origin, NULL);
}

int fc_derive_origins(struct fc_dataset *ds, const float *target,
                      const struct fc_feature_spec *f, enum fc_freq *freq_io, int has_origin,
                      int32_t origin, const int32_t *origins)
{
    size_t n_target = f->n_lags + f->n_windows, n_new = n_target + n_calendar(f->calendar);
    if (n_new == 0)
        return 0;
    char **names = xcalloc(n_new, sizeof *names);
    for (size_t k = 0; k < n_new; k++)
        names[k] = fc_feature_name(f, k);
    for (size_t k = 0; k < n_new; k++)
        for (size_t j = 0; j < ds->n_features; j++)
            if (strcmp(names[k], ds->feature_names[j]) == 0) {
                fc_error("%s: column \"%s\" has the name of a derived feature (features); "
                         "rename it or list it in data.ignore",
                         ds->path, names[k]);
                for (size_t i = 0; i < n_new; i++)
                    free(names[i]);
                free(names);
                return -1;
            }
    enum fc_freq freq = *freq_io = fc_derive_freq(ds, *freq_io);
    int64_t *P = periods(ds, freq);
    if (!P) {
        for (size_t i = 0; i < n_new; i++)
            free(names[i]);
        free(names);
        return -1;
    }
    int64_t o = has_origin ? period_of(origin, freq) : INT64_MAX;
    size_t longest = 1;
    for (size_t s = 0; s < ds->n_series; s++)
        longest = ds->series_len[s] > longest ? ds->series_len[s] : longest;
    double *vals = xmalloc(longest * sizeof *vals), *buf = xmalloc(longest * sizeof *buf);
    size_t F = ds->n_features, n = ds->n_rows;
    ds->features = xrealloc(ds->features, (F + n_new) * sizeof *ds->features);
    ds->feature_names = xrealloc(ds->feature_names, (F + n_new) * sizeof *ds->feature_names);
    for (size_t k = 0; k < n_new; k++) {
        float *col = xmalloc((n ? n : 1) * sizeof *col);
        if (k < n_target) {
            target_column(ds, target, P, o, origins, freq, f, k, col, vals, buf);
        }
        ds->features[F + k] = col;
        ds->feature_names[F + k] = names[k];
    }
    /* the calendar columns in one pass: each day's civil date once */
    int fields[8], nf = 0;
    for (int b = 0; fc_calendar_names[b]; b++)
        if (f->calendar & (1u << b))
            fields[nf++] = b;
    for (size_t i = 0; i < n && nf; i++) {
        int y, m, d;
        fc_civil_from_days(ds->date[i], &y, &m, &d);
        int dow = fc_weekday(ds->date[i]);
        for (int c = 0; c < nf; c++)
            ds->features[F + n_target + (size_t)c][i] =
                (float)calendar_field(fields[c], ds->date[i], y, m, d, dow);
    }
    ds->n_features = F + n_new;
    ds->n_derived += n_new;
    free(names);
    free(vals);
    free(buf);
    free(P);
    return 0;
}

static int cmp_obs(const void *a, const void *b)
{
    int64_t x = ((const struct fc_obs *)a)->period, y = ((const struct fc_obs *)b)->period;
    return (x > y) - (x < y);
}

void fc_derive_series_obs(const struct fc_dataset *ds, const uint32_t *rows, size_t n,
                          const uint32_t *more, size_t n_more, enum fc_freq freq,
                          struct fc_obs **obs, size_t **off_out)
{
    /* rows by series (counting sort), then each series in period order */
    size_t S = ds->n_series, total = n + n_more;
    size_t *off = xcalloc(S + 1, sizeof *off);
    for (size_t i = 0; i < total; i++)
        off[ds->series[i < n ? rows[i] : more[i - n]] + 1]++;
    for (size_t s = 0; s < S; s++)
        off[s + 1] += off[s];
    struct fc_obs *o = xmalloc((total ? total : 1) * sizeof *o);
    size_t *fill = xmalloc((S + 1) * sizeof *fill);
    memcpy(fill, off, (S + 1) * sizeof *fill);
    for (size_t i = 0; i < total; i++) {
        uint32_t r = i < n ? rows[i] : more[i - n];
        o[fill[ds->series[r]]++] = (struct fc_obs){fc_derive_period(ds->date[r], freq),
                                                   ds->target[r]};
    }
    for (size_t s = 0; s < S; s++)
        qsort(o + off[s], off[s + 1] - off[s], sizeof *o, cmp_obs);
    free(fill);
    *obs = o;
    *off_out = off;
}

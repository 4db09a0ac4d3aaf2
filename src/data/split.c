/*
 * split.c — series selection and the date split (see split.h).
 */
#include "forecast/data/split.h"

#include <stdlib.h>
#include <string.h>

#include "forecast/core/util.h"
#include "forecast/data/derive.h"

static int unknown_series(const struct fc_dataset *ds, const char *key)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t s = 0; s < ds->n_series; s++) {
        size_t d = fc_edit_distance(key, ds->series_key[s]);
        if (d < best_d) {
            best_d = d;
            best = ds->series_key[s];
        }
    }
    if (best && best_d <= 2)
        return fc_error("series \"%s\" is not in %s; did you mean \"%s\"? (a series is "
                        "written as its id values joined by ':', e.g. \"%s\")",
                        key, ds->path, best, ds->series_key[0]);
    return fc_error("series \"%s\" is not in %s (a series is written as its id values "
                    "joined by ':', e.g. \"%s\")",
                    key, ds->path, ds->series_key[0]);
}

static void skip(struct fc_split *sp, uint32_t s, char *reason)
{
    sp->skipped = xrealloc(sp->skipped, (sp->n_skipped + 1) * sizeof *sp->skipped);
    sp->skipped[sp->n_skipped].series = s;
    sp->skipped[sp->n_skipped].reason = reason;
    sp->n_skipped++;
}

int fc_split_make(const struct fc_dataset *ds, const struct fc_split_spec *spec,
                  char *const *keys, size_t n_keys, struct fc_split *out)
{
    memset(out, 0, sizeof *out);
    unsigned char *selected = xcalloc(ds->n_series, 1);
    if (n_keys == 0)
        memset(selected, 1, ds->n_series);
    for (size_t k = 0; k < n_keys; k++) {
        long s = fc_dataset_find_series(ds, keys[k]);
        if (s < 0) {
            free(selected);
            return unknown_series(ds, keys[k]);
        }
        selected[s] = 1;
    }
    enum fc_freq freq = fc_derive_freq(ds, spec->freq);
    if (spec->val_days >= 0 && !spec->has_val_date && freq != FC_FREQ_DAILY) {
        free(selected);
        return fc_error("split.val_days counts days, and %s is %s data: give the validation "
                        "window in periods with split.val_periods (and val_days null)",
                        ds->path, fc_freq_name(freq));
    }
    out->used = xcalloc(ds->n_series, sizeof *out->used);
    out->last_train_date = INT32_MIN;
    for (uint32_t s = 0; s < ds->n_series; s++) {
        if (!selected[s])
            continue;
        size_t b = ds->series_start[s], e = b + ds->series_len[s];
        size_t t = b;
        while (t < e && ds->date[t] < spec->split_date)
            t++;
        size_t te = t;
        while (te < e && (!spec->has_test_end || ds->date[te] < spec->test_end) &&
               (!spec->horizon ||
                fc_derive_periods(freq, spec->split_date - 1, ds->date[te]) <= spec->horizon))
            te++;
        size_t v = t;
        if (t > b && (spec->has_val_date || spec->val_days > 0)) {
            int32_t from = spec->has_val_date ? spec->val_date
                                              : ds->date[t - 1] - spec->val_days + 1;
            while (v > b && ds->date[v - 1] >= from)
                v--;
        } else if (t > b && spec->val_days < 0 && spec->val_periods > 0) {
            /* the last val_periods periods up to the last training row */
            long from = fc_derive_periods(freq, 0, ds->date[t - 1]) - spec->val_periods + 1;
            while (v > b && fc_derive_periods(freq, 0, ds->date[v - 1]) >= from)
                v--;
        }
        size_t n_train = t - b;
        if (n_train < (size_t)spec->min_train_rows) {
            skip(out, s, fc_xasprintf("%zu rows before the split date, split.min_train_rows "
                                      "is %d",
                                      n_train, spec->min_train_rows));
            continue;
        }
        if (te == t && !spec->production) {
            skip(out, s, xstrdup("no rows in the test period"));
            continue;
        }
        if (v == b) {
            skip(out, s, xstrdup("every training row falls in the validation window"));
            continue;
        }
        out->used[out->n_used++] = (struct fc_split_series){s, b, v, t, te};
        out->n_fit += v - b;
        out->n_val += t - v;
        out->n_test += te - t;
        if (ds->date[t - 1] > out->last_train_date)
            out->last_train_date = ds->date[t - 1];
    }
    free(selected);
    if (out->n_used == 0) {
        char d[11];
        fc_format_date(spec->split_date, d);
        fc_error("no series has enough data around split date %s (%zu series skipped%s%s)",
                 d, out->n_skipped, out->n_skipped ? ", e.g. " : "",
                 out->n_skipped ? out->skipped[0].reason : "");
        fc_split_free(out);
        return -1;
    }
    return 0;
}

int fc_split_windows(const struct fc_dataset *ds, const struct fc_split_spec *spec,
                     int32_t *dates)
{
    enum fc_freq freq = fc_derive_freq(ds, spec->freq);
    int32_t last;
    if (spec->has_split_date) {
        last = spec->split_date;
    } else {
        /* the last window's horizon periods end with the data (or test_end) */
        int32_t end = INT32_MIN;
        for (size_t i = 0; i < ds->n_rows; i++)
            if ((!spec->has_test_end || ds->date[i] < spec->test_end) && ds->date[i] > end)
                end = ds->date[i];
        if (end == INT32_MIN)
            return fc_error("%s: no rows before split.test_end: no backtest window fits",
                            ds->path);
        last = fc_derive_period_start(fc_derive_period(end, freq) - spec->horizon + 1, freq);
    }
    int64_t p_last = fc_derive_period(last, freq);
    for (int w = 0; w < spec->windows; w++) {
        int64_t back = (int64_t)(spec->windows - 1 - w) * spec->step;
        dates[w] = back ? fc_derive_period_start(p_last - back, freq) : last;
    }
    return 0;
}

void fc_split_all(const struct fc_dataset *ds, struct fc_split *out)
{
    memset(out, 0, sizeof *out);
    out->used = xcalloc(ds->n_series ? ds->n_series : 1, sizeof *out->used);
    out->n_used = ds->n_series;
    out->last_train_date = INT32_MIN;
    for (size_t s = 0; s < ds->n_series; s++) {
        size_t b = ds->series_start[s];
        out->used[s] = (struct fc_split_series){(uint32_t)s, b, b, b, b + ds->series_len[s]};
    }
    out->n_test = ds->n_rows;
}

void fc_split_free(struct fc_split *sp)
{
    for (size_t i = 0; i < sp->n_skipped; i++)
        free(sp->skipped[i].reason);
    free(sp->skipped);
    free(sp->used);
    memset(sp, 0, sizeof *sp);
}

uint32_t *fc_split_rows(const struct fc_split *sp, int part, size_t *n)
{
    size_t total = part == 0 ? sp->n_fit : part == 1 ? sp->n_val : sp->n_test;
    uint32_t *rows = xmalloc(total * sizeof *rows);
    size_t k = 0;
    for (size_t i = 0; i < sp->n_used; i++) {
        const struct fc_split_series *u = &sp->used[i];
        size_t b = part == 0 ? u->train_begin : part == 1 ? u->val_begin : u->test_begin;
        size_t e = part == 0 ? u->val_begin : part == 1 ? u->test_begin : u->test_end;
        for (size_t r = b; r < e; r++)
            rows[k++] = (uint32_t)r;
    }
    FC_ASSERT(k == total);
    *n = total;
    return rows;
}

double fc_split_fit_weight(const struct fc_dataset *ds, const struct fc_split_series *used,
                           size_t n)
{
    double total = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t r = used[i].train_begin; r < used[i].val_begin; r++)
            total += ds->weight ? ds->weight[r] : 1;
    return total;
}

/*
 * future.c — the history extended by the periods to forecast (future.h).
 */
#include "forecast/data/future.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/util.h"

int32_t fc_future_date(int32_t day, int k, enum fc_freq freq)
{
    if (freq == FC_FREQ_WEEKLY)
        return day + 7 * k;
    if (freq != FC_FREQ_MONTHLY)
        return day + k;
    int y, m, d;
    fc_civil_from_days(day, &y, &m, &d);
    int months = y * 12 + (m - 1) + k;
    int ny = months / 12, nm = months % 12 + 1;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (ny % 4 == 0 && ny % 100 != 0) || ny % 400 == 0;
    int last = mdays[nm - 1] + (nm == 2 && leap);
    return fc_days_from_civil(ny, nm, d < last ? d : last);
}

/* The row of series key on day in ds, or -1. */
static long find_row(const struct fc_dataset *ds, const char *key, int32_t day)
{
    long s = fc_dataset_find_series(ds, key);
    if (s < 0)
        return -1;
    size_t lo = ds->series_start[s], hi = lo + ds->series_len[s];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ds->date[mid] < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ds->series_start[s] + ds->series_len[s] && ds->date[lo] == day ? (long)lo : -1;
}

/* future's column of each of hist's features, or an error naming one */
static int map_features(const struct fc_dataset *hist, const struct fc_dataset *future,
                        const char *future_path, size_t *col)
{
    for (size_t j = 0; j < hist->n_features; j++) {
        size_t k = 0;
        while (k < future->n_features && strcmp(future->feature_names[k], hist->feature_names[j]))
            k++;
        if (k == future->n_features)
            return fc_error("--future %s: no column \"%s\" (a feature of the model)", future_path,
                            hist->feature_names[j]);
        col[j] = k;
    }
    return 0;
}

/* future's text column of each of hist's (its categorical text columns) */
static int map_text(const struct fc_dataset *hist, const struct fc_dataset *future,
                    const char *future_path, size_t *col)
{
    for (size_t t = 0; t < hist->n_text; t++) {
        size_t k = 0;
        while (k < future->n_text && strcmp(future->text_names[k], hist->text_names[t]))
            k++;
        if (k == future->n_text)
            return fc_error("--future %s: no column \"%s\" (a categorical feature of the "
                            "model)",
                            future_path, hist->text_names[t]);
        col[t] = k;
    }
    return 0;
}

static void copy_series_table(struct fc_dataset *ext, const struct fc_dataset *hist)
{
    ext->n_id_cols = hist->n_id_cols;
    ext->id_col_names = xcalloc(hist->n_id_cols ? hist->n_id_cols : 1, sizeof(char *));
    for (size_t k = 0; k < hist->n_id_cols; k++)
        ext->id_col_names[k] = xstrdup(hist->id_col_names[k]);
    size_t S = ext->n_series = hist->n_series;
    ext->series_key = xcalloc(S ? S : 1, sizeof *ext->series_key);
    ext->series_parts = xcalloc(S ? S : 1, sizeof *ext->series_parts);
    for (size_t s = 0; s < S; s++) {
        ext->series_key[s] = xstrdup(hist->series_key[s]);
        ext->series_parts[s] = xcalloc(hist->n_id_cols ? hist->n_id_cols : 1, sizeof(char *));
        for (size_t k = 0; k < hist->n_id_cols; k++)
            ext->series_parts[s][k] = xstrdup(hist->series_parts[s][k]);
        fc_strmap_put(&ext->key_index, ext->series_key[s], (uint32_t)s);
    }
}

struct fc_dataset *fc_future_extend(const struct fc_dataset *hist, int horizon,
                                    enum fc_freq freq, const struct fc_dataset *future,
                                    const char *future_path, int need_features,
                                    int32_t **origins)
{
    size_t F = hist->n_features, S = hist->n_series, H = (size_t)horizon;
    if ((F || hist->n_text) && !future && need_features) {
        struct fc_buf names;
        fc_buf_init(&names);
        for (size_t j = 0; j < F; j++)
            fc_buf_printf(&names, "%s%s", j ? ", " : "", hist->feature_names[j]);
        for (size_t t = 0; t < hist->n_text; t++)
            fc_buf_printf(&names, "%s%s", F + t ? ", " : "", hist->text_names[t]);
        fc_error("--horizon: the model uses the data's columns %s, whose future values are "
                 "not known here: give them for the %d periods after the data with --future "
                 "FILE",
                 names.s, horizon);
        fc_buf_free(&names);
        return NULL;
    }
    size_t T = hist->n_text;
    size_t *col = xcalloc(F + T + 1, sizeof *col), *tcol = col + F;
    if (future && (map_features(hist, future, future_path, col) ||
                   map_text(hist, future, future_path, tcol))) {
        free(col);
        return NULL;
    }
    struct fc_dataset *ext = xcalloc(1, sizeof *ext);
    ext->path = xstrdup(hist->path);
    fc_strmap_init(&ext->key_index);
    copy_series_table(ext, hist);
    size_t n = ext->n_rows = hist->n_rows + S * H;
    ext->n_features = F;
    ext->feature_names = xcalloc(F ? F : 1, sizeof *ext->feature_names);
    ext->features = xcalloc(F ? F : 1, sizeof *ext->features);
    for (size_t j = 0; j < F; j++) {
        ext->feature_names[j] = xstrdup(hist->feature_names[j]);
        ext->features[j] = xmalloc((n ? n : 1) * sizeof **ext->features);
    }
    ext->n_text = T;
    ext->text_names = xcalloc(T ? T : 1, sizeof *ext->text_names);
    ext->text = xcalloc(T ? T : 1, sizeof *ext->text);
    for (size_t t = 0; t < T; t++) {
        ext->text_names[t] = xstrdup(hist->text_names[t]);
        ext->text[t] = xmalloc((n ? n : 1) * sizeof **ext->text);
    }
    ext->date = xmalloc((n ? n : 1) * sizeof *ext->date);
    ext->series = xmalloc((n ? n : 1) * sizeof *ext->series);
    ext->target = xmalloc((n ? n : 1) * sizeof *ext->target);
    ext->has_target = hist->has_target;
    ext->series_start = xcalloc(S ? S : 1, sizeof *ext->series_start);
    ext->series_len = xcalloc(S ? S : 1, sizeof *ext->series_len);
    memcpy(ext->sha256, hist->sha256, sizeof ext->sha256);
    ext->file_size = hist->file_size;
    *origins = xmalloc((S ? S : 1) * sizeof **origins);
    size_t w = 0;
    for (size_t s = 0; s < S; s++) {
        size_t b = hist->series_start[s], len = hist->series_len[s];
        ext->series_start[s] = w;
        ext->series_len[s] = len + H;
        for (size_t r = b; r < b + len; r++, w++) {
            ext->date[w] = hist->date[r];
            ext->series[w] = (uint32_t)s;
            ext->target[w] = hist->target[r];
            for (size_t j = 0; j < F; j++)
                ext->features[j][w] = hist->features[j][r];
            for (size_t t = 0; t < T; t++)
                ext->text[t][w] = hist->text[t][r];
        }
        int32_t last = hist->date[b + len - 1];
        (*origins)[s] = last;
        for (size_t k = 1; k <= H; k++, w++) {
            int32_t day = fc_future_date(last, (int)k, freq);
            ext->date[w] = day;
            ext->series[w] = (uint32_t)s;
            ext->target[w] = NAN;
            long fr = future ? find_row(future, hist->series_key[s], day) : -1;
            if (future && fr < 0) {
                char d[11];
                fc_format_date(day, d);
                fc_error("--future %s: no row for series %s on %s (the %zu periods after its "
                         "last date need their feature values)",
                         future_path, hist->series_key[s], d, H);
                free(col);
                free(*origins);
                *origins = NULL;
                ext->n_rows = w; /* what is filled */
                fc_dataset_free(ext);
                return NULL;
            }
            for (size_t j = 0; j < F; j++)
                ext->features[j][w] = future ? future->features[col[j]][fr] : NAN;
            for (size_t t = 0; t < T; t++)
                ext->text[t][w] = future ? future->text[tcol[t]][fr] : NAN;
        }
    }
    free(col);
    return ext;
}

void fc_future_split(const struct fc_dataset *ext, int horizon, struct fc_split *out)
{
    memset(out, 0, sizeof *out);
    size_t S = ext->n_series, H = (size_t)horizon;
    out->used = xcalloc(S ? S : 1, sizeof *out->used);
    out->n_used = S;
    out->last_train_date = INT32_MIN;
    for (size_t s = 0; s < S; s++) {
        size_t b = ext->series_start[s], e = b + ext->series_len[s];
        out->used[s] = (struct fc_split_series){(uint32_t)s, b, e - H, e - H, e};
    }
    out->n_test = S * H;
}

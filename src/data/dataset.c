/*
 * dataset.c — CSV -> struct fc_dataset. libcsv in strict mode feeds whole
 * records to a row callback; column roles come from the config by name;
 * every bad cell is reported as file:line:column with what was expected.
 */
#define _GNU_SOURCE /* qsort_r */
#include "forecast/data/dataset.h"

#include <csv.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "forecast/data/csv.h"
#include "forecast/core/hash.h"
#include "forecast/core/util.h"

/* ---- column roles ---- */

/* R_TEXT: a text column of data.text_cols, read into a feature slot as
 * text codes and moved to ds->text once the rows are grouped */
enum role { R_UNUSED, R_ID, R_DATE, R_TARGET, R_WEIGHT, R_FEATURE, R_TEXT, R_JOIN };

struct loader {
    const struct fc_data_spec *spec;
    const char *path;
    int need_target;
    struct fc_dataset *ds;

    size_t n_cols;
    char **names;        /* header */
    enum role *role;
    size_t *slot;        /* id index / feature index per column */
    int target_col;      /* -1 when absent (predict) or in the target file */

    size_t cap;
    uint32_t *line_of;   /* physical line of each row, for duplicate reports */
    size_t cap_series;
    int fixed;           /* parallel chunk: rows go into preallocated space */
    int noted;           /* data.ignore's absent names said (once per load) */

    /* separate target file: join key -> target */
    struct fc_strmap tmap;
    char **tkeys;
    float *tvals;
    long *tline;
    size_t n_t, cap_t;
    long join_col_t, target_col_t;
    size_t n_cols_t;
};

static long find_col(char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (long)i;
    return -1;
}

static int missing_column(const char *path, char **names, size_t n, const char *name,
                          const char *role)
{
    const char *s = fc_suggest(name, (const char *const *)names, n);
    struct fc_buf b;
    fc_buf_init(&b);
    for (size_t i = 0; i < n && i < 12; i++)
        fc_buf_printf(&b, "%s%s", i ? ", " : "", names[i]);
    if (n > 12)
        fc_buf_puts(&b, ", ...");
    if (s)
        fc_error("%s:1: column \"%s\" (%s) not found; did you mean \"%s\"? (columns: %s)",
                 path, name, role, s, b.s);
    else
        fc_error("%s:1: column \"%s\" (%s) not found (columns: %s)", path, name, role, b.s);
    fc_buf_free(&b);
    return -1;
}

static int assign(struct loader *L, const char *name, enum role role, size_t slot,
                  const char *what)
{
    long c = find_col(L->names, L->n_cols, name);
    if (c < 0)
        return missing_column(L->path, L->names, L->n_cols, name, what);
    if (L->role[c] != R_UNUSED)
        return fc_error("%s:1: column \"%s\" is given two roles (%s and another); each "
                        "column can play one part",
                        L->path, name, what);
    L->role[c] = role;
    L->slot[c] = slot;
    return 0;
}

static int set_up_columns(struct loader *L)
{
    const struct fc_data_spec *s = L->spec;
    struct fc_dataset *ds = L->ds;
    for (size_t i = 0; i < L->n_cols; i++) {
        if (!L->names[i][0])
            return fc_error("%s:1:%zu: empty column name in the header", L->path, i + 1);
        for (size_t j = 0; j < i; j++)
            if (strcmp(L->names[i], L->names[j]) == 0)
                return fc_error("%s:1:%zu: duplicate column name \"%s\" (also column %zu)",
                                L->path, i + 1, L->names[i], j + 1);
    }
    L->role = xcalloc(L->n_cols, sizeof *L->role);
    L->slot = xcalloc(L->n_cols, sizeof *L->slot);
    for (size_t k = 0; k < s->n_series_cols; k++)
        if (assign(L, s->series_cols[k], R_ID, k, "data.series_columns"))
            return -1;
    if (assign(L, s->date_col, R_DATE, 0, "data.date_column"))
        return -1;
    L->target_col = -1;
    if (s->target_path) {
        if (assign(L, s->join_key, R_JOIN, 0, "data.join_key"))
            return -1;
    } else {
        long c = find_col(L->names, L->n_cols, s->target_col);
        if (c < 0 && L->need_target)
            return missing_column(L->path, L->names, L->n_cols, s->target_col,
                                  "data.target_column");
        if (c >= 0) {
            if (assign(L, s->target_col, R_TARGET, 0, "data.target_column"))
                return -1;
            L->target_col = (int)c;
        }
    }
    if (s->weight_col) {
        long c = find_col(L->names, L->n_cols, s->weight_col);
        if (c < 0 && L->need_target)
            return missing_column(L->path, L->names, L->n_cols, s->weight_col,
                                  "data.weight_column");
        if (c >= 0 && assign(L, s->weight_col, R_WEIGHT, 0, "data.weight_column"))
            return -1;
    }
    /* an ignored name that is not there is said (a typo would keep the
     * column), not an error: one config serves files with and without it */
    int *ignored = xcalloc(L->n_cols, sizeof *ignored);
    for (size_t k = 0; k < s->n_ignore; k++) {
        int hit = 0;
        for (size_t i = 0; i < L->n_cols; i++)
            if (fnmatch(s->ignore[k], L->names[i], 0) == 0) {
                ignored[i] = 1;
                hit = 1;
            }
        if (!hit && !L->noted)
            fc_info(1, "%s: note: data.ignore[%zu] \"%s\" matches no column", L->path, k,
                    s->ignore[k]);
    }
    L->noted = 1;
    /* the text columns of features.categorical, whatever data.features says */
    for (size_t k = 0; k < s->n_text_cols; k++) {
        long c = find_col(L->names, L->n_cols, s->text_cols[k]);
        if (c >= 0 && ignored[c]) {
            free(ignored);
            return fc_error("%s:1: column \"%s\" is in data.ignore and in "
                            "features.categorical; it cannot be both",
                            L->path, s->text_cols[k]);
        }
        if (assign(L, s->text_cols[k], R_TEXT, ds->n_features, "features.categorical")) {
            free(ignored);
            return -1;
        }
        ds->n_features++;
    }
    /* features: listed names / patterns, or every remaining column */
    int rc = 0;
    for (size_t i = 0; i < L->n_cols && !rc; i++) {
        if (L->role[i] != R_UNUSED || ignored[i])
            continue;
        int want = s->n_features == 0;
        for (size_t k = 0; k < s->n_features && !want; k++)
            want = fnmatch(s->features[k], L->names[i], 0) == 0;
        if (want) {
            L->role[i] = R_FEATURE;
            L->slot[i] = ds->n_features++;
        }
    }
    for (size_t k = 0; k < s->n_features && !rc; k++) {
        int hit = 0;
        int glob = strpbrk(s->features[k], "*?[") != NULL;
        for (size_t i = 0; i < L->n_cols; i++)
            if (fnmatch(s->features[k], L->names[i], 0) == 0) {
                hit = 1;
                if (glob && ignored[i] && L->role[i] == R_UNUSED)
                    continue; /* a pattern's match that data.ignore takes out */
                if (L->role[i] != R_FEATURE) {
                    rc = fc_error("%s:1: data.features[%zu]: column \"%s\" is %s, it cannot "
                                  "also be a feature",
                                  L->path, k, L->names[i],
                                  ignored[i]               ? "in data.ignore"
                                  : L->role[i] == R_TEXT ? "a categorical text column "
                                                           "(features.categorical)"
                                                         : "an id, date, target or weight "
                                                           "column");
                    break;
                }
            }
        if (!hit && !rc)
            rc = missing_column(L->path, L->names, L->n_cols, s->features[k],
                                "data.features");
    }
    free(ignored);
    if (rc)
        return -1;
    /* no feature column is fine here: derived features may follow (the
     * commands check that a model has some) */
    ds->feature_names = xcalloc(ds->n_features ? ds->n_features : 1, sizeof *ds->feature_names);
    ds->features = xcalloc(ds->n_features ? ds->n_features : 1, sizeof *ds->features);
    for (size_t i = 0; i < L->n_cols; i++)
        if (L->role[i] == R_FEATURE || L->role[i] == R_TEXT)
            ds->feature_names[L->slot[i]] = xstrdup(L->names[i]);
    ds->n_id_cols = s->n_series_cols;
    ds->id_col_names = xcalloc(ds->n_id_cols, sizeof *ds->id_col_names);
    for (size_t k = 0; k < ds->n_id_cols; k++)
        ds->id_col_names[k] = xstrdup(s->series_cols[k]);
    return 0;
}

static int grow_rows(struct loader *L)
{
    struct fc_dataset *ds = L->ds;
    if (ds->n_rows < L->cap)
        return 0;
    if (L->fixed)
        return fc_error("%s: more rows in a chunk than lines", L->path);
    L->cap = L->cap ? 2 * L->cap : 1024;
    ds->date = xrealloc(ds->date, L->cap * sizeof *ds->date);
    ds->series = xrealloc(ds->series, L->cap * sizeof *ds->series);
    ds->target = xrealloc(ds->target, L->cap * sizeof *ds->target);
    if (ds->weight)
        ds->weight = xrealloc(ds->weight, L->cap * sizeof *ds->weight);
    L->line_of = xrealloc(L->line_of, L->cap * sizeof *L->line_of);
    for (size_t j = 0; j < ds->n_features; j++)
        ds->features[j] = xrealloc(ds->features[j], L->cap * sizeof **ds->features);
    return 0;
}

static uint32_t intern_series(struct loader *L, char **parts)
{
    struct fc_dataset *ds = L->ds;
    struct fc_buf key;
    fc_buf_init(&key);
    for (size_t k = 0; k < ds->n_id_cols; k++)
        fc_buf_put_key_part(&key, parts[k], k == 0);
    long idx = fc_strmap_get(&ds->key_index, key.s);
    if (idx >= 0) {
        fc_buf_free(&key);
        return (uint32_t)idx;
    }
    if (ds->n_series == L->cap_series) {
        L->cap_series = L->cap_series ? 2 * L->cap_series : 64;
        ds->series_key = xrealloc(ds->series_key, L->cap_series * sizeof *ds->series_key);
        ds->series_parts =
            xrealloc(ds->series_parts, L->cap_series * sizeof *ds->series_parts);
    }
    uint32_t s = (uint32_t)ds->n_series++;
    ds->series_key[s] = key.s; /* ownership moves to ds */
    ds->series_parts[s] = xcalloc(ds->n_id_cols, sizeof **ds->series_parts);
    for (size_t k = 0; k < ds->n_id_cols; k++)
        ds->series_parts[s][k] = xstrdup(parts[k]);
    fc_strmap_put(&ds->key_index, ds->series_key[s], s);
    return s;
}

static int cell_error(struct loader *L, long line, size_t col, const char *expected,
                      const char *got)
{
    return fc_error("%s:%ld:%zu (column \"%s\"): expected %s, got \"%.40s\"", L->path, line,
                    col + 1, L->names[col], expected, got);
}

/* A number cell as float32: a value beyond float32's range (1e39 is
 * finite as a double) would become inf, so it is refused like "inf". */
static int cell_number(struct loader *L, long line, size_t col, const char *s,
                       const char *expected, float *out)
{
    double x;
    if (fc_parse_double(s, &x))
        return cell_error(L, line, col, expected, s);
    float v = (float)x;
    if (!isfinite(v))
        return cell_error(L, line, col, "a number within float32's range (|x| <= 3.4e38)", s);
    *out = v;
    return 0;
}

/* A text cell as its fc_text_code (NAN when missing: empty, NA, NaN). */
static int text_cell(struct loader *L, long line, size_t col, const char *s, float *out)
{
    *out = NAN;
    if (fc_is_missing(s))
        return 0;
    if (!fc_utf8_valid(s, strlen(s), NULL))
        return cell_error(L, line, col, "a text value (UTF-8)", s);
    uint32_t code = fc_text_code(s);
    if (code == FC_TEXT_MAX)
        return cell_error(L, line, col, "at most 16777216 distinct text values", s);
    *out = (float)code;
    return 0;
}

static int on_header(struct loader *L, char **f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!fc_utf8_valid(f[i], strlen(f[i]), NULL))
            return fc_error("%s:1:%zu: the column name is not valid UTF-8", L->path, i + 1);
    L->n_cols = n;
    L->names = xcalloc(n, sizeof *L->names);
    for (size_t i = 0; i < n; i++)
        L->names[i] = xstrdup(f[i]);
    if (set_up_columns(L))
        return -1;
    if (L->spec->weight_col && find_col(L->names, n, L->spec->weight_col) >= 0)
        L->ds->weight = xmalloc(1);
    return 0;
}

/* A row without its target: an error, or dropped (data.missing_target). */
static int missing_target(struct loader *L, long line, size_t cell, const char *joinval)
{
    if (L->spec->drop_missing_target) {
        L->ds->n_dropped++;
        return 0;
    }
    if (joinval)
        return fc_error("%s: target for key \"%.40s\" (%s:%ld) is missing (set "
                        "data.missing_target to \"drop\" to drop such rows)",
                        L->spec->target_path, joinval, L->path, line);
    return fc_error("%s:%ld:%zu (column \"%s\"): missing target value (set "
                    "data.missing_target to \"drop\" to drop such rows)",
                    L->path, line, cell + 1, L->names[cell]);
}

static int on_data_row(void *ctx, char **f, size_t n, long line)
{
    struct loader *L = ctx;
    struct fc_dataset *ds = L->ds;
    if (!L->names)
        return on_header(L, f, n);
    if (n != L->n_cols)
        return fc_error("%s:%ld: expected %zu fields as in the header, found %zu", L->path,
                        line, L->n_cols, n);
    if (grow_rows(L))
        return -1;
    size_t r = ds->n_rows;
    char *parts[64];
    FC_ASSERT(ds->n_id_cols <= 64);
    float target = NAN;
    const char *joinval = NULL;
    size_t target_cell = 0;
    for (size_t i = 0; i < n; i++) {
        switch (L->role[i]) {
        case R_UNUSED:
            break;
        case R_ID:
            if (!f[i][0] || !fc_utf8_valid(f[i], strlen(f[i]), NULL))
                return cell_error(L, line, i, "a series id (non-empty, UTF-8)", f[i]);
            parts[L->slot[i]] = f[i];
            break;
        case R_DATE:
            if (fc_parse_date(f[i], &ds->date[r]))
                return cell_error(L, line, i,
                                  "a date YYYY-MM-DD or ISO-8601 timestamp", f[i]);
            break;
        case R_TARGET:
            target_cell = i;
            target = NAN;
            if (!fc_is_missing(f[i]) && cell_number(L, line, i, f[i], "a number", &target))
                return -1;
            break;
        case R_WEIGHT:
            if (cell_number(L, line, i, f[i], "a non-negative number (weight)", &ds->weight[r]))
                return -1;
            if (ds->weight[r] < 0)
                return cell_error(L, line, i, "a non-negative number (weight)", f[i]);
            break;
        case R_FEATURE:
            ds->features[L->slot[i]][r] = NAN;
            if (!fc_is_missing(f[i]) &&
                cell_number(L, line, i, f[i],
                            "a number or a missing value (empty, NA, NaN); a text column "
                            "belongs in data.ignore",
                            &ds->features[L->slot[i]][r]))
                return -1;
            break;
        case R_TEXT:
            if (text_cell(L, line, i, f[i], &ds->features[L->slot[i]][r]))
                return -1;
            break;
        case R_JOIN:
            joinval = f[i];
            target_cell = i;
            break;
        }
    }
    if (joinval) {
        long t = fc_strmap_get(&L->tmap, joinval);
        target = t >= 0 ? L->tvals[t] : NAN;
        if (t < 0 && L->need_target && !L->spec->drop_missing_target)
            return fc_error("%s:%ld:%zu (column \"%s\"): key \"%.40s\" has no row in the "
                            "target file %s (set data.missing_target to \"drop\" to drop "
                            "such rows)",
                            L->path, line, target_cell + 1, L->names[target_cell], joinval,
                            L->spec->target_path);
    }
    if (isnan(target) && L->need_target && (L->target_col >= 0 || joinval))
        return missing_target(L, line, target_cell, joinval);
    ds->target[r] = target;
    ds->series[r] = intern_series(L, parts);
    L->line_of[r] = (uint32_t)line;
    ds->n_rows++;
    return 0;
}

/* ---- the separate target file ---- */

static int on_target_row(void *ctx, char **f, size_t n, long line)
{
    struct loader *L = ctx;
    const char *tpath = L->spec->target_path;
    if (!L->n_cols_t) {
        L->n_cols_t = n;
        L->join_col_t = find_col(f, n, L->spec->join_key);
        L->target_col_t = find_col(f, n, L->spec->target_col);
        if (L->join_col_t < 0)
            return missing_column(tpath, f, n, L->spec->join_key, "data.join_key");
        if (L->target_col_t < 0)
            return missing_column(tpath, f, n, L->spec->target_col, "data.target_column");
        return 0;
    }
    if (n != L->n_cols_t)
        return fc_error("%s:%ld: expected %zu fields as in the header, found %zu", tpath,
                        line, L->n_cols_t, n);
    const char *key = f[L->join_col_t], *val = f[L->target_col_t];
    if (!key[0])
        return fc_error("%s:%ld:%ld (column \"%s\"): expected a key, got \"\"", tpath, line,
                        L->join_col_t + 1, L->spec->join_key);
    double x = NAN;
    if (!fc_is_missing(val) && (fc_parse_double(val, &x) || !isfinite((float)x)))
        return fc_error("%s:%ld:%ld (column \"%s\"): expected a number%s, got \"%.40s\"",
                        tpath, line, L->target_col_t + 1, L->spec->target_col,
                        fc_parse_double(val, &x) ? "" : " within float32's range (|x| <= 3.4e38)",
                        val);
    if (L->n_t == L->cap_t) {
        L->cap_t = L->cap_t ? 2 * L->cap_t : 1024;
        L->tkeys = xrealloc(L->tkeys, L->cap_t * sizeof *L->tkeys);
        L->tvals = xrealloc(L->tvals, L->cap_t * sizeof *L->tvals);
        L->tline = xrealloc(L->tline, L->cap_t * sizeof *L->tline);
    }
    long prev = fc_strmap_get(&L->tmap, key);
    if (prev >= 0)
        return fc_error("%s:%ld:%ld (column \"%s\"): duplicate key \"%.40s\" (first on line "
                        "%ld)",
                        tpath, line, L->join_col_t + 1, L->spec->join_key, key,
                        L->tline[prev]);
    L->tkeys[L->n_t] = xstrdup(key);
    L->tvals[L->n_t] = (float)x;
    L->tline[L->n_t] = line;
    fc_strmap_put(&L->tmap, L->tkeys[L->n_t], (uint32_t)L->n_t);
    L->n_t++;
    return 0;
}

/* ---- grouping: sort rows by (series, date) ---- */

static int cmp_rows(const void *a, const void *b, void *arg)
{
    const struct fc_dataset *ds = arg;
    uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
    if (ds->series[i] != ds->series[j])
        return ds->series[i] < ds->series[j] ? -1 : 1;
    if (ds->date[i] != ds->date[j])
        return ds->date[i] < ds->date[j] ? -1 : 1;
    return i < j ? -1 : i > j;
}

#define PERMUTE(arr, type)                                                             \
    do {                                                                               \
        type *tmp_ = xmalloc(n * sizeof *tmp_);                                        \
        for (size_t k_ = 0; k_ < n; k_++)                                              \
            tmp_[k_] = (arr)[perm[k_]];                                                \
        free(arr);                                                                     \
        (arr) = tmp_;                                                                  \
    } while (0)

static int group_rows(struct loader *L)
{
    struct fc_dataset *ds = L->ds;
    size_t n = ds->n_rows;
    uint32_t *perm = xmalloc(n * sizeof *perm);
    for (size_t i = 0; i < n; i++)
        perm[i] = (uint32_t)i;
    qsort_r(perm, n, sizeof *perm, cmp_rows, ds);
    PERMUTE(ds->date, int32_t);
    PERMUTE(ds->series, uint32_t);
    PERMUTE(ds->target, float);
    PERMUTE(L->line_of, uint32_t);
    if (ds->weight)
        PERMUTE(ds->weight, float);
    for (size_t j = 0; j < ds->n_features; j++)
        PERMUTE(ds->features[j], float);
    free(perm);
    ds->series_start = xcalloc(ds->n_series, sizeof *ds->series_start);
    ds->series_len = xcalloc(ds->n_series, sizeof *ds->series_len);
    for (size_t i = 0; i < n; i++) {
        uint32_t s = ds->series[i];
        if (ds->series_len[s] == 0)
            ds->series_start[s] = i;
        ds->series_len[s]++;
        if (i > 0 && ds->series[i - 1] == s && ds->date[i - 1] == ds->date[i]) {
            char d[11];
            fc_format_date(ds->date[i], d);
            return fc_error("%s:%u: duplicate row for series %s on %s (first on line %u)",
                            L->path, L->line_of[i], ds->series_key[s], d, L->line_of[i - 1]);
        }
    }
    return 0;
}

/* Moves the text columns out of the feature slots into ds->text (the
 * rows grouped). */
static void take_text_columns(struct loader *L)
{
    struct fc_dataset *ds = L->ds;
    size_t n_text = 0;
    for (size_t i = 0; i < L->n_cols; i++)
        n_text += L->role[i] == R_TEXT;
    if (!n_text)
        return;
    ds->text_names = xcalloc(n_text, sizeof *ds->text_names);
    ds->text = xcalloc(n_text, sizeof *ds->text);
    int *is_text = xcalloc(ds->n_features, sizeof *is_text);
    for (size_t i = 0; i < L->n_cols; i++)
        if (L->role[i] == R_TEXT)
            is_text[L->slot[i]] = 1;
    size_t kept = 0;
    for (size_t j = 0; j < ds->n_features; j++) {
        if (is_text[j]) {
            ds->text_names[ds->n_text] = ds->feature_names[j];
            ds->text[ds->n_text++] = ds->features[j];
        } else {
            ds->feature_names[kept] = ds->feature_names[j];
            ds->features[kept++] = ds->features[j];
        }
    }
    ds->n_features = kept;
    free(is_text);
}

/* ---- parallel parse of a plain file ----
 *
 * The file is mapped, split at record boundaries (a newline outside quotes:
 * the quote parity is counted from the start of the data), and each chunk is
 * parsed by its own libcsv parser on its own core, straight into its slice
 * of columns allocated once (a chunk has at most as many rows as lines).
 * Chunks are then packed together and their series ids interned in file
 * order, so the result is the sequential parse's. Any problem in any chunk
 * (a bad cell, a ragged row...) sends the whole file to the sequential
 * parser, which reports the error with its file:line:column: the messages
 * are the same in both paths by construction. */

#define PARALLEL_MIN_BYTES (8u << 20)

struct chunk {
    struct loader L;
    struct fc_dataset ds;
    const char *begin;
    size_t len;
    long line0;          /* physical line of the chunk's first record */
    size_t base, ub;     /* slice of the columns: [base, base + ub) */
    int failed;
};

#define PIECE ((size_t)4 << 20)

static void *chunk_main(void *arg)
{
    struct chunk *c = arg;
    /* this thread's errors stay in its own slot: if a chunk fails, the
     * sequential parse finds and reports the error */
    if (fc_csv_plain(c->begin, c->len)) { /* nothing quoted: the fast path */
        long line = c->line0;
        for (size_t off = 0; off < c->len && !c->failed;) {
            /* in pieces of whole lines, each handed back to the kernel */
            const char *at = c->begin + off, *end = c->begin + c->len;
            size_t n = (size_t)(end - at) < PIECE ? (size_t)(end - at) : PIECE;
            if (at + n < end) {
                const char *nl = memrchr(at, '\n', n);
                if (!nl) /* a line longer than a piece: to its end */
                    nl = memchr(at + n, '\n', (size_t)(end - at - n));
                n = nl ? (size_t)(nl + 1 - at) : (size_t)(end - at);
            }
            c->failed = fc_csv_fast_parse(at, n, &line, on_data_row, &c->L) < 0;
            fc_release_pages(at, n);
            off += n;
        }
        return NULL;
    }
    struct fc_csv_reader r;
    if (fc_csv_reader_open(&r, c->L.path, on_data_row, &c->L, c->line0) != 0) {
        c->failed = 1;
        return NULL;
    }
    /* in pieces, handing each parsed piece of the mapping back to the kernel:
     * the file never sits whole in memory (libcsv copies what it keeps) */
    for (size_t off = 0; off < c->len && !r.failed;) {
        size_t n = c->len - off < PIECE ? c->len - off : PIECE;
        if (csv_parse(&r.p, c->begin + off, n, fc_csv_on_field, fc_csv_on_record, &r) != n)
            r.failed = 1;
        fc_release_pages(c->begin + off, n);
        off += n;
    }
    if (!r.failed && csv_fini(&r.p, fc_csv_on_field, fc_csv_on_record, &r) != 0)
        r.failed = 1;
    c->failed = r.failed;
    fc_csv_reader_close(&r);
    return NULL;
}

static size_t count_byte(const char *p, size_t n, char c)
{
    size_t k = 0;
    for (const char *q = memchr(p, c, n); q; q = memchr(q + 1, c, n - (size_t)(q + 1 - p)))
        k++;
    return k;
}

/* The quotes and newlines of [p, p + n), counted piece by piece while each
 * piece is in memory, and each piece of the mapping released after it */
static void count_release(const char *p, size_t n, size_t *quotes, size_t *newlines)
{
    for (size_t off = 0; off < n; off += PIECE) {
        size_t m = n - off < PIECE ? n - off : PIECE;
        *quotes += count_byte(p + off, m, '"');
        *newlines += count_byte(p + off, m, '\n');
        fc_release_pages(p + off, m);
    }
}

static int n_cpus(void)
{
    /* FORECAST_PARSE_THREADS=1 forces the sequential parse (tests compare) */
    const char *env = getenv("FORECAST_PARSE_THREADS");
    long n = env ? strtol(env, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 8 ? 8 : (int)n;
}

/* 1: parsed into L / L->ds; 0: not done (the caller parses sequentially). */
/* The header, up to the first newline outside quotes, parsed into L's
 * columns; *hend: the bytes it takes. 0 when it cannot be (the sequential
 * parse then reports why). */
static int parse_header(struct loader *L, const char *map, size_t size, size_t *hend)
{
    size_t h = 0;
    int quoted = 0;
    for (; h < size; h++) {
        if (map[h] == '"')
            quoted = !quoted;
        else if (map[h] == '\n' && !quoted)
            break;
    }
    if (h >= size || memchr(map, '\0', h + 1))
        return 0;
    h++;
    struct fc_csv_reader r;
    if (fc_csv_reader_open(&r, L->spec->path, on_data_row, L, 1) != 0)
        return 0;
    int ok = csv_parse(&r.p, map, h, fc_csv_on_field, fc_csv_on_record, &r) == h && !r.failed &&
             L->names;
    fc_csv_reader_close(&r);
    if (!ok)
        fc_error_clear(); /* the sequential parse reports it */
    *hend = h;
    return ok;
}

/* Chunk boundaries: newlines outside quotes near size / threads; each
 * chunk's first line and an upper bound of its rows. Returns how many. */
static int plan_chunks(const char *map, size_t size, size_t hend, int threads,
                       struct chunk *ch)
{
    long line = 1 + (long)count_byte(map, hend, '\n');
    size_t start = hend, pos = hend;
    int quoted = 0, n_ch = 0;
    for (int k = 0; k < threads && start < size; k++) {
        /* one pass over the chunk: quotes and newlines up to the target
         * size, then byte by byte to the first newline outside quotes */
        size_t end = size, quotes = 0, nl = 0;
        if (k < threads - 1) {
            size_t target = hend + (size - hend) / (size_t)threads * (size_t)(k + 1);
            if (target < start)
                target = start;
            count_release(map + pos, target - pos, &quotes, &nl);
            quoted ^= (int)(quotes & 1);
            pos = target;
            while (pos < size && !(map[pos] == '\n' && !quoted)) {
                if (map[pos] == '"')
                    quoted = !quoted;
                nl += map[pos] == '\n';
                pos++;
            }
            end = pos < size ? pos + 1 : size;
            nl += pos < size; /* the boundary newline itself */
            pos = end;
        } else {
            count_release(map + start, size - start, &quotes, &nl);
        }
        struct chunk *c = &ch[n_ch++];
        c->begin = map + start;
        c->len = end - start;
        c->line0 = line;
        c->ub = nl + 1;
        line += (long)nl;
        start = end;
    }
    return n_ch;
}

/* The columns, allocated once for every chunk's rows; each chunk gets a
 * loader of its own writing its slice. */
static void slice_columns(struct loader *L, struct chunk *ch, int n_ch)
{
    struct fc_dataset *ds = L->ds;
    size_t total = 0;
    for (int k = 0; k < n_ch; k++) {
        ch[k].base = total;
        total += ch[k].ub;
    }
    size_t F = ds->n_features;
    ds->date = xmalloc(total * sizeof *ds->date);
    ds->series = xmalloc(total * sizeof *ds->series);
    ds->target = xmalloc(total * sizeof *ds->target);
    int has_weight = ds->weight != NULL;
    free(ds->weight);
    ds->weight = has_weight ? xmalloc(total * sizeof *ds->weight) : NULL;
    for (size_t j = 0; j < F; j++)
        ds->features[j] = xmalloc(total * sizeof **ds->features);
    L->line_of = xmalloc(total * sizeof *L->line_of);
    L->cap = total;
    for (int k = 0; k < n_ch; k++) {
        struct chunk *c = &ch[k];
        c->L = *L;
        c->L.ds = &c->ds;
        c->L.cap = c->ub;
        c->L.fixed = 1;
        c->L.cap_series = 0;
        c->L.line_of = L->line_of + c->base;
        c->ds.n_features = F;
        c->ds.n_id_cols = ds->n_id_cols;
        c->ds.features = xcalloc(F ? F : 1, sizeof *c->ds.features);
        for (size_t j = 0; j < F; j++)
            c->ds.features[j] = ds->features[j] + c->base;
        c->ds.date = ds->date + c->base;
        c->ds.series = ds->series + c->base;
        c->ds.target = ds->target + c->base;
        c->ds.weight = has_weight ? ds->weight + c->base : NULL;
        fc_strmap_init(&c->ds.key_index);
    }
}

/* Runs the chunks' parsers in parallel while this thread fingerprints the
 * file; 1 when one failed. */
static int run_chunks(struct chunk *ch, int n_ch, const char *map, size_t size,
                      struct fc_dataset *ds)
{
    pthread_t *tid = xcalloc((size_t)n_ch, sizeof *tid);
    int *started = xcalloc((size_t)n_ch, sizeof *started);
    for (int k = 0; k < n_ch; k++)
        started[k] = pthread_create(&tid[k], NULL, chunk_main, &ch[k]) == 0;
    /* the fingerprint while the workers parse */
    struct fc_sha256 *h = fc_sha256_new();
    for (size_t off = 0; off < size; off += PIECE) {
        size_t n = size - off < PIECE ? size - off : PIECE;
        fc_sha256_update(h, map + off, n);
        fc_release_pages(map + off, n);
    }
    fc_sha256_final(h, ds->sha256);
    ds->file_size = size;
    int failed = 0;
    for (int k = 0; k < n_ch; k++) {
        if (started[k])
            pthread_join(tid[k], NULL);
        else
            chunk_main(&ch[k]);
        failed |= ch[k].failed;
    }
    free(tid);
    free(started);
    return failed;
}

/* Packs the slices together and interns the series in file order. */
static void pack_chunks(struct loader *L, struct chunk *ch, int n_ch)
{
    struct fc_dataset *ds = L->ds;
    size_t F = ds->n_features;
    int has_weight = ds->weight != NULL;
    size_t dst = 0;
    for (int k = 0; k < n_ch; k++) {
        struct chunk *c = &ch[k];
        size_t n = c->ds.n_rows, b = c->base;
        uint32_t *map_s = xmalloc((c->ds.n_series ? c->ds.n_series : 1) * sizeof *map_s);
        for (size_t s2 = 0; s2 < c->ds.n_series; s2++)
            map_s[s2] = intern_series(L, c->ds.series_parts[s2]);
        if (dst != b) {
            memmove(ds->date + dst, ds->date + b, n * sizeof *ds->date);
            memmove(ds->series + dst, ds->series + b, n * sizeof *ds->series);
            memmove(ds->target + dst, ds->target + b, n * sizeof *ds->target);
            if (has_weight)
                memmove(ds->weight + dst, ds->weight + b, n * sizeof *ds->weight);
            memmove(L->line_of + dst, L->line_of + b, n * sizeof *L->line_of);
            for (size_t j = 0; j < F; j++)
                memmove(ds->features[j] + dst, ds->features[j] + b, n * sizeof **ds->features);
        }
        for (size_t i = 0; i < n; i++)
            ds->series[dst + i] = map_s[ds->series[dst + i]];
        free(map_s);
        ds->n_dropped += c->ds.n_dropped;
        dst += n;
    }
    ds->n_rows = dst;
}

static void free_chunks(struct chunk *ch, int n_ch)
{
    for (int k = 0; k < n_ch; k++) {
        struct fc_dataset *cd = &ch[k].ds;
        for (size_t s2 = 0; s2 < cd->n_series; s2++) {
            free(cd->series_key[s2]);
            for (size_t j = 0; j < cd->n_id_cols; j++)
                free(cd->series_parts[s2][j]);
            free(cd->series_parts[s2]);
        }
        free(cd->series_key);
        free(cd->series_parts);
        free(cd->features);
        fc_strmap_free(&cd->key_index);
    }
    free(ch);
}

static int parse_parallel(struct loader *L)
{
    const char *path = L->spec->path;
    size_t plen = strlen(path);
    int threads = n_cpus();
    if (threads < 2 || (plen > 3 && strcmp(path + plen - 3, ".gz") == 0))
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (size_t)st.st_size < PARALLEL_MIN_BYTES) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    size_t size = (size_t)st.st_size, hend;
    const char *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return 0;
    madvise((void *)map, size, MADV_SEQUENTIAL);
    int done = 0, n_ch = 0;
    struct chunk *ch = xcalloc((size_t)threads, sizeof *ch);
    if (parse_header(L, map, size, &hend)) {
        n_ch = plan_chunks(map, size, hend, threads, ch);
        slice_columns(L, ch, n_ch);
        if (!run_chunks(ch, n_ch, map, size, L->ds)) {
            pack_chunks(L, ch, n_ch);
            done = 1;
        }
    }
    free_chunks(ch, n_ch);
    munmap((void *)map, size);
    return done;
}

/* ---- public ---- */


static struct fc_dataset *dataset_new(const char *path)
{
    struct fc_dataset *ds = xcalloc(1, sizeof *ds);
    ds->path = xstrdup(path);
    fc_strmap_init(&ds->key_index);
    return ds;
}

/* Forgets the data file's header and columns (not the target file's). */
static void loader_reset_columns(struct loader *L)
{
    for (size_t i = 0; i < L->n_cols; i++)
        free(L->names[i]);
    free(L->names);
    free(L->role);
    free(L->slot);
    free(L->line_of);
    L->names = NULL;
    L->role = NULL;
    L->slot = NULL;
    L->line_of = NULL;
    L->n_cols = 0;
    L->cap = L->cap_series = 0;
    L->target_col = -1;
}

struct fc_dataset *fc_dataset_parse(const struct fc_data_spec *spec, int need_target)
{
    struct fc_dataset *ds = dataset_new(spec->path);
    struct loader L = {0};
    L.spec = spec;
    L.path = spec->path;
    L.need_target = need_target;
    L.ds = ds;
    fc_strmap_init(&L.tmap);
    int rc = -1;
    long records = 0;
    if (spec->target_path) {
        if (fc_csv_read_file(spec->target_path, on_target_row, &L, ds->target_sha256,
                     &ds->target_file_size, &records))
            goto out;
        if (records == 0) {
            fc_error("%s: empty file: expected a header line and data rows",
                     spec->target_path);
            goto out;
        }
    }
    records = 1;
    if (!parse_parallel(&L)) {
        /* the sequential parse, from a clean slate (the target file's data
         * are kept) */
        struct fc_dataset *fresh = dataset_new(spec->path);
        fresh->target_file_size = ds->target_file_size;
        memcpy(fresh->target_sha256, ds->target_sha256, sizeof fresh->target_sha256);
        fc_dataset_free(ds);
        L.ds = ds = fresh;
        loader_reset_columns(&L);
        if (fc_csv_read_file(spec->path, on_data_row, &L, ds->sha256, &ds->file_size, &records))
            goto out;
    }
    if (records == 0) {
        fc_error("%s: empty file: expected a header line and data rows", spec->path);
        goto out;
    }
    if (ds->n_rows == 0) {
        fc_error("%s: no data rows%s", spec->path,
                 ds->n_dropped ? " left after dropping rows with a missing target" : "");
        goto out;
    }
    ds->has_target = L.target_col >= 0 || spec->target_path;
    if (group_rows(&L))
        goto out;
    take_text_columns(&L);
    rc = 0;
out:
    loader_reset_columns(&L);
    for (size_t i = 0; i < L.n_t; i++)
        free(L.tkeys[i]);
    free(L.tkeys);
    free(L.tvals);
    free(L.tline);
    fc_strmap_free(&L.tmap);
    if (rc) {
        fc_dataset_free(ds);
        return NULL;
    }
    return ds;
}

/* frees a column unless it lies in the cache mapping ds uses in place */
static void free_column(const struct fc_dataset *ds, void *p)
{
    const char *c = p, *lo = ds->map_lo;
    if (lo && c >= lo && c <= lo + ds->map_span) /* an empty column may sit at its end */
        return;
    free(p);
}

void fc_dataset_free(struct fc_dataset *ds)
{
    if (!ds)
        return;
    for (size_t j = 0; j < ds->n_features; j++) {
        free(ds->feature_names ? ds->feature_names[j] : NULL);
        free_column(ds, ds->features ? ds->features[j] : NULL);
    }
    free(ds->feature_names);
    free(ds->features);
    free(ds->categories);
    for (size_t k = 0; k < ds->n_text; k++) {
        free(ds->text_names ? ds->text_names[k] : NULL);
        free(ds->text ? ds->text[k] : NULL);
    }
    free(ds->text_names);
    free(ds->text);
    for (size_t s = 0; s < ds->n_series; s++) {
        free(ds->series_key[s]);
        for (size_t k = 0; k < ds->n_id_cols; k++)
            free(ds->series_parts[s][k]);
        free(ds->series_parts[s]);
    }
    /* a half-read dataset (a damaged cache) may have counts without arrays */
    for (size_t k = 0; ds->id_col_names && k < ds->n_id_cols; k++)
        free(ds->id_col_names[k]);
    free(ds->id_col_names);
    free(ds->series_key);
    free(ds->series_parts);
    free(ds->series_start);
    free(ds->series_len);
    free_column(ds, ds->target);
    free_column(ds, ds->weight);
    free_column(ds, ds->date);
    free_column(ds, ds->series);
    free(ds->path);
    fc_strmap_free(&ds->key_index);
    if (ds->map)
        munmap(ds->map, ds->map_len);
    free(ds);
}

void fc_dataset_date_range(const struct fc_dataset *ds, char first[11], char last[11])
{
    int32_t lo = ds->n_rows ? ds->date[0] : 0, hi = lo;
    for (size_t i = 1; i < ds->n_rows; i++) {
        lo = ds->date[i] < lo ? ds->date[i] : lo;
        hi = ds->date[i] > hi ? ds->date[i] : hi;
    }
    fc_format_date(lo, first);
    fc_format_date(hi, last);
}

long fc_dataset_find_series(const struct fc_dataset *ds, const char *key)
{
    return fc_strmap_get(&ds->key_index, key);
}

/* one column's kept rows (runs of rows, series by series) */
static void *keep_rows(const void *col, size_t width, const struct fc_dataset *ds,
                       const unsigned char *keep, size_t n_rows)
{
    if (!col)
        return NULL;
    char *out = xmalloc((n_rows ? n_rows : 1) * width), *w = out;
    for (size_t s = 0; s < ds->n_series; s++)
        if (keep[s]) {
            memcpy(w, (const char *)col + ds->series_start[s] * width,
                   ds->series_len[s] * width);
            w += ds->series_len[s] * width;
        }
    return out;
}

/* A column copied: let the whole one go at once (freed, or its mapped pages
 * dropped), so that the copy needs about one column more than what is
 * kept. Returns NULL, for the caller's pointer when it was freed, else col. */
static void *let_go(const struct fc_dataset *ds, void *col, size_t width)
{
    const char *c = col, *lo = ds->map_lo;
    if (!c)
        return NULL;
    if (lo && c >= lo && c <= lo + ds->map_span) {
        fc_release_pages(c, ds->n_rows * width);
        return col;
    }
    free(col);
    return NULL;
}

#define KEEP(field, width)                                                      \
    do {                                                                        \
        nd->field = keep_rows(ds->field, (width), ds, keep, n_rows);            \
        ds->field = let_go(ds, ds->field, (width));                             \
    } while (0)

struct fc_dataset *fc_dataset_like(const struct fc_dataset *like, size_t n_series,
                                   size_t n_rows)
{
    struct fc_dataset *nd = dataset_new(like->path);
    nd->n_rows = n_rows;
    nd->n_features = like->n_features;
    nd->n_derived = like->n_derived;
    nd->n_dropped = like->n_dropped;
    nd->file_size = like->file_size;
    memcpy(nd->sha256, like->sha256, sizeof nd->sha256);
    nd->target_file_size = like->target_file_size;
    memcpy(nd->target_sha256, like->target_sha256, sizeof nd->target_sha256);
    nd->feature_names = xcalloc(like->n_features ? like->n_features : 1, sizeof(char *));
    nd->features = xcalloc(like->n_features ? like->n_features : 1, sizeof(float *));
    for (size_t j = 0; j < like->n_features; j++)
        nd->feature_names[j] = xstrdup(like->feature_names[j]);
    nd->n_id_cols = like->n_id_cols;
    nd->id_col_names = xcalloc(like->n_id_cols ? like->n_id_cols : 1, sizeof(char *));
    for (size_t k = 0; k < like->n_id_cols; k++)
        nd->id_col_names[k] = xstrdup(like->id_col_names[k]);
    nd->series = xmalloc((n_rows ? n_rows : 1) * sizeof *nd->series);
    nd->series_key = xcalloc(n_series ? n_series : 1, sizeof(char *));
    nd->series_parts = xcalloc(n_series ? n_series : 1, sizeof(char **));
    nd->series_start = xcalloc(n_series ? n_series : 1, sizeof(size_t));
    nd->series_len = xcalloc(n_series ? n_series : 1, sizeof(size_t));
    return nd;
}

struct fc_dataset *fc_dataset_keep_series(struct fc_dataset *ds, const unsigned char *keep)
{
    size_t n_rows = 0, n_series = 0;
    for (size_t s = 0; s < ds->n_series; s++)
        if (keep[s]) {
            n_rows += ds->series_len[s];
            n_series++;
        }
    struct fc_dataset *nd = fc_dataset_like(ds, n_series, n_rows);
    nd->has_target = ds->has_target;
    nd->from_cache = ds->from_cache;
    for (size_t j = 0; j < ds->n_features; j++)
        KEEP(features[j], sizeof(float));
    if (ds->categories) {
        nd->categories = xmalloc(ds->n_features * sizeof *nd->categories);
        memcpy(nd->categories, ds->categories, ds->n_features * sizeof *nd->categories);
    }
    nd->n_text = ds->n_text;
    nd->text_names = xcalloc(ds->n_text ? ds->n_text : 1, sizeof(char *));
    nd->text = xcalloc(ds->n_text ? ds->n_text : 1, sizeof(float *));
    for (size_t k = 0; k < ds->n_text; k++) {
        nd->text_names[k] = xstrdup(ds->text_names[k]);
        KEEP(text[k], sizeof(float));
    }
    KEEP(target, sizeof(float));
    KEEP(weight, sizeof(float));
    KEEP(date, sizeof(int32_t));
    size_t row = 0;
    for (size_t s = 0; s < ds->n_series; s++) {
        if (!keep[s])
            continue;
        size_t t = nd->n_series++;
        nd->series_key[t] = xstrdup(ds->series_key[s]);
        nd->series_parts[t] = xcalloc(ds->n_id_cols ? ds->n_id_cols : 1, sizeof(char *));
        for (size_t k = 0; k < ds->n_id_cols; k++)
            nd->series_parts[t][k] = xstrdup(ds->series_parts[s][k]);
        nd->series_start[t] = row;
        nd->series_len[t] = ds->series_len[s];
        for (size_t r = 0; r < ds->series_len[s]; r++)
            nd->series[row + r] = (uint32_t)t;
        row += ds->series_len[s];
        fc_strmap_put(&nd->key_index, nd->series_key[t], (uint32_t)t);
    }
    fc_dataset_free(ds);
    return nd;
}
#undef KEEP

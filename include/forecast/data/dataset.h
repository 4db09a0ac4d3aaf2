/*
 * dataset.h — panel data in memory: columnar float32 features, target and
 * weight; dates as days since 1970-01-01; series ids interned; rows grouped
 * per series and sorted by date. Loaded from CSV with libcsv in strict mode.
 */
#ifndef FORECAST_DATASET_H
#define FORECAST_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "forecast/core/config.h"
#include "forecast/core/util.h"

struct fc_dataset {
    char *path;
    size_t n_rows;
    size_t n_features;
    size_t n_derived;       /* the last n_derived features are derived (derive.h) */
    uint32_t *categories;   /* (n_features) or NULL: 0 a number, else a category code in
                             * 0..categories[j]-1, NAN unseen (categorical.h) */
    char **feature_names;   /* (n_features) in file order, then the derived ones */
    float **features;       /* (n_features)(n_rows), NAN = missing */
    size_t n_text;          /* text columns read for features.categorical (not
                             * features: categorical.h turns them into codes) */
    char **text_names;      /* (n_text) */
    float **text;           /* (n_text)(n_rows) the cell's fc_text_code, NAN missing */
    float *target;          /* (n_rows); NAN everywhere when the file has none */
    int has_target;
    float *weight;          /* (n_rows) or NULL */
    int32_t *date;          /* (n_rows) days since epoch */
    uint32_t *series;       /* (n_rows) series index */

    size_t n_series;
    char **series_key;      /* (n_series) "80558:2": id values joined by ':' */
    char ***series_parts;   /* (n_series)(n_id_cols) the id values */
    size_t *series_start;   /* (n_series) first row of each series */
    size_t *series_len;     /* (n_series) its row count */
    size_t n_id_cols;
    char **id_col_names;    /* (n_id_cols) */

    size_t n_dropped;       /* rows dropped for a missing target */
    size_t file_size;       /* data file fingerprint */
    char sha256[65];
    size_t target_file_size;
    char target_sha256[65]; /* "" without a separate target file */

    struct fc_strmap key_index; /* series_key -> index */
    int from_cache;         /* read from the binary cache, not the CSV */
    void *map;              /* the cache's mapping, whose columns it uses in place
                             * (unmapped by fc_dataset_free), or NULL */
    size_t map_len;
    const void *map_lo;     /* columns in [map_lo, map_lo + map_span) are not freed */
    size_t map_span;
    /* a recursive forecast's one-step dataset (train/recursive.c): the data
     * its rows come from, whose targets are history up to history_origin (or
     * history_origins[series]) — what a model that reads targets may carry
     * its state over (ets); NULL otherwise */
    const struct fc_dataset *history;
    int32_t history_origin;
    const int32_t *history_origins;
};

/* Parses spec->path (and spec->target_path) from CSV; the commands open a
 * dataset through the cache instead (cache.h fc_dataset_open). need_target
 * = 0 lets the target column be absent (predict). Returns NULL after an
 * fc_error naming file:line:column. Free with fc_dataset_free. */
struct fc_dataset *fc_dataset_parse(const struct fc_data_spec *spec, int need_target);
void fc_dataset_free(struct fc_dataset *ds);


/* A new dataset shaped like `like`, for n_series series and n_rows rows: the
 * file's path and fingerprint, the feature names (their columns NULL), the
 * id columns, the series arrays and the series column allocated, no series
 * yet. The caller fills the rest. */
struct fc_dataset *fc_dataset_like(const struct fc_dataset *like, size_t n_series,
                                   size_t n_rows);
/* A dataset of the series with keep[s] set only (every column, rows
 * copied; a cached dataset's mapping is released). Frees ds. */
struct fc_dataset *fc_dataset_keep_series(struct fc_dataset *ds, const unsigned char *keep);

/* Series index for "A:B" (id values joined by ':'), or -1. */
long fc_dataset_find_series(const struct fc_dataset *ds, const char *key);
/* The first and last dates of ds as YYYY-MM-DD (ds has rows). */
void fc_dataset_date_range(const struct fc_dataset *ds, char first[11], char last[11]);

#endif

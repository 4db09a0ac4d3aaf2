/*
 * categorical.c — id and text columns as categorical features
 * (categorical.h).
 */
#include "forecast/data/categorical.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/util.h"

void fc_categories_free(struct fc_categories *c)
{
    for (size_t k = 0; k < c->n; k++) {
        for (size_t v = 0; v < c->n_values[k]; v++)
            free(c->values[k][v]);
        free(c->values[k]);
        free(c->col[k]);
    }
    free(c->col);
    free(c->n_values);
    free(c->values);
    memset(c, 0, sizeof *c);
}

static long id_column(const struct fc_dataset *ds, const char *name)
{
    for (size_t k = 0; k < ds->n_id_cols; k++)
        if (strcmp(ds->id_col_names[k], name) == 0)
            return (long)k;
    return -1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void alloc(struct fc_categories *c, size_t n)
{
    c->n = n;
    c->col = xcalloc(n ? n : 1, sizeof *c->col);
    c->n_values = xcalloc(n ? n : 1, sizeof *c->n_values);
    c->values = xcalloc(n ? n : 1, sizeof *c->values);
}

static long text_column(const struct fc_dataset *ds, const char *name)
{
    for (size_t t = 0; t < ds->n_text; t++)
        if (strcmp(ds->text_names[t], name) == 0)
            return (long)t;
    return -1;
}

/* The values of column name in ds (borrowed), with repeats: the series'
 * values of an id column, the rows' of a text column. */
static char **column_values(const struct fc_dataset *ds, const char *name, int32_t before,
                            size_t *n)
{
    long col = id_column(ds, name);
    char **v;
    *n = 0;
    if (col >= 0) {
        v = xmalloc((ds->n_series ? ds->n_series : 1) * sizeof *v);
        for (size_t s = 0; s < ds->n_series; s++)
            v[(*n)++] = ds->series_parts[s][col];
        return v;
    }
    const float *x = ds->text[text_column(ds, name)];
    /* one entry per distinct code: mark the codes seen */
    uint32_t top = 0;
    for (size_t i = 0; i < ds->n_rows; i++)
        top = !isnan(x[i]) && (uint32_t)x[i] >= top ? (uint32_t)x[i] + 1 : top;
    unsigned char *seen = xcalloc(top ? top : 1, 1);
    for (size_t i = 0; i < ds->n_rows; i++)
        if (!isnan(x[i]) && ds->date[i] < before)
            seen[(uint32_t)x[i]] = 1;
    v = xmalloc((top ? top : 1) * sizeof *v);
    for (uint32_t code = 0; code < top; code++)
        if (seen[code])
            v[(*n)++] = (char *)fc_text_value(code);
    free(seen);
    return v;
}

int fc_categories_build(struct fc_categories *c, const struct fc_feature_spec *f,
                        const struct fc_dataset *ds, int32_t before)
{
    memset(c, 0, sizeof *c);
    for (size_t k = 0; k < f->n_categorical; k++)
        if (id_column(ds, f->categorical[k]) < 0 && text_column(ds, f->categorical[k]) < 0)
            return fc_error("features.categorical[%zu]: \"%s\" is neither a series id column "
                            "nor a text column of %s",
                            k, f->categorical[k], ds->path);
    alloc(c, f->n_categorical);
    for (size_t k = 0; k < c->n; k++) {
        c->col[k] = xstrdup(f->categorical[k]);
        size_t nv;
        char **v = column_values(ds, f->categorical[k], before, &nv);
        qsort(v, nv, sizeof *v, cmp_str);
        size_t m = 0;
        for (size_t s = 0; s < nv; s++)
            if (m == 0 || strcmp(v[s], v[m - 1]) != 0)
                v[m++] = v[s];
        c->values[k] = xmalloc((m ? m : 1) * sizeof **c->values);
        for (size_t i = 0; i < m; i++)
            c->values[k][i] = xstrdup(v[i]);
        c->n_values[k] = m;
        free(v);
    }
    return 0;
}

/* The position of text among column k's values, or NAN (unseen: missing). */
static float code_of(const struct fc_categories *c, size_t k, const char *text)
{
    char **hit = bsearch(&text, c->values[k], c->n_values[k], sizeof *c->values[k], cmp_str);
    return hit ? (float)(hit - c->values[k]) : NAN;
}

/* x[i]: the code of row i's series' value of id column k */
static void id_codes(const struct fc_categories *c, size_t k, const struct fc_dataset *ds,
                     float *x)
{
    size_t col = (size_t)id_column(ds, c->col[k]);
    float *code = xmalloc((ds->n_series ? ds->n_series : 1) * sizeof *code);
    for (size_t s = 0; s < ds->n_series; s++)
        code[s] = code_of(c, k, ds->series_parts[s][col]);
    for (size_t i = 0; i < ds->n_rows; i++)
        x[i] = code[ds->series[i]];
    free(code);
}

/* x[i]: the code of row i's value of text column k (a missing cell stays
 * missing) */
static void text_codes(const struct fc_categories *c, size_t k, const struct fc_dataset *ds,
                       float *x)
{
    const float *t = ds->text[text_column(ds, c->col[k])];
    uint32_t top = 0;
    for (size_t i = 0; i < ds->n_rows; i++)
        top = !isnan(t[i]) && (uint32_t)t[i] >= top ? (uint32_t)t[i] + 1 : top;
    float *memo = xmalloc((top ? top : 1) * sizeof *memo);
    unsigned char *known = xcalloc(top ? top : 1, 1);
    for (size_t i = 0; i < ds->n_rows; i++) {
        if (isnan(t[i])) {
            x[i] = NAN;
            continue;
        }
        uint32_t tc = (uint32_t)t[i];
        if (!known[tc]) {
            memo[tc] = code_of(c, k, fc_text_value(tc));
            known[tc] = 1;
        }
        x[i] = memo[tc];
    }
    free(memo);
    free(known);
}

int fc_categories_apply(const struct fc_categories *c, struct fc_dataset *ds)
{
    if (c->n == 0)
        return 0;
    size_t F = ds->n_features, n = ds->n_rows;
    for (size_t k = 0; k < c->n; k++) {
        if (id_column(ds, c->col[k]) < 0 && text_column(ds, c->col[k]) < 0)
            return fc_error("%s: no series id column or text column \"%s\" "
                            "(features.categorical)",
                            ds->path, c->col[k]);
        char *name = fc_xasprintf("cat_%s", c->col[k]);
        for (size_t j = 0; j < F; j++)
            if (strcmp(ds->feature_names[j], name) == 0) {
                fc_error("%s: column \"%s\" has the name of a derived feature "
                         "(features.categorical); rename it or list it in data.ignore",
                         ds->path, name);
                free(name);
                return -1;
            }
        free(name);
    }
    ds->features = xrealloc(ds->features, (F + c->n) * sizeof *ds->features);
    ds->feature_names = xrealloc(ds->feature_names, (F + c->n) * sizeof *ds->feature_names);
    uint32_t *cats = xcalloc(F + c->n, sizeof *cats);
    if (ds->categories)
        memcpy(cats, ds->categories, F * sizeof *cats);
    free(ds->categories);
    ds->categories = cats;
    for (size_t k = 0; k < c->n; k++) {
        float *x = xmalloc((n ? n : 1) * sizeof *x);
        if (id_column(ds, c->col[k]) >= 0)
            id_codes(c, k, ds, x);
        else
            text_codes(c, k, ds, x);
        ds->features[F + k] = x;
        ds->feature_names[F + k] = fc_xasprintf("cat_%s", c->col[k]);
        ds->categories[F + k] = (uint32_t)c->n_values[k];
    }
    ds->n_features = F + c->n;
    ds->n_derived += c->n;
    return 0;
}

cJSON *fc_categories_to_json(const struct fc_categories *c)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "kind", "forecast-categories");
    cJSON_AddNumberToObject(j, "format_version", 1);
    cJSON *cols = cJSON_AddObjectToObject(j, "columns");
    for (size_t k = 0; k < c->n; k++)
        cJSON_AddItemToObject(cols, c->col[k],
                              cJSON_CreateStringArray((const char *const *)c->values[k],
                                                      (int)c->n_values[k]));
    return j;
}

int fc_categories_from_json(struct fc_categories *c, const cJSON *j, const char *path)
{
    memset(c, 0, sizeof *c);
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(j, "kind");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(j, "format_version");
    const cJSON *cols = cJSON_GetObjectItemCaseSensitive(j, "columns");
    if (!cJSON_IsString(kind) || strcmp(kind->valuestring, "forecast-categories") != 0 ||
        !cJSON_IsNumber(ver) || ver->valuedouble != 1 || !cJSON_IsObject(cols))
        return fc_error("%s: not forecast categories of format version 1", path);
    alloc(c, (size_t)cJSON_GetArraySize(cols));
    size_t k = 0;
    const cJSON *col;
    cJSON_ArrayForEach(col, cols)
    {
        size_t m = cJSON_IsArray(col) ? (size_t)cJSON_GetArraySize(col) : 0;
        c->col[k] = xstrdup(col->string);
        c->values[k] = xcalloc(m ? m : 1, sizeof **c->values);
        const cJSON *v;
        int ok = cJSON_IsArray(col);
        cJSON_ArrayForEach(v, col)
        {
            ok = ok && cJSON_IsString(v) &&
                 (c->n_values[k] == 0 ||
                  strcmp(c->values[k][c->n_values[k] - 1], v->valuestring) < 0);
            if (!ok)
                break;
            c->values[k][c->n_values[k]++] = xstrdup(v->valuestring);
        }
        k++;
        if (!ok) {
            c->n = k;
            fc_categories_free(c);
            return fc_error("%s: columns.%s: expected the values as strings in increasing "
                            "order",
                            path, col->string);
        }
    }
    return 0;
}

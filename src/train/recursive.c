/*
 * recursive.c — recursive multi-step forecasts (recursive.h).
 */
#include "forecast/train/recursive.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/util.h"
#include "forecast/data/derive.h"

int fc_recursion_needed(const struct fc_feature_spec *f, const struct fc_model_ops *ops)
{
    return f->n_lags + f->n_windows > 0 && !(ops->flags & FC_MODEL_NO_FEATURES);
}

/* One series' part of the working target: its rows from the first up to
 * the last one forecast. */
struct segment {
    size_t start;   /* its first row in ds */
    size_t base;    /* its offset in the working arrays */
};

struct step_row {
    int64_t step;   /* periods after its series' origin */
    size_t k;       /* its position in rows */
};

static int by_step(const void *a, const void *b)
{
    const struct step_row *x = a, *y = b;
    if (x->step != y->step)
        return x->step < y->step ? -1 : 1;
    return x->k < y->k ? -1 : x->k > y->k;
}

struct work {
    float *y;            /* working targets: known ones, then predictions */
    int64_t *p;          /* their periods */
    size_t *seg_of;      /* (n) the segment of rows[k] */
    struct segment *seg;
    struct step_row *order;
    double *vals, *buf;  /* fc_derive_row's scratch */
};

/* The working arrays: each series' targets up to its origin, NAN after. */
static void work_init(struct work *W, const struct fc_recursion *rec,
                      const struct fc_dataset *ds, const uint32_t *rows, size_t n)
{
    size_t total = 0, n_seg = 0, longest = 1;
    W->seg = xcalloc(n ? n : 1, sizeof *W->seg);
    W->seg_of = xcalloc(n ? n : 1, sizeof *W->seg_of);
    W->order = xcalloc(n ? n : 1, sizeof *W->order);
    for (size_t k = 0; k < n; k++) {
        uint32_t s = ds->series[rows[k]];
        if (k == 0 || ds->series[rows[k - 1]] != s) {
            size_t start = ds->series_start[s], len = ds->series_len[s];
            W->seg[n_seg++] = (struct segment){start, total};
            total += len;
            longest = len > longest ? len : longest;
        }
        W->seg_of[k] = n_seg - 1;
    }
    W->y = xmalloc((total ? total : 1) * sizeof *W->y);
    W->p = xmalloc((total ? total : 1) * sizeof *W->p);
    for (size_t g = 0; g < n_seg; g++) {
        uint32_t s = ds->series[W->seg[g].start];
        size_t start = W->seg[g].start, len = ds->series_len[s];
        int64_t o = fc_derive_period(rec->origins ? rec->origins[s] : rec->origin, rec->freq);
        for (size_t i = 0; i < len; i++) {
            int64_t pr = fc_derive_period(ds->date[start + i], rec->freq);
            W->p[W->seg[g].base + i] = pr;
            W->y[W->seg[g].base + i] = pr <= o ? ds->target[start + i] : NAN;
        }
    }
    for (size_t k = 0; k < n; k++) {
        const struct segment *g = &W->seg[W->seg_of[k]];
        int64_t o = fc_derive_period(
            rec->origins ? rec->origins[ds->series[rows[k]]] : rec->origin, rec->freq);
        W->order[k] = (struct step_row){W->p[g->base + rows[k] - g->start] - o, k};
    }
    qsort(W->order, n, sizeof *W->order, by_step);
    W->vals = xmalloc(longest * sizeof *W->vals);
    W->buf = xmalloc(longest * sizeof *W->buf);
}

static void work_free(struct work *W)
{
    free(W->y);
    free(W->p);
    free(W->seg_of);
    free(W->seg);
    free(W->order);
    free(W->vals);
    free(W->buf);
}

/* The quantile column fed back by a quantile-only model: the level nearest 0.5. */
static size_t median_level(const struct fc_recursion *rec, size_t nq)
{
    size_t best = 0;
    for (size_t l = 1; l < nq; l++)
        if (fabs(rec->quantiles[l] - 0.5) < fabs(rec->quantiles[best] - 0.5))
            best = l;
    return best;
}

int fc_recursive_predict(const struct fc_recursion *rec, const struct fc_model_ops *ops,
                         void *model, const struct fc_dataset *ds, const uint32_t *rows,
                         size_t n, struct fc_pred *out)
{
    const struct fc_feature_spec *f = rec->features;
    size_t F = ds->n_features, first = F - ds->n_derived, n_target = f->n_lags + f->n_windows;
    FC_ASSERT(ds->n_derived >= n_target);
    struct work W;
    work_init(&W, rec, ds, rows, n);
    /* one step's rows as a small dataset of their own */
    struct fc_dataset sd = *ds;
    sd.features = xmalloc((F ? F : 1) * sizeof *sd.features);
    for (size_t c = 0; c < F; c++)
        sd.features[c] = xmalloc((n ? n : 1) * sizeof **sd.features);
    sd.date = xmalloc((n ? n : 1) * sizeof *sd.date);
    sd.series = xmalloc((n ? n : 1) * sizeof *sd.series);
    sd.target = NULL;
    sd.weight = NULL;
    sd.history = ds->history ? ds->history : ds; /* the targets up to the origins */
    sd.history_origin = rec->origin;
    sd.history_origins = rec->origins;
    uint32_t *idx = xmalloc((n ? n : 1) * sizeof *idx);
    float *row_out = xmalloc((n_target ? n_target : 1) * sizeof *row_out);
    size_t nq = out->n_quantiles, med = nq ? median_level(rec, nq) : 0;
    int rc = 0;
    for (size_t a = 0; a < n && rc == 0;) {
        size_t b = a;
        while (b < n && W.order[b].step == W.order[a].step)
            b++;
        size_t m = b - a;
        for (size_t i = 0; i < m; i++) {
            size_t k = W.order[a + i].k;
            uint32_t r = rows[k];
            const struct segment *g = &W.seg[W.seg_of[k]];
            for (size_t c = 0; c < F; c++)
                sd.features[c][i] = ds->features[c][r];
            fc_derive_row(f, W.y + g->base, W.p + g->base, r - g->start, row_out, W.vals,
                          W.buf);
            for (size_t c = 0; c < n_target; c++)
                sd.features[first + c][i] = row_out[c];
            sd.date[i] = ds->date[r];
            sd.series[i] = ds->series[r];
            idx[i] = (uint32_t)i;
        }
        sd.n_rows = m;
        struct fc_pred sp;
        fc_pred_alloc(&sp, m, nq, out->point != NULL);
        rc = ops->predict(model, &sd, idx, m, &sp);
        for (size_t i = 0; i < m && rc == 0; i++) {
            size_t k = W.order[a + i].k;
            const struct segment *g = &W.seg[W.seg_of[k]];
            if (out->point)
                out->point[k] = sp.point[i];
            for (size_t l = 0; l < nq; l++)
                out->q[k * nq + l] = sp.q[i * nq + l];
            W.y[g->base + rows[k] - g->start] = out->point ? sp.point[i] : sp.q[i * nq + med];
        }
        fc_pred_free(&sp);
        a = b;
    }
    for (size_t c = 0; c < F; c++)
        free(sd.features[c]);
    free(sd.features);
    free(sd.date);
    free(sd.series);
    free(idx);
    free(row_out);
    work_free(&W);
    return rc;
}

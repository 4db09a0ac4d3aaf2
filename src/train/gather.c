/*
 * gather.c — every worker's results on rank 0 (gather.h). A worker packs
 * its series (ids, history, test actuals, predictions) and skipped series
 * into bytes; rank 0 unpacks them all into one dataset and split, series in
 * the order of the whole data.
 */
#include "forecast/train/gather.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/util.h"

/* ---- packing ---- */

static void put(struct fc_buf *b, const void *p, size_t n) { fc_buf_append(b, p, n); }

static void put_u64(struct fc_buf *b, uint64_t v) { put(b, &v, sizeof v); }

static void put_str(struct fc_buf *b, const char *s)
{
    put_u64(b, strlen(s));
    put(b, s, strlen(s));
}

static void put_series(struct fc_buf *b, const struct fc_dataset *ds, uint32_t s,
                       const uint64_t *orig)
{
    put_u64(b, orig[s]);
    put_str(b, ds->series_key[s]);
    for (size_t k = 0; k < ds->n_id_cols; k++)
        put_str(b, ds->series_parts[s][k]);
}

struct reader {
    const char *p, *end;
    int bad;
};

static void get(struct reader *r, void *out, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = 1;
        memset(out, 0, n);
        return;
    }
    memcpy(out, r->p, n);
    r->p += n;
}

static uint64_t get_u64(struct reader *r)
{
    uint64_t v;
    get(r, &v, sizeof v);
    return v;
}

static char *get_str(struct reader *r)
{
    uint64_t n = get_u64(r);
    if (r->bad || (uint64_t)(r->end - r->p) < n) {
        r->bad = 1;
        return xstrdup("");
    }
    char *s = xmalloc(n + 1);
    memcpy(s, r->p, n);
    s[n] = '\0';
    r->p += n;
    return s;
}

/* This worker's part: its used series with their rows and predictions (in
 * the target's units), then its skipped series. */
static void pack(const struct fc_plan *P, const uint64_t *orig, struct fc_buf *b)
{
    const struct fc_dataset *truth = P->truth ? P->truth : P->ds;
    const struct fc_split *sp = P->sp;
    const struct fc_pred *pred = &P->jobs[0].pred;
    size_t L = pred->n_quantiles;
    put_u64(b, sp->n_used);
    put_u64(b, sp->n_skipped);
    size_t off = 0;
    for (size_t i = 0; i < sp->n_used; i++) {
        const struct fc_split_series *u = &sp->used[i];
        size_t nf = u->val_begin - u->train_begin, nv = u->test_begin - u->val_begin;
        size_t nt = u->test_end - u->test_begin, n = nf + nv + nt;
        put_series(b, truth, u->series, orig);
        put_u64(b, nf);
        put_u64(b, nv);
        put_u64(b, nt);
        put(b, truth->date + u->train_begin, n * sizeof(int32_t));
        put(b, truth->target + u->train_begin, n * sizeof(float));
        if (pred->point)
            put(b, pred->point + off, nt * sizeof(float));
        if (L)
            put(b, pred->q + off * L, nt * L * sizeof(float));
        off += nt;
    }
    for (size_t i = 0; i < sp->n_skipped; i++) {
        put_series(b, truth, sp->skipped[i].series, orig);
        put_str(b, sp->skipped[i].reason);
    }
}

/* ---- unpacking on rank 0 ---- */

struct part {          /* one series as a worker sent it */
    uint64_t orig;
    char *key, **parts;
    size_t nf, nv, nt;
    const char *rows;  /* dates, targets, point, q: in the buffer */
    char *reason;      /* a skipped series' */
};

static int cmp_part(const void *a, const void *b)
{
    uint64_t x = ((const struct part *)a)->orig, y = ((const struct part *)b)->orig;
    return (x > y) - (x < y);
}

static int read_series(struct reader *r, size_t n_id, struct part *s)
{
    s->orig = get_u64(r);
    s->key = get_str(r);
    s->parts = xcalloc(n_id ? n_id : 1, sizeof *s->parts);
    for (size_t k = 0; k < n_id; k++)
        s->parts[k] = get_str(r);
    return r->bad ? -1 : 0;
}

/* the gathered dataset's frame: ids and the run's feature names from this
 * worker's data */
static struct fc_dataset *frame(const struct fc_dataset *local, size_t n_series, size_t n_rows,
                                struct fc_gathered *g)
{
    struct fc_dataset *ds = fc_dataset_like(local, n_series, n_rows);
    ds->has_target = 1;
    g->missing = xmalloc((n_rows ? n_rows : 1) * sizeof *g->missing);
    for (size_t i = 0; i < n_rows; i++)
        g->missing[i] = NAN;
    for (size_t j = 0; j < ds->n_features; j++)
        ds->features[j] = g->missing;
    ds->target = xmalloc((n_rows ? n_rows : 1) * sizeof *ds->target);
    ds->date = xmalloc((n_rows ? n_rows : 1) * sizeof *ds->date);
    return ds;
}

static uint32_t add_series(struct fc_dataset *ds, struct part *s, size_t row, size_t n)
{
    uint32_t t = (uint32_t)ds->n_series++;
    ds->series_key[t] = s->key;
    ds->series_parts[t] = s->parts;
    s->key = NULL;
    s->parts = NULL;
    ds->series_start[t] = row;
    ds->series_len[t] = n;
    fc_strmap_put(&ds->key_index, ds->series_key[t], t);
    return t;
}

static void free_parts(struct part *v, size_t n, size_t n_id)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].key);
        for (size_t k = 0; v[i].parts && k < n_id; k++)
            free(v[i].parts[k]);
        free(v[i].parts);
        free(v[i].reason);
    }
    free(v);
}

/* Every worker's parts (bytes rank after rank) into g and a job's
 * predictions. */
static int unpack(const struct fc_plan *P, const char *all, const uint64_t *sizes, int world,
                  struct fc_gathered *g, struct fc_pred *pred)
{
    const struct fc_dataset *local = P->truth ? P->truth : P->ds;
    size_t n_id = local->n_id_cols, L = P->jobs[0].pred.n_quantiles;
    int point = P->jobs[0].pred.point != NULL;
    struct part *used = NULL, *skipped = NULL;
    size_t n_used = 0, n_skipped = 0, n_rows = 0, n_test = 0;
    const char *p = all;
    int bad = 0;
    for (int w = 0; w < world && !bad; w++) {
        struct reader r = {p, p + sizes[w], 0};
        p += sizes[w];
        uint64_t nu = get_u64(&r), ns = get_u64(&r);
        if (r.bad || nu > sizes[w] || ns > sizes[w]) {
            bad = 1;
            break;
        }
        used = xrealloc(used, (n_used + nu + 1) * sizeof *used);
        for (uint64_t i = 0; i < nu && !r.bad; i++) {
            struct part *s = &used[n_used++];
            memset(s, 0, sizeof *s);
            read_series(&r, n_id, s);
            s->nf = get_u64(&r);
            s->nv = get_u64(&r);
            s->nt = get_u64(&r);
            size_t n = s->nf + s->nv + s->nt;
            size_t bytes = n * (sizeof(int32_t) + sizeof(float)) +
                           s->nt * (point + L) * sizeof(float);
            if (r.bad || n > sizes[w] || (size_t)(r.end - r.p) < bytes) {
                r.bad = 1;
                break;
            }
            s->rows = r.p;
            r.p += bytes;
            n_rows += n;
            n_test += s->nt;
        }
        skipped = xrealloc(skipped, (n_skipped + ns + 1) * sizeof *skipped);
        for (uint64_t i = 0; i < ns && !r.bad; i++) {
            struct part *s = &skipped[n_skipped++];
            memset(s, 0, sizeof *s);
            read_series(&r, n_id, s);
            s->reason = get_str(&r);
        }
        bad = r.bad || r.p != r.end;
    }
    if (bad) {
        free_parts(used, n_used, n_id);
        free_parts(skipped, n_skipped, n_id);
        return fc_error("--distributed: a worker's results arrived damaged");
    }
    qsort(used, n_used, sizeof *used, cmp_part);
    qsort(skipped, n_skipped, sizeof *skipped, cmp_part);
    struct fc_dataset *ds = frame(local, n_used + n_skipped, n_rows, g);
    g->ds = ds;
    struct fc_split *sp = &g->sp;
    memset(sp, 0, sizeof *sp);
    sp->used = xcalloc(n_used ? n_used : 1, sizeof *sp->used);
    sp->skipped = xcalloc(n_skipped ? n_skipped : 1, sizeof *sp->skipped);
    sp->last_train_date = P->sp->last_train_date; /* the same on every worker (agreed) */
    fc_pred_alloc(pred, n_test, L, point);
    size_t row = 0, off = 0;
    for (size_t i = 0; i < n_used; i++) {
        struct part *s = &used[i];
        size_t n = s->nf + s->nv + s->nt;
        uint32_t t = add_series(ds, s, row, n);
        const char *q = s->rows;
        memcpy(ds->date + row, q, n * sizeof(int32_t));
        q += n * sizeof(int32_t);
        memcpy(ds->target + row, q, n * sizeof(float));
        q += n * sizeof(float);
        if (point) {
            memcpy(pred->point + off, q, s->nt * sizeof(float));
            q += s->nt * sizeof(float);
        }
        if (L)
            memcpy(pred->q + off * L, q, s->nt * L * sizeof(float));
        for (size_t k = 0; k < n; k++)
            ds->series[row + k] = t;
        sp->used[sp->n_used++] = (struct fc_split_series){t, row, row + s->nf,
                                                          row + s->nf + s->nv, row + n};
        sp->n_fit += s->nf;
        sp->n_val += s->nv;
        sp->n_test += s->nt;
        row += n;
        off += s->nt;
    }
    for (size_t i = 0; i < n_skipped; i++) {
        struct part *s = &skipped[i];
        uint32_t t = add_series(ds, s, row, 0);
        sp->skipped[sp->n_skipped++] = (struct fc_split_skip){t, s->reason};
        s->reason = NULL;
    }
    free_parts(used, n_used, n_id);
    free_parts(skipped, n_skipped, n_id);
    return 0;
}

int fc_gather(const struct fc_dist *d, struct fc_plan *P, const uint64_t *orig,
              struct fc_gathered *g)
{
    memset(g, 0, sizeof *g);
    struct fc_job *j = &P->jobs[0];
    FC_ASSERT(P->n_jobs == 1 && j->state == FC_JOB_DONE);
    if (P->transform) { /* scored in the target's units, like the collector does */
        size_t n;
        uint32_t *rows = fc_split_rows(P->sp, 2, &n);
        fc_transform_invert(P->transform, P->truth ? P->truth : P->ds, rows, &j->pred,
                            P->cfg->quantiles);
        free(rows);
    }
    struct fc_buf b;
    fc_buf_init(&b);
    pack(P, orig, &b);
    void *all = NULL;
    uint64_t *sizes = xcalloc((size_t)d->world, sizeof *sizes);
    /* the M5 weights' window ends with the latest training day of any worker */
    int64_t last = P->sp->last_train_date;
    int rc = fc_dist_max_i64(&last, 1) || fc_dist_gather(d, b.s, b.len, &all, sizes) ? -1 : 0;
    fc_buf_free(&b);
    if (rc == 0 && d->rank == 0) {
        struct fc_pred pred = {0};
        rc = unpack(P, all, sizes, d->world, g, &pred);
        if (rc == 0) {
            g->sp.last_train_date = (int32_t)last;
            fc_pred_free(&j->pred);
            j->pred = pred;
            j->first = 0;
            j->n_series = g->sp.n_used;
            P->ds = g->ds;
            P->sp = &g->sp;
            P->truth = NULL;
            P->transform = NULL;
            P->n_rows_fit = g->sp.n_fit;
            P->n_rows_val = g->sp.n_val;
        }
    }
    free(all);
    free(sizes);
    return rc;
}

void fc_gathered_free(struct fc_gathered *g)
{
    if (g->ds) {
        for (size_t j = 0; j < g->ds->n_features; j++)
            g->ds->features[j] = NULL; /* the one shared column, freed below */
        fc_dataset_free(g->ds);
    }
    if (g->ds)
        fc_split_free(&g->sp);
    free(g->missing);
    memset(g, 0, sizeof *g);
}

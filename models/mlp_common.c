/*
 * mlp_common.c — the MLP plugins' shared part (see mlp_common.h): scaling,
 * the epoch loop with early stopping, model files, BLAS detection.
 */
#include "mlp_common.h"
#include "mlp_forward.h"

#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/store/store.h"
#include "forecast/core/progress.h"
#include "forecast/core/util.h"

const char *const fc_mlp_devices[] = {"cpu", "cuda", NULL};

#define WEIGHTS_MAGIC "FCMLPW\0\0"
#define WEIGHTS_VERSION 1u

/* ---- libtorch and its BLAS ---- */

void mlp_version(char *buf, size_t n)
{
    char t[64], b[512];
    if (fc_torch_version(t, sizeof t)) {
        snprintf(buf, n, "libtorch not loadable (%s)", fc_torch_last_error());
        return;
    }
    fc_torch_blas(b, sizeof b);
    snprintf(buf, n, "%s, %s", t, b);
}

int mlp_check(const struct fc_params *p, int will_run, const char **param, char *expected,
              size_t n)
{
    char v[64];
    if (will_run && fc_torch_version(v, sizeof v)) {
        *param = NULL;
        snprintf(expected, n, "%s", fc_torch_last_error());
        return -1;
    }
    if (strcmp(fc_params_str(p, "device"), "cuda") == 0 && !fc_torch_cuda_available()) {
        if (fc_torch_version(v, sizeof v))
            snprintf(v, sizeof v, "libtorch (not loadable)");
        *param = "device";
        snprintf(expected, n, "\"cpu\": the linked %s has no usable CUDA device", v);
        return -1;
    }
    return 0;
}

/* ---- model ---- */

struct mlp *mlp_create(const char *name, int quantile, const struct fc_params *p,
                       const struct fc_model_ctx *ctx)
{
    struct mlp *m = xcalloc(1, sizeof *m);
    m->name = name;
    m->quantile = quantile;
    m->hidden = (int)fc_params_num(p, "hidden_size");
    m->lr = fc_params_num(p, "learning_rate");
    m->dropout = fc_params_num(p, "dropout");
    m->max_epochs = (int)fc_params_num(p, "max_epochs");
    m->batch = (int)fc_params_num(p, "batch_size");
    m->patience = (int)fc_params_num(p, "patience");
    m->weight_decay = fc_params_num(p, "weight_decay");
    m->missing_ind = fc_params_num(p, "missing_indicators") != 0;
    long seed = (long)fc_params_num(p, "seed");
    m->seed = seed < 0 ? ctx->seed : (uint64_t)seed;
    m->threads = fc_model_threads(ctx, "threads", (int)fc_params_num(p, "threads"));
    m->device = fc_params_str(p, "device");
    /* 0: automatic, MLP_AUTO_SEEDS in the combined strategy, 1 per series */
    m->n_seeds = (int)fc_params_num(p, "n_seeds");
    if (m->n_seeds == 0)
        m->n_seeds = ctx->individual ? 1 : MLP_AUTO_SEEDS;
    m->prefix = ctx->log_prefix ? ctx->log_prefix : "";
    m->combined = !ctx->individual;
    m->one_hot_max = (int)fc_params_num(p, "one_hot_max");
    m->emb_dim_param = (int)fc_params_num(p, "embedding_dim");
    if (quantile) {
        m->L = ctx->n_quantiles;
        m->levels = xmalloc((m->L ? m->L : 1) * sizeof *m->levels);
        memcpy(m->levels, ctx->quantiles, m->L * sizeof *m->levels);
    }
    m->best_epoch = -1;
    m->y_sd = 1;
    return m;
}

void mlp_free(struct mlp *m)
{
    if (!m)
        return;
    fc_torch_mlp_free(m->net);
    free(m->params);
    for (size_t j = 0; m->names && j < m->n_features; j++)
        free(m->names[j]);
    free(m->names);
    free(m->mean);
    free(m->sd);
    free(m->indicator);
    free(m->card);
    free(m->emb);
    free(m->pos);
    free(m->levels);
    free(m->curve);
    free(m->member_best);
    free(m);
}

static size_t n_out(const struct mlp *m) { return m->quantile ? m->L : 1; }

float *mlp_inputs(const struct mlp *m, const struct fc_dataset *ds, const uint32_t *rows,
                  size_t n)
{
    size_t K = m->n_inputs, F = m->n_features;
    float *x = xcalloc((n ? n : 1) * K, sizeof *x);
    size_t ind = m->n_inputs - m->n_emb; /* the indicators end there */
    for (size_t j = 0; j < F; j++)
        ind -= m->indicator[j];
    for (size_t j = 0; j < F; j++) {
        const float *col = ds->features[j];
        size_t p = m->pos[j];
        if (m->emb[j]) { /* the code; missing or unseen: card */
            for (size_t i = 0; i < n; i++) {
                float v = col[rows[i]];
                x[i * K + p] = v >= 0 && v < (float)m->card[j] ? v : (float)m->card[j];
            }
            continue;
        }
        if (m->card[j]) { /* one-hot; a missing or unseen code: all zeros */
            for (size_t i = 0; i < n; i++) {
                float v = col[rows[i]];
                if (v >= 0 && v < (float)m->card[j])
                    x[i * K + p + (size_t)v] = 1.0f;
            }
            continue;
        }
        double mu = m->mean[j], inv = 1.0 / m->sd[j];
        for (size_t i = 0; i < n; i++) {
            float v = col[rows[i]];
            x[i * K + p] = isnan(v) ? 0.0f : (float)(((double)v - mu) * inv);
        }
        if (m->indicator[j]) {
            for (size_t i = 0; i < n; i++)
                x[i * K + ind] = isnan(col[rows[i]]) ? 1.0f : 0.0f;
            ind++;
        }
    }
    return x;
}

void mlp_layout(struct mlp *m)
{
    size_t at = 0, ind = 0, width = 0;
    m->n_emb = 0;
    for (size_t j = 0; j < m->n_features; j++) {
        if (m->emb[j]) {
            m->n_emb++;
            width += m->emb[j];
            continue;
        }
        m->pos[j] = at;
        at += m->card[j] ? m->card[j] : 1;
        ind += m->indicator[j];
    }
    size_t code = at + ind;
    for (size_t j = 0; j < m->n_features; j++)
        if (m->emb[j])
            m->pos[j] = code++;
    m->n_inputs = code;
    m->width = at + ind + width;
}

/* The embedding tables' floats (per network, after the linear layers'). */
static size_t emb_params(const struct mlp *m)
{
    size_t np = 0;
    for (size_t j = 0; j < m->n_features; j++)
        np += m->emb[j] ? ((size_t)m->card[j] + 1) * m->emb[j] : 0;
    return np;
}

float *mlp_embed_inputs(const struct mlp *m, const float *params, const float *x, size_t n)
{
    if (!m->n_emb)
        return NULL;
    size_t K = m->n_inputs, dense = K - m->n_emb, W = m->width, H = (size_t)m->hidden;
    size_t L = n_out(m);
    const float *table = params + W * H + H + H * H + H + L * H + L;
    float *e = xmalloc((n ? n : 1) * W * sizeof *e);
    for (size_t i = 0; i < n; i++) {
        memcpy(e + i * W, x + i * K, dense * sizeof *e);
        size_t at = dense;
        const float *t = table;
        for (size_t j = 0; j < m->n_features; j++) {
            if (!m->emb[j])
                continue;
            size_t code = (size_t)x[i * K + m->pos[j]];
            memcpy(e + i * W + at, t + code * m->emb[j], m->emb[j] * sizeof *e);
            at += m->emb[j];
            t += ((size_t)m->card[j] + 1) * m->emb[j];
        }
    }
    return e;
}

/* Means and standard deviations (population) of the training rows, missing
 * values left out; a constant or empty column gets sd 1. Categories are
 * one-hot, neither scaled nor given an indicator. */
static void fit_scaler(struct mlp *m, const struct fc_dataset *ds, const uint32_t *rows,
                       size_t n)
{
    size_t F = ds->n_features;
    m->n_features = F;
    m->names = xcalloc(F ? F : 1, sizeof *m->names);
    m->mean = xcalloc(F ? F : 1, sizeof *m->mean);
    m->sd = xcalloc(F ? F : 1, sizeof *m->sd);
    m->indicator = xcalloc(F ? F : 1, 1);
    m->card = xcalloc(F ? F : 1, sizeof *m->card);
    m->emb = xcalloc(F ? F : 1, sizeof *m->emb);
    m->pos = xcalloc(F ? F : 1, sizeof *m->pos);
    for (size_t j = 0; j < F; j++) {
        m->names[j] = xstrdup(ds->feature_names[j]);
        if (ds->categories && ds->categories[j]) {
            uint32_t c = ds->categories[j];
            m->card[j] = c;
            m->sd[j] = 1;
            if (c > (uint32_t)m->one_hot_max) /* fastai's rule: min(50, (c + 1) / 2) */
                m->emb[j] = m->emb_dim_param ? (uint32_t)m->emb_dim_param
                                             : (c + 1) / 2 < 50 ? (c + 1) / 2 : 50;
            continue;
        }
        const float *col = ds->features[j];
        double sum = 0;
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (!isnan(col[rows[i]])) {
                sum += col[rows[i]];
                k++;
            }
        double mu = k ? sum / (double)k : 0, ss = 0;
        for (size_t i = 0; i < n; i++)
            if (!isnan(col[rows[i]])) {
                double d = col[rows[i]] - mu;
                ss += d * d;
            }
        double sd = k ? sqrt(ss / (double)k) : 0;
        m->mean[j] = mu;
        m->sd[j] = sd > 0 && isfinite(sd) ? sd : 1;
        if (m->missing_ind && k < n)
            m->indicator[j] = 1;
    }
    mlp_layout(m);
    double sum = 0, ss = 0;
    for (size_t i = 0; i < n; i++)
        sum += ds->target[rows[i]];
    m->y_mean = n ? sum / (double)n : 0;
    for (size_t i = 0; i < n; i++) {
        double d = ds->target[rows[i]] - m->y_mean;
        ss += d * d;
    }
    double sd = n ? sqrt(ss / (double)n) : 0;
    m->y_sd = sd > 0 && isfinite(sd) ? sd : 1;
}

/* scaled targets and weights (weights divided by their training mean, so
 * the weighted loss has the unweighted loss's scale) */
static void targets(const struct mlp *m, const struct fc_dataset *ds, const uint32_t *rows,
                    size_t n, double w_mean, float **y, float **w)
{
    *y = xmalloc((n ? n : 1) * sizeof **y);
    for (size_t i = 0; i < n; i++)
        (*y)[i] = (float)((ds->target[rows[i]] - m->y_mean) / m->y_sd);
    *w = NULL;
    if (ds->weight) {
        *w = xmalloc((n ? n : 1) * sizeof **w);
        for (size_t i = 0; i < n; i++)
            (*w)[i] = (float)(ds->weight[rows[i]] / w_mean);
    }
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int torch_fail(const struct mlp *m)
{
    return fc_error("%s: %s", m->name, fc_torch_last_error());
}

/* The training data of every member, and the scratch they share. */
struct mlp_batches {
    float *x, *y, *w, *xv, *yv, *wv; /* standardised inputs and scaled targets */
    size_t n, nv, K, B;              /* rows, validation rows, inputs, batch */
    float *xb, *yb, *wb;             /* one batch */
    uint32_t *perm;                  /* the epoch's row order */
    struct fc_progress *pg;
};

/* Trains member k of the seed average (seed m->seed + k) with early
 * stopping; its best weights go to m->params at k x the network's size.
 * Member 0 fills the training record (curve, epochs, best epoch). */
static int train_member(struct mlp *m, struct mlp_batches *D, int k)
{
    size_t n = D->n, nv = D->nv, K = D->K, B = D->B;
    uint64_t seed = m->seed + (uint64_t)k;
    int rc = -1, epochs = 0, best_epoch = -1;
    double best_val = INFINITY;
    float *best = NULL;
    for (size_t i = 0; i < n; i++)
        D->perm[i] = (uint32_t)i;
    int *card = xcalloc(m->n_emb + 1, sizeof *card), *dim = xcalloc(m->n_emb + 1, sizeof *dim);
    for (size_t j = 0, e = 0; j < m->n_features; j++)
        if (m->emb[j]) {
            card[e] = (int)m->card[j];
            dim[e++] = (int)m->emb[j];
        }
    m->net = fc_torch_mlp_create((int)K, m->hidden, m->dropout, m->quantile ? m->levels : NULL,
                                 (int)m->L, seed, m->device, (int)m->n_emb, card, dim);
    free(card);
    free(dim);
    if (!m->net || fc_torch_mlp_set_optimizer(m->net, m->lr, m->weight_decay)) {
        torch_fail(m);
        goto out;
    }
    size_t np = fc_torch_mlp_n_params(m->net);
    best = xmalloc(np * sizeof *best);
    if (k == 0) {
        m->n_params = np * (size_t)m->n_seeds;
        m->params = xmalloc(m->n_params * sizeof *m->params);
    }
    uint64_t rng = seed ^ 0x6d6c705f73687566ull; /* "mlp_shuf" */
    int since_best = 0;
    for (int ep = 0; ep < m->max_epochs; ep++) {
        double t0 = fc_now(), sum = 0;
        for (size_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
            size_t j = (size_t)(((unsigned __int128)splitmix64(&rng) * (i + 1)) >> 64);
            uint32_t t = D->perm[i];
            D->perm[i] = D->perm[j];
            D->perm[j] = t;
        }
        for (size_t off = 0; off < n; off += B) {
            size_t c = n - off < B ? n - off : B;
            for (size_t i = 0; i < c; i++) {
                size_t r = D->perm[off + i];
                memcpy(D->xb + i * K, D->x + r * K, K * sizeof *D->xb);
                D->yb[i] = D->y[r];
                if (D->wb)
                    D->wb[i] = D->w[r];
            }
            double loss;
            if (fc_torch_mlp_step(m->net, D->xb, D->yb, D->wb, (int)c, &loss)) {
                torch_fail(m);
                goto out;
            }
            sum += loss * (double)c;
        }
        double train = sum / (double)n, val = NAN;
        if (!isfinite(train)) {
            fc_error("%s: training diverged (loss %g in epoch %d); try a lower learning_rate",
                     m->name, train, ep + 1);
            goto out;
        }
        if (nv) {
            double ls, ws;
            if (fc_torch_mlp_eval(m->net, D->xv, D->yv, D->wv, nv, &ls, &ws)) {
                torch_fail(m);
                goto out;
            }
            val = ws > 0 ? ls / ws : NAN;
        }
        double secs = fc_now() - t0;
        if (k == 0) {
            m->curve[3 * ep] = train;
            m->curve[3 * ep + 1] = val;
            m->curve[3 * ep + 2] = secs;
        }
        epochs = ep + 1;
        fc_progress_add(D->pg, 1, 0);
        if (m->n_seeds > 1)
            fc_info(2, "  %sseed %d epoch %d: train loss %.6g, validation loss %.6g, %.3f s",
                    m->prefix, k + 1, ep + 1, train, val, secs);
        else
            fc_info(2, "  %sepoch %d: train loss %.6g, validation loss %.6g, %.3f s", m->prefix,
                    ep + 1, train, val, secs);
        if (nv && val < best_val) {
            best_val = val;
            best_epoch = ep;
            since_best = 0;
            if (fc_torch_mlp_get_params(m->net, best)) {
                torch_fail(m);
                goto out;
            }
        } else if (nv && isfinite(val) && m->patience > 0 && ++since_best >= m->patience) {
            fc_progress_skip(D->pg, (size_t)(m->max_epochs - ep - 1));
            break;
        }
    }
    /* the best epoch's weights (or the last), for prediction and saving */
    float *dst = m->params + (size_t)k * np;
    if (best_epoch >= 0 && best_epoch + 1 < epochs)
        memcpy(dst, best, np * sizeof *dst);
    else if (fc_torch_mlp_get_params(m->net, dst)) {
        torch_fail(m);
        goto out;
    }
    m->member_best[k] = best_epoch;
    if (k == 0) {
        m->epochs = epochs;
        m->best_epoch = best_epoch;
        m->best_val = best_val;
    }
    rc = 0;
out:
    fc_torch_mlp_free(m->net); /* prediction and saving use m->params */
    m->net = NULL;
    free(best);
    return rc;
}

int mlp_fit(struct mlp *m, const struct fc_fit_input *in)
{
    const struct fc_dataset *ds = in->ds;
    size_t n = in->n_rows, nv = in->n_val;
    if (n == 0)
        return fc_error("%s: no training rows", m->name);
    if (m->quantile && m->L == 0)
        return fc_error("%s: no quantile levels configured (quantiles)", m->name);
    fit_scaler(m, ds, in->rows, n);
    double w_mean = 1;
    if (ds->weight) {
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += ds->weight[in->rows[i]];
        if (!(s > 0))
            return fc_error("%s: the training rows' weights sum to %g; expected > 0", m->name,
                            s);
        w_mean = s / (double)n;
    }
    fc_torch_set_threads(m->threads); /* loads libtorch, or fails below with why */
    char blas[512];
    static atomic_int warned;
    if (!fc_torch_blas(blas, sizeof blas) && atomic_exchange(&warned, 1) == 0)
        fc_warn("%s: libtorch calls %s", m->name, blas);
    static atomic_int no_val_told;
    if (nv == 0 && atomic_exchange(&no_val_told, 1) == 0)
        fc_warn("%s: no validation rows (split.val_days 0?): no early stopping, the weights "
                "after max_epochs (%d) are kept",
                m->name, m->max_epochs);
    int rc = -1;
    struct mlp_batches D = {0};
    D.x = mlp_inputs(m, ds, in->rows, n);
    D.xv = mlp_inputs(m, ds, in->val_rows, nv);
    targets(m, ds, in->rows, n, w_mean, &D.y, &D.w);
    targets(m, ds, in->val_rows, nv, w_mean, &D.yv, &D.wv);
    D.n = n;
    D.nv = nv;
    D.K = m->n_inputs;
    D.B = (size_t)m->batch < n ? (size_t)m->batch : n;
    D.xb = xmalloc(D.B * D.K * sizeof *D.xb);
    D.yb = xmalloc(D.B * sizeof *D.yb);
    D.wb = D.w ? xmalloc(D.B * sizeof *D.wb) : NULL;
    D.perm = xmalloc(n * sizeof *D.perm);
    char label[64];
    snprintf(label, sizeof label, "%s (combined)", m->name);
    D.pg = m->combined ? fc_progress_steps(label, (size_t)m->n_seeds * (size_t)m->max_epochs,
                                           "epochs")
                       : NULL;
    m->curve = xmalloc(3 * (size_t)m->max_epochs * sizeof *m->curve);
    m->member_best = xcalloc((size_t)m->n_seeds, sizeof *m->member_best);
    /* seed averaging: member k starts from seed + k (member 0 is the model
     * n_seeds 1 trains); predictions are the members' mean */
    for (int k = 0; k < m->n_seeds; k++)
        if (train_member(m, &D, k))
            goto out;
    rc = 0;
out:
    fc_progress_end(D.pg);
    free(D.x);
    free(D.y);
    free(D.w);
    free(D.xv);
    free(D.yv);
    free(D.wv);
    free(D.xb);
    free(D.yb);
    free(D.wb);
    free(D.perm);
    return rc;
}

int mlp_predict(struct mlp *m, const struct fc_dataset *ds, const uint32_t *rows, size_t n,
                float *out)
{
    if (ds->n_features != m->n_features)
        return fc_error("%s: the data has %zu features, the model %zu", m->name,
                        ds->n_features, m->n_features);
    for (size_t j = 0; j < m->n_features; j++)
        if (strcmp(ds->feature_names[j], m->names[j]) != 0)
            return fc_error("%s: feature %zu is \"%s\" in the data, \"%s\" in the model's "
                            "meta.json",
                            m->name, j + 1, ds->feature_names[j], m->names[j]);
    if (n == 0)
        return 0;
    float *x = mlp_inputs(m, ds, rows, n);
    size_t total = n * n_out(m), np = m->n_params / (size_t)m->n_seeds;
    if (m->n_seeds == 1) {
        float *e = mlp_embed_inputs(m, m->params, x, n);
        mlp_forward(m->params, m->width, (size_t)m->hidden, n_out(m), m->quantile, e ? e : x,
                    n, out);
        free(e);
        for (size_t i = 0; i < total; i++)
            out[i] = (float)(out[i] * m->y_sd + m->y_mean);
    } else {
        /* the members' mean, summed in double in member order */
        double *sum = xcalloc(total, sizeof *sum);
        for (int k = 0; k < m->n_seeds; k++) {
            const float *pk = m->params + (size_t)k * np;
            float *e = mlp_embed_inputs(m, pk, x, n);
            mlp_forward(pk, m->width, (size_t)m->hidden, n_out(m), m->quantile, e ? e : x, n,
                        out);
            free(e);
            for (size_t i = 0; i < total; i++)
                sum[i] += out[i];
        }
        for (size_t i = 0; i < total; i++)
            out[i] = (float)(sum[i] / m->n_seeds * m->y_sd + m->y_mean);
        free(sum);
    }
    free(x);
    return 0;
}

/* ---- the record: loss per epoch (the core writes training_curve.csv) ---- */

void mlp_record(const struct mlp *m, struct fc_fit_record *rec)
{
    rec->curves = xcalloc(1, sizeof *rec->curves);
    rec->n_curves = 1;
    fc_curve_init(rec->curves, NAN, "epoch", "loss", 1, (size_t)m->epochs, 1);
    for (int ep = 0; ep < m->epochs; ep++) {
        rec->curves->train[ep] = m->curve[3 * ep];
        rec->curves->val[ep] = m->curve[3 * ep + 1];
        rec->curves->seconds[ep] = m->curve[3 * ep + 2];
    }
}

/* ---- files: weights.bin, meta.json ---- */

int mlp_save(const struct mlp *m, const char *dir)
{
    size_t np = m->n_params;
    struct fc_buf b;
    fc_buf_init(&b);
    uint32_t dims[4] = {WEIGHTS_VERSION, (uint32_t)m->width, (uint32_t)m->hidden,
                        (uint32_t)n_out(m)};
    uint64_t count = np;
    fc_buf_append(&b, WEIGHTS_MAGIC, 8);
    fc_buf_append(&b, (const char *)dims, sizeof dims);
    fc_buf_append(&b, (const char *)&count, sizeof count);
    fc_buf_append(&b, (const char *)m->params, np * sizeof *m->params);
    int rc = fc_write_in(dir, "weights.bin", b.s, b.len);
    fc_buf_free(&b);
    if (rc)
        return -1;

    cJSON *meta = cJSON_CreateObject();
    char lib[64];
    if (fc_torch_version(lib, sizeof lib))
        snprintf(lib, sizeof lib, "libtorch");
    cJSON_AddStringToObject(meta, "model", m->name);
    cJSON_AddStringToObject(meta, "library", lib);
    cJSON_AddNumberToObject(meta, "n_features", (double)m->n_features);
    cJSON *feats = cJSON_AddArrayToObject(meta, "inputs");
    for (size_t j = 0; j < m->n_features; j++) {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "feature", m->names[j]);
        cJSON_AddNumberToObject(f, "mean", m->mean[j]);
        cJSON_AddNumberToObject(f, "sd", m->sd[j]);
        cJSON_AddBoolToObject(f, "missing_indicator", m->indicator[j]);
        if (m->card[j])
            cJSON_AddNumberToObject(f, "categories", m->card[j]);
        if (m->emb[j])
            cJSON_AddNumberToObject(f, "embedding_dim", m->emb[j]);
        cJSON_AddItemToArray(feats, f);
    }
    cJSON_AddNumberToObject(meta, "n_inputs", (double)m->n_inputs);
    cJSON_AddNumberToObject(meta, "hidden_size", m->hidden);
    cJSON_AddNumberToObject(meta, "n_outputs", (double)n_out(m));
    if (m->quantile)
        cJSON_AddItemToObject(meta, "levels", cJSON_CreateDoubleArray(m->levels, (int)m->L));
    cJSON_AddNumberToObject(meta, "target_mean", m->y_mean);
    cJSON_AddNumberToObject(meta, "target_sd", m->y_sd);
    cJSON_AddNumberToObject(meta, "n_seeds", m->n_seeds);
    if (m->member_best) {
        cJSON *be = cJSON_AddArrayToObject(meta, "best_epoch_per_seed");
        for (int k = 0; k < m->n_seeds; k++)
            cJSON_AddItemToArray(be, m->member_best[k] >= 0
                                         ? cJSON_CreateNumber(m->member_best[k] + 1)
                                         : cJSON_CreateNull());
    }
    cJSON_AddNumberToObject(meta, "epochs_run", m->epochs);
    if (m->best_epoch >= 0) {
        cJSON_AddNumberToObject(meta, "best_epoch", m->best_epoch + 1);
        cJSON_AddNumberToObject(meta, "best_val_loss", m->best_val);
    } else {
        cJSON_AddNullToObject(meta, "best_epoch");
    }
    return fc_write_json_in(dir, "meta.json", meta);
}

static const cJSON *need_number(const cJSON *obj, const char *key, const char *path,
                                double min)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) || it->valuedouble < min) {
        fc_error("%s: %s: expected a number >= %g", path, key, min);
        return NULL;
    }
    return it;
}

/* an integer count in [1, max], checked before any cast */
static int need_count(const cJSON *obj, const char *key, const char *path, double max,
                      size_t *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(it) || !(it->valuedouble >= 1 && it->valuedouble <= max) ||
        it->valuedouble != floor(it->valuedouble))
        return fc_error("%s: %s: expected an integer in [1, %.0f]", path, key, max);
    *out = (size_t)it->valuedouble;
    return 0;
}

/* meta.json's inputs: per feature its name, mean, sd and indicator. */
static int read_inputs(struct mlp *m, const cJSON *inputs, const char *path, size_t F)
{
    m->n_features = F;
    m->names = xcalloc(F, sizeof *m->names);
    m->mean = xcalloc(F, sizeof *m->mean);
    m->sd = xcalloc(F, sizeof *m->sd);
    m->indicator = xcalloc(F, 1);
    m->card = xcalloc(F ? F : 1, sizeof *m->card);
    m->emb = xcalloc(F ? F : 1, sizeof *m->emb);
    m->pos = xcalloc(F ? F : 1, sizeof *m->pos);
    size_t j = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, inputs)
    {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(f, "feature");
        const cJSON *mu = cJSON_GetObjectItemCaseSensitive(f, "mean");
        const cJSON *sd = cJSON_GetObjectItemCaseSensitive(f, "sd");
        const cJSON *mi = cJSON_GetObjectItemCaseSensitive(f, "missing_indicator");
        if (!cJSON_IsString(fn) || !cJSON_IsNumber(mu) || !isfinite(mu->valuedouble) ||
            !cJSON_IsNumber(sd) || !(sd->valuedouble > 0 && isfinite(sd->valuedouble)) ||
            !cJSON_IsBool(mi)) {
            return fc_error("%s: inputs[%zu]: expected {feature, mean, sd > 0, "
                            "missing_indicator}",
                            path, j);
        }
        const cJSON *ca = cJSON_GetObjectItemCaseSensitive(f, "categories");
        const cJSON *ed = cJSON_GetObjectItemCaseSensitive(f, "embedding_dim");
        double max_card = ed ? FC_TEXT_MAX : MLP_MAX_CATEGORIES;
        if (ca && !(cJSON_IsNumber(ca) && ca->valuedouble >= 1 &&
                    ca->valuedouble <= max_card && ca->valuedouble == floor(ca->valuedouble)))
            return fc_error("%s: inputs[%zu].categories: expected an integer in [1, %.0f]", path,
                            j, max_card);
        if (ed && !(ca && cJSON_IsNumber(ed) && ed->valuedouble >= 1 &&
                    ed->valuedouble <= 1024 && ed->valuedouble == floor(ed->valuedouble)))
            return fc_error("%s: inputs[%zu].embedding_dim: expected an integer in [1, 1024] "
                            "beside categories",
                            path, j);
        m->emb[j] = ed ? (uint32_t)ed->valuedouble : 0;
        m->names[j] = xstrdup(fn->valuestring);
        m->mean[j] = mu->valuedouble;
        m->sd[j] = sd->valuedouble;
        m->indicator[j] = cJSON_IsTrue(mi);
        m->card[j] = ca ? (uint32_t)ca->valuedouble : 0;
        j++;
    }
    mlp_layout(m);
    return 0;
}

/* weights.bin, checked against the shape meta.json gave before anything
 * of its size is allocated; the weights into m->params. */
static int read_weights(struct mlp *m, const char *wpath, size_t hidden, size_t outputs,
                        size_t members)
{
    size_t n_inputs = m->width; /* the first layer's */
    int rc = -1;
    size_t len;
    char *buf = fc_read_file(wpath, &len);
    if (!buf)
        return -1;
    /* everything is checked against the file before the weights are
     * allocated, so a damaged meta.json cannot make them huge */
    size_t np = (n_inputs * hidden + hidden + hidden * hidden + hidden + outputs * hidden +
                 outputs + emb_params(m)) *
                members;
    uint32_t dims[4];
    uint64_t count;
    size_t head = 8 + sizeof dims + sizeof count;
    if (len < head || memcmp(buf, WEIGHTS_MAGIC, 8) != 0) {
        fc_error("%s: not a forecast MLP weights file", wpath);
        goto out;
    }
    memcpy(dims, buf + 8, sizeof dims);
    memcpy(&count, buf + 8 + sizeof dims, sizeof count);
    if (dims[0] != WEIGHTS_VERSION) {
        fc_error("%s: weights format version %u; this forecast reads version %u", wpath,
                 dims[0], WEIGHTS_VERSION);
        goto out;
    }
    if (dims[1] != n_inputs || dims[2] != hidden || dims[3] != outputs || count != np ||
        len != head + np * sizeof(float)) {
        fc_error("%s: shape %ux%ux%u with %llu weights (%zu bytes) does not match meta.json "
                 "(%zux%zux%zu, %zu networks, %zu weights)",
                 wpath, dims[1], dims[2], dims[3], (unsigned long long)count, len, n_inputs,
                 hidden, outputs, members, np);
        goto out;
    }
    /* prediction runs in C (mlp_forward.h): no network is built */
    m->n_params = np;
    m->params = xmalloc(np * sizeof *m->params);
    memcpy(m->params, buf + head, np * sizeof *m->params);
    for (size_t k = 0; k < np; k++)
        if (!isfinite(m->params[k])) {
            fc_error("%s: weight %zu is not finite", wpath, k);
            goto out;
        }
    rc = 0;
out:
    free(buf);
    return rc;
}

struct mlp *mlp_load(const char *name, int quantile, const char *dir,
                     const struct fc_params *p, const struct fc_model_ctx *ctx)
{
    char *path = fc_xasprintf("%s/meta.json", dir);
    char *wpath = fc_xasprintf("%s/weights.bin", dir);
    cJSON *meta = fc_read_json(path);
    struct mlp *m = mlp_create(name, quantile, p, ctx);
    int ok = 0;
    if (!meta)
        goto out;
    size_t F, n_inputs, hidden, outputs;
    const cJSON *ym = need_number(meta, "target_mean", path, -INFINITY),
                *ys = need_number(meta, "target_sd", path, 0);
    const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(meta, "inputs");
    if (need_count(meta, "n_features", path, 1 << 20, &F) ||
        need_count(meta, "n_inputs", path, 1 << 21, &n_inputs) ||
        need_count(meta, "hidden_size", path, 8192, &hidden) ||
        need_count(meta, "n_outputs", path, 4096, &outputs) || !ym || !ys)
        goto out;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(meta, "model");
    if (!cJSON_IsString(model) || strcmp(model->valuestring, name) != 0) {
        fc_error("%s: model: expected \"%s\"", path, name);
        goto out;
    }
    if (!cJSON_IsArray(inputs) || (size_t)cJSON_GetArraySize(inputs) != F) {
        fc_error("%s: inputs: expected an array of %zu features", path, F);
        goto out;
    }
    if (read_inputs(m, inputs, path, F))
        goto out;
    m->hidden = (int)hidden;
    m->y_mean = ym->valuedouble;
    m->y_sd = ys->valuedouble;
    if (m->n_inputs != n_inputs || !(m->y_sd > 0)) {
        fc_error("%s: n_inputs or target_sd disagree with the inputs", path);
        goto out;
    }
    if (outputs != n_out(m)) {
        fc_error("%s: the model has %zu outputs; this run expects %zu (its quantile levels)",
                 path, outputs, n_out(m));
        goto out;
    }
    if (quantile) {
        if (!fc_json_levels_match(cJSON_GetObjectItemCaseSensitive(meta, "levels"), m->levels,
                                  m->L)) {
            fc_error("%s: levels: the model was trained for other quantile levels", path);
            goto out;
        }
    }
    /* a model written before seed averaging has one network */
    size_t members = 1;
    if (cJSON_GetObjectItemCaseSensitive(meta, "n_seeds") &&
        need_count(meta, "n_seeds", path, 1000, &members))
        goto out;
    m->n_seeds = (int)members;
    if (read_weights(m, wpath, hidden, outputs, members))
        goto out;
    ok = 1;
out:
    cJSON_Delete(meta);
    free(path);
    free(wpath);
    if (!ok) {
        mlp_free(m);
        return NULL;
    }
    return m;
}

/*
 * mlp.c — the libtorch shim and the two MLP plugins, on values worked out
 * by hand:
 *   - the shim's forward pass, squared-error and pinball losses and the
 *     monotone quantile head with hand-set weights; the same for the C
 *     forward pass predictions use (mlp_forward.c), which also gives
 *     PyTorch's outputs and the same bits for a row whatever rows come
 *     with it (the plugins' predictions likewise);
 *   - Adam's first step moves every weight with a nonzero gradient by
 *     exactly learning_rate against its gradient's sign;
 *   - three steps of each loss (squared error, weighted, pinball with the
 *     monotone head) give PyTorch's losses, weights and outputs
 *     (tests/fixtures/mlp_expected.json from make_mlp_golden.py);
 *   - exceptions inside libtorch come back as error returns with a message;
 *   - the scaler: means, population sds and indicator inputs of a tiny table;
 *   - mlp_standard learns y = 2a - b (no noise); same seed -> identical
 *     predictions, another seed -> different ones; mlp_quantile's outputs
 *     never cross and cover about their levels on y = a + u;
 *   - save / load round trip, damaged or mismatched files refused;
 *   - row weights: the fit moves from the mean to the weighted mean;
 *   - device "cuda" refused at config time on this CPU-only libtorch.
 * The comparison with Python PyTorch is tests/peers/mlp_reference.py.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/config.h"
#include "forecast/data/cache.h"
#include "forecast/data/dataset.h"
#include "forecast/core/registry.h"
#include "forecast/store/store.h"
#include "forecast/core/util.h"
#include "mlp_common.h"
#include "mlp_forward.h"
#include "test.h"
#include "torch_shim.h"

static double softplus(double x) { return log1p(exp(x)); }

/* ---- the shim with hand-set weights ---- */

/* n_in 2, hidden 2, identity-like first layers, so the output is
 * w3 . relu(relu(x)) + b3 */
static struct fc_torch_mlp *tiny(const double *levels, int L, const float *w3, const float *b3)
{
    struct fc_torch_mlp *m = fc_torch_mlp_create(2, 2, 0.0, levels, L, 1, "cpu", 0, NULL, NULL);
    ck_assert_ptr_nonnull(m);
    int K = levels ? L : 1;
    ck_assert_uint_eq(fc_torch_mlp_n_params(m), 4 + 2 + 4 + 2 + 2 * (size_t)K + (size_t)K);
    float p[32] = {1, 0, 0, 1, 0, 0, /* W1 = I, b1 = 0 */
                   1, 0, 0, 1, 0, 0}; /* W2 = I, b2 = 0 */
    memcpy(p + 12, w3, 2 * (size_t)K * sizeof *p);
    memcpy(p + 12 + 2 * K, b3, (size_t)K * sizeof *p);
    ck_assert_int_eq(fc_torch_mlp_set_params(m, p), 0);
    return m;
}

START_TEST(test_shim_forward_and_losses)
{
    float w3[2] = {2, -1}, b3[1] = {0.5f};
    struct fc_torch_mlp *m = tiny(NULL, 0, w3, b3);
    float x[6] = {1, 2, -1, 3, 4, -2}, out[3];
    ck_assert_int_eq(fc_torch_mlp_predict(m, x, 3, out), 0);
    /* 2*relu(a) - relu(b) + 0.5 */
    ck_assert_close(out[0], 2 - 2 + 0.5, 1e-6);
    ck_assert_close(out[1], 0 - 3 + 0.5, 1e-6);
    ck_assert_close(out[2], 8 - 0 + 0.5, 1e-6);
    float y[3] = {1, 0, 8}, w[3] = {1, 2, 3};
    double ls, ws;
    ck_assert_int_eq(fc_torch_mlp_eval(m, x, y, NULL, 3, &ls, &ws), 0);
    ck_assert_close(ls, 0.25 + 6.25 + 0.25, 1e-6);
    ck_assert_close(ws, 3, 0);
    ck_assert_int_eq(fc_torch_mlp_eval(m, x, y, w, 3, &ls, &ws), 0);
    ck_assert_close(ls, 0.25 + 2 * 6.25 + 3 * 0.25, 1e-6);
    ck_assert_close(ws, 6, 0);
    fc_torch_mlp_free(m);

    /* quantile head, levels 0.1 / 0.9: z = (w3 . h + b3); out0 = z0,
     * out1 = z0 + softplus(z1) */
    double lv[2] = {0.1, 0.9};
    float w3q[4] = {1, 0, 0, 0}, b3q[2] = {0, -1};
    m = tiny(lv, 2, w3q, b3q);
    float xq[2] = {3, 7}, oq[2];
    ck_assert_int_eq(fc_torch_mlp_predict(m, xq, 1, oq), 0);
    ck_assert_close(oq[0], 3, 1e-6);
    ck_assert_close(oq[1], 3 + softplus(-1), 1e-6);
    /* pinball: e = y - q; l = max(a e, (a - 1) e), mean over levels */
    float yq[1] = {5};
    ck_assert_int_eq(fc_torch_mlp_eval(m, xq, yq, NULL, 1, &ls, &ws), 0);
    double q1 = 3 + softplus(-1);
    double want = (0.1 * (5 - 3) + 0.9 * (5 - q1)) / 2;
    ck_assert_close(ls, want, 1e-6);
    yq[0] = 1; /* below both: (1 - a)(q - y) */
    ck_assert_int_eq(fc_torch_mlp_eval(m, xq, yq, NULL, 1, &ls, &ws), 0);
    ck_assert_close(ls, (0.9 * 2 + 0.1 * (q1 - 1)) / 2, 1e-6);
    fc_torch_mlp_free(m);
}
END_TEST

/* mlp_forward on the same hand-set networks as above */
START_TEST(test_forward_by_hand)
{
    float p[15] = {1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, /* W1 = W2 = I, b1 = b2 = 0 */
                   2, -1, 0.5f};                      /* W3, b3 */
    float x[6] = {1, 2, -1, 3, 4, -2}, out[3];
    mlp_forward(p, 2, 2, 1, 0, x, 3, out);
    ck_assert_close(out[0], 2 - 2 + 0.5, 1e-7); /* 2 relu(a) - relu(b) + 0.5 */
    ck_assert_close(out[1], 0 - 3 + 0.5, 1e-7);
    ck_assert_close(out[2], 8 - 0 + 0.5, 1e-7);
    /* biases of the hidden layers, and ReLU between them: b1 = (-2, 0),
     * b2 = (0, 1): h1 = relu(x - (2, 0)), h2 = h1 + (0, 1) */
    float pb[15] = {1, 0, 0, 1, -2, 0, 1, 0, 0, 1, 0, 1, 2, -1, 0.5f};
    mlp_forward(pb, 2, 2, 1, 0, x, 3, out);
    ck_assert_close(out[0], 2 * 0 - 3 + 0.5, 1e-7);
    ck_assert_close(out[2], 2 * 2 - 1 + 0.5, 1e-7);
    /* quantile head: out0 = z0, out1 = z0 + softplus(z1) */
    float q[18] = {1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, -1};
    float xq[2] = {3, 7}, oq[2];
    mlp_forward(q, 2, 2, 2, 1, xq, 1, oq);
    ck_assert_close(oq[0], 3, 1e-7);
    ck_assert_close(oq[1], 3 + softplus(-1), 1e-7);
    /* without the monotone head the outputs are z itself */
    mlp_forward(q, 2, 2, 2, 0, xq, 1, oq);
    ck_assert_close(oq[1], -1, 0);
}
END_TEST

/* A row's outputs are the same bits alone, at every position of a batch
 * and after any number of other rows (random network: 13 inputs, 37
 * hidden, 3 monotone outputs, 203 rows). */
START_TEST(test_inputs_one_hot)
{
    /* a number (mean 1, sd 2, with a missing indicator) and a category of 3
     * codes: inputs [ (x - 1) / 2, onehot0, onehot1, onehot2, missing(x) ];
     * a missing or unseen code is all zeros */
    float num[4] = {3, NAN, 1, 5}, code[4] = {0, 2, NAN, 7};
    float *cols[2] = {num, code};
    char *names[2] = {"x", "cat_store"};
    uint32_t cats[2] = {0, 3};
    struct fc_dataset ds = {0};
    ds.n_rows = 4;
    ds.n_features = 2;
    ds.features = cols;
    ds.feature_names = names;
    ds.categories = cats;
    double mean[2] = {1, 0}, sd[2] = {2, 1};
    unsigned char ind[2] = {1, 0};
    uint32_t card[2] = {0, 3}, emb[2] = {0, 0};
    size_t pos[2];
    struct mlp m = {0};
    m.n_features = 2;
    m.mean = mean;
    m.sd = sd;
    m.indicator = ind;
    m.card = card;
    m.emb = emb;
    m.pos = pos;
    mlp_layout(&m);
    ck_assert_uint_eq(m.n_inputs, 5);
    uint32_t rows[4] = {0, 1, 2, 3};
    float *x = mlp_inputs(&m, &ds, rows, 4);
    const float want[4][5] = {{1, 1, 0, 0, 0}, {0, 0, 0, 1, 1}, {0, 0, 0, 0, 0}, {2, 0, 0, 0, 0}};
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 5; k++)
            ck_assert_msg(x[i * 5 + k] == want[i][k], "row %d input %d: %g", i, k, x[i * 5 + k]);
    free(x);
    /* embedded instead: [ (x - 1) / 2, missing(x), code ], a missing or
     * unseen code being 3 (the table's last row) */
    emb[1] = 2;
    mlp_layout(&m);
    ck_assert_uint_eq(m.n_inputs, 3);
    ck_assert_uint_eq(m.width, 4);
    x = mlp_inputs(&m, &ds, rows, 4);
    const float want_e[4][3] = {{1, 0, 0}, {0, 1, 2}, {0, 0, 3}, {2, 0, 3}};
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 3; k++)
            ck_assert_msg(x[i * 3 + k] == want_e[i][k], "embedded: row %d input %d: %g", i, k,
                          x[i * 3 + k]);
    free(x);
}
END_TEST

START_TEST(test_forward_row_independent)
{
    size_t n_in = 13, h = 37, K = 3, n = 203;
    size_t np = h * n_in + h + h * h + h + K * h + K;
    float *p = malloc(np * sizeof *p), *x = malloc(n * n_in * sizeof *x);
    float *all = malloc(n * K * sizeof *all), *part = malloc(n * K * sizeof *part);
    uint64_t s = 12345;
    for (size_t i = 0; i < np; i++)
        p[i] = (float)((double)((s = s * 6364136223846793005ull + 1442695040888963407ull) >> 11) /
                           9007199254740992.0 - 0.5);
    for (size_t i = 0; i < n * n_in; i++)
        x[i] = (float)((double)((s = s * 6364136223846793005ull + 1442695040888963407ull) >> 11) /
                           9007199254740992.0 * 6 - 3);
    mlp_forward(p, n_in, h, K, 1, x, n, all);
    for (size_t i = 0; i < n; i++) {
        mlp_forward(p, n_in, h, K, 1, x + i * n_in, 1, part);
        ck_assert_msg(memcmp(part, all + i * K, K * sizeof *part) == 0, "row %zu alone", i);
    }
    for (size_t off = 1; off < 20; off++) {
        mlp_forward(p, n_in, h, K, 1, x + off * n_in, n - off, part);
        ck_assert_msg(memcmp(part, all + off * K, (n - off) * K * sizeof *part) == 0,
                      "rows from %zu", off);
    }
    for (size_t i = 0; i < n; i++)
        ck_assert(all[i * K] <= all[i * K + 1] && all[i * K + 1] <= all[i * K + 2]);
    free(p);
    free(x);
    free(all);
    free(part);
}
END_TEST

START_TEST(test_shim_adam_first_step)
{
    /* Adam's first step: m = (1-b1) g, v = (1-b2) g^2, bias-corrected
     * m / sqrt(v) = sign(g), so every weight with a nonzero gradient moves
     * by lr (up to eps / |g|) against the gradient */
    float w3[2] = {1, 1}, b3[1] = {0};
    struct fc_torch_mlp *m = tiny(NULL, 0, w3, b3);
    ck_assert_int_eq(fc_torch_mlp_set_optimizer(m, 0.01, 0), 0);
    size_t np = fc_torch_mlp_n_params(m);
    float before[32], after[32];
    ck_assert_int_eq(fc_torch_mlp_get_params(m, before), 0);
    float x[2] = {1, 2}, y[1] = {10}; /* prediction 3 < 10: loss falls as w3 grows */
    double loss;
    ck_assert_int_eq(fc_torch_mlp_step(m, x, y, NULL, 1, &loss), 0);
    ck_assert_close(loss, 49, 1e-6);
    ck_assert_int_eq(fc_torch_mlp_get_params(m, after), 0);
    /* dL/dw3 = 2 (pred - y) h = -14 * (1, 2): both rise by lr */
    ck_assert_close(after[12] - before[12], 0.01, 1e-5);
    ck_assert_close(after[13] - before[13], 0.01, 1e-5);
    ck_assert_close(after[14] - before[14], 0.01, 1e-5); /* b3 */
    /* W1's off-diagonal (1,0) has gradient dL/dh1 * x0 < 0: rises too;
     * b2 likewise; nothing moves by more than lr */
    for (size_t k = 0; k < np; k++)
        ck_assert_msg(fabsf(after[k] - before[k]) <= 0.01f + 1e-6f, "weight %zu moved %g", k,
                      after[k] - before[k]);
    fc_torch_mlp_free(m);
}
END_TEST

/* floats of a JSON array into out (n of them) */
static void floats(const cJSON *doc, const char *key, float *out, size_t n)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(doc, key);
    ck_assert_msg(cJSON_IsArray(a) && (size_t)cJSON_GetArraySize(a) == n, "fixture %s", key);
    for (size_t i = 0; i < n; i++)
        out[i] = (float)cJSON_GetArrayItem(a, (int)i)->valuedouble;
}

/* three Adam steps against torch.optim.Adam in PyTorch
 * (tests/fixtures/make_mlp_golden.py): losses, weights, outputs */
START_TEST(test_shim_against_pytorch)
{
    cJSON *doc = fc_read_json("fixtures/mlp_expected.json");
    ck_assert_ptr_nonnull(doc);
    float x[18], y[6], w[6], p1[41], p3[51];
    floats(doc, "x", x, 18);
    floats(doc, "y", y, 6);
    floats(doc, "w", w, 6);
    floats(doc, "params_k1", p1, 41);
    floats(doc, "params_k3", p3, 51);
    double levels[3] = {0.1, 0.5, 0.9};
    const char *cases[3] = {"mse", "mse_weighted", "pinball"};
    for (int c = 0; c < 3; c++) {
        int quantile = c == 2, K = quantile ? 3 : 1;
        size_t np = quantile ? 51 : 41;
        struct fc_torch_mlp *m =
            fc_torch_mlp_create(3, 4, 0.0, quantile ? levels : NULL, quantile ? 3 : 0, 1, "cpu", 0, NULL, NULL);
        ck_assert_ptr_nonnull(m);
        ck_assert_uint_eq(fc_torch_mlp_n_params(m), np);
        ck_assert_int_eq(fc_torch_mlp_set_params(m, quantile ? p3 : p1), 0);
        ck_assert_int_eq(fc_torch_mlp_set_optimizer(m, 0.05, 0.01), 0);
        const cJSON *want = cJSON_GetObjectItemCaseSensitive(doc, cases[c]);
        float losses[3], after[51], outputs[18], got[51], out[18];
        floats(want, "losses", losses, 3);
        floats(want, "params_after", after, np);
        floats(want, "outputs", outputs, 6 * (size_t)K);
        for (int st = 0; st < 3; st++) {
            double loss;
            ck_assert_int_eq(fc_torch_mlp_step(m, x, y, c == 1 ? w : NULL, 6, &loss), 0);
            /* tolerances: float rounding differs between CPUs' BLAS kernels,
             * and Adam's normalised step amplifies it for small gradients;
             * a wrong step (no bias correction, decoupled or missing weight
             * decay, ...) is off by 5e-4 or more after three steps */
            ck_assert_msg(fabs(loss - losses[st]) <= 1e-4 * fmax(1, fabs(losses[st])),
                          "%s step %d: loss %.9g, PyTorch %.9g", cases[c], st, loss, losses[st]);
        }
        ck_assert_int_eq(fc_torch_mlp_get_params(m, got), 0);
        for (size_t k = 0; k < np; k++)
            ck_assert_msg(fabsf(got[k] - after[k]) <= 1e-4f, "%s weight %zu: %.9g, PyTorch %.9g",
                          cases[c], k, got[k], after[k]);
        ck_assert_int_eq(fc_torch_mlp_predict(m, x, 6, out), 0);
        for (int i = 0; i < 6 * K; i++)
            ck_assert_msg(fabsf(out[i] - outputs[i]) <= 1e-4f, "%s output %d: %.9g, PyTorch %.9g",
                          cases[c], i, out[i], outputs[i]);
        /* the C forward pass predictions use, on PyTorch's weights */
        mlp_forward(after, 3, 4, (size_t)K, quantile, x, 6, out);
        for (int i = 0; i < 6 * K; i++)
            ck_assert_msg(fabsf(out[i] - outputs[i]) <= 1e-5f * fmaxf(1, fabsf(outputs[i])),
                          "%s: mlp_forward output %d: %.9g, PyTorch %.9g", cases[c], i, out[i],
                          outputs[i]);
        fc_torch_mlp_free(m);
    }
    cJSON_Delete(doc);
}
END_TEST

/* an embedded category against PyTorch's nn.Embedding (same fixture):
 * three Adam steps through the shim, then the C forward pass predictions
 * use (mlp_embed_inputs + mlp_forward) on PyTorch's weights */
START_TEST(test_embedding_against_pytorch)
{
    cJSON *doc = fc_read_json("fixtures/mlp_expected.json");
    ck_assert_ptr_nonnull(doc);
    float x[18], y[6], p[53], after[53], losses[3], outputs[6], got[53], out[6];
    floats(doc, "x_emb", x, 18);
    floats(doc, "y", y, 6);
    floats(doc, "params_emb", p, 53);
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(doc, "embedding");
    floats(want, "losses", losses, 3);
    floats(want, "params_after", after, 53);
    floats(want, "outputs", outputs, 6);
    int card = 3, dim = 2;
    struct fc_torch_mlp *net = fc_torch_mlp_create(3, 4, 0.0, NULL, 0, 1, "cpu", 1, &card, &dim);
    ck_assert_ptr_nonnull(net);
    ck_assert_uint_eq(fc_torch_mlp_n_params(net), 53);
    ck_assert_int_eq(fc_torch_mlp_set_params(net, p), 0);
    ck_assert_int_eq(fc_torch_mlp_set_optimizer(net, 0.05, 0.01), 0);
    for (int st = 0; st < 3; st++) {
        double loss;
        ck_assert_int_eq(fc_torch_mlp_step(net, x, y, NULL, 6, &loss), 0);
        ck_assert_msg(fabs(loss - losses[st]) <= 1e-4 * fmax(1, fabs(losses[st])),
                      "step %d: loss %.9g, PyTorch %.9g", st, loss, losses[st]);
    }
    ck_assert_int_eq(fc_torch_mlp_get_params(net, got), 0);
    for (size_t k = 0; k < 53; k++)
        ck_assert_msg(fabsf(got[k] - after[k]) <= 1e-4f, "weight %zu: %.9g, PyTorch %.9g", k,
                      got[k], after[k]);
    fc_torch_mlp_free(net);
    /* the C path: features 0, 1 numbers, 2 a category of 3 embedded in 2 */
    struct mlp m = {0};
    uint32_t cards[3] = {0, 0, 3}, emb[3] = {0, 0, 2};
    unsigned char ind[3] = {0, 0, 0};
    size_t pos[3];
    m.n_features = 3;
    m.card = cards;
    m.emb = emb;
    m.indicator = ind;
    m.pos = pos;
    m.hidden = 4;
    mlp_layout(&m);
    ck_assert_uint_eq(m.n_inputs, 3);
    ck_assert_uint_eq(m.width, 4);
    float *e = mlp_embed_inputs(&m, after, x, 6);
    ck_assert_ptr_nonnull(e);
    mlp_forward(after, m.width, 4, 1, 0, e, 6, out);
    for (int i = 0; i < 6; i++)
        ck_assert_msg(fabsf(out[i] - outputs[i]) <= 1e-5f * fmaxf(1, fabsf(outputs[i])),
                      "C forward output %d: %.9g, PyTorch %.9g", i, out[i], outputs[i]);
    free(e);
    cJSON_Delete(doc);
}
END_TEST

START_TEST(test_shim_errors_are_returns)
{
    ck_assert_ptr_null(fc_torch_mlp_create(0, 4, 0.1, NULL, 0, 1, "cpu", 0, NULL, NULL));
    ck_assert(strstr(fc_torch_last_error(), "shape") != NULL);
    /* an unknown device string throws inside libtorch */
    ck_assert_ptr_null(fc_torch_mlp_create(2, 4, 0.1, NULL, 0, 1, "gpu7", 0, NULL, NULL));
    ck_assert(strncmp(fc_torch_last_error(), "libtorch: ", 10) == 0);
    ck_assert(strchr(fc_torch_last_error(), '\n') == NULL);
    struct fc_torch_mlp *m = fc_torch_mlp_create(2, 4, 0.1, NULL, 0, 1, "cpu", 0, NULL, NULL);
    float x[2] = {0, 0}, y[1] = {0};
    double loss;
    ck_assert_int_eq(fc_torch_mlp_step(m, x, y, NULL, 1, &loss), -1); /* no optimiser */
    ck_assert(strstr(fc_torch_last_error(), "optimiser") != NULL);
    fc_torch_mlp_free(m);
    char v[64];
    fc_torch_version(v, sizeof v);
    ck_assert(strncmp(v, "libtorch 1.", 11) == 0);
}
END_TEST

/* ---- the plugins on data ---- */

static char *dir;
static struct fc_dataset *ds;

/* two series of 400 days: a = day % 20, b = day % 7 (missing every 10th
 * row), u uniform [0, 1); target column "lin" = 2a - b, "noisy" = a + 10 u */
static struct fc_dataset *load(const char *target)
{
    char *idc[] = {"product_id", "store_id"};
    char *ign[] = {target[0] == 'l' ? "noisy" : "lin"};
    char *p = fc_xasprintf("%s/d.csv", dir);
    struct fc_data_spec spec = {.path = p, .series_cols = idc, .n_series_cols = 2,
                                .date_col = "date", .target_col = (char *)target,
                                .ignore = ign, .n_ignore = 1};
    struct fc_dataset *d = fc_dataset_open(&spec, 1);
    free(p);
    ck_assert_ptr_nonnull(d);
    return d;
}

static void setup(void)
{
    dir = test_tmpdir();
    struct fc_buf b;
    fc_buf_init(&b);
    fc_buf_puts(&b, "date,product_id,store_id,lin,noisy,a,b\n");
    uint64_t s = 99;
    for (int i = 0; i < 800; i++) {
        char d[11];
        fc_format_date(16436 + i % 400, d);
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(s >> 11) / 9007199254740992.0;
        int a = i % 20, bb = (i % 400) % 7;
        if (i % 10 == 3)
            fc_buf_printf(&b, "%s,P,%d,%d,%.6f,%d,\n", d, i / 400, 2 * a - bb, a + 10 * u, a);
        else
            fc_buf_printf(&b, "%s,P,%d,%d,%.6f,%d,%d\n", d, i / 400, 2 * a - bb, a + 10 * u,
                          a, bb);
    }
    free(test_write(dir, "d.csv", b.s));
    fc_buf_free(&b);
    ds = load("lin");
}

static void teardown(void)
{
    fc_dataset_free(ds);
    test_rmtree(dir);
    free(dir);
}

/* rows 0..n-1 with every 8th row held out for validation */
static void rows_of(const struct fc_dataset *d, uint32_t **fit, size_t *nf, uint32_t **val,
                    size_t *nv)
{
    *fit = malloc(d->n_rows * sizeof **fit);
    *val = malloc(d->n_rows * sizeof **val);
    *nf = *nv = 0;
    for (size_t i = 0; i < d->n_rows; i++) {
        if (i % 8 == 7)
            (*val)[(*nv)++] = (uint32_t)i;
        else
            (*fit)[(*nf)++] = (uint32_t)i;
    }
}

START_TEST(test_scaler_by_hand)
{
    const struct fc_model_ops *ops = fc_registry_find("mlp_standard");
    struct fc_params p = test_params(ops, "{\"max_epochs\": 1, \"threads\": 1}");
    struct fc_model_ctx ctx = {NULL, 0, 7, 1};
    struct mlp *m = ops->create(&p, &ctx);
    /* rows 0..6 of series P:0: a = 0..6; b = 0,1,2,missing,4,5,6; lin = 2a - b */
    uint32_t rows[7] = {0, 1, 2, 3, 4, 5, 6};
    struct fc_fit_input in = {ds, rows, 7, NULL, 0};
    ck_assert_int_eq(ops->fit(m, &in), 0);
    ck_assert_uint_eq(m->n_features, 2);
    ck_assert_str_eq(m->names[0], "a");
    ck_assert_close(m->mean[0], 3, 1e-12);
    ck_assert_close(m->sd[0], 2, 1e-12); /* population sd of 0..6 */
    ck_assert_close(m->mean[1], 18.0 / 6, 1e-12); /* 0+1+2+4+5+6 */
    ck_assert_close(m->sd[1], sqrt((9 + 4 + 1 + 1 + 4 + 9) / 6.0), 1e-12);
    ck_assert(!m->indicator[0] && m->indicator[1]);
    ck_assert_uint_eq(m->n_inputs, 3);
    /* lin = 2a - b = 0..6 (the file has b = 3's target on the missing row) */
    double y[7] = {0, 1, 2, 3, 4, 5, 6}, mu = 3, ss = 0;
    for (int i = 0; i < 7; i++)
        ss += (y[i] - mu) * (y[i] - mu);
    ck_assert_close(m->y_mean, mu, 1e-12);
    ck_assert_close(m->y_sd, sqrt(ss / 7), 1e-12);
    float *x = mlp_inputs(m, ds, rows, 7);
    ck_assert_close(x[0 * 3 + 0], -1.5, 1e-6);
    ck_assert_close(x[3 * 3 + 1], 0, 0);  /* missing -> the mean -> 0 */
    ck_assert_close(x[3 * 3 + 2], 1, 0);  /* its indicator */
    ck_assert_close(x[4 * 3 + 1], (4 - 3) / sqrt(28 / 6.0), 1e-6);
    ck_assert_close(x[4 * 3 + 2], 0, 0);
    free(x);
    ops->free(m);
    fc_params_free(&p);
}
END_TEST

static double rmse_of(const struct fc_model_ops *ops, void *m, const uint32_t *rows, size_t n,
                      float *out_copy)
{
    struct fc_pred pr;
    fc_pred_alloc(&pr, n, 0, 1);
    ck_assert_int_eq(ops->predict(m, ds, rows, n, &pr), 0);
    double ss = 0;
    for (size_t i = 0; i < n; i++) {
        double d = pr.point[i] - ds->target[rows[i]];
        ss += d * d;
    }
    if (out_copy)
        memcpy(out_copy, pr.point, n * sizeof *out_copy);
    fc_pred_free(&pr);
    return sqrt(ss / (double)n);
}

START_TEST(test_standard_learns_and_is_deterministic)
{
    const struct fc_model_ops *ops = fc_registry_find("mlp_standard");
    struct fc_params p = test_params(ops, "{\"max_epochs\": 150, \"patience\": 30, "
                                         "\"dropout\": 0, \"learning_rate\": 0.01, "
                                         "\"batch_size\": 64}");
    struct fc_model_ctx ctx = {NULL, 0, 7, 1};
    uint32_t *fit, *val;
    size_t nf, nv;
    rows_of(ds, &fit, &nf, &val, &nv);
    struct fc_fit_input in = {ds, fit, nf, val, nv};
    float *p1 = malloc(nv * sizeof *p1), *p2 = malloc(nv * sizeof *p2);
    void *m = ops->create(&p, &ctx);
    ck_assert_int_eq(ops->fit(m, &in), 0);
    /* the target's sd is about 12; on rows with b present the relation is
     * exact and a network this size gets well under 0.5; where b is
     * missing, 2a - b cannot be known better than b's sd (2) */
    rmse_of(ops, m, val, nv, p1);
    double ss = 0;
    size_t k = 0;
    for (size_t i = 0; i < nv; i++)
        if (!isnan(ds->features[1][val[i]])) {
            double d = p1[i] - ds->target[val[i]];
            ss += d * d;
            k++;
        }
    ck_assert_uint_ge(k, 80); /* 100 validation rows, 20 without b */
    ck_assert_msg(sqrt(ss / (double)k) < 0.5, "validation RMSE %g", sqrt(ss / (double)k));
    /* a row's prediction does not depend on the rows predicted with it
     * (with libtorch's GEMM it did, on OpenBLAS's Haswell kernel): each
     * validation row alone, and all of them after 1..9 fit rows */
    for (size_t i = 0; i < nv; i++) {
        float one;
        rmse_of(ops, m, val + i, 1, &one);
        ck_assert_msg(memcmp(&one, p1 + i, sizeof one) == 0, "row %zu alone: %.9g vs %.9g", i,
                      one, p1[i]);
    }
    for (size_t before = 1; before < 10; before++) {
        uint32_t *mix = malloc((before + nv) * sizeof *mix);
        float *pm = malloc((before + nv) * sizeof *pm);
        memcpy(mix, fit, before * sizeof *mix);
        memcpy(mix + before, val, nv * sizeof *mix);
        rmse_of(ops, m, mix, before + nv, pm);
        ck_assert_msg(memcmp(pm + before, p1, nv * sizeof *pm) == 0,
                      "validation rows after %zu others", before);
        free(mix);
        free(pm);
    }
    char *mdir = fc_xasprintf("%s/m", dir);
    ck_assert_int_eq(fc_mkdir_p(mdir), 0);
    ck_assert_int_eq(ops->save(m, mdir), 0);
    ops->free(m);

    m = ops->create(&p, &ctx); /* same seed: identical */
    ck_assert_int_eq(ops->fit(m, &in), 0);
    rmse_of(ops, m, val, nv, p2);
    ck_assert_mem_eq(p1, p2, nv * sizeof *p1);
    ops->free(m);

    m = ops->load(mdir, &p, &ctx); /* saved and loaded: identical */
    ck_assert_ptr_nonnull(m);
    rmse_of(ops, m, val, nv, p2);
    ck_assert_mem_eq(p1, p2, nv * sizeof *p1);
    ops->free(m);

    struct fc_model_ctx other = {NULL, 0, 8, 1}; /* another seed: different */
    m = ops->create(&p, &other);
    ck_assert_int_eq(ops->fit(m, &in), 0);
    rmse_of(ops, m, val, nv, p2);
    ck_assert(memcmp(p1, p2, nv * sizeof *p1) != 0);
    ops->free(m);

    /* damaged files: a truncated weights.bin, a meta.json of another shape */
    char *w = fc_xasprintf("%s/weights.bin", mdir);
    size_t len;
    char *buf = fc_read_file(w, &len);
    FILE *f = fopen(w, "wb");
    fwrite(buf, 1, len - 4, f);
    fclose(f);
    ck_assert_ptr_null(ops->load(mdir, &p, &ctx));
    ck_assert(strstr(fc_last_error, "weights.bin") != NULL);
    f = fopen(w, "wb");
    fwrite(buf, 1, len, f);
    fclose(f);
    char *meta = fc_xasprintf("%s/meta.json", mdir);
    cJSON *j = fc_read_json(meta);
    cJSON_ReplaceItemInObject(j, "hidden_size", cJSON_CreateNumber(32));
    ck_assert_int_eq(fc_write_json(meta, j), 0);
    ck_assert_ptr_null(ops->load(mdir, &p, &ctx));
    ck_assert(strstr(fc_last_error, "does not match meta.json") != NULL);
    cJSON_Delete(j);
    free(buf);
    free(w);
    free(meta);
    free(mdir);
    free(p1);
    free(p2);
    free(fit);
    free(val);
    fc_params_free(&p);
}
END_TEST

START_TEST(test_quantile_monotone_and_covers)
{
    fc_dataset_free(ds);
    ds = load("noisy"); /* y = a + 10u: the level-q quantile is a + 10q */
    const struct fc_model_ops *ops = fc_registry_find("mlp_quantile");
    struct fc_params p = test_params(ops, "{\"max_epochs\": 150, \"patience\": 30, "
                                         "\"learning_rate\": 0.005, \"batch_size\": 64, "
                                         "\"dropout\": 0}");
    double lv[3] = {0.1, 0.5, 0.9};
    struct fc_model_ctx ctx = {lv, 3, 3, 1};
    uint32_t *fit, *val;
    size_t nf, nv;
    rows_of(ds, &fit, &nf, &val, &nv);
    struct fc_fit_input in = {ds, fit, nf, val, nv};
    void *m = ops->create(&p, &ctx);
    ck_assert_int_eq(ops->fit(m, &in), 0);
    struct fc_pred pr;
    fc_pred_alloc(&pr, nf, 3, 0);
    ck_assert_int_eq(ops->predict(m, ds, fit, nf, &pr), 0);
    size_t below[3] = {0, 0, 0};
    double err[3] = {0, 0, 0};
    for (size_t i = 0; i < nf; i++) {
        double a = ds->features[0][fit[i]], y = ds->target[fit[i]];
        for (int k = 0; k < 3; k++) {
            float q = pr.q[i * 3 + k];
            if (k)
                ck_assert_msg(q >= pr.q[i * 3 + k - 1], "row %zu: quantiles cross", i);
            below[k] += y <= q;
            err[k] += fabs(q - (a + 10 * lv[k]));
        }
    }
    for (int k = 0; k < 3; k++) {
        double cover = (double)below[k] / (double)nf;
        /* over seeds 101-109 the worst was 0.054 off and a mean error of
         * 0.82: seeds (and CPUs' rounding) change the trajectory */
        ck_assert_msg(fabs(cover - lv[k]) < 0.08, "level %g: coverage %g", lv[k], cover);
        ck_assert_msg(err[k] / (double)nf < 1.2, "level %g: mean error %g", lv[k],
                      err[k] / (double)nf);
    }
    fc_pred_free(&pr);
    /* a model trained for 0.1/0.5/0.9 does not load for other levels */
    char *mdir = fc_xasprintf("%s/q", dir);
    ck_assert_int_eq(fc_mkdir_p(mdir), 0);
    ck_assert_int_eq(ops->save(m, mdir), 0);
    double lv2[3] = {0.1, 0.5, 0.95};
    struct fc_model_ctx ctx2 = {lv2, 3, 3, 1};
    ck_assert_ptr_null(ops->load(mdir, &p, &ctx2));
    ck_assert(strstr(fc_last_error, "levels") != NULL);
    void *back = ops->load(mdir, &p, &ctx);
    ck_assert_ptr_nonnull(back);
    ops->free(back);
    ops->free(m);
    free(mdir);
    free(fit);
    free(val);
    fc_params_free(&p);
}
END_TEST

START_TEST(test_weights_in_the_loss)
{
    /* one constant feature; targets alternate 0 (weight 3) and 4 (weight
     * 1): the weighted squared error is least at the weighted mean
     * (3*0 + 1*4) / 4 = 1, the unweighted at 2 */
    struct fc_buf b;
    fc_buf_init(&b);
    fc_buf_puts(&b, "date,product_id,store_id,y,w,x\n");
    for (int i = 0; i < 400; i++) {
        char d[11];
        fc_format_date(16436 + i, d);
        fc_buf_printf(&b, "%s,P,0,%d,%d,1\n", d, i % 2 ? 4 : 0, i % 2 ? 1 : 3);
    }
    free(test_write(dir, "w.csv", b.s));
    fc_buf_free(&b);
    char *idc[] = {"product_id", "store_id"};
    char *p = fc_xasprintf("%s/w.csv", dir);
    const struct fc_model_ops *ops = fc_registry_find("mlp_standard");
    struct fc_params par = test_params(ops, "{\"max_epochs\": 40, \"dropout\": 0, "
                                           "\"learning_rate\": 0.01, \"batch_size\": 40}");
    struct fc_model_ctx ctx = {NULL, 0, 5, 1};
    for (int weighted = 0; weighted < 2; weighted++) {
        struct fc_data_spec spec = {.path = p, .series_cols = idc, .n_series_cols = 2,
                                    .date_col = "date", .target_col = "y",
                                    .weight_col = weighted ? "w" : NULL, .cache = 0};
        char *ign[] = {"w"};
        if (!weighted) {
            spec.ignore = ign;
            spec.n_ignore = 1;
        }
        struct fc_dataset *d = fc_dataset_open(&spec, 1);
        ck_assert_ptr_nonnull(d);
        uint32_t *rows = malloc(d->n_rows * sizeof *rows);
        for (size_t i = 0; i < d->n_rows; i++)
            rows[i] = (uint32_t)i;
        struct fc_fit_input in = {d, rows, d->n_rows, NULL, 0};
        void *m = ops->create(&par, &ctx);
        ck_assert_int_eq(ops->fit(m, &in), 0);
        struct fc_pred pr;
        fc_pred_alloc(&pr, 1, 0, 1);
        ck_assert_int_eq(ops->predict(m, d, rows, 1, &pr), 0);
        ck_assert_msg(fabs(pr.point[0] - (weighted ? 1.0 : 2.0)) < 0.1,
                      "weighted %d: prediction %g", weighted, pr.point[0]);
        fc_pred_free(&pr);
        ops->free(m);
        free(rows);
        fc_dataset_free(d);
    }
    free(p);
    fc_params_free(&par);
}
END_TEST

START_TEST(test_cuda_refused_without_cuda)
{
    const struct fc_model_ops *ops = fc_registry_find("mlp_standard");
    cJSON *models = cJSON_Parse("{\"mlp_standard\": {\"device\": \"cuda\"}}");
    struct fc_params p;
    ck_assert_int_eq(fc_torch_cuda_available(), 0); /* Debian's libtorch is CPU-only */
    ck_assert_int_eq(fc_config_model_params(models, ops, "cfg.json", &p), -1);
    ck_assert_msg(strstr(fc_last_error, "models.mlp_standard.device") &&
                      strstr(fc_last_error, "CUDA"),
                  "%s", fc_last_error);
    cJSON_Delete(models);
}
END_TEST

Suite *suite_mlp(void)
{
    Suite *s = suite_create("mlp");
    /* tagged: make check-asan runs these in a process of their own */
    TCase *t = tcase_create("shim");
    tcase_set_tags(t, "libtorch");
    tcase_add_test(t, test_shim_forward_and_losses);
    tcase_add_test(t, test_forward_by_hand);
    tcase_add_test(t, test_inputs_one_hot);
    tcase_add_test(t, test_forward_row_independent);
    tcase_add_test(t, test_shim_adam_first_step);
    tcase_add_test(t, test_shim_against_pytorch);
    tcase_add_test(t, test_embedding_against_pytorch);
    tcase_add_test(t, test_shim_errors_are_returns);
    suite_add_tcase(s, t);
    t = tcase_create("plugins");
    tcase_set_tags(t, "libtorch");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 300);
    tcase_add_test(t, test_scaler_by_hand);
    tcase_add_test(t, test_standard_learns_and_is_deterministic);
    tcase_add_test(t, test_quantile_monotone_and_covers);
    tcase_add_test(t, test_weights_in_the_loss);
    tcase_add_test(t, test_cuda_refused_without_cuda);
    suite_add_tcase(s, t);
    return s;
}

/*
 * xgboost.c — the two XGBoost plugins on data whose answer is known:
 *   - y = 3x (x = 0..19, no noise): xgboost_standard fits it to within 2%;
 *   - y = x + u, u uniform on [0, 10): the level-a quantile is x + 10a, so
 *     xgboost_quantile's training coverage of each level is close to a and
 *     its predictions close to x + 10a;
 * and save / load giving identical predictions, damaged model files refused.
 * Quantiles are scored on the second series: the same x with fresh noise.
 * The cross-checks against python3-xgboost and sklearn are in tests/peers.sh.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/config.h"
#include "forecast/data/cache.h"
#include "forecast/data/dataset.h"
#include "forecast/core/registry.h"
#include "forecast/core/util.h"
#include "test.h"
#include "xgboost_common.h"

#include <pthread.h>

static char *dir;
static struct fc_dataset *ds;

/* series A:0 and A:1, 400 days each, x = day % 20, target x + u */
static void setup(void)
{
    dir = test_tmpdir();
    struct fc_buf b;
    fc_buf_init(&b);
    fc_buf_puts(&b, "date,product_id,store_id,sales,x\n");
    uint64_t s = 12345;
    for (int i = 0; i < 800; i++) {
        char d[11];
        fc_format_date(16436 + i % 400, d);
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(s >> 11) / 9007199254740992.0 * 10.0;
        int x = i % 20;
        fc_buf_printf(&b, "%s,A,%d,%.6f,%d\n", d, i / 400, x + u, x);
    }
    ds = test_load(dir, "u.csv", b.s);
    fc_buf_free(&b);
}

static void teardown(void)
{
    fc_dataset_free(ds);
    test_rmtree(dir);
    free(dir);
}

static uint32_t *all_rows(size_t *n)
{
    *n = ds->n_rows;
    uint32_t *rows = malloc(*n * sizeof *rows);
    for (size_t i = 0; i < *n; i++)
        rows[i] = (uint32_t)i;
    return rows;
}

START_TEST(test_standard_fits_and_roundtrips)
{
    const struct fc_model_ops *ops = fc_registry_find("xgboost_standard");
    /* the noisy target is fine for the structure; use y = 3x on a copy */
    float *saved = malloc(ds->n_rows * sizeof *saved);
    memcpy(saved, ds->target, ds->n_rows * sizeof *saved);
    for (size_t i = 0; i < ds->n_rows; i++)
        ds->target[i] = 3.0f * ds->features[0][i];
    struct fc_params p = test_params(ops, "{\"n_estimators\": 300, \"learning_rate\": 0.3, "
                                         "\"subsample\": 1, \"colsample_bytree\": 1, "
                                         "\"early_stopping_rounds\": 0, \"nthread\": 1}");
    struct fc_model_ctx ctx = {NULL, 0, 1, 1};
    void *m = ops->create(&p, &ctx);
    size_t n;
    uint32_t *rows = all_rows(&n);
    struct fc_fit_input in = {ds, rows, n, NULL, 0};
    ck_assert_int_eq(ops->fit(m, &in), 0);
    struct fc_pred a, b;
    fc_pred_alloc(&a, n, 0, 1);
    fc_pred_alloc(&b, n, 0, 1);
    ck_assert_int_eq(ops->predict(m, ds, rows, n, &a), 0);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(fabs(a.point[i] - ds->target[i]) <= 0.02 * ds->target[i] + 0.5,
                      "row %zu: predicted %g for %g", i, a.point[i], ds->target[i]);
    ck_assert_int_eq(ops->save(m, dir), 0);
    void *m2 = ops->load(dir, &p, &ctx);
    ck_assert_ptr_nonnull(m2);
    ck_assert_int_eq(ops->predict(m2, ds, rows, n, &b), 0);
    ck_assert_mem_eq(a.point, b.point, n * sizeof *a.point);
    ops->free(m2);
    /* garbage where the model was: refused with a message, no crash */
    free(test_write(dir, "model.ubj", "not a model"));
    ck_assert_ptr_null(ops->load(dir, &p, &ctx));
    ck_assert(strstr(fc_last_error, "model.ubj") != NULL);
    fc_pred_free(&a);
    fc_pred_free(&b);
    ops->free(m);
    fc_params_free(&p);
    memcpy(ds->target, saved, ds->n_rows * sizeof *saved);
    free(saved);
    free(rows);
}
END_TEST

START_TEST(test_standard_early_stopping)
{
    const struct fc_model_ops *ops = fc_registry_find("xgboost_standard");
    struct fc_params p = test_params(ops, "{\"n_estimators\": 2000, \"learning_rate\": 0.3, "
                                         "\"early_stopping_rounds\": 5, \"nthread\": 1}");
    struct fc_model_ctx ctx = {NULL, 0, 1, 1};
    void *m = ops->create(&p, &ctx);
    size_t n;
    uint32_t *rows = all_rows(&n);
    /* fit on the first series, validate on the second (same x, new noise) */
    struct fc_fit_input in = {ds, rows, 400, rows + 400, 400};
    ck_assert_int_eq(ops->fit(m, &in), 0);
    ck_assert_int_eq(ops->save(m, dir), 0);
    char *path = fc_xasprintf("%s/meta.json", dir);
    size_t len;
    char *meta = fc_read_file(path, &len);
    /* the noise cannot be learned: it stops long before 2000 rounds */
    char *bi = strstr(meta, "\"best_iteration\":");
    ck_assert_ptr_nonnull(bi);
    long best = strtol(bi + strlen("\"best_iteration\":"), NULL, 10);
    ck_assert_int_lt(best, 200);
    char *tr = strstr(meta, "\"trees\":");
    ck_assert_int_eq(strtol(tr + strlen("\"trees\":"), NULL, 10), best + 1);
    free(meta);
    free(path);
    ops->free(m);
    fc_params_free(&p);
    free(rows);
}
END_TEST

static void quantile_run(int refit, const char *level_model, double *coverage, double *mean_err)
{
    const struct fc_model_ops *ops = fc_registry_find("xgboost_quantile");
    static const double levels[] = {0.1, 0.5, 0.9};
    char *json = fc_xasprintf("{\"n_estimators\": 100, \"learning_rate\": 0.1, \"max_depth\": 3, "
                              "\"early_stopping_rounds\": 0, \"nthread\": 1, "
                              "\"subsample\": 1, \"leaf_refit\": %s, \"level_model\": \"%s\"}",
                              refit ? "true" : "false", level_model);
    struct fc_params p = test_params(ops, json);
    free(json);
    struct fc_model_ctx ctx = {levels, 3, 7, 1};
    void *m = ops->create(&p, &ctx);
    size_t n;
    uint32_t *rows = all_rows(&n);
    struct fc_fit_input in = {ds, rows, 400, NULL, 0};
    ck_assert_int_eq(ops->fit(m, &in), 0);
    struct fc_pred a;
    fc_pred_alloc(&a, n, 3, 0);
    ck_assert_int_eq(ops->predict(m, ds, rows, n, &a), 0);
    for (int j = 0; j < 3; j++) {
        size_t below = 0;
        double err = 0;
        for (size_t i = 400; i < n; i++) { /* held out: A:1 */
            below += ds->target[i] <= a.q[i * 3 + j];
            err += fabs(a.q[i * 3 + j] - (ds->features[0][i] + 10 * levels[j]));
        }
        coverage[j] = (double)below / 400.0;
        mean_err[j] = err / 400.0;
    }
    if (refit) {
        /* saved and loaded: the same quantiles */
        ck_assert_int_eq(ops->save(m, dir), 0);
        void *m2 = ops->load(dir, &p, &ctx);
        ck_assert_ptr_nonnull(m2);
        struct fc_pred b;
        fc_pred_alloc(&b, n, 3, 0);
        ck_assert_int_eq(ops->predict(m2, ds, rows, n, &b), 0);
        ck_assert_mem_eq(a.q, b.q, n * 3 * sizeof *a.q);
        fc_pred_free(&b);
        ops->free(m2);
    }
    fc_pred_free(&a);
    ops->free(m);
    fc_params_free(&p);
    free(rows);
}

START_TEST(test_quantile_reaches_nominal_coverage)
{
    double cov[3], err[3];
    const double levels[] = {0.1, 0.5, 0.9};
    for (int k = 0; k < 2; k++) {
        quantile_run(1, k ? "independent" : "median_offsets", cov, err);
        for (int j = 0; j < 3; j++) {
            /* 20 training rows per x: the sampling error of a 10% / 90%
             * quantile of U(0, 10) is about 0.7, hence the margins */
            ck_assert_msg(fabs(cov[j] - levels[j]) <= 0.08, "k %d level %g: coverage %g", k,
                          levels[j], cov[j]);
            ck_assert_msg(err[j] < 1.0, "k %d level %g: mean distance to x + 10a is %g", k,
                          levels[j], err[j]);
        }
    }
    /* the Newton step alone (no leaf refit) is far off after the same 100
     * rounds at the outer levels of independent levels: what the refit is
     * for */
    double cov0[3], err0[3];
    quantile_run(0, "independent", cov0, err0);
    ck_assert_msg(err0[0] > 3 && err0[2] > 3, "without refit: %g / %g", err0[0], err0[2]);
}
END_TEST

/* ---- xgb_group_quantiles: every worker's values together ---- */

/* two "workers" as threads of this process: a sum or max is both threads'
 * vectors combined, exchanged at a barrier */
static pthread_barrier_t bar;
static double *slot[2];
static _Thread_local int me;

static int reduce(double *v, size_t n, int max)
{
    slot[me] = v;
    pthread_barrier_wait(&bar);
    double *other = slot[1 - me];
    double *mine = xmalloc((n ? n : 1) * sizeof *mine);
    for (size_t i = 0; i < n; i++)
        mine[i] = max ? (v[i] > other[i] ? v[i] : other[i]) : v[i] + other[i];
    pthread_barrier_wait(&bar); /* both have read the other's */
    memcpy(v, mine, n * sizeof *v);
    free(mine);
    return 0;
}
static int two_sum(double *v, size_t n) { return reduce(v, n, 0); }
static int two_max(double *v, size_t n) { return reduce(v, n, 1); }
static int one_sum(double *v, size_t n) { (void)v; (void)n; return 0; }
static const struct fc_model_collective two = {two_sum, two_max}, one = {one_sum, one_sum};

struct half {
    int id;
    double *v, *w; /* this worker's values of the K groups */
    size_t start[5];
    double alpha, out[4];
    int weighted;
};

static void *half_main(void *arg)
{
    struct half *h = arg;
    me = h->id;
    xgb_group_quantiles(&two, h->v, h->weighted ? h->w : NULL, h->start, 4, h->alpha, h->out);
    return NULL;
}

START_TEST(test_group_quantiles_over_workers)
{
    /* 4 groups: 37 values with ties and negatives, 1 value, none, 12; split
     * between two workers unevenly (group 1 only on worker 1) */
    uint64_t r = 7;
    size_t sizes[4] = {37, 1, 0, 12};
    double all_v[50], all_w[50];
    int owner[50];
    for (int i = 0; i < 50; i++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        all_v[i] = (double)((int)(r >> 33) % 21 - 7) * 0.5; /* ties */
        all_w[i] = 0.25 + (double)((r >> 20) % 8);
        owner[i] = (int)((r >> 40) % 3 == 0);
    }
    owner[37] = 1;
    for (int weighted = 0; weighted < 2; weighted++)
        for (double alpha = 0.05; alpha < 1; alpha += 0.15) {
            struct half h[2] = {{0}, {0}};
            for (int t = 0; t < 2; t++) {
                h[t].id = t;
                h[t].v = xmalloc(50 * sizeof(double));
                h[t].w = xmalloc(50 * sizeof(double));
                h[t].alpha = alpha;
                h[t].weighted = weighted;
            }
            size_t at = 0;
            for (int k = 0; k < 4; k++) {
                for (int t = 0; t < 2; t++)
                    h[t].start[k] = h[t].start[4];
                for (size_t i = 0; i < sizes[k]; i++, at++) {
                    struct half *o = &h[owner[at]];
                    o->v[o->start[4]] = all_v[at];
                    o->w[o->start[4]++] = all_w[at];
                }
            }
            pthread_barrier_init(&bar, NULL, 2);
            pthread_t th[2];
            for (int t = 0; t < 2; t++)
                pthread_create(&th[t], NULL, half_main, &h[t]);
            for (int t = 0; t < 2; t++)
                pthread_join(th[t], NULL);
            pthread_barrier_destroy(&bar);
            at = 0;
            for (int k = 0; k < 4; k++) {
                double v[50], w[50];
                for (size_t i = 0; i < sizes[k]; i++) {
                    v[i] = all_v[at + i];
                    w[i] = all_w[at + i];
                }
                at += sizes[k];
                if (sizes[k] == 0) {
                    ck_assert(isnan(h[0].out[k]) && isnan(h[1].out[k]));
                    continue;
                }
                double want = xgb_weighted_quantile(v, weighted ? w : NULL, sizes[k], alpha);
                /* the weighted sums are added in another order: equal here, as the
                 * weights are multiples of 0.25 */
                ck_assert_msg(h[0].out[k] == want && h[1].out[k] == want,
                              "group %d alpha %g weighted %d: %.17g / %.17g, want %.17g", k,
                              alpha, weighted, h[0].out[k], h[1].out[k], want);
            }
            for (int t = 0; t < 2; t++) {
                free(h[t].v);
                free(h[t].w);
            }
        }
    /* one worker: what xgb_weighted_quantile gives, bit for bit */
    double v[37], w[37], v2[37], w2[37], out;
    for (int i = 0; i < 37; i++) {
        v[i] = v2[i] = all_v[i] * 1.1 + 0.3;
        w[i] = w2[i] = all_w[i] / 3;
    }
    size_t st[2] = {0, 37};
    ck_assert_int_eq(xgb_group_quantiles(&one, v, NULL, st, 1, 0.37, &out), 0);
    ck_assert(out == xgb_weighted_quantile(v2, NULL, 37, 0.37));
    for (int i = 0; i < 37; i++) {
        v[i] = v2[i] = all_v[i] * 1.1 + 0.3;
    }
    ck_assert_int_eq(xgb_group_quantiles(&one, v, w, st, 1, 0.8, &out), 0);
    ck_assert(out == xgb_weighted_quantile(v2, w2, 37, 0.8));
}
END_TEST

Suite *suite_xgboost(void)
{
    Suite *s = suite_create("xgboost");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_standard_fits_and_roundtrips);
    tcase_add_test(tc, test_standard_early_stopping);
    tcase_add_test(tc, test_quantile_reaches_nominal_coverage);
    tcase_add_test(tc, test_group_quantiles_over_workers);
    suite_add_tcase(s, tc);
    return s;
}

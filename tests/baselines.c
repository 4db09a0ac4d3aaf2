/*
 * baselines.c — seasonal_naive, croston and tsb against values worked out
 * by hand (in the comments) on a daily series from Monday 2015-01-05:
 *   y = 0 3 0 0 5 0 0 | 2 0 0 4 0 0 1
 * Quantile levels 0.1 / 0.5 / 0.9 of the residuals, linear interpolation
 * (numpy's default): q_a(x) = x[lo] + (h - lo)(x[lo + 1] - x[lo]), h = a(n - 1).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "forecast/core/registry.h"
#include "forecast/data/cache.h"
#include "forecast/core/util.h"
#include "forecast/data/dataset.h"
#include "test.h"

static char *dir;
static struct fc_dataset *ds;
static const double levels[] = {0.1, 0.5, 0.9};
static const int y[] = {0, 3, 0, 0, 5, 0, 0, 2, 0, 0, 4, 0, 0, 1};

/* series A:S, the 14 days above then 8 more (the test rows, target 9) */
static void setup(void)
{
    dir = test_tmpdir();
    struct fc_buf b;
    fc_buf_init(&b);
    fc_buf_puts(&b, "date,product_id,store_id,sales\n");
    for (int d = 0; d < 22; d++) {
        char day[11];
        fc_format_date(16440 + d, day); /* 2015-01-05 */
        fc_buf_printf(&b, "%s,A,S,%d\n", day, d < 14 ? y[d] : 9);
    }
    ds = test_load(dir, "s.csv", b.s);
    fc_buf_free(&b);
}

static void teardown(void)
{
    fc_dataset_free(ds);
    test_rmtree(dir);
    free(dir);
}

/* model name fitted on the first n_train days, then the predictions of the
 * 8 test days (point, q0.1, q0.5, q0.9 per row into out[8][4]); saved and
 * loaded back, the loaded model predicts the same */
static void run(const char *name, const char *json, size_t n_train, double out[8][4])
{
    const struct fc_model_ops *ops = fc_registry_find(name);
    ck_assert_ptr_nonnull(ops);
    struct fc_params p = test_params(ops, json);
    struct fc_model_ctx ctx = {levels, 3, 1, 1, 0, ""};
    void *m = ops->create(&p, &ctx);
    uint32_t rows[22];
    for (uint32_t i = 0; i < 22; i++)
        rows[i] = i;
    struct fc_fit_input in = {ds, rows, n_train, NULL, 0};
    ck_assert_int_eq(ops->fit(m, &in), 0);
    struct fc_pred a, b;
    fc_pred_alloc(&a, 8, 3, 1);
    fc_pred_alloc(&b, 8, 3, 1);
    ck_assert_int_eq(ops->predict(m, ds, rows + 14, 8, &a), 0);
    static int calls;
    char *md = fc_xasprintf("%s/%s-%d", dir, name, calls++);
    ck_assert_int_eq(mkdir(md, 0755), 0);
    ck_assert_int_eq(ops->save(m, md), 0);
    void *m2 = ops->load(md, &p, &ctx);
    ck_assert_ptr_nonnull(m2);
    ck_assert_int_eq(ops->predict(m2, ds, rows + 14, 8, &b), 0);
    ck_assert_mem_eq(a.point, b.point, 8 * sizeof *a.point);
    ck_assert_mem_eq(a.q, b.q, 24 * sizeof *a.q);
    for (int i = 0; i < 8; i++) {
        out[i][0] = a.point[i];
        for (int j = 0; j < 3; j++)
            out[i][j + 1] = a.q[i * 3 + j];
    }
    ops->free(m2);
    ops->free(m);
    fc_pred_free(&a);
    fc_pred_free(&b);
    fc_params_free(&p);
    free(md);
}

START_TEST(test_seasonal_naive)
{
    /* the last season (days 8-14): 2 0 0 4 0 0 1, repeated; residuals
     * y[t] - y[t-7], t = 8..14: 2 -3 0 4 -5 0 1, sorted -5 -3 0 0 1 2 4:
     * q0.1 = -5 + 0.6 * 2 = -3.8, q0.5 = 0, q0.9 = 2 + 0.4 * 2 = 2.8 */
    double o[8][4];
    run("seasonal_naive", "{}", 14, o);
    const double want[8] = {2, 0, 0, 4, 0, 0, 1, 2};
    for (int i = 0; i < 8; i++) {
        ck_assert_close(o[i][0], want[i], 1e-6);
        ck_assert_close(o[i][1], want[i] - 3.8, 1e-6);
        ck_assert_close(o[i][2], want[i], 1e-6);
        ck_assert_close(o[i][3], want[i] + 2.8, 1e-6);
    }
    /* a season of 2: the last two days (0, 1), phase from day 13 */
    run("seasonal_naive", "{\"season\": 2}", 14, o);
    ck_assert_close(o[0][0], 0, 1e-6);
    ck_assert_close(o[1][0], 1, 1e-6);
    ck_assert_close(o[2][0], 0, 1e-6);
}
END_TEST

START_TEST(test_croston)
{
    /* the first 8 days, alpha 0.5: demand 3 at t1 (size 3, interval 1),
     * 5 at t4 (size 4, interval 1 + .5(3 - 1) = 2), 2 at t7 (size 3,
     * interval 2.5): forecast 3 / 2.5 = 1.2; one-step forecasts 3 3 3 2 2 2
     * for t2..t7, residuals -3 -3 2 -2 -2 0, sorted -3 -3 -2 -2 0 2:
     * q0.1 = -3, q0.5 = -2, q0.9 = 0 + .5 * 2 = 1 */
    double o[8][4];
    run("croston", "{\"alpha\": 0.5}", 8, o);
    for (int i = 0; i < 8; i++) {
        ck_assert_close(o[i][0], 1.2, 1e-6);
        ck_assert_close(o[i][1], 1.2 - 3, 1e-6);
        ck_assert_close(o[i][2], 1.2 - 2, 1e-6);
        ck_assert_close(o[i][3], 1.2 + 1, 1e-6);
    }
    /* SBA: 1.2 x (1 - 0.25) = 0.9 */
    run("croston", "{\"alpha\": 0.5, \"variant\": \"sba\"}", 8, o);
    ck_assert_close(o[0][0], 0.9, 1e-6);
}
END_TEST

START_TEST(test_tsb)
{
    /* the first 8 days, alpha = beta = 0.5: probability 0, .5, .25, .125,
     * .5625, .28125, .140625, .5703125; size 3 (t1), 4 (t4), 3 (t7):
     * forecast .5703125 x 3 = 1.7109375; residuals (t2..t7) -1.5 -.75 4.625
     * -2.25 -1.125 1.4375, sorted -2.25 -1.5 -1.125 -.75 1.4375 4.625:
     * q0.5 = -1.125 + .5 x .375 = -.9375, q0.1 = -2.25 + .5 x .75 = -1.875 */
    double o[8][4];
    run("tsb", "{\"alpha\": 0.5, \"beta\": 0.5}", 8, o);
    ck_assert_close(o[3][0], 1.7109375, 1e-6);
    ck_assert_close(o[3][1], 1.7109375 - 1.875, 1e-6);
    ck_assert_close(o[3][2], 1.7109375 - 0.9375, 1e-6);
}
END_TEST

Suite *suite_baselines(void)
{
    Suite *s = suite_create("baselines");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_seasonal_naive);
    tcase_add_test(tc, test_croston);
    tcase_add_test(tc, test_tsb);
    suite_add_tcase(s, tc);
    return s;
}

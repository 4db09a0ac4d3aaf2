/*
 * statquant.c — the baseline's quantiles against numpy.quantile (values
 * computed with numpy 1.24 under /usr/bin/python3, linear method):
 *   np.quantile(1..10, [.1, .5, .9])  = 1.9, 5.5, 9.1; mean 5.5
 *   np.quantile([1, 8], [.1, .5, .9]) = 1.7, 4.5, 7.3
 *   np.quantile(1..14, [.1, .5, .9])  = 2.3, 7.5, 12.7
 */
#include <stdlib.h>
#include <string.h>

#include "forecast/data/cache.h"
#include "forecast/data/dataset.h"
#include "forecast/core/registry.h"
#include "forecast/core/util.h"
#include "test.h"

static char *dir;
static struct fc_dataset *ds;

/* One series "P:S", target = day number 1..14 from Monday 2015-01-05, plus a
 * second series "Q:S" with a constant 3. */
static void setup(void)
{
    dir = test_tmpdir();
    struct fc_buf b;
    fc_buf_init(&b);
    fc_buf_puts(&b, "date,product_id,store_id,sales,x\n");
    for (int d = 0; d < 14; d++)
        fc_buf_printf(&b, "2015-01-%02d,P,S,%d,0\n", 5 + d, d + 1);
    for (int d = 0; d < 14; d++)
        fc_buf_printf(&b, "2015-01-%02d,Q,S,3,0\n", 5 + d);
    ds = test_load(dir, "s.csv", b.s);
    fc_buf_free(&b);
}

static void teardown(void)
{
    fc_dataset_free(ds);
    test_rmtree(dir);
    free(dir);
}

static const double levels[] = {0.1, 0.5, 0.9};

static void *fit(const char *point, int by_weekday, uint32_t *rows, size_t n)
{
    const struct fc_model_ops *ops = fc_registry_find("statquant");
    struct fc_param_value v[3] = {{0, point}, {by_weekday, NULL}, {2, NULL}};
    struct fc_params p = {ops->params, ops->n_params, v};
    struct fc_model_ctx ctx = {levels, 3, 1, 1};
    void *m = ops->create(&p, &ctx);
    struct fc_fit_input in = {ds, rows, n, NULL, 0};
    ck_assert_int_eq(ops->fit(m, &in), 0);
    return m;
}

START_TEST(test_quantiles_match_numpy)
{
    const struct fc_model_ops *ops = fc_registry_find("statquant");
    uint32_t rows[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}; /* targets 1..10 */
    void *m = fit("median", 0, rows, 10);
    uint32_t test[2] = {12, 20}; /* a row of P and one of Q (never trained) */
    struct fc_pred out;
    fc_pred_alloc(&out, 2, 3, 1);
    ck_assert_int_eq(ops->predict(m, ds, test, 2, &out), 0);
    ck_assert_close(out.q[0], 1.9, 1e-6);
    ck_assert_close(out.q[1], 5.5, 1e-6);
    ck_assert_close(out.q[2], 9.1, 1e-6);
    ck_assert_close(out.point[0], 5.5, 1e-6);
    /* Q was not in training: the pooled statistics (P's 1..10) serve it */
    ck_assert_close(out.q[3], 1.9, 1e-6);
    fc_pred_free(&out);
    ops->free(m);
}
END_TEST

START_TEST(test_mean_and_weekday)
{
    const struct fc_model_ops *ops = fc_registry_find("statquant");
    uint32_t rows[28];
    for (uint32_t i = 0; i < 28; i++)
        rows[i] = i;
    void *m = fit("mean", 1, rows, 14);
    /* row 7 is Monday 2015-01-12: Mondays of P are {1, 8} */
    uint32_t test[1] = {7};
    struct fc_pred out;
    fc_pred_alloc(&out, 1, 3, 1);
    ck_assert_int_eq(ops->predict(m, ds, test, 1, &out), 0);
    ck_assert_close(out.q[0], 1.7, 1e-6);
    ck_assert_close(out.q[1], 4.5, 1e-6);
    ck_assert_close(out.q[2], 7.3, 1e-6);
    ck_assert_close(out.point[0], 4.5, 1e-6); /* mean of {1, 8} */
    fc_pred_free(&out);
    ops->free(m);
}
END_TEST

START_TEST(test_save_load_roundtrip)
{
    const struct fc_model_ops *ops = fc_registry_find("statquant");
    uint32_t rows[28];
    for (uint32_t i = 0; i < 28; i++)
        rows[i] = i;
    void *m = fit("median", 1, rows, 28);
    ck_assert_int_eq(ops->save(m, dir), 0);
    struct fc_param_value v[3] = {{0, "median"}, {1, NULL}, {2, NULL}};
    struct fc_params p = {ops->params, ops->n_params, v};
    struct fc_model_ctx ctx = {levels, 3, 1, 1};
    void *m2 = ops->load(dir, &p, &ctx);
    ck_assert_ptr_nonnull(m2);
    struct fc_pred a, b;
    fc_pred_alloc(&a, 28, 3, 1);
    fc_pred_alloc(&b, 28, 3, 1);
    ck_assert_int_eq(ops->predict(m, ds, rows, 28, &a), 0);
    ck_assert_int_eq(ops->predict(m2, ds, rows, 28, &b), 0);
    ck_assert_mem_eq(a.q, b.q, 28 * 3 * sizeof *a.q);
    ck_assert_mem_eq(a.point, b.point, 28 * sizeof *a.point);
    /* Q is constant 3: every quantile 3 */
    ck_assert_close(a.q[20 * 3 + 2], 3, 0);
    fc_pred_free(&a);
    fc_pred_free(&b);
    ops->free(m);
    ops->free(m2);
    /* a damaged file is refused */
    free(test_write(dir, "statquant.json", "{\"format_version\": 1, \"levels\": [0.1]}"));
    ck_assert_ptr_null(ops->load(dir, &p, &ctx));
}
END_TEST

Suite *suite_statquant(void)
{
    Suite *s = suite_create("statquant");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_quantiles_match_numpy);
    tcase_add_test(tc, test_mean_and_weekday);
    tcase_add_test(tc, test_save_load_roundtrip);
    suite_add_tcase(s, tc);
    return s;
}

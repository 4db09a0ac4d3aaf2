/*
 * recursive.c — recursive and direct multi-step forecasts on a tiny series
 * (train/recursive.h, data/derive.h), against values computed by hand.
 *
 * The model is a stand-in whose forecast is a fixed function of its
 * features, so each step's value follows from the earlier steps' by hand:
 *   echo:  the first feature (plus 1, to tell steps apart).
 * One series A: 2016-01-01..05 with targets 1 2 3 4 5, then three rows
 * (01-06..08) to forecast from the origin 2016-01-05.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/data/dataset.h"
#include "forecast/data/derive.h"
#include "forecast/train/recursive.h"
#include "test.h"

/* forecast = feature 0 + 1; quantiles: the same minus and plus 1 */
static int echo_predict(void *model, const struct fc_dataset *ds, const uint32_t *rows,
                        size_t n, struct fc_pred *out)
{
    (void)model;
    for (size_t i = 0; i < n; i++) {
        float v = ds->features[0][rows[i]] + 1;
        if (out->point)
            out->point[i] = v;
        for (size_t l = 0; l < out->n_quantiles; l++)
            out->q[i * out->n_quantiles + l] = v + (float)l - 1;
    }
    return 0;
}

static const struct fc_model_ops echo_ops = {.name = "echo",
                                             .flags = FC_MODEL_POINT | FC_MODEL_QUANTILE,
                                             .predict = echo_predict};

static char *dir;
static void setup(void) { dir = test_tmpdir(); }
static void teardown(void)
{
    test_rmtree(dir);
    free(dir);
}

static char *ids[] = {"id"};

/* rows after 01-05 have no target: the forecast's periods */
static struct fc_dataset *load(void)
{
    char *p = test_write(dir, "a.csv",
                         "id,date,sales\nA,2016-01-01,1\nA,2016-01-02,2\nA,2016-01-03,3\n"
                         "A,2016-01-04,4\nA,2016-01-05,5\nA,2016-01-06,\nA,2016-01-07,\n"
                         "A,2016-01-08,\n");
    struct fc_data_spec s = {0};
    s.path = p;
    s.series_cols = ids;
    s.n_series_cols = 1;
    s.date_col = "date";
    s.target_col = "sales";
    s.drop_missing_target = 0;
    struct fc_dataset *ds = fc_dataset_parse(&s, 0);
    free(p);
    ck_assert_ptr_nonnull(ds);
    return ds;
}

static int32_t day(const char *s)
{
    int32_t d;
    ck_assert_int_eq(fc_parse_date(s, &d), 0);
    return d;
}

static const uint32_t future_rows[] = {5, 6, 7};
static const double levels[] = {0.1, 0.5, 0.9};

/* the forecasts of rows 01-06..08 with features f, recursively */
static void forecast(const struct fc_feature_spec *f, size_t nq, struct fc_pred *out)
{
    struct fc_dataset *ds = load();
    enum fc_freq freq = FC_FREQ_AUTO;
    ck_assert_int_eq(fc_derive(ds, f, &freq, 1, day("2016-01-05")), 0);
    struct fc_recursion rec = {f, freq, day("2016-01-05"), NULL, levels};
    fc_pred_alloc(out, 3, nq, 1);
    ck_assert_int_eq(fc_recursive_predict(&rec, &echo_ops, NULL, ds, future_rows, 3, out), 0);
    fc_dataset_free(ds);
}

START_TEST(test_recursive_lag1)
{
    /* lag_1: step 1 sees 5 -> 6; step 2 sees 6 -> 7; step 3 sees 7 -> 8 */
    int lags[] = {1};
    struct fc_feature_spec f = {lags, 1, NULL, 0, 0};
    struct fc_pred p;
    forecast(&f, 0, &p);
    ck_assert(p.point[0] == 6 && p.point[1] == 7 && p.point[2] == 8);
    fc_pred_free(&p);
}
END_TEST

START_TEST(test_recursive_rolling)
{
    /* rolling mean of 2 ending 1 back: step 1 (4+5)/2 = 4.5 -> 5.5;
     * step 2 (5+5.5)/2 = 5.25 -> 6.25; step 3 (5.5+6.25)/2 = 5.875 -> 6.875 */
    struct fc_window_spec w = {FC_STAT_MEAN, 2, 1};
    struct fc_feature_spec f = {NULL, 0, &w, 1, 0};
    struct fc_pred p;
    forecast(&f, 0, &p);
    ck_assert(p.point[0] == 5.5f && p.point[1] == 6.25f && p.point[2] == 6.875f);
    fc_pred_free(&p);
}
END_TEST

START_TEST(test_recursive_lag2_expanding)
{
    /* lag_2 first: step 1 sees 4 -> 5; step 2 sees 5 (the target) -> 6;
     * step 3 sees 5 (step 1's forecast) -> 6 */
    int lags[] = {2};
    struct fc_window_spec w = {FC_STAT_MEAN, 0, 1};
    struct fc_feature_spec f = {lags, 1, &w, 1, 0};
    struct fc_pred p;
    forecast(&f, 0, &p);
    ck_assert(p.point[0] == 5 && p.point[1] == 6 && p.point[2] == 6);
    fc_pred_free(&p);
}
END_TEST

START_TEST(test_recursive_quantiles)
{
    /* the point forecast is fed back, the quantiles ride along */
    int lags[] = {1};
    struct fc_feature_spec f = {lags, 1, NULL, 0, 0};
    struct fc_pred p;
    forecast(&f, 3, &p);
    ck_assert(p.q[0] == 5 && p.q[1] == 6 && p.q[2] == 7); /* step 1: 6 -/+ 1 */
    ck_assert(p.q[6] == 7 && p.q[7] == 8 && p.q[8] == 9); /* step 3: 8 -/+ 1 */
    fc_pred_free(&p);
}
END_TEST

START_TEST(test_direct)
{
    /* direct, horizon 3, lag_3 (>= the horizon): the batch features with
     * the origin 01-05 -- steps 1..3 see the targets 01-03..05 = 3, 4, 5 */
    int lags[] = {3};
    struct fc_feature_spec f = {lags, 1, NULL, 0, 0};
    struct fc_dataset *ds = load();
    enum fc_freq freq = FC_FREQ_AUTO;
    ck_assert_int_eq(fc_derive(ds, &f, &freq, 1, day("2016-01-05")), 0);
    struct fc_pred p;
    fc_pred_alloc(&p, 3, 0, 1);
    ck_assert_int_eq(echo_predict(NULL, ds, future_rows, 3, &p), 0);
    ck_assert(p.point[0] == 4 && p.point[1] == 5 && p.point[2] == 6);
    fc_pred_free(&p);
    fc_dataset_free(ds);
}
END_TEST

START_TEST(test_row_equals_column)
{
    /* fc_derive_row on every row equals fc_derive's column without an
     * origin, bit for bit, on a series with a gap and a missing target */
    char *path = test_write(dir, "g.csv",
                            "id,date,sales\nA,2016-01-01,1.5\nA,2016-01-02,2.25\n"
                            "A,2016-01-04,\nA,2016-01-05,7\nA,2016-01-06,0.1\n"
                            "A,2016-01-09,3\nA,2016-01-10,11\n");
    struct fc_data_spec s = {0};
    s.path = path;
    s.series_cols = ids;
    s.n_series_cols = 1;
    s.date_col = "date";
    s.target_col = "sales";
    struct fc_dataset *ds = fc_dataset_parse(&s, 0);
    free(path);
    ck_assert_ptr_nonnull(ds);
    int lags[] = {1, 2, 4};
    struct fc_window_spec w[] = {{FC_STAT_MEAN, 3, 1}, {FC_STAT_STD, 4, 1},
                                 {FC_STAT_MEDIAN, 4, 2}, {FC_STAT_MIN, 2, 1},
                                 {FC_STAT_MAX, 5, 1},  {FC_STAT_SUM, 3, 2},
                                 {FC_STAT_MEAN, 0, 1}, {FC_STAT_STD, 0, 2}};
    struct fc_feature_spec f = {lags, 3, w, 8, 0};
    enum fc_freq freq = FC_FREQ_DAILY;
    ck_assert_int_eq(fc_derive(ds, &f, &freq, 0, 0), 0);
    int64_t p[7];
    for (size_t i = 0; i < 7; i++)
        p[i] = fc_derive_period(ds->date[i], freq);
    double vals[7], buf[7];
    float out[11];
    for (size_t i = 0; i < 7; i++) {
        fc_derive_row(&f, ds->target, p, i, out, vals, buf);
        for (size_t k = 0; k < 11; k++) {
            float c = ds->features[ds->n_features - 11 + k][i];
            ck_assert_msg((isnan(c) && isnan(out[k])) || memcmp(&c, &out[k], 4) == 0,
                          "row %zu feature %zu: %g vs %g", i, k, out[k], c);
        }
    }
    fc_dataset_free(ds);
}
END_TEST

Suite *suite_recursive(void)
{
    Suite *s = suite_create("recursive");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_recursive_lag1);
    tcase_add_test(tc, test_recursive_rolling);
    tcase_add_test(tc, test_recursive_lag2_expanding);
    tcase_add_test(tc, test_recursive_quantiles);
    tcase_add_test(tc, test_direct);
    tcase_add_test(tc, test_row_equals_column);
    suite_add_tcase(s, tc);
    return s;
}

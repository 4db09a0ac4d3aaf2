/*
 * transform.c — target transforms and non-negative forecasts
 * (data/transform.h), on values worked out by hand:
 *   - local_scale: each series' mean and population sd from its training rows
 *     only, the transformed target, the exact inverse of points and
 *     quantiles (their order kept);
 *   - log1p: log(1 + y) and back; a training target <= -1 refused;
 *   - nonnegative auto: clipping when no training target is negative, not
 *     otherwise; true / false forced;
 *   - transform.json round trip, applied to new data by series key, and an
 *     unknown series refused;
 *   - difference (k = 1, 2): y - y k periods back, missing without it; the
 *     inverse adds the actual level while it is history and the forecast
 *     path's level after.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/config.h"
#include "forecast/data/dataset.h"
#include "forecast/data/split.h"
#include "forecast/data/transform.h"
#include "test.h"

static char *dir;
static void setup(void) { dir = test_tmpdir(); }
static void teardown(void)
{
    test_rmtree(dir);
    free(dir);
}

static char *ids[] = {"id"};
static const double levels[] = {0.1, 0.5, 0.9};

/* two series of 6 days; the last 2 are the test period (split 2016-01-05) */
static struct fc_dataset *load(const char *text, struct fc_split *sp)
{
    char *p = test_write(dir, "t.csv", text);
    struct fc_data_spec s = {0};
    s.path = p;
    s.series_cols = ids;
    s.n_series_cols = 1;
    s.date_col = "date";
    s.target_col = "sales";
    struct fc_dataset *ds = fc_dataset_parse(&s, 1);
    ck_assert_ptr_nonnull(ds);
    struct fc_split_spec spec = {0};
    ck_assert_int_eq(fc_parse_date("2016-01-05", &spec.split_date), 0);
    spec.val_days = 1;
    spec.min_train_rows = 2;
    ck_assert_int_eq(fc_split_make(ds, &spec, NULL, 0, sp), 0);
    free(p);
    return ds;
}

static const char *PANEL = "id,date,sales\n"
                           "A,2016-01-01,1\nA,2016-01-02,3\nA,2016-01-03,5\nA,2016-01-04,7\n"
                           "A,2016-01-05,100\nA,2016-01-06,200\n"
                           "B,2016-01-01,10\nB,2016-01-02,10\nB,2016-01-03,10\nB,2016-01-04,10\n"
                           "B,2016-01-05,-5\nB,2016-01-06,0\n";

START_TEST(test_local_scale_by_hand)
{
    struct fc_split sp;
    struct fc_dataset *ds = load(PANEL, &sp);
    struct fc_config cfg = {0};
    cfg.target_transform = FC_TT_LOCAL_SCALE;
    cfg.nonnegative = -1;
    struct fc_transform t;
    ck_assert_int_eq(fc_transform_fit(&t, &cfg, ds, &sp), 0);
    /* A: training 1 3 5 7: mean 4, population sd sqrt(5); the test rows
     * (100, 200) are not used. B: constant 10: sd 0 -> 1 */
    ck_assert_close(t.mean[0], 4, 1e-12);
    ck_assert_close(t.sd[0], sqrt(5), 1e-12);
    ck_assert_close(t.mean[1], 10, 1e-12);
    ck_assert_close(t.sd[1], 1, 0);
    ck_assert_close(t.target[0], (1 - 4) / sqrt(5), 1e-6);
    ck_assert_close(t.target[4], (100 - 4) / sqrt(5), 1e-5);
    ck_assert_close(t.target[10], -15, 1e-6);
    /* no training target is negative: clipped (the test row -5 is not training) */
    ck_assert_int_eq(t.clip, 1);
    /* the inverse of a point and of quantiles, order kept, clipped at 0 */
    uint32_t rows[2] = {4, 10};
    float point[2] = {1, -2}, q[6] = {-1, 0, 1, -11, -10, -9};
    struct fc_pred p = {2, 3, point, q};
    fc_transform_invert(&t, ds, rows, &p, levels);
    ck_assert_close(point[0], 4 + sqrt(5), 1e-6);
    ck_assert_close(point[1], 8, 1e-6);
    ck_assert_close(q[0], 4 - sqrt(5), 1e-6);
    ck_assert_close(q[2], 4 + sqrt(5), 1e-6);
    ck_assert(q[3] == 0 && q[4] == 0 && q[5] == 1);
    /* transform.json, then applied to the series in another order */
    cJSON *j = fc_transform_to_json(&t);
    struct fc_transform u;
    ck_assert_int_eq(fc_transform_from_json(&u, j, "transform.json"), 0);
    cJSON_Delete(j);
    struct fc_split sp2;
    struct fc_dataset *d2 = load("id,date,sales\nB,2016-01-01,12\nB,2016-01-02,12\n"
                                 "B,2016-01-03,12\nB,2016-01-05,1\nA,2016-01-01,9\n"
                                 "A,2016-01-02,9\nA,2016-01-03,9\nA,2016-01-05,9\n",
                                 &sp2);
    ck_assert_int_eq(fc_transform_apply(&u, d2), 0);
    long a = fc_dataset_find_series(d2, "A"), b = fc_dataset_find_series(d2, "B");
    ck_assert_close(u.target[d2->series_start[a]], (9 - 4) / sqrt(5), 1e-6);
    ck_assert_close(u.target[d2->series_start[b]], 2, 1e-6);
    fc_transform_free(&u);
    /* a series the transform never saw */
    struct fc_split sp3;
    struct fc_dataset *d3 = load("id,date,sales\nC,2016-01-01,1\nC,2016-01-02,1\n"
                                 "C,2016-01-03,1\nC,2016-01-05,1\n",
                                 &sp3);
    j = fc_transform_to_json(&t);
    ck_assert_int_eq(fc_transform_from_json(&u, j, "transform.json"), 0);
    ck_assert_int_eq(fc_transform_apply(&u, d3), -1);
    ck_assert_msg(strstr(fc_last_error, "series C was not in the training data"), "%s",
                  fc_last_error);
    cJSON_Delete(j);
    fc_transform_free(&u);
    fc_transform_free(&t);
    fc_split_free(&sp);
    fc_split_free(&sp2);
    fc_split_free(&sp3);
    fc_dataset_free(ds);
    fc_dataset_free(d2);
    fc_dataset_free(d3);
}
END_TEST

START_TEST(test_difference_by_hand)
{
    struct fc_split sp;
    struct fc_dataset *ds = load(PANEL, &sp);
    struct fc_config cfg = {0};
    cfg.target_transform = FC_TT_DIFFERENCE;
    cfg.difference = 1;
    cfg.nonnegative = 0;
    ck_assert_int_eq(fc_parse_date("2016-01-05", &cfg.split.split_date), 0);
    struct fc_transform t;
    ck_assert_int_eq(fc_transform_fit(&t, &cfg, ds, &sp), 0);
    /* A: 1 3 5 7 | 100 200 -> . 2 2 2 93 100; B: 10 10 10 10 | -5 0 -> . 0 0 0 -15 5 */
    ck_assert(isnan(t.target[0]) && isnan(t.target[6]));
    ck_assert(t.target[1] == 2 && t.target[3] == 2 && t.target[4] == 93 && t.target[5] == 100);
    ck_assert(t.target[10] == -15 && t.target[11] == 5);
    /* forecasts of A's 01-05 and 01-06: 01-05 adds the last actual (7);
     * 01-06 adds 01-05's forecast (7 + 2 = 9), not its actual (100) */
    uint32_t rows[2] = {4, 5};
    float point[2] = {2, 3}, q[6] = {1, 2, 3, 2, 3, 4};
    struct fc_pred p = {2, 3, point, q};
    fc_transform_invert(&t, ds, rows, &p, levels);
    ck_assert(point[0] == 9 && point[1] == 12);
    ck_assert(q[0] == 8 && q[1] == 9 && q[2] == 10 && q[3] == 11 && q[4] == 12 && q[5] == 13);
    /* transform.json round trip; new data: every target is history */
    cJSON *j = fc_transform_to_json(&t);
    struct fc_transform u;
    ck_assert_int_eq(fc_transform_from_json(&u, j, "transform.json"), 0);
    cJSON_Delete(j);
    ck_assert_int_eq(u.difference, 1);
    ck_assert_int_eq(u.freq, FC_FREQ_DAILY);
    ck_assert_int_eq(fc_transform_apply(&u, ds), 0);
    float p2[2] = {2, 3};
    struct fc_pred pp = {2, 0, p2, NULL};
    fc_transform_invert(&u, ds, rows, &pp, levels);
    ck_assert(p2[0] == 9 && p2[1] == 103); /* 01-06 adds 01-05's actual, 100 */
    fc_transform_free(&u);
    fc_transform_free(&t);
    /* k = 2, with a gap (B lacks 01-03): both test rows' levels are history */
    fc_split_free(&sp);
    fc_dataset_free(ds);
    ds = load("id,date,sales\nA,2016-01-01,1\nA,2016-01-02,3\nA,2016-01-03,5\n"
              "A,2016-01-04,7\nA,2016-01-05,100\nA,2016-01-06,200\n"
              "B,2016-01-01,4\nB,2016-01-02,6\nB,2016-01-04,9\nB,2016-01-05,1\n",
              &sp);
    cfg.difference = 2;
    ck_assert_int_eq(fc_transform_fit(&t, &cfg, ds, &sp), 0);
    ck_assert(isnan(t.target[1]) && t.target[2] == 4 && t.target[3] == 4 && t.target[5] == 193);
    /* B: 01-04 - 01-02 = 9 - 6; 01-05 has no 01-03: missing */
    ck_assert(isnan(t.target[7]) && t.target[8] == 3 && isnan(t.target[9]));
    float p3[2] = {1, 1};
    struct fc_pred p3p = {2, 0, p3, NULL};
    fc_transform_invert(&t, ds, rows, &p3p, levels);
    ck_assert(p3[0] == 6 && p3[1] == 8);
    fc_transform_free(&t);
    fc_split_free(&sp);
    fc_dataset_free(ds);
}
END_TEST

START_TEST(test_log1p_and_clipping)
{
    struct fc_split sp;
    struct fc_dataset *ds = load(PANEL, &sp);
    struct fc_config cfg = {0};
    cfg.target_transform = FC_TT_LOG1P;
    cfg.nonnegative = 0;
    struct fc_transform t;
    ck_assert_int_eq(fc_transform_fit(&t, &cfg, ds, &sp), 0);
    ck_assert_close(t.target[1], log(4), 1e-6);
    ck_assert_int_eq(t.clip, 0);
    uint32_t rows[1] = {1};
    float point[1] = {(float)log(4)}, q[2] = {-1, 1};
    struct fc_pred p = {1, 2, point, q};
    fc_transform_invert(&t, ds, rows, &p, levels);
    ck_assert_close(point[0], 3, 1e-6);
    ck_assert_close(q[0], exp(-1) - 1, 1e-6); /* negative: not clipped (nonnegative false) */
    fc_transform_free(&t);
    fc_split_free(&sp);
    fc_dataset_free(ds);
    /* a training target of -1 has no log(1 + y) */
    ds = load("id,date,sales\nA,2016-01-01,-1\nA,2016-01-02,3\nA,2016-01-03,5\n"
              "A,2016-01-05,1\n",
              &sp);
    ck_assert_int_eq(fc_transform_fit(&t, &cfg, ds, &sp), -1);
    ck_assert_msg(strstr(fc_last_error, "log(1 + y) needs y > -1"), "%s", fc_last_error);
    fc_transform_free(&t);
    /* auto with a negative training target: no clipping */
    cfg.target_transform = FC_TT_NONE;
    cfg.nonnegative = -1;
    ck_assert_int_eq(fc_transform_fit(&t, &cfg, ds, &sp), 0);
    ck_assert_int_eq(t.clip, 0);
    fc_transform_free(&t);
    fc_split_free(&sp);
    fc_dataset_free(ds);
}
END_TEST

Suite *suite_transform(void)
{
    Suite *s = suite_create("transform");
    TCase *t = tcase_create("core");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_local_scale_by_hand);
    tcase_add_test(t, test_log1p_and_clipping);
    tcase_add_test(t, test_difference_by_hand);
    suite_add_tcase(s, t);
    return s;
}

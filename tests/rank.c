/*
 * rank.c — the metric table and the one ranking (eval/rank.h): direction,
 * undefined values last, ties kept in order, and the default metric's
 * fallbacks WRMSSE -> WSPL -> mean pinball; every table entry reads its own
 * field of struct fc_metrics.
 */
#include <stdlib.h>
#include <string.h>

#include "forecast/eval/metrics.h"
#include "forecast/eval/rank.h"
#include "test.h"

static double from_array(const void *ctx, size_t k, const struct fc_metric_info *mi)
{
    (void)mi;
    return ((const double *)ctx)[k];
}

START_TEST(test_rank_direction_nan_and_ties)
{
    double v[5] = {3, NAN, 1, 3, 2};
    size_t order[5];
    fc_rank(5, fc_metric_find("rmse"), from_array, v, order);
    size_t want[5] = {2, 4, 0, 3, 1}; /* ties 0 and 3 keep their order; NaN last */
    for (int r = 0; r < 5; r++)
        ck_assert_uint_eq(order[r], want[r]);
    double r2[4] = {0.5, NAN, 0.9, 0.1};
    fc_rank(4, fc_metric_find("r2"), from_array, r2, order);
    size_t want2[4] = {2, 0, 3, 1}; /* higher is better */
    for (int r = 0; r < 4; r++)
        ck_assert_uint_eq(order[r], want2[r]);
}
END_TEST

START_TEST(test_default_metric_fallbacks)
{
    struct fc_metrics a = {0}, b = {0};
    const struct fc_metrics *ms[2] = {&a, &b};
    a.wrmsse = 0.8, b.wrmsse = 0.9, a.wspl = b.wspl = NAN, a.mean_pinball = b.mean_pinball = NAN;
    ck_assert_str_eq(fc_rank_default(2, fc_rank_value_of_metrics, ms)->name, "wrmsse");
    b.wrmsse = NAN, a.wspl = 0.3, b.wspl = 0.2; /* b has no point forecast */
    ck_assert_str_eq(fc_rank_default(2, fc_rank_value_of_metrics, ms)->name, "wspl");
    size_t order[2];
    fc_rank(2, fc_metric_find("wspl"), fc_rank_value_of_metrics, ms, order);
    ck_assert_uint_eq(order[0], 1);
    a.wspl = NAN, a.mean_pinball = 1.5, b.mean_pinball = 1.2; /* no scales for a */
    ck_assert_str_eq(fc_rank_default(2, fc_rank_value_of_metrics, ms)->name, "mean_pinball");
    a.mean_pinball = NAN; /* nothing common: WRMSSE, the undefined last */
    ck_assert_str_eq(fc_rank_default(2, fc_rank_value_of_metrics, ms)->name, "wrmsse");
}
END_TEST

START_TEST(test_table_reads_its_fields)
{
    struct fc_metrics m = {0};
    m.wrmsse = 1, m.wspl = 2, m.rmse = 3, m.mse = 4, m.mae = 5, m.wape = 6, m.mape = 7;
    m.smape = 8, m.mean_rmsse = 9, m.mean_pinball = 10, m.r2 = 11, m.ic = 12, m.rank_ic = 13;
    m.ic_mean = 14, m.rank_ic_mean = 15, m.crossing_rate = 16;
    const char *names[16] = {"wrmsse", "wspl",         "rmse", "mse",    "mae",  "wape",
                             "mape",   "smape",        "mean_rmsse", "mean_pinball", "r2",
                             "ic",     "rank_ic",      "ic_mean", "rank_ic_mean",
                             "crossing_rate"};
    size_t n = 0;
    for (const struct fc_metric_info *mi = fc_metric_table; mi->name; mi++)
        n++;
    ck_assert_uint_eq(n, 16);
    for (int i = 0; i < 16; i++) {
        const struct fc_metric_info *mi = fc_metric_find(names[i]);
        ck_assert_msg(mi != NULL, "%s", names[i]);
        ck_assert_msg(fc_metric_value(&m, mi) == i + 1, "%s reads %g", names[i],
                      fc_metric_value(&m, mi));
    }
    ck_assert_ptr_null(fc_metric_find("wrmse"));
    ck_assert_str_eq(fc_metric_find("wrmsse")->per_series, "rmsse");
    ck_assert_int_eq(fc_metric_find("rank_ic")->higher_better, 1);
}
END_TEST

Suite *suite_rank(void)
{
    Suite *s = suite_create("rank");
    TCase *t = tcase_create("core");
    tcase_add_test(t, test_rank_direction_nan_and_ties);
    tcase_add_test(t, test_default_metric_fallbacks);
    tcase_add_test(t, test_table_reads_its_fields);
    suite_add_tcase(s, t);
    return s;
}

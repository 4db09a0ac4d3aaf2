/*
 * future.c — the periods after the data (data/future.h): dates k periods
 * on (daily, weekly, monthly with the day of the month kept or clamped),
 * and the extended dataset: H new rows per series without a target, their
 * features from the future rows or an error naming what is missing.
 */
#include <stdlib.h>
#include <string.h>

#include "forecast/data/dataset.h"
#include "forecast/data/future.h"
#include "test.h"

static int32_t day(const char *s)
{
    int32_t d;
    ck_assert_int_eq(fc_parse_date(s, &d), 0);
    return d;
}

START_TEST(test_dates)
{
    ck_assert_int_eq(fc_future_date(day("2015-12-31"), 1, FC_FREQ_DAILY), day("2016-01-01"));
    ck_assert_int_eq(fc_future_date(day("2016-01-04"), 3, FC_FREQ_WEEKLY), day("2016-01-25"));
    ck_assert_int_eq(fc_future_date(day("2008-11-01"), 2, FC_FREQ_MONTHLY), day("2009-01-01"));
    ck_assert_int_eq(fc_future_date(day("2016-01-31"), 1, FC_FREQ_MONTHLY), day("2016-02-29"));
    ck_assert_int_eq(fc_future_date(day("2015-01-31"), 1, FC_FREQ_MONTHLY), day("2015-02-28"));
    ck_assert_int_eq(fc_future_date(day("2015-01-31"), 3, FC_FREQ_MONTHLY), day("2015-04-30"));
}
END_TEST

static char *dir;
static void setup(void) { dir = test_tmpdir(); }
static void teardown(void)
{
    test_rmtree(dir);
    free(dir);
}

static char *ids[] = {"id"};

static struct fc_dataset *load(const char *name, const char *text)
{
    char *p = test_write(dir, name, text);
    struct fc_data_spec s = {0};
    s.path = p;
    s.series_cols = ids;
    s.n_series_cols = 1;
    s.date_col = "date";
    s.target_col = "sales";
    struct fc_dataset *ds = fc_dataset_parse(&s, 0);
    free(p);
    ck_assert_ptr_nonnull(ds);
    return ds;
}

START_TEST(test_extend)
{
    struct fc_dataset *h = load("h.csv", "id,date,sales,price\nA,2016-01-01,1,5\n"
                                         "A,2016-01-02,2,6\nB,2016-01-01,3,7\n");
    struct fc_dataset *f = load("f.csv", "id,date,price\nB,2016-01-03,9\nB,2016-01-02,8\n"
                                         "A,2016-01-03,1\nA,2016-01-04,2\n");
    int32_t *origins;
    struct fc_dataset *e = fc_future_extend(h, 2, FC_FREQ_DAILY, f, "f.csv", 1, &origins);
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->n_rows, 7);
    /* A: its two rows, then 01-03 and 01-04 with their prices, no target */
    ck_assert_int_eq(e->date[2], day("2016-01-03"));
    ck_assert(isnan(e->target[2]) && e->features[0][2] == 1 && e->features[0][3] == 2);
    ck_assert_int_eq(origins[0], day("2016-01-02"));
    /* B: one row, then 01-02 (8) and 01-03 (9) */
    ck_assert_int_eq(e->series_start[1], 4);
    ck_assert(e->features[0][5] == 8 && e->features[0][6] == 9);
    ck_assert_int_eq(origins[1], day("2016-01-01"));
    struct fc_split sp;
    fc_future_split(e, 2, &sp);
    ck_assert_uint_eq(sp.n_test, 4);
    ck_assert_uint_eq(sp.used[1].test_begin, 5);
    fc_split_free(&sp);
    free(origins);
    fc_dataset_free(e);
    /* three periods: A has no row on 01-05 */
    ck_assert_ptr_null(fc_future_extend(h, 3, FC_FREQ_DAILY, f, "f.csv", 1, &origins));
    ck_assert_msg(strstr(fc_last_error, "no row for series A on 2016-01-05"), "%s",
                  fc_last_error);
    /* no future file: an error for a model that reads features, else missing */
    ck_assert_ptr_null(fc_future_extend(h, 2, FC_FREQ_DAILY, NULL, NULL, 1, &origins));
    ck_assert_msg(strstr(fc_last_error, "the model uses the data's columns price"), "%s",
                  fc_last_error);
    e = fc_future_extend(h, 2, FC_FREQ_DAILY, NULL, NULL, 0, &origins);
    ck_assert(e && isnan(e->features[0][2]));
    free(origins);
    fc_dataset_free(e);
    fc_dataset_free(h);
    fc_dataset_free(f);
}
END_TEST

Suite *suite_future(void)
{
    Suite *s = suite_create("future");
    TCase *t = tcase_create("core");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_dates);
    tcase_add_test(t, test_extend);
    suite_add_tcase(s, t);
    return s;
}

/*
 * split.c — train / validation / test ranges by date, series selection, and
 * series skipped for too little data (by name, with the reason).
 */
#include <stdlib.h>
#include <string.h>

#include "forecast/data/cache.h"
#include "forecast/data/split.h"
#include "forecast/core/util.h"
#include "test.h"

static char *dir;
static struct fc_dataset *ds;

/* Series A: 2015-01-01..2015-01-10 (10 days); B: 2015-01-07..2015-01-10 (4 days);
 * C: 2015-01-01..2015-01-05 (no test rows with split 2015-01-08). */
static void setup(void)
{
    dir = test_tmpdir();
    struct fc_buf b;
    fc_buf_init(&b);
    fc_buf_puts(&b, "date,product_id,store_id,sales,x\n");
    for (int d = 1; d <= 10; d++)
        fc_buf_printf(&b, "2015-01-%02d,A,1,%d,0\n", d, d);
    for (int d = 7; d <= 10; d++)
        fc_buf_printf(&b, "2015-01-%02d,B,1,%d,0\n", d, d);
    for (int d = 1; d <= 5; d++)
        fc_buf_printf(&b, "2015-01-%02d,C,1,%d,0\n", d, d);
    ds = test_load(dir, "s.csv", b.s);
    fc_buf_free(&b);
}

static void teardown(void)
{
    fc_dataset_free(ds);
    test_rmtree(dir);
    free(dir);
}

static struct fc_split_spec spec(const char *split, int val_days, int min_rows)
{
    struct fc_split_spec s = {0};
    ck_assert_int_eq(fc_parse_date(split, &s.split_date), 0);
    s.val_days = val_days;
    s.min_train_rows = min_rows;
    return s;
}

static int32_t day(const char *s)
{
    int32_t d;
    ck_assert_int_eq(fc_parse_date(s, &d), 0);
    return d;
}

START_TEST(test_windows)
{
    /* the data ends 2015-01-10: 3 windows of 2 days, 3 apart, the last one
     * 01-09..01-10; the ones before start 3 and 6 days earlier */
    struct fc_split_spec s = {0};
    s.windows = 3;
    s.step = 3;
    s.horizon = 2;
    s.freq = FC_FREQ_DAILY;
    int32_t d[3];
    ck_assert_int_eq(fc_split_windows(ds, &s, d), 0);
    ck_assert(d[0] == day("2015-01-03") && d[1] == day("2015-01-06") && d[2] == day("2015-01-09"));
    /* with test_end 01-08: the last window ends 01-07 */
    s.has_test_end = 1;
    s.test_end = day("2015-01-08");
    ck_assert_int_eq(fc_split_windows(ds, &s, d), 0);
    ck_assert(d[2] == day("2015-01-06") && d[1] == day("2015-01-03"));
    /* with a split date: the last window starts there */
    s.has_test_end = 0;
    s.has_split_date = 1;
    s.split_date = day("2015-01-08");
    ck_assert_int_eq(fc_split_windows(ds, &s, d), 0);
    ck_assert(d[0] == day("2015-01-02") && d[1] == day("2015-01-05") && d[2] == day("2015-01-08"));
    /* monthly periods count months: 2 windows of 1 month, 2 apart, ending
     * with a month whose last date is 2015-03-01 */
    struct fc_split_spec m = {0};
    m.windows = 2;
    m.step = 2;
    m.horizon = 1;
    m.freq = FC_FREQ_MONTHLY;
    ck_assert_int_eq(fc_split_windows(ds, &m, d), 0);
    ck_assert(d[0] == day("2014-11-01") && d[1] == day("2015-01-01"));
}
END_TEST

START_TEST(test_ranges)
{
    struct fc_split_spec s = spec("2015-01-08", 3, 2);
    struct fc_split sp;
    ck_assert_int_eq(fc_split_make(ds, &s, NULL, 0, &sp), 0);
    /* A: 7 train rows (1..7), last 3 days (5, 6, 7) validate, test 8..10.
     * B: train 7 only -> 1 row < 2: skipped. C: no test rows: skipped. */
    ck_assert_uint_eq(sp.n_used, 1);
    const struct fc_split_series *a = &sp.used[0];
    ck_assert_str_eq(ds->series_key[a->series], "A:1");
    ck_assert_uint_eq(a->val_begin - a->train_begin, 4);
    ck_assert_uint_eq(a->test_begin - a->val_begin, 3);
    ck_assert_uint_eq(a->test_end - a->test_begin, 3);
    ck_assert(ds->target[a->val_begin] == 5 && ds->target[a->test_begin] == 8);
    ck_assert_uint_eq(sp.n_skipped, 2);
    ck_assert_str_eq(ds->series_key[sp.skipped[0].series], "B:1");
    ck_assert(strstr(sp.skipped[0].reason, "1 rows before the split date") != NULL);
    ck_assert_str_eq(ds->series_key[sp.skipped[1].series], "C:1");
    ck_assert(strstr(sp.skipped[1].reason, "no rows in the test period") != NULL);
    char d[11];
    fc_format_date(sp.last_train_date, d);
    ck_assert_str_eq(d, "2015-01-07");
    size_t n;
    uint32_t *rows = fc_split_rows(&sp, 2, &n);
    ck_assert_uint_eq(n, 3);
    free(rows);
    fc_split_free(&sp);
}
END_TEST

START_TEST(test_test_end_and_val_date)
{
    struct fc_split_spec s = spec("2015-01-08", 0, 1);
    s.has_test_end = 1;
    fc_parse_date("2015-01-10", &s.test_end);
    s.has_val_date = 1;
    fc_parse_date("2015-01-07", &s.val_date);
    struct fc_split sp;
    char *keys[] = {"A:1"};
    ck_assert_int_eq(fc_split_make(ds, &s, keys, 1, &sp), 0);
    ck_assert_uint_eq(sp.n_used, 1);
    ck_assert_uint_eq(sp.n_test, 2);  /* 8 and 9; 10 is test_end (exclusive) */
    ck_assert_uint_eq(sp.n_val, 1);   /* 7 */
    ck_assert_uint_eq(sp.n_fit, 6);   /* 1..6 */
    fc_split_free(&sp);
}
END_TEST

START_TEST(test_unknown_and_empty)
{
    struct fc_split_spec s = spec("2015-01-08", 0, 1);
    struct fc_split sp;
    char *keys[] = {"A:2"};
    ck_assert_int_eq(fc_split_make(ds, &s, keys, 1, &sp), -1);
    ck_assert(strstr(fc_last_error, "series \"A:2\" is not in") != NULL);
    ck_assert(strstr(fc_last_error, "did you mean \"A:1\"") != NULL);
    struct fc_split_spec late = spec("2016-01-01", 0, 1);
    ck_assert_int_eq(fc_split_make(ds, &late, NULL, 0, &sp), -1);
    ck_assert(strstr(fc_last_error, "no series has enough data") != NULL);
}
END_TEST

Suite *suite_split(void)
{
    Suite *s = suite_create("split");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_ranges);
    tcase_add_test(tc, test_windows);
    tcase_add_test(tc, test_test_end_and_val_date);
    tcase_add_test(tc, test_unknown_and_empty);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * derive.c — derived features (data/derive.h):
 *   - every lag, rolling and expanding statistic and calendar field of a
 *     small panel with gaps and a missing target equals pandas'
 *     (fixtures/derive_expected.csv from make_derive_golden.py);
 *   - the leakage rule: with an origin, a row k periods after it keeps only
 *     its lags >= k, and changing every target after the origin changes no
 *     derived value of any row;
 *   - the frequency: monthly and weekly dates inferred, lags counted in
 *     months, two rows of a series in one month refused;
 *   - a derived name that is already a column is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/data/csv.h"
#include "forecast/data/dataset.h"
#include "forecast/data/derive.h"
#include "test.h"

static char *ids[] = {"id"};

static struct fc_data_spec spec_for(const char *path)
{
    struct fc_data_spec s = {0};
    s.path = (char *)path;
    s.series_cols = ids;
    s.n_series_cols = 1;
    s.date_col = "date";
    s.target_col = "sales";
    return s;
}

/* the features of make_derive_golden.py */
static int lags[] = {1, 3, 7};
static struct fc_window_spec windows[] = {
    {FC_STAT_MEAN, 7, 1}, {FC_STAT_STD, 5, 2},    {FC_STAT_MIN, 3, 1}, {FC_STAT_MAX, 4, 3},
    {FC_STAT_MEDIAN, 5, 1}, {FC_STAT_SUM, 6, 7},  {FC_STAT_MEAN, 0, 1}, {FC_STAT_STD, 0, 3},
};
static const struct fc_feature_spec all_features = {lags, 3, windows, 8, 0xff};

struct expected {
    char **names;
    size_t n_cols, n_rows;
    double *v; /* (n_rows, n_cols), NAN for an empty cell */
};

static int on_expected(void *ctx, char **f, size_t n, long line)
{
    struct expected *E = ctx;
    if (line == 1) {
        E->n_cols = n;
        E->names = calloc(n, sizeof *E->names);
        for (size_t i = 0; i < n; i++)
            E->names[i] = strdup(f[i]);
        return 0;
    }
    E->v = realloc(E->v, (E->n_rows + 1) * n * sizeof *E->v);
    for (size_t i = 0; i < n; i++)
        E->v[E->n_rows * n + i] = f[i][0] ? strtod(f[i], NULL) : NAN;
    E->n_rows++;
    return 0;
}

START_TEST(test_golden_against_pandas)
{
    struct fc_data_spec s = spec_for("fixtures/derive_panel.csv");
    struct fc_dataset *ds = fc_dataset_parse(&s, 0);
    ck_assert_ptr_nonnull(ds);
    enum fc_freq freq = FC_FREQ_AUTO;
    ck_assert_int_eq(fc_derive(ds, &all_features, &freq, 0, 0), 0);
    ck_assert_int_eq(freq, FC_FREQ_DAILY);
    struct expected E = {0};
    ck_assert_int_eq(fc_csv_foreach("fixtures/derive_expected.csv", on_expected, &E), 0);
    ck_assert_uint_eq(ds->n_derived, E.n_cols);
    ck_assert_uint_eq(ds->n_rows, E.n_rows);
    size_t F0 = ds->n_features - ds->n_derived;
    for (size_t c = 0; c < E.n_cols; c++) {
        /* the calendar columns come in a fixed order; find each by name */
        size_t j = F0;
        while (j < ds->n_features && strcmp(ds->feature_names[j], E.names[c]) != 0)
            j++;
        ck_assert_msg(j < ds->n_features, "no derived column %s", E.names[c]);
        /* the panel is one file in date order per series: rows match */
        for (size_t r = 0; r < E.n_rows; r++) {
            double want = E.v[r * E.n_cols + c], got = ds->features[j][r];
            if (isnan(want))
                ck_assert_msg(isnan(got), "%s row %zu: %g, pandas NaN", E.names[c], r, got);
            else
                ck_assert_msg(fabs(got - want) <= 1e-6 * fmax(1, fabs(want)),
                              "%s row %zu: %.9g, pandas %.9g", E.names[c], r, got, want);
        }
    }
    for (size_t c = 0; c < E.n_cols; c++)
        free(E.names[c]);
    free(E.names);
    free(E.v);
    fc_dataset_free(ds);
}
END_TEST

static char *dir;
static void setup(void) { dir = test_tmpdir(); }
static void teardown(void)
{
    test_rmtree(dir);
    free(dir);
}

/* one series of 40 days from 2016-01-01, sales = day index (+ bump after
 * the origin 2016-01-30) */
static struct fc_dataset *one_series(double bump)
{
    char text[4096] = "id,date,sales\n";
    for (int i = 0; i < 40; i++) {
        char day[11];
        fc_format_date(16801 + i, day); /* 2016-01-01 */
        snprintf(text + strlen(text), sizeof text - strlen(text), "A,%s,%g\n", day,
                 i + (i >= 30 ? bump : 0));
    }
    char *p = test_write(dir, "one.csv", text);
    struct fc_data_spec s = spec_for(p);
    struct fc_dataset *ds = fc_dataset_parse(&s, 1);
    free(p);
    ck_assert_ptr_nonnull(ds);
    return ds;
}

START_TEST(test_no_target_after_the_origin)
{
    int32_t origin = 16801 + 29; /* 2016-01-30: rows 30.. are the test period */
    struct fc_dataset *a = one_series(0), *b = one_series(1000);
    enum fc_freq fa = FC_FREQ_AUTO, fb = FC_FREQ_AUTO;
    ck_assert_int_eq(fc_derive(a, &all_features, &fa, 1, origin), 0);
    ck_assert_int_eq(fc_derive(b, &all_features, &fb, 1, origin), 0);
    /* no derived value of any row moves when the targets after the origin do */
    for (size_t j = 0; j < a->n_features; j++)
        ck_assert_msg(memcmp(a->features[j], b->features[j], 40 * sizeof(float)) == 0,
                      "%s sees a target after the origin", a->feature_names[j]);
    /* a row k days after the origin has lag_j for j >= k only: lag_1 on the
     * first test day (the origin's target, 29), lag_3 up to the third */
    for (int k = 1; k <= 10; k++) {
        size_t r = (size_t)(29 + k);
        ck_assert(k <= 1 ? a->features[0][r] == 29 : isnan(a->features[0][r]));
        ck_assert(k <= 3 ? a->features[1][r] == (float)(r - 3) : isnan(a->features[1][r]));
        ck_assert(k <= 7 ? a->features[2][r] == (float)(r - 7) : isnan(a->features[2][r]));
    }
    /* without an origin (predict: every target is history) they are there */
    struct fc_dataset *c = one_series(0);
    enum fc_freq fc = FC_FREQ_AUTO;
    ck_assert_int_eq(fc_derive(c, &all_features, &fc, 0, 0), 0);
    ck_assert(c->features[2][39] == 32);
    fc_dataset_free(a);
    fc_dataset_free(b);
    fc_dataset_free(c);
}
END_TEST

START_TEST(test_frequency)
{
    /* monthly: lag 1 is the previous month, a missing month a gap */
    char *p = test_write(dir, "m.csv", "id,date,sales\nA,2008-01-01,10\nA,2008-02-01,20\n"
                                       "A,2008-04-01,40\nA,2008-05-01,50\n");
    struct fc_data_spec s = spec_for(p);
    struct fc_dataset *ds = fc_dataset_parse(&s, 1);
    ck_assert_ptr_nonnull(ds);
    int one[] = {1};
    struct fc_feature_spec f = {one, 1, NULL, 0, 0};
    enum fc_freq freq = FC_FREQ_AUTO;
    ck_assert_int_eq(fc_derive(ds, &f, &freq, 0, 0), 0);
    ck_assert_int_eq(freq, FC_FREQ_MONTHLY);
    ck_assert(isnan(ds->features[0][0]) && ds->features[0][1] == 10);
    ck_assert(isnan(ds->features[0][2]) && ds->features[0][3] == 40);
    fc_dataset_free(ds);
    free(p);
    /* weekly (Mondays) */
    p = test_write(dir, "w.csv", "id,date,sales\nA,2016-01-04,1\nA,2016-01-11,2\n"
                                 "A,2016-01-25,4\n");
    s = spec_for(p);
    ds = fc_dataset_parse(&s, 1);
    freq = FC_FREQ_AUTO;
    ck_assert_int_eq(fc_derive(ds, &f, &freq, 0, 0), 0);
    ck_assert_int_eq(freq, FC_FREQ_WEEKLY);
    ck_assert(ds->features[0][1] == 1 && isnan(ds->features[0][2]));
    fc_dataset_free(ds);
    free(p);
    /* data.freq monthly with two rows in one month */
    p = test_write(dir, "d.csv", "id,date,sales\nA,2008-01-01,10\nA,2008-01-15,20\n");
    s = spec_for(p);
    ds = fc_dataset_parse(&s, 1);
    freq = FC_FREQ_MONTHLY;
    ck_assert_int_eq(fc_derive(ds, &f, &freq, 0, 0), -1);
    ck_assert_msg(strstr(fc_last_error, "series A has rows on 2008-01-01 and 2008-01-15"),
                  "%s", fc_last_error);
    fc_dataset_free(ds);
    free(p);
}
END_TEST

START_TEST(test_name_taken)
{
    char *p = test_write(dir, "t.csv", "id,date,sales,lag_1\nA,2008-01-01,10,3\n");
    struct fc_data_spec s = spec_for(p);
    struct fc_dataset *ds = fc_dataset_parse(&s, 1);
    ck_assert_ptr_nonnull(ds);
    int one[] = {1};
    struct fc_feature_spec f = {one, 1, NULL, 0, 0};
    enum fc_freq freq = FC_FREQ_AUTO;
    ck_assert_int_eq(fc_derive(ds, &f, &freq, 0, 0), -1);
    ck_assert_msg(strstr(fc_last_error, "column \"lag_1\" has the name of a derived feature"),
                  "%s", fc_last_error);
    fc_dataset_free(ds);
    free(p);
}
END_TEST

Suite *suite_derive(void)
{
    Suite *s = suite_create("derive");
    TCase *t = tcase_create("core");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_golden_against_pandas);
    tcase_add_test(t, test_no_target_after_the_origin);
    tcase_add_test(t, test_frequency);
    tcase_add_test(t, test_name_taken);
    suite_add_tcase(s, t);
    return s;
}

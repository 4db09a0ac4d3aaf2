/*
 * categorical.c — id columns as categorical features (data/categorical.h),
 * by hand: codes are positions among the sorted values (as byte strings:
 * "10" before "9"), every row gets its series' code, a value the run never
 * saw is missing, and categories.json round-trips; a text column's codes
 * come from the rows before the split; a name that is neither an id nor a
 * text column is refused.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/data/categorical.h"
#include "forecast/data/dataset.h"
#include "test.h"

static char *dir;
static void setup(void) { dir = test_tmpdir(); }
static void teardown(void)
{
    test_rmtree(dir);
    free(dir);
}

static char *ids[] = {"store", "item"};

static struct fc_dataset *load(const char *text)
{
    char *p = test_write(dir, "c.csv", text);
    struct fc_data_spec s = {0};
    s.path = p;
    s.series_cols = ids;
    s.n_series_cols = 2;
    s.date_col = "date";
    s.target_col = "sales";
    struct fc_dataset *ds = fc_dataset_parse(&s, 1);
    free(p);
    ck_assert_ptr_nonnull(ds);
    return ds;
}

START_TEST(test_codes_by_hand)
{
    struct fc_dataset *ds = load("store,item,date,sales,price\n"
                                 "9,b,2016-01-01,1,1\n9,b,2016-01-02,2,1\n"
                                 "10,a,2016-01-01,3,1\n10,b,2016-01-01,4,1\n");
    char *cat[] = {"store", "item"};
    struct fc_feature_spec f = {0};
    f.categorical = cat;
    f.n_categorical = 2;
    struct fc_categories c;
    ck_assert_int_eq(fc_categories_build(&c, &f, ds, INT32_MAX), 0);
    /* store: "10" < "9" as byte strings; item: a < b */
    ck_assert_uint_eq(c.n_values[0], 2);
    ck_assert_str_eq(c.values[0][0], "10");
    ck_assert_str_eq(c.values[0][1], "9");
    ck_assert_int_eq(fc_categories_apply(&c, ds), 0);
    ck_assert_uint_eq(ds->n_features, 3);
    ck_assert_str_eq(ds->feature_names[1], "cat_store");
    ck_assert_str_eq(ds->feature_names[2], "cat_item");
    ck_assert(ds->categories[0] == 0 && ds->categories[1] == 2 && ds->categories[2] == 2);
    ck_assert_uint_eq(ds->n_derived, 2);
    for (size_t i = 0; i < ds->n_rows; i++) {
        const char *const *parts = (const char *const *)ds->series_parts[ds->series[i]];
        float want_store = strcmp(parts[0], "10") == 0 ? 0 : 1;
        float want_item = strcmp(parts[1], "a") == 0 ? 0 : 1;
        ck_assert(ds->features[1][i] == want_store && ds->features[2][i] == want_item);
    }
    /* categories.json, then new data with an unseen store (7) and item (c) */
    cJSON *j = fc_categories_to_json(&c);
    struct fc_categories d;
    ck_assert_int_eq(fc_categories_from_json(&d, j, "categories.json"), 0);
    cJSON_Delete(j);
    struct fc_dataset *nd = load("store,item,date,sales,price\n7,a,2016-01-01,1,1\n"
                                 "9,c,2016-01-01,1,1\n");
    ck_assert_int_eq(fc_categories_apply(&d, nd), 0);
    long s7 = fc_dataset_find_series(nd, "7:a"), s9 = fc_dataset_find_series(nd, "9:c");
    size_t r7 = nd->series_start[s7], r9 = nd->series_start[s9];
    ck_assert(isnan(nd->features[1][r7]) && nd->features[2][r7] == 0);
    ck_assert(nd->features[1][r9] == 1 && isnan(nd->features[2][r9]));
    fc_categories_free(&d);
    fc_categories_free(&c);
    fc_dataset_free(nd);
    fc_dataset_free(ds);
}
END_TEST

/* a text column (data.text_cols): codes from the rows dated before the
 * split only — "x" first appears on 2016-01-03, after it, so it is unseen
 * (missing) like a value new at predict time; "a" < "b"; an empty cell is
 * missing */
START_TEST(test_text_codes_before_the_split)
{
    char *p = test_write(dir, "t.csv", "store,item,date,sales,event\n"
                                       "9,b,2016-01-01,1,b\n9,b,2016-01-02,2,\n"
                                       "9,b,2016-01-03,3,x\n10,a,2016-01-01,4,a\n");
    char *tc[] = {"event"};
    struct fc_data_spec sp = {0};
    sp.path = p;
    sp.series_cols = ids;
    sp.n_series_cols = 2;
    sp.date_col = "date";
    sp.target_col = "sales";
    sp.text_cols = tc;
    sp.n_text_cols = 1;
    struct fc_dataset *ds = fc_dataset_parse(&sp, 1);
    free(p);
    ck_assert_ptr_nonnull(ds);
    char *cat[] = {"event"};
    struct fc_feature_spec f = {0};
    f.categorical = cat;
    f.n_categorical = 1;
    struct fc_categories c;
    int32_t split;
    ck_assert_int_eq(fc_parse_date("2016-01-03", &split), 0);
    ck_assert_int_eq(fc_categories_build(&c, &f, ds, split), 0);
    ck_assert_uint_eq(c.n_values[0], 2);
    ck_assert_str_eq(c.values[0][0], "a");
    ck_assert_str_eq(c.values[0][1], "b");
    ck_assert_int_eq(fc_categories_apply(&c, ds), 0);
    const float *x = ds->features[ds->n_features - 1];
    ck_assert_str_eq(ds->feature_names[ds->n_features - 1], "cat_event");
    /* rows grouped by series: 10:a (2016-01-01 a), then 9:b (b, empty, x) */
    long s10 = fc_dataset_find_series(ds, "10:a"), s9 = fc_dataset_find_series(ds, "9:b");
    ck_assert(x[ds->series_start[s10]] == 0);
    ck_assert(x[ds->series_start[s9]] == 1);
    ck_assert(isnan(x[ds->series_start[s9] + 1]) && isnan(x[ds->series_start[s9] + 2]));
    fc_categories_free(&c);
    fc_dataset_free(ds);
}
END_TEST

START_TEST(test_refusals)
{
    struct fc_dataset *ds = load("store,item,date,sales,price\n9,b,2016-01-01,1,1\n");
    char *cat[] = {"price"};
    struct fc_feature_spec f = {0};
    f.categorical = cat;
    f.n_categorical = 1;
    struct fc_categories c;
    ck_assert_int_eq(fc_categories_build(&c, &f, ds, INT32_MAX), -1);
    ck_assert_msg(strstr(fc_last_error, "\"price\" is neither a series id column nor a text column"), "%s",
                  fc_last_error);
    cJSON *j = cJSON_Parse("{\"kind\": \"forecast-categories\", \"format_version\": 1, "
                           "\"columns\": {\"store\": [\"9\", \"10\"]}}");
    ck_assert_int_eq(fc_categories_from_json(&c, j, "c.json"), -1);
    ck_assert_msg(strstr(fc_last_error, "columns.store: expected the values as strings in "
                                        "increasing order"),
                  "%s", fc_last_error);
    cJSON_Delete(j);
    fc_dataset_free(ds);
}
END_TEST

Suite *suite_categorical(void)
{
    Suite *s = suite_create("categorical");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_codes_by_hand);
    tcase_add_test(tc, test_text_codes_before_the_split);
    tcase_add_test(tc, test_refusals);
    suite_add_tcase(s, tc);
    return s;
}

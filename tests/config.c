/*
 * config.c — layering (defaults <- file <- overrides) and strict validation:
 * each bad value is refused with its JSON path and where it came from.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/config.h"
#include "forecast/core/util.h"
#include "forecast/store/rundir.h"
#include "test.h"

static char *dir;

static void setup(void) { dir = test_tmpdir(); }
static void teardown(void)
{
    test_rmtree(dir);
    free(dir);
}

static int load_text(const char *json, struct fc_config *cfg, const char *const *sets,
                     size_t n_sets)
{
    char *path = test_write(dir, "c.json", json);
    struct fc_override ov[8];
    for (size_t i = 0; i < n_sets; i++)
        ck_assert_int_eq(fc_override_parse_set(sets[i], &ov[i]), 0);
    fc_last_error[0] = '\0';
    int rc = fc_config_load(cfg, path, ov, n_sets, fc_run_unwrap_config);
    for (size_t i = 0; i < n_sets; i++)
        fc_override_free(&ov[i]);
    free(path);
    return rc;
}

#define MINIMAL "{\"data\": {\"path\": \"x.csv\"}, \"split\": {\"split_date\": \"2015-06-01\"}"

static void expect_error(const char *json, const char *set, const char *needle)
{
    struct fc_config cfg;
    const char *sets[1] = {set};
    ck_assert_int_eq(load_text(json, &cfg, sets, set ? 1 : 0), -1);
    ck_assert_msg(strstr(fc_last_error, needle) != NULL, "error '%s' lacks '%s'", fc_last_error,
                  needle);
}

START_TEST(test_defaults_and_file)
{
    struct fc_config cfg;
    ck_assert_int_eq(load_text(MINIMAL "}", &cfg, NULL, 0), 0);
    ck_assert_str_eq(cfg.data.path, "x.csv");
    ck_assert_uint_eq(cfg.data.n_series_cols, 2);
    ck_assert_str_eq(cfg.data.series_cols[0], "product_id");
    ck_assert_str_eq(cfg.data.target_col, "sales");
    ck_assert_int_eq(cfg.split.val_days, -1); /* none given: 28 periods */
    ck_assert_int_eq(cfg.split.val_periods, 28);
    ck_assert_uint_eq(cfg.n_quantiles, 3);
    ck_assert(cfg.quantiles[2] == 0.9);
    ck_assert_str_eq(cfg.model.ops->name, "statquant");
    ck_assert_int_eq(cfg.strategy, FC_COMBINED);
    ck_assert_int_eq((int)cfg.seed, 42);
    /* resolved hyperparameters are written into the tree for run.json */
    const cJSON *p = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(cfg.json, "models"), "statquant"), "point");
    ck_assert_str_eq(p->valuestring, "median");
    fc_config_free(&cfg);
}
END_TEST

START_TEST(test_overrides)
{
    struct fc_config cfg;
    const char *sets[] = {"split.val_days=14", "models.statquant.point=mean",
                          "strategy=individual", "quantiles=[0.05,0.95]",
                          "data.series_columns=[\"item\"]"};
    ck_assert_int_eq(load_text(MINIMAL "}", &cfg, sets, 5), 0);
    ck_assert_int_eq(cfg.split.val_days, 14);
    ck_assert_str_eq(fc_params_str(&cfg.model.params, "point"), "mean");
    ck_assert_int_eq(cfg.strategy, FC_INDIVIDUAL);
    ck_assert_uint_eq(cfg.n_quantiles, 2);
    ck_assert(cfg.quantiles[0] == 0.05);
    ck_assert_str_eq(cfg.data.series_cols[0], "item");
    fc_config_free(&cfg);
}
END_TEST

START_TEST(test_errors)
{
    expect_error(MINIMAL ", \"modle\": \"x\"}", NULL, "modle: unknown key; did you mean \"model\"");
    expect_error(MINIMAL ", \"seed\": 1, \"seed\": 2}", NULL, "seed: duplicate key");
    expect_error("{\"data\": {\"path\": \"a\", \"path\": \"b\"}, \"split\": {\"split_date\": "
                 "\"2015-01-01\"}}",
                 NULL, "data.path: duplicate key");
    expect_error(MINIMAL ", \"models\": {\"statquant\": {\"point\": \"avg\"}}}", NULL,
                 "models.statquant.point: expected one of \"median\", \"mean\", got \"avg\"");
    expect_error(MINIMAL ", \"models\": {\"statquant\": {\"min_weekday_rows\": \"six\"}}}",
                 NULL, "models.statquant.min_weekday_rows: expected an integer >= 1, got \"six\"");
    expect_error(MINIMAL ", \"models\": {\"statquant\": {\"min_weekday_rows\": 0}}}", NULL,
                 "expected an integer >= 1, got 0");
    expect_error(MINIMAL ", \"models\": {\"xgboots\": {}}}", NULL, "unknown model \"xgboots\"");
    expect_error(MINIMAL ", \"quantiles\": [0.5, 0.1]}", NULL, "quantiles[1]: expected levels in "
                                                               "increasing order");
    expect_error(MINIMAL ", \"quantiles\": [0, 0.5]}", NULL, "quantiles[0]: expected a number in (0, 1)");
    expect_error(MINIMAL ", \"strategy\": \"both\"}", NULL, "strategy: expected one of");
    expect_error(MINIMAL "}", "split.val_days=-1", "--set split.val_days=-1: split.val_days: expected an integer");
    expect_error(MINIMAL "}", "split.split_date=2015-02-30", "split.split_date: expected a date");
    expect_error("{\"data\": {\"path\": \"x.csv\"}, \"split\": {\"split_date\": "
                 "\"2015-06-01\", \"test_end\": \"2015-01-01\"}}",
                 NULL, "split.test_end: expected a date after split.split_date");
    expect_error("{\"split\": {\"split_date\": \"2015-06-01\"}}", NULL, "data.path: no data file");
    expect_error("{\"data\": {\"path\": \"x\"}}", NULL, "split.split_date: no split date");
    expect_error("{\"data\": {\"path\": \"x\", \"target_path\": \"t.csv\"}, \"split\": "
                 "{\"split_date\": \"2015-06-01\"}}",
                 NULL,
                 "data.join_key: required");
    expect_error("{\"data\": [1}", NULL, ":1:");
    expect_error("[1, 2]", NULL, "expected a JSON object");
    expect_error(MINIMAL ", \"model\": \"statqunat\"}", NULL, "did you mean \"statquant\"");
    expect_error(MINIMAL ", \"output\": {\"dir\": \"runs\", \"name\": \"../x\"}}", NULL,
                 "output.name: expected a plain directory name");
}
END_TEST

START_TEST(test_set_syntax)
{
    struct fc_override ov;
    ck_assert_int_eq(fc_override_parse_set("novalue", &ov), -1);
    ck_assert_int_eq(fc_override_parse_set("=3", &ov), -1);
    ck_assert_int_eq(fc_override_parse_set("a..b=3", &ov), -1);
    ck_assert_int_eq(fc_override_parse_set("a.b=x=y", &ov), 0);
    ck_assert_str_eq(ov.path, "a.b");
    ck_assert_str_eq(ov.value, "x=y");
    fc_override_free(&ov);
}
END_TEST

START_TEST(test_run_json_reproduces)
{
    /* a run.json's "config" object is accepted as a config */
    struct fc_config cfg;
    ck_assert_int_eq(load_text("{\"kind\": \"forecast-run\", \"id\": \"x\", \"config\": " MINIMAL
                               ", \"seed\": 7}}",
                               &cfg, NULL, 0),
                     0);
    ck_assert_int_eq((int)cfg.seed, 7);
    fc_config_free(&cfg);
}
END_TEST

Suite *suite_config(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_defaults_and_file);
    tcase_add_test(tc, test_overrides);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_set_syntax);
    tcase_add_test(tc, test_run_json_reproduces);
    suite_add_tcase(s, tc);
    return s;
}

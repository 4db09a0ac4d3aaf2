/*
 * main.c — runs every Check suite (one per module).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "forecast/core/config.h"
#include "forecast/data/cache.h"
#include "forecast/core/util.h"
#include "test.h"

char *test_tmpdir(void)
{
    char tmpl[] = "/tmp/forecast-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    ck_assert_ptr_nonnull(d);
    return xstrdup(d);
}

char *test_write(const char *dir, const char *name, const char *text)
{
    char *path = fc_xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

struct fc_dataset *test_load(const char *dir, const char *name, const char *csv)
{
    char *p = test_write(dir, name, csv);
    char *idc[] = {"product_id", "store_id"};
    struct fc_data_spec s = {.path = p, .series_cols = idc, .n_series_cols = 2,
                             .date_col = "date", .target_col = "sales"};
    struct fc_dataset *ds = fc_dataset_open(&s, 1);
    ck_assert_ptr_nonnull(ds);
    free(p);
    return ds;
}

struct fc_params test_params(const struct fc_model_ops *ops, const char *json)
{
    char *text = fc_xasprintf("{\"%s\": %s}", ops->name, json);
    cJSON *models = cJSON_Parse(text);
    struct fc_params p;
    ck_assert_int_eq(fc_config_model_params(models, ops, "test", &p), 0);
    cJSON_Delete(models);
    free(text);
    return p;
}

void test_rmtree(const char *dir)
{
    char *cmd = fc_xasprintf("rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);
}

int main(void)
{
    fc_verbosity = 0;
    SRunner *sr = srunner_create(suite_util());
    srunner_add_suite(sr, suite_config());
    srunner_add_suite(sr, suite_csv());
    srunner_add_suite(sr, suite_dataset());
    srunner_add_suite(sr, suite_derive());
    srunner_add_suite(sr, suite_transform());
    srunner_add_suite(sr, suite_future());
    srunner_add_suite(sr, suite_recursive());
    srunner_add_suite(sr, suite_categorical());
    srunner_add_suite(sr, suite_split());
    srunner_add_suite(sr, suite_rank());
    srunner_add_suite(sr, suite_metrics());
    srunner_add_suite(sr, suite_registry());
    srunner_add_suite(sr, suite_statquant());
    srunner_add_suite(sr, suite_baselines());
    srunner_add_suite(sr, suite_ets());
    srunner_add_suite(sr, suite_store());
    srunner_add_suite(sr, suite_xgboost());
    srunner_add_suite(sr, suite_mlp());
    srunner_add_suite(sr, suite_train());
    srunner_add_suite(sr, suite_args());
    srunner_add_suite(sr, suite_tune());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

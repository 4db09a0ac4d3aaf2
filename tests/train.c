/*
 * train.c — the strategies through the public fc_train: combined and
 * individual statquant agree (the baseline keeps per-series statistics either
 * way), --jobs does not change results, resume reuses verified outputs, the
 * shard hash is the FNV-1a value computed independently in Python, and series
 * keys become safe directory names.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/config.h"
#include "forecast/data/dataset.h"
#include "forecast/data/split.h"
#include "forecast/train/train.h"
#include "forecast/core/util.h"
#include "test.h"

static char *dir;

static void setup(void) { dir = test_tmpdir(); }
static void teardown(void)
{
    test_rmtree(dir);
    free(dir);
}

START_TEST(test_hash_and_dirnames)
{
    /* /usr/bin/python3: FNV-1a 64 over the UTF-8 bytes */
    ck_assert(fc_series_hash("80558:2") == 11559334984314086207ULL);
    ck_assert(fc_series_hash("FOODS_3_090:CA_3") == 12903588972906636840ULL);
    ck_assert(fc_series_hash("") == 1469598103934665603ULL);
    char *d = fc_series_dirname("a/b:c d");
    ck_assert_str_eq(d, "a%2Fb:c%20d");
    free(d);
    d = fc_series_dirname(".hidden");
    ck_assert_str_eq(d, "%2Ehidden");
    free(d);
}
END_TEST

/* config for data d.csv with the given strategy and run dir */
static void load(struct fc_config *cfg, struct fc_dataset **ds, struct fc_split *sp,
                 const char *strategy)
{
    struct fc_buf b;
    fc_buf_init(&b);
    fc_buf_puts(&b, "date,product_id,store_id,sales,x\n");
    for (int s = 0; s < 5; s++)
        for (int i = 0; i < 60; i++) {
            char day[11];
            fc_format_date(16436 + i, day);
            fc_buf_printf(&b, "%s,P%d,S,%d,%d\n", day, s, (i * 7 + s * 3) % 11 + s, i);
        }
    char *p = test_write(dir, "d.csv", b.s);
    fc_buf_free(&b);
    char *json = fc_xasprintf("{\"data\": {\"path\": \"%s\"}, \"split\": {\"split_date\": "
                              "\"2015-02-15\", \"val_days\": 7}, \"strategy\": \"%s\"}",
                              p, strategy);
    char *cp = test_write(dir, "c.json", json);
    ck_assert_int_eq(fc_config_load(cfg, cp, NULL, 0), 0);
    *ds = fc_dataset_load(&cfg->data, 1);
    ck_assert_ptr_nonnull(*ds);
    ck_assert_int_eq(fc_split_make(*ds, &cfg->split, NULL, 0, sp), 0);
    free(p);
    free(json);
    free(cp);
}

static void run(const char *strategy, const char *sub, struct fc_train_opts *o, float *point,
                size_t *n_models_out, size_t *resumed_out)
{
    struct fc_config cfg;
    struct fc_dataset *ds;
    struct fc_split sp;
    load(&cfg, &ds, &sp, strategy);
    char *mdir = fc_xasprintf("%s/%s", dir, sub);
    struct fc_train_result res;
    ck_assert_int_eq(fc_train(&cfg, ds, &sp, mdir, o, &res), 0);
    ck_assert_uint_eq(res.pred.n, sp.n_test);
    ck_assert_uint_le(res.pred.n, 128);
    memcpy(point, res.pred.point, res.pred.n * sizeof *point);
    if (n_models_out)
        *n_models_out = res.n_models;
    if (resumed_out)
        *resumed_out = res.n_resumed;
    fc_train_result_free(&res);
    free(mdir);
    fc_split_free(&sp);
    fc_dataset_free(ds);
    fc_config_free(&cfg);
}

START_TEST(test_strategies_agree)
{
    float a[128], b[128], c[128], d[128];
    size_t nm, resumed;
    struct fc_train_opts o1 = {.jobs = 1}, o2 = {.jobs = 2};
    run("combined", "comb", &o1, a, &nm, NULL);
    ck_assert_uint_eq(nm, 1);
    run("individual", "ind1", &o1, b, &nm, NULL);
    ck_assert_uint_eq(nm, 5);
    run("individual", "ind2", &o2, c, NULL, NULL);
    /* 5 series x 15 test days */
    ck_assert_mem_eq(a, b, 75 * sizeof *a);
    ck_assert_mem_eq(b, c, 75 * sizeof *b);
    /* resume over the finished individual run: everything reused, same values */
    struct fc_train_opts r = {.jobs = 2, .resume = 1};
    run("individual", "ind1", &r, d, &nm, &resumed);
    ck_assert_uint_eq(resumed, 5);
    ck_assert_mem_eq(b, d, 75 * sizeof *b);
}
END_TEST

Suite *suite_train(void)
{
    Suite *s = suite_create("train");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_hash_and_dirnames);
    tcase_add_test(tc, test_strategies_agree);
    suite_add_tcase(s, tc);
    return s;
}

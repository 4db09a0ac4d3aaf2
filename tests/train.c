/*
 * train.c — the jobs pipeline (plan -> pool -> collect): combined and
 * individual statquant agree (the baseline keeps per-series statistics either
 * way), the number of workers does not change results, resume reuses verified
 * outputs, shards split the jobs and merge runs nothing, the shard hash is the
 * FNV-1a value computed independently in Python, and series keys become safe
 * directory names.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forecast/core/config.h"
#include "forecast/data/cache.h"
#include "forecast/data/dataset.h"
#include "forecast/data/split.h"
#include "forecast/store/modeldir.h"
#include "forecast/train/collect.h"
#include "forecast/train/job.h"
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
    ck_assert_int_eq(fc_config_load(cfg, cp, NULL, 0, NULL), 0);
    *ds = fc_dataset_open(&cfg->data, 1);
    ck_assert_ptr_nonnull(*ds);
    ck_assert_int_eq(fc_split_make(*ds, &cfg->split, NULL, 0, sp), 0);
    free(p);
    free(json);
    free(cp);
}

/* Trains statquant with the strategy into dir/sub through the planners:
 * workers, resume (verified outputs kept), shard k of n (n 0: none; then
 * only that shard runs and nothing is collected) or merge of n shards. */
struct how {
    int workers, resume, shard_k, shard_n, merge;
};

static void run(const char *strategy, const char *sub, const struct how *h, float *point,
                size_t *n_models_out, size_t *resumed_out)
{
    struct fc_config cfg;
    struct fc_dataset *ds;
    struct fc_split sp;
    load(&cfg, &ds, &sp, strategy);
    char *mdir = fc_xasprintf("%s/%s", dir, sub);
    struct fc_plan P;
    fc_plan_train(&P, &cfg, ds, &sp, mdir);
    ck_assert_uint_eq(P.n_jobs, strcmp(strategy, "combined") == 0 ? 1 : 5);
    if (h->workers)
        P.workers = h->workers;
    if (h->merge) {
        ck_assert_int_eq(fc_plan_merge(&P, h->shard_n), 0);
        ck_assert_uint_eq(fc_plan_count(&P, FC_JOB_TODO), 0); /* nothing to run */
    } else {
        if (h->shard_n)
            fc_plan_shard(&P, h->shard_k, h->shard_n);
        if (h->resume)
            fc_plan_resume(&P);
        fc_pool_run(&P);
        ck_assert_uint_eq(fc_plan_count(&P, FC_JOB_TODO), 0);
        ck_assert_uint_eq(fc_plan_count(&P, FC_JOB_FAILED), 0);
    }
    if (h->shard_n && !h->merge) {
        /* a shard: exactly the series whose hash falls to it */
        for (size_t k = 0; k < P.n_jobs; k++)
            ck_assert_int_eq(P.jobs[k].state == FC_JOB_DONE,
                             fc_series_hash(P.jobs[k].series_key) % (uint64_t)h->shard_n ==
                                 (uint64_t)h->shard_k);
        ck_assert_int_eq(fc_plan_write_shard(&P, h->shard_k, h->shard_n), 0);
        if (n_models_out)
            *n_models_out = fc_plan_count(&P, FC_JOB_DONE);
    } else {
        struct fc_train_result res;
        ck_assert_int_eq(fc_collect(&P, &res), 0);
        ck_assert_uint_eq(res.pred.n, sp.n_test);
        ck_assert_uint_le(res.pred.n, 128);
        memcpy(point, res.pred.point, res.pred.n * sizeof *point);
        if (n_models_out)
            *n_models_out = res.n_models;
        if (resumed_out)
            *resumed_out = res.n_resumed;
        fc_train_result_free(&res);
    }
    fc_plan_free(&P);
    free(mdir);
    fc_split_free(&sp);
    fc_dataset_free(ds);
    fc_config_free(&cfg);
}

START_TEST(test_strategies_agree)
{
    float a[128], b[128], c[128], d[128];
    size_t nm, resumed;
    struct how w1 = {.workers = 1}, w2 = {.workers = 2};
    run("combined", "comb", &w1, a, &nm, NULL);
    ck_assert_uint_eq(nm, 1);
    run("individual", "ind1", &w1, b, &nm, NULL);
    ck_assert_uint_eq(nm, 5);
    run("individual", "ind2", &w2, c, NULL, NULL);
    /* 5 series x 15 test days */
    ck_assert_mem_eq(a, b, 75 * sizeof *a);
    ck_assert_mem_eq(b, c, 75 * sizeof *b);
    /* resume over the finished individual run: everything reused, same values */
    struct how r = {.workers = 2, .resume = 1};
    run("individual", "ind1", &r, d, &nm, &resumed);
    ck_assert_uint_eq(resumed, 5);
    ck_assert_mem_eq(b, d, 75 * sizeof *b);
}
END_TEST

/* three shards train disjoint series that together are all five; merge
 * plans nothing to run and gives the single run's predictions */
START_TEST(test_shards_and_merge)
{
    float one[128], merged[128];
    size_t total = 0, nm;
    run("individual", "single", &(struct how){.workers = 1}, one, NULL, NULL);
    for (int k = 0; k < 3; k++) {
        run("individual", "sharded", &(struct how){.workers = 1, .shard_k = k, .shard_n = 3},
            NULL, &nm, NULL);
        total += nm;
    }
    ck_assert_uint_eq(total, 5);
    run("individual", "sharded", &(struct how){.merge = 1, .shard_n = 3}, merged, &nm, NULL);
    ck_assert_uint_eq(nm, 5);
    ck_assert_mem_eq(one, merged, 75 * sizeof *one);
    /* a missing shard status is refused */
    char *f = fc_xasprintf("%s/sharded/shards/shard-1-of-3.json", dir);
    ck_assert_int_eq(unlink(f), 0);
    struct fc_config cfg;
    struct fc_dataset *ds;
    struct fc_split sp;
    load(&cfg, &ds, &sp, "individual");
    char *mdir = fc_xasprintf("%s/sharded", dir);
    struct fc_plan P;
    fc_plan_train(&P, &cfg, ds, &sp, mdir);
    ck_assert_int_eq(fc_plan_merge(&P, 3), -1);
    ck_assert_msg(strstr(fc_last_error, "shard 1 of 3 has not finished"), "%s", fc_last_error);
    fc_plan_free(&P);
    free(mdir);
    free(f);
    fc_split_free(&sp);
    fc_dataset_free(ds);
    fc_config_free(&cfg);
}
END_TEST

Suite *suite_train(void)
{
    Suite *s = suite_create("train");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_hash_and_dirnames);
    tcase_add_test(tc, test_strategies_agree);
    tcase_add_test(tc, test_shards_and_merge);
    suite_add_tcase(s, tc);
    return s;
}

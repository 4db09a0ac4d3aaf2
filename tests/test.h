/*
 * test.h — shared helpers of the Check suites (one file per module, collected
 * in tests/main.c). Tests run from the tests/ directory.
 */
#ifndef FORECAST_TEST_H
#define FORECAST_TEST_H

#include <check.h>
#include <math.h>

Suite *suite_util(void);
Suite *suite_config(void);
Suite *suite_dataset(void);
Suite *suite_split(void);
Suite *suite_metrics(void);
Suite *suite_registry(void);
Suite *suite_statquant(void);
Suite *suite_store(void);
Suite *suite_xgboost(void);
Suite *suite_train(void);
Suite *suite_args(void);
Suite *suite_mlp(void);
Suite *suite_rank(void);
Suite *suite_derive(void);
Suite *suite_transform(void);
Suite *suite_future(void);
Suite *suite_recursive(void);
Suite *suite_categorical(void);
Suite *suite_baselines(void);
Suite *suite_ets(void);
Suite *suite_csv(void);
Suite *suite_tune(void);

/* Relative-or-absolute closeness: |a - b| <= tol * max(1, |b|). */
#define ck_assert_close(a, b, tol)                                                     \
    do {                                                                               \
        double a_ = (a), b_ = (b);                                                     \
        ck_assert_msg(fabs(a_ - b_) <= (tol) * fmax(1.0, fabs(b_)),                    \
                      "%s = %.17g, expected %.17g", #a, a_, b_);                       \
    } while (0)

/* A fresh empty directory under /tmp; caller frees the path. */
char *test_tmpdir(void);
/* Writes text to dir/name; returns the full path (caller frees). */
char *test_write(const char *dir, const char *name, const char *text);
struct fc_dataset;
/* csv written to dir/name and loaded (series product_id, store_id; date;
 * target sales; the other columns features), asserted to load. */
struct fc_dataset *test_load(const char *dir, const char *name, const char *csv);
/* rm -rf */
void test_rmtree(const char *dir);

struct fc_model_ops;
/* Resolved hyperparameters of a model from a JSON object of overrides, e.g.
 * "{\"max_depth\": 3}" (defaults for the rest); the caller frees them with
 * fc_params_free. */
struct fc_params test_params(const struct fc_model_ops *ops, const char *json);

#endif

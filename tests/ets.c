/*
 * ets.c — the ets plugin (models/ets.c):
 *   - fitted on a short quarterly-like series (season 4) it gives
 *     statsmodels' ETSModel parameters, likelihood, AICc, forecasts and
 *     80% intervals (tests/fixtures/make_ets_golden.py), and with model
 *     "auto" statsmodels' lowest-AICc choice;
 *   - from a hand-written ets.json, its forecasts and quantiles are the
 *     formulas worked out in the comments, and the state is carried over
 *     newer history before the first predicted row.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "forecast/core/registry.h"
#include "forecast/core/util.h"
#include "forecast/data/dataset.h"
#include "forecast/store/store.h"
#include "test.h"

static char *dir;
static const double levels[] = {0.1, 0.5, 0.9};
#define Z90 1.2815515655446004 /* the standard normal's 0.9 quantile */

static void setup(void) { dir = test_tmpdir(); }
static void teardown(void)
{
    test_rmtree(dir);
    free(dir);
}

/* the fixture's 48 values then 6 rows to forecast (target 0), daily from
 * 2015-01-05 */
static struct fc_dataset *golden_data(cJSON **doc)
{
    *doc = fc_read_json("fixtures/ets_expected.json");
    ck_assert_ptr_nonnull(*doc);
    const cJSON *y = cJSON_GetObjectItemCaseSensitive(*doc, "y");
    ck_assert_int_eq(cJSON_GetArraySize(y), 48);
    struct fc_buf b;
    fc_buf_init(&b);
    fc_buf_puts(&b, "date,product_id,store_id,sales\n");
    for (int d = 0; d < 54; d++) {
        char day[11];
        fc_format_date(16440 + d, day);
        fc_buf_printf(&b, "%s,A,S,%.17g\n", day,
                      d < 48 ? cJSON_GetArrayItem(y, d)->valuedouble : 0.0);
    }
    struct fc_dataset *ds = test_load(dir, "g.csv", b.s);
    fc_buf_free(&b);
    return ds;
}

/* fits model (season 4) on the 48 values; the saved ets.json parsed, and
 * the 6 forecasts (point, q0.1, q0.9) */
static cJSON *fit(struct fc_dataset *ds, const char *model, double out[6][3])
{
    const struct fc_model_ops *ops = fc_registry_find("ets");
    ck_assert_ptr_nonnull(ops);
    char *json = fc_xasprintf("{\"model\": \"%s\", \"season\": 4}", model);
    struct fc_params p = test_params(ops, json);
    free(json);
    struct fc_model_ctx ctx = {levels, 3, 1, 1, 0, ""};
    void *m = ops->create(&p, &ctx);
    uint32_t rows[54];
    for (uint32_t i = 0; i < 54; i++)
        rows[i] = i;
    struct fc_fit_input in = {ds, rows, 48, NULL, 0};
    ck_assert_int_eq(ops->fit(m, &in), 0);
    struct fc_pred a;
    fc_pred_alloc(&a, 6, 3, 1);
    ck_assert_int_eq(ops->predict(m, ds, rows + 48, 6, &a), 0);
    for (int i = 0; i < 6; i++) {
        out[i][0] = a.point[i];
        out[i][1] = a.q[i * 3];
        out[i][2] = a.q[i * 3 + 2];
    }
    static int calls;
    char *md = fc_xasprintf("%s/fit-%d", dir, calls++);
    ck_assert_int_eq(mkdir(md, 0755), 0);
    ck_assert_int_eq(ops->save(m, md), 0);
    char *path = fc_xasprintf("%s/ets.json", md);
    cJSON *saved = fc_read_json(path);
    ck_assert_ptr_nonnull(saved);
    free(path);
    free(md);
    fc_pred_free(&a);
    ops->free(m);
    fc_params_free(&p);
    return saved;
}

static void close_rel(double got, double want, double tol, const char *what, const char *model)
{
    ck_assert_msg(fabs(got - want) <= tol * fmax(fabs(want), 0.01), "%s %s: %.9g, statsmodels %.9g",
                  model, what, got, want);
}

/* parameters and forecasts within 1% (the bar; measured much
 * closer: the same L-BFGS-B from the same start), AICc within 0.01 */
START_TEST(test_against_statsmodels)
{
    cJSON *doc;
    struct fc_dataset *ds = golden_data(&doc);
    const cJSON *models = cJSON_GetObjectItemCaseSensitive(doc, "models");
    const cJSON *want;
    int n_models = 0;
    cJSON_ArrayForEach(want, models)
    {
        n_models++;
        const char *name = want->string;
        double o[6][3];
        cJSON *saved = fit(ds, name, o);
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(saved, "series"), "A:S");
        ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(st, "model")->valuestring, name);
        static const char *const params[] = {"alpha", "beta", "gamma", "phi"};
        for (int k = 0; k < 4; k++) {
            const cJSON *w = cJSON_GetObjectItemCaseSensitive(want, params[k]);
            if (w)
                close_rel(cJSON_GetObjectItemCaseSensitive(st, params[k])->valuedouble,
                          w->valuedouble, 0.01, params[k], name);
        }
        double aicc = cJSON_GetObjectItemCaseSensitive(st, "aicc")->valuedouble;
        ck_assert_msg(fabs(aicc - cJSON_GetObjectItemCaseSensitive(want, "aicc")->valuedouble) <
                          0.01,
                      "%s aicc %.9g", name, aicc);
        const cJSON *fc = cJSON_GetObjectItemCaseSensitive(want, "forecast");
        const cJSON *lo = cJSON_GetObjectItemCaseSensitive(want, "lower80");
        const cJSON *hi = cJSON_GetObjectItemCaseSensitive(want, "upper80");
        for (int h = 0; h < 6; h++) {
            close_rel(o[h][0], cJSON_GetArrayItem(fc, h)->valuedouble, 0.01, "forecast", name);
            if (lo) {
                close_rel(o[h][1], cJSON_GetArrayItem(lo, h)->valuedouble, 0.01, "q0.1", name);
                close_rel(o[h][2], cJSON_GetArrayItem(hi, h)->valuedouble, 0.01, "q0.9", name);
            }
        }
        cJSON_Delete(saved);
    }
    ck_assert_int_eq(n_models, 5); /* ANN, AAN, AAdN, AAA, MAM: none skipped */
    /* auto: statsmodels' lowest AICc among the candidates */
    double o[6][3];
    cJSON *saved = fit(ds, "auto", o);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(saved, "series"), "A:S");
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(st, "model")->valuestring,
                     cJSON_GetObjectItemCaseSensitive(doc, "auto")->valuestring);
    cJSON_Delete(saved);
    cJSON_Delete(doc);
    fc_dataset_free(ds);
}
END_TEST

/* ets.json for series A:S written by hand: model, parameters, state */
static void *hand_model(const char *series_json, struct fc_params *p, struct fc_model_ctx *ctx)
{
    const struct fc_model_ops *ops = fc_registry_find("ets");
    char *md = fc_xasprintf("%s/hand", dir);
    mkdir(md, 0755);
    char *text = fc_xasprintf("{\"format_version\": 1, \"model\": \"ets\", \"freq\": \"daily\", "
                              "\"season\": 3, \"levels\": [0.1, 0.5, 0.9], \"global_point\": 7, "
                              "\"global_rel_sd\": 0.5, \"series\": {\"A:S\": %s}}",
                              series_json);
    char *path = fc_xasprintf("%s/ets.json", md);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    *p = test_params(ops, "{}");
    void *m = ops->load(md, p, ctx);
    ck_assert_ptr_nonnull(m);
    free(path);
    free(text);
    free(md);
    return m;
}

/* series A:S on days 0..9 from 2015-01-05 (period 16440 + d), targets d */
static struct fc_dataset *ten_days(void)
{
    struct fc_buf b;
    fc_buf_init(&b);
    fc_buf_puts(&b, "date,product_id,store_id,sales\n");
    for (int d = 0; d < 10; d++) {
        char day[11];
        fc_format_date(16440 + d, day);
        fc_buf_printf(&b, "%s,A,S,%d\n", day, d);
    }
    struct fc_dataset *ds = test_load(dir, "t.csv", b.s);
    fc_buf_free(&b);
    return ds;
}

/* season: the JSON array (one value for a model without a season) */
#define STATE(model, a, b, g, phi, l, tr, season, sigma2, last)                          \
    "{\"model\": \"" model "\", \"alpha\": " #a ", \"beta\": " #b ", \"gamma\": " #g          \
    ", \"phi\": " #phi ", \"level\": " #l ", \"trend\": " #tr ", \"season\": " season          \
    ", \"sigma2\": " #sigma2 ", \"llf\": 0, \"aicc\": 0, \"n\": 10, \"last_period\": " #last "}"

/* rows 7, 8, 9 (h 1, 2, 3 after period 16446) predicted from s_json */
static void predict_rows(const char *s_json, double out[3][3])
{
    const struct fc_model_ops *ops = fc_registry_find("ets");
    struct fc_params p;
    struct fc_model_ctx ctx = {levels, 3, 1, 1, 0, ""};
    void *m = hand_model(s_json, &p, &ctx);
    struct fc_dataset *ds = ten_days();
    uint32_t rows[3] = {7, 8, 9};
    struct fc_pred a;
    fc_pred_alloc(&a, 3, 3, 1);
    ck_assert_int_eq(ops->predict(m, ds, rows, 3, &a), 0);
    for (int i = 0; i < 3; i++) {
        out[i][0] = a.point[i];
        out[i][1] = a.q[i * 3];
        out[i][2] = a.q[i * 3 + 2];
    }
    fc_pred_free(&a);
    fc_dataset_free(ds);
    ops->free(m);
    fc_params_free(&p);
}

START_TEST(test_forecasts_by_hand)
{
    double o[3][3];
    /* ANN, level 11, sigma^2 4, alpha 0.5: flat 11; v(h) = 1 + alpha^2 (h - 1):
     * 1, 1.25, 1.5; q0.9 = 11 + Z90 * 2 sqrt(v) */
    predict_rows(STATE("ANN", 0.5, 0, 0, 1, 11, 0, "[0]", 4, 16446), o);
    const double v_ann[3] = {1, 1.25, 1.5};
    for (int h = 0; h < 3; h++) {
        ck_assert_close(o[h][0], 11, 1e-5);
        ck_assert_close(o[h][2], 11 + Z90 * 2 * sqrt(v_ann[h]), 1e-4);
        ck_assert_close(o[h][1], 11 - Z90 * 2 * sqrt(v_ann[h]), 1e-4);
    }
    /* AAdN, level 10, trend 2, phi 0.9: 10 + 0.9 x 2 = 11.8, 10 + 1.71 x 2
     * = 13.42, 10 + 2.439 x 2 = 14.878 */
    predict_rows(STATE("AAdN", 0.5, 0.1, 0, 0.9, 10, 2, "[0]", 1, 16446), o);
    ck_assert_close(o[0][0], 11.8, 1e-5);
    ck_assert_close(o[1][0], 13.42, 1e-5);
    ck_assert_close(o[2][0], 14.878, 1e-5);
    /* ANA, season 3 stored latest first (1, 2, 3): the next period's is the
     * last, 3: 13, then 2: 12, then 1: 11. v(h) = 1 + alpha^2 (h - 1) +
     * gamma k (2 alpha + gamma), k = floor((h - 1) / 3) = 0 here */
    predict_rows(STATE("ANA", 0.2, 0, 0.1, 1, 10, 0, "[1, 2, 3]", 1, 16446), o);
    ck_assert_close(o[0][0], 13, 1e-5);
    ck_assert_close(o[1][0], 12, 1e-5);
    ck_assert_close(o[2][0], 11, 1e-5);
    ck_assert_close(o[2][2], 11 + Z90 * sqrt(1 + 0.04 * 2), 1e-4);
    /* newer history: fitted up to period 16445, row 6 (target 6) is
     * before the first predicted row: ANN alpha 0.5 carries the level to
     * 0.5 x 6 + 0.5 x 11 = 8.5, then h = 1, 2, 3 */
    predict_rows(STATE("ANN", 0.5, 0, 0, 1, 11, 0, "[0]", 4, 16445), o);
    for (int h = 0; h < 3; h++) {
        ck_assert_close(o[h][0], 8.5, 1e-5);
        ck_assert_close(o[h][2], 8.5 + Z90 * 2 * sqrt(v_ann[h]), 1e-4);
    }
}
END_TEST

/* a constant history (the fit rows of ten_days made all 4): the constant,
 * no spread, whatever the candidates */
START_TEST(test_constant_series)
{
    struct fc_buf b;
    fc_buf_init(&b);
    fc_buf_puts(&b, "date,product_id,store_id,sales\n");
    for (int d = 0; d < 30; d++) {
        char day[11];
        fc_format_date(16440 + d, day);
        fc_buf_printf(&b, "%s,A,S,%d\n", day, d < 27 ? 4 : 9);
    }
    struct fc_dataset *ds = test_load(dir, "c.csv", b.s);
    fc_buf_free(&b);
    const struct fc_model_ops *ops = fc_registry_find("ets");
    struct fc_params p = test_params(ops, "{}");
    struct fc_model_ctx ctx = {levels, 3, 1, 1, 0, ""};
    void *m = ops->create(&p, &ctx);
    uint32_t rows[30];
    for (uint32_t i = 0; i < 30; i++)
        rows[i] = i;
    struct fc_fit_input in = {ds, rows, 27, NULL, 0};
    ck_assert_int_eq(ops->fit(m, &in), 0);
    struct fc_pred a;
    fc_pred_alloc(&a, 3, 3, 1);
    ck_assert_int_eq(ops->predict(m, ds, rows + 27, 3, &a), 0);
    for (int i = 0; i < 3; i++) {
        ck_assert_close(a.point[i], 4, 1e-6);
        ck_assert_close(a.q[i * 3], 4, 1e-6);
        ck_assert_close(a.q[i * 3 + 2], 4, 1e-6);
    }
    fc_pred_free(&a);
    ops->free(m);
    fc_params_free(&p);
    fc_dataset_free(ds);
}
END_TEST

START_TEST(test_bad_files)
{
    const struct fc_model_ops *ops = fc_registry_find("ets");
    struct fc_params p = test_params(ops, "{}");
    struct fc_model_ctx ctx = {levels, 3, 1, 1, 0, ""};
    char *md = fc_xasprintf("%s/bad", dir);
    mkdir(md, 0755);
    char *path = fc_xasprintf("%s/ets.json", md);
    const char *bad[] = {
        /* alpha outside [0, 1] */
        "{\"format_version\": 1, \"model\": \"ets\", \"freq\": \"daily\", \"season\": 3, "
        "\"levels\": [0.1, 0.5, 0.9], \"global_point\": 7, \"global_rel_sd\": 0.5, "
        "\"series\": {\"A:S\": " STATE("ANN", 1.5, 0, 0, 1, 11, 0, "[0]", 4, 16446) "}}",
        /* an unknown model code */
        "{\"format_version\": 1, \"model\": \"ets\", \"freq\": \"daily\", \"season\": 3, "
        "\"levels\": [0.1, 0.5, 0.9], \"global_point\": 7, \"global_rel_sd\": 0.5, "
        "\"series\": {\"A:S\": " STATE("AXN", 0.5, 0, 0, 1, 11, 0, "[0]", 4, 16446) "}}",
        /* other quantile levels */
        "{\"format_version\": 1, \"model\": \"ets\", \"freq\": \"daily\", \"season\": 3, "
        "\"levels\": [0.2, 0.5, 0.9], \"global_point\": 7, \"global_rel_sd\": 0.5, "
        "\"series\": {}}",
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        FILE *f = fopen(path, "w");
        fputs(bad[k], f);
        fclose(f);
        ck_assert_ptr_null(ops->load(md, &p, &ctx));
        ck_assert_msg(strstr(fc_last_error, "ets.json"), "%zu: %s", k, fc_last_error);
    }
    free(path);
    free(md);
    fc_params_free(&p);
}
END_TEST

Suite *suite_ets(void)
{
    Suite *s = suite_create("ets");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_against_statsmodels);
    tcase_add_test(tc, test_forecasts_by_hand);
    tcase_add_test(tc, test_constant_series);
    tcase_add_test(tc, test_bad_files);
    suite_add_tcase(s, tc);
    return s;
}

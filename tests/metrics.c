/*
 * metrics.c — golden tests: every metric against values computed
 * independently with numpy / scipy / sklearn by
 * tests/fixtures/make_metrics_golden.py (panel + expected values committed).
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/eval/metrics.h"
#include "forecast/store/store.h"
#include "forecast/core/util.h"
#include "test.h"

#define TOL 1e-12

struct panel {
    size_t n_series;
    char *key[16];
    double hist[16][64];
    int32_t hdate[16][64];
    size_t nh[16];
    double y[16][16], p[16][16], q[16][48];
    int32_t date[16][16];
    size_t nt[16];
};

static void load_panel(struct panel *P)
{
    memset(P, 0, sizeof *P);
    size_t len;
    char *text = fc_read_file("fixtures/metrics_panel.csv", &len);
    ck_assert_ptr_nonnull(text);
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save); /* header */
    ck_assert_str_eq(line, "series,date,role,y,point,q0.1,q0.5,q0.9");
    while ((line = strtok_r(NULL, "\n", &save))) {
        char *f[8] = {0};
        size_t nf = 0;
        for (char *c = line; nf < 8; nf++) {
            f[nf] = c;
            char *comma = strchr(c, ',');
            if (!comma) {
                nf++;
                break;
            }
            *comma = '\0';
            c = comma + 1;
        }
        ck_assert_uint_eq(nf, 8);
        size_t s;
        for (s = 0; s < P->n_series; s++)
            if (strcmp(P->key[s], f[0]) == 0)
                break;
        if (s == P->n_series)
            P->key[P->n_series++] = xstrdup(f[0]);
        int32_t d = atoi(f[1]);
        double y = strtod(f[3], NULL);
        if (strcmp(f[2], "train") == 0) {
            P->hdate[s][P->nh[s]] = d;
            P->hist[s][P->nh[s]++] = y;
        } else {
            size_t k = P->nt[s]++;
            P->date[s][k] = d;
            P->y[s][k] = y;
            P->p[s][k] = strtod(f[4], NULL);
            for (int j = 0; j < 3; j++)
                P->q[s][k * 3 + j] = strtod(f[5 + j], NULL);
        }
    }
    free(text);
}

static struct fc_metrics *compute(struct panel *P, struct fc_eval_series *ev)
{
    static const double levels[] = {0.1, 0.5, 0.9};
    for (size_t s = 0; s < P->n_series; s++)
        ev[s] = (struct fc_eval_series){P->key[s], P->hist[s], P->hdate[s], P->nh[s], P->y[s],
                                        P->date[s], P->p[s], P->q[s], P->nt[s]};
    int32_t last = 0;
    for (size_t s = 0; s < P->n_series; s++)
        if (P->nh[s] && P->hdate[s][P->nh[s] - 1] > last)
            last = P->hdate[s][P->nh[s] - 1];
    return fc_metrics_compute(ev, P->n_series, levels, 3, last);
}

/* Compares a number or null in expected with our value (NAN = null). */
static void check_value(const cJSON *exp, const char *key, double got, const char *where)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(exp, key);
    ck_assert_msg(e != NULL, "%s: %s missing from the fixture", where, key);
    if (cJSON_IsNull(e)) {
        ck_assert_msg(isnan(got), "%s.%s = %.17g, expected null", where, key, got);
        return;
    }
    ck_assert_msg(!isnan(got), "%s.%s is undefined, expected %.17g", where, key,
                  e->valuedouble);
    ck_assert_msg(fabs(got - e->valuedouble) <= TOL * fmax(1.0, fabs(e->valuedouble)),
                  "%s.%s = %.17g, expected %.17g", where, key, got, e->valuedouble);
}

START_TEST(test_golden_overall)
{
    struct panel *P = malloc(sizeof *P);
    load_panel(P);
    struct fc_eval_series ev[16];
    struct fc_metrics *m = compute(P, ev);
    cJSON *exp = fc_read_json("fixtures/metrics_expected.json");
    ck_assert_ptr_nonnull(exp);
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(exp, "overall");
    ck_assert_uint_eq(m->n, (size_t)cJSON_GetObjectItem(o, "n")->valuedouble);
    check_value(o, "mse", m->mse, "overall");
    check_value(o, "rmse", m->rmse, "overall");
    check_value(o, "mae", m->mae, "overall");
    check_value(o, "bias", m->bias, "overall");
    check_value(o, "mape", m->mape, "overall");
    check_value(o, "mape_excluded", (double)m->mape_excluded, "overall");
    check_value(o, "smape", m->smape, "overall");
    check_value(o, "wape", m->wape, "overall");
    check_value(o, "r2", m->r2, "overall");
    check_value(o, "ic", m->ic, "overall");
    check_value(o, "rank_ic", m->rank_ic, "overall");
    check_value(o, "ic_mean", m->ic_mean, "overall");
    check_value(o, "ic_dates", (double)m->ic_dates, "overall");
    check_value(o, "rank_ic_mean", m->rank_ic_mean, "overall");
    check_value(o, "rank_ic_dates", (double)m->rank_ic_dates, "overall");
    check_value(o, "crossing_rate", m->crossing_rate, "overall");
    check_value(o, "mean_pinball", m->mean_pinball, "overall");
    check_value(o, "wrmsse", m->wrmsse, "overall");
    check_value(o, "wspl", m->wspl, "overall");
    check_value(o, "mean_rmsse", m->mean_rmsse, "overall");
    check_value(o, "rmsse_series", (double)m->rmsse_series, "overall");
    const char *lk[] = {"0.1", "0.5", "0.9"};
    for (int j = 0; j < 3; j++) {
        check_value(cJSON_GetObjectItem(o, "pinball"), lk[j], m->pinball[j], "pinball");
        check_value(cJSON_GetObjectItem(o, "coverage"), lk[j], m->coverage[j], "coverage");
    }
    ck_assert_uint_eq(m->n_intervals, 1);
    ck_assert_close(m->interval_level[0], 0.8, 1e-12);
    const cJSON *iv = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "intervals"), "80");
    check_value(iv, "coverage", m->interval_coverage[0], "interval 80");
    check_value(iv, "width", m->interval_width[0], "interval 80");
    /* the input quantiles are left as they were (repair works on a copy) */
    int crossed = 0;
    for (size_t s = 0; s < P->n_series; s++)
        for (size_t k = 0; k < P->nt[s]; k++)
            crossed |= P->q[s][k * 3] > P->q[s][k * 3 + 1] ||
                       P->q[s][k * 3 + 1] > P->q[s][k * 3 + 2];
    ck_assert(crossed);
    cJSON_Delete(exp);
    fc_metrics_free(m);
    for (size_t s = 0; s < P->n_series; s++)
        free(P->key[s]);
    free(P);
}
END_TEST

START_TEST(test_golden_per_series)
{
    struct panel *P = malloc(sizeof *P);
    load_panel(P);
    struct fc_eval_series ev[16];
    struct fc_metrics *m = compute(P, ev);
    cJSON *exp = fc_read_json("fixtures/metrics_expected.json");
    const cJSON *series = cJSON_GetObjectItemCaseSensitive(exp, "series");
    ck_assert_uint_eq(m->n_series, (size_t)cJSON_GetArraySize(series));
    for (size_t i = 0; i < m->n_series; i++) {
        const struct fc_series_metrics *s = &m->series[i];
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(series, s->key);
        ck_assert_msg(e != NULL, "series %s missing from the fixture", s->key);
        check_value(e, "n", (double)s->n, s->key);
        check_value(e, "mse", s->mse, s->key);
        check_value(e, "rmse", s->rmse, s->key);
        check_value(e, "mae", s->mae, s->key);
        check_value(e, "bias", s->bias, s->key);
        check_value(e, "wape", s->wape, s->key);
        check_value(e, "scale_sq", s->scale_sq, s->key);
        check_value(e, "scale_abs", s->scale_abs, s->key);
        check_value(e, "rmsse", s->rmsse, s->key);
        check_value(e, "spl", s->spl, s->key);
        check_value(e, "weight", s->weight, s->key);
        const char *lk[] = {"0.1", "0.5", "0.9"};
        for (int j = 0; j < 3; j++)
            check_value(cJSON_GetObjectItem(e, "pinball"), lk[j], s->pinball[j], s->key);
    }
    cJSON_Delete(exp);
    fc_metrics_free(m);
    for (size_t s = 0; s < P->n_series; s++)
        free(P->key[s]);
    free(P);
}
END_TEST

/* Hand-computed cases for the building blocks. */
START_TEST(test_building_blocks)
{
    /* pinball: y = 10, q = 8 at 0.9 -> 0.9 * 2; y = 8, q = 10 at 0.9 -> 0.1 * 2 */
    ck_assert_close(fc_pinball(10, 8, 0.9), 1.8, 1e-15);
    ck_assert_close(fc_pinball(8, 10, 0.9), 0.2, 1e-15);
    /* average ranks with ties: 10, 20, 20, 30 -> 1, 2.5, 2.5, 4 */
    double x[] = {20, 10, 30, 20}, r[4];
    fc_rank_average(x, 4, r);
    ck_assert_close(r[0], 2.5, 0);
    ck_assert_close(r[1], 1, 0);
    ck_assert_close(r[2], 4, 0);
    ck_assert_close(r[3], 2.5, 0);
    /* perfectly linear -> 1; anti-monotone -> -1; constant -> undefined */
    double a[] = {1, 2, 3, 4}, b[] = {3, 5, 7, 9}, c[] = {9, 4, 1, 0}, k[] = {2, 2, 2, 2};
    ck_assert_close(fc_pearson(a, b, 4), 1, 1e-15);
    ck_assert_close(fc_spearman(a, c, 4), -1, 1e-15);
    ck_assert(isnan(fc_pearson(a, k, 4)));
    /* crossing repair: 1 of 2 rows crossed, and gets sorted */
    double q[] = {1, 3, 2, 1, 2, 3};
    ck_assert_close(fc_quantiles_repair(q, 2, 3), 0.5, 0);
    ck_assert_close(q[1], 2, 0);
    ck_assert_close(q[2], 3, 0);
}
END_TEST

/* A point-only input: quantile metrics stay out of the JSON. */
START_TEST(test_point_only_json)
{
    double hist[] = {1, 2, 3}, y[] = {2, 4}, p[] = {3, 3};
    int32_t hd[] = {0, 1, 2}, d[] = {3, 4};
    struct fc_eval_series ev = {"a", hist, hd, 3, y, d, p, NULL, 2};
    struct fc_metrics *m = fc_metrics_compute(&ev, 1, NULL, 0, 2);
    ck_assert(m->has_point && !m->has_quantiles);
    ck_assert_close(m->rmse, 1, 1e-15);       /* errors 1 and -1 */
    ck_assert_close(m->series[0].rmsse, 1, 1e-15); /* scale: diffs 1, 1 */
    ck_assert_close(m->wrmsse, 1, 1e-15);
    cJSON *j = fc_metrics_to_json(m, 1);
    ck_assert_ptr_null(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "overall"), "pinball"));
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "overall"), "rmse"));
    cJSON_Delete(j);
    fc_metrics_free(m);
}
END_TEST

START_TEST(test_mean_of_windows)
{
    /* two windows' metrics by hand: each metric the mean where defined,
     * counts summed, no series */
    struct fc_metrics a = {0}, b = {0};
    double lv[2] = {0.1, 0.9}, pa[2] = {1, 3}, pb[2] = {2, NAN}, ca[2] = {0.2, 0.8},
           cb[2] = {0.4, 1.0};
    a.n_levels = b.n_levels = 2;
    a.levels = b.levels = lv;
    a.has_point = b.has_point = a.has_quantiles = b.has_quantiles = 1;
    a.n = 10, b.n = 30;
    a.wrmsse = 0.5, b.wrmsse = 1.0;
    a.rmse = 2, b.rmse = 4;
    a.mape = NAN, b.mape = 0.3;
    a.r2 = NAN, b.r2 = NAN;
    a.bias = -1, b.bias = 2;
    a.pinball = pa, b.pinball = pb;
    a.coverage = ca, b.coverage = cb;
    a.mape_excluded = 1, b.mape_excluded = 2;
    struct fc_metrics *w[2] = {&a, &b};
    struct fc_metrics *m = fc_metrics_mean(w, 2);
    ck_assert_close(m->wrmsse, 0.75, 1e-15);
    ck_assert_close(m->rmse, 3, 1e-15);
    ck_assert_close(m->mape, 0.3, 1e-15); /* defined in one window only */
    ck_assert(isnan(m->r2));
    ck_assert_close(m->bias, 0.5, 1e-15);
    ck_assert_close(m->pinball[0], 1.5, 1e-15);
    ck_assert_close(m->pinball[1], 3, 1e-15);
    ck_assert_close(m->coverage[0], 0.3, 1e-15);
    ck_assert_close(m->coverage[1], 0.9, 1e-15);
    ck_assert_uint_eq(m->n, 40);
    ck_assert_uint_eq(m->mape_excluded, 3);
    ck_assert_uint_eq(m->n_series, 0);
    ck_assert_close(m->levels[1], 0.9, 0);
    fc_metrics_free(m);
}
END_TEST

Suite *suite_metrics(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_golden_overall);
    tcase_add_test(tc, test_golden_per_series);
    tcase_add_test(tc, test_building_blocks);
    tcase_add_test(tc, test_point_only_json);
    tcase_add_test(tc, test_mean_of_windows);
    suite_add_tcase(s, tc);
    return s;
}

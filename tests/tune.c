/*
 * tune.c — the tuning modules: the search space (defaults, tune.space and
 * its refusals), the samplers (TPE against random on a known function,
 * reproducibility, the grid), the median pruner, and the SQLite study
 * (exactly N trials, abandoned trials queued again, two processes never
 * taking one number).
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "forecast/core/registry.h"
#include "forecast/core/util.h"
#include "forecast/store/store.h"
#include "forecast/tune/sampler.h"
#include "forecast/tune/space.h"
#include "forecast/tune/study.h"
#include "forecast/tune/tuner.h"
#include "test.h"

static const char *origin(const char *path, const void *arg)
{
    (void)path;
    return arg;
}

static int build(struct fc_space *sp, const char *model, const char *json)
{
    cJSON *j = json ? cJSON_Parse(json) : NULL;
    int rc = fc_space_build(sp, fc_registry_find(model), NULL, 0, j, origin, "cfg.json");
    cJSON_Delete(j);
    return rc;
}

START_TEST(test_space_defaults_and_overrides)
{
    struct fc_space sp;
    ck_assert_int_eq(build(&sp, "xgboost_standard", NULL), 0);
    ck_assert_uint_eq(sp.n, 6); /* max_depth, learning_rate, subsample, colsample,
                                 * min_child_weight, reg_lambda */
    ck_assert_str_eq(sp.dims[0].path, "models.xgboost_standard.max_depth");
    ck_assert_int_eq(sp.dims[0].kind, FC_DIM_INT);
    ck_assert(sp.dims[0].lo == 3 && sp.dims[0].hi == 10);
    ck_assert_int_eq(sp.dims[1].log, 1);
    fc_space_free(&sp);
    /* override one, drop one, add a choice */
    ck_assert_int_eq(build(&sp, "xgboost_standard",
                           "{\"models.xgboost_standard.max_depth\": {\"int\": [2, 4]},"
                           " \"models.xgboost_standard.reg_lambda\": null,"
                           " \"models.xgboost_standard.tree_method\": {\"choice\": [\"hist\", "
                           "\"approx\"]}}"),
                     0);
    ck_assert_uint_eq(sp.n, 6);
    ck_assert(sp.dims[0].lo == 2 && sp.dims[0].hi == 4);
    ck_assert_str_eq(sp.dims[5].path, "models.xgboost_standard.tree_method");
    ck_assert_uint_eq(sp.dims[5].n_choices, 2);
    /* a point applied to a config's models object */
    double x[6] = {3, 0.1, 0.6, 0.7, 5, 1};
    cJSON *models = cJSON_Parse("{\"xgboost_standard\": {\"n_estimators\": 7}}");
    fc_space_apply(&sp, x, models);
    const cJSON *m = cJSON_GetObjectItem(models, "xgboost_standard");
    ck_assert_int_eq(cJSON_GetObjectItem(m, "max_depth")->valueint, 3);
    ck_assert_int_eq(cJSON_GetObjectItem(m, "n_estimators")->valueint, 7);
    ck_assert_str_eq(cJSON_GetObjectItem(m, "tree_method")->valuestring, "approx");
    cJSON_Delete(models);
    fc_space_free(&sp);
}
END_TEST

START_TEST(test_space_refusals_name_the_path)
{
    static const struct {
        const char *json, *says;
    } bad[] = {
        {"{\"models.xgboost_standard.max_depth\": {\"int\": [10, 3]}}", "an empty range"},
        {"{\"models.xgboost_standard.learning_rate\": {\"float\": [0, 0.3], \"log\": true}}",
         "log with a bound <= 0"},
        {"{\"models.xgboost_standard.nope\": {\"int\": [1, 3]}}", "unknown path"},
        {"{\"models.other.max_depth\": {\"int\": [1, 3]}}", "unknown path"},
        {"{\"models.xgboost_standard.max_depth\": {\"float\": [1, 3]}}", "is an integer"},
        {"{\"models.xgboost_standard.learning_rate\": {\"int\": [1, 3]}}", "is a number"},
        {"{\"models.xgboost_standard.tree_method\": {\"choice\": [\"x\"]}}", "choice \"x\""},
        {"{\"models.xgboost_standard.tree_method\": {\"choice\": []}}", "non-empty array"},
        {"{\"models.xgboost_standard.learning_rate\": {\"float\": [0.1, 2]}}", "high bound 2"},
        {"{\"models.xgboost_standard.max_depth\": {\"int\": [1, 3], \"choice\": [1]}}",
         "both"},
        {"{\"models.xgboost_standard.max_depth\": {\"int\": [1.5, 3]}}", "integer bounds"},
        {"{\"models.xgboost_standard.max_depth\": {\"int\": [1, 3], \"step\": 2}}",
         "unknown key \"step\""},
        {"{\"models.xgboost_standard.max_depth\": 5}", "expected an object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct fc_space sp;
        ck_assert_int_eq(build(&sp, "xgboost_standard", bad[i].json), -1);
        ck_assert_msg(strstr(fc_last_error, bad[i].says) && strstr(fc_last_error, "cfg.json") &&
                          strstr(fc_last_error, "tune.space[\"models."),
                      "%s -> %s", bad[i].json, fc_last_error);
        ck_assert_uint_eq(sp.n, 0);
    }
    /* a model without default ranges and no tune.space: nothing to search */
    struct fc_space sp;
    ck_assert_int_eq(build(&sp, "ets", NULL), -1);
    ck_assert_ptr_nonnull(strstr(fc_last_error, "nothing to search"));
}
END_TEST

/* Branin on [-5, 10] x [0, 15]: minimum 0.397887 (three minimisers) */
static double branin(const double *x)
{
    double a = 1, b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, r = 6, s = 10, t = 1 / (8 * M_PI);
    double u = x[1] - b * x[0] * x[0] + c * x[0] - r;
    return a * u * u + s * (1 - t) * cos(x[0]) + s;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* the best value of 50 trials of one sampler from one seed; xs: the points */
static double study_best(const struct fc_space *sp, int tpe, uint64_t seed, double *xs)
{
    enum { N = 50 };
    struct fc_trial_obs obs[N];
    double best = INFINITY;
    for (size_t i = 0; i < N; i++) {
        double *x = xs + 2 * i;
        if (tpe)
            fc_tpe_suggest(sp, obs, i, &fc_tpe_defaults, seed, i, x);
        else
            fc_random_suggest(sp, seed, i, x);
        ck_assert(x[0] >= -5 && x[0] <= 10 && x[1] >= 0 && x[1] <= 15);
        obs[i] = (struct fc_trial_obs){x, branin(x), 0, 1};
        best = fmin(best, obs[i].value);
    }
    return best;
}

static void branin_space(struct fc_space *sp)
{
    static struct fc_param_spec spec = {.name = "x", .type = FC_PARAM_DOUBLE};
    sp->n = 2;
    sp->dims = xcalloc(2, sizeof *sp->dims);
    sp->dims[0] = (struct fc_dim){xstrdup("models.f.x0"), &spec, FC_DIM_FLOAT, -5, 10, 0, NULL, 0};
    sp->dims[1] = (struct fc_dim){xstrdup("models.f.x1"), &spec, FC_DIM_FLOAT, 0, 15, 0, NULL, 0};
}

START_TEST(test_tpe_beats_random_on_branin)
{
    struct fc_space sp;
    branin_space(&sp);
    double tpe[20], rnd[20], xs[100], ys[100];
    for (uint64_t s = 0; s < 20; s++) {
        tpe[s] = study_best(&sp, 1, s + 1, xs);
        rnd[s] = study_best(&sp, 0, s + 1, xs);
    }
    qsort(tpe, 20, sizeof *tpe, cmp_d);
    qsort(rnd, 20, sizeof *rnd, cmp_d);
    double mt = 0.5 * (tpe[9] + tpe[10]), mr = 0.5 * (rnd[9] + rnd[10]);
    ck_assert_msg(mt < mr, "median best: TPE %g, random %g", mt, mr);
    ck_assert(mt >= 0.397887 - 1e-6);
    /* the same seed gives the same trials; another seed others */
    study_best(&sp, 1, 7, xs);
    study_best(&sp, 1, 7, ys);
    ck_assert_int_eq(memcmp(xs, ys, sizeof xs), 0);
    study_best(&sp, 1, 8, ys);
    ck_assert_int_ne(memcmp(xs, ys, sizeof xs), 0);
    fc_space_free(&sp);
}
END_TEST

START_TEST(test_tpe_integers_logs_and_choices)
{
    /* an int on a log scale and a choice: every point valid; TPE leans to
     * the choice and the integers the objective favours */
    struct fc_space sp;
    ck_assert_int_eq(build(&sp, "xgboost_standard",
                           "{\"models.xgboost_standard.learning_rate\": null,"
                           " \"models.xgboost_standard.subsample\": null,"
                           " \"models.xgboost_standard.colsample_bytree\": null,"
                           " \"models.xgboost_standard.min_child_weight\": null,"
                           " \"models.xgboost_standard.reg_lambda\": null,"
                           " \"models.xgboost_standard.max_bin\": {\"int\": [2, 1024], \"log\": "
                           "true},"
                           " \"models.xgboost_standard.tree_method\": {\"choice\": [\"hist\", "
                           "\"approx\", \"exact\"]}}"),
                     0);
    ck_assert_uint_eq(sp.n, 3);
    enum { N = 60 };
    double xs[N][3];
    struct fc_trial_obs obs[N];
    size_t late_choice = 0;
    for (size_t i = 0; i < N; i++) {
        fc_tpe_suggest(&sp, obs, i, &fc_tpe_defaults, 3, i, xs[i]);
        ck_assert(xs[i][0] == floor(xs[i][0]) && xs[i][0] >= 3 && xs[i][0] <= 10);
        ck_assert(xs[i][1] == floor(xs[i][1]) && xs[i][1] >= 2 && xs[i][1] <= 1024);
        ck_assert(xs[i][2] == 0 || xs[i][2] == 1 || xs[i][2] == 2);
        double v = fabs(xs[i][0] - 7) + fabs(log2(xs[i][1]) - 5) + (xs[i][2] == 1 ? 0 : 3);
        obs[i] = (struct fc_trial_obs){xs[i], v, 0, 1};
        late_choice += i >= 40 && xs[i][2] == 1;
    }
    ck_assert_msg(late_choice >= 14, "the favoured choice in %zu of the last 20", late_choice);
    fc_space_free(&sp);
}
END_TEST

START_TEST(test_parzen_estimator_equals_optuna)
{
    /* the density TPE ranks candidates by, against Optuna 3.1's
     * _ParzenEstimator.log_pdf (tests/fixtures/make_tpe_golden.py) */
    cJSON *doc = fc_read_json("fixtures/tpe_expected.json");
    ck_assert_ptr_nonnull(doc);
    static const struct fc_param_spec spec = {.name = "x", .type = FC_PARAM_DOUBLE};
    size_t n_cases = 0, n_points = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(doc, "cases"))
    {
        const char *kind = cJSON_GetObjectItem(c, "kind")->valuestring;
        struct fc_dim d = {.spec = &spec,
                           .kind = strcmp(kind, "int") == 0     ? FC_DIM_INT
                                   : strcmp(kind, "float") == 0 ? FC_DIM_FLOAT
                                                                : FC_DIM_CHOICE,
                           .lo = cJSON_GetObjectItem(c, "lo")->valuedouble,
                           .hi = cJSON_GetObjectItem(c, "hi")->valuedouble,
                           .log = cJSON_IsTrue(cJSON_GetObjectItem(c, "log")),
                           .n_choices = (size_t)cJSON_GetObjectItem(c, "n_choices")->valueint};
        const cJSON *obs = cJSON_GetObjectItem(c, "obs"), *xs = cJSON_GetObjectItem(c, "xs"),
                    *lp = cJSON_GetObjectItem(c, "log_pdf");
        size_t n = (size_t)cJSON_GetArraySize(obs);
        double *o = xcalloc(n + 1, sizeof *o);
        for (size_t i = 0; i < n; i++)
            o[i] = cJSON_GetArrayItem(obs, (int)i)->valuedouble;
        for (int i = 0; i < cJSON_GetArraySize(xs); i++) {
            double got = fc_tpe_log_pdf(&d, o, n, 1.0, cJSON_GetArrayItem(xs, i)->valuedouble);
            double want = cJSON_GetArrayItem(lp, i)->valuedouble;
            ck_assert_msg(fabs(got - want) <= 1e-9 * fmax(1, fabs(want)),
                          "%s: log_pdf(%g) = %.15g, Optuna %.15g",
                          cJSON_GetObjectItem(c, "name")->valuestring,
                          cJSON_GetArrayItem(xs, i)->valuedouble, got, want);
            n_points++;
        }
        free(o);
        n_cases++;
    }
    ck_assert_uint_eq(n_cases, 7);
    ck_assert_uint_ge(n_points, 40);
    cJSON_Delete(doc);
}
END_TEST

START_TEST(test_grid_covers_every_point_once)
{
    struct fc_space sp;
    ck_assert_int_eq(build(&sp, "statquant", NULL), 0); /* by_weekday: false, true */
    ck_assert_uint_eq(fc_space_grid_size(&sp, 100), 2);
    fc_space_free(&sp);
    ck_assert_int_eq(build(&sp, "xgboost_standard",
                           "{\"models.xgboost_standard.learning_rate\": null,"
                           " \"models.xgboost_standard.subsample\": null,"
                           " \"models.xgboost_standard.colsample_bytree\": null,"
                           " \"models.xgboost_standard.min_child_weight\": null,"
                           " \"models.xgboost_standard.reg_lambda\": null,"
                           " \"models.xgboost_standard.max_depth\": {\"int\": [2, 4]},"
                           " \"models.xgboost_standard.tree_method\": {\"choice\": [\"hist\", "
                           "\"approx\"]}}"),
                     0);
    size_t g = fc_space_grid_size(&sp, 100);
    ck_assert_uint_eq(g, 6);
    double pts[6][2];
    const double *taken[6];
    for (size_t i = 0; i < 6; i++) {
        ck_assert_int_eq(fc_grid_suggest(&sp, g, taken, i, 5, pts[i]), 0);
        for (size_t j = 0; j < i; j++)
            ck_assert(pts[i][0] != pts[j][0] || pts[i][1] != pts[j][1]);
        taken[i] = pts[i];
    }
    double x[2];
    ck_assert_int_eq(fc_grid_suggest(&sp, g, taken, 6, 5, x), -1);
    fc_space_free(&sp);
    /* a float dimension has no grid */
    ck_assert_int_eq(build(&sp, "xgboost_standard", NULL), 0);
    ck_assert_uint_eq(fc_space_grid_size(&sp, 100), 0);
    fc_space_free(&sp);
}
END_TEST

START_TEST(test_median_pruner_by_hand)
{
    /* five complete trials; their means over the first two folds:
     * 1.5, 2.5, 3.5, 4.5, 10.5 -> median 3.5 */
    double f[5][3] = {{1, 2, 9}, {2, 3, 9}, {3, 4, 9}, {4, 5, 9}, {10, 11, 9}};
    struct fc_trial t[6];
    memset(t, 0, sizeof t);
    for (int i = 0; i < 5; i++)
        t[i] = (struct fc_trial){.number = i, .state = FC_TRIAL_COMPLETE, .folds = f[i],
                                 .n_folds = 3};
    t[5] = (struct fc_trial){.number = 5, .state = FC_TRIAL_PRUNED, .folds = f[0], .n_folds = 1};
    ck_assert_int_eq(fc_median_prune(t, 6, 1, 3.5, 5), 0); /* not worse than the median */
    ck_assert_int_eq(fc_median_prune(t, 6, 1, 3.6, 5), 1);
    ck_assert_int_eq(fc_median_prune(t, 6, 1, NAN, 5), 1);
    /* after fold 1: means 1, 2, 3, 4, 10 -> median 3 */
    ck_assert_int_eq(fc_median_prune(t, 6, 0, 3.0, 5), 0);
    ck_assert_int_eq(fc_median_prune(t, 6, 0, 3.01, 5), 1);
    /* fewer complete trials than the start-up count: never */
    ck_assert_int_eq(fc_median_prune(t, 6, 1, 100, 6), 0);
    /* four complete: the median of an even count is the mean of the middle two */
    ck_assert_int_eq(fc_median_prune(t, 4, 1, 3.0, 4), 0);
    ck_assert_int_eq(fc_median_prune(t, 4, 1, 3.01, 4), 1);
    ck_assert_ptr_eq(fc_trials_best(t, 6), &t[0]);
}
END_TEST

/* ---- the study ---- */

static int sample_random(void *arg, long number, const struct fc_trial_obs *obs, size_t n_obs,
                         const double *const *taken, size_t n_taken, double *x)
{
    (void)obs, (void)n_obs, (void)taken, (void)n_taken;
    fc_random_suggest(arg, 1, (uint64_t)number, x);
    return 0;
}

static void sql(const char *db, const char *fmt, long a, long b)
{
    char *q = fc_xasprintf(fmt, a, b);
    char *cmd = fc_xasprintf("sqlite3 '%s' \"%s\"", db, q);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);
    free(q);
}

/* a new study over the Branin space in a scratch directory */
struct study_fix {
    char *dir, *db;
    struct fc_space sp;
    struct fc_study st;
    cJSON *meta;
};

static void fix_open(struct study_fix *f, const char *meta)
{
    f->dir = test_tmpdir();
    f->db = fc_xasprintf("%s/study.db", f->dir);
    branin_space(&f->sp);
    f->meta = cJSON_Parse(meta);
    ck_assert_int_eq(fc_study_create(&f->st, f->db, f->meta, f->sp.n), 0);
}

static void fix_free(struct study_fix *f)
{
    fc_study_close(&f->st);
    cJSON_Delete(f->meta);
    test_rmtree(f->dir);
    free(f->db);
    free(f->dir);
    fc_space_free(&f->sp);
}

START_TEST(test_study_counts_and_requeues)
{
    struct study_fix f;
    fix_open(&f, "{\"model\": \"m\"}");
    struct fc_study other;
    ck_assert_int_eq(fc_study_create(&other, f.db, f.meta, f.sp.n), -1); /* exists */
    long num;
    double x[2];
    for (long i = 0; i < 3; i++) {
        ck_assert_int_eq(fc_study_ask(&f.st, &f.sp, 4, sample_random, &f.sp, &num, x), 1);
        ck_assert_int_eq(num, i);
        double folds[2] = {branin(x), branin(x) + 1};
        ck_assert_int_eq(fc_study_tell(&f.st, num, i == 2 ? FC_TRIAL_PRUNED : FC_TRIAL_COMPLETE,
                                       folds, i == 2 ? 1 : 2, i == 2 ? NAN : folds[0] + 0.5,
                                       NULL),
                         0);
    }
    /* trial 3 left running by a process that is gone */
    ck_assert_int_eq(fc_study_ask(&f.st, &f.sp, 4, sample_random, &f.sp, &num, x), 1);
    ck_assert_int_eq(num, 3);
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0);
    sql(f.db, "UPDATE trials SET pid = %ld WHERE number = %ld", (long)child, 3);
    /* the next ask abandons it and hands out its point again as trial 4 */
    double y[2];
    ck_assert_int_eq(fc_study_ask(&f.st, &f.sp, 4, sample_random, &f.sp, &num, y), 1);
    ck_assert_int_eq(num, 4);
    ck_assert(x[0] == y[0] && x[1] == y[1]);
    ck_assert_int_eq(fc_study_tell(&f.st, num, FC_TRIAL_FAILED, NULL, 0, NAN, "boom"), 0);
    /* four counted: done */
    ck_assert_int_eq(fc_study_ask(&f.st, &f.sp, 4, sample_random, &f.sp, &num, y), 0);
    struct fc_trial *t;
    size_t n;
    ck_assert_int_eq(fc_study_trials(&f.st, &t, &n), 0);
    ck_assert_uint_eq(n, 5);
    ck_assert_int_eq(t[3].state, FC_TRIAL_FAILED);
    ck_assert_int_eq(t[3].abandoned, 1);
    ck_assert_ptr_nonnull(strstr(t[3].error, "died"));
    ck_assert_int_eq(t[4].retry_of, 3);
    ck_assert_str_eq(t[4].error, "boom");
    ck_assert_int_eq(t[2].state, FC_TRIAL_PRUNED);
    ck_assert_uint_eq(t[2].n_folds, 1);
    ck_assert_close(t[0].objective, branin(t[0].x) + 0.5, 1e-12);
    fc_trials_free(t, n);
    fc_study_close(&f.st);
    /* reopened: its settings */
    cJSON *m2;
    ck_assert_int_eq(fc_study_open(&f.st, f.db, &m2), 0);
    ck_assert(cJSON_Compare(f.meta, m2, 1));
    cJSON_Delete(m2);
    fix_free(&f);
}
END_TEST

START_TEST(test_study_zombies_hosts_and_second_deaths)
{
    struct study_fix f;
    fix_open(&f, "{}");
    long num;
    double x[2];
    /* trial 0's process exited but is not reaped (a zombie): dead */
    ck_assert_int_eq(fc_study_ask(&f.st, &f.sp, 3, sample_random, &f.sp, &num, x), 1);
    pid_t z = fork();
    if (z == 0)
        _exit(0);
    usleep(200000); /* it exits; nobody waits for it yet */
    sql(f.db, "UPDATE trials SET pid = %ld WHERE number = %ld", (long)z, 0);
    ck_assert_int_eq(fc_study_ask(&f.st, &f.sp, 3, sample_random, &f.sp, &num, x), 1);
    ck_assert_int_eq(num, 1); /* trial 0 queued again as trial 1 */
    waitpid(z, NULL, 0);
    /* the retry dies too: failed, counted, not queued a third time */
    sql(f.db, "UPDATE trials SET pid = %ld WHERE number = %ld", (long)z, 1);
    ck_assert_int_eq(fc_study_ask(&f.st, &f.sp, 3, sample_random, &f.sp, &num, x), 1);
    ck_assert_int_eq(num, 2); /* a new point */
    /* trial 2 runs on another host: nothing here can tell, it stays and
     * counts (with trial 1, two of two) */
    sql(f.db, "UPDATE trials SET host = 'elsewhere', pid = %ld WHERE number = %ld", (long)z, 2);
    ck_assert_int_eq(fc_study_ask(&f.st, &f.sp, 2, sample_random, &f.sp, &num, x), 0);
    /* until --abandon-running: queued again as trial 3 */
    ck_assert_int_eq(fc_study_abandon_running(&f.st), 0);
    ck_assert_int_eq(fc_study_ask(&f.st, &f.sp, 2, sample_random, &f.sp, &num, x), 1);
    ck_assert_int_eq(num, 3);
    struct fc_trial *t;
    size_t n;
    ck_assert_int_eq(fc_study_trials(&f.st, &t, &n), 0);
    ck_assert_uint_eq(n, 4);
    ck_assert(t[0].state == FC_TRIAL_FAILED && t[0].abandoned);
    ck_assert(t[1].state == FC_TRIAL_FAILED && !t[1].abandoned && t[1].retry_of == 0);
    ck_assert_ptr_nonnull(strstr(t[1].error, "not retried again"));
    ck_assert(t[2].state == FC_TRIAL_FAILED && t[2].abandoned);
    ck_assert_ptr_nonnull(strstr(t[2].error, "--abandon-running"));
    ck_assert(t[3].state == FC_TRIAL_RUNNING && t[3].retry_of == 2);
    fc_trials_free(t, n);
    fix_free(&f);
}
END_TEST

START_TEST(test_study_two_processes_distinct_numbers)
{
    struct study_fix f;
    fix_open(&f, "{}");
    fc_study_close(&f.st);
    /* two processes ask and tell 40 trials between them */
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            struct fc_study s2;
            cJSON *m = NULL;
            int bad = fc_study_open(&s2, f.db, &m);
            long num;
            double x[2];
            int got = 0;
            while (!bad && (got = fc_study_ask(&s2, &f.sp, 40, sample_random, &f.sp, &num, x)) == 1)
                bad = fc_study_tell(&s2, num, FC_TRIAL_COMPLETE, x, 1, branin(x), NULL);
            _exit(bad || got < 0);
        }
    }
    for (int k = 0; k < 2; k++) {
        int status;
        waitpid(kids[k], &status, 0);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    cJSON *m;
    ck_assert_int_eq(fc_study_open(&f.st, f.db, &m), 0);
    struct fc_trial *t;
    size_t n;
    ck_assert_int_eq(fc_study_trials(&f.st, &t, &n), 0);
    ck_assert_uint_eq(n, 40);
    for (size_t i = 0; i < n; i++) { /* numbers 0..39, each once, all complete */
        ck_assert_int_eq(t[i].number, (long)i);
        ck_assert_int_eq(t[i].state, FC_TRIAL_COMPLETE);
    }
    fc_trials_free(t, n);
    cJSON_Delete(m);
    fix_free(&f);
}
END_TEST

Suite *suite_tune(void)
{
    Suite *s = suite_create("tune");
    TCase *t = tcase_create("tune");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, test_space_defaults_and_overrides);
    tcase_add_test(t, test_space_refusals_name_the_path);
    tcase_add_test(t, test_tpe_beats_random_on_branin);
    tcase_add_test(t, test_tpe_integers_logs_and_choices);
    tcase_add_test(t, test_parzen_estimator_equals_optuna);
    tcase_add_test(t, test_grid_covers_every_point_once);
    tcase_add_test(t, test_median_pruner_by_hand);
    tcase_add_test(t, test_study_counts_and_requeues);
    tcase_add_test(t, test_study_zombies_hosts_and_second_deaths);
    tcase_add_test(t, test_study_two_processes_distinct_numbers);
    suite_add_tcase(s, t);
    return s;
}

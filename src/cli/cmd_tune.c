/*
 * cmd_tune.c — `forecast tune`: hyperparameter search for one model. Its
 * planner of folds places K expanding backtest windows inside the training
 * part (the test period is never seen); the train stages (train_run.c)
 * load the data and prepare each fold's split, transform and features
 * once. Each trial trains the model on every fold with the sampler's
 * parameters (fc_train_run_window) and scores it with the metrics module;
 * the study (src/tune/) keeps the trials in study.db.
 *
 *   runs/<name>/config.json   the resolved config the study tunes
 *              /study.db      the study (SQLite)
 *              /trials.csv, best.json, report.md, report.html
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "forecast/cli/cli.h"
#include "forecast/cli/train_run.h"
#include "forecast/core/util.h"
#include "forecast/data/cache.h"
#include "forecast/data/derive.h"
#include "forecast/eval/metrics.h"
#include "forecast/report/report.h"
#include "forecast/store/store.h"
#include "forecast/train/job.h"
#include "forecast/tune/study.h"
#include "forecast/tune/tuner.h"

static const struct fc_opt tune_opts[] = {
    {"config", "FILE", "JSON config (default: config/default.json when present)"},
    {"model", "NAME", "the model to tune, e.g. xgboost_standard"},
    {"data", "FILE", "data CSV (data.path)"},
    {"strategy", "S", "combined (one model over all series) or individual (one per series)"},
    {"split-date", "DATE", "first test date, YYYY-MM-DD (split.split_date): tuning sees only "
                           "the rows before it"},
    {"horizon", "H", "forecast H periods from each origin (horizon): each fold's length"},
    {"quantiles", "LIST", "quantile levels, e.g. 0.1,0.5,0.9"},
    {"sku", "KEY", "tune on this series only (repeatable)"},
    {"seed", "N", "random seed: the sampler's and the models'"},
    {"set", "PATH=VALUE", "set any config value, e.g. --set 'tune.space={...}' (repeatable)"},
    {"trials", "N", "trials in the study (default 20; with --resume: raise the study's count)"},
    {"folds", "K", "time-series folds inside the training part (default 3)"},
    {"jobs", "J", "trials at a time, each in its own process with cores / J threads "
                  "(default 1)"},
    {"timeout", "SECONDS", "start no trial after this many seconds"},
    {"sampler", "S", "tpe (default), random, or grid (int and choice dimensions only)"},
    {"metric", "NAME", "objective: a metric of metrics.json (default wrmsse; wspl for a "
                       "quantile-only model), its mean over the folds"},
    {"no-prune", NULL, "run every trial on every fold (no median pruning)"},
    {"out", "DIR", "directory that holds runs (output.dir, default runs)"},
    {"name", "NAME", "study directory name (default: timestamp + short hash)"},
    {"resume", "DIR", "continue the study in DIR (after a crash, or with more --trials)"},
    {"abandon-running", NULL, "with --resume: queue again the trials the study says are running, "
                              "whatever host runs them (their processes are gone)"},
    {"no-cache", NULL, "neither read nor write the binary cache of the data"},
    {"quiet", NULL, "print only errors"},
    {"verbose", NULL, "print each trial's training too"},
};

struct tune {
    struct fc_train_run R;
    const struct fc_model_ops *ops;
    struct fc_space space;
    long n_trials;
    long n_folds;
    int jobs;
    double timeout;
    enum fc_sampler_kind sampler;
    const char *metric_name;
    const struct fc_metric_info *metric;
    int prune;
    int abandon_running;
    uint64_t seed;
    int fold_periods;           /* each fold's test length, in periods */
    int threads;                /* per trial: cores / jobs */
    int verbosity;
    char *dir;                  /* the study directory */
    cJSON *meta;                /* the study's settings */
    /* the trial whose parameters are resolved */
    long params_of;
    struct fc_params params;
    int have_params;
};

/* ---- options ---- */

static int parse_count(const char *flag, const char *text, long lo, long hi, long *out)
{
    long v;
    if (fc_parse_long(text, &v) || v < lo || v > hi)
        return fc_error("--%s: expected an integer in [%ld, %ld], got \"%s\"", flag, lo, hi,
                        text);
    *out = v;
    return 0;
}

/* tune's own options; the config's are fc_train_overrides' */
static int tune_options(struct tune *T, const struct fc_args *a)
{
    for (size_t i = 0; i < a->n; i++) {
        const struct fc_opt *o = a->items[i].opt;
        const char *v = a->items[i].value;
        long n = 0;
        if (!o)
            continue;
        if (strcmp(o->name, "trials") == 0) {
            if (parse_count("trials", v, 1, 1000000, &T->n_trials))
                return -1;
        } else if (strcmp(o->name, "folds") == 0) {
            if (parse_count("folds", v, 1, 1000, &T->n_folds))
                return -1;
        } else if (strcmp(o->name, "jobs") == 0) {
            if (parse_count("jobs", v, 1, 1024, &n))
                return -1;
            T->jobs = (int)n;
        } else if (strcmp(o->name, "timeout") == 0) {
            char *end;
            errno = 0;
            T->timeout = strtod(v, &end);
            if (*end || end == v || errno || !(T->timeout > 0) || !isfinite(T->timeout))
                return fc_error("--timeout: expected seconds > 0, got \"%s\"", v);
        } else if (strcmp(o->name, "sampler") == 0) {
            int k;
            for (k = 0; fc_sampler_names[k] && strcmp(fc_sampler_names[k], v) != 0; k++)
                ;
            if (!fc_sampler_names[k])
                return fc_error("--sampler: expected tpe, random or grid, got \"%s\"", v);
            T->sampler = (enum fc_sampler_kind)k;
        } else if (strcmp(o->name, "metric") == 0) {
            T->metric_name = v;
        } else if (strcmp(o->name, "no-prune") == 0) {
            T->prune = 0;
        } else if (strcmp(o->name, "resume") == 0) {
            T->R.own_dir = v;
        } else if (strcmp(o->name, "abandon-running") == 0) {
            T->abandon_running = 1;
        } else if (strcmp(o->name, "quiet") == 0) {
            fc_verbosity = 0;
        } else if (strcmp(o->name, "verbose") == 0) {
            fc_verbosity = 2;
        }
    }
    return 0;
}

/* train's overrides without --jobs (here: trials at a time, not the
 * config's workers) */
static int config_overrides(struct tune *T, const struct fc_args *a)
{
    if (fc_train_overrides("tune", a, &T->R.config_file, &T->R.ov, &T->R.n_ov))
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < T->R.n_ov; i++) {
        if (strcmp(T->R.ov[i].path, "jobs") == 0)
            fc_override_free(&T->R.ov[i]);
        else
            T->R.ov[k++] = T->R.ov[i];
    }
    T->R.n_ov = k;
    return 0;
}

/* ---- the study's settings (kept in study.db, read back by --resume) ---- */

static const char *origin(const char *path, const void *arg)
{
    const struct fc_train_run *R = arg;
    for (size_t i = R->n_ov; i-- > 0;) {
        size_t n = strlen(R->ov[i].path);
        if (strncmp(path, R->ov[i].path, n) == 0 && (path[n] == '\0' || path[n] == '.'))
            return R->ov[i].flag;
    }
    return R->cfg.source;
}

static int choose_metric(struct tune *T)
{
    unsigned out = fc_model_outputs(T->ops, &T->R.cfg.model.params);
    if (!T->metric_name)
        T->metric_name = out & FC_MODEL_POINT ? "wrmsse" : "wspl";
    T->metric = fc_metric_find(T->metric_name);
    if (!T->metric) {
        char names[512];
        size_t l = 0;
        for (size_t i = 0; fc_metric_table[i].name && l < sizeof names; i++)
            l += (size_t)snprintf(names + l, sizeof names - l, "%s%s", i ? ", " : "",
                                  fc_metric_table[i].name);
        return fc_error("--metric %s: not a metric; expected one of %s", T->metric_name, names);
    }
    int quantile = strcmp(T->metric->name, "wspl") == 0 ||
                   strcmp(T->metric->name, "mean_pinball") == 0 ||
                   strcmp(T->metric->name, "crossing_rate") == 0;
    if (quantile && !(out & FC_MODEL_QUANTILE))
        return fc_error("--metric %s: scores quantiles, and %s predicts none", T->metric->name,
                        T->ops->name);
    if (!quantile && !(out & FC_MODEL_POINT))
        return fc_error("--metric %s: scores a point forecast, and %s predicts quantiles only "
                        "(use wspl or mean_pinball)",
                        T->metric->name, T->ops->name);
    return 0;
}

static int build_space(struct tune *T)
{
    struct fc_train_run *R = &T->R;
    if (R->cfg.n_models != 1)
        return fc_error("tune: one model at a time (the config names %zu: give --model NAME)",
                        R->cfg.n_models);
    T->ops = R->cfg.model.ops;
    const struct fc_model_ops *members[64];
    size_t nm = 0;
    for (size_t i = 0; i < R->cfg.model.params.n_members && nm < 64; i++)
        members[nm++] = R->cfg.model.params.members[i].ops;
    const cJSON *tj = cJSON_GetObjectItemCaseSensitive(R->cfg.json, "tune");
    const cJSON *space = cJSON_GetObjectItemCaseSensitive(tj, "space");
    if (fc_space_build(&T->space, T->ops, members, nm, space, origin, R))
        return -1;
    if (T->sampler == FC_SAMPLER_GRID) {
        size_t g = fc_space_grid_size(&T->space, (size_t)1 << 20);
        if (g == 0)
            return fc_error("--sampler grid: the space has a float dimension or more than "
                            "2^20 points; give int and choice dimensions only in tune.space");
        if ((long)g < T->n_trials) {
            fc_info(1, "grid: %zu points; the study stops after them", g);
        }
    }
    return choose_metric(T);
}

/* ---- the folds: the place hook of the train stages ---- */

static int place_folds(struct fc_train_run *R)
{
    struct tune *T = R->place_arg;
    if (build_space(T))
        return -1;
    struct fc_split_spec *s = &R->cfg.split;
    if (s->has_val_date)
        return fc_error("%s: split.val_date fixes one validation window; tuning's folds each "
                        "need their own: give split.val_days or split.val_periods",
                        R->cfg.source);
    T->fold_periods = R->cfg.horizon > 0 ? R->cfg.horizon
                      : s->val_days >= 0 ? s->val_days
                                         : s->val_periods;
    if (T->fold_periods <= 0)
        return fc_error("%s: tune's folds are horizon periods long (else the validation "
                        "window's): give horizon or split.val_periods",
                        R->cfg.source);
    /* the test period starts at the first backtest window, or the split date */
    int has_test = 0;
    int32_t test = 0;
    if (s->windows) {
        int32_t *dates = xmalloc((size_t)s->windows * sizeof *dates);
        struct fc_split_spec c = *s;
        c.freq = fc_derive_freq(R->ds, R->cfg.data.freq);
        int rc = fc_split_windows(R->ds, &c, dates);
        if (rc == 0)
            test = dates[0];
        free(dates);
        if (rc)
            return -1;
        has_test = 1;
    } else if (s->has_split_date) {
        test = s->split_date;
        has_test = 1;
    }
    if (has_test && s->has_test_end && s->test_end < test)
        test = s->test_end;
    s->windows = (int)T->n_folds;
    s->step = T->fold_periods;
    s->horizon = T->fold_periods;
    s->has_split_date = 0;
    s->has_test_end = has_test || s->has_test_end;
    s->test_end = has_test ? test : s->test_end;
    s->refit = 1;
    return 0;
}

/* ---- one fold of one trial: the objective ---- */

static int plan_fold(struct fc_train_run *R, struct fc_plan *P)
{
    const struct tune *T = R->place_arg;
    int individual = R->cfg.strategy == FC_INDIVIDUAL;
    P->threads = individual ? 1 : T->threads;
    P->workers = individual ? T->threads : 1;
    fc_pool_run(P);
    return 0;
}

static const struct fc_train_planner fold_planner = {plan_fold, 0};

/* the model's hyperparameters at point x (trial number), resolved as the
 * config's with the point's values over them */
static int trial_params(struct tune *T, long number, const double *x)
{
    if (T->have_params && T->params_of == number)
        return 0;
    if (T->have_params)
        fc_params_free(&T->params);
    T->have_params = 0;
    cJSON *models = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(T->R.cfg.json, "models"), 1);
    fc_space_apply(&T->space, x, models);
    char *src = fc_xasprintf("trial %ld", number);
    int rc = fc_config_model_params(models, T->ops, src, &T->params);
    free(src);
    cJSON_Delete(models);
    if (rc)
        return -1;
    T->have_params = 1;
    T->params_of = number;
    return 0;
}

static int eval_fold(void *arg, long number, const double *x, size_t k, double *value)
{
    struct tune *T = arg;
    struct fc_train_run *R = &T->R;
    if (trial_params(T, number, x))
        return -1;
    struct fc_config one = R->cfg; /* shallow: the trial's parameters */
    one.model.params = T->params;
    one.models = &one.model;
    one.n_models = 1;
    one.jobs = T->threads;
    char *top = fc_xasprintf("%s/trials/%ld", T->dir, number);
    char *dir = fc_xasprintf("%s/%s", top, R->win[k].name);
    /* trials/ may be removed by another process's end (rmdir, when empty)
     * between the steps of mkdir -p: once dir exists it cannot be */
    struct stat sb;
    for (int attempt = 0; attempt < 5 && stat(dir, &sb) != 0; attempt++)
        fc_mkdir_p(dir);
    struct fc_train_result res;
    memset(&res, 0, sizeof res);
    int saved = fc_verbosity;
    fc_verbosity = T->verbosity >= 2 ? 2 : 0;
    int rc = fc_train_run_window(R, &one, &R->win[k], dir, NULL, &fold_planner, &res);
    fc_verbosity = saved;
    if (rc == 0 && res.n_failed)
        rc = fc_error("fold %s: %zu series failed to train with these parameters, e.g. %s: %s",
                      R->win[k].name, res.n_failed, R->ds->series_key[res.failed[0].series],
                      res.failed[0].reason);
    if (rc == 0) {
        double v = fc_metric_value(res.metrics, T->metric);
        if (!isfinite(v))
            rc = fc_error("fold %s: %s is undefined for these predictions", R->win[k].name,
                          T->metric->name);
        *value = T->metric->higher_better ? -v : v;
    }
    fc_train_result_free(&res);
    if (fc_remove_tree(top) && rc == 0)
        rc = -1;
    free(dir);
    free(top);
    return rc;
}

/* ---- the study ---- */

static cJSON *make_meta(const struct tune *T)
{
    const struct fc_train_run *R = &T->R;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "model", T->ops->name);
    cJSON_AddStringToObject(m, "strategy", fc_strategy_name(R->cfg.strategy));
    cJSON_AddNumberToObject(m, "trials", (double)T->n_trials);
    cJSON_AddNumberToObject(m, "folds", (double)T->n_folds);
    cJSON_AddNumberToObject(m, "fold_periods", T->fold_periods);
    cJSON_AddStringToObject(m, "freq", fc_freq_name(R->cfg.data.freq));
    cJSON *c = cJSON_AddArrayToObject(m, "fold_cutoffs");
    for (size_t w = 0; w < R->n_win; w++) {
        char d[11];
        fc_format_date(R->win[w].sp.last_train_date, d);
        cJSON_AddItemToArray(c, cJSON_CreateString(d));
    }
    cJSON_AddStringToObject(m, "sampler", fc_sampler_names[T->sampler]);
    cJSON_AddStringToObject(m, "metric", T->metric->name);
    cJSON_AddBoolToObject(m, "higher_better", T->metric->higher_better);
    cJSON_AddBoolToObject(m, "prune", T->prune);
    cJSON_AddNumberToObject(m, "seed", (double)T->seed);
    cJSON_AddItemToObject(m, "space", fc_space_to_json(&T->space));
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddStringToObject(m, "created", now);
    return m;
}

/* --resume DIR: the study's settings; only --trials, --jobs, --timeout and
 * the output flags may come with it */
static int resume_settings(struct tune *T, const struct fc_args *a, struct fc_study *st)
{
    static const char *const allowed[] = {"resume", "trials", "jobs", "timeout", "quiet",
                                          "verbose", "abandon-running", NULL};
    for (size_t i = 0; i < a->n; i++) {
        const struct fc_opt *o = a->items[i].opt;
        if (!o)
            return fc_error("tune: unexpected argument '%s' (options start with --)",
                            a->items[i].value);
        size_t k;
        for (k = 0; o && allowed[k] && strcmp(allowed[k], o->name) != 0; k++)
            ;
        if (o && !allowed[k])
            return fc_error("--resume %s: the study's own settings are used; --%s cannot be "
                            "given (only --trials, --jobs, --timeout, --abandon-running, --quiet, "
                            "--verbose)",
                            T->R.own_dir, o->name);
    }
    char *path = fc_xasprintf("%s/study.db", T->R.own_dir);
    int rc = fc_study_open(st, path, &T->meta);
    free(path);
    if (rc)
        return -1;
    const cJSON *m = T->meta;
    const cJSON *tr = cJSON_GetObjectItemCaseSensitive(m, "trials"),
                *fo = cJSON_GetObjectItemCaseSensitive(m, "folds"),
                *sa = cJSON_GetObjectItemCaseSensitive(m, "sampler"),
                *me = cJSON_GetObjectItemCaseSensitive(m, "metric"),
                *pr = cJSON_GetObjectItemCaseSensitive(m, "prune");
    if (!cJSON_IsNumber(tr) || !cJSON_IsNumber(fo) || !cJSON_IsString(sa) ||
        !cJSON_IsString(me) || !cJSON_IsBool(pr))
        return fc_error("%s/study.db: the study's settings lack trials, folds, sampler, metric "
                        "or prune",
                        T->R.own_dir);
    int raised = 0;
    for (size_t i = 0; i < a->n; i++)
        raised |= a->items[i].opt && strcmp(a->items[i].opt->name, "trials") == 0;
    if (!raised)
        T->n_trials = (long)tr->valuedouble;
    T->n_folds = (long)fo->valuedouble;
    for (int k = 0; fc_sampler_names[k]; k++)
        if (strcmp(fc_sampler_names[k], sa->valuestring) == 0)
            T->sampler = (enum fc_sampler_kind)k;
    T->metric_name = me->valuestring;
    T->prune = cJSON_IsTrue(pr);
    T->R.config_file = fc_xasprintf("%s/config.json", T->R.own_dir);
    return 0;
}

/* a new study: its directory, config.json and study.db; 0, or an exit
 * status */
static int create_study(struct tune *T, struct fc_study *st)
{
    struct fc_train_run *R = &T->R;
    fc_dataset_cache_store(&R->cfg.data, 1, R->ds);
    if (fc_mkdir_p(R->cfg.out_dir))
        return FC_EXIT_FAILURE;
    if (mkdir(R->run_dir, 0777) != 0) {
        fc_error("%s: cannot create the study directory: %s", R->run_dir, strerror(errno));
        return errno == EEXIST ? FC_EXIT_USAGE : FC_EXIT_FAILURE;
    }
    char *cfg = fc_xasprintf("%s/config.json", R->run_dir);
    char *db = fc_xasprintf("%s/study.db", R->run_dir);
    T->meta = make_meta(T);
    /* study.db last: a directory without it is a start that did not finish */
    int rc = fc_write_json(cfg, R->cfg.json) || fc_study_create(st, db, T->meta, T->space.n);
    free(cfg);
    free(db);
    if (rc)
        fc_remove_tree(R->run_dir); /* ours, and holding nothing yet */
    return rc ? FC_EXIT_FAILURE : 0;
}

/* a resumed study: the same space and folds as when it was made */
static int check_resumed(struct tune *T, const cJSON *space_now)
{
    const cJSON *space = cJSON_GetObjectItemCaseSensitive(T->meta, "space");
    if (!cJSON_Compare(space, space_now, 1))
        return fc_error("--resume %s: the search space this forecast builds from config.json "
                        "differs from the study's (study.db); resume it with the forecast that "
                        "made it",
                        T->R.own_dir);
    cJSON *now = make_meta(T);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(T->meta, "fold_cutoffs");
    int same = cJSON_Compare(a, cJSON_GetObjectItemCaseSensitive(now, "fold_cutoffs"), 1);
    cJSON_Delete(now);
    if (!same)
        return fc_error("--resume %s: the folds' cutoffs differ from the study's: the data "
                        "changed since it started",
                        T->R.own_dir);
    return 0;
}

/* ---- the trials: this process, or --jobs J processes ---- */

static int run_one(struct tune *T, const char *db)
{
    struct fc_study st;
    cJSON *meta = NULL;
    if (fc_study_open(&st, db, &meta))
        return -1;
    cJSON_Delete(meta);
    struct fc_tuner t = {
        .study = &st,
        .space = &T->space,
        .sampler = T->sampler,
        .tpe = fc_tpe_defaults,
        .seed = T->seed,
        .n_trials = T->n_trials,
        .n_folds = (size_t)T->n_folds,
        .prune = T->prune,
        .prune_startup = 5,
        .deadline = T->timeout > 0 ? T->R.t_start + T->timeout : 0,
        .workers = T->jobs,
        .sign = T->metric->higher_better ? -1 : 1,
        .fold = eval_fold,
        .fold_arg = T,
    };
    int rc = fc_tuner_run(&t);
    fc_study_close(&st);
    return rc;
}

static int run_trials(struct tune *T)
{
    char *db = fc_xasprintf("%s/study.db", T->dir);
    int rc = 0;
    if (T->jobs == 1) {
        rc = run_one(T, db);
        free(db);
        return rc;
    }
    /* J processes, each with its own connection to the study */
    fflush(NULL);
    pid_t parent = getpid();
    pid_t *pids = xcalloc((size_t)T->jobs, sizeof *pids);
    for (int j = 0; j < T->jobs; j++) {
        pids[j] = fork();
        if (pids[j] == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL); /* they die with the study's process */
            if (getppid() != parent)
                _exit(1);
            int bad = run_one(T, db);
            if (bad)
                fc_error_report();
            fflush(NULL);
            _exit(bad ? 1 : 0);
        }
        if (pids[j] < 0) {
            rc = fc_error("tune: cannot start worker process %d: %s", j + 1, strerror(errno));
            break;
        }
    }
    /* reaped as they end: a dead worker must not linger as a zombie, which
     * the others' study would take for a live process holding its trial */
    for (int left = 0; left < T->jobs; left++) {
        int status;
        pid_t p = waitpid(-1, &status, 0);
        if (p < 0)
            break;
        int j;
        for (j = 0; j < T->jobs && pids[j] != p; j++)
            ;
        if (j < T->jobs && !(WIFEXITED(status) && WEXITSTATUS(status) == 0) && rc == 0)
            rc = fc_error("tune: worker process %d of %d failed (%s %d); its trial is queued "
                          "again by the others or by --resume",
                          j + 1, T->jobs, WIFEXITED(status) ? "exit status" : "signal",
                          WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    }
    free(pids);
    free(db);
    return rc;
}

/* ---- outputs ---- */

static void put_exact(FILE *f, double v)
{
    char buf[40];
    fc_format_exact(v, buf, sizeof buf);
    fputs(buf, f);
}

static int write_trials_csv(const struct tune *T, const struct fc_trial *t, size_t n)
{
    char *path = fc_xasprintf("%s/trials.csv", T->dir);
    struct fc_atomic a;
    int rc = fc_atomic_open(&a, path);
    free(path);
    if (rc)
        return -1;
    fprintf(a.f, "number,state,%s", T->metric->name);
    for (long k = 0; k < T->n_folds; k++)
        fprintf(a.f, ",fold_%ld", k + 1);
    fprintf(a.f, ",duration_s");
    for (size_t d = 0; d < T->space.n; d++)
        fprintf(a.f, ",%s", T->space.dims[d].path);
    fprintf(a.f, ",retry_of,error\n");
    double sign = T->metric->higher_better ? -1 : 1;
    for (size_t i = 0; i < n; i++) {
        fprintf(a.f, "%ld,%s,", t[i].number, fc_trial_state_names[t[i].state]);
        if (isfinite(t[i].objective))
            put_exact(a.f, sign * t[i].objective);
        for (long k = 0; k < T->n_folds; k++) {
            fputc(',', a.f);
            if ((size_t)k < t[i].n_folds && isfinite(t[i].folds[k]))
                put_exact(a.f, sign * t[i].folds[k]);
        }
        fputc(',', a.f);
        if (isfinite(t[i].duration))
            fprintf(a.f, "%.3f", t[i].duration);
        for (size_t d = 0; d < T->space.n; d++) {
            char v[256];
            fc_space_format(&T->space.dims[d], t[i].x[d], 1, v, sizeof v);
            fprintf(a.f, ",%s", v);
        }
        fputc(',', a.f);
        if (t[i].retry_of >= 0)
            fprintf(a.f, "%ld", t[i].retry_of);
        fputc(',', a.f);
        if (t[i].error) { /* quoted, quotes doubled */
            fputc('"', a.f);
            for (const char *p = t[i].error; *p; p++)
                fprintf(a.f, *p == '"' ? "\"\"" : "%c", *p);
            fputc('"', a.f);
        }
        fputc('\n', a.f);
    }
    return fc_atomic_close(&a, 0);
}

/* best.json: the study's config with the best trial's parameters; it
 * trains a new run (no output.name) on the whole training part */
static int write_best(const struct tune *T, const struct fc_trial *best)
{
    cJSON *c = cJSON_Duplicate(T->R.cfg.json, 1);
    fc_space_apply(&T->space, best->x, cJSON_GetObjectItemCaseSensitive(c, "models"));
    cJSON *out = cJSON_GetObjectItemCaseSensitive(c, "output");
    cJSON_DeleteItemFromObjectCaseSensitive(out, "name");
    char *path = fc_xasprintf("%s/best.json", T->dir);
    int rc = fc_write_json(path, c);
    free(path);
    cJSON_Delete(c);
    return rc;
}

static int write_outputs(struct tune *T)
{
    char *db = fc_xasprintf("%s/study.db", T->dir);
    struct fc_study st;
    cJSON *meta = NULL;
    int rc = fc_study_open(&st, db, &meta);
    free(db);
    if (rc)
        return FC_EXIT_FAILURE;
    struct fc_trial *t = NULL;
    size_t n = 0;
    rc = fc_study_trials(&st, &t, &n);
    fc_study_close(&st);
    if (rc) {
        cJSON_Delete(meta);
        return FC_EXIT_FAILURE;
    }
    const struct fc_trial *best = fc_trials_best(t, n);
    rc = write_trials_csv(T, t, n) || (best && write_best(T, best)) ||
         fc_report_tune(T->dir, meta, &T->space, t, n);
    size_t counts[5] = {0};
    for (size_t i = 0; i < n; i++)
        counts[t[i].state] += !t[i].abandoned;
    if (rc == 0) {
        fc_info(1, "%zu trials: %zu complete, %zu pruned, %zu failed, %zu running or queued",
                counts[2] + counts[3] + counts[4] + counts[0] + counts[1], counts[2], counts[3],
                counts[4], counts[0] + counts[1]);
        if (best)
            fc_info(1, "best: trial %ld, %s %.6g (fold mean); forecast train --config %s/best.json",
                    best->number, T->metric->name,
                    T->metric->higher_better ? -best->objective : best->objective, T->dir);
        printf("%s\n", T->dir);
    }
    /* the scratch models of trials whose process died (their own process
     * removes a trial's after its folds), then trials/ when it is empty:
     * never more, another process may be starting a trial in it */
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (t[i].state != FC_TRIAL_FAILED || !t[i].error || !strstr(t[i].error, "died"))
            continue;
        char *one = fc_xasprintf("%s/trials/%ld", T->dir, t[i].number);
        rc = fc_remove_tree(one);
        free(one);
    }
    char *scratch = fc_xasprintf("%s/trials", T->dir);
    rmdir(scratch);
    free(scratch);
    int none = !best && counts[2] + counts[3] + counts[4] > 0;
    if (rc == 0 && none) {
        const char *why = "?";
        for (size_t i = n; i-- > 0;)
            if (t[i].error) {
                why = t[i].error;
                break;
            }
        fc_error("no trial completed; the last error: %s", why);
    }
    fc_trials_free(t, n);
    cJSON_Delete(meta);
    return rc ? FC_EXIT_FAILURE : none ? FC_EXIT_FAILURE : FC_EXIT_OK;
}

/* ---- the command ---- */

static int prepare(struct tune *T, const struct fc_args *a, struct fc_study *st)
{
    if (tune_options(T, a))
        return FC_EXIT_USAGE;
    if (T->R.own_dir) {
        if (resume_settings(T, a, st))
            return FC_EXIT_USAGE;
    } else if (T->abandon_running) {
        fc_error("--abandon-running: it applies to a study continued with --resume DIR");
        return FC_EXIT_USAGE;
    } else if (config_overrides(T, a)) {
        return FC_EXIT_USAGE;
    }
    T->R.place = place_folds;
    T->R.place_arg = T;
    if (fc_train_run_inputs(&T->R))
        return FC_EXIT_USAGE;
    T->seed = T->R.cfg.seed;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    T->threads = cores > T->jobs ? (int)(cores / T->jobs) : 1;
    T->dir = xstrdup(T->R.run_dir);
    if (T->R.own_dir) {
        cJSON *now = fc_space_to_json(&T->space);
        int bad = check_resumed(T, now);
        cJSON_Delete(now);
        if (bad)
            return FC_EXIT_USAGE;
        cJSON_ReplaceItemInObjectCaseSensitive(T->meta, "trials",
                                               cJSON_CreateNumber((double)T->n_trials));
        return fc_study_set_meta(st, T->meta) ||
                       (T->abandon_running && fc_study_abandon_running(st))
                   ? FC_EXIT_FAILURE
                   : FC_EXIT_OK;
    }
    return create_study(T, st);
}

static int cmd_tune(int argc, char **argv)
{
    struct fc_args a;
    int done;
    int rc = fc_cmd_parse(&fc_cmd_tune, argc, argv, &a, &done);
    if (rc || done)
        return rc;
    struct tune T;
    memset(&T, 0, sizeof T);
    fc_train_run_init(&T.R);
    T.n_trials = 20;
    T.n_folds = 3;
    T.jobs = 1;
    T.prune = 1;
    T.verbosity = fc_verbosity;
    struct fc_study st;
    memset(&st, 0, sizeof st);
    rc = prepare(&T, &a, &st);
    fc_study_close(&st);
    T.verbosity = fc_verbosity;
    if (rc == FC_EXIT_OK) {
        char a1[11], b1[11];
        fc_format_date(T.R.win[0].sp.last_train_date, a1);
        fc_format_date(T.R.win[T.R.n_win - 1].sp.last_train_date, b1);
        fc_info(1, "tuning %s (%s): %ld trials, %s sampler, %zu parameters, %ld folds of %d %s "
                   "periods (cutoffs %s ... %s), objective: mean %s over the folds",
                T.ops->name, fc_strategy_name(T.R.cfg.strategy), T.n_trials,
                fc_sampler_names[T.sampler], T.space.n, T.n_folds, T.fold_periods,
                fc_freq_name(T.R.cfg.data.freq), a1, b1, T.metric->name);
        rc = run_trials(&T) ? FC_EXIT_FAILURE : FC_EXIT_OK;
        int out = write_outputs(&T);
        rc = rc ? rc : out;
    }
    if (T.have_params)
        fc_params_free(&T.params);
    fc_space_free(&T.space);
    cJSON_Delete(T.meta);
    if (T.R.own_dir)
        free((char *)T.R.config_file);
    free(T.dir);
    fc_train_run_free(&T.R);
    fc_args_free(&a);
    return rc;
}

const struct fc_cmd fc_cmd_tune = {
    .name = "tune",
    .fn = cmd_tune,
    .summary = "search a model's hyperparameters on time-series folds (TPE, SQLite study)",
    .synopsis = "forecast tune --model NAME [--config FILE] [--trials N] [--folds K] [--jobs J]\n"
                "                     [--timeout S] [--sampler tpe|random|grid] [--metric M] "
                "[options]\n"
                "       forecast tune --resume DIR [--trials N] [--jobs J] [--timeout S]",
    .description =
        "Searches the model's hyperparameters: each trial trains the model with the\n"
        "sampler's parameters on K expanding folds inside the training part (each\n"
        "fold horizon periods long, else the validation window's length, with its own\n"
        "validation window for early stopping; the test period is never seen) and\n"
        "scores it by the fold mean of --metric. A trial whose running mean is worse\n"
        "than the median of the complete trials at the same fold stops (pruned).\n"
        "The search space: the model's default ranges (forecast describe MODEL) with\n"
        "the config's tune.space over them.\n"
        "\n"
        "Writes runs/<name>/: config.json, study.db (SQLite: every trial), trials.csv,\n"
        "best.json (the config with the best parameters: forecast train --config\n"
        "best.json retrains on the whole training part and scores the test period),\n"
        "report.md and report.html. Prints the directory on stdout.\n"
        "'forecast tune --resume DIR' continues a study to its N trials (after a crash,\n"
        "trials a dead process left running are queued again); several processes may\n"
        "resume one study at once.\n"
        "\n"
        "exit status: 0 done; 1 failed (or no trial completed); 2 bad input (nothing\n"
        "written).",
    .opts = tune_opts,
    .n_opts = sizeof tune_opts / sizeof tune_opts[0],
};

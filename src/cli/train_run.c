/*
 * train_run.c — the stages of a train or merge invocation (train_run.h).
 * Every input is checked before anything is written (exit 2); once the run
 * directory exists, a failure marks run.json "failed" (exit 1).
 */
#include "forecast/cli/train_run.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "forecast/cli/train_distributed.h"
#include "forecast/core/hash.h"
#include "forecast/data/cache.h"
#include "forecast/data/derive.h"
#include "forecast/core/util.h"
#include "forecast/report/report.h"
#include "forecast/store/rundir.h"
#include "forecast/store/store.h"

void fc_train_run_init(struct fc_train_run *R)
{
    memset(R, 0, sizeof *R);
    R->lock_fd = -1;
    R->t_start = fc_now();
}

static void window_free(struct fc_train_window *W)
{
    if (W->have_split)
        fc_split_free(&W->sp);
    fc_transform_free(&W->tf);
    if (W->ds == &W->own) { /* its own columns only */
        for (size_t k = W->n_base; k < W->own.n_features; k++) {
            free(W->own.features[k]);
            free(W->own.feature_names[k]);
        }
        free(W->own.features);
        free(W->own.feature_names);
        free(W->own.categories);
    }
    free(W->name);
}

void fc_train_run_free(struct fc_train_run *R)
{
    if (R->scratch && R->run_dir) /* a distributed worker's own temporary run */
        fc_remove_tree(R->run_dir);
    for (size_t k = 0; k < R->n_res; k++) {
        fc_train_result_free(&R->res[k]);
        free(R->model_dirs[k]);
    }
    free(R->res);
    free(R->model_dirs);
    cJSON_Delete(R->run);
    cJSON_Delete(R->old_run);
    free(R->path);
    free(R->run_dir);
    free(R->id);
    for (size_t w = 0; w < R->n_win; w++)
        window_free(&R->win[w]);
    free(R->win);
    fc_categories_free(&R->cats);
    fc_dataset_free(R->ds);
    if (R->have_cfg)
        fc_config_free(&R->cfg);
    for (size_t i = 0; i < R->n_ov; i++)
        fc_override_free(&R->ov[i]);
    free(R->ov);
    if (R->lock_fd >= 0)
        close(R->lock_fd);
}

/* ---- inputs: exit 2, nothing written ---- */

/* --resume DIR / merge DIR: the run's own config, from DIR/run.json; only
 * flags that do not change results may come with it. */
static int config_from_run(struct fc_train_run *R)
{
    const char *why = R->merge ? "merge" : "--resume", *dir = R->resume_dir;
    for (size_t i = 0; i < R->n_ov; i++)
        if (strcmp(R->ov[i].path, "jobs") != 0)
            return fc_error("%s %s: the run's own config is used; %s cannot be changed "
                            "(only --jobs, --quiet and --verbose may be given)",
                            why, dir, R->ov[i].flag);
    if (R->config_file)
        return fc_error("%s %s: the run's own config is used; --config cannot be given", why,
                        dir);
    R->old_run = fc_run_read(dir, 0, NULL);
    if (!R->old_run)
        return -1;
    R->path = fc_run_file(dir);
    R->config_file = R->path;
    if (cJSON_GetObjectItemCaseSensitive(R->old_run, "distributed"))
        return fc_error("%s %s: a distributed run is not resumed; train it again with "
                        "--distributed",
                        why, dir);
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(R->old_run, "shards");
    if (cJSON_IsNumber(sh) && !R->shard_n && !R->merge)
        return fc_error("--resume %s: a sharded run; resume one shard with --resume DIR "
                        "--shard K/%d, then run forecast merge",
                        dir, (int)sh->valuedouble);
    if (R->merge && !cJSON_IsNumber(sh))
        return fc_error("merge %s: not a sharded run (run.json has no \"shards\")", dir);
    if (R->merge)
        R->shard_n = (int)sh->valuedouble;
    return 0;
}

static int check_config(struct fc_train_run *R)
{
    if (R->shard_n && !R->merge && !R->resume_dir && !R->cfg.run_name)
        return fc_error("--shard: give the run a --name, so that every shard writes the same "
                        "run directory");
    if (R->shard_n && R->cfg.split.windows)
        return fc_error("%s: backtest windows (split.windows) run in one process; train "
                        "without --shard",
                        R->merge ? "merge" : "--shard");
    if (R->shard_n && R->cfg.strategy != FC_INDIVIDUAL)
        return fc_error("%s: only the individual strategy is sharded (strategy is \"%s\")",
                        R->merge ? "merge" : "--shard", fc_strategy_name(R->cfg.strategy));
    if (!R->resume_dir && fc_check_output(R->cfg.out_dir, 1, "output.dir"))
        return -1;
    /* merge loads no model: the shards trained them */
    return R->merge ? 0 : fc_config_models_ready(R->cfg.models, R->cfg.n_models);
}

/* A window's derived features, no row seeing a target after the day before
 * its split date; an inferred frequency is written into the config, so that
 * predict and resume count periods alike. loud: the run's own window (the
 * messages are said once). */
static int derive_features(struct fc_train_run *R, struct fc_train_window *W, int loud)
{
    size_t before = W->ds->n_features;
    /* from the target the models fit: transformed when one is configured */
    if (fc_derive_from(W->ds, W->have_tf ? W->tf.target : W->ds->target, &R->cfg.features,
                       &R->cfg.data.freq, 1, W->split_date - 1))
        return -1;
    if (W->ds->n_features == 0 && R->cfg.features.n_categorical == 0)
        return fc_error("%s:1: no feature columns (data.features selects none) and no derived "
                        "features (features: lags, rolling, expanding, calendar)",
                        W->ds->path);
    if (W->ds->n_features == before)
        return 0;
    if (R->cfg.horizon && R->cfg.multi_step == FC_MULTI_RECURSIVE) {
        /* the test rows' lags come from the earlier steps' predictions */
        W->rec = (struct fc_recursion){&R->cfg.features, R->cfg.data.freq, W->split_date - 1,
                                       NULL, R->cfg.quantiles};
        W->recursive = 1;
    }
    if (!loud)
        return 0;
    fc_info(1, "derived %zu features (%s periods), none seeing a target after the split date",
            W->ds->n_features - before, fc_freq_name(R->cfg.data.freq));
    if (W->recursive)
        return 0;
    /* a lag shorter than the test period is there in training, missing late
     * in the test period: the model meets values it never saw */
    int shortest = INT32_MAX;
    const struct fc_feature_spec *f = &R->cfg.features;
    for (size_t k = 0; k < f->n_lags; k++)
        shortest = f->lags[k] < shortest ? f->lags[k] : shortest;
    for (size_t k = 0; k < f->n_windows; k++)
        shortest = f->windows[k].lag < shortest ? f->windows[k].lag : shortest;
    int32_t last = INT32_MIN;
    for (size_t i = 0; i < W->sp.n_used; i++)
        if (W->sp.used[i].test_end > W->sp.used[i].test_begin)
            last = W->ds->date[W->sp.used[i].test_end - 1] > last
                       ? W->ds->date[W->sp.used[i].test_end - 1]
                       : last;
    long span = fc_derive_periods(R->cfg.data.freq, W->split_date - 1, last);
    if (shortest != INT32_MAX && last != INT32_MIN && shortest < span)
        fc_warn("features: the shortest lag is %d %s periods but the test period spans %ld: "
                "test rows more than %d periods after the split date lack those features "
                "(use lags >= %ld to forecast the whole test period alike)",
                shortest, fc_freq_name(R->cfg.data.freq), span, shortest, span);
    return 0;
}

/* One window: its split, its transform, its features. The run's own window
 * (the last) derives into the run's dataset; an earlier one into a shallow
 * copy of the dataset's columns. */
static int prepare_window(struct fc_train_run *R, struct fc_train_window *W, int32_t split_date,
                          int own)
{
    W->split_date = split_date;
    struct fc_config c = R->cfg; /* shallow: the window's split date */
    c.split.split_date = split_date;
    c.split.freq = R->cfg.data.freq;
    c.split.production = !R->cfg.split.has_split_date && !R->cfg.split.windows;
    if (fc_split_make(R->ds, &c.split, R->cfg.skus, R->cfg.n_skus, &W->sp))
        return -1;
    W->have_split = 1;
    W->ds = R->ds;
    if (own) {
        const struct fc_dataset *ds = R->ds;
        W->own = *ds;
        W->n_base = ds->n_features;
        W->own.features = xmalloc((ds->n_features + 1) * sizeof *W->own.features);
        W->own.feature_names = xmalloc((ds->n_features + 1) * sizeof *W->own.feature_names);
        memcpy(W->own.features, ds->features, ds->n_features * sizeof *ds->features);
        memcpy(W->own.feature_names, ds->feature_names,
               ds->n_features * sizeof *ds->feature_names);
        W->own.categories = NULL;
        W->ds = &W->own;
    }
    if (W != &R->win[0] && !R->cfg.split.refit) {
        /* the first window's models forecast every window: its transform too */
        cJSON *j = fc_transform_to_json(&R->win[0].tf);
        int rc = fc_transform_from_json(&W->tf, j, "transform") ||
                 fc_transform_apply(&W->tf, R->ds);
        cJSON_Delete(j);
        if (rc)
            return -1;
        W->tf.origin = split_date - 1; /* what is history for this window */
    } else if (fc_transform_fit(&W->tf, &c, R->ds, &W->sp)) {
        return -1;
    }
    W->have_tf = W->tf.kind != FC_TT_NONE || W->tf.clip;
    if (derive_features(R, W, !own) || fc_categories_apply(&R->cats, W->ds))
        return -1;
    W->view = W->have_tf ? fc_transform_view(&W->tf, W->ds) : *W->ds;
    char d[11];
    fc_format_date(W->sp.last_train_date, d);
    if (R->cfg.split.windows)
        W->name = fc_xasprintf("cutoff-%s", d);
    for (size_t i = 0; i < W->sp.n_skipped && !R->merge; i++)
        fc_warn("%s%s%sseries %s skipped: %s", W->name ? "window " : "",
                W->name ? W->name : "", W->name ? ": " : "",
                R->ds->series_key[W->sp.skipped[i].series], W->sp.skipped[i].reason);
    /* a combined model whose fit rows all weigh 0 has nothing to learn from
     * (XGBoost would quietly predict its base score) */
    if (R->ds->weight && R->cfg.strategy == FC_COMBINED &&
        !(fc_split_fit_weight(R->ds, W->sp.used, W->sp.n_used) > 0))
        return fc_error("data.weight_column \"%s\": the weights of all %zu fit rows are 0; "
                        "there is nothing to train on",
                        R->cfg.data.weight_col, W->sp.n_fit);
    return 0;
}

/* The windows: one split, or split.windows backtest windows (the earlier
 * ones prepared first, on copies, before the last derives into the run's
 * dataset). */
static int prepare_windows(struct fc_train_run *R)
{
    R->n_win = R->cfg.split.windows ? (size_t)R->cfg.split.windows : 1;
    R->win = xcalloc(R->n_win, sizeof *R->win);
    int32_t *dates = xmalloc(R->n_win * sizeof *dates);
    if (R->cfg.data.freq == FC_FREQ_AUTO) {
        /* the inferred frequency goes into the config, so that predict and
         * resume count periods alike */
        R->cfg.data.freq = fc_derive_freq(R->ds, R->cfg.data.freq);
        cJSON *d = cJSON_GetObjectItemCaseSensitive(R->cfg.json, "data");
        cJSON_ReplaceItemInObjectCaseSensitive(d, "freq",
                                               cJSON_CreateString(fc_freq_name(R->cfg.data.freq)));
    }
    R->cfg.split.freq = R->cfg.data.freq;
    int rc = 0;
    if (R->cfg.split.windows) {
        rc = fc_split_windows(R->ds, &R->cfg.split, dates);
    } else if (!R->cfg.split.has_split_date) {
        /* a production run: every row trains, nothing is scored */
        dates[0] = INT32_MIN;
        for (size_t i = 0; i < R->ds->n_rows; i++)
            dates[0] = R->ds->date[i] >= dates[0] ? R->ds->date[i] + 1 : dates[0];
        char d[11];
        fc_format_date(dates[0] - 1, d);
        fc_info(1, "production run: the models fit every row up to %s; nothing is scored "
                   "(forecast with: forecast predict --run DIR --horizon %d)",
                d, R->cfg.horizon);
    } else {
        dates[0] = R->cfg.split.split_date;
    }
    /* the categories' codes: text values from the rows before the first
     * window's split date (none of any test period) */
    if (rc == 0)
        rc = fc_categories_build(&R->cats, &R->cfg.features, R->ds, dates[0]);
    for (size_t w = 0; w < R->n_win && rc == 0; w++)
        rc = prepare_window(R, &R->win[w], dates[w], w + 1 < R->n_win);
    if (rc == 0 && R->cfg.split.windows) {
        char a[11], b[11];
        fc_format_date(dates[0], a);
        fc_format_date(dates[R->n_win - 1], b);
        fc_info(1, "backtest: %zu windows of %d %s periods, %d apart, starting %s ... %s",
                R->n_win, R->cfg.split.horizon ? R->cfg.split.horizon : R->cfg.horizon,
                fc_freq_name(R->cfg.data.freq), R->cfg.split.step, a, b);
    }
    free(dates);
    R->W = &R->win[R->n_win - 1];
    R->cfg.split.split_date = R->W->split_date; /* the run's own: reports and run.json */
    return rc;
}

static int load_data(struct fc_train_run *R)
{
    double t0 = fc_now();
    R->ds = fc_dataset_open(&R->cfg.data, 1);
    if (!R->ds)
        return -1;
    R->load_s = fc_now() - t0;
    const struct fc_dataset *ds = R->ds;
    fc_info(1, "loaded %s%s: %zu rows, %zu series, %zu features in %.2f s", ds->path,
            ds->from_cache ? " (binary cache)" : "", ds->n_rows, ds->n_series, ds->n_features,
            R->load_s);
    if (ds->n_dropped)
        fc_info(1, "dropped %zu rows with a missing target (data.missing_target = \"drop\")",
                ds->n_dropped);
    /* on the whole data: a distributed worker's place hook keeps its share */
    for (size_t i = 0; i < R->cfg.n_plot_skus; i++)
        if (fc_dataset_find_series(ds, R->cfg.plot_skus[i]) < 0)
            return fc_error("report.plot_series: series \"%s\" is not in %s",
                            R->cfg.plot_skus[i], ds->path);
    if ((R->place && R->place(R)) || prepare_windows(R))
        return -1;
    return 0;
}

/* The run directory's name; a new run must not exist yet (shards join the
 * run directory the first of them made, with the same config). */
static int choose_run_dir(struct fc_train_run *R)
{
    if (R->own_dir) { /* e.g. a tuning study resumed */
        const char *slash = strrchr(R->own_dir, '/');
        R->id = xstrdup(slash && slash[1] ? slash + 1 : R->own_dir);
        R->run_dir = xstrdup(R->own_dir);
        return 0;
    }
    if (R->scratch) { /* a distributed worker other than rank 0 */
        const char *tmp = getenv("TMPDIR");
        R->id = xstrdup("worker");
        R->run_dir = fc_xasprintf("%s/forecast-worker-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(R->run_dir)) {
            int e = errno;
            free(R->run_dir);
            R->run_dir = NULL;
            return fc_error("--distributed: cannot make a temporary directory: %s",
                            strerror(e));
        }
        return 0;
    }
    if (R->resume_dir) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(R->old_run, "id");
        R->id = xstrdup(cJSON_IsString(id) ? id->valuestring : "resumed");
        R->run_dir = xstrdup(R->resume_dir);
        return 0;
    }
    R->id = R->cfg.run_name ? xstrdup(R->cfg.run_name) : fc_run_make_id(&R->cfg, R->ds);
    R->run_dir = fc_xasprintf("%s/%s", R->cfg.out_dir, R->id);
    free(R->path);
    R->path = fc_run_file(R->run_dir);
    struct stat st;
    if (stat(R->run_dir, &st) != 0)
        return 0;
    int no_run_yet = R->shard_n && access(R->path, F_OK) != 0;
    cJSON *existing = R->shard_n && !no_run_yet ? fc_read_json(R->path) : NULL;
    const cJSON *ec = existing ? cJSON_GetObjectItemCaseSensitive(existing, "config") : NULL;
    int same = no_run_yet || (ec && cJSON_Compare(ec, R->cfg.json, 1));
    cJSON_Delete(existing);
    if (!same)
        return fc_error("%s: run directory already exists%s; choose another --name or "
                        "remove it",
                        R->run_dir, R->shard_n ? " with another configuration" : "");
    return 0;
}

int fc_train_run_inputs(struct fc_train_run *R)
{
    if (R->resume_dir && config_from_run(R))
        return -1;
    if (fc_config_load(&R->cfg, R->config_file, R->ov, R->n_ov, fc_run_unwrap_config))
        return -1;
    R->have_cfg = 1;
    if (check_config(R) || load_data(R) || choose_run_dir(R))
        return -1;
    return 0;
}

/* ---- the run directory: from here on failures are runtime failures ---- */

/* transform.json beside run.json, which records its checksum */
static int write_transform(struct fc_train_run *R)
{
    char *path = fc_xasprintf("%s/transform.json", R->run_dir);
    cJSON *j = fc_transform_to_json(&R->W->tf);
    int rc = fc_write_json(path, j);
    cJSON_Delete(j);
    char hex[65];
    size_t size;
    if (rc == 0 && fc_sha256_file(path, hex, &size) == 0) {
        cJSON *t = cJSON_AddObjectToObject(R->run, "transform");
        cJSON_AddStringToObject(t, "file", "transform.json");
        cJSON_AddNumberToObject(t, "size", (double)size);
        cJSON_AddStringToObject(t, "sha256", hex);
        cJSON_AddStringToObject(t, "target_transform",
                                fc_target_transform_names[R->W->tf.kind]);
        cJSON_AddBoolToObject(t, "nonnegative", R->W->tf.clip);
    } else {
        rc = -1;
    }
    free(path);
    return rc;
}

/* categories.json beside run.json, which records its checksum */
static int write_categories(struct fc_train_run *R)
{
    char *path = fc_xasprintf("%s/categories.json", R->run_dir);
    cJSON *j = fc_categories_to_json(&R->cats);
    int rc = fc_write_json(path, j);
    cJSON_Delete(j);
    char hex[65];
    size_t size;
    if (rc == 0 && fc_sha256_file(path, hex, &size) == 0) {
        cJSON *t = cJSON_AddObjectToObject(R->run, "categories");
        cJSON_AddStringToObject(t, "file", "categories.json");
        cJSON_AddNumberToObject(t, "size", (double)size);
        cJSON_AddStringToObject(t, "sha256", hex);
    } else {
        rc = -1;
    }
    free(path);
    return rc;
}

int fc_train_run_open(struct fc_train_run *R, int argc, char **argv)
{
    if (R->scratch) { /* nothing of the run is written here */
        R->run = fc_run_new(R->id, &R->cfg, R->ds, &R->W->sp, argc, argv);
        return FC_EXIT_OK;
    }
    if (!R->dist) /* a distributed worker holds its share of the data only */
        fc_dataset_cache_store(&R->cfg.data, 1, R->ds);
    if (fc_mkdir_p(R->cfg.out_dir) && !R->resume_dir)
        return FC_EXIT_FAILURE;
    if (mkdir(R->run_dir, 0777) != 0 && errno != EEXIST) {
        fc_error("%s: cannot create run directory: %s", R->run_dir, strerror(errno));
        return FC_EXIT_FAILURE;
    }
    char *lock = R->shard_n && !R->merge
                     ? fc_xasprintf("%s/.lock-shard-%d", R->run_dir, R->shard_k)
                     : fc_xasprintf("%s/.lock", R->run_dir);
    R->lock_fd = fc_run_lock(lock, R->run_dir);
    free(lock);
    if (R->lock_fd < 0)
        return FC_EXIT_USAGE;
    if (R->resume_dir) { /* what an interrupted writer left half-written */
        size_t n = fc_sweep_tmp(R->run_dir);
        if (n)
            fc_info(1, "removed %zu temporary file(s) an interrupted run left in %s", n,
                    R->run_dir);
    }
    R->run = fc_run_new(R->id, &R->cfg, R->ds, &R->W->sp, argc, argv);
    const cJSON *created = cJSON_GetObjectItemCaseSensitive(R->old_run, "created");
    if (cJSON_IsString(created))
        fc_run_set(R->run, "created", created->valuestring);
    if (R->W->sp.n_test == 0)
        cJSON_AddBoolToObject(R->run, "production", 1);
    if (R->dist)
        fc_train_dist_record(R, R->run);
    if (R->cfg.split.windows) {
        cJSON *wa = cJSON_AddArrayToObject(R->run, "windows");
        for (size_t w = 0; w < R->n_win; w++) {
            cJSON *o = cJSON_CreateObject();
            char d[11];
            fc_format_date(R->win[w].sp.last_train_date, d);
            cJSON_AddStringToObject(o, "cutoff", d);
            fc_format_date(R->win[w].split_date, d);
            cJSON_AddStringToObject(o, "split_date", d);
            cJSON_AddStringToObject(o, "dir", R->win[w].name);
            cJSON_AddItemToArray(wa, o);
        }
    }
    if (R->cats.n && write_categories(R))
        return FC_EXIT_FAILURE;
    if (R->W->have_tf && write_transform(R))
        return FC_EXIT_FAILURE;
    if (R->shard_n) {
        cJSON_AddNumberToObject(R->run, "shards", R->shard_n);
        fc_run_set(R->run, "status", R->merge ? "running" : "sharded");
    }
    /* shards share run.json: the first one writes it, merge finishes it */
    if (!R->merge && (!R->shard_n || access(R->path, F_OK) != 0) &&
        fc_write_json(R->path, R->run))
        return FC_EXIT_FAILURE;
    return FC_EXIT_OK;
}

/* ---- the models ---- */

static void record_model(struct fc_train_run *R, size_t k, cJSON *models)
{
    const struct fc_model_choice *mc = &R->cfg.models[k];
    const struct fc_train_result *res = &R->res[k];
    cJSON *mo = cJSON_CreateObject();
    cJSON_AddStringToObject(mo, "model", mc->ops->name);
    cJSON_AddStringToObject(mo, "strategy", fc_strategy_name(R->cfg.strategy));
    char *rel = fc_xasprintf("%s/%s", mc->ops->name, fc_strategy_name(R->cfg.strategy));
    cJSON_AddStringToObject(mo, "dir", rel);
    free(rel);
    cJSON_AddNumberToObject(mo, "models_trained", (double)res->n_models);
    cJSON_AddNumberToObject(mo, "models_resumed", (double)res->n_resumed);
    cJSON_AddNumberToObject(mo, "series_failed", (double)res->n_failed);
    cJSON_AddNumberToObject(mo, "fit_seconds", res->fit_seconds);
    cJSON_AddNumberToObject(mo, "wall_seconds", res->wall_seconds);
    cJSON_AddNumberToObject(mo, "cpu_seconds", res->cpu_seconds);
    cJSON_AddItemToArray(models, mo);
}

int fc_train_run_window(struct fc_train_run *R, const struct fc_config *one,
                        const struct fc_train_window *W, const char *dir, const char *reuse,
                        const struct fc_train_planner *pl, struct fc_train_result *res)
{
    if (fc_mkdir_p(dir))
        return -1;
    struct fc_plan P;
    fc_plan_train(&P, one, &W->view, &W->sp, dir);
    if (reuse) /* split.refit false: the first window's models */
        fc_plan_reuse(&P, reuse);
    /* the models trained before this one, on the same rows (an ensemble may
     * reuse them as members) */
    for (size_t i = 0; i < R->cfg.n_models && R->cfg.models[i].ops != one->model.ops; i++) {
        char *d = W->name ? fc_xasprintf("%s/%s", R->model_dirs[i], W->name)
                          : xstrdup(R->model_dirs[i]);
        fc_plan_earlier(&P, R->cfg.models[i].ops, d);
        free(d);
    }
    if (W->recursive)
        P.recursion = &W->rec;
    if (W->have_tf) {
        P.transform = &W->tf;
        P.truth = R->ds;
    }
    int rc = pl->plan(R, &P);
    R->plan_failed = rc < 0;
    if (rc == 0)
        rc = fc_collect(&P, res);
    if (rc == 1) { /* the shard's own tally */
        R->failed += fc_plan_count(&P, FC_JOB_FAILED);
        for (size_t i = 0; i < P.n_jobs; i++)
            R->fit_s += P.jobs[i].fit_s;
    }
    fc_plan_free(&P);
    return rc;
}

/* One model: its one split, or every backtest window (each in its own
 * directory) and then the windows together. */
static int train_model(struct fc_train_run *R, size_t k, const struct fc_train_planner *pl)
{
    struct fc_config one = R->cfg; /* shallow: the same config, model k */
    one.model = R->cfg.models[k];
    R->model_dirs[k] = fc_run_model_dir(R->run_dir, one.model.ops->name, one.strategy);
    if (R->n_win == 1)
        return fc_train_run_window(R, &one, R->W, R->model_dirs[k], NULL, pl, &R->res[k]);
    struct fc_train_result *wr = xcalloc(R->n_win, sizeof *wr);
    char **names = xcalloc(R->n_win, sizeof *names);
    int32_t *cutoffs = xcalloc(R->n_win, sizeof *cutoffs);
    int rc = 0;
    for (size_t w = 0; w < R->n_win && rc == 0; w++) {
        const struct fc_train_window *W = &R->win[w];
        char *dir = fc_xasprintf("%s/%s", R->model_dirs[k], W->name);
        char *first = fc_xasprintf("%s/%s", R->model_dirs[k], R->win[0].name);
        fc_info(2, "%s: window %s", one.model.ops->name, W->name);
        rc = fc_train_run_window(R, &one, W, dir, w && !R->cfg.split.refit ? first : NULL, pl, &wr[w]);
        free(dir);
        free(first);
        names[w] = W->name;
        cutoffs[w] = W->sp.last_train_date;
    }
    if (rc == 0)
        rc = fc_collect_backtest(&one, R->model_dirs[k], R->ds, wr, names, cutoffs, R->n_win,
                                 &R->res[k]);
    for (size_t w = 0; w < R->n_win; w++)
        fc_train_result_free(&wr[w]);
    free(wr);
    free(names);
    free(cutoffs);
    return rc;
}

static int report_failure(struct fc_train_run *R)
{
    if (R->scratch) /* rank 0 marks the run */
        return FC_EXIT_FAILURE;
    fc_run_set(R->run, "status", "failed");
    cJSON_AddStringToObject(R->run, "error", fc_last_error);
    fc_error_report(); /* the cause, then what became of the run */
    if (fc_write_json(R->path, R->run)) {
        char why[sizeof fc_last_error];
        snprintf(why, sizeof why, "%s", fc_last_error);
        fc_error("run %s failed, and its status could not be saved: %s still says "
                 "\"running\" (%s)",
                 R->id, R->path, why);
    } else {
        fc_error("run %s failed; see %s", R->id, R->path);
    }
    return FC_EXIT_FAILURE;
}

static int finish(struct fc_train_run *R)
{
    fc_run_set(R->run, "status", R->failed ? "partial" : "completed");
    const struct fc_dataset *ds = R->all_ds ? R->all_ds : R->ds;
    const struct fc_split *sp = R->all_sp ? R->all_sp : &R->W->sp;
    if (R->all_sp)
        fc_run_set_split(R->run, ds, sp);
    char *md = fc_xasprintf("%s/report.md", R->run_dir);
    char *html = fc_xasprintf("%s/report.html", R->run_dir);
    int bad = fc_report_write(md, R->run, &R->cfg, ds, sp, R->res, R->n_res) ||
              fc_report_html_run(html, R->run, &R->cfg, ds, sp, R->res, R->n_res,
                                 R->cfg.plot_skus, R->cfg.n_plot_skus) ||
              fc_write_json(R->path, R->run);
    free(md);
    free(html);
    if (bad)
        return FC_EXIT_FAILURE;
    for (size_t k = 0; k < R->n_res && sp->n_test == 0; k++)
        fc_info(1, "%s (%s): fitted on every row (a production run: nothing scored)",
                R->cfg.models[k].ops->name, fc_strategy_name(R->cfg.strategy));
    for (size_t k = 0; k < R->n_res && sp->n_test; k++) {
        const struct fc_metrics *m = R->res[k].metrics;
        fc_info(1, "%s (%s): %zu series, WRMSSE %.4f, RMSE %.4f%s", R->cfg.models[k].ops->name,
                fc_strategy_name(R->cfg.strategy),
                fc_train_result_series_metrics(&R->res[k])->n_series, m->wrmsse, m->rmse,
                R->res[k].n_windows ? " (mean over the windows)" : "");
        if (m->has_quantiles)
            fc_info(1, "  WSPL %.4f, mean pinball %.4f", m->wspl, m->mean_pinball);
    }
    fc_info(1, "run %s %s", R->run_dir, R->failed ? "finished with failures" : "completed");
    if (R->failed)
        fc_warn("%zu series failed to train (listed in metrics.json and report.md); exit "
                "status 3",
                R->failed);
    printf("%s\n", R->run_dir);
    return R->failed ? FC_EXIT_PARTIAL : FC_EXIT_OK;
}

int fc_train_run_models(struct fc_train_run *R, const struct fc_train_planner *pl)
{
    /* every model on the same split, one after the other */
    size_t nm = R->cfg.n_models;
    R->res = xcalloc(nm, sizeof *R->res);
    R->model_dirs = xcalloc(nm, sizeof *R->model_dirs);
    R->n_res = nm;
    cJSON *models = cJSON_AddArrayToObject(R->run, "models");
    int rc = 0;
    for (size_t k = 0; k < nm && rc == 0; k++) {
        double w0 = fc_now(), c0 = fc_cpu_now();
        rc = train_model(R, k, pl);
        R->res[k].wall_seconds = fc_now() - w0;
        R->res[k].cpu_seconds = fc_cpu_now() - c0;
        if (rc == 0) {
            R->failed += R->res[k].n_failed;
            R->fit_s += R->res[k].fit_seconds;
            R->pred_s += R->res[k].predict_seconds;
        }
        record_model(R, k, models);
    }
    if (rc == 1 && R->dist) {
        fc_info(1, "this worker's part is done; rank 0 writes the run");
        return FC_EXIT_OK;
    }
    if (rc == 1) {
        fc_info(1, "shard %d/%d of %s done (%zu series failed); when every shard is done: "
                   "forecast merge %s",
                R->shard_k, R->shard_n, R->run_dir, R->failed, R->run_dir);
        printf("%s\n", R->run_dir);
        return R->failed ? FC_EXIT_PARTIAL : FC_EXIT_OK;
    }
    cJSON *tm = cJSON_AddObjectToObject(R->run, "timings");
    cJSON_AddNumberToObject(tm, "load_seconds", R->load_s);
    cJSON_AddNumberToObject(tm, "fit_seconds", R->fit_s);
    cJSON_AddNumberToObject(tm, "predict_seconds", R->pred_s);
    cJSON_AddNumberToObject(tm, "total_seconds", fc_now() - R->t_start);
    if (rc && R->plan_failed && pl->bad_input_on_failure)
        return FC_EXIT_USAGE; /* e.g. a missing or damaged shard: nothing was written */
    if (rc)
        return report_failure(R);
    return finish(R);
}

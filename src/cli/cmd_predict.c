/*
 * cmd_predict.c — `forecast predict --run DIR --data FILE --out FILE`: loads
 * the saved model(s) of a run, checks them against their manifest and the
 * feature schema, and writes predictions for every row of FILE.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forecast/cli/cli.h"
#include "forecast/core/config.h"
#include "forecast/data/cache.h"
#include "forecast/data/categorical.h"
#include "forecast/data/derive.h"
#include "forecast/data/future.h"
#include "forecast/data/transform.h"
#include "forecast/core/hash.h"
#include "forecast/data/dataset.h"
#include "forecast/store/store.h"
#include "forecast/store/modeldir.h"
#include "forecast/store/release.h"
#include "forecast/store/rundir.h"
#include "forecast/train/collect.h"
#include "forecast/train/job.h"
#include "forecast/core/util.h"

static const struct fc_opt predict_opts[] = {
    {"run", "DIR", "the run directory (runs/<id>) holding the trained model"},
    {"release", "ARCHIVE", "a release (forecast release) instead of --run: verified, then used "
                           "as its run"},
    {"data", "FILE", "CSV with the same columns as the training data (target optional); with "
                     "--horizon, the history (default: the run's data)"},
    {"out", "FILE", "where to write the predictions CSV (default: standard output)"},
    {"model", "NAME", "which of the run's models predicts (needed when it trained several)"},
    {"horizon", "H", "forecast the H periods after each series' last date instead"},
    {"future", "FILE", "with --horizon: the feature columns (e.g. price, promo) of those periods"},
    {"no-cache", NULL, "neither read nor write the binary cache of the data"},
    {"quiet", NULL, "print only errors"},
};

/* Every row of ds predicted by the models saved in dir: the jobs of the
 * run's strategy, each loading its model (in series order: the first bad
 * model is the error). Model-file problems are bad input: -1 after
 * fc_error. */
static int predict_saved(const struct fc_config *cfg, const struct fc_dataset *ds,
                         const struct fc_split *sp, const struct fc_transform *tf,
                         const struct fc_recursion *rec, const char *dir, struct fc_pred *out)
{
    struct fc_dataset view = tf ? fc_transform_view(tf, ds) : *ds;
    struct fc_plan P;
    fc_plan_predict(&P, cfg, &view, sp, dir);
    P.transform = tf;
    P.truth = ds;
    P.recursion = rec;
    int rc = 0;
    for (size_t k = 0; k < P.n_jobs && rc == 0; k++)
        rc = fc_job_run(&P, &P.jobs[k]);
    rc = fc_collect_predictions(&P, out);
    fc_plan_free(&P);
    return rc;
}

/* cfg->model: the run's model named by --model, which a run of several
 * models needs. */
static int choose_model(struct fc_config *cfg, const char *model, const char *run)
{
    if (!model && cfg->n_models == 1)
        return 0;
    for (size_t k = 0; model && k < cfg->n_models; k++)
        if (strcmp(cfg->models[k].ops->name, model) == 0) {
            cfg->model = cfg->models[k];
            return 0;
        }
    struct fc_buf names;
    fc_buf_init(&names);
    for (size_t j = 0; j < cfg->n_models; j++)
        fc_buf_printf(&names, "%s%s", j ? ", " : "", cfg->models[j].ops->name);
    if (model)
        fc_error("--model %s: the run %s trained %s", model, run, names.s);
    else
        fc_error("the run %s trained several models (%s): choose one with --model", run,
                 names.s);
    fc_buf_free(&names);
    return -1;
}

/* The run's target transform (run.json "transform": transform.json, its
 * checksum verified), applied to ds. 0 none, 1 one, -1 after fc_error. */
static int read_transform(const cJSON *runj, const char *run, const struct fc_dataset *ds,
                          struct fc_transform *tf)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(runj, "transform");
    const cJSON *sha = cJSON_GetObjectItemCaseSensitive(t, "sha256");
    if (!t)
        return 0;
    char *path = fc_xasprintf("%s/transform.json", run);
    char hex[65];
    size_t size;
    int rc = -1;
    if (!cJSON_IsString(sha) || fc_sha256_file(path, hex, &size) != 0 ||
        strcmp(hex, sha->valuestring) != 0) {
        fc_error("%s: missing, or changed since the run (its sha256 differs from run.json's)",
                 path);
        goto out;
    }
    cJSON *j = fc_read_json(path);
    if (!j)
        goto out;
    rc = fc_transform_from_json(tf, j, path) || fc_transform_apply(tf, ds) ? -1 : 1;
    cJSON_Delete(j);
out:
    free(path);
    return rc;
}

struct predict_args {
    const char *run, *data, *out, *model, *future, *release;
    int no_cache;
    long horizon; /* 0: predict the rows of --data */
};

static int parse_predict_args(const struct fc_args *a, struct predict_args *p)
{
    for (size_t i = 0; i < a->n; i++) {
        const struct fc_arg *it = &a->items[i];
        if (!it->opt)
            return fc_error("predict: unexpected argument '%s'", it->value);
        const char *nm = it->opt->name;
        if (strcmp(nm, "run") == 0)
            p->run = it->value;
        else if (strcmp(nm, "release") == 0)
            p->release = it->value;
        else if (strcmp(nm, "data") == 0)
            p->data = it->value;
        else if (strcmp(nm, "out") == 0)
            p->out = it->value;
        else if (strcmp(nm, "model") == 0)
            p->model = it->value;
        else if (strcmp(nm, "future") == 0)
            p->future = it->value;
        else if (strcmp(nm, "quiet") == 0)
            fc_verbosity = 0;
        else if (strcmp(nm, "no-cache") == 0)
            p->no_cache = 1;
        else if (strcmp(nm, "horizon") == 0 &&
                 (fc_parse_long(it->value, &p->horizon) || p->horizon < 1 || p->horizon > 100000))
            return fc_error("--horizon %s: expected a number of periods in [1, 100000]",
                            it->value);
    }
    if (p->run && p->release)
        return fc_error("predict: --run and --release: give one");
    if (p->release && !p->data)
        return fc_error("predict: --release needs --data FILE (the rows to predict, or with "
                        "--horizon the history): a release holds no data");
    if (!p->run && !p->release)
        return fc_error("predict: --run DIR is required (forecast predict --run DIR --data FILE "
                        "[--out FILE], or --horizon H; or --release ARCHIVE)");
    if (!p->data && !p->horizon)
        return fc_error("predict: --data FILE is required (or --horizon H: the periods after "
                        "the run's data)");
    if (p->future && !p->horizon)
        return fc_error("predict: --future FILE goes with --horizon H");
    return 0;
}

/* The run's categorical codes (run.json "categories": categories.json, its
 * checksum verified), applied to ds. 0, or -1 after fc_error. */
static int read_categories(const cJSON *runj, const char *run, struct fc_dataset *ds)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(runj, "categories");
    const cJSON *sha = cJSON_GetObjectItemCaseSensitive(t, "sha256");
    if (!t)
        return 0;
    char *path = fc_xasprintf("%s/categories.json", run);
    char hex[65];
    size_t size;
    int rc = -1;
    struct fc_categories c = {0};
    if (!cJSON_IsString(sha) || fc_sha256_file(path, hex, &size) != 0 ||
        strcmp(hex, sha->valuestring) != 0) {
        fc_error("%s: missing, or changed since the run (its sha256 differs from run.json's)",
                 path);
        goto out;
    }
    cJSON *j = fc_read_json(path);
    if (!j)
        goto out;
    rc = fc_categories_from_json(&c, j, path) || fc_categories_apply(&c, ds) ? -1 : 0;
    cJSON_Delete(j);
out:
    fc_categories_free(&c);
    free(path);
    return rc;
}

/* --horizon H needs a run trained for a horizon: its features were checked
 * against it (direct: no lag shorter than it). */
static int check_horizon(const struct fc_config *cfg, const struct predict_args *p)
{
    if (!cfg->horizon)
        return fc_error("--horizon %ld: the run %s was trained without a horizon (config "
                        "\"horizon\"), so nothing checked that its features are known that "
                        "far ahead; train it with --horizon %ld (or \"horizon\": %ld)",
                        p->horizon, p->run, p->horizon, p->horizon);
    if (cfg->multi_step == FC_MULTI_DIRECT && p->horizon > cfg->horizon)
        return fc_error("--horizon %ld: the run %s forecasts at most %d periods ahead "
                        "(horizon %d, multi_step \"direct\"): its features would be missing "
                        "after that; use --horizon %d or less, or train for a longer horizon",
                        p->horizon, p->run, cfg->horizon, cfg->horizon, cfg->horizon);
    return 0;
}

/* --horizon: ds (the history) extended by the periods to forecast, their
 * split, and each series' origin (its last date) */
static int extend_to_horizon(struct fc_config *cfg, const struct predict_args *p,
                             struct fc_dataset **ds, struct fc_split *sp, int32_t **origins)
{
    cfg->data.freq = fc_derive_freq(*ds, cfg->data.freq);
    struct fc_dataset *fut = NULL;
    if (p->future) {
        struct fc_data_spec fs = cfg->data;
        fs.path = (char *)p->future;
        fs.target_path = fs.join_key = NULL;
        fs.cache = 0;
        fut = fc_dataset_open(&fs, 0);
        if (!fut)
            return -1;
    }
    int need = !(cfg->model.ops->flags & FC_MODEL_NO_FEATURES);
    struct fc_dataset *ext =
        fc_future_extend(*ds, (int)p->horizon, cfg->data.freq, fut, p->future, need, origins);
    fc_dataset_free(fut);
    if (!ext)
        return -1;
    fc_dataset_free(*ds);
    *ds = ext;
    fc_future_split(ext, (int)p->horizon, sp);
    return 0;
}

/* --out is checked before any work: a file we may write, and none of the
 * files this command reads or the run's own. */
static int check_out(const struct predict_args *p, const struct fc_config *cfg)
{
    if (strcmp(p->out, "-") == 0)
        return 0;
    if (fc_check_output(p->out, 0, "--out"))
        return -1;
    if (fc_path_inside(p->out, p->run))
        return fc_error("--out %s: inside the run directory %s; write predictions elsewhere "
                        "(the run's files are never overwritten)",
                        p->out, p->run);
    char *cache = fc_cache_path(&cfg->data);
    const char *inputs[] = {cfg->data.path, cfg->data.target_path, p->future, cache};
    const char *names[] = {"the data", "the target file", "--future", "the data's cache"};
    int rc = 0;
    for (size_t k = 0; k < 4 && rc == 0; k++)
        if (inputs[k] && fc_same_file(p->out, inputs[k]))
            rc = fc_error("--out %s: is %s (%s); predictions never overwrite an input", p->out,
                          names[k], inputs[k]);
    free(cache);
    return rc;
}

/* --model with --release: one of the released models */
static int release_has(const struct fc_release *r, const char *model)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(r->info, "models"))
    {
        const char *nm = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "model"));
        if (nm && strcmp(nm, model) == 0)
            return 1;
    }
    fc_error("--model %s: not in the release %s (forecast releases lists its models)", model,
             r->archive);
    return 0;
}

static int cmd_predict(int argc, char **argv)
{
    struct fc_args a;
    int done;
    int rc = fc_cmd_parse(&fc_cmd_predict, argc, argv, &a, &done);
    if (rc || done)
        return rc;
    rc = FC_EXIT_USAGE;
    struct predict_args p = {.out = "-"};
    struct fc_override ov[4] = {{0}};
    size_t n_ov = 0;
    struct fc_config cfg;
    int have_cfg = 0, have_split = 0;
    struct fc_dataset *ds = NULL;
    struct fc_split sp;
    struct fc_pred pred = {0};
    struct fc_transform tf = {0};
    uint32_t *rows = NULL;
    int32_t *origins = NULL;
    char *run_file = NULL, *model_dir = NULL;
    cJSON *runj = NULL;
    struct fc_release rel = {0};
    if (parse_predict_args(&a, &p))
        goto out;
    /* a release: verified and extracted, then read as the run it came from */
    if (p.release) {
        if (fc_release_open(p.release, &rel))
            goto out;
        p.run = rel.top;
        if (p.model && !release_has(&rel, p.model))
            goto out;
    }
    runj = fc_run_read(p.run, 1, "predict");
    if (!runj)
        goto out;
    run_file = fc_run_file(p.run);
    if (p.data) { /* the file's own columns: no separate target file */
        fc_override_add_string(ov, &n_ov, "data.path", p.data, "--data");
        fc_override_add(ov, &n_ov, "data.target_path", "null", "--data");
        fc_override_add(ov, &n_ov, "data.join_key", "null", "--data");
    }
    if (p.no_cache)
        fc_override_add(ov, &n_ov, "data.cache", "false", "--no-cache");
    if (fc_config_load(&cfg, run_file, ov, n_ov, fc_run_unwrap_config))
        goto out;
    have_cfg = 1;
    if (choose_model(&cfg, p.model, p.run) || fc_config_models_ready(&cfg.model, 1) ||
        check_out(&p, &cfg))
        goto out;
    ds = fc_dataset_open(&cfg.data, 0);
    if (!ds)
        goto out;
    fc_dataset_cache_store(&cfg.data, 0, ds);
    if (p.horizon && check_horizon(&cfg, &p))
        goto out;
    if (p.horizon ? extend_to_horizon(&cfg, &p, &ds, &sp, &origins) : (fc_split_all(ds, &sp), 0))
        goto out;
    have_split = 1;
    /* derived features see the targets of the history only: with --horizon
     * each series' origin is its last date; without, every target is history */
    if (read_transform(runj, p.run, ds, &tf) < 0 ||
        fc_derive_origins(ds, tf.target ? tf.target : ds->target, &cfg.features,
                          &cfg.data.freq, 0, 0, origins) ||
        read_categories(runj, p.run, ds))
        goto out;
    model_dir = fc_run_model_dir(p.run, cfg.model.ops->name, cfg.strategy);
    /* a backtest predicts with its last window's models (and transform), or
     * without refit the first window's, which every window used */
    const cJSON *wins = cJSON_GetObjectItemCaseSensitive(runj, "windows");
    if (cfg.split.windows) {
        const cJSON *lastw =
            cJSON_GetArrayItem(wins, cfg.split.refit ? cJSON_GetArraySize(wins) - 1 : 0);
        const cJSON *wd = cJSON_GetObjectItemCaseSensitive(lastw, "dir");
        if (!cJSON_IsString(wd) || strchr(wd->valuestring, '/') || wd->valuestring[0] == '.') {
            fc_error("%s: \"windows\": expected the backtest windows with their \"dir\"",
                     run_file);
            goto out;
        }
        char *d = fc_xasprintf("%s/%s", model_dir, wd->valuestring);
        free(model_dir);
        model_dir = d;
    }
    /* recursive: each step's lags from the earlier steps' predictions */
    struct fc_recursion rec = {&cfg.features, cfg.data.freq, 0, origins, cfg.quantiles};
    int recursive = p.horizon && cfg.multi_step == FC_MULTI_RECURSIVE;
    if (predict_saved(&cfg, ds, &sp, tf.target ? &tf : NULL, recursive ? &rec : NULL,
                      model_dir, &pred))
        goto out;
    size_t n;
    rows = fc_split_rows(&sp, 2, &n);
    rc = FC_EXIT_FAILURE;
    if (fc_predictions_write(p.out, ds, rows, &pred, cfg.quantiles,
                             ds->has_target && !p.horizon))
        goto out;
    fc_info(1, "predicted %zu rows of %zu series with %s (%s)%s%s", n, ds->n_series,
            cfg.model.ops->name, fc_strategy_name(cfg.strategy), strcmp(p.out, "-") ? " -> " : "",
            strcmp(p.out, "-") ? p.out : "");
    rc = FC_EXIT_OK;
out:
    free(rows);
    free(origins);
    fc_pred_free(&pred);
    fc_transform_free(&tf);
    if (have_split)
        fc_split_free(&sp);
    fc_dataset_free(ds);
    if (have_cfg)
        fc_config_free(&cfg);
    for (size_t i = 0; i < n_ov; i++)
        fc_override_free(&ov[i]);
    cJSON_Delete(runj);
    free(run_file);
    free(model_dir);
    fc_release_close(&rel);
    fc_args_free(&a);
    return rc;
}

const struct fc_cmd fc_cmd_predict = {
    .name = "predict",
    .fn = cmd_predict,
    .summary = "predict with the model(s) saved in a run",
    .synopsis = "forecast predict (--run DIR | --release ARCHIVE) (--data FILE | --horizon H "
                "[--data FILE] [--future FILE]) [--out FILE] [--model NAME]",
    .description =
        "Reads DIR/run.json for the column roles, loads FILE with them, verifies each\n"
        "saved model against its manifest (checksums, format version, feature names\n"
        "and order) and writes one row per input row: the series id columns, date,\n"
        "actual (when FILE has the target column), point and q<level> columns.\n"
        "\n"
        "With --horizon H it forecasts the H periods (days, weeks or months: the\n"
        "run's frequency) after each series' last date in the history (the run's data,\n"
        "or --data): H rows per series, no actual. Derived features see the history\n"
        "only (a lag shorter than the step is missing, as in the test period); the\n"
        "data's own feature columns for those periods come from --future FILE\n"
        "(matched by series and date), which is required when the model uses any.\n"
        "\n"
        "--release ARCHIVE verifies the release (as forecast verify), extracts it into\n"
        "a temporary directory and predicts exactly as --run does with the run it\n"
        "came from; --data is required.\n"
        "\n"
        "exit status: 0 done; 2 bad input (arguments, data, damaged or mismatched\n"
        "model files); 1 failed while writing.",
    .opts = predict_opts,
    .n_opts = sizeof predict_opts / sizeof predict_opts[0],
};

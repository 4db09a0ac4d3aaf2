/*
 * cmd_train.c — `forecast train`: config -> dataset -> split -> plugin ->
 * metrics -> run directory. Every input is checked before anything is
 * written (exit 2); once the run directory exists, a failure marks run.json
 * "failed" (exit 1).
 */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <csv.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "forecast/cli.h"
#include "forecast/config.h"
#include "forecast/dataset.h"
#include "forecast/hash.h"
#include "forecast/registry.h"
#include "forecast/report.h"
#include "forecast/split.h"
#include "forecast/store.h"
#include "forecast/train.h"
#include "forecast/util.h"
#include "forecast/version.h"

static const struct fc_opt train_opts[] = {
    {"config", "FILE", "JSON config (default: config/default.json when present)"},
    {"model", "NAME", "model to train (forecast list-models)"},
    {"data", "FILE", "data CSV (data.path)"},
    {"strategy", "S", "combined (one model over all series) or individual (one per series)"},
    {"split-date", "DATE", "first test date, YYYY-MM-DD (split.split_date)"},
    {"quantiles", "LIST", "quantile levels, e.g. 0.1,0.5,0.9"},
    {"sku", "KEY", "train only this series, e.g. 80558:2 (repeatable)"},
    {"out", "DIR", "directory that holds runs (output.dir, default runs)"},
    {"name", "NAME", "run directory name (default: timestamp + short hash)"},
    {"seed", "N", "random seed"},
    {"jobs", "N", "parallel workers for the individual strategy (0 = all cores)"},
    {"set", "PATH=VALUE", "set any config value, e.g. --set split.val_days=14 (repeatable)"},
    {"quiet", NULL, "print only errors"},
    {"verbose", NULL, "print more progress"},
};

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Maps the first-class flags onto config paths. */
static int build_overrides(const struct fc_args *a, const char **config,
                           struct fc_override **out, size_t *n_out)
{
    static const struct {
        const char *flag, *path;
        int append, as_list;
    } map[] = {
        {"model", "model", 0, 0},         {"data", "data.path", 0, 0},
        {"strategy", "strategy", 0, 0},   {"split-date", "split.split_date", 0, 0},
        {"quantiles", "quantiles", 0, 1}, {"sku", "series", 1, 0},
        {"out", "output.dir", 0, 0},      {"name", "output.name", 0, 0},
        {"seed", "seed", 0, 0},           {"jobs", "jobs", 0, 0},
    };
    struct fc_override *ov = xcalloc(a->n ? a->n : 1, sizeof *ov);
    size_t n = 0;
    int sku_seen = 0;
    for (size_t i = 0; i < a->n; i++) {
        const struct fc_arg *it = &a->items[i];
        if (!it->opt) {
            fc_error("train: unexpected argument '%s' (options start with --)", it->value);
            goto fail;
        }
        const char *name = it->opt->name;
        if (strcmp(name, "config") == 0) {
            *config = it->value;
        } else if (strcmp(name, "set") == 0) {
            if (fc_override_parse_set(it->value, &ov[n]))
                goto fail;
            n++;
        } else if (strcmp(name, "quiet") == 0) {
            fc_verbosity = 0;
        } else if (strcmp(name, "verbose") == 0) {
            fc_verbosity = 2;
        } else {
            for (size_t k = 0; k < sizeof map / sizeof map[0]; k++) {
                if (strcmp(name, map[k].flag) != 0)
                    continue;
                ov[n].path = xstrdup(map[k].path);
                ov[n].flag = fc_xasprintf("--%s", name);
                /* numbers for --seed / --jobs stay text when they are not numbers,
                 * so validation names the flag and the bad value */
                int numeric = strcmp(name, "seed") == 0 || strcmp(name, "jobs") == 0;
                if (numeric || map[k].as_list) {
                    /* a non-number stays text, so validation names the flag */
                    ov[n].value = xstrdup(it->value);
                } else {
                    /* always a JSON string: --name 123 is the name "123" */
                    cJSON *str = cJSON_CreateString(it->value);
                    ov[n].value = cJSON_PrintUnformatted(str);
                    cJSON_Delete(str);
                }
                ov[n].as_list = map[k].as_list;
                if (map[k].append) {
                    /* the first --sku replaces the config's list */
                    ov[n].append = sku_seen++ > 0;
                    if (!ov[n].append) {
                        free(ov[n].value);
                        cJSON *arr = cJSON_CreateArray();
                        cJSON_AddItemToArray(arr, cJSON_CreateString(it->value));
                        ov[n].value = cJSON_PrintUnformatted(arr);
                        cJSON_Delete(arr);
                    }
                }
                n++;
            }
        }
    }
    *out = ov;
    *n_out = n;
    return 0;
fail:
    for (size_t i = 0; i < n; i++)
        fc_override_free(&ov[i]);
    free(ov);
    return -1;
}

static char *make_run_id(const struct fc_config *cfg, const struct fc_dataset *ds)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char *text = cJSON_PrintUnformatted(cfg->json);
    char *seedtext = fc_xasprintf("%s|%s|%ld|%ld|%ld", text, ds->sha256, (long)getpid(),
                                  (long)ts.tv_sec, ts.tv_nsec);
    char hex[65];
    fc_sha256_buf(seedtext, strlen(seedtext), hex);
    free(text);
    free(seedtext);
    return fc_xasprintf("%s-%.6s", stamp, hex);
}

static void add_versions(cJSON *run)
{
    cJSON *v = cJSON_AddObjectToObject(run, "versions");
    cJSON_AddStringToObject(v, "forecast", FC_VERSION);
    cJSON_AddStringToObject(v, "cjson", cJSON_Version());
    char csv[32];
    snprintf(csv, sizeof csv, "%d.%d.%d", CSV_MAJOR, CSV_MINOR, CSV_RELEASE);
    cJSON_AddStringToObject(v, "libcsv", csv);
    cJSON_AddStringToObject(v, "openssl", OpenSSL_version(OPENSSL_VERSION));
    /* the libraries behind the plugins: "xgboost 1.7.4" -> "xgboost": "1.7.4" */
    for (size_t i = 0; fc_models[i]; i++) {
        if (!fc_models[i]->version)
            continue;
        char lib[64];
        fc_models[i]->version(lib, sizeof lib);
        char *space = strchr(lib, ' ');
        if (!space)
            continue;
        *space = '\0';
        if (!cJSON_GetObjectItemCaseSensitive(v, lib))
            cJSON_AddStringToObject(v, lib, space + 1);
    }
}

static cJSON *run_json(const char *id, const struct fc_config *cfg, const struct fc_dataset *ds,
                       const struct fc_split *sp, int argc, char **argv)
{
    cJSON *run = cJSON_CreateObject();
    cJSON_AddStringToObject(run, "kind", "forecast-run");
    cJSON_AddNumberToObject(run, "format_version", 1);
    cJSON_AddStringToObject(run, "id", id);
    cJSON_AddStringToObject(run, "status", "running");
    cJSON_AddStringToObject(run, "forecast_version", FC_VERSION);
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddStringToObject(run, "created", stamp);
    cJSON *cmd = cJSON_AddArrayToObject(run, "command");
    cJSON_AddItemToArray(cmd, cJSON_CreateString("forecast"));
    for (int i = 0; i < argc; i++)
        cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i]));
    add_versions(run);
    cJSON_AddNumberToObject(run, "seed", (double)cfg->seed);
    cJSON *d = cJSON_AddObjectToObject(run, "data");
    cJSON_AddStringToObject(d, "path", ds->path);
    cJSON_AddNumberToObject(d, "size", (double)ds->file_size);
    cJSON_AddStringToObject(d, "sha256", ds->sha256);
    if (cfg->data.target_path) {
        cJSON_AddStringToObject(d, "target_path", cfg->data.target_path);
        cJSON_AddNumberToObject(d, "target_size", (double)ds->target_file_size);
        cJSON_AddStringToObject(d, "target_sha256", ds->target_sha256);
    }
    cJSON_AddNumberToObject(d, "rows", (double)ds->n_rows);
    cJSON_AddNumberToObject(d, "series", (double)ds->n_series);
    cJSON_AddNumberToObject(d, "rows_dropped_missing_target", (double)ds->n_dropped);
    cJSON *f = cJSON_AddArrayToObject(d, "features");
    for (size_t j = 0; j < ds->n_features; j++)
        cJSON_AddItemToArray(f, cJSON_CreateString(ds->feature_names[j]));
    cJSON *s = cJSON_AddObjectToObject(run, "split");
    char day[11];
    if (sp->last_train_date != INT32_MIN) {
        fc_format_date(sp->last_train_date, day);
        cJSON_AddStringToObject(s, "last_train_date", day);
    }
    cJSON_AddNumberToObject(s, "series_used", (double)sp->n_used);
    cJSON_AddNumberToObject(s, "fit_rows", (double)sp->n_fit);
    cJSON_AddNumberToObject(s, "validation_rows", (double)sp->n_val);
    cJSON_AddNumberToObject(s, "test_rows", (double)sp->n_test);
    cJSON *sk = cJSON_AddObjectToObject(s, "skipped");
    for (size_t i = 0; i < sp->n_skipped; i++)
        cJSON_AddStringToObject(sk, ds->series_key[sp->skipped[i].series], sp->skipped[i].reason);
    cJSON_AddItemToObject(run, "config", cJSON_Duplicate(cfg->json, 1));
    return run;
}

static void set_str(cJSON *o, const char *k, const char *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, k);
    cJSON_AddStringToObject(o, k, v);
}

static int cmd_train(int argc, char **argv)
{
    struct fc_args a;
    int done;
    int rc = fc_cmd_parse(&fc_cmd_train, argc, argv, &a, &done);
    if (rc || done)
        return rc;
    double t_start = wall();
    const char *config_file = NULL;
    struct fc_override *ov = NULL;
    size_t n_ov = 0;
    struct fc_config cfg = {0};
    struct fc_dataset *ds = NULL;
    struct fc_split sp = {0};
    struct fc_train_result res = {0};
    cJSON *run = NULL;
    char *id = NULL, *run_dir = NULL, *model_dir = NULL, *path = NULL;
    int have_cfg = 0, have_split = 0;
    rc = FC_EXIT_USAGE;

    /* ---- bad input: exit 2, nothing written ---- */
    if (build_overrides(&a, &config_file, &ov, &n_ov))
        goto out;
    if (fc_config_load(&cfg, config_file, ov, n_ov))
        goto out;
    have_cfg = 1;
    double t0 = wall();
    ds = fc_dataset_load(&cfg.data, 1);
    if (!ds)
        goto out;
    double load_s = wall() - t0;
    fc_info(1, "loaded %s: %zu rows, %zu series, %zu features in %.2f s%s", ds->path,
            ds->n_rows, ds->n_series, ds->n_features, load_s, "");
    if (ds->n_dropped)
        fc_info(1, "dropped %zu rows with a missing target (data.missing_target = \"drop\")",
                ds->n_dropped);
    if (fc_split_make(ds, &cfg.split, cfg.skus, cfg.n_skus, &sp))
        goto out;
    have_split = 1;
    for (size_t i = 0; i < sp.n_skipped; i++)
        fc_warn("series %s skipped: %s", ds->series_key[sp.skipped[i].series],
                sp.skipped[i].reason);
    id = cfg.run_name ? xstrdup(cfg.run_name) : make_run_id(&cfg, ds);
    run_dir = fc_xasprintf("%s/%s", cfg.out_dir, id);
    struct stat st;
    if (stat(run_dir, &st) == 0) {
        fc_error("%s: run directory already exists; choose another --name or remove it",
                 run_dir);
        goto out;
    }

    /* ---- from here on, failures are runtime failures: exit 1 ---- */
    rc = FC_EXIT_FAILURE;
    if (fc_mkdir_p(cfg.out_dir))
        goto out;
    if (mkdir(run_dir, 0777) != 0) {
        fc_error("%s: cannot create run directory: %s", run_dir, strerror(errno));
        goto out;
    }
    run = run_json(id, &cfg, ds, &sp, argc, argv);
    path = fc_xasprintf("%s/run.json", run_dir);
    if (fc_write_json(path, run))
        goto out;
    model_dir = fc_xasprintf("%s/%s/%s", run_dir, cfg.model.ops->name,
                             fc_strategy_name(cfg.strategy));
    int train_rc = fc_mkdir_p(model_dir) ? -1 : fc_train(&cfg, ds, &sp, model_dir, &res);
    cJSON *tm = cJSON_AddObjectToObject(run, "timings");
    cJSON_AddNumberToObject(tm, "load_seconds", load_s);
    cJSON_AddNumberToObject(tm, "fit_seconds", res.fit_seconds);
    cJSON_AddNumberToObject(tm, "predict_seconds", res.predict_seconds);
    cJSON_AddNumberToObject(tm, "total_seconds", wall() - t_start);
    cJSON *models = cJSON_AddArrayToObject(run, "models");
    cJSON *mo = cJSON_CreateObject();
    cJSON_AddStringToObject(mo, "model", cfg.model.ops->name);
    cJSON_AddStringToObject(mo, "strategy", fc_strategy_name(cfg.strategy));
    char *rel = fc_xasprintf("%s/%s", cfg.model.ops->name, fc_strategy_name(cfg.strategy));
    cJSON_AddStringToObject(mo, "dir", rel);
    free(rel);
    cJSON_AddNumberToObject(mo, "models_trained", (double)res.n_models);
    cJSON_AddNumberToObject(mo, "series_failed", (double)res.n_failed);
    cJSON_AddItemToArray(models, mo);
    if (train_rc) {
        set_str(run, "status", "failed");
        cJSON_AddStringToObject(run, "error", fc_last_error);
        fc_write_json(path, run);
        fc_error("run %s failed; see %s", id, path);
        goto out;
    }
    set_str(run, "status", res.n_failed ? "partial" : "completed");
    char *report = fc_xasprintf("%s/report.md", run_dir);
    int rep_rc = fc_report_write(report, run, &cfg, ds, &sp, &res, model_dir);
    free(report);
    if (rep_rc || fc_write_json(path, run))
        goto out;
    const struct fc_metrics *m = res.metrics;
    fc_info(1, "run %s %s: %zu series, WRMSSE %.4f, RMSE %.4f%s", run_dir,
            res.n_failed ? "finished with failures" : "completed", m->n_series, m->wrmsse,
            m->rmse, "");
    if (m->has_quantiles)
        fc_info(1, "  WSPL %.4f, mean pinball %.4f", m->wspl, m->mean_pinball);
    printf("%s\n", run_dir);
    rc = res.n_failed ? FC_EXIT_PARTIAL : FC_EXIT_OK;
out:
    fc_train_result_free(&res);
    cJSON_Delete(run);
    free(path);
    free(model_dir);
    free(run_dir);
    free(id);
    if (have_split)
        fc_split_free(&sp);
    fc_dataset_free(ds);
    if (have_cfg)
        fc_config_free(&cfg);
    for (size_t i = 0; i < n_ov; i++)
        fc_override_free(&ov[i]);
    free(ov);
    fc_args_free(&a);
    return rc;
}

const struct fc_cmd fc_cmd_train = {
    .name = "train",
    .fn = cmd_train,
    .summary = "train a model, score it on the test period, write a run directory",
    .synopsis = "forecast train [--config FILE] [--model NAME] [options]",
    .description =
        "Loads the config (built-in defaults <- config file <- flags <- --set), the\n"
        "data, splits it by date, trains the model with the chosen strategy, scores\n"
        "the test period and writes runs/<id>/: run.json, report.md and\n"
        "<model>/<strategy>/ with the saved model(s), predictions.csv and metrics.json.\n"
        "Prints the run directory on stdout.\n"
        "\n"
        "'forecast train --config runs/<id>/run.json' trains the same run again.\n"
        "\n"
        "exit status: 0 done; 1 failed while running (run.json says \"failed\");\n"
        "2 bad input (nothing written); 3 done, but some series failed to train.",
    .opts = train_opts,
    .n_opts = sizeof train_opts / sizeof train_opts[0],
};

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
#include <fcntl.h>
#include <sys/file.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "forecast/cli/cli.h"
#include "forecast/core/config.h"
#include "forecast/data/dataset.h"
#include "forecast/core/hash.h"
#include "forecast/core/registry.h"
#include "forecast/report/report.h"
#include "forecast/data/split.h"
#include "forecast/store/store.h"
#include "forecast/train/train.h"
#include "forecast/core/util.h"
#include "forecast/core/version.h"

static const struct fc_opt train_opts[] = {
    {"config", "FILE", "JSON config (default: config/default.json when present)"},
    {"model", "NAME", "model(s) to train, e.g. statquant or xgboost_standard,statquant"},
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
    {"resume", "DIR", "continue the interrupted run DIR, keeping its verified outputs"},
    {"shard", "K/N", "train shard K of N of the series (K from SLURM_ARRAY_TASK_ID or "
                     "JOB_COMPLETION_INDEX when only N is given)"},
    {"plot-sku", "KEY", "plot this series in report.html (repeatable; default: the best, the "
                        "worst and the largest)"},
    {"no-cache", NULL, "neither read nor write the binary cache of the data"},
    {"quiet", NULL, "print only errors"},
    {"verbose", NULL, "print more progress"},
};

/* Maps the first-class flags onto config paths. */
static int build_overrides(const struct fc_args *a, const char **config,
                           struct fc_override **out, size_t *n_out)
{
    static const struct {
        const char *flag, *path;
        int append, as_list;
    } map[] = { /* the first of an appending flag replaces the config's list */
        {"model", "model", 0, 0},         {"data", "data.path", 0, 0},
        {"strategy", "strategy", 0, 0},   {"split-date", "split.split_date", 0, 0},
        {"quantiles", "quantiles", 0, 1}, {"sku", "series", 1, 0},
        {"out", "output.dir", 0, 0},      {"name", "output.name", 0, 0},
        {"seed", "seed", 0, 0},           {"jobs", "jobs", 0, 0},
        {"plot-sku", "report.plot_series", 1, 0},
        {"no-cache", "data.cache", 0, 0},
    };
    struct fc_override *ov = xcalloc(a->n ? a->n : 1, sizeof *ov);
    size_t n = 0;
    size_t seen[16] = {0}; /* per appending flag */
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
        } else if (strcmp(name, "resume") == 0 || strcmp(name, "shard") == 0) {
            continue; /* handled by the caller */
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
                if (strcmp(name, "no-cache") == 0) {
                    ov[n].value = xstrdup("false");
                } else if (numeric || map[k].as_list) {
                    /* a non-number stays text, so validation names the flag */
                    ov[n].value = xstrdup(it->value);
                } else if (strcmp(name, "model") == 0 && strchr(it->value, ',')) {
                    /* --model a,b,c: several models in one run */
                    cJSON *arr = cJSON_CreateArray();
                    char *copy = xstrdup(it->value), *save = NULL;
                    for (char *tok = strtok_r(copy, ",", &save); tok;
                         tok = strtok_r(NULL, ",", &save))
                        cJSON_AddItemToArray(arr, cJSON_CreateString(tok));
                    free(copy);
                    ov[n].value = cJSON_PrintUnformatted(arr);
                    cJSON_Delete(arr);
                } else {
                    /* always a JSON string: --name 123 is the name "123" */
                    cJSON *str = cJSON_CreateString(it->value);
                    ov[n].value = cJSON_PrintUnformatted(str);
                    cJSON_Delete(str);
                }
                ov[n].as_list = map[k].as_list;
                if (map[k].append) {
                    /* the first --sku replaces the config's list */
                    ov[n].append = seen[k]++ > 0;
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

static void add_versions(cJSON *run, const struct fc_config *cfg)
{
    cJSON *v = cJSON_AddObjectToObject(run, "versions");
    cJSON_AddStringToObject(v, "forecast", FC_VERSION);
    cJSON_AddStringToObject(v, "cjson", cJSON_Version());
    char csv[32];
    snprintf(csv, sizeof csv, "%d.%d.%d", CSV_MAJOR, CSV_MINOR, CSV_RELEASE);
    cJSON_AddStringToObject(v, "libcsv", csv);
    cJSON_AddStringToObject(v, "openssl", OpenSSL_version(OPENSSL_VERSION));
    /* the libraries behind the run's models: "xgboost 1.7.4" -> "xgboost":
     * "1.7.4" (only those: asking the MLP plugin loads libtorch) */
    for (size_t i = 0; i < cfg->n_models; i++) {
        const struct fc_model_ops *ops = cfg->models[i].ops;
        if (!ops->version)
            continue;
        char lib[512];
        ops->version(lib, sizeof lib);
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
    add_versions(run, cfg);
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

/* --shard K/N, or N with K from SLURM_ARRAY_TASK_ID / JOB_COMPLETION_INDEX */
static int parse_shard(const char *text, int *k, int *n)
{
    const char *slash = strchr(text, '/');
    long kk = -1, nn;
    char *end;
    if (slash) {
        char *ktext = xstrdup(text);
        ktext[slash - text] = '\0';
        int bad = fc_parse_long(ktext, &kk) != 0;
        free(ktext);
        if (bad)
            return fc_error("--shard %s: expected K/N or N, e.g. --shard 3/10", text);
        text = slash + 1;
    }
    nn = strtol(text, &end, 10);
    if (*end || end == text || nn < 1 || nn > 1000000)
        return fc_error("--shard: expected N, the number of shards, >= 1; got \"%s\"", text);
    if (kk < 0) {
        const char *env = getenv("SLURM_ARRAY_TASK_ID");
        const char *name = "SLURM_ARRAY_TASK_ID";
        if (!env) {
            env = getenv("JOB_COMPLETION_INDEX");
            name = "JOB_COMPLETION_INDEX";
        }
        if (!env)
            return fc_error("--shard %ld: which shard is this? give --shard K/%ld or set "
                            "SLURM_ARRAY_TASK_ID (Slurm job arrays) or JOB_COMPLETION_INDEX "
                            "(Kubernetes Indexed Jobs)",
                            nn, nn);
        if (fc_parse_long(env, &kk) != 0)
            return fc_error("%s=\"%s\": expected a shard index", name, env);
    }
    if (kk < 0 || kk >= nn)
        return fc_error("--shard: shard index %ld is outside 0..%ld (with Slurm use "
                        "--array=0-%ld)",
                        kk, nn - 1, nn - 1);
    *k = (int)kk;
    *n = (int)nn;
    return 0;
}

/* An exclusive lock for the lifetime of the process (the fd stays open):
 * a second process writing the same run (or shard) fails at once. */
static int take_lock(const char *path, const char *what)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0)
        return fc_error("%s: cannot create the lock file: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        return fc_error("%s is being written by another forecast process (lock %s held); "
                        "wait for it, or stop it first",
                        what, path);
    }
    return fd;
}

/* Everything one invocation of train / merge holds. */
struct job {
    const char *config_file;
    struct fc_override *ov;
    size_t n_ov;
    const char *resume_dir;
    const char *shard_text;
    int merge;
    struct fc_config cfg;
    int have_cfg;
    struct fc_dataset *ds;
    struct fc_split sp;
    int have_split;
    struct fc_train_result *res; /* (n_res) one per model */
    char **model_dirs;           /* (n_res) */
    size_t n_res;
    cJSON *run;
    char *id, *run_dir, *path;
    int lock_fd;
};

static void job_free(struct job *J)
{
    for (size_t k = 0; k < J->n_res; k++) {
        fc_train_result_free(&J->res[k]);
        free(J->model_dirs[k]);
    }
    free(J->res);
    free(J->model_dirs);
    cJSON_Delete(J->run);
    free(J->path);
    free(J->run_dir);
    free(J->id);
    if (J->have_split)
        fc_split_free(&J->sp);
    fc_dataset_free(J->ds);
    if (J->have_cfg)
        fc_config_free(&J->cfg);
    for (size_t i = 0; i < J->n_ov; i++)
        fc_override_free(&J->ov[i]);
    free(J->ov);
    if (J->lock_fd >= 0)
        close(J->lock_fd);
}

/* The run's own config, from DIR/run.json; only flags that do not change
 * results may come with it. */
static int config_from_run(struct job *J, const char *dir, const char *why)
{
    for (size_t i = 0; i < J->n_ov; i++)
        if (strcmp(J->ov[i].path, "jobs") != 0)
            return fc_error("%s %s: the run's own config is used; %s cannot be changed "
                            "(only --jobs, --quiet and --verbose may be given)",
                            why, dir, J->ov[i].flag);
    if (J->config_file)
        return fc_error("%s %s: the run's own config is used; --config cannot be given", why,
                        dir);
    J->path = fc_xasprintf("%s/run.json", dir);
    if (access(J->path, F_OK) != 0)
        return fc_error("%s: not a forecast run directory (no run.json)", dir);
    J->config_file = J->path;
    return 0;
}

static int run_pipeline(struct job *J, int argc, char **argv)
{
    double t_start = fc_now();
    int rc = FC_EXIT_USAGE;
    struct fc_train_opts opts = {0};
    cJSON *old_run = NULL;
    J->lock_fd = -1;

    /* ---- bad input: exit 2, nothing written ---- */
    if (J->resume_dir &&
        config_from_run(J, J->resume_dir, J->merge ? "merge" : "--resume"))
        goto out;
    if (J->shard_text && parse_shard(J->shard_text, &opts.shard_k, &opts.shard_n))
        goto out;
    if (J->resume_dir) {
        old_run = fc_read_json(J->config_file);
        if (!old_run)
            goto out;
        const cJSON *sh = cJSON_GetObjectItemCaseSensitive(old_run, "shards");
        if (cJSON_IsNumber(sh) && !J->shard_text && !J->merge) {
            fc_error("--resume %s: a sharded run; resume one shard with --resume DIR "
                     "--shard K/%d, then run forecast merge",
                     J->resume_dir, (int)sh->valuedouble);
            goto out;
        }
    }
    if (fc_config_load(&J->cfg, J->config_file, J->ov, J->n_ov))
        goto out;
    J->have_cfg = 1;
    if (J->shard_text && !J->resume_dir && !J->cfg.run_name) {
        fc_error("--shard: give the run a --name, so that every shard writes the same run "
                 "directory");
        goto out;
    }
    if ((J->shard_text || J->merge) && J->cfg.strategy != FC_INDIVIDUAL) {
        fc_error("%s: only the individual strategy is sharded (strategy is \"%s\")",
                 J->merge ? "merge" : "--shard", fc_strategy_name(J->cfg.strategy));
        goto out;
    }
    if (J->merge) {
        const cJSON *sh = cJSON_GetObjectItemCaseSensitive(old_run, "shards");
        if (!cJSON_IsNumber(sh)) {
            fc_error("merge %s: not a sharded run (run.json has no \"shards\")",
                     J->resume_dir);
            goto out;
        }
        opts.shard_n = (int)sh->valuedouble;
        opts.merge = 1;
    }
    /* a shard always keeps the verified series of an earlier attempt, so a
     * requeued Slurm task or restarted pod picks up where it stopped */
    if (!J->merge && fc_config_models_ready(J->cfg.models, J->cfg.n_models))
        goto out;
    opts.resume = (J->resume_dir != NULL || J->shard_text != NULL) && !J->merge;
    opts.jobs = J->cfg.jobs;
    double t0 = fc_now();
    J->ds = fc_dataset_load(&J->cfg.data, 1);
    if (!J->ds)
        goto out;
    double load_s = fc_now() - t0;
    struct fc_dataset *ds = J->ds;
    fc_info(1, "loaded %s%s: %zu rows, %zu series, %zu features in %.2f s", ds->path,
            ds->from_cache ? " (binary cache)" : "", ds->n_rows, ds->n_series, ds->n_features,
            load_s);
    if (ds->n_dropped)
        fc_info(1, "dropped %zu rows with a missing target (data.missing_target = \"drop\")",
                ds->n_dropped);
    if (fc_split_make(ds, &J->cfg.split, J->cfg.skus, J->cfg.n_skus, &J->sp))
        goto out;
    J->have_split = 1;
    for (size_t i = 0; i < J->cfg.n_plot_skus; i++)
        if (fc_dataset_find_series(ds, J->cfg.plot_skus[i]) < 0) {
            fc_error("report.plot_series: series \"%s\" is not in %s", J->cfg.plot_skus[i],
                     ds->path);
            goto out;
        }
    for (size_t i = 0; i < J->sp.n_skipped && !opts.merge; i++)
        fc_warn("series %s skipped: %s", ds->series_key[J->sp.skipped[i].series],
                J->sp.skipped[i].reason);
    /* a combined model whose fit rows all weigh 0 has nothing to learn from
     * (XGBoost would quietly predict its base score) */
    if (ds->weight && J->cfg.strategy == FC_COMBINED &&
        !(fc_split_fit_weight(ds, J->sp.used, J->sp.n_used) > 0)) {
        fc_error("data.weight_column \"%s\": the weights of all %zu fit rows are 0; "
                 "there is nothing to train on",
                 J->cfg.data.weight_col, J->sp.n_fit);
        goto out;
    }

    struct stat st;
    if (J->resume_dir) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(old_run, "id");
        J->id = xstrdup(cJSON_IsString(id) ? id->valuestring : "resumed");
        J->run_dir = xstrdup(J->resume_dir);
    } else {
        J->id = J->cfg.run_name ? xstrdup(J->cfg.run_name) : make_run_id(&J->cfg, ds);
        J->run_dir = fc_xasprintf("%s/%s", J->cfg.out_dir, J->id);
        free(J->path);
        J->path = fc_xasprintf("%s/run.json", J->run_dir);
        if (stat(J->run_dir, &st) == 0) {
            /* shards join the run directory the first of them made */
            int no_run_yet = J->shard_text && access(J->path, F_OK) != 0;
            cJSON *existing = J->shard_text && !no_run_yet ? fc_read_json(J->path) : NULL;
            const cJSON *ec = existing ? cJSON_GetObjectItemCaseSensitive(existing, "config")
                                       : NULL;
            int same = no_run_yet || (ec && cJSON_Compare(ec, J->cfg.json, 1));
            cJSON_Delete(existing);
            if (!same) {
                fc_error("%s: run directory already exists%s; choose another --name or "
                         "remove it",
                         J->run_dir, J->shard_text ? " with another configuration" : "");
                goto out;
            }
        }
    }

    fc_dataset_cache_store(&J->cfg.data, 1, ds);

    /* ---- from here on, failures are runtime failures: exit 1 ---- */
    rc = FC_EXIT_FAILURE;
    if (fc_mkdir_p(J->cfg.out_dir) && !J->resume_dir)
        goto out;
    if (mkdir(J->run_dir, 0777) != 0 && errno != EEXIST) {
        fc_error("%s: cannot create run directory: %s", J->run_dir, strerror(errno));
        goto out;
    }
    char *lock = opts.shard_n && !opts.merge
                     ? fc_xasprintf("%s/.lock-shard-%d", J->run_dir, opts.shard_k)
                     : fc_xasprintf("%s/.lock", J->run_dir);
    J->lock_fd = take_lock(lock, J->run_dir);
    free(lock);
    if (J->lock_fd < 0) {
        rc = FC_EXIT_USAGE;
        goto out;
    }
    J->run = run_json(J->id, &J->cfg, ds, &J->sp, argc, argv);
    if (old_run) {
        const cJSON *created = cJSON_GetObjectItemCaseSensitive(old_run, "created");
        if (cJSON_IsString(created)) {
            cJSON_DeleteItemFromObjectCaseSensitive(J->run, "created");
            cJSON_AddStringToObject(J->run, "created", created->valuestring);
        }
    }
    if (opts.shard_n) {
        cJSON_AddNumberToObject(J->run, "shards", opts.shard_n);
        set_str(J->run, "status", opts.merge ? "running" : "sharded");
    }
    /* shards share run.json: the first one writes it, merge finishes it */
    if (!opts.merge && (!opts.shard_n || access(J->path, F_OK) != 0) &&
        fc_write_json(J->path, J->run))
        goto out;
    /* every model on the same split, one after the other */
    size_t nm = J->cfg.n_models;
    J->res = xcalloc(nm, sizeof *J->res);
    J->model_dirs = xcalloc(nm, sizeof *J->model_dirs);
    J->n_res = nm;
    int train_rc = 0, shard_only = 0;
    size_t failed = 0;
    double fit_s = 0, pred_s = 0;
    cJSON *models = cJSON_AddArrayToObject(J->run, "models");
    for (size_t k = 0; k < nm && !train_rc; k++) {
        struct fc_config one = J->cfg; /* shallow: the same config, model k */
        one.model = J->cfg.models[k];
        J->model_dirs[k] = fc_xasprintf("%s/%s/%s", J->run_dir, one.model.ops->name,
                                        fc_strategy_name(one.strategy));
        struct fc_train_result *res = &J->res[k];
        train_rc = fc_mkdir_p(J->model_dirs[k])
                       ? -1
                       : fc_train(&one, ds, &J->sp, J->model_dirs[k], &opts, res);
        shard_only |= res->shard_only;
        failed += res->n_failed;
        fit_s += res->fit_seconds;
        pred_s += res->predict_seconds;
        cJSON *mo = cJSON_CreateObject();
        cJSON_AddStringToObject(mo, "model", one.model.ops->name);
        cJSON_AddStringToObject(mo, "strategy", fc_strategy_name(one.strategy));
        char *rel = fc_xasprintf("%s/%s", one.model.ops->name, fc_strategy_name(one.strategy));
        cJSON_AddStringToObject(mo, "dir", rel);
        free(rel);
        cJSON_AddNumberToObject(mo, "models_trained", (double)res->n_models);
        cJSON_AddNumberToObject(mo, "models_resumed", (double)res->n_resumed);
        cJSON_AddNumberToObject(mo, "series_failed", (double)res->n_failed);
        cJSON_AddNumberToObject(mo, "fit_seconds", res->fit_seconds);
        cJSON_AddItemToArray(models, mo);
    }
    if (shard_only && train_rc == 0) {
        fc_info(1, "shard %d/%d of %s done (%zu series failed); when every shard is done: "
                   "forecast merge %s",
                opts.shard_k, opts.shard_n, J->run_dir, failed, J->run_dir);
        printf("%s\n", J->run_dir);
        rc = failed ? FC_EXIT_PARTIAL : FC_EXIT_OK;
        goto out;
    }
    cJSON *tm = cJSON_AddObjectToObject(J->run, "timings");
    cJSON_AddNumberToObject(tm, "load_seconds", load_s);
    cJSON_AddNumberToObject(tm, "fit_seconds", fit_s);
    cJSON_AddNumberToObject(tm, "predict_seconds", pred_s);
    cJSON_AddNumberToObject(tm, "total_seconds", fc_now() - t_start);
    if (train_rc && opts.merge) {
        /* a missing or damaged shard is bad input: nothing was written */
        rc = FC_EXIT_USAGE;
        goto out;
    }
    if (train_rc) {
        set_str(J->run, "status", "failed");
        cJSON_AddStringToObject(J->run, "error", fc_last_error);
        fc_error_report(); /* the cause, then what became of the run */
        if (fc_write_json(J->path, J->run)) {
            char why[sizeof fc_last_error];
            snprintf(why, sizeof why, "%s", fc_last_error);
            fc_error("run %s failed, and its status could not be saved: %s still says "
                     "\"running\" (%s)",
                     J->id, J->path, why);
        } else {
            fc_error("run %s failed; see %s", J->id, J->path);
        }
        goto out;
    }
    set_str(J->run, "status", failed ? "partial" : "completed");
    char *report = fc_xasprintf("%s/report.md", J->run_dir);
    int rep_rc = fc_report_write(report, J->run, &J->cfg, ds, &J->sp, J->res,
                                 (const char *const *)J->model_dirs, nm);
    free(report);
    if (!rep_rc) {
        char *html = fc_xasprintf("%s/report.html", J->run_dir);
        rep_rc = fc_report_html_run(html, J->run, &J->cfg, ds, &J->sp, J->res,
                                    (const char *const *)J->model_dirs, nm, J->cfg.plot_skus,
                                    J->cfg.n_plot_skus);
        free(html);
    }
    if (rep_rc || fc_write_json(J->path, J->run))
        goto out;
    for (size_t k = 0; k < nm; k++) {
        const struct fc_metrics *m = J->res[k].metrics;
        fc_info(1, "%s (%s): %zu series, WRMSSE %.4f, RMSE %.4f%s", J->cfg.models[k].ops->name,
                fc_strategy_name(J->cfg.strategy), m->n_series, m->wrmsse, m->rmse,
                m->has_quantiles ? "" : "");
        if (m->has_quantiles)
            fc_info(1, "  WSPL %.4f, mean pinball %.4f", m->wspl, m->mean_pinball);
    }
    fc_info(1, "run %s %s", J->run_dir, failed ? "finished with failures" : "completed");
    if (failed)
        fc_warn("%zu series failed to train (listed in metrics.json and report.md); exit "
                "status 3",
                failed);
    printf("%s\n", J->run_dir);
    rc = failed ? FC_EXIT_PARTIAL : FC_EXIT_OK;
out:
    cJSON_Delete(old_run);
    return rc;
}

static int cmd_train(int argc, char **argv)
{
    struct fc_args a;
    int done;
    int rc = fc_cmd_parse(&fc_cmd_train, argc, argv, &a, &done);
    if (rc || done)
        return rc;
    struct job J = {0};
    J.lock_fd = -1;
    rc = FC_EXIT_USAGE;
    for (size_t i = 0; i < a.n; i++) {
        if (!a.items[i].opt)
            continue;
        if (strcmp(a.items[i].opt->name, "resume") == 0)
            J.resume_dir = a.items[i].value;
        else if (strcmp(a.items[i].opt->name, "shard") == 0)
            J.shard_text = a.items[i].value;
    }
    if (build_overrides(&a, &J.config_file, &J.ov, &J.n_ov) == 0)
        rc = run_pipeline(&J, argc, argv);
    job_free(&J);
    fc_args_free(&a);
    return rc;
}

static const struct fc_opt merge_opts[] = {
    {"quiet", NULL, "print only errors"},
    {"verbose", NULL, "print more progress"},
};

static int cmd_merge(int argc, char **argv)
{
    struct fc_args a;
    int done;
    int rc = fc_cmd_parse(&fc_cmd_merge, argc, argv, &a, &done);
    if (rc || done)
        return rc;
    struct job J = {0};
    J.lock_fd = -1;
    J.merge = 1;
    rc = FC_EXIT_USAGE;
    for (size_t i = 0; i < a.n; i++) {
        if (a.items[i].opt) {
            fc_verbosity = strcmp(a.items[i].opt->name, "quiet") == 0 ? 0 : 2;
        } else if (J.resume_dir) {
            fc_error("merge: expected one run directory, got '%s' and '%s'", J.resume_dir,
                     a.items[i].value);
            fc_args_free(&a);
            return FC_EXIT_USAGE;
        } else {
            J.resume_dir = a.items[i].value;
        }
    }
    if (!J.resume_dir)
        fc_error("merge: which run? (forecast merge runs/<id>)");
    else
        rc = run_pipeline(&J, argc, argv);
    job_free(&J);
    fc_args_free(&a);
    return rc;
}

const struct fc_cmd fc_cmd_merge = {
    .name = "merge",
    .fn = cmd_merge,
    .summary = "combine the shards of a sharded run into its results",
    .synopsis = "forecast merge RUN",
    .description =
        "RUN was trained in shards (forecast train --strategy individual --name ID\n"
        "--shard K/N, one process per K, e.g. a Slurm job array or a Kubernetes\n"
        "Indexed Job). merge checks that every shard finished and that every series'\n"
        "outputs are complete and verify against their manifests, then writes the\n"
        "run's predictions.csv, metrics.json, report.md and run.json: the same as a\n"
        "single-machine run.\n"
        "\n"
        "exit status: 0 done; 2 a shard is missing or unfinished, or RUN is not a\n"
        "sharded run; 3 done, but some series failed to train; 1 failed while writing.",
    .opts = merge_opts,
    .n_opts = sizeof merge_opts / sizeof merge_opts[0],
};

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
        "'forecast train --resume runs/<id>' continues an interrupted run: series\n"
        "whose outputs verify against their manifest are kept, the rest trained.\n"
        "With --strategy individual, --jobs N workers train series in parallel (one\n"
        "library thread each); --shard K/N trains one shard, forecast merge joins them.\n"
        "\n"
        "exit status: 0 done; 1 failed while running (run.json says \"failed\");\n"
        "2 bad input (nothing written), or another process holds the run's lock;\n"
        "3 done, but some series failed to train (the others are in the results).",
    .opts = train_opts,
    .n_opts = sizeof train_opts / sizeof train_opts[0],
};

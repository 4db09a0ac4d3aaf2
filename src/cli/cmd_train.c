/*
 * cmd_train.c — `forecast train`: its options, and its planner: the jobs of
 * the strategy (fc_plan_train), this shard's only (--shard), without those
 * an earlier attempt finished (--resume, and always for a shard). The
 * stages around it (inputs, run directory, collecting, reports) are
 * train_run.c's, shared with `forecast merge`.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/cli/cli.h"
#include "forecast/cli/train_distributed.h"
#include "forecast/cli/train_run.h"
#include "forecast/core/util.h"

static const struct fc_opt train_opts[] = {
    {"config", "FILE", "JSON config (default: config/default.json when present)"},
    {"model", "NAME", "model(s) to train, e.g. statquant or xgboost_standard,statquant"},
    {"data", "FILE", "data CSV (data.path)"},
    {"strategy", "S", "combined (one model over all series) or individual (one per series)"},
    {"split-date", "DATE", "first test date, YYYY-MM-DD (split.split_date)"},
    {"horizon", "H", "forecast H periods from each origin (horizon): the test period's "
                     "length"},
    {"multi-step", "MODE", "recursive or direct: how steps after the first are forecast "
                           "(multi_step)"},
    {"windows", "K", "backtest: K windows of horizon periods, the last at the split date or "
                     "the data's end (split.windows)"},
    {"step", "S", "backtest: periods between window origins (split.step, default horizon)"},
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
    {"distributed", NULL, "train the combined XGBoost model with other workers through "
                          "XGBoost's collective, each loading the series its rank owns (see "
                          "scripts/distributed-local.sh)"},
    {"plot-sku", "KEY", "plot this series in report.html (repeatable; default: the best, the "
                        "worst and the largest)"},
    {"no-cache", NULL, "neither read nor write the binary cache of the data"},
    {"quiet", NULL, "print only errors"},
    {"verbose", NULL, "print more progress"},
};

int fc_train_overrides(const char *cmd, const struct fc_args *a, const char **config,
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
        {"horizon", "horizon", 0, 0},     {"multi-step", "multi_step", 0, 0},
        {"windows", "split.windows", 0, 0}, {"step", "split.step", 0, 0},
    };
    struct fc_override *ov = xcalloc(a->n ? a->n : 1, sizeof *ov);
    size_t n = 0;
    size_t seen[16] = {0}; /* per appending flag */
    for (size_t i = 0; i < a->n; i++) {
        const struct fc_arg *it = &a->items[i];
        if (!it->opt) {
            fc_error("%s: unexpected argument '%s' (options start with --)", cmd, it->value);
            goto fail;
        }
        const char *name = it->opt->name;
        if (strcmp(name, "config") == 0) {
            *config = it->value;
        } else if (strcmp(name, "set") == 0) {
            if (fc_override_parse_set(it->value, &ov[n]))
                goto fail;
            n++;
        } else if (strcmp(name, "resume") == 0 || strcmp(name, "shard") == 0 ||
                   strcmp(name, "distributed") == 0) {
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
                int numeric = strcmp(name, "seed") == 0 || strcmp(name, "jobs") == 0 ||
                              strcmp(name, "horizon") == 0 || strcmp(name, "windows") == 0 ||
                              strcmp(name, "step") == 0;
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

/* ---- the planner ---- */

static void announce(const struct fc_train_run *R, const struct fc_plan *P, size_t resumed)
{
    const char *name = P->cfg->model.ops->name;
    if (P->cfg->strategy == FC_COMBINED) {
        if (resumed)
            fc_info(1, "resume: the combined model is complete and verified");
        else if (P->cfg->model.ops->flags & FC_MODEL_FITS_VALIDATION)
            fc_info(1, "training %s (combined) on %zu rows of %zu series (the validation "
                    "window included: it has no early stopping)",
                    name, P->n_rows_fit + P->n_rows_val, P->sp->n_used);
        else
            fc_info(1, "training %s (combined) on %zu rows of %zu series, validating on %zu",
                    name, P->n_rows_fit, P->sp->n_used, P->n_rows_val);
        return;
    }
    size_t todo = fc_plan_count(P, FC_JOB_TODO);
    int workers = P->workers;
    if ((size_t)workers > todo)
        workers = todo ? (int)todo : 1;
    fc_info(1, "training %s (individual): %zu series%s%s, %d worker%s x 1 thread%s", name,
            todo, resumed ? ", resumed " : "", resumed ? "(others verified)" : "", workers,
            workers == 1 ? "" : "s", R->shard_n ? " (this shard)" : "");
    if (resumed)
        fc_info(1, "resume: %zu series already complete and verified", resumed);
}

static int plan_train(struct fc_train_run *R, struct fc_plan *P)
{
    if (R->shard_n)
        fc_plan_shard(P, R->shard_k, R->shard_n);
    /* a shard always keeps the verified series of an earlier attempt, so a
     * requeued Slurm task or restarted pod picks up where it stopped */
    size_t resumed = R->resume_dir || R->shard_n ? fc_plan_resume(P) : 0;
    announce(R, P, resumed);
    fc_pool_run(P);
    if (!R->shard_n)
        return 0;
    /* a shard's part: its tally; the run's results come with forecast merge */
    for (size_t i = 0; i < P->n_jobs; i++)
        if (P->jobs[i].state == FC_JOB_FAILED)
            fc_warn("series %s failed: %s", P->jobs[i].series_key, P->jobs[i].reason);
    return fc_plan_write_shard(P, R->shard_k, R->shard_n) ? -1 : 1;
}

static const struct fc_train_planner train_planner = {plan_train, 0};

static int cmd_train(int argc, char **argv)
{
    struct fc_args a;
    int done;
    int rc = fc_cmd_parse(&fc_cmd_train, argc, argv, &a, &done);
    if (rc || done)
        return rc;
    struct fc_train_run R;
    fc_train_run_init(&R);
    const char *shard = NULL;
    int distributed = 0;
    for (size_t i = 0; i < a.n; i++) {
        if (!a.items[i].opt)
            continue;
        if (strcmp(a.items[i].opt->name, "resume") == 0)
            R.resume_dir = a.items[i].value;
        else if (strcmp(a.items[i].opt->name, "shard") == 0)
            shard = a.items[i].value;
        else if (strcmp(a.items[i].opt->name, "distributed") == 0)
            distributed = 1;
    }
    rc = FC_EXIT_USAGE;
    /* a distributed worker joins the others first: from there on, whatever
     * fails on one worker fails on all */
    if (distributed && (shard || R.resume_dir)) {
        fc_error("--distributed cannot go with %s", shard ? "--shard" : "--resume");
        goto out;
    }
    if (distributed && fc_train_dist_start(&R))
        goto out;
    int ok = fc_train_overrides("train", &a, &R.config_file, &R.ov, &R.n_ov) == 0 &&
             (!shard || parse_shard(shard, &R.shard_k, &R.shard_n) == 0) &&
             fc_train_run_inputs(&R) == 0;
    if (distributed && fc_train_dist_agree(&R, ok))
        ok = 0;
    if (ok) {
        rc = fc_train_run_open(&R, argc, argv);
        if (distributed && fc_train_dist_opened(&R, rc == FC_EXIT_OK))
            rc = rc == FC_EXIT_OK ? FC_EXIT_FAILURE : rc;
        else if (rc == FC_EXIT_OK)
            rc = fc_train_run_models(&R, distributed ? &fc_train_dist_planner : &train_planner);
    }
    rc = fc_train_dist_end(&R, rc);
out:
    fc_train_run_free(&R);
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

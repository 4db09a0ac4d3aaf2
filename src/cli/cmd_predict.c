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
#include "forecast/data/derive.h"
#include "forecast/data/transform.h"
#include "forecast/core/hash.h"
#include "forecast/data/dataset.h"
#include "forecast/store/store.h"
#include "forecast/store/modeldir.h"
#include "forecast/store/rundir.h"
#include "forecast/train/collect.h"
#include "forecast/train/job.h"
#include "forecast/core/util.h"

static const struct fc_opt predict_opts[] = {
    {"run", "DIR", "the run directory (runs/<id>) holding the trained model"},
    {"data", "FILE", "CSV with the same columns as the training data (target optional)"},
    {"out", "FILE", "where to write the predictions CSV (default: standard output)"},
    {"model", "NAME", "which of the run's models predicts (needed when it trained several)"},
    {"no-cache", NULL, "neither read nor write the binary cache of the data"},
    {"quiet", NULL, "print only errors"},
};

/* Every row of ds predicted by the models saved in dir: the jobs of the
 * run's strategy, each loading its model (in series order: the first bad
 * model is the error). Model-file problems are bad input: -1 after
 * fc_error. */
static int predict_saved(const struct fc_config *cfg, const struct fc_dataset *ds,
                         const struct fc_transform *tf, const char *dir, struct fc_pred *out)
{
    struct fc_split all;
    fc_split_all(ds, &all);
    struct fc_dataset view = tf ? fc_transform_view(tf, ds) : *ds;
    struct fc_plan P;
    fc_plan_predict(&P, cfg, &view, &all, dir);
    P.transform = tf;
    P.truth = ds;
    int rc = 0;
    for (size_t k = 0; k < P.n_jobs && rc == 0; k++)
        rc = fc_job_run(&P, &P.jobs[k]);
    rc = fc_collect_predictions(&P, out);
    fc_plan_free(&P);
    fc_split_free(&all);
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

static int cmd_predict(int argc, char **argv)
{
    struct fc_args a;
    int done;
    int rc = fc_cmd_parse(&fc_cmd_predict, argc, argv, &a, &done);
    if (rc || done)
        return rc;
    const char *run = NULL, *data = NULL, *out = "-", *model = NULL;
    int no_cache = 0;
    for (size_t i = 0; i < a.n; i++) {
        const struct fc_arg *it = &a.items[i];
        if (!it->opt) {
            fc_error("predict: unexpected argument '%s'", it->value);
            fc_args_free(&a);
            return FC_EXIT_USAGE;
        }
        if (strcmp(it->opt->name, "run") == 0)
            run = it->value;
        else if (strcmp(it->opt->name, "data") == 0)
            data = it->value;
        else if (strcmp(it->opt->name, "out") == 0)
            out = it->value;
        else if (strcmp(it->opt->name, "model") == 0)
            model = it->value;
        else if (strcmp(it->opt->name, "quiet") == 0)
            fc_verbosity = 0;
        else if (strcmp(it->opt->name, "no-cache") == 0)
            no_cache = 1;
    }
    rc = FC_EXIT_USAGE;
    struct fc_override ov[4] = {{0}};
    size_t n_ov = 0;
    struct fc_config cfg;
    int have_cfg = 0;
    struct fc_dataset *ds = NULL;
    struct fc_pred pred = {0};
    struct fc_transform tf = {0};
    uint32_t *rows = NULL;
    char *run_file = NULL, *model_dir = NULL;
    cJSON *runj = NULL;
    if (!run || !data) {
        fc_error("predict: %s is required (forecast predict --run DIR --data FILE "
                 "[--out FILE])",
                 !run ? "--run DIR" : "--data FILE");
        goto out;
    }
    runj = fc_run_read(run, 1, "predict");
    if (!runj)
        goto out;
    run_file = fc_run_file(run);
    fc_override_add_string(ov, &n_ov, "data.path", data, "--data");
    fc_override_add(ov, &n_ov, "data.target_path", "null", "--data");
    fc_override_add(ov, &n_ov, "data.join_key", "null", "--data");
    if (no_cache)
        fc_override_add(ov, &n_ov, "data.cache", "false", "--no-cache");
    if (fc_config_load(&cfg, run_file, ov, n_ov, fc_run_unwrap_config))
        goto out;
    have_cfg = 1;
    if (choose_model(&cfg, model, run) || fc_config_models_ready(&cfg.model, 1))
        goto out;
    ds = fc_dataset_open(&cfg.data, 0);
    if (!ds)
        goto out;
    /* every target in FILE is history: no origin */
    if (read_transform(runj, run, ds, &tf) < 0)
        goto out;
    if (fc_derive_from(ds, tf.target ? tf.target : ds->target, &cfg.features, &cfg.data.freq, 0,
                       0))
        goto out;
    model_dir = fc_run_model_dir(run, cfg.model.ops->name, cfg.strategy);
    if (predict_saved(&cfg, ds, tf.target ? &tf : NULL, model_dir, &pred))
        goto out;
    rows = xmalloc(ds->n_rows * sizeof *rows);
    for (size_t i = 0; i < ds->n_rows; i++)
        rows[i] = (uint32_t)i;
    rc = FC_EXIT_FAILURE;
    if (fc_predictions_write(out, ds, rows, &pred, cfg.quantiles, ds->has_target))
        goto out;
    fc_dataset_cache_store(&cfg.data, 0, ds);
    fc_info(1, "predicted %zu rows of %zu series with %s (%s)%s%s", ds->n_rows, ds->n_series,
            cfg.model.ops->name, fc_strategy_name(cfg.strategy), strcmp(out, "-") ? " -> " : "",
            strcmp(out, "-") ? out : "");
    rc = FC_EXIT_OK;
out:
    free(rows);
    fc_pred_free(&pred);
    fc_transform_free(&tf);
    fc_dataset_free(ds);
    if (have_cfg)
        fc_config_free(&cfg);
    for (size_t i = 0; i < n_ov; i++)
        fc_override_free(&ov[i]);
    cJSON_Delete(runj);
    free(run_file);
    free(model_dir);
    fc_args_free(&a);
    return rc;
}

const struct fc_cmd fc_cmd_predict = {
    .name = "predict",
    .fn = cmd_predict,
    .summary = "predict with the model(s) saved in a run",
    .synopsis = "forecast predict --run DIR --data FILE [--out FILE] [--model NAME]",
    .description =
        "Reads DIR/run.json for the column roles, loads FILE with them, verifies each\n"
        "saved model against its manifest (checksums, format version, feature names\n"
        "and order) and writes one row per input row: the series id columns, date,\n"
        "actual (when FILE has the target column), point and q<level> columns.\n"
        "\n"
        "exit status: 0 done; 2 bad input (arguments, data, damaged or mismatched\n"
        "model files); 1 failed while writing.",
    .opts = predict_opts,
    .n_opts = sizeof predict_opts / sizeof predict_opts[0],
};

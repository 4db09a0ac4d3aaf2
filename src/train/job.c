/*
 * job.c — running one job (job.h): FIT fits on its series' fit rows
 * (validation rows for early stopping), saves the model, predicts its test
 * rows and finishes the model directory; LOAD loads a saved model and
 * predicts. A failure is recorded in the job (state FAILED, reason), not
 * printed: the collector or the command says what became of it.
 */
#include "forecast/train/job.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forecast/core/util.h"
#include "forecast/store/modeldir.h"

/* The rows of one part of the job's series (0 fit, 1 validation, 2 test),
 * concatenated in series order. Caller frees. */
static uint32_t *job_rows(const struct fc_plan *P, const struct fc_job *j, int part, size_t *n)
{
    const struct fc_split_series *u = P->sp->used + j->first;
    size_t total = 0;
    for (size_t i = 0; i < j->n_series; i++)
        total += part == 0   ? u[i].val_begin - u[i].train_begin
                 : part == 1 ? u[i].test_begin - u[i].val_begin
                             : u[i].test_end - u[i].test_begin;
    uint32_t *rows = xmalloc((total ? total : 1) * sizeof *rows);
    size_t k = 0;
    for (size_t i = 0; i < j->n_series; i++) {
        size_t b = part == 0 ? u[i].train_begin : part == 1 ? u[i].val_begin : u[i].test_begin;
        size_t e = part == 0 ? u[i].val_begin : part == 1 ? u[i].test_begin : u[i].test_end;
        for (size_t r = b; r < e; r++)
            if (part == 2 || !isnan(P->ds->target[r])) /* a difference's first periods */
                rows[k++] = (uint32_t)r;
    }
    *n = k;
    return rows;
}

/* what fc_model_ctx.trained needs: the plan and the job */
struct job_ref {
    const struct fc_plan *P;
    const struct fc_job *j;
};

/* The job's model of an earlier model of the run (fc_plan_earlier), loaded
 * from its directory; NULL when the run has none for this series (not
 * trained, failed, or not loadable: then the caller trains it). */
static void *earlier_model(const struct fc_model_ctx *ctx, const struct fc_model_ops *ops,
                           char **dir_out)
{
    const struct job_ref *r = ctx->trained_arg;
    const struct fc_plan *P = r->P;
    for (size_t i = 0; i < P->n_earlier; i++) {
        if (P->earlier_ops[i] != ops)
            continue;
        struct fc_config c = *P->cfg; /* shallow: that model's choice */
        for (size_t k = 0; k < c.n_models; k++)
            if (c.models[k].ops == ops)
                c.model = c.models[k];
        char *dir = fc_modeldir_path(P->earlier_dirs[i], r->j->series_key);
        struct fc_model_ctx mc = *ctx;
        mc.trained = NULL;
        void *m = access(dir, F_OK) == 0 ? fc_modeldir_load(&c, P->ds, dir, &mc) : NULL;
        if (m)
            fc_info(2, "%s%s: the run's %s reused from %s", ctx->log_prefix,
                    P->cfg->model.ops->name, ops->name, dir);
        fc_error_clear(); /* not loadable: trained instead */
        if (m)
            *dir_out = dir;
        else
            free(dir);
        return m;
    }
    return NULL;
}

static struct fc_model_ctx job_ctx(const struct fc_plan *P, const char *prefix,
                                   const struct job_ref *ref)
{
    const struct fc_config *cfg = P->cfg;
    struct fc_model_ctx ctx = {cfg->quantiles, cfg->n_quantiles, cfg->seed, P->threads,
                               cfg->strategy == FC_INDIVIDUAL, prefix,
                               P->n_earlier ? earlier_model : NULL, ref, P->coll};
    return ctx;
}

/* The test rows' predictions: at once, or step by step (recursive.h). */
static int predict_rows(const struct fc_plan *P, void *model, const uint32_t *rows, size_t n,
                        struct fc_pred *out)
{
    const struct fc_model_ops *ops = P->cfg->model.ops;
    if (P->recursion && fc_recursion_needed(P->recursion->features, ops))
        return fc_recursive_predict(P->recursion, ops, model, P->ds, rows, n, out);
    return ops->predict(model, P->ds, rows, n, out);
}

static int fit_job(const struct fc_plan *P, struct fc_job *j, const struct fc_model_ctx *ctx)
{
    const struct fc_model_ops *ops = P->cfg->model.ops;
    size_t n_fit, n_val, n_test;
    uint32_t *fit = job_rows(P, j, 0, &n_fit), *val = job_rows(P, j, 1, &n_val);
    uint32_t *test = job_rows(P, j, 2, &n_test);
    void *model = NULL;
    int rc = -1;
    /* fault injection for the tests: this series fails as a library error would */
    const char *inject = getenv("FORECAST_TEST_FAIL_SERIES");
    if (inject && j->series_key && strcmp(inject, j->series_key) == 0) {
        fc_error("injected failure (FORECAST_TEST_FAIL_SERIES=%s)", j->series_key);
        goto out;
    }
    /* nothing to learn from: XGBoost would quietly predict its base score */
    if (j->series_key && !(fc_split_fit_weight(P->ds, P->sp->used + j->first, j->n_series) > 0)) {
        fc_error("the weights of its %zu fit rows are all 0", n_fit);
        goto out;
    }
    model = ops->create(&P->cfg->model.params, ctx);
    if (!model)
        goto out;
    struct fc_fit_input in = {P->ds, fit, n_fit, val, n_val};
    double t0 = fc_now();
    if (ops->fit(model, &in))
        goto out;
    j->fit_s = fc_now() - t0;
    if (fc_modeldir_save(j->dir, ops, model, &j->record))
        goto out;
    double t1 = fc_now();
    if (n_test && predict_rows(P, model, test, n_test, &j->pred)) /* a production run: none */
        goto out;
    j->pred_s = fc_now() - t1;
    /* a collective job's directory waits for the other workers' predictions */
    rc = j->kind == FC_JOB_FIT_COLLECTIVE
             ? 0
             : fc_modeldir_finish(j->dir, P->cfg, P->ds, j->series_key, &j->pred);
out:
    if (model)
        ops->free(model);
    free(fit);
    free(val);
    free(test);
    return rc;
}

static int load_job(const struct fc_plan *P, struct fc_job *j, const struct fc_model_ctx *ctx)
{
    const struct fc_model_ops *ops = P->cfg->model.ops;
    if (j->series_key && access(j->dir, F_OK) != 0)
        return fc_error("series %s has no trained model in %s (it was not in the training "
                        "data, was skipped or failed)",
                        j->series_key, P->dir);
    void *model = fc_modeldir_load(P->cfg, P->ds, j->dir, ctx);
    if (!model)
        return -1;
    size_t n;
    uint32_t *rows = job_rows(P, j, 2, &n);
    double t0 = fc_now();
    int rc = predict_rows(P, model, rows, n, &j->pred);
    j->pred_s = fc_now() - t0;
    ops->free(model);
    free(rows);
    return rc;
}

int fc_job_run(const struct fc_plan *P, struct fc_job *j)
{
    char prefix[160] = ""; /* progress lines of parallel models say whose they are */
    if (j->series_key)
        snprintf(prefix, sizeof prefix, "[%s] ", j->series_key);
    struct job_ref ref = {P, j};
    struct fc_model_ctx ctx = job_ctx(P, prefix, &ref);
    int rc = j->kind == FC_JOB_LOAD ? load_job(P, j, &ctx) : fit_job(P, j, &ctx);
    if (rc == 0) {
        j->state = FC_JOB_DONE;
        return 0;
    }
    j->state = FC_JOB_FAILED;
    free(j->reason);
    j->reason = xstrdup(fc_last_error);
    fc_error_clear(); /* the job holds it now */
    return -1;
}

/*
 * plan.c — the planners (job.h): which jobs a command has, and which of
 * them are still to run. Shards and resume only change job states; merge
 * reads every job's outcome from the shards' outputs.
 */
#include "forecast/train/job.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forecast/core/util.h"
#include "forecast/store/modeldir.h"
#include "forecast/store/rundir.h"
#include "forecast/store/store.h"

static int n_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

uint64_t fc_series_hash(const char *key)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a: stable across machines */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h;
}

/* ---- the jobs of a strategy ---- */

static void plan_jobs(struct fc_plan *P, enum fc_job_kind kind, const struct fc_config *cfg,
                      const struct fc_dataset *ds, const struct fc_split *sp, const char *dir)
{
    memset(P, 0, sizeof *P);
    P->cfg = cfg;
    P->ds = ds;
    P->sp = sp;
    P->dir = xstrdup(dir);
    const struct fc_model_ops *ops = cfg->model.ops;
    unsigned out = fc_model_outputs(ops, &cfg->model.params);
    size_t L = (out & FC_MODEL_QUANTILE) ? cfg->n_quantiles : 0;
    int point = (out & FC_MODEL_POINT) != 0;
    int individual = cfg->strategy == FC_INDIVIDUAL;
    P->n_jobs = individual ? sp->n_used : 1;
    P->jobs = xcalloc(P->n_jobs ? P->n_jobs : 1, sizeof *P->jobs);
    for (size_t k = 0; k < P->n_jobs; k++) {
        struct fc_job *j = &P->jobs[k];
        j->kind = kind;
        j->first = individual ? k : 0;
        j->n_series = individual ? 1 : sp->n_used;
        j->series_key = individual ? ds->series_key[sp->used[k].series] : NULL;
        j->dir = fc_modeldir_path(dir, j->series_key);
        size_t nt = 0;
        for (size_t i = j->first; i < j->first + j->n_series; i++)
            nt += sp->used[i].test_end - sp->used[i].test_begin;
        fc_pred_alloc(&j->pred, nt, L, point);
    }
    P->n_rows_fit = sp->n_fit;
    P->n_rows_val = sp->n_val;
    /* one combined model uses every core; parallel models one thread each */
    P->threads = individual ? 1 : n_cores();
    P->workers = individual ? (cfg->jobs > 0 ? cfg->jobs : n_cores()) : 1;
    if (individual)
        P->progress = fc_xasprintf("%s (individual)", ops->name);
}

void fc_plan_train(struct fc_plan *P, const struct fc_config *cfg, const struct fc_dataset *ds,
                   const struct fc_split *sp, const char *dir)
{
    plan_jobs(P, FC_JOB_FIT, cfg, ds, sp, dir);
}

void fc_plan_predict(struct fc_plan *P, const struct fc_config *cfg,
                     const struct fc_dataset *ds, const struct fc_split *sp, const char *dir)
{
    plan_jobs(P, FC_JOB_LOAD, cfg, ds, sp, dir);
    free((char *)P->progress);
    P->progress = NULL;
    P->workers = 1; /* in series order: the first bad model is the one reported */
}

void fc_plan_free(struct fc_plan *P)
{
    for (size_t k = 0; k < P->n_jobs; k++) {
        fc_pred_free(&P->jobs[k].pred);
        fc_fit_record_free(&P->jobs[k].record);
        free(P->jobs[k].dir);
        free(P->jobs[k].reason);
    }
    free(P->jobs);
    free(P->dir);
    free((char *)P->progress);
    for (size_t i = 0; i < P->n_earlier; i++)
        free(P->earlier_dirs[i]);
    free(P->earlier_dirs);
    free(P->earlier_ops);
    memset(P, 0, sizeof *P);
}

size_t fc_plan_count(const struct fc_plan *P, enum fc_job_state state)
{
    size_t n = 0;
    for (size_t k = 0; k < P->n_jobs; k++)
        n += P->jobs[k].state == state;
    return n;
}

void fc_plan_earlier(struct fc_plan *P, const struct fc_model_ops *ops, const char *dir)
{
    P->earlier_ops = xrealloc(P->earlier_ops, (P->n_earlier + 1) * sizeof *P->earlier_ops);
    P->earlier_dirs = xrealloc(P->earlier_dirs, (P->n_earlier + 1) * sizeof *P->earlier_dirs);
    P->earlier_ops[P->n_earlier] = ops;
    P->earlier_dirs[P->n_earlier++] = xstrdup(dir);
}

void fc_plan_reuse(struct fc_plan *P, const char *from)
{
    for (size_t i = 0; i < P->n_jobs; i++) {
        struct fc_job *j = &P->jobs[i];
        j->kind = FC_JOB_LOAD;
        free(j->dir);
        j->dir = fc_modeldir_path(from, j->series_key);
    }
}

/* ---- shards, resume, merge: states of the planned jobs ---- */

void fc_plan_shard(struct fc_plan *P, int k, int n)
{
    for (size_t i = 0; i < P->n_jobs; i++) {
        struct fc_job *j = &P->jobs[i];
        FC_ASSERT(j->series_key); /* only the individual strategy is sharded */
        if (fc_series_hash(j->series_key) % (uint64_t)n != (uint64_t)k)
            j->state = FC_JOB_OTHER_SHARD;
    }
}

void fc_plan_collective(struct fc_plan *P, int threads, const struct fc_model_collective *coll)
{
    FC_ASSERT(P->n_jobs == 1 && !P->jobs[0].series_key); /* the combined strategy */
    P->jobs[0].kind = FC_JOB_FIT_COLLECTIVE;
    P->threads = threads > 0 ? threads : n_cores();
    P->coll = coll;
}

size_t fc_plan_resume(struct fc_plan *P)
{
    size_t found = 0;
    for (size_t i = 0; i < P->n_jobs; i++) {
        struct fc_job *j = &P->jobs[i];
        if (j->state != FC_JOB_TODO || j->kind != FC_JOB_FIT)
            continue; /* a model reused from elsewhere is loaded again */
        if (fc_modeldir_verify(P->cfg, j->dir, j->series_key, &j->pred) == 0) {
            j->state = FC_JOB_DONE;
            j->earlier = 1;
            found++;
        }
        fc_error_clear(); /* not verified: it is trained again */
    }
    return found;
}

/* The job of one series (sp->used is in dataset series order). */
static struct fc_job *job_of_series(struct fc_plan *P, const char *key)
{
    long s = fc_dataset_find_series(P->ds, key);
    size_t lo = 0, hi = P->n_jobs;
    while (s >= 0 && lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t at = P->sp->used[P->jobs[mid].first].series;
        if (at == (uint32_t)s)
            return P->jobs[mid].series_key ? &P->jobs[mid] : NULL;
        if (at < (uint32_t)s)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int fc_plan_write_shard(const struct fc_plan *P, int k, int n)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "kind", "forecast-shard");
    cJSON_AddNumberToObject(j, "format_version", 1);
    cJSON_AddNumberToObject(j, "shard", k);
    cJSON_AddNumberToObject(j, "of", n);
    cJSON_AddStringToObject(j, "status", "completed");
    cJSON *done = cJSON_AddArrayToObject(j, "trained");
    cJSON *failed = cJSON_AddObjectToObject(j, "failed");
    for (size_t i = 0; i < P->n_jobs; i++) {
        const struct fc_job *job = &P->jobs[i];
        if (job->state == FC_JOB_DONE)
            cJSON_AddItemToArray(done, cJSON_CreateString(job->series_key));
        else if (job->state == FC_JOB_FAILED)
            cJSON_AddStringToObject(failed, job->series_key, job->reason);
    }
    char *sdir = fc_xasprintf("%s/shards", P->dir);
    char *path = fc_run_shard_file(P->dir, k, n);
    int rc = fc_mkdir_p(sdir) ? -1 : fc_write_json(path, j);
    free(path);
    free(sdir);
    cJSON_Delete(j);
    return rc;
}

/* the failures one shard recorded */
static int read_shard(struct fc_plan *P, int k, int n)
{
    char *path = fc_run_shard_file(P->dir, k, n);
    int rc = -1;
    if (access(path, F_OK) != 0) {
        fc_error("%s: shard %d of %d has not finished (no %s); run it (or resume it) before "
                 "merging",
                 P->dir, k, n, path);
        goto out;
    }
    cJSON *j = fc_read_json(path);
    if (!j)
        goto out;
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(j, "failed"))
    {
        struct fc_job *job = job_of_series(P, f->string);
        if (job && cJSON_IsString(f)) {
            job->state = FC_JOB_FAILED;
            job->earlier = 1;
            free(job->reason);
            job->reason = xstrdup(f->valuestring);
        }
    }
    cJSON_Delete(j);
    rc = 0;
out:
    free(path);
    return rc;
}

int fc_plan_merge(struct fc_plan *P, int n_shards)
{
    for (int k = 0; k < n_shards; k++)
        if (read_shard(P, k, n_shards))
            return -1;
    for (size_t i = 0; i < P->n_jobs; i++) {
        struct fc_job *j = &P->jobs[i];
        if (j->state == FC_JOB_FAILED)
            continue;
        if (fc_modeldir_verify(P->cfg, j->dir, j->series_key, &j->pred)) {
            char why[sizeof fc_last_error];
            snprintf(why, sizeof why, "%s", fc_last_error);
            return fc_error("series %s: its shard finished but its outputs are missing or "
                            "damaged (%s); resume that shard",
                            j->series_key, why);
        }
        j->state = FC_JOB_DONE;
        j->earlier = 1;
    }
    return 0;
}

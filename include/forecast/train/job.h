/*
 * job.h — training and prediction as jobs (plan -> run -> collect).
 *
 * A job is one model to produce or to load: the model (the plan's
 * cfg->model), the series it covers, the quantile levels (cfg->quantiles),
 * its model directory, and what became of it, with its predictions of its
 * series' test rows. Planners build and amend a command's jobs; nothing
 * else decides what runs:
 *
 *   fc_plan_train    combined: one job of every series on all cores;
 *                    individual: one job per series, one thread each
 *   fc_plan_predict  the same jobs, of kind LOAD, over every row of new data
 *   fc_plan_reuse    every job LOADs the model of its series from another
 *                    directory instead of fitting (backtests without refit)
 *   fc_plan_shard    keeps the jobs of shard K of N (the others: OTHER_SHARD)
 *   fc_plan_resume   jobs whose directory verifies are DONE already
 *   fc_plan_merge    every job DONE or FAILED from the shards' outputs:
 *                    nothing left to run
 *   fc_plan_collective  the combined job of a distributed run's worker
 *                    (FIT_COLLECTIVE: trained together with the others)
 *
 * The runner knows no modes: fc_job_run runs one job (FIT: fit, save,
 * predict the test rows, finish the directory; LOAD: load, predict) and
 * fc_pool_run runs the TODO jobs on the plan's workers. A failed job records
 * why and the others go on. The collector (collect.h) turns the finished
 * jobs into the model's predictions.csv and metrics.json.
 */
#ifndef FORECAST_JOB_H
#define FORECAST_JOB_H

#include <stddef.h>

#include "forecast/core/config.h"
#include "forecast/core/model.h"
#include "forecast/data/dataset.h"
#include "forecast/data/split.h"
#include "forecast/data/transform.h"
#include "forecast/train/recursive.h"

enum fc_job_kind {
    FC_JOB_FIT,  /* fit on the fit rows (validation rows for early stopping), save,
                  * predict the test rows, write predictions.bin and the manifest */
    FC_JOB_LOAD, /* load the saved model and predict the test rows */
    FC_JOB_FIT_COLLECTIVE, /* a distributed run's model: fit together with the other
                  * workers through XGBoost's collective, each on its own series'
                  * rows; save, predict this worker's test rows; its directory is
                  * finished once the predictions of every worker are gathered
                  * (train/gather.h) */
};

enum fc_job_state {
    FC_JOB_TODO,
    FC_JOB_DONE,        /* its predictions are in pred */
    FC_JOB_FAILED,      /* reason says why */
    FC_JOB_OTHER_SHARD, /* another process's (fc_plan_shard) */
};

struct fc_job {
    enum fc_job_kind kind;
    size_t first, n_series; /* its series: sp->used[first .. first + n_series) */
    const char *series_key; /* the key of a one-series job; NULL: a model of all */
    char *dir;              /* its model directory (owned) */
    enum fc_job_state state;
    int earlier;            /* DONE or FAILED in an earlier process (resume, a shard) */
    char *reason;           /* FAILED: why (owned) */
    struct fc_pred pred;    /* its test rows' predictions, in split order */
    struct fc_fit_record record; /* what its fit left for the reports (FIT) */
    double fit_s, pred_s;   /* seconds */
};

struct fc_plan {
    const struct fc_config *cfg;  /* cfg->model: every job's model */
    const struct fc_dataset *ds;  /* what jobs fit and predict: with a target transform,
                                   * a view whose target is transformed */
    const struct fc_split *sp;    /* the series and rows jobs fit and predict */
    const struct fc_transform *transform; /* NULL: none; predictions are inverted */
    const struct fc_dataset *truth; /* the data in the target's units (NULL: ds) */
    const struct fc_recursion *recursion; /* NULL: the test rows' features are ds's;
                                   * else forecast step by step (recursive.h) */
    char *dir;                    /* <run>/<model>/<strategy> (owned) */
    int threads;                  /* library threads of each job */
    int workers;                  /* jobs run at once */
    const char *progress;         /* progress line label, NULL: none (owned by the plan) */
    struct fc_job *jobs;          /* (n_jobs) in series order */
    size_t n_jobs;
    size_t n_rows_fit, n_rows_val; /* of every job together */
    /* the run's models trained before this one on the same rows, and their
     * directories for this window: what an ensemble may reuse as members
     * (fc_model_ctx.trained); none by default (owned) */
    const struct fc_model_ops **earlier_ops;
    char **earlier_dirs;
    size_t n_earlier;
    const struct fc_model_collective *coll; /* a distributed run's (fc_plan_collective),
                                   * else NULL */
};

/* ---- planners ---- */
void fc_plan_train(struct fc_plan *P, const struct fc_config *cfg, const struct fc_dataset *ds,
                   const struct fc_split *sp, const char *dir);
void fc_plan_predict(struct fc_plan *P, const struct fc_config *cfg,
                     const struct fc_dataset *ds, const struct fc_split *sp, const char *dir);
/* The jobs load their models from the model directory from (which another
 * plan of the same model and strategy trained) and predict; the plan's own
 * directory gets the predictions and metrics. */
void fc_plan_reuse(struct fc_plan *P, const char *from);
/* A model of the run trained before this plan's on the same rows, whose
 * models live under dir (an ensemble may reuse them as members). */
void fc_plan_earlier(struct fc_plan *P, const struct fc_model_ops *ops, const char *dir);
void fc_plan_shard(struct fc_plan *P, int k, int n);
/* The one combined job trains through XGBoost's collective with the other
 * workers of a distributed run, threads library threads on this worker;
 * its model gets coll (model.h). */
void fc_plan_collective(struct fc_plan *P, int threads, const struct fc_model_collective *coll);
/* Returns how many jobs it found done. */
size_t fc_plan_resume(struct fc_plan *P);
/* -1 after fc_error (bad input) when a shard has not finished or a job's
 * outputs are missing or damaged. */
int fc_plan_merge(struct fc_plan *P, int n_shards);
/* Records shard k of n: its series that trained and those that failed. */
int fc_plan_write_shard(const struct fc_plan *P, int k, int n);
size_t fc_plan_count(const struct fc_plan *P, enum fc_job_state state);
void fc_plan_free(struct fc_plan *P);

/* The stable hash that assigns a series key to a shard. */
uint64_t fc_series_hash(const char *key);

/* ---- running ---- */
/* Runs one job; its state says how it went (0 DONE, -1 FAILED). */
int fc_job_run(const struct fc_plan *P, struct fc_job *j);
/* Runs every TODO job on P->workers threads. */
void fc_pool_run(struct fc_plan *P);

#endif

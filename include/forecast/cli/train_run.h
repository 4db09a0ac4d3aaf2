/*
 * train_run.h — the stages of one `forecast train` or `forecast merge`
 * invocation, shared by cmd_train.c and cmd_merge.c:
 *
 *   fc_train_run_inputs   config, data, split; every check of bad input
 *                         (exit 2, nothing written)
 *   fc_train_run_open     the run directory: name, lock, run.json "running"
 *   fc_train_run_models   per model: the command's planner decides the jobs,
 *                         the pool runs them, the collector scores and writes
 *   fc_train_run_finish   timings, status, reports, the summary
 *
 * What differs between the commands is only their planner (struct
 * fc_train_planner): train plans, shards and resumes; merge plans and
 * merges the shards' outputs.
 */
#ifndef FORECAST_TRAIN_RUN_H
#define FORECAST_TRAIN_RUN_H

#include <stddef.h>

#include "forecast/core/config.h"
#include "forecast/data/categorical.h"
#include "forecast/data/dataset.h"
#include "forecast/data/split.h"
#include "forecast/data/transform.h"
#include "forecast/train/collect.h"
#include "forecast/train/job.h"

struct cJSON;

/* One split of the run: the only one, or a backtest window (split.windows:
 * oldest first, the last one the run's own). Each has its training part's
 * target transform and its own derived features (their origin is its
 * cutoff): the last window's are appended to the run's dataset, an earlier
 * window's to a shallow copy of it. */
struct fc_train_window {
    int32_t split_date;          /* its first test day */
    struct fc_split sp;
    int have_split;
    struct fc_transform tf;      /* the target transform (have_tf: not the identity) */
    int have_tf;
    struct fc_dataset *ds;       /* the run's dataset, or &own */
    struct fc_dataset own;       /* an earlier window's: the run's columns + its own */
    size_t n_base;               /* columns own shares with the run's dataset */
    struct fc_dataset view;      /* ds with the transformed target: what jobs see */
    struct fc_recursion rec;     /* horizon with multi_step "recursive" */
    int recursive;
    char *name;                  /* backtests: "cutoff-YYYY-MM-DD" (the last training day) */
};

/* Everything one invocation holds. */
struct fc_train_run {
    /* given by the command */
    const char *config_file;
    struct fc_override *ov;
    size_t n_ov;
    const char *resume_dir;  /* --resume DIR, or the run to merge */
    int shard_k, shard_n;    /* shard_n 0: not sharded (train --shard K/N) */
    int merge;
    const char *own_dir;     /* the directory is the command's own and exists (tune
                              * --resume): no run directory is chosen */
    /* called once the data is loaded, before the windows are placed: a
     * command's own split (tune's folds); -1 after fc_error (bad input) */
    int (*place)(struct fc_train_run *R);
    void *place_arg;
    /* --distributed: this worker's part (train_distributed.c), NULL otherwise */
    struct fc_train_dist *dist;
    /* this process writes no run (a distributed worker other than rank 0):
     * run_dir is a temporary directory of its own, removed at the end */
    int scratch;
    /* rank 0 of a distributed run: every worker's series (gather.h), what
     * the reports and run.json's split describe; NULL: ds and W->sp */
    const struct fc_dataset *all_ds;
    const struct fc_split *all_sp;
    /* built by the stages */
    struct fc_config cfg;
    int have_cfg;
    struct fc_dataset *ds;
    struct fc_train_window *win; /* (n_win) 1, or the backtest windows */
    size_t n_win;
    struct fc_train_window *W;   /* the last window: the run's split for reports */
    struct fc_categories cats;   /* features.categorical: the codes of every window */
    struct cJSON *old_run;   /* run.json of the run resumed or merged */
    struct fc_train_result *res; /* (n_res) one per model */
    char **model_dirs;           /* (n_res) */
    size_t n_res;
    struct cJSON *run;           /* run.json */
    char *id, *run_dir, *path;   /* path: run.json */
    int lock_fd;
    size_t failed;               /* series that failed, over all models */
    int plan_failed;             /* the planner, not the training, failed */
    double t_start, load_s, fit_s, pred_s;
};

/* What a command does with one model's jobs after fc_plan_train: 0 collect
 * them, 1 nothing to collect (a shard's part), -1 after fc_error. */
struct fc_train_planner {
    int (*plan)(struct fc_train_run *R, struct fc_plan *P);
    int bad_input_on_failure; /* a planning failure is bad input (exit 2), e.g. merge's */
};

void fc_train_run_init(struct fc_train_run *R);
void fc_train_run_free(struct fc_train_run *R);
/* 0, or -1 after fc_error: bad input. */
int fc_train_run_inputs(struct fc_train_run *R);
/* Returns an exit status: FC_EXIT_OK when the run directory is ready. */
int fc_train_run_open(struct fc_train_run *R, int argc, char **argv);
/* One model (one->model) on one window: plan (the command's planner), run,
 * collect into res, in dir. reuse: the directory of the models to reuse
 * (split.refit false), else NULL. 0, 1 (a shard's part: nothing collected)
 * or -1 after fc_error. */
int fc_train_run_window(struct fc_train_run *R, const struct fc_config *one,
                        const struct fc_train_window *W, const char *dir, const char *reuse,
                        const struct fc_train_planner *pl, struct fc_train_result *res);
/* Returns an exit status. */
int fc_train_run_models(struct fc_train_run *R, const struct fc_train_planner *pl);

#endif

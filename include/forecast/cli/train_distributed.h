/*
 * train_distributed.h — `forecast train --distributed`: one combined XGBoost
 * model trained by several workers (processes, usually on several
 * machines) through XGBoost's collective, each holding only its share of
 * the series. The stages are train_run.h's; what this adds:
 *
 *   fc_train_dist_start    joins the other workers (collective.h) and sets
 *                          the place hook: after loading, a worker keeps
 *                          the series whose key hashes to its rank (the
 *                          --shard rule) and refuses what cannot be
 *                          distributed
 *   fc_train_dist_agree    after the inputs: every worker read them, and
 *                          all agree on the config, the data and the
 *                          features (else every worker fails, exit 2, with
 *                          the same message); each worker's share
 *   fc_train_dist_planner  the job trains through the collective
 *                          (fc_plan_collective); then rank 0 gathers every
 *                          worker's predictions (gather.h) and collects
 *   fc_train_dist_end      every worker learns the others' outcome: all
 *                          exit non-zero when one failed
 *
 * Rank 0 writes the run directory; the other workers write nothing there
 * (their model copy goes to a temporary directory that they remove).
 */
#ifndef FORECAST_TRAIN_DISTRIBUTED_H
#define FORECAST_TRAIN_DISTRIBUTED_H

#include "forecast/cli/train_run.h"

struct cJSON;

/* -1 after fc_error (bad input, or the tracker cannot be reached). */
int fc_train_dist_start(struct fc_train_run *R);
/* inputs_ok: this worker's fc_train_run_inputs succeeded. 0, or -1 after
 * fc_error (exit 2 everywhere). */
int fc_train_dist_agree(struct fc_train_run *R, int inputs_ok);
/* After fc_train_run_open (ok: it succeeded here): 0 when it did on every
 * worker, else -1 after fc_error. */
int fc_train_dist_opened(struct fc_train_run *R, int ok);
/* run.json: the whole data's size, the workers and their shares. */
void fc_train_dist_record(const struct fc_train_run *R, struct cJSON *run);
/* This worker's exit status rc with the others': a worker that succeeded
 * exits 1 when another failed. Leaves the communicator, frees R->dist. */
int fc_train_dist_end(struct fc_train_run *R, int rc);

extern const struct fc_train_planner fc_train_dist_planner;

#endif

/*
 * collective.h — the workers of a distributed run talking to each other
 * through XGBoost's collective (the Rabit communicator behind
 * XGCommunicatorInit, with the tracker python3-xgboost ships as
 * `python3 -m xgboost.tracker`). forecast writes no collective of its own:
 * this module finds the worker's place from the environment, starts the
 * communicator, and builds what the run needs (every worker's verdict, sums,
 * a gather to rank 0) from XGBoost's Allreduce and Broadcast.
 *
 * Every call is collective: all workers make the same calls in the same
 * order. A worker that died or lost contact makes the others' calls fail
 * (-1 after fc_error) instead of waiting for ever; a worker that fails on
 * its own leaves (fc_dist_break) rather than call what the others do not.
 */
#ifndef FORECAST_COLLECTIVE_H
#define FORECAST_COLLECTIVE_H

#include <stddef.h>
#include <stdint.h>

#include "forecast/core/model.h"

struct fc_dist {
    int rank, world;  /* from the communicator: the tracker assigns ranks */
    int on;           /* the communicator is initialised */
    char where[160];  /* where rank and world size came from, for messages */
};

/* Reads the tracker's address (DMLC_TRACKER_URI, DMLC_TRACKER_PORT), the
 * task id (DMLC_TASK_ID, else SLURM_PROCID, else JOB_COMPLETION_INDEX) and
 * the number of workers (DMLC_NUM_WORKER, else SLURM_NTASKS), then joins the
 * others (XGCommunicatorInit). timeout_s: how long a worker waits for a
 * silent one. -1 after fc_error naming the variable at fault (bad input), or
 * when the tracker cannot be reached. */
int fc_dist_init(struct fc_dist *d, int timeout_s);
/* Leaves the communicator (after the last collective call). */
void fc_dist_finalize(struct fc_dist *d);
/* This worker failed on its own (e.g. its share of the training): it makes
 * no further collective call and leaves, which the others notice as a lost
 * worker. After a failed collective call the same holds by itself. */
void fc_dist_break(void);
/* 1 once this worker made its last collective call (above). */
int fc_dist_is_broken(void);

/* Every worker says whether it is fine. Returns 1 when all are, 0 when some
 * are not (*first_bad: the lowest such rank; NULL allowed), -1 after
 * fc_error when the workers lost contact. */
int fc_dist_all_ok(const struct fc_dist *d, int ok, int *first_bad);
/* In place: the element-wise sum (or max) of v over the workers. */
int fc_dist_sum_u64(uint64_t *v, size_t n);
int fc_dist_max_i64(int64_t *v, size_t n);
int fc_dist_sum_f64(double *v, size_t n);
int fc_dist_max_f64(double *v, size_t n);
/* The two above for the models (model.h) */
extern const struct fc_model_collective fc_dist_model_collective;
/* buf (n bytes, the same n everywhere) becomes root's. */
int fc_dist_broadcast(void *buf, size_t n, int root);
/* Each worker's bytes to rank 0: *out (malloc'd, rank 0 only; NULL
 * elsewhere) holds them rank after rank, sizes[r] (world entries, on every
 * worker) how many bytes came from r. */
int fc_dist_gather(const struct fc_dist *d, const void *buf, size_t n, void **out,
                   uint64_t *sizes);

#endif

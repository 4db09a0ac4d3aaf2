/*
 * gather.h — the collector's first step in a distributed run: every
 * worker's share of the results on rank 0. Each worker trained the one
 * combined model with the others (FIT_COLLECTIVE) and predicted its own
 * series' test rows; fc_gather sends rank 0 those predictions (in the
 * target's units) with what scoring needs of each series — its ids, its
 * training history and test actuals — and the series the worker's split
 * skipped. On rank 0 the plan then holds every worker's series, in the
 * order a single process has them, and the usual collector (collect.h)
 * scores and writes them. Feature values are not gathered.
 */
#ifndef FORECAST_GATHER_H
#define FORECAST_GATHER_H

#include <stdint.h>

#include "forecast/data/dataset.h"
#include "forecast/data/split.h"
#include "forecast/dist/collective.h"
#include "forecast/train/job.h"

/* What rank 0 gathered: the plan points into it until it is freed. */
struct fc_gathered {
    /* every series of every worker: ids, dates and targets (in the target's
     * units) of the training history and test rows; the run's feature
     * names, their values missing (not gathered) */
    struct fc_dataset *ds;
    struct fc_split sp;
    float *missing; /* the one column of missing values every feature shows */
};

/* Collective. P: this worker's plan after its job ran (DONE); orig[s]: the
 * index its local series s had in the whole data (the order rank 0 puts
 * them in). On rank 0, P's data, split and job become every worker's (its
 * transform inverted into the predictions already); elsewhere P is left as
 * it was. -1 after fc_error. */
int fc_gather(const struct fc_dist *d, struct fc_plan *P, const uint64_t *orig,
              struct fc_gathered *g);
void fc_gathered_free(struct fc_gathered *g);

#endif

/*
 * rundir.h — the one owner of a run directory, runs/<id>/:
 *   run.json                   kind "forecast-run", format_version, id, status,
 *                              command, versions, seed, data fingerprint,
 *                              split, resolved config, models, timings
 *   <model>/<strategy>/        one model's results (modeldir.h for its model
 *                              directories): predictions.csv, metrics.json,
 *                              shards/shard-K-of-N.json of a sharded run
 *   report.md, report.html     written last
 *   .lock, .lock-shard-K       held by the process writing the run
 * Status: "running" while written; "sharded" while shards train; then
 * "completed", "partial" (some series failed) or "failed" (with "error").
 */
#ifndef FORECAST_RUNDIR_H
#define FORECAST_RUNDIR_H

#include "forecast/core/config.h"
#include "forecast/data/dataset.h"
#include "forecast/data/split.h"

struct cJSON;

#define FC_RUN_KIND "forecast-run"
#define FC_RUN_FORMAT 1

/* A new run id: UTC timestamp + 6 hex digits of a hash. Caller frees. */
char *fc_run_make_id(const struct fc_config *cfg, const struct fc_dataset *ds);
/* run.json of a new run (status "running"); caller deletes. */
struct cJSON *fc_run_new(const char *id, const struct fc_config *cfg,
                         const struct fc_dataset *ds, const struct fc_split *sp, int argc,
                         char **argv);
/* run.json's "split" (new or replaced): sp's counts and skipped series. */
void fc_run_set_split(struct cJSON *run, const struct fc_dataset *ds, const struct fc_split *sp);

/* run_dir/run.json (caller frees). */
char *fc_run_file(const char *run_dir);
/* Reads run_dir/run.json and checks that it is a run of a format this
 * forecast reads. finished: only a completed or partial run will do (what:
 * for the message, e.g. "predict"). NULL after fc_error. */
struct cJSON *fc_run_read(const char *run_dir, int finished, const char *what);
/* For fc_config_load: a run.json as a config file is the run's resolved
 * config ("forecast train --config runs/<id>/run.json" trains it again);
 * any other document is itself. */
struct cJSON *fc_run_unwrap_config(struct cJSON *doc, const char *file);

const char *fc_run_status(const struct cJSON *run);
void fc_run_set(struct cJSON *run, const char *key, const char *value);

/* run_dir/<model>/<strategy> (caller frees). */
char *fc_run_model_dir(const char *run_dir, const char *model, enum fc_strategy s);
/* model_dir/shards/shard-K-of-N.json (caller frees). */
char *fc_run_shard_file(const char *model_dir, int k, int n);

/* An exclusive lock on path for the life of the process: returns the open
 * descriptor, or -1 after fc_error when another process holds it. */
int fc_run_lock(const char *path, const char *what);

#endif

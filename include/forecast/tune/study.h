/*
 * study.h — a tuning study in a SQLite file (study.db): the study's
 * settings and every trial (number, point, parameters, state, fold values,
 * objective, duration, error). Every change is one transaction in WAL mode
 * (synchronous NORMAL: a committed change survives the process being killed
 * at any moment; a power cut may lose the last ones, never consistency),
 * and processes sharing the file never take the same trial number.
 *
 * Trials counted toward the study's N: every trial except those abandoned
 * by a process that died while running them; an abandoned trial is marked
 * failed and queued again (a new number, the same point, retry_of), once: a
 * retry whose process dies too fails and counts. A process is known dead
 * on its own host only (pid gone, a zombie, or the pid reused);
 * fc_study_abandon_running abandons the running trials of every host.
 */
#ifndef FORECAST_TUNE_STUDY_H
#define FORECAST_TUNE_STUDY_H

#include <stddef.h>

#include "forecast/tune/sampler.h"
#include "forecast/tune/space.h"

struct cJSON;
struct sqlite3;

enum fc_trial_state {
    FC_TRIAL_WAITING,  /* queued (a retry), not started */
    FC_TRIAL_RUNNING,
    FC_TRIAL_COMPLETE,
    FC_TRIAL_PRUNED,
    FC_TRIAL_FAILED,
};
extern const char *const fc_trial_state_names[]; /* by state */

struct fc_study {
    struct sqlite3 *db;
    char *path;
    size_t n_dims;
};

struct fc_trial {
    long number;
    enum fc_trial_state state;
    double *x;            /* (n_dims) */
    double *folds;        /* (n_folds) values reported so far */
    size_t n_folds;
    double objective;     /* NAN unless complete (pruned: its running mean) */
    double started, duration; /* seconds since the epoch; seconds */
    char *error;          /* NULL: none */
    long retry_of;        /* -1: a first attempt */
    int abandoned;        /* failed because its process died (not counted) */
};

/* What picks the next point: the trials observed so far (complete and
 * pruned, in trial order) and every point taken (any state). Returns 0, or
 * 1 when there is nothing left to try (a grid done). */
typedef int fc_study_sample_fn(void *arg, long number, const struct fc_trial_obs *obs,
                               size_t n_obs, const double *const *taken, size_t n_taken,
                               double *x);

/* A new study file at path (it must not exist), holding meta (the study's
 * settings as JSON, kept as given). 0, or -1 after fc_error. */
int fc_study_create(struct fc_study *st, const char *path, const struct cJSON *meta,
                    size_t n_dims);
/* An existing study; *meta: its settings (caller deletes). */
int fc_study_open(struct fc_study *st, const char *path, struct cJSON **meta);
void fc_study_close(struct fc_study *st);
/* Replaces the study's settings (a resume that raises the trial count). */
int fc_study_set_meta(struct fc_study *st, const struct cJSON *meta);

/* The next trial for this process: first marks the running trials of dead
 * processes on this host as abandoned and queues them again; then takes a
 * queued trial, else (fewer than n_trials counted) a new one from sample.
 * Returns 1 with *number and x filled (params: x as a {path: value} object
 * of the space), 0 when the study has its n_trials (or the sampler has
 * nothing left), -1 after fc_error. */
int fc_study_ask(struct fc_study *st, const struct fc_space *sp, long n_trials,
                 fc_study_sample_fn *sample, void *arg, long *number, double *x);
/* Abandons every running trial, whatever host runs it (tune --resume
 * --abandon-running: the processes of another host, e.g. a container
 * that is gone, cannot be checked). */
int fc_study_abandon_running(struct fc_study *st);
/* A fold value of a running trial (the pruner's intermediate values). */
int fc_study_report(struct fc_study *st, long number, const double *folds, size_t n_folds);
/* Finishes a trial: state, fold values, objective, error (NULL: none). */
int fc_study_tell(struct fc_study *st, long number, enum fc_trial_state state,
                  const double *folds, size_t n_folds, double objective, const char *error);
/* The mean of a trial's first n fold values (NAN for none): a complete
 * trial's objective, a pruned one's value where it stopped. */
double fc_folds_mean(const double *folds, size_t n);
/* Every trial, in number order. */
int fc_study_trials(struct fc_study *st, struct fc_trial **out, size_t *n);
void fc_trials_free(struct fc_trial *t, size_t n);

#endif

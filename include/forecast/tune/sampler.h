/*
 * sampler.h — where `forecast tune` looks next: TPE (the tree-structured
 * Parzen estimator of Bergstra et al. 2011, as Optuna's default TPESampler
 * builds it), uniform random, or a grid. Pure functions of the space, the
 * trials so far, the seed and the trial number: the same history gives the
 * same point.
 */
#ifndef FORECAST_TUNE_SAMPLER_H
#define FORECAST_TUNE_SAMPLER_H

#include <stddef.h>
#include <stdint.h>

#include "forecast/tune/space.h"

enum fc_sampler_kind { FC_SAMPLER_TPE, FC_SAMPLER_RANDOM, FC_SAMPLER_GRID };
extern const char *const fc_sampler_names[]; /* by kind; NULL-terminated */

/* A trial the sampler learns from (complete or pruned; lower is better). */
struct fc_trial_obs {
    const double *x;  /* its point */
    double value;     /* complete: the objective; pruned: its value at its last step */
    int pruned;
    int steps;        /* steps (folds) it reported */
};

struct fc_tpe_options {
    size_t n_startup;     /* random points until this many trials are observed (10) */
    size_t n_candidates;  /* candidates drawn from l(x) per parameter (24) */
    double prior_weight;  /* weight of the prior kernel (1.0) */
};
extern const struct fc_tpe_options fc_tpe_defaults;

/* 64-bit generator (xoshiro256**) seeded from (seed, stream). */
struct fc_rng {
    uint64_t s[4];
};
void fc_rng_seed(struct fc_rng *r, uint64_t seed, uint64_t stream);
uint64_t fc_rng_next(struct fc_rng *r);
double fc_rng_uniform(struct fc_rng *r); /* [0, 1) */

/* The point of trial `number` into x: random for the first n_startup
 * observations, then TPE over obs (in trial order: older first). */
void fc_tpe_suggest(const struct fc_space *sp, const struct fc_trial_obs *obs, size_t n_obs,
                    const struct fc_tpe_options *o, uint64_t seed, uint64_t number, double *x);
void fc_random_suggest(const struct fc_space *sp, uint64_t seed, uint64_t number, double *x);
/* The log density at x (a value of dimension d: an integer for an int, a
 * choice index) of the Parzen estimator TPE fits to the observed values
 * obs[n] (in trial order), as Optuna 3.1's _ParzenEstimator.log_pdf. */
double fc_tpe_log_pdf(const struct fc_dim *d, const double *obs, size_t n, double prior_weight,
                      double x);
/* Grid: the first point of a seeded permutation of the grid (size g) that
 * no trial has taken (taken[n_taken], any state). Returns 0, or -1 when every
 * point is taken. */
int fc_grid_suggest(const struct fc_space *sp, size_t g, const double *const *taken,
                    size_t n_taken, uint64_t seed, double *x);

#endif

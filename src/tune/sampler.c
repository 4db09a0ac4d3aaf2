/*
 * sampler.c — TPE, random and grid points of a search space (sampler.h).
 *
 * TPE as Optuna 3.1's TPESampler does it by default (univariate): after
 * n_startup random trials the observed trials are split into the best
 * gamma(n) = min(ceil(0.1 n), 25) ("below", complete trials by value, then
 * pruned ones by the step they reached) and the rest ("above"); for each
 * parameter a Parzen estimator (a mixture of truncated normals on the
 * parameter's range, log scale for log parameters, one kernel per
 * observation plus a prior kernel at the range's middle as wide as the
 * range; bandwidths from the neighbours' distances, clipped to [range /
 * min(100, kernels), range]; weights rising linearly for the oldest
 * observations beyond the latest 25) is fitted to each group, l(x) and
 * g(x); n_candidates are drawn from l and the one with the highest
 * log l(x) - log g(x) (expected improvement) is taken. Integers live on
 * [low - 0.5, high + 0.5], are rounded, and (without a log scale) are
 * scored by the mass of their unit bin; a choice has a categorical
 * kernel per observation (its own choice + prior_weight / kernels on each).
 */
#include "forecast/tune/sampler.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/util.h"

const char *const fc_sampler_names[] = {"tpe", "random", "grid", NULL};
const struct fc_tpe_options fc_tpe_defaults = {10, 24, 1.0};

/* ---- the generator ---- */

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void fc_rng_seed(struct fc_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1342543de82ef95ull + 0x2545f4914f6cdd1dull);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t fc_rng_next(struct fc_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double fc_rng_uniform(struct fc_rng *r)
{
    return (double)(fc_rng_next(r) >> 11) * 0x1.0p-53;
}

/* ---- a dimension's scale: where the estimators live ---- */

/* the bounds on the estimators' scale (log for log dimensions; integers
 * widened by half a step) */
static void bounds(const struct fc_dim *d, double *lo, double *hi)
{
    double a = d->lo, b = d->hi;
    if (d->kind == FC_DIM_INT) {
        a -= 0.5;
        b += 0.5;
    }
    *lo = d->log ? log(a) : a;
    *hi = d->log ? log(b) : b;
}

static double to_scale(const struct fc_dim *d, double x)
{
    return d->log ? log(x) : x;
}

/* back from the estimators' scale: rounded and clipped for integers */
static double from_scale(const struct fc_dim *d, double t)
{
    double x = d->log ? exp(t) : t;
    if (d->kind == FC_DIM_INT)
        x = round(x);
    return x < d->lo ? d->lo : x > d->hi ? d->hi : x;
}

static double random_coord(const struct fc_dim *d, struct fc_rng *r)
{
    if (d->kind == FC_DIM_CHOICE) {
        size_t k = (size_t)(fc_rng_uniform(r) * (double)d->n_choices);
        return (double)(k < d->n_choices ? k : d->n_choices - 1);
    }
    double lo, hi;
    bounds(d, &lo, &hi);
    return from_scale(d, lo + (hi - lo) * fc_rng_uniform(r));
}

void fc_random_suggest(const struct fc_space *sp, uint64_t seed, uint64_t number, double *x)
{
    struct fc_rng r;
    fc_rng_seed(&r, seed, number);
    for (size_t i = 0; i < sp->n; i++)
        x[i] = random_coord(&sp->dims[i], &r);
}

/* ---- Parzen estimators ---- */

struct parzen {
    size_t k;             /* kernels: observations + the prior */
    double *w;            /* (k) mixture weights, summing to 1 */
    double *mu, *sigma;   /* numeric: (k) */
    double *logz;         /* numeric: (k) log of the kernel's mass inside the bounds */
    double *p;            /* choice: (k * n_choices) */
    double lo, hi;
};

static void parzen_free(struct parzen *pz)
{
    free(pz->w);
    free(pz->mu);
    free(pz->sigma);
    free(pz->logz);
    free(pz->p);
}

/* Optuna's default_weights: 1 for the latest 25, a ramp from 1/n before */
static void obs_weights(size_t n, double *w)
{
    if (n < 25) {
        for (size_t i = 0; i < n; i++)
            w[i] = 1;
        return;
    }
    size_t ramp = n - 25;
    for (size_t i = 0; i < ramp; i++)
        w[i] = ramp == 1 ? 1.0 / (double)n
                         : 1.0 / (double)n + (1.0 - 1.0 / (double)n) * (double)i /
                                                 (double)(ramp - 1);
    for (size_t i = ramp; i < n; i++)
        w[i] = 1;
}

struct idx_val {
    size_t i;
    double v;
};

static int cmp_idx_val(const void *a, const void *b)
{
    const struct idx_val *x = a, *y = b;
    return (x->v > y->v) - (x->v < y->v);
}

/* the estimator of dimension d over the observations' coordinates t[n]
 * (on the estimator's scale, or choice indices), in trial order */
static void parzen_fit(struct parzen *pz, const struct fc_dim *d, const double *t, size_t n,
                       double prior_weight)
{
    memset(pz, 0, sizeof *pz);
    pz->k = n + 1;
    pz->w = xmalloc(pz->k * sizeof *pz->w);
    obs_weights(n, pz->w);
    pz->w[n] = prior_weight;
    double sum = 0;
    for (size_t i = 0; i < pz->k; i++)
        sum += pz->w[i];
    for (size_t i = 0; i < pz->k; i++)
        pz->w[i] /= sum;
    if (d->kind == FC_DIM_CHOICE) {
        size_t c = d->n_choices;
        pz->p = xmalloc(pz->k * c * sizeof *pz->p);
        for (size_t i = 0; i < pz->k; i++) {
            double *row = pz->p + i * c, tot = 0;
            for (size_t j = 0; j < c; j++)
                row[j] = prior_weight / (double)pz->k;
            if (i < n)
                row[(size_t)t[i]] += 1;
            for (size_t j = 0; j < c; j++)
                tot += row[j];
            for (size_t j = 0; j < c; j++)
                row[j] /= tot;
        }
        return;
    }
    bounds(d, &pz->lo, &pz->hi);
    double range = pz->hi - pz->lo;
    pz->mu = xmalloc(pz->k * sizeof *pz->mu);
    pz->sigma = xmalloc(pz->k * sizeof *pz->sigma);
    pz->logz = xmalloc(pz->k * sizeof *pz->logz);
    memcpy(pz->mu, t, n * sizeof *t);
    pz->mu[n] = 0.5 * (pz->lo + pz->hi);
    /* bandwidths: the larger distance to a neighbour among the sorted
     * kernels (the outermost ones: their one neighbour) */
    struct idx_val *s = xmalloc(pz->k * sizeof *s);
    for (size_t i = 0; i < pz->k; i++)
        s[i] = (struct idx_val){i, pz->mu[i]};
    qsort(s, pz->k, sizeof *s, cmp_idx_val);
    double minsigma = range / fmin(100.0, 1.0 + (double)pz->k);
    for (size_t j = 0; j < pz->k; j++) {
        double left = j > 0 ? s[j].v - s[j - 1].v : -1;
        double right = j + 1 < pz->k ? s[j + 1].v - s[j].v : -1;
        double sg = fmax(left, right);
        if (pz->k == 1)
            sg = range;
        pz->sigma[s[j].i] = fmin(fmax(sg, minsigma), range);
    }
    free(s);
    pz->sigma[n] = range; /* the prior */
    for (size_t i = 0; i < pz->k; i++) {
        double a = (pz->lo - pz->mu[i]) / pz->sigma[i], b = (pz->hi - pz->mu[i]) / pz->sigma[i];
        double z = gsl_cdf_ugaussian_P(b) - gsl_cdf_ugaussian_P(a);
        if (!(z > 0)) /* far tails: the upper tail's difference */
            z = gsl_cdf_ugaussian_Q(a) - gsl_cdf_ugaussian_Q(b);
        pz->logz[i] = log(fmax(z, 1e-300));
    }
}

static size_t pick_kernel(const struct parzen *pz, struct fc_rng *r)
{
    double u = fc_rng_uniform(r), acc = 0;
    for (size_t i = 0; i < pz->k; i++) {
        acc += pz->w[i];
        if (u < acc)
            return i;
    }
    return pz->k - 1;
}

/* a draw from the mixture (estimator's scale, or a choice index) */
static double parzen_sample(const struct parzen *pz, const struct fc_dim *d, struct fc_rng *r)
{
    size_t i = pick_kernel(pz, r);
    if (d->kind == FC_DIM_CHOICE) {
        double u = fc_rng_uniform(r), acc = 0;
        for (size_t j = 0; j < d->n_choices; j++) {
            acc += pz->p[i * d->n_choices + j];
            if (u < acc)
                return (double)j;
        }
        return (double)(d->n_choices - 1);
    }
    /* a truncated normal by inversion, in the lower tail for accuracy */
    double a = (pz->lo - pz->mu[i]) / pz->sigma[i], b = (pz->hi - pz->mu[i]) / pz->sigma[i];
    int flip = a > 0;
    if (flip) {
        double t = a;
        a = -b;
        b = -t;
    }
    double pa = gsl_cdf_ugaussian_P(a), pb = gsl_cdf_ugaussian_P(b);
    double u = pa + (pb - pa) * fc_rng_uniform(r);
    double z = u > 0 && u < 1 ? gsl_cdf_ugaussian_Pinv(u) : (u <= 0 ? a : b);
    z = z < a ? a : z > b ? b : z;
    double v = pz->mu[i] + pz->sigma[i] * (flip ? -z : z);
    return v < pz->lo ? pz->lo : v > pz->hi ? pz->hi : v;
}

/* log of the mixture's density at the value x (a point of the dimension:
 * an integer for an int, a choice index): integers without a log scale by
 * the mass of their unit bin [x - 1/2, x + 1/2] within the bounds, as
 * Optuna scores a stepped distribution */
static double parzen_logpdf(const struct parzen *pz, const struct fc_dim *d, double x)
{
    double mx = -INFINITY;
    double *terms = xmalloc(pz->k * sizeof *terms);
    int binned = d->kind == FC_DIM_INT && !d->log;
    double t = d->kind == FC_DIM_CHOICE ? x : to_scale(d, x);
    for (size_t i = 0; i < pz->k; i++) {
        double lw = log(pz->w[i]);
        if (d->kind == FC_DIM_CHOICE) {
            terms[i] = lw + log(pz->p[i * d->n_choices + (size_t)x]);
        } else if (binned) {
            double a = (fmax(t - 0.5, pz->lo) - pz->mu[i]) / pz->sigma[i];
            double b = (fmin(t + 0.5, pz->hi) - pz->mu[i]) / pz->sigma[i];
            double m = a > 0 ? gsl_cdf_ugaussian_Q(a) - gsl_cdf_ugaussian_Q(b)
                             : gsl_cdf_ugaussian_P(b) - gsl_cdf_ugaussian_P(a);
            terms[i] = lw + log(fmax(m, 1e-300)) - pz->logz[i];
        } else {
            double z = (t - pz->mu[i]) / pz->sigma[i];
            terms[i] = lw - 0.5 * z * z - log(pz->sigma[i]) - 0.5 * log(2 * M_PI) - pz->logz[i];
        }
        mx = terms[i] > mx ? terms[i] : mx;
    }
    double s = 0;
    for (size_t i = 0; i < pz->k; i++)
        s += exp(terms[i] - mx);
    free(terms);
    return mx + log(s);
}

double fc_tpe_log_pdf(const struct fc_dim *d, const double *obs, size_t n, double prior_weight,
                      double x)
{
    double *t = xmalloc((n ? n : 1) * sizeof *t);
    for (size_t i = 0; i < n; i++)
        t[i] = d->kind == FC_DIM_CHOICE ? obs[i] : to_scale(d, obs[i]);
    struct parzen pz;
    parzen_fit(&pz, d, t, n, prior_weight);
    double v = parzen_logpdf(&pz, d, x);
    parzen_free(&pz);
    free(t);
    return v;
}

/* ---- TPE ---- */

struct ranked {
    size_t i;      /* into obs */
    int pruned, steps;
    double value;
};

static int cmp_ranked(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->pruned != y->pruned)
        return x->pruned - y->pruned; /* complete trials first */
    if (x->pruned && x->steps != y->steps)
        return y->steps - x->steps; /* the deeper pruned trial first */
    double vx = isnan(x->value) ? INFINITY : x->value, vy = isnan(y->value) ? INFINITY
                                                                              : y->value;
    if (vx != vy)
        return vx < vy ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

void fc_tpe_suggest(const struct fc_space *sp, const struct fc_trial_obs *obs, size_t n_obs,
                    const struct fc_tpe_options *o, uint64_t seed, uint64_t number, double *x)
{
    if (n_obs < o->n_startup || n_obs < 2) {
        fc_random_suggest(sp, seed, number, x);
        return;
    }
    struct fc_rng r;
    fc_rng_seed(&r, seed, number);
    struct ranked *rk = xmalloc(n_obs * sizeof *rk);
    for (size_t i = 0; i < n_obs; i++)
        rk[i] = (struct ranked){i, obs[i].pruned, obs[i].steps, obs[i].value};
    qsort(rk, n_obs, sizeof *rk, cmp_ranked);
    size_t n_below = (size_t)ceil(0.1 * (double)n_obs);
    n_below = n_below > 25 ? 25 : n_below;
    unsigned char *below = xcalloc(n_obs, 1);
    for (size_t j = 0; j < n_below; j++)
        below[rk[j].i] = 1;
    free(rk);
    double *tb = xmalloc(n_obs * sizeof *tb), *ta = xmalloc(n_obs * sizeof *ta);
    for (size_t dnum = 0; dnum < sp->n; dnum++) {
        const struct fc_dim *d = &sp->dims[dnum];
        if (d->kind != FC_DIM_CHOICE && d->lo == d->hi) {
            x[dnum] = d->lo;
            continue;
        }
        size_t nb = 0, na = 0;
        for (size_t i = 0; i < n_obs; i++) { /* in trial order: the weights' order */
            double t = d->kind == FC_DIM_CHOICE ? obs[i].x[dnum] : to_scale(d, obs[i].x[dnum]);
            if (below[i])
                tb[nb++] = t;
            else
                ta[na++] = t;
        }
        struct parzen l, g;
        parzen_fit(&l, d, tb, nb, o->prior_weight);
        parzen_fit(&g, d, ta, na, o->prior_weight);
        double best = -INFINITY, best_t = 0;
        for (size_t c = 0; c < o->n_candidates; c++) {
            double t = parzen_sample(&l, d, &r);
            double v = d->kind == FC_DIM_CHOICE ? t : from_scale(d, t);
            double score = parzen_logpdf(&l, d, v) - parzen_logpdf(&g, d, v);
            if (score > best) {
                best = score;
                best_t = v;
            }
        }
        x[dnum] = best_t;
        parzen_free(&l);
        parzen_free(&g);
    }
    free(tb);
    free(ta);
    free(below);
}

/* ---- grid ---- */

int fc_grid_suggest(const struct fc_space *sp, size_t g, const double *const *taken,
                    size_t n_taken, uint64_t seed, double *x)
{
    /* the grid's points in a seeded order, as Optuna's GridSampler shuffles */
    size_t *perm = xmalloc(g * sizeof *perm);
    for (size_t i = 0; i < g; i++)
        perm[i] = i;
    struct fc_rng r;
    fc_rng_seed(&r, seed, UINT64_MAX);
    for (size_t i = g; i-- > 1;) {
        size_t j = (size_t)(fc_rng_next(&r) % (uint64_t)(i + 1));
        size_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    double *p = xmalloc((sp->n ? sp->n : 1) * sizeof *p);
    int rc = -1;
    for (size_t k = 0; k < g && rc < 0; k++) {
        fc_space_grid_point(sp, perm[k], p);
        size_t t;
        for (t = 0; t < n_taken; t++)
            if (memcmp(taken[t], p, sp->n * sizeof *p) == 0)
                break;
        if (t == n_taken) {
            memcpy(x, p, sp->n * sizeof *p);
            rc = 0;
        }
    }
    free(p);
    free(perm);
    return rc;
}

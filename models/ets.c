/*
 * ets.c — exponential smoothing per series (ETS: error, trend, seasonal
 * components, Hyndman et al. 2008, "Forecasting with Exponential
 * Smoothing"), fitted as statsmodels' ETSModel fits it (0.13,
 * initialization_method "estimated"), so that its parameters and forecasts
 * can be checked against it (tests/peers/ets_check.py):
 *
 *   state     level l, trend b, the last m seasonal values s; with the
 *             one-step forecast yhat = (l + phi b) + s[t-m] (additive
 *             season) or (l + phi b) s[t-m] (multiplicative);
 *   updates   l' = alpha y~ + (1 - alpha)(l + phi b), y~ = y - s or y / s;
 *             b' = beta* (l' - l) + (1 - beta*) phi b;
 *             s' = gamma* (y - l') + (1 - gamma*) s (or y / l');
 *             beta = alpha beta*, gamma = (1 - alpha) gamma*;
 *   estimated alpha, beta*, gamma* in [1e-4, 1 - 1e-4], phi in [0.8, 0.98],
 *             the initial level, trend and m - 1 initial seasonal values
 *             (the oldest is fixed at 0 / 1), from statsmodels' start:
 *             alpha 0.1, beta* 0.1, gamma* 0.01 / 0.9, phi 0.98 and its
 *             initialisation heuristic (a 2 x m moving average of the first
 *             seasons, then a line through the first ten deseasonalised
 *             values);
 *   objective the concentrated Gaussian log likelihood
 *             llf = -n/2 (log(2 pi mean(e^2)) + 1) - [M error] sum log|yhat|,
 *             e = y - yhat (additive error) or (y - yhat) / yhat;
 *   selection model "auto": every admissible candidate (multiplicative ones
 *             for positive series, seasonal ones with two seasons of data)
 *             and the lowest AICc = -2 llf + 2 k n / (n - k - 1), k = the
 *             estimated parameters + 1 counted as statsmodels counts them
 *             (every one of the m initial seasonal values, and sigma^2);
 *   forecast  the state carried h periods ahead without errors;
 *   quantiles the point + z sigma sqrt(v(h)) with the closed-form forecast
 *             variances of the additive models (Hyndman et al. table 6.1,
 *             class 1), else from 1,000 simulated sample paths.
 *
 * The minimiser is GSL's (libgsl) BFGS on the parameters mapped to an
 * unbounded space (a logistic map for the bounded ones), with numeric
 * gradients; see fit_spec.
 *
 * A series is read over the periods of the data's frequency from its first
 * to its last fitted row; a missing period is carried by the forecast (no
 * error term, not in the likelihood). Like the other per-series baselines it
 * fits the whole history before the split (fit + validation rows) and reads
 * no feature. At prediction, a series' state is first carried over the
 * targets newer than its fit that come before its earliest row to predict
 * (predict --horizon with newer --data), with the fitted parameters; a row
 * h periods after that gets the h-step forecast (h < 1: the one-step). A
 * series absent from training gets the median of the fitted series'
 * one-step forecasts, with the pooled relative spread. A constant history
 * (all zeros, say) is the constant: ANN at the lowest alpha, no spread
 * (every model fits it exactly, and the likelihood has no error to scale).
 */
#include <cjson/cJSON.h>
#include <dlfcn.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/model.h"
#include "forecast/core/util.h"
#include "forecast/data/dataset.h"
#include "forecast/data/derive.h"
#include "forecast/store/store.h"

enum { TR_NONE, TR_ADD, TR_DAMPED };
enum { SE_NONE, SE_ADD, SE_MUL };

/* a model of the family: "AAdA" = additive error, damped additive trend,
 * additive season */
struct spec {
    int mul_error, trend, season, m;
};

static const char *const model_names[] = {
    "auto", "ANN", "AAN", "AAdN", "ANA", "AAA", "AAdA", "ANM", "AAM", "AAdM",
    "MNN",  "MAN", "MAdN", "MNA", "MAA", "MAdA", "MNM", "MAM", "MAdM", NULL};

static int parse_spec(const char *name, int m, struct spec *sp)
{
    const char *p = name;
    memset(sp, 0, sizeof *sp);
    if (*p != 'A' && *p != 'M')
        return -1;
    sp->mul_error = *p++ == 'M';
    if (*p == 'N')
        sp->trend = TR_NONE;
    else if (p[0] == 'A' && p[1] == 'd')
        sp->trend = TR_DAMPED, p++;
    else if (*p == 'A')
        sp->trend = TR_ADD;
    else
        return -1;
    p++;
    sp->season = *p == 'N' ? SE_NONE : *p == 'A' ? SE_ADD : *p == 'M' ? SE_MUL : -1;
    if (sp->season < 0 || p[1])
        return -1;
    sp->m = sp->season ? m : 1;
    return 0;
}

static void spec_name(const struct spec *sp, char out[8])
{
    snprintf(out, 8, "%c%s%c", sp->mul_error ? 'M' : 'A',
             sp->trend == TR_NONE ? "N" : sp->trend == TR_ADD ? "A" : "Ad",
             sp->season == SE_NONE ? 'N' : sp->season == SE_ADD ? 'A' : 'M');
}

/* One fitted series. */
struct series_fit {
    char *key;
    struct spec sp;
    double alpha, beta, gamma, phi;
    double level, trend;
    double *season;     /* (m) season[0] the latest, season[m-1] the one used next */
    double sigma2;      /* mean squared error (relative for M error) */
    double llf, aicc;
    int64_t last_period;
    size_t n;           /* observations */
};

struct ets {
    const char *model;  /* "auto" or a spec name */
    int season_param;   /* 0: from the frequency */
    int m;
    enum fc_freq freq;
    uint64_t seed;
    double *levels;
    size_t L;
    struct series_fit *series;
    size_t n_series;
    struct fc_strmap index;
    double global_point, global_rel_sd; /* unseen series */
    size_t counts[sizeof model_names / sizeof *model_names]; /* models chosen */
};

static void *ets_create(const struct fc_params *p, const struct fc_model_ctx *ctx)
{
    struct ets *m = xcalloc(1, sizeof *m);
    m->model = fc_params_str(p, "model");
    m->season_param = (int)fc_params_num(p, "season");
    m->seed = ctx->seed;
    m->L = ctx->n_quantiles;
    m->levels = xcalloc(m->L ? m->L : 1, sizeof *m->levels);
    memcpy(m->levels, ctx->quantiles, m->L * sizeof *m->levels);
    fc_strmap_init(&m->index);
    return m;
}

static void ets_free(void *model)
{
    struct ets *m = model;
    if (!m)
        return;
    for (size_t i = 0; i < m->n_series; i++) {
        free(m->series[i].key);
        free(m->series[i].season);
    }
    free(m->series);
    free(m->levels);
    fc_strmap_free(&m->index);
    free(m);
}

/* ---- the recursion ---- */

/* The internal parameter vector, as statsmodels lays it out: alpha, beta*,
 * gamma*, phi, l0, b0, then s_{-1} ... s_{-m} (the last fixed). */
enum { P_ALPHA, P_BETA, P_GAMMA, P_PHI, P_L0, P_B0, P_S0 };

struct problem {
    const struct spec *sp;
    const double *y;    /* (n) NAN: a missing period */
    size_t n, n_obs;
    double *work;       /* (2 n) residual terms */
    double p[P_S0 + 1024]; /* the full vector; the free ones are set from x */
    int free_idx[P_S0 + 1024];
    size_t n_free;
    double lb[P_S0 + 1024], ub[P_S0 + 1024];
};

/* numpy's pairwise summation (np.add.reduce over a contiguous double
 * array): statsmodels' sums, to the last bit where it matters */
static double pw_sum(const double *a, size_t n)
{
    if (n < 8) {
        double r = 0;
        for (size_t i = 0; i < n; i++)
            r += a[i];
        return r;
    }
    if (n <= 128) {
        double r[8];
        size_t i;
        for (i = 0; i < 8; i++)
            r[i] = a[i];
        for (i = 8; i < n - n % 8; i += 8)
            for (size_t k = 0; k < 8; k++)
                r[k] += a[i + k];
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += a[i];
        return res;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pw_sum(a, n2) + pw_sum(a + n2, n - n2);
}

/* The smoothing parameters as the recursion uses them: beta* = beta /
 * alpha, gamma* = gamma / (1 - alpha); phi 1 without damping. */
struct smoothing {
    double alpha, bs, gs, phi;
};

/* The one-step forecast of the state (level l, trend b, season s[0..m)
 * with s[m-1] the one due); *L: the level with the trend applied. */
static double one_step(const struct spec *sp, const struct smoothing *c, double l, double b,
                       const double *s, double *L)
{
    *L = l + c->phi * b;
    return sp->season == SE_MUL ? *L * s[sp->m - 1] : *L + s[sp->m - 1];
}

/* The state updated with the observation y (statsmodels' order of
 * operations, which its fits depend on to the last bit); L from one_step. */
static void update(const struct spec *sp, const struct smoothing *c, double L, double y,
                   double *l, double *b, double *s)
{
    int m = sp->m;
    double sm = s[m - 1];
    double ln = sp->season == SE_MUL ? c->alpha * (y / sm) + (1 - c->alpha) * L
                                     : c->alpha * (y - sm) + (1 - c->alpha) * L;
    double bn = c->bs * (ln - *l) + (1 - c->bs) * c->phi * *b;
    double sn = sp->season == SE_MUL ? c->gs * (y / ln) + (1 - c->gs) * sm
                                     : c->gs * (y - ln) + (1 - c->gs) * sm;
    memmove(s + 1, s, (size_t)(m - 1) * sizeof *s);
    s[0] = sn;
    *l = ln;
    *b = bn;
}

/* The smoothing of a fitted series (unstarred parameters). */
static struct smoothing smoothing_of(const struct series_fit *f)
{
    struct smoothing c = {f->alpha, f->alpha > 0 ? f->beta / f->alpha : 0,
                          f->alpha < 1 ? f->gamma / (1 - f->alpha) : 0,
                          f->sp.trend == TR_DAMPED ? f->phi : 1};
    return c;
}

/* Runs the filter with the full vector p (beta*, gamma* starred) over y:
 * the log likelihood (statsmodels' ETSModel.loglike, sigma^2 concentrated
 * out) over the observed periods, and the final state into l, b, s (each
 * may be NULL) and the mean squared error into mse. work: 2 n doubles. */
static double filter(const struct spec *sp, const double *p, const double *y, size_t n,
                     double *work, double *mse, double *l_out, double *b_out, double *s_out)
{
    const struct smoothing c = {p[P_ALPHA], p[P_BETA], p[P_GAMMA], p[P_PHI]};
    double l = p[P_L0], b = p[P_B0];
    int m = sp->m;
    double s[1024];
    for (int j = 0; j < m; j++)
        s[j] = p[P_S0 + j];
    double *sq = work, *lg = work + n;
    size_t k = 0;
    for (size_t t = 0; t < n; t++) {
        double L, yhat = one_step(sp, &c, l, b, s, &L), yt = y[t];
        if (isnan(yt)) {
            yt = yhat; /* a missing period: carried by the forecast */
        } else {
            double e = sp->mul_error ? (yt - yhat) / yhat : yt - yhat;
            sq[k] = e * e;
            /* statsmodels: a non-positive forecast is a huge penalty */
            lg[k++] = log(yhat > 0 ? yhat : 1 / (1e-8 * (1 + fabs(yhat))));
        }
        update(sp, &c, L, yt, &l, &b, s);
    }
    if (l_out)
        *l_out = l;
    if (b_out)
        *b_out = b;
    if (s_out)
        memcpy(s_out, s, (size_t)m * sizeof *s);
    double msq = pw_sum(sq, k) / (double)k;
    if (mse)
        *mse = msq;
    double llf = -(double)k / 2 * (log(2 * M_PI * msq) + 1);
    if (sp->mul_error)
        llf -= pw_sum(lg, k);
    return llf;
}

/* -llf / n of the free parameters x (what statsmodels minimises) */
static double objective(const struct problem *pr, const double *x)
{
    double p[P_S0 + 1024];
    memcpy(p, pr->p, sizeof(double) * (size_t)(P_S0 + pr->sp->m));
    for (size_t k = 0; k < pr->n_free; k++)
        p[pr->free_idx[k]] = x[k];
    double llf = filter(pr->sp, p, pr->y, pr->n, pr->work, NULL, NULL, NULL, NULL);
    return -llf / (double)pr->n_obs;
}

/* ---- the start: statsmodels' initialisation ---- */

/* y with its missing periods filled for the start values only: the last
 * value before (or the first after) */
static double *filled(const double *y, size_t n)
{
    double *f = xmalloc((n ? n : 1) * sizeof *f), last = NAN;
    for (size_t t = 0; t < n; t++)
        f[t] = last = isnan(y[t]) ? last : y[t];
    for (size_t t = n; t-- > 0;)
        if (isnan(f[t]))
            f[t] = t + 1 < n ? f[t + 1] : 0;
    return f;
}

/* The 2 x m centred moving average of x[0..n) (m odd: the m-term one), NAN
 * where the window leaves x. */
static void centred_ma(const double *x, size_t n, int m, double *out)
{
    size_t h = (size_t)m / 2;
    double *c = xmalloc((n ? n : 1) * sizeof *c);
    for (size_t i = 0; i < n; i++) {
        c[i] = NAN;
        if (i >= h && i - h + (size_t)m <= n) {
            double s = 0;
            for (size_t j = i - h; j < i - h + (size_t)m; j++)
                s += x[j];
            c[i] = s / m;
        }
    }
    for (size_t i = 0; i < n; i++)
        out[i] = m % 2 ? c[i] : i + 1 < n ? (c[i] + c[i + 1]) / 2 : NAN;
    free(c);
}

/* The start values l0, b0 and the m seasonal values s0 in time order (the
 * heuristic with enough data, else the simple one), as statsmodels'
 * _initialization_heuristic / _initialization_simple compute them. */
static void start_values(const struct spec *sp, const double *y0, size_t n, double *l0,
                         double *b0, double *s0)
{
    int m = sp->m;
    double *y = filled(y0, n);
    *b0 = 0;
    for (int j = 0; j < m; j++)
        s0[j] = sp->season == SE_MUL ? 1 : 0;
    if (n < 10 + 2 * (size_t)(m / 2) || (sp->season && n < 2 * (size_t)m) || n < 10) {
        if (!sp->season) {
            *l0 = y[0];
            *b0 = n > 1 ? y[1] - y[0] : 0;
        } else {
            double l = 0;
            for (int j = 0; j < m; j++)
                l += y[j];
            *l0 = l /= m;
            double b = 0;
            for (int j = 0; j < m; j++)
                b += (y[m + j] - y[j]) / m;
            *b0 = b / m;
            for (int j = 0; j < m; j++)
                s0[j] = sp->season == SE_MUL ? y[j] / l : y[j] - l;
        }
        free(y);
        return;
    }
    const double *base = y;
    double *tr = NULL, *rest = NULL;
    size_t nb = n;
    if (sp->season) {
        size_t min_obs = 10 + 2 * (size_t)(m / 2);
        size_t k = n / (size_t)m < 5 ? n / (size_t)m : 5;
        size_t need = (min_obs + (size_t)m - 1) / (size_t)m;
        k = k > need ? k : need;
        size_t len = k * (size_t)m < n ? k * (size_t)m : n;
        tr = xmalloc(len * sizeof *tr);
        centred_ma(y, len, m, tr);
        double sum = 0;
        for (int j = 0; j < m; j++) {
            double acc = 0;
            size_t cnt = 0;
            for (size_t i = (size_t)j; i < len; i += (size_t)m)
                if (!isnan(tr[i])) {
                    acc += sp->season == SE_MUL ? y[i] / tr[i] : y[i] - tr[i];
                    cnt++;
                }
            s0[j] = cnt ? acc / (double)cnt : (sp->season == SE_MUL ? 1 : 0);
            sum += s0[j];
        }
        for (int j = 0; j < m; j++)
            s0[j] = sp->season == SE_MUL ? s0[j] / (sum / m) : s0[j] - sum / m;
        rest = xmalloc(len * sizeof *rest);
        nb = 0;
        for (size_t i = 0; i < len; i++)
            if (!isnan(tr[i]))
                rest[nb++] = tr[i];
        base = rest;
    }
    /* least squares line through the first ten values at t = 1..10 */
    size_t q = nb < 10 ? nb : 10;
    double mt = (double)(q + 1) / 2, my = 0, sxy = 0, sxx = 0;
    for (size_t i = 0; i < q; i++)
        my += base[i];
    my /= (double)q;
    for (size_t i = 0; i < q; i++) {
        double dt = (double)(i + 1) - mt;
        sxy += dt * (base[i] - my);
        sxx += dt * dt;
    }
    double slope = sxx > 0 ? sxy / sxx : 0;
    *l0 = my - slope * mt;
    *b0 = slope;
    free(tr);
    free(rest);
    free(y);
}

/* The problem of fitting sp to y: the start vector, bounds, free indices. */
static void set_up(struct problem *pr, const struct spec *sp, const double *y, size_t n)
{
    memset(pr, 0, sizeof *pr);
    pr->sp = sp;
    pr->y = y;
    pr->n = n;
    for (size_t t = 0; t < n; t++)
        pr->n_obs += !isnan(y[t]);
    int m = sp->m;
    double l0, b0, s0[1024];
    start_values(sp, y, n, &l0, &b0, s0);
    double *p = pr->p;
    p[P_ALPHA] = 0.1;
    p[P_BETA] = sp->trend ? 0.01 / 0.1 : 0;
    p[P_GAMMA] = sp->season ? 0.01 / 0.9 : 0;
    p[P_PHI] = sp->trend == TR_DAMPED ? 0.98 : 1;
    p[P_L0] = l0;
    p[P_B0] = sp->trend ? b0 : 0;
    /* statsmodels normalises by the last value and keeps the time order */
    for (int j = 0; j < m; j++)
        p[P_S0 + j] = !sp->season                ? 0
                      : sp->season == SE_MUL ? s0[j] / s0[m - 1]
                                             : s0[j] - s0[m - 1];
    const double lo = 1e-4, hi = 1 - 1e-4;
    int free_[P_S0 + 1024] = {0};
    free_[P_ALPHA] = 1;
    free_[P_BETA] = sp->trend != TR_NONE;
    free_[P_GAMMA] = sp->season != SE_NONE;
    free_[P_PHI] = sp->trend == TR_DAMPED;
    free_[P_L0] = 1;
    free_[P_B0] = sp->trend != TR_NONE;
    for (int j = 0; j + 1 < m && sp->season; j++)
        free_[P_S0 + j] = 1;
    for (int i = 0; i < P_S0 + m; i++) {
        pr->lb[i] = i == P_PHI ? 0.8 : i < P_L0 ? lo : -INFINITY;
        pr->ub[i] = i == P_PHI ? 0.98 : i < P_L0 ? hi : INFINITY;
        if (free_[i])
            pr->free_idx[pr->n_free++] = i;
    }
}

/* ---- the minimiser: L-BFGS-B, as statsmodels runs it ----
 *
 * statsmodels minimises -llf / n with scipy's fmin_l_bfgs_b, which wraps
 * Zhu, Byrd, Lu and Nocedal's L-BFGS-B; the likelihood has several local
 * optima, so only the same algorithm from the same start lands where
 * statsmodels does (GSL's simplex and BFGS did on 75-85% of the series of
 * a comparison, L-BFGS-B on all). Debian's liblbfgsb0 is the original
 * Fortran 3.0 (scipy's is the same code with the line-search limit, 20, as
 * a parameter); it is opened on the first fit (dlopen), so that the BLAS
 * and LAPACK it links load only when an ets model trains. */

typedef void (*setulb_fn)(int *n, int *m, double *x, double *l, double *u, int *nbd, double *f,
                          double *g, double *factr, double *pgtol, double *wa, int *iwa,
                          char *task, int *iprint, char *csave, int *lsave, int *isave,
                          double *dsave, size_t task_len, size_t csave_len);
static setulb_fn setulb;
static char lbfgsb_error[512];
static pthread_once_t lbfgsb_once = PTHREAD_ONCE_INIT;
/* one call at a time: the Fortran may keep locals in static storage (its
 * state between calls is all in the arrays passed) */
static pthread_mutex_t lbfgsb_lock = PTHREAD_MUTEX_INITIALIZER;

static void lbfgsb_open(void)
{
    void *h = dlopen("liblbfgsb.so.0", RTLD_NOW | RTLD_LOCAL);
    if (h)
        setulb = (setulb_fn)(uintptr_t)dlsym(h, "setulb_");
    if (!setulb)
        snprintf(lbfgsb_error, sizeof lbfgsb_error,
                 "ets: cannot load L-BFGS-B (liblbfgsb.so.0, Debian's liblbfgsb0: apt-get "
                 "install liblbfgsb0): %s",
                 dlerror());
}

/* scipy's approx_derivative ("2-point", absolute step 1e-8): forward
 * differences, the step turned back at an upper bound */
static void gradient(const struct problem *pr, const double *x0, double f0, const double *lb,
                     const double *ub, double *g)
{
    size_t n = pr->n_free;
    double x[P_S0 + 1024];
    memcpy(x, x0, n * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        double h = 1e-8;
        if (isfinite(lb[i]) || isfinite(ub[i])) {
            double ld = x0[i] - lb[i], ud = ub[i] - x0[i], xx = x0[i] + h;
            int violated = xx < lb[i] || xx > ub[i];
            int fitting = fabs(h) <= (ld > ud ? ld : ud);
            if (violated && fitting)
                h = -h;
            else if (!fitting)
                h = ud >= ld ? ud : -ld;
        }
        x[i] = x0[i] + h;
        double d = x[i] - x0[i];
        g[i] = (objective(pr, x) - f0) / d;
        x[i] = x0[i];
    }
}

/* Minimises pr's objective from its start with fmin_l_bfgs_b's defaults
 * (m 10, factr 1e7, pgtol 1e-5, maxiter 1000, maxfun 15000); the optimum
 * into pr->p. -1 after fc_error when L-BFGS-B cannot be loaded. */
static int minimise(struct problem *pr)
{
    pthread_once(&lbfgsb_once, lbfgsb_open);
    if (!setulb)
        return fc_error("%s", lbfgsb_error);
    int n = (int)pr->n_free, mm = 10, iprint = -1, lsave[4] = {0}, isave[44] = {0};
    double factr = 1e7, pgtol = 1e-5, f = 0, dsave[29] = {0};
    double *x = xmalloc((size_t)n * sizeof *x), *g = xcalloc((size_t)n, sizeof *g);
    double *lb = xmalloc((size_t)n * sizeof *lb), *ub = xmalloc((size_t)n * sizeof *ub);
    double *lo = xmalloc((size_t)n * sizeof *lo), *hi = xmalloc((size_t)n * sizeof *hi);
    int *nbd = xmalloc((size_t)n * sizeof *nbd), *iwa = xmalloc(3 * (size_t)n * sizeof *iwa);
    double *wa = xcalloc((size_t)(2 * mm * n + 5 * n + 11 * mm * mm + 8 * mm), sizeof *wa);
    for (int k = 0; k < n; k++) {
        int i = pr->free_idx[k];
        lb[k] = pr->lb[i];
        ub[k] = pr->ub[i];
        x[k] = pr->p[i] < lb[k] ? lb[k] : pr->p[i] > ub[k] ? ub[k] : pr->p[i];
        nbd[k] = isfinite(lb[k]) ? (isfinite(ub[k]) ? 2 : 1) : (isfinite(ub[k]) ? 3 : 0);
        lo[k] = isfinite(lb[k]) ? lb[k] : 0;
        hi[k] = isfinite(ub[k]) ? ub[k] : 0;
    }
    char task[61], csave[61];
    memset(task, ' ', 60);
    memcpy(task, "START", 5);
    memset(csave, ' ', 60);
    task[60] = csave[60] = '\0';
    int iterations = 0, evaluations = 0;
    for (;;) {
        pthread_mutex_lock(&lbfgsb_lock);
        setulb(&n, &mm, x, lo, hi, nbd, &f, g, &factr, &pgtol, wa, iwa, task, &iprint, csave,
               lsave, isave, dsave, 60, 60);
        pthread_mutex_unlock(&lbfgsb_lock);
        if (!strncmp(task, "FG", 2)) {
            f = objective(pr, x);
            gradient(pr, x, f, lb, ub, g);
            evaluations += 1 + n;
        } else if (!strncmp(task, "NEW_X", 5)) {
            if (++iterations >= 1000 || evaluations > 15000) {
                memset(task, ' ', 60);
                memcpy(task, "STOP", 4);
            }
        } else {
            break; /* CONVERGENCE, ABNORMAL_TERMINATION, ERROR, STOP: x is the best */
        }
    }
    for (int k = 0; k < n; k++)
        pr->p[pr->free_idx[k]] = x[k];
    free(x);
    free(g);
    free(lb);
    free(ub);
    free(lo);
    free(hi);
    free(nbd);
    free(iwa);
    free(wa);
    return 0;
}

/* statsmodels' k_params: the smoothing parameters, phi, the initial level
 * and trend and every one of the m initial seasonal values; + 1 for sigma^2 */
static int n_params(const struct spec *sp)
{
    return 1 + (sp->trend != TR_NONE) + (sp->season != SE_NONE) + (sp->trend == TR_DAMPED) + 1 +
           (sp->trend != TR_NONE) + (sp->season ? sp->m : 0) + 1;
}

/* Fits sp to y (n periods): 0; 1 when the model does not apply; -1 after
 * fc_error. */
static int fit_spec(const struct spec *sp, const double *y, size_t n, struct series_fit *out)
{
    struct problem *pr = xmalloc(sizeof *pr);
    set_up(pr, sp, y, n);
    int k = n_params(sp);
    if ((double)pr->n_obs - k - 1 <= 0) {
        free(pr);
        return 1;
    }
    pr->work = xmalloc(2 * n * sizeof *pr->work);
    if (minimise(pr)) {
        free(pr->work);
        free(pr);
        return -1;
    }
    double *p = pr->p, l, b, mse;
    double *s = xmalloc((size_t)sp->m * sizeof *s);
    double llf = filter(sp, p, y, n, pr->work, &mse, &l, &b, s);
    double nobs = (double)pr->n_obs;
    free(pr->work);
    if (!isfinite(llf) || !isfinite(l) || !isfinite(b) || !(mse > 0)) {
        free(s);
        free(pr);
        return 1;
    }
    out->sp = *sp;
    out->alpha = p[P_ALPHA];
    out->beta = p[P_BETA] * p[P_ALPHA];
    out->gamma = p[P_GAMMA] * (1 - p[P_ALPHA]);
    out->phi = p[P_PHI];
    out->level = l;
    out->trend = b;
    out->season = s;
    out->sigma2 = mse;
    out->llf = llf;
    out->aicc = -2 * llf + 2.0 * k * nobs / (nobs - k - 1);
    out->n = pr->n_obs;
    free(pr);
    return 0;
}

/* The model of one series: the configured one, or with "auto" the
 * admissible candidate of the lowest AICc. 1 when none applies, -1 after
 * fc_error. */
static int fit_series(const struct ets *m, const double *y, size_t n, struct series_fit *best)
{
    int positive = 1;
    size_t obs = 0;
    for (size_t t = 0; t < n; t++)
        if (!isnan(y[t])) {
            positive &= y[t] > 0;
            obs++;
        }
    /* a constant history (all zeros, common in retail): every model fits
     * it exactly, with no error to scale a likelihood by (log 0): it is
     * the constant, simple smoothing at the lowest alpha, no spread */
    double first = NAN;
    int constant = 1;
    for (size_t t = 0; t < n && constant; t++)
        if (!isnan(y[t])) {
            constant = isnan(first) || y[t] == first;
            first = isnan(first) ? y[t] : first;
        }
    if (constant && obs > 0) {
        parse_spec("ANN", m->m, &best->sp);
        best->alpha = 1e-4;
        best->beta = best->gamma = 0;
        best->phi = 1;
        best->level = first;
        best->trend = 0;
        best->season = xcalloc(1, sizeof *best->season);
        best->sigma2 = best->llf = best->aicc = 0;
        best->n = obs;
        return 0;
    }
    int have = 0;
    for (size_t c = 1; model_names[c]; c++) {
        if (strcmp(m->model, "auto") != 0 && strcmp(m->model, model_names[c]) != 0)
            continue;
        struct spec sp;
        parse_spec(model_names[c], m->m, &sp);
        if ((sp.mul_error || sp.season == SE_MUL) && !positive)
            continue;
        if (sp.season && (m->m < 2 || obs < 2 * (size_t)m->m))
            continue;
        /* as statsforecast's AutoETS: no additive error with a
         * multiplicative season (unstable) when choosing */
        if (!strcmp(m->model, "auto") && !sp.mul_error && sp.season == SE_MUL)
            continue;
        struct series_fit f = {0};
        int rc = fit_spec(&sp, y, n, &f);
        if (rc < 0) {
            free(have ? best->season : NULL);
            return -1;
        }
        if (rc)
            continue;
        if (!have || f.aicc < best->aicc) {
            free(have ? best->season : NULL);
            *best = f;
            have = 1;
        } else {
            free(f.season);
        }
    }
    return have ? 0 : 1;
}

/* ---- forecasts ---- */

/* The h-step point forecasts (h = 1..H) from f's final state. */
static void point_path(const struct series_fit *f, int H, double *out)
{
    const struct spec *sp = &f->sp;
    int m = sp->m;
    double l = f->level, b = f->trend, phi = f->phi;
    double bsum = 0, pw = 1;
    for (int h = 1; h <= H; h++) {
        pw *= phi;
        bsum += sp->trend ? pw : 0;
        /* the season of period last + h: s[m-1] is the next one's */
        double s = sp->season ? f->season[(size_t)(((m - h) % m + m) % m)] : 0;
        double lb = l + bsum * b;
        out[h - 1] = sp->season == SE_MUL ? lb * s : lb + s;
    }
}

/* The closed-form relative forecast variances of the additive models
 * (Hyndman et al. 2008, table 6.1; statsmodels'
 * _relative_forecast_variance); 0 when sp is not one of them. */
static int rel_var(const struct series_fit *f, int h, double *v)
{
    const struct spec *sp = &f->sp;
    if (sp->mul_error || sp->season == SE_MUL)
        return 0;
    double a = f->alpha, b = f->beta, g = f->gamma, phi = f->phi, H = h, m = sp->m;
    double k = floor((H - 1) / m);
    double base = 1 + a * a * (H - 1), trend = 0, seas = 0;
    if (sp->trend == TR_ADD)
        trend = (H - 1) * (a * b * H + b * b * H / 6 * (2 * H - 1));
    else if (sp->trend == TR_DAMPED)
        trend = (b * phi * H) / ((1 - phi) * (1 - phi)) * (2 * a * (1 - phi) + b * phi) -
                (b * phi * (1 - pow(phi, H))) / ((1 - phi) * (1 - phi) * (1 - phi * phi)) *
                    (2 * a * (1 - phi * phi) + b * phi * (1 + 2 * phi - pow(phi, H)));
    if (sp->season == SE_ADD) {
        seas = g * k * (2 * a + g);
        if (sp->trend == TR_ADD)
            seas += g * k * b * m * (k + 1);
        else if (sp->trend == TR_DAMPED)
            seas += (2 * b * g * phi) / ((1 - phi) * (1 - pow(phi, m))) *
                    (k * (1 - pow(phi, m)) - pow(phi, m) * (1 - pow(phi, m * k)));
    }
    *v = base + trend + seas;
    return 1;
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double gauss(uint64_t *st)
{
    double u1 = ((double)(splitmix64(st) >> 11) + 0.5) * 0x1.0p-53;
    double u2 = (double)(splitmix64(st) >> 11) * 0x1.0p-53;
    return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

#define SIM_PATHS 1000

/* Quantiles q (H x L) of SIM_PATHS simulated paths of f (statsmodels'
 * simulate: the errors N(0, sigma^2), relative for M error), seeded. */
static void simulated_quantiles(const struct series_fit *f, int H, const double *levels,
                                size_t L, uint64_t seed, double *q)
{
    const struct spec *sp = &f->sp;
    int m = sp->m;
    double *paths = xmalloc((size_t)H * SIM_PATHS * sizeof *paths);
    double *s = xmalloc((size_t)m * sizeof *s);
    double sd = sqrt(f->sigma2);
    const struct smoothing c = smoothing_of(f);
    for (int r = 0; r < SIM_PATHS; r++) {
        /* each path its own stream: its first h steps are the same whatever
         * horizon is asked for (a recursive forecast asks step by step) */
        uint64_t st = seed + 0x9e3779b97f4a7c15ull * (uint64_t)(r + 1);
        double l = f->level, b = f->trend;
        memcpy(s, f->season, (size_t)m * sizeof *s);
        for (int h = 0; h < H; h++) {
            double Lt, Y = one_step(sp, &c, l, b, s, &Lt);
            double e = gauss(&st) * sd;
            double y = sp->mul_error ? Y * (1 + e) : Y + e;
            paths[(size_t)h * SIM_PATHS + (size_t)r] = y;
            /* the state update of the error-correction form, through y */
            update(sp, &c, Lt, y, &l, &b, s);
        }
    }
    for (int h = 0; h < H; h++) {
        double *row = paths + (size_t)h * SIM_PATHS;
        qsort(row, SIM_PATHS, sizeof *row, fc_cmp_double);
        for (size_t j = 0; j < L; j++)
            q[(size_t)h * L + j] = fc_quantile_sorted(row, SIM_PATHS, levels[j]);
    }
    free(s);
    free(paths);
}

/* ---- the plugin ---- */



static size_t model_index(const struct spec *sp)
{
    char name[8];
    spec_name(sp, name);
    for (size_t c = 1; model_names[c]; c++)
        if (!strcmp(model_names[c], name))
            return c;
    return 0;
}

static int ets_fit(void *model, const struct fc_fit_input *in)
{
    struct ets *m = model;
    const struct fc_dataset *ds = in->ds;
    size_t n = in->n_rows + in->n_val;
    if (n == 0)
        return fc_error("ets: no training rows");
    m->freq = fc_derive_freq(ds, FC_FREQ_AUTO);
    m->m = m->season_param ? m->season_param : fc_freq_season(m->freq);
    struct fc_obs *o;
    size_t *off;
    fc_derive_series_obs(ds, in->rows, in->n_rows, in->val_rows, in->n_val, m->freq, &o, &off);
    m->series = xcalloc(ds->n_series ? ds->n_series : 1, sizeof *m->series);
    double *points = xmalloc((ds->n_series + 1) * sizeof *points);
    double *rel = xmalloc((ds->n_series + 1) * sizeof *rel);
    int rc = 0;
    for (uint32_t s = 0; s < ds->n_series && !rc; s++) {
        struct fc_obs *so = o + off[s];
        size_t cnt = off[s + 1] - off[s];
        if (!cnt)
            continue;
        size_t len = (size_t)(so[cnt - 1].period - so[0].period) + 1;
        double *y = xmalloc(len * sizeof *y);
        for (size_t t = 0; t < len; t++)
            y[t] = NAN;
        for (size_t i = 0; i < cnt; i++)
            y[so[i].period - so[0].period] = so[i].y;
        struct series_fit *f = &m->series[m->n_series];
        int fr = fit_series(m, y, len, f);
        if (fr < 0) {
            rc = -1;
            free(y);
            break;
        }
        if (fr) {
            rc = fc_error("ets: series %s: model %s does not apply (%zu observations%s)",
                          ds->series_key[s], m->model, cnt,
                          strcmp(m->model, "auto")
                              ? "; multiplicative models need positive values, seasonal "
                                "ones two seasons"
                              : "; every candidate failed: at least 5 are needed, and a "
                                "finite likelihood");
            free(y);
            break;
        }
        free(y);
        f->key = xstrdup(ds->series_key[s]);
        f->last_period = so[cnt - 1].period;
        m->counts[model_index(&f->sp)]++;
        double p1;
        point_path(f, 1, &p1);
        points[m->n_series] = p1;
        rel[m->n_series] = sqrt(f->sigma2) / (f->sp.mul_error ? 1 : fmax(fabs(p1), 1e-9));
        fc_strmap_put(&m->index, f->key, (uint32_t)m->n_series);
        m->n_series++;
    }
    if (!rc) {
        qsort(points, m->n_series, sizeof *points, fc_cmp_double);
        qsort(rel, m->n_series, sizeof *rel, fc_cmp_double);
        m->global_point = m->n_series ? fc_quantile_sorted(points, m->n_series, 0.5) : 0;
        m->global_rel_sd = m->n_series ? fc_quantile_sorted(rel, m->n_series, 0.5) : 0;
    }
    free(points);
    free(rel);
    free(off);
    free(o);
    return rc;
}

/* A 64-bit hash of a text (FNV-1a): each series' own simulation seed. */
static uint64_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* f carried over the newer history of series s in ds: the targets of its
 * periods after f's last fitted one and before first (its earliest row to
 * predict), through the filter with f's parameters; f->last_period becomes
 * the last such period. Leak-free: nothing at or after a predicted row is
 * read. */
static void advance(struct series_fit *f, const struct fc_dataset *ds, uint32_t s,
                    enum fc_freq freq, int64_t first)
{
    const struct smoothing c = smoothing_of(f);
    /* a recursive forecast's step: the history is the data it comes from,
     * up to the series' origin */
    int32_t limit = INT32_MAX;
    if (ds->history) {
        limit = ds->history_origins ? ds->history_origins[s] : ds->history_origin;
        ds = ds->history;
    }
    if (!ds->target || !ds->series_start || s >= ds->n_series)
        return;
    size_t b = ds->series_start[s], e = b + ds->series_len[s];
    if (e > ds->n_rows)
        return;
    for (size_t r = b; r < e; r++) {
        int64_t p = fc_derive_period(ds->date[r], freq);
        if (p <= f->last_period || p >= first || ds->date[r] > limit || isnan(ds->target[r]))
            continue;
        /* the periods up to p: the ones without a row carried by the forecast */
        for (int64_t q = f->last_period + 1; q <= p; q++) {
            double L, yhat = one_step(&f->sp, &c, f->level, f->trend, f->season, &L);
            update(&f->sp, &c, L, q == p ? ds->target[r] : yhat, &f->level, &f->trend, f->season);
        }
        f->last_period = p;
    }
}

static int ets_predict(void *model, const struct fc_dataset *ds, const uint32_t *rows, size_t n,
                       struct fc_pred *out)
{
    struct ets *m = model;
    size_t L = m->L;
    /* each row's series and horizon; then per series its path (and
     * simulated quantiles) up to its longest horizon */
    long *pos = xmalloc((n ? n : 1) * sizeof *pos);
    int *hz = xmalloc((n ? n : 1) * sizeof *hz);
    int *maxh = xcalloc(m->n_series + 1, sizeof *maxh);
    /* each fitted series' state carried over the newer history before its
     * first predicted row (a copy: the model stays as fitted) */
    struct series_fit *now = xcalloc(m->n_series + 1, sizeof *now);
    int64_t *first = xmalloc((m->n_series + 1) * sizeof *first);
    uint32_t *ds_series = xmalloc((m->n_series + 1) * sizeof *ds_series);
    for (size_t s = 0; s < m->n_series; s++)
        first[s] = INT64_MAX;
    for (size_t i = 0; i < n; i++) {
        pos[i] = fc_strmap_get(&m->index, ds->series_key[ds->series[rows[i]]]);
        if (pos[i] >= 0) {
            int64_t p = fc_derive_period(ds->date[rows[i]], m->freq);
            first[pos[i]] = p < first[pos[i]] ? p : first[pos[i]];
            ds_series[pos[i]] = ds->series[rows[i]];
        }
    }
    for (size_t s = 0; s < m->n_series; s++) {
        now[s] = m->series[s];
        now[s].season = xmalloc((size_t)now[s].sp.m * sizeof *now[s].season);
        memcpy(now[s].season, m->series[s].season, (size_t)now[s].sp.m * sizeof *now[s].season);
        if (first[s] != INT64_MAX)
            advance(&now[s], ds, ds_series[s], m->freq, first[s]);
    }
    for (size_t i = 0; i < n; i++) {
        hz[i] = 1;
        if (pos[i] >= 0) {
            int64_t h = fc_derive_period(ds->date[rows[i]], m->freq) - now[pos[i]].last_period;
            hz[i] = h < 1 ? 1 : h > 100000 ? 100000 : (int)h;
            maxh[pos[i]] = hz[i] > maxh[pos[i]] ? hz[i] : maxh[pos[i]];
        }
    }
    double **path = xcalloc(m->n_series + 1, sizeof *path);
    double **qs = xcalloc(m->n_series + 1, sizeof *qs);
    for (size_t s = 0; s < m->n_series; s++) {
        if (!maxh[s])
            continue;
        const struct series_fit *f = &now[s];
        path[s] = xmalloc((size_t)maxh[s] * sizeof **path);
        point_path(f, maxh[s], path[s]);
        double v;
        if (L && !rel_var(f, 1, &v)) {
            qs[s] = xmalloc((size_t)maxh[s] * L * sizeof **qs);
            simulated_quantiles(f, maxh[s], m->levels, L, m->seed ^ hash_key(f->key), qs[s]);
        }
    }
    for (size_t i = 0; i < n; i++) {
        double point = m->global_point;
        const struct series_fit *f = pos[i] >= 0 ? &now[pos[i]] : NULL;
        int h = hz[i];
        if (f)
            point = path[pos[i]][h - 1];
        if (out->point)
            out->point[i] = (float)point;
        for (size_t j = 0; j < L; j++) {
            double z = gsl_cdf_ugaussian_Pinv(m->levels[j]), v, q;
            if (!f)
                q = point + z * m->global_rel_sd * fabs(point);
            else if (qs[pos[i]])
                q = qs[pos[i]][(size_t)(h - 1) * L + j];
            else
                q = point + z * sqrt(f->sigma2 * (rel_var(f, h, &v) ? v : 1));
            out->q[i * L + j] = (float)q;
        }
    }
    for (size_t s = 0; s < m->n_series; s++) {
        free(path[s]);
        free(qs[s]);
        free(now[s].season);
    }
    free(now);
    free(first);
    free(ds_series);
    free(path);
    free(qs);
    free(maxh);
    free(pos);
    free(hz);
    return 0;
}

static void ets_record(void *model, struct fc_fit_record *rec)
{
    const struct ets *m = model;
    struct fc_buf b;
    fc_buf_init(&b);
    fc_buf_printf(&b, "Models chosen (%s, season %d):", m->model, m->m);
    int first = 1;
    for (size_t c = 1; model_names[c]; c++)
        if (m->counts[c]) {
            fc_buf_printf(&b, "%s %s %zu", first ? "" : ",", model_names[c], m->counts[c]);
            first = 0;
        }
    fc_buf_printf(&b, " of %zu series.", m->n_series);
    rec->summary = b.s;
}

/* ---- files: ets.json ---- */

static int ets_save(void *model, const char *dir)
{
    struct ets *m = model;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "format_version", 1);
    cJSON_AddStringToObject(root, "model", "ets");
    cJSON_AddStringToObject(root, "freq", fc_freq_name(m->freq));
    cJSON_AddNumberToObject(root, "season", m->m);
    cJSON_AddItemToObject(root, "levels", cJSON_CreateDoubleArray(m->levels, (int)m->L));
    cJSON_AddNumberToObject(root, "global_point", m->global_point);
    cJSON_AddNumberToObject(root, "global_rel_sd", m->global_rel_sd);
    cJSON *series = cJSON_AddObjectToObject(root, "series");
    for (size_t i = 0; i < m->n_series; i++) {
        const struct series_fit *f = &m->series[i];
        cJSON *o = cJSON_AddObjectToObject(series, f->key);
        char name[8];
        spec_name(&f->sp, name);
        cJSON_AddStringToObject(o, "model", name);
        cJSON_AddNumberToObject(o, "alpha", f->alpha);
        cJSON_AddNumberToObject(o, "beta", f->beta);
        cJSON_AddNumberToObject(o, "gamma", f->gamma);
        cJSON_AddNumberToObject(o, "phi", f->phi);
        cJSON_AddNumberToObject(o, "level", f->level);
        cJSON_AddNumberToObject(o, "trend", f->trend);
        cJSON_AddItemToObject(o, "season", cJSON_CreateDoubleArray(f->season, f->sp.m));
        cJSON_AddNumberToObject(o, "sigma2", f->sigma2);
        cJSON_AddNumberToObject(o, "llf", f->llf);
        cJSON_AddNumberToObject(o, "aicc", f->aicc);
        cJSON_AddNumberToObject(o, "n", (double)f->n);
        cJSON_AddNumberToObject(o, "last_period", (double)f->last_period);
    }
    return fc_write_json_in(dir, "ets.json", root);
}

static int num_in(const cJSON *o, const char *key, double lo, double hi, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi))
        return -1;
    *out = v->valuedouble;
    return 0;
}

/* one series of ets.json into f; -1 when anything is off */
static int read_series(const struct ets *m, const cJSON *o, struct series_fit *f)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "model");
    double lp, nn;
    if (!cJSON_IsString(name) || parse_spec(name->valuestring, m->m, &f->sp) ||
        num_in(o, "alpha", 0, 1, &f->alpha) || num_in(o, "beta", 0, 1, &f->beta) ||
        num_in(o, "gamma", 0, 1, &f->gamma) || num_in(o, "phi", 0, 1, &f->phi) ||
        num_in(o, "level", -HUGE_VAL, HUGE_VAL, &f->level) ||
        num_in(o, "trend", -HUGE_VAL, HUGE_VAL, &f->trend) ||
        num_in(o, "sigma2", 0, HUGE_VAL, &f->sigma2) ||
        num_in(o, "llf", -HUGE_VAL, HUGE_VAL, &f->llf) ||
        num_in(o, "aicc", -HUGE_VAL, HUGE_VAL, &f->aicc) || num_in(o, "n", 1, 1e12, &nn) ||
        num_in(o, "last_period", -1e12, 1e12, &lp) || lp != floor(lp))
        return -1;
    f->n = (size_t)nn;
    f->last_period = (int64_t)lp;
    f->season = xcalloc((size_t)f->sp.m, sizeof *f->season);
    return fc_json_doubles(cJSON_GetObjectItemCaseSensitive(o, "season"), (size_t)f->sp.m,
                           f->season);
}

static void *ets_load(const char *dir, const struct fc_params *p, const struct fc_model_ctx *ctx)
{
    struct ets *m = ets_create(p, ctx);
    char *path = fc_xasprintf("%s/ets.json", dir);
    cJSON *root = fc_read_json(path);
    int ok = 0;
    if (!root)
        goto out;
    const cJSON *fv = cJSON_GetObjectItemCaseSensitive(root, "format_version");
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    const cJSON *freq = cJSON_GetObjectItemCaseSensitive(root, "freq");
    double season;
    m->freq = fc_freq_of_name(cJSON_GetStringValue(freq));
    if (!cJSON_IsNumber(fv) || fv->valuedouble != 1 || !cJSON_IsString(model) ||
        strcmp(model->valuestring, "ets") != 0 || m->freq == FC_FREQ_AUTO ||
        num_in(root, "season", 1, 1000, &season) || season != floor(season) ||
        num_in(root, "global_point", -HUGE_VAL, HUGE_VAL, &m->global_point) ||
        num_in(root, "global_rel_sd", 0, HUGE_VAL, &m->global_rel_sd) ||
        !fc_json_levels_match(cJSON_GetObjectItemCaseSensitive(root, "levels"), m->levels,
                              m->L)) {
        fc_error("%s: expected format_version 1 of an ets model with freq, season, the run's "
                 "%zu quantile levels, global_point and global_rel_sd",
                 path, m->L);
        goto out;
    }
    m->m = (int)season;
    const cJSON *series = cJSON_GetObjectItemCaseSensitive(root, "series");
    if (!cJSON_IsObject(series)) {
        fc_error("%s: series: expected an object", path);
        goto out;
    }
    size_t ns = (size_t)cJSON_GetArraySize(series);
    m->series = xcalloc(ns ? ns : 1, sizeof *m->series);
    const cJSON *o;
    cJSON_ArrayForEach(o, series)
    {
        struct series_fit *f = &m->series[m->n_series++];
        f->key = xstrdup(o->string);
        if (read_series(m, o, f) || fc_strmap_get(&m->index, f->key) >= 0) {
            fc_error("%s: series \"%s\": expected model (an ETS code), alpha, beta, gamma, phi "
                     "in [0, 1], level, trend, %d season values, sigma2 >= 0, llf, aicc, n and "
                     "last_period (once per series)",
                     path, f->key, m->m);
            goto out;
        }
        fc_strmap_put(&m->index, f->key, (uint32_t)(m->n_series - 1));
    }
    ok = 1;
out:
    cJSON_Delete(root);
    free(path);
    if (!ok) {
        ets_free(m);
        return NULL;
    }
    return m;
}

static const struct fc_param_spec params[] = {
    {.name = "model", .type = FC_PARAM_ENUM, .def_str = "auto", .choices = model_names,
     .doc = "the ETS model: error (A, M), trend (N, A, Ad damped), season (N, A, M), e.g. "
            "AAdA; auto = per series the admissible one of the lowest AICc (no additive "
            "error with a multiplicative season, multiplicative ones for positive series "
            "only)"},
    {.name = "season", .type = FC_PARAM_INT, .def = 0, .min = 0, .max = 1000,
     .doc = "periods per season; 0 = from the data's frequency (daily 7, weekly 52, "
            "monthly 12); 1 = no seasonal models"},
};

const struct fc_model_ops fc_model_ets = {
    .name = "ets",
    .family = "baseline",
    .summary = "exponential smoothing per series (ETS, AutoETS-like selection by AICc)",
    .details =
        "Per series, over the periods in date order: simple, Holt (damped optional) and "
        "Holt-Winters additive / multiplicative exponential smoothing in the "
        "error-trend-season form of Hyndman et al. (2008), fitted as statsmodels' "
        "ETSModel fits them (its initialisation, parameter bounds and concentrated "
        "likelihood; GSL's minimisers) and, with model auto, chosen by AICc. Quantiles: "
        "the point plus normal quantiles of the closed-form forecast variance for the "
        "additive models, else of 1,000 simulated paths. It reads the target only (no "
        "features), fits the whole history before the split, and saves each series' "
        "model, parameters and final state in ets.json.",
    .params = params,
    .n_params = sizeof params / sizeof params[0],
    .flags = FC_MODEL_POINT | FC_MODEL_QUANTILE | FC_MODEL_NO_FEATURES |
             FC_MODEL_FITS_VALIDATION,
    .create = ets_create,
    .fit = ets_fit,
    .predict = ets_predict,
    .save = ets_save,
    .record = ets_record,
    .load = ets_load,
    .free = ets_free,
};

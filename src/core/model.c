/*
 * model.c — the helpers of the plugin interface declared in model.h:
 * parameter lookup and range text, the threads rule, prediction buffers.
 */
#include "forecast/core/model.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/util.h"

static const struct fc_param_value *find_value(const struct fc_params *p,
                                               const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->specs[i].name, name) == 0)
            return &p->values[i];
    fc_assert_fail(name, __FILE__, __LINE__);
}

double fc_params_num(const struct fc_params *p, const char *name)
{
    return find_value(p, name)->num;
}

const char *fc_params_str(const struct fc_params *p, const char *name)
{
    return find_value(p, name)->str;
}

unsigned fc_model_outputs(const struct fc_model_ops *ops, const struct fc_params *p)
{
    unsigned f = ops->outputs ? ops->outputs(p) : ops->flags;
    return f & (FC_MODEL_POINT | FC_MODEL_QUANTILE);
}

void fc_param_range(const struct fc_param_spec *s, char *buf, size_t n)
{
    if (isinf(s->max))
        snprintf(buf, n, "%s %.10g", s->min_open ? ">" : ">=", s->min);
    else
        snprintf(buf, n, "%c%.10g, %.10g%c", s->min_open ? '(' : '[', s->min, s->max,
                 s->max_open ? ')' : ']');
}

int fc_model_threads(const struct fc_model_ctx *ctx, const char *param, int requested)
{
    if (!ctx->individual)
        return requested > 0 ? requested : ctx->threads > 0 ? ctx->threads : 1;
    if (requested > 1) { /* the workers run in parallel, each model on one thread */
        static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
        static const char *told[16];
        static size_t n_told;
        size_t k;
        pthread_mutex_lock(&lock);
        for (k = 0; k < n_told && strcmp(told[k], param) != 0; k++)
            ;
        int first = k == n_told && n_told < 16;
        if (first)
            told[n_told++] = param;
        pthread_mutex_unlock(&lock);
        if (first)
            fc_warn("%s=%d applies to the combined strategy; in the individual strategy "
                    "each model uses one thread (--jobs sets the workers)",
                    param, requested);
    }
    return 1;
}

void fc_pred_alloc(struct fc_pred *p, size_t n, size_t n_quantiles, int point)
{
    p->n = n;
    p->n_quantiles = n_quantiles;
    p->point = point ? xcalloc(n, sizeof *p->point) : NULL;
    p->q = n_quantiles ? xcalloc(n * n_quantiles, sizeof *p->q) : NULL;
}

void fc_pred_free(struct fc_pred *p)
{
    free(p->point);
    free(p->q);
    p->point = p->q = NULL;
}

/* ---- training records ---- */

void fc_curve_init(struct fc_curve *c, double level, const char *step, const char *loss,
                   int first, size_t n, int with_seconds)
{
    memset(c, 0, sizeof *c);
    c->level = level;
    snprintf(c->step, sizeof c->step, "%s", step);
    snprintf(c->loss, sizeof c->loss, "%s", loss);
    c->first = first;
    c->n = n;
    c->train = xcalloc(n ? n : 1, sizeof *c->train);
    c->val = xcalloc(n ? n : 1, sizeof *c->val);
    c->seconds = with_seconds ? xcalloc(n ? n : 1, sizeof *c->seconds) : NULL;
}

long fc_curve_best(const struct fc_curve *c)
{
    long best = -1;
    for (size_t i = 0; i < c->n; i++)
        if (!isnan(c->val[i]) && (best < 0 || c->val[i] < c->val[best]))
            best = (long)i;
    return best;
}

void fc_fit_record_free(struct fc_fit_record *r)
{
    for (size_t i = 0; i < r->n_curves; i++) {
        free(r->curves[i].train);
        free(r->curves[i].val);
        free(r->curves[i].seconds);
    }
    free(r->curves);
    for (size_t i = 0; i < r->n_importance; i++)
        free(r->importance[i].feature);
    free(r->importance);
    free(r->summary);
    memset(r, 0, sizeof *r);
}

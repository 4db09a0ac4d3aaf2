/*
 * rank.c — ranking models by one metric (rank.h).
 */
#include "forecast/eval/rank.h"

#include <math.h>
#include <stdlib.h>

#include "forecast/core/util.h"

const struct fc_metric_info *fc_rank_default(size_t n, fc_rank_value_fn *value, const void *ctx)
{
    static const char *const order[] = {"wrmsse", "wspl", "mean_pinball"};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const struct fc_metric_info *mi = fc_metric_find(order[i]);
        size_t k = 0;
        while (k < n && !isnan(value(ctx, k, mi)))
            k++;
        if (k == n)
            return mi;
    }
    return fc_metric_find("wrmsse"); /* undefined for some: those rank last */
}

/* a before b: defined before undefined, then better first */
static int before(double a, double b, int higher_better)
{
    if (isnan(a) || isnan(b))
        return !isnan(a) && isnan(b);
    return higher_better ? a > b : a < b;
}

void fc_rank(size_t n, const struct fc_metric_info *by, fc_rank_value_fn *value,
             const void *ctx, size_t *order)
{
    double *v = xmalloc((n ? n : 1) * sizeof *v);
    for (size_t k = 0; k < n; k++) {
        v[k] = value(ctx, k, by);
        order[k] = k;
    }
    /* insertion sort: stable, and a leaderboard has few entries */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && before(v[order[j]], v[order[j - 1]], by->higher_better);
             j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    free(v);
}

double fc_rank_value_of_metrics(const void *ctx, size_t k, const struct fc_metric_info *mi)
{
    const struct fc_metrics *const *m = ctx;
    return fc_metric_value(m[k], mi);
}

/*
 * xgboost_quantile.c — one XGBoost booster per quantile level, trained on the
 * pinball loss through custom gradients (libxgboost 1.7 has no quantile
 * objective).
 *
 * The pinball loss has no useful second derivative: with a constant hessian
 * each tree's leaf value is -G/(H + lambda), a step bounded by the level
 * whatever the scale of the target, so coverage stays far from nominal for a
 * long time. The method used here is the one LightGBM uses for its quantile
 * objective:
 *   - the starting score is the empirical quantile of the target;
 *   - each round, the tree structure is grown by XGBoost from the sign
 *     gradients (-a above the current prediction, 1 - a below) with unit
 *     hessians;
 *   - then every leaf value is replaced by learning_rate x the a-quantile of
 *     the residuals of the training rows in that leaf (leaf refinement). The
 *     refined values are written into the booster at the end through its
 *     JSON model, and checked by predicting the training rows again.
 * Early stopping watches the validation pinball loss. leaf_refit = false
 * keeps XGBoost's own leaf values (for comparison).
 *
 * level_model = median_offsets: the level nearest 0.5 (the anchor) is
 * fitted first; every other level predicts the anchor's prediction plus its
 * own booster, trained as above from margins that start at that prediction
 * (plus the level's quantile of the residuals from it). Sharing the
 * location, the levels rarely cross (README: measured against sklearn).
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/store/store.h"
#include "forecast/core/progress.h"
#include "forecast/core/util.h"
#include "xgboost_common.h"

static const char *const split_gradients[] = {"sign", "expectile", NULL};
static const char *const level_models[] = {"median_offsets", "independent", NULL};

static const struct fc_param_spec q_params[] = {
    XGB_TREE_PARAMS(5),
    {.name = "split_gradient", .type = FC_PARAM_ENUM, .def_str = "sign",
     .choices = split_gradients,
     .doc = "gradients the tree structure is grown from: expectile (asymmetric squared "
            "error, sees how far off a row is) or sign (the pinball loss's own)"},
    {.name = "leaf_refit", .type = FC_PARAM_BOOL, .def = 1,
     .doc = "replace each leaf value by the level's quantile of its rows' residuals "
            "(LightGBM-style); false keeps XGBoost's Newton step"},
    {.name = "level_model", .type = FC_PARAM_ENUM, .def_str = "median_offsets",
     .choices = level_models,
     .doc = "median_offsets: the level nearest 0.5 is fitted first and every other level "
            "as its prediction plus boosted offsets (shared location, far fewer crossed "
            "quantiles); independent: one booster per level from the target alone"},
};

struct xgb_q {
    struct xgb_tree_params tp;
    struct fc_progress *pg; /* during fit, in the combined strategy */
    int refit;
    int expectile; /* split_gradient = expectile */
    int offsets;   /* level_model = median_offsets */
    int anchor;    /* the level the others are offsets of (nearest 0.5), -1: independent */
    size_t L;
    double *levels;
    BoosterHandle *boosters; /* (L) */
    double *base;            /* (L) starting scores */
    int *best_iteration;     /* (L) -1 without early stopping */
    int *rounds;             /* (L) rounds run */
    double *curve;           /* (L, n_estimators, 2): train, validation pinball */
    char **names;
    size_t n_features;
    /* train --distributed: the workers, each fitting on its own rows (NULL:
     * one process). Base scores, leaf values and the pinball losses are then
     * those of every worker's rows (xgb_group_quantiles, sums) */
    const struct fc_model_collective *coll;
};

static void *q_create(const struct fc_params *p, const struct fc_model_ctx *ctx)
{
    struct xgb_q *m = xcalloc(1, sizeof *m);
    xgb_read_params(p, ctx, &m->tp);
    m->refit = fc_params_num(p, "leaf_refit") != 0;
    m->expectile = strcmp(fc_params_str(p, "split_gradient"), "expectile") == 0;
    m->offsets = strcmp(fc_params_str(p, "level_model"), "median_offsets") == 0;
    m->L = ctx->n_quantiles;
    m->levels = xcalloc(m->L ? m->L : 1, sizeof *m->levels);
    m->anchor = -1;
    for (size_t j = 0; j < m->L; j++) {
        m->levels[j] = ctx->quantiles[j];
        if (m->offsets && m->L > 1 &&
            (m->anchor < 0 || fabs(m->levels[j] - 0.5) < fabs(m->levels[m->anchor] - 0.5)))
            m->anchor = (int)j;
    }
    m->boosters = xcalloc(m->L ? m->L : 1, sizeof *m->boosters);
    m->base = xcalloc(m->L ? m->L : 1, sizeof *m->base);
    m->best_iteration = xcalloc(m->L ? m->L : 1, sizeof *m->best_iteration);
    m->rounds = xcalloc(m->L ? m->L : 1, sizeof *m->rounds);
    m->coll = ctx->coll;
    return m;
}

static void q_free(void *model)
{
    struct xgb_q *m = model;
    if (!m)
        return;
    for (size_t j = 0; j < m->L; j++)
        if (m->boosters[j])
            XGBoosterFree(m->boosters[j]);
    free(m->boosters);
    free(m->levels);
    free(m->base);
    free(m->best_iteration);
    free(m->rounds);
    free(m->curve);
    xgb_free_names(m->names, m->n_features);
    free(m);
}

/* the pinball loss's weighted sum and the weights' into s[0], s[1] */
static void pinball_sums(const float *y, const double *pred, const float *w, size_t n,
                         double a, double *s)
{
    s[0] = s[1] = 0;
    for (size_t i = 0; i < n; i++) {
        double r = y[i] - pred[i], wi = w ? w[i] : 1;
        s[0] += wi * (r >= 0 ? a * r : (a - 1) * r);
        s[1] += wi;
    }
}

/* The mean pinball loss of the training rows and of the validation rows
 * (NAN without), over every worker's rows in a distributed run. */
static int pinball_means(const struct xgb_q *m, double a, const float *y, const double *margin,
                         const float *w, size_t n, const float *yv, const double *vmargin,
                         const float *wv, size_t nv, double *train, double *val)
{
    double s[4];
    pinball_sums(y, margin, w, n, a, s);
    pinball_sums(yv, vmargin, wv, nv, a, s + 2);
    if (m->coll && m->coll->sum(s, 4))
        return -1;
    *train = s[1] > 0 ? s[0] / s[1] : NAN;
    *val = s[3] > 0 ? s[2] / s[3] : NAN;
    return 0;
}

/* The level-a quantile of v (n values, weights w or NULL; permuted), over
 * every worker's values in a distributed run. */
static int quantile_all(const struct xgb_q *m, double *v, double *w, size_t n, double a,
                        double *out)
{
    if (!m->coll) {
        *out = xgb_weighted_quantile(v, w, n, a);
        return 0;
    }
    size_t start[2] = {0, n};
    return xgb_group_quantiles(m->coll, v, w, start, 1, a, out);
}

/* Leaf values of the trees grown so far: tree t maps node id -> value. */
struct leaves {
    float **value;
    int *n_nodes;
    int n_trees;
};

static void leaves_free(struct leaves *lv)
{
    for (int t = 0; t < lv->n_trees; t++)
        free(lv->value[t]);
    free(lv->value);
    free(lv->n_nodes);
}

/* Leaf index (and, with value, the tree's raw output + base score) of every
 * row of d in tree it alone: XGBoost predicts leaves only from the first tree,
 * so the tree is sliced out first. */
static int tree_leaves(BoosterHandle b, int it, DMatrixHandle d, float *leaf, float *value,
                       size_t n)
{
    BoosterHandle one = NULL;
    if (XGBoosterSlice(b, it, it + 1, 1, &one) != 0)
        return xgb_fail("slicing the new tree");
    int rc = xgb_predict(one, d, 6, 0, 0, leaf, n);
    if (!rc && value)
        rc = xgb_predict(one, d, 1, 0, 0, value, n);
    XGBoosterFree(one);
    return rc;
}

/* XGBoost's JSON reader wants floats where it stores floats, but cJSON
 * prints 3.0 as "3": rewrite a float array as raw numbers with a decimal
 * point, replacing the leaf entries (is_leaf) by value. */
static void rewrite_floats(cJSON *arr, const unsigned char *is_leaf, const float *value)
{
    if (!cJSON_IsArray(arr))
        return;
    int n = cJSON_GetArraySize(arr);
    for (int i = 0; i < n; i++) {
        cJSON *it = cJSON_GetArrayItem(arr, i);
        double v = (is_leaf && is_leaf[i]) ? (double)value[i] : it->valuedouble;
        char buf[48];
        snprintf(buf, sizeof buf, "%.9g", v);
        if (!strpbrk(buf, ".eEn"))
            strcat(buf, ".0");
        if (cJSON_IsNull(it) && !(is_leaf && is_leaf[i]))
            snprintf(buf, sizeof buf, "NaN"); /* back as XGBoost wrote it */
        cJSON_ReplaceItemInArray(arr, i, cJSON_CreateRaw(buf));
    }
}

/* XGBoost's JSON holds bare NaN (the split condition of a categorical
 * split), which is not JSON: as null for cJSON, NaN again when written
 * back (rewrite_floats). Caller frees. */
static char *nan_as_null(const char *buf, size_t len)
{
    struct fc_buf b;
    fc_buf_init(&b);
    int in_str = 0;
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (in_str) {
            fc_buf_putc(&b, c);
            if (c == '\\' && i + 1 < len)
                fc_buf_putc(&b, buf[++i]);
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
            fc_buf_putc(&b, c);
        } else if (c == 'N' && i + 3 <= len && memcmp(buf + i, "NaN", 3) == 0) {
            fc_buf_puts(&b, "null");
            i += 2;
        } else {
            fc_buf_putc(&b, c);
        }
    }
    return b.s ? b.s : xstrdup("");
}

/* Writes the refined leaf values into the booster's trees [0, n_trees). */
static int patch_leaves(BoosterHandle b, const struct leaves *lv, int n_trees)
{
    bst_ulong len = 0;
    const char *buf = NULL;
    if (XGBoosterSaveModelToBuffer(b, "{\"format\": \"json\"}", &len, &buf) != 0)
        return xgb_fail("reading the model for leaf refinement");
    char *json = nan_as_null(buf, (size_t)len);
    cJSON *root = cJSON_Parse(json);
    free(json);
    if (!root)
        return fc_error("xgboost_quantile: cannot parse XGBoost's JSON model");
    cJSON *trees = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "learner"),
                                             "gradient_booster"),
            "model"),
        "trees");
    int rc = -1;
    if (!cJSON_IsArray(trees) || cJSON_GetArraySize(trees) != n_trees) {
        fc_error("xgboost_quantile: unexpected JSON model layout (%d trees, expected %d)",
                 cJSON_IsArray(trees) ? cJSON_GetArraySize(trees) : -1, n_trees);
        goto out;
    }
    int t = 0;
    cJSON *tree;
    cJSON_ArrayForEach(tree, trees)
    {
        cJSON *left = cJSON_GetObjectItemCaseSensitive(tree, "left_children");
        cJSON *cond = cJSON_GetObjectItemCaseSensitive(tree, "split_conditions");
        int nn = cJSON_GetArraySize(left);
        if (!cJSON_IsArray(cond) || cJSON_GetArraySize(cond) != nn) {
            fc_error("xgboost_quantile: unexpected JSON tree layout");
            goto out;
        }
        /* leaf value: split_conditions (what prediction reads) and base_weights;
         * a leaf no training row reached (possible with min_child_weight 0) gets
         * 0, as training assumed */
        float *leafv = xmalloc((size_t)nn * sizeof *leafv);
        unsigned char *is_leaf = xmalloc((size_t)nn);
        cJSON *l = left->child;
        for (int nid = 0; nid < nn; nid++, l = l->next) {
            is_leaf[nid] = l->valueint == -1;
            leafv[nid] = nid < lv->n_nodes[t] ? lv->value[t][nid] : 0.0f;
        }
        rewrite_floats(cJSON_GetObjectItemCaseSensitive(tree, "split_conditions"), is_leaf, leafv);
        rewrite_floats(cJSON_GetObjectItemCaseSensitive(tree, "base_weights"), is_leaf, leafv);
        rewrite_floats(cJSON_GetObjectItemCaseSensitive(tree, "loss_changes"), NULL, NULL);
        rewrite_floats(cJSON_GetObjectItemCaseSensitive(tree, "sum_hessian"), NULL, NULL);
        free(leafv);
        free(is_leaf);
        t++;
    }
    char *text = cJSON_PrintUnformatted(root);
    if (XGBoosterLoadModelFromBuffer(b, text, (bst_ulong)strlen(text)) != 0)
        xgb_fail("loading the refined model");
    else
        rc = 0;
    free(text);
out:
    cJSON_Delete(root);
    return rc;
}

/* The gradient and hessian of the level-a loss at the current margin. */
static void level_gradients(const struct xgb_q *m, double a, const float *y, const float *w,
                            const double *margin, size_t n, float *grad, float *hess)
{
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1;
        if (m->expectile) {
            /* asymmetric squared error: the residual's size shapes the tree */
            double c = y[i] >= margin[i] ? a : 1 - a;
            grad[i] = (float)(wi * c * (margin[i] - y[i]));
            hess[i] = (float)(wi * c);
        } else {
            /* pinball sign gradient; at the kink the step goes down (LightGBM) */
            grad[i] = (float)(wi * (margin[i] >= y[i] ? 1 - a : -a));
            hess[i] = (float)wi;
        }
    }
}

/* leaf_refit: each leaf's value is learning_rate times the level-a quantile
 * of its rows' residuals (rows bucketed by leaf through order; res and rw
 * are scratch). */
static int refit_leaves(const struct xgb_q *m, double a, const float *y, const float *w,
                        const double *margin, const float *leaf, size_t n, int nodes,
                        float *value, size_t *order, double *res, double *rw)
{
    const struct xgb_tree_params *t = &m->tp;
    /* bucket rows by leaf, then each leaf's residual quantile */
    size_t *start = xcalloc((size_t)nodes + 1, sizeof *start);
    for (size_t i = 0; i < n; i++)
        start[(int)leaf[i] + 1]++;
    for (int k = 0; k < nodes; k++)
        start[k + 1] += start[k];
    size_t *fill = xmalloc((size_t)nodes * sizeof *fill);
    memcpy(fill, start, (size_t)nodes * sizeof *fill);
    for (size_t i = 0; i < n; i++)
        order[fill[(int)leaf[i]]++] = i;
    if (m->coll) { /* every leaf at once, over every worker's rows */
        for (size_t c = 0; c < n; c++) {
            res[c] = y[order[c]] - margin[order[c]];
            if (rw)
                rw[c] = w[order[c]];
        }
        double *q = xmalloc((size_t)nodes * sizeof *q);
        int rc = xgb_group_quantiles(m->coll, res, rw, start, (size_t)nodes, a, q);
        for (int k = 0; rc == 0 && k < nodes; k++)
            if (!isnan(q[k]))
                value[k] = (float)(t->learning_rate * q[k]);
        free(q);
        free(start);
        free(fill);
        return rc;
    }
    for (int k = 0; k < nodes; k++) {
        size_t cnt = start[k + 1] - start[k];
        if (!cnt)
            continue;
        for (size_t c = 0; c < cnt; c++) {
            size_t i = order[start[k] + c];
            res[c] = y[i] - margin[i];
            if (rw)
                rw[c] = w[i];
        }
        value[k] = (float)(t->learning_rate * xgb_weighted_quantile(res, rw, cnt, a));
    }
    free(start);
    free(fill);
    return 0;
}

/* Early stopping kept fewer rounds than were boosted: the booster cut to
 * them (*b replaced) and margin recomputed from their leaves. */
static int keep_rounds(BoosterHandle *b, int keep, DMatrixHandle dtrain, const struct leaves *lv,
                       double base, const float *off, double *margin, float *leaf, size_t n)
{
    BoosterHandle sliced = NULL;
    if (XGBoosterSlice(*b, 0, keep, 1, &sliced) != 0)
        return xgb_fail("keeping the best rounds");
    XGBoosterFree(*b);
    *b = sliced;
    /* the margin of the kept trees, for the check below */
    for (size_t i = 0; i < n; i++)
        margin[i] = (off ? off[i] : 0) + (float)base;
    for (int it = 0; it < keep; it++) {
        if (tree_leaves(*b, it, dtrain, leaf, NULL, n))
            return -1;
        for (size_t i = 0; i < n; i++)
            margin[i] += lv->value[it][(int)leaf[i]];
    }
    return 0;
}

/* The booster (plus the offsets' origin off, when set) must now predict
 * what training computed (raw: scratch). */
static int check_saved(BoosterHandle b, DMatrixHandle dtrain, const float *off,
                       const double *margin, float *raw, size_t n)
{
    if (xgb_predict(b, dtrain, 0, 0, 0, raw, n))
        return -1;
    for (size_t i = 0; i < n; i++) {
        double got = (double)raw[i] + (off ? off[i] : 0);
        double tol = 1e-3 * (1 + fabs(margin[i]));
        if (fabs(got - margin[i]) > tol)
            return fc_error("xgboost_quantile: internal check failed: the saved trees predict "
                            "%g for a training row where training computed %g",
                            got, margin[i]);
    }
    return 0;
}

/* Level j's booster. off / voff (NULL: none): the anchor level's
 * predictions of the training / validation rows, which this level's
 * booster is an offset of. */
static int fit_level(struct xgb_q *m, size_t j, DMatrixHandle dtrain, DMatrixHandle dval,
                     const float *y, const float *w, size_t n, const float *yv,
                     const float *wv, size_t nv, const float *off, const float *voff)
{
    const struct xgb_tree_params *t = &m->tp;
    double a = m->levels[j];
    int rc = -1;
    BoosterHandle b = NULL;
    struct leaves lv = {xcalloc((size_t)t->n_estimators, sizeof(float *)),
                        xcalloc((size_t)t->n_estimators, sizeof(int)), 0};
    double *margin = xmalloc((n ? n : 1) * sizeof *margin);
    double *vmargin = xmalloc((nv ? nv : 1) * sizeof *vmargin);
    float *grad = xmalloc((n ? n : 1) * sizeof *grad), *hess = xmalloc((n ? n : 1) * sizeof *hess);
    float *leaf = xmalloc((n ? n : 1) * sizeof *leaf), *vleaf = xmalloc((nv ? nv : 1) * sizeof *vleaf);
    float *raw = xmalloc((n ? n : 1) * sizeof *raw);
    double *res = xmalloc((n ? n : 1) * sizeof *res), *rw = w ? xmalloc(n * sizeof *rw) : NULL;
    size_t *order = xmalloc((n ? n : 1) * sizeof *order);

    /* starting score: the empirical quantile of the target (of its difference
     * from the anchor's prediction for an offset level) */
    for (size_t i = 0; i < n; i++) {
        res[i] = (double)y[i] - (off ? off[i] : 0);
        if (rw)
            rw[i] = w[i];
    }
    if (quantile_all(m, res, rw, n, a, &m->base[j]))
        goto out;
    for (size_t i = 0; i < n; i++)
        margin[i] = (off ? off[i] : 0) + (float)m->base[j];
    for (size_t i = 0; i < nv; i++)
        vmargin[i] = (voff ? voff[i] : 0) + (float)m->base[j];

    DMatrixHandle both[1] = {dtrain};
    if (XGBoosterCreate(both, 1, &b) != 0) {
        xgb_fail("creating a booster");
        goto out;
    }
    char num[64];
    snprintf(num, sizeof num, "%.9g", (double)(float)m->base[j]);
    if (xgb_set_tree_params(b, t) || xgb_set(b, "objective", "reg:squarederror") ||
        xgb_set(b, "base_score", num) || xgb_set_feature_names(b, m->names, m->n_features))
        goto out;
    double best = INFINITY;
    int stop_early = t->early_stopping > 0 && nv > 0;
    m->best_iteration[j] = -1;
    double *curve = m->curve + j * (size_t)t->n_estimators * 2;
    for (int it = 0; it < t->n_estimators; it++) {
        level_gradients(m, a, y, w, margin, n, grad, hess);
        if (XGBoosterBoostOneIter(b, dtrain, grad, hess, (bst_ulong)n) != 0) {
            xgb_fail("boosting");
            goto out;
        }
        /* the leaf of every training row in the new tree */
        if (tree_leaves(b, it, dtrain, leaf, m->refit ? NULL : raw, n))
            goto out;
        int nodes = 0;
        for (size_t i = 0; i < n; i++)
            if ((int)leaf[i] + 1 > nodes)
                nodes = (int)leaf[i] + 1;
        if (m->coll) { /* the same node ids on every worker: the same trees */
            double mx = nodes;
            if (m->coll->max(&mx, 1))
                goto out;
            nodes = (int)mx;
        }
        float *value = xcalloc((size_t)nodes, sizeof *value);
        lv.value[it] = value;
        lv.n_nodes[it] = nodes;
        lv.n_trees = it + 1;
        if (m->refit) {
            if (refit_leaves(m, a, y, w, margin, leaf, n, nodes, value, order, res, rw))
                goto out;
        } else {
            /* XGBoost's own step: its prediction of this tree minus the base */
            for (size_t i = 0; i < n; i++)
                value[(int)leaf[i]] = raw[i] - (float)m->base[j];
        }
        for (size_t i = 0; i < n; i++)
            margin[i] += value[(int)leaf[i]];
        double vl = NAN;
        if (nv) {
            if (tree_leaves(b, it, dval, vleaf, NULL, nv))
                goto out;
            for (size_t i = 0; i < nv; i++) {
                int k = (int)vleaf[i];
                vmargin[i] += k < nodes ? value[k] : 0;
            }
        }
        if (pinball_means(m, a, y, margin, w, n, yv, vmargin, wv, nv, &curve[2 * it], &vl))
            goto out;
        curve[2 * it + 1] = vl;
        m->rounds[j] = it + 1;
        fc_progress_add(m->pg, 1, 0);
        if (XGB_VERBOSE_ROUND(it, t->n_estimators))
            fc_info(2, "  %sq%g round %d: train pinball %.6g, val pinball %.6g", t->prefix, a,
                    it, curve[2 * it], vl);
        if (stop_early) {
            if (vl < best) {
                best = vl;
                m->best_iteration[j] = it;
            } else if (it - m->best_iteration[j] >= t->early_stopping) {
                fc_info(2, "  %sq%g stopped early at round %d: the best, round %d, had val "
                        "pinball %.6g",
                        t->prefix, a, it, m->best_iteration[j], best);
                fc_progress_skip(m->pg, (size_t)(t->n_estimators - it - 1));
                break;
            }
        }
    }
    int keep = stop_early ? m->best_iteration[j] + 1 : m->rounds[j];
    if (keep < m->rounds[j] &&
        keep_rounds(&b, keep, dtrain, &lv, m->base[j], off, margin, leaf, n))
        goto out;
    if (m->refit && patch_leaves(b, &lv, keep))
        goto out;
    if (check_saved(b, dtrain, off, margin, raw, n))
        goto out;
    m->boosters[j] = b;
    b = NULL;
    rc = 0;
out:
    if (b)
        XGBoosterFree(b);
    leaves_free(&lv);
    free(margin);
    free(vmargin);
    free(grad);
    free(hess);
    free(leaf);
    free(vleaf);
    free(raw);
    free(res);
    free(rw);
    free(order);
    return rc;
}

static int q_fit(void *model, const struct fc_fit_input *in)
{
    struct xgb_q *m = model;
    const struct fc_dataset *ds = in->ds;
    size_t n = in->n_rows, nv = in->n_val;
    if (n == 0)
        return fc_error("xgboost_quantile: no training rows");
    if (m->L == 0)
        return fc_error("xgboost_quantile: no quantile levels configured (quantiles)");
    m->n_features = ds->n_features;
    m->names = xgb_copy_names(ds);
    m->curve = xmalloc(m->L * (size_t)m->tp.n_estimators * 2 * sizeof *m->curve);
    float *y = xmalloc(n * sizeof *y), *yv = xmalloc((nv ? nv : 1) * sizeof *yv);
    float *w = ds->weight ? xmalloc(n * sizeof *w) : NULL;
    float *wv = ds->weight ? xmalloc((nv ? nv : 1) * sizeof *wv) : NULL;
    for (size_t i = 0; i < n; i++) {
        y[i] = ds->target[in->rows[i]];
        if (w)
            w[i] = ds->weight[in->rows[i]];
    }
    for (size_t i = 0; i < nv; i++) {
        yv[i] = ds->target[in->val_rows[i]];
        if (wv)
            wv[i] = ds->weight[in->val_rows[i]];
    }
    int rc = -1;
    float *off = NULL, *voff = NULL;
    DMatrixHandle dtrain = xgb_matrix(ds, in->rows, n, 1, m->tp.nthread), dval = NULL;
    if (!dtrain)
        goto out;
    if (nv && !(dval = xgb_matrix(ds, in->val_rows, nv, 1, m->tp.nthread)))
        goto out;
    m->pg = m->tp.combined ? fc_progress_steps("xgboost_quantile (combined)",
                                               m->L * (size_t)m->tp.n_estimators, "rounds")
                           : NULL;
    /* the anchor first; the other levels are offsets of its predictions */
    if (m->anchor >= 0) {
        size_t A = (size_t)m->anchor;
        off = xmalloc(n * sizeof *off);
        voff = xmalloc((nv ? nv : 1) * sizeof *voff);
        if (fit_level(m, A, dtrain, dval, y, w, n, yv, wv, nv, NULL, NULL) ||
            xgb_predict(m->boosters[A], dtrain, 0, 0, 0, off, n) ||
            (nv && xgb_predict(m->boosters[A], dval, 0, 0, 0, voff, nv)))
            goto out;
    }
    for (size_t j = 0; j < m->L; j++)
        if ((int)j != m->anchor && fit_level(m, j, dtrain, dval, y, w, n, yv, wv, nv, off, voff))
            goto out;
    rc = 0;
out:
    fc_progress_end(m->pg);
    m->pg = NULL;
    if (dtrain)
        XGDMatrixFree(dtrain);
    if (dval)
        XGDMatrixFree(dval);
    free(y);
    free(yv);
    free(w);
    free(wv);
    free(off);
    free(voff);
    return rc;
}

static int q_predict(void *model, const struct fc_dataset *ds, const uint32_t *rows, size_t n,
                     struct fc_pred *out)
{
    struct xgb_q *m = model;
    if (ds->n_features != m->n_features)
        return fc_error("xgboost_quantile: the data has %zu features, the model %zu",
                        ds->n_features, m->n_features);
    if (n == 0)
        return 0;
    DMatrixHandle d = xgb_matrix(ds, rows, n, 0, m->tp.nthread);
    if (!d)
        return -1;
    float *col = xmalloc(n * sizeof *col);
    float *anchor = m->anchor >= 0 ? xmalloc(n * sizeof *anchor) : NULL;
    int rc = anchor ? xgb_predict(m->boosters[m->anchor], d, 0, 0, 0, anchor, n) : 0;
    for (size_t j = 0; j < m->L && !rc; j++) {
        rc = xgb_predict(m->boosters[j], d, 0, 0, 0, col, n);
        /* an offset level: the anchor's prediction plus its own, added in
         * double as training did */
        for (size_t i = 0; i < n && !rc; i++)
            out->q[i * m->L + j] =
                anchor && (int)j != m->anchor ? (double)anchor[i] + col[i] : col[i];
    }
    free(anchor);
    free(col);
    XGDMatrixFree(d);
    return rc;
}

/* a curve per level, and the importance of the level nearest 0.5 */
static void q_record(void *model, struct fc_fit_record *rec)
{
    struct xgb_q *m = model;
    size_t mid = 0;
    rec->curves = xcalloc(m->L ? m->L : 1, sizeof *rec->curves);
    rec->n_curves = m->L;
    for (size_t j = 0; j < m->L; j++) {
        struct fc_curve *c = &rec->curves[j];
        fc_curve_init(c, m->levels[j], "round", "pinball", 0, (size_t)m->rounds[j], 0);
        for (int it = 0; it < m->rounds[j]; it++) {
            const double *v = m->curve + (j * (size_t)m->tp.n_estimators + (size_t)it) * 2;
            c->train[it] = v[0];
            c->val[it] = v[1];
        }
        if (fabs(m->levels[j] - 0.5) < fabs(m->levels[mid] - 0.5))
            mid = j;
    }
    if (m->L && xgb_importance(m->boosters[mid], m->names, m->n_features, rec))
        fc_error_clear(); /* the report goes without it */
}

static int q_save(void *model, const char *dir)
{
    struct xgb_q *m = model;
    int rc = 0;
    for (size_t j = 0; j < m->L && !rc; j++) {
        char *path = fc_xasprintf("%s/level_%zu.ubj", dir, j);
        rc = xgb_save_model(m->boosters[j], path);
        free(path);
    }
    if (rc)
        return -1;
    cJSON *meta = cJSON_CreateObject();
    cJSON_AddStringToObject(meta, "model", "xgboost_quantile");
    cJSON_AddNumberToObject(meta, "n_features", (double)m->n_features);
    cJSON_AddItemToObject(meta, "levels", cJSON_CreateDoubleArray(m->levels, (int)m->L));
    cJSON_AddItemToObject(meta, "base_score", cJSON_CreateDoubleArray(m->base, (int)m->L));
    cJSON_AddItemToObject(meta, "best_iteration",
                          cJSON_CreateIntArray(m->best_iteration, (int)m->L));
    cJSON_AddItemToObject(meta, "rounds_run", cJSON_CreateIntArray(m->rounds, (int)m->L));
    cJSON_AddBoolToObject(meta, "leaf_refit", m->refit);
    /* the level the others are offsets of; -1: independent levels */
    cJSON_AddNumberToObject(meta, "anchor", m->anchor);
    rc = xgb_write_meta(dir, meta);
    cJSON_Delete(meta);
    return rc;
}

static void *q_load(const char *dir, const struct fc_params *p, const struct fc_model_ctx *ctx)
{
    size_t nf;
    cJSON *meta = xgb_read_meta(dir, &nf);
    if (!meta)
        return NULL;
    struct xgb_q *m = q_create(p, ctx);
    m->n_features = nf;
    const cJSON *lv = cJSON_GetObjectItemCaseSensitive(meta, "levels");
    int ok = cJSON_IsArray(lv) && (size_t)cJSON_GetArraySize(lv) == m->L;
    for (size_t j = 0; ok && j < m->L; j++) {
        const cJSON *e = cJSON_GetArrayItem(lv, (int)j);
        ok = cJSON_IsNumber(e) && e->valuedouble == m->levels[j];
    }
    /* how the model was trained decides how it predicts: a model written
     * before level_model existed has independent levels (no "anchor") */
    const cJSON *an = cJSON_GetObjectItemCaseSensitive(meta, "anchor");
    int anchor_ok = !an || (cJSON_IsNumber(an) && an->valuedouble >= -1 &&
                            an->valuedouble < (double)m->L && an->valuedouble == (int)an->valuedouble);
    if (ok && !anchor_ok) {
        cJSON_Delete(meta);
        fc_error("%s/meta.json: anchor: expected -1 or a level index below %zu", dir, m->L);
        q_free(m);
        return NULL;
    }
    m->anchor = an ? (int)an->valuedouble : -1;
    cJSON_Delete(meta);
    if (!ok) {
        fc_error("%s/meta.json: quantile levels differ from the run's configuration", dir);
        q_free(m);
        return NULL;
    }
    for (size_t j = 0; j < m->L; j++) {
        char *path = fc_xasprintf("%s/level_%zu.ubj", dir, j);
        m->boosters[j] = xgb_load_model(path, nf);
        free(path);
        if (!m->boosters[j]) {
            q_free(m);
            return NULL;
        }
    }
    return m;
}

static void q_version(char *buf, size_t n) { xgb_version(buf, n); }

const struct fc_model_ops fc_model_xgboost_quantile = {
    .name = "xgboost_quantile",
    .family = "gbdt",
    .summary = "gradient-boosted trees (XGBoost), one booster per quantile level",
    .details =
        "One XGBoost booster per level of the run's quantiles (config key quantiles, "
        "flag --quantiles; what other tools call quantile_alphas), trained on the "
        "pinball loss with custom gradients since libxgboost 1.7 has no quantile "
        "objective. Method (as LightGBM's quantile objective): the starting score is "
        "the empirical quantile of the target; XGBoost grows each tree from the sign "
        "gradients with unit hessians; then each leaf value is replaced by "
        "learning_rate times the level's quantile of the residuals of the training rows "
        "in it (leaf_refit), which reaches nominal coverage in a few dozen rounds where "
        "the Newton step (bounded by the level, whatever the target's scale) crawls. "
        "Early stopping watches the validation pinball loss; the best round is kept. "
        "With level_model median_offsets (default) the level nearest 0.5 is fitted first "
        "and every other level is its prediction plus boosted offsets, so the levels "
        "share a location and rarely cross. Predicted quantiles are made monotone in the "
        "level by sorting each row; the crossing rate before that repair is reported in "
        "the metrics.",
    .params = q_params,
    .n_params = sizeof q_params / sizeof q_params[0],
    .flags = FC_MODEL_QUANTILE | FC_MODEL_DISTRIBUTED,
    .create = q_create,
    .fit = q_fit,
    .predict = q_predict,
    .save = q_save,
    .record = q_record,
    .load = q_load,
    .free = q_free,
    .version = q_version,
};

/*
 * xgboost_standard.c — gradient-boosted trees for a point forecast through the
 * XGBoost C API: early stopping on the validation window (the best round is
 * what gets saved), training curve, feature importance, UBJSON model file.
 * Also random_forest: the same booster in XGBoost's random-forest mode (one
 * round of num_parallel_tree trees, each on a row subsample with features
 * sampled per node, learning rate 1), sharing everything else.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/store/store.h"
#include "forecast/core/util.h"
#include "forecast/core/progress.h"
#include "xgboost_common.h"

static const char *const objectives[] = {"reg:squarederror", "reg:tweedie", "count:poisson",
                                         "reg:absoluteerror", "reg:pseudohubererror", NULL};

static const struct fc_param_spec std_params[] = {
    XGB_TREE_PARAMS(1),
    {.name = "objective", .type = FC_PARAM_ENUM, .def_str = "reg:squarederror",
     .choices = objectives, .doc = "training loss; early stopping uses its default metric"},
    {.name = "tweedie_variance_power", .type = FC_PARAM_DOUBLE, .def = 1.5, .min = 1, .max = 2,
     .min_open = 1, .max_open = 1, .doc = "variance power of reg:tweedie (ignored otherwise)"},
    {.name = "huber_slope", .type = FC_PARAM_DOUBLE, .def = 1, .min = 0, .max = INFINITY,
     .min_open = 1, .doc = "delta of reg:pseudohubererror (ignored otherwise)"},
};

struct xgb_std {
    const char *name;    /* xgboost_standard or random_forest */
    int forest;          /* random_forest: trees in its one round */
    double colsample_node;
    struct xgb_tree_params tp;
    const char *objective;
    double tweedie, huber;
    BoosterHandle booster;
    char **names;        /* feature names, for importance */
    size_t n_features;
    int best_iteration;  /* -1 without early stopping */
    int rounds;          /* rounds run */
    char metric[64];     /* name of the evaluation metric */
    double *curve;       /* (rounds, 2): train, validation (NAN without) */
};

static void *std_create(const struct fc_params *p, const struct fc_model_ctx *ctx)
{
    struct xgb_std *m = xcalloc(1, sizeof *m);
    m->name = "xgboost_standard";
    xgb_read_params(p, ctx, &m->tp);
    m->objective = fc_params_str(p, "objective");
    m->tweedie = fc_params_num(p, "tweedie_variance_power");
    m->huber = fc_params_num(p, "huber_slope");
    m->best_iteration = -1;
    return m;
}

static void std_free(void *model)
{
    struct xgb_std *m = model;
    if (!m)
        return;
    if (m->booster)
        XGBoosterFree(m->booster);
    xgb_free_names(m->names, m->n_features);
    free(m->curve);
    free(m);
}

/* "[3]\ttrain-rmse:1.5\tval-rmse:2.5" -> the values and the metric name */
static void parse_eval(const char *s, double *train, double *val, char *metric, size_t n)
{
    *train = *val = NAN;
    for (const char *p = strchr(s, '\t'); p; p = strchr(p + 1, '\t')) {
        const char *colon = strchr(p, ':');
        if (!colon)
            break;
        if (strncmp(p + 1, "train-", 6) == 0) {
            *train = strtod(colon + 1, NULL);
            size_t len = (size_t)(colon - (p + 7));
            if (len < n) {
                memcpy(metric, p + 7, len);
                metric[len] = '\0';
            }
        } else if (strncmp(p + 1, "val-", 4) == 0) {
            *val = strtod(colon + 1, NULL);
        }
    }
}

static int std_fit(void *model, const struct fc_fit_input *in)
{
    struct xgb_std *m = model;
    const struct xgb_tree_params *t = &m->tp;
    if (in->n_rows == 0)
        return fc_error("%s: no training rows", m->name);
    int rc = -1;
    DMatrixHandle dtrain = xgb_matrix(in->ds, in->rows, in->n_rows, 1, t->nthread);
    DMatrixHandle dval = NULL;
    BoosterHandle b = NULL;
    struct fc_progress *pg = NULL;
    if (!dtrain)
        goto out;
    if (in->n_val && !(dval = xgb_matrix(in->ds, in->val_rows, in->n_val, 1, t->nthread)))
        goto out;
    DMatrixHandle both[2] = {dtrain, dval};
    if (XGBoosterCreate(both, dval ? 2 : 1, &b) != 0) {
        xgb_fail("creating a booster");
        goto out;
    }
    char num[64];
    if (xgb_set_tree_params(b, t) || xgb_set(b, "objective", m->objective))
        goto out;
    if (strcmp(m->objective, "reg:tweedie") == 0) {
        snprintf(num, sizeof num, "%.17g", m->tweedie);
        if (xgb_set(b, "tweedie_variance_power", num))
            goto out;
    }
    if (strcmp(m->objective, "reg:pseudohubererror") == 0) {
        snprintf(num, sizeof num, "%.17g", m->huber);
        if (xgb_set(b, "huber_slope", num))
            goto out;
    }
    m->n_features = in->ds->n_features;
    m->names = xgb_copy_names(in->ds);
    if (xgb_set_feature_names(b, m->names, m->n_features))
        goto out;
    m->curve = xmalloc(2 * (size_t)t->n_estimators * sizeof *m->curve);
    const char *names[2] = {"train", "val"};
    double best = INFINITY;
    /* a forest: its trees grown in one round, nothing to stop early */
    int n_rounds = m->forest ? 1 : t->n_estimators;
    if (m->forest) {
        snprintf(num, sizeof num, "%d", m->forest);
        if (xgb_set(b, "num_parallel_tree", num))
            goto out;
        snprintf(num, sizeof num, "%.17g", m->colsample_node);
        if (xgb_set(b, "colsample_bynode", num))
            goto out;
    }
    int stop_early = !m->forest && t->early_stopping > 0 && dval;
    char label[64];
    snprintf(label, sizeof label, "%s (combined)", m->name);
    pg = t->combined ? fc_progress_steps(label, (size_t)n_rounds, "rounds") : NULL;
    for (int it = 0; it < n_rounds; it++) {
        const char *ev = NULL;
        if (XGBoosterUpdateOneIter(b, it, dtrain) != 0) {
            xgb_fail("boosting");
            goto out;
        }
        if (XGBoosterEvalOneIter(b, it, both, names, dval ? 2 : 1, &ev) != 0) {
            xgb_fail("evaluation");
            goto out;
        }
        double tr, va;
        parse_eval(ev, &tr, &va, m->metric, sizeof m->metric);
        m->curve[2 * it] = tr;
        m->curve[2 * it + 1] = va;
        m->rounds = it + 1;
        fc_progress_add(pg, 1, 0);
        if (XGB_VERBOSE_ROUND(it, n_rounds))
            fc_info(2, "  %sround %d: train-%s %.6g, val-%s %.6g", t->prefix, it, m->metric,
                    tr, m->metric, va);
        if (stop_early) {
            if (va < best) {
                best = va;
                m->best_iteration = it;
            } else if (it - m->best_iteration >= t->early_stopping) {
                fc_info(2, "  %sstopped early at round %d: the best, round %d, had val-%s %.6g",
                        t->prefix, it, m->best_iteration, m->metric, best);
                fc_progress_skip(pg, (size_t)(t->n_estimators - it - 1));
                break;
            }
        }
    }
    fc_progress_end(pg);
    pg = NULL;
    if (stop_early && m->best_iteration + 1 < m->rounds) {
        BoosterHandle sliced = NULL;
        if (XGBoosterSlice(b, 0, m->best_iteration + 1, 1, &sliced) != 0) {
            xgb_fail("keeping the best rounds");
            goto out;
        }
        XGBoosterFree(b);
        b = sliced;
        if (xgb_set_feature_names(b, m->names, m->n_features))
            goto out;
    }
    m->booster = b;
    b = NULL;
    rc = 0;
out:
    fc_progress_end(pg);
    if (b)
        XGBoosterFree(b);
    if (dtrain)
        XGDMatrixFree(dtrain);
    if (dval)
        XGDMatrixFree(dval);
    return rc;
}

static int std_predict(void *model, const struct fc_dataset *ds, const uint32_t *rows,
                       size_t n, struct fc_pred *out)
{
    struct xgb_std *m = model;
    if (ds->n_features != m->n_features)
        return fc_error("%s: the data has %zu features, the model %zu", m->name,
                        ds->n_features, m->n_features);
    if (n == 0)
        return 0;
    DMatrixHandle d = xgb_matrix(ds, rows, n, 0, m->tp.nthread);
    if (!d)
        return -1;
    int rc = xgb_predict(m->booster, d, 0, 0, 0, out->point, n);
    XGDMatrixFree(d);
    return rc;
}

/* the curve per round and the importance: the core writes their files */
static void std_record(void *model, struct fc_fit_record *rec)
{
    struct xgb_std *m = model;
    rec->curves = xcalloc(1, sizeof *rec->curves);
    rec->n_curves = 1;
    fc_curve_init(rec->curves, NAN, "round", m->metric, 0, (size_t)m->rounds, 0);
    for (int it = 0; it < m->rounds; it++) {
        rec->curves->train[it] = m->curve[2 * it];
        rec->curves->val[it] = m->curve[2 * it + 1];
    }
    if (xgb_importance(m->booster, m->names, m->n_features, rec))
        fc_error_clear(); /* the report goes without it */
}

static int std_save(void *model, const char *dir)
{
    struct xgb_std *m = model;
    char *path = fc_xasprintf("%s/model.ubj", dir);
    int rc = xgb_save_model(m->booster, path);
    free(path);
    if (rc)
        return -1;
    cJSON *meta = cJSON_CreateObject();
    cJSON_AddStringToObject(meta, "model", m->name);
    if (m->forest)
        cJSON_AddNumberToObject(meta, "parallel_trees", m->forest);
    cJSON_AddNumberToObject(meta, "n_features", (double)m->n_features);
    cJSON_AddStringToObject(meta, "objective", m->objective);
    cJSON_AddStringToObject(meta, "metric", m->metric);
    cJSON_AddNumberToObject(meta, "rounds_run", m->rounds);
    if (m->best_iteration >= 0) {
        cJSON_AddNumberToObject(meta, "best_iteration", m->best_iteration);
        cJSON_AddNumberToObject(meta, "best_val_metric", m->curve[2 * m->best_iteration + 1]);
    } else {
        cJSON_AddNullToObject(meta, "best_iteration");
    }
    cJSON_AddNumberToObject(meta, "trees", m->forest ? m->forest
                                           : m->best_iteration >= 0 ? m->best_iteration + 1
                                                                    : m->rounds);
    rc = xgb_write_meta(dir, meta);
    cJSON_Delete(meta);
    return rc;
}

typedef void *create_fn(const struct fc_params *p, const struct fc_model_ctx *ctx);

static void *load_with(const char *dir, const struct fc_params *p,
                       const struct fc_model_ctx *ctx, create_fn *create)
{
    size_t nf;
    cJSON *meta = xgb_read_meta(dir, &nf);
    if (!meta)
        return NULL;
    cJSON_Delete(meta);
    char *path = fc_xasprintf("%s/model.ubj", dir);
    BoosterHandle b = xgb_load_model(path, nf);
    free(path);
    if (!b)
        return NULL;
    struct xgb_std *m = create(p, ctx);
    m->booster = b;
    m->n_features = nf;
    return m;
}

static void *std_load(const char *dir, const struct fc_params *p,
                      const struct fc_model_ctx *ctx)
{
    return load_with(dir, p, ctx, std_create);
}

static void std_version(char *buf, size_t n) { xgb_version(buf, n); }

const struct fc_model_ops fc_model_xgboost_standard = {
    .name = "xgboost_standard",
    .family = "gbdt",
    .summary = "gradient-boosted trees (XGBoost), point forecast",
    .details =
        "XGBoost regression through its C API. Rounds run until n_estimators or until "
        "the validation loss (the objective's default metric on the validation window) "
        "has not improved for early_stopping_rounds; the best round is what gets saved "
        "and predicted with. Missing feature values go to XGBoost as missing; the weight "
        "column, when configured, weights the rows. Saved as UBJSON (model.ubj) with the "
        "training curve (training_curve.csv), feature importance by gain, weight and "
        "cover (feature_importance.csv) and meta.json (best round).",
    .params = std_params,
    .n_params = sizeof std_params / sizeof std_params[0],
    .flags = FC_MODEL_POINT | FC_MODEL_DISTRIBUTED,
    .create = std_create,
    .fit = std_fit,
    .predict = std_predict,
    .save = std_save,
    .record = std_record,
    .load = std_load,
    .free = std_free,
    .version = std_version,
};

/* ---- random_forest ---- */

static const struct fc_param_spec rf_params[] = {
    {.name = "n_estimators", .type = FC_PARAM_INT, .def = 300, .min = 1, .max = 100000,
     .doc = "trees in the forest (XGBoost num_parallel_tree, grown in one round)"},
    {.name = "max_depth", .type = FC_PARAM_INT, .def = 10, .min = 1, .max = 64,
     .doc = "maximum depth of a tree"},
    {.name = "subsample", .type = FC_PARAM_DOUBLE, .def = 0.632, .min = 0, .max = 1,
     .min_open = 1, .doc = "fraction of rows each tree sees (sampled without replacement)"},
    {.name = "colsample_bynode", .type = FC_PARAM_DOUBLE, .def = 0.5, .min = 0, .max = 1,
     .min_open = 1, .doc = "fraction of features each split chooses from"},
    {.name = "min_child_weight", .type = FC_PARAM_DOUBLE, .def = 5, .min = 0, .max = INFINITY,
     .doc = "minimum rows in a leaf"},
    {.name = "reg_lambda", .type = FC_PARAM_DOUBLE, .def = 0, .min = 0, .max = INFINITY,
     .doc = "L2 regularisation of leaf weights (0: a leaf predicts its rows' mean)"},
    {.name = "max_bin", .type = FC_PARAM_INT, .def = 256, .min = 2, .max = 65536,
     .doc = "histogram bins per feature"},
    {.name = "tree_method", .type = FC_PARAM_ENUM, .def_str = "hist",
     .choices = fc_xgb_tree_methods, .doc = "tree construction algorithm"},
    {.name = "nthread", .type = FC_PARAM_INT, .def = 0, .min = 0, .max = 4096,
     .doc = "XGBoost threads in the combined strategy (0 = all cores); in the individual "
            "strategy each model uses one"},
    {.name = "seed", .type = FC_PARAM_INT, .def = -1, .min = -1, .max = 2147483647,
     .doc = "random seed for row and feature sampling; -1 = the run's seed"},
};

static void *rf_create(const struct fc_params *p, const struct fc_model_ctx *ctx)
{
    struct xgb_std *m = xcalloc(1, sizeof *m);
    m->name = "random_forest";
    struct xgb_tree_params *t = &m->tp;
    m->forest = (int)fc_params_num(p, "n_estimators");
    m->colsample_node = fc_params_num(p, "colsample_bynode");
    t->n_estimators = 1;
    t->max_depth = (int)fc_params_num(p, "max_depth");
    t->learning_rate = 1; /* a forest averages its trees: no shrinkage */
    t->subsample = fc_params_num(p, "subsample");
    t->colsample = 1;
    t->min_child_weight = fc_params_num(p, "min_child_weight");
    t->lambda = fc_params_num(p, "reg_lambda");
    t->max_bin = (int)fc_params_num(p, "max_bin");
    t->tree_method = fc_params_str(p, "tree_method");
    xgb_read_run_params(p, ctx, t);
    m->objective = "reg:squarederror";
    m->best_iteration = -1;
    return m;
}

static void *rf_load(const char *dir, const struct fc_params *p, const struct fc_model_ctx *ctx)
{
    return load_with(dir, p, ctx, rf_create);
}

const struct fc_model_ops fc_model_random_forest = {
    .name = "random_forest",
    .family = "gbdt",
    .summary = "random forest (XGBoost's random-forest mode), point forecast",
    .details =
        "XGBoost in random-forest mode through its C API: one round of n_estimators trees "
        "(num_parallel_tree), each grown on a subsample of the rows without replacement "
        "with a fraction of the features offered at each split (colsample_bynode), "
        "learning rate 1 and squared error; the prediction is the trees' mean. Nothing "
        "stops early (the validation window is scored for the training curve only). "
        "Point forecasts only: the spread of the trees is not a calibrated quantile. "
        "Saved as model.ubj with feature importance and meta.json.",
    .params = rf_params,
    .n_params = sizeof rf_params / sizeof rf_params[0],
    .flags = FC_MODEL_POINT | FC_MODEL_DISTRIBUTED,
    .create = rf_create,
    .fit = std_fit,
    .predict = std_predict,
    .save = std_save,
    .record = std_record,
    .load = rf_load,
    .free = std_free,
    .version = std_version,
};

/*
 * xgboost_standard.c — gradient-boosted trees for a point forecast through the
 * XGBoost C API: early stopping on the validation window (the best round is
 * what gets saved), training curve, feature importance, UBJSON model file.
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
        return fc_error("xgboost_standard: no training rows");
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
    int stop_early = t->early_stopping > 0 && dval;
    pg = t->combined ? fc_progress_steps("xgboost_standard (combined)",
                                         (size_t)t->n_estimators, "rounds")
                     : NULL;
    for (int it = 0; it < t->n_estimators; it++) {
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
        if (XGB_VERBOSE_ROUND(it, t->n_estimators))
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
        return fc_error("xgboost_standard: the data has %zu features, the model %zu",
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
    cJSON_AddStringToObject(meta, "model", "xgboost_standard");
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
    cJSON_AddNumberToObject(meta, "trees", m->best_iteration >= 0 ? m->best_iteration + 1
                                                                   : m->rounds);
    rc = xgb_write_meta(dir, meta);
    cJSON_Delete(meta);
    return rc;
}

static void *std_load(const char *dir, const struct fc_params *p,
                      const struct fc_model_ctx *ctx)
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
    struct xgb_std *m = std_create(p, ctx);
    m->booster = b;
    m->n_features = nf;
    return m;
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
    .flags = FC_MODEL_POINT,
    .create = std_create,
    .fit = std_fit,
    .predict = std_predict,
    .save = std_save,
    .record = std_record,
    .load = std_load,
    .free = std_free,
    .version = std_version,
};

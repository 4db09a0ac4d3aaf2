/*
 * linear.c — linear support vector regression with LIBLINEAR (Debian's
 * liblinear 2.3): L2-regularised, with the L2 (squared epsilon-insensitive,
 * primal trust-region Newton solver) or the L1 (epsilon-insensitive, dual
 * coordinate descent) loss. Inputs: each feature standardised with the mean
 * and population standard deviation of its non-missing training values (a
 * constant feature gets sd 1); a missing value becomes the mean (0), and a
 * feature with missing training values gets a 0/1 missing-indicator input.
 * A bias input of 1 is appended (LIBLINEAR regularises its weight like the
 * others, as scikit-learn's LinearSVR with intercept_scaling 1 does). The
 * target is used as it is: epsilon is in its units. Fitted on the whole
 * history before the split (nothing stops early). Prediction is w . x in C
 * from the saved weights (linear.json), not through LIBLINEAR.
 */
#include <cjson/cJSON.h>
#include <linear.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/model.h"
#include "forecast/core/util.h"
#include "forecast/data/dataset.h"
#include "forecast/store/store.h"

static const char *const solvers[] = {"l2loss_svr", "l1loss_svr", NULL};

static const struct fc_param_spec linear_params[] = {
    {.name = "solver", .type = FC_PARAM_ENUM, .def_str = "l2loss_svr", .choices = solvers,
     .doc = "l2loss_svr: squared epsilon-insensitive loss, primal solver (LIBLINEAR -s 11); "
            "l1loss_svr: epsilon-insensitive loss, dual solver (-s 13)"},
    {.name = "C", .type = FC_PARAM_DOUBLE, .def = 1, .min = 0, .max = INFINITY, .min_open = 1,
     FC_SEARCH(0.001, 100, 1),
     .doc = "inverse regularisation strength: the loss's weight against |w|^2 / 2"},
    {.name = "epsilon", .type = FC_PARAM_DOUBLE, .def = 0, .min = 0, .max = INFINITY,
     .doc = "half-width of the insensitive zone, in the target's units (LIBLINEAR -p)"},
    {.name = "tol", .type = FC_PARAM_DOUBLE, .def = 1e-4, .min = 0, .max = 1, .min_open = 1,
     .doc = "stopping tolerance of the solver (LIBLINEAR -e)"},
};

struct linear {
    int solver;
    double C, epsilon, tol;
    size_t n_features;
    char **names;
    double *mean, *sd;      /* (n_features) */
    unsigned char *ind;     /* (n_features) 1: a missing-indicator input */
    size_t n_inputs;        /* features + indicators */
    double *w;              /* (n_inputs + 1): the last is the bias's */
};

static void *lin_create(const struct fc_params *p, const struct fc_model_ctx *ctx)
{
    (void)ctx;
    struct linear *m = xcalloc(1, sizeof *m);
    m->solver = strcmp(fc_params_str(p, "solver"), "l1loss_svr") == 0 ? L2R_L1LOSS_SVR_DUAL
                                                                       : L2R_L2LOSS_SVR;
    m->C = fc_params_num(p, "C");
    m->epsilon = fc_params_num(p, "epsilon");
    m->tol = fc_params_num(p, "tol");
    return m;
}

static void lin_free(void *model)
{
    struct linear *m = model;
    if (!m)
        return;
    for (size_t j = 0; m->names && j < m->n_features; j++)
        free(m->names[j]);
    free(m->names);
    free(m->mean);
    free(m->sd);
    free(m->ind);
    free(m->w);
    free(m);
}

/* room for the scaler of F features (n_inputs grows with the indicators) */
static void alloc_scaler(struct linear *m, size_t F)
{
    m->n_features = F;
    m->names = xcalloc(F ? F : 1, sizeof *m->names);
    m->mean = xcalloc(F ? F : 1, sizeof *m->mean);
    m->sd = xcalloc(F ? F : 1, sizeof *m->sd);
    m->ind = xcalloc(F ? F : 1, 1);
    m->n_inputs = F;
}

/* the standardised inputs of row r into x (n_inputs values) */
static void inputs(const struct linear *m, const struct fc_dataset *ds, uint32_t r, double *x)
{
    size_t k = m->n_features;
    for (size_t j = 0; j < m->n_features; j++) {
        float v = ds->features[j][r];
        x[j] = isnan(v) ? 0 : ((double)v - m->mean[j]) / m->sd[j];
        if (m->ind[j])
            x[k++] = isnan(v) ? 1 : 0;
    }
}

static void quiet(const char *s) { (void)s; }

static int lin_fit(void *model, const struct fc_fit_input *in)
{
    struct linear *m = model;
    const struct fc_dataset *ds = in->ds;
    size_t n = in->n_rows + in->n_val, F = ds->n_features;
    if (n == 0)
        return fc_error("linear: no training rows");
    if (ds->weight)
        return fc_error("linear: LIBLINEAR 2.3 has no row weights; leave data.weight_column "
                        "out for this model");
    for (size_t j = 0; ds->categories && j < F; j++)
        if (ds->categories[j])
            return fc_error("linear: feature %s is categorical; the linear model takes "
                            "numbers only (leave it out of features.categorical)",
                            ds->feature_names[j]);
    uint32_t *rows = xmalloc(n * sizeof *rows);
    memcpy(rows, in->rows, in->n_rows * sizeof *rows);
    if (in->n_val)
        memcpy(rows + in->n_rows, in->val_rows, in->n_val * sizeof *rows);
    /* the scaler: mean and population sd of the non-missing values */
    alloc_scaler(m, F);
    for (size_t j = 0; j < F; j++) {
        m->names[j] = xstrdup(ds->feature_names[j]);
        double s = 0, ss = 0;
        size_t cnt = 0;
        for (size_t i = 0; i < n; i++) {
            float v = ds->features[j][rows[i]];
            if (isnan(v)) {
                m->ind[j] = 1;
                continue;
            }
            s += v;
            cnt++;
        }
        double mu = cnt ? s / (double)cnt : 0;
        for (size_t i = 0; i < n; i++) {
            float v = ds->features[j][rows[i]];
            if (!isnan(v))
                ss += ((double)v - mu) * ((double)v - mu);
        }
        double sd = cnt ? sqrt(ss / (double)cnt) : 0;
        m->mean[j] = mu;
        m->sd[j] = sd > 0 ? sd : 1;
        m->n_inputs += m->ind[j];
    }
    /* LIBLINEAR's sparse rows: every input (zeros too, so the problem is
     * the same as a dense solver's), then the bias, then the terminator */
    size_t K = m->n_inputs;
    struct feature_node *nodes = xmalloc(n * (K + 2) * sizeof *nodes);
    struct feature_node **x = xmalloc(n * sizeof *x);
    double *y = xmalloc(n * sizeof *y), *buf = xmalloc((K ? K : 1) * sizeof *buf);
    for (size_t i = 0; i < n; i++) {
        inputs(m, ds, rows[i], buf);
        struct feature_node *row = nodes + i * (K + 2);
        for (size_t k = 0; k < K; k++)
            row[k] = (struct feature_node){(int)k + 1, buf[k]};
        row[K] = (struct feature_node){(int)K + 1, 1.0}; /* the bias input */
        row[K + 1] = (struct feature_node){-1, 0};
        x[i] = row;
        y[i] = ds->target[rows[i]];
    }
    struct problem prob = {(int)n, (int)K + 1, y, x, -1};
    struct parameter par = {.solver_type = m->solver, .eps = m->tol, .C = m->C,
                            .p = m->epsilon};
    int rc = -1;
    const char *why = check_parameter(&prob, &par);
    if (why) {
        fc_error("linear: LIBLINEAR refuses the parameters: %s", why);
    } else {
        set_print_string_function(quiet);
        struct model *lm = train(&prob, &par);
        m->w = xmalloc((K + 1) * sizeof *m->w);
        for (size_t k = 0; k <= K; k++)
            m->w[k] = lm->w[k];
        free_and_destroy_model(&lm);
        rc = 0;
        for (size_t k = 0; k <= K && rc == 0; k++)
            if (!isfinite(m->w[k]))
                rc = fc_error("linear: the solver diverged (weight %zu is %g); try a smaller C",
                              k, m->w[k]);
    }
    free(nodes);
    free(x);
    free(y);
    free(buf);
    free(rows);
    return rc;
}

static int lin_predict(void *model, const struct fc_dataset *ds, const uint32_t *rows, size_t n,
                       struct fc_pred *out)
{
    struct linear *m = model;
    if (ds->n_features != m->n_features)
        return fc_error("linear: the data has %zu features, the model %zu", ds->n_features,
                        m->n_features);
    double *x = xmalloc((m->n_inputs ? m->n_inputs : 1) * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        inputs(m, ds, rows[i], x);
        double s = m->w[m->n_inputs]; /* the bias */
        for (size_t k = 0; k < m->n_inputs; k++)
            s += m->w[k] * x[k];
        out->point[i] = (float)s;
    }
    free(x);
    return 0;
}

static int lin_save(void *model, const char *dir)
{
    struct linear *m = model;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "format_version", 1);
    cJSON_AddStringToObject(root, "model", "linear");
    cJSON_AddStringToObject(root, "solver", m->solver == L2R_L2LOSS_SVR ? "l2loss_svr"
                                                                        : "l1loss_svr");
    cJSON *inp = cJSON_AddArrayToObject(root, "inputs");
    for (size_t j = 0; j < m->n_features; j++) {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "feature", m->names[j]);
        cJSON_AddNumberToObject(f, "mean", m->mean[j]);
        cJSON_AddNumberToObject(f, "sd", m->sd[j]);
        cJSON_AddBoolToObject(f, "missing_indicator", m->ind[j]);
        cJSON_AddItemToArray(inp, f);
    }
    cJSON_AddItemToObject(root, "weights", cJSON_CreateDoubleArray(m->w, (int)m->n_inputs + 1));
    return fc_write_json_in(dir, "linear.json", root);
}

static void *lin_load(const char *dir, const struct fc_params *p, const struct fc_model_ctx *ctx)
{
    struct linear *m = lin_create(p, ctx);
    char *path = fc_xasprintf("%s/linear.json", dir);
    cJSON *root = fc_read_json(path);
    int ok = 0;
    if (!root)
        goto out;
    const cJSON *fv = cJSON_GetObjectItemCaseSensitive(root, "format_version");
    const cJSON *inp = cJSON_GetObjectItemCaseSensitive(root, "inputs");
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(root, "weights");
    if (!cJSON_IsNumber(fv) || fv->valuedouble != 1 || !cJSON_IsArray(inp) ||
        cJSON_GetArraySize(inp) > (1 << 20) || !cJSON_IsArray(w)) {
        fc_error("%s: expected format_version 1, inputs and weights", path);
        goto out;
    }
    size_t F = (size_t)cJSON_GetArraySize(inp);
    alloc_scaler(m, F);
    size_t j = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, inp)
    {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(f, "feature");
        const cJSON *mu = cJSON_GetObjectItemCaseSensitive(f, "mean");
        const cJSON *sd = cJSON_GetObjectItemCaseSensitive(f, "sd");
        const cJSON *mi = cJSON_GetObjectItemCaseSensitive(f, "missing_indicator");
        if (!cJSON_IsString(nm) || !cJSON_IsNumber(mu) || !isfinite(mu->valuedouble) ||
            !cJSON_IsNumber(sd) || !(sd->valuedouble > 0) || !isfinite(sd->valuedouble) ||
            !cJSON_IsBool(mi)) {
            fc_error("%s: inputs[%zu]: expected {feature, mean, sd > 0, missing_indicator}",
                     path, j);
            goto out;
        }
        m->names[j] = xstrdup(nm->valuestring);
        m->mean[j] = mu->valuedouble;
        m->sd[j] = sd->valuedouble;
        m->ind[j] = cJSON_IsTrue(mi);
        m->n_inputs += m->ind[j];
        j++;
    }
    if ((size_t)cJSON_GetArraySize(w) != m->n_inputs + 1) {
        fc_error("%s: weights: expected %zu (one per input and the bias)", path, m->n_inputs + 1);
        goto out;
    }
    m->w = xmalloc((m->n_inputs + 1) * sizeof *m->w);
    if (fc_json_doubles(w, m->n_inputs + 1, m->w)) {
        fc_error("%s: weights: expected %zu finite numbers", path, m->n_inputs + 1);
        goto out;
    }
    ok = 1;
out:
    cJSON_Delete(root);
    free(path);
    if (!ok) {
        lin_free(m);
        return NULL;
    }
    return m;
}

static void lin_version(char *buf, size_t n) { snprintf(buf, n, "liblinear %d", LIBLINEAR_VERSION); }

const struct fc_model_ops fc_model_linear = {
    .name = "linear",
    .family = "linear",
    .summary = "linear support vector regression (LIBLINEAR), point forecast",
    .details =
        "L2-regularised linear support vector regression with LIBLINEAR 2.3: solver "
        "l2loss_svr (squared epsilon-insensitive loss, primal Newton; LIBLINEAR -s 11) or "
        "l1loss_svr (epsilon-insensitive loss, dual coordinate descent; -s 13), with C, "
        "epsilon (in the target's units) and tol. Each feature is standardised with its "
        "training mean and population sd; a missing value becomes the mean, and a "
        "feature with missing training values gets a 0/1 missing-indicator input. A bias "
        "input of 1 is appended and regularised like the rest (scikit-learn's LinearSVR "
        "with intercept_scaling 1). Fitted on the whole history before the split; no row "
        "weights (LIBLINEAR 2.3 has none) and no categorical features. Saved as "
        "linear.json (the scaler and the weights); prediction is their dot product.",
    .params = linear_params,
    .n_params = sizeof linear_params / sizeof linear_params[0],
    .flags = FC_MODEL_POINT | FC_MODEL_FITS_VALIDATION | FC_MODEL_NUMBERS_ONLY,
    .create = lin_create,
    .fit = lin_fit,
    .predict = lin_predict,
    .save = lin_save,
    .load = lin_load,
    .free = lin_free,
    .version = lin_version,
};

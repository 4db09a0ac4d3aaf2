/*
 * space.c — the search space of `forecast tune` (space.h): default ranges
 * from the plugins' parameter specs, tune.space over them, every mistake
 * named by its path.
 */
#include "forecast/tune/space.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/util.h"

static void dim_free(struct fc_dim *d)
{
    for (size_t i = 0; i < d->n_choices; i++)
        cJSON_Delete(d->choices[i]);
    free(d->choices);
    free(d->path);
    memset(d, 0, sizeof *d);
}

void fc_space_free(struct fc_space *sp)
{
    for (size_t i = 0; i < sp->n; i++)
        dim_free(&sp->dims[i]);
    free(sp->dims);
    memset(sp, 0, sizeof *sp);
}

/* every choice of a BOOL / ENUM parameter */
static void all_choices(struct fc_dim *d, const struct fc_param_spec *s)
{
    d->kind = FC_DIM_CHOICE;
    if (s->type == FC_PARAM_BOOL) {
        d->choices = xcalloc(2, sizeof *d->choices);
        d->choices[0] = cJSON_CreateFalse();
        d->choices[1] = cJSON_CreateTrue();
        d->n_choices = 2;
        return;
    }
    while (s->choices[d->n_choices])
        d->n_choices++;
    d->choices = xcalloc(d->n_choices, sizeof *d->choices);
    for (size_t i = 0; i < d->n_choices; i++)
        d->choices[i] = cJSON_CreateString(s->choices[i]);
}

static void default_dim(struct fc_dim *d, const char *model, const struct fc_param_spec *s)
{
    memset(d, 0, sizeof *d);
    d->path = fc_xasprintf("models.%s.%s", model, s->name);
    d->spec = s;
    if (s->type == FC_PARAM_BOOL || s->type == FC_PARAM_ENUM) {
        all_choices(d, s);
        return;
    }
    d->kind = s->type == FC_PARAM_INT ? FC_DIM_INT : FC_DIM_FLOAT;
    d->lo = s->search.lo;
    d->hi = s->search.hi;
    d->log = s->search.log;
}

cJSON *fc_space_default_json(const struct fc_param_spec *s)
{
    if (!s->search.on || s->type == FC_PARAM_MODELS)
        return NULL;
    struct fc_dim d;
    default_dim(&d, "", s);
    struct fc_space one = {&d, 1};
    cJSON *all = fc_space_to_json(&one);
    cJSON *j = cJSON_DetachItemFromObjectCaseSensitive(all, d.path);
    cJSON_Delete(all);
    dim_free(&d);
    return j;
}

cJSON *fc_space_to_json(const struct fc_space *sp)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < sp->n; i++) {
        const struct fc_dim *d = &sp->dims[i];
        cJSON *j = cJSON_CreateObject();
        if (d->kind == FC_DIM_CHOICE) {
            cJSON *a = cJSON_AddArrayToObject(j, "choice");
            for (size_t k = 0; k < d->n_choices; k++)
                cJSON_AddItemToArray(a, cJSON_Duplicate(d->choices[k], 1));
        } else {
            double b[2] = {d->lo, d->hi};
            cJSON_AddItemToObject(j, d->kind == FC_DIM_INT ? "int" : "float",
                                  cJSON_CreateDoubleArray(b, 2));
            if (d->log)
                cJSON_AddBoolToObject(j, "log", 1);
        }
        cJSON_AddItemToObject(o, d->path, j);
    }
    return o;
}

/* ---- tune.space ---- */

struct where {
    fc_space_origin_fn *origin;
    const void *arg;
};

static int bad_dim(const struct where *w, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad_dim(const struct where *w, const char *key, const char *fmt, ...)
{
    char *path = fc_xasprintf("tune.space.%s", key);
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fc_error("%s: tune.space[\"%s\"]: %s", w->origin(path, w->arg), key, msg);
    free(path);
    return -1;
}

/* a value the parameter accepts (its type and range) */
static int param_accepts(const struct fc_param_spec *s, const cJSON *v)
{
    switch (s->type) {
    case FC_PARAM_BOOL:
        return cJSON_IsBool(v);
    case FC_PARAM_ENUM:
        if (!cJSON_IsString(v))
            return 0;
        for (size_t i = 0; s->choices[i]; i++)
            if (strcmp(s->choices[i], v->valuestring) == 0)
                return 1;
        return 0;
    case FC_PARAM_INT:
    case FC_PARAM_DOUBLE: {
        if (!cJSON_IsNumber(v))
            return 0;
        double x = v->valuedouble;
        if (s->type == FC_PARAM_INT && x != floor(x))
            return 0;
        return (s->min_open ? x > s->min : x >= s->min) &&
               (s->max_open ? x < s->max : x <= s->max);
    }
    default:
        return 0;
    }
}

static void expected_value(const struct fc_param_spec *s, char *buf, size_t n)
{
    if (s->type == FC_PARAM_BOOL) {
        snprintf(buf, n, "true or false");
    } else if (s->type == FC_PARAM_ENUM) {
        size_t l = (size_t)snprintf(buf, n, "one of");
        for (size_t i = 0; s->choices[i] && l < n; i++)
            l += (size_t)snprintf(buf + l, n - l, "%s \"%s\"", i ? "," : "", s->choices[i]);
    } else {
        char r[96];
        fc_param_range(s, r, sizeof r);
        snprintf(buf, n, "%s in %s", s->type == FC_PARAM_INT ? "an integer" : "a number", r);
    }
}

/* the parameter a path names, among the model and its members */
/* the model of a path "models.<model>.<param>" among ops (NULL: none), and
 * where its parameter name starts */
static const struct fc_model_ops *path_model(const char *key,
                                             const struct fc_model_ops *const *ops,
                                             size_t n_ops, const char **param)
{
    const char *m = key + 7, *dot = strncmp(key, "models.", 7) == 0 ? strchr(m, '.') : NULL;
    for (size_t i = 0; dot && i < n_ops; i++)
        if (strlen(ops[i]->name) == (size_t)(dot - m) &&
            strncmp(ops[i]->name, m, (size_t)(dot - m)) == 0) {
            *param = dot + 1;
            return ops[i];
        }
    return NULL;
}

/* the parameter a path names, among the model and its members */
static const struct fc_param_spec *find_param(const char *key,
                                              const struct fc_model_ops *const *ops, size_t n_ops)
{
    const char *name;
    const struct fc_model_ops *m = path_model(key, ops, n_ops, &name);
    for (size_t k = 0; m && k < m->n_params; k++)
        if (strcmp(m->params[k].name, name) == 0)
            return &m->params[k];
    return NULL;
}

/* an unknown path: the nearest parameter of its model, else the nearest path */
static int unknown_path(const struct where *w, const char *key,
                        const struct fc_model_ops *const *ops, size_t n_ops)
{
    const char *names[512], *name;
    char *paths[512], *near = NULL;
    size_t n = 0, n_paths = 0;
    const struct fc_model_ops *m = path_model(key, ops, n_ops, &name);
    if (m) {
        for (size_t k = 0; k < m->n_params && n < 512; k++)
            names[n++] = m->params[k].name;
        const char *s = fc_suggest(name, names, n);
        near = s ? fc_xasprintf("models.%s.%s", m->name, s) : NULL;
    } else {
        for (size_t i = 0; i < n_ops; i++)
            for (size_t k = 0; k < ops[i]->n_params && n_paths < 512; k++, n_paths++) {
                paths[n_paths] =
                    fc_xasprintf("models.%s.%s", ops[i]->name, ops[i]->params[k].name);
                names[n_paths] = paths[n_paths];
            }
        const char *s = fc_suggest(key, names, n_paths);
        near = s ? xstrdup(s) : NULL;
    }
    int rc = near ? bad_dim(w, key, "unknown path; did you mean \"%s\"? (a parameter of %s: "
                                    "models.%s.<name>, forecast describe %s lists them)",
                            near, ops[0]->name, ops[0]->name, ops[0]->name)
                  : bad_dim(w, key, "unknown path; expected models.%s.<name>, a parameter of %s "
                                    "(forecast describe %s lists them)",
                            ops[0]->name, ops[0]->name, ops[0]->name);
    free(near);
    for (size_t i = 0; i < n_paths; i++)
        free(paths[i]);
    return rc;
}

/* {"int": [lo, hi]} / {"float": [lo, hi], "log": true} / {"choice": [...]} */
static int parse_dim(const struct where *w, const char *key, const cJSON *v,
                     const struct fc_param_spec *s, struct fc_dim *d)
{
    static const char *const kinds[] = {"int", "float", "choice"};
    memset(d, 0, sizeof *d);
    if (!cJSON_IsObject(v))
        return bad_dim(w, key, "expected an object: {\"int\": [low, high]}, {\"float\": [low, "
                               "high], \"log\": true} or {\"choice\": [...]} (null: not "
                               "searched)");
    const cJSON *kind = NULL, *logv = NULL, *it;
    int k_kind = -1;
    cJSON_ArrayForEach(it, v)
    {
        int k = -1;
        for (int i = 0; i < 3; i++)
            if (strcmp(it->string, kinds[i]) == 0)
                k = i;
        if (k >= 0 && kind)
            return bad_dim(w, key, "both \"%s\" and \"%s\": expected one of int, float, choice",
                           kinds[k_kind], kinds[k]);
        if (k >= 0) {
            kind = it;
            k_kind = k;
        } else if (strcmp(it->string, "log") == 0) {
            logv = it;
        } else {
            return bad_dim(w, key, "unknown key \"%s\" (expected int, float or choice, and "
                                   "log)",
                           it->string);
        }
    }
    if (!kind)
        return bad_dim(w, key, "expected one of \"int\", \"float\", \"choice\"");
    if (logv && !cJSON_IsBool(logv))
        return bad_dim(w, key, "log: expected true or false");
    d->path = xstrdup(key);
    d->spec = s;
    d->log = cJSON_IsTrue(logv);
    char exp[512];
    expected_value(s, exp, sizeof exp);
    if (k_kind == 2) {
        if (d->log)
            return bad_dim(w, key, "log applies to int and float ranges, not to a choice");
        if (s->type == FC_PARAM_MODELS)
            return bad_dim(w, key, "a list of models is not searched");
        if (!cJSON_IsArray(kind) || cJSON_GetArraySize(kind) == 0)
            return bad_dim(w, key, "choice: expected a non-empty array of values");
        d->kind = FC_DIM_CHOICE;
        d->n_choices = (size_t)cJSON_GetArraySize(kind);
        d->choices = xcalloc(d->n_choices, sizeof *d->choices);
        size_t i = 0;
        cJSON_ArrayForEach(it, kind)
        {
            d->choices[i++] = cJSON_Duplicate(it, 1);
            if (!param_accepts(s, it)) {
                char *t = cJSON_PrintUnformatted(it);
                int rc = bad_dim(w, key, "choice %s: expected %s", t, exp);
                free(t);
                return rc;
            }
        }
        return 0;
    }
    d->kind = k_kind == 0 ? FC_DIM_INT : FC_DIM_FLOAT;
    if (s->type != (k_kind == 0 ? FC_PARAM_INT : FC_PARAM_DOUBLE))
        return bad_dim(w, key, "a%s range, but %s is %s",
                       k_kind == 0 ? "n int" : " float", s->name,
                       s->type == FC_PARAM_INT      ? "an integer: give {\"int\": [low, high]}"
                       : s->type == FC_PARAM_DOUBLE ? "a number: give {\"float\": [low, high]}"
                                                    : "not numeric: give {\"choice\": [...]}");
    if (!cJSON_IsArray(kind) || cJSON_GetArraySize(kind) != 2 ||
        !cJSON_IsNumber(cJSON_GetArrayItem(kind, 0)) ||
        !cJSON_IsNumber(cJSON_GetArrayItem(kind, 1)))
        return bad_dim(w, key, "%s: expected [low, high], two numbers", kinds[k_kind]);
    d->lo = cJSON_GetArrayItem(kind, 0)->valuedouble;
    d->hi = cJSON_GetArrayItem(kind, 1)->valuedouble;
    if (d->kind == FC_DIM_INT && (d->lo != floor(d->lo) || d->hi != floor(d->hi)))
        return bad_dim(w, key, "int: expected integer bounds, got [%.10g, %.10g]", d->lo,
                       d->hi);
    if (d->lo > d->hi)
        return bad_dim(w, key, "an empty range [%.10g, %.10g]: expected low <= high", d->lo,
                       d->hi);
    if (d->log && d->lo <= 0)
        return bad_dim(w, key, "log with a bound <= 0 ([%.10g, %.10g]): expected low > 0",
                       d->lo, d->hi);
    for (int b = 0; b < 2; b++) {
        cJSON *num = cJSON_CreateNumber(b ? d->hi : d->lo);
        int ok = param_accepts(s, num);
        cJSON_Delete(num);
        if (!ok)
            return bad_dim(w, key, "%s bound %.10g: expected %s", b ? "high" : "low",
                           b ? d->hi : d->lo, exp);
    }
    return 0;
}

int fc_space_build(struct fc_space *sp, const struct fc_model_ops *ops,
                   const struct fc_model_ops *const *member_ops, size_t n_members,
                   const cJSON *tune_space, fc_space_origin_fn *origin, const void *origin_arg)
{
    memset(sp, 0, sizeof *sp);
    const struct fc_model_ops *all[65];
    size_t n_ops = 0;
    all[n_ops++] = ops;
    for (size_t i = 0; i < n_members && n_ops < 65; i++)
        all[n_ops++] = member_ops[i];
    size_t cap = 0;
    for (size_t i = 0; i < n_ops; i++)
        cap += all[i]->n_params;
    sp->dims = xcalloc(cap ? cap : 1, sizeof *sp->dims);
    for (size_t i = 0; i < n_ops; i++)
        for (size_t k = 0; k < all[i]->n_params; k++)
            if (all[i]->params[k].search.on && all[i]->params[k].type != FC_PARAM_MODELS)
                default_dim(&sp->dims[sp->n++], all[i]->name, &all[i]->params[k]);
    struct where w = {origin, origin_arg};
    const cJSON *it;
    cJSON_ArrayForEach(it, tune_space)
    {
        const struct fc_param_spec *s = find_param(it->string, all, n_ops);
        if (!s) {
            unknown_path(&w, it->string, all, n_ops);
            goto fail;
        }
        size_t k;
        for (k = 0; k < sp->n && strcmp(sp->dims[k].path, it->string) != 0; k++)
            ;
        if (cJSON_IsNull(it)) { /* not searched */
            if (k < sp->n) {
                dim_free(&sp->dims[k]);
                memmove(&sp->dims[k], &sp->dims[k + 1], (sp->n - k - 1) * sizeof *sp->dims);
                sp->n--;
            }
            continue;
        }
        struct fc_dim d;
        if (parse_dim(&w, it->string, it, s, &d)) {
            dim_free(&d);
            goto fail;
        }
        if (k < sp->n)
            dim_free(&sp->dims[k]);
        else
            sp->n++;
        sp->dims[k] = d;
    }
    if (sp->n == 0) {
        fc_error("%s: tune.space: nothing to search: %s has no default search range (forecast "
                 "describe %s); give tune.space, e.g. {\"models.%s.<name>\": {\"float\": [low, "
                 "high]}}",
                 origin("tune.space", origin_arg), ops->name, ops->name, ops->name);
        goto fail;
    }
    return 0;
fail:
    fc_space_free(sp);
    return -1;
}

/* ---- points ---- */

cJSON *fc_space_value(const struct fc_dim *d, double x)
{
    if (d->kind == FC_DIM_CHOICE)
        return cJSON_Duplicate(d->choices[(size_t)x], 1);
    return cJSON_CreateNumber(x);
}

void fc_space_apply(const struct fc_space *sp, const double *x, cJSON *models)
{
    for (size_t i = 0; i < sp->n; i++) {
        const char *m = sp->dims[i].path + 7, *dot = strrchr(m, '.');
        char *name = fc_xasprintf("%.*s", (int)(dot - m), m);
        cJSON *mo = cJSON_GetObjectItemCaseSensitive(models, name);
        if (!cJSON_IsObject(mo)) {
            cJSON_DeleteItemFromObjectCaseSensitive(models, name);
            mo = cJSON_AddObjectToObject(models, name);
        }
        cJSON *v = fc_space_value(&sp->dims[i], x[i]);
        if (cJSON_GetObjectItemCaseSensitive(mo, dot + 1))
            cJSON_ReplaceItemInObjectCaseSensitive(mo, dot + 1, v);
        else
            cJSON_AddItemToObject(mo, dot + 1, v);
        free(name);
    }
}

void fc_space_format(const struct fc_dim *d, double x, int exact, char *buf, size_t n)
{
    if (d->kind == FC_DIM_CHOICE) {
        const cJSON *c = d->choices[(size_t)x];
        if (cJSON_IsString(c)) {
            snprintf(buf, n, "%s", c->valuestring);
        } else {
            char *t = cJSON_PrintUnformatted(c);
            snprintf(buf, n, "%s", t);
            free(t);
        }
    } else if (d->kind == FC_DIM_INT) {
        snprintf(buf, n, "%.0f", x);
    } else if (!exact) {
        snprintf(buf, n, "%.6g", x);
    } else {
        fc_format_exact(x, buf, n);
    }
}

size_t fc_space_grid_size(const struct fc_space *sp, size_t max)
{
    size_t total = 1;
    for (size_t i = 0; i < sp->n; i++) {
        const struct fc_dim *d = &sp->dims[i];
        if (d->kind == FC_DIM_FLOAT)
            return 0;
        size_t k = d->kind == FC_DIM_CHOICE ? d->n_choices : (size_t)(d->hi - d->lo) + 1;
        if (k > max / total)
            return 0;
        total *= k;
    }
    return total;
}

void fc_space_grid_point(const struct fc_space *sp, size_t k, double *x)
{
    /* the last dimension varies fastest */
    for (size_t i = sp->n; i-- > 0;) {
        const struct fc_dim *d = &sp->dims[i];
        size_t m = d->kind == FC_DIM_CHOICE ? d->n_choices : (size_t)(d->hi - d->lo) + 1;
        x[i] = d->kind == FC_DIM_CHOICE ? (double)(k % m) : d->lo + (double)(k % m);
        k /= m;
    }
}

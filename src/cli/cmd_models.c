/*
 * cmd_models.c — `forecast list-models` and `forecast describe MODEL`: what
 * the registry holds, and every hyperparameter of one model with its type,
 * default, range and meaning.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/cli/cli.h"
#include "forecast/core/config.h"
#include "forecast/core/registry.h"
#include "forecast/core/util.h"
#include "forecast/tune/space.h"

static const char *outputs(const struct fc_model_ops *m)
{
    unsigned f = m->flags & (FC_MODEL_POINT | FC_MODEL_QUANTILE);
    return f == (FC_MODEL_POINT | FC_MODEL_QUANTILE) ? "point+quantiles"
           : f == FC_MODEL_QUANTILE                  ? "quantiles"
                                                     : "point";
}

static int imax(int a, int b) { return a > b ? a : b; }

static const char *type_name(enum fc_param_type t)
{
    switch (t) {
    case FC_PARAM_INT: return "integer";
    case FC_PARAM_DOUBLE: return "number";
    case FC_PARAM_BOOL: return "boolean";
    case FC_PARAM_ENUM: return "string";
    case FC_PARAM_MODELS: return "models";
    }
    return "?";
}

static void range_text(const struct fc_param_spec *s, char *buf, size_t n)
{
    if (s->type == FC_PARAM_MODELS) {
        snprintf(buf, n, "list of model names");
    } else if (s->type == FC_PARAM_BOOL) {
        snprintf(buf, n, "true|false");
    } else if (s->type == FC_PARAM_ENUM) {
        buf[0] = '\0';
        for (size_t i = 0; s->choices[i]; i++) {
            size_t l = strlen(buf);
            snprintf(buf + l, n - l, "%s%s", i ? "|" : "", s->choices[i]);
        }
    } else {
        fc_param_range(s, buf, n);
    }
}

static void default_text(const struct fc_param_spec *s, char *buf, size_t n)
{
    if (s->type == FC_PARAM_ENUM || s->type == FC_PARAM_MODELS)
        snprintf(buf, n, "%s", s->def_str);
    else if (s->type == FC_PARAM_BOOL)
        snprintf(buf, n, "%s", s->def ? "true" : "false");
    else
        snprintf(buf, n, "%.10g", s->def);
}

/* ---- list-models ---- */

static const struct fc_opt list_opts[] = {
    {"json", NULL, "print a JSON array instead of a table"},
};

static int cmd_list_models(int argc, char **argv)
{
    struct fc_args a;
    int done;
    int rc = fc_cmd_parse(&fc_cmd_list_models, argc, argv, &a, &done);
    if (rc || done)
        return rc;
    int json = 0;
    for (size_t i = 0; i < a.n; i++) {
        if (!a.items[i].opt) {
            fc_error("list-models: unexpected argument '%s'", a.items[i].value);
            fc_args_free(&a);
            return FC_EXIT_USAGE;
        }
        json = 1;
    }
    fc_args_free(&a);
    if (json) {
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; fc_models[i]; i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", fc_models[i]->name);
            cJSON_AddStringToObject(o, "family", fc_models[i]->family);
            cJSON_AddStringToObject(o, "outputs", outputs(fc_models[i]));
            cJSON_AddStringToObject(o, "summary", fc_models[i]->summary);
            cJSON_AddItemToArray(arr, o);
        }
        char *s = cJSON_Print(arr);
        puts(s);
        free(s);
        cJSON_Delete(arr);
        return FC_EXIT_OK;
    }
    printf("%-18s %-9s %-16s %s\n", "NAME", "FAMILY", "OUTPUTS", "SUMMARY");
    for (size_t i = 0; fc_models[i]; i++)
        printf("%-18s %-9s %-16s %s\n", fc_models[i]->name, fc_models[i]->family,
               outputs(fc_models[i]), fc_models[i]->summary);
    return FC_EXIT_OK;
}

const struct fc_cmd fc_cmd_list_models = {
    .name = "list-models",
    .fn = cmd_list_models,
    .summary = "list the model plugins compiled into this binary",
    .synopsis = "forecast list-models [--json]",
    .description = "One line per model: name, family, outputs (point and/or quantiles) and a\n"
                   "summary. 'forecast describe MODEL' shows its hyperparameters.",
    .opts = list_opts,
    .n_opts = sizeof list_opts / sizeof list_opts[0],
};

/* ---- describe ---- */

static const struct fc_opt describe_opts[] = {
    {"json", NULL, "print the model and its hyperparameters (type, default, range, meaning) as JSON"},
};

/* describe --json: the model, and each hyperparameter with its type,
 * default, range and meaning; "defaults" is what config/models/<name>.json
 * holds */
static int describe_json(const struct fc_model_ops *m)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", m->name);
    cJSON_AddStringToObject(o, "family", m->family);
    cJSON_AddStringToObject(o, "outputs", outputs(m));
    cJSON_AddStringToObject(o, "summary", m->summary);
    cJSON_AddStringToObject(o, "details", m->details);
    char *path = fc_xasprintf("models.%s", m->name);
    cJSON_AddStringToObject(o, "config_path", path);
    free(path);
    cJSON *params = cJSON_AddArrayToObject(o, "parameters");
    for (size_t i = 0; i < m->n_params; i++) {
        const struct fc_param_spec *ps = &m->params[i];
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "name", ps->name);
        cJSON_AddStringToObject(p, "type", type_name(ps->type));
        if (ps->type == FC_PARAM_ENUM) {
            cJSON_AddStringToObject(p, "default", ps->def_str);
            cJSON *c = cJSON_AddArrayToObject(p, "choices");
            for (size_t k = 0; ps->choices[k]; k++)
                cJSON_AddItemToArray(c, cJSON_CreateString(ps->choices[k]));
        } else if (ps->type == FC_PARAM_MODELS) {
            cJSON *d = cJSON_AddArrayToObject(p, "default");
            char *copy = xstrdup(ps->def_str), *save = NULL;
            for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
                cJSON_AddItemToArray(d, cJSON_CreateString(t));
            free(copy);
        } else if (ps->type == FC_PARAM_BOOL) {
            cJSON_AddBoolToObject(p, "default", ps->def != 0);
        } else {
            cJSON_AddNumberToObject(p, "default", ps->def);
            /* an infinite bound is no bound: JSON has no infinity */
            if (isfinite(ps->min)) {
                cJSON_AddNumberToObject(p, "min", ps->min);
                cJSON_AddBoolToObject(p, "min_exclusive", ps->min_open != 0);
            }
            if (isfinite(ps->max)) {
                cJSON_AddNumberToObject(p, "max", ps->max);
                cJSON_AddBoolToObject(p, "max_exclusive", ps->max_open != 0);
            }
        }
        char range[256];
        range_text(ps, range, sizeof range);
        cJSON_AddStringToObject(p, "range", range);
        cJSON_AddStringToObject(p, "doc", ps->doc);
        cJSON *search = fc_space_default_json(ps);
        if (search) /* tune's default range, in tune.space syntax */
            cJSON_AddItemToObject(p, "search", search);
        cJSON_AddItemToArray(params, p);
    }
    char *defaults = fc_config_model_defaults_json(m);
    cJSON_AddItemToObject(o, "defaults", cJSON_Parse(defaults));
    free(defaults);
    char *s = cJSON_Print(o);
    puts(s);
    free(s);
    cJSON_Delete(o);
    return FC_EXIT_OK;
}

/* tune's default ranges, in tune.space syntax */
static void search_ranges(const struct fc_model_ops *m)
{
    int any = 0;
    for (size_t i = 0; i < m->n_params; i++) {
        cJSON *j = fc_space_default_json(&m->params[i]);
        if (!j)
            continue;
        if (!any)
            printf("\ndefault search ranges of forecast tune (tune.space in the config "
                   "overrides or adds,\nkeyed models.%s.<name>; null leaves one out):\n\n",
                   m->name);
        any = 1;
        char *t = cJSON_PrintUnformatted(j);
        printf("  %-22s %s\n", m->params[i].name, t);
        free(t);
        cJSON_Delete(j);
    }
    if (!any)
        printf("\nno default search ranges: forecast tune needs tune.space for %s\n", m->name);
}

static int cmd_describe(int argc, char **argv)
{
    struct fc_args a;
    int done;
    int rc = fc_cmd_parse(&fc_cmd_describe, argc, argv, &a, &done);
    if (rc || done)
        return rc;
    const char *name = NULL;
    int json = 0;
    for (size_t i = 0; i < a.n; i++) {
        if (a.items[i].opt) {
            json = 1;
        } else if (name) {
            fc_error("describe: expected one model name, got '%s' and '%s'", name,
                     a.items[i].value);
            fc_args_free(&a);
            return FC_EXIT_USAGE;
        } else {
            name = a.items[i].value;
        }
    }
    if (!name) {
        fc_args_free(&a);
        fc_error("describe: which model? (forecast list-models shows them)");
        return FC_EXIT_USAGE;
    }
    const struct fc_model_ops *m = fc_registry_find(name);
    if (!m) {
        fc_registry_unknown("describe", name);
        fc_args_free(&a);
        return FC_EXIT_USAGE;
    }
    fc_args_free(&a);
    if (json)
        return describe_json(m);
    printf("%s — %s\n\nfamily: %s\noutputs: %s\n\n", m->name, m->summary, m->family,
           outputs(m));
    /* wrap the details paragraph at 78 columns */
    const char *p = m->details;
    while (*p) {
        size_t len = strlen(p);
        size_t cut = len;
        if (len > 78) {
            cut = 78;
            while (cut > 0 && p[cut] != ' ')
                cut--;
            if (cut == 0)
                cut = 78;
        }
        printf("%.*s\n", (int)cut, p);
        p += cut;
        while (*p == ' ')
            p++;
    }
    printf("\nhyperparameters (config: models.%s.<name>; defaults in config/models/%s.json):\n\n",
           m->name, m->name);
    /* columns as wide as their widest cell; a long list of choices goes
     * into the meaning instead of stretching the range column */
    enum { RANGE_MAX = 18 };
    int wn = 4, wt = 4, wd = 7, wr = 5;
    for (size_t i = 0; i < m->n_params; i++) {
        char range[256], def[64];
        range_text(&m->params[i], range, sizeof range);
        default_text(&m->params[i], def, sizeof def);
        int lr = (int)strlen(range);
        wn = imax(wn, (int)strlen(m->params[i].name));
        wt = imax(wt, (int)strlen(type_name(m->params[i].type)));
        wd = imax(wd, (int)strlen(def));
        wr = imax(wr, lr > RANGE_MAX && m->params[i].type == FC_PARAM_ENUM ? 6 : lr);
    }
    printf("  %-*s  %-*s  %-*s  %-*s  %s\n", wn, "NAME", wt, "TYPE", wd, "DEFAULT", wr, "RANGE",
           "MEANING");
    for (size_t i = 0; i < m->n_params; i++) {
        const struct fc_param_spec *ps = &m->params[i];
        char range[256], def[64];
        range_text(ps, range, sizeof range);
        default_text(ps, def, sizeof def);
        int long_range = ps->type == FC_PARAM_ENUM && strlen(range) > RANGE_MAX;
        printf("  %-*s  %-*s  %-*s  %-*s  %s", wn, ps->name, wt, type_name(ps->type), wd, def,
               wr, long_range ? "listed" : range, ps->doc);
        if (long_range) {
            printf(" (one of: ");
            for (size_t c = 0; ps->choices[c]; c++)
                printf("%s%s", c ? ", " : "", ps->choices[c]);
            printf(")");
        }
        printf("\n");
    }
    search_ranges(m);
    return FC_EXIT_OK;
}

const struct fc_cmd fc_cmd_describe = {
    .name = "describe",
    .fn = cmd_describe,
    .summary = "show a model's description and every hyperparameter",
    .synopsis = "forecast describe MODEL [--json]",
    .description = "Prints what MODEL does and each hyperparameter with its type, default,\n"
                   "valid range and meaning. Set them in a config file under\n"
                   "models.MODEL, or with --set models.MODEL.NAME=VALUE.",
    .opts = describe_opts,
    .n_opts = sizeof describe_opts / sizeof describe_opts[0],
};

/*
 * config.c — defaults, JSON config file, command-line overrides and strict
 * validation (unknown keys, wrong types, out-of-range values, duplicate keys),
 * each error naming where the value came from and its JSON path.
 */
#include "forecast/core/config.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forecast/core/registry.h"
#include "forecast/core/util.h"

/* ---- built-in defaults (the first layer) ---- */

static const char default_config[] =
    "{"
    "\"data\": {"
    "  \"path\": null, \"target_path\": null, \"join_key\": null,"
    "  \"series_columns\": [\"product_id\", \"store_id\"],"
    "  \"date_column\": \"date\", \"target_column\": \"sales\","
    "  \"weight_column\": null, \"features\": [], \"ignore\": [],"
    "  \"missing_target\": \"error\", \"cache\": true, \"cache_dir\": null,"
    "  \"freq\": \"auto\" },"
    "\"features\": { \"lags\": [], \"rolling\": [], \"expanding\": [], \"calendar\": [],"
    "  \"categorical\": [] },"
    "\"target_transform\": \"none\", \"nonnegative\": \"auto\","
    "\"horizon\": null, \"multi_step\": \"recursive\","
    "\"split\": { \"split_date\": null, \"test_end\": null, \"val_days\": null,"
    "  \"val_periods\": 28,"
    "  \"val_date\": null, \"min_train_rows\": 2, \"windows\": null, \"step\": null,"
    "  \"refit\": true },"
    "\"series\": [],"
    "\"model\": \"statquant\","
    "\"strategy\": \"combined\","
    "\"quantiles\": [0.1, 0.5, 0.9],"
    "\"seed\": 42,"
    "\"jobs\": 0,"
    "\"output\": { \"dir\": \"runs\", \"name\": null },"
    "\"report\": { \"plot_series\": [] },"
    "\"models\": {}"
    "}";

#define DEFAULT_CONFIG_FILE "config/default.json"

const char *fc_strategy_name(enum fc_strategy s)
{
    return s == FC_COMBINED ? "combined" : "individual";
}

/* ---- validation context: where a value came from ---- */

struct vctx {
    const char *source;
    const struct fc_override *ov;
    size_t n_ov;
    int no_split; /* the command splits nothing (inspect): no split date needed */
};

static int path_has_prefix(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '.' ||
                                             path[n] == '[');
}

static const char *origin(const struct vctx *v, const char *path)
{
    for (size_t i = v->n_ov; i-- > 0;)
        if (path_has_prefix(path, v->ov[i].path))
            return v->ov[i].flag;
    return v->source;
}

static char *show(const cJSON *got)
{
    if (!got)
        return xstrdup("nothing");
    char *s = cJSON_PrintUnformatted(got);
    if (!s)
        return xstrdup("?");
    if (strlen(s) > 60)
        strcpy(s + 56, "...");
    return s;
}

static int bad(const struct vctx *v, const char *path, const char *expected,
               const cJSON *got)
{
    char *g = show(got);
    fc_error("%s: %s: expected %s, got %s", origin(v, path), path, expected, g);
    free(g);
    return -1;
}

static char *join_path(const char *parent, const char *key)
{
    return *parent ? fc_xasprintf("%s.%s", parent, key) : xstrdup(key);
}

/* Unknown keys are errors, with the nearest allowed key suggested. */
/* the position of s in a NULL-terminated list of names, or -1 */
static long index_of(const char *const *names, const char *s)
{
    for (long i = 0; names[i]; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

static int check_keys(const struct vctx *v, const cJSON *obj, const char *path,
                      const char *const *allowed, size_t n_allowed)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, obj)
    {
        size_t i;
        for (i = 0; i < n_allowed; i++)
            if (strcmp(it->string, allowed[i]) == 0)
                break;
        if (i < n_allowed)
            continue;
        char *p = join_path(path, it->string);
        const char *s = fc_suggest(it->string, allowed, n_allowed);
        if (s)
            fc_error("%s: %s: unknown key; did you mean \"%s\"?", origin(v, p), p, s);
        else
            fc_error("%s: %s: unknown key", origin(v, p), p);
        free(p);
        return -1;
    }
    return 0;
}

/* Duplicate keys: cJSON keeps both silently; we refuse them. */
static int check_duplicates(const char *source, const cJSON *node, const char *path)
{
    const cJSON *a;
    int idx = 0;
    cJSON_ArrayForEach(a, node)
    {
        char *p;
        if (cJSON_IsObject(node)) {
            for (const cJSON *b = node->child; b != a; b = b->next)
                if (strcmp(a->string, b->string) == 0) {
                    p = join_path(path, a->string);
                    fc_error("%s: %s: duplicate key", source, p);
                    free(p);
                    return -1;
                }
            p = join_path(path, a->string);
        } else {
            p = fc_xasprintf("%s[%d]", path, idx);
        }
        idx++;
        int rc = check_duplicates(source, a, p);
        free(p);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- typed getters: each returns 0 or -1 after a message ---- */

static int get_string(const struct vctx *v, const cJSON *obj, const char *parent,
                      const char *key, int nullable, char **out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    char *p = join_path(parent, key);
    int rc = 0;
    *out = NULL;
    if ((!it || cJSON_IsNull(it)) && nullable)
        goto out;
    if (!cJSON_IsString(it) || !it->valuestring[0]) {
        rc = bad(v, p, nullable ? "a non-empty string or null" : "a non-empty string", it);
        goto out;
    }
    *out = xstrdup(it->valuestring);
out:
    free(p);
    return rc;
}

static int get_int(const struct vctx *v, const cJSON *obj, const char *parent,
                   const char *key, long lo, long hi, long *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    char *p = join_path(parent, key);
    char expected[96];
    if (hi == LONG_MAX)
        snprintf(expected, sizeof expected, "an integer >= %ld", lo);
    else
        snprintf(expected, sizeof expected, "an integer in [%ld, %ld]", lo, hi);
    int rc = 0;
    if (!cJSON_IsNumber(it) || it->valuedouble != floor(it->valuedouble) ||
        it->valuedouble < (double)lo || it->valuedouble > (double)hi)
        rc = bad(v, p, expected, it);
    else
        *out = (long)it->valuedouble;
    free(p);
    return rc;
}

static int get_date(const struct vctx *v, const cJSON *obj, const char *parent,
                    const char *key, int nullable, int *has, int32_t *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    char *p = join_path(parent, key);
    int rc = 0;
    *has = 0;
    if ((!it || cJSON_IsNull(it)) && nullable)
        goto out;
    if (!cJSON_IsString(it) || fc_parse_date(it->valuestring, out) != 0) {
        rc = bad(v, p, nullable ? "a date YYYY-MM-DD or null" : "a date YYYY-MM-DD", it);
        goto out;
    }
    *has = 1;
out:
    free(p);
    return rc;
}

static int get_string_list(const struct vctx *v, const cJSON *obj, const char *parent,
                           const char *key, size_t min_items, char ***out, size_t *n)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    char *p = join_path(parent, key);
    int rc = 0;
    *out = NULL;
    *n = 0;
    char expected[80];
    snprintf(expected, sizeof expected, "an array of %s non-empty strings",
             min_items ? "one or more" : "");
    if (!cJSON_IsArray(it) || (size_t)cJSON_GetArraySize(it) < min_items) {
        rc = bad(v, p, expected, it);
        goto out;
    }
    size_t count = (size_t)cJSON_GetArraySize(it);
    *out = xcalloc(count ? count : 1, sizeof **out);
    const cJSON *e;
    cJSON_ArrayForEach(e, it)
    {
        if (!cJSON_IsString(e) || !e->valuestring[0]) {
            char *ep = fc_xasprintf("%s[%zu]", p, *n);
            rc = bad(v, ep, "a non-empty string", e);
            free(ep);
            goto out;
        }
        (*out)[(*n)++] = xstrdup(e->valuestring);
    }
out:
    free(p);
    return rc;
}

/* ---- model hyperparameters ---- */

void fc_params_free(struct fc_params *p)
{
    for (size_t k = 0; k < p->n_members; k++)
        fc_params_free(&p->members[k].params);
    free(p->members);
    p->members = NULL;
    p->n_members = 0;
    free(p->values);
    p->values = NULL;
    p->n = 0;
}

static int check_param(const struct vctx *v, const struct fc_param_spec *s,
                       const cJSON *it, const char *path, struct fc_param_value *out)
{
    char expected[200];
    switch (s->type) {
    case FC_PARAM_BOOL:
        if (!cJSON_IsBool(it))
            return bad(v, path, "true or false", it);
        out->num = cJSON_IsTrue(it);
        return 0;
    case FC_PARAM_ENUM: {
        struct fc_buf b;
        fc_buf_init(&b);
        fc_buf_puts(&b, "one of");
        for (size_t i = 0; s->choices[i]; i++)
            fc_buf_printf(&b, "%s \"%s\"", i ? "," : "", s->choices[i]);
        int rc = -1;
        if (cJSON_IsString(it))
            for (size_t i = 0; s->choices[i]; i++)
                if (strcmp(it->valuestring, s->choices[i]) == 0) {
                    out->str = s->choices[i];
                    rc = 0;
                }
        if (rc)
            bad(v, path, b.s, it);
        fc_buf_free(&b);
        return rc;
    }
    case FC_PARAM_MODELS: {
        /* other models, each once, none an ensemble itself */
        if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) < 1)
            return bad(v, path, "a non-empty list of model names", it);
        struct fc_buf b;
        fc_buf_init(&b);
        const cJSON *e;
        int rc = 0, k = 0;
        cJSON_ArrayForEach(e, it)
        {
            char *ep = fc_xasprintf("%s[%d]", path, k++);
            const struct fc_model_ops *m =
                cJSON_IsString(e) ? fc_registry_find(e->valuestring) : NULL;
            if (!cJSON_IsString(e))
                rc = bad(v, ep, "a model name", e);
            else if (!m)
                rc = fc_registry_unknown(origin(v, ep), e->valuestring);
            else if (m->flags & FC_MODEL_ENSEMBLE)
                rc = bad(v, ep, "a model that is not an ensemble", e);
            for (const cJSON *f = it->child; rc == 0 && f != e; f = f->next)
                if (cJSON_IsString(f) && strcmp(f->valuestring, e->valuestring) == 0)
                    rc = bad(v, ep, "each model once", e);
            free(ep);
            if (rc)
                break;
            fc_buf_printf(&b, "%s%s", b.len ? "," : "", e->valuestring);
        }
        if (rc == 0)
            out->str = fc_intern(b.s);
        fc_buf_free(&b);
        return rc;
    }
    case FC_PARAM_INT:
    case FC_PARAM_DOUBLE: {
        const char *kind = s->type == FC_PARAM_INT ? "an integer" : "a number";
        char range[96];
        fc_param_range(s, range, sizeof range);
        snprintf(expected, sizeof expected, "%s %s%s", kind, isinf(s->max) ? "" : "in ", range);
        if (!cJSON_IsNumber(it))
            return bad(v, path, expected, it);
        double x = it->valuedouble;
        if ((s->type == FC_PARAM_INT && x != floor(x)) || x < s->min ||
            (s->min_open && x == s->min) || x > s->max || (s->max_open && x == s->max))
            return bad(v, path, expected, it);
        out->num = x;
        return 0;
    }
    }
    return -1;
}

static void param_defaults(const struct fc_model_ops *ops, struct fc_params *out)
{
    out->specs = ops->params;
    out->n = ops->n_params;
    out->members = NULL;
    out->n_members = 0;
    out->values = xcalloc(ops->n_params, sizeof *out->values);
    for (size_t i = 0; i < ops->n_params; i++) {
        out->values[i].num = ops->params[i].def;
        out->values[i].str = ops->params[i].def_str;
    }
}

static int model_params(const struct vctx *v, const cJSON *models,
                        const struct fc_model_ops *ops, struct fc_params *out)
{
    param_defaults(ops, out);
    const cJSON *obj = models ? cJSON_GetObjectItemCaseSensitive(models, ops->name) : NULL;
    char *path = fc_xasprintf("models.%s", ops->name);
    int rc = -1;
    if (!obj)
        goto check;
    if (!cJSON_IsObject(obj)) {
        bad(v, path, "an object of hyperparameters", obj);
        goto out;
    }
    const char *names[128];
    for (size_t i = 0; i < ops->n_params && i < 128; i++)
        names[i] = ops->params[i].name;
    if (check_keys(v, obj, path, names, ops->n_params))
        goto out;
    for (size_t i = 0; i < ops->n_params; i++) {
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, ops->params[i].name);
        if (!it)
            continue;
        char *p = join_path(path, ops->params[i].name);
        int r = check_param(v, &ops->params[i], it, p, &out->values[i]);
        free(p);
        if (r)
            goto out;
    }
check:;
    /* the members a FC_PARAM_MODELS parameter names, with their own
     * hyperparameters from the same "models" object */
    for (size_t i = 0; i < ops->n_params; i++) {
        if (ops->params[i].type != FC_PARAM_MODELS)
            continue;
        char *list = xstrdup(out->values[i].str), *save = NULL;
        for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            const struct fc_model_ops *m = fc_registry_find(t);
            if (!m) { /* a default naming no model: the table is wrong */
                free(list);
                fc_error("models.%s: %s is not a model of this build", ops->name, t);
                goto out;
            }
            out->members = xrealloc(out->members, (out->n_members + 1) * sizeof *out->members);
            struct fc_member *mb = &out->members[out->n_members];
            mb->ops = m;
            if (model_params(v, models, m, &mb->params)) {
                free(list);
                goto out;
            }
            out->n_members++;
        }
        free(list);
    }
    /* what this build can do (e.g. a CUDA device); whether the model's
     * library loads is asked only of models that run (fc_config_models_ready) */
    const char *param = NULL;
    char expected[768];
    if (ops->check && ops->check(out, 0, &param, expected, sizeof expected)) {
        if (!param) {
            fc_error("model %s cannot run here: %s", ops->name, expected);
            goto out;
        }
        char *p = join_path(path, param);
        bad(v, p, expected, obj ? cJSON_GetObjectItemCaseSensitive(obj, param) : NULL);
        free(p);
        goto out;
    }
    rc = 0;
out:
    free(path);
    if (rc)
        fc_params_free(out);
    return rc;
}

int fc_config_models_ready(const struct fc_model_choice *m, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        const char *param = NULL;
        char why[768];
        if (m[k].ops->check && m[k].ops->check(&m[k].params, 1, &param, why, sizeof why))
            return fc_error("model %s cannot run here: %s", m[k].ops->name, why);
    }
    return 0;
}

int fc_config_model_params(const cJSON *models, const struct fc_model_ops *ops,
                           const char *source, struct fc_params *out)
{
    struct vctx v = {source ? source : "config", NULL, 0};
    return model_params(&v, models, ops, out);
}

static void params_to_json(const struct fc_params *p, cJSON *obj)
{
    for (size_t i = 0; i < p->n; i++) {
        const struct fc_param_spec *s = &p->specs[i];
        cJSON_DeleteItemFromObjectCaseSensitive(obj, s->name);
        if (s->type == FC_PARAM_MODELS) {
            cJSON *a = cJSON_AddArrayToObject(obj, s->name);
            char *list = xstrdup(p->values[i].str), *save = NULL;
            for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save))
                cJSON_AddItemToArray(a, cJSON_CreateString(t));
            free(list);
        } else if (s->type == FC_PARAM_ENUM)
            cJSON_AddStringToObject(obj, s->name, p->values[i].str);
        else if (s->type == FC_PARAM_BOOL)
            cJSON_AddBoolToObject(obj, s->name, p->values[i].num != 0);
        else
            cJSON_AddNumberToObject(obj, s->name, p->values[i].num);
    }
}

char *fc_config_model_defaults_json(const struct fc_model_ops *ops)
{
    struct fc_params p;
    param_defaults(ops, &p);
    cJSON *obj = cJSON_CreateObject();
    params_to_json(&p, obj);
    char *s = cJSON_Print(obj);
    cJSON_Delete(obj);
    fc_params_free(&p);
    return s;
}

/* ---- layering: merge and overrides ---- */

/* Deep-merges src into dst: objects merge key by key, anything else replaces. */
static void merge(cJSON *dst, const cJSON *src)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, src)
    {
        cJSON *d = cJSON_GetObjectItemCaseSensitive(dst, it->string);
        if (d && cJSON_IsObject(d) && cJSON_IsObject(it)) {
            merge(d, it);
        } else {
            cJSON *copy = cJSON_Duplicate(it, 1);
            if (d)
                cJSON_ReplaceItemInObjectCaseSensitive(dst, it->string, copy);
            else
                cJSON_AddItemToObject(dst, it->string, copy);
        }
    }
}

/* the line and column of text + off */
static void line_col(const char *text, const char *at, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (const char *p = text; at && p < at; p++) {
        if (*p == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

/* Text a JSON parser would accept but C strings or JSON output could not
 * carry: invalid UTF-8, or a \u0000 escape (a NUL that would cut a name or
 * a path short). where: the file or the flag. */
static int check_json_text(const char *where, const char *text, size_t len)
{
    size_t bad;
    long nul = fc_json_nul_escape(text);
    int line, col;
    if (!fc_utf8_valid(text, len, &bad)) {
        line_col(text, text + bad, &line, &col);
        return fc_error("%s:%d:%d: not valid UTF-8", where, line, col);
    }
    if (nul >= 0) {
        line_col(text, text + nul, &line, &col);
        return fc_error("%s:%d:%d: \\u0000 in a string: a name, path or value cannot hold a "
                        "NUL character",
                        where, line, col);
    }
    return 0;
}

static cJSON *override_value(const struct fc_override *o)
{
    if (o->as_list) {
        /* every comma separates: "0.1,0.5," and "" hold an empty item,
         * which validation names (a number was expected) */
        cJSON *arr = cJSON_CreateArray();
        const char *p = o->value;
        for (;;) {
            size_t n = strcspn(p, ",");
            char *tok = xstrdup(p);
            tok[n] = '\0';
            double x;
            if (fc_parse_double(tok, &x) == 0)
                cJSON_AddItemToArray(arr, cJSON_CreateNumber(x));
            else
                cJSON_AddItemToArray(arr, cJSON_CreateString(tok));
            free(tok);
            if (!p[n])
                break;
            p += n + 1;
        }
        return arr;
    }
    /* a value with spaces around it stays text: " 5" is not the number 5 */
    size_t len = strlen(o->value);
    if (len && (isspace((unsigned char)o->value[0]) ||
                isspace((unsigned char)o->value[len - 1])))
        return cJSON_CreateString(o->value);
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithOpts(o->value, &end, 1); /* all of it, or a string */
    if (v && !cJSON_IsString(v) && !cJSON_IsObject(v) && !cJSON_IsArray(v) &&
        !cJSON_IsNumber(v) && !cJSON_IsBool(v) && !cJSON_IsNull(v)) {
        cJSON_Delete(v);
        v = NULL;
    }
    return v ? v : cJSON_CreateString(o->value);
}

static int apply_override(cJSON *root, const struct fc_override *o)
{
    if (check_json_text(o->flag, o->value, strlen(o->value)))
        return -1;
    cJSON *node = root;
    char *path = xstrdup(o->path), *save = NULL;
    char *tok = strtok_r(path, ".", &save);
    int rc = 0;
    while (tok) {
        char *next = strtok_r(NULL, ".", &save);
        if (!cJSON_IsObject(node)) {
            rc = fc_error("%s: %s: cannot set a key inside a non-object", o->flag, o->path);
            break;
        }
        cJSON *child = cJSON_GetObjectItemCaseSensitive(node, tok);
        if (!next) {
            cJSON *val = override_value(o);
            if (o->append) {
                if (!child || !cJSON_IsArray(child)) {
                    cJSON_DeleteItemFromObjectCaseSensitive(node, tok);
                    child = cJSON_AddArrayToObject(node, tok);
                }
                cJSON_AddItemToArray(child, val);
            } else if (child) {
                cJSON_ReplaceItemInObjectCaseSensitive(node, tok, val);
            } else {
                cJSON_AddItemToObject(node, tok, val);
            }
        } else if (!child) {
            child = cJSON_AddObjectToObject(node, tok);
        }
        node = child;
        tok = next;
    }
    free(path);
    return rc;
}

void fc_override_add(struct fc_override *ov, size_t *n, const char *path,
                     const char *json_value, const char *flag)
{
    ov[*n] = (struct fc_override){xstrdup(path), xstrdup(json_value), xstrdup(flag), 0, 0};
    (*n)++;
}

void fc_override_add_string(struct fc_override *ov, size_t *n, const char *path,
                            const char *text, const char *flag)
{
    cJSON *s = cJSON_CreateString(text);
    char *quoted = cJSON_PrintUnformatted(s);
    cJSON_Delete(s);
    fc_override_add(ov, n, path, quoted, flag);
    free(quoted);
}

int fc_override_parse_set(const char *arg, struct fc_override *ov)
{
    const char *eq = strchr(arg, '=');
    memset(ov, 0, sizeof *ov);
    if (!eq || eq == arg || eq[-1] == '.' || arg[0] == '.' || strstr(arg, "..") ||
        (size_t)(eq - arg) > 200)
        return fc_error("--set %s: expected PATH=VALUE, e.g. --set split.val_days=14", arg);
    ov->path = xmalloc((size_t)(eq - arg) + 1);
    memcpy(ov->path, arg, (size_t)(eq - arg));
    ov->path[eq - arg] = '\0';
    ov->value = xstrdup(eq + 1);
    ov->flag = fc_xasprintf("--set %s", arg);
    return 0;
}

void fc_override_free(struct fc_override *ov)
{
    free(ov->path);
    free(ov->value);
    free(ov->flag);
}

/* ---- loading the file ---- */

static cJSON *parse_file(const char *file, fc_config_unwrap_fn *unwrap)
{
    size_t len;
    char *text = fc_read_file(file, &len);
    if (!text)
        return NULL;
    if (len > (64u << 20)) {
        fc_error("%s: %zu bytes: a config is at most 64 MB", file, len);
        free(text);
        return NULL;
    }
    if (strlen(text) != len) {
        fc_error("%s: contains a NUL byte: not a JSON text file", file);
        free(text);
        return NULL;
    }
    if (check_json_text(file, text, len)) {
        free(text);
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
    if (!root) {
        int line, col;
        line_col(text, end, &line, &col);
        fc_error("%s:%d:%d: invalid JSON near here", file, line, col);
        free(text);
        return NULL;
    }
    free(text);
    if (!cJSON_IsObject(root)) {
        fc_error("%s: expected a JSON object at the top level", file);
        cJSON_Delete(root);
        return NULL;
    }
    if (check_duplicates(file, root, "")) {
        cJSON_Delete(root);
        return NULL;
    }
    /* a document that holds a config, e.g. a run's run.json */
    cJSON *inner = unwrap ? unwrap(root, file) : root;
    if (inner != root) {
        if (inner)
            cJSON_DetachItemViaPointer(root, inner);
        cJSON_Delete(root);
    }
    return inner;
}

/* ---- validation into the struct ---- */

static int validate_data(const struct vctx *v, const cJSON *root, struct fc_data_spec *d)
{
    static const char *const keys[] = {"path",          "target_path",    "join_key",
                                       "series_columns", "date_column",    "target_column",
                                       "weight_column", "features",       "ignore",
                                       "missing_target", "cache",         "cache_dir",
                                       "freq"};
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "data");
    if (!cJSON_IsObject(o))
        return bad(v, "data", "an object", o);
    if (check_keys(v, o, "data", keys, sizeof keys / sizeof keys[0]))
        return -1;
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(o, "path");
    if (cJSON_IsNull(path))
        return fc_error("%s: data.path: no data file given: pass --data FILE or set "
                        "data.path in a config file",
                        origin(v, "data.path"));
    if (get_string(v, o, "data", "path", 0, &d->path) ||
        get_string(v, o, "data", "target_path", 1, &d->target_path) ||
        get_string(v, o, "data", "join_key", 1, &d->join_key) ||
        get_string_list(v, o, "data", "series_columns", 1, &d->series_cols,
                        &d->n_series_cols) ||
        get_string(v, o, "data", "date_column", 0, &d->date_col) ||
        get_string(v, o, "data", "target_column", 0, &d->target_col) ||
        get_string(v, o, "data", "weight_column", 1, &d->weight_col) ||
        get_string_list(v, o, "data", "features", 0, &d->features, &d->n_features) ||
        get_string_list(v, o, "data", "ignore", 0, &d->ignore, &d->n_ignore))
        return -1;
    if (d->target_path && !d->join_key)
        return fc_error("%s: data.join_key: required when data.target_path is set "
                        "(the column joining features and targets, e.g. \"bdID\")",
                        origin(v, "data.join_key"));
    if (!d->target_path && d->join_key)
        return fc_error("%s: data.join_key: only meaningful with data.target_path",
                        origin(v, "data.join_key"));
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(o, "missing_target");
    if (!cJSON_IsString(mt) || (strcmp(mt->valuestring, "error") != 0 &&
                                strcmp(mt->valuestring, "drop") != 0))
        return bad(v, "data.missing_target", "one of \"error\", \"drop\"", mt);
    d->drop_missing_target = strcmp(mt->valuestring, "drop") == 0;
    const cJSON *ca = cJSON_GetObjectItemCaseSensitive(o, "cache");
    if (!cJSON_IsBool(ca))
        return bad(v, "data.cache", "true or false", ca);
    d->cache = cJSON_IsTrue(ca);
    const cJSON *fq = cJSON_GetObjectItemCaseSensitive(o, "freq");
    static const char *const freqs[] = {"auto", "daily", "weekly", "monthly", NULL};
    long fi = cJSON_IsString(fq) ? index_of(freqs, fq->valuestring) : -1;
    if (fi < 0)
        return bad(v, "data.freq", "one of \"auto\", \"daily\", \"weekly\", \"monthly\"", fq);
    d->freq = (enum fc_freq)fi;
    return get_string(v, o, "data", "cache_dir", 1, &d->cache_dir);
}

static int validate_split(const struct vctx *v, const cJSON *root, struct fc_split_spec *s)
{
    static const char *const keys[] = {"split_date", "test_end", "val_days", "val_date",
                                       "min_train_rows", "val_periods", "windows", "step",
                                       "refit"};
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "split");
    if (!cJSON_IsObject(o))
        return bad(v, "split", "an object", o);
    if (check_keys(v, o, "split", keys, sizeof keys / sizeof keys[0]))
        return -1;
    int has;
    long n;
    /* backtest windows: the last one starts at split_date, or ends with the data */
    s->windows = s->step = 0;
    if (!cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "windows")) &&
        get_int(v, o, "split", "windows", 1, 1000, &n))
        return -1;
    else if (!cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "windows")))
        s->windows = (int)n;
    if (!cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "step")) &&
        get_int(v, o, "split", "step", 1, 100000, &n))
        return -1;
    else if (!cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "step")))
        s->step = (int)n;
    const cJSON *refit = cJSON_GetObjectItemCaseSensitive(o, "refit");
    if (!cJSON_IsBool(refit))
        return bad(v, "split.refit", "true or false", refit);
    s->refit = cJSON_IsTrue(refit);
    s->has_split_date = !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "split_date"));
    if ((s->has_split_date &&
         get_date(v, o, "split", "split_date", 0, &has, &s->split_date)) ||
        get_date(v, o, "split", "test_end", 1, &s->has_test_end, &s->test_end) ||
        get_date(v, o, "split", "val_date", 1, &s->has_val_date, &s->val_date))
        return -1;
    /* val_days (days, daily data) when given, else val_periods */
    s->val_days = -1;
    if (!cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "val_days"))) {
        if (get_int(v, o, "split", "val_days", 0, 100000, &n))
            return -1;
        s->val_days = (int)n;
    }
    if (get_int(v, o, "split", "val_periods", 0, 100000, &n))
        return -1;
    s->val_periods = (int)n;
    if (get_int(v, o, "split", "min_train_rows", 1, 100000000, &n))
        return -1;
    s->min_train_rows = (int)n;
    if (s->has_test_end && s->has_split_date && s->test_end <= s->split_date)
        return bad(v, "split.test_end", "a date after split.split_date",
                   cJSON_GetObjectItemCaseSensitive(o, "test_end"));
    if (s->has_val_date && s->has_split_date && s->val_date >= s->split_date)
        return bad(v, "split.val_date", "a date before split.split_date",
                   cJSON_GetObjectItemCaseSensitive(o, "val_date"));
    return 0;
}

static int validate_quantiles(const struct vctx *v, const cJSON *root, struct fc_config *c)
{
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(root, "quantiles");
    if (!cJSON_IsArray(q))
        return bad(v, "quantiles", "an array of numbers in (0, 1)", q);
    size_t n = (size_t)cJSON_GetArraySize(q);
    c->quantiles = xcalloc(n ? n : 1, sizeof *c->quantiles);
    const cJSON *e;
    cJSON_ArrayForEach(e, q)
    {
        char *p = fc_xasprintf("quantiles[%zu]", c->n_quantiles);
        int rc = 0;
        if (!cJSON_IsNumber(e) || !(e->valuedouble > 0 && e->valuedouble < 1))
            rc = bad(v, p, "a number in (0, 1)", e);
        else if (c->n_quantiles && e->valuedouble <= c->quantiles[c->n_quantiles - 1])
            rc = bad(v, p, "levels in increasing order without repeats", e);
        free(p);
        if (rc)
            return -1;
        c->quantiles[c->n_quantiles++] = e->valuedouble;
    }
    return 0;
}

/* ---- the target: transform, non-negativity ---- */

const char *const fc_target_transform_names[] = {"none", "log1p", "local_scale", "difference",
                                                 NULL};

static int validate_target(const struct vctx *v, const cJSON *root, struct fc_config *c)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "target_transform");
    long k = cJSON_IsString(t) ? index_of(fc_target_transform_names, t->valuestring) : -1;
    c->difference = k == FC_TT_DIFFERENCE;
    if (cJSON_IsObject(t) && cJSON_GetArraySize(t) == 1 &&
        cJSON_GetObjectItemCaseSensitive(t, "difference")) {
        long d;
        if (get_int(v, t, "target_transform", "difference", 1, 10000, &d))
            return -1;
        k = FC_TT_DIFFERENCE;
        c->difference = (int)d;
    }
    if (k < 0)
        return bad(v, "target_transform",
                   "one of \"none\", \"log1p\", \"local_scale\", \"difference\", or "
                   "{\"difference\": k}",
                   t);
    c->target_transform = (enum fc_target_transform)k;
    const cJSON *nn = cJSON_GetObjectItemCaseSensitive(root, "nonnegative");
    if (cJSON_IsString(nn) && strcmp(nn->valuestring, "auto") == 0)
        c->nonnegative = -1;
    else if (cJSON_IsBool(nn))
        c->nonnegative = cJSON_IsTrue(nn);
    else
        return bad(v, "nonnegative", "\"auto\", true or false", nn);
    return 0;
}

/* ---- derived features ---- */

const char *const fc_window_stat_names[] = {"mean", "std", "min", "max", "median", "sum", NULL};
const char *const fc_calendar_names[] = {"dow",  "dom",     "doy",  "week",
                                         "month", "quarter", "year", "is_weekend", NULL};

char *fc_feature_name(const struct fc_feature_spec *f, size_t k)
{
    if (k < f->n_lags)
        return fc_xasprintf("lag_%d", f->lags[k]);
    k -= f->n_lags;
    if (k < f->n_windows) {
        const struct fc_window_spec *w = &f->windows[k];
        if (w->window)
            return fc_xasprintf("rolling_%s_%d_lag_%d", fc_window_stat_names[w->stat],
                                w->window, w->lag);
        return fc_xasprintf("expanding_%s_lag_%d", fc_window_stat_names[w->stat], w->lag);
    }
    k -= f->n_windows;
    for (int b = 0; fc_calendar_names[b]; b++)
        if ((f->calendar & (1u << b)) && k-- == 0)
            return fc_xasprintf("cal_%s", fc_calendar_names[b]);
    return NULL;
}

/* features.<list>[k]: {"stat", "window" (rolling only), "lag"} */
static int window_spec(const struct vctx *v, const cJSON *e, const char *path, int rolling,
                       struct fc_window_spec *out)
{
    static const char *const rkeys[] = {"stat", "window", "lag"};
    static const char *const ekeys[] = {"stat", "lag"};
    if (!cJSON_IsObject(e))
        return bad(v, path,
                   rolling ? "an object {\"stat\", \"window\", \"lag\"}"
                           : "an object {\"stat\", \"lag\"}",
                   e);
    if (check_keys(v, e, path, rolling ? rkeys : ekeys, rolling ? 3 : 2))
        return -1;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(e, "stat");
    long k = cJSON_IsString(st) ? index_of(fc_window_stat_names, st->valuestring) : -1;
    if (k < 0 || (!rolling && k != FC_STAT_MEAN && k != FC_STAT_STD)) {
        char *p = join_path(path, "stat");
        int rc = bad(v, p,
                     rolling ? "one of \"mean\", \"std\", \"min\", \"max\", \"median\", \"sum\""
                             : "one of \"mean\", \"std\"",
                     st);
        free(p);
        return rc;
    }
    long w = 0, lag;
    if ((rolling && get_int(v, e, path, "window", 1, 10000, &w)) ||
        get_int(v, e, path, "lag", 1, 10000, &lag))
        return -1;
    *out = (struct fc_window_spec){(enum fc_window_stat)k, (int)w, (int)lag};
    return 0;
}

static int validate_features(const struct vctx *v, const cJSON *root, struct fc_feature_spec *f)
{
    static const char *const keys[] = {"lags", "rolling", "expanding", "calendar",
                                       "categorical"};
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "features");
    if (!cJSON_IsObject(o))
        return bad(v, "features", "an object", o);
    if (check_keys(v, o, "features", keys, 5))
        return -1;
    if (cJSON_GetObjectItemCaseSensitive(o, "categorical") &&
        get_string_list(v, o, "features", "categorical", 0, &f->categorical, &f->n_categorical))
        return -1;
    const cJSON *lags = cJSON_GetObjectItemCaseSensitive(o, "lags");
    const cJSON *roll = cJSON_GetObjectItemCaseSensitive(o, "rolling");
    const cJSON *expd = cJSON_GetObjectItemCaseSensitive(o, "expanding");
    const cJSON *cal = cJSON_GetObjectItemCaseSensitive(o, "calendar");
    const char *names[4] = {"features.lags", "features.rolling", "features.expanding",
                            "features.calendar"};
    const cJSON *lists[4] = {lags, roll, expd, cal};
    for (int i = 0; i < 4; i++) /* an absent list is an empty one */
        if (lists[i] && !cJSON_IsArray(lists[i]))
            return bad(v, names[i], "a list", lists[i]);
    f->lags = xcalloc((size_t)cJSON_GetArraySize(lags) + 1, sizeof *f->lags);
    f->windows = xcalloc((size_t)(cJSON_GetArraySize(roll) + cJSON_GetArraySize(expd)) + 1,
                         sizeof *f->windows);
    int rc = 0;
    const cJSON *e;
    size_t k = 0;
    cJSON_ArrayForEach(e, lags)
    {
        char *p = fc_xasprintf("features.lags[%zu]", k++);
        double d = cJSON_IsNumber(e) ? e->valuedouble : 0;
        if (!(d >= 1 && d <= 10000 && d == floor(d)))
            rc = bad(v, p, "a lag in periods, an integer in [1, 10000]", e);
        for (size_t j = 0; !rc && j < f->n_lags; j++)
            if (f->lags[j] == (int)d)
                rc = bad(v, p, "each lag once", e);
        free(p);
        if (rc)
            return -1;
        f->lags[f->n_lags++] = (int)d;
    }
    for (int rolling = 1; rolling >= 0; rolling--) {
        const cJSON *list = rolling ? roll : expd;
        k = 0;
        cJSON_ArrayForEach(e, list)
        {
            char *p = fc_xasprintf("features.%s[%zu]", rolling ? "rolling" : "expanding", k++);
            rc = window_spec(v, e, p, rolling, &f->windows[f->n_windows]);
            for (size_t j = 0; !rc && j < f->n_windows; j++)
                if (memcmp(&f->windows[j], &f->windows[f->n_windows], sizeof *f->windows) == 0)
                    rc = bad(v, p, "each window feature once", e);
            free(p);
            if (rc)
                return -1;
            f->n_windows++;
        }
    }
    k = 0;
    cJSON_ArrayForEach(e, cal)
    {
        char *p = fc_xasprintf("features.calendar[%zu]", k++);
        long b = cJSON_IsString(e) ? index_of(fc_calendar_names, e->valuestring) : -1;
        if (b < 0)
            rc = bad(v, p,
                     "one of \"dow\", \"dom\", \"doy\", \"week\", \"month\", \"quarter\", "
                     "\"year\", \"is_weekend\"",
                     e);
        else if (f->calendar & (1u << b))
            rc = bad(v, p, "each calendar field once", e);
        free(p);
        if (rc)
            return -1;
        f->calendar |= 1u << b;
    }
    return 0;
}

/* ---- the horizon and how steps after the first are forecast ---- */

const char *const fc_multi_step_names[] = {"recursive", "direct", NULL};

/* With "direct", a row k <= horizon periods after the origin keeps only the
 * lags >= k: a feature whose lag is shorter than the horizon would be
 * missing late in every forecast, so it is refused. */
static int validate_horizon(const struct vctx *v, const cJSON *root, struct fc_config *c)
{
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(root, "horizon");
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(root, "multi_step");
    long k = cJSON_IsString(ms) ? index_of(fc_multi_step_names, ms->valuestring) : -1;
    if (k < 0)
        return bad(v, "multi_step", "one of \"recursive\", \"direct\"", ms);
    c->multi_step = (enum fc_multi_step)k;
    c->horizon = 0;
    if ((!h || cJSON_IsNull(h)) && !c->split.has_split_date && !c->split.windows && !v->no_split)
        return fc_error("%s: split.split_date: no split date given: pass --split-date "
                        "YYYY-MM-DD or set split.split_date (or a horizon, --horizon H, for a "
                        "production run on all the data, or backtest windows, "
                        "split.windows)",
                        origin(v, "split.split_date"));
    if ((!h || cJSON_IsNull(h)) && c->split.windows)
        return fc_error("%s: split.windows: a backtest window is horizon periods long; set "
                        "horizon (--horizon H)",
                        origin(v, "split.windows"));
    if (!h || cJSON_IsNull(h))
        return 0;
    long n;
    if (get_int(v, root, "", "horizon", 1, 10000, &n))
        return -1;
    c->horizon = (int)n;
    c->split.horizon = c->horizon;
    if (c->split.windows && !c->split.step)
        c->split.step = c->horizon; /* windows side by side */
    const struct fc_feature_spec *f = &c->features;
    if (c->multi_step != FC_MULTI_DIRECT)
        return 0;
    for (size_t j = 0; j < f->n_lags + f->n_windows; j++) {
        int lag = j < f->n_lags ? f->lags[j] : f->windows[j - f->n_lags].lag;
        if (lag >= c->horizon)
            continue;
        char *name = fc_feature_name(f, j);
        const char *list = j < f->n_lags ? "lags"
                           : f->windows[j - f->n_lags].window ? "rolling"
                                                                : "expanding";
        size_t idx = j < f->n_lags ? j : j - f->n_lags;
        if (j >= f->n_lags && !f->windows[j - f->n_lags].window) /* rolling come first */
            for (size_t i = 0; i < f->n_windows; i++)
                idx -= f->windows[i].window != 0;
        char *path = fc_xasprintf("features.%s[%zu]", list, idx);
        fc_error("%s: %s: feature %s uses the target %d periods back, less than horizon %d "
                 "with multi_step \"direct\": the forecast %d periods ahead would need "
                 "targets after its origin; use lags >= %d, or multi_step \"recursive\"",
                 origin(v, path), path, name, lag, c->horizon, c->horizon, c->horizon);
        free(path);
        free(name);
        return -1;
    }
    return 0;
}

/* features.categorical: series id columns or other text columns of the
 * data, each once; the text ones become data.text_cols (the loader reads
 * them as text) */
static int validate_categorical(const struct vctx *v, const cJSON *root, struct fc_config *c)
{
    const cJSON *cl = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root, "features"), "categorical");
    const struct fc_data_spec *d = &c->data;
    const char *roles[] = {d->date_col, d->target_col, d->weight_col, d->join_key};
    c->data.text_cols = xcalloc(c->features.n_categorical + 1, sizeof *c->data.text_cols);
    for (size_t k = 0; k < c->features.n_categorical; k++) {
        const char *name = c->features.categorical[k];
        int is_id = 0, twice = 0, other = 0;
        for (size_t i = 0; i < d->n_series_cols; i++)
            is_id |= strcmp(d->series_cols[i], name) == 0;
        for (size_t i = 0; i < k; i++)
            twice |= strcmp(c->features.categorical[i], name) == 0;
        for (size_t i = 0; i < sizeof roles / sizeof *roles; i++)
            other |= roles[i] && strcmp(roles[i], name) == 0;
        if (twice || other) {
            char *p = fc_xasprintf("features.categorical[%zu]", k);
            bad(v, p,
                twice ? "each column once"
                      : "a series id column or a text column of the data (not the date, "
                        "target, weight or join column)",
                cJSON_GetArrayItem(cl, (int)k));
            free(p);
            return -1;
        }
        if (!is_id)
            c->data.text_cols[c->data.n_text_cols++] = c->features.categorical[k];
    }
    return 0;
}

/* "model": one name or a list of names, each a model of this build once */
static int validate_models(const struct vctx *v, const cJSON *root, struct fc_config *c)
{
    const cJSON *mj = cJSON_GetObjectItemCaseSensitive(root, "model");
    size_t nm = cJSON_IsArray(mj) ? (size_t)cJSON_GetArraySize(mj) : 1;
    if (!(cJSON_IsString(mj) && mj->valuestring[0]) && !(cJSON_IsArray(mj) && nm > 0))
        return bad(v, "model", "a model name or a non-empty list of model names", mj);
    c->models = xcalloc(nm, sizeof *c->models);
    for (size_t k = 0; k < nm; k++) {
        const cJSON *e = cJSON_IsArray(mj) ? cJSON_GetArrayItem(mj, (int)k) : mj;
        char *p = cJSON_IsArray(mj) ? fc_xasprintf("model[%zu]", k) : xstrdup("model");
        int rc = 0;
        if (!cJSON_IsString(e) || !e->valuestring[0])
            rc = bad(v, p, "a model name", e);
        else if (!(c->models[k].ops = fc_registry_find(e->valuestring)))
            rc = fc_registry_unknown(origin(v, p), e->valuestring);
        for (size_t j = 0; !rc && j < k; j++)
            if (c->models[j].ops == c->models[k].ops)
                rc = bad(v, p, "each model once", e);
        /* a model of numbers only: no category inputs, no row weights */
        if (!rc && (c->models[k].ops->flags & FC_MODEL_NUMBERS_ONLY) &&
            (c->features.n_categorical || c->data.weight_col))
            rc = fc_error("%s: model %s takes neither categorical features nor row weights: "
                          "leave %s out for it",
                          v->source, e->valuestring,
                          c->features.n_categorical ? "features.categorical"
                                                    : "data.weight_column");
        free(p);
        if (rc)
            return -1;
        c->n_models = k + 1;
    }
    return 0;
}

static int validate(const struct vctx *v, cJSON *root, struct fc_config *c)
{
    static const char *const keys[] = {"data",      "split", "series", "model",
                                       "strategy",  "quantiles", "seed", "jobs",
                                       "output",    "models", "format_version", "report",
                                       "features",  "target_transform", "nonnegative",
                                       "horizon",   "multi_step", "tune"};
    if (check_keys(v, root, "", keys, sizeof keys / sizeof keys[0]))
        return -1;
    if (validate_data(v, root, &c->data) || validate_split(v, root, &c->split) ||
        validate_features(v, root, &c->features) || validate_target(v, root, c) ||
        validate_horizon(v, root, c))
        return -1;
    if (validate_categorical(v, root, c) ||
        get_string_list(v, root, "", "series", 0, &c->skus, &c->n_skus) ||
        validate_models(v, root, c))
        return -1;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(root, "strategy");
    if (cJSON_IsString(st) && strcmp(st->valuestring, "combined") == 0)
        c->strategy = FC_COMBINED;
    else if (cJSON_IsString(st) && strcmp(st->valuestring, "individual") == 0)
        c->strategy = FC_INDIVIDUAL;
    else
        return bad(v, "strategy", "one of \"combined\", \"individual\"", st);
    if (validate_quantiles(v, root, c))
        return -1;
    long n;
    if (get_int(v, root, "", "seed", 0, 4294967295L, &n))
        return -1;
    c->seed = (uint64_t)n;
    if (get_int(v, root, "", "jobs", 0, 4096, &n))
        return -1;
    c->jobs = (int)n;
    const cJSON *fv = cJSON_GetObjectItemCaseSensitive(root, "format_version");
    if (fv && !(cJSON_IsNumber(fv) && fv->valuedouble == 1))
        return bad(v, "format_version", "1 (the only config format so far)", fv);

    static const char *const rkeys[] = {"plot_series"};
    const cJSON *rep = cJSON_GetObjectItemCaseSensitive(root, "report");
    if (!cJSON_IsObject(rep))
        return bad(v, "report", "an object", rep);
    if (check_keys(v, rep, "report", rkeys, 1) ||
        get_string_list(v, rep, "report", "plot_series", 0, &c->plot_skus, &c->n_plot_skus))
        return -1;

    /* tune: its search space; what the paths in it mean is forecast
     * tune's to check (src/tune/space.c) */
    static const char *const tkeys[] = {"space"};
    const cJSON *tune = cJSON_GetObjectItemCaseSensitive(root, "tune");
    if (tune && !cJSON_IsObject(tune))
        return bad(v, "tune", "an object ({\"space\": {...}})", tune);
    const cJSON *space = cJSON_GetObjectItemCaseSensitive(tune, "space");
    if (check_keys(v, tune, "tune", tkeys, 1))
        return -1;
    if (space && !cJSON_IsObject(space))
        return bad(v, "tune.space", "an object mapping config paths to search ranges", space);

    static const char *const okeys[] = {"dir", "name"};
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "output");
    if (!cJSON_IsObject(o))
        return bad(v, "output", "an object", o);
    if (check_keys(v, o, "output", okeys, 2) ||
        get_string(v, o, "output", "dir", 0, &c->out_dir) ||
        get_string(v, o, "output", "name", 1, &c->run_name))
        return -1;
    int control = 0;
    for (const char *p = c->run_name; p && *p; p++)
        control |= (unsigned char)*p < 0x20 || *p == 0x7f;
    if (c->run_name && strlen(c->run_name) > 255)
        return bad(v, "output.name", "a directory name of at most 255 bytes",
                   cJSON_GetObjectItemCaseSensitive(o, "name"));
    if (c->run_name && (strchr(c->run_name, '/') || c->run_name[0] == '.' || control))
        return bad(v, "output.name",
                   "a plain directory name (no '/', no control character, not starting with "
                   "'.')",
                   cJSON_GetObjectItemCaseSensitive(o, "name"));

    /* Every model's section is checked, not only the one that runs. */
    cJSON *models = cJSON_GetObjectItemCaseSensitive(root, "models");
    if (!cJSON_IsObject(models))
        return bad(v, "models", "an object mapping model names to hyperparameters", models);
    const cJSON *m;
    cJSON_ArrayForEach(m, models)
    {
        const struct fc_model_ops *ops = fc_registry_find(m->string);
        if (!ops) {
            char *p = fc_xasprintf("models.%s", m->string);
            fc_registry_unknown(origin(v, p), m->string);
            free(p);
            return -1;
        }
        struct fc_params tmp;
        if (model_params(v, models, ops, &tmp))
            return -1;
        fc_params_free(&tmp);
    }
    for (size_t k = 0; k < c->n_models; k++) {
        struct fc_model_choice *mc = &c->models[k];
        if (model_params(v, models, mc->ops, &mc->params))
            return -1;
        /* Save the resolved hyperparameters so run.json is self-contained. */
        cJSON *mine = cJSON_GetObjectItemCaseSensitive(models, mc->ops->name);
        if (!mine)
            mine = cJSON_AddObjectToObject(models, mc->ops->name);
        params_to_json(&mc->params, mine);
        /* an ensemble's members too: run.json says how they were trained */
        for (size_t i = 0; i < mc->params.n_members; i++) {
            const struct fc_member *mb = &mc->params.members[i];
            cJSON *theirs = cJSON_GetObjectItemCaseSensitive(models, mb->ops->name);
            if (!theirs)
                theirs = cJSON_AddObjectToObject(models, mb->ops->name);
            params_to_json(&mb->params, theirs);
        }
    }
    c->model = c->models[0];
    return 0;
}

static int config_load(struct fc_config *cfg, const char *file, const struct fc_override *ov,
                       size_t n_ov, fc_config_unwrap_fn *unwrap, int no_split)
{
    memset(cfg, 0, sizeof *cfg);
    cJSON *root = cJSON_Parse(default_config);
    FC_ASSERT(root);
    if (!file && access(DEFAULT_CONFIG_FILE, R_OK) == 0)
        file = DEFAULT_CONFIG_FILE;
    cfg->source = xstrdup(file ? file : "built-in defaults");
    if (file) {
        cJSON *user = parse_file(file, unwrap);
        if (!user) {
            cJSON_Delete(root);
            free(cfg->source);
            cfg->source = NULL;
            return -1;
        }
        merge(root, user);
        cJSON_Delete(user);
    }
    for (size_t i = 0; i < n_ov; i++)
        if (apply_override(root, &ov[i])) {
            cJSON_Delete(root);
            free(cfg->source);
            cfg->source = NULL;
            return -1;
        }
    cfg->json = root;
    struct vctx v = {cfg->source, ov, n_ov, no_split};
    if (validate(&v, root, cfg)) {
        fc_config_free(cfg);
        return -1;
    }
    return 0;
}

int fc_config_load(struct fc_config *cfg, const char *file, const struct fc_override *ov,
                   size_t n_ov, fc_config_unwrap_fn *unwrap)
{
    return config_load(cfg, file, ov, n_ov, unwrap, 0);
}

int fc_config_load_unsplit(struct fc_config *cfg, const char *file, const struct fc_override *ov,
                           size_t n_ov, fc_config_unwrap_fn *unwrap)
{
    return config_load(cfg, file, ov, n_ov, unwrap, 1);
}

static void free_list(char **l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(l[i]);
    free(l);
}

void fc_config_free(struct fc_config *c)
{
    if (!c)
        return;
    cJSON_Delete(c->json);
    free(c->source);
    struct fc_data_spec *d = &c->data;
    free(d->path);
    free(d->target_path);
    free(d->join_key);
    free_list(d->series_cols, d->n_series_cols);
    free(d->date_col);
    free(d->target_col);
    free(d->weight_col);
    free_list(d->features, d->n_features);
    free_list(d->ignore, d->n_ignore);
    free(d->text_cols); /* the names are features.categorical's */
    free(d->cache_dir);
    free(c->features.lags);
    free(c->features.windows);
    free_list(c->features.categorical, c->features.n_categorical);
    free_list(c->skus, c->n_skus);
    free_list(c->plot_skus, c->n_plot_skus);
    for (size_t k = 0; k < c->n_models; k++)
        fc_params_free(&c->models[k].params);
    free(c->models);
    free(c->quantiles);
    free(c->out_dir);
    free(c->run_name);
    memset(c, 0, sizeof *c);
}

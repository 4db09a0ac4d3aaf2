/*
 * registry.c — loops over every plugin in the table: complete ops, sane
 * parameter specs (defaults inside their ranges), config/models/<name>.json
 * equal to the compiled defaults, and unique names.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/config.h"
#include "forecast/core/registry.h"
#include "forecast/store/store.h"
#include "forecast/core/util.h"
#include "test.h"

START_TEST(test_every_plugin)
{
    size_t n = 0;
    for (size_t i = 0; fc_models[i]; i++, n++) {
        const struct fc_model_ops *m = fc_models[i];
        ck_assert_msg(m->name && m->family && m->summary && m->details, "%s: identity", m->name);
        ck_assert_msg(m->create && m->fit && m->predict && m->save && m->load && m->free,
                      "%s: missing op", m->name);
        ck_assert_msg(m->flags & (FC_MODEL_POINT | FC_MODEL_QUANTILE), "%s: no output", m->name);
        ck_assert_ptr_eq(fc_registry_find(m->name), m);
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(fc_models[j]->name, m->name);
        for (size_t k = 0; k < m->n_params; k++) {
            const struct fc_param_spec *s = &m->params[k];
            ck_assert_msg(s->doc && s->doc[0], "%s.%s: no doc", m->name, s->name);
            if (s->type == FC_PARAM_INT || s->type == FC_PARAM_DOUBLE) {
                ck_assert_msg(s->def >= s->min && s->def <= s->max, "%s.%s: default out of range",
                              m->name, s->name);
                if (s->type == FC_PARAM_INT)
                    ck_assert(s->def == floor(s->def));
            }
            if (s->type == FC_PARAM_ENUM) {
                int found = 0;
                for (size_t c = 0; s->choices[c]; c++)
                    found |= strcmp(s->choices[c], s->def_str) == 0;
                ck_assert_msg(found, "%s.%s: default not a choice", m->name, s->name);
            }
        }
        /* the documented defaults file says what the binary does */
        char *path = fc_xasprintf("../config/models/%s.json", m->name);
        cJSON *file = fc_read_json(path);
        ck_assert_msg(file != NULL, "%s missing", path);
        char *text = fc_config_model_defaults_json(m);
        cJSON *compiled = cJSON_Parse(text);
        ck_assert_msg(cJSON_Compare(file, compiled, 1), "%s differs from the compiled defaults: %s",
                      path, text);
        cJSON_Delete(file);
        cJSON_Delete(compiled);
        free(text);
        free(path);
    }
    ck_assert_uint_ge(n, 1);
    ck_assert_ptr_null(fc_registry_find("nope"));
}
END_TEST

Suite *suite_registry(void)
{
    Suite *s = suite_create("registry");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_every_plugin);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * fuzz_set.c — --set overrides (core/config.c): each line of the input is
 * one "path=value" argument (empty lines skipped), applied in order over a
 * fixed config and validated with it.
 */
#include <stdlib.h>
#include <string.h>

#include "forecast/core/config.h"
#include "forecast/core/util.h"
#include "fuzz.h"

enum { MAX_SETS = 16 };

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    static const char *base;
    fc_verbosity = 0;
    if (!base) {
        static const char json[] = "{\"data\": {\"path\": \"data.csv\", \"series_columns\": "
                                   "[\"id\"], \"target_column\": \"y\"}, \"split\": "
                                   "{\"split_date\": \"2020-01-01\"}}";
        base = strdup(fuzz_file("base.json", json, sizeof json - 1));
    }
    char *text = malloc(n + 1);
    memcpy(text, d, n);
    text[n] = '\0';
    struct fc_override ov[MAX_SETS];
    size_t k = 0;
    int ok = 1;
    for (char *line = text, *next; line && k < MAX_SETS; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (!*line)
            continue;
        if (fc_override_parse_set(line, &ov[k]) != 0) {
            ok = 0;
            break;
        }
        k++;
    }
    struct fc_config cfg;
    if (ok && fc_config_load(&cfg, base, ov, k, NULL) == 0)
        fc_config_free(&cfg);
    for (size_t i = 0; i < k; i++)
        fc_override_free(&ov[i]);
    free(text);
    fuzz_done();
    return 0;
}

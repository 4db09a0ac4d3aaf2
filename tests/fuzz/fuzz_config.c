/*
 * fuzz_config.c — the config loader (core/config.c): the input is a config
 * file, parsed (cJSON), merged over the built-in defaults and validated.
 */
#include "forecast/core/config.h"
#include "forecast/core/util.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    fc_verbosity = 0;
    const char *path = fuzz_file("config.json", d, n);
    struct fc_config cfg;
    if (fc_config_load(&cfg, path, NULL, 0, NULL) == 0)
        fc_config_free(&cfg);
    fuzz_done();
    return 0;
}

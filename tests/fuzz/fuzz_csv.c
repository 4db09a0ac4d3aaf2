/*
 * fuzz_csv.c — the CSV loader (data/csv.c, data/dataset.c) and the derived
 * features computed on what it loads (data/derive.c): the input is a data
 * file with columns id, date, y and any features. The config is fixed:
 * series column id, target y, every other column a feature; lags, a rolling
 * mean and calendar features.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/core/config.h"
#include "forecast/core/util.h"
#include "forecast/data/dataset.h"
#include "forecast/data/derive.h"
#include "fuzz.h"

static struct fc_config cfg;
static int ready;

static void setup(void)
{
    char *data = fc_xasprintf("%s/data.csv", fuzz_dir());
    char *json = fc_xasprintf(
        "{\"data\": {\"path\": \"%s\", \"series_columns\": [\"id\"], \"date_column\": \"date\", "
        "\"target_column\": \"y\", \"features\": [], \"ignore\": [], \"cache\": false, "
        "\"missing_target\": \"drop\"}, \"split\": {\"split_date\": \"2020-01-01\"}, "
        "\"horizon\": null, \"features\": {\"lags\": [1, 7], \"rolling\": [{\"stat\": \"mean\", "
        "\"window\": 3, \"lag\": 1}, {\"stat\": \"std\", \"window\": 4, \"lag\": 2}], "
        "\"expanding\": [{\"stat\": \"mean\", \"lag\": 1}], \"calendar\": [\"dow\", \"month\"]}}",
        data);
    const char *path = fuzz_file("config.json", json, strlen(json));
    fc_verbosity = 0;
    if (fc_config_load(&cfg, path, NULL, 0, NULL)) {
        fc_error_report();
        abort();
    }
    free(data);
    free(json);
    ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (!ready)
        setup();
    fuzz_file("data.csv", d, n);
    for (int need_target = 0; need_target < 2; need_target++) {
        struct fc_dataset *ds = fc_dataset_parse(&cfg.data, need_target);
        if (ds) {
            enum fc_freq freq = cfg.data.freq;
            fc_derive(ds, &cfg.features, &freq, 0, 0);
            fc_dataset_free(ds);
        }
        fuzz_done();
    }
    return 0;
}

/*
 * fuzz_cache.c — the binary cache's payload reader (data/cache.c): the
 * input is a payload, what follows the header whose checksums the loader
 * checks first, so this is the reader a damaged or hostile cache that got
 * past them would meet.
 */
#include <math.h>
#include <string.h>

#include "forecast/core/util.h"
#include "forecast/data/cache.h"
#include "forecast/data/dataset.h"
#include "fuzz.h"

/* reads what ds says it holds (ASan checks every read), then frees it */
static void walk(struct fc_dataset *ds)
{
    if (!ds)
        return;
    double sum = 0;
    for (size_t s = 0; s < ds->n_series; s++)
        for (size_t i = 0; i < ds->series_len[s]; i++)
            sum += ds->target[ds->series_start[s] + i];
    for (size_t j = 0; j < ds->n_features; j++)
        for (size_t i = 0; i < ds->n_rows; i++)
            sum += ds->features[j][i];
    for (size_t t = 0; t < ds->n_text; t++) /* text codes name texts */
        for (size_t i = 0; i < ds->n_rows; i++)
            if (!isnan(ds->text[t][i]))
                sum += (double)strlen(fc_text_value((uint32_t)ds->text[t][i]));
    if (sum == 12345.678) /* keeps the reads */
        fuzz_done();
    fc_dataset_free(ds);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    /* copied out, and in place (the columns pointing into the input, as a
     * cached load points them into the file's mapping) */
    for (int in_place = 0; in_place < 2; in_place++)
        walk(fc_cache_parse_payload(d, n, in_place));
    fuzz_done();
    return 0;
}

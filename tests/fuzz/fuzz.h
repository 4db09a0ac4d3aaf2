/*
 * fuzz.h — what the fuzz targets share: a scratch directory of the process
 * and writing the input into a file there. Each target defines
 * LLVMFuzzerTestOneInput; `make fuzz` links it with libFuzzer (clang), and
 * driver.c runs saved inputs through it in `make check`.
 */
#ifndef FORECAST_FUZZ_H
#define FORECAST_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The process's scratch directory (created on the first call, removed at
 * exit). */
const char *fuzz_dir(void);
/* dir/name holding exactly data[0..size); its path (static). */
const char *fuzz_file(const char *name, const void *data, size_t size);
/* The end of an input: its error, if any, is dropped (printed when the
 * environment has FUZZ_DEBUG, to see how far a seed gets). */
void fuzz_done(void);

#endif

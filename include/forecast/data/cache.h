/*
 * cache.h — opening a dataset (fc_dataset_open: the cache, else the CSV
 * through dataset.h) and the binary cache of a loaded dataset: after a first load from
 * CSV the columns are written (atomically) to <data>.fccache, or into a cache
 * directory, and read back with mmap on the next load while the source is
 * unchanged. The file starts with a magic number and format version, records
 * the source's fingerprint (size, modification time, inode) and a hash of the
 * column roles, and carries an XXH3 checksum of its payload; a changed source
 * or a damaged cache is detected and the cache rebuilt.
 */
#ifndef FORECAST_CACHE_H
#define FORECAST_CACHE_H

#include <stddef.h>

#include "forecast/core/config.h"
#include "forecast/data/dataset.h"

/* The dataset of spec: from its binary cache when spec->cache is on and the
 * cache is current, else parsed from the CSV. NULL after fc_error. */
struct fc_dataset *fc_dataset_open(const struct fc_data_spec *spec, int need_target);

/* Writes the binary cache of ds when spec->cache is on and ds came from the
 * CSV. Called by the commands once the input is known to be good (bad input
 * writes nothing); a cache that cannot be written is a warning. */
void fc_dataset_cache_store(const struct fc_data_spec *spec, int need_target,
                            const struct fc_dataset *ds);

#define FC_CACHE_VERSION 6 /* 2: escaped series keys; 3: need_target and complete;
                              4: header checksum; 5: text columns; 6: aligned
                              columns, used in place */

/* Where the cache of spec lives (caller frees). */
char *fc_cache_path(const struct fc_data_spec *spec);

/* The cached dataset, or NULL when there is none usable; then *why says why
 * (missing, stale, damaged) for the log. */
struct fc_dataset *fc_cache_load(const struct fc_data_spec *spec, int need_target,
                                 char *why, size_t why_len);

/* The dataset in a cache file's payload (what follows the header), or NULL
 * when its layout is damaged; for the fuzz target and tests: the loader
 * checks the header and checksums first. in_place: its columns point into
 * payload (which must outlive the dataset), as a cached load's point into
 * the file's mapping. */
struct fc_dataset *fc_cache_parse_payload(const void *payload, size_t len, int in_place);

/* Writes the cache of ds (loaded from spec). 0, or -1 after fc_error. */
int fc_cache_save(const struct fc_data_spec *spec, int need_target,
                  const struct fc_dataset *ds);

#endif

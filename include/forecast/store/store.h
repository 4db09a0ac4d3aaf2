/*
 * store.h — everything that touches the output tree: directories, atomic
 * file writes (temporary name, fsync, rename), JSON files, and the manifest
 * that makes a saved model self-checking (format version, schema, sha256 of
 * every file).
 */
#ifndef FORECAST_STORE_H
#define FORECAST_STORE_H

#include <stddef.h>
#include <stdio.h>

struct cJSON;

#define FC_MANIFEST_FORMAT 1

/* mkdir -p; 0 or -1 after fc_error. */
int fc_mkdir_p(const char *path);
/* Removes path and everything under it (rm -rf; symbolic links are removed,
 * not followed). 0, or -1 after fc_error. */
int fc_remove_tree(const char *path);
/* Writes data to path through a temporary file in the same directory,
 * fsyncs and renames: readers see the old file or the new one, never half. */
int fc_write_atomic(const char *path, const void *data, size_t len);

/* The same for a file written piece by piece: open gives f (a temporary
 * file beside path); close flushes, fsyncs and renames it into place, or
 * removes it when failed is set or anything went wrong. 0 or -1 after
 * fc_error. */
struct fc_atomic {
    FILE *f;
    char *path, *tmp;
};
int fc_atomic_open(struct fc_atomic *a, const char *path);
int fc_atomic_close(struct fc_atomic *a, int failed);
/* fc_write_atomic of dir/name. */
int fc_write_in(const char *dir, const char *name, const void *data, size_t len);
/* JSON, indented, atomically. */
int fc_write_json(const char *path, const struct cJSON *json);
/* fc_write_json of dir/name, and json deleted (a model's own file). */
int fc_write_json_in(const char *dir, const char *name, struct cJSON *json);
/* Reads and parses a JSON file; NULL after fc_error naming it. */
struct cJSON *fc_read_json(const char *path);
/* a is a JSON array of exactly n finite numbers: into out, 0; else -1
 * (nothing reported: the caller names the file and key). */
int fc_json_doubles(const struct cJSON *a, size_t n, double *out);
/* a is a JSON array of exactly the n quantile levels given (to 1e-12): the
 * levels a saved model was trained for are the run's. 1 or 0. */
int fc_json_levels_match(const struct cJSON *a, const double *levels, size_t n);

/* Writes dir/manifest.json: info (an object, copied) plus "files": the size
 * and sha256 of every regular file in dir. */
int fc_manifest_write(const char *dir, const struct cJSON *info);
/* Verifies dir/manifest.json: format version, kind, and every listed file's
 * size and checksum. Returns the manifest (caller deletes) or NULL after
 * fc_error. */
struct cJSON *fc_manifest_verify(const char *dir, const char *expected_kind);

/* Output destinations, checked before any work (exit 2 on failure):
 * path can be created or replaced as a file (dir 0) or a directory (dir 1):
 * no directory where a file goes or the reverse, and its nearest existing
 * parent is a directory we may write in. what names the option in the
 * message. 0, or -1 after fc_error. */
int fc_check_output(const char *path, int dir, const char *what);
/* Removes the temporary files (*.tmp.<pid>) under dir that a writer which
 * no longer runs left behind (a crash); returns how many. */
size_t fc_sweep_tmp(const char *dir);
/* Whether a and b both exist and are one file. */
int fc_same_file(const char *a, const char *b);
/* Whether path (existing or not) lies inside directory dir. */
int fc_path_inside(const char *path, const char *dir);

#endif

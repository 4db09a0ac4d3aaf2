/*
 * release.h — a release: one .tar.gz (libarchive) of a run's chosen models
 * under one top directory <run-name>-<version>/, laid out as a run directory
 * (run.json, transform.json, categories.json, <model>/<strategy>/...) plus
 * schema.json, MODEL_CARD.md, release.json and SHA256SUMS (sha256sum -c
 * format, over every other file). Written to a temporary name and renamed;
 * opened only after every path, checksum and manifest is checked and every
 * model loads.
 */
#ifndef FORECAST_RELEASE_H
#define FORECAST_RELEASE_H

#include <stddef.h>

struct cJSON;

#define FC_RELEASE_KIND "forecast-release"
#define FC_RELEASE_FORMAT 1

struct fc_release_opts {
    const char *run_dir;
    const char *version;      /* X.Y.Z */
    const char *const *models; /* NULL / 0: every model of the run */
    size_t n_models;
    const char *out_dir;      /* default "releases" */
    const char *notes_path;   /* may be NULL */
    int allow_partial;
};

/* Writes the release; *path gets the archive's path (caller frees). 0; -1
 * bad input (nothing written: exit 2); -2 failed while writing (exit 1). */
int fc_release_write(const struct fc_release_opts *o, char **path);

/* An opened release: verified and extracted into a temporary directory. */
struct fc_release {
    char *archive;
    char *tmp;             /* the temporary directory (removed by close) */
    char *top;             /* tmp/<name>-<version>: readable as a run directory */
    struct cJSON *info;    /* release.json */
};

/* Verifies archive — its paths (relative, no "..", one top directory, no
 * links), every checksum in SHA256SUMS and that it lists every file, every
 * model's manifest, and that every model loads — and extracts it. 0, or -1
 * after fc_error naming the archive and the first file at fault. */
int fc_release_open(const char *archive, struct fc_release *r);
void fc_release_close(struct fc_release *r);

/* release.json of an archive, read without the other checks (listing).
 * NULL after fc_error. */
struct cJSON *fc_release_info(const char *archive);

#endif

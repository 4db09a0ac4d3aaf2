/*
 * cmd_release.c — `forecast release RUN_DIR --version X.Y.Z`, `forecast
 * verify ARCHIVE` and `forecast releases [DIR]`: packaging a run's models as
 * a verifiable archive, checking one, listing them (store/release.h).
 * `forecast predict --release ARCHIVE` is in cmd_predict.c.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/cli/cli.h"
#include "forecast/core/util.h"
#include "forecast/store/release.h"

/* ---- release ---- */

static const struct fc_opt release_opts[] = {
    {"version", "X.Y.Z", "the release's semantic version (required)"},
    {"model", "NAME", "release this model of the run (repeatable; default: all of them)"},
    {"out", "DIR", "where the archive goes (default releases/)"},
    {"notes", "FILE", "text for the model card's Notes section"},
    {"allow-partial", NULL, "release a partial run (some series failed to train)"},
    {"quiet", NULL, "print only errors"},
};

static int cmd_release(int argc, char **argv)
{
    struct fc_args a;
    int done;
    int rc = fc_cmd_parse(&fc_cmd_release, argc, argv, &a, &done);
    if (rc || done)
        return rc;
    struct fc_release_opts o = {0};
    const char **models = xcalloc(a.n + 1, sizeof *models);
    rc = FC_EXIT_USAGE;
    for (size_t i = 0; i < a.n; i++) {
        const struct fc_arg *it = &a.items[i];
        if (!it->opt) {
            if (o.run_dir) {
                fc_error("release: expected one run directory, got '%s' and '%s'", o.run_dir,
                         it->value);
                goto out;
            }
            o.run_dir = it->value;
            continue;
        }
        const char *nm = it->opt->name;
        if (!strcmp(nm, "version"))
            o.version = it->value;
        else if (!strcmp(nm, "model"))
            models[o.n_models++] = it->value;
        else if (!strcmp(nm, "out"))
            o.out_dir = it->value;
        else if (!strcmp(nm, "notes"))
            o.notes_path = it->value;
        else if (!strcmp(nm, "allow-partial"))
            o.allow_partial = 1;
        else if (!strcmp(nm, "quiet"))
            fc_verbosity = 0;
    }
    if (!o.run_dir || !o.version) {
        fc_error("release: usage: forecast release RUN_DIR --version X.Y.Z [--model NAME ...] "
                 "[--out DIR] [--notes FILE] [--allow-partial]");
        goto out;
    }
    o.models = models;
    char *path = NULL;
    int r = fc_release_write(&o, &path);
    if (r == 0) {
        fc_info(1, "released %s", path);
        printf("%s\n", path);
        rc = FC_EXIT_OK;
    } else {
        rc = r == -1 ? FC_EXIT_USAGE : FC_EXIT_FAILURE;
    }
    free(path);
out:
    free(models);
    fc_args_free(&a);
    return rc;
}

const struct fc_cmd fc_cmd_release = {
    .name = "release",
    .fn = cmd_release,
    .summary = "package a run's models as a versioned, verifiable archive",
    .synopsis = "forecast release RUN_DIR --version X.Y.Z [--model NAME ...] [--out DIR] "
                "[--notes FILE] [--allow-partial]",
    .description =
        "Writes DIR/<run-name>-<version>.tar.gz (default DIR releases/), to a temporary\n"
        "name first: under one top directory <run-name>-<version>/, the run's run.json,\n"
        "transform.json and categories.json, each chosen model's directory\n"
        "(<model>/<strategy>/: saved models with their manifests, metrics.json,\n"
        "predictions.csv), schema.json (the columns and derived features a prediction\n"
        "needs), MODEL_CARD.md, release.json and SHA256SUMS over every other file (as\n"
        "sha256sum -c checks). Prints the archive's path.\n"
        "\n"
        "exit status: 0 done; 2 bad input, nothing written: a version that is not\n"
        "X.Y.Z, one already released, a failed run, a partial run without\n"
        "--allow-partial, a model the run does not have, damaged model files;\n"
        "1 failed while writing.",
    .opts = release_opts,
    .n_opts = sizeof release_opts / sizeof release_opts[0],
};

/* ---- verify ---- */

static const struct fc_opt verify_opts[] = {
    {"quiet", NULL, "print only errors"},
};

static int cmd_verify(int argc, char **argv)
{
    struct fc_args a;
    int done;
    int rc = fc_cmd_parse(&fc_cmd_verify, argc, argv, &a, &done);
    if (rc || done)
        return rc;
    const char *archive = NULL;
    rc = FC_EXIT_USAGE;
    for (size_t i = 0; i < a.n; i++) {
        if (a.items[i].opt) {
            fc_verbosity = 0;
        } else if (archive) {
            fc_error("verify: expected one archive, got '%s' and '%s'", archive,
                     a.items[i].value);
            goto out;
        } else {
            archive = a.items[i].value;
        }
    }
    if (!archive) {
        fc_error("verify: which archive? (forecast verify releases/<name>-<version>.tar.gz)");
        goto out;
    }
    struct fc_release r;
    if (fc_release_open(archive, &r))
        goto out;
    const cJSON *models = cJSON_GetObjectItemCaseSensitive(r.info, "models");
    printf("%s: ok: %s %s, %d model(s), every checksum and manifest verified, every model "
           "loads\n",
           archive, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r.info, "name")),
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r.info, "version")),
           cJSON_GetArraySize(models));
    fc_release_close(&r);
    rc = FC_EXIT_OK;
out:
    fc_args_free(&a);
    return rc;
}

const struct fc_cmd fc_cmd_verify = {
    .name = "verify",
    .fn = cmd_verify,
    .summary = "check a release archive: paths, checksums, manifests, models",
    .synopsis = "forecast verify ARCHIVE",
    .description =
        "Checks, before extracting anything, that every entry of ARCHIVE is a file or\n"
        "directory under one top directory with a relative path without \"..\" (no\n"
        "links); then that SHA256SUMS lists every other file with its sha256; then\n"
        "extracts it into a temporary directory, verifies every model's manifest and\n"
        "loads every model.\n"
        "\n"
        "exit status: 0 the release is intact; 2 it is not (the message names the\n"
        "first file at fault).",
    .opts = verify_opts,
    .n_opts = sizeof verify_opts / sizeof verify_opts[0],
};

/* ---- releases ---- */

static const struct fc_opt releases_opts[] = {
    {"json", NULL, "print a JSON array instead of a table"},
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmd_releases(int argc, char **argv)
{
    struct fc_args a;
    int done;
    int rc = fc_cmd_parse(&fc_cmd_releases, argc, argv, &a, &done);
    if (rc || done)
        return rc;
    const char *dir = NULL;
    int json = 0;
    rc = FC_EXIT_USAGE;
    for (size_t i = 0; i < a.n; i++) {
        if (a.items[i].opt) {
            json = 1;
        } else if (dir) {
            fc_error("releases: expected one directory, got '%s' and '%s'", dir,
                     a.items[i].value);
            fc_args_free(&a);
            return rc;
        } else {
            dir = a.items[i].value;
        }
    }
    dir = dir ? dir : "releases";
    DIR *d = opendir(dir);
    if (!d) {
        fc_error("%s: cannot read the directory of releases", dir);
        fc_args_free(&a);
        return rc;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] != '.' && l > 7 && strcmp(e->d_name + l - 7, ".tar.gz") == 0) {
            names = xrealloc(names, (n + 1) * sizeof *names);
            names[n++] = fc_xasprintf("%s/%s", dir, e->d_name);
        }
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    cJSON *arr = cJSON_CreateArray();
    if (!json)
        printf("%-28s %-9s %-22s %-36s %s\n", "NAME", "VERSION", "CREATED", "MODELS",
               "METRIC (first model)");
    for (size_t i = 0; i < n; i++) {
        cJSON *info = fc_release_info(names[i]);
        if (!info) {
            fc_warn("%s", fc_last_error);
            fc_error_clear();
            continue;
        }
        cJSON_AddStringToObject(info, "archive", names[i]);
        if (!json) {
            char models[256] = "", metric[64] = "";
            const cJSON *m;
            cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(info, "models"))
            {
                const char *mn = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "model"));
                size_t l = strlen(models);
                snprintf(models + l, sizeof models - l, "%s%s", l ? "," : "", mn ? mn : "?");
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, "value");
                const char *mk = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "metric"));
                if (!metric[0] && mk && cJSON_IsNumber(v))
                    snprintf(metric, sizeof metric, "%s %.4f", mk, v->valuedouble);
            }
            printf("%-28s %-9s %-22s %-36s %s\n",
                   cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(info, "name")),
                   cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(info, "version")),
                   cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(info, "created")), models,
                   metric);
        }
        cJSON_AddItemToArray(arr, info);
    }
    if (json) {
        char *s = cJSON_Print(arr);
        puts(s);
        free(s);
    }
    cJSON_Delete(arr);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    fc_args_free(&a);
    return FC_EXIT_OK;
}

const struct fc_cmd fc_cmd_releases = {
    .name = "releases",
    .fn = cmd_releases,
    .summary = "list the release archives in a directory",
    .synopsis = "forecast releases [DIR] [--json]",
    .description = "One line per DIR/*.tar.gz (default DIR releases/): name, version, created,\n"
                   "models, and the first model's ranking metric (WRMSSE, or WSPL for a\n"
                   "quantile-only model), from its release.json. Listing does not verify:\n"
                   "forecast verify ARCHIVE does.",
    .opts = releases_opts,
    .n_opts = sizeof releases_opts / sizeof releases_opts[0],
};

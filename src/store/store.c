/*
 * store.c — directories, atomic writes, JSON files and manifests.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "forecast/store/store.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <ftw.h>
#include <signal.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "forecast/core/hash.h"
#include "forecast/core/util.h"
#include "forecast/core/version.h"

int fc_mkdir_p(const char *path)
{
    char *p = xstrdup(path);
    int rc = 0;
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                rc = fc_error("%s: cannot create directory: %s", p, strerror(errno));
                break;
            }
            struct stat st;
            if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
                rc = fc_error("%s: exists and is not a directory", p);
                break;
            }
            *s = c;
            if (!c)
                break;
        }
    }
    free(p);
    return rc;
}

/* The nearest existing directory at or above path's directory part (dir:
 * path itself is to be a directory), into buf. */
static void existing_parent(const char *path, int dir, char *buf, size_t n)
{
    snprintf(buf, n, "%s", path);
    if (!dir) {
        char *slash = strrchr(buf, '/');
        if (!slash)
            snprintf(buf, n, ".");
        else if (slash == buf)
            buf[1] = '\0';
        else
            *slash = '\0';
    }
    struct stat st;
    while (stat(buf, &st) != 0) {
        char *slash = strrchr(buf, '/');
        if (!slash) {
            snprintf(buf, n, ".");
            return;
        }
        if (slash == buf) {
            buf[1] = '\0';
            return;
        }
        *slash = '\0';
    }
}

int fc_check_output(const char *path, int dir, const char *what)
{
    char parent[4096];
    struct stat st;
    if (strlen(path) >= sizeof parent)
        return fc_error("%s %s: the path is too long", what, path);
    if (stat(path, &st) == 0) {
        if (dir && !S_ISDIR(st.st_mode))
            return fc_error("%s %s: exists and is not a directory", what, path);
        if (!dir && S_ISDIR(st.st_mode))
            return fc_error("%s %s: is a directory; give a file name", what, path);
        if (!dir && !S_ISREG(st.st_mode))
            return fc_error("%s %s: not a regular file; forecast writes a new file and "
                            "renames it into place",
                            what, path);
    }
    existing_parent(path, dir && stat(path, &st) == 0, parent, sizeof parent);
    if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode))
        return fc_error("%s %s: %s is not a directory", what, path, parent);
    if (access(parent, W_OK | X_OK) != 0)
        return fc_error("%s %s: cannot write in %s: %s", what, path, parent, strerror(errno));
    return 0;
}

/* nftw callback: a file named <name>.tmp.<pid> whose process is gone */
static size_t swept;
static int sweep_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type != FTW_F)
        return 0;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *tmp = strstr(base, ".tmp.");
    if (!tmp || !tmp[5] || strspn(tmp + 5, "0123456789") != strlen(tmp + 5))
        return 0;
    long pid = strtol(tmp + 5, NULL, 10);
    if (pid > 0 && (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
        return 0; /* its writer may still be at work (another shard) */
    if (unlink(path) == 0)
        swept++;
    return 0;
}

size_t fc_sweep_tmp(const char *dir)
{
    swept = 0;
    nftw(dir, sweep_one, 16, FTW_PHYS);
    return swept;
}

int fc_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

int fc_path_inside(const char *path, const char *dir)
{
    char d[PATH_MAX], p[PATH_MAX], parent[4096];
    if (!realpath(dir, d))
        return 0;
    existing_parent(path, 0, parent, sizeof parent);
    if (!realpath(parent, p))
        return 0;
    size_t n = strlen(d);
    return strncmp(p, d, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

int fc_atomic_open(struct fc_atomic *a, const char *path)
{
    a->path = xstrdup(path);
    a->tmp = fc_xasprintf("%s.tmp.%ld", path, (long)getpid());
    a->f = fopen(a->tmp, "wb");
    if (!a->f) {
        fc_error("%s: cannot write: %s", path, strerror(errno));
        free(a->path);
        free(a->tmp);
        return -1;
    }
    return 0;
}

int fc_atomic_close(struct fc_atomic *a, int failed)
{
    int rc = -1;
    int err = failed || ferror(a->f) || fflush(a->f) != 0 || fsync(fileno(a->f)) != 0;
    if (fclose(a->f) != 0)
        err = 1;
    if (err)
        fc_error("%s: write failed: %s", a->path, errno ? strerror(errno) : "I/O error");
    else if (rename(a->tmp, a->path) != 0)
        fc_error("%s: cannot rename into place: %s", a->path, strerror(errno));
    else
        rc = 0;
    if (rc)
        unlink(a->tmp);
    free(a->path);
    free(a->tmp);
    return rc;
}

int fc_write_atomic(const char *path, const void *data, size_t len)
{
    struct fc_atomic a;
    if (fc_atomic_open(&a, path))
        return -1;
    return fc_atomic_close(&a, len && fwrite(data, 1, len, a.f) != len);
}

int fc_write_json_in(const char *dir, const char *name, cJSON *json)
{
    char *path = fc_xasprintf("%s/%s", dir, name);
    int rc = fc_write_json(path, json);
    free(path);
    cJSON_Delete(json);
    return rc;
}

int fc_write_in(const char *dir, const char *name, const void *data, size_t len)
{
    char *path = fc_xasprintf("%s/%s", dir, name);
    int rc = fc_write_atomic(path, data, len);
    free(path);
    return rc;
}

int fc_write_json(const char *path, const cJSON *json)
{
    char *text = cJSON_Print(json);
    FC_ASSERT(text);
    size_t n = strlen(text);
    text = xrealloc(text, n + 2);
    text[n] = '\n';
    text[n + 1] = '\0';
    int rc = fc_write_atomic(path, text, n + 1);
    free(text);
    return rc;
}

cJSON *fc_read_json(const char *path)
{
    size_t len;
    char *text = fc_read_file(path, &len);
    if (!text)
        return NULL;
    const char *end = NULL;
    cJSON *j = strlen(text) == len ? cJSON_ParseWithOpts(text, &end, 1) : NULL;
    free(text);
    if (!j)
        fc_error("%s: not a valid JSON file (truncated or damaged?)", path);
    return j;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files under dir/rel (rel "" at the top), as paths relative
 * to dir, into names; the top's manifest.json and temporary files left out.
 * Subdirectories (an ensemble's members) are walked. */
static int list_files(const char *dir, const char *rel, char ***names, size_t *n)
{
    char *path = *rel ? fc_xasprintf("%s/%s", dir, rel) : xstrdup(dir);
    DIR *d = opendir(path);
    if (!d) {
        int rc = fc_error("%s: cannot open directory: %s", path, strerror(errno));
        free(path);
        return rc;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.' || (!*rel && strcmp(e->d_name, "manifest.json") == 0) ||
            strstr(e->d_name, ".tmp."))
            continue;
        char *sub = *rel ? fc_xasprintf("%s/%s", rel, e->d_name) : xstrdup(e->d_name);
        char *full = fc_xasprintf("%s/%s", dir, sub);
        struct stat st;
        int ok = stat(full, &st) == 0;
        if (ok && S_ISDIR(st.st_mode)) {
            rc = list_files(dir, sub, names, n);
            free(sub);
        } else if (ok && S_ISREG(st.st_mode)) {
            *names = xrealloc(*names, (*n + 1) * sizeof **names);
            (*names)[(*n)++] = sub;
        } else {
            free(sub);
        }
        free(full);
    }
    closedir(d);
    free(path);
    return rc;
}

int fc_json_doubles(const cJSON *a, size_t n, double *out)
{
    if (!cJSON_IsArray(a) || (size_t)cJSON_GetArraySize(a) != n)
        return -1;
    size_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, a)
    {
        if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble))
            return -1;
        out[i++] = e->valuedouble;
    }
    return 0;
}

int fc_json_levels_match(const cJSON *a, const double *levels, size_t n)
{
    double *got = xmalloc((n ? n : 1) * sizeof *got);
    int same = fc_json_doubles(a, n, got) == 0;
    for (size_t j = 0; same && j < n; j++)
        same = fabs(got[j] - levels[j]) < 1e-12;
    free(got);
    return same;
}

int fc_manifest_write(const char *dir, const cJSON *info)
{
    char **names = NULL;
    size_t n = 0;
    if (list_files(dir, "", &names, &n)) {
        for (size_t i = 0; i < n; i++)
            free(names[i]);
        free(names);
        return -1;
    }
    qsort(names, n, sizeof *names, cmp_str);
    cJSON *m = cJSON_Duplicate(info, 1);
    cJSON_DeleteItemFromObjectCaseSensitive(m, "format_version");
    cJSON_DeleteItemFromObjectCaseSensitive(m, "files");
    cJSON_AddNumberToObject(m, "format_version", FC_MANIFEST_FORMAT);
    cJSON_AddStringToObject(m, "forecast_version", FC_VERSION);
    cJSON *files = cJSON_AddObjectToObject(m, "files");
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char *full = fc_xasprintf("%s/%s", dir, names[i]);
        char hex[65];
        size_t size;
        if (!rc && fc_sha256_file(full, hex, &size) == 0) {
            cJSON *f = cJSON_AddObjectToObject(files, names[i]);
            cJSON_AddNumberToObject(f, "size", (double)size);
            cJSON_AddStringToObject(f, "sha256", hex);
        } else {
            rc = -1;
        }
        free(full);
        free(names[i]);
    }
    free(names);
    if (!rc) {
        char *path = fc_xasprintf("%s/manifest.json", dir);
        rc = fc_write_json(path, m);
        free(path);
    }
    cJSON_Delete(m);
    return rc;
}

static int relative_path(const char *p)
{
    if (!*p || *p == '/')
        return 0;
    for (const char *c = p; *c;) {
        size_t len = strcspn(c, "/");
        if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
            return 0;
        c += len;
        if (*c == '/' && !*++c)
            return 0;
    }
    return 1;
}

/* -1 after fc_error when a file under dir/rel is not in files */
static int unlisted(const char *dir, const char *rel, const cJSON *files, const char *manifest)
{
    char *path = *rel ? fc_xasprintf("%s/%s", dir, rel) : xstrdup(dir);
    DIR *dh = opendir(path);
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && dh && (e = readdir(dh))) {
        const char *tmp = strstr(e->d_name, ".tmp.");
        if (e->d_name[0] == '.' || (!*rel && strcmp(e->d_name, "manifest.json") == 0) ||
            (tmp && tmp[5] && strspn(tmp + 5, "0123456789") == strlen(tmp + 5)))
            continue;
        char *sub = *rel ? fc_xasprintf("%s/%s", rel, e->d_name) : xstrdup(e->d_name);
        char *full = fc_xasprintf("%s/%s", dir, sub);
        struct stat st;
        if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode))
            rc = unlisted(dir, sub, files, manifest);
        else if (!cJSON_GetObjectItemCaseSensitive(files, sub))
            rc = fc_error("%s: not listed in %s: a model directory holds only the files its "
                          "manifest checks",
                          full, manifest);
        free(sub);
        free(full);
    }
    if (dh)
        closedir(dh);
    free(path);
    return rc;
}

cJSON *fc_manifest_verify(const char *dir, const char *expected_kind)
{
    char *path = fc_xasprintf("%s/manifest.json", dir);
    cJSON *m = fc_read_json(path);
    if (!m)
        goto fail;
    const cJSON *fv = cJSON_GetObjectItemCaseSensitive(m, "format_version");
    if (!cJSON_IsNumber(fv)) {
        fc_error("%s: no format_version: not a forecast manifest", path);
        goto fail;
    }
    if (fv->valuedouble < 1 || fv->valuedouble != floor(fv->valuedouble)) {
        fc_error("%s: format_version %g is not a version forecast ever wrote (1 to %d)",
                 path, fv->valuedouble, FC_MANIFEST_FORMAT);
        goto fail;
    }
    if (fv->valuedouble > FC_MANIFEST_FORMAT) {
        fc_error("%s: format_version %g is newer than this forecast (%s) reads (%d); "
                 "upgrade forecast",
                 path, fv->valuedouble, FC_VERSION, FC_MANIFEST_FORMAT);
        goto fail;
    }
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(m, "kind");
    if (expected_kind && (!cJSON_IsString(kind) || strcmp(kind->valuestring, expected_kind))) {
        fc_error("%s: kind is %s, expected \"%s\"", path,
                 cJSON_IsString(kind) ? kind->valuestring : "missing", expected_kind);
        goto fail;
    }
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(m, "files");
    if (!cJSON_IsObject(files) || !files->child) {
        fc_error("%s: lists no files", path);
        goto fail;
    }
    const cJSON *f;
    cJSON_ArrayForEach(f, files)
    {
        const cJSON *sz = cJSON_GetObjectItemCaseSensitive(f, "size");
        const cJSON *sh = cJSON_GetObjectItemCaseSensitive(f, "sha256");
        char *full = fc_xasprintf("%s/%s", dir, f->string);
        char hex[65];
        size_t size;
        /* a missing file is said in the manifest's words, not the reader's;
         * a path below dir has no empty, "." or ".." component */
        int bad = !relative_path(f->string) || !cJSON_IsNumber(sz) || !cJSON_IsString(sh) ||
                  fc_sha256_file(full, hex, &size) != 0;
        if (!bad && ((double)size != sz->valuedouble || strcmp(hex, sh->valuestring) != 0)) {
            fc_error("%s: size or checksum does not match %s (%zu bytes, expected %.0f): "
                     "the file was changed, truncated or damaged",
                     full, path, size, sz->valuedouble);
            bad = 1;
        } else if (bad) {
            fc_error("%s: listed in %s but missing or unreadable", full, path);
        }
        free(full);
        if (bad)
            goto fail;
    }
    /* every file beside the manifest (and below it) is one it checks: a
     * loader reads nothing unchecked (a crash's temporary files,
     * *.tmp.<pid>, are read by no one) */
    if (unlisted(dir, "", files, path))
        goto fail;
    free(path);
    return m;
fail:
    free(path);
    cJSON_Delete(m);
    return NULL;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    int rc = flag == FTW_DP ? rmdir(path) : unlink(path);
    if (rc != 0 && errno != ENOENT) {
        fc_error("%s: cannot remove: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int fc_remove_tree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return errno == ENOENT ? 0 : fc_error("%s: %s", path, strerror(errno));
    return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

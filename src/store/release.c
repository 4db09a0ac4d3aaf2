/*
 * release.c — writing, verifying and opening releases (release.h) with
 * libarchive. The archive is built in memory from the run's files and
 * written in one pass; reading checks every entry's path and type before
 * anything is written to disk, then every checksum, then extracts into a
 * temporary directory where the manifests are verified and the models
 * loaded.
 */
#define _XOPEN_SOURCE 700 /* mkdtemp */
#include "forecast/store/release.h"

#include <archive.h>
#include <archive_entry.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "forecast/core/config.h"
#include "forecast/core/hash.h"
#include "forecast/core/registry.h"
#include "forecast/core/util.h"
#include "forecast/core/version.h"
#include "forecast/report/report.h"
#include "forecast/store/modeldir.h"
#include "forecast/store/rundir.h"
#include "forecast/store/store.h"

#define SUMS_ATTR "user.forecast.sha256"

/* an archive's file: its path below the top directory and its bytes */
struct rfile {
    char *rel;
    char *data;
    size_t len;
    char *sha; /* SHA256SUMS: its own sha256 as its entry's attribute said, or NULL */
};

struct rfiles {
    struct rfile *f;
    size_t n;
};

static void add(struct rfiles *fs, const char *rel, char *data, size_t len)
{
    fs->f = xrealloc(fs->f, (fs->n + 1) * sizeof *fs->f);
    fs->f[fs->n++] = (struct rfile){xstrdup(rel), data, len, NULL};
}

static void rfiles_free(struct rfiles *fs)
{
    for (size_t i = 0; i < fs->n; i++) {
        free(fs->f[i].rel);
        free(fs->f[i].data);
        free(fs->f[i].sha);
    }
    free(fs->f);
    fs->f = NULL;
    fs->n = 0;
}

static int cmp_rel(const void *a, const void *b)
{
    return strcmp(((const struct rfile *)a)->rel, ((const struct rfile *)b)->rel);
}

/* fs sorted by path (cmp_rel) */
static struct rfile *find(const struct rfiles *fs, const char *rel)
{
    struct rfile key = {(char *)rel, NULL, 0, NULL};
    return fs->n ? bsearch(&key, fs->f, fs->n, sizeof *fs->f, cmp_rel) : NULL;
}

/* X.Y.Z, each a number without leading zeros */
static int semver(const char *v)
{
    int parts = 0;
    const char *p = v;
    while (*p) {
        const char *s = p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == s || p - s > 9 || (p - s > 1 && *s == '0'))
            return 0;
        parts++;
        if (*p == '.' && parts < 3)
            p++;
        else if (*p)
            return 0;
    }
    return parts == 3 && p[-1] != '.';
}

/* ---- collecting a run's files ---- */

/* Every regular file under run/rel (recursively, in name order), skipping
 * temporary files and locks; a manifest found verifies first. */
static int add_tree(struct rfiles *fs, const char *run, const char *rel)
{
    char *dir = fc_xasprintf("%s/%s", run, rel);
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);
    int rc = 0;
    if (n < 0) {
        rc = fc_error("%s: cannot read: %s", dir, strerror(errno));
        free(dir);
        return rc;
    }
    for (int i = 0; i < n; i++)
        if (strcmp(names[i]->d_name, "manifest.json") == 0) {
            cJSON *m = fc_manifest_verify(dir, "forecast-model");
            if (!m)
                rc = -1;
            cJSON_Delete(m);
        }
    for (int i = 0; i < n && rc == 0; i++) {
        const char *nm = names[i]->d_name;
        if (nm[0] == '.' || strstr(nm, ".tmp."))
            continue;
        char *sub = fc_xasprintf("%s/%s", rel, nm), *path = fc_xasprintf("%s/%s", run, sub);
        struct stat st;
        if (lstat(path, &st) != 0) {
            rc = fc_error("%s: %s", path, strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            rc = add_tree(fs, run, sub);
        } else if (S_ISREG(st.st_mode)) {
            size_t len;
            char *data = fc_read_file(path, &len);
            if (!data)
                rc = -1;
            else
                add(fs, sub, data, len);
        }
        free(sub);
        free(path);
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(dir);
    return rc;
}

static int add_run_file(struct rfiles *fs, const char *run, const char *rel)
{
    char *path = fc_xasprintf("%s/%s", run, rel);
    size_t len;
    char *data = fc_read_file(path, &len);
    free(path);
    if (!data)
        return -1;
    add(fs, rel, data, len);
    return 0;
}

static char *json_text(const cJSON *j)
{
    char *s = cJSON_Print(j);
    char *t = fc_xasprintf("%s\n", s);
    free(s);
    return t;
}

/* schema.json: the columns a prediction needs and how derived ones are made */
static char *schema(const cJSON *run)
{
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(run, "config");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(cfg, "data");
    cJSON *s = cJSON_CreateObject();
    const char *keys[] = {"series_columns", "date_column", "target_column", "weight_column",
                          "freq"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(data, keys[i]);
        cJSON_AddItemToObject(s, i == 4 ? "frequency" : keys[i],
                              v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull());
    }
    const cJSON *feat = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(run, "data"), "features");
    cJSON_AddItemToObject(s, "features", feat ? cJSON_Duplicate(feat, 1) : cJSON_CreateArray());
    const char *more[] = {"features", "horizon", "multi_step", "target_transform", "nonnegative"};
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, more[i]);
        cJSON_AddItemToObject(s, i == 0 ? "derived" : more[i],
                              v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull());
    }
    char *t = json_text(s);
    cJSON_Delete(s);
    return t;
}

/* The run's entry of each chosen model ("models" of run.json); NULL after
 * fc_error (an unknown model). */
static const cJSON **chosen(const cJSON *run, const struct fc_release_opts *o, size_t *n)
{
    const cJSON *models = cJSON_GetObjectItemCaseSensitive(run, "models");
    size_t avail = (size_t)cJSON_GetArraySize(models);
    const cJSON **out = xcalloc(avail + o->n_models + 1, sizeof *out);
    *n = 0;
    if (!o->n_models) {
        const cJSON *m;
        cJSON_ArrayForEach(m, models) out[(*n)++] = m;
        return out;
    }
    for (size_t i = 0; i < o->n_models; i++) {
        const cJSON *m, *hit = NULL;
        char names[512] = "";
        cJSON_ArrayForEach(m, models)
        {
            const cJSON *nm = cJSON_GetObjectItemCaseSensitive(m, "model");
            if (!cJSON_IsString(nm))
                continue;
            size_t l = strlen(names);
            snprintf(names + l, sizeof names - l, "%s%s", l ? ", " : "", nm->valuestring);
            if (strcmp(nm->valuestring, o->models[i]) == 0)
                hit = m;
        }
        if (!hit) {
            fc_error("--model %s: the run %s has no such model (it has: %s)", o->models[i],
                     o->run_dir, names);
            free(out);
            return NULL;
        }
        for (size_t k = 0; k < *n; k++)
            if (out[k] == hit)
                hit = NULL;
        if (hit)
            out[(*n)++] = hit;
    }
    return out;
}

static char *now_utc(void)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    char s[32];
    strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return xstrdup(s);
}

/* The files of the release, SHA256SUMS last. -1 after fc_error. */
static int collect(const struct fc_release_opts *o, const cJSON *run, const char *name,
                   const char *created, struct rfiles *fs)
{
    if (add_run_file(fs, o->run_dir, "run.json"))
        return -1;
    const char *extra[] = {"transform", "categories"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(run, extra[i]);
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(t, "file");
        if (cJSON_IsString(f) && add_run_file(fs, o->run_dir, f->valuestring))
            return -1;
    }
    size_t n;
    const cJSON **ms = chosen(run, o, &n);
    if (!ms)
        return -1;
    int rc = 0;
    struct fc_card_model *card = xcalloc(n + 1, sizeof *card);
    cJSON **metrics = xcalloc(n + 1, sizeof *metrics);
    cJSON *info = cJSON_CreateObject();
    cJSON_AddStringToObject(info, "kind", FC_RELEASE_KIND);
    cJSON_AddNumberToObject(info, "format_version", FC_RELEASE_FORMAT);
    cJSON_AddStringToObject(info, "name", name);
    cJSON_AddStringToObject(info, "version", o->version);
    cJSON_AddStringToObject(info, "created", created);
    cJSON_AddStringToObject(info, "run_id",
                            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(run, "id")));
    cJSON_AddStringToObject(info, "run_status",
                            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(run, "status")));
    cJSON_AddStringToObject(info, "forecast_version", FC_VERSION);
    cJSON *list = cJSON_AddArrayToObject(info, "models");
    for (size_t k = 0; k < n && rc == 0; k++) {
        const char *model = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ms[k], "model"));
        const char *strategy =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ms[k], "strategy"));
        const char *dir = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ms[k], "dir"));
        if (!model || !strategy || !dir || strstr(dir, "..") || dir[0] == '/') {
            rc = fc_error("%s/run.json: models[%zu]: expected model, strategy and a relative dir",
                          o->run_dir, k);
            break;
        }
        rc = add_tree(fs, o->run_dir, dir);
        char *mp = fc_xasprintf("%s/%s/metrics.json", o->run_dir, dir);
        metrics[k] = rc ? NULL : fc_read_json(mp);
        free(mp);
        if (!rc && !metrics[k])
            rc = -1;
        card[k] = (struct fc_card_model){model, strategy, metrics[k]};
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "model", model);
        cJSON_AddStringToObject(e, "strategy", strategy);
        cJSON_AddStringToObject(e, "dir", dir);
        const cJSON *ov = cJSON_GetObjectItemCaseSensitive(metrics[k], "overall");
        const char *rank = cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(ov, "wrmsse"))
                               ? "wrmsse"
                               : "wspl";
        const cJSON *rv = cJSON_GetObjectItemCaseSensitive(ov, rank);
        cJSON_AddStringToObject(e, "metric", rank);
        if (cJSON_IsNumber(rv))
            cJSON_AddNumberToObject(e, "value", rv->valuedouble);
        else
            cJSON_AddNullToObject(e, "value");
        cJSON_AddItemToArray(list, e);
    }
    char *notes = NULL;
    size_t notes_len = 0;
    if (rc == 0 && o->notes_path && !(notes = fc_read_file(o->notes_path, &notes_len)))
        rc = -1;
    if (rc == 0) {
        char *card_md = fc_model_card(run, card, n, name, o->version, notes);
        add(fs, "MODEL_CARD.md", card_md, strlen(card_md));
        char *sch = schema(run);
        add(fs, "schema.json", sch, strlen(sch));
        char *rj = json_text(info);
        add(fs, "release.json", rj, strlen(rj));
        /* SHA256SUMS over every other file, by path */
        qsort(fs->f, fs->n, sizeof *fs->f, cmp_rel);
        struct fc_buf b;
        fc_buf_init(&b);
        for (size_t i = 0; i < fs->n; i++) {
            char hex[65];
            fc_sha256_buf(fs->f[i].data, fs->f[i].len, hex);
            fc_buf_printf(&b, "%s  %s\n", hex, fs->f[i].rel);
        }
        add(fs, "SHA256SUMS", b.s ? b.s : xstrdup(""), b.len);
    }
    free(notes);
    for (size_t k = 0; k < n; k++)
        cJSON_Delete(metrics[k]);
    free(metrics);
    free(card);
    free(ms);
    cJSON_Delete(info);
    return rc;
}

static int write_archive(const char *tmp, const char *top, const struct rfiles *fs, time_t mtime)
{
    struct archive *a = archive_write_new();
    int rc = 0;
    /* the attribute as SCHILY.xattr only, which GNU tar also reads without
     * a warning */
    if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
        archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        archive_write_set_format_option(a, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK ||
        archive_write_open_filename(a, tmp) != ARCHIVE_OK) {
        rc = fc_error("%s: cannot write: %s", tmp, archive_error_string(a));
        archive_write_free(a);
        return rc;
    }
    for (size_t i = 0; i < fs->n && rc == 0; i++) {
        struct archive_entry *e = archive_entry_new();
        char *path = fc_xasprintf("%s/%s", top, fs->f[i].rel);
        archive_entry_set_pathname(e, path);
        archive_entry_set_size(e, (la_int64_t)fs->f[i].len);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_mtime(e, mtime, 0);
        /* SHA256SUMS carries its own checksum in its header (a pax attribute),
         * so a change to it is told from a change to a file it lists */
        char hex[65];
        if (strcmp(fs->f[i].rel, "SHA256SUMS") == 0) {
            fc_sha256_buf(fs->f[i].data, fs->f[i].len, hex);
            archive_entry_xattr_add_entry(e, SUMS_ATTR, hex, 64);
        }
        if (archive_write_header(a, e) != ARCHIVE_OK ||
            (fs->f[i].len &&
             archive_write_data(a, fs->f[i].data, fs->f[i].len) != (la_ssize_t)fs->f[i].len))
            rc = fc_error("%s: cannot write %s: %s", tmp, path, archive_error_string(a));
        free(path);
        archive_entry_free(e);
    }
    if (archive_write_close(a) != ARCHIVE_OK && rc == 0)
        rc = fc_error("%s: cannot write: %s", tmp, archive_error_string(a));
    archive_write_free(a);
    /* on disk before it gets its name */
    int fd = rc ? -1 : open(tmp, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (fsync(fd) != 0)
            rc = fc_error("%s: fsync: %s", tmp, strerror(errno));
        close(fd);
    }
    return rc;
}

int fc_release_write(const struct fc_release_opts *o, char **path_out)
{
    *path_out = NULL;
    if (!semver(o->version))
        return fc_error("--version %s: expected a semantic version X.Y.Z (e.g. 1.0.0)",
                        o->version);
    cJSON *run = fc_run_read(o->run_dir, 0, "be released");
    if (!run)
        return -1;
    int rc = -1;
    const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(run, "status"));
    status = status ? status : "";
    char *name = NULL, *top = NULL, *path = NULL, *tmp = NULL, *created = now_utc();
    struct rfiles fs = {0};
    if (strcmp(status, "completed") != 0 && strcmp(status, "partial") != 0) {
        fc_error("%s: the run's status is \"%s\": only a completed run can be released",
                 o->run_dir, status);
        goto out;
    }
    if (strcmp(status, "partial") == 0 && !o->allow_partial) {
        fc_error("%s: the run is partial (some series failed to train): release it with "
                 "--allow-partial, or train them (forecast train --resume)",
                 o->run_dir);
        goto out;
    }
    /* the run's name: its directory's */
    char *d = xstrdup(o->run_dir);
    size_t l = strlen(d);
    while (l > 1 && d[l - 1] == '/')
        d[--l] = '\0';
    const char *slash = strrchr(d, '/');
    name = xstrdup(slash ? slash + 1 : d);
    free(d);
    top = fc_xasprintf("%s-%s", name, o->version);
    const char *dir = o->out_dir ? o->out_dir : "releases";
    path = fc_xasprintf("%s/%s.tar.gz", dir, top);
    if (access(path, F_OK) == 0) {
        fc_error("%s already exists: a released version is never replaced (choose another "
                 "--version)",
                 path);
        goto out;
    }
    if (fc_check_output(dir, 1, "--out") || collect(o, run, name, created, &fs))
        goto out;
    rc = -2;
    if (fc_mkdir_p(dir))
        goto out;
    tmp = fc_xasprintf("%s/.%s.tar.gz.tmp.%ld", dir, top, (long)getpid());
    time_t mtime = time(NULL);
    if (write_archive(tmp, top, &fs, mtime)) {
        unlink(tmp);
        goto out;
    }
    /* link(2) refuses an existing name: a release written meanwhile by
     * another process is not replaced */
    if (link(tmp, path) != 0) {
        fc_error("%s: cannot create: %s", path, strerror(errno));
        unlink(tmp);
        if (errno == EEXIST)
            rc = -1;
        goto out;
    }
    unlink(tmp);
    *path_out = path;
    path = NULL;
    rc = 0;
out:
    rfiles_free(&fs);
    cJSON_Delete(run);
    free(name);
    free(top);
    free(path);
    free(tmp);
    free(created);
    return rc;
}

/* ---- reading ---- */

/* the SHA256SUMS entry's own sha256 (SUMS_ATTR), or NULL */
static char *sums_attr(struct archive_entry *e)
{
    const char *name;
    const void *value;
    size_t size;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
        if (strcmp(name, SUMS_ATTR) == 0 && size == 64) {
            char *h = xmalloc(65);
            memcpy(h, value, 64);
            h[64] = '\0';
            return h;
        }
    return NULL;
}

/* Every entry of archive in memory, after checking its path and type: one
 * top directory, relative paths without "." or ".." components, regular
 * files and directories only. *top gets the top directory's name. */
static int read_all(const char *archive, struct rfiles *fs, char **top)
{
    struct archive *a = archive_read_new();
    archive_read_support_filter_gzip(a);
    archive_read_support_format_tar(a);
    int rc = 0;
    *top = NULL;
    if (archive_read_open_filename(a, archive, 1 << 16) != ARCHIVE_OK) {
        rc = fc_error("%s: not a forecast release (a .tar.gz): %s", archive,
                      archive_error_string(a));
        archive_read_free(a);
        return rc;
    }
    struct archive_entry *e;
    size_t total = 0;
    int r;
    while (rc == 0 && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        const char *p = archive_entry_pathname(e);
        if (!p || !*p) {
            rc = fc_error("%s: an entry without a name", archive);
            break;
        }
        if (p[0] == '/') {
            rc = fc_error("%s: %s: an absolute path (refused: nothing extracted)", archive, p);
            break;
        }
        /* components: none empty (but a trailing '/'), none "." or ".." */
        char *copy = xstrdup(p), *save = NULL, *first = NULL;
        size_t depth = 0;
        for (char *c = strtok_r(copy, "/", &save); c && rc == 0; c = strtok_r(NULL, "/", &save)) {
            if (strcmp(c, "..") == 0 || strcmp(c, ".") == 0)
                rc = fc_error("%s: %s: a path with \"%s\" (refused: nothing extracted)",
                              archive, p, c);
            if (!depth)
                first = xstrdup(c);
            depth++;
        }
        free(copy);
        if (rc == 0 && strstr(p, "//"))
            rc = fc_error("%s: %s: an empty path component", archive, p);
        if (rc == 0 && *top && strcmp(first, *top) != 0)
            rc = fc_error("%s: %s: outside the top directory %s/ (refused: nothing extracted)",
                          archive, p, *top);
        if (rc == 0 && !*top) {
            *top = first;
            first = NULL;
        }
        free(first);
        if (rc)
            break;
        mode_t type = archive_entry_filetype(e);
        if (archive_entry_hardlink(e) || archive_entry_symlink(e) || type == AE_IFLNK) {
            rc = fc_error("%s: %s: a link (a release holds files only; refused: nothing "
                          "extracted)",
                          archive, p);
            break;
        }
        if (type == AE_IFDIR)
            continue;
        if (type != AE_IFREG || depth < 2) {
            rc = fc_error("%s: %s: not a file inside the top directory", archive, p);
            break;
        }
        /* the bytes as they come, not as many as the header claims: a damaged
         * size allocates nothing it does not hold */
        la_int64_t size = archive_entry_size(e);
        struct fc_buf b;
        fc_buf_init(&b);
        char chunk[1 << 16];
        la_ssize_t got;
        while ((got = archive_read_data(a, chunk, sizeof chunk)) > 0 &&
               total + b.len + (size_t)got <= ((size_t)1 << 35))
            fc_buf_append(&b, chunk, (size_t)got);
        if (got != 0 || (la_int64_t)b.len != size) {
            fc_buf_free(&b);
            rc = fc_error("%s: %s: cannot read: %s", archive, p,
                          got < 0 ? archive_error_string(a)
                          : got > 0 ? "the archive holds more than 32 GiB"
                                    : "its size differs from its header's");
            break;
        }
        total += b.len;
        const char *rel = p + strlen(*top) + 1;
        add(fs, rel, b.s ? b.s : xstrdup(""), b.len);
        if (strcmp(rel, "SHA256SUMS") == 0)
            fs->f[fs->n - 1].sha = sums_attr(e);
    }
    if (rc == 0 && r != ARCHIVE_EOF)
        rc = fc_error("%s: damaged archive: %s", archive, archive_error_string(a));
    /* by path, for find(); a path twice is refused */
    qsort(fs->f, fs->n, sizeof *fs->f, cmp_rel);
    for (size_t i = 1; rc == 0 && i < fs->n; i++)
        if (strcmp(fs->f[i - 1].rel, fs->f[i].rel) == 0)
            rc = fc_error("%s: %s/%s: appears twice", archive, *top ? *top : "", fs->f[i].rel);
    if (rc == 0 && !*top)
        rc = fc_error("%s: an empty archive", archive);
    archive_read_free(a);
    return rc;
}

/* SHA256SUMS lists every other file with its checksum */
static int check_sums(const char *archive, const char *top, const struct rfiles *fs)
{
    struct rfile *sums = find(fs, "SHA256SUMS");
    if (!sums)
        return fc_error("%s: %s/SHA256SUMS is missing", archive, top);
    if (sums->sha) {
        char hex[65];
        fc_sha256_buf(sums->data, sums->len, hex);
        if (strcmp(hex, sums->sha) != 0)
            return fc_error("%s: %s/SHA256SUMS: its sha256 does not match the one recorded in "
                            "its archive header: the file was changed",
                            archive, top);
    }
    unsigned char *seen = xcalloc(fs->n + 1, 1);
    int rc = 0;
    char *text = xmalloc(sums->len + 1);
    memcpy(text, sums->data, sums->len);
    text[sums->len] = '\0';
    long line = 0;
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l && rc == 0; l = strtok_r(NULL, "\n", &save)) {
        line++;
        size_t n = strlen(l);
        if (n < 67 || l[64] != ' ' || l[65] != ' ' || strspn(l, "0123456789abcdef") != 64) {
            rc = fc_error("%s: %s/SHA256SUMS:%ld: expected \"<sha256>  <path>\"", archive, top,
                          line);
            break;
        }
        const char *rel = l + 66;
        struct rfile *f = find(fs, rel);
        if (!f || f == sums) {
            rc = fc_error("%s: %s/%s: listed in SHA256SUMS (line %ld) but not in the archive",
                          archive, top, rel, line);
            break;
        }
        char hex[65];
        fc_sha256_buf(f->data, f->len, hex);
        if (memcmp(hex, l, 64) != 0)
            rc = fc_error("%s: %s/%s: its sha256 does not match SHA256SUMS (line %ld): the file "
                          "was changed",
                          archive, top, rel, line);
        seen[f - fs->f] = 1;
    }
    for (size_t i = 0; i < fs->n && rc == 0; i++)
        if (!seen[i] && &fs->f[i] != sums)
            rc = fc_error("%s: %s/%s: not listed in SHA256SUMS", archive, top, fs->f[i].rel);
    free(text);
    free(seen);
    return rc;
}

static int extract(const char *archive, const char *top, const struct rfiles *fs,
                   struct fc_release *r)
{
    const char *base = getenv("TMPDIR");
    r->tmp = fc_xasprintf("%s/forecast-release-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(r->tmp))
        return fc_error("%s: cannot create a temporary directory: %s", r->tmp, strerror(errno));
    r->top = fc_xasprintf("%s/%s", r->tmp, top);
    for (size_t i = 0; i < fs->n; i++) {
        char *path = fc_xasprintf("%s/%s", r->top, fs->f[i].rel);
        char *slash = strrchr(path, '/');
        *slash = '\0';
        int rc = fc_mkdir_p(path);
        *slash = '/';
        if (rc || fc_write_atomic(path, fs->f[i].data, fs->f[i].len)) {
            free(path);
            return fc_error("%s: cannot extract %s/%s: %s", archive, top, fs->f[i].rel,
                            fc_last_error);
        }
        free(path);
    }
    return 0;
}

/* Every model directory (a manifest.json) under dir: verified and loaded. */
static int load_all(const struct fc_config *cfg, const char *dir, int *count)
{
    char *man = fc_xasprintf("%s/manifest.json", dir);
    int rc = 0;
    if (access(man, F_OK) == 0) {
        const double *q = cfg->quantiles;
        struct fc_model_ctx ctx = {q, cfg->n_quantiles, cfg->seed, 1,
                                   cfg->strategy == FC_INDIVIDUAL, ""};
        void *m = fc_modeldir_load(cfg, NULL, dir, &ctx);
        if (m) {
            cfg->model.ops->free(m);
            (*count)++;
        } else {
            rc = -1;
        }
    }
    free(man);
    struct dirent **names = NULL;
    int n = rc ? 0 : scandir(dir, &names, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        if (rc == 0 && names[i]->d_name[0] != '.') {
            char *sub = fc_xasprintf("%s/%s", dir, names[i]->d_name);
            struct stat st;
            if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
                rc = load_all(cfg, sub, count);
            free(sub);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

static int check_models(const char *archive, struct fc_release *r)
{
    const cJSON *models = cJSON_GetObjectItemCaseSensitive(r->info, "models");
    if (!cJSON_IsArray(models) || !cJSON_GetArraySize(models))
        return fc_error("%s: release.json: expected \"models\", a list of the released models",
                        archive);
    char *run_file = fc_run_file(r->top);
    struct fc_config cfg;
    int rc = fc_config_load(&cfg, run_file, NULL, 0, fc_run_unwrap_config);
    free(run_file);
    if (rc)
        return fc_error("%s: run.json: %s", archive, fc_last_error);
    const cJSON *m;
    cJSON_ArrayForEach(m, models)
    {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "model"));
        const char *dir = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "dir"));
        size_t k = 0;
        while (name && k < cfg.n_models && strcmp(cfg.models[k].ops->name, name) != 0)
            k++;
        if (!name || !dir || k == cfg.n_models || strstr(dir, "..")) {
            rc = fc_error("%s: release.json: a model entry that is not one of run.json's "
                          "models",
                          archive);
            break;
        }
        cfg.model = cfg.models[k];
        char *path = fc_xasprintf("%s/%s", r->top, dir);
        int count = 0;
        rc = load_all(&cfg, path, &count);
        free(path);
        if (rc == 0 && count == 0)
            rc = fc_error("%s: %s/: no saved model of %s", archive, dir, name);
        if (rc)
            break;
    }
    fc_config_free(&cfg);
    return rc;
}

int fc_release_open(const char *archive, struct fc_release *r)
{
    memset(r, 0, sizeof *r);
    r->archive = xstrdup(archive);
    struct rfiles fs = {0};
    char *top = NULL;
    int rc = read_all(archive, &fs, &top);
    if (rc == 0)
        rc = check_sums(archive, top, &fs);
    const char *need[] = {"release.json", "run.json", "MODEL_CARD.md", "schema.json"};
    for (size_t i = 0; rc == 0 && i < sizeof need / sizeof need[0]; i++)
        if (!find(&fs, need[i]))
            rc = fc_error("%s: %s/%s is missing", archive, top, need[i]);
    if (rc == 0) {
        struct rfile *rj = find(&fs, "release.json");
        char *text = xmalloc(rj->len + 1);
        memcpy(text, rj->data, rj->len);
        text[rj->len] = '\0';
        r->info = cJSON_Parse(text);
        free(text);
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(r->info, "kind");
        const cJSON *ver = cJSON_GetObjectItemCaseSensitive(r->info, "format_version");
        if (!cJSON_IsString(kind) || strcmp(kind->valuestring, FC_RELEASE_KIND) != 0)
            rc = fc_error("%s: %s/release.json: not a forecast release (kind \"%s\")", archive,
                          top, FC_RELEASE_KIND);
        else if (!cJSON_IsNumber(ver) || ver->valuedouble != FC_RELEASE_FORMAT)
            rc = fc_error("%s: %s/release.json: format_version: expected %d", archive, top,
                          FC_RELEASE_FORMAT);
    }
    if (rc == 0)
        rc = extract(archive, top, &fs, r);
    rfiles_free(&fs);
    free(top);
    if (rc == 0)
        rc = check_models(archive, r);
    if (rc) {
        char saved[sizeof fc_last_error];
        snprintf(saved, sizeof saved, "%s", fc_last_error);
        fc_release_close(r);
        fc_error("%s", saved);
    }
    return rc;
}

void fc_release_close(struct fc_release *r)
{
    if (r->tmp) { /* best effort: the error being reported, if any, stays */
        char keep[sizeof fc_last_error];
        memcpy(keep, fc_last_error, sizeof keep);
        fc_remove_tree(r->tmp);
        memcpy(fc_last_error, keep, sizeof keep);
    }
    free(r->archive);
    free(r->tmp);
    free(r->top);
    cJSON_Delete(r->info);
    memset(r, 0, sizeof *r);
}

cJSON *fc_release_info(const char *archive)
{
    struct archive *a = archive_read_new();
    archive_read_support_filter_gzip(a);
    archive_read_support_format_tar(a);
    cJSON *info = NULL;
    if (archive_read_open_filename(a, archive, 1 << 16) != ARCHIVE_OK) {
        fc_error("%s: not a forecast release (a .tar.gz): %s", archive, archive_error_string(a));
        archive_read_free(a);
        return NULL;
    }
    struct archive_entry *e;
    while (!info && archive_read_next_header(a, &e) == ARCHIVE_OK) {
        const char *p = archive_entry_pathname(e), *slash = p ? strchr(p, '/') : NULL;
        la_int64_t size = archive_entry_size(e);
        if (!slash || strcmp(slash + 1, "release.json") != 0 || size < 0 || size > (1 << 24))
            continue;
        char *text = xmalloc((size_t)size + 1);
        la_ssize_t got = archive_read_data(a, text, (size_t)size);
        text[got > 0 ? got : 0] = '\0';
        info = got == size ? cJSON_Parse(text) : NULL;
        free(text);
        if (!info)
            break;
    }
    archive_read_free(a);
    if (!info)
        fc_error("%s: no readable release.json", archive);
    return info;
}

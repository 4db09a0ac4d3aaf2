/*
 * rundir.c — the run directory and its run.json (rundir.h): new runs, reading
 * and checking runs, status, layout, locks.
 */
#include "forecast/store/rundir.h"

#include <cjson/cJSON.h>
#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "forecast/core/hash.h"
#include "forecast/core/util.h"
#include "forecast/core/version.h"
#include "forecast/store/store.h"

/* ---- a new run ---- */

char *fc_run_make_id(const struct fc_config *cfg, const struct fc_dataset *ds)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char *text = cJSON_PrintUnformatted(cfg->json);
    char *seedtext = fc_xasprintf("%s|%s|%ld|%ld|%ld", text, ds->sha256, (long)getpid(),
                                  (long)ts.tv_sec, ts.tv_nsec);
    char hex[65];
    fc_sha256_buf(seedtext, strlen(seedtext), hex);
    free(text);
    free(seedtext);
    return fc_xasprintf("%s-%.6s", stamp, hex);
}

static void add_versions(cJSON *run, const struct fc_config *cfg)
{
    cJSON *v = cJSON_AddObjectToObject(run, "versions");
    cJSON_AddStringToObject(v, "forecast", FC_VERSION);
    cJSON_AddStringToObject(v, "cjson", cJSON_Version());
    char csv[32];
    snprintf(csv, sizeof csv, "%d.%d.%d", CSV_MAJOR, CSV_MINOR, CSV_RELEASE);
    cJSON_AddStringToObject(v, "libcsv", csv);
    cJSON_AddStringToObject(v, "openssl", OpenSSL_version(OPENSSL_VERSION));
    /* the libraries behind the run's models: "xgboost 1.7.4" -> "xgboost":
     * "1.7.4" (only those: asking the MLP plugin loads libtorch) */
    for (size_t i = 0; i < cfg->n_models; i++) {
        const struct fc_model_ops *ops = cfg->models[i].ops;
        if (!ops->version)
            continue;
        char lib[512];
        ops->version(lib, sizeof lib);
        char *space = strchr(lib, ' ');
        if (!space)
            continue;
        *space = '\0';
        if (!cJSON_GetObjectItemCaseSensitive(v, lib))
            cJSON_AddStringToObject(v, lib, space + 1);
    }
}

/* the CPU the run trained on (its model name from /proc/cpuinfo) and the
 * cores it could use: a release's model card reports them */
static void add_machine(cJSON *run)
{
    cJSON *m = cJSON_AddObjectToObject(run, "machine");
    char line[512], cpu[256] = "unknown";
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) == 0 && colon) {
            colon++;
            while (*colon == ' ' || *colon == '\t')
                colon++;
            colon[strcspn(colon, "\n")] = '\0';
            snprintf(cpu, sizeof cpu, "%s", colon);
            break;
        }
    }
    if (f)
        fclose(f);
    cJSON_AddStringToObject(m, "cpu", cpu);
    cJSON_AddNumberToObject(m, "cores", (double)sysconf(_SC_NPROCESSORS_ONLN));
}

cJSON *fc_run_new(const char *id, const struct fc_config *cfg, const struct fc_dataset *ds,
                  const struct fc_split *sp, int argc, char **argv)
{
    cJSON *run = cJSON_CreateObject();
    cJSON_AddStringToObject(run, "kind", FC_RUN_KIND);
    cJSON_AddNumberToObject(run, "format_version", FC_RUN_FORMAT);
    cJSON_AddStringToObject(run, "id", id);
    cJSON_AddStringToObject(run, "status", "running");
    cJSON_AddStringToObject(run, "forecast_version", FC_VERSION);
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddStringToObject(run, "created", stamp);
    cJSON *cmd = cJSON_AddArrayToObject(run, "command");
    cJSON_AddItemToArray(cmd, cJSON_CreateString("forecast"));
    for (int i = 0; i < argc; i++)
        cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i]));
    add_versions(run, cfg);
    add_machine(run);
    cJSON_AddNumberToObject(run, "seed", (double)cfg->seed);
    cJSON *d = cJSON_AddObjectToObject(run, "data");
    cJSON_AddStringToObject(d, "path", ds->path);
    cJSON_AddNumberToObject(d, "size", (double)ds->file_size);
    cJSON_AddStringToObject(d, "sha256", ds->sha256);
    if (cfg->data.target_path) {
        cJSON_AddStringToObject(d, "target_path", cfg->data.target_path);
        cJSON_AddNumberToObject(d, "target_size", (double)ds->target_file_size);
        cJSON_AddStringToObject(d, "target_sha256", ds->target_sha256);
    }
    cJSON_AddNumberToObject(d, "rows", (double)ds->n_rows);
    cJSON_AddNumberToObject(d, "series", (double)ds->n_series);
    cJSON_AddNumberToObject(d, "rows_dropped_missing_target", (double)ds->n_dropped);
    if (ds->n_rows) {
        char day0[11], day1[11];
        fc_dataset_date_range(ds, day0, day1);
        cJSON_AddStringToObject(d, "first_date", day0);
        cJSON_AddStringToObject(d, "last_date", day1);
    }
    cJSON *f = cJSON_AddArrayToObject(d, "features");
    for (size_t j = 0; j < ds->n_features; j++)
        cJSON_AddItemToArray(f, cJSON_CreateString(ds->feature_names[j]));
    fc_run_set_split(run, ds, sp);
    cJSON_AddItemToObject(run, "config", cJSON_Duplicate(cfg->json, 1));
    return run;
}

void fc_run_set_split(cJSON *run, const struct fc_dataset *ds, const struct fc_split *sp)
{
    cJSON *s = cJSON_CreateObject();
    char day[11];
    if (sp->last_train_date != INT32_MIN) {
        fc_format_date(sp->last_train_date, day);
        cJSON_AddStringToObject(s, "last_train_date", day);
    }
    cJSON_AddNumberToObject(s, "series_used", (double)sp->n_used);
    cJSON_AddNumberToObject(s, "fit_rows", (double)sp->n_fit);
    cJSON_AddNumberToObject(s, "validation_rows", (double)sp->n_val);
    cJSON_AddNumberToObject(s, "test_rows", (double)sp->n_test);
    cJSON *sk = cJSON_AddObjectToObject(s, "skipped");
    for (size_t i = 0; i < sp->n_skipped; i++)
        cJSON_AddStringToObject(sk, ds->series_key[sp->skipped[i].series], sp->skipped[i].reason);
    if (cJSON_GetObjectItemCaseSensitive(run, "split"))
        cJSON_ReplaceItemInObjectCaseSensitive(run, "split", s);
    else
        cJSON_AddItemToObject(run, "split", s);
}

void fc_run_set(cJSON *o, const char *k, const char *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, k);
    cJSON_AddStringToObject(o, k, v);
}

/* ---- reading a run ---- */

char *fc_run_file(const char *run_dir) { return fc_xasprintf("%s/run.json", run_dir); }

static int is_run(const cJSON *doc)
{
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(doc, "kind");
    return cJSON_IsString(kind) && strcmp(kind->valuestring, FC_RUN_KIND) == 0;
}

cJSON *fc_run_unwrap_config(cJSON *doc, const char *file)
{
    if (!is_run(doc))
        return doc;
    cJSON *c = cJSON_GetObjectItemCaseSensitive(doc, "config");
    if (!cJSON_IsObject(c)) {
        fc_error("%s: run file without a \"config\" object", file);
        return NULL;
    }
    return c;
}

const char *fc_run_status(const cJSON *run)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(run, "status");
    return cJSON_IsString(s) ? s->valuestring : "unknown";
}

cJSON *fc_run_read(const char *run_dir, int finished, const char *what)
{
    char *path = fc_run_file(run_dir);
    cJSON *run = NULL;
    if (access(path, F_OK) != 0) {
        fc_error("%s: not a forecast run directory (no run.json); give runs/<id>", run_dir);
        goto out;
    }
    run = fc_read_json(path);
    if (!run)
        goto out;
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(run, "format_version");
    if (!is_run(run) || !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(run, "config"))) {
        fc_error("%s: not a forecast run file (kind \"%s\" with a config)", path, FC_RUN_KIND);
    } else if (!cJSON_IsNumber(version) || version->valuedouble != FC_RUN_FORMAT) {
        fc_error("%s: run format_version %s; this forecast reads version %d", path,
                 cJSON_IsNumber(version) ? "other" : "missing", FC_RUN_FORMAT);
    } else if (finished && strcmp(fc_run_status(run), "completed") != 0 &&
               strcmp(fc_run_status(run), "partial") != 0) {
        fc_error("%s: the run's status is \"%s\"; only a completed run can %s", path,
                 fc_run_status(run), what);
    } else {
        goto out;
    }
    cJSON_Delete(run);
    run = NULL;
out:
    free(path);
    return run;
}

/* ---- layout ---- */

char *fc_run_model_dir(const char *run_dir, const char *model, enum fc_strategy s)
{
    return fc_xasprintf("%s/%s/%s", run_dir, model, fc_strategy_name(s));
}

char *fc_run_shard_file(const char *model_dir, int k, int n)
{
    return fc_xasprintf("%s/shards/shard-%d-of-%d.json", model_dir, k, n);
}

/* ---- the writer's lock ---- */

/* The descriptor stays open for the life of the process: a second process
 * writing the same run (or shard) fails at once. */
int fc_run_lock(const char *path, const char *what)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0)
        return fc_error("%s: cannot create the lock file: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        return fc_error("%s is being written by another forecast process (lock %s held); "
                        "wait for it, or stop it first",
                        what, path);
    }
    return fd;
}

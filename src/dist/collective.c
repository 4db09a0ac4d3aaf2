/*
 * collective.c — the workers of a distributed run through XGBoost's
 * collective (collective.h). Rank and world size come from the
 * communicator once it is up (the tracker assigns ranks; they need not be
 * the task ids), the rest from XGBoost's Allreduce and Broadcast.
 */
#include "forecast/dist/collective.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <xgboost/c_api.h>

#include "forecast/core/util.h"

/* xgboost::collective::DataType and Operation (communicator.h, 1.7) */
enum { XGB_INT64 = 4, XGB_UINT64 = 5, XGB_DOUBLE = 7 };
enum { XGB_MAX = 0, XGB_SUM = 2 };

/* the first of the variables that is set: its value, its name in *name */
static const char *first_env(const char *const *names, const char **name)
{
    for (size_t i = 0; names[i]; i++) {
        const char *v = getenv(names[i]);
        if (v && *v) {
            *name = names[i];
            return v;
        }
    }
    return NULL;
}

static int env_long(const char *const *names, long lo, long hi, long *out, const char **name,
                    const char *what)
{
    const char *v = first_env(names, name);
    if (!v) {
        char list[200] = "";
        for (size_t i = 0; names[i]; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                     names[i]);
        return fc_error("--distributed: %s is not set (set one of %s; "
                        "scripts/distributed-local.sh sets them for local workers)",
                        what, list);
    }
    if (fc_parse_long(v, out) != 0 || *out < lo || *out > hi)
        return fc_error("--distributed: %s=\"%s\": expected %s, an integer in %ld..%ld", *name,
                        v, what, lo, hi);
    return 0;
}

int fc_dist_init(struct fc_dist *d, int timeout_s)
{
    memset(d, 0, sizeof *d);
    static const char *const uri_env[] = {"DMLC_TRACKER_URI", NULL};
    static const char *const port_env[] = {"DMLC_TRACKER_PORT", NULL};
    static const char *const task_env[] = {"DMLC_TASK_ID", "SLURM_PROCID",
                                           "JOB_COMPLETION_INDEX", NULL};
    static const char *const world_env[] = {"DMLC_NUM_WORKER", "SLURM_NTASKS", NULL};
    const char *uri_name, *port_name, *task_name, *world_name;
    const char *uri = first_env(uri_env, &uri_name);
    long port, task, world;
    if (!uri)
        return fc_error("--distributed: DMLC_TRACKER_URI is not set (the address of the "
                        "tracker: python3 -m xgboost.tracker prints it; "
                        "scripts/distributed-local.sh starts one)");
    if (env_long(port_env, 1, 65535, &port, &port_name, "the tracker's port") ||
        env_long(world_env, 1, 65536, &world, &world_name, "the number of workers") ||
        env_long(task_env, 0, world - 1, &task, &task_name, "this worker's task id"))
        return -1;
    cJSON *c = cJSON_CreateObject();
    char num[32];
    cJSON_AddStringToObject(c, "rabit_tracker_uri", uri);
    snprintf(num, sizeof num, "%ld", port);
    cJSON_AddStringToObject(c, "rabit_tracker_port", num);
    snprintf(num, sizeof num, "%ld", task);
    cJSON_AddStringToObject(c, "rabit_task_id", num);
    snprintf(num, sizeof num, "%ld", world);
    cJSON_AddStringToObject(c, "rabit_world_size", num);
    cJSON_AddBoolToObject(c, "rabit_timeout", 1);
    cJSON_AddNumberToObject(c, "rabit_timeout_sec", timeout_s);
    char *text = cJSON_PrintUnformatted(c);
    cJSON_Delete(c);
    /* a worker that died closes its sockets: writing to them must fail the
     * call (EPIPE), not kill this worker with SIGPIPE */
    signal(SIGPIPE, SIG_IGN);
    int rc = XGCommunicatorInit(text);
    free(text);
    if (rc != 0)
        return fc_error("--distributed: cannot join the tracker at %s:%ld (%s): %s", uri, port,
                        uri_name, XGBGetLastError());
    d->on = 1;
    d->rank = XGCommunicatorGetRank();
    d->world = XGCommunicatorGetWorldSize();
    snprintf(d->where, sizeof d->where, "task %ld of %s=%ld (%s)", task, world_name, world,
             task_name);
    if (d->world != world) {
        fc_dist_finalize(d);
        return fc_error("--distributed: %s=%ld but the tracker has %d workers", world_name,
                        world, d->world);
    }
    return 0;
}

/* Set once a collective call failed here, or this worker failed on its own:
 * rabit would retry a later call, waiting up to its timeout for the lost
 * worker, so later calls fail at once and this worker leaves (closing its
 * sockets is what tells the others). */
static int broken;

void fc_dist_break(void) { broken = 1; }

int fc_dist_is_broken(void) { return broken; }

void fc_dist_finalize(struct fc_dist *d)
{
    if (d->on && !broken)
        XGCommunicatorFinalize();
    d->on = 0;
}

static int lost(const char *what)
{
    broken = 1;
    return fc_error("--distributed: the workers lost contact while %s (a worker failed, was "
                    "killed or is unreachable): %s",
                    what, XGBGetLastError());
}

#define CHECK_BROKEN(what)                                                                 \
    do {                                                                                   \
        if (broken)                                                                        \
            return fc_error("--distributed: no longer in contact with the other workers "  \
                            "(while %s)",                                                  \
                            what);                                                         \
    } while (0)

int fc_dist_sum_u64(uint64_t *v, size_t n)
{
    CHECK_BROKEN("adding up counts");
    return XGCommunicatorAllreduce(v, n, XGB_UINT64, XGB_SUM) ? lost("adding up counts") : 0;
}

int fc_dist_max_i64(int64_t *v, size_t n)
{
    CHECK_BROKEN("comparing values");
    return XGCommunicatorAllreduce(v, n, XGB_INT64, XGB_MAX) ? lost("comparing values") : 0;
}

int fc_dist_sum_f64(double *v, size_t n)
{
    CHECK_BROKEN("adding up a model's values");
    return XGCommunicatorAllreduce(v, n, XGB_DOUBLE, XGB_SUM) ? lost("adding up a model's values")
                                                               : 0;
}

int fc_dist_max_f64(double *v, size_t n)
{
    CHECK_BROKEN("comparing a model's values");
    return XGCommunicatorAllreduce(v, n, XGB_DOUBLE, XGB_MAX)
               ? lost("comparing a model's values")
               : 0;
}

const struct fc_model_collective fc_dist_model_collective = {fc_dist_sum_f64, fc_dist_max_f64};

int fc_dist_all_ok(const struct fc_dist *d, int ok, int *first_bad)
{
    /* the lowest failing rank: the max of (world - rank) over failing workers */
    CHECK_BROKEN("comparing their outcomes");
    int64_t v = ok ? 0 : (int64_t)(d->world - d->rank);
    if (XGCommunicatorAllreduce(&v, 1, XGB_INT64, XGB_MAX) != 0)
        return lost("comparing their outcomes");
    if (v < 0 || v > d->world) { /* not another all_ok: the calls no longer pair */
        broken = 1;
        return fc_error("--distributed: the workers' calls no longer pair up (an internal "
                        "error): stopping");
    }
    if (first_bad)
        *first_bad = v ? d->world - (int)v : -1;
    return v == 0;
}

int fc_dist_broadcast(void *buf, size_t n, int root)
{
    /* in pieces: one message per 256 MiB */
    CHECK_BROKEN("sending results");
    const size_t piece = (size_t)256 << 20;
    for (size_t off = 0; off < n; off += piece) {
        size_t k = n - off < piece ? n - off : piece;
        if (XGCommunicatorBroadcast((char *)buf + off, k, root) != 0)
            return lost("sending results");
    }
    return 0;
}

int fc_dist_gather(const struct fc_dist *d, const void *buf, size_t n, void **out,
                   uint64_t *sizes)
{
    *out = NULL;
    memset(sizes, 0, (size_t)d->world * sizeof *sizes);
    sizes[d->rank] = n;
    if (fc_dist_sum_u64(sizes, (size_t)d->world))
        return -1;
    uint64_t total = 0, most = 0;
    for (int r = 0; r < d->world; r++) {
        total += sizes[r];
        most = sizes[r] > most ? sizes[r] : most;
    }
    /* rank 0 keeps everything; the others one worker's bytes at a time */
    char *all = d->rank == 0 ? xmalloc(total ? total : 1) : NULL;
    char *tmp = d->rank == 0 ? NULL : xmalloc(most ? most : 1);
    uint64_t off = 0;
    for (int r = 0; r < d->world; r++) {
        char *dst = all ? all + off : tmp;
        if (r == d->rank && n)
            memcpy(dst, buf, n);
        if (sizes[r] && fc_dist_broadcast(dst, sizes[r], r)) {
            free(all);
            free(tmp);
            return -1;
        }
        off += sizes[r];
    }
    free(tmp);
    *out = all;
    return 0;
}

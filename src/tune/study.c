/*
 * study.c — the tuning study in SQLite (study.h).
 */
#include "forecast/tune/study.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "forecast/core/util.h"

const char *const fc_trial_state_names[] = {"waiting", "running", "complete", "pruned",
                                            "failed", NULL};

enum { STUDY_FORMAT = 1 };

static const char schema[] =
    "CREATE TABLE study(id INTEGER PRIMARY KEY CHECK (id = 1), format INTEGER NOT NULL, "
    "  n_dims INTEGER NOT NULL, meta TEXT NOT NULL);"
    "CREATE TABLE trials("
    "  number INTEGER PRIMARY KEY,"
    "  state TEXT NOT NULL CHECK (state IN ('waiting','running','complete','pruned','failed')),"
    "  x TEXT NOT NULL,"          /* the point, a JSON array */
    "  params TEXT NOT NULL,"     /* {config path: value} */
    "  folds TEXT NOT NULL DEFAULT '[]',"
    "  objective REAL,"
    "  started REAL, finished REAL, duration REAL,"
    "  error TEXT,"
    "  pid INTEGER, host TEXT, pstart INTEGER,"
    "  retry_of INTEGER,"
    "  abandoned INTEGER NOT NULL DEFAULT 0);";

static int db_error(struct fc_study *st, const char *what)
{
    return fc_error("%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
}

static int exec(struct fc_study *st, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fc_error("%s: %s", st->path, msg ? msg : sqlite3_errmsg(st->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int connect(struct fc_study *st, const char *path, int flags)
{
    memset(st, 0, sizeof *st);
    st->path = xstrdup(path);
    if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
        int rc = st->db ? db_error(st, "cannot open the study")
                        : fc_error("%s: cannot open the study", path);
        fc_study_close(st);
        return rc;
    }
    sqlite3_busy_timeout(st->db, 600000);
    if (exec(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")) {
        fc_study_close(st);
        return -1;
    }
    return 0;
}

void fc_study_close(struct fc_study *st)
{
    if (st->db)
        sqlite3_close(st->db);
    free(st->path);
    memset(st, 0, sizeof *st);
}

int fc_study_create(struct fc_study *st, const char *path, const cJSON *meta, size_t n_dims)
{
    struct stat sb;
    if (stat(path, &sb) == 0)
        return fc_error("%s: a study exists already (continue it with forecast tune --resume)",
                        path);
    if (connect(st, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE))
        return -1;
    st->n_dims = n_dims;
    char *text = cJSON_PrintUnformatted(meta);
    sqlite3_stmt *s = NULL;
    int rc = exec(st, "BEGIN IMMEDIATE") || exec(st, schema);
    if (rc == 0 &&
        (sqlite3_prepare_v2(st->db, "INSERT INTO study VALUES (1, ?, ?, ?)", -1, &s, NULL) ||
         sqlite3_bind_int(s, 1, STUDY_FORMAT) || sqlite3_bind_int64(s, 2, (sqlite3_int64)n_dims) ||
         sqlite3_bind_text(s, 3, text, -1, SQLITE_TRANSIENT) || sqlite3_step(s) != SQLITE_DONE))
        rc = db_error(st, "cannot write the study");
    sqlite3_finalize(s);
    free(text);
    if (rc == 0)
        rc = exec(st, "COMMIT");
    if (rc) {
        fc_study_close(st);
        unlink(path);
    }
    return rc;
}

int fc_study_open(struct fc_study *st, const char *path, cJSON **meta)
{
    *meta = NULL;
    if (access(path, F_OK) != 0)
        return fc_error("%s: no study here (%s)%s", path, strerror(errno),
                        errno == ENOENT ? "; a directory with config.json but no study.db is a "
                                          "start that was interrupted: remove it and start again"
                                        : "");
    if (connect(st, path, SQLITE_OPEN_READWRITE))
        return -1;
    sqlite3_stmt *s = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(st->db, "SELECT format, n_dims, meta FROM study WHERE id = 1", -1, &s,
                           NULL) != SQLITE_OK) {
        fc_error("%s: not a forecast study (%s)", path, sqlite3_errmsg(st->db));
    } else if (sqlite3_step(s) != SQLITE_ROW) {
        fc_error("%s: not a forecast study (no study row)", path);
    } else if (sqlite3_column_int(s, 0) != STUDY_FORMAT) {
        fc_error("%s: study format %d; this forecast reads format %d", path,
                 sqlite3_column_int(s, 0), STUDY_FORMAT);
    } else {
        st->n_dims = (size_t)sqlite3_column_int64(s, 1);
        const char *t = (const char *)sqlite3_column_text(s, 2);
        *meta = t ? cJSON_Parse(t) : NULL;
        rc = cJSON_IsObject(*meta) ? 0 : fc_error("%s: the study's settings are not JSON", path);
    }
    sqlite3_finalize(s);
    if (rc) {
        cJSON_Delete(*meta);
        *meta = NULL;
        fc_study_close(st);
    }
    return rc;
}

int fc_study_set_meta(struct fc_study *st, const cJSON *meta)
{
    char *text = cJSON_PrintUnformatted(meta);
    sqlite3_stmt *s = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(st->db, "UPDATE study SET meta = ? WHERE id = 1", -1, &s, NULL) ||
        sqlite3_bind_text(s, 1, text, -1, SQLITE_TRANSIENT) || sqlite3_step(s) != SQLITE_DONE)
        rc = db_error(st, "cannot update the study");
    sqlite3_finalize(s);
    free(text);
    return rc;
}

/* ---- points as text ---- */

static char *doubles_json(const double *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(a, isfinite(v[i]) ? cJSON_CreateNumber(v[i]) : cJSON_CreateNull());
    char *t = cJSON_PrintUnformatted(a);
    cJSON_Delete(a);
    return t;
}

/* a JSON array of numbers into a new array (NAN for null); -1: not one */
static int json_doubles(const char *text, double **out, size_t *n)
{
    cJSON *a = text ? cJSON_Parse(text) : NULL;
    *out = NULL;
    *n = 0;
    if (!cJSON_IsArray(a)) {
        cJSON_Delete(a);
        return -1;
    }
    *n = (size_t)cJSON_GetArraySize(a);
    *out = xcalloc(*n ? *n : 1, sizeof **out);
    size_t i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, a)(*out)[i++] = cJSON_IsNumber(it) ? it->valuedouble : NAN;
    cJSON_Delete(a);
    return 0;
}

static char *params_json(const struct fc_space *sp, const double *x)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < sp->n; i++)
        cJSON_AddItemToObject(o, sp->dims[i].path, fc_space_value(&sp->dims[i], x[i]));
    char *t = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return t;
}

/* ---- this process, and whether another one still lives ---- */

/* the start time of process pid (clock ticks after boot), 0 when unknown;
 * *zombie: it has exited and waits for its parent to reap it */
static long long proc_stat(long pid, int *zombie)
{
    if (zombie)
        *zombie = 0;
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    if (!p)
        return 0;
    long long v = 0;
    /* fields after the name: state is field 3, starttime field 22 */
    int field = 2;
    for (char *tok = strtok(p + 1, " "); tok; tok = strtok(NULL, " ")) {
        if (++field == 3 && zombie)
            *zombie = tok[0] == 'Z' || tok[0] == 'X';
        if (field == 22) {
            v = atoll(tok);
            break;
        }
    }
    return v;
}

static long long proc_start(long pid)
{
    return proc_stat(pid, NULL);
}

static void host_name(char *buf, size_t n)
{
    if (gethostname(buf, n) != 0)
        snprintf(buf, n, "?");
    buf[n - 1] = '\0';
}

static int process_dead(long pid, long long pstart)
{
    if (pid <= 0)
        return 1;
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
        return 1;
    int zombie;
    long long now = proc_stat(pid, &zombie);
    return zombie || (now && pstart && now != pstart); /* exited, or the pid was reused */
}

/* ---- ask ---- */

static int step_done(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* running trials of dead processes on this host (every running trial when
 * all): abandoned and queued again, a retry only once (a point whose
 * process dies twice fails) */
static int reap(struct fc_study *st, const char *host, int all)
{
    sqlite3_stmt *q = NULL, *up = NULL, *ins = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT number, pid, pstart, x, params, retry_of, host FROM trials "
                           "WHERE state = 'running' AND (host = ? OR ?)",
                           -1, &q, NULL) ||
        sqlite3_prepare_v2(st->db,
                           "UPDATE trials SET state = 'failed', abandoned = ?, error = ?, "
                           "finished = ? WHERE number = ?",
                           -1, &up, NULL) ||
        sqlite3_prepare_v2(st->db,
                           "INSERT INTO trials (number, state, x, params, retry_of) SELECT "
                           "COALESCE(MAX(number), -1) + 1, 'waiting', ?, ?, ? FROM trials",
                           -1, &ins, NULL)) {
        rc = db_error(st, "cannot read the trials");
        goto done;
    }
    sqlite3_bind_text(q, 1, host, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(q, 2, all);
    struct dead {
        long number;
        long pid;
        int retried; /* it is a retry itself */
        char *x, *params, *host;
    } *dead = NULL;
    size_t n = 0;
    int step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        long pid = (long)sqlite3_column_int64(q, 1);
        const char *h = (const char *)sqlite3_column_text(q, 6);
        if (!all && !process_dead(pid, sqlite3_column_int64(q, 2)))
            continue;
        dead = xrealloc(dead, (n + 1) * sizeof *dead);
        dead[n].number = (long)sqlite3_column_int64(q, 0);
        dead[n].pid = pid;
        dead[n].retried = sqlite3_column_type(q, 5) != SQLITE_NULL;
        dead[n].x = xstrdup((const char *)sqlite3_column_text(q, 3));
        dead[n].params = xstrdup((const char *)sqlite3_column_text(q, 4));
        dead[n].host = xstrdup(h ? h : "?");
        n++;
    }
    if (step != SQLITE_DONE)
        rc = db_error(st, "cannot read the running trials");
    for (size_t i = 0; i < n; i++) {
        char *why = dead[i].retried
                        ? fc_xasprintf("the process running it (pid %ld on %s) died, as the "
                                       "one running its first attempt did; not retried again",
                                       dead[i].pid, dead[i].host)
                    : all ? fc_xasprintf("abandoned by --abandon-running (it ran in pid %ld on "
                                         "%s); queued again",
                                         dead[i].pid, dead[i].host)
                          : fc_xasprintf("abandoned: the process running it (pid %ld on %s) "
                                         "died; queued again",
                                         dead[i].pid, dead[i].host);
        sqlite3_bind_int(up, 1, !dead[i].retried);
        sqlite3_bind_text(up, 2, why, -1, SQLITE_TRANSIENT);
        sqlite3_bind_double(up, 3, fc_now());
        sqlite3_bind_int64(up, 4, dead[i].number);
        sqlite3_bind_text(ins, 1, dead[i].x, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 2, dead[i].params, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(ins, 3, dead[i].number);
        if (rc == 0 && (step_done(up) || (!dead[i].retried && step_done(ins))))
            rc = db_error(st, "cannot queue an abandoned trial again");
        free(why);
        free(dead[i].x);
        free(dead[i].params);
        free(dead[i].host);
    }
    free(dead);
done:
    sqlite3_finalize(q);
    sqlite3_finalize(up);
    sqlite3_finalize(ins);
    return rc;
}

/* marks trial number running in this process */
static int take(struct fc_study *st, long number, const char *host)
{
    sqlite3_stmt *s = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(st->db,
                           "UPDATE trials SET state = 'running', pid = ?, host = ?, pstart = ?, "
                           "started = ? WHERE number = ?",
                           -1, &s, NULL) ||
        sqlite3_bind_int64(s, 1, (sqlite3_int64)getpid()) ||
        sqlite3_bind_text(s, 2, host, -1, SQLITE_TRANSIENT) ||
        sqlite3_bind_int64(s, 3, proc_start((long)getpid())) ||
        sqlite3_bind_double(s, 4, fc_now()) || sqlite3_bind_int64(s, 5, number) ||
        sqlite3_step(s) != SQLITE_DONE)
        rc = db_error(st, "cannot start a trial");
    sqlite3_finalize(s);
    return rc;
}

/* the one integer a query returns; 0, or -1 after fc_error */
static int scalar(struct fc_study *st, const char *sql, long *v)
{
    sqlite3_stmt *s = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        *v = (long)sqlite3_column_int64(s, 0);
    else
        rc = db_error(st, "cannot read the trials");
    sqlite3_finalize(s);
    return rc;
}

/* a new trial from the sampler: 1 taken, 0 nothing left, -1 error */
static int new_trial(struct fc_study *st, const struct fc_space *sp, fc_study_sample_fn *sample,
                     void *arg, const char *host, long *number, double *x)
{
    struct fc_trial *t = NULL;
    size_t n = 0;
    if (fc_study_trials(st, &t, &n))
        return -1;
    struct fc_trial_obs *obs = xcalloc(n ? n : 1, sizeof *obs);
    const double **taken = xcalloc(n ? n : 1, sizeof *taken);
    size_t n_obs = 0, n_taken = 0;
    for (size_t i = 0; i < n; i++) {
        if (!t[i].abandoned)
            taken[n_taken++] = t[i].x;
        if (t[i].state == FC_TRIAL_COMPLETE) {
            obs[n_obs++] = (struct fc_trial_obs){t[i].x, t[i].objective, 0, (int)t[i].n_folds};
        } else if (t[i].state == FC_TRIAL_PRUNED) { /* its mean at its last fold */
            obs[n_obs++] = (struct fc_trial_obs){t[i].x, fc_folds_mean(t[i].folds, t[i].n_folds),
                                                 1, (int)t[i].n_folds};
        }
    }
    long next = n ? t[n - 1].number + 1 : 0;
    int rc = sample(arg, next, obs, n_obs, taken, n_taken, x);
    free(obs);
    free(taken);
    fc_trials_free(t, n);
    if (rc)
        return 0;
    char *xs = doubles_json(x, sp->n), *ps = params_json(sp, x);
    sqlite3_stmt *s = NULL;
    int bad = sqlite3_prepare_v2(st->db,
                                 "INSERT INTO trials (number, state, x, params) VALUES (?, "
                                 "'waiting', ?, ?)",
                                 -1, &s, NULL) ||
              sqlite3_bind_int64(s, 1, next) || sqlite3_bind_text(s, 2, xs, -1, SQLITE_TRANSIENT) ||
              sqlite3_bind_text(s, 3, ps, -1, SQLITE_TRANSIENT) || sqlite3_step(s) != SQLITE_DONE;
    sqlite3_finalize(s);
    free(xs);
    free(ps);
    if (bad)
        return db_error(st, "cannot add a trial");
    *number = next;
    return take(st, next, host) ? -1 : 1;
}

int fc_study_ask(struct fc_study *st, const struct fc_space *sp, long n_trials,
                 fc_study_sample_fn *sample, void *arg, long *number, double *x)
{
    char host[256];
    host_name(host, sizeof host);
    if (exec(st, "BEGIN IMMEDIATE"))
        return -1;
    long queued = -1;
    int rc = reap(st, host, 0) || scalar(st,
                                         "SELECT COALESCE(MIN(number), -1) FROM trials WHERE "
                                         "state = 'waiting'",
                                         &queued)
                 ? -1
                 : 0;
    if (rc == 0 && queued >= 0) {
        sqlite3_stmt *s = NULL;
        char *xs = NULL;
        if (sqlite3_prepare_v2(st->db, "SELECT x FROM trials WHERE number = ?", -1, &s, NULL) ==
                SQLITE_OK &&
            sqlite3_bind_int64(s, 1, queued) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
            xs = xstrdup((const char *)sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
        double *v = NULL;
        size_t nv = 0;
        if (json_doubles(xs, &v, &nv) || nv != sp->n) {
            rc = fc_error("%s: trial %ld: its point does not fit the study's %zu parameters",
                          st->path, queued, sp->n);
        } else {
            memcpy(x, v, nv * sizeof *v);
            *number = queued;
            rc = take(st, queued, host) ? -1 : 1;
        }
        free(v);
        free(xs);
    } else if (rc == 0) {
        long counted = 0;
        if (scalar(st, "SELECT COUNT(*) FROM trials WHERE abandoned = 0", &counted))
            rc = -1;
        else if (counted < n_trials)
            rc = new_trial(st, sp, sample, arg, host, number, x);
    }
    if (rc >= 0 && exec(st, "COMMIT"))
        rc = -1;
    if (rc < 0)
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int fc_study_abandon_running(struct fc_study *st)
{
    char host[256];
    host_name(host, sizeof host);
    if (exec(st, "BEGIN IMMEDIATE"))
        return -1;
    int rc = reap(st, host, 1);
    if (rc == 0 && exec(st, "COMMIT"))
        rc = -1;
    if (rc)
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int fc_study_report(struct fc_study *st, long number, const double *folds, size_t n_folds)
{
    char *fs = doubles_json(folds, n_folds);
    sqlite3_stmt *s = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(st->db, "UPDATE trials SET folds = ? WHERE number = ?", -1, &s,
                           NULL) ||
        sqlite3_bind_text(s, 1, fs, -1, SQLITE_TRANSIENT) || sqlite3_bind_int64(s, 2, number) ||
        sqlite3_step(s) != SQLITE_DONE)
        rc = db_error(st, "cannot record a fold value");
    sqlite3_finalize(s);
    free(fs);
    return rc;
}

int fc_study_tell(struct fc_study *st, long number, enum fc_trial_state state,
                  const double *folds, size_t n_folds, double objective, const char *error)
{
    char *fs = doubles_json(folds, n_folds);
    sqlite3_stmt *s = NULL;
    double now = fc_now();
    int rc = 0;
    if (sqlite3_prepare_v2(st->db,
                           "UPDATE trials SET state = ?, folds = ?, objective = ?, error = ?, "
                           "finished = ?, duration = ? - started WHERE number = ?",
                           -1, &s, NULL) ||
        sqlite3_bind_text(s, 1, fc_trial_state_names[state], -1, SQLITE_STATIC) ||
        sqlite3_bind_text(s, 2, fs, -1, SQLITE_TRANSIENT) ||
        (isfinite(objective) ? sqlite3_bind_double(s, 3, objective) : sqlite3_bind_null(s, 3)) ||
        (error ? sqlite3_bind_text(s, 4, error, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(s, 4)) ||
        sqlite3_bind_double(s, 5, now) || sqlite3_bind_double(s, 6, now) ||
        sqlite3_bind_int64(s, 7, number) || sqlite3_step(s) != SQLITE_DONE)
        rc = db_error(st, "cannot record a trial's result");
    sqlite3_finalize(s);
    free(fs);
    return rc;
}

double fc_folds_mean(const double *folds, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += folds[i];
    return n ? s / (double)n : NAN;
}

int fc_study_trials(struct fc_study *st, struct fc_trial **out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT number, state, x, folds, objective, started, duration, error, "
                           "retry_of, abandoned FROM trials ORDER BY number",
                           -1, &s, NULL) != SQLITE_OK)
        return db_error(st, "cannot read the trials");
    struct fc_trial *t = NULL;
    size_t n = 0;
    int rc = 0, step;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        t = xrealloc(t, (n + 1) * sizeof *t);
        struct fc_trial *r = &t[n++];
        memset(r, 0, sizeof *r);
        r->number = (long)sqlite3_column_int64(s, 0);
        const char *state = (const char *)sqlite3_column_text(s, 1);
        for (int k = 0; fc_trial_state_names[k]; k++)
            if (state && strcmp(state, fc_trial_state_names[k]) == 0)
                r->state = (enum fc_trial_state)k;
        size_t nx = 0;
        if (json_doubles((const char *)sqlite3_column_text(s, 2), &r->x, &nx) ||
            nx != st->n_dims ||
            json_doubles((const char *)sqlite3_column_text(s, 3), &r->folds, &r->n_folds)) {
            rc = fc_error("%s: trial %ld: damaged point or fold values", st->path, r->number);
            break;
        }
        r->objective = sqlite3_column_type(s, 4) == SQLITE_NULL ? NAN
                                                                 : sqlite3_column_double(s, 4);
        r->started = sqlite3_column_type(s, 5) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 5);
        r->duration = sqlite3_column_type(s, 6) == SQLITE_NULL ? NAN
                                                                : sqlite3_column_double(s, 6);
        const char *e = (const char *)sqlite3_column_text(s, 7);
        r->error = e ? xstrdup(e) : NULL;
        r->retry_of = sqlite3_column_type(s, 8) == SQLITE_NULL ? -1
                                                                : (long)sqlite3_column_int64(s, 8);
        r->abandoned = sqlite3_column_int(s, 9);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = db_error(st, "cannot read the trials");
    sqlite3_finalize(s);
    if (rc) {
        fc_trials_free(t, n);
        return -1;
    }
    *out = t;
    *n_out = n;
    return 0;
}

void fc_trials_free(struct fc_trial *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(t[i].x);
        free(t[i].folds);
        free(t[i].error);
    }
    free(t);
}

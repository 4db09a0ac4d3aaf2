/*
 * cmd_compare.c — `forecast compare RUN [RUN ...]`: a leaderboard over every
 * model x strategy of the given runs, ranked by one metric, with per-series
 * win counts. Runs made on different data or splits are refused unless
 * --force (and then the output says so).
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/cli/cli.h"
#include "forecast/eval/rank.h"
#include "forecast/report/report.h"
#include "forecast/store/rundir.h"
#include "forecast/store/store.h"
#include "forecast/core/util.h"

static const struct fc_opt compare_opts[] = {
    {"metric", "NAME", "rank by this overall metric (default: wrmsse, or wspl when a model "
                       "has no point forecast)"},
    {"json", NULL, "print JSON instead of a Markdown table"},
    {"csv", NULL, "print CSV instead of a Markdown table"},
    {"html", "FILE", "also write a self-contained HTML report to FILE"},
    {"force", NULL, "compare runs made on different data or splits"},
};

struct entry {
    const char *run;    /* the directory as given */
    char *run_id;
    char *model, *strategy;
    cJSON *m;           /* metrics.json */
    double value;       /* the ranking metric, NAN when undefined */
    size_t wins;
};

static double overall(const cJSON *m, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "overall"), k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* What must be equal for two runs to be compared. */
static cJSON *fingerprint(const cJSON *run)
{
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(run, "config");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(run, "data");
    cJSON *f = cJSON_CreateObject();
    const char *dkeys[] = {"sha256", "target_sha256"};
    for (int i = 0; i < 2; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(data, dkeys[i]);
        if (v)
            cJSON_AddItemToObject(f, dkeys[i], cJSON_Duplicate(v, 1));
    }
    const char *ckeys[] = {"split", "series", "quantiles", "horizon"};
    for (int i = 0; i < 4; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, ckeys[i]);
        if (v)
            cJSON_AddItemToObject(f, ckeys[i], cJSON_Duplicate(v, 1));
    }
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(cfg, "data");
    const char *roles[] = {"series_columns", "date_column", "target_column", "missing_target"};
    for (int i = 0; i < 4; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, roles[i]);
        if (v)
            cJSON_AddItemToObject(f, roles[i], cJSON_Duplicate(v, 1));
    }
    return f;
}

static const char *differs(const cJSON *a, const cJSON *b)
{
    const char *keys[] = {"sha256", "target_sha256", "split", "series", "quantiles",
                          "series_columns", "date_column", "target_column", "missing_target",
                          "horizon"};
    const char *what[] = {"data", "target data", "split", "series selection", "quantiles",
                          "column roles", "column roles", "column roles", "missing targets",
                          "horizon"};
    for (int i = 0; i < 10; i++) {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(a, keys[i]);
        const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, keys[i]);
        if ((x == NULL) != (y == NULL) || (x && !cJSON_Compare(x, y, 1)))
            return what[i];
    }
    return NULL;
}

/* fc_rank_value_fn over the entries (ctx) */
static double entry_value(const void *ctx, size_t k, const struct fc_metric_info *mi)
{
    return overall(((const struct entry *)ctx)[k].m, mi->name);
}

static void win_counts(struct entry *e, size_t n, const char *per_series, int higher)
{
    /* every series of the first entry; the best entry on it wins */
    const cJSON *series0 = cJSON_GetObjectItemCaseSensitive(e[0].m, "series");
    const cJSON *s;
    cJSON_ArrayForEach(s, series0)
    {
        size_t best = (size_t)-1;
        double bv = NAN;
        int tie = 0;
        for (size_t k = 0; k < n; k++) {
            const cJSON *one = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(e[k].m, "series"), s->string);
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(one, per_series);
            if (!cJSON_IsNumber(v))
                continue;
            double x = v->valuedouble;
            if (best == (size_t)-1 || (higher ? x > bv : x < bv)) {
                best = k;
                bv = x;
                tie = 0;
            } else if (x == bv) {
                tie = 1;
            }
        }
        if (best != (size_t)-1 && !tie)
            e[best].wins++;
    }
}

/* One invocation: the entries of every run, their ranking metric, the note
 * of a forced comparison. */
struct board {
    struct entry *e;
    size_t n;
    const struct fc_metric_info *mi;
    cJSON *fp0;  /* the first run's fingerprint */
    char *note;  /* runs that differ, compared with --force */
    int backtest; /* backtest runs: means over windows, no per-series metrics */
};

static void board_free(struct board *B)
{
    for (size_t k = 0; k < B->n; k++) {
        free(B->e[k].run_id);
        free(B->e[k].model);
        free(B->e[k].strategy);
        cJSON_Delete(B->e[k].m);
    }
    free(B->e);
    free(B->note);
    cJSON_Delete(B->fp0);
}

static int unknown_metric(const char *metric)
{
    const char *names[64];
    size_t nn = 0;
    struct fc_buf all;
    fc_buf_init(&all);
    for (const struct fc_metric_info *t = fc_metric_table; t->name && nn < 64; t++) {
        fc_buf_printf(&all, "%s%s", nn ? ", " : "", t->name);
        names[nn++] = t->name;
    }
    const char *sug = fc_suggest(metric, names, nn);
    fc_error("compare: --metric %s: unknown metric%s%s%s (one of %s)", metric,
             sug ? "; did you mean " : "", sug ? sug : "", sug ? "?" : "", all.s);
    fc_buf_free(&all);
    return -1;
}

/* A run's fingerprint against the first one's: refused when they differ
 * unless force (then the note says so). */
static int check_comparable(struct board *B, const cJSON *run, const char *first,
                            const char *dir, int force)
{
    cJSON *fp = fingerprint(run);
    if (!B->fp0) {
        B->fp0 = fp;
        return 0;
    }
    const char *d = differs(B->fp0, fp);
    cJSON_Delete(fp);
    if (d && !force)
        return fc_error("%s and %s were made on different %s: their scores are not "
                        "comparable (--force compares them anyway)",
                        first, dir, d);
    if (d && !B->note)
        B->note = fc_xasprintf("the runs differ in their %s (%s vs %s); compared anyway with "
                               "--force",
                               d, first, dir);
    return 0;
}

/* Every model of the run in dir: its metrics.json as an entry. */
static int add_run(struct board *B, const char *dir, const char *first, int force)
{
    cJSON *run = fc_run_read(dir, 1, "be compared");
    if (!run)
        return -1;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(run, "id");
    const cJSON *models = cJSON_GetObjectItemCaseSensitive(run, "models");
    int rc = -1;
    if (!cJSON_IsArray(models)) {
        fc_error("%s/run.json: no \"models\" list", dir);
        goto out;
    }
    if (check_comparable(B, run, first, dir, force))
        goto out;
    const cJSON *mo;
    cJSON_ArrayForEach(mo, models)
    {
        const cJSON *md = cJSON_GetObjectItemCaseSensitive(mo, "dir");
        if (!cJSON_IsString(md))
            continue;
        char *mp = fc_xasprintf("%s/%s/metrics.json", dir, md->valuestring);
        cJSON *m = fc_read_json(mp);
        free(mp);
        if (!m)
            goto out;
        B->backtest |= cJSON_GetObjectItemCaseSensitive(m, "windows") != NULL;
        B->e = xrealloc(B->e, (B->n + 1) * sizeof *B->e);
        const cJSON *mn = cJSON_GetObjectItemCaseSensitive(m, "model");
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(m, "strategy");
        B->e[B->n++] = (struct entry){dir, xstrdup(cJSON_IsString(id) ? id->valuestring : "?"),
                                      xstrdup(cJSON_IsString(mn) ? mn->valuestring : "?"),
                                      xstrdup(cJSON_IsString(st) ? st->valuestring : "?"), m,
                                      NAN, 0};
    }
    rc = 0;
out:
    cJSON_Delete(run);
    return rc;
}

/* Ranks the entries by B->mi (the default when none was asked), with wins. */
static void rank_entries(struct board *B)
{
    struct entry *e = B->e;
    size_t n = B->n;
    if (!B->mi)
        B->mi = fc_rank_default(n, entry_value, e);
    for (size_t k = 0; k < n; k++)
        e[k].value = overall(e[k].m, B->mi->name);
    if (B->mi->per_series)
        win_counts(e, n, B->mi->per_series, B->mi->higher_better);
    size_t *order = xmalloc(n * sizeof *order);
    struct entry *ranked = xmalloc(n * sizeof *ranked);
    fc_rank(n, B->mi, entry_value, e, order);
    for (size_t r = 0; r < n; r++)
        ranked[r] = e[order[r]];
    memcpy(e, ranked, n * sizeof *e);
    free(ranked);
    free(order);
}

/* ---- output ---- */

static const char *const cols[] = {"wrmsse", "wspl", "rmse", "mae", "mean_pinball"};

static void print_json(const struct board *B)
{
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "metric", B->mi->name);
    if (B->note)
        cJSON_AddStringToObject(out, "note", B->note);
    cJSON *arr = cJSON_AddArrayToObject(out, "leaderboard");
    for (size_t k = 0; k < B->n; k++) {
        const struct entry *e = &B->e[k];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "rank", (double)k + 1);
        cJSON_AddStringToObject(o, "run", e->run);
        cJSON_AddStringToObject(o, "model", e->model);
        cJSON_AddStringToObject(o, "strategy", e->strategy);
        for (size_t c = 0; c < 5; c++) {
            double v = overall(e->m, cols[c]);
            if (isnan(v))
                cJSON_AddNullToObject(o, cols[c]);
            else
                cJSON_AddNumberToObject(o, cols[c], v);
        }
        if (B->mi->per_series)
            cJSON_AddNumberToObject(o, "series_wins", (double)e->wins);
        cJSON_AddItemToArray(arr, o);
    }
    char *text = cJSON_Print(out);
    puts(text);
    free(text);
    cJSON_Delete(out);
}

static void print_csv(const struct board *B)
{
    if (B->note) /* CSV has no place for it: it goes to stderr */
        fc_warn("%s", B->note);
    printf("rank,run,model,strategy,%s,%s,%s,%s,%s,series_wins\n", cols[0], cols[1], cols[2],
           cols[3], cols[4]);
    for (size_t k = 0; k < B->n; k++) {
        const struct entry *e = &B->e[k];
        printf("%zu,%s,%s,%s", k + 1, e->run, e->model, e->strategy);
        for (size_t c = 0; c < 5; c++) {
            double v = overall(e->m, cols[c]);
            if (isnan(v))
                printf(",");
            else
                printf(",%.17g", v);
        }
        if (B->mi->per_series)
            printf(",%zu\n", e->wins);
        else
            printf(",\n");
    }
}

static void print_markdown(const struct board *B)
{
    const struct fc_metric_info *mi = B->mi;
    printf("## Leaderboard (ranked by %s)\n\n", mi->name);
    if (B->note)
        printf("> Note: %s.\n\n", B->note);
    printf("| rank | run | model | strategy | WRMSSE | WSPL | RMSE | MAE | mean pinball | "
           "series wins |\n|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t k = 0; k < B->n; k++) {
        const struct entry *e = &B->e[k];
        printf("| %zu | %s | %s | %s |", k + 1, e->run, e->model, e->strategy);
        for (size_t c = 0; c < 5; c++) {
            double v = overall(e->m, cols[c]);
            if (isnan(v))
                printf(" n/a |");
            else
                printf(" %.4f |", v);
        }
        if (mi->per_series)
            printf(" %zu |\n", e->wins);
        else
            printf(" n/a |\n");
    }
    if (mi->per_series)
        printf("\nSeries wins: on how many series the model has the best %s.\n",
               mi->per_series);
    if (B->backtest)
        printf("\nBacktest runs are ranked by the means over their windows; they keep no "
               "per-series metrics, so they win no series.\n");
}

static int write_html(const struct board *B, const char *path)
{
    struct fc_html_entry *he = xcalloc(B->n, sizeof *he);
    for (size_t k = 0; k < B->n; k++) {
        const struct entry *e = &B->e[k];
        he[k] = (struct fc_html_entry){e->run, e->model, e->strategy, e->m, e->wins};
    }
    int rc = fc_report_html_compare(path, he, B->n, B->mi->name, B->note);
    free(he);
    return rc;
}

static int cmd_compare(int argc, char **argv)
{
    struct fc_args a;
    int done;
    int rc = fc_cmd_parse(&fc_cmd_compare, argc, argv, &a, &done);
    if (rc || done)
        return rc;
    const char *metric = NULL, *html = NULL;
    int json = 0, csv = 0, force = 0;
    const char **runs = xcalloc(a.n ? a.n : 1, sizeof *runs);
    size_t n_runs = 0;
    for (size_t i = 0; i < a.n; i++) {
        const struct fc_arg *it = &a.items[i];
        if (!it->opt)
            runs[n_runs++] = it->value;
        else if (strcmp(it->opt->name, "metric") == 0)
            metric = it->value;
        else if (strcmp(it->opt->name, "json") == 0)
            json = 1;
        else if (strcmp(it->opt->name, "csv") == 0)
            csv = 1;
        else if (strcmp(it->opt->name, "html") == 0)
            html = it->value;
        else if (strcmp(it->opt->name, "force") == 0)
            force = 1;
    }
    rc = FC_EXIT_USAGE;
    struct board B = {0};
    if (n_runs == 0) {
        fc_error("compare: which runs? (forecast compare runs/<id> [runs/<id2> ...])");
        goto out;
    }
    if (json && csv) {
        fc_error("compare: --json and --csv are exclusive");
        goto out;
    }
    if (metric && !(B.mi = fc_metric_find(metric))) {
        unknown_metric(metric);
        goto out;
    }
    for (size_t r = 0; r < n_runs; r++)
        if (add_run(&B, runs[r], runs[0], force))
            goto out;
    if (B.n == 0) {
        fc_error("compare: the runs hold no scored models");
        goto out;
    }
    rank_entries(&B);
    if (json)
        print_json(&B);
    else if (csv)
        print_csv(&B);
    else
        print_markdown(&B);
    rc = html && write_html(&B, html) ? FC_EXIT_FAILURE : FC_EXIT_OK;
out:
    board_free(&B);
    free(runs);
    fc_args_free(&a);
    return rc;
}

const struct fc_cmd fc_cmd_compare = {
    .name = "compare",
    .fn = cmd_compare,
    .summary = "rank the models of one or more runs on one metric",
    .synopsis = "forecast compare RUN [RUN ...] [--metric NAME] [--json | --csv] [--html FILE]",
    .description =
        "A leaderboard over every model x strategy in the given runs, ranked by\n"
        "--metric (default wrmsse; wspl when a model has no point forecast; r2 and\n"
        "the ic metrics rank higher first), with per-series win counts (on how many\n"
        "series each entry has the best per-series value: rmsse for wrmsse, spl for\n"
        "wspl, ...). Runs made on different data (sha256), splits, series selections\n"
        "or quantiles are refused unless --force, and then the output says so.\n"
        "\n"
        "exit status: 0 done; 2 bad input (unknown metric, unfinished or incomparable\n"
        "runs).",
    .opts = compare_opts,
    .n_opts = sizeof compare_opts / sizeof compare_opts[0],
};

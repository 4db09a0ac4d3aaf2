/*
 * cmd_evaluate.c — `forecast evaluate --pred FILE --actual FILE`: scores any
 * predictions file (also one made by another tool) with the central metrics
 * module. The actuals file holds the series ids, the date and the target for
 * the predicted dates and for the history before them (the M5 scales and
 * weights come from that history).
 */
#define _GNU_SOURCE /* qsort_r */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/cli/cli.h"
#include "forecast/data/dataset.h"
#include "forecast/eval/metrics.h"
#include "forecast/store/store.h"
#include "forecast/core/util.h"
#include "forecast/data/csv.h"

static const struct fc_opt evaluate_opts[] = {
    {"pred", "FILE", "predictions: series id columns, date, point and/or q<level> columns"},
    {"actual", "FILE", "actuals: series id columns, date, target (history included)"},
    {"series-columns", "LIST", "series id columns (default product_id,store_id)"},
    {"date-column", "NAME", "date column (default date)"},
    {"target-column", "NAME", "target column of the actuals file (default sales)"},
    {"point-column", "NAME", "point forecast column of the predictions (default point)"},
    {"json", NULL, "print metrics.json instead of a summary table"},
    {"out", "FILE", "also write the metrics as JSON to FILE"},
};

struct obs {
    uint32_t series;
    int32_t date;
    double y;
    long line;
};

struct keytab {
    struct fc_strmap map;
    char **key;
    size_t n;
};

struct ev {
    const char *path;
    char **ids;
    size_t n_ids;
    const char *date_col, *target_col, *point_col;
    /* header positions */
    long *id_pos, date_pos, value_pos, point_pos, cutoff_pos;
    long *q_pos;
    double *levels;
    size_t n_levels;
    size_t n_cols;
    int header_done, is_pred;
    struct keytab *kt; /* series interned over both files */
    /* rows */
    struct obs *o;
    size_t n, cap;
    double *point, *q; /* pred rows */
    int32_t *cutoff;   /* pred rows of a backtest (a cutoff column), else NULL */
};

static long col_of(char **f, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(f[i], name) == 0)
            return (long)i;
    return -1;
}

static uint32_t intern(struct ev *E, char **f)
{
    struct fc_buf k;
    fc_buf_init(&k);
    for (size_t j = 0; j < E->n_ids; j++)
        fc_buf_put_key_part(&k, f[E->id_pos[j]], j == 0);
    struct keytab *t = E->kt;
    long s = fc_strmap_get(&t->map, k.s);
    if (s >= 0) {
        fc_buf_free(&k);
        return (uint32_t)s;
    }
    t->key = xrealloc(t->key, (t->n + 1) * sizeof *t->key);
    t->key[t->n] = k.s;
    fc_strmap_put(&t->map, k.s, (uint32_t)t->n);
    return (uint32_t)t->n++;
}

static int on_row(void *ctx, char **f, size_t n, long line)
{
    struct ev *E = ctx;
    if (!E->header_done) {
        E->header_done = 1;
        E->n_cols = n;
        for (size_t j = 0; j < E->n_ids; j++)
            if ((E->id_pos[j] = col_of(f, n, E->ids[j])) < 0)
                return fc_error("%s:1: no series id column \"%s\" (--series-columns)", E->path,
                                E->ids[j]);
        if ((E->date_pos = col_of(f, n, E->date_col)) < 0)
            return fc_error("%s:1: no date column \"%s\" (--date-column)", E->path,
                            E->date_col);
        if (!E->is_pred) {
            if ((E->value_pos = col_of(f, n, E->target_col)) < 0)
                return fc_error("%s:1: no target column \"%s\" (--target-column)", E->path,
                                E->target_col);
            return 0;
        }
        E->point_pos = col_of(f, n, E->point_col);
        E->cutoff_pos = col_of(f, n, "cutoff");
        E->q_pos = xcalloc(n, sizeof *E->q_pos);
        E->levels = xcalloc(n, sizeof *E->levels);
        for (size_t i = 0; i < n; i++) {
            double a;
            if (f[i][0] == 'q' && fc_parse_double(f[i] + 1, &a) == 0) {
                if (!(a > 0 && a < 1))
                    return fc_error("%s:1:%zu: quantile column \"%s\": expected a level in "
                                    "(0, 1)",
                                    E->path, i + 1, f[i]);
                if (E->n_levels && a <= E->levels[E->n_levels - 1])
                    return fc_error("%s:1:%zu: quantile columns must come in increasing "
                                    "order of level",
                                    E->path, i + 1);
                E->q_pos[E->n_levels] = (long)i;
                E->levels[E->n_levels++] = a;
            }
        }
        if (E->point_pos < 0 && E->n_levels == 0)
            return fc_error("%s:1: no forecast columns: expected \"%s\" and/or q<level> "
                            "columns such as q0.1",
                            E->path, E->point_col);
        return 0;
    }
    if (n != E->n_cols)
        return fc_error("%s:%ld: expected %zu fields as in the header, found %zu", E->path,
                        line, E->n_cols, n);
    if (E->n == E->cap) {
        E->cap = E->cap ? 2 * E->cap : 1024;
        E->o = xrealloc(E->o, E->cap * sizeof *E->o);
        if (E->is_pred) {
            E->point = xrealloc(E->point, E->cap * sizeof *E->point);
            E->q = xrealloc(E->q, E->cap * (E->n_levels ? E->n_levels : 1) * sizeof *E->q);
            if (E->cutoff_pos >= 0)
                E->cutoff = xrealloc(E->cutoff, E->cap * sizeof *E->cutoff);
        }
    }
    struct obs *o = &E->o[E->n];
    for (size_t j = 0; j < E->n_ids; j++)
        if (!f[E->id_pos[j]][0])
            return fc_error("%s:%ld:%ld: empty series id", E->path, line, E->id_pos[j] + 1);
    o->series = intern(E, f);
    o->line = line;
    if (fc_parse_date(f[E->date_pos], &o->date))
        return fc_error("%s:%ld:%ld (column \"%s\"): expected a date YYYY-MM-DD, got \"%.40s\"",
                        E->path, line, E->date_pos + 1, E->date_col, f[E->date_pos]);
    if (!E->is_pred) {
        if (fc_parse_double(f[E->value_pos], &o->y))
            return fc_error("%s:%ld:%ld (column \"%s\"): expected a number, got \"%.40s\"",
                            E->path, line, E->value_pos + 1, E->target_col, f[E->value_pos]);
        /* as the data loader keeps it (float32): a quantile equal to an actual
         * covers it here as in train (7.2 is 7.19999981 in both) */
        o->y = (double)(float)o->y;
    } else {
        if (E->cutoff_pos >= 0 && fc_parse_date(f[E->cutoff_pos], &E->cutoff[E->n]))
            return fc_error("%s:%ld:%ld (column \"cutoff\"): expected a date YYYY-MM-DD, got "
                            "\"%.40s\"",
                            E->path, line, E->cutoff_pos + 1, f[E->cutoff_pos]);
        if (E->point_pos >= 0 && fc_parse_double(f[E->point_pos], &E->point[E->n]))
            return fc_error("%s:%ld:%ld (column \"%s\"): expected a number, got \"%.40s\"",
                            E->path, line, E->point_pos + 1, E->point_col, f[E->point_pos]);
        for (size_t j = 0; j < E->n_levels; j++)
            if (fc_parse_double(f[E->q_pos[j]], &E->q[E->n * E->n_levels + j]))
                return fc_error("%s:%ld:%ld: expected a number, got \"%.40s\"", E->path, line,
                                E->q_pos[j] + 1, f[E->q_pos[j]]);
        /* forecasts are float32, as train scores them (%.9g gives them back
         * exactly: a run's predictions.csv scores as its metrics.json) */
        if (E->point_pos >= 0)
            E->point[E->n] = (double)(float)E->point[E->n];
        for (size_t j = 0; j < E->n_levels; j++)
            E->q[E->n * E->n_levels + j] = (double)(float)E->q[E->n * E->n_levels + j];
    }
    E->n++;
    return 0;
}

static int cmp_idx(const void *a, const void *b, void *arg)
{
    const struct obs *o = arg;
    const struct obs *x = &o[*(const size_t *)a], *y = &o[*(const size_t *)b];
    if (x->series != y->series)
        return x->series < y->series ? -1 : 1;
    return (x->date > y->date) - (x->date < y->date);
}

static size_t *sorted(const struct obs *o, size_t n)
{
    size_t *idx = xmalloc((n ? n : 1) * sizeof *idx);
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    qsort_r(idx, n, sizeof *idx, cmp_idx, (void *)o);
    return idx;
}

static void free_ev(struct ev *E)
{
    free(E->id_pos);
    free(E->q_pos);
    free(E->levels);
    free(E->o);
    free(E->point);
    free(E->q);
    free(E->cutoff);
}

/* The predictions paired with their actuals, per series, for the metrics:
 * the history of a series is its actuals before its first predicted date. */
struct paired {
    struct fc_eval_series *es; /* (ne) */
    size_t ne;
    double *Y, *H, *Pp, *Qq;   /* actuals, history, point, quantiles */
    int32_t *D, *HD;           /* their dates */
    size_t *pi, *ai;           /* the rows of P and A sorted by (series, date) */
    int32_t last_hist;         /* the latest history date */
};

static void paired_free(struct paired *R)
{
    free(R->es);
    free(R->Y);
    free(R->D);
    free(R->Pp);
    free(R->Qq);
    free(R->H);
    free(R->HD);
    free(R->pi);
    free(R->ai);
}

static int pair_rows(const struct ev *P, const struct ev *A, char **key, size_t n_series,
                     struct paired *R)
{
    const char *pred = P->path, *actual = A->path;
    size_t *pi = R->pi = sorted(P->o, P->n);
    size_t *ai = R->ai = sorted(A->o, A->n);
    /* per series: history = actuals before its first predicted date */
    size_t L = P->n_levels;
    double *Y = R->Y = xmalloc(P->n * sizeof *Y);
    int32_t *D = R->D = xmalloc(P->n * sizeof *D);
    double *Pp = R->Pp = xmalloc(P->n * sizeof *Pp);
    double *Qq = R->Qq = xmalloc((L > 0 ? P->n * L : 1) * sizeof *Qq);
    double *H = R->H = xmalloc((A->n ? A->n : 1) * sizeof *H);
    int32_t *HD = R->HD = xmalloc((A->n ? A->n : 1) * sizeof *HD);
    struct fc_eval_series *es = R->es = xcalloc(n_series ? n_series : 1, sizeof *es);
    size_t ne = 0, k = 0, j = 0, nh = 0;
    int32_t last_hist = INT32_MIN;
    while (k < P->n) {
        uint32_t s = P->o[pi[k]].series;
        int32_t first = P->o[pi[k]].date;
        while (j < A->n && A->o[ai[j]].series < s)
            j++;
        size_t h0 = nh;
        while (j < A->n && A->o[ai[j]].series == s && A->o[ai[j]].date < first) {
            H[nh] = A->o[ai[j]].y;
            HD[nh++] = A->o[ai[j]].date;
            if (A->o[ai[j]].date > last_hist)
                last_hist = A->o[ai[j]].date;
            j++;
        }
        size_t t0 = k;
        while (k < P->n && P->o[pi[k]].series == s) {
            const struct obs *p = &P->o[pi[k]];
            if (k > t0 && P->o[pi[k - 1]].date == p->date) {
                fc_error("%s:%ld: duplicate prediction for series %s on this date (first on "
                         "line %ld)",
                         pred, p->line, key[s], P->o[pi[k - 1]].line);
                return -1;
            }
            while (j < A->n && A->o[ai[j]].series == s && A->o[ai[j]].date < p->date)
                j++;
            if (j >= A->n || A->o[ai[j]].series != s || A->o[ai[j]].date != p->date) {
                char d[11];
                fc_format_date(p->date, d);
                fc_error("%s:%ld: no actual for series %s on %s in %s", pred, p->line, key[s],
                         d, actual);
                return -1;
            }
            Y[k] = A->o[ai[j]].y;
            D[k] = p->date;
            Pp[k] = P->point_pos >= 0 ? P->point[pi[k]] : NAN;
            for (size_t l = 0; l < L; l++)
                Qq[k * L + l] = P->q[pi[k] * L + l];
            k++;
        }
        es[ne++] = (struct fc_eval_series){key[s], H + h0, HD + h0, nh - h0, Y + t0, D + t0,
                                           P->point_pos >= 0 ? Pp + t0 : NULL,
                                           L ? Qq + t0 * L : NULL, k - t0};
    }
    /* no point column: the median is the point forecast, as in train */
    if (P->point_pos < 0)
        for (size_t l = 0; l < L; l++)
            if (fabs(P->levels[l] - 0.5) < 1e-12) {
                for (size_t i = 0; i < P->n; i++)
                    Pp[i] = Qq[i * L + l];
                for (size_t e = 0; e < ne; e++)
                    es[e].point = Pp + (es[e].y - Y);
            }
    R->ne = ne;
    R->last_hist = last_hist;
    return 0;
}

/* The metrics of P's rows against A, or NULL after fc_error. */
static struct fc_metrics *score(const struct ev *P, const struct ev *A, char **key,
                                size_t n_series)
{
    struct paired R = {0};
    struct fc_metrics *m = NULL;
    if (pair_rows(P, A, key, n_series, &R) == 0)
        m = fc_metrics_compute(R.es, R.ne, P->levels, P->n_levels, R.last_hist);
    paired_free(&R);
    return m;
}

static int cmp_date(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* A backtest's predictions (a cutoff column): each cutoff's rows scored as
 * train scores its window (history: the actuals before each series' first
 * date in that window), then the windows' means, as train's metrics.json. */
static struct fc_metrics *score_windows(const struct ev *P, const struct ev *A, char **key,
                                        size_t n_series, cJSON **windows)
{
    int32_t *cuts = xmalloc(P->n * sizeof *cuts);
    memcpy(cuts, P->cutoff, P->n * sizeof *cuts);
    qsort(cuts, P->n, sizeof *cuts, cmp_date);
    size_t nw = 0;
    for (size_t i = 0; i < P->n; i++)
        if (i == 0 || cuts[i] != cuts[i - 1])
            cuts[nw++] = cuts[i];
    struct fc_metrics **wm = xcalloc(nw, sizeof *wm);
    size_t L = P->n_levels ? P->n_levels : 1, done = 0;
    struct ev Q = *P;
    Q.o = xmalloc(P->n * sizeof *Q.o);
    Q.point = xmalloc(P->n * sizeof *Q.point);
    Q.q = xmalloc(P->n * L * sizeof *Q.q);
    *windows = cJSON_CreateArray();
    for (; done < nw; done++) {
        Q.n = 0;
        for (size_t i = 0; i < P->n; i++)
            if (P->cutoff[i] == cuts[done]) {
                Q.o[Q.n] = P->o[i];
                Q.point[Q.n] = P->point ? P->point[i] : NAN;
                memcpy(Q.q + Q.n * L, P->q + i * L, L * sizeof *Q.q);
                Q.n++;
            }
        if (!(wm[done] = score(&Q, A, key, n_series)))
            break;
        cJSON *one = fc_metrics_to_json(wm[done], 0);
        char d[11];
        fc_format_date(cuts[done], d);
        cJSON_AddStringToObject(one, "cutoff", d);
        cJSON_AddItemToArray(*windows, one);
    }
    struct fc_metrics *m = done == nw ? fc_metrics_mean(wm, nw) : NULL;
    for (size_t w = 0; w < nw; w++)
        fc_metrics_free(wm[w]);
    free(wm);
    free(cuts);
    free(Q.o);
    free(Q.point);
    free(Q.q);
    return m;
}

static void print_table(const cJSON *mj, const struct fc_metrics *m)
{
    printf("| metric | value |\n|---|---|\n");
    const char *names[] = {"wrmsse", "mean_rmsse", "rmse", "mae", "wape", "smape", "mape",
                           "bias", "r2", "ic_mean", "rank_ic_mean", "wspl", "mean_pinball",
                           "crossing_rate"};
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(mj, "overall");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, names[i]);
        if (cJSON_IsNumber(v))
            printf("| %s | %.6g |\n", names[i], v->valuedouble);
    }
    const cJSON *w, *wins = cJSON_GetObjectItemCaseSensitive(mj, "windows");
    if (wins) {
        printf("\nThe means over %d backtest windows (cutoff column):\n\n| cutoff | wrmsse | "
               "wspl | rmse |\n|---|---|---|---|\n",
               cJSON_GetArraySize(wins));
        cJSON_ArrayForEach(w, wins)
        {
            const cJSON *wo = cJSON_GetObjectItemCaseSensitive(w, "overall");
            printf("| %s |", cJSON_GetObjectItemCaseSensitive(w, "cutoff")->valuestring);
            const char *k3[] = {"wrmsse", "wspl", "rmse"};
            for (int i = 0; i < 3; i++) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(wo, k3[i]);
                if (cJSON_IsNumber(v))
                    printf(" %.6g |", v->valuedouble);
                else
                    printf(" n/a |");
            }
            printf("\n");
        }
    }
    printf("\n%zu rows%s scored.\n", m->n, wins ? " (over all windows)" : "");
}

/* Says why the M5 metrics are missing or cover fewer series: their scale is
 * a series' history before its first predicted date, which only the actuals
 * file can give. */
static void explain_m5(const struct fc_metrics *m, const char *actual, int windows)
{
    const char *why = "the M5 metrics scale a series by its actuals before its first predicted "
                      "date (at least 2 from its first non-zero one, not all equal) and weight "
                      "it by its sales in the last 28 days of them";
    int no_wrmsse = m->has_point && isnan(m->wrmsse);
    int no_wspl = m->has_quantiles && isnan(m->wspl);
    if (no_wrmsse || no_wspl)
        fc_warn("%s not computed from %s: %s; give the actuals with the history before the "
                "predicted dates",
                no_wrmsse && no_wspl ? "wrmsse, mean_rmsse and wspl"
                : no_wrmsse          ? "wrmsse and mean_rmsse"
                                     : "wspl",
                actual, why);
    else if (!windows && m->has_point && m->rmsse_series < m->n_series)
        fc_warn("wrmsse covers %zu of %zu series: %s", m->rmsse_series, m->n_series, why);
}

static int cmd_evaluate(int argc, char **argv)
{
    struct fc_args a;
    int done;
    int rc = fc_cmd_parse(&fc_cmd_evaluate, argc, argv, &a, &done);
    if (rc || done)
        return rc;
    const char *pred = NULL, *actual = NULL, *out = NULL, *ids_text = "product_id,store_id";
    const char *date_col = "date", *target_col = "sales", *point_col = "point";
    int json = 0;
    for (size_t i = 0; i < a.n; i++) {
        const struct fc_arg *it = &a.items[i];
        const char *nm = it->opt ? it->opt->name : "";
        if (!it->opt) {
            fc_error("evaluate: unexpected argument '%s'", it->value);
            fc_args_free(&a);
            return FC_EXIT_USAGE;
        }
        if (!strcmp(nm, "pred"))
            pred = it->value;
        else if (!strcmp(nm, "actual"))
            actual = it->value;
        else if (!strcmp(nm, "series-columns"))
            ids_text = it->value;
        else if (!strcmp(nm, "date-column"))
            date_col = it->value;
        else if (!strcmp(nm, "target-column"))
            target_col = it->value;
        else if (!strcmp(nm, "point-column"))
            point_col = it->value;
        else if (!strcmp(nm, "json"))
            json = 1;
        else if (!strcmp(nm, "out"))
            out = it->value;
    }
    rc = FC_EXIT_USAGE;
    char *ids_copy = xstrdup(ids_text), *save = NULL;
    char *ids[32];
    size_t n_ids = 0;
    for (char *t = strtok_r(ids_copy, ",", &save); t && n_ids < 32; t = strtok_r(NULL, ",", &save))
        ids[n_ids++] = t;
    struct ev P = {0}, A = {0};
    struct keytab kt = {0};
    fc_strmap_init(&kt.map);
    char **key = NULL;
    struct fc_metrics *m = NULL;
    if (!pred || !actual || n_ids == 0) {
        fc_error("evaluate: --pred FILE and --actual FILE are required");
        goto out;
    }
    P = (struct ev){.path = pred, .ids = ids, .n_ids = n_ids, .date_col = date_col,
                    .point_col = point_col, .is_pred = 1, .kt = &kt};
    A = (struct ev){.path = actual, .ids = ids, .n_ids = n_ids, .date_col = date_col,
                    .target_col = target_col, .kt = &kt};
    P.id_pos = xcalloc(n_ids, sizeof *P.id_pos);
    A.id_pos = xcalloc(n_ids, sizeof *A.id_pos);
    if (fc_csv_foreach(pred, on_row, &P) || fc_csv_foreach(actual, on_row, &A))
        goto out;
    key = kt.key;
    size_t n_series = kt.n;
    if (P.n == 0) {
        fc_error("%s: no prediction rows", pred);
        goto out;
    }
    cJSON *windows = NULL;
    m = P.cutoff ? score_windows(&P, &A, key, n_series, &windows)
                 : score(&P, &A, key, n_series);
    if (!m) {
        cJSON_Delete(windows);
        goto out;
    }
    explain_m5(m, actual, windows != NULL);
    cJSON *mj = fc_metrics_to_json(m, !windows);
    if (windows) {
        cJSON_AddStringToObject(mj, "pooled", "the mean over the windows");
        cJSON_AddItemToObject(mj, "windows", windows);
    }
    cJSON_AddStringToObject(mj, "predictions", pred);
    cJSON_AddStringToObject(mj, "actuals", actual);
    rc = FC_EXIT_FAILURE;
    if (out && fc_write_json(out, mj)) {
        cJSON_Delete(mj);
        goto out;
    }
    if (json) {
        char *text = cJSON_Print(mj);
        puts(text);
        free(text);
    } else {
        print_table(mj, m);
    }
    cJSON_Delete(mj);
    rc = FC_EXIT_OK;
out:
    fc_metrics_free(m);
    free_ev(&P);
    free_ev(&A);
    for (size_t i = 0; i < kt.n; i++)
        free(kt.key[i]);
    free(kt.key);
    fc_strmap_free(&kt.map);
    free(ids_copy);
    fc_args_free(&a);
    return rc;
}

const struct fc_cmd fc_cmd_evaluate = {
    .name = "evaluate",
    .fn = cmd_evaluate,
    .summary = "score any predictions file against actuals",
    .synopsis = "forecast evaluate --pred FILE --actual FILE [--json] [--out FILE]",
    .description =
        "Scores a predictions file — also one made by another tool — with the same\n"
        "metrics module as train. The predictions hold the series id columns, the\n"
        "date and a point column (--point-column, default point) and/or quantile\n"
        "columns named q<level> (q0.1, q0.5, ...). The actuals hold the series id\n"
        "columns, the date and the target for every predicted (series, date), and\n"
        "the history before it: the M5 scales (RMSSE, SPL) and weights (last 28 days\n"
        "of that history) come from there. forecast's own predictions.csv can be\n"
        "scored against the data file it was trained on. A backtest's predictions\n"
        "(a cutoff column) are scored per cutoff, each with the history before its\n"
        "own rows, and the overall metrics are the means over the cutoffs, as in\n"
        "train's metrics.json.\n"
        "\n"
        "exit status: 0 done; 2 bad input (missing columns, a prediction without an\n"
        "actual, unreadable numbers, with file:line:column).",
    .opts = evaluate_opts,
    .n_opts = sizeof evaluate_opts / sizeof evaluate_opts[0],
};

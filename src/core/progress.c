/*
 * progress.c — the progress line of the individual strategy, and of one
 * model's rounds or epochs in the combined strategy (progress.h).
 */
#include "forecast/core/progress.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "forecast/core/util.h"

struct fc_progress {
    pthread_mutex_t lock;
    char *label;
    const char *unit; /* "models", "rounds", "epochs" */
    size_t total, done, failed;
    int quiet, tty;
    double start, last_print;
};

struct fc_progress *fc_progress_new(const char *label, size_t total, int quiet)
{
    struct fc_progress *p = xcalloc(1, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
    p->label = xstrdup(label);
    p->unit = "models";
    p->total = total;
    p->quiet = quiet;
    p->tty = isatty(STDERR_FILENO);
    p->start = p->last_print = fc_now();
    return p;
}

struct fc_progress *fc_progress_steps(const char *label, size_t total, const char *unit)
{
    struct fc_progress *p = fc_progress_new(label, total, fc_verbosity != 1);
    p->unit = unit;
    return p;
}

void fc_progress_skip(struct fc_progress *p, size_t n)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->total -= n < p->total - p->done ? n : p->total - p->done;
    pthread_mutex_unlock(&p->lock);
}

static void print_line(struct fc_progress *p, double now, int final)
{
    double el = now - p->start;
    double rate = el > 0 ? (double)p->done / el : 0;
    double eta = rate > 0 ? (double)(p->total - p->done) / rate : 0;
    char failed[48] = "";
    if (p->failed)
        snprintf(failed, sizeof failed, ", %zu failed", p->failed);
    if (p->tty)
        fprintf(stderr, "\r%s: %zu/%zu %s%s, %.1f/s, %s %.0fs   %s", p->label, p->done,
                p->total, p->unit, failed, rate, final ? "took" : "ETA", final ? el : eta,
                final ? "\n" : "");
    else
        fprintf(stderr, "%s: %zu/%zu %s%s, %.1f/s, %s %.0fs\n", p->label, p->done,
                p->total, p->unit, failed, rate, final ? "took" : "ETA", final ? el : eta);
    fflush(stderr);
    p->last_print = now;
}

void fc_progress_add(struct fc_progress *p, size_t n, int failed)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->done += n;
    if (failed)
        p->failed += n;
    double now = fc_now();
    if (!p->quiet && now - p->last_print >= (p->tty ? 0.1 : 5.0) && p->done < p->total)
        print_line(p, now, 0);
    pthread_mutex_unlock(&p->lock);
}

void fc_progress_end(struct fc_progress *p)
{
    if (!p)
        return;
    if (!p->quiet)
        print_line(p, fc_now(), 1);
    pthread_mutex_destroy(&p->lock);
    free(p->label);
    free(p);
}

/*
 * pool.c — the worker pool (job.h): runs a plan's TODO jobs on
 * P->workers threads, with a progress line when the plan has one. It knows
 * nothing of strategies, shards or resume: the planners decided what is
 * TODO.
 */
#include "forecast/train/job.h"

#include <pthread.h>
#include <stdlib.h>

#include "forecast/core/progress.h"
#include "forecast/core/util.h"

struct pool {
    struct fc_plan *P;
    size_t *todo;   /* indices of the TODO jobs */
    size_t n_todo;
    size_t next;    /* next position in todo; taken under lock */
    pthread_mutex_t lock;
    struct fc_progress *progress;
};

static void *worker(void *arg)
{
    struct pool *W = arg;
    for (;;) {
        pthread_mutex_lock(&W->lock);
        size_t k = W->next < W->n_todo ? W->next++ : (size_t)-1;
        pthread_mutex_unlock(&W->lock);
        if (k == (size_t)-1)
            return NULL;
        int rc = fc_job_run(W->P, &W->P->jobs[W->todo[k]]);
        if (W->progress)
            fc_progress_add(W->progress, 1, rc != 0);
    }
}

void fc_pool_run(struct fc_plan *P)
{
    struct pool W = {P, xmalloc((P->n_jobs ? P->n_jobs : 1) * sizeof(size_t)), 0, 0,
                     PTHREAD_MUTEX_INITIALIZER, NULL};
    for (size_t k = 0; k < P->n_jobs; k++)
        if (P->jobs[k].state == FC_JOB_TODO)
            W.todo[W.n_todo++] = k;
    int workers = P->workers > 0 ? P->workers : 1;
    if ((size_t)workers > W.n_todo)
        workers = W.n_todo ? (int)W.n_todo : 1;
    if (P->progress)
        W.progress = fc_progress_new(P->progress, W.n_todo, fc_verbosity < 1);
    pthread_t *tid = xcalloc((size_t)workers, sizeof *tid);
    int started = 0;
    for (int w = 0; w < workers && workers > 1; w++)
        if (pthread_create(&tid[w], NULL, worker, &W) == 0)
            started++;
    if (started == 0)
        worker(&W); /* one worker, or no threads available: the work is done here */
    for (int w = 0; w < started; w++)
        pthread_join(tid[w], NULL);
    free(tid);
    if (W.progress)
        fc_progress_end(W.progress);
    pthread_mutex_destroy(&W.lock);
    free(W.todo);
}

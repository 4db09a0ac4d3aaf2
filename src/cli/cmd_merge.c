/*
 * cmd_merge.c — `forecast merge RUN`: the results of a run trained in shards.
 * Its planner plans the run's jobs and takes every one's outcome from the
 * shards (fc_plan_merge): nothing is trained; the stages around it are
 * train_run.c's, as for `forecast train`.
 */
#include <string.h>

#include "forecast/cli/cli.h"
#include "forecast/cli/train_run.h"
#include "forecast/core/util.h"

/* a missing or damaged shard is bad input: nothing is written */
static int plan_merge(struct fc_train_run *R, struct fc_plan *P)
{
    return fc_plan_merge(P, R->shard_n);
}

static const struct fc_train_planner merge_planner = {plan_merge, 1};

static const struct fc_opt merge_opts[] = {
    {"quiet", NULL, "print only errors"},
    {"verbose", NULL, "print more progress"},
};

static int cmd_merge(int argc, char **argv)
{
    struct fc_args a;
    int done;
    int rc = fc_cmd_parse(&fc_cmd_merge, argc, argv, &a, &done);
    if (rc || done)
        return rc;
    struct fc_train_run R;
    fc_train_run_init(&R);
    R.merge = 1;
    rc = FC_EXIT_USAGE;
    for (size_t i = 0; i < a.n; i++) {
        if (a.items[i].opt) {
            fc_verbosity = strcmp(a.items[i].opt->name, "quiet") == 0 ? 0 : 2;
        } else if (R.resume_dir) {
            fc_error("merge: expected one run directory, got '%s' and '%s'", R.resume_dir,
                     a.items[i].value);
            fc_train_run_free(&R);
            fc_args_free(&a);
            return FC_EXIT_USAGE;
        } else {
            R.resume_dir = a.items[i].value;
        }
    }
    if (!R.resume_dir) {
        fc_error("merge: which run? (forecast merge runs/<id>)");
    } else if (fc_train_run_inputs(&R) == 0) {
        rc = fc_train_run_open(&R, argc, argv);
        if (rc == FC_EXIT_OK)
            rc = fc_train_run_models(&R, &merge_planner);
    }
    fc_train_run_free(&R);
    fc_args_free(&a);
    return rc;
}

const struct fc_cmd fc_cmd_merge = {
    .name = "merge",
    .fn = cmd_merge,
    .summary = "combine the shards of a sharded run into its results",
    .synopsis = "forecast merge RUN",
    .description =
        "RUN was trained in shards (forecast train --strategy individual --name ID\n"
        "--shard K/N, one process per K, e.g. a Slurm job array or a Kubernetes\n"
        "Indexed Job). merge checks that every shard finished and that every series'\n"
        "outputs are complete and verify against their manifests, then writes the\n"
        "run's predictions.csv, metrics.json, report.md and run.json: the same as a\n"
        "single-machine run.\n"
        "\n"
        "exit status: 0 done; 2 a shard is missing or unfinished, or RUN is not a\n"
        "sharded run; 3 done, but some series failed to train; 1 failed while writing.",
    .opts = merge_opts,
    .n_opts = sizeof merge_opts / sizeof merge_opts[0],
};

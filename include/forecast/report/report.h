/*
 * report.h — report.md: a run's summary as Markdown tables for terminals and
 * CI logs.
 */
#ifndef FORECAST_REPORT_H
#define FORECAST_REPORT_H

#include "forecast/core/config.h"
#include "forecast/data/dataset.h"
#include "forecast/data/split.h"
#include "forecast/train/collect.h"

struct cJSON;

/* Writes path atomically: a leaderboard of the run's models, then a section
 * per model. run is the run.json object; res[k] and model_dirs[k]
 * (<run>/<model>/<strategy>) belong to cfg->models[k]; the training curves
 * and top features come from res[k].record. */
int fc_report_write(const char *path, const struct cJSON *run, const struct fc_config *cfg,
                    const struct fc_dataset *ds, const struct fc_split *sp,
                    const struct fc_train_result *res, size_t n);

/* The features of rec by gain, highest first: an index array of
 * rec->n_importance (caller frees). */
size_t *fc_report_importance_order(const struct fc_fit_record *rec);

/* One model's section, shared by report.md and report.html
 * (report_model.c): its timing line, scores, per-level table, intervals,
 * best and worst series, training summary, top features and failed series,
 * as blocks of text cells each report writes in its own markup. */
struct fc_report_block {
    char *heading;          /* NULL: none */
    char *text;             /* a paragraph, or NULL */
    size_t n_cols, n_rows;  /* a table when n_cols > 0 */
    char **cells;           /* (n_rows + 1) x n_cols, the header row first */
};
struct fc_report_blocks {
    struct fc_report_block *b;
    size_t n;
};
void fc_report_model_blocks(const struct fc_train_result *res, const struct fc_dataset *ds,
                            struct fc_report_blocks *out);
void fc_report_blocks_free(struct fc_report_blocks *out);
/* Building blocks: a table of n_cols columns headed by the given names
 * (copied), whose rows fc_report_row appends (n_cols cells, each allocated,
 * taken over); a paragraph (t taken over) under an optional heading. */
struct fc_report_block *fc_report_table(struct fc_report_blocks *out, const char *heading,
                                        size_t n_cols, ...);
void fc_report_row(struct fc_report_block *k, ...);
/* The same with the names and cells in arrays (cells taken over, not the array). */
struct fc_report_block *fc_report_table_of(struct fc_report_blocks *out, const char *heading,
                                           size_t n_cols, const char *const *names);
void fc_report_row_of(struct fc_report_block *k, char **cells);
struct fc_report_block *fc_report_text(struct fc_report_blocks *out, const char *heading,
                                       char *t);
/* Blocks as Markdown (report_md.c) and as HTML (report_html.c), headings at
 * level (## for 2). */
struct fc_buf;
void fc_report_blocks_md(struct fc_buf *b, const struct fc_report_blocks *k, int level);
void fc_report_blocks_html(struct fc_buf *b, const struct fc_report_blocks *k, int level);
/* report.html's head (its style, the title as <h1>) and text escaped for HTML. */
void fc_report_html_head(struct fc_buf *b, const char *title);
void fc_report_html_esc(struct fc_buf *b, const char *s);

/* ---- report.html: the same content as report.md plus charts (inline SVG
 * written by report_html.c; one self-contained file, readable offline) ---- */

/* plot_skus: series keys to plot (NULL / 0: the best, the worst and the
 * largest by sales of the top-ranked model). */
int fc_report_html_run(const char *path, const struct cJSON *run, const struct fc_config *cfg,
                       const struct fc_dataset *ds, const struct fc_split *sp,
                       const struct fc_train_result *res, size_t n, char *const *plot_skus, size_t n_plot);

/* One row of a compare leaderboard, already ranked. */
struct fc_html_entry {
    const char *run, *model, *strategy;
    const struct cJSON *metrics; /* the model's metrics.json */
    size_t wins;
};

int fc_report_html_compare(const char *path, const struct fc_html_entry *e, size_t n,
                           const char *metric, const char *note);

/* ---- a tuning study's report.md and report.html in dir (report_tune.c):
 * its settings (meta: the study's JSON), the best trial, the optimisation
 * history, the objective against each parameter and the parameters'
 * importance ---- */
struct fc_space;
struct fc_trial;
int fc_report_tune(const char *dir, const struct cJSON *meta, const struct fc_space *sp,
                   const struct fc_trial *t, size_t n);

/* ---- MODEL_CARD.md of a release (model_card.c) ---- */
struct fc_card_model {
    const char *model, *strategy;
    const struct cJSON *metrics; /* its metrics.json */
};
/* The card's Markdown (caller frees): run is the run's run.json; notes may
 * be NULL. */
char *fc_model_card(const struct cJSON *run, const struct fc_card_model *m, size_t n,
                    const char *name, const char *version, const char *notes);

#endif

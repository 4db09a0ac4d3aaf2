/*
 * report.h — report.md: a run's summary as Markdown tables for terminals and
 * CI logs.
 */
#ifndef FORECAST_REPORT_H
#define FORECAST_REPORT_H

#include "forecast/config.h"
#include "forecast/dataset.h"
#include "forecast/split.h"
#include "forecast/train.h"

struct cJSON;

/* Writes path atomically: a leaderboard of the run's models, then a section
 * per model. run is the run.json object; res[k] and model_dirs[k]
 * (<run>/<model>/<strategy>, whose model/feature_importance.csv gives the top
 * features) belong to cfg->models[k]. */
int fc_report_write(const char *path, const struct cJSON *run, const struct fc_config *cfg,
                    const struct fc_dataset *ds, const struct fc_split *sp,
                    const struct fc_train_result *res, const char *const *model_dirs,
                    size_t n);

#endif

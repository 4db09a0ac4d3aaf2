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

/* Writes path atomically. run is the run.json object; model_dir is
 * <run>/<model>/<strategy> (its model/feature_importance.csv, when the plugin
 * wrote one, gives the top features). */
int fc_report_write(const char *path, const struct cJSON *run, const struct fc_config *cfg,
                    const struct fc_dataset *ds, const struct fc_split *sp,
                    const struct fc_train_result *res, const char *model_dir);

#endif

/*
 * registry.h — the static table of model plugins (src/core/registry.c).
 */
#ifndef FORECAST_REGISTRY_H
#define FORECAST_REGISTRY_H

#include "forecast/core/model.h"

/* NULL-terminated table of every plugin compiled in. */
extern const struct fc_model_ops *const fc_models[];

/* Looks a plugin up by name; NULL when unknown. */
const struct fc_model_ops *fc_registry_find(const char *name);
/* Reports an unknown model name with a suggestion; returns -1. */
int fc_registry_unknown(const char *where, const char *name);

#endif

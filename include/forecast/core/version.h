/* version.h — forecast's own version. */
#ifndef FORECAST_VERSION_H
#define FORECAST_VERSION_H
#define FC_VERSION "0.1.0"
#endif

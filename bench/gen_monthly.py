#!/usr/bin/python3
"""gen_monthly.py — writes a deterministic synthetic monthly panel for the
quantile benchmark (bench/quantile_crossing.sh): N_SERIES series x N_MONTHS
months from 2015-01, with precomputed, leakage-free lag features.

    /usr/bin/python3 bench/gen_monthly.py N_SERIES N_MONTHS OUT.csv
    /usr/bin/python3 bench/gen_monthly.py 60 96 /tmp/monthly.csv

Columns: date,product_id,store_id,sales,month,lag_12,lag_13,lag_24,mean_12_lag_12
  - a series i is (product_id 100 + i, store_id 1); dates are the first of
    each month (YYYY-MM-01);
  - sales: level_i x (1 + trend_i)^t x a yearly profile with a per-series
    amplitude, times lognormal noise whose spread differs per series (0.05 to
    0.4), rounded to 1 decimal, never negative: location and spread both vary
    between series, which is where independently fitted quantile levels cross;
  - month 1-12; lag_k = sales k months back; mean_12_lag_12 = the mean of the
    12 months ending 12 months back. Every feature is at least 12 months old,
    so a 12-month test period sees no target after its origin. Missing history
    is an empty cell.

Deterministic: numpy.random.default_rng(11). Needs numpy and pandas.
"""
import sys

import numpy as np
import pandas as pd


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: gen_monthly.py N_SERIES N_MONTHS OUT.csv")
    ns, nm, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rng = np.random.default_rng(11)
    dates = pd.date_range("2015-01-01", periods=nm, freq="MS")
    frames = []
    for i in range(ns):
        level = rng.lognormal(4, 1)
        trend = rng.normal(0.003, 0.006)
        amp = rng.uniform(0, 0.5)
        phase = rng.uniform(0, 2 * np.pi)
        spread = rng.uniform(0.05, 0.4)
        t = np.arange(nm)
        mean = level * (1 + trend) ** t * (1 + amp * np.sin(2 * np.pi * t / 12 + phase))
        y = np.round(np.maximum(mean * rng.lognormal(-spread ** 2 / 2, spread, nm), 0), 1)
        s = pd.Series(y)
        frames.append(pd.DataFrame({
            "date": dates.strftime("%Y-%m-%d"), "product_id": 100 + i, "store_id": 1,
            "sales": y, "month": dates.month,
            "lag_12": s.shift(12), "lag_13": s.shift(13), "lag_24": s.shift(24),
            "mean_12_lag_12": s.shift(12).rolling(12).mean().round(4)}))
    pd.concat(frames).to_csv(out, index=False)


if __name__ == "__main__":
    main()

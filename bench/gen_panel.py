#!/usr/bin/python3
"""gen_panel.py — writes a deterministic synthetic retail panel for the
XGBoost benchmark (bench/xgb_standard.sh): N_SERIES series x N_DAYS daily
rows, 1,000 x 1,000 = 1M rows (about 150 MB).

    /usr/bin/python3 bench/gen_panel.py N_SERIES N_DAYS OUT.csv
    /usr/bin/python3 bench/gen_panel.py 1000 1000 bench/data/panel_1000x1000.csv

Columns: date,product_id,store_id,sales,f0..f19
  - date: YYYY-MM-DD from 2020-01-01, one row per series and day;
  - a series is (product_id, store_id): product_id = 10000 + i // 10,
    store_id = 1 + i % 10 for series i; rows are written series by series,
    by date;
  - sales: Poisson counts around level x weekly x yearly x promo x price
    effect x a nonlinear function of f3..f8 (so the trees have something to
    learn); f9..f19 are noise;
  - f0 day of week (0-6), f1 promo (0/1), f2 price, f3..f19 normal draws rounded to 4
    decimals; about 3% of the f cells are empty (missing).

Deterministic: numpy.random.default_rng(7), drawn series by series in chunks
of a fixed size, so the same arguments always give the same bytes. Written
in chunks with pandas.to_csv (values rounded to 4 decimals first, written
in their shortest form: "2.0", "-1.1708"), to OUT.tmp, then renamed.
Needs numpy and pandas (Debian's /usr/bin/python3).
"""
import os
import sys
import time

import numpy as np
import pandas as pd

N_FEATURES = 20
MISSING_RATE = 0.03
CHUNK_SERIES = 50


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: gen_panel.py N_SERIES N_DAYS OUT.csv")
    n_series, n_days, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    if n_series < 1 or n_days < 1:
        sys.exit("gen_panel.py: N_SERIES and N_DAYS must be >= 1")
    t0 = time.monotonic()
    rng = np.random.default_rng(7)
    days = np.arange(n_days)
    dates = (np.datetime64("2020-01-01") + days.astype("timedelta64[D]")).astype(str)
    dow = ((days + 2) % 7).astype(np.int64)          # 2020-01-01 was a Wednesday (2)
    yearly = 1 + 0.25 * np.sin(2 * np.pi * days / 365.25)
    # per-series constants, drawn once
    level = np.exp(rng.normal(1.2, 1.0, n_series))    # ~0.5 .. 25 units a day
    weekly = 1 + 0.3 * rng.uniform(-1, 1, (n_series, 7))
    base_price = rng.uniform(1, 20, n_series)
    elasticity = rng.uniform(-2.5, -0.5, n_series)

    tmp = out + ".tmp"
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    cols = ["date", "product_id", "store_id", "sales"] + ["f%d" % j for j in range(N_FEATURES)]
    with open(tmp, "w", newline="") as fh:
        fh.write(",".join(cols) + "\n")
        for s0 in range(0, n_series, CHUNK_SERIES):
            s = np.arange(s0, min(n_series, s0 + CHUNK_SERIES))
            k, n = len(s), len(s) * n_days
            sid = np.repeat(s, n_days)
            d = np.tile(days, k)
            X = rng.standard_normal((n, N_FEATURES))
            X[:, 0] = dow[d]
            promo = (rng.random(n) < 0.1).astype(np.float64)
            X[:, 1] = promo
            cut = np.where(promo > 0, 0.8, np.where(rng.random(n) < 0.05, 0.9, 1.0))
            price = np.round(base_price[sid] * cut * (1 + 0.02 * rng.standard_normal(n)), 2)
            X[:, 2] = price
            signal = (0.4 * np.tanh(X[:, 3]) + 0.25 * X[:, 4] * X[:, 5]
                      + 0.3 * (X[:, 6] > 0.5) - 0.2 * np.abs(X[:, 7]) + 0.15 * np.sin(2 * X[:, 8]))
            lam = (level[sid] * weekly[sid, dow[d]] * yearly[d] * 1.6 ** promo
                   * (price / base_price[sid]) ** elasticity[sid] * np.exp(signal))
            sales = rng.poisson(np.minimum(lam, 1e4))
            X[rng.random((n, N_FEATURES)) < MISSING_RATE] = np.nan
            df = pd.DataFrame(np.round(X, 4), columns=cols[4:])
            df.insert(0, "sales", sales)
            df.insert(0, "store_id", 1 + sid % 10)
            df.insert(0, "product_id", 10000 + sid // 10)
            df.insert(0, "date", dates[d])
            df.to_csv(fh, header=False, index=False, na_rep="",
                      lineterminator="\n")
    os.replace(tmp, out)
    print("gen_panel: %d series x %d days = %d rows -> %s (%.0f MB, %.1fs)"
          % (n_series, n_days, n_series * n_days, out, os.path.getsize(out) / 1e6,
             time.monotonic() - t0), file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""derive_peer.py — the peer of bench/derive.sh: the same derived features
with pandas (groupby + shift / rolling / expanding, .dt for the calendar) on
the same file, timed, and compared value by value with forecast's
(build/bench/derive_step's OUT.f32).

    /usr/bin/python3 bench/derive_peer.py DATA.csv FORECAST.f32 FORECAST.json

Prints one JSON line: {"pandas_s": seconds of the feature computation (the
CSV read excluded), "compared": values, "max_rel_diff": ..., "mismatches": n}.
"""
import json
import sys
import time

import numpy as np
import pandas as pd

LAGS = [1, 7, 14, 28, 35, 42]
ROLLING = [("mean", 7, 1), ("std", 7, 1), ("min", 14, 7), ("max", 14, 7),
           ("median", 7, 28), ("sum", 28, 28)]


def features(df):
    g = df.groupby("key", sort=False)["sales"]
    out = {}
    for k in LAGS:
        out["lag_%d" % k] = g.shift(k)
    for stat, w, lag in ROLLING:
        sh = g.shift(lag)
        r = sh.groupby(df["key"], sort=False).rolling(w, min_periods=2 if stat == "std" else 1)
        out["rolling_%s_%d_lag_%d" % (stat, w, lag)] = getattr(r, stat)().reset_index(level=0, drop=True)
    d = df["date"].dt
    cal = {"dow": d.dayofweek, "dom": d.day, "doy": d.dayofyear,
           "week": d.isocalendar().week.astype(np.int64), "month": d.month,
           "quarter": d.quarter, "year": d.year, "is_weekend": (d.dayofweek >= 5).astype(np.int64)}
    for c, v in cal.items():
        out["cal_" + c] = v
    return out


def main():
    data, dump, meta = sys.argv[1], sys.argv[2], json.loads(open(sys.argv[3]).read())
    df = pd.read_csv(data, usecols=["date", "product_id", "store_id", "sales"],
                     dtype={"product_id": str, "store_id": str})
    df["key"] = df["product_id"] + ":" + df["store_id"]
    df["date"] = pd.to_datetime(df["date"])
    # forecast's row order: series by first appearance, dates ascending
    df["code"] = pd.factorize(df["key"], sort=False)[0]
    df = df.sort_values(["code", "date"], kind="stable").reset_index(drop=True)
    t = time.perf_counter()
    out = features(df)
    pandas_s = time.perf_counter() - t
    n = len(df)
    ours = np.fromfile(dump, dtype=np.float32).reshape(len(meta["names"]), n)
    worst, bad, compared = 0.0, 0, 0
    for j, name in enumerate(meta["names"]):
        theirs = out[name].to_numpy(np.float64)
        mine = ours[j].astype(np.float64)
        nan_t, nan_m = np.isnan(theirs), np.isnan(mine)
        bad += int((nan_t != nan_m).sum())
        ok = ~nan_t & ~nan_m
        rel = np.abs(mine[ok] - theirs[ok]) / np.maximum(1, np.abs(theirs[ok]))
        bad += int((rel > 1e-6).sum())
        worst = max(worst, float(rel.max()) if rel.size else 0.0)
        compared += n
    print(json.dumps({"pandas_s": round(pandas_s, 6), "compared": compared,
                      "max_rel_diff": worst, "mismatches": bad}))


if __name__ == "__main__":
    main()

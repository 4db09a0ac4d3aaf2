#!/usr/bin/python3
"""quantile_check.py — checks the quality of forecast's xgboost_quantile
plugin against scikit-learn's HistGradientBoostingRegressor(loss="quantile").

What it compares, for a run directory RUN written by
`forecast train --model xgboost_quantile` (combined strategy):
  1. from RUN/xgboost_quantile/combined/predictions.csv alone: for each level
     a of config.quantiles, the empirical coverage (fraction of rows with
     actual <= q_a) and the mean pinball loss
     (a (y - q) if y >= q else (1 - a)(q - y));
  2. the peer: it loads the data and splits it itself (fcpeer.py, as
     src/data/dataset.c / src/data/split.c do; the file's rows and actuals must equal
     the peer's test rows), then fits, per level,
     HistGradientBoostingRegressor(loss="quantile", quantile=a,
       max_iter=n_estimators, learning_rate=learning_rate, max_depth=max_depth,
       min_samples_leaf=20, l2_regularization=reg_lambda,
       max_bins=min(255, max_bin), early_stopping=False, random_state=seed)
     on the whole training part (fit + validation rows, same features, the
     weight column as sample_weight when set) and predicts the test rows. Its
     quantiles are made monotone in the level by sorting each row, as forecast
     does before writing predictions.csv (the raw mean pinball is printed too);
  3. checks: |coverage - a| <= 0.03 for every level, or no more than
     sklearn's |coverage - a| (a count target's ties at 0 lift a low level's
     coverage for any model), forecast's mean pinball over the levels
     <= 1.05 x sklearn's, and the share of test rows whose quantiles cross
     before repair (metrics.json crossing_rate) no more than sklearn's raw
     (unsorted) quantiles'.

Prints a table (level, coverage ours, pinball ours, pinball sklearn) and
PASS / FAIL.

Command (from the directory the run was made in, or give --data):

    /usr/bin/python3 tests/peers/quantile_check.py RUN [--data FILE]
        [--coverage-tol 0.03] [--pinball-ratio 1.05] [--data-note TEXT]

Exit status: 0 pass, 1 fail (or bad input), 77 when numpy / pandas / sklearn
cannot be imported ("SKIP: ..." on stderr).
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
MODEL = "xgboost_quantile"

try:
    import numpy as np
    import pandas as pd  # noqa: F401
    from sklearn.ensemble import HistGradientBoostingRegressor
    sys.path.insert(0, HERE)
    import fcpeer
except ImportError as e:
    print("SKIP: quantile_check.py needs numpy, pandas and scikit-learn >= 1.1 (Debian: "
          "apt-get install python3-pandas python3-sklearn; run with /usr/bin/python3): %s"
          % e, file=sys.stderr)
    sys.exit(77)


def pinball(y, q, a):
    r = y - q
    return float(np.mean(np.where(r >= 0, a * r, (a - 1) * r)))


def level_column(a):
    return "q" + format(float(a), ".15g")  # forecast writes q%.15g


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", help="run directory (holds run.json)")
    ap.add_argument("--data", help="data CSV (default: run.json config.data.path)")
    ap.add_argument("--coverage-tol", type=float, default=0.03)
    ap.add_argument("--pinball-ratio", type=float, default=1.05)
    ap.add_argument("--data-note", default="", help="printed with the result")
    ap.add_argument("--predictions", help="predictions file (default: "
                    "RUN/xgboost_quantile/combined/predictions.csv)")
    a = ap.parse_args()

    run = fcpeer.read_run(a.run)
    cfg = fcpeer.resolve_config(run["config"])
    hp = cfg.get("models", {}).get(MODEL)
    if hp is None:
        raise fcpeer.PeerError("%s/run.json: no config.models.%s" % (a.run, MODEL))
    pred_path = a.predictions or os.path.join(a.run, MODEL, "combined", "predictions.csv")
    if not os.path.exists(pred_path):
        raise fcpeer.PeerError("%s not found (an %s run with the combined strategy?)"
                               % (pred_path, MODEL))
    levels = [float(x) for x in cfg["quantiles"]]
    problems = []

    path = fcpeer.find_data(cfg, a.run, a.data, REPO)
    ds = fcpeer.load_dataset(cfg, path, exact=True)
    sp = fcpeer.make_split(ds, cfg)
    got = fcpeer.read_predictions(pred_path, ds.id_columns)
    cols = [level_column(x) for x in levels]
    missing = [c for c in cols if c not in got.columns]
    if missing:
        raise fcpeer.PeerError("%s: no column(s) %s" % (pred_path, ", ".join(missing)))

    # the file's rows must be the peer's test rows, in the same order
    want = fcpeer.test_frame(ds, sp)
    keys = ds.id_columns + ["date"]
    if len(got) != len(want) or not all((got[c].values == want[c].values).all() for c in keys):
        problems.append("%s: %d rows, the peer has %d test rows: the rows or their order "
                        "differ" % (pred_path, len(got), len(want)))
    else:
        d = np.abs(got["actual"].to_numpy(np.float64) - want["actual"].to_numpy(np.float64))
        if (d > 1e-6 * np.maximum(1, np.abs(want["actual"].to_numpy(np.float64)))).any():
            problems.append("%s: actual differs from the data on %d rows"
                            % (pred_path, int((d > 0).sum())))

    y_file = got["actual"].to_numpy(np.float64)
    ours_cov = [float(np.mean(y_file <= got[c].to_numpy(np.float64))) for c in cols]
    ours_pin = [pinball(y_file, got[c].to_numpy(np.float64), x) for x, c in zip(levels, cols)]

    # the sklearn reference on fit + validation rows
    seed = fcpeer.resolved_seed(hp, cfg)
    train_rows = np.sort(np.concatenate([sp.fit, sp.val]))
    Xtr, ytr = ds.X[train_rows], ds.y[train_rows].astype(np.float64)
    wtr = ds.w[train_rows].astype(np.float64) if ds.w is not None else None
    Xte, yte = ds.X[sp.test], ds.y[sp.test].astype(np.float64)
    t0 = time.monotonic()
    raw = np.empty((len(sp.test), len(levels)))
    for j, lv in enumerate(levels):
        m = HistGradientBoostingRegressor(
            loss="quantile", quantile=lv, max_iter=int(hp["n_estimators"]),
            learning_rate=float(hp["learning_rate"]), max_depth=int(hp["max_depth"]),
            min_samples_leaf=20, l2_regularization=float(hp["reg_lambda"]),
            max_bins=min(255, int(hp["max_bin"])), early_stopping=False, random_state=seed)
        m.fit(Xtr, ytr, sample_weight=wtr)
        raw[:, j] = m.predict(Xte)
    sk_s = time.monotonic() - t0
    sk_cross = float(np.mean(np.any(np.diff(raw, axis=1) < 0, axis=1))) if len(levels) > 1 else 0.0
    rep = np.sort(raw, axis=1)
    sk_pin = [pinball(yte, rep[:, j], x) for j, x in enumerate(levels)]
    sk_pin_raw = [pinball(yte, raw[:, j], x) for j, x in enumerate(levels)]
    sk_cov = [float(np.mean(yte <= rep[:, j])) for j in range(len(levels))]

    print("quantile_check %s: %d test rows, %d levels; sklearn HistGradientBoostingRegressor "
          "(max_iter %d, learning_rate %g, max_depth %d, l2 %g, max_bins %d, seed %d) "
          "trained on %d rows in %.1fs"
          % (a.run, len(got), len(levels), int(hp["n_estimators"]), float(hp["learning_rate"]),
             int(hp["max_depth"]), float(hp["reg_lambda"]), min(255, int(hp["max_bin"])), seed,
             len(train_rows), sk_s))
    print("  %-7s %14s %14s %16s %16s" % ("level", "coverage ours", "pinball ours",
                                          "pinball sklearn", "coverage sklearn"))
    for j, x in enumerate(levels):
        flag = ""
        # within the tolerance of the level, or no further from it than
        # sklearn's on the same data (ties of a count target at 0 lift a low
        # level's coverage for any model)
        if abs(ours_cov[j] - x) > max(a.coverage_tol, abs(sk_cov[j] - x)):
            flag = "  <- coverage off by %.3f" % (ours_cov[j] - x)
            problems.append("level %g: coverage %.4f is more than %g from %g, and further "
                            "than sklearn's %.4f" % (x, ours_cov[j], a.coverage_tol, x, sk_cov[j]))
        print("  %-7g %14.4f %14.4f %16.4f %16.4f%s"
              % (x, ours_cov[j], ours_pin[j], sk_pin[j], sk_cov[j], flag))
    mo, ms = float(np.mean(ours_pin)), float(np.mean(sk_pin))
    ratio = mo / ms if ms > 0 else float("inf") if mo > 0 else 1.0
    print("  %-7s %14s %14.4f %16.4f   ratio ours/sklearn %.3f (limit %g); sklearn raw "
          "(unsorted) mean pinball %.4f, crossing rate %.3f"
          % ("mean", "", mo, ms, ratio, a.pinball_ratio, float(np.mean(sk_pin_raw)), sk_cross))
    with open(os.path.join(os.path.dirname(pred_path), "metrics.json")) as f:
        ours_cross = float(json.load(f)["overall"]["crossing_rate"])
    print("  crossing rate before repair: ours %.4f, sklearn %.4f%s"
          % (ours_cross, sk_cross, " (" + a.data_note + ")" if a.data_note else ""))
    if ours_cross > sk_cross:
        problems.append("crossing rate %.4f > sklearn's %.4f" % (ours_cross, sk_cross))
    if not ratio <= a.pinball_ratio:
        problems.append("mean pinball %.4f > %g x sklearn's %.4f" % (mo, a.pinball_ratio, ms))
    for p in problems:
        print("  " + p)
    print("quantile_check: %s" % ("FAIL" if problems else "PASS"))
    return 1 if problems else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (fcpeer.PeerError, OSError, ValueError, KeyError) as e:
        print("quantile_check.py: FAIL: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)

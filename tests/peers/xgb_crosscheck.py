#!/usr/bin/python3
"""xgb_crosscheck.py — cross-checks forecast's xgboost_standard plugin (C API)
against the Python xgboost package trained independently on the same data.

What it compares: for a run directory RUN written by
`forecast train --model xgboost_standard` (combined strategy), it
  1. loads run.json's config.data.path itself with pandas (fcpeer.py: the
     same column roles, missing spellings, float32 features and label, weights,
     series order and per-series date split as src/data/dataset.c / src/data/split.c),
     and checks the feature names and the split's row counts against run.json;
  2. trains xgboost.train on the fit rows with the run's resolved
     models.xgboost_standard hyperparameters (n_estimators -> num_boost_round,
     learning_rate -> eta, reg_lambda -> lambda, reg_alpha -> alpha, nthread 0 ->
     os.cpu_count(), seed -1 -> config.seed, base_score left at the default),
     evals=[(dtrain, "train"), (dval, "val")], early stopping on "val" when
     early_stopping_rounds > 0, predicting with iteration_range=(0, best+1);
  3. merges its test-row predictions with RUN/xgboost_standard/combined/
     predictions.csv on (series id columns, date) and requires, for every row,
     |ours - theirs| <= TOL * max(1, |theirs|) (TOL = 1e-5), the same row set,
     and the same `actual`.

Prints one summary line (rows compared, max abs and max rel difference,
best_iteration) and, on failure, the worst rows.

Command (from the directory the run was made in, since run.json's
data.path is relative to it; or give --data):

    /usr/bin/python3 tests/peers/xgb_crosscheck.py RUN [--data FILE] [--nthread N] [--tol 1e-5]

Exit status: 0 pass, 1 fail (or bad input), 77 when xgboost / pandas /
numpy cannot be imported ("SKIP: ..." on stderr). /usr/bin/python3 is Debian's
Python with python3-xgboost (1.7.4, the same libxgboost the C plugin links).
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
MODEL = "xgboost_standard"

try:
    import numpy as np
    import pandas as pd  # noqa: F401
    import xgboost as xgb
    sys.path.insert(0, HERE)
    import fcpeer
except ImportError as e:
    print("SKIP: xgb_crosscheck.py needs numpy, pandas and xgboost (Debian: apt-get install "
          "python3-xgboost python3-pandas; run with /usr/bin/python3): %s" % e,
          file=sys.stderr)
    sys.exit(77)


def train_peer(ds, sp, cfg, nthread=None):
    """xgboost.train as the plugin does it; returns (predictions float32, info)."""
    hp = cfg["models"][MODEL]
    to_params = fcpeer.rf_params if MODEL == "random_forest" else fcpeer.xgb_params
    params, rounds, esr = to_params(hp, cfg, nthread)

    def dmat(rows, label=True):
        kw = {}
        if label:
            kw["label"] = ds.y[rows]
            if ds.w is not None:
                kw["weight"] = ds.w[rows]
        return xgb.DMatrix(np.ascontiguousarray(ds.X[rows]), missing=np.nan,
                           nthread=params["nthread"], **kw)

    t0 = time.monotonic()
    dtrain = dmat(sp.fit)
    evals = [(dtrain, "train")]
    if len(sp.val):
        evals.append((dmat(sp.val), "val"))
    history = {}
    bst = xgb.train(params, dtrain, num_boost_round=rounds, evals=evals,
                    early_stopping_rounds=esr if esr > 0 and len(sp.val) else None,
                    evals_result=history, verbose_eval=False)
    fit_s = time.monotonic() - t0
    stopping = esr > 0 and len(sp.val) > 0
    best = bst.best_iteration if stopping else None
    rounds_run = bst.num_boosted_rounds()
    dtest = dmat(sp.test, label=False)
    pred = bst.predict(dtest, iteration_range=(0, best + 1) if stopping else (0, 0))
    metric = next(iter(history.get("train", {})), None)
    return pred.astype(np.float32), {
        "params": params, "num_boost_round": rounds, "early_stopping_rounds": esr,
        "best_iteration": best, "rounds_run": rounds_run, "metric": metric,
        "fit_seconds": fit_s,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", help="run directory (holds run.json)")
    ap.add_argument("--data", help="data CSV (default: run.json config.data.path)")
    ap.add_argument("--nthread", type=int,
                    help="override the thread count (default: the run's nthread, 0 = all cores)")
    ap.add_argument("--tol", type=float, default=1e-5,
                    help="relative tolerance: |ours-theirs| <= TOL*max(1,|theirs|)")
    ap.add_argument("--predictions", help="predictions file (default: "
                    "RUN/<model>/combined/predictions.csv)")
    ap.add_argument("--model", default="xgboost_standard",
                    choices=["xgboost_standard", "random_forest"],
                    help="which of the run's models (random_forest: XGBoost's random-forest "
                    "mode, one round of num_parallel_tree trees)")
    a = ap.parse_args()
    global MODEL
    MODEL = a.model

    run = fcpeer.read_run(a.run)
    cfg = fcpeer.resolve_config(run["config"])
    if MODEL not in cfg.get("models", {}):
        raise fcpeer.PeerError("%s/run.json: no config.models.%s" % (a.run, MODEL))
    pred_path = a.predictions or os.path.join(a.run, MODEL, "combined", "predictions.csv")
    if not os.path.exists(pred_path):
        raise fcpeer.PeerError("%s not found (an %s run with the combined strategy?)"
                               % (pred_path, MODEL))
    problems = []
    path = fcpeer.find_data(cfg, a.run, a.data, REPO)
    ds = fcpeer.load_dataset(cfg, path, exact=True)
    sp = fcpeer.make_split(ds, cfg)

    feats = run.get("data", {}).get("features")
    if feats is not None and feats != ds.feature_names:
        problems.append("feature names differ: run %s, peer %s" % (feats, ds.feature_names))
    mine = fcpeer.split_summary(sp)
    for k in ("fit_rows", "validation_rows", "test_rows", "series_used"):
        theirs = run.get("split", {}).get(k)
        if theirs is not None and theirs != mine[k]:
            problems.append("split.%s: run.json %s, peer %s" % (k, theirs, mine[k]))

    ours, info = train_peer(ds, sp, cfg, a.nthread)
    # README "nonnegative": "auto" clips at 0 when no training target (fit and
    # validation rows) is negative; true always, false never
    nonneg = cfg.get("nonnegative", "auto")
    ytrain = ds.y[np.concatenate([sp.fit, sp.val])]
    if nonneg is True or (nonneg == "auto" and not (ytrain < 0).any()):
        ours = np.maximum(ours, np.float32(0))

    want = fcpeer.test_frame(ds, sp)
    want["ours"] = ours.astype(np.float64)
    ids = ds.id_columns
    got = fcpeer.read_predictions(pred_path, ids)
    if "point" not in got.columns:
        raise fcpeer.PeerError("%s: no point column" % pred_path)
    keys = ids + ["date"]
    m = want.merge(got[keys + ["actual", "point"]], on=keys, how="outer",
                   suffixes=("", "_theirs"), indicator=True)
    only_ours = int((m["_merge"] == "left_only").sum())
    only_theirs = int((m["_merge"] == "right_only").sum())
    if only_ours or only_theirs:
        problems.append("row sets differ: %d test rows only in the peer, %d only in %s"
                        % (only_ours, only_theirs, pred_path))
    m = m[m["_merge"] == "both"]
    theirs = m["point"].to_numpy(np.float64)
    mine_p = m["ours"].to_numpy(np.float64)
    act_d = np.abs(m["actual"].to_numpy(np.float64) - m["actual_theirs"].to_numpy(np.float64))
    if (act_d > 1e-6 * np.maximum(1, np.abs(m["actual"].to_numpy(np.float64)))).any():
        problems.append("actual differs on %d rows (different data?)" % int((act_d > 0).sum()))
    nan_mismatch = np.isnan(theirs) != np.isnan(mine_p)
    absd = np.abs(mine_p - theirs)
    absd[np.isnan(absd)] = 0.0
    absd[nan_mismatch] = np.inf
    reld = absd / np.maximum(1.0, np.abs(np.nan_to_num(theirs)))
    bad = reld > a.tol
    n = len(m)
    max_abs = float(absd.max()) if n else 0.0
    max_rel = float(reld.max()) if n else 0.0
    if bad.any():
        problems.append("%d of %d rows differ by more than %g x max(1, |forecast|)"
                        % (int(bad.sum()), n, a.tol))

    # informational: forecast's own record of the best round, when it writes one
    fbest = None
    meta = os.path.join(a.run, MODEL, "combined", "model", "meta.json")
    if os.path.exists(meta):
        with open(meta) as f:
            fbest = json.load(f).get("best_iteration")
    if fbest is not None and info["best_iteration"] is not None and fbest != info["best_iteration"]:
        problems.append("best_iteration: forecast %s, peer %s" % (fbest, info["best_iteration"]))

    status = "FAIL" if problems else "PASS"
    print("xgb_crosscheck %s: %s — %d rows compared, max abs diff %.3g, max rel diff %.3g "
          "(tol %g); best_iteration %s (forecast %s), rounds %d, objective %s, nthread %d, "
          "peer fit %.2fs"
          % (a.run, status, n, max_abs, max_rel, a.tol, info["best_iteration"],
             fbest if fbest is not None else "n/a", info["rounds_run"],
             info["params"].get("objective", "default"), info["params"]["nthread"],
             info["fit_seconds"]))
    for p in problems:
        print("  " + p)
    if bad.any():
        worst = np.argsort(-reld)[:5]
        cols = keys + ["actual", "point", "ours"]
        print("  worst rows:")
        print("    " + m.iloc[worst][cols].to_string(index=False).replace("\n", "\n    "))
    return 1 if problems else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (fcpeer.PeerError, OSError, ValueError, KeyError) as e:
        print("xgb_crosscheck.py: FAIL: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)

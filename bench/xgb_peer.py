#!/usr/bin/python3
"""xgb_peer.py — the Python peer of `forecast train --model xgboost_standard`
for the end-to-end benchmark (bench/xgb_standard.sh): the same work done the
usual Python way, pandas + the xgboost package.

    /usr/bin/python3 bench/xgb_peer.py DATA.csv CONFIG.json OUTDIR
    /usr/bin/python3 bench/xgb_peer.py bench/data/panel_1000x1000.csv bench/xgb_standard.json /tmp/peer

CONFIG.json is a forecast config (the same file forecast gets; defaults are
filled in as forecast does, config.data.path is replaced by DATA.csv).
Steps, each timed:
  load   pandas.read_csv of DATA.csv (ids as text, numbers as float64 ->
         float32 features / label), series grouping and date sort, the
         per-series train / validation / test split, feature matrices
         (tests/peers/fcpeer.py: the same rows, in the same order, as forecast);
  train  xgboost.DMatrix of the fit and validation rows + xgboost.train with
         the config's models.xgboost_standard hyperparameters
         (n_estimators -> num_boost_round, learning_rate -> eta, reg_lambda ->
         lambda, reg_alpha -> alpha, nthread 0 -> os.cpu_count(), seed -1 ->
         config.seed), evals=[(dtrain, "train"), (dval, "val")] evaluated every
         round as forecast does, early stopping on "val" when
         early_stopping_rounds > 0 (predicting with the best rounds);
         comparable to run.json timings.fit_seconds;
  predict the test rows; RMSE against the actual values.
Writes OUTDIR/model.ubj (UBJSON) and OUTDIR/metrics.json (rmse, mae, row
counts, best_iteration, timings), and prints one JSON line to stdout:
    {"load_s": ..., "train_s": ..., "total_s": ...}
total_s runs from the start of this script (before numpy / pandas / xgboost
are imported) to the end. Exit 0, or 1 with a message.
"""
import time

T_START = time.monotonic()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402
import xgboost as xgb  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "peers"))
import fcpeer  # noqa: E402

MODEL = "xgboost_standard"


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: xgb_peer.py DATA.csv CONFIG.json OUTDIR")
    data, config, outdir = sys.argv[1:]
    cfg = fcpeer.load_config(config)
    cfg["data"]["path"] = data
    hp = cfg["models"].get(MODEL)
    if hp is None:
        sys.exit("xgb_peer.py: %s: no models.%s" % (config, MODEL))
    os.makedirs(outdir, exist_ok=True)

    t0 = time.monotonic()
    ds = fcpeer.load_dataset(cfg, data, exact=False)
    sp = fcpeer.make_split(ds, cfg)
    t1 = time.monotonic()

    params, rounds, esr = fcpeer.xgb_params(hp, cfg)
    nt = params["nthread"]

    def dmat(rows, label=True):
        kw = {"label": ds.y[rows]} if label else {}
        if label and ds.w is not None:
            kw["weight"] = ds.w[rows]
        return xgb.DMatrix(np.ascontiguousarray(ds.X[rows]), missing=np.nan, nthread=nt, **kw)

    dtrain = dmat(sp.fit)
    evals = [(dtrain, "train")]
    if len(sp.val):
        evals.append((dmat(sp.val), "val"))
    stopping = esr > 0 and len(sp.val) > 0
    bst = xgb.train(params, dtrain, num_boost_round=rounds, evals=evals,
                    early_stopping_rounds=esr if stopping else None, verbose_eval=False)
    t2 = time.monotonic()

    best = bst.best_iteration if stopping else None
    pred = bst.predict(dmat(sp.test, label=False),
                       iteration_range=(0, best + 1) if stopping else (0, 0))
    t3 = time.monotonic()
    y = ds.y[sp.test].astype(np.float64)
    err = pred.astype(np.float32).astype(np.float64) - y
    rmse = float(np.sqrt(np.mean(err ** 2)))
    mae = float(np.mean(np.abs(err)))

    bst.save_model(os.path.join(outdir, "model.ubj"))  # .ubj -> UBJSON
    total = time.monotonic() - T_START
    metrics = {
        "model": MODEL, "peer": "python xgboost %s, pandas" % xgb.__version__,
        "rmse": rmse, "mae": mae,
        "fit_rows": int(len(sp.fit)), "validation_rows": int(len(sp.val)),
        "test_rows": int(len(sp.test)), "series_used": int(len(sp.used)),
        "features": ds.feature_names, "params": params, "num_boost_round": rounds,
        "early_stopping_rounds": esr, "best_iteration": best,
        "rounds_run": bst.num_boosted_rounds(),
        "timings": {"load_s": t1 - t0, "train_s": t2 - t1, "predict_s": t3 - t2,
                    "total_s": total},
    }
    with open(os.path.join(outdir, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1)
    print(json.dumps({"load_s": round(t1 - t0, 4), "train_s": round(t2 - t1, 4),
                      "total_s": round(time.monotonic() - T_START, 4)}))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (fcpeer.PeerError, OSError, ValueError, KeyError) as e:
        print("xgb_peer.py: error: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)

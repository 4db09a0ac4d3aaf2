#!/usr/bin/python3
"""rf_check.py RUN — forecast's random_forest against scikit-learn's
RandomForestRegressor with matched settings on the same data and split
(fcpeer.py): n_estimators, max_depth, max_features = colsample_bynode,
max_samples = subsample (sklearn draws with replacement, XGBoost without),
min_samples_leaf = min_child_weight (unit hessians: rows), fitted on the fit +
validation rows as the plugin is. PASS when forecast's test RMSE is within
--ratio (3%) of sklearn's, either way (the forests are not the same
algorithm: XGBoost's trees split on histogram bins).

Exit status: 0 pass, 1 fail, 77 without sklearn / pandas.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

try:
    import numpy as np
    from sklearn.ensemble import RandomForestRegressor
    sys.path.insert(0, HERE)
    import fcpeer
except ImportError as e:
    print("SKIP: rf_check.py needs numpy, pandas and scikit-learn: %s" % e, file=sys.stderr)
    sys.exit(77)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run")
    ap.add_argument("--ratio", type=float, default=0.03)
    a = ap.parse_args()
    run = fcpeer.read_run(a.run)
    cfg = fcpeer.resolve_config(run["config"])
    hp = cfg["models"]["random_forest"]
    ds = fcpeer.load_dataset(cfg, fcpeer.find_data(cfg, a.run, None, REPO), exact=True)
    sp = fcpeer.make_split(ds, cfg)
    train = np.sort(np.concatenate([sp.fit, sp.val]))
    # sklearn's trees take no missing values: the mean of the training rows
    X = ds.X.astype(np.float64)
    mu = np.nanmean(X[train], axis=0)
    X = np.where(np.isnan(X), mu, X)
    m = RandomForestRegressor(n_estimators=int(hp["n_estimators"]),
                              max_depth=int(hp["max_depth"]),
                              max_features=float(hp["colsample_bynode"]),
                              max_samples=float(hp["subsample"]),
                              min_samples_leaf=int(round(float(hp["min_child_weight"]))),
                              random_state=0, n_jobs=2)
    m.fit(X[train], ds.y[train].astype(np.float64))
    y = ds.y[sp.test].astype(np.float64)
    peer = m.predict(X[sp.test])
    nonneg = cfg.get("nonnegative", "auto")
    if nonneg is True or (nonneg == "auto" and not (ds.y[train] < 0).any()):
        peer = np.maximum(peer, 0)
    sk = float(np.sqrt(np.mean((y - peer) ** 2)))
    got = fcpeer.read_predictions(os.path.join(a.run, "random_forest", "combined",
                                               "predictions.csv"), ds.id_columns)
    ours = float(np.sqrt(np.mean((got["actual"].to_numpy(np.float64)
                                  - got["point"].to_numpy(np.float64)) ** 2)))
    r = ours / sk
    ok = abs(r - 1) <= a.ratio
    print("rf_check %s: %s — test RMSE forecast %.4f, sklearn RandomForestRegressor %.4f, "
          "ratio %.4f (within %g)" % (a.run, "PASS" if ok else "FAIL", ours, sk, r, a.ratio))
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (fcpeer.PeerError, OSError, ValueError, KeyError) as e:
        print("rf_check.py: FAIL: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)

#!/usr/bin/python3
"""linear_check.py RUN — forecast's linear plugin against scikit-learn's
LinearSVR, which wraps LIBLINEAR too, on the same data, split and inputs.

The peer builds the inputs itself as README ("linear") says: data and split
from fcpeer.py (src/data/dataset.c, src/data/split.c and derived features),
each feature standardised with the mean and population sd of its non-missing
training values (fit + validation rows; sd 0 -> 1), missing -> 0, plus a 0/1
missing-indicator column for every feature with missing training values, in
feature order after the features. Then
LinearSVR(loss="squared_epsilon_insensitive", dual=False, C, epsilon, tol,
fit_intercept=True, intercept_scaling=1, max_iter=100000) (the l2loss_svr
solver) is fitted on the fit + validation rows and predicts the test rows,
clipped at 0 when the run's nonnegative setting says so. PASS when every test
prediction is within --tol (1e-4) x max(1, |peer|) of forecast's.

Exit status: 0 pass, 1 fail, 77 when sklearn / pandas cannot be imported.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

try:
    import numpy as np
    from sklearn.svm import LinearSVR
    sys.path.insert(0, HERE)
    import fcpeer
except ImportError as e:
    print("SKIP: linear_check.py needs numpy, pandas and scikit-learn: %s" % e, file=sys.stderr)
    sys.exit(77)


def inputs(X, train):
    """standardised X with indicator columns, scaled on the rows train"""
    Xt = X[train].astype(np.float64)
    cols, inds = [], []
    for j in range(X.shape[1]):
        col = X[:, j].astype(np.float64)
        ok = ~np.isnan(Xt[:, j])
        mu = Xt[ok, j].mean() if ok.any() else 0.0
        sd = np.sqrt(((Xt[ok, j] - mu) ** 2).mean()) if ok.any() else 0.0
        sd = sd if sd > 0 else 1.0
        z = (col - mu) / sd
        z[np.isnan(col)] = 0.0
        cols.append(z)
        if (~ok).any():
            inds.append(np.isnan(col).astype(np.float64))
    return np.column_stack(cols + inds)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run")
    ap.add_argument("--tol", type=float, default=1e-4)
    a = ap.parse_args()
    run = fcpeer.read_run(a.run)
    cfg = fcpeer.resolve_config(run["config"])
    hp = cfg["models"]["linear"]
    if hp["solver"] != "l2loss_svr":
        raise fcpeer.PeerError("only the l2loss_svr solver is deterministic enough to compare")
    ds = fcpeer.load_dataset(cfg, fcpeer.find_data(cfg, a.run, None, REPO), exact=True)
    sp = fcpeer.make_split(ds, cfg)
    train = np.sort(np.concatenate([sp.fit, sp.val]))
    Z = inputs(ds.X, train)
    m = LinearSVR(loss="squared_epsilon_insensitive", dual=False, C=float(hp["C"]),
                  epsilon=float(hp["epsilon"]), tol=float(hp["tol"]), fit_intercept=True,
                  intercept_scaling=1.0, max_iter=100000)
    m.fit(Z[train], ds.y[train].astype(np.float64))
    peer = m.predict(Z[sp.test])
    nonneg = cfg.get("nonnegative", "auto")
    if nonneg is True or (nonneg == "auto" and not (ds.y[train] < 0).any()):
        peer = np.maximum(peer, 0)
    want = fcpeer.test_frame(ds, sp)
    got = fcpeer.read_predictions(os.path.join(a.run, "linear", "combined", "predictions.csv"),
                                  ds.id_columns)
    keys = ds.id_columns + ["date"]
    want["peer"] = peer
    mm = want.merge(got[keys + ["point"]], on=keys, how="inner")
    d = np.abs(mm["point"].to_numpy(np.float64) - mm["peer"].to_numpy(np.float64))
    rel = d / np.maximum(1.0, np.abs(mm["peer"].to_numpy(np.float64)))
    ok = len(mm) == len(want) and (rel <= a.tol).all()
    print("linear_check %s: %s — %d of %d test rows, max abs diff %.3g, max rel diff %.3g "
          "(tol %g); sklearn LinearSVR on %d rows x %d inputs"
          % (a.run, "PASS" if ok else "FAIL", len(mm), len(want), d.max(), rel.max(), a.tol,
             len(train), Z.shape[1]))
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (fcpeer.PeerError, OSError, ValueError, KeyError) as e:
        print("linear_check.py: FAIL: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)

#!/usr/bin/python3
"""mlp_reference.py — checks forecast's mlp_standard (libtorch through the C
shim) against the same network written independently in Python PyTorch.

For forecast runs RUN... of `forecast train --model mlp_standard` (combined
strategy, the same config, one seed each), it
  1. loads run.json's config.data.path itself with pandas (fcpeer.py: the
     same roles, float32 features and target, per-series date split) and
     checks the split's row counts against run.json;
  2. builds the inputs as README "Models" documents them: each feature
     standardised with the mean and population standard deviation of its
     non-missing fit rows (sd 0 -> 1), missing values -> the mean (0 after
     standardising), plus a 0/1 indicator input per feature with missing fit
     values when missing_indicators is on; the target standardised likewise;
  3. trains torch.nn.Sequential(Linear, ReLU, Dropout, Linear, ReLU, Dropout,
     Linear(1)) with torch.optim.Adam(lr, weight_decay) on MSELoss, shuffled
     mini-batches of batch_size, up to max_epochs, early stopping after
     `patience` epochs without a lower validation loss, the best epoch's
     weights kept — once per run, with that run's seed;
  4. compares the median test RMSE over the seeds: forecast's (from each
     RUN/mlp_standard/combined/predictions.csv) and PyTorch's must be within
     TOL (5%) of each other in both directions.

    /usr/bin/python3 tests/peers/mlp_reference.py RUN [RUN...] [--tol 0.05]

Exit status: 0 pass, 1 fail (or bad input), 77 when torch / pandas / numpy
cannot be imported ("SKIP: ..." on stderr).
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
MODEL = "mlp_standard"

try:
    import numpy as np
    import pandas as pd  # noqa: F401
    import torch
    sys.path.insert(0, HERE)
    import fcpeer
except ImportError as e:
    print("SKIP: mlp_reference.py needs numpy, pandas and torch (Debian: apt-get install "
          "python3-torch python3-pandas; run with /usr/bin/python3): %s" % e, file=sys.stderr)
    sys.exit(77)


def inputs(X, fit, indicators):
    """standardised inputs of every row, with the fit rows' statistics"""
    F = X[fit].astype(np.float64)
    miss = np.isnan(F)
    k = (~miss).sum(0)
    mean = np.where(k > 0, np.nansum(F, 0) / np.maximum(k, 1), 0.0)
    var = np.where(k > 0, np.nansum((F - mean) ** 2, 0) / np.maximum(k, 1), 0.0)
    sd = np.sqrt(var)
    sd[~(sd > 0)] = 1.0
    A = X.astype(np.float64)
    Z = (A - mean) / sd
    Z[np.isnan(A)] = 0.0
    cols = [Z]
    if indicators:
        for j in np.flatnonzero(miss.any(0)):
            cols.append(np.isnan(A[:, j:j + 1]).astype(np.float64))
    return np.hstack(cols).astype(np.float32)


def train(ds, sp, hp, seed):
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    X = inputs(ds.X, sp.fit, bool(hp["missing_indicators"]))
    y = ds.y.astype(np.float64)
    mu, sd = y[sp.fit].mean(), y[sp.fit].std()
    sd = sd if sd > 0 else 1.0
    ys = ((y - mu) / sd).astype(np.float32)
    w = None
    if ds.w is not None:
        w = (ds.w / ds.w[sp.fit].mean()).astype(np.float32)
    xf, yf = torch.from_numpy(X[sp.fit]), torch.from_numpy(ys[sp.fit])
    xv, yv = torch.from_numpy(X[sp.val]), torch.from_numpy(ys[sp.val])
    wf = torch.from_numpy(w[sp.fit]) if w is not None else None
    wv = torch.from_numpy(w[sp.val]) if w is not None else None
    h, p = int(hp["hidden_size"]), float(hp["dropout"])
    net = torch.nn.Sequential(
        torch.nn.Linear(X.shape[1], h), torch.nn.ReLU(), torch.nn.Dropout(p),
        torch.nn.Linear(h, h), torch.nn.ReLU(), torch.nn.Dropout(p),
        torch.nn.Linear(h, 1))
    opt = torch.optim.Adam(net.parameters(), lr=float(hp["learning_rate"]),
                           weight_decay=float(hp["weight_decay"]))
    B, n = int(hp["batch_size"]), len(sp.fit)
    best, best_state, since = float("inf"), None, 0
    epochs = 0
    for ep in range(int(hp["max_epochs"])):
        net.train()
        perm = torch.randperm(n)
        for i in range(0, n, B):
            idx = perm[i:i + B]
            opt.zero_grad()
            err = (net(xf[idx]).squeeze(1) - yf[idx]) ** 2
            loss = (err * wf[idx]).mean() if wf is not None else err.mean()
            loss.backward()
            opt.step()
        epochs = ep + 1
        if len(sp.val) == 0:
            continue
        net.eval()
        with torch.no_grad():
            err = (net(xv).squeeze(1) - yv) ** 2
            val = float((err * wv).sum() / wv.sum()) if wv is not None else float(err.mean())
        if val < best:
            best, since = val, 0
            best_state = {k: v.clone() for k, v in net.state_dict().items()}
        elif int(hp["patience"]) > 0:
            since += 1
            if since >= int(hp["patience"]):
                break
    if best_state is not None:
        net.load_state_dict(best_state)
    net.eval()
    with torch.no_grad():
        pred = net(torch.from_numpy(X[sp.test])).squeeze(1).double().numpy() * sd + mu
    return pred, epochs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runs", nargs="+", help="run directories of mlp_standard, one per seed")
    ap.add_argument("--data", help="data CSV (default: run.json config.data.path)")
    ap.add_argument("--tol", type=float, default=0.05)
    a = ap.parse_args()
    ours, theirs = [], []
    for run_dir in a.runs:
        run = fcpeer.read_run(run_dir)
        cfg = fcpeer.resolve_config(run["config"])
        hp = cfg["models"][MODEL]
        seed = int(hp["seed"]) if int(hp["seed"]) >= 0 else int(cfg["seed"])
        path = fcpeer.find_data(cfg, run_dir, a.data, REPO)
        ds = fcpeer.load_dataset(cfg, path, exact=True)
        sp = fcpeer.make_split(ds, cfg)
        mine = fcpeer.split_summary(sp)
        for k in ("fit_rows", "validation_rows", "test_rows"):
            if mine[k] != run["split"][k]:
                raise fcpeer.PeerError("%s: split %s %s, forecast's run.json %s"
                                       % (run_dir, k, mine[k], run["split"][k]))
        want = fcpeer.test_frame(ds, sp)
        ids = list(cfg["data"]["series_columns"])
        got = fcpeer.read_predictions(os.path.join(run_dir, MODEL, "combined",
                                                   "predictions.csv"), ids)
        m = want.merge(got, on=ids + ["date"], how="left", suffixes=("", "_fc"))
        if len(m) != len(want) or m["point"].isna().any():
            raise fcpeer.PeerError("%s: predictions.csv does not cover the test rows" % run_dir)
        y = want["actual"].to_numpy()
        rmse_fc = float(np.sqrt(np.mean((m["point"].to_numpy() - y) ** 2)))
        pred, epochs = train(ds, sp, hp, seed)
        rmse_py = float(np.sqrt(np.mean((pred - y) ** 2)))
        print("seed %d: test RMSE forecast %.4f, PyTorch %.4f (%d epochs)"
              % (seed, rmse_fc, rmse_py, epochs))
        ours.append(rmse_fc)
        theirs.append(rmse_py)
    mo, mt = float(np.median(ours)), float(np.median(theirs))
    ratio = mo / mt
    ok = abs(ratio - 1) <= a.tol
    print("median test RMSE over %d seed(s): forecast %.4f, PyTorch %.4f, ratio %.4f "
          "(tolerance +-%.0f%%): %s" % (len(ours), mo, mt, ratio, 100 * a.tol,
                                       "ok" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (fcpeer.PeerError, OSError, ValueError, KeyError) as e:
        print("mlp_reference.py: %s" % e, file=sys.stderr)
        sys.exit(1)

#!/usr/bin/python3
"""individual_peer.py — the Python peer of
`forecast train --model xgboost_quantile --strategy individual --jobs N` for
the many-models benchmark (bench/individual.sh): one XGBoost booster per
series and quantile level, trained the usual Python way — pandas groupby
slices, a multiprocessing pool, the xgboost package with a custom pinball
objective.

    /usr/bin/python3 bench/individual_peer.py DATA.csv CONFIG.json OUTDIR [--jobs N]
    /usr/bin/python3 bench/individual_peer.py bench/data/panel_1000x1500.csv bench/individual.json /tmp/peer --jobs 2

CONFIG.json is a forecast config (the same file forecast gets; defaults are
filled in as forecast does, tests/peers/fcpeer.py); the peer reads its column
roles, split, quantiles and models.xgboost_quantile. --jobs defaults to the
config's jobs (0 = os.cpu_count()).

Steps, each timed:
  load   pandas.read_csv (ids and date as text, features and target as
         float32), dates parsed, then DataFrame.groupby(series columns,
         sort=False) and, for each series, its rows sorted by date and split
         with forecast's rules (README "Split", fcpeer.make_split):
         train = date < split_date, test = date >= split_date (< test_end),
         validation = the train rows in the last val_days days up to the last
         train date, fit = train minus validation; series with fewer than
         min_train_rows train rows, no test rows or no fit rows are skipped.
         Each series keeps float32 numpy slices (fit X / y, test X / y); the
         DataFrame is then freed.
  train  a multiprocessing Pool(N) with the fork start method: the workers
         inherit the slices copy-on-write and get series indices
         (imap_unordered, chunksize 4). Per series: one DMatrix of the fit
         rows and one of the test rows (nthread 1), then per level a:
         xgboost.train(params, dtrain, n_estimators rounds, obj=pinball(a))
         with params = the config's tree parameters (learning_rate -> eta,
         reg_lambda -> lambda, reg_alpha -> alpha, max_depth, subsample,
         colsample_bytree, min_child_weight, gamma, max_bin, tree_method),
         nthread 1, objective reg:squarederror (identity link; the custom
         objective supplies the gradients), base_score = numpy.quantile (linear,
         as forecast) of the series' fit-row target at level a, and
         pinball(a): grad = 1 - a where margin >= y else -a, hess = 1 (the
         same sign gradients forecast grows its trees from). No validation
         set is evaluated and no leaf values are refitted (forecast does
         both); no model files are written. The test rows are predicted and
         sent back to the parent. Ends when every worker has exited
         (pool.close + join), so the workers' resource usage is final.
  write  OUTDIR/predictions.csv (series key, date, actual, one column per
         level) and OUTDIR/metrics.json (counts, mean test pinball per level,
         timings, memory).

Prints one JSON line on stdout:
    {"load_s", "train_s", "total_s", "models", "series", "fit_rows",
     "validation_rows", "test_rows", "jobs",
     "maxrss_self_kib", "maxrss_children_kib", "maxrss_self_plus_children_kib",
     "peak_pss_tree_kib", "peak_rss_tree_kib", "mem_samples"}
total_s runs from the start of this script (before numpy / pandas / xgboost
are imported) to the end; models = series x levels.

Memory (all KiB):
  maxrss_self_kib      getrusage(RUSAGE_SELF).ru_maxrss: the parent's peak RSS;
  maxrss_children_kib  getrusage(RUSAGE_CHILDREN).ru_maxrss: the peak RSS of the
                       largest single (reaped) worker — Linux reports the
                       largest child, not a sum;
  maxrss_self_plus_children_kib  the two added (neither a bound in general:
                       it counts copy-on-write pages shared by parent and
                       worker twice, and only one of the workers);
  peak_pss_tree_kib    the largest sum, over samples every 0.1 s, of the
                       proportional set size (/proc/PID/smaps_rollup Pss) of
                       the parent and all its children: shared pages are
                       divided among the processes sharing them, so this is
                       the memory the process tree really occupies (a
                       sampling measure: a peak shorter than 0.1 s can be
                       missed);
  peak_rss_tree_kib    the same samples' largest sum of Rss (overcounts
                       shared pages).
"""
import time

T_START = time.monotonic()

import json  # noqa: E402
import multiprocessing  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import xgboost as xgb  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "peers"))
import fcpeer  # noqa: E402

MODEL = "xgboost_quantile"

# Filled by the parent before the pool forks; the workers read them.
SLICES = []     # per used series: (key, Xfit, yfit, Xtest, ytest, test dates)
PARAMS = {}
ROUNDS = 0
LEVELS = []


# ---- memory sampling (parent thread) ----

def _smaps_rollup(pid):
    """(Pss, Rss) of a process in KiB, or None when it is gone."""
    pss = rss = 0
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1])
    except OSError:
        return None
    return pss, rss


def _children(pid):
    out = []
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for t in tasks:
        try:
            with open("/proc/%d/task/%s/children" % (pid, t)) as f:
                out.extend(int(x) for x in f.read().split())
        except OSError:
            pass
    return out


class TreeSampler(threading.Thread):
    """Samples the summed Pss / Rss of this process and its descendants."""

    def __init__(self, interval=0.1):
        super().__init__(daemon=True)
        self.interval = interval
        self.peak_pss = self.peak_rss = 0
        self.samples = 0
        self._done = threading.Event()

    def sample(self):
        pids, todo = [], [os.getpid()]
        while todo:
            p = todo.pop()
            pids.append(p)
            todo.extend(_children(p))
        pss = rss = 0
        for p in pids:
            r = _smaps_rollup(p)
            if r:
                pss += r[0]
                rss += r[1]
        self.peak_pss = max(self.peak_pss, pss)
        self.peak_rss = max(self.peak_rss, rss)
        self.samples += 1

    def run(self):
        while not self._done.is_set():
            self.sample()
            self._done.wait(self.interval)

    def stop(self):
        self._done.set()
        self.join()
        self.sample()


# ---- loading and the split: pandas groupby slices ----

def load_slices(cfg, data):
    d, s = cfg["data"], cfg["split"]
    ids, dcol, tcol = list(d["series_columns"]), d["date_column"], d["target_column"]
    header = pd.read_csv(data, nrows=0).columns.tolist()
    feats = [c for c in header if c not in ids + [dcol, tcol] and
             (not d["features"] or any(fcpeer._match(p, c) for p in d["features"]))]
    dtype = {c: str for c in ids + [dcol]}
    dtype.update({c: np.float32 for c in feats + [tcol]})
    df = pd.read_csv(data, usecols=ids + [dcol, tcol] + feats, dtype=dtype,
                     keep_default_na=False,
                     na_values={c: fcpeer.MISSING for c in feats + [tcol]})
    if df[tcol].isna().any():
        raise fcpeer.PeerError("%s: rows with a missing target" % data)
    df[dcol] = pd.to_datetime(df[dcol].str.slice(0, 10), format="%Y-%m-%d")
    split = pd.Timestamp(s["split_date"])
    test_end = pd.Timestamp(s["test_end"]) if s.get("test_end") else None
    val_date = pd.Timestamp(s["val_date"]) if s.get("val_date") else None
    val_days = int(s.get("val_days", 28))
    min_rows = int(s.get("min_train_rows", 2))
    wanted = set(cfg.get("series") or [])
    slices, counts, skipped = [], {"fit": 0, "val": 0, "test": 0}, 0
    for key, g in df.groupby(ids, sort=False):
        key = ":".join(str(k).replace("\\", "\\\\").replace(":", "\\:")
                       for k in (key if isinstance(key, tuple) else (key,)))
        if wanted and key not in wanted:
            continue
        g = g.sort_values(dcol, kind="stable")
        day = g[dcol]
        train = (day < split).to_numpy()
        test = ~train
        if test_end is not None:
            test &= (day < test_end).to_numpy()
        n_train = int(train.sum())
        if n_train:
            last = day[train].max()
            if val_date is not None:
                val = train & (day >= val_date).to_numpy()
            elif val_days > 0:
                val = train & (day >= last - pd.Timedelta(days=val_days - 1)).to_numpy()
            else:
                val = np.zeros_like(train)
        else:
            val = np.zeros_like(train)
        fit = train & ~val
        if n_train < min_rows or not test.any() or not fit.any():
            skipped += 1
            continue
        X = g[feats].to_numpy(np.float32)
        y = g[tcol].to_numpy(np.float32)
        slices.append((key, np.ascontiguousarray(X[fit]), y[fit],
                       np.ascontiguousarray(X[test]), y[test],
                       day[test].dt.strftime("%Y-%m-%d").to_numpy()))
        counts["fit"] += int(fit.sum())
        counts["val"] += int(val.sum())
        counts["test"] += int(test.sum())
    del df
    return slices, counts, skipped


# ---- the workers ----

def pinball_obj(a, y):
    def obj(margin, dtrain):
        grad = np.where(margin >= y, 1.0 - a, -a).astype(np.float32)
        hess = np.ones_like(grad)
        return grad, hess
    return obj


def train_series(i):
    key, Xf, yf, Xt, yt, dates = SLICES[i]
    t0 = time.monotonic()
    dtrain = xgb.DMatrix(Xf, label=yf, missing=np.nan, nthread=1)
    dtest = xgb.DMatrix(Xt, missing=np.nan, nthread=1)
    pred = np.empty((len(yt), len(LEVELS)), dtype=np.float32)
    y64 = yf.astype(np.float64)
    for j, a in enumerate(LEVELS):
        base = float(np.float32(np.quantile(y64, a)))
        params = dict(PARAMS, base_score=base)
        bst = xgb.train(params, dtrain, num_boost_round=ROUNDS, obj=pinball_obj(a, yf),
                        verbose_eval=False)
        pred[:, j] = bst.predict(dtest)
    return i, pred, time.monotonic() - t0


def main():
    global SLICES, PARAMS, ROUNDS, LEVELS
    args = sys.argv[1:]
    jobs = None
    if "--jobs" in args:
        k = args.index("--jobs")
        jobs = int(args[k + 1])
        del args[k:k + 2]
    if len(args) != 3:
        sys.exit("usage: individual_peer.py DATA.csv CONFIG.json OUTDIR [--jobs N]")
    data, config, outdir = args
    cfg = fcpeer.load_config(config)
    cfg["data"]["path"] = data
    hp = cfg["models"].get(MODEL)
    if hp is None:
        sys.exit("individual_peer.py: %s: no models.%s" % (config, MODEL))
    if jobs is None:
        jobs = int(cfg.get("jobs", 0))
    if jobs <= 0:
        jobs = os.cpu_count() or 1
    os.makedirs(outdir, exist_ok=True)
    sampler = TreeSampler()
    sampler.start()

    t0 = time.monotonic()
    SLICES, counts, skipped = load_slices(cfg, data)
    t1 = time.monotonic()

    params, ROUNDS, _ = fcpeer.xgb_params(hp, cfg, nthread=1)
    params["objective"] = "reg:squarederror"
    PARAMS = params
    LEVELS = [float(a) for a in cfg["quantiles"]]
    preds = [None] * len(SLICES)
    fit_s = 0.0
    pool = multiprocessing.get_context("fork").Pool(jobs)
    try:
        for i, p, s in pool.imap_unordered(train_series, range(len(SLICES)), chunksize=4):
            preds[i] = p
            fit_s += s
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
    t2 = time.monotonic()

    # predictions and the mean test pinball per level
    L = len(LEVELS)
    loss = np.zeros(L)
    n = 0
    with open(os.path.join(outdir, "predictions.csv"), "w") as f:
        f.write("series,date,actual," + ",".join("q%g" % a for a in LEVELS) + "\n")
        for (key, _, _, _, yt, dates), p in zip(SLICES, preds):
            r = yt[:, None].astype(np.float64) - p.astype(np.float64)
            lv = np.array(LEVELS)[None, :]
            loss += np.where(r >= 0, lv * r, (lv - 1) * r).sum(axis=0)
            n += len(yt)
            for d, a, row in zip(dates, yt, p):
                f.write("%s,%s,%g,%s\n" % (key, d, a, ",".join("%.9g" % v for v in row)))
    sampler.stop()
    ru_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ru_child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    total = time.monotonic() - T_START
    out = {
        "load_s": round(t1 - t0, 4), "train_s": round(t2 - t1, 4), "total_s": round(total, 4),
        "models": len(SLICES) * L, "series": len(SLICES), "skipped": skipped,
        "fit_rows": counts["fit"], "validation_rows": counts["val"],
        "test_rows": counts["test"], "jobs": jobs,
        "maxrss_self_kib": ru_self, "maxrss_children_kib": ru_child,
        "maxrss_self_plus_children_kib": ru_self + ru_child,
        "peak_pss_tree_kib": sampler.peak_pss, "peak_rss_tree_kib": sampler.peak_rss,
        "mem_samples": sampler.samples,
    }
    metrics = dict(out)
    metrics.update({
        "model": MODEL, "peer": "python xgboost %s, pandas %s" % (xgb.__version__, pd.__version__),
        "levels": LEVELS, "params": params, "num_boost_round": ROUNDS,
        "fit_seconds_summed": fit_s,
        "mean_pinball": {("%g" % a): loss[j] / max(n, 1) for j, a in enumerate(LEVELS)},
    })
    with open(os.path.join(outdir, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (fcpeer.PeerError, OSError, ValueError, KeyError) as e:
        print("individual_peer.py: error: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)

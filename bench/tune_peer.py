#!/usr/bin/python3
"""tune_peer.py — the Python peer of `forecast tune --model xgboost_standard`
for bench/tune.sh: Optuna 3.1 (TPESampler, MedianPruner) over the same
space, folds and objective, with pandas + the xgboost package.

    /usr/bin/python3 bench/tune_peer.py CONFIG.json TRIALS FOLDS SEED [PARAMS.json]
    /usr/bin/python3 bench/tune_peer.py --ask N

CONFIG.json is a forecast config (tests/peers/fcpeer.py fills in defaults
and loads the data as forecast does). The folds are forecast's: FOLDS
windows of the validation window's length (split.val_days, daily data)
ending the day before split.split_date, each with its own validation window
for early stopping; derived features per fold with the fold's cutoff as
origin. The objective is the fold mean of WRMSSE (README "Metrics": rmsse per
series scaled by the squared one-step differences of its history from its
first non-zero value, weighted by its target summed over the last 28 days up
to the fold's last training date). The space is xgboost_standard's default
(forecast describe xgboost_standard). After each fold but the last the
trial reports its running mean and MedianPruner(n_startup_trials=5) may
prune it, as forecast's median pruner does.

Prints one JSON line: {"best": ..., "wall_s": ..., "complete": ..., "pruned": ...}.
With PARAMS.json (a {path: value} object of forecast's parameter paths) it
instead evaluates those parameters on the folds and prints {"folds": [...],
"objective": ...}: the check that both sides compute one objective.

--ask N times Optuna's sampler alone, as bench/tune_sampler.c times
forecast's: trials asked and told one after the other over the same space
with the same cheap objective, the median time of the asks of trials N - 10
.. N + 10 (ask and the six suggest calls, where TPE samples), with Optuna's
in-memory storage and with its SQLite (RDB) storage; prints
{"inmemory_ms": ..., "sqlite_ms": ...}.
"""
import time

T_START = time.monotonic()

import copy  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402
import optuna  # noqa: E402
import xgboost as xgb  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "peers"))
import fcpeer  # noqa: E402

MODEL = "xgboost_standard"
SPACE = [  # forecast describe xgboost_standard: default search ranges
    ("max_depth", "int", 3, 10, False),
    ("learning_rate", "float", 0.01, 0.3, True),
    ("subsample", "float", 0.5, 1.0, False),
    ("colsample_bytree", "float", 0.5, 1.0, False),
    ("min_child_weight", "float", 1.0, 100.0, True),
    ("reg_lambda", "float", 0.001, 10.0, True),
]


def wrmsse(ds, sp, pred):
    """README "Metrics": sum w_i rmsse_i / sum w_i over series with a scale."""
    num = den = 0.0
    test_code = ds.code[sp.test]
    y_test = ds.y[sp.test].astype(np.float64)
    p = pred.astype(np.float32).astype(np.float64)
    lo = sp.last_train_date - 27
    for s in sp.used:
        b, n = ds.start[s], ds.length[s]
        days = ds.day[b:b + n]
        hist = ds.y[b:b + n][days <= sp.last_train_date].astype(np.float64)
        hist_days = days[days <= sp.last_train_date]
        nz = np.flatnonzero(hist != 0)
        if len(nz) == 0 or len(hist) - nz[0] < 2:
            continue
        h = hist[nz[0]:]
        scale = np.mean(np.diff(h) ** 2)
        if scale == 0:
            continue
        m = test_code == s
        rmsse = np.sqrt(np.mean((y_test[m] - p[m]) ** 2) / scale)
        w = hist[hist_days >= lo].sum()
        num += w * rmsse
        den += w
    return num / den


class Folds:
    def __init__(self, cfg, n_folds):
        ds = fcpeer.load_dataset(cfg, cfg["data"]["path"], exact=False)
        split = fcpeer.parse_day(cfg["split"]["split_date"])
        length = int(cfg["split"].get("val_days") or cfg["split"].get("val_periods") or 28)
        self.folds = []
        for k in range(n_folds):
            start = split - (n_folds - k) * length   # the fold's first test day
            c = copy.deepcopy(cfg)
            c["split"]["split_date"] = fcpeer.format_days(start)
            c["split"]["test_end"] = fcpeer.format_days(start + length)
            d = copy.copy(ds)
            sp = fcpeer.make_split(d, c)  # derived features with origin start - 1
            self.folds.append((d, sp))

    def value(self, k, hp, cfg):
        ds, sp = self.folds[k]
        params, rounds, esr = fcpeer.xgb_params(hp, cfg)
        nt = params["nthread"]

        def dmat(rows, label=True):
            kw = {"label": ds.y[rows]} if label else {}
            return xgb.DMatrix(np.ascontiguousarray(ds.X[rows]), missing=np.nan, nthread=nt, **kw)

        dtrain = dmat(sp.fit)
        stopping = esr > 0 and len(sp.val) > 0
        evals = [(dtrain, "train")] + ([(dmat(sp.val), "val")] if len(sp.val) else [])
        bst = xgb.train(params, dtrain, num_boost_round=rounds, evals=evals,
                        early_stopping_rounds=esr if stopping else None, verbose_eval=False)
        best = bst.best_iteration if stopping else None
        pred = bst.predict(dmat(sp.test, label=False),
                           iteration_range=(0, best + 1) if stopping else (0, 0))
        return wrmsse(ds, sp, pred)


def ask_times(n, storage):
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=42), storage=storage)
    times = []
    for i in range(n + 11):
        t0 = time.perf_counter()
        trial = study.ask()
        v = 0.0
        for name, kind, lo, hi, log in SPACE:
            x = (trial.suggest_int(name, lo, hi, log=log) if kind == "int"
                 else trial.suggest_float(name, lo, hi, log=log))
            t, a, b = (np.log(x), np.log(lo), np.log(hi)) if log else (x, lo, hi)
            v += ((t - a) / (b - a) - 0.3) ** 2
        if i >= n - 10:
            times.append((time.perf_counter() - t0) * 1e3)
        study.tell(trial, v)
    return float(np.median(times))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--ask":
        import tempfile
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        n = int(sys.argv[2])
        with tempfile.TemporaryDirectory() as d:
            print(json.dumps({"inmemory_ms": ask_times(n, None),
                              "sqlite_ms": ask_times(n, "sqlite:///%s/o.db" % d)}))
        return 0
    if len(sys.argv) not in (5, 6):
        sys.exit("usage: tune_peer.py CONFIG.json TRIALS FOLDS SEED [PARAMS.json]")
    cfg = fcpeer.load_config(sys.argv[1])
    n_trials, n_folds, seed = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    cfg["seed"] = seed
    base = dict(cfg["models"].get(MODEL) or {})
    defaults = json.loads(os.popen("%s describe %s --json" % (
        os.environ.get("FORECAST", "./forecast"), MODEL)).read())["defaults"]
    base = {**defaults, **base}
    folds = Folds(cfg, n_folds)
    if len(sys.argv) == 6:
        given = json.load(open(sys.argv[5]))
        hp = dict(base, **{k.split(".")[-1]: v for k, v in given.items()})
        vals = [folds.value(k, hp, cfg) for k in range(n_folds)]
        print(json.dumps({"folds": vals, "objective": float(np.mean(vals))}))
        return 0

    def objective(trial):
        hp = dict(base)
        for name, kind, lo, hi, log in SPACE:
            hp[name] = (trial.suggest_int(name, lo, hi, log=log) if kind == "int"
                        else trial.suggest_float(name, lo, hi, log=log))
        vals = []
        for k in range(n_folds):
            vals.append(folds.value(k, hp, cfg))
            if k + 1 < n_folds:
                trial.report(float(np.mean(vals)), k)
                if trial.should_prune():
                    raise optuna.TrialPruned()
        return float(np.mean(vals))

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed),
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=5))
    study.optimize(objective, n_trials=n_trials)
    states = [t.state for t in study.trials]
    print(json.dumps({"best": study.best_value, "wall_s": time.monotonic() - T_START,
                      "complete": states.count(optuna.trial.TrialState.COMPLETE),
                      "pruned": states.count(optuna.trial.TrialState.PRUNED)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""fcpeer.py — forecast's data loading and train / validation / test split,
re-implemented independently with pandas + numpy for the Python peer scripts
(tests/peers/*.py, bench/xgb_peer.py). Not a script: import it.

It follows README.md ("Configuration", "Data schema", "Split") and mirrors
src/data/dataset.c and src/data/split.c exactly:

- column roles by name; data.features / data.ignore are fnmatch patterns;
  features keep the *header* order; [] = every column without another role;
- missing cells are exactly "", NA, NaN, nan, NAN, N/A, null, NULL, n/a
  (src/core/util.c fc_is_missing); numbers are parsed as double, then rounded to
  float32 (features, target, weight), as the C loader does;
- dates: the first 10 characters (YYYY-MM-DD) of the date cell;
- a series key is its id values joined with ':' (a ':' or '\\' inside a value
  escaped with '\\'); series are numbered in order
  of first appearance among the kept rows (rows with a dropped missing
  target never create a series), rows within a series are sorted by date;
- per series: train = date < split_date; test = split_date <= date
  (< test_end when set); validation = the train rows with
  date >= last train date - val_days + 1 (or >= val_date when set; none when
  val_days is 0 and val_date is unset); fit = train minus validation;
  skipped (in this order of checks) when len(train) < min_train_rows, when it
  has no test rows, or when fit is empty;
- each part is the rows of the used series concatenated in series order.

Used as:  sys.path.insert(0, "<repo>/tests/peers"); import fcpeer
"""

import copy
import csv
import fnmatch
import json
import os

import numpy as np
import pandas as pd

MISSING = ["", "NA", "NaN", "nan", "NAN", "N/A", "null", "NULL", "n/a"]

# src/core/config.c default_config (the first layer of every config)
DEFAULTS = {
    "data": {
        "path": None, "target_path": None, "join_key": None,
        "series_columns": ["product_id", "store_id"],
        "date_column": "date", "target_column": "sales",
        "weight_column": None, "features": [], "ignore": [],
        "missing_target": "error",
    },
    "split": {"split_date": None, "test_end": None, "val_days": None, "val_periods": 28,
              "val_date": None, "min_train_rows": 2},
    "series": [],
    "model": "statquant",
    "strategy": "combined",
    "quantiles": [0.1, 0.5, 0.9],
    "seed": 42,
    "jobs": 0,
    "output": {"dir": "runs", "name": None},
    "models": {},
}

EPOCH = np.datetime64("1970-01-01", "D")


class PeerError(Exception):
    """Bad input for the peer (the C tool would have refused it too)."""


def _merge(base, over):
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def read_run(run_dir):
    """run.json of a run directory as a dict."""
    with open(os.path.join(run_dir, "run.json")) as f:
        return json.load(f)


def load_config(path):
    """A forecast config (or a run.json, whose "config" is used), with the
    built-in defaults filled in."""
    with open(path) as f:
        j = json.load(f)
    if j.get("kind") == "forecast-run":
        j = j["config"]
    return _merge(DEFAULTS, j)


def resolve_config(cfg):
    return _merge(DEFAULTS, cfg)


def find_file(path, extra_bases=()):
    """path as given (relative to the working directory, as forecast reads
    it), else relative to each of extra_bases."""
    if path is None:
        raise PeerError("no data path in the config")
    if os.path.isabs(path) or os.path.exists(path):
        return path
    for b in extra_bases:
        p = os.path.join(b, path)
        if os.path.exists(p):
            return p
    raise PeerError("data file %r not found (relative to the working directory or %s); "
                    "run from the directory the run was made in, or pass --data"
                    % (path, ", ".join(extra_bases) or "-"))


def run_cwd(run_dir, cfg):
    """The working directory a run was made in, when RUN's path ends with the
    relative output.dir/name of its config ("runs/<id>"), else None."""
    out = cfg.get("output", {})
    d, name = out.get("dir"), out.get("name") or os.path.basename(os.path.abspath(run_dir))
    if not d or os.path.isabs(d):
        return None
    rel = os.path.normpath(os.path.join(d, name))
    full = os.path.abspath(run_dir)
    if full.endswith(os.sep + rel):
        return full[: -len(rel) - 1]
    return None


def find_data(cfg, run_dir, override=None, repo=None):
    """The data CSV of a run: override, else config.data.path relative to the
    working directory, the run's original working directory, or repo."""
    bases = [b for b in (run_cwd(run_dir, cfg), repo) if b]
    return find_file(override or cfg["data"]["path"], bases)


def parse_day(s):
    """'YYYY-MM-DD...' -> days since 1970-01-01 (int)."""
    return int((np.datetime64(str(s)[:10], "D") - EPOCH).astype(np.int64))


def format_days(d):
    return str(EPOCH + np.timedelta64(int(d), "D"))


def _header(path):
    with open(path, newline="") as f:
        for row in csv.reader(f, strict=True):
            if row:
                return row
    raise PeerError("%s: empty file" % path)


def _match(pattern, name):
    return fnmatch.fnmatchcase(name, pattern)


class Dataset:
    """Rows grouped per series (first-appearance order) and sorted by date.

    code[i]    series index of row i           (int64)
    day[i]     days since 1970-01-01           (int64)
    X          (n, F) float32, C order, NaN = missing
    y          (n,) float32 target
    w          (n,) float32 weights or None
    keys       series keys ("80558:2"), index = code
    parts      DataFrame (n rows) of the id columns as text
    start, length   row range of each series
    """


def load_dataset(cfg, path=None, exact=True):
    """Loads cfg["data"] like src/data/dataset.c. exact=True parses numbers with
    pandas' round-trip parser (the same doubles as strtod); False uses
    pandas' default (fast) parser."""
    d = cfg["data"]
    path = path or d["path"]
    header = _header(path)
    if len(set(header)) != len(header):
        raise PeerError("%s:1: duplicate column names" % path)
    ids = list(d["series_columns"])
    role = {}

    def assign(name, r):
        if name not in header:
            raise PeerError("%s:1: column %r (%s) not found" % (path, name, r))
        if name in role:
            raise PeerError("%s:1: column %r is given two roles" % (path, name))
        role[name] = r

    for c in ids:
        assign(c, "id")
    assign(d["date_column"], "date")
    tcol = d["target_column"]
    if d.get("target_path"):
        assign(d["join_key"], "join")
    else:
        assign(tcol, "target")
    wcol = d.get("weight_column")
    if wcol:
        assign(wcol, "weight")
    ignored = set()
    for pat in d.get("ignore") or []:
        ignored.update(c for c in header if _match(pat, c))  # none: a note only
    pats = d.get("features") or []
    feats = [c for c in header if c not in role and c not in ignored and
             (not pats or any(_match(p, c) for p in pats))]
    for p in pats:
        hit = [c for c in header if _match(p, c)]
        if not hit:
            raise PeerError("%s:1: data.features %r matches no column" % (path, p))
        glob = any(ch in p for ch in "*?[")
        for c in hit:
            if c not in feats and not (glob and c in ignored and c not in role):
                raise PeerError("%s:1: column %r cannot be a feature" % (path, c))
    if not feats:
        raise PeerError("%s:1: no feature columns" % path)

    numeric = feats + ([tcol] if not d.get("target_path") else []) + ([wcol] if wcol else [])
    text = ids + [d["date_column"]] + ([d["join_key"]] if d.get("target_path") else [])
    dtype = {c: str for c in text}
    dtype.update({c: np.float64 for c in numeric})
    df = pd.read_csv(path, usecols=text + numeric, dtype=dtype, keep_default_na=False,
                     na_values={c: MISSING for c in numeric},
                     float_precision="round_trip" if exact else None,
                     engine="c", low_memory=False)

    if d.get("target_path"):
        tp = d["target_path"]
        tdf = pd.read_csv(tp, usecols=[d["join_key"], tcol],
                          dtype={d["join_key"]: str, tcol: np.float64},
                          keep_default_na=False, na_values={tcol: MISSING},
                          float_precision="round_trip" if exact else None)
        if tdf[d["join_key"]].duplicated().any():
            raise PeerError("%s: duplicate key in the target file" % tp)
        tmap = pd.Series(tdf[tcol].values, index=tdf[d["join_key"]].values)
        target = df[d["join_key"]].map(tmap).to_numpy(np.float64)
    else:
        target = df[tcol].to_numpy(np.float64)

    keep = ~np.isnan(target)
    n_dropped = int((~keep).sum())
    if n_dropped:
        if d.get("missing_target", "error") != "drop":
            raise PeerError("%s: %d rows with a missing target (missing_target is \"error\")"
                            % (path, n_dropped))
        df = df.loc[keep].reset_index(drop=True)
        target = target[keep]
    if len(df) == 0:
        raise PeerError("%s: no data rows" % path)
    for c in ids:
        if (df[c] == "").any():
            raise PeerError("%s: empty series id in column %r" % (path, c))

    def part(c):  # src/core/util.c fc_buf_put_key_part: ':' and '\\' escaped with '\\'
        return df[c].astype(str).str.replace("\\", "\\\\", regex=False).str.replace(
            ":", "\\:", regex=False)
    key = part(ids[0])
    for c in ids[1:]:
        key = key.str.cat(part(c), sep=":")
    code, uniques = pd.factorize(key, sort=False)
    day = pd.to_datetime(df[d["date_column"]].str.slice(0, 10), format="%Y-%m-%d")
    day = ((day.values.astype("datetime64[D]") - EPOCH).astype(np.int64))
    order = np.lexsort((day, code))
    code = code[order].astype(np.int64)
    day = day[order]
    dup = (code[1:] == code[:-1]) & (day[1:] == day[:-1])
    if dup.any():
        i = int(np.flatnonzero(dup)[0]) + 1
        raise PeerError("%s: duplicate row for series %s on %s"
                        % (path, uniques[code[i]], format_days(day[i])))

    ds = Dataset()
    ds.path = path
    ds.id_columns = ids
    ds.feature_names = feats
    ds.n_dropped = n_dropped
    ds.code = code
    ds.day = day
    ds.keys = [str(k) for k in uniques]
    n, F = len(order), len(feats)
    X = np.empty((n, F), dtype=np.float32)
    for j, c in enumerate(feats):
        X[:, j] = df[c].to_numpy(np.float64)[order]  # double -> float32, round to nearest
    ds.X = X
    ds.y = target[order].astype(np.float32)
    ds.w = df[wcol].to_numpy(np.float64)[order].astype(np.float32) if wcol else None
    ds.parts = df[ids].iloc[order].reset_index(drop=True)
    ds.length = np.bincount(code, minlength=len(uniques))
    ds.start = np.concatenate([[0], np.cumsum(ds.length)[:-1]])
    return ds


class Split:
    """fit / val / test: row positions into the Dataset, in series order.
    used: series indices; skipped: {key: reason} (forecast's wording);
    last_train_date: days."""


def make_split(ds, cfg):
    s = cfg["split"]
    if not s.get("split_date"):
        raise PeerError("split.split_date is required")
    S = parse_day(s["split_date"])
    n_series = len(ds.keys)
    selected = np.ones(n_series, dtype=bool)
    if cfg.get("series"):
        selected[:] = False
        index = {k: i for i, k in enumerate(ds.keys)}
        for k in cfg["series"]:
            if k not in index:
                raise PeerError("series %r is not in %s" % (k, ds.path))
            selected[index[k]] = True
    code, day = ds.code, ds.day
    train = day < S
    test = ~train
    if s.get("test_end"):
        test &= day < parse_day(s["test_end"])
    n_train = np.bincount(code[train], minlength=n_series)
    n_test = np.bincount(code[test], minlength=n_series)
    # rows are sorted by (series, date): the last train row is start + n_train - 1
    last = np.full(n_series, -(1 << 40), dtype=np.int64)  # no train rows: unused
    has = n_train > 0
    last[has] = day[ds.start[has] + n_train[has] - 1]
    # val_days (days) when given, else val_periods (periods: days for this daily data)
    vd = s.get("val_days")
    val_days = int(vd) if vd is not None else int(s.get("val_periods", 28))
    if s.get("val_date"):
        frm = np.full(n_series, parse_day(s["val_date"]), dtype=np.int64)
        val = train & (day >= frm[code])
    elif val_days > 0:
        frm = last - val_days + 1
        val = train & (day >= frm[code])
    else:
        val = np.zeros_like(train)
    n_val = np.bincount(code[val], minlength=n_series)
    n_fit = n_train - n_val
    min_rows = int(s.get("min_train_rows", 2))
    used = np.zeros(n_series, dtype=bool)
    skipped = {}
    for i in range(n_series):
        if not selected[i]:
            continue
        if n_train[i] < min_rows:
            skipped[ds.keys[i]] = ("%d rows before the split date, split.min_train_rows is %d"
                                   % (n_train[i], min_rows))
        elif n_test[i] == 0:
            skipped[ds.keys[i]] = "no rows in the test period"
        elif n_fit[i] == 0:
            skipped[ds.keys[i]] = "every training row falls in the validation window"
        else:
            used[i] = True
    if not used.any():
        raise PeerError("no series has enough data around split date %s" % s["split_date"])
    u = used[code]
    sp = Split()
    sp.fit = np.flatnonzero(train & ~val & u)
    sp.val = np.flatnonzero(val & u)
    sp.test = np.flatnonzero(test & u)
    sp.used = np.flatnonzero(used)
    sp.skipped = skipped
    sp.last_train_date = int(last[used].max())
    add_derived(ds, cfg, S - 1)
    return sp


def add_derived(ds, cfg, origin):
    """The derived features of cfg["features"] (src/data/derive.c) appended to
    ds.X, computed the pandas way on each series reindexed to every day (this
    peer's data are daily): shift(lag), rolling(window, min_periods 1; std
    ddof 1, min_periods 2), expanding(), then the leakage rule: a value whose
    window ends after the origin (the day before the split date) is missing."""
    f = cfg.get("features") or {}
    specs = [("lag_%d" % k, ("lag", None, 0, k)) for k in f.get("lags", [])]
    specs += [("rolling_%s_%d_lag_%d" % (r["stat"], r["window"], r["lag"]),
               ("rolling", r["stat"], r["window"], r["lag"])) for r in f.get("rolling", [])]
    specs += [("expanding_%s_lag_%d" % (e["stat"], e["lag"]), ("expanding", e["stat"], 0, e["lag"]))
              for e in f.get("expanding", [])]
    if f.get("calendar"):
        raise PeerError("features.calendar: not mirrored by this peer")
    if not specs:
        return
    cols = np.full((len(ds.y), len(specs)), np.nan, dtype=np.float32)
    for s_ in range(len(ds.keys)):
        b, n = ds.start[s_], ds.length[s_]
        days = ds.day[b:b + n]
        full = pd.Series(ds.y[b:b + n].astype(np.float64), index=days)
        full = full.reindex(np.arange(days[0], days[-1] + 1))
        for j, (_, (kind, stat, window, lag)) in enumerate(specs):
            sh = full.shift(lag)
            if kind == "lag":
                v = sh
            elif kind == "rolling":
                v = getattr(sh.rolling(window, min_periods=2 if stat == "std" else 1), stat)()
            else:
                v = getattr(sh.expanding(min_periods=2 if stat == "std" else 1), stat)()
            v = v.loc[days].to_numpy()
            v[days - lag > origin] = np.nan
            cols[b:b + n, j] = v.astype(np.float32)
    ds.X = np.ascontiguousarray(np.hstack([ds.X, cols]))
    ds.feature_names = list(ds.feature_names) + [name for name, _ in specs]


def split_summary(sp):
    """The same numbers as run.json "split"."""
    return {
        "last_train_date": format_days(sp.last_train_date),
        "series_used": int(len(sp.used)),
        "fit_rows": int(len(sp.fit)),
        "validation_rows": int(len(sp.val)),
        "test_rows": int(len(sp.test)),
        "skipped": dict(sp.skipped),
    }


def test_frame(ds, sp):
    """ids + date (YYYY-MM-DD text) + actual of the test rows, in order."""
    out = ds.parts.iloc[sp.test].reset_index(drop=True).copy()
    out["date"] = (EPOCH + ds.day[sp.test].astype("timedelta64[D]")).astype(str)
    out["actual"] = ds.y[sp.test].astype(np.float64)
    return out


def read_predictions(path, id_columns):
    """A forecast predictions.csv: ids and date as text, the rest numbers."""
    text = list(id_columns) + ["date"]
    numeric = [c for c in _header(path) if c not in text]
    return pd.read_csv(path, dtype={**{c: str for c in text}, **{c: np.float64 for c in numeric}},
                       keep_default_na=False, na_values={c: MISSING for c in numeric},
                       float_precision="round_trip")


def resolved_seed(params, cfg):
    """models.<m>.seed, or (-1) the run's seed as the C plugin uses it
    (models/xgboost_common.c: config seed & 0x7fffffff)."""
    seed = int(params.get("seed", -1))
    return seed if seed >= 0 else int(cfg.get("seed", 42)) & 0x7FFFFFFF


def rf_params(params, cfg, nthread=None):
    """forecast's random_forest hyperparameters -> xgboost.train params for
    XGBoost's random-forest mode (one round of num_parallel_tree trees,
    learning rate 1), and num_boost_round 1, no early stopping."""
    nt = int(params.get("nthread", 0)) if nthread is None else int(nthread)
    if nt == 0:
        nt = os.cpu_count() or 1
    p = {
        "verbosity": 0,
        "eta": 1.0,
        "max_depth": int(params["max_depth"]),
        "subsample": float(params["subsample"]),
        "colsample_bytree": 1.0,
        "colsample_bynode": float(params["colsample_bynode"]),
        "num_parallel_tree": int(params["n_estimators"]),
        "min_child_weight": float(params["min_child_weight"]),
        "lambda": float(params["reg_lambda"]),
        "alpha": 0.0,
        "gamma": 0.0,
        "max_bin": int(params["max_bin"]),
        "tree_method": str(params["tree_method"]),
        "nthread": nt,
        "seed": resolved_seed(params, cfg),
        "objective": "reg:squarederror",
    }
    return p, 1, 0


def xgb_params(params, cfg, nthread=None):
    """forecast's xgboost_standard / xgboost_quantile hyperparameters ->
    xgboost.train params (and num_boost_round, early_stopping_rounds)."""
    nt = int(params.get("nthread", 0)) if nthread is None else int(nthread)
    if nt == 0:
        nt = os.cpu_count() or 1
    p = {
        "verbosity": 0,
        "eta": float(params["learning_rate"]),
        "max_depth": int(params["max_depth"]),
        "subsample": float(params["subsample"]),
        "colsample_bytree": float(params["colsample_bytree"]),
        "min_child_weight": float(params["min_child_weight"]),
        "lambda": float(params["reg_lambda"]),
        "alpha": float(params["reg_alpha"]),
        "gamma": float(params["gamma"]),
        "max_bin": int(params["max_bin"]),
        "tree_method": str(params["tree_method"]),
        "nthread": nt,
        "seed": resolved_seed(params, cfg),
    }
    obj = params.get("objective")
    if obj is not None:
        p["objective"] = obj
        if obj == "reg:tweedie":
            p["tweedie_variance_power"] = float(params["tweedie_variance_power"])
        if obj == "reg:pseudohubererror":
            p["huber_slope"] = float(params["huber_slope"])
    return p, int(params["n_estimators"]), int(params.get("early_stopping_rounds", 0))

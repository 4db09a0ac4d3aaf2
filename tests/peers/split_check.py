#!/usr/bin/python3
"""split_check.py — checks the peers' data loading and split (fcpeer.py)
against a forecast run of ANY model (statquant works today).

Compares, for RUN (a run directory written by `forecast train`):
  - run.json "data": feature names (in order), row count, dropped rows;
  - run.json "split": series_used, fit_rows, validation_rows, test_rows,
    last_train_date and the skipped series with their reasons;
  - every RUN/<model>/<strategy>/predictions.csv: its rows (series ids, date,
    actual), in order, equal the peer's test rows (only series that trained
    appear there: with series that failed, the file is compared as a subset).

Run it from the directory the run was made in (run.json's data.path is
relative to it), or pass --data:

    /usr/bin/python3 tests/peers/split_check.py runs/<id> [--data FILE]

Exit 0 when everything matches, 1 otherwise, 77 (SKIP on stderr) without
numpy / pandas.
"""
import argparse
import glob
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

try:
    import numpy as np
    import pandas as pd  # noqa: F401
    sys.path.insert(0, HERE)
    import fcpeer
except ImportError as e:  # pragma: no cover
    print("SKIP: split_check.py needs numpy and pandas (/usr/bin/python3, Debian "
          "python3-numpy python3-pandas): %s" % e, file=sys.stderr)
    sys.exit(77)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run")
    ap.add_argument("--data", help="data CSV (default: run.json config.data.path)")
    a = ap.parse_args()
    run = fcpeer.read_run(a.run)
    cfg = fcpeer.resolve_config(run["config"])
    path = fcpeer.find_data(cfg, a.run, a.data, REPO)
    ds = fcpeer.load_dataset(cfg, path)
    sp = fcpeer.make_split(ds, cfg)
    problems = []

    feats = run.get("data", {}).get("features")
    if feats is not None and feats != ds.feature_names:
        problems.append("features: run %s, peer %s" % (feats, ds.feature_names))
    for k, mine in (("rows", len(ds.y)), ("series", len(ds.keys)),
                    ("rows_dropped_missing_target", ds.n_dropped)):
        theirs = run.get("data", {}).get(k)
        if theirs is not None and theirs != mine:
            problems.append("data.%s: run %s, peer %s" % (k, theirs, mine))
    mine = fcpeer.split_summary(sp)
    for k, v in mine.items():
        theirs = run.get("split", {}).get(k)
        if theirs != v:
            problems.append("split.%s: run %s, peer %s" % (k, theirs, v))

    want = fcpeer.test_frame(ds, sp)
    ids = ds.id_columns
    files = sorted(glob.glob(os.path.join(a.run, "*", "*", "predictions.csv")))
    for f in files:
        got = fcpeer.read_predictions(f, ids)
        cols = ids + ["date"]
        if len(got) == len(want):
            same_keys = all((got[c].values == want[c].values).all() for c in cols)
            if not same_keys:
                problems.append("%s: rows differ from the peer's test rows (order or keys)" % f)
            else:
                d = np.abs(got["actual"].to_numpy(float) - want["actual"].to_numpy(float))
                if (d > 1e-6 * np.maximum(1, np.abs(want["actual"]))).any():
                    problems.append("%s: actual differs on %d rows" % (f, int((d > 0).sum())))
        else:
            m = got[cols].merge(want[cols], how="left", indicator=True)
            if (m["_merge"] != "both").any() or len(got) > len(want):
                problems.append("%s: %d rows, peer has %d test rows and not all of the "
                                "file's rows" % (f, len(got), len(want)))
            else:
                print("note: %s has %d of the peer's %d test rows (series failed?)"
                      % (f, len(got), len(want)))
    print("split_check %s: %s — series %d used / %d skipped, fit %d, validation %d, "
          "test %d, last train date %s; %d predictions file(s) compared"
          % (a.run, "FAIL" if problems else "PASS", mine["series_used"], len(sp.skipped),
             mine["fit_rows"], mine["validation_rows"], mine["test_rows"],
             mine["last_train_date"], len(files)))
    for p in problems:
        print("  " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (fcpeer.PeerError, OSError, ValueError, KeyError) as e:
        print("split_check.py: FAIL: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)

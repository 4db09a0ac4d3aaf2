#!/bin/bash
# distributed.sh — end-to-end tests of forecast train --distributed: workers
# through XGBoost's tracker (python3-xgboost) on 127.0.0.1, by
# scripts/distributed-local.sh and by hand: one worker equals a single
# process; two workers' shares follow the --shard rule (computed here in
# Python), their model scores within 2% of a single process and the scores
# agree with predictions.csv; a worker killed mid-training fails every worker
# and leaves no completed-looking run; mismatched configs or one worker's
# bad input fail every worker with one message and write nothing.
#   tests/distributed.sh ./forecast
set -u

. "$(dirname "$0")/lib.sh"
checkout
PY=/usr/bin/python3
export TMPDIR=$T/tmp # the workers' own temporary directories
mkdir -p "$TMPDIR"
LOCAL=$ROOT/scripts/distributed-local.sh
export FORECAST=$BIN
XGB="--model xgboost_standard --no-cache"

# ---- one process, then one and two workers ----
"$BIN" train $XGB --out "$T/runs" --name single >/dev/null 2>"$T/stderr" && ok \
    || { bad "single-process run"; cat "$T/stderr" >&2; }
"$LOCAL" 1 $XGB --out "$T/runs" --name one >"$T/stdout" 2>"$T/stderr" && \
    [ "$(cat "$T/stdout")" = "$T/runs/one" ] && ok || { bad "one worker"; cat "$T/stderr" >&2; }
# a world of one partitions nothing: the same model, the same predictions
cmp -s "$T/runs/one/xgboost_standard/combined/predictions.csv" \
    "$T/runs/single/xgboost_standard/combined/predictions.csv" && ok \
    || bad "one worker's predictions equal a single process's"
"$LOCAL" 2 $XGB --out "$T/runs" --name two >"$T/stdout" 2>"$T/stderr" && \
    [ "$(cat "$T/stdout")" = "$T/runs/two" ] && ok || { bad "two workers"; cat "$T/stderr" >&2; }
[ "$(grep -c 'this worker fits' "$T/stderr")" = 1 ] && ok \
    || bad "only rank 0 tells the run (the other worker is quiet)"
[ -z "$(ls -A "$TMPDIR")" ] && ok || bad "the workers removed their temporary directories"
$PY - "$T/runs" data/sample.csv <<'PY' && ok || bad "two workers: shares, order, scores within 2%"
import csv, json, math, sys
runs, data = sys.argv[1], sys.argv[2]
one = json.load(open(runs + "/single/run.json"))
two = json.load(open(runs + "/two/run.json"))
assert two["status"] == "completed", two["status"]
# the --shard rule, computed here: FNV-1a 64 of "product:store" modulo 2
def fnv(s):
    h = 1469598103934665603
    for b in s.encode():
        h = ((h ^ b) * 1099511628211) % (1 << 64)
    return h
rows = {}
for r in csv.DictReader(open(data)):
    k = r["product_id"] + ":" + r["store_id"]
    rows[k] = rows.get(k, 0) + 1
d = two["distributed"]
assert d["workers"] == 2
for s in d["shares"]:
    mine = [k for k in rows if fnv(k) % 2 == s["rank"]]
    assert s["series"] == len(mine), (s, len(mine))
    assert s["rows"] == sum(rows[k] for k in mine), s
assert sorted(s["task"] for s in d["shares"]) == [0, 1]
assert two["data"]["rows"] == one["data"]["rows"] == sum(rows.values())
assert two["split"] == one["split"], (two["split"], one["split"])
# every series, in the single process's order, with the same actuals
def preds(run):
    return list(csv.DictReader(open(f"{runs}/{run}/xgboost_standard/combined/predictions.csv")))
p1, p2 = preds("single"), preds("two")
assert [(r["product_id"], r["store_id"], r["date"], r["actual"]) for r in p1] == \
       [(r["product_id"], r["store_id"], r["date"], r["actual"]) for r in p2]
# metrics.json's RMSE is the RMSE of predictions.csv (scored over every worker's series)
def rmse(p):
    return math.sqrt(sum((float(r["actual"]) - float(r["point"])) ** 2 for r in p) / len(p))
m1 = json.load(open(f"{runs}/single/xgboost_standard/combined/metrics.json"))["overall"]
m2 = json.load(open(f"{runs}/two/xgboost_standard/combined/metrics.json"))["overall"]
assert abs(m2["rmse"] - rmse(p2)) < 1e-4 * rmse(p2), (m2["rmse"], rmse(p2))
assert abs(m2["rmse"] - m1["rmse"]) <= 0.02 * m1["rmse"], (m2["rmse"], m1["rmse"])
assert m2["series"] == 30 and len(json.load(open(
    f"{runs}/two/xgboost_standard/combined/metrics.json"))["series"]) == 30
PY
# xgboost_quantile: base scores, refitted leaves and early stopping's
# pinball loss over every worker's rows (xgb_group_quantiles, tests/xgboost.c)
XQ="--model xgboost_quantile --no-cache --set models.xgboost_quantile.n_estimators=60"
"$BIN" train $XQ --out "$T/runs" --name qsingle >/dev/null 2>"$T/stderr" && ok \
    || { bad "xgboost_quantile, one process"; cat "$T/stderr" >&2; }
"$LOCAL" 1 $XQ --out "$T/runs" --name qone >/dev/null 2>"$T/stderr" && \
    cmp -s "$T/runs/qone/xgboost_quantile/combined/predictions.csv" \
        "$T/runs/qsingle/xgboost_quantile/combined/predictions.csv" && ok \
    || { bad "xgboost_quantile: one worker's predictions equal a single process's"; cat "$T/stderr" >&2; }
"$LOCAL" 2 $XQ --out "$T/runs" --name qtwo >/dev/null 2>"$T/stderr" && ok \
    || { bad "xgboost_quantile, two workers"; cat "$T/stderr" >&2; }
$PY - "$T/runs" <<'PY' && ok || bad "xgboost_quantile, two workers: WSPL and coverage within 2% / 0.05"
import json, sys
runs = sys.argv[1]
a = json.load(open(runs + "/qsingle/xgboost_quantile/combined/metrics.json"))["overall"]
b = json.load(open(runs + "/qtwo/xgboost_quantile/combined/metrics.json"))["overall"]
assert abs(b["wspl"] - a["wspl"]) <= 0.02 * a["wspl"], (b["wspl"], a["wspl"])
assert a["coverage"].keys() == b["coverage"].keys() == {"0.1", "0.5", "0.9"}
for k in a["coverage"]:
    assert abs(a["coverage"][k] - b["coverage"][k]) <= 0.05, (a["coverage"], b["coverage"])
PY

# the model trained by two workers predicts with forecast predict like any other
"$BIN" predict --run "$T/runs/two" --data data/sample.csv --out "$T/p2.csv" >/dev/null \
    2>"$T/stderr" && [ -s "$T/p2.csv" ] && ok || { bad "predict with the two workers' model"; cat "$T/stderr" >&2; }

# ---- workers by hand: a tracker, then each worker's own exit status ----
tracker() { # tracker N: starts one, exports its DMLC_* variables
    $PY -m xgboost.tracker --num-workers "$1" --host-ip 127.0.0.1 >"$T/tracker.out" \
        2>/dev/null &
    TRACKER=$!
    for _ in $(seq 1 100); do
        grep -q DMLC_TRACKER_ENV_END "$T/tracker.out" && break
        sleep 0.1
    done
    eval "$(sed -n 's/^\(DMLC_[A-Z_]*\)=\(.*\)$/export \1=\2/p' "$T/tracker.out")"
}
worker() { # worker K ARGS...: in the background, stderr in $T/w$K.err, pid in W$K
    local k=$1
    shift
    DMLC_TASK_ID=$k "$BIN" train --distributed --jobs 1 "$@" >"$T/w$k.out" 2>"$T/w$k.err" &
    eval "W$k=\$!"
}

# mismatched configs: every worker fails, one message, nothing written
rm -rf "$T/out"
tracker 2
worker 0 $XGB --out "$T/out" --name mm
worker 1 $XGB --out "$T/out" --name mm --set models.xgboost_standard.max_depth=4
wait "$W0"; r0=$?
wait "$W1" 2>/dev/null; r1=$?
kill "$TRACKER" 2>/dev/null
[ $r0 = 2 ] && [ $r1 = 2 ] && ok || bad "mismatched configs: exit $r0 / $r1, expected 2 / 2"
for k in 0 1; do
    grep -q "the workers disagree with worker 0" "$T/w$k.err" && \
        grep -q "config (flags, config file, --set)" "$T/w$k.err" && \
        [ "$(grep -c 'forecast: error' "$T/w$k.err")" = 1 ] && ok \
        || { bad "mismatched configs: worker $k's message"; cat "$T/w$k.err" >&2; }
done
[ ! -e "$T/out" ] && ok || bad "mismatched configs wrote $T/out"

# one worker's bad input: every worker fails (exit 2), nothing written
tracker 2
worker 0 $XGB --out "$T/out" --name bad
worker 1 --model xgboost_standard --no-cache --data missing.csv --out "$T/out" --name bad
wait "$W0"; r0=$?
wait "$W1" 2>/dev/null; r1=$?
kill "$TRACKER" 2>/dev/null
[ $r0 = 2 ] && [ $r1 = 2 ] && ok || bad "one worker's bad input: exit $r0 / $r1, expected 2 / 2"
grep -q "missing.csv" "$T/w1.err" && grep -q "could not read its inputs" "$T/w0.err" && ok \
    || { bad "one worker's bad input: the messages"; cat "$T/w0.err" "$T/w1.err" >&2; }
[ ! -e "$T/out" ] && ok || bad "one worker's bad input wrote $T/out"

# a worker killed mid-training: every worker exits non-zero, no completed run
LONG="--set models.xgboost_standard.n_estimators=100000 --set models.xgboost_standard.early_stopping_rounds=0"
tracker 2
worker 0 $XGB $LONG --out "$T/runs" --name killed
worker 1 $XGB $LONG --out "$T/runs" --name killed
for _ in $(seq 1 100); do # until both train
    [ "$(cat "$T/w0.err" "$T/w1.err" | grep -c 'of 2: ')" = 2 ] && break
    sleep 0.1
done
sleep 1
kill -9 "$W1"
wait "$W0"; r0=$?
wait "$W1" 2>/dev/null; r1=$?
kill "$TRACKER" 2>/dev/null
[ $r0 != 0 ] && [ $r1 != 0 ] && ok || bad "a killed worker: exit $r0 / $r1, expected both non-zero"
grep -q "Allreduce failed\|lost contact" "$T/w0.err" && ok \
    || { bad "the survivor says it lost the other worker"; cat "$T/w0.err" >&2; }
if [ -e "$T/runs/killed/run.json" ]; then
    $PY -c "import json,sys; s=json.load(open(sys.argv[1]))['status']; assert s in ('failed','running'), s" \
        "$T/runs/killed/run.json" && ok || bad "a killed worker: run.json looks completed"
fi
[ ! -e "$T/runs/killed/report.md" ] && [ ! -e "$T/runs/killed/xgboost_standard/combined/metrics.json" ] \
    && ok || bad "a killed worker left a report or metrics"

# ---- refused ----
unset DMLC_TRACKER_URI DMLC_TRACKER_PORT DMLC_NUM_WORKER DMLC_TASK_ID
expect_fail "no tracker variables" "DMLC_TRACKER_URI is not set" \
    "$BIN" train --distributed $XGB --out "$T/out"
expect_fail "--distributed --shard" "--distributed cannot go with --shard" \
    "$BIN" train --distributed --shard 0/2 $XGB --out "$T/out"
for case in "--strategy individual|the individual strategy scales out with --shard" \
    "--model statquant|model statquant cannot train across workers" \
    "--windows 2|split.windows" \
    "--sku 80558:1|series selection" \
    "--model xgboost_standard,random_forest|one model per run" \
    "--set models.xgboost_standard.tree_method=\"exact\"|tree_method \"exact\" is not distributed" \
    "--set split.split_date=null|production runs are not distributed" \
    "--set features.lags=[7,28]|a lag of 7 periods is shorter than the horizon, 28"; do
    args=${case%%|*}
    want=${case#*|}
    tracker 1
    export DMLC_TASK_ID=0
    expect_fail "--distributed $args" "$want" "$BIN" train --distributed $XGB $args --out "$T/out"
    kill "$TRACKER" 2>/dev/null
    wait "$TRACKER" 2>/dev/null
    unset DMLC_TASK_ID
done

echo "distributed.sh: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]

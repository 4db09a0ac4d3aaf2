#!/bin/sh
# tune.sh — end-to-end tests of forecast tune: a study's outputs, a fold's
# value against forecast train on the same split, best.json retraining,
# kill -9 and --resume, two processes on one study, pruned and failed
# trials, --jobs, and every bad space or flag refused (exit 2, nothing
# written).
#   tests/tune.sh ./forecast
set -u

. "$(dirname "$0")/lib.sh"
checkout
PY=/usr/bin/python3
SMALL="--set models.xgboost_standard.n_estimators=60"

# ---- a study: its files, trials.csv, the folds before the test period ----
"$BIN" tune --model xgboost_standard --trials 12 --folds 2 $SMALL --name s1 --out "$T/runs" \
    >"$T/stdout" 2>"$T/stderr" && [ "$(cat "$T/stdout")" = "$T/runs/s1" ] && ok \
    || { bad "tune runs"; cat "$T/stderr" >&2; }
S=$T/runs/s1
for f in config.json study.db trials.csv best.json report.md report.html; do
    [ -s "$S/$f" ] && ok || bad "tune wrote $f"
done
[ ! -e "$S/trials" ] && ok || bad "the trials' scratch models are removed"
$PY - "$S" <<'PY' && ok || bad "trials.csv: 12 trials, fold means, the folds before the split date"
import csv, json, sqlite3, sys, datetime as dt
d = sys.argv[1]
rows = list(csv.DictReader(open(d + "/trials.csv")))
assert len(rows) == 12, len(rows)
assert [int(r["number"]) for r in rows] == list(range(12))
states = [r["state"] for r in rows]
assert set(states) <= {"complete", "pruned"}, states
assert states.count("pruned") >= 1, states          # median pruning happened
for r in rows:
    if r["state"] == "complete":
        folds = [float(r["fold_1"]), float(r["fold_2"])]
        assert abs(sum(folds) / 2 - float(r["wrmsse"])) < 1e-9, r
    else:
        assert r["fold_2"] == "" and r["wrmsse"] == "", r
    assert 3 <= int(r["models.xgboost_standard.max_depth"]) <= 10
    assert 0.01 <= float(r["models.xgboost_standard.learning_rate"]) <= 0.3
meta = json.loads(sqlite3.connect(d + "/study.db").execute("select meta from study").fetchone()[0])
cfg = json.load(open(d + "/config.json"))
split = dt.date.fromisoformat(cfg["split"]["split_date"])
cut = [dt.date.fromisoformat(c) for c in meta["fold_cutoffs"]]
assert len(cut) == 2 and cut[1] - cut[0] == dt.timedelta(days=28), cut
# the last fold's 28 days end the day before the test period
assert cut[1] + dt.timedelta(days=28) == split - dt.timedelta(days=1), (cut, split)
PY

# ---- a fold's value is what forecast train scores on that split ----
$PY - "$S" >"$T/fold" <<'PY'
import csv, json, sqlite3, sys, datetime as dt
d = sys.argv[1]
r = [r for r in csv.DictReader(open(d + "/trials.csv")) if r["state"] == "complete"][0]
meta = json.loads(sqlite3.connect(d + "/study.db").execute("select meta from study").fetchone()[0])
c = dt.date.fromisoformat(meta["fold_cutoffs"][0])
sets = " ".join("--set %s=%s" % (k, r[k]) for k in r if k.startswith("models."))
print(c + dt.timedelta(days=1), c + dt.timedelta(days=29), r["fold_1"], sets)
PY
read -r FS FE FV FSETS <"$T/fold"
# shellcheck disable=SC2086
"$BIN" train --model xgboost_standard $SMALL $FSETS --split-date "$FS" --set "split.test_end=\"$FE\"" \
    --name fold --out "$T/runs" --quiet >/dev/null && $PY - "$T/runs/fold" "$FV" <<'PY' && ok \
    || bad "trial 0's first fold equals forecast train with its parameters on the fold's split"
import json, sys
m = json.load(open(sys.argv[1] + "/xgboost_standard/combined/metrics.json"))["overall"]["wrmsse"]
assert abs(m - float(sys.argv[2])) <= 1e-9 * max(1, m), (m, sys.argv[2])
PY

# ---- best.json: the best trial's parameters, retrained on the whole training part ----
"$BIN" train --config "$S/best.json" --out "$T/runs" --quiet >"$T/best_run" && $PY - "$S" "$(cat "$T/best_run")" <<'PY' \
    && ok || bad "best.json trains a run with the best trial's parameters"
import csv, json, sys
rows = [r for r in csv.DictReader(open(sys.argv[1] + "/trials.csv")) if r["state"] == "complete"]
best = min(rows, key=lambda r: float(r["wrmsse"]))
run = json.load(open(sys.argv[2] + "/run.json"))
p = run["config"]["models"]["xgboost_standard"]
for k, v in best.items():
    if k.startswith("models."):
        assert abs(float(p[k.split(".")[-1]]) - float(v)) <= 1e-5 * abs(float(v)), (k, v, p)
assert run["config"]["split"]["split_date"] == "2015-12-04"
assert run["status"] == "completed"
PY
grep -q "^Trial [0-9]*: wrmsse" "$S/report.md" && grep -q "## Parameter importance" "$S/report.md" \
    && grep -q "<svg" "$S/report.html" && ok || bad "report.md / report.html"
# parameter importance: eta^2 by hand from trials.csv (groups: each integer
# value when at most 10, else quintiles of the sorted values), normalised
"$BIN" tune --model xgboost_standard --trials 12 --folds 2 --no-prune $SMALL --name imp --out "$T/runs" \
    --quiet >/dev/null
for d in "$S" "$T/runs/imp"; do  # 9 complete trials (n/a), 12 complete
$PY - "$d" <<'PY' && ok || bad "$d: report.md's parameter importance equals eta^2 computed from trials.csv"
import csv, re, sys
d = sys.argv[1]
rows = [r for r in csv.DictReader(open(d + "/trials.csv")) if r["state"] == "complete"]
table = dict(re.findall(r"^\| (models\.[^ ]+) \| ([^|]+) \|$", open(d + "/report.md").read(), re.M))
params = [k for k in rows[0] if k.startswith("models.")]
if len(rows) < 10:
    assert all(table[p].startswith("n/a") for p in params), table
    sys.exit(0)
y = [float(r["wrmsse"]) for r in rows]
mean = sum(y) / len(y)
total = sum((v - mean) ** 2 for v in y)
eta = {}
for p in params:
    xs = [float(r[p]) for r in rows]
    pairs = sorted(zip(xs, y), key=lambda t: t[0])
    ints = p.endswith("max_depth") and len(set(xs)) <= 10
    key = (lambda i: pairs[i][0]) if ints else (lambda i: i * 5 // len(pairs))
    groups = {}
    for i, (_, v) in enumerate(pairs):
        groups.setdefault(key(i), []).append(v)
    eta[p] = sum(len(g) * (sum(g) / len(g) - mean) ** 2 for g in groups.values()) / total
s = sum(eta.values())
for p in params:
    assert abs(float(table[p]) - eta[p] / s) <= 0.0015, (p, table[p], eta[p] / s)
PY
done

# ---- the same seed gives the same trials ----
"$BIN" tune --model xgboost_standard --trials 12 --folds 2 $SMALL --name s2 --out "$T/runs" --quiet \
    >/dev/null && cut -d, -f1-5,7- "$S/trials.csv" >"$T/a" && cut -d, -f1-5,7- "$T/runs/s2/trials.csv" >"$T/b" \
    && cmp -s "$T/a" "$T/b" && ok || bad "the same seed, the same trials (--jobs 1)"

# ---- kill -9 mid-study; --resume ends with exactly N trials ----
"$BIN" tune --model xgboost_standard --trials 8 --folds 2 $SMALL --name k --out "$T/runs" --quiet \
    >/dev/null 2>&1 &
P=$!
n=0
while [ "$n" -lt 3 ] && kill -0 $P 2>/dev/null; do
    sleep 0.2
    n=$(sqlite3 "$T/runs/k/study.db" "select count(*) from trials where state != 'running'" 2>/dev/null || echo 0)
done
kill -9 $P 2>/dev/null
wait $P 2>/dev/null
sqlite3 "$T/runs/k/study.db" "select count(*) from trials where state = 'running'" >"$T/running"
"$BIN" tune --resume "$T/runs/k" --quiet >/dev/null && $PY - "$T/runs/k" "$(cat "$T/running")" <<'PY' \
    && ok || bad "kill -9 then --resume: exactly 8 trials, the abandoned one retried"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1] + "/study.db")
rows = db.execute("select number, state, abandoned, retry_of from trials order by number").fetchall()
counted = [r for r in rows if not r[2]]
assert len(counted) == 8, rows
assert all(r[1] in ("complete", "pruned") for r in counted), rows
dead = [r for r in rows if r[2]]
assert len(dead) == int(sys.argv[2]), (rows, sys.argv[2])
for r in dead:  # queued again with the same point
    assert r[1] == "failed"
    retry = [q for q in rows if q[3] == r[0]]
    assert len(retry) == 1, rows
    x = db.execute("select x from trials where number in (?, ?)", (r[0], retry[0][0])).fetchall()
    assert x[0] == x[1], x
PY
[ ! -e "$T/runs/k/trials" ] && ok || bad "the killed trial's scratch models are removed at the end"

# ---- two processes on one study: distinct trial numbers ----
"$BIN" tune --model xgboost_standard --trials 1 --folds 2 $SMALL --name c --out "$T/runs" --quiet >/dev/null
"$BIN" tune --resume "$T/runs/c" --trials 10 --quiet >/dev/null &
P=$!
"$BIN" tune --resume "$T/runs/c" --trials 10 --quiet >/dev/null
R1=$?
wait $P
R2=$?
[ $R1 -eq 0 ] && [ $R2 -eq 0 ] && $PY - "$T/runs/c" <<'PY' && ok || bad "two processes: 10 distinct trials"
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1] + "/study.db").execute(
    "select number, state, pid from trials order by number").fetchall()
assert [r[0] for r in rows] == list(range(10)), rows
assert all(r[1] in ("complete", "pruned") for r in rows), rows
assert len({r[2] for r in rows[1:]}) == 2, rows   # both processes ran trials
PY

# ---- --jobs 2: trials in two processes ----
"$BIN" tune --model xgboost_standard --trials 6 --folds 2 --jobs 2 $SMALL --name j --out "$T/runs" \
    --quiet >/dev/null && [ "$(sqlite3 "$T/runs/j/study.db" "select count(distinct pid) from trials")" = 2 ] \
    && [ "$(sqlite3 "$T/runs/j/study.db" "select count(*) from trials where state in ('complete','pruned')")" = 6 ] \
    && ok || bad "--jobs 2"

# ---- a failed trial is recorded; the grid stops at its size ----
"$BIN" tune --model ets --strategy individual --sku 80558:1 --sku 80651:3 \
    --trials 5 --folds 2 --sampler grid --name e --out "$T/runs" \
    --set 'tune.space={"models.ets.model": {"choice": ["ANN", "MNN"]}}' >/dev/null 2>"$T/stderr" \
    && $PY - "$T/runs/e" <<'PY' && ok || { bad "grid of ets models: one complete, one failed"; cat "$T/stderr" >&2; }
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1] + "/trials.csv")))
assert sorted(r["models.ets.model"] for r in rows) == ["ANN", "MNN"], rows
s = {r["models.ets.model"]: r for r in rows}
assert s["ANN"]["state"] == "complete" and s["MNN"]["state"] == "failed", rows
assert "multiplicative models need positive values" in s["MNN"]["error"], rows
PY

# ---- a higher-better metric is maximised, and shown in its own sign ----
"$BIN" tune --model xgboost_standard --trials 4 --folds 2 $SMALL --metric r2 --no-prune --name r2 \
    --out "$T/runs" >/dev/null 2>"$T/stderr" && $PY - "$T/runs/r2" "$T/stderr" <<'PY' && ok \
    || { bad "--metric r2: maximised, positive in trials.csv, report.md and the progress line"; cat "$T/stderr" >&2; }
import csv, json, re, sys
rows = list(csv.DictReader(open(sys.argv[1] + "/trials.csv")))
assert len(rows) == 4 and all(r["state"] == "complete" for r in rows), rows
r2 = [float(r["r2"]) for r in rows]
assert all(0 < v < 1 for v in r2), r2
best = max(rows, key=lambda r: float(r["r2"]))
p = json.load(open(sys.argv[1] + "/best.json"))["models"]["xgboost_standard"]
assert int(p["max_depth"]) == int(best["models.xgboost_standard.max_depth"]), (p, best)
assert abs(p["learning_rate"] - float(best["models.xgboost_standard.learning_rate"])) < 1e-12
assert "higher is better" in open(sys.argv[1] + "/report.md").read()
shown = [float(v) for v in re.findall(r"complete: ([-0-9.e]+)", open(sys.argv[2]).read())]
assert sorted(shown) == sorted(r2) or all(abs(a - b) < 1e-5 for a, b in zip(sorted(shown), sorted(r2))), (shown, r2)
PY

# ---- bad input: exit 2, one message, nothing written ----
O="--out $T/out --trials 2"
sp() { echo "tune.space={\"models.xgboost_standard.$1\": $2}"; }
expect_fail "empty range" 'tune.space["models.xgboost_standard.max_depth"]: an empty range' \
    "$BIN" tune --model xgboost_standard $O --set "$(sp max_depth '{"int": [9, 4]}')"
expect_fail "log with a bound <= 0" 'learning_rate"]: log with a bound <= 0' \
    "$BIN" tune --model xgboost_standard $O --set "$(sp learning_rate '{"float": [0, 0.3], "log": true}')"
expect_fail "unknown path" 'tune.space["models.xgboost_standard.depth"]: unknown path; did you mean "models.xgboost_standard.max_depth"?' \
    "$BIN" tune --model xgboost_standard $O --set "$(sp depth '{"int": [1, 4]}')"
expect_fail "type mismatch" 'a float range, but max_depth is an integer' \
    "$BIN" tune --model xgboost_standard $O --set "$(sp max_depth '{"float": [1, 4]}')"
expect_fail "choice not a value" 'choice "fast": expected one of "hist", "approx", "exact"' \
    "$BIN" tune --model xgboost_standard $O --set "$(sp tree_method '{"choice": ["fast"]}')"
$PY -c '
import json, sys
c = json.load(open("config/default.json"))
c["model"] = "xgboost_standard"
c["tune"] = {"space": {"models.xgboost_standard.subsample": {"float": [0.5, 1.5]}}}
json.dump(c, open(sys.argv[1], "w"))' "$T/space.json"
expect_fail "out of the parameter's range, in a file" 'space.json: tune.space["models.xgboost_standard.subsample"]: high bound 1.5: expected a number in (0, 1]' \
    "$BIN" tune --config "$T/space.json" $O
expect_fail "tune key" 'tune.spaces: unknown key; did you mean "space"?' \
    "$BIN" tune --model xgboost_standard $O --set 'tune.spaces={}'
expect_fail "no ranges" "nothing to search: ets has no default search range" "$BIN" tune --model ets $O
expect_fail "two models" "one model at a time" "$BIN" tune --model statquant,xgboost_standard $O
expect_fail "bad trials" "--trials: expected an integer in [1, 1000000], got \"0\"" \
    "$BIN" tune --model xgboost_standard --out "$T/out" --trials 0
expect_fail "bad sampler" '--sampler: expected tpe, random or grid, got "cmaes"' \
    "$BIN" tune --model xgboost_standard $O --sampler cmaes
expect_fail "grid with floats" "--sampler grid: the space has a float dimension" \
    "$BIN" tune --model xgboost_standard $O --sampler grid
expect_fail "bad metric" "--metric mape2: not a metric" "$BIN" tune --model xgboost_standard $O --metric mape2
expect_fail "quantile metric, point model" "--metric wspl: scores quantiles, and xgboost_standard predicts none" \
    "$BIN" tune --model xgboost_standard $O --metric wspl
expect_fail "resume with a config flag" "--resume $S: the study's own settings are used; --model cannot be given" \
    "$BIN" tune --resume "$S" --model statquant
expect_fail "resume nothing" "study.db: no study here" "$BIN" tune --resume "$T/out"
expect_fail "resume with an argument" "tune: unexpected argument 'extra'" "$BIN" tune --resume "$S" extra
expect_fail "abandon-running without resume" "--abandon-running: it applies to a study continued with --resume" \
    "$BIN" tune --model xgboost_standard $O --abandon-running
mkdir -p "$T/exists/s1"
"$BIN" tune --model xgboost_standard --trials 2 --out "$T/exists" --name s1 >/dev/null 2>"$T/stderr"
[ $? -eq 2 ] && grep -q "already exists" "$T/stderr" && [ -z "$(ls "$T/exists/s1")" ] && ok \
    || bad "an existing study directory is refused"

echo "tune.sh: $PASS passed, $FAIL failed"
[ $FAIL -eq 0 ]

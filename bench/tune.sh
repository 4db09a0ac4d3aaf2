#!/usr/bin/env bash
# tune.sh — benchmark of forecast tune against Optuna 3.1 + xgboost
# (bench/tune_peer.py): the same space (xgboost_standard's default ranges),
# folds (3 of 28 days before the split date, each with its own validation
# window) and objective (fold mean of WRMSSE), on the bundled sample.
#
#   bench/tune.sh [SEEDS=5] [TRIALS=40]
#
# It
#   1. checks that both sides compute one objective: the peer evaluates the
#      best parameters of forecast's first study on the folds, and the two
#      objectives are printed side by side;
#   2. for each seed 1..SEEDS runs forecast tune --trials TRIALS --seed S and
#      the peer's Optuna study (TPESampler(seed=S), MedianPruner(5)), each
#      timed end to end, and prints both best objectives;
#   3. prints the medians over the seeds: forecast's best / Optuna's best (the
#      issue's goal: <= 1.01) and the wall-time ratio Optuna / forecast;
#   4. times the sampler alone at trial 200 (build/bench/tune_sampler:
#      forecast's ask, SQLite + TPE; tune_peer.py --ask: Optuna's ask + suggest,
#      in memory and in SQLite) and prints the ratios (goal: forecast <= 1/10).
# Results under bench/out/tune-<UTC timestamp>/ (results.tsv).
#
# Environment: FORECAST (default ./forecast), PY (default /usr/bin/python3).
# Use an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${1:-5}
TRIALS=${2:-40}
FORECAST=${FORECAST:-./forecast}
PY=${PY:-/usr/bin/python3}
export FORECAST
[ -x "$FORECAST" ] || { echo "tune.sh: $FORECAST missing: run make" >&2; exit 1; }
[ -x build/bench/tune_sampler ] || make -s build/bench/tune_sampler
OUT=bench/out/tune-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"
echo "data: data/sample.csv, config/default.json (xgboost_standard), $TRIALS trials, 3 folds"

now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf 'seed\tforecast_best\tforecast_s\toptuna_best\toptuna_s\n' >"$OUT/results.tsv"
for s in $(seq 1 "$SEEDS"); do
    t0=$(now)
    "$FORECAST" tune --model xgboost_standard --trials "$TRIALS" --folds 3 --seed "$s" \
        --name "s$s" --out "$OUT" --quiet >/dev/null
    t1=$(now)
    fb=$($PY -c 'import csv, sys
r = [float(x["wrmsse"]) for x in csv.DictReader(open(sys.argv[1])) if x["state"] == "complete"]
print(min(r))' "$OUT/s$s/trials.csv")
    peer=$($PY bench/tune_peer.py config/default.json "$TRIALS" 3 "$s")
    ob=$(echo "$peer" | $PY -c 'import json, sys; print(json.load(sys.stdin)["best"])')
    os=$(echo "$peer" | $PY -c 'import json, sys; print(json.load(sys.stdin)["wall_s"])')
    fs=$(echo "$t1 - $t0" | bc -l)
    printf '%s\t%s\t%.2f\t%s\t%.2f\n' "$s" "$fb" "$fs" "$ob" "$os" | tee -a "$OUT/results.tsv"
    if [ "$s" = 1 ]; then
        # one objective on both sides: forecast's best parameters through the peer
        $PY -c 'import csv, json, sys
r = [x for x in csv.DictReader(open(sys.argv[1])) if x["state"] == "complete"]
b = min(r, key=lambda x: float(x["wrmsse"]))
json.dump({k: (int(v) if k.endswith("max_depth") else float(v)) for k, v in b.items()
           if k.startswith("models.")}, open(sys.argv[2], "w"))
print(b["wrmsse"])' "$OUT/s1/trials.csv" "$OUT/best1.json" >"$OUT/best1.txt"
        pv=$($PY bench/tune_peer.py config/default.json 1 3 1 "$OUT/best1.json" |
             $PY -c 'import json, sys; print(json.load(sys.stdin)["objective"])')
        echo "objective check (seed 1's best parameters): forecast $(cat "$OUT/best1.txt"), peer $pv"
    fi
done
fbm=$(tail -n +2 "$OUT/results.tsv" | cut -f2 | median)
fsm=$(tail -n +2 "$OUT/results.tsv" | cut -f3 | median)
obm=$(tail -n +2 "$OUT/results.tsv" | cut -f4 | median)
osm=$(tail -n +2 "$OUT/results.tsv" | cut -f5 | median)
echo "median best objective over $SEEDS seeds: forecast $fbm, optuna $obm," \
     "forecast / optuna = $(echo "$fbm / $obm" | bc -l | cut -c1-6) (goal <= 1.01)"
echo "median wall time of a $TRIALS-trial study: forecast ${fsm} s, optuna ${osm} s," \
     "optuna / forecast = $(echo "$osm / $fsm" | bc -l | cut -c1-5)x"
rm -rf "$OUT/ask" && mkdir -p "$OUT/ask"
fa=$(build/bench/tune_sampler 200 "$OUT/ask" | $PY -c 'import json, sys; print(json.load(sys.stdin)["ask_ms_median"])')
oa=$($PY bench/tune_peer.py --ask 200)
oi=$(echo "$oa" | $PY -c 'import json, sys; print(json.load(sys.stdin)["inmemory_ms"])')
osq=$(echo "$oa" | $PY -c 'import json, sys; print(json.load(sys.stdin)["sqlite_ms"])')
echo "sampler time per trial at trial 200: forecast ${fa} ms (SQLite + TPE), optuna ${oi} ms" \
     "in memory, ${osq} ms in SQLite; forecast / optuna = $(echo "$fa / $oi" | bc -l | cut -c1-6)" \
     "(in memory), $(echo "$fa / $osq" | bc -l | cut -c1-6) (SQLite) (goal <= 0.1)"

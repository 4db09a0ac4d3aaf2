#!/usr/bin/env bash
# xgb_standard.sh — end-to-end benchmark: forecast's xgboost_standard plugin
# (C, XGBoost C API) against the Python peer (pandas + xgboost package,
# bench/xgb_peer.py) on the same 1M-row panel with the same config.
#
#   bench/xgb_standard.sh [REPEATS=5]
#
# Run from anywhere (it works from the repository root). It
#   1. builds nothing: ./forecast must exist and list xgboost_standard (make);
#   2. generates bench/data/panel_1000x1000.csv once (bench/gen_panel.py
#      1000 1000 ..., deterministic, ~160 MB) when it is missing;
#   3. REPEATS times, alternately:
#        (a) ./forecast train --config bench/xgb_standard.json --data FILE
#              --out DIR --name rK --quiet
#            timed end to end (wall clock around the command), and its training
#            phase = DIR/rK/run.json timings.fit_seconds;
#        (b) /usr/bin/python3 bench/xgb_peer.py FILE bench/xgb_standard.json DIR/peer_rK
#            timed end to end the same way, and its training phase = train_s
#            of the JSON line it prints;
#   4. prints the medians, the ratios peer / forecast ("forecast is X.XXx
#      faster") for training and end to end, and both test RMSEs (they should
#      agree: same data, split and hyperparameters).
# DIR is bench/out/<UTC timestamp>/; results.tsv there holds every repeat.
#
# Environment: FORECAST (default ./forecast), PY (default /usr/bin/python3).
# Use an otherwise idle machine: XGBoost uses every core (nthread 0) in both
# programs and busy OpenMP threads slow down badly when cores are shared.
set -euo pipefail

REPEATS=${1:-5}
case $REPEATS in ''|*[!0-9]*|0) echo "usage: $0 [REPEATS=5]  (a positive integer)" >&2; exit 2;; esac

cd "$(dirname "$0")/.."
FORECAST=${FORECAST:-./forecast}
PY=${PY:-/usr/bin/python3}
CONFIG=bench/xgb_standard.json
DATA=bench/data/panel_1000x1000.csv

if ! "$FORECAST" list-models 2>/dev/null | grep -q '^xgboost_standard'; then
    echo "$0: $FORECAST does not exist or has no xgboost_standard model (run make first)" >&2
    exit 2
fi
if ! "$PY" -c 'import numpy, pandas, xgboost' 2>/dev/null; then
    echo "$0: $PY cannot import numpy, pandas and xgboost (apt-get install python3-xgboost python3-pandas)" >&2
    exit 2
fi
if [ ! -f "$DATA" ]; then
    echo "generating $DATA ..." >&2
    "$PY" bench/gen_panel.py 1000 1000 "$DATA"
fi

DIR=bench/out/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$DIR"
RES=$DIR/results.tsv
printf 'repeat\tprogram\twall_s\ttrain_s\trmse\n' > "$RES"
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'; }
json_get() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d[k]
print(d)' "$1" "$2"; }

echo "benchmark: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $REPEATS repeat(s), $(nproc) core(s), load average $(cut -d' ' -f1-3 /proc/loadavg); results in $DIR" >&2
for K in $(seq 1 "$REPEATS"); do
    t0=$(now)
    "$FORECAST" train --config "$CONFIG" --data "$DATA" --out "$DIR" --name "r$K" --quiet --no-cache >/dev/null
    t1=$(now)
    fwall=$(elapsed "$t0" "$t1")
    ffit=$(json_get "$DIR/r$K/run.json" timings.fit_seconds)
    frmse=$(json_get "$DIR/r$K/xgboost_standard/combined/metrics.json" overall.rmse)
    printf '%s\tforecast\t%.4f\t%.4f\t%s\n' "$K" "$fwall" "$ffit" "$frmse" >> "$RES"

    t0=$(now)
    line=$("$PY" bench/xgb_peer.py "$DATA" "$CONFIG" "$DIR/peer_r$K")
    t1=$(now)
    pwall=$(elapsed "$t0" "$t1")
    ptrain=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["train_s"])' "$line")
    prmse=$(json_get "$DIR/peer_r$K/metrics.json" rmse)
    printf '%s\tpeer\t%.4f\t%.4f\t%s\n' "$K" "$pwall" "$ptrain" "$prmse" >> "$RES"
    printf '  repeat %d: forecast %.2fs (training %.2fs), python peer %.2fs (training %.2fs)\n' \
        "$K" "$fwall" "$ffit" "$pwall" "$ptrain" >&2
done

"$PY" - "$RES" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def med(prog, col):
    return statistics.median(float(r[col]) for r in rows if r["program"] == prog)
def say(what, f, p):
    r = p / f
    verdict = ("forecast is %.2fx faster" % r) if r >= 1 else ("forecast is %.2fx slower" % (1 / r))
    print("%-22s forecast %8.2fs   python peer %8.2fs   peer/forecast %.2f: %s" % (what, f, p, r, verdict))
n = sum(1 for r in rows if r["program"] == "forecast")
print("xgboost_standard, 1,000 series x 1,000 days (1M rows, 20 features), 200 rounds, "
      "depth 8, hist; medians of %d repeat(s)" % n)
say("training (fit phase):", med("forecast", "train_s"), med("peer", "train_s"))
say("end to end (wall):", med("forecast", "wall_s"), med("peer", "wall_s"))
fr = [float(r["rmse"]) for r in rows if r["program"] == "forecast"]
pr = [float(r["rmse"]) for r in rows if r["program"] == "peer"]
print("test RMSE: forecast %.6f, python peer %.6f (relative difference %.2g)"
      % (fr[-1], pr[-1], abs(fr[-1] - pr[-1]) / max(abs(pr[-1]), 1e-12)))
EOF

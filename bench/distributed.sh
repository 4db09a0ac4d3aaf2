#!/usr/bin/env bash
# distributed.sh — forecast train --distributed: one process, one worker and
# two local workers (XGBoost's tracker on 127.0.0.1) training the same
# combined xgboost_standard model on the 1M-row bench panel.
#
#   bench/distributed.sh [REPEATS=3]
#
# Each repeat runs, in turn:
#   single   ./forecast train --config bench/xgb_standard.json (all cores)
#   w1       one worker through the tracker (all cores)
#   w2       two workers through the tracker (cores / 2 threads each)
# every process under /usr/bin/time (elapsed, peak resident memory), and
# reads the test RMSE from metrics.json. Prints the medians: wall time of
# the whole, each worker's peak memory and rows, and the RMSE of each
# against the single process's (XGBoost's histogram cuts depend on how the
# rows are partitioned, so two workers train a slightly different model).
# Every variant parses the CSV (--no-cache): a worker reads the whole file
# and keeps the series its rank owns.
#
# Environment: FORECAST (default ./forecast), PY (default /usr/bin/python3).
set -euo pipefail

REPEATS=${1:-3}
case $REPEATS in ''|*[!0-9]*|0) echo "usage: $0 [REPEATS=3]  (a positive integer)" >&2; exit 2;; esac
cd "$(dirname "$0")/.."
FORECAST=${FORECAST:-./forecast}
PY=${PY:-/usr/bin/python3}
CONFIG=bench/xgb_standard.json
DATA=bench/data/panel_1000x1000.csv
[ -x /usr/bin/time ] || { echo "$0: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
"$PY" -c 'import xgboost.tracker' 2>/dev/null || { echo "$0: $PY has no xgboost (apt-get install python3-xgboost)" >&2; exit 2; }
[ -f "$DATA" ] || { echo "generating $DATA ..." >&2; "$PY" bench/gen_panel.py 1000 1000 "$DATA"; }

DIR=bench/out/dist-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$DIR"
RES=$DIR/results.tsv
printf 'repeat\tvariant\tworker\twall_s\tpeak_mb\trows\trmse\n' > "$RES"
CORES=$(nproc)
ARGS=(--config "$CONFIG" --data "$DATA" --no-cache --quiet)

json_get() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d[int(k)] if isinstance(d, list) else d[k]
print(d)' "$1" "$2"; }

# workers N NAME: N workers through a tracker, each timed; wall of the whole in $WALL
workers() {
    local n=$1 name=$2 t0 t1 k pids=()
    "$PY" -m xgboost.tracker --num-workers "$n" --host-ip 127.0.0.1 >"$DIR/tracker.out" 2>/dev/null &
    local tracker=$!
    for _ in $(seq 1 100); do grep -q DMLC_TRACKER_ENV_END "$DIR/tracker.out" && break; sleep 0.1; done
    t0=$(date +%s.%N)
    for ((k = 0; k < n; k++)); do
        env $(sed -n 's/^\(DMLC_[A-Z_]*=.*\)$/\1/p' "$DIR/tracker.out") DMLC_TASK_ID=$k \
            /usr/bin/time -f '%e %M' -o "$DIR/$name.task$k.time" \
            "$FORECAST" train --distributed --jobs $((CORES / n > 0 ? CORES / n : 1)) "${ARGS[@]}" \
            --out "$DIR" --name "$name" >/dev/null &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p"; done
    t1=$(date +%s.%N)
    kill "$tracker" 2>/dev/null || true
    WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
}

echo "benchmark: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $REPEATS repeat(s), $CORES core(s), load average $(cut -d' ' -f1-3 /proc/loadavg); results in $DIR" >&2
for K in $(seq 1 "$REPEATS"); do
    /usr/bin/time -f '%e %M' -o "$DIR/single$K.time" "$FORECAST" train "${ARGS[@]}" \
        --out "$DIR" --name "single$K" >/dev/null
    read -r w m < "$DIR/single$K.time"
    rmse=$(json_get "$DIR/single$K/xgboost_standard/combined/metrics.json" overall.rmse)
    rows=$(json_get "$DIR/single$K/run.json" data.rows)
    printf '%s\tsingle\t0\t%s\t%s\t%s\t%s\n' "$K" "$w" "$((m / 1024))" "$rows" "$rmse" >> "$RES"
    for n in 1 2; do
        workers "$n" "w$n-$K"
        rmse=$(json_get "$DIR/w$n-$K/xgboost_standard/combined/metrics.json" overall.rmse)
        for ((r = 0; r < n; r++)); do
            task=$(json_get "$DIR/w$n-$K/run.json" "distributed.shares.$r.task")
            rows=$(json_get "$DIR/w$n-$K/run.json" "distributed.shares.$r.rows")
            read -r w m < "$DIR/w$n-$K.task$task.time"
            printf '%s\tw%s\t%s\t%s\t%s\t%s\t%s\n' "$K" "$n" "$r" "$WALL" "$((m / 1024))" "$rows" "$rmse" >> "$RES"
        done
    done
    echo "  repeat $K done" >&2
done

"$PY" - "$RES" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def med(v, col, worker=None):
    return statistics.median(float(r[col]) for r in rows
                             if r["variant"] == v and (worker is None or r["worker"] == str(worker)))
n = len({r["repeat"] for r in rows})
print("xgboost_standard, 1,000 series x 1,000 days (1M rows, 20 features), 200 rounds, depth 8, "
      "hist; medians of %d repeat(s)" % n)
base = med("single", "wall_s")
for v, label, k in (("single", "one process", 1), ("w1", "1 worker", 1), ("w2", "2 workers", 2)):
    mem = ", ".join("rank %d %.0f MB (%d rows)" % (w, med(v, "peak_mb", w), med(v, "rows", w))
                    for w in range(k))
    print("%-12s wall %7.2fs (%.2fx one process's)   peak memory: %s   test RMSE %.6f" % (
        label + ":", med(v, "wall_s"), med(v, "wall_s") / base, mem, med(v, "rmse")))
s, two = med("single", "rmse"), med("w2", "rmse")
print("test RMSE, 2 workers vs one process: %+.3f%%" % (100 * (two - s) / s))
EOF

#!/usr/bin/env bash
# individual.sh — many-models benchmark: forecast's individual strategy (one
# xgboost_quantile model per series, trained by a pool of worker threads)
# against a Python peer doing the same work with pandas groupby slices, a
# multiprocessing pool and the xgboost package (bench/individual_peer.py);
# and forecast's scaling from --jobs 1 to --jobs 2.
#
#   bench/individual.sh [REPEATS=3]
#
# Workload (bench/individual.json): 1,000 series x 1,500 days (1.5M rows, 20
# features, bench/gen_panel.py), xgboost_quantile with 3 levels
# (0.1, 0.5, 0.9), 50 rounds, depth 6, learning rate 0.1, hist, 256 bins, no
# sampling, no early stopping; test = the last 28 days (split date
# 2024-01-12), validation = the 28 days before. Models = series x levels =
# 3,000.
#
# Run from anywhere (it works from the repository root). It
#   1. builds nothing: ./forecast must exist and list xgboost_quantile (make);
#   2. generates bench/data/panel_1000x1500.csv once (bench/gen_panel.py
#      1000 1500 ..., deterministic, ~235 MB, ~15 s) when it is missing;
#   3. REPEATS times, alternately, each under /usr/bin/time -f %M:
#        (a) ./forecast train --config bench/individual.json --data FILE
#              --strategy individual --jobs 1 --out DIR --name f1_rK --quiet
#        (b) ./forecast train --config bench/individual.json --data FILE
#              --strategy individual --jobs 2 --out DIR --name f2_rK --quiet
#        (c) /usr/bin/python3 bench/individual_peer.py FILE bench/individual.json
#              DIR/peer_rK --jobs 2
#      each timed end to end (wall clock around the command); the training
#      phase is, for forecast, run.json timings.total_seconds - load_seconds
#      (split, the worker pool, saving every model, scoring, writing the
#      outputs), for the peer train_s of the JSON line it prints (the pool,
#      from fork to the last worker's exit);
#   4. prints the medians: wall time, models per second (models / wall, and
#      models / training phase), forecast --jobs 2 / peer in models per
#      second (goal >= 1.3), forecast's scaling --jobs 1 -> --jobs 2 (goal
#      >= 1.8), peak memory of each, and the projected time of 7,000 series x
#      5 levels = 35,000 models at forecast --jobs 2's end-to-end rate.
# Peak memory: forecast is one process (threads), so /usr/bin/time's maximum
# RSS is its whole footprint. For the peer /usr/bin/time gives the largest
# single process of the tree (parent or one worker), not a sum; the peer also
# reports the peak of the summed PSS of parent + workers (sampled every
# 0.1 s), which is what the summary calls the peer's total.
#
# A default run takes about 25 minutes per repeat on 2 cores (forecast --jobs 1
# alone ~12 min); see bench/README.md.
# DIR is bench/out/individual-<UTC timestamp>/; results.tsv there holds every
# repeat. The forecast runs' per-series model directories (~480 MB a run) are
# deleted after each run unless KEEP_MODELS=1.
#
# Environment: FORECAST (default ./forecast), PY (default /usr/bin/python3),
# SERIES (default 1000: a smaller panel bench/data/panel_<SERIES>x1500.csv,
# generated the same way, for a quicker run), KEEP_MODELS (default 0),
# IDLE_WAIT (default 300).
# Use an otherwise idle machine with at least 2 cores. Before each run the
# script waits (up to IDLE_WAIT s) until other processes use < 10% of a core;
# it measures the CPU time other processes (and hypervisor steal) took during
# each run (/proc/stat) and says at the end when the machine was not idle.
set -euo pipefail

REPEATS=${1:-3}
case $REPEATS in ''|*[!0-9]*|0) echo "usage: $0 [REPEATS=3]  (a positive integer)" >&2; exit 2;; esac

cd "$(dirname "$0")/.."
FORECAST=${FORECAST:-./forecast}
PY=${PY:-/usr/bin/python3}
SERIES=${SERIES:-1000}
KEEP_MODELS=${KEEP_MODELS:-0}
case $SERIES in ''|*[!0-9]*|0) echo "$0: SERIES must be a positive integer" >&2; exit 2;; esac
CONFIG=bench/individual.json
DAYS=1500
DATA=bench/data/panel_${SERIES}x${DAYS}.csv
TIME=/usr/bin/time

if ! "$FORECAST" list-models 2>/dev/null | grep -q '^xgboost_quantile'; then
    echo "$0: $FORECAST does not exist or has no xgboost_quantile model (run make first)" >&2
    exit 2
fi
if ! "$PY" -c 'import numpy, pandas, xgboost' 2>/dev/null; then
    echo "$0: $PY cannot import numpy, pandas and xgboost (apt-get install python3-xgboost python3-pandas)" >&2
    exit 2
fi
if [ ! -x "$TIME" ]; then
    echo "$0: $TIME is missing (apt-get install time)" >&2
    exit 2
fi
if [ ! -f "$DATA" ]; then
    echo "generating $DATA ..." >&2
    "$PY" bench/gen_panel.py "$SERIES" "$DAYS" "$DATA"
fi

DIR=bench/out/individual-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$DIR"
RES=$DIR/results.tsv
printf 'repeat\tprogram\tjobs\twall_s\tload_s\ttrain_s\tfit_sum_s\tmodels\tmaxrss_kib\ttree_pss_kib\tself_plus_children_kib\tfit_rows\tval_rows\ttest_rows\tcpu_s\tother_cpu_s\n' > "$RES"
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'; }
HZ=$(getconf CLK_TCK)
# CPU time used by every process on the machine so far, in ticks (/proc/stat:
# user nice system irq softirq steal)
busy() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
# "cpu_s<TAB>other_cpu_s" of a finished command: its user + system time from
# /usr/bin/time's file (maxrss user system), and the CPU time the rest of the
# machine used meanwhile (busy ticks before / after minus the command's own)
cpu_cols() { # TIMEFILE BUSY0 BUSY1
    awk -v b0="$2" -v b1="$3" -v hz="$HZ" 'END { c = $2 + $3; o = (b1 - b0) / hz - c;
        if (o < 0) o = 0; printf "%.2f\t%.2f", c, o }' "$1"
}

# Waits (up to IDLE_WAIT seconds, default 300) until the rest of the machine
# uses less than a tenth of a core over 3 s, so that a run does not start in
# the middle of someone else's build; says so when it had to wait.
idle_share() { # over 3 s: busy cores, in percent
    local b0 b1
    b0=$(busy); sleep 3; b1=$(busy)
    echo $(( (b1 - b0) * 100 / (3 * HZ) ))
}
wait_idle() {
    local waited=0 share
    while share=$(idle_share); [ "$share" -ge 10 ]; do
        if [ "$waited" -ge "${IDLE_WAIT:-300}" ]; then
            echo "  (the machine is still busy, ${share}% of a core; going on)" >&2
            return
        fi
        [ "$waited" -eq 0 ] && echo "  (waiting for the machine to be idle: ${share}% of a core busy)" >&2
        waited=$((waited + 3))
    done
    [ "$waited" -eq 0 ] || echo "  (idle after ${waited}s)" >&2
}

# says one line on stderr about the last row of results.tsv
say_last() {
    tail -n 1 "$RES" | awk -F'\t' '{
        printf "  repeat %d: %-8s --jobs %d %7.1fs (training phase %.1fs), %5.2f models/s, cpu %.0fs, max RSS %d MiB%s; others used %.1f cpu s meanwhile\n",
            $1, $2, $3, $4, $6, $8 / $4, $15, $9 / 1024,
            ($2 == "peer" ? sprintf(", tree PSS %d MiB", $10 / 1024) : ""), $16 }' >&2
}

# one forecast run: appends its row to results.tsv
run_forecast() { # K JOBS
    local K=$1 J=$2 name=f$2_r$1 t0 t1 b0 b1 wall row
    wait_idle
    b0=$(busy); t0=$(now)
    "$TIME" -f '%M %U %S' -o "$DIR/$name.time" \
        "$FORECAST" train --config "$CONFIG" --data "$DATA" --strategy individual --jobs "$J" \
        --out "$DIR" --name "$name" --quiet >/dev/null
    t1=$(now); b1=$(busy)
    wall=$(elapsed "$t0" "$t1")
    row=$("$PY" - "$DIR/$name/run.json" "$(tail -n 1 "$DIR/$name.time" | cut -d' ' -f1)" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
t, s = r["timings"], r["split"]
models = sum(m["models_trained"] for m in r["models"]) * len(r["config"]["quantiles"])
print("%.4f\t%.4f\t%.4f\t%d\t%s\t\t\t%d\t%d\t%d" % (
    t["load_seconds"], t["total_seconds"] - t["load_seconds"], t["fit_seconds"], models,
    sys.argv[2], s["fit_rows"], s["validation_rows"], s["test_rows"]))
EOF
)
    printf '%s\tforecast\t%s\t%.4f\t%s\t%s\n' "$K" "$J" "$wall" "$row" \
        "$(cpu_cols "$DIR/$name.time" "$b0" "$b1")" >> "$RES"
    [ "$KEEP_MODELS" = 1 ] || rm -rf "$DIR/$name/xgboost_quantile/individual/series"
    say_last
}

# one peer run: appends its row to results.tsv
run_peer() { # K JOBS
    local K=$1 J=$2 t0 t1 b0 b1 wall line row
    wait_idle
    b0=$(busy); t0=$(now)
    line=$("$TIME" -f '%M %U %S' -o "$DIR/peer_r$K.time" \
        "$PY" bench/individual_peer.py "$DATA" "$CONFIG" "$DIR/peer_r$K" --jobs "$J")
    t1=$(now); b1=$(busy)
    wall=$(elapsed "$t0" "$t1")
    row=$("$PY" - "$line" "$(tail -n 1 "$DIR/peer_r$K.time" | cut -d' ' -f1)" <<'EOF'
import json, sys
p = json.loads(sys.argv[1])
print("%.4f\t%.4f\t\t%d\t%s\t%d\t%d\t%d\t%d\t%d" % (
    p["load_s"], p["train_s"], p["models"], sys.argv[2], p["peak_pss_tree_kib"],
    p["maxrss_self_plus_children_kib"], p["fit_rows"], p["validation_rows"], p["test_rows"]))
EOF
)
    printf '%s\tpeer\t%s\t%.4f\t%s\t%s\n' "$K" "$J" "$wall" "$row" \
        "$(cpu_cols "$DIR/peer_r$K.time" "$b0" "$b1")" >> "$RES"
    say_last
}

echo "benchmark: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $REPEATS repeat(s), $SERIES series x $DAYS days, $(nproc) core(s), load average $(cut -d' ' -f1-3 /proc/loadavg); results in $DIR" >&2
for K in $(seq 1 "$REPEATS"); do
    run_forecast "$K" 1
    run_forecast "$K" 2
    run_peer "$K" 2
done

"$PY" - "$RES" "$(nproc)" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
cores = int(sys.argv[2])
def sel(prog, jobs):
    return [r for r in rows if r["program"] == prog and r["jobs"] == str(jobs)]
def med(prog, jobs, col):
    return statistics.median(float(r[col]) for r in sel(prog, jobs))
F1, F2, P2 = ("forecast", 1), ("forecast", 2), ("peer", 2)
models = {k: int(sel(*k)[0]["models"]) for k in (F1, F2, P2)}
M = models[F2]
n = len(sel(*F2))
goal = lambda ok: "goal met" if ok else "GOAL NOT MET"
print("xgboost_quantile, individual strategy: %d series x 1,500 days, 20 features, 3 levels, "
      "50 rounds, depth 6, hist = %d models; %d core(s); medians of %d repeat(s)"
      % (M // 3, M, cores, n))
print("%-21s %8s %9s %10s %14s %7s %9s" % ("", "wall s", "models/s", "training s",
                                           "models/s (tr)", "cpu s", "peak MiB"))
for label, k in (("forecast --jobs 1", F1), ("forecast --jobs 2", F2),
                 ("python peer --jobs 2", P2)):
    w, t = med(*k, "wall_s"), med(*k, "train_s")
    mem = med(*k, "tree_pss_kib") if k == P2 else med(*k, "maxrss_kib")
    print("%-21s %8.1f %9.2f %10.1f %14.2f %7.0f %9.0f%s" % (
        label, w, models[k] / w, t, models[k] / t, med(*k, "cpu_s"), mem / 1024,
        "  (summed PSS, parent + workers)" if k == P2 else "  (max RSS, one process)"))
f2w, f1w, p2w = med(*F2, "wall_s"), med(*F1, "wall_s"), med(*P2, "wall_s")
f2t, f1t, p2t = med(*F2, "train_s"), med(*F1, "train_s"), med(*P2, "train_s")
r = (M / f2w) / (models[P2] / p2w)
rt = (M / f2t) / (models[P2] / p2t)
print("forecast --jobs 2 / python peer, models/s: end to end %.2fx, training phase %.2fx "
      "(goal >= 1.3x end to end: %s)" % (r, rt, goal(r >= 1.3)))
s = (M / f2w) / (models[F1] / f1w)
st = (M / f2t) / (models[F1] / f1t)
print("forecast scaling --jobs 1 -> --jobs 2, models/s: end to end %.2fx, training phase %.2fx "
      "(goal >= 1.8x end to end: %s)" % (s, st, goal(s >= 1.8)))
print("peak memory, python peer: largest single process %.0f MiB (/usr/bin/time), parent + "
      "largest worker ru_maxrss %.0f MiB, summed PSS of the tree %.0f MiB"
      % (med(*P2, "maxrss_kib") / 1024, med(*P2, "self_plus_children_kib") / 1024,
         med(*P2, "tree_pss_kib") / 1024))
print("per model, one worker: forecast %.1f ms fitting (run.json fit_seconds / models, "
      "--jobs 1), %.1f ms end to end (--jobs 1 wall / models)"
      % (1000 * med(*F1, "fit_sum_s") / models[F1], 1000 * f1w / models[F1]))
proj = 35000 / (M / f2w)
print("projection: 7,000 SKUs x 5 quantiles = 35,000 models at forecast --jobs 2's %.2f "
      "models/s (end to end, measured with 3 levels, %d series) = %.0f s = %.1f min on this "
      "machine" % (M / f2w, M // 3, proj, proj / 60))
same = all(len({r[c] for r in rows}) == 1 for c in ("fit_rows", "val_rows", "test_rows"))
print("split: forecast and peer %s (fit %s, validation %s, test rows %s)"
      % ("agree" if same else "DIFFER", rows[0]["fit_rows"], rows[0]["val_rows"],
         rows[0]["test_rows"]))
other = [float(r["other_cpu_s"]) / float(r["wall_s"]) for r in rows]
print("other processes (and steal) used %.0f%% of a core on average during the runs, "
      "%.0f%% in the worst run%s" % (100 * statistics.mean(other), 100 * max(other),
                                    "" if max(other) < 0.05 else
                                    ": the machine was NOT idle, the figures are disturbed"))
EOF

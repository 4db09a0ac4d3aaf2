#!/usr/bin/env bash
# mlp.sh — time per training step of the mlp_standard network: forecast's
# libtorch shim (build/bench/mlp_step, the plugin's own step: batch gathered
# by a shuffled permutation, forward, loss, backward, Adam) against the same
# network in Python PyTorch (bench/mlp_peer.py: nn.Sequential, MSELoss,
# torch.optim.Adam), same data, one thread each (libtorch and OpenBLAS).
#
#   bench/mlp.sh [REPEATS=5]
#
#   1. builds build/bench/mlp_step (make) and generates bench/data/mlp_x.f32 /
#      mlp_y.f32 once (200000 rows x 32 features, deterministic);
#   2. for batch 256 (500 steps) and batch 4096 (60 steps), REPEATS times
#      alternately, runs both; each prints the median ms per step over five
#      blocks of steps after 20 warm-up steps;
#   3. prints the medians over the repeats and the ratio peer / forecast
#      ("forecast is X.XXx faster"). Goal: >= 1.5x at 256, >= 0.95x at 4096.
# DIR is bench/out/<UTC timestamp>/; results.tsv there holds every repeat.
# Environment: PY (default /usr/bin/python3). Use an otherwise idle machine.
set -euo pipefail

REPEATS=${1:-5}
case $REPEATS in ''|*[!0-9]*|0) echo "usage: $0 [REPEATS=5]  (a positive integer)" >&2; exit 2;; esac

cd "$(dirname "$0")/.."
PY=${PY:-/usr/bin/python3}
STEP=build/bench/mlp_step
ROWS=200000
FEATURES=32
HIDDEN=64
make -s "$STEP"
if ! "$PY" -c 'import numpy, torch' 2>/dev/null; then
    echo "$0: $PY cannot import numpy and torch (apt-get install python3-torch)" >&2
    exit 2
fi
mkdir -p bench/data
X=bench/data/mlp_x.f32
Y=bench/data/mlp_y.f32
if [ ! -f "$X" ] || [ ! -f "$Y" ]; then
    echo "generating $X and $Y ..." >&2
    "$PY" bench/mlp_peer.py --generate "$ROWS" "$FEATURES" "$X" "$Y"
fi
DIR=bench/out/$(date -u +%Y%m%dT%H%M%SZ)-mlp
mkdir -p "$DIR"
RES=$DIR/results.tsv
printf 'batch\trepeat\tprogram\tstep_ms\n' >"$RES"
ms() { "$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["step_ms"])' "$1"; }
# one thread everywhere: OpenBLAS reads this at start-up; both programs also
# set libtorch's intra-op threads to 1
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1

echo "benchmark: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $REPEATS repeat(s), $(nproc) core(s), load average $(cut -d' ' -f1-3 /proc/loadavg); results in $DIR" >&2
for B in 256 4096; do
    S=$([ "$B" -eq 256 ] && echo 500 || echo 60)
    for K in $(seq 1 "$REPEATS"); do
        f=$(ms "$("$STEP" "$X" "$Y" "$ROWS" "$FEATURES" "$B" "$S" 20 "$HIDDEN")")
        p=$(ms "$("$PY" bench/mlp_peer.py "$X" "$Y" "$ROWS" "$FEATURES" "$B" "$S" 20 "$HIDDEN")")
        printf '%s\t%s\tforecast\t%s\n%s\t%s\tpeer\t%s\n' "$B" "$K" "$f" "$B" "$K" "$p" >>"$RES"
        printf '  batch %s, repeat %d: forecast %.3f ms/step, PyTorch %.3f ms/step\n' "$B" "$K" "$f" "$p" >&2
    done
done
"$PY" - "$RES" <<'PYEOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
goal = {"256": 1.5, "4096": 0.95}
for b in ("256", "4096"):
    f = statistics.median(float(r["step_ms"]) for r in rows if r["batch"] == b and r["program"] == "forecast")
    p = statistics.median(float(r["step_ms"]) for r in rows if r["batch"] == b and r["program"] == "peer")
    print("batch %5s: forecast %.3f ms/step, Python PyTorch %.3f ms/step (medians): "
          "forecast is %.2fx faster (goal >= %.2fx)" % (b, f, p, p / f, goal[b]))
PYEOF

#!/usr/bin/env bash
# derive.sh — derived features: forecast (src/data/derive.c, one core) against
# pandas groupby-shift / rolling / .dt on the same 1M rows (1,000 series x
# 1,000 days, bench/gen_panel.py 1000 1000): 6 lags, 6 rolling statistics
# (mean, std, min, max, median, sum) and the 8 calendar fields.
#
#   bench/derive.sh [REPEATS=5]
#
# Alternately, REPEATS times: build/bench/derive_step (the dataset from its
# binary cache, fc_derive timed alone) and bench/derive_peer.py (the CSV read
# excluded from its time). Every repeat compares all 20M values (NaN where
# the other has NaN, else within 1e-6 relative). Prints both medians and the
# ratio pandas / forecast.
set -euo pipefail
REPEATS=${1:-5}
cd "$(dirname "$0")/.."
PY=${PY:-/usr/bin/python3}
STEP=build/bench/derive_step
DATA=bench/data/panel_1000x1000.csv
make -s "$STEP"
"$PY" -c 'import pandas' 2>/dev/null || { echo "$0: $PY lacks pandas (python3-pandas)" >&2; exit 2; }
[ -f "$DATA" ] || "$PY" bench/gen_panel.py 1000 1000 "$DATA"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cat >"$TMP/config.json" <<JSON
{"data": {"path": "$DATA", "features": ["f0"], "ignore": []},
 "split": {"split_date": "2022-01-01"},
 "features": {"lags": [1, 7, 14, 28, 35, 42],
   "rolling": [{"stat": "mean", "window": 7, "lag": 1}, {"stat": "std", "window": 7, "lag": 1},
               {"stat": "min", "window": 14, "lag": 7}, {"stat": "max", "window": 14, "lag": 7},
               {"stat": "median", "window": 7, "lag": 28}, {"stat": "sum", "window": 28, "lag": 28}],
   "calendar": ["dow", "dom", "doy", "week", "month", "quarter", "year", "is_weekend"]}}
JSON
: >"$TMP/ours"; : >"$TMP/theirs"
for i in $(seq 1 "$REPEATS"); do
    "$STEP" "$TMP/config.json" "$TMP/f.f32" >"$TMP/meta.json"
    "$PY" bench/derive_peer.py "$DATA" "$TMP/f.f32" "$TMP/meta.json" >"$TMP/peer.json"
    "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["derive_s"])' "$TMP/meta.json" >>"$TMP/ours"
    "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["pandas_s"])' "$TMP/peer.json" >>"$TMP/theirs"
    echo "  repeat $i: forecast $(tail -1 "$TMP/ours") s, pandas $(tail -1 "$TMP/theirs") s; $(cat "$TMP/peer.json")" >&2
    "$PY" -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["mismatches"] != 0)' "$TMP/peer.json" \
        || { echo "$0: values differ from pandas'" >&2; exit 1; }
done
med() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ours=$(med <"$TMP/ours"); theirs=$(med <"$TMP/theirs")
printf 'derived features, %s: 20 columns over 1M rows, medians of %d repeat(s)\n' "$DATA" "$REPEATS"
printf 'forecast %.3f s, pandas %.3f s: pandas / forecast %.1fx; every value equal (1e-6)\n' \
    "$ours" "$theirs" "$(awk -v a="$theirs" -v b="$ours" 'BEGIN{print a/b}')"

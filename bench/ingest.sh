#!/usr/bin/env bash
# ingest.sh — CSV -> in-memory columns: forecast against pandas.read_csv on
# the same 1M-row x 24-column file (bench/gen_panel.py 1000 1000, ~157 MB).
#
#   bench/ingest.sh [REPEATS=5]
#
# Alternately, REPEATS times:
#   (a) forecast inspect --no-cache   (libcsv + exact number parsing, one core)
#   (b) forecast inspect              (the binary cache, written once before)
#   (c) /usr/bin/python3: pandas.read_csv(FILE) with default settings
#   (d) reading the cache file (1 MiB read()s into one buffer, timed inside
#       /usr/bin/python3): what reading it costs, the limit of a cached load
# Each is timed twice: the load alone, as the program reports it (forecast's
# "loaded in", pandas' own perf_counter around read_csv), and the whole
# process (wall clock, /usr/bin/time); peak RSS comes from /usr/bin/time.
# Prints the medians and the ratios pandas / forecast.
set -euo pipefail
REPEATS=${1:-5}
cd "$(dirname "$0")/.."
FORECAST=${FORECAST:-./forecast}
PY=${PY:-/usr/bin/python3}
DATA=bench/data/panel_1000x1000.csv
[ -x "$FORECAST" ] || { echo "$0: build forecast first (make)" >&2; exit 2; }
"$PY" -c 'import pandas' 2>/dev/null || { echo "$0: $PY lacks pandas (python3-pandas)" >&2; exit 2; }
[ -f "$DATA" ] || "$PY" bench/gen_panel.py 1000 1000 "$DATA"
ARGS=(inspect --data "$DATA" --set 'data.features=["f*"]' --set 'data.ignore=[]' --quiet)
"$FORECAST" "${ARGS[@]}" >/dev/null # writes the cache once
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cat >"$TMP/peer.py" <<'PY'
import sys, time
import pandas as pd
t = time.perf_counter()
df = pd.read_csv(sys.argv[1])
print("loaded in %.6f s" % (time.perf_counter() - t), len(df))
PY
run() { # command... -> "load_s wall_s maxrss_kib"
    /usr/bin/time -f "%e %M" -o "$TMP/time" "$@" >"$TMP/out" 2>/dev/null
    load=$(grep -o 'loaded in [0-9.]*' "$TMP/out" | awk '{print $3}')
    echo "$load $(cat "$TMP/time")"
}
: >"$TMP/csv"; : >"$TMP/cache"; : >"$TMP/pandas"; : >"$TMP/cat"
CACHE=$DATA.fccache
[ -f "$CACHE" ] || { echo "$0: no cache $CACHE after the first load" >&2; exit 2; }
cat_s() { # seconds to read the cache file (page cache warm) into one reused 1 MiB buffer
    "$PY" -c 'import sys, time
b = bytearray(1 << 20); t = time.perf_counter()
with open(sys.argv[1], "rb", buffering=0) as f:
    while f.readinto(b):
        pass
print("%.6f" % (time.perf_counter() - t))' "$CACHE"
}
for i in $(seq 1 "$REPEATS"); do
    run "$FORECAST" "${ARGS[@]}" --no-cache >>"$TMP/csv"
    run "$FORECAST" "${ARGS[@]}" >>"$TMP/cache"
    run "$PY" "$TMP/peer.py" "$DATA" >>"$TMP/pandas"
    cat_s >>"$TMP/cat"
    echo "  repeat $i: csv $(tail -1 "$TMP/csv")  cache $(tail -1 "$TMP/cache")  pandas $(tail -1 "$TMP/pandas")  (load_s wall_s rss_KiB)" >&2
done
med() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
col() { awk -v c="$2" '{print $c}' "$1" | med; }
size=$(stat -c %s "$DATA")
printf 'ingest, %s (%d MB, 1M rows x 24 columns), medians of %d repeat(s)\n' "$DATA" $((size / 1000000)) "$REPEATS"
printf '%-26s %10s %10s %12s\n' "" "load s" "wall s" "peak RSS MB"
for k in csv cache pandas; do
    printf '%-26s %10.3f %10.3f %12.0f\n' "$k" "$(col "$TMP/$k" 1)" "$(col "$TMP/$k" 2)" \
        "$(awk -v v="$(col "$TMP/$k" 3)" 'BEGIN{print v/1024}')"
done
awk -v pc="$(col "$TMP/pandas" 1)" -v fc="$(col "$TMP/csv" 1)" -v fk="$(col "$TMP/cache" 1)" \
    -v pw="$(col "$TMP/pandas" 2)" -v fw="$(col "$TMP/csv" 2)" -v kw="$(col "$TMP/cache" 2)" \
    -v pm="$(col "$TMP/pandas" 3)" -v fm="$(col "$TMP/csv" 3)" -v ct="$(col "$TMP/cat" 1)" 'BEGIN {
    printf "CSV -> columns: pandas/forecast %.2fx (load), %.2fx (whole process)\n", pc / fc, pw / fw
    printf "cached load:    pandas/forecast %.1fx (load), %.1fx (whole process)\n", pc / fk, pw / kw
    printf "peak memory:    forecast/pandas %.2fx\n", fm / pm
    printf "cached load:    %.3f s = %.2fx the time to read the cache file (%.3f s)\n", fk, fk / ct, ct
}'

#!/usr/bin/env bash
# distributed-local.sh N [train] ARGS... — forecast train --distributed with N
# workers on this machine: starts XGBoost's tracker on 127.0.0.1 (Debian's
# python3-xgboost: python3 -m xgboost.tracker), then N workers (task ids
# 0..N-1) with the tracker's DMLC_* variables, each with cores / N threads
# unless ARGS give --jobs. Prints rank 0's stdout (the run directory); each
# worker's stderr lines start with "[task K]".
#
# Exit status: 0 when every worker succeeded, else the status of the first
# worker that failed. Once one has failed, the others get FORECAST_DIST_GRACE
# seconds (default 60) to fail on their own (they do, through the collective)
# before they are killed; the tracker is always stopped.
#
# FORECAST: the forecast binary (default: ../forecast beside this script,
# else forecast on PATH). PYTHON: the interpreter with xgboost
# (default /usr/bin/python3).
set -u

usage() { echo "usage: $0 N [train] FORECAST_TRAIN_ARGS..." >&2; exit 2; }
[ $# -ge 1 ] || usage
n=$1
shift
case $n in '' | *[!0-9]*) usage ;; esac
[ "$n" -ge 1 ] || usage
[ "${1:-}" = train ] && shift

here=$(cd "$(dirname "$0")" && pwd)
bin=${FORECAST:-}
if [ -z "$bin" ]; then
    if [ -x "$here/../forecast" ]; then bin=$here/../forecast; else bin=forecast; fi
fi
python=${PYTHON:-/usr/bin/python3}
grace=${FORECAST_DIST_GRACE:-60}

args=("$@")
has_jobs=0
for a in "${args[@]}"; do
    case $a in --jobs | --jobs=*) has_jobs=1 ;; esac
done
if [ $has_jobs = 0 ]; then
    cores=$(nproc 2>/dev/null || echo 1)
    t=$((cores / n))
    [ $t -ge 1 ] || t=1
    args+=(--jobs "$t")
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/forecast-dist-XXXXXX") || exit 1
tracker=
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    [ -n "$tracker" ] && kill "$tracker" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$python" -m xgboost.tracker --num-workers "$n" --host-ip 127.0.0.1 --log-level INFO \
    >"$tmp/tracker.out" 2>"$tmp/tracker.err" &
tracker=$!
for _ in $(seq 1 300); do
    grep -q DMLC_TRACKER_ENV_END "$tmp/tracker.out" 2>/dev/null && break
    if ! kill -0 "$tracker" 2>/dev/null; then
        echo "distributed-local.sh: the tracker ($python -m xgboost.tracker) did not start:" >&2
        cat "$tmp/tracker.err" >&2
        exit 1
    fi
    sleep 0.1
done
if ! grep -q DMLC_TRACKER_ENV_END "$tmp/tracker.out"; then
    echo "distributed-local.sh: the tracker printed no address in 30 s" >&2
    exit 1
fi
while IFS='=' read -r k v; do
    case $k in DMLC_*) export "$k=$v" ;; esac
done < <(sed -n '/DMLC_TRACKER_ENV_START/,/DMLC_TRACKER_ENV_END/p' "$tmp/tracker.out")

for ((i = 0; i < n; i++)); do
    (
        export DMLC_TASK_ID=$i
        exec "$bin" train --distributed "${args[@]}" 2> >(sed -u "s/^/[task $i] /" >&2)
    ) &
    pids+=($!)
done

# wait for every worker; after the first failure, the others get a grace period
status=0
left=$n
failed_at=
declare -A done_
while [ "$left" -gt 0 ]; do
    for ((i = 0; i < n; i++)); do
        [ -n "${done_[$i]:-}" ] && continue
        if ! kill -0 "${pids[$i]}" 2>/dev/null; then
            wait "${pids[$i]}"
            rc=$?
            done_[$i]=1
            left=$((left - 1))
            if [ $rc -ne 0 ] && [ $status -eq 0 ]; then
                status=$rc
                failed_at=$SECONDS
            fi
        fi
    done
    if [ -n "$failed_at" ] && [ $((SECONDS - failed_at)) -ge "$grace" ] && [ "$left" -gt 0 ]; then
        echo "distributed-local.sh: $left worker(s) still running $grace s after a failure; killing them" >&2
        break
    fi
    [ "$left" -gt 0 ] && sleep 0.2
done
exit $status

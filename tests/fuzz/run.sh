#!/bin/bash
# run.sh BUILD SECONDS TARGET... — fuzzes each target for SECONDS with
# libFuzzer (make fuzz builds them), from its seed corpus tests/fuzz/corpus/T
# and dictionary tests/fuzz/T.dict; the corpus it grows stays in
# BUILD/corpus/T for the next run. Prints each target's executions, their
# rate and coverage; a crash is saved as BUILD/crash-T-* and fails the run:
# fix it, then put the input in tests/fuzz/regress/T/ so make check runs it.
set -u
cd "$(dirname "$0")/../.."
B=$1
S=$2
shift 2
fail=0
printf '%-8s %12s %10s %8s %s\n' target executions "exec/s" cov result
for t in "$@"; do
    mkdir -p "$B/corpus/$t"
    log="$B/fuzz-$t.log"
    dict=""
    [ -f "tests/fuzz/$t.dict" ] && dict="-dict=tests/fuzz/$t.dict"
    ASAN_OPTIONS=detect_leaks=1 "$B/fuzz/fuzz_$t" -max_total_time="$S" -timeout=10 \
        -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 $dict \
        -artifact_prefix="$B/crash-$t-" "$B/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1
    rc=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$')
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
    result=ok
    if [ $rc -ne 0 ]; then
        result="CRASH (rc $rc): $(ls "$B"/crash-"$t"-* 2>/dev/null | head -1), see $log"
        fail=1
    fi
    printf '%-8s %12s %10s %8s %s\n' "$t" "${runs:-?}" "${rate:-?}" "${cov:-?}" "$result"
done
exit $fail

# lib.sh — what the end-to-end scripts (tests/cli.sh, tests/tune.sh) share:
# the binary and the repository, a scratch directory removed at exit, the
# pass / fail tally, and expect_fail. Sourced with the binary as $1.
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d /tmp/forecast-cli-XXXXXX)
trap 'rm -rf "$T"' EXIT
PASS=0
FAIL=0

ok() { PASS=$((PASS + 1)); }
bad() { FAIL=$((FAIL + 1)); echo "FAIL: $*" >&2; }

# expect_fail DESCRIPTION SUBSTRING cmd...   (exit 2, message has SUBSTRING,
# nothing under $T/out)
expect_fail() {
    desc=$1; want=$2; shift 2
    rm -rf "$T/out"
    "$@" >"$T/stdout" 2>"$T/stderr"
    rc=$?
    if [ $rc -ne 2 ]; then
        bad "$desc: exit $rc, expected 2"; cat "$T/stderr" >&2; return
    fi
    if ! grep -qF -- "$want" "$T/stderr"; then
        bad "$desc: message lacks '$want':"; cat "$T/stderr" >&2; return
    fi
    if [ "$(grep -c 'forecast: error' "$T/stderr")" -ne 1 ]; then
        bad "$desc: expected exactly one error line"; cat "$T/stderr" >&2; return
    fi
    if [ -e "$T/out" ]; then
        bad "$desc: wrote $T/out"; return
    fi
    ok
}

# a checkout-like directory: config/ and data/ as in the repository
checkout() {
    W=$T/work
    mkdir -p "$W"
    cp -r "$ROOT/config" "$ROOT/data" "$W/"
    cd "$W" || exit 1
}

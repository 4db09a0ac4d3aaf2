#!/bin/sh
# deps.sh — make sure the Debian 12 packages forecast needs are installed.
#   scripts/deps.sh [GROUP...]         install what is missing (as root), or
#                                      print the exact command to run
#                                      (otherwise) and fail
#   scripts/deps.sh --list [GROUP...]  print the package list
# GROUP: run (what the binary needs to run every model), build (what
# building needs; it pulls in run), test (make check and bench/), all (those
# three), fuzz (make fuzz: clang and its libFuzzer runtime).
# Without a group: run and build, what scripts/setup.sh needs.
set -eu

# run: the shared libraries ./forecast links, libtorch (loaded on the first
# MLP call) and OpenBLAS, which takes over libblas.so.3 from the reference
# BLAS (about 8x slower) by its higher alternatives priority; `forecast
# --version` shows which one is active
RUN="libcjson1 libsqlite3-0 libcsv3 libssl3 libxgboost0 zlib1g libxxhash0 libarchive13 liblinear4 libgsl27 libgslcblas0 liblbfgsb0 libtorch1.13 libopenblas0-pthread"
# build: compilers and headers (libtorch-dev's closure is most of it)
BUILD="build-essential pkg-config libcjson-dev libsqlite3-dev libcsv-dev libssl-dev libxgboost-dev zlib1g-dev libxxhash-dev libarchive-dev liblinear-dev libgsl-dev libtorch-dev"
# test: the Check framework; the peers of the cross-checks in make check
# (tests/peers/) and of bench/, which also regenerate the golden fixtures and
# the sample data. (chromium, which renders report.html in tests/cli.sh, is
# optional: .ci/run installs it, the test is skipped without it.)
FUZZ="clang libclang-rt-14-dev"
TEST="check sqlite3 python3-numpy python3-scipy python3-sklearn python3-pandas python3-xgboost python3-torch python3-statsmodels python3-optuna"

list=0
if [ "${1:-}" = "--list" ]; then
    list=1
    shift
fi
[ $# -eq 0 ] && set -- run build
PACKAGES=""
for g in "$@"; do
    case "$g" in
    run) PACKAGES="$PACKAGES $RUN" ;;
    build) PACKAGES="$PACKAGES $RUN $BUILD" ;;
    test) PACKAGES="$PACKAGES $TEST" ;;
    all) PACKAGES="$PACKAGES $RUN $BUILD $TEST" ;;
    fuzz) PACKAGES="$PACKAGES $FUZZ" ;;
    *) echo "deps.sh: unknown group '$g' (expected run, build, test, all or fuzz)" >&2; exit 2 ;;
    esac
done
# each package once, in the order given
PACKAGES=$(echo $PACKAGES | tr ' ' '\n' | awk '!seen[$0]++' | tr '\n' ' ')

if [ $list = 1 ]; then
    echo $PACKAGES
    exit 0
fi

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
    echo "deps.sh: installing:$missing" >&2
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y $missing
else
    echo "deps.sh: missing Debian packages:$missing" >&2
    echo "deps.sh: run:  sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi

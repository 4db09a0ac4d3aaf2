#!/bin/sh
# deps.sh — make sure the Debian 12 packages forecast needs are installed.
#   scripts/deps.sh          install what is missing (as root), or print the
#                            exact command to run (otherwise) and fail
#   scripts/deps.sh --list   print the package list
set -eu

# build and run
PACKAGES="build-essential pkg-config libcjson-dev libcsv-dev libssl-dev check libxgboost-dev zlib1g-dev libxxhash-dev"
# the MLP plugins: libtorch (C++ API, CPU) and OpenBLAS, which takes over
# libblas.so.3 from the reference BLAS (about 8x slower) by its higher
# alternatives priority; `forecast --version` shows which one is active
PACKAGES="$PACKAGES libtorch-dev libopenblas0-pthread"
# peers: the cross-checks in make check (tests/peers/) and bench/ run against
# them; they also regenerate the golden fixtures and the sample data
PACKAGES="$PACKAGES python3-numpy python3-scipy python3-sklearn python3-pandas python3-xgboost python3-torch"

if [ "${1:-}" = "--list" ]; then
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

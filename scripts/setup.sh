#!/bin/sh
# setup.sh — from a fresh Debian 12 checkout to a trained model:
# installs the missing Debian packages (as root; otherwise prints the exact
# apt-get command and stops), builds ./forecast, and trains the statquant
# baseline on the bundled sample data (data/sample.csv).
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
make
./forecast train --model statquant

#!/bin/bash
# mlp_seeds.sh — how much an MLP's test RMSE depends on its seed: trains
# MODEL with K seeds (1, 1001, 2001, ...: far enough apart that seed
# averaging, which uses seed, seed + 1, ..., shares no network) on a config
# and prints each seed's test RMSE and best epoch, the median and the spread
# (max - min) / median. Not a timing.
#   bench/mlp_seeds.sh [--model M] [--seeds K] [--config FILE] [-- train options...]
set -eu
cd "$(dirname "$0")/.."
model=mlp_standard
K=5
config=""
while [ $# -gt 0 ]; do
    case $1 in
    --model) model=$2; shift 2 ;;
    --seeds) K=$2; shift 2 ;;
    --config) config="--config $2"; shift 2 ;;
    --) shift; break ;;
    *) echo "mlp_seeds.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
vals=""
for s in $(seq 1 "$K"); do
    seed=$((1 + 1000 * (s - 1))) # far apart: seed averaging uses seed, seed + 1, ...
    r=$(./forecast train --model "$model" $config --seed "$seed" --out "$out" --name "s$s" --quiet --no-cache "$@")
    rmse=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["overall"]["rmse"])' \
        "$r/$model/combined/metrics.json")
    ep=$(grep -o '"best_epoch":[[:space:]]*[0-9]*' "$r/$model/combined/model/meta.json" | grep -o '[0-9]*$' || echo "?")
    echo "seed $seed: test RMSE $rmse (best epoch $ep)"
    vals="$vals $rmse"
done
echo $vals | tr ' ' '\n' | sort -g | awk '{ v[NR] = $1 } END {
    med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%d seeds: median test RMSE %.4f, min %.4f, max %.4f, spread (max - min) / median %.1f%%\n",
        NR, med, v[1], v[NR], 100 * (v[NR] - v[1]) / med }'

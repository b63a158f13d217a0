#!/usr/bin/env bash
# A small multi-step analysis: generate -> filter -> fit -> plot.
# Usage: ./run.sh [SEED]   (writes into ./work/ and ./results/)
# The two steps can also be run (and recorded) one by one: ./prepare.sh SEED, then ./analyse.sh.
set -euo pipefail
cd "$(dirname "$0")"
seed="${1:-42}"
bash prepare.sh "$seed"
bash analyse.sh
echo "done: $(wc -l < work/clean.csv) points, fit in results/fit.json, figure results/fig1.svg"

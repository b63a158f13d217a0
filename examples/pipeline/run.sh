#!/usr/bin/env bash
# A small multi-step analysis: generate -> filter -> fit -> plot.
# Usage: ./run.sh [SEED]   (writes into ./work/ and ./results/)
set -euo pipefail
cd "$(dirname "$0")"
seed="${1:-42}"
mkdir -p work results
python3 generate.py --seed "$seed" --n 400 > work/raw.csv
# keep the valid rows, sorted by x (sort + awk, as a shell user would)
tail -n +2 work/raw.csv | awk -F, '$3 == "ok" { print $1 "," $2 }' | sort -t, -k1,1g > work/clean.csv
python3 fit.py work/clean.csv results/fit.json
python3 plot.py work/clean.csv results/fit.json results/fig1.svg
echo "done: $(wc -l < work/clean.csv) points, fit in results/fit.json, figure results/fig1.svg"

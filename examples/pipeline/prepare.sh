#!/usr/bin/env bash
# Step 1: generate raw measurements and keep the valid rows, sorted by x.
# Usage: ./prepare.sh [SEED]   (writes work/raw.csv and work/clean.csv)
set -euo pipefail
cd "$(dirname "$0")"
seed="${1:-42}"
mkdir -p work
python3 generate.py --seed "$seed" --n 400 > work/raw.csv
# keep the valid rows (awk, skipping the header), then sort them by x, as a shell user would.
# (No pipe between awk and sort: provtrace does not follow data through pipes yet.)
awk -F, 'NR > 1 && $3 == "ok" { print $1 "," $2 }' work/raw.csv > work/ok.tmp
sort -t, -k1,1g < work/ok.tmp > work/clean.csv
rm work/ok.tmp

#!/usr/bin/env bash
# Step 2: fit a line through work/clean.csv and plot it.
# Usage: ./analyse.sh   (writes results/fit.json and results/fig1.svg)
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p results
python3 fit.py work/clean.csv results/fit.json
python3 plot.py work/clean.csv results/fit.json results/fig1.svg

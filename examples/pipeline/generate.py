"""Generate noisy measurements y = slope x + intercept (+ noise), some flagged bad.

The true line, the noise and the share of bad rows come from a JSON file (--truth).
"""

import argparse
import json
import random

parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, default=42)
parser.add_argument("--n", type=int, default=400)
parser.add_argument("--truth", default="data/truth.json")
args = parser.parse_args()

with open(args.truth) as fh:
    truth = json.load(fh)
rng = random.Random(args.seed)
print("x,y,flag")
for _ in range(args.n):
    x = rng.uniform(0, 10)
    y = truth["slope"] * x + truth["intercept"] + rng.gauss(0, truth["noise"])
    flag = "bad" if rng.random() < truth["bad_fraction"] else "ok"
    print(f"{x:.4f},{y:.4f},{flag}")

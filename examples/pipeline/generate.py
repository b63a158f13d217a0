"""Generate noisy measurements y = 2.5 x + 1 (+ noise), some flagged bad."""

import argparse
import random

parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, default=42)
parser.add_argument("--n", type=int, default=400)
args = parser.parse_args()

rng = random.Random(args.seed)
print("x,y,flag")
for _ in range(args.n):
    x = rng.uniform(0, 10)
    y = 2.5 * x + 1.0 + rng.gauss(0, 1.5)
    flag = "bad" if rng.random() < 0.1 else "ok"
    print(f"{x:.4f},{y:.4f},{flag}")

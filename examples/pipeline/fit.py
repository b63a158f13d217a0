"""Least-squares line through the points of a CSV (x,y); writes JSON."""

import json
import sys

xs, ys = [], []
with open(sys.argv[1]) as fh:
    for line in fh:
        x, y = line.strip().split(",")
        xs.append(float(x))
        ys.append(float(y))
n = len(xs)
mx, my = sum(xs) / n, sum(ys) / n
sxx = sum((x - mx) ** 2 for x in xs)
sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
slope = sxy / sxx
intercept = my - slope * mx
with open(sys.argv[2], "w") as fh:
    json.dump({"n": n, "slope": round(slope, 6), "intercept": round(intercept, 6)}, fh, indent=1)

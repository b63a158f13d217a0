"""Scatter plot of the points with the fitted line, as a standalone SVG.

Usage: plot.py POINTS.csv FIT.json OUT.svg   (the look comes from plot.ini beside this script)
"""

import configparser
import json
import os
import sys

style = configparser.ConfigParser()
style.read(os.path.join(os.path.dirname(os.path.abspath(__file__)), "plot.ini"))
fig = style["figure"]
points = [tuple(map(float, line.split(","))) for line in open(sys.argv[1]) if line.strip()]
fit = json.load(open(sys.argv[2]))
W, H, M = fig.getint("width"), fig.getint("height"), fig.getint("margin")
xmax = max(x for x, _ in points) or 1
ymin, ymax = min(y for _, y in points), max(y for _, y in points)


def sx(x):
    return M + (W - 2 * M) * x / xmax


def sy(y):
    return H - M - (H - 2 * M) * (y - ymin) / ((ymax - ymin) or 1)


out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif">',
       f'<rect width="{W}" height="{H}" fill="white"/>',
       f'<text x="{W / 2}" y="20" text-anchor="middle">y = {fit["slope"]:.3f} x + {fit["intercept"]:.3f}'
       f' (n = {fit["n"]})</text>']
out += [f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2" fill="{fig["point_color"]}"/>' for x, y in points]
y0, y1 = fit["intercept"], fit["intercept"] + fit["slope"] * xmax
out.append(f'<line x1="{sx(0):.1f}" y1="{sy(y0):.1f}" x2="{sx(xmax):.1f}" y2="{sy(y1):.1f}" '
           f'stroke="{fig["line_color"]}" stroke-width="2"/>')
out.append("</svg>")
with open(sys.argv[3], "w") as fh:
    fh.write("\n".join(out) + "\n")

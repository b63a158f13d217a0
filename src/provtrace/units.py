"""Small formatting helpers shared by the CLI summary and the analysis texts."""

from __future__ import annotations


def human_size(n: int | float | None) -> str:
    """A byte count for people: ``512 B``, ``3.1 KiB``, ... (``-`` when unknown)."""
    if n is None:
        return "-"
    f = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if f < 1024 or unit == "GiB":
            return f"{int(f)} {unit}" if unit == "B" else f"{f:.1f} {unit}"
        f /= 1024
    return str(n)

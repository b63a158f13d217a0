"""Content hashes (BLAKE3) of file versions, with a persistent stat-keyed cache.

A version is identified in-process by (dev, ino, size, mtime_ns, ctime_ns); the
hash is computed after the run, and only when the file on disk still has that
stat tuple.  The cache lives in the store (table ``hash_cache``).  Like git's
index, an entry whose mtime or ctime is too close to the moment it was hashed
is "racily clean" — a later write within the timestamp granularity could leave
the tuple unchanged — so it is not cached and gets hashed again next time.
"""

from __future__ import annotations

import os
import stat
import time

from blake3 import blake3

RACY_WINDOW_NS = 2_000_000_000  # generous: covers coarse (jiffy) fs timestamps
_BUF = 1 << 20

StatKey = tuple[int, int, int, int, int]


def stat_key(st: os.stat_result) -> StatKey:
    """The version tuple of a stat result."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def hash_file(path: str, key: StatKey | None = None) -> tuple[str, int] | None:
    """BLAKE3 of a regular file's content as ``('blake3:<hex>', bytes)``.

    With ``key``, the file must have that stat tuple before and after reading it
    (otherwise the content is not that version's, and None is returned).
    None too if the file cannot be read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or (key is not None and stat_key(st) != key):
            return None
        h = blake3()
        n = 0
        while True:
            chunk = os.read(fd, _BUF)
            if not chunk:
                break
            h.update(chunk)
            n += len(chunk)
        if key is not None and stat_key(os.fstat(fd)) != key:
            return None  # changed while we read it
    except OSError:
        return None
    finally:
        os.close(fd)
    return "blake3:" + h.hexdigest(), n


def is_racy(key: StatKey, now_ns: int | None = None) -> bool:
    """True if a write within the timestamp granularity could hide behind this tuple."""
    now_ns = time.time_ns() if now_ns is None else now_ns
    return max(key[3], key[4]) >= now_ns - RACY_WINDOW_NS


def hash_versions(wanted: dict[StatKey, str], cached: dict[StatKey, str],
                  workers: int = 2) -> tuple[dict[StatKey, str], int, int]:
    """Hash the file versions in ``wanted`` (stat key -> a path having it).

    Keys found in ``cached`` are not read again.  Returns (key -> hash for every
    version whose content could be read at that version, bytes hashed, files hashed).
    """
    out = {k: cached[k] for k in wanted if k in cached}
    todo = [(p, k) for k, p in wanted.items() if k not in out]
    total = files = 0
    if not todo:
        return out, 0, 0
    if workers > 1 and len(todo) > 64:
        from concurrent.futures import ThreadPoolExecutor

        def work(part: list) -> list:
            return [hash_file(p, k) for p, k in part]

        size = -(-len(todo) // workers)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            parts = pool.map(work, [todo[i:i + size] for i in range(0, len(todo), size)])
        results = [r for part in parts for r in part]
    else:
        results = [hash_file(p, k) for p, k in todo]
    for (_, key), result in zip(todo, results):
        if result is not None:
            out[key] = result[0]
            total += result[1]
            files += 1
    return out, total, files

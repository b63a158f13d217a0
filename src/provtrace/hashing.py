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
from typing import Callable

from blake3 import blake3

RACY_WINDOW_NS = 2_000_000_000  # generous: covers coarse (jiffy) fs timestamps
_BUF = 1 << 20

StatKey = tuple[int, int, int, int, int]


def stat_key(st: os.stat_result) -> StatKey:
    """The version tuple of a stat result."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def hash_file(path: str) -> tuple[str, int] | None:
    """BLAKE3 of a regular file's content as ``('blake3:<hex>', bytes)``; None if unreadable."""
    try:
        with open(path, "rb", buffering=0) as fh:
            h = blake3()
            n = 0
            while True:
                chunk = fh.read(_BUF)
                if not chunk:
                    break
                h.update(chunk)
                n += len(chunk)
    except OSError:
        return None
    return "blake3:" + h.hexdigest(), n


class Hasher:
    """Hash files at known versions, consulting and filling a cache.

    :param lookup: returns the cached hash of a stat key, or None.
    :param remember: stores a hash for a stat key.
    """

    def __init__(self, lookup: Callable[[StatKey], str | None],
                 remember: Callable[[StatKey, str], None]) -> None:
        self.lookup = lookup
        self.remember = remember
        self.bytes_hashed = 0
        self.files_hashed = 0

    def hash_version(self, path: str, key: StatKey) -> str | None:
        """Hash of ``path`` if it still has the version ``key``; else None (content unknown)."""
        cached = self.lookup(key)
        if cached is not None:
            return cached
        try:
            st = os.stat(path)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode) or stat_key(st) != key:
            return None
        result = hash_file(path)
        if result is None:
            return None
        digest, n = result
        self.bytes_hashed += n
        self.files_hashed += 1
        try:
            after = os.stat(path)
        except OSError:
            return None
        if stat_key(after) != key:
            return None  # changed while we read it
        now = time.time_ns()
        if max(st.st_mtime_ns, st.st_ctime_ns) < now - RACY_WINDOW_NS:
            self.remember(key, digest)
        return digest

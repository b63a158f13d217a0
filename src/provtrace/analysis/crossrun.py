"""Cross-run queries, in the spirit of Provenance-Aware Condor (`provtrace query ...`).

Each query is one SQL statement with named parameters, kept here and quoted verbatim
in docs/queries.md (a test checks they agree), so what the CLI answers is exactly
what a user gets by running the documented SQL.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import time
from typing import Any

from ..hashing import hash_file
from ..store import Store
from .errors import BadTimeError, UnknownPathError
from .paths import is_system

FILES_USED = """\
SELECT f.path, 'read' AS how, v.size, v.hash
FROM file_events e JOIN files f ON f.id = e.file_id
LEFT JOIN versions v ON v.id = e.version_id
WHERE e.run_id = :run AND e.kind = 'read' AND e.result >= 0
UNION
SELECT f.path, 'exec' AS how, v.size, v.hash
FROM execs x JOIN files f ON f.id = x.file_id
LEFT JOIN versions v ON v.id = x.version_id
WHERE x.run_id = :run
ORDER BY 1, 2"""

OUTPUTS = """\
SELECT DISTINCT e.run_id, m.hostname, f.path, v.size, v.hash, e.ts_ns
FROM file_events e JOIN runs r ON r.id = e.run_id
JOIN machines m ON m.id = r.machine_id
JOIN files f ON f.id = e.file_id JOIN versions v ON v.id = e.version_id
WHERE e.kind = 'close' AND v.hash IS NOT NULL
  AND (:machine IS NULL OR m.hostname = :machine)
  AND (:since IS NULL OR e.ts_ns >= :since)
  AND (:until IS NULL OR e.ts_ns < :until)
ORDER BY e.ts_ns, f.path"""

READERS = """\
SELECT r.id AS run_id, r.argv, r.start_ns, m.hostname, f.path, v.hash
FROM versions v JOIN file_events e ON e.version_id = v.id
JOIN files f ON f.id = e.file_id JOIN runs r ON r.id = e.run_id
LEFT JOIN machines m ON m.id = r.machine_id
WHERE v.hash = :hash AND e.kind = 'read'
GROUP BY r.id, r.argv, r.start_ns, m.hostname, f.path, v.hash
ORDER BY r.start_ns, f.path"""

CHANGED_INPUTS = """\
WITH inputs AS (
  SELECT DISTINCT e.run_id, r.start_ns, e.file_id, v.hash
  FROM file_events e JOIN runs r ON r.id = e.run_id
  JOIN versions v ON v.id = e.version_id
  WHERE e.kind = 'read' AND e.op = 'open' AND v.hash IS NOT NULL
    AND r.start_ns < :until
    AND NOT EXISTS (SELECT 1 FROM file_events w
                    WHERE w.run_id = e.run_id AND w.file_id = e.file_id
                      AND w.kind IN ('write', 'create', 'close'))
), ordered AS (
  SELECT run_id, start_ns, file_id, hash,
         LAG(hash) OVER (PARTITION BY file_id ORDER BY start_ns, run_id) AS previous_hash,
         LAG(run_id) OVER (PARTITION BY file_id ORDER BY start_ns, run_id) AS previous_run
  FROM inputs
)
SELECT o.run_id, o.previous_run, f.path, o.previous_hash, o.hash
FROM ordered o JOIN files f ON f.id = o.file_id
WHERE o.start_ns >= :since AND o.previous_hash IS NOT NULL
  AND o.hash != o.previous_hash
ORDER BY o.start_ns, f.path"""

QUERIES = {"files-used": FILES_USED, "outputs": OUTPUTS, "readers": READERS, "changed-inputs": CHANGED_INPUTS}

_REL = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_time(text: str | None, now: float | None = None) -> int | None:
    """A time given by a user, as ns since the epoch (None stays None).

    Accepts ISO dates and times in local time (``2026-11-21``, ``2026-11-21 14:30``,
    ``2026-11-21T14:30:00+01:00``), ``now``, ``today``, ``yesterday``, and durations
    ago (``90s``, ``30m``, ``2h``, ``7d``, ``1w``).
    """
    if text is None:
        return None
    t = text.strip()
    now = time.time() if now is None else now
    m = _REL.match(t)
    if m:
        return int((now - float(m.group(1)) * _UNIT[m.group(2)]) * 1e9)
    if t in ("now", "today", "yesterday"):
        if t == "now":
            return int(now * 1e9)
        day = dt.datetime.fromtimestamp(now).replace(hour=0, minute=0, second=0, microsecond=0)
        if t == "yesterday":
            day -= dt.timedelta(days=1)
        return int(day.timestamp() * 1e9)
    try:
        return int(dt.datetime.fromisoformat(t).timestamp() * 1e9)
    except ValueError:
        raise BadTimeError(f"{text!r} is not a time: use a date (2026-11-21), a date and time "
                           "(2026-11-21 14:30), now/today/yesterday, or a duration ago (2h, 7d)") from None


def _keep(rows: list[dict[str, Any]], system: bool) -> list[dict[str, Any]]:
    return rows if system else [r for r in rows if not is_system(r["path"])]


def files_used(store: Store, run_id: int, system: bool = False) -> list[dict[str, Any]]:
    """Files run ``run_id`` read or executed, with the version it used."""
    return _keep(store.query(FILES_USED, {"run": run_id}), system)


def outputs(store: Store, machine: str | None = None, since: int | None = None, until: int | None = None,
            system: bool = False) -> list[dict[str, Any]]:
    """Outputs (versions left by writes) on a machine (host name) and/or in a time window (ns)."""
    if machine is not None and not store.query("SELECT 1 FROM machines WHERE hostname = ?", (machine,)):
        raise UnknownPathError(f"no recorded run ran on a machine named {machine!r}")
    return _keep(store.query(OUTPUTS, {"machine": machine, "since": since, "until": until}), system)


def resolve_hash(store: Store, what: str) -> str:
    """A content hash from a file path (its current content) or a full or abbreviated hash."""
    if os.path.exists(what) and not os.path.isdir(what):
        hashed = hash_file(what)
        if hashed is None:
            raise UnknownPathError(f"cannot read {what}")
        return hashed[0]
    text = what if what.startswith("blake3:") else "blake3:" + what
    if re.fullmatch(r"blake3:[0-9a-f]{6,64}", text):
        rows = store.query("SELECT DISTINCT hash FROM versions WHERE hash >= ? AND hash < ? LIMIT 2",
                           (text, text + "g"))
        if len(rows) == 1:
            return rows[0]["hash"]
        if len(rows) > 1:
            raise UnknownPathError(f"{what} is ambiguous: more than one recorded version starts with it")
        raise UnknownPathError(f"no recorded version has the hash {what}")
    raise UnknownPathError(f"{what} is neither an existing file nor a content hash")


def readers(store: Store, what: str) -> list[dict[str, Any]]:
    """Runs that read a given file version (a path: its current content; or a hash)."""
    digest = resolve_hash(store, what)
    rows = store.query(READERS, {"hash": digest})
    for r in rows:
        r["argv"] = json.loads(r["argv"])
    return rows


def changed_inputs(store: Store, since: int, until: int, system: bool = False) -> list[dict[str, Any]]:
    """Runs started in [since, until) that read an input whose content differs from the previous reader's."""
    return _keep(store.query(CHANGED_INPUTS, {"since": since, "until": until}), system)

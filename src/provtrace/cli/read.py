"""`provtrace runs`, `show` and `sql`: reading the store back."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shlex
import sys

import click

from ..store import locate_store, open_store
from ..store.queries import list_runs, readonly_sql, run_detail
from .common import store_option


def _when(ns: int | None) -> str:
    if not ns:
        return "-"
    return dt.datetime.fromtimestamp(ns / 1e9).strftime("%Y-%m-%d %H:%M:%S")


def _exit(code, sig) -> str:
    if sig:
        return f"signal {sig}"
    return "-" if code is None else str(code)


def _console():
    from rich.console import Console

    return Console(soft_wrap=False)


@click.command("runs")
@store_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("-n", "--limit", type=int, default=None, help="Only the newest N runs.")
def runs_cmd(store, as_json, limit) -> None:
    """The notebook of recorded runs.

    \b
    Example:
        provtrace runs -n 10
    """
    with open_store(locate_store(store), readonly=True) as db:
        rows = list_runs(db, limit)
    if as_json:
        click.echo(json.dumps(rows, indent=1))
        return
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for col, just in (("id", "right"), ("label", "left"), ("command", "left"), ("start", "left"),
                      ("duration", "right"), ("exit", "right"), ("processes", "right"), ("files", "right")):
        table.add_column(col, justify=just)
    for r in rows:
        cmd = shlex.join(r["argv"])
        table.add_row(str(r["id"]), r["label"] or "", cmd if len(cmd) < 60 else cmd[:57] + "...",
                      _when(r["start_ns"]), f"{r['duration_s']:.2f}s" if r["duration_s"] is not None else "-",
                      _exit(r["exit_code"], r["signal"]), str(r["processes"]), str(r["files"]))
    _console().print(table)


@click.command("show")
@store_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--env/--no-env", "with_env", default=True, help="Show the environment of the command.")
@click.option("--detail", is_flag=True, help="Classify every file (input, output, transient, configuration, "
              "system, executable) and list each exec's parameters.")
@click.option("--system", is_flag=True, help="With --detail: list the system dependencies too.")
@click.argument("run", default="last")
def show_cmd(store, as_json, with_env, detail, system, run) -> None:
    """A run: process tree, files read / written / executed with hashes, connections, env.

    RUN is a run id or `last` (the default).

    \b
    Example:
        provtrace show 3
        provtrace show last --json | jq '.files.written'
        provtrace show 3 --detail
    """
    if detail:
        from ..analysis import classify_run
        from ..analysis.text import render_classification

        with open_store(locate_store(store), readonly=True) as db:
            files = classify_run(db, db.resolve_run(run))
        click.echo(json.dumps(files.as_dict(), indent=1) if as_json else render_classification(files, system))
        return
    with open_store(locate_store(store), readonly=True) as db:
        detail = run_detail(db, db.resolve_run(run))
    if as_json:
        click.echo(json.dumps(detail, indent=1))
        return
    _print_detail(detail, with_env)


def _print_detail(d: dict, with_env: bool) -> None:
    out = []
    r = d["run"]
    out.append(f"run {r['id']}{'  [' + r['label'] + ']' if r['label'] else ''}: {shlex.join(r['argv'])}")
    m = d["machine"] or {}
    out.append(f"  cwd {r['cwd']}  user {r['username']}  host {m.get('hostname', '?')}  "
               f"start {_when(r['start_ns'])}  exit {_exit(r['exit_code'], r['signal'])}")
    out.append(f"  {r['records']} records, {r['dropped']} dropped, {r['torn_bytes']} torn bytes")
    for spot in r["blind_spots"]:
        out.append(f"  blind spot: {spot.get('detail')}")
    out.append("")
    out.append("processes:")
    children: dict = {}
    for p in d["processes"]:
        children.setdefault(p["parent_id"], []).append(p)
    ids = {p["id"] for p in d["processes"]}

    def walk(p, depth):
        images = p["execs"] or []
        label = " ; ".join(shlex.join(x["argv"]) or x["path"] or "?" for x in images) or "(forked, no exec)"
        untraced = " [untraced: " + images[-1]["exe_class"] + "]" if images and images[-1]["tracer"] == "untraced" else ""
        out.append(f"  {'  ' * depth}{p['pid']} {p['creation']}: {label[:150]}{untraced} "
                   f"-> {_exit(p['exit_code'], p['signal'])}")
        for c in children.get(p["id"], []):
            walk(c, depth + 1)

    for p in d["processes"]:
        if p["parent_id"] is None or p["parent_id"] not in ids:
            walk(p, 0)
    for title in ("read", "written", "executed", "deleted"):
        files = d["files"][title]
        out.append("")
        out.append(f"files {title} ({len(files)}):")
        for f in files:
            h = (f["hash"] or "").replace("blake3:", "")[:16]
            size = "" if f["size"] is None else f"{f['size']:>10} "
            out.append(f"  {size}{h:16} {f['path']}")
    out.append("")
    out.append(f"libraries loaded: {len(d['files']['libraries'])}")
    if d["connections"]:
        out.append("")
        out.append("connections:")
        for c in d["connections"]:
            host = f" ({c['host']})" if c["host"] else ""
            ok = "" if c["result"] is not None and c["result"] >= 0 else f" failed errno {c['errno']}"
            out.append(f"  {c['op']} {c['family']} {c['address']}:{c['port']}{host}{ok}")
    if with_env and d["env"]:
        out.append("")
        out.append("environment:")
        for k in sorted(d["env"]):
            out.append(f"  {k}={d['env'][k]}")
    click.echo("\n".join(out))


@click.command("sql")
@store_option
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (a list of objects).")
@click.argument("query")
def sql_cmd(store, as_csv, as_json, query) -> None:
    """Run a read-only SQL query over the store (schema: docs/schema.md).

    \b
    Example:
        provtrace sql "SELECT f.path FROM file_events e JOIN files f ON f.id = e.file_id
                       WHERE e.run_id = 3 AND e.kind = 'write'"
    """
    with open_store(locate_store(store), readonly=True) as db:
        cols, rows = readonly_sql(db, query)
    if as_json:
        click.echo(json.dumps([dict(zip(cols, r)) for r in rows], indent=1))
    elif as_csv:
        w = csv.writer(sys.stdout)
        w.writerow(cols)
        w.writerows(rows)
    else:
        click.echo("\t".join(cols))
        for r in rows:
            click.echo("\t".join("" if v is None else str(v) for v in r))

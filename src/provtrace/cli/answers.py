"""`provtrace why`, `graph`, `diff`, `status` and `query`: answers from recorded provenance."""

from __future__ import annotations

import json
import os

import click

from .. import analysis as A
from ..analysis import text as T
from ..store import locate_store, open_store
from .common import Exit, store_option

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
system_option = click.option("--system", is_flag=True,
                             help="Include system files (libraries, interpreter modules, /etc, /proc, /dev).")


def _dump(data: object) -> None:
    click.echo(json.dumps(data, indent=1, default=str))


def _open(store: str | None):
    return open_store(locate_store(store), readonly=True)


@click.command("why")
@store_option
@click.option("--depth", type=click.IntRange(min=0), default=None, help="Follow at most N producing steps back.")
@click.option("--all-versions", is_flag=True, help="A tree for every recorded version of PATH, newest first.")
@system_option
@json_option
@click.argument("path")
def why_cmd(store, depth, all_versions, system, as_json, path) -> None:
    """Lineage of PATH: which process of which run wrote it, from what, recursively across runs.

    The file on disk is matched to a recorded version by content hash; if it
    matches none, the last recorded version is shown and you are told so.

    \b
    Example:
        provtrace why results/fig1.svg
        provtrace why results/fig1.svg --depth 1 --json
    """
    with _open(store) as db:
        lineage = A.why(db, path, depth=depth, all_versions=all_versions, system=system)
    if as_json:
        _dump(lineage.as_dict())
    else:
        click.echo(T.render_lineage(lineage))


@click.command("graph")
@store_option
@click.option("--format", "fmt", type=click.Choice(A.FORMATS), default=None,
              help="Output format (default: from the -o suffix, else dot).")
@click.option("--level", type=click.Choice(("process", "exec")), default="process", show_default=True,
              help="One node per process, or per program image (exec).")
@click.option("--group-threshold", type=int, default=150, show_default=True,
              help="Group files by directory beyond this many file nodes (0: never).")
@system_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to FILE instead of standard output.")
@click.argument("runs", nargs=-1, required=True)
def graph_cmd(store, fmt, level, group_threshold, system, output, runs) -> None:
    """The dataflow graph of one or more RUNS: processes and file versions, read/write/exec/fork edges.

    A version written by one run and read by another is one node, so
    several runs form one graph.  SVG needs Graphviz (`dot`).

    \b
    Example:
        provtrace graph last -o flow.svg
        provtrace graph 3 4 --format json | jq '.edges | length'
    """
    if fmt is None:
        suffix = os.path.splitext(output or "")[1].lstrip(".").lower()
        fmt = suffix if suffix in A.FORMATS else "dot"
    with _open(store) as db:
        ids = [db.resolve_run(r) for r in runs]
        g = A.build_graph(db, ids, level=level, system=system, group_threshold=group_threshold or None)
    text = A.render(g, fmt)
    if output:
        with open(output, "w") as fh:
            fh.write(text)
        click.echo(f"provtrace: wrote {g.number_of_nodes()} nodes, {g.number_of_edges()} edges to {output}", err=True)
    else:
        click.echo(text, nl=not text.endswith("\n"))


@click.command("diff")
@store_option
@json_option
@click.argument("run_a")
@click.argument("run_b")
def diff_cmd(store, as_json, run_a, run_b) -> None:
    """What differs between RUN_A and RUN_B, and where their dataflow first diverges.

    Command line, environment (secrets redacted), machine, executables and
    scripts, inputs, outputs, processes, exit statuses.

    \b
    Example:
        provtrace diff 3 4
        provtrace diff 3 last --json | jq .outputs.changed
    """
    with _open(store) as db:
        result = A.diff_runs(db, db.resolve_run(run_a), db.resolve_run(run_b))
    if as_json:
        _dump(result.as_dict())
    else:
        click.echo(T.render_diff(result))


@click.command("status")
@store_option
@click.option("--run", "run", default=None, help="Check the outputs of this run.")
@system_option
@json_option
@click.argument("paths", nargs=-1)
def status_cmd(store, run, system, as_json, paths) -> None:
    """Recorded outputs that are stale because an input or executable changed since (like make -n).

    PATHS are output files or directories (default: the current directory).
    Exits 0 when every output is current, 1 otherwise.

    \b
    Example:
        provtrace status
        provtrace status results/ --json
        provtrace status --run 3
    """
    with _open(store) as db:
        run_id = db.resolve_run(run) if run is not None else None
        report = A.status(db, list(paths) or None, run=run_id, system=system)
    if as_json:
        _dump(report.as_dict())
    else:
        click.echo(T.render_status(report, os.getcwd()))
    if not report.ok:
        raise Exit(1)


@click.group("query")
@store_option
@click.pass_context
def query_group(ctx, store) -> None:
    """Cross-run questions (the SQL behind each is in docs/queries.md).

    \b
    Example:
        provtrace query files-used 3
        provtrace query outputs --machine node17 --since 2026-11-01
        provtrace query readers data/input.csv
        provtrace query changed-inputs --since 7d
    """
    ctx.obj = store


def _store(store: str | None) -> str | None:
    """The subcommand's --store, else the group's."""
    return store if store is not None else click.get_current_context().obj


def _rows(rows: list, as_json: bool) -> None:
    if as_json:
        _dump(rows)
    else:
        click.echo(T.render_rows(rows))


@query_group.command("files-used")
@store_option
@system_option
@json_option
@click.argument("run", default="last")
def files_used_cmd(store, system, as_json, run) -> None:
    """Files RUN read or executed, with the version it used.

    \b
    Example:
        provtrace query files-used 3 --json
    """
    with _open(_store(store)) as db:
        rows = A.files_used(db, db.resolve_run(run), system=system)
    _rows(rows, as_json)


@query_group.command("outputs")
@store_option
@click.option("--machine", default=None, help="Host name of the machine the outputs were written on.")
@click.option("--since", default=None, help="Written at or after (2026-11-21, '2026-11-21 14:30', 2h, 7d).")
@click.option("--until", default=None, help="Written before.")
@system_option
@json_option
def outputs_cmd(store, machine, since, until, system, as_json) -> None:
    """Outputs written on a machine and/or in a time window.

    \b
    Example:
        provtrace query outputs --machine node17 --since yesterday
    """
    with _open(_store(store)) as db:
        rows = A.outputs(db, machine, A.parse_time(since), A.parse_time(until), system=system)
    _rows(rows, as_json)


@query_group.command("readers")
@store_option
@json_option
@click.argument("path_or_hash")
def readers_cmd(store, as_json, path_or_hash) -> None:
    """Runs that read a file version: PATH (its current content) or a (prefix of a) BLAKE3 hash.

    \b
    Example:
        provtrace query readers data/input.csv
        provtrace query readers blake3:8865cc7751dc
    """
    with _open(_store(store)) as db:
        rows = A.readers(db, path_or_hash)
    _rows(rows, as_json)


@query_group.command("changed-inputs")
@store_option
@click.option("--since", required=True, help="Runs started at or after (2026-11-21, 7d, ...).")
@click.option("--until", default="now", show_default=True, help="Runs started before.")
@system_option
@json_option
def changed_inputs_cmd(store, since, until, system, as_json) -> None:
    """Runs in a time window that read an input with other content than the run before them.

    \b
    Example:
        provtrace query changed-inputs --since 2026-11-01 --until 2026-11-15
    """
    with _open(_store(store)) as db:
        rows = A.changed_inputs(db, A.parse_time(since), A.parse_time(until), system=system)
    _rows(rows, as_json)


ANSWER_COMMANDS = (why_cmd, graph_cmd, diff_cmd, status_cmd, query_group)

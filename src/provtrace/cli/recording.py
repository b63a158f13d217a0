"""`provtrace init`, `record` and `ingest`."""

from __future__ import annotations

import json

import click

from ..record import ENV_MODES, TRACE_MODES, ingest_kept, record
from ..record.launch import eprint
from ..store import init_store_dir, open_store
from .common import store_option
from .summary import print_summary


@click.command("init")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def init_cmd(directory: str | None) -> None:
    """Create a .provtrace/ store in DIRECTORY (default: here); runs below it land there.

    \b
    Example:
        provtrace init && provtrace record -- make
    """
    path = init_store_dir(directory)
    open_store(path).close()
    click.echo(f"provtrace: store ready at {path}")


@click.command("record", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@store_option
@click.option("--label", default=None, help="A note to find the run by later.")
@click.option("--env", "env_mode", type=click.Choice(ENV_MODES), default="redacted", show_default=True,
              help="Store environments with secret-looking values hidden, in full, or not at all.")
@click.option("--summary-json", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Also write the run summary as JSON to this file.")
@click.option("--mode", "mode", type=click.Choice(TRACE_MODES), default="auto", show_default=True,
              help="auto: the preload library, and ptrace for static, Go and non-glibc executables; "
                   "preload: never ptrace; ptrace: trace every process through the supervisor "
                   "(programs that make system calls directly; comparison).")
@click.option("-q", "--quiet", is_flag=True, help="Print no summary.")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def record_cmd(store, label, env_mode, summary_json, mode, quiet, command) -> None:
    """Run COMMAND, record it and every process it starts, store the run.

    The command keeps your terminal; provtrace exits with its exit status
    (128+N if it died of signal N) and prints a summary on stderr.

    \b
    Example:
        provtrace record -- ./plot.sh 42
        provtrace record --label baseline -- make -j2
    """
    from .common import Exit

    argv = list(command)
    if argv and argv[0] == "--":
        argv = argv[1:]
    rec = record(argv, store=store, label=label, env_mode=env_mode, note=eprint, mode=mode)
    summary = rec.summary()
    if summary_json:
        with open(summary_json, "w") as fh:
            json.dump(summary, fh, indent=1)
    if not quiet:
        print_summary(summary)
    raise Exit(rec.finished.exit_code)


@click.command("ingest")
@store_option
@click.argument("session_dir", type=click.Path(exists=True, file_okay=False))
def ingest_cmd(store, session_dir) -> None:
    """Store a session log that was kept because storing it failed.

    \b
    Example:
        provtrace ingest /dev/shm/provtrace-abc123
    """
    result = ingest_kept(session_dir, store)
    click.echo(f"provtrace: stored as run {result.written.run_id} ({result.records} records)", err=True)

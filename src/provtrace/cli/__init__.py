"""The `provtrace` command: click commands that parse, call the library, print."""

from __future__ import annotations

import sys

import click

from .. import __version__
from .answers import ANSWER_COMMANDS
from .common import run_cli
from .read import runs_cmd, show_cmd, sql_cmd
from .recording import ingest_cmd, init_cmd, record_cmd


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="provtrace")
def cli() -> None:
    """Record what a command and every process it starts read, wrote, ran and talked to.

    \b
    Example:
        provtrace record -- ./plot.sh 42
        provtrace runs
        provtrace show last
    """


for command in (init_cmd, record_cmd, ingest_cmd, runs_cmd, show_cmd, sql_cmd, *ANSWER_COMMANDS):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: one-line errors, no tracebacks."""
    sys.exit(run_cli(cli, argv))

"""The `provtrace` command: click commands that parse, call the library, print.

Command modules are imported only when their command runs: `provtrace record`
must not pay for the graph or export libraries at start-up.
"""

from __future__ import annotations

import importlib
import sys

import click

from .. import __version__
from .common import run_cli

# command name -> (module in provtrace.cli, attribute)
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("recording", "init_cmd"),
    "record": ("recording", "record_cmd"),
    "ingest": ("recording", "ingest_cmd"),
    "runs": ("read", "runs_cmd"),
    "show": ("read", "show_cmd"),
    "sql": ("read", "sql_cmd"),
    "why": ("answers", "why_cmd"),
    "graph": ("answers", "graph_cmd"),
    "diff": ("answers", "diff_cmd"),
    "status": ("answers", "status_cmd"),
    "query": ("answers", "query_group"),
    "export": ("exports", "export_cmd"),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.commands:
            return self.commands[name]
        if name not in COMMANDS:
            return None
        module, attr = COMMANDS[name]
        command = getattr(importlib.import_module(f"{__name__}.{module}"), attr)
        self.commands[name] = command
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="provtrace")
def cli() -> None:
    """Record what a command and every process it starts read, wrote, ran and talked to.

    \b
    Example:
        provtrace record -- ./plot.sh 42
        provtrace runs
        provtrace show last
    """


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: one-line errors, no tracebacks."""
    sys.exit(run_cli(cli, argv))

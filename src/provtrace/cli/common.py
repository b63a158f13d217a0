"""Shared CLI pieces: the --store option and turning library errors into one line."""

from __future__ import annotations

import sqlite3
import sys

import click

from ..ingest.logformat import LogFormatError
from ..record import IngestFailed, RecordError
from ..store import StoreError

store_option = click.option(
    "--store", "store", metavar="S", default=None,
    help="Store to use: a database file or a directory (default: $PROVTRACE_STORE, the nearest "
         ".provtrace/, or $XDG_DATA_HOME/provtrace).")


class Exit(Exception):
    """Leave the CLI with a status (after the message was printed)."""

    def __init__(self, code: int) -> None:
        self.code = code


def fail(message: str, code: int = 1) -> Exit:
    """Print ``provtrace: error: message`` and return an Exit to raise."""
    click.echo(f"provtrace: error: {message}", err=True)
    return Exit(code)


def run_cli(group: click.Group, argv: list[str] | None) -> int:
    """Run the click group; map every known failure to one line and a status."""
    try:
        group.main(args=argv, prog_name="provtrace", standalone_mode=False)
        return 0
    except Exit as exc:
        return exc.code
    except click.exceptions.Abort:
        click.echo("provtrace: aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except RecordError as exc:
        click.echo(f"provtrace: error: {exc}", err=True)
        return exc.exit_code
    except IngestFailed as exc:
        click.echo(f"provtrace: error: {exc}", err=True)
        return exc.finished.exit_code or 1
    except (StoreError, LogFormatError) as exc:
        click.echo(f"provtrace: error: {exc}", err=True)
        return 1
    except sqlite3.Error as exc:
        click.echo(f"provtrace: error: the store could not be used: {exc}", err=True)
        return 1
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        click.echo(f"provtrace: error: {exc.strerror or exc}{where}", err=True)
        return 1
    except KeyboardInterrupt:
        click.echo("provtrace: interrupted", err=True)
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 1

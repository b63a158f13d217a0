"""`provtrace export FORMAT RUN... [-o PATH]`: thin commands over provtrace.export."""

from __future__ import annotations

import click

from ..store import locate_store, open_store
from .common import store_option

runs_argument = click.argument("runs", nargs=-1, metavar="[RUN]...")
out_option = click.option("-o", "--output", "output", metavar="PATH", default=None,
                          help="Write here instead of to standard output.")


def _runs(runs: tuple[str, ...]) -> list[str]:
    return list(runs) or ["last"]


@click.group("export")
def export_cmd() -> None:
    """Export runs in interoperable formats: W3C PROV, RO-Crate, package lists, Makefile.

    Each RUN is a run id or `last` (the default); several runs go into one export.

    \b
    Example:
        provtrace export prov last -o run.provn
        provtrace export ro-crate 3 -o run3-crate.zip --include-data
        provtrace export packages last --format requirements -o requirements.txt
        provtrace export makefile last -o Makefile && make -f Makefile
    """


@export_cmd.command("prov")
@store_option
@out_option
@click.option("-f", "--format", "fmt", type=click.Choice(["json", "provn", "xml", "ttl"]), default=None,
              help="PROV-JSON (default), PROV-N, PROV-XML or PROV-O as Turtle; guessed from -o's extension.")
@click.option("--system", "include_system", is_flag=True,
              help="Also describe system files (libraries, installed software, /etc).")
@runs_argument
def prov_cmd(store, output, fmt, include_system, runs) -> None:
    """W3C PROV: processes as activities, file versions as entities, the user and provtrace as agents.

    \b
    Example:
        provtrace export prov last -o run.json
        provtrace export prov 3 4 --format ttl --system > runs.ttl
    """
    from ..export import write_prov

    with open_store(locate_store(store), readonly=True) as db:
        write_prov(db, _runs(runs), output, fmt, include_system)


@export_cmd.command("ro-crate")
@store_option
@click.option("-o", "--output", "output", metavar="PATH", required=True,
              help="A new directory, or a file ending in .zip.")
@click.option("--include-data", is_flag=True, help="Copy the runs' input and output files into the crate.")
@click.option("--license", "license_", metavar="URL|NAME", default=None,
              help="License of the crate, e.g. https://spdx.org/licenses/CC-BY-4.0 (default: none given).")
@runs_argument
def rocrate_cmd(store, output, include_data, license_, runs) -> None:
    """Workflow Run RO-Crate (Process Run Crate 0.5): one CreateAction per command that used user files.

    \b
    Example:
        provtrace export ro-crate last -o crate/
        provtrace export ro-crate 3 -o run3.zip --include-data --license https://spdx.org/licenses/MIT
    """
    from ..export import write_rocrate

    with open_store(locate_store(store), readonly=True) as db:
        path = write_rocrate(db, _runs(runs), output, include_data, license_)
    click.echo(f"provtrace: wrote {path}", err=True)


@export_cmd.command("packages")
@store_option
@out_option
@click.option("-f", "--format", "fmt", type=click.Choice(["yaml", "json", "requirements", "apt"]), default=None,
              help="YAML (default), JSON, requirements.txt pins, or an apt-get install line.")
@runs_argument
def packages_cmd(store, output, fmt, runs) -> None:
    """Installed packages the runs used (Debian, Python, conda), from the files they opened.

    Reads this machine's package databases now: export where the run was recorded.

    \b
    Example:
        provtrace export packages last
        provtrace export packages last -f requirements -o requirements.txt
        provtrace export packages last -f apt
    """
    from ..export import write_packages

    with open_store(locate_store(store), readonly=True) as db:
        write_packages(db, _runs(runs), output, fmt)


@export_cmd.command("makefile")
@store_option
@out_option
@runs_argument
def makefile_cmd(store, output, runs) -> None:
    """A Makefile with one rule per recorded step that produced user files, in dataflow order.

    \b
    Example:
        provtrace export makefile last -o Makefile
        rm results/*.svg && make -f Makefile
    """
    from ..export import write_makefile

    with open_store(locate_store(store), readonly=True) as db:
        write_makefile(db, _runs(runs), output)

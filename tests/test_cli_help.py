"""Every command has help text with an example, and `--store` where it reads a store."""

import pytest
from click.testing import CliRunner

from provtrace.cli import COMMANDS as TABLE, cli

COMMANDS = sorted(TABLE)


@pytest.mark.parametrize("name", COMMANDS)
def test_commands_have_help_with_example(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output


def _leaf_commands():
    import click

    ctx = cli.make_context("provtrace", [], resilient_parsing=True)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from ([name, sub] for sub in command.commands)
        elif name != "init":
            yield [name]


@pytest.mark.parametrize("words", list(_leaf_commands()), ids=" ".join)
def test_commands_accept_store_option(words):
    result = CliRunner().invoke(cli, [*words, "--help"])
    assert result.exit_code == 0 and "--store" in result.output


def test_every_command_in_the_table_loads():
    ctx = cli.make_context("provtrace", [], resilient_parsing=True)
    for name in TABLE:
        assert cli.get_command(ctx, name) is not None, name


def test_record_does_not_import_heavy_modules():
    import subprocess
    import sys

    code = ("import sys; from provtrace.cli import cli; "
            "ctx = cli.make_context('provtrace', [], resilient_parsing=True); cli.get_command(ctx, 'record'); "
            "print(','.join(m for m in ('networkx', 'prov', 'rocrate', 'rdflib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""

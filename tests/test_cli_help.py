"""Every command has help text with an example, and `--store` where it reads a store."""

import pytest
from click.testing import CliRunner

from provtrace.cli import cli

COMMANDS = sorted(cli.commands)


@pytest.mark.parametrize("name", COMMANDS)
def test_commands_have_help_with_example(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output


@pytest.mark.parametrize("name", [c for c in COMMANDS if c != "init"])
def test_commands_accept_store_option(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert "--store" in result.output

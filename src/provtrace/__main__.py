"""`python -m provtrace` runs the CLI."""

from .cli import main

main()

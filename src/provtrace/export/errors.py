"""Named errors of the export layer; the CLI prints them as one line."""

from __future__ import annotations

from ..store import StoreError


class ExportError(StoreError):
    """An export could not be made (a subclass of StoreError, so any CLI maps it to one line)."""


class OutputPathError(ExportError):
    """The output path cannot be written (missing directory, no permission, exists as a directory)."""


class MissingDependencyError(ExportError):
    """A Python package an export format needs (prov, rocrate, PyYAML) is not installed."""

"""Named errors of the analysis layer; the CLI prints them as one line (they are StoreErrors)."""

from ..store.errors import StoreError


class AnalysisError(StoreError):
    """A question the recorded provenance cannot answer as asked."""


class UnknownPathError(AnalysisError):
    """A path (or content hash) that no recorded run touched."""


class EmptyStoreError(AnalysisError):
    """The store holds no runs yet."""


class GraphvizMissingError(AnalysisError):
    """SVG output needs Graphviz's ``dot``, which is not installed."""


class BadTimeError(AnalysisError):
    """A --since/--until value that is neither a date nor a duration."""

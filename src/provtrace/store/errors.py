"""Named errors of the store layer; the CLI turns them into one-line messages."""


class StoreError(Exception):
    """Base class: something is wrong with the store or a request to it."""


class NewerStoreError(StoreError):
    """The store was written by a newer provtrace (a schema this one does not know)."""


class UnknownRunError(StoreError):
    """A run reference (id or ``last``) names no recorded run."""


class CorruptStoreError(StoreError):
    """The store file is not a readable provtrace store."""

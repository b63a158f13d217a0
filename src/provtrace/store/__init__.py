"""The store: where recorded runs live (SQLite by default)."""

from .errors import CorruptStoreError, NewerStoreError, StoreError, UnknownRunError
from .locate import init_store_dir, locate_store
from .sqlite import SCHEMA_VERSION, Store, open_store

__all__ = ["CorruptStoreError", "NewerStoreError", "StoreError", "UnknownRunError", "init_store_dir",
           "locate_store", "SCHEMA_VERSION", "Store", "open_store"]

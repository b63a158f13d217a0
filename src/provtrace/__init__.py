"""provtrace: record what a command and every process it starts read, wrote, ran and talked to.

The public API::

    import provtrace
    rec = provtrace.record(["make", "-j2"], store=".provtrace")
    with provtrace.open_store(".provtrace/provtrace.db", readonly=True) as store:
        print(store.query("SELECT count(*) AS n FROM file_events WHERE run_id = ?", (rec.run_id,)))
"""

__version__ = "0.1.0"

from .record import record  # noqa: E402  (the function shadows the subpackage name on purpose)
from .store import Store, locate_store, open_store  # noqa: E402

__all__ = ["__version__", "Store", "locate_store", "open_store", "record"]

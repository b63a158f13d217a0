"""Answers from provenance: lineage, the dataflow graph, classification, run diff, staleness.

Everything here reads a store (opened read-only) and returns plain data; the CLI
(`provtrace why|graph|diff|status|query`, `show --detail`) only prints it::

    from provtrace import open_store
    from provtrace.analysis import why, diff_runs, status

    with open_store(".provtrace/provtrace.db", readonly=True) as store:
        print(why(store, "results/fig1.svg").as_dict())
        print(status(store, ["results"]).counts())
"""

from .classify import ROLES, RunFiles, classify_run
from .crossrun import changed_inputs, files_used, outputs, parse_time, readers
from .diff import RunDiff, diff_runs
from .errors import (AnalysisError, BadTimeError, EmptyStoreError, GraphvizMissingError,
                     UnknownPathError)
from .graph import build_graph, graph_json
from .lineage import Lineage, lineage_paths, why
from .render_graph import FORMATS, render
from .status import StatusReport, status

__all__ = [
    "AnalysisError", "BadTimeError", "EmptyStoreError", "FORMATS", "GraphvizMissingError", "Lineage", "ROLES",
    "RunDiff", "RunFiles", "StatusReport", "UnknownPathError", "build_graph", "changed_inputs", "classify_run",
    "diff_runs", "files_used", "graph_json", "lineage_paths", "outputs", "parse_time", "readers", "render",
    "status", "why",
]

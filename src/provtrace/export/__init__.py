"""Interoperable exports of recorded runs: W3C PROV, Process Run RO-Crate, package lists, Makefile.

One module per format, each with a ``write_*`` function taking an open store, run
references (ids or ``last``) and an output; the ``provtrace export`` command is a thin
shell over them.  :mod:`.runinfo` is the shared view of a run they all build on.

Example::

    import provtrace
    from provtrace.export import write_prov, write_rocrate, write_packages, write_makefile

    with provtrace.open_store(".provtrace/provtrace.db", readonly=True) as store:
        write_prov(store, ["last"], "run.provn")
        write_rocrate(store, ["last"], "run-crate.zip", include_data=True)
        write_packages(store, ["last"], "requirements.txt", fmt="requirements")
        write_makefile(store, ["last"], "Makefile")
"""

from .errors import ExportError, MissingDependencyError, OutputPathError
from .makefile import plan_steps, render_makefile, write_makefile
from .packages import collect_packages, render_packages, write_packages
from .prov import build_prov, serialize_prov, write_prov
from .ro_crate import build_rocrate, write_rocrate
from .runinfo import RunInfo, load_run, load_runs, path_class

__all__ = [
    "ExportError", "MissingDependencyError", "OutputPathError", "RunInfo", "build_prov", "build_rocrate",
    "collect_packages", "load_run", "load_runs", "path_class", "plan_steps", "render_makefile",
    "render_packages", "serialize_prov", "write_makefile", "write_packages", "write_prov", "write_rocrate",
]

"""The strace oracle: ground truth for provtrace's fidelity tests.

``strace`` runs around ``provtrace record`` (so process ids match), its output
is parsed by :mod:`oracle.strace`, accesses strace saw but provtrace did not
are explained (or not) by :mod:`oracle.blindspots`, and :mod:`oracle.compare`
puts the two sides together.  :mod:`oracle.corpus` holds the commands.
"""

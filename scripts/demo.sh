#!/usr/bin/env bash
# Install provtrace and record the bundled example pipeline, then show what was recorded:
# the run's files classified (inputs, outputs, executables, ...) and where the figure came from.
set -euo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
source "$top/scripts/setup-debian.sh"
store="${PROVTRACE_STORE:-$top/.provtrace-demo}"
cd "$top/examples/pipeline"
provtrace record --store "$store" --label demo -- ./run.sh 42
provtrace runs --store "$store" -n 5
provtrace show --store "$store" --detail last
provtrace why --store "$store" results/fig1.svg

#!/usr/bin/env bash
# Install provtrace and record the bundled example pipeline, then show what was recorded.
set -euo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
source "$top/scripts/setup-debian.sh"
store="${PROVTRACE_STORE:-$top/.provtrace-demo}"
cd "$top/examples/pipeline"
provtrace record --store "$store" --label demo -- ./run.sh 42
provtrace runs --store "$store" -n 5
provtrace show --store "$store" --no-env last

#!/usr/bin/env bash
# Install provtrace (built from this checkout) with its test tools, then run the test suite.
set -euo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
source "$top/scripts/setup-debian.sh"
cd "$top"
python -m pytest "$@"

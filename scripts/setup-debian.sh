#!/usr/bin/env bash
# Install what provtrace needs on Debian (build tools, test tools) and a virtualenv
# with provtrace built from this checkout.  Sourced by demo.sh and test.sh.
set -euo pipefail
top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
packages=(gcc make libc6-dev python3 python3-venv python3-pip strace git tar gzip graphviz busybox-static golang-go)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi
venv="${PROVTRACE_VENV:-$top/.venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q "$top[test]"
export PATH="$venv/bin:$PATH"

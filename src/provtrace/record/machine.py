"""Facts about this machine, stored once per distinct machine."""

from __future__ import annotations

import os
import platform
import socket
from pathlib import Path


def _read(path: str) -> str:
    try:
        return Path(path).read_text(errors="replace")
    except OSError:
        return ""


def machine_info() -> dict:
    """Hostname, OS, kernel, architecture, CPU model, cores, memory and GPUs."""
    os_name = None
    for line in _read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            os_name = line.split("=", 1)[1].strip().strip('"')
    cpu = None
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = None
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            mem = int(line.split()[1]) * 1024
    gpus = sorted(p.name for p in Path("/proc/driver/nvidia/gpus").glob("*")) if Path(
        "/proc/driver/nvidia/gpus").is_dir() else []
    return {"hostname": socket.gethostname(), "os": os_name, "kernel": platform.release(),
            "arch": platform.machine(), "cpu_model": cpu, "cores": os.cpu_count(), "mem_bytes": mem,
            "gpus": gpus}

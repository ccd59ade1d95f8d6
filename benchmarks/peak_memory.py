"""This process's resident memory and its peak, from Linux's /proc.

Shared by the benchmarks, their child processes included: a child started with
`child_env()` finds this module too.

    >>> base = reset_peak()
    >>> proc_status("VmHWM") >= base
    True
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

HERE = os.path.dirname(os.path.abspath(__file__))


def proc_status(field: str) -> int:
    """`field` of /proc/self/status ("VmRSS", "VmHWM"), in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"/proc/self/status has no {field!r} line")


def reset_peak() -> int:
    """Sets the peak (VmHWM) back to the current resident memory, which it
    returns in bytes. Where Linux refuses the reset, the peak stays the
    process's own since its start."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    return proc_status("VmRSS")


def measure(run: Callable[[], T], repeats: int = 1) -> tuple[T, float, int]:
    """`run()`, its seconds (the best of `repeats` runs), and the peak
    resident memory the runs added, in bytes."""
    base = reset_peak()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return result, best, proc_status("VmHWM") - base


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a child benchmark process: this one's, `extra`, and
    this folder on PYTHONPATH, so that the child can import peak_memory."""
    path = os.pathsep.join(p for p in (HERE, os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, **extra, "PYTHONPATH": path}

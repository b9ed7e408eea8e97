"""Milliseconds since a `time.perf_counter()` reading: the one way rawi reports how long a step took."""

from __future__ import annotations

import time


def ms_since(start: float) -> float:
    """Milliseconds elapsed since `start` (a `time.perf_counter()` value), rounded to 0.01 ms."""
    return round((time.perf_counter() - start) * 1000, 2)

"""bench.common.LoadMeter: other processes' CPU is told apart from this process's own (and its children's).

These check the accounting, not speed: a spinning process the window does not wait for must show
up among the others; a child waited for inside the window and this process's own spinning must not.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

import bench.common as common
from bench.common import LoadMeter

pytestmark = pytest.mark.skipif(not Path("/proc/stat").exists(), reason="Linux /proc only")

TICKS = common._CLOCK_TICKS


def _spinner(seconds: float, report: bool = False) -> list[str]:
    """A Python busy loop that stops by itself after `seconds` of wall time (prints its CPU time if asked)."""
    code = (f"import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass\n"
            + ("print(time.process_time())\n" if report else ""))
    return [sys.executable, "-c", code]


def _cpu_of(pid: int) -> float:
    """utime + stime of a process in seconds, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _spin_here(seconds: float) -> float:
    began = time.process_time()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass
    return time.process_time() - began


def test_a_process_not_waited_for_in_the_window_counts_among_the_others():
    spinner = subprocess.Popen(_spinner(2.0))  # outlives the window; reaped only after it
    try:
        with LoadMeter() as meter:
            start = _cpu_of(spinner.pid)
            deadline = time.monotonic() + 1.2
            while _cpu_of(spinner.pid) - start < 0.4 and time.monotonic() < deadline:
                time.sleep(0.02)
            spun = _cpu_of(spinner.pid) - start
    finally:
        spinner.wait(timeout=30)
    if spun < 0.1:
        pytest.skip("the machine gave the spinner no CPU in the window")
    load = meter.load
    assert load["others_cpu_s"] >= spun - max(0.05, 0.1 * spun)
    assert load["own_cpu_s"] < spun / 2  # the parent only slept and read /proc
    assert load["others_share"] == pytest.approx(load["others_cpu_s"] / (load["wall_s"] * load["cpus"]), abs=0.01)
    assert isinstance(load["busy"], bool) and load["load_avg_1m_start"] is not None


def test_own_cpu_and_a_waited_child_are_not_counted_among_the_others():
    with LoadMeter() as meter:
        child = float(subprocess.run(_spinner(0.5, report=True), capture_output=True, text=True,
                                     check=True, timeout=60).stdout)
        mine = _spin_here(0.3)
    load = meter.load
    tolerance = 0.05 + 2 / TICKS
    assert child > 0.05 and mine > 0.05
    assert load["own_cpu_s"] >= child + mine - tolerance
    # Had this process's or its child's CPU been left among the others, this would fail.
    assert load["others_cpu_s"] <= load["machine_cpu_s"] - (child + mine) + tolerance


def test_busy_is_the_others_share_against_the_threshold(monkeypatch):
    readings = iter([(100.0, 2), (100.0 + 1000.0, 2)])  # others burnt far more than the window allows
    monkeypatch.setattr(common, "_machine_cpu", lambda: next(readings))
    with LoadMeter() as meter:
        pass
    assert meter.load["busy"] is True and meter.load["others_share"] > common.BUSY_OTHERS_SHARE

    readings = iter([(100.0, 2), (100.0, 2)])  # nothing ran anywhere
    monkeypatch.setattr(common, "_machine_cpu", lambda: next(readings))
    with LoadMeter() as meter:
        pass
    assert meter.load["busy"] is False and meter.load["others_cpu_s"] == 0.0


def test_without_proc_stat_the_cpu_fields_are_none(monkeypatch):
    monkeypatch.setattr(common, "_machine_cpu", lambda: None)
    with LoadMeter() as meter:
        pass
    load = meter.load
    assert load["busy"] is None and load["others_share"] is None and load["machine_cpu_s"] is None
    assert load["own_cpu_s"] is not None and load["wall_s"] >= 0


def test_the_load_test_refuses_to_ingest_into_a_store_it_was_given():
    from bench.load import main

    with pytest.raises(SystemExit) as exit_:
        main(["--store", "/nonexistent/store", "--ingest-at", "5"])
    assert exit_.value.code == 2  # argparse's usage error, before anything starts


def test_the_load_test_refuses_an_ingest_time_outside_the_run():
    from bench.load import main

    with pytest.raises(SystemExit) as exit_:
        main(["--seconds", "30", "--ingest-at", "30"])
    assert exit_.value.code == 2

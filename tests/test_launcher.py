"""`make run`'s launcher ends every Procfile process even when honcho does not stop them itself."""
from __future__ import annotations

import os
import subprocess
import sys
import time

from config.dev import launcher

# A stand-in for a honcho whose SIGINT handler died: it ignores SIGINT and leaves a child running.
STUCK = """
import signal, subprocess, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
print(child.pid, flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"  # a zombie has ended


def test_a_honcho_that_ignores_the_stop_has_its_whole_group_ended(monkeypatch):
    monkeypatch.setattr(launcher, "STOP_SECONDS", 1.0)
    proc = subprocess.Popen([sys.executable, "-c", STUCK], stdout=subprocess.PIPE, text=True, start_new_session=True)
    child = int(proc.stdout.readline())
    started = time.monotonic()
    launcher._stop(proc)
    assert proc.poll() is not None
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the Procfile process outlived make run"
    print(f"\nstopped in {time.monotonic() - started:.1f} s")

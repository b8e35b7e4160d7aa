"""Run another benchmark module (`bench.worker_throughput`, `bench.ws_fanout`, ...) in a child.

A child process keeps each benchmark's own setup (its Redis, its Django settings, its servers)
apart from this one's. The protocol is small so that modules can be written independently:

- a module with `run()` (optionally `run(quick=...)`) returning a list of `bench.report.Figure`
  (or dicts with the same fields) gets its figures into the main table;
- otherwise its `main()` runs and whatever it prints goes into RESULTS.md verbatim.

A module that does not exist yet is reported as "not available".
"""
from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import subprocess
import sys

from bench.common import ROOT
from bench.report import Figure, Report

MARK = "BENCH-FIGURE "
TIMEOUT_SECONDS = 240


def _exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def run(report: Report, module: str, *, quick: bool) -> None:
    """Run `module` in a child; add its figures, or its output, to the report."""
    if not _exists(module):
        print(f"  {module}: not available", flush=True)
        report.add(Figure(module, None, note="not available (module not written yet)"))
        return
    argv = [sys.executable, "-m", "bench.external", module] + (["--quick"] if quick else [])
    try:
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
        out, code = done.stdout + done.stderr, done.returncode
    except subprocess.TimeoutExpired as exc:
        out, code = f"{exc.stdout or ''}{exc.stderr or ''}\n(stopped after {TIMEOUT_SECONDS} s)", -1
    figures = [Figure.from_dict(json.loads(line[len(MARK):])) for line in out.splitlines() if line.startswith(MARK)]
    report.add(*figures)
    text = "\n".join(line for line in out.splitlines() if not line.startswith(MARK)).strip()
    if code != 0 or (text and not figures):
        report.section(f"{module} (exit code {code})", f"```\n{text[-6000:]}\n```")
    if code != 0 and not figures:
        raise RuntimeError(f"{module} exited with code {code}")


def _as_figure(item) -> Figure:
    return item if isinstance(item, Figure) else Figure.from_dict(dict(item))


def _child(module_name: str, quick: bool) -> int:
    module = importlib.import_module(module_name)
    entry = getattr(module, "run", None)
    if callable(entry):
        kwargs = {"quick": quick} if "quick" in inspect.signature(entry).parameters else {}
        result = entry(**kwargs)
        if isinstance(result, (list, tuple)):
            for item in result:
                print(MARK + json.dumps(_as_figure(item).to_dict()), flush=True)
        return 0
    sys.argv = [module_name]  # its own argument parser must see no arguments of ours
    code = module.main()
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1], "--quick" in sys.argv[2:]))

"""The ``slow`` marker covers exactly the test modules that start processes or drive a
real terminal (see ``SLOW_MODULES`` in conftest.py), so ``-m "not slow"`` is a quick
in-process run and never silently includes a subprocess test."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import SLOW_MODULES

TESTS = Path(__file__).resolve().parent
STARTS_PROCESSES = re.compile(
    r"\bsubprocess\b|\bimport pty\b|\btmux\b|\blooptui_process\b|\bPtyRun\b|\bProgram\(|"
    r"\bsys\.executable\b")


def test_every_module_that_starts_processes_is_slow_and_no_other() -> None:
    starting = {p.stem for p in TESTS.glob("test_*.py")
                if p.name != Path(__file__).name
                and STARTS_PROCESSES.search(p.read_text(encoding="utf-8"))}
    assert starting == set(SLOW_MODULES)

"""Shared helpers of the robustness tests (``test_robust_*.py``).

Waiting is always on a condition with a generous bound, never on a fixed sleep, so the
tests do not depend on the speed of the machine.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from looptui.core.registry import REGISTRY

ROBUST = Path(__file__).parent / "fixtures" / "robust"
TIMEOUT = 60.0
"""Seconds a subprocess or a condition gets before the test fails (never reached when
things work)."""


def target(name: str) -> str:
    return str(ROBUST / name)


@pytest.fixture
def isolated(monkeypatch):
    """A clean registry and module table around a test that imports targets."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    REGISTRY.clear()
    yield
    REGISTRY.clear()
    for name in set(sys.modules) - before:
        del sys.modules[name]


async def wait_for(condition: Callable[[], Any], timeout: float = TIMEOUT) -> None:
    """Wait until ``condition()`` is true (virtual or real time), or fail."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def wait_until(condition: Callable[[], Any], timeout: float = TIMEOUT) -> None:
    """The same, for code outside an event loop (subprocess tests)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def looptui_process(*args: str, **kwargs: Any) -> subprocess.Popen[str]:
    """``python -m looptui ARGS`` with its output piped (text)."""
    return subprocess.Popen(
        [sys.executable, "-m", "looptui", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs,
    )


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]

"""Fixtures shared by test modules that import user programs."""

from __future__ import annotations

import sys
from typing import Iterator

import pytest

from looptui.core.registry import REGISTRY


@pytest.fixture()
def isolated_imports(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Own ``sys.path`` / ``sys.modules`` view and an empty registry for one test.

    Modules the test imported (the user programs it loads) are forgotten afterwards, so
    the next test imports its own fresh copies.
    """
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    REGISTRY.clear()
    yield
    REGISTRY.clear()
    for name in set(sys.modules) - before:
        del sys.modules[name]


SLOW_MODULES = frozenset({
    "test_adapters_install", "test_adapters_pycord", "test_agent_attach", "test_agent_clients",
    "test_agent_event_modes", "test_agent_metrics", "test_attach_follow", "test_attach_output",
    "test_attach_ui", "test_capture_logging", "test_cli", "test_examples", "test_headless",
    "test_import_hygiene", "test_real_bots", "test_real_bots_pycord",
    "test_record_writer_process", "test_reload_parts", "test_robust_faults", "test_robust_flood",
    "test_robust_hangup", "test_robust_record", "test_robust_signals", "test_terminal_guard",
    "test_ui_format",
})
"""Modules whose tests start processes (looptui itself, an agent's program, a fresh
interpreter) or drive a real terminal (a pty): they carry the ``slow`` marker, so
``pytest -m "not slow"`` runs the in-process rest for a quick check while working."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.stem in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)

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
    main = sys.modules.get("__main__")
    REGISTRY.clear()
    yield
    REGISTRY.clear()
    if main is not None:
        sys.modules["__main__"] = main
    gone = {name: sys.modules.pop(name) for name in set(sys.modules) - before}
    for name, module in gone.items():  # no package kept may still point at a forgotten child
        parent, _, child = name.rpartition(".")
        kept = sys.modules.get(parent) if parent else None
        if kept is not None and getattr(kept, child, None) is module:
            delattr(kept, child)


SLOW_MODULES = frozenset({
    "test_adapters_install", "test_adapters_pycord", "test_agent_attach", "test_agent_clients",
    "test_agent_event_modes", "test_agent_metrics", "test_attach_follow", "test_attach_output",
    "test_attach_ui", "test_capture_logging", "test_cli", "test_examples", "test_headless",
    "test_import_hygiene", "test_real_bots", "test_real_bots_pycord",
    "test_record_writer_process", "test_reload_parts", "test_robust_faults", "test_robust_flood",
    "test_robust_hangup", "test_robust_record", "test_robust_signals", "test_terminal_guard",
    "test_ui_format", "test_agent_crowd", "test_attach_neighbour", "test_attach_sizes",
    "test_empty_states", "test_headless_output", "test_run_as_main", "test_run_as_main_pycord",
    "test_tmux_keys", "test_debug_breakpoint", "test_agent_debugging", "test_event_paths",
})
"""Modules whose tests start processes (looptui itself, an agent's program, a fresh
interpreter) or drive a real terminal (a pty): they carry the ``slow`` marker, so
``pytest -m "not slow"`` runs the in-process rest for a quick check while working."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.stem in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)

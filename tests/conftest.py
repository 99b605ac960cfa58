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

"""Every looptui Loop registers itself with the global registry; start each test empty."""

from __future__ import annotations

from typing import Iterator

import pytest

from looptui.core.registry import REGISTRY


@pytest.fixture(autouse=True)
def _clean_registry() -> Iterator[None]:
    REGISTRY.clear()
    yield
    REGISTRY.clear()

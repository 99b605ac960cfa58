"""looptui's own version, read in one place: the installed package's metadata.

``pyproject.toml`` is the one source; the metadata an install writes carries it. The
read is lazy (``importlib.metadata`` costs tens of milliseconds to import), so only
``--version``, the agent's hello and curious code pay for it.
"""

from __future__ import annotations

import functools

__all__ = ["looptui_version", "UNKNOWN"]

UNKNOWN = "0+unknown"
"""The version of a source tree that was never installed (no metadata to read)."""


@functools.cache
def looptui_version() -> str:
    """The installed version of looptui (``0.1.0``), or :data:`UNKNOWN`."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("looptui")
    except PackageNotFoundError:
        return UNKNOWN

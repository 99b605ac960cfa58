"""Textual's private names that looptui relies on, in one place.

Textual is pinned (``textual==`` in ``pyproject.toml``) because of these.
:class:`~looptui.ui.widgets.loop_table.LoopTable` draws its rows itself, for speed, on
top of ``DataTable``: it reads, calls or overrides the names in
:data:`DATA_TABLE_PRIVATE_NAMES` (a subclass cannot do that through a helper, so the
list is the contract). The driver's output and the app's driver are reached through the
functions here. ``tests/test_private_names.py`` checks that every name exists in the
installed Textual, and that ``loop_table.py`` uses no private name of ``DataTable`` that
is not listed, so a Textual upgrade fails CI loudly.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "DATA_TABLE_PRIVATE_NAMES", "DRIVER_PRIVATE_NAMES", "APP_PRIVATE_NAMES",
    "app_driver", "driver_output", "set_driver_output",
]

DATA_TABLE_PRIVATE_NAMES: tuple[str, ...] = (
    # the table's data and row bookkeeping, written directly by the fast paths
    "_data", "_row_locations", "_column_locations", "_header_row_key", "_update_count",
    "_require_update_dimensions", "_clear_caches",
    # drawing a line, overridden or called by the row cache
    "_render_line", "_get_row_style", "_get_styles_to_render_cell", "_refresh_region",
    "_pseudo_class_state",
    # the cursor and hover, kept in step with rows the table adds itself
    "_show_hover_cursor", "_set_hover_cursor", "_highlight_cursor", "_post_selected_message",
)
"""Names of ``textual.widgets.DataTable`` that ``LoopTable`` reads, calls or overrides."""

DRIVER_PRIVATE_NAMES: tuple[str, ...] = ("_file",)
"""Of ``textual.drivers.linux_driver.LinuxDriver``: the file its writer thread writes to."""

APP_PRIVATE_NAMES: tuple[str, ...] = ("_driver",)
"""Of ``textual.app.App``: the running driver."""


def app_driver(app: Any) -> Any:
    """The driver *app* runs on, or ``None`` (not started, or already stopped)."""
    return getattr(app, "_driver", None)


def driver_output(driver: Any) -> Any:
    """The file a Linux driver's writer thread writes to (``None`` before it has one)."""
    return getattr(driver, "_file", None)


def set_driver_output(driver: Any, output: Any) -> None:
    """Have *driver*'s writer thread write to *output* (same write/flush/fileno)."""
    driver._file = output

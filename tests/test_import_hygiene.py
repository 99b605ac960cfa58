"""Importing looptui's non-UI parts never imports Textual (or Rich, for core/session).

Checked in a fresh interpreter each time: the test process itself may already have
imported textual for the UI tests.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

NON_UI = [
    "looptui", "looptui.core.loop", "looptui.core.registry", "looptui.tasks",
    "looptui.session", "looptui.session.program.loader", "looptui.session.output.capture",
    "looptui.session.session", "looptui.headless", "looptui.cli", "looptui.__main__",
]


@pytest.mark.parametrize("module", NON_UI)
def test_module_imports_no_ui_library(module):
    code = (
        f"import sys, importlib; importlib.import_module({module!r}); "
        "bad = sorted(m for m in ('textual', 'rich') if m in sys.modules); "
        "print(','.join(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{module} imported {result.stdout.strip()}"


def test_the_first_screen_imports_no_other_screen_and_no_syntax_highlighting():
    """The first frame needs the table only: dialogs, details (Rich syntax, Pygments)
    and the file watcher are imported when first used."""
    later = ("looptui.ui.screens.details", "looptui.ui.screens.help",
             "looptui.ui.screens.interval_dialog", "looptui.ui.screens.reload_error",
             "looptui.ui.screens.stopping", "rich.syntax", "pygments", "watchfiles")
    code = (
        "import sys; import looptui.cli, looptui.session, looptui.ui.app; "
        f"print(','.join(m for m in {later!r} if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"imported before use: {result.stdout.strip()}"

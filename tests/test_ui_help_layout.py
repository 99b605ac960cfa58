"""The help screen's two columns, laid out as text: wrapped under their column, never wider than the box."""

from __future__ import annotations

from rich.text import Text

from looptui.ui.screens.help import two_columns


def test_long_descriptions_wrap_under_their_column_within_the_width():
    rows = [(Text("mouse"), "Select a row; on the selected row (or double click): details; "
                            "on a column header: sort by it"),
            (Text("ctrl+p"), "Command palette"), (Text("?"), "")]
    lines = two_columns(rows, 40).plain.split("\n")
    assert all(len(line) <= 40 for line in lines)
    assert lines[0].startswith("mouse   Select a row;")
    continued = [line for line in lines if not line[:1].strip()]
    assert continued and all(line.startswith(" " * 8) and line[8] != " " for line in continued)
    assert any(line.startswith("ctrl+p  Command palette") for line in lines)
    assert lines[-1].rstrip() == "?"

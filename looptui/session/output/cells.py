"""How many terminal columns text takes: wide characters (CJK, emoji) two, combining marks none.

Readable headless output pads loop names into a column; counting characters instead of
cells would push every line with a wide character out of line. Uses only
:mod:`unicodedata` (no UI library), which is enough for aligning names.
"""

from __future__ import annotations

import functools
import unicodedata

__all__ = ["cell_width"]


@functools.lru_cache(maxsize=4096)
def _char_width(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 2
    return 1


def cell_width(text: str) -> int:
    """Columns *text* (one line, already inert) takes on a terminal."""
    if text.isascii():
        return len(text)
    return sum(map(_char_width, text))


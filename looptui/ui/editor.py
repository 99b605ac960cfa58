"""Open a loop's source in the user's editor (``E``), at the line the loop is defined on.

The editor is ``$VISUAL``, else ``$EDITOR`` (a command line: ``code --wait`` works), as
git and crontab read them. Editors take the line in different ways: ``+LINE FILE`` for
vi, vim, nvim, nano, emacs, micro, kakoune and most terminal editors; ``--goto FILE:LINE``
for VS Code; ``FILE:LINE`` for Sublime Text, Zed and Helix.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping

__all__ = ["NO_EDITOR", "editor_command"]

NO_EDITOR = "no editor set: export VISUAL or EDITOR (e.g. EDITOR=vim) and press E again"

_GOTO = frozenset({"code", "codium", "code-insiders", "cursor"})
_COLON = frozenset({"subl", "zed", "hx", "helix", "atom"})


def editor_command(file: str, line: int | None,
                   env: Mapping[str, str] | None = None) -> list[str] | None:
    """The command that opens *file* at *line*, or ``None`` when no editor is set.

    Raises:
        ValueError: The editor variable is not a valid command line (unbalanced quotes).
    """
    env = os.environ if env is None else env
    editor = (env.get("VISUAL") or env.get("EDITOR") or "").strip()
    if not editor:
        return None
    words = shlex.split(editor)
    if not words:
        return None
    name = os.path.basename(words[0])
    if not line:
        return [*words, file]
    if name in _GOTO:
        return [*words, "--goto", f"{file}:{line}"]
    if name in _COLON:
        return [*words, f"{file}:{line}"]
    return [*words, f"+{line}", file]

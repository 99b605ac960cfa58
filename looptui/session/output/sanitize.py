"""Make text from user code safe to print on a terminal.

Loop names, exception messages, tracebacks and captured output come from the user's code
and may hold anything: ANSI escape sequences that recolour or clear the screen, OSC
sequences that set the window title or write hyperlinks, bidirectional overrides, lone
surrogates from undecodable bytes. Printed as-is they would corrupt the TUI or the
headless output, so every front end passes such text through :func:`safe_text`, which
turns each dangerous character into a visible, inert stand-in (``\\x1b`` becomes ``␛``).
"""

from __future__ import annotations

__all__ = ["safe_text", "one_line"]

ELLIPSIS = "…"

# C0 controls (and DEL) become their Unicode "control picture" (U+2400 block): visible,
# one cell wide, and never interpreted by a terminal.
_TABLE: dict[int, str] = {code: chr(0x2400 + code) for code in range(0x20)}
_TABLE[0x7F] = "\u2421"  # ␡
# C1 controls (0x80-0x9F: CSI, OSC, ... in 8-bit form) have no picture: spell them out.
_TABLE.update({code: f"\\x{code:02x}" for code in range(0x80, 0xA0)})
# Characters that reorder or hide text without being controls in the C0/C1 sense.
for _code in (
    0x061C, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2028, 0x2029,
    *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF,
):
    _TABLE[_code] = f"\\u{_code:04x}"
# Lone surrogates (undecodable input smuggled through ``surrogateescape``) cannot be
# encoded for output at all. Those in U+DC80..U+DCFF stand for one raw byte each.
_TABLE.update({code: f"\\x{code - 0xDC00:02x}" for code in range(0xDC80, 0xDD00)})
_TABLE.update(
    {code: f"\\u{code:04x}" for code in range(0xD800, 0xE000) if not 0xDC80 <= code < 0xDD00}
)

_KEEP_NEWLINES = dict(_TABLE)
del _KEEP_NEWLINES[0x0A]  # "\n" stays a line break in multi-line text
_KEEP_NEWLINES[0x09] = "    "  # a tab becomes spaces: its width is then predictable


def safe_text(s: object, limit: int | None = None, *, multiline: bool = True) -> str:
    """Return *s* as text that cannot control the terminal it is printed on.

    Args:
        s: Text to clean. ``bytes`` are decoded as UTF-8 (invalid bytes shown as
            ``\\xNN``); any other object is converted with ``str()``.
        limit: When given, the result is cut to at most *limit* characters, the last one
            being ``…`` if anything was cut.
        multiline: Keep ``\\n`` as a line break (and tabs as four spaces). When False,
            every control character, newline included, becomes a visible stand-in, so
            the result is exactly one line.

    Returns:
        The cleaned text. Printable characters, non-ASCII letters and emoji are kept.
    """
    if isinstance(s, (bytes, bytearray)):
        s = bytes(s).decode("utf-8", "surrogateescape")
    elif not isinstance(s, str):
        try:
            s = str(s)
        except Exception as err:  # a broken __str__ must not break the printer
            s = f"<unprintable {type(s).__name__}: {type(err).__name__}>"
    if limit is not None and len(s) > limit:
        # Cut before cleaning (cheap on huge input), then again after (stand-ins are wider).
        s = s[: limit + 1]
    text = s.translate(_KEEP_NEWLINES if multiline else _TABLE)
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)] + ELLIPSIS if limit > 0 else ""
    return text


def one_line(s: object, limit: int = 240) -> str:
    """Sanitise *s* onto one line (line breaks shown as ``⏎``), at most *limit* characters.

    Only the first *limit* characters are looked at, so a 1 MB message costs no more
    than a short one.
    """
    text = safe_text(s, limit)
    if "\n" in text:
        text = " ⏎ ".join(part for part in text.splitlines() if part.strip())
    return text

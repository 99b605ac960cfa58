"""State colours: theme variables (a theme can change them) and the Rich styles they give.

Cells, the header and the screens name a *token* (``"failed"``, ``"trouble"``, ...), never
a colour. :class:`Colours` turns tokens into Rich styles from the app's theme variables
(``$looptui-failed`` and the others in :data:`VARIABLES`), whose defaults come from the
theme's own colours, so every theme has them and ``Theme(variables={...})`` (or a theme's
CSS) can change them. The words stay on screen whatever the colours are: with ``NO_COLOR``
or on a 16-colour terminal, ``failed`` still says failed and is still bold.
"""

from __future__ import annotations

from typing import Mapping

from rich.style import Style
from textual.color import Color, ColorParseError

from looptui.core.states import LoopState

__all__ = ["VARIABLES", "STATE_TOKEN", "Colours", "theme_defaults", "DEFAULT_COLOURS",
           "colours_of", "contrast", "MIN_CONTRAST", "BACKGROUNDS", "STATE_VARIABLES"]

MIN_CONTRAST = 4.5
"""Contrast ratio (WCAG 2) every state colour has against the backgrounds it is drawn on."""
BACKGROUNDS = ("surface", "panel", "background")
"""Theme colours state words are drawn on: the table, the header line, the screens."""

VARIABLES: dict[str, str] = {
    "looptui-failed": "error",
    "looptui-trouble": "text-warning",
    "looptui-running": "success",
    "looptui-healthy": "success",
    "looptui-waiting": "text-primary",
    "looptui-finished": "text-primary",
    "looptui-muted": "",
}
"""Theme variables of looptui, and the colour of the theme each one defaults to
(``looptui-muted`` is the foreground blended halfway into the background).

The defaults are chosen so that they stay apart when a terminal has 16 colours only:
failed maps to red, trouble (the theme's readable warning colour) to yellow, running and
sleeping to green, muted to grey. A default too close to the theme's backgrounds (a
green on a light grey) is darkened, or lightened on a dark theme, until it reads at
:data:`MIN_CONTRAST`."""

_TOKENS: dict[str, tuple[str | None, str]] = {
    "failed": ("looptui-failed", "bold"),
    "failed-text": ("looptui-failed", ""),
    "trouble": ("looptui-trouble", "bold"),
    "trouble-text": ("looptui-trouble", ""),
    "alarm": ("looptui-trouble", "bold reverse"),
    "running": ("looptui-running", "bold"),
    "healthy": ("looptui-healthy", ""),
    "waiting": ("looptui-waiting", ""),
    "finished": ("looptui-finished", ""),
    "muted": ("looptui-muted", ""),
    "bold": (None, "bold"),
    "dim": (None, "dim"),
    "": (None, ""),
}
"""Each token: the theme variable giving its colour (``None``: no colour) and the text
style added to it (bold keeps trouble visible when colours are off)."""

STATE_TOKEN: dict[str, str] = {
    LoopState.IDLE.value: "muted",
    LoopState.WAITING.value: "waiting",
    LoopState.SLEEPING.value: "healthy",
    LoopState.RUNNING.value: "running",
    LoopState.RETRYING.value: "trouble",
    LoopState.PAUSED.value: "muted",
    LoopState.STOPPING.value: "",
    LoopState.STOPPED.value: "muted",
    LoopState.CANCELLED.value: "muted",
    LoopState.FINISHED.value: "finished",
    LoopState.FAILED.value: "failed",
}
"""The token of each state's word (failed red, retrying amber, paused and stopped dim,
running bright: the README's "Columns")."""

STATE_VARIABLES: tuple[str, ...] = tuple(sorted(
    {str(_TOKENS[token][0]) for token in STATE_TOKEN.values() if _TOKENS[token][0]}))
"""The theme variables state words are drawn in."""


def _luminance(color: Color) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.r) + 0.7152 * channel(color.g) + 0.0722 * channel(color.b)


def contrast(a: Color, b: Color) -> float:
    """The WCAG 2 contrast ratio of two colours (1 to 21)."""
    la, lb = _luminance(a), _luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def _backgrounds(system: Mapping[str, str]) -> list[Color]:
    """The theme's backgrounds that are plain colours (ANSI themes have none: the
    terminal's own palette decides there)."""
    colours = []
    for name in BACKGROUNDS:
        try:
            colour = Color.parse(system.get(name, ""))
        except ColorParseError:
            continue
        if colour.a > 0 and colour.ansi is None:
            colours.append(colour)
    return colours


def _readable(value: str, backgrounds: list[Color]) -> str:
    """*value*, darkened (light backgrounds) or lightened (dark ones) in small steps
    until it has :data:`MIN_CONTRAST` against every background."""
    try:
        colour = Color.parse(value)
    except ColorParseError:
        return value
    if not backgrounds or colour.ansi is not None:
        return value
    light = sum(_luminance(b) for b in backgrounds) / len(backgrounds) > 0.18
    target = Color(0, 0, 0) if light else Color(255, 255, 255)
    for step in range(21):
        adjusted = colour.blend(target, step / 20)
        if min(contrast(adjusted, b) for b in backgrounds) >= MIN_CONTRAST:
            return adjusted.hex if step else value
    return target.hex


def theme_defaults(system: Mapping[str, str]) -> dict[str, str]:
    """Default values of :data:`VARIABLES` for a theme, from its generated colour system.

    Args:
        system: The theme's CSS variables (``Theme.to_color_system().generate()``).
    """
    defaults: dict[str, str] = {}
    for name, source in VARIABLES.items():
        if source:
            defaults[name] = system.get(source) or system.get(source.removeprefix("text-"), "")
    try:
        foreground = Color.parse(system.get("foreground", "#e0e0e0"))
        background = Color.parse(system.get("background", "#121212"))
        defaults["looptui-muted"] = foreground.blend(background, 0.45).hex
    except ColorParseError:
        defaults["looptui-muted"] = "grey50"
    backgrounds = _backgrounds(system)
    return {name: _readable(value, backgrounds) for name, value in defaults.items() if value}


class Colours:
    """Rich styles of the tokens under one set of theme variables (cached per token).

    Args:
        variables: The app's theme variables (``App.theme_variables``); a variable that
            is missing or not a plain colour gives no colour (the text style stays).
        no_color: ``NO_COLOR`` is set: tokens give their text style only (bold, reverse;
            muted ones are dim). Textual would turn the colours into shades of grey, in
            which red is darker than green: a failed loop would look the calmest.
    """

    def __init__(self, variables: Mapping[str, str] | None = None, *,
                 no_color: bool = False) -> None:
        self._variables = {} if no_color else dict(variables or {})
        self._no_color = no_color
        self._styles: dict[str, Style] = {}

    def style(self, token: str) -> Style:
        """The Rich style of *token* (an unknown token is read as a Rich style string)."""
        style = self._styles.get(token)
        if style is None:
            style = self._styles[token] = self._resolve(token)
        return style

    def state(self, state: object) -> Style:
        """The style of a state's word."""
        return self.style(STATE_TOKEN.get(str(getattr(state, "value", state)), ""))

    def _resolve(self, token: str) -> Style:
        if token not in _TOKENS:
            try:
                return Style.parse(token)
            except Exception:  # a malformed style string: show the text plain
                return Style()
        variable, text_style = _TOKENS[token]
        if self._no_color and variable == "looptui-muted":
            text_style = "dim"
        style = Style.parse(text_style) if text_style else Style()
        value = self._variables.get(variable) if variable else None
        if value:
            try:
                style += Style(color=Color.parse(value).rich_color)
            except ColorParseError:
                pass
        return style


DEFAULT_COLOURS = Colours({
    "looptui-failed": "#B93C5B",
    "looptui-trouble": "#FFC473",
    "looptui-running": "#4EBF71",
    "looptui-healthy": "#4EBF71",
    "looptui-waiting": "#57A5E2",
    "looptui-finished": "#57A5E2",
    "looptui-muted": "#7F7F7F",
})
"""Styles used where no app is at hand (a header built in a test, a plain console)."""


def colours_of(app: object) -> Colours:
    """The colours of *app*'s current theme (the defaults for an app without them)."""
    colours = getattr(app, "colours", None)
    return colours if isinstance(colours, Colours) else DEFAULT_COLOURS

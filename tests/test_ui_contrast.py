"""State colours stay readable in every built-in Textual theme, light ones included:
each has a WCAG contrast ratio of at least 4.5:1 against the backgrounds it is drawn on."""

from __future__ import annotations

import pytest
from textual.color import Color
from textual.theme import BUILTIN_THEMES

from looptui.ui.colours import (
    BACKGROUNDS,
    MIN_CONTRAST,
    STATE_VARIABLES,
    contrast,
    theme_defaults,
)


def test_contrast_is_the_wcag_ratio() -> None:
    assert contrast(Color(0, 0, 0), Color(255, 255, 255)) == pytest.approx(21.0)
    assert contrast(Color(120, 120, 120), Color(120, 120, 120)) == pytest.approx(1.0)
    # textual-light's own green on its light grey: the case that was unreadable.
    assert contrast(Color.parse("#4EBF71"), Color.parse("#D8D8D8")) < 2


@pytest.mark.parametrize("name", sorted(BUILTIN_THEMES))
def test_every_state_colour_reads_on_every_theme(name: str) -> None:
    system = BUILTIN_THEMES[name].to_color_system().generate()
    colours = theme_defaults(system)
    assert set(STATE_VARIABLES) <= set(colours)
    backgrounds = [Color.parse(system[b]) for b in BACKGROUNDS
                   if system.get(b) not in (None, "transparent", "ansi_default")]
    if name.startswith("ansi-"):
        # ANSI themes use the terminal's own palette: no colour to measure, and looptui
        # keeps the theme's ANSI colours (the terminal's scheme is made to be readable).
        assert all(colours[v].startswith("ansi_") for v in STATE_VARIABLES)
        return
    assert backgrounds
    for variable in STATE_VARIABLES:
        colour = Color.parse(colours[variable])
        for background in backgrounds:
            ratio = contrast(colour, background)
            assert ratio >= MIN_CONTRAST, f"{name}: {variable} {colour.hex} on " \
                                          f"{background.hex} is {ratio:.2f}:1"

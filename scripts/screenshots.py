"""Make the README screenshots from the real app, with time frozen.

Drives :class:`looptui.ui.app.LoopTuiApp` with ``run_test`` over a session of hand-made
loops (``tests/ui_fakes.py``: every state, a traceback, retries, output), presses keys as
a user would and saves each screen with ``save_screenshot``, as SVG and as PNG.

    .venv/bin/python scripts/screenshots.py            # writes screenshots/*.svg, *.png

The SVG names the Fira Code web font; the PNG is rasterised (cairosvg, the
``screenshots`` extra) with a local monospace font instead, so that it looks the same
without network access.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import re
import sys
from pathlib import Path
from typing import Awaitable, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from textual.pilot import Pilot  # noqa: E402

from looptui.ui.app import LoopTuiApp  # noqa: E402
from ui_fakes import demo_session, frozen_time  # noqa: E402

UTC = datetime.timezone.utc
PNG_FONT = "DejaVu Sans Mono"
"""A monospace font present on most Linux systems, used for the PNG rendering."""

Steps = Callable[[LoopTuiApp, Pilot], Awaitable[None]]


async def _table(app: LoopTuiApp, pilot: Pilot) -> None:
    app.table.select("fetch_prices")


async def _details(app: LoopTuiApp, pilot: Pilot) -> None:
    app.table.select("flaky_api")
    await pilot.press("enter")


async def _log(app: LoopTuiApp, pilot: Pilot) -> None:
    await pilot.press("l")


async def _interval(app: LoopTuiApp, pilot: Pilot) -> None:
    app.table.select("flaky_api")
    await pilot.press("i")
    await pilot.pause()
    app.screen.query_one("Input").cursor_blink = False
    await pilot.press(*"every 5", "enter")


async def _help(app: LoopTuiApp, pilot: Pilot) -> None:
    await pilot.press("question_mark")


async def _trouble(app: LoopTuiApp, pilot: Pilot) -> None:
    app.table.select("flaky_api")  # the failed row is not under the cursor: red shows
    await pilot.press("o", "f")  # trouble first, trouble only


async def _filter(app: LoopTuiApp, pilot: Pilot) -> None:
    await pilot.press("slash")
    await pilot.pause()
    app.query_one("#filter").cursor_blink = False
    await pilot.press(*"data")


async def _tasks(app: LoopTuiApp, pilot: Pilot) -> None:
    app.session.failed_tasks = 1  # type: ignore[misc]
    app.refresh_now()
    await pilot.press("a")
    for _ in range(100):
        await pilot.pause()
        if getattr(app.screen, "readings", 0):
            break


async def _console(app: LoopTuiApp, pilot: Pilot) -> None:
    await pilot.press("c")
    await pilot.pause()
    app.screen.query_one("#console-input").cursor_blink = False
    for line in ('cache["users"]', "loops['fetch_prices'].last_exception.summary",
                 'print("prices:", len(cache["prices"])); cache', "await asyncio.sleep(0.01, 'ok')",
                 "cache['prices']['btc']", "for k in ('users', 'guilds'):",
                 "    print(k, cache[k])", ""):
        count = len(app.screen.results)  # type: ignore[attr-defined]
        for key in line:
            await pilot.press(key if key != " " else "space")
        await pilot.press("enter")
        for _ in range(200):
            await pilot.pause()
            if app.screen.buffer or len(app.screen.results) > count:  # type: ignore[attr-defined]
                break


SHOTS: dict[str, tuple[tuple[int, int], Steps]] = {
    "table": ((124, 24), _table),
    "details": ((124, 50), _details),
    "log": ((124, 34), _log),
    "interval": ((124, 24), _interval),
    "help": ((124, 40), _help),
    "filter": ((124, 14), _filter),
    "trouble": ((124, 12), _trouble),
    "narrow": ((80, 24), _table),
    "tasks": ((124, 22), _tasks),
    "console": ((124, 26), _console),
}


async def shoot(name: str, out: Path) -> Path:
    """Save screenshot *name* (see :data:`SHOTS`) as ``out/name.svg``."""
    size, steps = SHOTS[name]
    with frozen_time() as clock:
        session = demo_session(clock)
        status = session.registry.get("update_status")
        for k in range(6):
            clock.advance(0.4)
            status.add_output("stdout", f"presence set to 'watching {k + 40} servers'")
        session.registry.get("flaky_api").add_output("stderr", "upstream slow, will retry")
        session.registry.get("DatabaseManager.sync").add_output(
            "logging", "WARNING db: connection lost, reconnecting")
        clock.advance(0.6)
        app = LoopTuiApp(session, tz=UTC)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await steps(app, pilot)
            await pilot.pause()
            await pilot.wait_for_scheduled_animations()
            await pilot.pause()
            path = app.save_screenshot(f"{name}.svg", path=str(out))
    return Path(path)


def to_png(svg: Path) -> Path:
    import cairosvg

    text = svg.read_text(encoding="utf-8")
    text = re.sub(r'font-family: ?"?Fira Code"?', f'font-family: "{PNG_FONT}"', text)
    # The SVG's cells are 0.61 em wide; DejaVu Sans Mono's glyphs 0.602 em: without the
    # difference as letter spacing, long runs of text drift left of the cells after them.
    text = text.replace("</style>", "text { letter-spacing: 0.16px; }\n</style>", 1)
    png = svg.with_suffix(".png")
    cairosvg.svg2png(bytestring=text.encode("utf-8"), write_to=str(png))
    return png


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("names", nargs="*", choices=[*SHOTS, []], metavar="NAME",
                        help=f"which screenshots (default: all of {', '.join(SHOTS)})")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.names or list(SHOTS):
        svg = asyncio.run(shoot(name, args.out))
        # Stable output: the SVG ids embed a hash of the content only.
        png = to_png(svg)
        print(f"{svg.relative_to(ROOT)}  {png.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

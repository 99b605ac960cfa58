"""The ``looptui`` command (DESIGN §4): parse options, run the TUI or headless mode.

Exit status: 0 normal · 1 the target failed to import · 2 usage error (bad option,
missing file, not importable as given, unwritable ``--record`` file) · 3 (headless) at
least one loop ended ``failed`` · 130 interrupted by force (a third SIGINT/SIGTERM). Every mistake a user can make ends in a short message on
stderr saying what was wrong and what to do, never in a traceback of looptui's own.

Textual is imported only when the TUI actually starts, so ``--help``, ``--version`` and
``--headless`` stay fast and work without a terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Sequence

from looptui.core.budget import BUDGET, DEFAULT_BUDGET_MB, KEEP_NEWEST
from looptui.session.program.loader import TargetError
from looptui.session.program.runner import run_bounded
from looptui.session.output.sanitize import safe_text
from looptui.session.program.signals import QuitSignals
from looptui.session.health.watchdog import DEFAULT_THRESHOLD

__all__ = ["main", "run", "build_parser", "EXIT_OK", "EXIT_IMPORT", "EXIT_USAGE"]

EXIT_OK = 0
EXIT_IMPORT = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
"""Ended by a forced interrupt (the third SIGINT/SIGTERM), as shells report Ctrl+C."""
_MAX_LINES = 60
"""Longer error messages are cut in the middle to stay on one screen."""

_DESCRIPTION = (
    "Monitor the background loops (discord.py-style tasks.loop) of a Python module: "
    "a live table of every loop, its state, schedule and last exception."
)
_EPILOG = """\
examples:
  looptui mybot.py                  open the monitor on mybot.py's loops
  looptui mybot.py --main main      also run `async def main()` (e.g. to start a bot)
  looptui mybot.py --headless --for 30 --json > events.jsonl
                                    CI smoke run: events as JSON lines, exit 3 on a failed loop

exit status: 0 ok, 1 the module failed to import, 2 usage error, 3 (headless) a loop failed,
  130 interrupted (SIGINT/SIGTERM: 1st quits gracefully, 2nd cancels, 3rd interrupts)
"""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("looptui")
    except PackageNotFoundError:
        from looptui import __version__

        return __version__


class _VersionAction(argparse.Action):
    """``--version``: the version is read from the package metadata only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="show program's version number and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        sys.stdout.write(f"looptui {_version()}\n")
        parser.exit()


def _positive(kind: str, allow_zero: bool):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{kind} must be a number, not {text!r}") from None
        if value != value or value in (float("inf"), float("-inf")) or value < 0 or (
            value == 0 and not allow_zero
        ):
            raise argparse.ArgumentTypeError(
                f"{kind} must be {'zero or more' if allow_zero else 'more than zero'}, not {text!r}"
            )
        return value

    return parse


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        """Usage errors: the usage line, the problem, a pointer to --help; exit 2."""
        self.print_usage(sys.stderr)
        sys.stderr.write(f"looptui: error: {safe_text(message)}\n"
                         "Run `looptui --help` for all options.\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (DESIGN §4)."""
    p = _Parser(
        prog="looptui", description=_DESCRIPTION, epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("target", metavar="TARGET",
                   help="path to a .py file, or an importable module name")
    p.add_argument("--main", metavar="NAME",
                   help="after import, run the module's coroutine function NAME() on the same "
                        "loop (e.g. one that starts the bot); its failure is shown, not fatal")
    p.add_argument("--no-start", action="store_true",
                   help="don't start discovered loops that the module's code did not start")
    p.add_argument("--no-reload", action="store_true", help="don't watch files")
    p.add_argument("--headless", action="store_true",
                   help="no TUI: print events as lines; with --json, one JSON object per line")
    p.add_argument("--json", action="store_true", help="(with --headless) JSON lines on stdout")
    p.add_argument("--for", dest="duration", metavar="SECONDS", type=_positive("--for", True),
                   help="stop everything gracefully after SECONDS, then exit")
    p.add_argument("--record", metavar="FILE",
                   help="append every event as a JSON line to FILE (flushed per event)")
    p.add_argument("--block-threshold", metavar="SECONDS", type=_positive("--block-threshold", True),
                   default=DEFAULT_THRESHOLD,
                   help="report a loop that blocks the event loop for at least SECONDS "
                        f"(default: {DEFAULT_THRESHOLD:g}; 0 turns the watchdog off)")
    p.add_argument("--buffer-budget", metavar="MB", type=_positive("--buffer-budget", False),
                   default=DEFAULT_BUDGET_MB,
                   help="memory for all loops' output lines and histories together; the "
                        f"oldest lines go first, each loop keeps its newest {KEEP_NEWEST} "
                        f"(default: {DEFAULT_BUDGET_MB:g})")
    p.add_argument("--refresh", metavar="HZ", type=_positive("--refresh", False), default=4.0,
                   help="table refresh rate (default: 4 per second)")
    p.add_argument("--version", action=_VersionAction)
    return p


def _print_error(err: BaseException) -> None:
    lines = safe_text(str(err)).splitlines()
    if len(lines) > _MAX_LINES:
        cut = len(lines) - _MAX_LINES
        lines = lines[:12] + [f"    ... {cut} lines not shown ..."] + lines[12 + cut:]
    sys.stderr.write("looptui: error: " + "\n".join(lines) + "\n")
    sys.stderr.flush()


def _has_terminal() -> bool:
    """Textual reads keys from stdin and draws on stderr: both must be a terminal."""
    streams = (sys.__stdin__, sys.__stderr__)
    return all(stream is not None and stream.isatty() for stream in streams)


async def _run_tui(args: argparse.Namespace) -> int:
    from looptui.session import Session

    session = Session(args.target, main=args.main, start_loops=not args.no_start,
                      watch=not args.no_reload, record=args.record,
                      block_threshold=args.block_threshold)
    # The only place textual is imported. Before the loops start: importing it takes
    # a noticeable fraction of a second, which would stall every loop already running.
    from looptui.ui.app import LoopTuiApp

    # Import errors surface here, before the screen is taken over. The watchdog and the
    # file watcher start after the first frame (the app calls start_background).
    await session.start(background=False)
    if not _has_terminal():
        await session.shutdown()
        sys.stderr.write(
            "looptui: error: the monitor needs a terminal (stdin and stderr are not one).\n"
            "For pipes, CI and logs use: looptui TARGET --headless [--json] [--for SECONDS]\n"
        )
        return EXIT_USAGE
    app: LoopTuiApp | None = None

    def request_quit() -> None:  # SIGINT/SIGTERM: like q (the second: like q q)
        if app is not None:
            app.call_later(app.action_request_quit)

    signals = QuitSignals(request_quit, request_quit)
    signals.install()
    try:
        app = LoopTuiApp(session, refresh_hz=args.refresh)
        timer = None
        if args.duration is not None:
            async def quit_later() -> None:
                await asyncio.sleep(args.duration)
                if not getattr(app, "quitting", False):
                    # the same graceful path as pressing q, run inside the app's own context
                    app.call_later(app.action_request_quit)

            timer = asyncio.get_running_loop().create_task(quit_later())
        try:
            await app.run_async()
        finally:
            if timer is not None:
                timer.cancel()
    finally:
        try:
            stragglers = await session.shutdown()  # no-op when the app already did it
        finally:
            signals.uninstall()
    if stragglers:
        sys.stderr.write("looptui: these loops did not stop: "
                         + ", ".join(safe_text(n, 60, multiline=False) for n in stragglers) + "\n")
    return (app.return_code if app is not None else None) or EXIT_OK  # non-zero: app crashed


async def _run_headless(args: argparse.Namespace) -> int:
    from looptui.headless import run_headless

    return await run_headless(
        args.target, main=args.main, start_loops=not args.no_start, watch=not args.no_reload,
        record=args.record, json_mode=args.json, duration=args.duration,
        block_threshold=args.block_threshold, out=sys.stdout, err=sys.stderr,
    )


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command with *argv* (default: ``sys.argv[1:]``) and return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.json and not args.headless:
        parser.print_usage(sys.stderr)
        sys.stderr.write("looptui: error: --json needs --headless "
                         "(the TUI cannot print JSON lines).\n"
                         "Use: looptui TARGET --headless --json\n")
        return EXIT_USAGE
    BUDGET.set_limit_mb(args.buffer_budget)
    try:
        # not asyncio.run: a loop's sys.exit() must not end looptui, and a loop that
        # ignores cancellation must not keep it from ending (see session.runner)
        return run_bounded(_run_headless(args) if args.headless else _run_tui(args))
    except TargetError as err:
        _print_error(err)
        return err.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("looptui: interrupted\n")
        return EXIT_INTERRUPTED
    except SystemExit as exc:  # user code outside any loop called sys.exit()
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point: run and exit with the status."""
    sys.exit(run(argv))

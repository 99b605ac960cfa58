"""The ``looptui`` command: parse options, run the TUI or headless mode.

Exit status: 0 normal (a graceful quit by a signal or a closed terminal too) · 1 the
target failed to import · 2 usage error (bad option, missing file, not importable as
given, unusable ``--record`` file, no terminal for the TUI) · 3 (headless) at least one
loop ended ``failed``, or the main coroutine failed (attached: or a program was gone at
the end) · 4 events were lost: writing the ``--record`` file failed during the run, or
the headless output could not be written · 130 interrupted by force (a third SIGINT/SIGTERM). Every mistake
a user can make ends in a short message on stderr saying what was wrong and what to
do, never in a traceback of looptui's own. Everything after ``--`` is the program's own
arguments (its ``sys.argv[1:]``).

Textual is imported only when the TUI actually starts, so ``--help``, ``--version`` and
``--headless`` stay fast and work without a terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING, Any, Callable, Coroutine, NoReturn, Sequence, TextIO

from looptui.core.budget import BUDGET, DEFAULT_BUDGET_MB, KEEP_NEWEST
from looptui.session.front import (
    DEFAULT_THRESHOLD,
    EXIT_RECORD_FAILED,
    QuitSignals,
    TargetError,
    TargetImportError,
    attached_session,
    check_program,
    forced_exit_started,
    run_bounded,
    safe_text,
)
from looptui.ui.terminal import TerminalGuard

if TYPE_CHECKING:
    from looptui.agent.metrics import MetricsServer
    from looptui.session.interface import SessionView

__all__ = ["main", "run", "build_parser", "EXIT_OK", "EXIT_IMPORT", "EXIT_USAGE", "EXIT_RECORD_FAILED"]

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
  looptui mybot.py --main main      also run main(): `async def main()`, or `def main(): bot.run(...)`
  looptui -m mybot                  a package with __main__.py, as python -m mybot
  looptui bot.py --offline          run a Discord bot's loops without logging in
  looptui bot.py -- --verbose       the program's own arguments go after --
  looptui mybot.py --headless --for 30 --json > events.jsonl
                                    CI smoke run: events as JSON lines, exit 3 on a failed loop
  looptui mybot.py --metrics :9464  also serve Prometheus metrics of the loops
  looptui attach 12345              watch a running program that calls looptui.agent.start()

exit status: 0 ok, 1 the module failed to import, 2 usage error, 3 (headless) a loop or the main failed,
  4 events lost (writing the --record file or the headless output failed), 130 interrupted (SIGINT/SIGTERM: 1st quits gracefully, 2nd cancels, 3rd interrupts)
"""


class _VersionAction(argparse.Action):
    """``--version``: the version is read from the package metadata only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="show program's version number and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        from looptui.core.version import looptui_version

        sys.stdout.write(f"looptui {looptui_version()}\n")
        parser.exit()


def _number(value: float) -> str:
    """``1,048,576`` or ``0.01``: a limit as people read it."""
    return f"{value:,.0f}" if value == int(value) else f"{value:g}"


def _positive(kind: str, allow_zero: bool, maximum: float = 10 * 365 * 86400.0,
              minimum: float = 0.0) -> Callable[[str], float]:
    """An option's number: finite, more than zero (or zero, *allow_zero*), at most
    *maximum* and at least *minimum* (a usage error otherwise, exit 2)."""
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
        if value > maximum or (value and value < minimum):
            lowest = f"from {_number(minimum)} " if minimum else ""
            raise argparse.ArgumentTypeError(
                f"{kind} must be {lowest}up to {_number(maximum)}, not {text!r}")
        return value

    return parse


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """Usage errors: the usage line, the problem, a pointer to --help; exit 2."""
        self.print_usage(sys.stderr)
        sys.stderr.write(f"looptui: error: {safe_text(message)}\n"
                         "Run `looptui --help` for all options.\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser."""
    p = _Parser(
        prog="looptui", description=_DESCRIPTION, epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("target", metavar="TARGET", nargs="?",
                   help="path to a .py file (run as `python FILE` runs it), a package with "
                        "a __main__.py, or an importable module name")
    p.add_argument("-m", dest="module", metavar="MODULE",
                   help="run a module or package as `python -m MODULE` does")
    p.add_argument("--main", metavar="NAME",
                   help="after the program ran, call its function NAME() on the same loop: a "
                        "coroutine function, or a plain one that calls bot.run() / "
                        "asyncio.run() (taken over); its failure is shown, not fatal")
    p.add_argument("--no-start", action="store_true",
                   help="don't start discovered loops that the module's code did not start")
    p.add_argument("--no-reload", action="store_true", help="don't watch files")
    p.add_argument("--headless", action="store_true",
                   help="no TUI: print events as lines; with --json, one JSON object per line")
    p.add_argument("--json", action="store_true", help="(with --headless) JSON lines on stdout")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="(with --headless) also print every iteration (started, ok, state "
                        "changes); --json always has every event")
    p.add_argument("--for", dest="duration", metavar="SECONDS", type=_positive("--for", True),
                   help="stop everything gracefully after SECONDS, then exit")
    p.add_argument("--record", metavar="FILE",
                   help="append every event as a JSON line to FILE (written within 50 ms; "
                        "exit 4 if writing fails)")
    p.add_argument("--block-threshold", metavar="SECONDS", type=_positive("--block-threshold", True, 3600.0),
                   default=DEFAULT_THRESHOLD,
                   help="report a loop that blocks the event loop for at least SECONDS "
                        f"(default: {DEFAULT_THRESHOLD:g}; 0 turns the watchdog off)")
    p.add_argument("--buffer-budget", metavar="MB", type=_positive("--buffer-budget", False, 1024.0 * 1024),
                   default=DEFAULT_BUDGET_MB,
                   help="memory for all loops' output lines and histories together; the "
                        f"oldest lines go first, each loop keeps its newest {KEEP_NEWEST} "
                        f"(default: {DEFAULT_BUDGET_MB:g})")
    p.add_argument("--refresh", metavar="HZ", type=_positive("--refresh", False, 100.0, 0.01),
                   default=4.0,
                   help="table refresh rate (default: 4 per second)")
    p.add_argument("--metrics", metavar="[HOST:]PORT",
                   help="serve Prometheus metrics of the loops on PORT (loopback unless HOST "
                        "is given; needs looptui[metrics])")
    p.add_argument("--offline", action="store_true",
                   help="run Discord clients without logging in or connecting: what the library "
                        "runs on the way to ready (setup_hook, extensions), then on_ready")
    p.add_argument("--version", action=_VersionAction)
    return p


def build_attach_parser() -> argparse.ArgumentParser:
    """The parser of ``looptui attach ADDRESS...``."""
    p = _Parser(
        prog="looptui attach",
        description="Watch and control the loops of programs already running "
                    "(they call looptui.agent.start()).",
        epilog="examples:\n  looptui attach 12345             the program with pid 12345 (followed "
               "across restarts)\n"
               "  looptui attach bot               every running process of the program bot\n"
               "  LOOPTUI_TOKEN=T looptui attach /run/bot.sock 10.0.0.5:7890\n"
               "  looptui attach 12345 --headless --json --for 60 > events.jsonl\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("addresses", metavar="ADDRESS", nargs="+",
                   help="a pid, a program name, a socket path, unix:PATH, "
                        "or HOST:PORT[?token=TOKEN]")
    p.add_argument("--token", help="the token of TCP addresses (printed by the agent); "
                                   "visible to other users in `ps`: prefer $LOOPTUI_TOKEN "
                                   "or --token-file")
    p.add_argument("--token-file", metavar="FILE",
                   help="read the token of TCP addresses from FILE (default: "
                        "$LOOPTUI_TOKEN when set)")
    p.add_argument("--headless", action="store_true",
                   help="no TUI: print events as lines; with --json, one JSON object per line")
    p.add_argument("--json", action="store_true", help="(with --headless) JSON lines on stdout")
    p.add_argument("--for", dest="duration", metavar="SECONDS", type=_positive("--for", True),
                   help="detach after SECONDS (the programs go on)")
    p.add_argument("--record", metavar="FILE",
                   help="append every event as a JSON line to FILE (flushed per event)")
    p.add_argument("--refresh", metavar="HZ", type=_positive("--refresh", False, 100.0, 0.01),
                   default=4.0,
                   help="table refresh rate (default: 4 per second)")
    return p
def split_program_args(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """looptui's own arguments, and the program's (everything after the first ``--``)."""
    argv = list(argv)
    if "--" in argv:
        at = argv.index("--")
        return argv[:at], argv[at + 1:]
    return argv, []


_TERMINAL: list[TextIO] = []
"""The stderr looptui was started with: its own messages go there even after the
program replaced ``sys.stderr`` (with a log file, say) while it was imported."""


def _err() -> TextIO:
    return _TERMINAL[-1] if _TERMINAL else sys.stderr


def _print_error(err: BaseException) -> None:
    lines = safe_text(str(err)).splitlines()
    if len(lines) > _MAX_LINES:
        cut = len(lines) - _MAX_LINES
        lines = lines[:12] + [f"    ... {cut} lines not shown ..."] + lines[12 + cut:]
    _err().write("looptui: error: " + "\n".join(lines) + "\n")
    _err().flush()


def _has_terminal() -> bool:
    """Textual reads keys from stdin and draws on stderr: both must be a terminal."""
    streams = (sys.__stdin__, sys.__stderr__)
    return all(stream is not None and stream.isatty() for stream in streams)


def _session(args: argparse.Namespace) -> SessionView:
    """The in-process session for *args* (nothing imported or started yet)."""
    from looptui.session import Session

    return Session(args.target, main=args.main, start_loops=not args.no_start,
                   watch=not args.no_reload, record=args.record,
                   block_threshold=args.block_threshold, offline=args.offline,
                   args=args.program_args, as_module=getattr(args, "as_module", False))


def _attach_session(args: argparse.Namespace) -> SessionView:
    """The session of ``looptui attach`` (nothing connected yet)."""
    return attached_session(args.addresses, _attach_token(args), record=args.record,
                            say=lambda note: sys.stderr.write(f"looptui attach: {note}\n"))


def _attach_token(args: argparse.Namespace) -> str | None:
    """The token of TCP addresses: ``--token``, else ``--token-file``, else
    ``$LOOPTUI_TOKEN`` (an address's own ``?token=`` comes first)."""
    import os

    from looptui.session.front import TargetUsageError

    if args.token:
        return str(args.token)
    if args.token_file:
        try:
            with open(args.token_file, encoding="utf-8") as file:
                token = file.read(4096).strip()
        except (OSError, UnicodeDecodeError) as err:
            reason = getattr(err, "strerror", None) or str(err)
            raise TargetUsageError(f"--token-file {args.token_file}: cannot read it "
                                   f"({reason})") from None
        if not token:
            raise TargetUsageError(f"--token-file {args.token_file}: the file is empty")
        return token
    return os.environ.get("LOOPTUI_TOKEN", "").strip() or None


def _count_for_metrics(args: argparse.Namespace, session: SessionView) -> None:
    """With ``--metrics``, have the loops count every iteration in histograms from their
    first one (before the session starts them), so the histograms are exact."""
    if getattr(args, "metrics", None):
        session.registry.collect_histograms()


async def _serve_metrics(args: argparse.Namespace, session: SessionView) -> MetricsServer:
    """Start ``--metrics`` for the session's loops (after the session started)."""
    from looptui.agent.endpoint import parse_hostport
    from looptui.agent.metrics import MetricsServer

    host, port = parse_hostport(args.metrics)
    server = MetricsServer(session.registry, host, port,
                           sock=getattr(args, "metrics_socket", None))
    args.metrics_socket = None  # the server owns it now
    await server.serve()
    terminal = sys.__stderr__  # not the session's capture of sys.stderr
    if terminal is not None:
        terminal.write(f"looptui: metrics on http://{server.address}/metrics\n")
        terminal.flush()
    return server


def _check_metrics(args: argparse.Namespace) -> str | None:
    """Why ``--metrics`` cannot work as given, or ``None``."""
    if getattr(args, "metrics", None) is None:
        return None
    from looptui.agent.endpoint import parse_hostport

    try:
        host, port = parse_hostport(args.metrics)
    except ValueError as err:
        return f"--metrics: {err}"
    try:
        import prometheus_client  # noqa: F401
    except ImportError:
        return ("--metrics needs the prometheus_client package: "
                "pip install 'looptui[metrics]'")
    from looptui.agent.metrics import bind_port

    try:  # bound now, before the program runs: a taken port is a usage error
        args.metrics_socket = bind_port(host, port)
    except OSError as err:
        return (f"--metrics {args.metrics}: cannot listen on {host}:{port} "
                f"({err.strerror or err}). Choose another port, e.g. --metrics :0 "
                "for any free one.")
    return None


async def _run_tui(args: argparse.Namespace, guard: TerminalGuard,
                   session: SessionView | None = None) -> int:
    if session is None:
        # Everything that can be checked is checked before any of the program's code
        # runs (its import may start loops, and a body may send a message): the target,
        # the record file, then the terminal.
        check_program(args.target, args.as_module)
        session = _session(args)
    if not _has_terminal():
        if session.local is not None:
            session.local.close_record()
        _err().write(
            "looptui: error: the monitor needs a terminal (stdin and stderr are not one).\n"
            "For pipes, CI and logs use: looptui TARGET --headless [--json] [--for SECONDS]\n"
        )
        return EXIT_USAGE
    # The only place textual is imported. Before the loops start: importing it takes
    # a noticeable fraction of a second, which would stall every loop already running.
    from looptui.ui.app import LoopTuiApp

    app: LoopTuiApp | None = None
    asked_early = False

    def request_quit() -> None:  # SIGINT/SIGTERM: like q (the second: like q q)
        nonlocal asked_early
        if app is not None:
            app.call_later(app.action_request_quit)
        else:
            asked_early = True

    # SIGHUP too: a terminal that hung up is first sent to /dev/null, then the same
    # graceful quit follows (the app's driver reports a failed read or write as SIGHUP)
    signals = QuitSignals(request_quit, request_quit, on_hangup=guard.hang_up)
    signals.install()  # before the import: the program may install handlers of its own
    local = session.local
    if local is not None:
        local.import_hooks.append(signals.reassert)
    _count_for_metrics(args, session)
    signals.importing = True  # the event loop cannot serve a signal until the import ends
    try:
        # Import errors surface here, before the screen is taken over. A local session
        # starts its watchdog, file watcher and periodic discovery after the first frame
        # (the app calls start_background); an attached one has none of them.
        try:
            await _start(session)
        except TargetImportError as err:
            if not _waits_for_fix(args, session):
                raise
            signals.importing = False
            session = await _wait_for_fix(args, session, err, guard)
            if session is None:  # the user gave up (q): as without the wait
                raise
    except BaseException:
        signals.uninstall()
        raise
    finally:
        signals.importing = False
    metrics: MetricsServer | None = None
    try:
        metrics = await _serve_metrics(args, session) if getattr(args, "metrics", None) else None
        if asked_early:  # a signal came between the import and the first frame
            return EXIT_OK
        app = LoopTuiApp(session, refresh_hz=args.refresh)
        guard.on_restore.append(app.abandon_terminal)
        timer = None
        if args.duration is not None:
            async def quit_later() -> None:
                await asyncio.sleep(args.duration)
                if not getattr(app, "quitting", False):
                    # the same graceful path as pressing q, run inside the app's own context
                    app.call_later(app.action_request_quit)

            timer = asyncio.get_running_loop().create_task(quit_later())
        try:
            guard.entered()
            await app.run_async()
            guard.left()
        finally:
            if timer is not None:
                timer.cancel()
    finally:
        try:
            stragglers = await session.shutdown()  # no-op when the app already did it
        finally:
            guard.restore()  # only if the app did not give the terminal back itself
            signals.uninstall()
            if metrics is not None:
                metrics.close()
    if stragglers:
        _err().write("looptui: these loops did not stop: "
                     + ", ".join(safe_text(n, 60, multiline=False) for n in stragglers) + "\n")
    crashed = app.return_code if app is not None else None  # non-zero: the app crashed
    record_error = session.record_error
    if record_error:
        _err().write(f"looptui: {safe_text(record_error)} (the record is incomplete)\n")
        return crashed or EXIT_RECORD_FAILED
    return crashed or EXIT_OK


async def _start(session: SessionView) -> None:
    """Start *session*; a local one without its background work (the app starts it)."""
    if session.local is not None:
        await session.local.start(background=False)
    else:
        await session.start()


def _waits_for_fix(args: argparse.Namespace, session: SessionView) -> bool:
    """Whether a failed import at start waits for a save (the TUI of ``looptui TARGET``
    with reload on; headless exits 1 at once, as a CI run should)."""
    return (not getattr(args, "no_reload", True) and not getattr(args, "headless", False)
            and session.local is not None)


def _watched_folder(target: str) -> str:
    """The folder saves are watched in while the target does not import: the script's
    own, else the package's or module's, else the working folder."""
    import importlib.util
    import os

    if target.endswith(".py") or os.sep in target:
        return os.path.dirname(os.path.abspath(target)) or os.getcwd()
    try:
        spec = importlib.util.find_spec(target.split(".")[0])
    except (ImportError, ValueError):
        spec = None
    origin = getattr(spec, "origin", None)
    if isinstance(origin, str) and os.path.isfile(origin):
        folder = os.path.dirname(origin)
        return os.path.dirname(folder) if origin.endswith("__init__.py") else folder
    return os.getcwd()


async def _wait_for_fix(args: argparse.Namespace, failed: SessionView,
                        error: TargetError, guard: TerminalGuard) -> SessionView | None:
    """Show *error* and import again on each save until it works (a new session) or the
    user quits (``None``)."""
    from looptui.ui.import_error_app import ImportErrorApp

    session = failed
    started: list[SessionView] = []

    async def retry() -> str | None:
        nonlocal session
        await session.shutdown()  # what the failed import left behind
        registry = session.registry  # loops the failed import made (none ran): forget them
        for tracker in list(registry.trackers()):
            if not tracker.is_active:
                registry.unregister(tracker)  # type: ignore[attr-defined]
        session = _session(args)
        try:
            await _start(session)
        except TargetError as err:
            return str(err)
        started.append(session)
        return None

    app = ImportErrorApp(args.target, str(error), _watched_folder(args.target), retry)
    guard.entered()
    await app.run_async()
    guard.left()
    if started:
        return started[-1]
    await session.shutdown()
    return None


async def _run_headless(args: argparse.Namespace, session: SessionView | None = None) -> int:
    from looptui.headless import follow

    session = session if session is not None else _session(args)
    _count_for_metrics(args, session)
    metrics: MetricsServer | None = None
    started = None
    if getattr(args, "metrics", None):
        async def started(view: SessionView) -> None:
            nonlocal metrics
            metrics = await _serve_metrics(args, view)
    try:
        return await follow(session, json_mode=args.json, duration=args.duration,
                            verbose=getattr(args, "verbose", False),
                            out=sys.stdout, err=sys.stderr, on_started=started)
    finally:
        if metrics is not None:
            metrics.close()


def run_attach(argv: Sequence[str]) -> int:
    """``looptui attach ADDRESS...``: the TUI (or headless) for programs already running."""
    parser = build_attach_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.json and not args.headless:
        parser.print_usage(sys.stderr)
        sys.stderr.write("looptui attach: error: --json needs --headless\n")
        return EXIT_USAGE

    def front_end(guard: TerminalGuard) -> Coroutine[Any, Any, int]:
        session = _attach_session(args)
        return (_run_headless(args, session) if args.headless
                else _run_tui(args, guard, session))

    return _run_guarded(front_end)


def _run_guarded(front_end: Callable[[TerminalGuard], Coroutine[Any, Any, int]]) -> int:
    """Run the coroutine *front_end* makes to its end and return its exit status.

    Not asyncio.run: a loop's sys.exit() must not end looptui, and a loop that ignores
    cancellation must not keep it from ending (see session.runner). The terminal is given
    back on every way out, before any message; what escapes becomes an exit status.
    """
    try:
        guard = TerminalGuard()
        try:
            return run_bounded(front_end(guard))
        finally:
            guard.restore()  # a forced exit: the terminal back before any message
    except TargetError as err:
        _print_error(err)
        return err.exit_code
    except KeyboardInterrupt:
        forced_exit_started()  # a further signal on the way out: 130 at once
        _err().write("looptui: interrupted\n")
        return EXIT_INTERRUPTED
    except SystemExit as exc:  # user code outside any loop called sys.exit()
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command with *argv* (default: ``sys.argv[1:]``) and return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["attach"]:  # a file named attach is given as ./attach or attach.py
        return run_attach(argv[1:])
    parser = build_parser()
    own, program_args = split_program_args(argv)
    try:
        args = parser.parse_args(own)
        args.program_args = program_args
        _pick_target(parser, args)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.json and not args.headless:
        parser.print_usage(sys.stderr)
        sys.stderr.write("looptui: error: --json needs --headless "
                         "(the TUI cannot print JSON lines).\n"
                         "Use: looptui TARGET --headless --json\n")
        return EXIT_USAGE
    problem = _check_metrics(args)
    if problem:
        parser.print_usage(sys.stderr)
        sys.stderr.write(f"looptui: error: {problem}\n")
        return EXIT_USAGE
    BUDGET.set_limit_mb(args.buffer_budget)
    try:
        return _run_guarded(lambda guard: _run_headless(args) if args.headless
                            else _run_tui(args, guard))
    finally:
        unused = getattr(args, "metrics_socket", None)
        if unused is not None:  # the run ended before serving metrics
            unused.close()


def _pick_target(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """``TARGET`` or ``-m MODULE``, exactly one of them (a usage error otherwise)."""
    if args.module is not None and args.target is not None:
        parser.error(f"give either TARGET or -m MODULE, not both ({args.target!r} and "
                     f"-m {args.module!r}); the program's own arguments go after --")
    if args.module is None and args.target is None:
        parser.error("the following arguments are required: TARGET (or -m MODULE)")
    args.as_module = args.module is not None
    if args.as_module:
        args.target = args.module


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point: run and exit with the status."""
    _TERMINAL.append(sys.stderr)
    try:
        status = run(argv)
    finally:
        _TERMINAL.pop()
        _restore_streams()
    sys.exit(status)


def _restore_streams() -> None:
    """Give the process its own streams back for the interpreter's last words."""
    if sys.__stdout__ is not None:
        sys.stdout = sys.__stdout__
    if sys.__stderr__ is not None:
        sys.stderr = sys.__stderr__

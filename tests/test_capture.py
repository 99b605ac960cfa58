"""Output capture: every line reaches the loop that wrote it, never the terminal."""

from __future__ import annotations

import asyncio
import io
import logging
import sys
import threading

import pytest

from looptui import loop
from looptui.core.context import current_tracker
from looptui.core.registry import REGISTRY
from looptui.core.tracker import Tracker
from looptui.session.output.capture import MAX_PENDING, OutputCapture
from looptui.session.output.sanitize import safe_text
from looptui.testing import run_virtual


@pytest.fixture(autouse=True)
def _clean_registry():
    REGISTRY.clear()
    yield
    REGISTRY.clear()


class Lines:
    """A deliver callback that keeps ``(tracker_name, stream, text)``."""

    def __init__(self) -> None:
        self.lines: list[tuple[str | None, str, str]] = []
        self.nested: list[tuple[str, str]] = []

    def __call__(self, tracker, stream, text):
        self.lines.append((tracker.name if tracker else None, stream, text))


@pytest.fixture
def capture(capsys):
    """A capture to install in the test body (pytest re-installs its own per phase)."""
    lines = Lines()
    cap = OutputCapture(lines, lambda stream, text: lines.nested.append((stream, text)))
    cap.lines = lines
    try:
        yield cap
    finally:
        cap.uninstall()


def test_print_outside_a_loop_is_general_output(capture, capsys):
    capture.install()
    print("hello", "world")
    sys.stderr.write("oops\n")
    assert capture.lines.lines == [(None, "stdout", "hello world"), (None, "stderr", "oops")]
    capture.uninstall()
    assert capsys.readouterr() == ("", "")


def test_lines_are_attributed_by_context(capture):
    capture.install()
    tracker = Tracker("job")
    token = current_tracker.set(tracker)
    try:
        print("inside")
    finally:
        current_tracker.reset(token)
    print("outside")
    assert capture.lines.lines == [("job", "stdout", "inside"), (None, "stdout", "outside")]


def test_partial_lines_wait_for_their_newline_per_writer(capture):
    capture.install()
    a, b = Tracker("a"), Tracker("b")
    for tracker, text in ((a, "a1 "), (b, "b1 "), (a, "a2\n"), (b, "b2\nb3")):
        token = current_tracker.set(tracker)
        sys.stdout.write(text)
        current_tracker.reset(token)
    sys.stdout.flush()  # a flush does not cut a line
    assert capture.lines.lines == [("a", "stdout", "a1 a2"), ("b", "stdout", "b1 b2")]
    capture.flush_pending()
    assert capture.lines.lines[-1] == ("b", "stdout", "b3")


def test_carriage_returns_keep_what_a_terminal_would_show(capture):
    capture.install()
    print("10%\r50%\r100%")
    print("windows line\r")
    assert [t for _, _, t in capture.lines.lines] == ["100%", "windows line"]


def test_a_huge_line_without_newline_is_delivered(capture):
    capture.install()
    sys.stdout.write("x" * (MAX_PENDING + 1))
    assert capture.lines.lines == [(None, "stdout", "x" * (MAX_PENDING + 1))]


def test_writes_from_threads_are_delivered_on_the_loop_thread():
    lines = Lines()
    seen_threads: list[int] = []

    def deliver(tracker, stream, text):
        seen_threads.append(threading.get_ident())
        lines(tracker, stream, text)

    async def main():
        cap = OutputCapture(deliver)
        cap.install()
        try:
            tracker = Tracker("threaded")
            current_tracker.set(tracker)
            await asyncio.to_thread(print, "from a thread")  # to_thread copies the context
            for _ in range(100):
                if lines.lines:
                    break
                await asyncio.sleep(0)
        finally:
            cap.uninstall()

    asyncio.run(main())
    assert lines.lines == [("threaded", "stdout", "from a thread")]
    assert seen_threads == [threading.get_ident()]


def test_logging_lines_are_labelled_logging(capture):
    capture.install()
    logger = logging.getLogger("capture_test")
    handler = logging.StreamHandler()  # created now: writes to the proxy (sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("disk low")
    finally:
        logger.removeHandler(handler)
    assert capture.lines.lines == [(None, "logging", "WARNING disk low")]


def test_logging_without_configuration_is_captured(capture, monkeypatch):
    monkeypatch.setattr(logging.root, "handlers", [])  # pytest's own log capture
    capture.install()
    logging.getLogger("capture_test_unconfigured").warning("last resort")
    assert capture.lines.lines == [(None, "logging", "last resort")]


def test_handlers_holding_the_real_stream_are_pointed_at_the_proxy():
    real = io.StringIO()
    logger = logging.getLogger("capture_test_early")
    handler = logging.StreamHandler(real)
    logger.addHandler(handler)
    logger.propagate = False
    lines = Lines()
    saved = sys.stderr
    sys.stderr = real  # as if the handler had been made on the terminal's stderr
    try:
        cap = OutputCapture(lines)
        cap.install()
        logger.warning("early handler")
        cap.uninstall()
        assert handler.stream is real
    finally:
        sys.stderr = saved
        logger.removeHandler(handler)
    assert lines.lines == [(None, "logging", "early handler")]
    assert real.getvalue() == ""


def test_writes_during_delivery_are_not_delivered_again():
    lines = Lines()

    def printing_sink(tracker, stream, text):
        lines(tracker, stream, text)
        print("echo:", text)  # a careless sink that prints

    cap = OutputCapture(printing_sink, lambda s, t: lines.nested.append((s, t)))
    cap.install()
    try:
        print("once")
    finally:
        cap.uninstall()
    assert lines.lines == [(None, "stdout", "once")]
    assert lines.nested == [("stdout", "echo: once")]


def test_install_is_idempotent_and_reinstalls_after_replacement(capture):
    capture.install()
    real_stdout = capture.original_stdout
    capture.install()
    assert capture.original_stdout is real_stdout
    sys.stdout = io.StringIO()  # what Textual's app does while it runs
    capture.install()
    assert sys.stdout is capture.stdout
    assert capture.original_stdout is real_stdout


def test_uninstall_restores_and_the_proxy_then_passes_through(capsys):
    lines = Lines()
    cap = OutputCapture(lines)
    cap.install()
    proxy = sys.stdout
    cap.uninstall()
    cap.uninstall()
    assert sys.stdout is not proxy
    proxy.write("late\n")  # someone kept a reference to the proxy
    assert capsys.readouterr().out == "late\n"
    assert lines.lines == []


def test_proxy_looks_like_a_text_stream(capture):
    capture.install()
    assert sys.stdout.isatty() is False
    assert sys.stdout.writable()
    sys.stdout.buffer.write("bytes é\n".encode())
    with pytest.raises(TypeError):
        sys.stdout.write(b"raw")  # type: ignore[arg-type]
    assert capture.lines.lines == [(None, "stdout", "bytes é")]


def test_a_print_in_a_loop_becomes_that_loops_output(capsys):
    """End to end with the real engine: nothing reaches the terminal."""

    async def main():
        cap = OutputCapture(lambda t, s, text: t.add_output(s, text) if t else None)
        cap.install()
        try:
            @loop(seconds=1, count=2)
            async def talker():
                print("talking \x1b[31m", talker.current_loop)
                print("to stderr", file=sys.stderr)

            await talker.start()
            return talker.tracker
        finally:
            cap.uninstall()

    tracker = run_virtual(main)
    assert [(s, t) for _, s, t in tracker.output] == [
        ("stdout", "talking \x1b[31m 0"), ("stderr", "to stderr"),
        ("stdout", "talking \x1b[31m 1"), ("stderr", "to stderr"),
    ]
    assert capsys.readouterr() == ("", "")


# --------------------------------------------------------------------- sanitize
@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[31mred\x1b[0m", "␛[31mred␛[0m"),
        ("\x1b]0;title\x07", "␛]0;title␇"),
        ("\x9b2J", "\\x9b2J"),
        ("a\x00b\x7f", "a␀b␡"),
        ("evil\u202egnp.exe", "evil\\u202egnp.exe"),
        ("bad \udcff byte", "bad \\xff byte"),
        ("lone \ud800", "lone \\ud800"),
        ("héllo 👋", "héllo 👋"),
    ],
)
def test_safe_text_makes_controls_inert(raw, shown):
    assert safe_text(raw) == shown


def test_safe_text_lines_tabs_and_limits():
    assert safe_text("a\n\tb") == "a\n    b"
    assert safe_text("a\nb", multiline=False) == "a␊b"
    assert safe_text("abcdef", 4) == "abc…"
    assert safe_text("abcd", 4) == "abcd"
    assert safe_text("\x1b\x1b\x1b", 2) == "␛…"
    assert safe_text("abc", 0) == ""
    assert safe_text(b"ok \xff") == "ok \\xff"
    assert safe_text(None) == "None"

    class Broken:
        def __str__(self):
            raise RuntimeError

    assert safe_text(Broken()) == "<unprintable Broken: RuntimeError>"


def test_reinstalling_over_a_restored_proxy_keeps_the_real_original(capsys):
    cap = OutputCapture(Lines())
    cap.install()
    real = cap.original_stdout
    cap.uninstall()
    sys.stdout = cap.stdout  # e.g. Textual's redirect restoring what it saw at app start
    cap.install()
    assert cap.original_stdout is real
    cap.uninstall()
    assert sys.stdout is real

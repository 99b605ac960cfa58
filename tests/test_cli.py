"""The command line (README "Using looptui"): every exit code and the message for each mistake.

Each case runs ``python -m looptui`` in a subprocess, as a user would.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from looptui.cli import build_parser, run

TARGETS = Path(__file__).parent / "fixtures" / "targets"
TIMEOUT = 60


def looptui(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "looptui", *args],
        capture_output=True, text=True, timeout=TIMEOUT, cwd=cwd,
    )


def assert_short_error(result: subprocess.CompletedProcess[str], code: int, *phrases: str):
    assert result.returncode == code, (result.stdout, result.stderr)
    assert result.stdout == ""
    for phrase in phrases:
        assert phrase in result.stderr
    assert "looptui/session" not in result.stderr and "looptui/cli" not in result.stderr
    assert len(result.stderr.splitlines()) <= 25


# -------------------------------------------------------------------- exit 2
def test_missing_file(tmp_path):
    assert_short_error(looptui(str(tmp_path / "bot.py")), 2,
                       "looptui: error:", "bot.py: no such file", "Check the path")


def test_directory(tmp_path):
    assert_short_error(looptui(str(tmp_path)), 2, "is a directory", "Give the .py file")


def test_not_a_py_file(tmp_path):
    path = tmp_path / "bot.txt"
    path.write_text("x = 1\n")
    assert_short_error(looptui(str(path)), 2, "is not a .py file")


def test_module_not_importable(tmp_path):
    assert_short_error(looptui("no_such_module_here", cwd=tmp_path), 2,
                       "no module with that name can be imported")


def test_unknown_option():
    assert_short_error(looptui(str(TARGETS / "noloops.py"), "--frobnicate"), 2,
                       "usage: looptui", "unrecognized arguments: --frobnicate", "--help")


def test_missing_target():
    assert_short_error(looptui(), 2, "the following arguments are required: TARGET")


def test_json_without_headless():
    assert_short_error(looptui(str(TARGETS / "noloops.py"), "--json"), 2,
                       "--json needs --headless")


@pytest.mark.parametrize(("option", "value"), [("--for", "-1"), ("--for", "soon"),
                                               ("--refresh", "0"), ("--refresh", "nan"),
                                               ("--buffer-budget", "1e308"),
                                               ("--block-threshold", "1e308"),
                                               ("--refresh", "1e308"), ("--for", "1e308")])
def test_bad_numbers(option, value):
    assert_short_error(looptui(str(TARGETS / "noloops.py"), option, value), 2, option)


def test_unwritable_record_file(tmp_path):
    assert_short_error(
        looptui(str(TARGETS / "noloops.py"), "--headless", "--record",
                str(tmp_path / "missing_dir" / "events.jsonl")),
        2, "--record", "cannot open for writing",
    )


def test_unknown_main_function():
    result = looptui(str(TARGETS / "noloops.py"), "--headless", "--main", "start_bot")
    assert result.returncode == 2
    assert "--main start_bot: noloops.py has no function named start_bot" in result.stderr


# -------------------------------------------------------------------- exit 1
def test_syntax_error_shows_the_users_file_and_line(tmp_path):
    path = tmp_path / "typo_bot.py"
    path.write_text("from looptui import loop\n\n@loop(seconds=5\nasync def f():\n    pass\n")
    result = looptui(str(path), "--headless")
    assert_short_error(result, 1, "has a syntax error", f'File "{path}", line 3',
                       "SyntaxError", "Fix it and run looptui again")


def test_exception_at_import_shows_the_users_traceback(tmp_path):
    path = tmp_path / "raising_bot.py"
    path.write_text("import os\n\nTOKEN = os.environ['NO_SUCH_TOKEN_VAR_XYZ']\n")
    result = looptui(str(path), "--headless")
    assert_short_error(result, 1, "raised an exception while being imported",
                       "Traceback (most recent call last):",
                       f'File "{path}", line 3, in <module>', "KeyError: 'NO_SUCH_TOKEN_VAR_XYZ'")
    assert "\x1b" not in result.stderr


def test_escape_sequences_in_an_import_error_are_inert(tmp_path):
    path = tmp_path / "escaping_bot.py"
    path.write_text("raise ValueError('\\x1b[2J\\x1b]0;title\\x07')\n")
    result = looptui(str(path), "--headless")
    assert result.returncode == 1
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "ValueError: ␛[2J␛]0;title␇" in result.stderr


def test_a_long_traceback_stays_on_one_screen(tmp_path):
    path = tmp_path / "deep_bot.py"
    chain = "".join(f"def f{i}():\n    return f{i + 1}()\n" for i in range(40))
    path.write_text(chain + "def f40():\n    return 1 / 0\n\nf0()\n")
    result = looptui(str(path), "--headless")
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) <= 62
    assert "lines not shown" in result.stderr
    assert "ZeroDivisionError: division by zero" in result.stderr


# ------------------------------------------------------------------- exit 0/3
def test_no_loops_found_is_not_an_error():
    result = looptui(str(TARGETS / "noloops.py"), "--headless")
    assert result.returncode == 0
    assert "no loops found in noloops.py" in result.stdout


def test_a_failing_loop_exits_3_in_headless():
    result = looptui(str(TARGETS / "failing.py"), "--headless", "--for", "0.3")
    assert result.returncode == 3


def test_module_name_target(tmp_path):
    (tmp_path / "bots").mkdir()
    (tmp_path / "bots" / "__init__.py").write_text("")
    (tmp_path / "bots" / "ticker.py").write_text(
        "from looptui import loop\n@loop(seconds=0.01, count=1)\nasync def once():\n    pass\n"
    )
    result = looptui("bots.ticker", "--headless", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "once" in result.stdout and "finished" in result.stdout


def test_version_and_help():
    from importlib.metadata import version

    result = looptui("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"looptui {version('looptui')}"
    result = looptui("--help")
    assert result.returncode == 0
    for option in ("--main NAME", "--no-start", "--no-reload", "--headless", "--json",
                   "--for SECONDS", "--record FILE", "--refresh HZ", "--version", "exit status"):
        assert option in result.stdout


# ------------------------------------------------------------------ in process
def test_parser_defaults_and_run_return_codes(capsys):
    args = build_parser().parse_args(["bot.py"])
    assert (args.target, args.main, args.no_start, args.no_reload, args.headless, args.json,
            args.duration, args.record, args.refresh) == (
        "bot.py", None, False, False, False, False, None, None, 4.0)
    assert run(["--json", "bot.py"]) == 2
    assert run(["--bogus"]) == 2
    assert run(["--help"]) == 0
    capsys.readouterr()


def test_cli_imports_no_textual_for_headless():
    code = (
        "import sys; from looptui.cli import run; "
        f"rc = run([{str(TARGETS / 'noloops.py')!r}, '--headless']); "
        "assert 'textual' not in sys.modules, 'textual imported'; sys.exit(rc)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr


def test_tui_without_a_terminal_points_to_headless():
    result = subprocess.run(
        [sys.executable, "-m", "looptui", str(TARGETS / "forever.py")],
        capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL,
    )
    assert_short_error(result, 2, "needs a terminal", "--headless")


def test_tui_without_a_terminal_refuses_before_running_any_of_the_program(tmp_path):
    ran = tmp_path / "ran"
    program = tmp_path / "sends.py"
    program.write_text(
        "import pathlib\n"
        "from looptui import loop\n"
        f"pathlib.Path({str(ran)!r}).write_text('imported')\n"
        "@loop(seconds=1)\n"
        "async def send():\n"
        "    pass\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "looptui", str(program), "--record", str(tmp_path / "e.jsonl")],
        capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL,
    )
    assert_short_error(result, 2, "needs a terminal")
    assert not ran.exists()  # the module was never imported, no body ran


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_tui_runs_for_the_given_time_then_exits_cleanly():
    import os
    import pty

    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "looptui", str(TARGETS / "forever.py"), "--for", "1"],
        stdin=slave, stdout=slave, stderr=slave, env=env,
    )
    os.close(slave)
    screen = bytearray()
    try:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child side is closed
                break
            if not chunk:
                break
            screen += chunk
        assert proc.wait(timeout=TIMEOUT) == 0
    finally:
        proc.kill()
        os.close(master)
    text = screen.decode("utf-8", "replace")
    assert "heartbeat" in text  # the table was drawn
    assert "beat\r\n" not in text and "\nbeat" not in text  # the loop's prints were captured

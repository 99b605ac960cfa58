"""A real py-cord bot as it is, in its own environment (py-cord installs ``discord`` too).

The same patterns as ``test_real_bots.py`` (``bot.run`` at module level, a cog loaded at
import whose loop starts in ``__init__`` and waits for ready, one started in ``on_ready``,
one never started), under ``looptui --headless --json`` online (no token: login fails
locally) and ``--offline``; then, in a session in that environment, reloading the saved
cog through py-cord's ``reload_extension`` and the interval dialog's ``09:00 Europe/Paris``
(see ``fixtures/foreign/pycord_bot_check.py``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from test_adapters_pycord import ROOT, pycord_path  # noqa: F401  (the fixture)

BOT = ROOT / "tests" / "fixtures" / "bots" / "pycord_run"
CHECK = ROOT / "tests" / "fixtures" / "foreign" / "pycord_bot_check.py"


def environment(pycord: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "LOOPTUI_FIXTURE_TOKEN"}
    env["PYTHONPATH"] = os.pathsep.join([str(pycord), str(ROOT)])
    return env


def looptui(pycord: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    done = subprocess.run(
        [sys.executable, "-m", "looptui", str(BOT / "bot.py"), "--headless", "--json",
         "--no-reload", "--for", "1.5", *args],
        capture_output=True, text=True, timeout=60, env=environment(pycord),
    )
    return done.returncode, [json.loads(x) for x in done.stdout.splitlines() if x.startswith("{")]


def test_pycord_bot_online_reports_the_failed_login_and_lists_every_loop(pycord_path):
    code, events = looptui(pycord_path)
    assert code == 3
    failed = next(e for e in events if e["event"] == "main_failed")
    assert failed["name"] == "bot.run() at bot.py:17" and "token" in failed["message"]
    summary = events[-1]
    assert summary["event"] == "summary"
    assert {e["loop"]: e["state"] for e in summary["loops"]} == {
        "Reminders.remind": "cancelled", "Reminders.refresh": "idle", "Reminders.archive": "idle"}
    waiting = next(e for e in events if e["event"] == "waiting")
    assert waiting["in"] == "Reminders.before_remind at cogs/reminders.py:17"
    assert waiting["awaiting"] == "Client.wait_until_ready()"
    assert waiting["reason"] == "client not ready: main failed · try --offline"


def test_pycord_bot_offline_runs_what_it_starts_on_the_way_to_ready(pycord_path):
    code, events = looptui(pycord_path, "--offline")
    assert code == 0
    loops = {e["loop"]: e for e in events[-1]["loops"]}
    assert loops["Reminders.remind"]["state"] == loops["Reminders.refresh"]["state"] == "stopped"
    assert loops["Reminders.remind"]["iterations"] > 0 and loops["Reminders.refresh"]["iterations"] > 0
    assert loops["Reminders.archive"]["state"] == "idle"
    assert not [e for e in events if e["event"] == "waiting"]


def test_pycord_cog_reload_and_time_zone_in_a_session(pycord_path, tmp_path):
    folder = tmp_path / "bot"
    shutil.copytree(BOT, folder, ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run([sys.executable, str(CHECK), str(folder)], capture_output=True,
                          text=True, timeout=120, env=environment(pycord_path), cwd=folder)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["library"] == "pycord"
    names = ["Reminders.archive", "Reminders.refresh", "Reminders.remind"]
    assert seen["reload"] == {
        "ok": True, "added": [], "removed": [], "changed": ["Reminders.remind"],
        "same bot": True, "same main": True, "names": names, "history kept": True,
        "v2 output": True,
    }
    assert seen["broken"] == {
        "ok": False, "error": "NameError: name 'MISSING_NAME' is not defined (reminders.py:6)",
        "names": names,
    }
    assert seen["interval"]["ok"] and "set Europe/Paris as UTC+0" in seen["interval"]["text"]
    assert seen["interval"]["schedule"].startswith("09:00 UTC+0")
    assert seen["events"] == ["main_started", "reload", "reload_failed", "main_finished"]

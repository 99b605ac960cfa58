"""Prometheus metrics: scraped from a real program and parsed with prometheus_client's parser;
series of loops that go away go with them."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from looptui.agent.metrics import LoopCollector
from looptui.core.registry import Registry
from looptui.core.states import LoopState
from looptui.core.tracker import HISTORY_SIZE, Tracker

from agent_helpers import GUARD, Program, wait_until


def scrape(address: str) -> dict:
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=GUARD) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    return {family.name: family for family in text_string_to_metric_families(text)}


def value(families: dict, name: str, **labels: str) -> float | None:
    for family in families.values():
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return None


def test_metrics_of_a_running_program(tmp_path: Path) -> None:
    with Program(tmp_path / "a.sock", "--metrics", "127.0.0.1:0") as program:
        address = program.read_line().split()[1]
        families = wait_until(
            lambda: (f := scrape(address)) and
            (value(f, "looptui_loop_iterations_total", loop="tick") or 0) >= 3 and
            value(f, "looptui_loop_failures_total", loop="boom") == 1 and f,
            "tick to run and boom to fail")
        for name in ("looptui_loop_iterations", "looptui_loop_failures", "looptui_loop_retries",
                     "looptui_loop_duration_seconds", "looptui_loop_lateness_seconds",
                     "looptui_loop_state", "looptui_loop_next_run_timestamp_seconds",
                     "looptui_event_loop_blocked_seconds", "looptui_output_dropped"):
            assert name in families, name
        assert families["looptui_loop_duration_seconds"].type == "histogram"
        assert value(families, "looptui_loop_state", loop="boom", state="failed") == 1.0
        assert value(families, "looptui_loop_state", loop="boom", state="running") == 0.0
        assert value(families, "looptui_loop_iterations_total", loop="early",
                     source="discord.py") is not None
        count = value(families, "looptui_loop_duration_seconds_count", loop="tick")
        inf = value(families, "looptui_loop_duration_seconds_bucket", loop="tick", le="+Inf")
        assert count == inf and count >= 3
        assert value(families, "looptui_loop_next_run_timestamp_seconds", loop="hourly") > 0
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"http://{address}/nope", timeout=GUARD)


def exact(families: dict, loop: str) -> float:
    """The loop's iterations, checked against both histograms' counts and +Inf buckets."""
    total = value(families, "looptui_loop_iterations_total", loop=loop)
    for histogram in ("looptui_loop_duration_seconds", "looptui_loop_lateness_seconds"):
        assert value(families, f"{histogram}_count", loop=loop) == total, (histogram, loop)
        assert value(families, f"{histogram}_bucket", loop=loop, le="+Inf") == total
        buckets = [s.value for s in families[histogram].samples
                   if s.name.endswith("_bucket") and s.labels["loop"] == loop]
        assert buckets == sorted(buckets)  # cumulative
    return total


def test_histograms_count_every_iteration_between_two_scrapes(tmp_path: Path) -> None:
    with Program(tmp_path / "a.sock", "--metrics", "127.0.0.1:0", "--chatty") as program:
        address = program.read_line().split()[1]
        first = wait_until(lambda: (f := scrape(address)) and
                           value(f, "looptui_loop_iterations_total", loop="spin") and f,
                           "spin to run")
        before = exact(first, "spin")
        later = wait_until(
            lambda: (f := scrape(address)) and
            value(f, "looptui_loop_iterations_total", loop="spin") >= before + 1000 and f,
            "1,000 more iterations of spin")
        assert exact(later, "spin") >= before + 1000
        assert exact(later, "tick") >= 1
        assert exact(later, "boom") == 1  # the failed iteration counts too


def test_histograms_of_a_loop_that_ran_before_metrics_and_across_a_reload() -> None:
    registry = Registry()
    tracker = registry.register(Tracker("job"))

    def run(target: Tracker, n: int) -> None:
        for i in range(n):
            seq = target.iteration_started(i, None, state=LoopState.RUNNING)
            target.iteration_finished(seq, then=LoopState.SLEEPING)

    run(tracker, 5)  # before metrics: still in the history ring
    collector = LoopCollector(registry)
    run(tracker, HISTORY_SIZE + 100)  # more than the ring holds
    assert tracker.histograms is not None
    assert tracker.histograms.count == tracker.total_iterations == HISTORY_SIZE + 105
    successor = registry.register(Tracker("job"))  # a reload's new generation
    successor.adopt_history(tracker)
    run(successor, 3)
    assert successor.histograms.count == successor.total_iterations
    assert successor.total_iterations == HISTORY_SIZE + 108
    collector.close()
    assert tracker.histograms is None and successor.histograms is None
    run(successor, 1)  # nothing is counted while metrics are off


def test_removed_loops_take_their_series_with_them() -> None:
    registry = Registry()
    collector = LoopCollector(registry)
    gone = registry.register(Tracker("gone"))
    registry.register(Tracker("stays"))

    def loops() -> set[str]:
        return {s.labels["loop"] for f in collector.collect() for s in f.samples}

    assert loops() == {"gone", "stays"}
    registry.unregister(gone)
    assert loops() == {"stays"}


def test_metrics_option_of_the_command(tmp_path: Path) -> None:
    import subprocess
    import sys

    target = tmp_path / "bot.py"
    target.write_text("from looptui import loop\n@loop(seconds=0.05)\nasync def beat(): pass\n")
    out = subprocess.run([sys.executable, "-m", "looptui", str(target), "--metrics", "nonsense"],
                         capture_output=True, text=True, timeout=GUARD)
    assert out.returncode == 2 and "--metrics" in out.stderr
    proc = subprocess.Popen([sys.executable, "-m", "looptui", str(target), "--headless",
                             "--metrics", "127.0.0.1:0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        import os, select
        fd = proc.stderr.fileno()
        line = b""
        while not line.endswith(b"\n"):
            assert select.select([fd], [], [], GUARD)[0], "no metrics address"
            line += os.read(fd, 1)
        line = line.decode()
        assert "metrics on http://" in line, line
        address = line.split("http://")[1].split("/")[0]
        families = wait_until(lambda: (f := scrape(address)) and
                              value(f, "looptui_loop_iterations_total", loop="beat") and f,
                              "beat's iterations")
        assert value(families, "looptui_loop_state", loop="beat", state="failed") == 0.0
        exact(families, "beat")  # counted from the first iteration
    finally:
        proc.kill()
        proc.wait(GUARD)
        proc.stdout.close()
        proc.stderr.close()


def test_buckets_are_cumulative_and_a_value_on_a_bound_counts_in_it() -> None:
    from looptui.core.histogram import LoopHistograms

    counts = LoopHistograms()
    counts.observe(0.001, -0.5)  # an early start is not late
    counts.observe(0.002, 0.0005)
    counts.observe(100.0, 10.0)  # above every bound
    duration = dict(counts.duration_buckets())
    assert (duration["0.001"], duration["0.005"], duration["60.0"], duration["+Inf"]) == \
        (1, 2, 2, 3)
    lateness = dict(counts.lateness_buckets())
    assert (lateness["0.0005"], lateness["5.0"], lateness["+Inf"]) == (2, 2, 3)
    assert counts.lateness_sum == 10.0005 and counts.duration_sum == 100.003


def test_a_taken_metrics_port_is_a_usage_error_before_the_program_runs(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys

    marker = tmp_path / "ran"
    target = tmp_path / "bot.py"
    target.write_text(f"open({str(marker)!r}, 'w').close()\n"
                      "from looptui import loop\n@loop(seconds=1)\nasync def beat(): pass\n")
    busy = socket.create_server(("127.0.0.1", 0))
    try:
        port = busy.getsockname()[1]
        out = subprocess.run([sys.executable, "-m", "looptui", str(target), "--headless",
                              "--for", "1", "--metrics", f"127.0.0.1:{port}"],
                             capture_output=True, text=True, timeout=GUARD)
    finally:
        busy.close()
    assert out.returncode == 2, out.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in out.stderr and "Traceback" not in out.stderr
    assert not marker.exists()  # the program's code never ran

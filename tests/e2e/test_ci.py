"""What CI needs of the command line: --fail-on, every error of a file at once, progress that a
log shows, and `compare --workers` giving the serial result."""

import contextlib
import io
import json

import pytest

import sim.progress
from sim import compare, load_scenario
from sim.cli import main
from sim.progress import lines, progress
from sim.report.tables import CELL_LEGEND

from .conftest import offsim_process


def test_fail_on_lost_exits_1_and_says_so_first():
    """The first line says which anomaly and how many records; the table follows. In a process
    of its own: the exit status is what the CI job sees."""
    proc = offsim_process(
        "run", "commit-before-process-loss", "--fail-on", "lost,offset-regressions"
    )
    assert proc.returncode == 1, proc.stderr
    first, second = proc.stdout.splitlines()[:2]
    assert first.startswith("failed (--fail-on): lost: ") and first.endswith(" records lost")
    assert second.startswith("commit-before-process-loss")


def test_fail_on_passes_a_run_without_those_anomalies(cli):
    """crash-mid-batch duplicates and loses nothing: --fail-on lost is satisfied."""
    proc = cli("run", "crash-mid-batch", "--fail-on", "lost,concurrent-duplicates")
    assert proc.returncode == 0, proc.stderr
    assert not proc.stdout.startswith("failed")


def test_fail_on_with_json_keeps_stdout_json(cli):
    """With --json the verdict goes to stderr, first; stdout stays one JSON object."""
    proc = cli("run", "crash-mid-batch", "--json", "--fail-on", "duplicates")
    assert proc.returncode == 1
    assert proc.stderr.startswith("failed (--fail-on): duplicates: 300 records processed more")
    assert json.loads(proc.stdout)["duplicated_records"] == 300


def test_compare_fail_on_names_the_strategies_and_the_runs(cli):
    """Over a comparison: how many records over how many runs, and which strategies."""
    proc = cli("compare", "commit-before-process-loss", "--seeds", 2, "--strategies",
               "commit-before-process,sync-per-batch", "--fail-on", "lost,duplicates")  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith("failed (--fail-on): lost: ")
    assert "records lost in 2 of 4 runs (commit-before-process)" in first


def test_an_unknown_anomaly_is_the_users_error(cli):
    proc = cli("run", "crash-mid-batch", "--fail-on", "lots")
    assert proc.returncode == 2 and "allowed: lost, duplicates" in proc.stderr


def test_every_problem_of_a_file_is_printed_one_line_each(cli, tmp_path):
    """Exit 2, no traceback, a line per problem, each naming the file and the field."""
    path = tmp_path / "bad.toml"
    path.write_text('[group]\nconsumers = 0\nprotocol = "eagre"\n[topic]\npartitions = -1\n')
    proc = cli("run", path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    errors = proc.stderr.strip().splitlines()
    assert [e.split(": ")[2] for e in errors] == [
        "topic.partitions", "group.consumers", "group.protocol"
    ]  # fmt: skip
    assert all(e.startswith(f"offsim: {path}: ") for e in errors)


def test_compare_on_workers_gives_the_serial_rows():
    """The sweep's executors change when a run finishes, never what it finds."""
    scenario = load_scenario("crash-mid-batch")
    strategies = ["auto", "sync-per-batch", "async-per-batch"]
    serial = compare(scenario, strategies, seeds=3)
    assert compare(scenario, strategies, seeds=3, workers=2) == serial


def test_progress_off_a_terminal_is_a_line_every_few_seconds():
    """A CI log gets a plain line whenever `every` seconds passed, and a last one."""
    ticks = iter(range(0, 100, 2))  # the clock moves 2 s per item
    out = io.StringIO()
    items = list(lines(range(6), 6, "compare x", "run", out, clock=lambda: next(ticks), every=5))
    assert items == list(range(6))
    assert out.getvalue().splitlines() == [
        "compare x: 3 of 6 runs done, 6 s",
        "compare x: 6 of 6 runs done, 12 s",
        "compare x: 6 of 6 runs done, 14 s",
    ]


def test_progress_is_silent_for_short_work_and_a_bar_on_a_terminal():
    """Nothing printed when done within the interval; on a terminal, tqdm's bar."""
    quiet = io.StringIO()
    assert list(progress(range(3), 3, "check", "claim", quiet)) == [0, 1, 2]
    assert quiet.getvalue() == ""

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    bar = Terminal()
    assert list(progress(range(3), 3, "check", "claim", bar)) == [0, 1, 2]
    assert bar.getvalue().startswith("\rcheck:   0%|") and "0/3" in bar.getvalue()


@pytest.mark.parametrize("command", ["compare", "check", "sweep"])
def test_long_commands_report_progress_on_stderr(tmp_path, monkeypatch, command):
    """compare, check and sweep (and report, through compare and check) say how far they are on
    stderr, off a terminal too; stdout stays the result."""
    monkeypatch.setattr(sim.progress, "EVERY_S", 0)  # a line after every item
    args = {
        "compare": ["compare", "crash-mid-batch", "--seeds", "2", "--strategies", "auto", "--json"],
        "check": ["check", "--claim", "off-by-one-duplicates", "--json"],
        "sweep": ["sweep", "commit-interval", "--workers", "1", "--out", str(tmp_path / "r.db")],
    }[command]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main(args) == 0
    said = err.getvalue().splitlines()
    unit = {"compare": "runs", "check": "claim", "sweep": "runs"}[command]
    assert any(" of " in line and f" {unit} done, " in line for line in said), said
    if command == "sweep":
        assert out.getvalue().startswith(f"commit-interval: {CELL_LEGEND}")
    else:
        json.loads(out.getvalue())

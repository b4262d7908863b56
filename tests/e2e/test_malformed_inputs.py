"""Malformed input found by fuzzing (issue 12), each refused up front: exit 2, one line on stderr
naming the field or option and what is allowed (the limit, for a size), no traceback. The
commands run in-process (`sim.cli.main`), so an exception would fail the test outright; the
closed pipe needs a real process."""

import subprocess
import sys

import pytest

from sim.cli.main import EXIT_BROKEN_PIPE, main
from sim.strategies import STRATEGY_NAMES

from .conftest import ROOT


def refused(capsys, *argv) -> str:
    """The one line a refused command prints."""
    assert main([str(a) for a in argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("[topic]\ninitial_records = 1_000_000_000_000", "topic.initial_records: "),
        ("[topic]\ninitial_records = 100_000_000", "an integer in [0, 10000000]"),
        ("[topic]\nproduce_rate_per_s = 1e12", "topic.produce_rate_per_s: "),
        (
            "[topic]\nproduce_rate_per_s = 200_000.0",
            "at most 10,000,000 records in the log (initial_records + produce_rate_per_s",
        ),
        (
            '[consumer]\nprocessing_ms = { dist = "constant", mean = 1e14 }',
            "consumer.processing_ms.mean: 100000000000000.0 is out of range; allowed: a number "
            "in [0, 86400000]",
        ),
        ('[consumer]\nprocessing_ms = { dist = "exponential", mean = 1e16 }', "(0, 86400000]"),
        ('[network]\nlatency_ms = { dist = "exponential", mean = 1e16 }', "network.latency_ms"),
        ('[network]\nlatency_ms = { dist = "lognormal", mean = 1.0, sigma = 50.0 }', "sigma"),
        ("[run]\nduration_ms = 1_000_000_000_000_000", "an integer in (0, 2592000000]"),
        ("[run]\nmax_steps = 0", "run.max_steps"),
        (
            "[topic]\npartitions = 10_000\n[group]\nconsumers = 1_000",
            "group.consumers: 1000 consumers x topic.partitions = 10000 is 10,000,000; allowed: "
            "at most 100,000",
        ),
        ("[strategy]\nauto_commit_interval_ms = 1", "an integer >= 10"),
        ("[consumer]\nmax_poll_records = 10_000_000", "consumer.max_poll_records"),
        (
            '[[faults]]\nkind = "crash"\nconsumer = "random"\nrate_per_min = 1e6',
            "faults[0].rate_per_min: 1e+06 crashes a minute over 60000 ms is 1,000,000 crashes; "
            "allowed: at most 10,000",
        ),
        (
            '[[faults]]\nkind = "rolling-restart"\nat_ms = 1_000\nconsumers = "all"',
            'faults[0].consumers: "all" is not an array of consumers; allowed: an array of '
            "consumer indexes",
        ),
        ("[run]\nseed = 9_223_372_036_854_775_808", "[0, 9223372036854775807]"),
        ("[run]\nseed = -1", "run.seed"),
    ],
)
def test_a_scenario_beyond_a_limit_is_one_line_naming_it(capsys, tmp_path, text, expected):
    path = tmp_path / "bad.toml"
    path.write_text(text + "\n")
    line = refused(capsys, "run", path)
    assert line.startswith(f"offsim: {path}: ") and expected in line
    assert "DESIGN" not in line and "SEMANTICS" not in line


@pytest.mark.parametrize("seed", [-1, 2**63, 2**64])
def test_a_seed_out_of_range_is_refused_by_each_command(capsys, seed):
    for command in ("run", "explain"):
        line = refused(capsys, command, "crash-mid-batch", "--seed", seed)
        assert line == (
            f"offsim: --seed {seed}: out of range; allowed: an integer in [0, {2**63 - 1}]"
        )


def test_a_seed_near_two_to_the_63_runs(capsys):
    """The largest seed is a seed like any other."""
    assert main(["run", "crash-mid-batch", "--seed", str(2**63 - 1), "--json"]) == 0
    assert f'"seed": {2**63 - 1}' in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "crash-mid-batch", "--trace", "{missing}/t.jsonl"],
        ["run", "crash-mid-batch", "--plot", "{missing}/t.png"],
        ["run", "crash-mid-batch", "--html", "{missing}/t.html"],
        ["explain", "crash-mid-batch", "--plot", "{missing}/t.png"],
        ["compare", "crash-mid-batch", "--plot", "{missing}/t.png"],
        ["sweep", "{sweep}", "--csv", "{missing}/runs.csv", "--out", "{tmp}/r.sqlite"],
        ["sweep", "{sweep}", "--out", "{missing}/r.sqlite"],
        ["check", "--claim", "auto-loses-after-poison", "--junit", "{missing}/j.xml"],
        ["check", "--claim", "auto-loses-after-poison", "--report", "{missing}/r.md"],
    ],
)
def test_an_output_into_a_missing_folder_is_refused_before_running(capsys, tmp_path, argv):
    sweep = tmp_path / "s.toml"
    sweep.write_text('base = "crash-mid-batch"\nseeds = 1\nstrategies = ["sync-per-batch"]\n')
    missing = tmp_path / "no-such-folder"
    args = [a.format(missing=missing, sweep=sweep, tmp=tmp_path) for a in argv]
    line = refused(capsys, *args)
    assert f"no such folder {missing}" in line


def test_an_output_naming_a_folder_is_refused(capsys, tmp_path):
    sweep = tmp_path / "s.toml"
    sweep.write_text('base = "crash-mid-batch"\nseeds = 1\nstrategies = ["sync-per-batch"]\n')
    line = refused(capsys, "sweep", sweep, "--out", tmp_path)
    assert line == f"offsim: --out {tmp_path}: is a folder; allowed: a file name"


@pytest.mark.parametrize(
    "grid,expected",
    [
        (
            '"consumer.processing_ms.mean" = { from = 1.0, to = inf, step = 1.0 }',
            'parameters."consumer.processing_ms.mean": range from = 1.0, to = inf, step = 1.0 '
            "is not finite; allowed: finite numbers",
        ),
        (
            '"consumer.processing_ms.mean" = { from = 1.0, to = nan, step = 1.0 }',
            'parameters."consumer.processing_ms.mean": range from = 1.0, to = nan',
        ),
        (
            '"consumer.processing_ms.mean" = [1.0, nan]',
            "at consumer.processing_ms.mean = nan: consumer.processing_ms.mean: nan is not a "
            "finite number",
        ),
        (
            "\n".join(
                f'"topic.partitions" = {{ from = 1, to = 100, step = 1 }}\n'
                f'"group.consumers" = {{ from = 1, to = 100, step = 1 }}\n'
                f'"consumer.max_poll_records" = {{ from = 1, to = {10**4}, step = 1 }}'.split("\n")
            ),
            "parameters: the grid has 100 x 100 x 10,000 = 100,000,000 points; allowed: at most "
            "10,000",
        ),
    ],
)
def test_a_sweep_grid_that_cannot_run_is_refused_naming_the_parameter(
    capsys, tmp_path, grid, expected
):
    sweep = tmp_path / "s.toml"
    sweep.write_text(f'base = "crash-mid-batch"\nseeds = 1\n[parameters]\n{grid}\n')
    line = refused(capsys, "sweep", sweep, "--out", tmp_path / "r.sqlite")
    assert expected in line


def test_a_sweep_whose_seeds_run_past_the_largest_is_refused(capsys, tmp_path):
    sweep = tmp_path / "s.toml"
    sweep.write_text(f'base = "crash-mid-batch"\nseeds = 10\nfirst_seed = {2**63 - 5}\n')
    line = refused(capsys, "sweep", sweep, "--out", tmp_path / "r.sqlite")
    assert "first_seed: " in line and f"allowed: an integer in [0, {2**63 - 10}]" in line


def test_a_sweep_of_too_many_runs_is_refused(capsys, tmp_path):
    sweep = tmp_path / "s.toml"
    sweep.write_text(
        'base = "crash-mid-batch"\nseeds = 1_000_000\n[parameters]\n"group.consumers" = [1, 2]\n'
    )
    line = refused(capsys, "sweep", sweep, "--out", tmp_path / "r.sqlite")
    assert "is 34,000,000 runs; allowed: at most 1,000,000 runs" in line


def test_a_comparison_of_too_many_runs_is_refused(capsys, tmp_path):
    line = refused(capsys, "compare", "crash-mid-batch", "--seeds", 10**8)
    n = len(STRATEGY_NAMES)
    assert line == (
        f"offsim: --seeds 100000000: {n} strategies x 100,000,000 seeds is {n * 10**8:,} runs; "
        "allowed: at most 1,000,000 runs"
    )
    path = tmp_path / "s.toml"
    path.write_text(f"[run]\nseed = {2**63 - 3}\n")
    line = refused(capsys, "compare", path, "--seeds", 10)
    assert line.endswith("allowed: at most 3 seeds")


def test_a_closed_pipe_ends_the_command_quietly():
    """`offsim scenarios | head -1`: the reader is gone before the first line; the command
    stops without a word, with the exit status of a process SIGPIPE ended (141)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "scenarios"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == EXIT_BROKEN_PIPE == 141
    assert stderr == ""

"""`offsim check` over the whole catalogue with the quick default budget (docs/claims.md)."""

import contextlib
import io
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from sim import run
from sim.claims import CATALOGUE, check_claim, claim_by_id, violation
from sim.cli import main
from sim.cli.report import regenerate_claims
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "reports"


def check(*args) -> tuple[int, str]:
    """`offsim check ...` in this process: (exit code, stdout)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["check", *map(str, args)])
    return code, out.getvalue()


@pytest.fixture(scope="module")
def catalogue_run(tmp_path_factory):
    """The whole catalogue once, as `offsim report` checks it (writing reports/claims.md and
    reports/counterexamples/, here under a temporary folder), with --json."""
    tmp = tmp_path_factory.mktemp("check")
    here, out = os.getcwd(), io.StringIO()
    os.chdir(tmp)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = regenerate_claims(Path("reports"), "--json")
    finally:
        os.chdir(here)
    return code, json.loads(out.getvalue()), tmp


def test_every_verdict_is_the_catalogues(catalogue_run):
    """With the default budget every claim gets the verdict the catalogue expects: exit 0."""
    code, rows, _ = catalogue_run
    wrong = [(r["claim"], r["found"]) for r in rows if not r["matches"]]
    assert (code, wrong) == (0, [])
    assert [r["claim"] for r in rows] == [c.id for c in CATALOGUE]


def test_the_committed_claims_report_is_what_check_writes(catalogue_run):
    """reports/claims.md and every counterexample file are what a fresh check writes, byte for
    byte, and hold the evidence the command printed: one search, one count, wherever it runs.
    A failure means the verdicts moved: run `offsim report` and commit the result."""
    _, rows, tmp = catalogue_run
    fresh = tmp / "reports"
    assert (fresh / "claims.md").read_text() == (REPORTS / "claims.md").read_text()
    written = sorted(p.name for p in (fresh / "counterexamples").iterdir())
    assert written == sorted(p.name for p in (REPORTS / "counterexamples").iterdir())
    for name in written:
        committed = (REPORTS / "counterexamples" / name).read_text()
        assert (fresh / "counterexamples" / name).read_text() == committed, name
    text = (fresh / "claims.md").read_text()
    assert all(f"| {r['evidence']} |" in text for r in rows)


def test_every_refuted_claim_replays_to_the_same_anomaly(catalogue_run):
    """Each counterexample file, run as a scenario, shows the very violation the search saw."""
    _, rows, tmp = catalogue_run
    refuted = [r for r in rows if r["verdict"] == "refuted"]
    assert refuted
    for row in refuted:
        scenario = load_scenario(tmp / row["counterexample"]["file"])
        summary = run(scenario).summary()
        assert violation(claim_by_id(row["claim"]), summary) == row["counterexample"]["violation"]


def test_the_report_holds_the_table_counterexamples_and_median(catalogue_run):
    """reports/claims.md: a row per claim with its statement beside the verdict, each
    counterexample with its witness, the median."""
    _, rows, tmp = catalogue_run
    text = (tmp / "reports" / "claims.md").read_text()
    assert all(f"| `{c.id}` | {c.statement} | " in text for c in CATALOGUE)
    assert text.count("## Counterexample:") == sum(r["verdict"] == "refuted" for r in rows)
    assert "Median number of faults in the shrunk counterexamples" in text
    assert " s |" not in text  # no wall-clock time: the file is the same bytes every run


def test_verdicts_are_worded_so_they_cannot_be_misread(catalogue_run):
    """ "counterexample found" / "no counterexample in N examples", never "refuted" beside a
    claim that something can happen."""
    _, rows, _ = catalogue_run
    for row in rows:
        if row["verdict"] == "refuted":
            assert row["found"] == "counterexample found"
        else:
            assert row["found"] == f"no counterexample in {row['evidence']}"


def test_a_counterexample_replays_through_the_command_line(catalogue_run):
    """End to end: `offsim run FILE --json` on a counterexample file loses what it claims."""
    _, rows, tmp = catalogue_run
    path = tmp / "reports" / "counterexamples" / "commit-before-process-can-lose.toml"
    proc = subprocess.run(
        [sys.executable, "-m", "sim.cli", "run", str(path), "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env=dict(os.environ),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["lost"] > 0


def test_two_searches_write_identical_counterexamples(catalogue_run, tmp_path):
    """derandomize and no database: the claim searched again in this process, after the
    catalogue's search of it, shrinks to the same schedule and writes the same file bytes."""
    _, _, tmp = catalogue_run
    claim = claim_by_id("async-then-sync-loses-after-poison")
    first = tmp / "reports" / "counterexamples" / f"{claim.id}.toml"
    second = check_claim(claim).counterexample.write(tmp_path / "b.toml", claim.id)
    assert first.read_text().splitlines()[2:] == second.read_text().splitlines()[2:]


def test_an_unknown_claim_is_the_users_error():
    """A mistyped claim id exits 2 and names the allowed ids."""
    out = io.StringIO()
    with contextlib.redirect_stderr(out):
        code = main(["check", "--claim", "no-such-claim"])
    assert code == 2 and "auto-can-duplicate" in out.getvalue()


@pytest.mark.deep
def test_the_catalogue_holds_with_a_deep_budget(tmp_path):
    """Ten times the default budget (minutes): run with `pytest -m deep`."""
    code, out = check("--examples", 400, "--out", tmp_path, "--report", tmp_path / "c.md")
    assert code == 0, out


def test_a_claim_with_read_only_overrides_pickles_whole():
    """`--workers` sends claims to other processes: a catalogue claim's overrides are a
    read-only view, which pickle cannot carry as it is."""
    claim = claim_by_id("librdkafka-auto-can-lose")
    assert claim.overrides
    again = pickle.loads(pickle.dumps(claim))
    assert again == claim and dict(again.overrides) == dict(claim.overrides)
    assert again.template == claim.template


def test_workers_change_when_a_verdict_arrives_never_what_it_is(tmp_path):
    """`--workers 2`: the same outcomes, in the claims' order, as on one process."""
    claims = tmp_path / "claims.toml"
    claims.write_text(
        """
[[claims]]
id = "first-loses"
statement = "Committing before processing loses records when a consumer crashes"
base = "crash-mid-batch"
strategies = ["commit-before-process"]
property = "no-loss"
expected = "refuted"

[[claims]]
id = "sync-keeps"
statement = "Committing each batch after processing loses nothing when a consumer crashes"
base = "crash-mid-batch"
strategies = ["sync-per-batch"]
property = "no-loss"
expected = "holds"
"""
    )

    def outcomes(*more):
        code, out = check("--claims", claims, "--examples", 6, "--json", *more)
        rows = json.loads(out)
        for row in rows:
            row.pop("seconds")
        return code, rows

    serial = outcomes()
    assert [r["claim"] for r in serial[1]] == ["first-loses", "sync-keeps"]
    assert serial[1][0]["counterexample"] is not None
    assert outcomes("--workers", "2") == serial

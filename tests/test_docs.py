"""The documentation shows what the code does, and its examples run."""

import contextlib
import io
import json
import sys
from pathlib import Path

import pytest

from sim import compare, load_scenario
from sim.cli import main
from sim.scenario import dump_scenario, parse_scenario
from sim.strategies import Strategy

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = DOCS / "examples"


def test_scenario_docs_show_the_current_defaults():
    """docs/scenarios.md carries the dump of a name-only scenario: every field and default."""
    defaults = dump_scenario(parse_scenario({"name": "defaults"})).rstrip()
    assert f"```toml\n{defaults}\n```" in (DOCS / "scenarios.md").read_text()


def test_the_pages_doc_names_every_mark_and_period():
    """docs/pages.md's table has a row for every kind the timeline can draw."""
    from sim.report.timeline_data import MARKS, SPANS

    text = (DOCS / "pages.md").read_text()
    words = {
        "processing": "processing", "held": "partition held", "no-owner": "no owner",
        "two-owners": "two owners", "again": "processed again",
        "rebalancing": "group rebalancing", "reconciling": "group reconciling",
        "unavailable": "coordinator unavailable",
        "loading": "loading", "stall": "poll loop stalled",
        "pause": "process paused", "network-cut": "cut off from the coordinator",
        "life": "the record's life", "commit-ok": "commit ok", "commit-failed": "failed",
        "commit-unknown": "outcome unknown", "crash": "| crash", "restart": "| restart",
        "join": "join", "leave": "leave", "rolling-restart": "rolling restart step",
        "poll-timeout": "max.poll.interval.ms ran out", "processing-error": "poison record",
        "lost-response": "commit response lost", "offsets-expired": "committed offsets expired",
        "txn-aborted": "transaction aborted",
        "fault": "grey circle", "lost": "| lost", "delivered": "record delivered",
        "redelivered": "again", "processed": "processed", "committed-past": "commit passed it",
    }  # fmt: skip
    assert set(words) == set(MARKS) | set(SPANS), "a new kind needs a row in docs/pages.md"
    for kind, phrase in words.items():
        assert phrase in text, kind


def test_strategies_doc_names_every_hook_and_attribute():
    """docs/strategies.md documents each hook and class attribute of sim.strategies.Strategy."""
    text = (DOCS / "strategies.md").read_text()
    members = [n for n in vars(Strategy) if not n.startswith("_")]
    assert len(members) >= 15
    missing = [n for n in members if f"`{n}" not in text]
    assert not missing


@pytest.fixture
def from_examples(monkeypatch):
    """Run from docs/examples, as a reader would: its modules import from the current folder."""
    monkeypatch.chdir(EXAMPLES)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(EXAMPLES))])
    monkeypatch.delitem(sys.modules, "my_strategies", raising=False)


def offsim(*args) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main([*map(str, args)])
    return code, out.getvalue()


def test_the_first_worked_example_commits_every_100_records(from_examples):
    """docs/strategies.md, example 1, as the doc runs it: fewer records processed twice than
    sync-per-batch on crash-mid-batch (100 against 300), for more commit requests."""
    strategies = "my_strategies:SyncEveryN,sync-per-batch"
    code, out = offsim(
        "compare", "crash-mid-batch", "--strategies", strategies, "--seeds", 3, "--json"
    )
    assert code == 0, out
    rows = {row["strategy"]: row for row in json.loads(out)}
    ours, sync = rows["my_strategies:SyncEveryN"], rows["sync-per-batch"]
    dups = ours["duplicated_records"]["mean"], sync["duplicated_records"]["mean"]
    assert dups == (100.0, 300.0)
    assert ours["commits"]["mean"] > 4 * sync["commits"]["mean"]


def test_the_second_worked_example_backs_a_failed_async_commit_with_a_sync_one(from_examples):
    """docs/strategies.md, example 2, from Python with the class itself: fewer duplicates than
    async-per-batch where commitAsync fails (async-masked-failure), and no offset moved back."""
    sys.path.insert(0, str(EXAMPLES))
    import my_strategies

    scenario = load_scenario("async-masked-failure")
    backstop, plain = compare(
        scenario, [my_strategies.AsyncWithSyncBackstop, "async-per-batch"], seeds=3
    )
    assert backstop["strategy"] == "async-sync-backstop"
    assert backstop["duplicated_records"]["mean"] < plain["duplicated_records"]["mean"]
    assert backstop["offset_regressions"]["high"] == 0 and backstop["lost"]["high"] == 0


def test_the_claims_file_example_checks_as_documented(from_examples):
    """docs/examples/our-claims.toml, from its folder: every verdict as the file expects."""
    code, out = offsim("check", "--claims", "our-claims.toml", "--examples", 20)
    assert code == 0, out
    assert "2 claims, 0 with a verdict other than expected" in out

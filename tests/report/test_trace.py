"""The JSONL trace: canonical, one line per ledger event, complete when a run fails."""

import io
import json

import pytest

from sim import load_scenario, run
from sim.ledger import EVENT_FIELDS
from sim.ledger.trace import FORMAT, read_trace


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("crash-mid-batch")


def test_trace_is_byte_identical_across_runs(scenario, tmp_path):
    """Two runs of the same scenario and seed write the same bytes, and the same digest."""
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first = run(scenario, trace=a)
    second = run(scenario, trace=str(b))
    assert a.read_bytes() == b.read_bytes()
    assert first.report.metrics.trace_digest == second.report.metrics.trace_digest


def test_trace_has_a_header_and_one_line_per_ledger_event(scenario, tmp_path):
    """Line 1 says what produced the trace; then every ledger event, in order, with its fields."""
    path = tmp_path / "t.jsonl"
    result = run(scenario, trace=path)
    head, events = read_trace(path)
    assert head["format"] == FORMAT and head["version"] == 1
    assert (head["scenario"], head["strategy"], head["seed"]) == (
        "crash-mid-batch", "sync-per-batch", 1,
    )  # fmt: skip
    assert head["scenario_digest"] == scenario.digest()
    assert len(events) == result.ledger.events
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    for e in events:
        names = [n for n in EVENT_FIELDS[e["event"]] if n != "done_us"]
        assert [k for k in e if k in names] == names
    processed = next(e for e in events if e["event"] == "processed")
    assert processed["first_us"] <= processed["last_us"]
    assert events[-1]["event"] == "finish"


def test_the_trace_does_not_change_the_run(scenario):
    """Tracing to a file object gives the digest of an untraced run."""
    out = io.StringIO()
    traced = run(scenario, trace=out)
    plain = run(scenario)
    assert traced.report.metrics.trace_digest == plain.report.metrics.trace_digest
    assert len(out.getvalue().splitlines()) == plain.ledger.events + 1


def test_an_interrupted_run_leaves_a_complete_trace(scenario, tmp_path, monkeypatch):
    """A run that fails midway still leaves every event recorded so far, each a whole line."""
    from sim.ledger import Ledger

    original = Ledger.commit_applied

    def broken(self, at_us, request_id):
        original(self, at_us, request_id)
        raise KeyboardInterrupt

    monkeypatch.setattr(Ledger, "commit_applied", broken)
    path = tmp_path / "t.jsonl"
    with pytest.raises(KeyboardInterrupt):
        run(scenario, trace=path)
    lines = path.read_text().splitlines()
    assert json.loads(lines[-1])["event"] == "commit_applied"
    assert all(json.loads(line) for line in lines)

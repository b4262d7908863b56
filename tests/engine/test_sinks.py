"""The sink a scenario names changes the effects, never the deliveries (sim/model/sink.py)."""

from pathlib import Path

import pytest

from sim import load_scenario, run
from sim.ledger.trace import read_trace

ROOT = Path(__file__).resolve().parents[2]
CRASH = load_scenario(ROOT / "scenarios" / "crash-mid-batch.toml")
BUSINESS = {"kind": "idempotent", "key": "business", "keys_per_partition": 100}


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_idempotent_and_plain_sinks_see_the_same_deliveries_and_different_effects(seed):
    """The same seed into a plain and an idempotent sink: every delivery and every processing is
    the same (the records processed twice too), but the idempotent sink shows each record once
    and its trace records what it absorbed, so the digests differ."""
    plain = run(CRASH, seed=seed).summary()
    idempotent = run(CRASH.replace(sink={"kind": "idempotent"}), seed=seed).summary()
    for field in ("deliveries", "unique_processed", "duplicated_records", "lost", "commits"):
        assert plain[field] == idempotent[field], field
    assert plain["duplicated_records"] > 0
    assert plain["duplicate_effects"] == plain["duplicated_records"] > 0
    assert idempotent["duplicate_effects"] == 0
    assert idempotent["effects"] == idempotent["unique_processed"] < plain["effects"]
    assert plain["trace_digest"] != idempotent["trace_digest"]
    assert plain["cross_checks_ok"] and idempotent["cross_checks_ok"]


def test_a_business_key_sink_absorbs_the_same_repeats_under_another_reason(tmp_path):
    """By business key, a repeat finds its key's row at it or newer: absorbed as not-newer, the
    trace says so, and the run differs from the record-keyed one only in that word."""
    path = tmp_path / "run.jsonl"
    business = run(CRASH.replace(sink=BUSINESS), seed=1, trace=path).summary()
    record = run(CRASH.replace(sink={"kind": "idempotent"}), seed=1).summary()
    _, events = read_trace(path)
    absorbed = [e for e in events if e["event"] == "absorbed"]
    assert absorbed and {e["reason"] for e in absorbed} == {"not-newer"}
    assert sum(e["count"] for e in absorbed) == business["duplicated_records"]
    assert business["effects"] == record["effects"] and business["cross_checks_ok"]
    assert business["trace_digest"] != record["trace_digest"]


def test_a_plain_sink_writes_no_absorbed_event(tmp_path):
    """A plain sink absorbs nothing, so its trace is what it was before sinks reported."""
    path = tmp_path / "run.jsonl"
    run(CRASH, seed=1, trace=path)
    _, events = read_trace(path)
    assert not [e for e in events if e["event"] == "absorbed"]

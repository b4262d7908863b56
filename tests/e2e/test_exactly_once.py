"""Effects once: an idempotent sink, and offsets stored with the results (issue 16, Must show)."""

import json

import pytest

from sim import load_scenario, run
from sim.ledger.trace import read_trace

from .conftest import ROOT

SEEDS = range(1, 41)
# Random crashes and a zombie on top of each scenario's own faults.
TURBULENCE = (
    {"kind": "crash", "consumer": "random", "rate_per_min": 4.0, "restart_after_ms": 2_000},
    {"kind": "pause", "consumer": 1, "at_ms": 20_000, "duration_ms": 12_000},
)


def scenario(name, turbulent=False):
    s = load_scenario(ROOT / "scenarios" / f"{name}.toml")
    return s.with_faults(s.faults + TURBULENCE) if turbulent else s


def summaries(s, strategy=None):
    results = [run(s, seed=seed, strategy=strategy) for seed in SEEDS]
    assert all(r.ok for r in results)
    return [r.summary() for r in results]


@pytest.mark.parametrize("turbulent", [False, True], ids=["stall", "stall-crashes-pause"])
def test_external_offsets_give_every_record_one_effect_over_40_seeds(turbulent):
    """Results and offsets in one fenced store: on no seed a record without an effect or with
    two, although the zombie's records (and the crashed ones') are processed twice."""
    runs = summaries(scenario("external-offsets-zombie", turbulent))
    assert sum(r["lost_effects"] + r["duplicate_effects"] for r in runs) == 0
    # The faults bit: records processed twice (on every seed, unless random crashes pre-empt
    # the zombie or leave nobody to take its partitions before it finishes).
    bitten = [r["duplicated_records"] > 0 for r in runs]
    assert all(bitten) if not turbulent else any(bitten)


def test_the_unfenced_store_shows_the_zombies_write_on_every_seed():
    """Without the fence the zombie's writes land: a second effect on every seed."""
    runs = summaries(scenario("external-offsets-zombie"), "external-offsets-unfenced")
    assert all(r["duplicate_effects"] > 0 for r in runs)


def test_an_idempotent_sink_gives_one_effect_while_deliveries_repeat_over_40_seeds():
    """commitSync after each batch into an idempotent sink, under random crashes: records are
    re-delivered and re-processed on every seed, and no record ever shows twice or not at all."""
    runs = summaries(scenario("idempotent-sink-redelivery", turbulent=True))
    assert sum(r["lost_effects"] + r["duplicate_effects"] for r in runs) == 0
    assert all(r["duplicated_records"] > 0 for r in runs)


def test_the_zombie_run_tells_its_story_in_the_trace(cli, tmp_path):
    """`offsim run external-offsets-zombie`: the zombie's records processed twice, its writes
    refused in the trace (absorbed, reason fenced), every record once in the store."""
    path = tmp_path / "run.jsonl"
    proc = cli("run", "external-offsets-zombie", "--json", "--trace", path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["duplicated_records"] > 0 and out["concurrent_duplicates"] > 0
    assert (out["duplicate_effects"], out["lost_effects"], out["commits"]) == (0, 0, 0)
    _, events = read_trace(path)
    refused = [e for e in events if e["event"] == "absorbed"]
    assert refused and {e["reason"] for e in refused} == {"fenced"}
    assert sum(e["count"] for e in refused) == out["duplicated_records"]
    assert any(e["event"] == "position" and e["source"] == "seek" for e in events)


def test_the_idempotent_lesson_and_its_plain_twin(cli):
    """The shipped idempotent lesson against the same run into a plain sink: the same
    deliveries and records processed twice, a second effect only in the plain sink."""
    proc = cli("run", "idempotent-sink-redelivery", "--json")
    assert proc.returncode == 0, proc.stderr
    idempotent = json.loads(proc.stdout)
    plain = run(scenario("idempotent-sink-redelivery").replace(sink={"kind": "plain"})).summary()
    assert idempotent["deliveries"] == plain["deliveries"]
    assert idempotent["duplicated_records"] == plain["duplicated_records"] > 0
    assert idempotent["duplicate_effects"] == 0 < plain["duplicate_effects"]

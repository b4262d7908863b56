"""The catalogue's founding claims over 50 seeds of the crash scenarios (issue 2, Must show)."""

import pytest

from sim import load_scenario, run

SEEDS = range(1, 51)
POISSON_CRASHES = (
    {"kind": "crash", "consumer": "random", "rate_per_min": 4.0, "restart_after_ms": 2_000},
)


def scenario(name, poisson=False):
    s = load_scenario(name)
    return s.with_faults(POISSON_CRASHES) if poisson else s


def summaries(s, strategy):
    results = [run(s, seed=seed, strategy=strategy) for seed in SEEDS]
    assert all(r.ok for r in results)
    return [r.summary() for r in results]


@pytest.mark.parametrize("poisson", [False, True], ids=["pinned-crash", "poisson-crashes"])
def test_sync_per_batch_loses_nothing_over_50_seeds(poisson):
    """commitSync after processing: no seed loses a record, pinned or random crashes."""
    runs = summaries(scenario("crash-mid-batch", poisson), "sync-per-batch")
    assert sum(r["lost"] for r in runs) == 0
    assert sum(r["duplicated_records"] for r in runs) > 0  # the crashes did bite


def test_commit_before_process_never_duplicates_and_loses_on_some_seed():
    """At-most-once: never a duplicate, and a crash mid-batch loses records."""
    runs = summaries(scenario("commit-before-process-loss", poisson=True), "commit-before-process")
    assert all(r["duplicated_records"] == 0 for r in runs)
    assert any(r["lost"] > 0 for r in runs)


def test_off_by_one_reprocesses_a_record_after_a_restart():
    """Committing the last processed offset re-delivers it after the restart: duplicates on
    every seed, never a loss."""
    runs = summaries(scenario("off-by-one-restart"), "off-by-one")
    assert all(r["duplicated_records"] > 0 and r["lost"] == 0 for r in runs)

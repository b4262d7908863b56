"""librdkafka's and the Java clients' auto commit over many seeds (docs/semantics.md §2, §3): a
background timer commits offsets stored at hand-over, so a crash mid-batch loses records;
storing after processing, or the Java classic consumer, loses none on the same seeds and faults."""

import pytest

from sim import load_scenario, run

SEEDS = range(1, 26)
POISSON_CRASHES = (
    {"kind": "crash", "consumer": "random", "rate_per_min": 4.0, "restart_after_ms": 2_000},
)


def scenario(name, client=None, poisson=False):
    s = load_scenario(name)
    if client is not None:
        s = s.replace(consumer={"client": client})
    return s.with_faults(POISSON_CRASHES) if poisson else s


def summaries(s, strategy):
    results = [run(s, seed=seed, strategy=strategy) for seed in SEEDS]
    assert all(r.ok for r in results)
    return [r.summary() for r in results]


def test_librdkafka_auto_loses_the_unprocessed_rest_of_the_batch_on_every_seed():
    """The crash after 450 of 500 records: a timer commit had covered all 500, so 50 are lost."""
    runs = summaries(scenario("librdkafka-auto-crash"), "auto")
    assert all(r["lost"] == 50 for r in runs)


@pytest.mark.parametrize("poisson", [False, True], ids=["pinned-crash", "poisson-crashes"])
def test_storing_after_processing_loses_nothing_on_the_same_seeds(poisson):
    runs = summaries(scenario("librdkafka-auto-crash", poisson=poisson), "auto-store-after-process")
    assert sum(r["lost"] for r in runs) == 0
    assert sum(r["duplicated_records"] for r in runs) > 0  # the crashes did bite


@pytest.mark.parametrize("poisson", [False, True], ids=["pinned-crash", "poisson-crashes"])
def test_java_classic_auto_loses_nothing_on_the_same_scenario(poisson):
    runs = summaries(scenario("librdkafka-auto-crash", "java", poisson), "auto")
    assert sum(r["lost"] for r in runs) == 0
    assert sum(r["duplicated_records"] for r in runs) > 0


def test_librdkafka_auto_loses_under_random_crashes_too():
    runs = summaries(scenario("librdkafka-auto-crash", poisson=True), "auto")
    assert sum(r["lost"] > 0 for r in runs) >= len(runs) // 2


def test_the_java_new_consumer_before_its_fix_loses_like_librdkafka():
    """KAFKA-18641: the background thread committed positions mid-batch."""
    runs = summaries(scenario("java-new-consumer-autocommit"), "auto")
    assert all(r["lost"] == 50 for r in runs)


REVOKE_MID_BATCH = {
    "name": "librdkafka-revoke-mid-batch",
    "run": {"duration_ms": 30_000},
    "topic": {"partitions": 2, "initial_records": 2_000},
    "group": {"consumers": 1, "session_timeout_ms": 10_000, "heartbeat_interval_ms": 1_000},
    "consumer": {
        "client": "librdkafka",
        "max_poll_records": 500,
        "processing_ms": {"dist": "constant", "mean": 10.0},
    },
    "strategy": {"name": "auto-store-after-process"},
    "faults": [{"kind": "join", "at_ms": 14_500}],
}


@pytest.mark.parametrize("callback", [False, True], ids=["no-rebalance-cb", "rebalance-cb"])
def test_a_revoke_without_a_rebalance_callback_makes_concurrent_duplicates(callback):
    """A second consumer joins while the first processes a batch of p1. Without a rebalance
    callback librdkafka's thread revokes at once and commits the offsets stored so far: the new
    owner gets the unprocessed rest of the batch while the old one finishes it (concurrent
    duplicates). With one, the revoke waits for the next poll: nothing is processed twice."""
    from sim.scenario import parse_scenario

    data = {**REVOKE_MID_BATCH, "consumer": {**REVOKE_MID_BATCH["consumer"]}}
    data["consumer"]["rebalance_callback"] = callback
    summary = run(parse_scenario(data)).summary()
    assert summary["lost"] == 0
    assert (summary["concurrent_duplicates"] > 0) == (not callback)

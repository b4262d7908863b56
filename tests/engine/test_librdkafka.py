"""The background auto-commit timer in the simpy driver (librdkafka; the Java new consumer before
KAFKA-18641): it fires while a batch is being processed (SEMANTICS.md §2)."""

from sim import run
from sim.scenario import parse_scenario


def scenario(client, strategy="auto"):
    """One consumer, one partition, batches of 200 records taking 2 s each, a 500 ms timer."""
    return parse_scenario(
        {
            "name": "timer-test",
            "run": {"duration_ms": 10_000},
            "topic": {"partitions": 1, "initial_records": 1_000},
            "group": {"consumers": 1},
            "consumer": {
                "client": client,
                "max_poll_records": 200,
                "processing_ms": {"dist": "constant", "mean": 10.0},
            },
            "strategy": {"name": strategy, "auto_commit_interval_ms": 500},
        },
        "<timer-test>",
    )


def early_auto_commits(client, strategy="auto"):
    """Auto commits that covered a record whose processing had not finished when they were sent;
    and how many auto commits there were."""
    ledger = run(scenario(client, strategy)).ledger
    done_us = ledger.first_effect_us(0)
    auto = [c for c in ledger.commits.values() if c.kind == "auto"]
    early = [c for c in auto if any(done_us[offset - 1] > c.sent_us for _, offset in c.offsets)]
    return early, auto


def test_librdkafka_timer_commits_records_still_being_processed():
    """With offsets stored at hand-over, the first tick in each 2 s batch commits the whole
    batch; later ticks find nothing stored above the committed offset and send nothing."""
    early, auto = early_auto_commits("librdkafka")
    assert len(auto) == 5 and early == auto


def test_the_java_new_consumer_prefix_does_the_same():
    """It commits the positions at every tick, each one ahead of the processing."""
    early, auto = early_auto_commits("java-new-prefix")
    assert len(auto) >= 10 and early == auto


def test_storing_after_processing_commits_only_finished_records_mid_batch():
    """The timer reads the batch's progress: its commits land mid-batch, on finished records."""
    early, auto = early_auto_commits("librdkafka", "auto-store-after-process")
    assert len(auto) >= 10 and early == []
    ledger = run(scenario("librdkafka", "auto-store-after-process")).ledger
    mid_batch = [c for c in ledger.commits.values() if c.kind == "auto" and c.offsets[0][1] % 200]
    assert mid_batch  # not only at batch ends


def test_java_classic_auto_commit_never_covers_unprocessed_records():
    early, auto = early_auto_commits("java")
    assert auto and early == []

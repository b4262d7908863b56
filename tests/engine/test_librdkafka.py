"""The background auto-commit timer in the simpy driver (librdkafka; the Java new consumer before
KAFKA-18641): it fires while a batch is being processed (docs/semantics.md §3)."""

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


def commit_chains(client):
    """Each instance's async commits of the same offsets, in send order, by outcome, under a
    burst of NOT_COORDINATOR answers from 8 s to 9.2 s."""
    s = scenario(client, "async-per-batch").replace(
        run={"duration_ms": 12_000},
        consumer={"max_poll_records": 20},
        faults=[
            {"kind": "commit-error", "error": "NOT_COORDINATOR", "from_ms": 8_000, "to_ms": 9_200}
        ],
    )
    chains: dict[tuple, list[str]] = {}
    for c in sorted(run(s).ledger.commits.values(), key=lambda c: c.sent_seq):
        chains.setdefault((c.instance, c.offsets), []).append(c.outcome)
    return chains


def test_librdkafka_retries_async_commits_and_defers_them_while_the_coordinator_is_away():
    """Each NOT_COORDINATOR marks the coordinator dead; the request's retries go only once it
    is found again (a retry due before that fails with the connection and waits again), at
    most two of them, then the commit is deferred until it is back; commits made meanwhile are
    deferred before any request: every async commit of the burst is applied in the end, unlike
    Java's (never retried)."""
    chains = commit_chains("librdkafka")
    refused = [outcomes for outcomes in chains.values() if outcomes[0] == "NOT_COORDINATOR"]
    assert refused and all(len(outcomes) <= 4 for outcomes in refused)
    assert all(outcomes[-1] == "ok" for outcomes in chains.values())


def test_java_async_commits_are_never_retried():
    chains = commit_chains("java")
    assert any(outcomes == ["NOT_COORDINATOR"] for outcomes in chains.values())
    assert all(len(outcomes) == 1 for outcomes in chains.values())

"""Transactions, read-process-write, as a user runs them (issue 16, Must show): over many seeds
and fault schedules, read_committed shows every record once; read_uncommitted shows aborted
results; a zombie's transaction is fenced in the trace; settings the model cannot honour are
refused with exit 2."""

import json

import pytest

from sim import load_scenario, run

from .test_malformed_inputs import refused

SEEDS = range(1, 41)
TURBULENCE = (
    {"kind": "crash", "consumer": "random", "rate_per_min": 4.0, "restart_after_ms": 2_000},
    {"kind": "pause", "consumer": 1, "at_ms": 12_000, "duration_ms": 12_000},
)
CRASHES = load_scenario("transactional-crash-in-commit")
TURBULENT = CRASHES.with_faults(CRASHES.faults + TURBULENCE)


def summaries(s):
    results = [run(s, seed=seed) for seed in SEEDS]
    assert all(r.ok for r in results)
    return [r.summary() for r in results]


@pytest.mark.parametrize("client", ["java", "librdkafka"])
def test_read_committed_sees_every_record_once_over_40_seeds_of_crashes_and_pauses(client):
    """Crashes before and during the commit, random crashes and a pause past the session: on
    no seed a record without an effect or with two, although records are processed twice;
    with either client's transactional producer and consumer."""
    runs = summaries(TURBULENT.replace(consumer={"client": client}))
    assert sum(r["lost_effects"] + r["duplicate_effects"] for r in runs) == 0
    assert all(r["duplicated_records"] > 0 for r in runs)


def test_read_uncommitted_sees_aborted_results_on_the_same_runs():
    """The same runs read downstream with read_uncommitted: the aborted transactions' results
    show, a second effect, on every seed; the deliveries are the same."""
    committed = summaries(TURBULENT)
    uncommitted = summaries(TURBULENT.replace(transactions={"isolation": "read_uncommitted"}))
    assert all(r["duplicate_effects"] > 0 for r in uncommitted)
    for a, b in zip(committed, uncommitted, strict=True):
        assert a["deliveries"] == b["deliveries"]
        assert a["duplicated_records"] == b["duplicated_records"]


@pytest.mark.parametrize("client", ["java", "librdkafka"])
def test_a_zombies_transaction_is_fenced_on_every_seed(client):
    """The stalled member's TxnOffsetCommit is refused on every seed and its results never show
    (librdkafka: rd_kafka_txn_handle_TxnOffsetCommit takes ILLEGAL_GENERATION and
    UNKNOWN_MEMBER_ID as abortable, as Java does)."""
    zombie = load_scenario("transactional-zombie-fenced").replace(consumer={"client": client})
    results = [run(zombie, seed=s) for s in SEEDS]
    assert all(r.ledger.txn_refusals for r in results)
    assert sum(r.summary()["duplicate_effects"] for r in results) == 0


def test_the_zombie_lesson_shows_the_refusal_and_the_abort_in_the_trace(cli, tmp_path):
    """`offsim run transactional-zombie-fenced --trace`: txn_refused, then the ABORT markers."""
    path = tmp_path / "run.jsonl"
    proc = cli("run", "transactional-zombie-fenced", "--json", "--trace", path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["duplicate_effects"] == out["lost_effects"] == 0 < out["duplicated_records"]
    events = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    refusal = next(e for e in events if e["event"] == "txn_refused")
    assert refusal["request"] == "TxnOffsetCommit"
    aborts = [e for e in events if e["event"] == "marker" and not e["commit"]]
    assert aborts and all(e["seq"] > refusal["seq"] for e in aborts)


def test_a_strategy_override_the_scenario_cannot_run_is_refused(capsys):
    """--strategy transactional on a scenario of Java's new consumer (pre KAFKA-18641): exit 2,
    one line saying why."""
    line = refused(capsys, "run", "java-new-consumer-autocommit", "--strategy", "transactional")
    assert "modelled with the Java and librdkafka clients" in line


def test_transaction_settings_without_the_strategy_are_refused(capsys, tmp_path):
    """[transactions] and the in-commit point mean nothing to another strategy: refused, not
    ignored, naming the field."""
    path = tmp_path / "s.toml"
    path.write_text('[transactions]\nisolation = "read_committed"\n')
    assert "transactions: [transactions] is for the transactional strategy" in refused(
        capsys, "run", path
    )
    path.write_text('[strategy]\nname = "transactional"\n[transactions]\nisolation = "none"\n')
    assert 'allowed: "read_uncommitted", "read_committed"' in refused(capsys, "run", path)
    path.write_text('[strategy]\nname = "transactional"\n[consumer]\nclient = "java-new-prefix"\n')
    assert "consumer.client: the transactional strategy" in refused(capsys, "run", path)
    path.write_text(
        '[strategy]\nname = "transactional"\n'
        '[consumer]\nclient = "librdkafka"\nrebalance_callback = false\n'
    )
    assert "consumer.rebalance_callback: the transactional application" in refused(
        capsys, "run", path
    )
    path.write_text(
        '[strategy]\nname = "transactional"\n'
        '[consumer]\nclient = "librdkafka"\n[group]\nprotocol = "consumer"\n'
    )
    assert "group.protocol: the transactional strategy is modelled in a consumer group" in (
        refused(capsys, "run", path)
    )


def test_a_commit_error_names_its_request_and_only_that_requests_errors(capsys, tmp_path):
    """commit-error's `request`: an error its coordinator never answers that request with is
    refused, naming the allowed ones; a transaction request with another strategy, and
    OffsetCommit with the transactional one (it sends none), are refused: exit 2, no
    traceback."""
    path = tmp_path / "s.toml"
    head = '[strategy]\nname = "transactional"\n[[faults]]\nkind = "commit-error"\n'
    path.write_text(head + 'request = "EndTxn"\nerror = "ILLEGAL_GENERATION"\n')
    line = refused(capsys, "run", path)
    assert "faults[0].error: ILLEGAL_GENERATION is not an answer to EndTxn" in line
    assert '"CONCURRENT_TRANSACTIONS"' in line and '"PRODUCER_FENCED"' in line
    path.write_text(head + 'request = "TxnOffsetCommit"\nerror = "REBALANCE_IN_PROGRESS"\n')
    assert "is not an answer to TxnOffsetCommit" in refused(capsys, "run", path)
    path.write_text(head + 'request = "Commit"\nerror = "NOT_COORDINATOR"\n')
    assert '"AddPartitionsToTxn", "AddOffsetsToTxn", "EndTxn"' in refused(capsys, "run", path)
    path.write_text(head + 'request = "OffsetCommit"\nerror = "NOT_COORDINATOR"\n')
    assert "faults[0].request: the transactional application sends no" in refused(
        capsys, "run", path
    )
    other = head.replace("transactional", "sync-per-batch")
    path.write_text(other + 'request = "EndTxn"\nerror = "NOT_COORDINATOR"\n')
    assert 'faults[0].request only with strategy.name = "transactional"' in refused(
        capsys, "run", path
    )


def test_in_a_consumer_group_kip_848_the_member_epoch_fences_a_zombie_and_effects_stay_once():
    """group.protocol = "consumer" (Java): the TxnOffsetCommit carries the member epoch
    (groupMetadata().generationId()); ConsumerGroup.validateOffsetCommit(isTransactional)
    refuses a zombie's (UNKNOWN_MEMBER_ID once removed, ILLEGAL_GENERATION for a stale epoch),
    and the crashes and pauses leave every record one effect on every seed."""
    crashes = TURBULENT.replace(group={"protocol": "consumer"})
    runs = summaries(crashes)
    assert sum(r["lost_effects"] + r["duplicate_effects"] for r in runs) == 0
    zombie = load_scenario("transactional-zombie-fenced").replace(group={"protocol": "consumer"})
    results = [run(zombie, seed=s) for s in SEEDS]
    assert all(r.ledger.txn_refusals for r in results)
    assert sum(r.summary()["duplicate_effects"] for r in results) == 0

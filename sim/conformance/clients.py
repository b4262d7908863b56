"""Which real client runs a scenario, and what the real side cannot run (said why, so the
scenario is reported `not run` rather than run wrongly).
"""

from __future__ import annotations

from sim.conformance.backend import consumer_protocol

STRATEGIES = (
    "auto", "auto-store-after-process", "sync-per-batch", "sync-per-record", "async-per-batch",
    "async-then-sync", "async-then-sync-processed", "per-partition-sync",
    "commit-before-process", "off-by-one", "transactional",
)  # fmt: skip
# The real clients: the worker module that runs each, and the model client it is compared with.
CLIENTS = {
    "confluent-kafka": ("sim.conformance.worker", "librdkafka"),
    "kafka-python": ("sim.conformance.worker_kafka_python", "java"),
    "java": ("sim.conformance.worker_java", "java"),
}
# librdkafka's own: its offset store (enable.auto.offset.store=false).
LIBRDKAFKA_ONLY = ("auto-store-after-process",)
# docs/conformance.md, "Where the mock cluster is not Kafka", item 5.
JAVA_ON_MOCK = (
    "the mock answers the Java client's first ApiVersions (v4, unsupported there) with a"
    " malformed array, read as a throttle of 1179648 ms on every broker"
    " (rd_kafka_mock_handle_ApiVersion): the Java client never gets metadata"
)


class Unsupported(Exception):
    """The scenario says something the real side cannot do (said what)."""


def model_client(scenario, client: str = "confluent-kafka") -> str:
    """The model's client compared with this real one (`CLIENTS`), in every protocol."""
    return CLIENTS[client][1]


def check_supported(scenario, backend, client: str = "confluent-kafka") -> None:
    s = scenario
    if s.strategy.name not in STRATEGIES:
        raise Unsupported(f"strategy {s.strategy.name!r} has no confluent-kafka worker")
    if client != "confluent-kafka" and s.strategy.name in LIBRDKAFKA_ONLY:
        raise Unsupported("auto-store-after-process is librdkafka's offset store")
    if s.consumer.processing_ms.dist != "constant" or s.consumer.processing != "sync":
        raise Unsupported("the real side processes synchronously, for a constant processing_ms")
    if client == "kafka-python" and consumer_protocol(s):
        raise Unsupported("kafka-python has no client of the consumer group protocol")
    if client == "java" and consumer_protocol(s):
        raise Unsupported("the Java worker runs the classic protocol only")
    if client == "java" and backend.name == "mock":
        raise Unsupported(JAVA_ON_MOCK)
    if client == "kafka-python" and s.group.static_membership:
        raise Unsupported("kafka-python speaks Kafka 2.0's protocol here: no static membership")
    if s.topic.produce_rate_per_s or s.strategy.on_commit_error:
        raise Unsupported("live production and on_commit_error are not run")
    allowed = ("crash", "leave", "join", "commit-error", "coordinator-outage", "stall")
    for i, fault in enumerate(s.faults):
        if fault.kind not in allowed:
            raise Unsupported(f"faults[{i}]: a {fault.kind} fault is not run on the real side")
        if fault.kind == "crash":
            if fault.consumer == "random" or getattr(fault, "rate_per_min", None):
                raise Unsupported(f"faults[{i}]: a drawn crash has no real counterpart")
            if fault.at_ms is not None and fault.owner_of is not None:
                raise Unsupported(f"faults[{i}]: owner_of at a time: the controller cannot see")
        if fault.kind == "stall" and fault.consumer == "random":
            raise Unsupported(f"faults[{i}]: a drawn stall has no real counterpart")
        if fault.kind == "commit-error" and fault.request not in (None, "OffsetCommit"):
            raise Unsupported(f"faults[{i}]: the real side injects errors on OffsetCommit only")
    if sum(f.kind == "commit-error" for f in s.faults) > 1:
        raise Unsupported("more than one commit-error fault")
    why = backend.unsupported(s)
    if why:
        raise Unsupported(why)

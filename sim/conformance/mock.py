"""librdkafka's mock cluster, from the librdkafka the confluent-kafka wheel bundles.

A narrow ctypes binding of the `rd_kafka_mock_*` control functions (rdkafka_mock.h), owned by
this one controller process: the workers only see a bootstrap address. The functions used are
checked to exist, and the library's version to be one whose signatures these are. Topics are
created with the mock's own call (an admin `create_topics` blocks on the mock cluster).
"""

from __future__ import annotations

import ctypes
import glob
import os

from sim.conformance.backend import OFFSET_COMMIT, Backend, consumer_protocol

MIN_VERSION = 0x02050000  # rd_kafka_mock_group_initial_rebalance_delay_ms is in 2.5 and later
# The consumer group protocol's (KIP-848) session and heartbeat setters are in 2.8 and later.
CONSUMER_PROTOCOL_VERSION = 0x02080000
BROKERS = 3
COORDINATOR = 1  # the group's coordinator
LEADER = 2  # every partition's leader: one fetcher, as in the model

_P, _S, _I = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
_SIGNATURES = {
    "rd_kafka_version": ([], _I),
    "rd_kafka_conf_new": ([], _P),
    "rd_kafka_conf_set": ([_P, _S, _S, _S, ctypes.c_size_t], _I),
    "rd_kafka_new": ([_I, _P, _S, ctypes.c_size_t], _P),
    "rd_kafka_destroy": ([_P], None),
    "rd_kafka_mock_cluster_new": ([_P, _I], _P),
    "rd_kafka_mock_cluster_destroy": ([_P], None),
    "rd_kafka_mock_cluster_bootstraps": ([_P], _S),
    "rd_kafka_mock_topic_create": ([_P, _S, _I, _I], _I),
    "rd_kafka_mock_partition_set_leader": ([_P, _S, ctypes.c_int32, ctypes.c_int32], _I),
    "rd_kafka_mock_coordinator_set": ([_P, _S, _S, ctypes.c_int32], _I),
    "rd_kafka_mock_push_request_errors_array": ([_P, ctypes.c_int16, ctypes.c_size_t, _P], None),
    "rd_kafka_mock_clear_request_errors": ([_P, ctypes.c_int16], None),
    "rd_kafka_mock_broker_set_down": ([_P, ctypes.c_int32], _I),
    "rd_kafka_mock_broker_set_up": ([_P, ctypes.c_int32], _I),
    "rd_kafka_mock_group_initial_rebalance_delay_ms": ([_P, ctypes.c_int32], None),
}
# Bound when the library has them (CONSUMER_PROTOCOL_VERSION); needed only by the scenarios of
# `group.protocol = "consumer"`.
_CONSUMER_SIGNATURES = {
    "rd_kafka_mock_set_group_consumer_session_timeout_ms": ([_P, _I], None),
    "rd_kafka_mock_set_group_consumer_heartbeat_interval_ms": ([_P, _I], None),
}


class MockError(RuntimeError):
    """The bundled librdkafka cannot serve as the mock cluster (said how)."""


def bundled_library() -> str:
    """The path of the librdkafka the confluent-kafka wheel bundles (confluent_kafka.libs)."""
    import confluent_kafka

    site = os.path.dirname(os.path.dirname(confluent_kafka.__file__))
    found = sorted(glob.glob(os.path.join(site, "confluent_kafka.libs", "librdkafka*.so*")))
    if not found:
        raise MockError(f"no bundled librdkafka in {site}/confluent_kafka.libs")
    return found[0]


def _bind_each(lib, path: str, signatures: dict) -> None:
    for name, (args, result) in signatures.items():
        if not hasattr(lib, name):
            raise MockError(f"{path} has no {name}")
        function = getattr(lib, name)
        function.argtypes, function.restype = args, result


def _bind(path: str):
    """The library with its control functions typed; `lib.consumer_protocol` says whether the
    consumer group protocol's setters are there too."""
    lib = ctypes.CDLL(path)
    _bind_each(lib, path, _SIGNATURES)
    version = lib.rd_kafka_version()
    if version < MIN_VERSION:
        raise MockError(f"librdkafka {version:#x} is older than {MIN_VERSION:#x}")
    lib.consumer_protocol = version >= CONSUMER_PROTOCOL_VERSION
    if lib.consumer_protocol:
        _bind_each(lib, path, _CONSUMER_SIGNATURES)
    return lib


class MockCluster(Backend):
    """Three mock brokers in this process; broker 1 coordinates every group and broker 2 leads
    every partition (so a coordinator outage leaves fetching alone, and one fetch serves every
    partition, as in the model)."""

    name = "mock"

    def __init__(self):
        self.lib = lib = _bind(bundled_library())
        conf = lib.rd_kafka_conf_new()
        error = ctypes.create_string_buffer(512)
        # A producer handle that never produces: its only use is to own the cluster.
        lib.rd_kafka_conf_set(conf, b"log_level", b"0", error, len(error))
        self.handle = lib.rd_kafka_new(1, conf, error, len(error))
        if not self.handle:
            raise MockError(f"rd_kafka_new: {error.value.decode()}")
        self.cluster = lib.rd_kafka_mock_cluster_new(self.handle, BROKERS)
        if not self.cluster:
            raise MockError("rd_kafka_mock_cluster_new failed")
        self.bootstrap = lib.rd_kafka_mock_cluster_bootstraps(self.cluster).decode()

    def unsupported(self, scenario) -> str | None:
        if consumer_protocol(scenario) and not self.lib.consumer_protocol:
            version = self.lib.rd_kafka_version()
            return (
                f"the consumer group protocol needs librdkafka {CONSUMER_PROTOCOL_VERSION:#x} or"
                f" later's mock (this is {version:#x})"
            )
        for fault in scenario.faults:
            if fault.kind == "commit-error":
                if fault.nth is None:
                    return "the mock fails OffsetCommits by count (nth), not by time"
                if fault.consumer is not None and scenario.group.consumers > 1:
                    return "the mock counts the group's OffsetCommits, not one consumer's"
        return None

    def _check(self, what: str, code: int) -> None:
        if code:
            raise MockError(f"{what} failed: error {code}")

    def create_topic(self, topic: str, partitions: int, group: str, delay_ms: int = 0) -> None:
        """The topic, its leader, the group's coordinator, and the initial rebalance delay of
        the groups created from now on (the mock's default is Kafka's 3 s)."""
        lib, name = self.lib, topic.encode()
        lib.rd_kafka_mock_group_initial_rebalance_delay_ms(self.cluster, delay_ms)
        self._check("rd_kafka_mock_topic_create", lib.rd_kafka_mock_topic_create(
            self.cluster, name, partitions, 1))  # fmt: skip
        for p in range(partitions):
            self._check("set_leader", lib.rd_kafka_mock_partition_set_leader(
                self.cluster, name, p, LEADER))  # fmt: skip
        self._check("rd_kafka_mock_coordinator_set", lib.rd_kafka_mock_coordinator_set(
            self.cluster, b"group", group.encode(), COORDINATOR))  # fmt: skip

    def group_consumer_timeouts(self, session_ms: int, heartbeat_ms: int) -> None:
        """The consumer group protocol's session timeout and heartbeat interval, the broker's
        (`group.consumer.session.timeout.ms`, `...heartbeat.interval.ms`). The mock copies
        them into a group at each of its heartbeats (`rd_kafka_mock_cgrp_consumer_member_add`),
        so they hold from the group's next heartbeat; its defaults are 30 s and 3 s."""
        self.lib.rd_kafka_mock_set_group_consumer_session_timeout_ms(self.cluster, session_ms)
        self.lib.rd_kafka_mock_set_group_consumer_heartbeat_interval_ms(self.cluster, heartbeat_ms)

    def commit_errors(self, errors: list[int]) -> None:
        self.lib.rd_kafka_mock_clear_request_errors(self.cluster, OFFSET_COMMIT)
        if errors:
            array = (ctypes.c_int * len(errors))(*errors)
            self.lib.rd_kafka_mock_push_request_errors_array(
                self.cluster, OFFSET_COMMIT, len(errors), array
            )

    def coordinator_down(self, group: str) -> None:
        self._check("set_down", self.lib.rd_kafka_mock_broker_set_down(self.cluster, COORDINATOR))

    def coordinator_up(self, group: str) -> None:
        self._check("set_up", self.lib.rd_kafka_mock_broker_set_up(self.cluster, COORDINATOR))

    def close(self) -> None:
        if self.cluster:
            self.lib.rd_kafka_mock_cluster_destroy(self.cluster)
            self.lib.rd_kafka_destroy(self.handle)
            self.cluster = self.handle = None

"""What a broker must offer a conformance run, and the cluster of the user's own.

A backend gives a bootstrap address, creates a topic, and injects what a scenario's faults ask
of the broker. What a backend cannot inject it says (`unsupported`), so a scenario it cannot run
is reported as such rather than run wrongly.
"""

from __future__ import annotations

# Kafka's error codes (the protocol's ErrorCodes) of the commit errors a scenario may name.
ERROR_CODES = {
    "REQUEST_TIMED_OUT": 7,
    "COORDINATOR_LOAD_IN_PROGRESS": 14,
    "COORDINATOR_NOT_AVAILABLE": 15,
    "NOT_COORDINATOR": 16,
    "ILLEGAL_GENERATION": 22,
    "UNKNOWN_MEMBER_ID": 25,
    "REBALANCE_IN_PROGRESS": 27,
    "STALE_MEMBER_EPOCH": 113,
}
OFFSET_COMMIT = 8  # the OffsetCommit request's API key


def consumer_protocol(scenario) -> bool:
    """Whether the scenario's group speaks the consumer group protocol (KIP-848)."""
    return scenario.group.protocol == "consumer"


class Backend:
    """A Kafka-protocol broker on loopback (or the user's own cluster)."""

    name = ""
    bootstrap = ""

    def unsupported(self, scenario) -> str | None:
        """Why this backend cannot run the scenario's faults, or None."""
        if consumer_protocol(scenario):
            return (
                f"{self.name} cannot be given the consumer group protocol's session timeout and"
                " heartbeat interval"
            )
        for fault in scenario.faults:
            if fault.kind in ("commit-error", "coordinator-outage"):
                return f"{self.name} cannot inject a {fault.kind} fault"
        return None

    def create_topic(self, topic: str, partitions: int, group: str, delay_ms: int = 0) -> None:
        """A fresh topic for one run; `delay_ms`: the group's initial rebalance delay, where the
        backend can set it."""
        raise NotImplementedError

    def group_consumer_timeouts(self, session_ms: int, heartbeat_ms: int) -> None:
        """The broker's `group.consumer.session.timeout.ms` and `...heartbeat.interval.ms`."""
        raise NotImplementedError(f"{self.name} cannot set the consumer group's timeouts")

    def commit_errors(self, errors: list[int]) -> None:
        """Answer the next OffsetCommit requests with these codes (0: served normally); [] clears
        them, which a backend that injects nothing does by doing nothing."""
        if errors:
            raise NotImplementedError(f"{self.name} cannot inject commit errors")

    def coordinator_down(self, group: str) -> None:
        raise NotImplementedError

    def coordinator_up(self, group: str) -> None:
        raise NotImplementedError

    def cleanup(self, topic: str, group: str) -> None:
        """Remove what the run created."""

    def close(self) -> None:
        """Stop the backend."""


class Bootstrap(Backend):
    """A cluster of the user's own (`--bootstrap HOST:PORT`): a fresh topic and group per run,
    both deleted after it. It injects no broker faults."""

    name = "bootstrap"

    def __init__(self, bootstrap: str):
        from confluent_kafka.admin import AdminClient

        self.bootstrap = bootstrap
        self.admin = AdminClient({"bootstrap.servers": bootstrap})

    def create_topic(self, topic: str, partitions: int, group: str, delay_ms: int = 0) -> None:
        from confluent_kafka.admin import NewTopic

        future = self.admin.create_topics([NewTopic(topic, partitions, 1)])[topic]
        future.result(30)

    def cleanup(self, topic: str, group: str) -> None:
        """Delete the run's group (its members have left: RealRun closes them first), then its
        topic. A group that never formed is no error."""
        from confluent_kafka import KafkaError, KafkaException

        try:
            self.admin.delete_consumer_groups([group], request_timeout=30)[group].result(30)
        except KafkaException as error:
            if error.args[0].code() != KafkaError.GROUP_ID_NOT_FOUND:
                raise
        self.admin.delete_topics([topic])[topic].result(30)

    def close(self) -> None:
        self.admin = None  # its connections close now, not at the interpreter's exit

"""What one worker process is told: the scenario's consumer as client settings, and the crash
points still pending for its slot (written as JSON by `sim.conformance.real`, read by the
worker).

The group protocol decides which settings go: with `group.protocol = "consumer"` (KIP-848) the
session timeout and heartbeat interval are the broker's, and the assignor runs on the broker, so
the worker gets no `session.timeout.ms`, `heartbeat.interval.ms` or
`partition.assignment.strategy` (librdkafka refuses them with that protocol,
`rd_kafka_conf_finalize`), but `group.remote.assignor` when the scenario names one.
"""

from __future__ import annotations

from pathlib import Path

from sim.conformance.backend import consumer_protocol


def pending_points(scenario, slot: int, fired: set[int]) -> list[dict]:
    """The loop-point crashes this slot may still hit (each fires once across the run)."""
    points = []
    for i, fault in enumerate(scenario.faults):
        if fault.kind != "crash" or fault.at is None or i in fired:
            continue
        if fault.consumer is not None and fault.consumer != slot:
            continue
        points.append(
            {"index": i, "at": fault.at, "batch": fault.batch, "after": fault.after_records or 0,
             "owner_of": fault.owner_of}
        )  # fmt: skip
    return points


def group_settings(scenario, slot: int) -> dict:
    """The group's client settings for this slot, by protocol; the static instance id is the
    model's (`instance-<slot>`)."""
    g = scenario.group
    settings: dict = {
        "max_poll_interval_ms": g.max_poll_interval_ms,
        "instance_id": f"instance-{slot}" if g.static_membership else None,
    }
    if consumer_protocol(scenario):
        settings["protocol"] = "consumer"
        settings["remote_assignor"] = g.remote_assignor
    else:
        settings["protocol"] = "classic"
        settings["session_timeout_ms"] = g.session_timeout_ms
        settings["heartbeat_interval_ms"] = g.heartbeat_interval_ms
        settings["assignor"] = g.assignor
    return settings


def worker_spec(scenario, run, slot: int, incarnation: int) -> dict:
    """The spec of slot's `incarnation`-th worker in `run` (a `RealRun`)."""
    s, folder = scenario, Path(run.folder)
    return {
        "bootstrap": run.backend.bootstrap,
        "backend": run.backend.name,
        "topic": run.topic,
        "group": run.group,
        "strategy": s.strategy.name,
        "effects": str(folder / f"effects-{slot}-{incarnation}"),
        "fired": str(folder / "fired-"),
        "stall": str(folder / f"stall-{slot}"),
        "slot": slot,
        "points": pending_points(s, slot, run.fired),
        "max_poll_records": s.consumer.max_poll_records,
        "poll_timeout_ms": s.consumer.poll_timeout_ms,
        "processing_ms": s.consumer.processing_ms.mean,
        "auto_commit_interval_ms": s.strategy.auto_commit_interval_ms,
        "auto_offset_reset": s.group.auto_offset_reset,
        "status": str(folder / f"status-{slot}"),
        **group_settings(s, slot),
        **transaction_settings(s, run.topic, slot),
    }


def transaction_settings(scenario, topic: str, slot: int) -> dict:
    """The transactional strategy's producer and isolation level (the model's default when the
    scenario names none); the slot's transactional.id is the model's `app-<slot>` within the
    run's own names, so runs on one cluster never fence each other."""
    if scenario.strategy.name != "transactional":
        return {}
    from sim.engine.simulation import DEFAULT_TXN_TIMEOUT_MS
    from sim.model.txn_sink import DEFAULT_ISOLATION

    txn = scenario.transactions
    return {
        "output": topic + "-out",
        "transactional_id": f"{topic}-app-{slot}",
        "isolation": (txn and txn.isolation) or DEFAULT_ISOLATION[scenario.consumer.client],
        "transaction_timeout_ms": txn.transaction_timeout_ms if txn else DEFAULT_TXN_TIMEOUT_MS,
    }

"""Random valid scenarios across the whole format: every strategy, client, protocol, membership,
processing mode, distribution and fault kind. Whatever the scenario, a run raises nothing, ends
within its budget of simulated events (a run that cannot finish says which bound ended it), its
cross-checks pass, and where the docs promise no loss there is none.

The default run tries a few dozen scenarios; `-m deep` tries thousands.
"""

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sim.engine.simulation import Simulation
from sim.ledger.checker import check
from sim.scenario import (
    CLIENTS,
    COMMIT_ERROR_CODES,
    COMMIT_ERROR_POLICIES,
    LOOP_POINTS,
    OFFSET_RESETS,
    PROTOCOL_ASSIGNORS,
    SINK_KINDS,
    parse_scenario,
)
from sim.strategies import STRATEGY_NAMES

MAX_STEPS = 300_000  # each example's budget of simulated events
# commitSync of what was processed, then at-least-once whatever the faults (the catalogue's
# sync-per-batch-at-least-once and sync-per-batch-zombie-never-loses, docs/claims.md).
AT_LEAST_ONCE = ("sync-per-batch", "per-partition-sync", "sync-per-record")


def distribution(high: float):
    """Any of the four distributions, in ms, means up to `high` (zero allowed where valid)."""
    mean = st.floats(0.05, high)
    return st.one_of(
        st.builds(lambda m: {"dist": "constant", "mean": m}, st.sampled_from([0.0, 0.5, high])),
        st.tuples(st.floats(0, high), st.floats(0, high)).map(
            lambda b: {"dist": "uniform", "low": min(b), "high": max(b)}
        ),
        mean.map(lambda m: {"dist": "exponential", "mean": m}),
        st.tuples(mean, st.floats(0, 2)).map(
            lambda p: {"dist": "lognormal", "mean": p[0], "sigma": p[1]}
        ),
    )


@st.composite
def fault(draw, duration: int, consumers: int, processing: str):
    kinds = [
        "crash", "join", "leave", "rolling-restart", "coordinator-failover", "commit-error",
        "lost-response", "stall", "pause", "network-cut",
    ]  # fmt: skip
    if processing == "sync":
        kinds.append("processing-error")
    kind = draw(st.sampled_from(kinds))
    at_ms = draw(st.integers(0, duration))
    consumer = draw(st.integers(0, consumers - 1))
    restart = draw(st.none() | st.integers(0, 5_000))
    out = {"kind": kind}
    if restart is not None and kind in ("crash", "processing-error", "leave"):
        out["restart_after_ms"] = restart
    if kind in ("crash", "processing-error"):
        out["consumer"] = draw(st.just(consumer) | st.just("random"))
        timing = draw(st.sampled_from(["at_ms", "at", "rate"] if kind == "crash" else ["at_ms"]))
        points = (
            LOOP_POINTS if processing == "sync" else [p for p in LOOP_POINTS if p != "mid-batch"]
        )
        if kind == "processing-error" and processing == "sync" and draw(st.booleans()):
            timing, points = "at", ["mid-batch"]
        if timing == "at_ms":
            out["at_ms"] = at_ms
        elif timing == "at":
            out["at"] = draw(st.sampled_from(points))
            out["batch"] = draw(st.integers(1, 3))
            if out["at"] == "mid-batch":
                out["after_records"] = draw(st.integers(0, 50))
        else:
            out["rate_per_min"] = draw(st.floats(0.5, 30))
    elif kind == "join":
        out["at_ms"] = at_ms
    elif kind == "leave":
        out.update(consumer=consumer, at_ms=at_ms)
    elif kind == "rolling-restart":
        interval = draw(st.integers(0, duration // consumers))
        out.update(
            at_ms=draw(st.integers(0, duration - interval * (consumers - 1))),
            interval_ms=interval,
            down_ms=draw(st.integers(0, 5_000)),
        )
    elif kind == "coordinator-failover":
        out.update(
            at_ms=at_ms,
            unavailable_ms=draw(st.integers(0, 3_000)),
            loading_ms=draw(st.integers(0, 3_000)),
        )
    elif kind in ("commit-error", "lost-response"):
        start = draw(st.integers(0, duration))
        out.update(
            from_ms=start,
            to_ms=draw(st.integers(start, duration)),
            probability=draw(st.floats(0.05, 1)),
        )
        if kind == "commit-error":
            out["error"] = draw(st.sampled_from(COMMIT_ERROR_CODES))
        if draw(st.booleans()):
            out["consumer"] = consumer
    else:  # stall, pause, network-cut
        out.update(
            consumer=draw(st.just(consumer) | st.just("random")) if kind == "stall" else consumer,
            at_ms=at_ms,
            duration_ms=draw(st.integers(1, 20_000)),
        )
    return out


def fitting(client: str, processing: str) -> list[str]:
    """The shipped strategies a scenario of this client and processing mode may name (the
    transactional one: the Java client, sync processing)."""
    java_sync = client == "java" and processing == "sync"
    return [n for n in STRATEGY_NAMES if n != "transactional" or java_sync]


@st.composite
def scenarios(draw):
    """Half of them in the setting where no loss is promised, so that promise is tried often."""
    promised = draw(st.booleans())
    duration = draw(st.integers(2_000, 20_000))
    consumers = draw(st.integers(1, 3))
    client = "java" if promised else draw(st.sampled_from(CLIENTS))
    protocols = ["eager"] if client == "librdkafka" else list(PROTOCOL_ASSIGNORS)
    protocol = draw(st.sampled_from(protocols))
    processing = "sync" if promised else draw(st.sampled_from(["sync", "async"]))
    reset = "earliest" if promised else draw(st.sampled_from(["earliest", *OFFSET_RESETS]))
    session = draw(st.integers(6_000, 30_000))
    data = {
        "name": "fuzz",
        "run": {"duration_ms": duration, "max_drain_ms": 120_000, "max_steps": MAX_STEPS},
        "topic": {
            "partitions": draw(st.integers(1, 6)),
            "initial_records": draw(st.integers(0, 300)),
            "produce_rate_per_s": draw(st.sampled_from([0.0, 10.0, 100.0])),
        },
        "broker": {"initial_rebalance_delay_ms": draw(st.sampled_from([0, 500, 3_000]))},
        "group": {
            "consumers": consumers,
            "protocol": protocol,
            "assignor": draw(st.sampled_from(PROTOCOL_ASSIGNORS[protocol])),
            "session_timeout_ms": session,
            "heartbeat_interval_ms": draw(st.integers(500, session - 1)),
            "max_poll_interval_ms": draw(st.integers(2_000, 60_000)),
            "auto_offset_reset": reset,
            "static_membership": draw(st.booleans()),
        },
        "consumer": {
            "client": client,
            "max_poll_records": draw(st.integers(1, 200)),
            "processing": processing,
            "processing_ms": draw(distribution(5.0)),
            "worker_queue_records": draw(st.integers(1, 400)),
            "poll_timeout_ms": draw(st.integers(1, 200)),
            "retry_backoff_ms": draw(st.integers(0, 200)),
            "rebalance_callback": client != "librdkafka" or draw(st.booleans()),
        },
        "strategy": {
            "name": draw(
                st.sampled_from(AT_LEAST_ONCE if promised else fitting(client, processing))
            ),
            "auto_commit_interval_ms": draw(st.integers(10, 5_000)),
        },
        "sink": {"kind": draw(st.sampled_from(SINK_KINDS))},
        "network": {"latency_ms": draw(distribution(3.0))},
        "faults": draw(st.lists(fault(duration, consumers, processing), max_size=3)),
    }
    policy = draw(st.none() | st.sampled_from(COMMIT_ERROR_POLICIES))
    if policy is not None:
        data["strategy"]["on_commit_error"] = policy
    return parse_scenario(data, "<fuzz>"), draw(st.integers(0, 2**63 - 1))


def loss_promised_none(s) -> bool:
    """The docs promise no loss: commitSync of processed offsets, in the poll loop, of a client
    that commits nothing else, from the earliest offset."""
    return (
        s.strategy.name in AT_LEAST_ONCE
        and s.consumer.client == "java"
        and s.consumer.processing == "sync"
        and s.group.auto_offset_reset == "earliest"
    )


def judge(scenario, seed: int) -> None:
    sim = Simulation(scenario, seed, scenario.strategy.name)
    ledger, sink = sim.run()
    report = check(ledger, sink)
    assert sim.steps <= MAX_STEPS
    assert report.ok, report.failures
    if not ledger.quiesced:
        assert ledger.not_quiesced_reason
        event("ended by a bound: " + " ".join(ledger.not_quiesced_reason.split()[:3]))
        return
    event("quiesced")
    if loss_promised_none(scenario):
        event("quiesced where no loss is promised")
        assert report.metrics.lost == 0


FUZZ = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


@settings(FUZZ, max_examples=40)
@given(scenarios())
def test_any_valid_scenario_runs_to_a_checked_end(case):
    """No exception, the step budget kept, cross-checks pass, no loss where none is promised."""
    judge(*case)


@pytest.mark.deep
@settings(FUZZ, max_examples=3_000)
@given(scenarios())
def test_any_valid_scenario_runs_to_a_checked_end_deep(case):
    """The same over thousands of scenarios."""
    judge(*case)

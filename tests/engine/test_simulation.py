"""The simpy driver on small scenarios: network order, in-flight bytes, faults, draws."""

import numpy as np

from sim import run
from sim.engine.draws import KeyedDraws, _shared_rekeyable, generator, shared_generator
from sim.engine.simulation import Simulation
from sim.scenario import parse_scenario


def scenario(strategy="sync-per-batch", faults=(), **tables):
    data = {
        "name": "engine-test",
        "run": {"duration_ms": 20_000},
        "topic": {"partitions": 2, "initial_records": 2_000},
        "group": {"consumers": 2, "session_timeout_ms": 6_000, "heartbeat_interval_ms": 2_000},
        "consumer": {"max_poll_records": 100},
        "strategy": {"name": strategy},
        "faults": list(faults),
    }
    for table, values in tables.items():
        data.setdefault(table, {}).update(values)
    return parse_scenario(data, "<engine-test>")


def test_draws_do_not_depend_on_how_batches_split():
    """A record's processing time is keyed by (partition, offset, attempt), drawn in whole
    chunks: any split of a range gives the same values."""
    dist = parse_scenario({"name": "d"}).consumer.processing_ms
    draws = KeyedDraws(7, 1, dist)
    whole = draws.range((0, 0), 1000, 3100)
    parts = [draws.range((0, 0), a, b) for a, b in [(1000, 1023), (1023, 2048), (2048, 3100)]]
    assert np.array_equal(whole, np.concatenate(parts))
    assert not np.array_equal(whole, KeyedDraws(7, 1, dist).range((1, 0), 1000, 3100))


def test_a_chunk_drawn_in_prefixes_has_the_values_of_a_whole_chunk():
    """Chunks are drawn only as far as asked and redrawn longer when needed: small steps, single
    draws and whole chunks give the same values, for every distribution."""
    dists = [
        {"dist": "exponential", "mean": 2},
        {"dist": "lognormal", "mean": 3, "sigma": 1.5},
        {"dist": "uniform", "low": 1, "high": 9},
    ]
    for spec in dists:
        dist = parse_scenario({"name": "d", "consumer": {"processing_ms": spec}}).consumer
        whole = np.concatenate([KeyedDraws(5, 1, dist.processing_ms).chunk((0, 0), c)
                                for c in range(2)])  # fmt: skip
        stepped = KeyedDraws(5, 1, dist.processing_ms)
        bounds = [0, 1, 30, 64, 65, 200, 700, 1030, 2048]
        parts = [stepped.range((0, 0), a, b) for a, b in zip(bounds, bounds[1:], strict=False)]
        assert np.array_equal(np.concatenate(parts), whole)
        single = KeyedDraws(5, 1, dist.processing_ms)
        assert [single.one((0, 0), i) for i in range(0, 2048, 7)] == whole[::7].tolist()


def test_shared_generator_draws_as_a_fresh_keyed_generator():
    """The re-keyed generator (a seed's pool kept, key words mixed in Python) gives numpy's
    SeedSequence draws, for seeds and keys of one to five uint32 words."""
    seeds = [0, 1, 2**32 - 1, 2**40 + 3, 2**140 + 5]
    keys = [(3,), (1, 0), (2, 2**33 + 1, 7), (3, 5, 0, 2**32 - 1)]
    for seed in seeds:
        for key in keys:
            expected = generator(seed, *key).random(8)
            assert np.array_equal(shared_generator(seed, *key).random(8), expected)
    # Not the same draws for another key: the test can fail.
    assert not np.array_equal(shared_generator(1, 3).random(8), generator(1, 4).random(8))


def test_the_shared_generator_keeps_only_the_current_seeds_key_prefixes():
    """Seeds taken in turn (a new seed drops the pools kept for the last one) draw as fresh
    generators, and a search over many seeds does not keep every seed's pools."""
    for key in [(2, 9, 4), (2, 9, 5), (3, 1)]:
        for seed in [11, 12, 11, 2**40 + 3]:
            expected = generator(seed, *key).random(4)
            assert np.array_equal(shared_generator(seed, *key).random(4), expected)
    for seed in range(100, 200):
        shared_generator(seed, 1, seed % 7, 0)
    assert len(_shared_rekeyable()._prefixes) == 3  # (), (1,), (1, 199 % 7)


def test_strategies_meet_the_same_processing_times():
    """Common random numbers: the first processing of a record takes as long under any
    strategy, so `compare` measures strategies, not dice."""
    durations = []
    for strategy in ("sync-per-batch", "async-per-batch"):
        ledger = run(scenario(strategy)).ledger
        segment = next(s for s in ledger.segments if s.partition == 0 and s.start == 0)
        durations.append(segment.last_us - segment.first_us)
    assert durations[0] == durations[1]


def test_an_in_flight_commit_lands_after_its_sender_crashed():
    """Bytes already sent still arrive: an async commit sent just before a crash is applied
    after the sender died (docs/model.md)."""
    faults = [{"kind": "crash", "consumer": 0, "at": "after-commit", "batch": 2}]
    ledger = run(scenario("async-per-batch", faults)).ledger
    (stop,) = [s for s in ledger.stops.values() if s.how == "crash"]
    late = [c for c in ledger.commits.values() if c.sent_us <= stop.at_us < (c.applied_us or 0)]
    assert late and late[0].outcome is None  # applied, but nobody heard the answer


def test_a_lost_response_leaves_the_outcome_unknown_and_commit_sync_retries():
    """The connection hangs until request.timeout.ms; the commit's outcome is UNKNOWN (it was
    applied), and commitSync retries it: no loss."""
    faults = [{"kind": "lost-response", "consumer": 0, "from_ms": 7_000, "to_ms": 7_500}]
    result = run(scenario("sync-per-batch", faults, broker={"request_timeout_ms": 5_000}))
    commits = result.ledger.commits.values()
    unknown = [c for c in commits if c.outcome == "UNKNOWN"]
    assert unknown and all(c.applied_us is not None for c in unknown)
    assert all(c.completed_us - c.sent_us >= 5_000_000 for c in unknown)
    assert result.summary()["lost"] == 0


def test_commit_errors_are_injected_only_inside_their_window():
    """A commit-error fault answers the commits arriving in its window with its error code."""
    faults = [
        {
            "kind": "commit-error",
            "error": "COORDINATOR_LOAD_IN_PROGRESS",
            "from_ms": 8_000,
            "to_ms": 9_000,
        }
    ]
    commits = run(scenario("async-per-batch", faults)).ledger.commits.values()
    failed = [c for c in commits if c.outcome == "COORDINATOR_LOAD_IN_PROGRESS"]
    assert failed and all(8_000_000 <= c.sent_us <= 9_010_000 for c in failed)


def test_leave_rebalances_at_once_while_a_crash_waits_for_the_session():
    """A clean close sends LeaveGroup; a crashed member is a ghost until its session expires."""

    def downtime(kind):
        fault = {"kind": kind, "consumer": 1, "at_ms": 8_000, "restart_after_ms": 500}
        return run(scenario("sync-per-batch", [fault])).summary()["rebalance_downtime_ms"]

    # Both pay the survivor's wait for its next heartbeat; only the crash pays the session.
    assert downtime("leave") < 3_000 < 6_000 < downtime("crash")


def test_a_joining_consumer_gets_partitions():
    """Scaling up: the new member's JoinGroup starts a rebalance and it takes a share."""
    faults = [{"kind": "join", "at_ms": 8_000}]
    ledger = run(scenario(faults=faults, topic={"partitions": 3})).ledger
    _, generation, assignment = ledger.generations[-1]
    assert generation == 2 and sorted(assignment.values()) == [(0,), (1,), (2,)]


def test_a_timed_processing_error_unwinds_the_loop_and_the_consumer_restarts():
    """A poison record at a time: the record being processed then throws, the consumer closes
    (stop reason "error") and restarts; commitSync after each batch loses nothing."""
    fault = {"kind": "processing-error", "consumer": 0, "at_ms": 7_000, "restart_after_ms": 1_000}
    result = run(scenario("sync-per-batch", [fault]))
    assert [s.how for s in result.ledger.stops.values()] == ["error"]
    assert len(result.ledger.instances) == 3 and result.summary()["lost"] == 0


def test_a_scheduled_call_takes_a_timeouts_place_among_same_instant_events():
    """`_at` schedules a light call instead of a timeout with a callback: calls and timeouts made
    in any order run at their time in the order they were made, as timeouts alone would."""
    sim = Simulation(scenario(), 1, "sync-per-batch")
    env, seen = sim.env, []

    def timeout_at(at_us, name):
        env.timeout(at_us - env.now).callbacks.append(lambda _event: seen.append(name))

    sim._at(5, seen.append, "call 5")
    timeout_at(3, "timeout 3")
    sim._at(3, seen.append, "call 3")
    timeout_at(5, "timeout 5")
    sim._at(3, sim._at, 3, seen.append, "call 3, made at 3")
    timeout_at(3, "timeout 3, made at 0")
    sim._at(-1, seen.append, "call in the past: now")
    env.run()
    assert seen == [
        "call in the past: now",
        "timeout 3",
        "call 3",
        "timeout 3, made at 0",
        "call 3, made at 3",
        "call 5",
        "timeout 5",
    ]


def test_a_blocking_requests_response_resumes_the_loop_in_one_hop_unless_a_pause_can_hold_it(
    monkeypatch,
):
    """Without a pause fault nothing holds a response on its way: every commitSync's response
    resumes the waiting loop at its arrival, with no arrival step of its own (`_arrive` sees none
    of them). A scenario with a pause fault, even one that fires after the records are done,
    takes the arrival step for each, since a pause could freeze the loop; the outcome is the
    same."""
    arrivals = []
    arrive = Simulation._arrive

    def counting(self, inst, request_id, response):
        arrivals.append(type(response).__name__)
        return arrive(self, inst, request_id, response)

    monkeypatch.setattr(Simulation, "_arrive", counting)
    quick = run(scenario(), seed=1)
    assert quick.report.metrics.commits > 10
    assert "CommitResponse" not in arrivals
    late_pause = {"kind": "pause", "consumer": 0, "at_ms": 19_000, "duration_ms": 10}
    held = run(scenario(faults=[late_pause]), seed=1)
    assert arrivals.count("CommitResponse") == held.report.metrics.commits
    assert (held.report.metrics.lost, held.report.metrics.duplicated_records) == (
        quick.report.metrics.lost,
        quick.report.metrics.duplicated_records,
    )

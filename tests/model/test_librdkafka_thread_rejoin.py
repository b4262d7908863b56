"""librdkafka's own rejoin without a rebalance callback, and its coordinator's return, fed by
hand: each answer matched by its own request, one group request at a time, what the new
assignment tells the ledger, and what the thread remembers of the committed offsets it fetched
(rdkafka_cgrp.c rd_kafka_cgrp_handle_JoinGroup, _SyncGroup; rdkafka_assignment.c
rd_kafka_assignment_serve; docs/model.md)."""

from sim.model.commands import Later, Send
from sim.model.consumer import NullObserver
from sim.model.messages import (
    CommitResponse,
    JoinResponse,
    ListOffsets,
    ListOffsetsResponse,
    OffsetFetch,
    OffsetFetchResponse,
    Subscription,
    SyncGroup,
    SyncResponse,
)

from .test_consumer import S
from .test_librdkafka import Client, answer, sends, thread_fetching_offsets, thread_rejoining

JOINED = JoinResponse(None, 2, "m", ("m",), (Subscription(),))


class Tenures(NullObserver):
    """Records what the ledger hears of assignments, revokes and positions."""

    def __init__(self):
        self.events = []

    def assigned(self, now, generation, partitions):
        self.events.append(("assigned", now, generation, tuple(partitions)))

    def revoked(self, now, partitions, lost):
        self.events.append(("revoked", now, tuple(partitions), lost))

    def position(self, now, partition, offset, source):
        self.events.append(("position", now, partition, offset, source))


def test_librdkafka_the_thread_s_rejoin_matches_each_answer_by_its_request_id():
    """Each step of the thread's rejoin answers the request it sent (rd_kafka_buf's own
    response callback): SyncGroup, OffsetFetch and ListOffsets go with the request id their
    answers come back with."""
    s, join_id = thread_rejoining("latest")
    c = s.consumer
    (sync,) = [x for x in c.on_group_response(join_id, JOINED) if isinstance(x, Send)]
    assert isinstance(sync.request, SyncGroup)
    (fetch,) = c.on_group_response(sync.request_id, SyncResponse(None, (0,)))
    assert fetch.request == OffsetFetch((0,))
    (reset,) = c.on_group_response(fetch.request_id, OffsetFetchResponse((None,)))
    assert reset.request == ListOffsets((0,))
    assert c.on_group_response(reset.request_id, ListOffsetsResponse((30,))) == []
    assert c.positions == {0: 30} and not c.background_join


def test_librdkafka_the_thread_s_rejoin_has_one_group_request_in_flight_at_a_time():
    """The thread's join state machine sends its next group request only once the last one
    is answered: a commit completing while its SyncGroup, then its ListOffsets, is in flight
    sends no second JoinGroup (rd_kafka_cgrp_join runs only in join state INIT)."""
    s, _ = thread_rejoining("latest")
    answer(s, JOINED)

    def commit_completes() -> list:
        list(s.consumer.commit_async(((0, 5),)))
        (commit,) = s.consumer.serve_ops()
        return sends(s.commit_ok(commit))

    assert commit_completes() == []  # the SyncGroup is in flight
    answer(s, SyncResponse(None, (0,)))
    assert sends(answer(s, OffsetFetchResponse((None,)))) == [ListOffsets((0,))]
    assert commit_completes() == []  # the ListOffsets is in flight


def test_librdkafka_an_empty_assignment_completes_the_thread_s_rejoin_at_once():
    """A SyncGroup answer assigning nothing leaves nothing to fetch offsets for: the thread's
    rejoin is complete (rd_kafka_assignment_serve has nothing pending) and the application's
    poll no longer waits for it."""
    s, _ = thread_rejoining()
    answer(s, JOINED)
    assert answer(s, SyncResponse(None, ())) == []
    waiting = s.consumer.join_group()
    try:
        command = next(waiting)
    except StopIteration as done:
        assert done.value is True
    else:
        raise AssertionError(f"the poll still waits: {command!r}")


def test_librdkafka_the_thread_s_offset_fetch_retry_waits_retry_backoff():
    """COORDINATOR_LOAD_IN_PROGRESS on the new assignment's OffsetFetch: it goes again after
    retry.backoff.ms (rd_kafka_buf_retry)."""
    s = thread_fetching_offsets()
    s.consumer.now = 2 * S
    (later,) = answer(s, OffsetFetchResponse((), "COORDINATOR_LOAD_IN_PROGRESS"))
    assert isinstance(later, Later) and later.at_us == 2 * S + 100_000


def test_librdkafka_the_thread_s_rejoin_tells_the_ledger_its_new_tenures_and_positions():
    """The thread's SyncGroup answer starts the new assignment's tenures at the new generation,
    and a partition the thread got back ends its old tenure then (the application never heard
    of the revoke); each position says where it came from: the committed offset, or
    auto.offset.reset (at once for earliest, after ListOffsets for latest)."""
    s, _ = thread_rejoining()
    s.consumer.observer = tenures = Tenures()
    s.consumer.now = 3 * S
    answer(s, JOINED)
    answer(s, SyncResponse(None, (0,)))
    answer(s, OffsetFetchResponse((10,)))
    assert tenures.events == [
        ("revoked", 3 * S, (0,), False),
        ("assigned", 3 * S, 2, (0,)),
        ("position", 3 * S, 0, 10, "committed"),
    ]
    for reset, then in (("earliest", []), ("latest", [ListOffsetsResponse((30,))])):
        s, _ = thread_rejoining(reset)
        s.consumer.observer = tenures = Tenures()
        answer(s, JOINED)
        answer(s, SyncResponse(None, (0,)))
        for response in [OffsetFetchResponse((None,)), *then]:
            answer(s, response)
        assert tenures.events[-1][-1] == "reset"


def test_librdkafka_the_thread_s_offset_fetch_sets_the_committed_offset_the_timer_compares():
    """The OffsetFetch answer of the thread's own rejoin sets rktp_committed_pos too: the
    timer then commits nothing while the stored offset is that committed one
    (rd_kafka_topic_partition_list_set_offsets with from_rktp)."""
    s = Client("auto", rebalance_callback=False)  # enable.auto.commit: the timer runs
    s.join(committed=0)
    assert sends(s.consumer.on_rebalance_notice())  # the thread's JoinGroup
    answer(s, JOINED)
    answer(s, SyncResponse(None, (0,)))
    answer(s, OffsetFetchResponse((7,)))
    s.consumer.stored = {0: 7}
    assert s.tick() is None
    s.consumer.stored = {0: 8}
    assert s.tick().request.offsets == ((0, 8),)


def test_librdkafka_the_coordinator_s_return_serves_a_deferred_commit_behind_a_running_backoff():
    """The cgrp is UP again: every deferred commit goes (rkcg_wait_coord_q), even when a later
    commit's retry backoff, still running, comes first in the wait queue's order."""
    s = Client("auto")
    s.join(committed=0)
    s.hand_over(30)
    list(s.consumer.commit_async(((0, 4),)))  # enqueued: sequence 1, not served yet
    auto = s.tick()  # the timer's commit: sequence 2
    (backoff,) = s.consumer.on_response(auto.request_id, CommitResponse("NOT_COORDINATOR"))
    assert sends(s.consumer.serve_ops()) == []  # sequence 1: deferred, no coordinator
    found = sends(s.consumer.on_coordinator_found())
    assert [c.offsets for c in found] == [((0, 4),)]


def test_librdkafka_a_lookup_fed_by_hand_waits_out_the_whole_held_fetch():
    """Without the driver's draw the FindCoordinator after rd_kafka_cgrp_coord_dead waits for
    all of the Fetch the partition leader's connection holds: fetch.wait.max.ms (500 ms), no
    more."""
    s = Client("auto")
    s.join(committed=0)
    s.consumer._coordinator_lost("NOT_COORDINATOR")
    assert s.consumer.coordinator_lookup_delay_us() == 500_000


def test_librdkafka_with_two_partitions_the_broker_thread_may_find_both_started():
    """rd_kafka_assignment_serve_pending starts the fetchers backwards and the broker thread's
    first pass finds one or both started (the driver draws it): both, and p0 comes first; one,
    and p1 does."""
    for started, first in ((2, 0), (1, 1)):
        s = Client("sync-per-batch", partitions=2, max_poll_records=4)
        s.consumer.fetch_race = lambda n, started=started: started
        s.reply(JoinResponse(None, 1, "m", ("m",)), 0)
        s.reply(SyncResponse(None, (0, 1)), 0)
        s.reply(OffsetFetchResponse((0, 0)), 0)
        s.reply((4, 4), 0)
        assert s.skip_points().slices == ((first, 0, 4),)


def test_librdkafka_the_rebalance_callback_s_assign_gets_the_partitions_assigned():
    """rebalance_cb with RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS hands the application the new
    assignment's partitions (here through the strategy's on_assigned hook)."""
    s = Client("auto")
    seen = []
    s.consumer.strategy.on_assigned = lambda consumer, parts: seen.append(tuple(parts)) or ()
    s.join(committed=0)
    assert seen == [(0,)]

"""librdkafka in a consumer group (`LibrdkafkaGroupConsumer`), driven by hand: heartbeat
responses fed in, the application's loop stepped, every request answered here (rdkafka_cgrp.c
rd_kafka_cgrp_consumer_*; rdkafka_assignment.c rd_kafka_assignment_serve)."""

from dataclasses import replace

import pytest

from sim.model.commands import Later, LoopPoint, Process, Processed, ReadLog, Send, Wait
from sim.model.consumer import ClientConfig, NullObserver
from sim.model.consumer_group.librdkafka_consumer import LibrdkafkaGroupConsumer
from sim.model.consumer_group.messages import (
    ConsumerGroupHeartbeat,
    ConsumerGroupHeartbeatResponse,
    MemberOffsetFetch,
)
from sim.model.messages import CommitResponse, OffsetCommit, OffsetFetchResponse
from sim.strategies import make_strategy

S = 1_000_000
INTERVAL = 5 * S
CONFIG = ClientConfig(
    partitions=4,
    max_poll_records=10,
    poll_timeout_us=100_000,
    retry_backoff_us=100_000,
    retry_backoff_max_us=1_000_000,
    api_timeout_us=60 * S,
    close_timeout_us=30 * S,
    session_timeout_us=45 * S,
    rebalance_timeout_us=300 * S,
    auto_commit_interval_us=5 * S,
    auto_offset_reset="earliest",
    assignor="range",
    error_policy=None,
)


class Harness:
    """Steps the application's loop; the client thread's requests collect in `sent` as
    {request id: request}, answered by `answer`."""

    def __init__(self, strategy="auto", callback=True, instance_id=None):
        config = replace(CONFIG, rebalance_callback=callback)
        self.consumer = c = LibrdkafkaGroupConsumer(
            0, "m", config, make_strategy(strategy), NullObserver(), instance_id
        )
        c.read_log = lambda parts: tuple(20 for _ in parts)
        self.sent: dict[int, object] = {}
        self.timers: list[Later] = []
        self.loop = c.run()
        self.reply = None
        self.pending = None

    def take(self, commands) -> None:
        for command in commands or ():
            if type(command) is Later:
                self.timers.append(command)
            else:
                self.sent[command.request_id] = command.request

    def step_until(self, done, limit: int = 200):
        for _ in range(limit):
            if self.pending is not None:
                self._carry_out(self.pending)
            self.pending = command = self.loop.send(self.reply)
            self.reply = None
            if done(command):
                return command
        raise AssertionError("not done")

    def _carry_out(self, command) -> None:
        c = self.consumer
        self.pending = None
        kind = type(command)
        if kind is Wait:  # the client's thread serves queued commit() operations (the driver)
            self.take(c.serve_ops())
            c.now = max(c.now, command.until_us)
        elif kind is Process:
            records = sum(end - start for _, start, end in command.slices)
            self.reply = Processed(records, False)
        elif kind is Send:
            self.take([command])
        elif kind is ReadLog:
            self.reply = c.read_log(command.partitions)
        elif kind is not LoopPoint:
            raise AssertionError(command)

    def requests(self, kind) -> list[tuple[int, object]]:
        return [(i, r) for i, r in self.sent.items() if type(r) is kind]

    def answer(self, request_id: int, response) -> None:
        c = self.consumer
        request = self.sent.pop(request_id)
        if type(request) is ConsumerGroupHeartbeat:
            self.take(c.on_group_response(request_id, response))
        else:
            self.take(c.on_response(request_id, response))

    def answer_all(self, kind, response) -> list:
        answered = []
        for request_id, request in self.requests(kind):
            answered.append(request)
            self.answer(request_id, response(request) if callable(response) else response)
        return answered

    def heartbeat(self, epoch: int, assignment=None, error=None) -> ConsumerGroupHeartbeat:
        """The heartbeat due next (sent now if not yet), answered."""
        c = self.consumer
        if not self.requests(ConsumerGroupHeartbeat):
            due = c.next_heartbeat_us(c.now)
            assert due is not None, "no heartbeat allowed"
            c.now = max(c.now, due)
            self.take([Send(*c.send_heartbeat(c.now))])
        ((request_id, request),) = self.requests(ConsumerGroupHeartbeat)
        response = ConsumerGroupHeartbeatResponse(error, "m", epoch, INTERVAL, assignment)
        self.answer(request_id, response)
        return request

    def fetch_offsets(self, offsets=None) -> list:
        return self.answer_all(
            MemberOffsetFetch,
            lambda r: OffsetFetchResponse(tuple(offsets for _ in r.partitions)),
        )


def joined(strategy="auto", **settings) -> Harness:
    """A member that joined with partitions 0 and 1 at epoch 1, served its assign callback,
    fetched their offsets (none: earliest), acknowledged, and got a batch."""
    h = Harness(strategy, **settings)
    h.step_until(lambda c: type(c) is Wait)
    assert h.heartbeat(1, (0, 1)).member_epoch == 0
    h.step_until(lambda c: type(c) is Wait)  # the next poll serves the assign callback
    (fetch,) = h.fetch_offsets()
    assert (fetch.partitions, fetch.member_id, fetch.member_epoch) == ((0, 1), "m", 1)
    ack = h.heartbeat(1)
    assert ack.owned == (0, 1)
    h.step_until(lambda c: type(c) is Process)
    return h


def test_an_assignment_waits_for_the_callback_then_its_offsets_then_is_acknowledged():
    """rd_kafka_rebalance_op_incr pauses the assignment until the application's poll serves
    the callback; the added partitions fetch nothing until their committed offsets are known
    (OffsetFetch with the member epoch); only then does the acknowledging heartbeat go, at once,
    carrying the target."""
    h = Harness()
    c = h.consumer
    h.step_until(lambda cmd: type(cmd) is Wait)
    join = h.heartbeat(1, (0, 1))
    assert (join.member_epoch, join.owned) == (0, ())
    assert c.callbacks and c.rebalance_pause and c.assignment == ()
    h.step_until(lambda cmd: type(cmd) is Wait)
    assert c.assignment == (0, 1) and c.awaiting_offsets == {0, 1}
    assert c.next_heartbeat_us(c.now) is not None and c.next_heartbeat_us(c.now) > c.now
    h.fetch_offsets()
    assert c.positions == {0: 0, 1: 0}
    ((_, ack),) = h.requests(ConsumerGroupHeartbeat)  # sent at once
    assert ack.owned == (0, 1) and h.heartbeat(1) == ack
    assert c.state == "STABLE"
    assert type(h.step_until(lambda cmd: type(cmd) is Process)) is Process


def test_a_revoke_commits_the_removed_partitions_stored_offsets_before_the_acknowledgement():
    """With enable.auto.commit the revoked partition's stored offset (stored at hand-over) is
    committed by the unassign (rd_kafka_assignment_serve_removals), and the acknowledgement
    waits until no commit is outstanding (rd_kafka_assignment_serve)."""
    h = joined()
    c = h.consumer
    h.step_until(lambda cmd: type(cmd) is Wait)
    stored = dict(c.stored)
    assert stored
    h.heartbeat(2, (0,))
    h.step_until(lambda cmd: type(cmd) is Wait)  # the revoke callback
    ((commit_id, commit),) = h.requests(OffsetCommit)
    assert commit.offsets == ((1, stored[1]),) and commit.generation == 2
    assert c.assignment == (0,) and not h.requests(ConsumerGroupHeartbeat)  # no ack yet
    h.answer(commit_id, CommitResponse(None))
    assert c.callbacks[0].kind == "assign" and not c.callbacks[0].partitions
    h.step_until(lambda cmd: type(cmd) is Wait)  # the assign callback, with nothing added
    ((_, ack),) = h.requests(ConsumerGroupHeartbeat)  # then the ack, at once
    assert ack.owned == (0,)


def test_every_assigned_partition_is_paused_until_the_callback_is_served():
    """rd_kafka_rebalance_op_incr: rd_kafka_assignment_pause, not only the revoked ones."""
    h = joined()
    c = h.consumer
    h.step_until(lambda cmd: type(cmd) is Wait)
    h.heartbeat(2, (0,))
    assert c.rebalance_pause and c.callbacks
    assert c.repoll_idle() is None
    c._fetched.clear()
    c._fetch((2_000, 2_000))
    assert not c._fetched  # partition 0 is kept, and still fetches nothing


def test_a_stale_epoch_auto_commit_is_retried_with_the_new_epoch_and_a_manual_one_fails():
    """rd_kafka_cgrp_op_handle_OffsetCommit: STALE_MEMBER_EPOCH expedites the heartbeat; an
    auto (or revoke) commit is deferred and sent again with the epoch current then; the
    application's own commit fails."""
    h = joined()
    c = h.consumer
    h.step_until(lambda cmd: type(cmd) is Wait)
    h.take(c.auto_commit_tick())
    ((commit_id, commit),) = h.requests(OffsetCommit)
    assert commit.generation == 1
    h.answer(commit_id, CommitResponse("STALE_MEMBER_EPOCH"))
    assert h.requests(ConsumerGroupHeartbeat)  # expedited: sent at once
    h.heartbeat(3)
    (timer,) = h.timers
    c.now = timer.at_us
    h.take(c.on_timer(timer.key))
    ((_, retried),) = h.requests(OffsetCommit)
    assert retried.generation == 3 and retried.offsets == commit.offsets

    manual = joined("sync-per-batch")
    m = manual.consumer
    manual.step_until(lambda cmd: type(cmd) is Wait)  # commitSync waits for its operation
    manual.take(m.serve_ops())
    ((commit_id, _),) = manual.requests(OffsetCommit)
    manual.answer(commit_id, CommitResponse("STALE_MEMBER_EPOCH"))
    assert not manual.timers and m.open_ops == 0


def test_fencing_revokes_everything_as_lost_without_a_commit_and_rejoins_at_epoch_zero():
    """FENCED_MEMBER_EPOCH: once no rebalance is under way the assignment is revoked as lost
    (no commit, even with auto commit), then the member rejoins with epoch 0 and the same
    member id (rd_kafka_cgrp_revoke_all_rejoin, rd_kafka_cgrp_consumer_rejoin)."""
    h = joined()
    c = h.consumer
    h.step_until(lambda cmd: type(cmd) is Wait)
    h.heartbeat(1, error="FENCED_MEMBER_EPOCH")
    assert c.callbacks[0].lost
    h.step_until(lambda cmd: type(cmd) is Wait)
    assert c.assignment == () and not h.requests(OffsetCommit)
    rejoin = h.heartbeat(4, (2, 3))
    assert (rejoin.member_id, rejoin.member_epoch, rejoin.owned) == ("m", 0, ())


def test_a_poll_timeout_stops_heartbeats_loses_the_partitions_then_leaves_and_rejoins():
    """rd_kafka_cgrp_max_poll_interval_check_tmr_cb: no heartbeat until the application polls
    again; that poll revokes everything as lost, then the leave heartbeat (-1) goes, and after
    its answer the member joins again with epoch 0."""
    h = joined()
    c = h.consumer
    c.now += CONFIG.rebalance_timeout_us + 1  # stuck in its batch
    assert c.on_poll_timeout() is not None
    assert c.next_heartbeat_us(c.now) is None
    h.step_until(lambda cmd: type(cmd) is Wait)  # the next poll
    assert c.assignment == () and not h.requests(OffsetCommit)
    ((leave_id, leave),) = h.requests(ConsumerGroupHeartbeat)
    assert leave.member_epoch == -1
    h.answer(leave_id, ConsumerGroupHeartbeatResponse(None, "m", -1, 0, None))
    assert h.heartbeat(5, (0, 1)).member_epoch == 0


@pytest.mark.parametrize(("instance_id", "epoch"), [(None, -1), ("i", -2)])
def test_close_commits_the_stored_offsets_then_sends_the_leave_heartbeat(instance_id, epoch):
    """rd_kafka_consumer_close: revoke everything (its stored offsets committed with auto
    commit), and once no commit is outstanding leave with epoch -1, or -2 for a static
    member."""
    h = joined(instance_id=instance_id)
    c = h.consumer
    h.step_until(lambda cmd: type(cmd) is Wait)
    c.close_requested = True
    start = c.now
    h.step_until(lambda cmd: type(cmd) is Wait and cmd.until_us > start + S)  # close() waits
    ((commit_id, commit),) = h.requests(OffsetCommit)
    assert {p for p, _ in commit.offsets} == {0, 1}
    assert not h.requests(ConsumerGroupHeartbeat)
    h.answer(commit_id, CommitResponse(None))
    ((_, leave),) = h.requests(ConsumerGroupHeartbeat)
    assert leave.member_epoch == epoch


def test_without_a_callback_the_thread_unassigns_at_once_mid_batch():
    """No rebalance callback: the client's thread revokes (and commits) as soon as the
    heartbeat response comes, while the application holds its batch; the application learns
    of it at its next poll (its tenure ends there)."""
    h = joined(callback=False)
    c = h.consumer
    h.heartbeat(2, (1,))  # while it processes its first batch, of partition 0
    assert c.assignment == (1,) and not c.callbacks
    assert [r.offsets for _, r in h.requests(OffsetCommit)] == [((0, 10),)]
    assert c.held_partitions() == (1, 0)
    h.step_until(lambda cmd: type(cmd) is Wait)
    assert c.held_partitions() == (1,)


def test_the_auto_commit_timer_commits_only_in_steady():
    """rd_kafka_cgrp_offset_commit_tmr_cb with the consumer protocol: while a rebalance
    callback waits the join state is not STEADY and the timer commits nothing."""
    h = joined()
    c = h.consumer
    h.step_until(lambda cmd: type(cmd) is Wait)
    h.heartbeat(2, (0,))
    assert c.auto_commit_tick() is None
    h.step_until(lambda cmd: type(cmd) is Wait)
    h.answer_all(OffsetCommit, CommitResponse(None))
    h.step_until(lambda cmd: type(cmd) is Wait)
    h.heartbeat(2)
    assert c.membership.join_state == "STEADY"
    (send,) = [command for command in c.auto_commit_tick() if type(command) is Send]
    assert send.request.offsets == ((0, 20),)


def test_a_stale_offset_fetch_is_sent_again_after_the_next_heartbeat_response():
    """rd_kafka_assignment_handle_OffsetFetch: STALE_MEMBER_EPOCH puts the partitions back to
    pending and expedites the heartbeat; they are fetched again once it has answered
    (RD_KAFKA_CGRP_CONSUMER_F_SERVE_PENDING)."""
    h = Harness()
    c = h.consumer
    h.step_until(lambda cmd: type(cmd) is Wait)
    h.heartbeat(1, (0, 1))
    h.step_until(lambda cmd: type(cmd) is Wait)
    h.answer_all(MemberOffsetFetch, OffsetFetchResponse((), "STALE_MEMBER_EPOCH"))
    assert not h.requests(MemberOffsetFetch) and c.awaiting_offsets == {0, 1}
    h.heartbeat(2)
    ((_, again),) = h.requests(MemberOffsetFetch)
    assert again.member_epoch == 2

"""The Java consumer in a consumer group (`JavaGroupConsumer`), driven by hand: heartbeat
responses fed in, the application's loop stepped, every request it makes answered here."""

from sim.model.commands import Call, LoopPoint, Process, Processed, ReadLog, Send, Wait
from sim.model.consumer import ClientConfig, NullObserver
from sim.model.consumer_group.java_consumer import JavaGroupConsumer
from sim.model.consumer_group.messages import (
    ConsumerGroupHeartbeat,
    ConsumerGroupHeartbeatResponse,
    MemberOffsetFetch,
)
from sim.model.messages import CommitResponse, OffsetCommit, OffsetFetchResponse
from sim.strategies import make_strategy

INTERVAL = 5_000_000
CONFIG = ClientConfig(
    partitions=4,
    max_poll_records=10,
    poll_timeout_us=100_000,
    retry_backoff_us=100_000,
    retry_backoff_max_us=1_000_000,
    api_timeout_us=60_000_000,
    close_timeout_us=30_000_000,
    session_timeout_us=45_000_000,
    rebalance_timeout_us=300_000_000,
    auto_commit_interval_us=5_000_000,
    auto_offset_reset="earliest",
    assignor="range",
    error_policy=None,
)


class Harness:
    """Steps the consumer's loop, answering each command; `log` holds what it did, in order."""

    def __init__(self, strategy: str = "auto", commit_error=None):
        self.consumer = JavaGroupConsumer(0, "m", CONFIG, make_strategy(strategy), NullObserver())
        self.consumer.read_log = lambda parts: tuple(1_000 for _ in parts)
        self.commit_error = commit_error
        self.log: list = []
        self.loop = self.consumer.run()
        self.reply = None
        self.pending = None  # the last command yielded, not answered yet

    def step_until(self, done, limit: int = 200):
        """Run the loop until `done(command)` is true for a command it yields; that command is
        answered at the next call."""
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
        if kind is Wait:
            c.now = max(c.now, command.until_us)
        elif kind is Process:
            records = sum(end - start for _, start, end in command.slices)
            self.log.append(("process", command.slices))
            self.reply = Processed(records, False)
        elif kind is Call:
            self.reply = self._answer(command.request)
        elif kind is Send:
            self.log.append(("send", command.request))
        elif kind is ReadLog:
            self.reply = c.read_log(command.partitions)
        elif kind is not LoopPoint:
            raise AssertionError(command)

    def _answer(self, request):
        if isinstance(request, MemberOffsetFetch):
            return OffsetFetchResponse((None,) * len(request.partitions))
        if isinstance(request, OffsetCommit):
            self.log.append(("commit", request.generation, request.offsets))
            return CommitResponse(self.commit_error)
        raise AssertionError(request)

    def heartbeat(self, epoch: int, assignment) -> ConsumerGroupHeartbeat:
        """Send the next heartbeat (time moves to when it is due) and answer it."""
        c = self.consumer
        c.now = max(c.now, c.next_heartbeat_us(c.now))
        request, request_id = c.send_heartbeat(c.now)
        response = ConsumerGroupHeartbeatResponse(None, "m", epoch, INTERVAL, assignment)
        c.on_group_response(request_id, response)
        return request


def joined(strategy: str = "auto") -> Harness:
    """A member that joined, got partitions 0 and 1 at epoch 1, and returned a batch."""
    h = Harness(strategy)
    h.step_until(lambda c: type(c) is Wait)  # the first poll joined and waits
    assert h.heartbeat(1, (0, 1)).member_epoch == 0  # the join
    h.step_until(lambda c: type(c) is Process)
    return h


def test_the_first_poll_joins_and_the_assignment_is_reconciled_at_the_next():
    """subscribe() takes effect at the poll; the assignment in the join's response is
    reconciled at the next poll (PollEvent), assigned, and acknowledged by an immediate
    heartbeat carrying the partitions now owned."""
    h = joined()
    c = h.consumer
    assert c.assignment == (0, 1) and c.generation == 1
    assert c.next_heartbeat_us(c.now) == c.now  # ACKNOWLEDGING goes at once
    ack = h.heartbeat(1, None)
    assert ack.owned == (0, 1) and ack.member_epoch == 1
    assert c.membership.state == "STABLE"


def test_a_revocation_commits_the_consumed_positions_before_on_partitions_revoked():
    """Auto commit (KAFKA-18641): the reconciliation marks partition 1 pending revocation,
    commits every consumed position with the current epoch, then revokes; the epoch moves only
    with the acknowledgement's response."""
    h = joined()
    c = h.consumer
    h.heartbeat(1, None)  # ack
    h.heartbeat(1, (0,))  # partition 1 goes; the member keeps its epoch until it revokes
    h.step_until(lambda cmd: c.membership.state == "ACKNOWLEDGING")
    last = max(i for i, e in enumerate(h.log) if e[0] == "commit")
    _, epoch, offsets = h.log[last]
    assert epoch == 1  # sent with the member's (unchanged) epoch
    ends = {p: end for kind, slices in h.log[:last] if kind == "process" for p, _, end in slices}
    assert dict(offsets) == {p: ends.get(p, 0) for p in (0, 1)}  # returned = processed
    assert c.assignment == (0,) and 1 not in c.positions
    assert h.heartbeat(2, None).owned == (0,)  # the acknowledgement
    assert c.generation == 2


def test_a_stale_epoch_fails_commit_sync_without_touching_the_membership():
    """CommitRequestManager: STALE_MEMBER_EPOCH fails commitSync (not retried); commit errors
    never move the member's state: only heartbeats do."""
    h = joined("sync-per-batch")
    c = h.consumer
    h.heartbeat(1, None)
    h.commit_error = "STALE_MEMBER_EPOCH"
    h.step_until(lambda cmd: type(cmd) is Process)  # the first batch, committed after it
    commits = [e for e in h.log if e[0] == "commit"]
    assert len(commits) == 1  # not retried
    assert c.membership.state == "STABLE" and c.assignment == (0, 1)


def test_fencing_loses_the_partitions_and_rejoins_with_the_same_member_id():
    """FENCED_MEMBER_EPOCH: onPartitionsLost at the application's next poll, then a join with
    epoch 0 under the same member id."""
    h = joined()
    c = h.consumer
    h.heartbeat(1, None)
    request, request_id = c.send_heartbeat(c.now + INTERVAL)
    c.on_group_response(request_id, ConsumerGroupHeartbeatResponse("FENCED_MEMBER_EPOCH"))
    h.step_until(lambda cmd: not c.assignment)
    assert c.membership.state == "JOINING" and c.membership.epoch == 0
    rejoin = h.heartbeat(3, (2, 3))
    assert (rejoin.member_id, rejoin.member_epoch, rejoin.owned) == ("m", 0, ())


def test_a_commit_once_out_of_the_group_carries_no_member():
    """CommitRequestManager.onMemberEpochUpdated: no member id or epoch out of the group, so the
    coordinator answers UNKNOWN_MEMBER_ID (or accepts it into an empty group)."""
    h = joined()
    c = h.consumer
    assert c.commit_identity() == ("m", 1)
    c.membership.transition_to_fenced()
    assert c.commit_identity() == ("", -1)

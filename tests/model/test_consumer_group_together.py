"""The coordinator and the clients' state machines together, driven by a small loop of simulated
time (no simpy, no network delay): a group of Java members, then of librdkafka members, joins,
scales and loses a member. Partitions move one at a time from owner to owner, never consumed by
two members at once, and a partition waits about one heartbeat interval between its release and
its new owner."""

from sim.model import coordinator as co
from sim.model.consumer_group import java_membership as jm
from sim.model.consumer_group import librdkafka as rk
from sim.model.consumer_group.coordinator import STABLE, ConsumerGroupCoordinator
from sim.model.consumer_group.java_heartbeat import JavaHeartbeat
from sim.model.consumer_group.messages import ConsumerGroupHeartbeat

S = 1_000_000
TICK = 100_000  # the applications poll every 100 ms
INTERVAL = 5 * S


class JavaClient:
    def __init__(self, name: str, now: int):
        self.m = jm.JavaMembership(name, 300 * S, auto_commit=True, now=now)
        self.hb = JavaHeartbeat(self.m, 100_000, 1_000_000)
        self.m.subscribe()
        self.consuming: set[int] = set()
        self.callbacks: list[jm.Callback] = []  # run at the next poll, on the application thread

    def poll(self, now: int) -> None:
        callbacks, self.callbacks = self.callbacks, []
        for callback in callbacks:
            self.carry_out(now, self.m.on_callback_done(now, callback.sequence))
        self.carry_out(now, self.m.on_poll(now))

    def carry_out(self, now: int, commands) -> None:
        for command in commands:
            if isinstance(command, jm.Revoking):
                self.consuming -= set(command.partitions)
            elif isinstance(command, jm.CommitConsumed):
                self.carry_out(now, self.m.on_commit_done(now, None))
            elif isinstance(command, jm.AutoCommit):
                self.m.on_auto_commit_done(now, None)
            elif isinstance(command, jm.Assign):
                self.consuming = set(command.partitions)
            elif isinstance(command, jm.Callback):
                self.callbacks.append(command)

    def heartbeat(self, now: int):
        request, commands = self.hb.heartbeat(now)
        self.carry_out(now, commands)
        return request

    def response(self, now: int, response) -> None:
        self.carry_out(now, self.hb.on_heartbeat_response(now, response))


class LibrdkafkaClient:
    def __init__(self, name: str, now: int):
        self.m = rk.LibrdkafkaMembership(name, 300 * S, auto_commit=True)
        self.m.subscribe()
        self.consuming: set[int] = set()
        self.paused = False
        self.ops: list[rk.RebalanceCallback] = []  # served at the application's next poll
        self.leaves: list[ConsumerGroupHeartbeat] = []

    def poll(self, now: int) -> None:
        self.m.on_poll(now)
        ops, self.ops = self.ops, []
        for op in ops:
            self.paused = False
            if op.kind == "revoke":
                self.carry_out(now, self.m.incremental_unassign(op.partitions))
            else:
                self.carry_out(now, self.m.incremental_assign(op.partitions))

    def carry_out(self, now: int, commands) -> None:
        for command in commands:
            if isinstance(command, rk.Pause):
                self.paused = True
            elif isinstance(command, rk.RebalanceCallback):
                self.ops.append(command)
            elif isinstance(command, rk.Unassign):
                self.consuming -= set(command.partitions)
                self.carry_out(now, self.m.assignment_done(now))
            elif isinstance(command, rk.AddAssignment):
                self.consuming |= set(command.partitions)
                self.carry_out(now, self.m.assignment_done(now))
            elif isinstance(command, ConsumerGroupHeartbeat):
                self.leaves.append(command)

    def heartbeat(self, now: int):
        requests = []
        for command in self.m.serve(now):
            if isinstance(command, ConsumerGroupHeartbeat):
                requests.append(command)
            else:
                self.carry_out(now, [command])
        return requests[0] if requests else None

    def response(self, now: int, response) -> None:
        self.carry_out(now, self.m.on_heartbeat_response(now, response))


class Cluster:
    def __init__(self, client, partitions: int = 6):
        self.g = ConsumerGroupCoordinator(partitions, heartbeat_interval_us=INTERVAL)
        self.client = client
        self.clients: dict[str, object] = {}
        self.now = 0
        self.rid = 0
        self.timers: list[co.SetTimer] = []
        self.owner_since: dict[int, int] = {}  # partition -> when it was last released
        self.gaps: list[int] = []  # how long each released partition waited for its next owner

    def start(self, name: str) -> None:
        self.clients[name] = self.client(name, self.now)

    def crash(self, name: str) -> None:
        del self.clients[name]
        self.timers += self.g.heartbeats_stopped(self.now, name, self.now)

    def run_until(self, end_us: int) -> None:
        while self.now < end_us:
            self.now += TICK
            for timer in [t for t in self.timers if t.at_us <= self.now]:
                self.timers.remove(timer)
                self.g.timer(self.now, timer.token)
            for client in list(self.clients.values()):
                before = set(client.consuming)
                client.poll(self.now)
                while (request := client.heartbeat(self.now)) is not None:
                    self.rid += 1
                    out = self.g.heartbeat(self.now, self.rid, request)
                    self.timers += [o for o in out if isinstance(o, co.SetTimer)]
                    (response,) = [o.response for o in out if isinstance(o, co.Reply)]
                    client.response(self.now, response)
                self.note_moves(before, client.consuming)
            self.check_one_consumer_each()

    def note_moves(self, before: set[int], after: set[int]) -> None:
        for p in before - after:
            self.owner_since[p] = self.now
        for p in after - before:
            if p in self.owner_since:
                self.gaps.append(self.now - self.owner_since.pop(p))

    def check_one_consumer_each(self) -> None:
        seen: set[int] = set()
        for client in self.clients.values():
            assert not (seen & client.consuming), "a partition consumed by two members"
            seen |= client.consuming

    def everything_consumed(self) -> bool:
        consumed = sorted(p for c in self.clients.values() for p in c.consuming)
        return self.g.state == STABLE and consumed == list(range(self.g.partitions))


def scale_out_then_lose_a_member(client) -> Cluster:
    cluster = Cluster(client)
    cluster.start("a")
    cluster.run_until(2 * S)
    assert cluster.everything_consumed()
    cluster.start("b")
    cluster.start("c")
    cluster.run_until(20 * S)
    assert cluster.everything_consumed()
    assert all(len(c.consuming) == 2 for c in cluster.clients.values())
    cluster.crash("c")
    cluster.run_until(40 * S)
    assert not cluster.everything_consumed()  # c's partitions wait for its session (45 s)
    cluster.run_until(70 * S)
    assert cluster.everything_consumed()
    return cluster


def test_java_members_hand_partitions_over_without_a_stop_the_world():
    """Joiners get partitions as their owners release them; a crashed member's partitions wait
    for its session timeout while the others go on; a released partition waits for its new
    owner's next heartbeat, at most one interval (plus a poll)."""
    cluster = scale_out_then_lose_a_member(JavaClient)
    assert cluster.gaps and max(cluster.gaps) <= INTERVAL + TICK


def test_librdkafka_members_hand_partitions_over_without_a_stop_the_world():
    """The same with librdkafka's join states, the rebalance callback served at each poll."""
    cluster = scale_out_then_lose_a_member(LibrdkafkaClient)
    assert cluster.gaps and max(cluster.gaps) <= INTERVAL + TICK

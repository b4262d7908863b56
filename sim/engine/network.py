"""The network: connections that keep Kafka's order, and requests and responses carried on them
(docs/model.md, The network).

A consumer has one connection to the coordinator. Requests on it arrive in the order sent and
responses return in that order (the broker handles one request per connection at a time), so a
draw can delay a message but never reorder it. A lost response hangs the connection: nothing more
comes back on it until `request.timeout.ms` after the request was sent, when every request still
in flight fails with an unknown outcome and the client reconnects. A network cut holds requests
until the link is back, or loses them when it outlasts their timeout.

It owns the connections' latency draws, when each request reaches the coordinator host and each
response reaches its consumer (waking the request's waiter, or handing a background response to
the consumer model). It never answers a request (the coordinator host does) and never decides
what a response means to the consumer (the model does).
"""

from __future__ import annotations

from simpy.events import NORMAL

from sim.model.messages import CommitResponse, LeaveGroup, OffsetCommit, SyncResponse

from .draws import CHUNK, PREFIX, KeyedDraws
from .instance import Instance


class Connection:
    def __init__(self, latency: KeyedDraws, connection_id: int):
        self._latency = latency
        self._subject = (connection_id,)
        self._draws = 0
        self._values: list[int] = []  # the drawn prefix of the current chunk, as ints
        self._first = 0  # the draw number of its first value
        self._request_arrival = 0
        self._response_arrival = 0
        self.hung_until = -1  # a lost response hangs the connection until then

    def _draw(self) -> int:
        """The connection's next latency: `KeyedDraws.one(subject, n)` for n = 0, 1, 2..., read
        from the current chunk's values kept as ints (two draws a request)."""
        n = self._draws
        self._draws = n + 1
        i = n - self._first
        if i >= len(self._values):
            index, offset = divmod(n, CHUNK)
            need = offset + 1 if offset < PREFIX else CHUNK  # as `KeyedDraws.one` reads on
            self._values = self._latency.chunk(self._subject, index, need).tolist()
            self._first = index * CHUNK
            i = offset
        return self._values[i]

    def request_arrival(self, now: int) -> int:
        arrival = now + self._draw()
        if arrival > self._request_arrival:  # else it queues behind the one sent before
            self._request_arrival = arrival
        return self._request_arrival

    def response_arrival(self, now: int) -> int:
        arrival = now + self._draw()
        if arrival > self._response_arrival:
            self._response_arrival = arrival
        return self._response_arrival

    def hang(self, until: int) -> None:
        self.hung_until = max(self.hung_until, until)
        self._response_arrival = max(self._response_arrival, self.hung_until)


class Network:
    """The network's part of `Simulation` (its environment and instances; the coordinator host
    at a request's arrival, the poll loop's wake and background commands at a response's)."""

    def _transmit(self, inst: Instance, request, request_id: int) -> None:
        """Bytes sent arrive even if the sender dies meanwhile (docs/model.md, The network)."""
        arrival = inst.conn.request_arrival(self.env.now)
        self._at(arrival, self._at_coordinator, inst, request, request_id, self.env.now)

    def _respond(self, request_id: int, response, lost: bool) -> None:
        inst = self.instances[request_id >> 32]
        conn = inst.conn
        now = self.env.now
        if lost or conn.hung_until > now:
            # The connection hangs; when it fails, commits in flight have an unknown outcome, and
            # other requests are re-sent by the client on the new connection (an approximation).
            if isinstance(response, CommitResponse):
                response = CommitResponse("UNKNOWN")
                self._at(conn.hung_until, self._arrive, inst, request_id, response)
            else:
                self._at(
                    conn.response_arrival(conn.hung_until), self._arrive, inst, request_id, response
                )
            return
        if inst.cut_until > now:  # answered during a cut: it arrives once the link is back
            arrival = conn.response_arrival(inst.cut_until)
            self._at(arrival, self._arrive, inst, request_id, response)
            return
        arrival = conn.response_arrival(now)
        if not self.pausing and (type(response) is not SyncResponse or response.error):
            event = inst.pending.pop(request_id, None)
            if event is not None:
                # No fault can touch it on its way: the waiting loop resumes at its arrival, one
                # hop (a dead loop's process no longer waits for it).
                event._ok, event._value = True, response
                self.env.schedule(event, NORMAL, arrival - now)
                return
        self._at(arrival, self._arrive, inst, request_id, response)

    def _arrive(self, inst: Instance, request_id: int, response) -> None:
        if not inst.alive:
            return
        if inst.paused_until > self.env.now:  # a frozen process reads it when the pause ends
            self._at(inst.paused_until, self._arrive, inst, request_id, response)
            return
        if type(response) is SyncResponse and response.error is None:
            inst.heartbeat_phase_us = self.env.now
            self._missed_rebalance(inst)
        event = inst.pending.pop(request_id, None)
        if event is not None:
            event.succeed(response)
        elif request_id in inst.consumer.inflight_async:
            inst.consumer.now = self.env.now
            self._carry_out(inst, inst.consumer.on_response(request_id, response))
            if not inst.consumer.awaiting_fetch:
                self._wake(inst)
        elif request_id == inst.consumer.group_request:
            inst.consumer.now = self.env.now
            self._carry_out(inst, inst.consumer.on_group_response(request_id, response))
            self._wake(inst)

    def _lost_in_cut(self, inst: Instance, request, request_id: int, sent_us: int) -> None:
        """A request caught in a network cut that outlasts its request.timeout.ms never arrives:
        the client drops the connection then. A commit's outcome is unknown (it was not
        applied); a JoinGroup, SyncGroup or OffsetFetch is sent again once the link is back; a
        LeaveGroup is not (best effort, AbstractCoordinator.maybeLeaveGroup)."""
        conn = inst.conn
        conn.hang(sent_us + self.request_timeout_us)
        if type(request) is OffsetCommit:
            self._respond(request_id, CommitResponse("UNKNOWN"), lost=True)
        elif type(request) is not LeaveGroup:
            resend_us = max(conn.hung_until, inst.cut_until)
            self._at(resend_us, self._transmit, inst, request, request_id)

"""Connections that keep Kafka's order (docs/model.md, The network).

A consumer has one connection to the coordinator. Requests on it arrive in the order sent and
responses return in that order (the broker handles one request per connection at a time), so a
draw can delay a message but never reorder it. A lost response hangs the connection: nothing more
comes back on it until `request.timeout.ms` after the request was sent, when every request still
in flight fails with an unknown outcome and the client reconnects.
"""

from __future__ import annotations

from .draws import KeyedDraws


class Connection:
    def __init__(self, latency: KeyedDraws, connection_id: int):
        self._latency = latency
        self._subject = (connection_id,)
        self._draws = 0
        self._request_arrival = 0
        self._response_arrival = 0
        self.hung_until = -1  # a lost response hangs the connection until then

    def _draw(self) -> int:
        value = self._latency.one(self._subject, self._draws)
        self._draws += 1
        return value

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

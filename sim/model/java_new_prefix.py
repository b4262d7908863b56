"""The Java new consumer (group.protocol=consumer) before the fix of KAFKA-18641
(apache/kafka PR #18737, 2025), as a variant of the classic consumer model.

Its auto commit was checked on the background thread on the interval, and committed the
positions (`SubscriptionState.allConsumed()`, everything poll() had returned) while the
application thread was still processing them: like librdkafka, it could commit records not yet
processed, and a crash then lost them. Everything else keeps the Java classic rules of `Consumer`
(the commits in onJoinPrepare and close(), commitSync's retries, commitAsync's callbacks). The
group itself stays a classic eager group: KIP-848 groups are not modelled (docs/model.md).
It owns only that background auto commit; it never changes another rule of `Consumer`.
"""

from __future__ import annotations

from .commands import Send
from .consumer import STABLE, Consumer
from .messages import OffsetCommit


class JavaNewPrefixConsumer(Consumer):
    auto_commit_on_timer = True

    def auto_commit_tick(self, progress=None) -> Send | None:
        """The background thread's auto commit: the positions, async, while the member is stable
        (the commit gate); its response goes through the auto-commit handler of the base."""
        if not self.strategy.auto_commit or self.state != STABLE:
            return None
        offsets = self.position_offsets()
        self.commit_sequence += 1
        if not offsets:
            return None
        request_id = self._request_id()
        self.inflight_async[request_id] = (offsets, self.commit_sequence, self.generation, "auto")
        self.observer.commit_sent(self.now, request_id, self.generation, offsets, "auto")
        return Send(OffsetCommit(self.member_id, self.generation, offsets), request_id)

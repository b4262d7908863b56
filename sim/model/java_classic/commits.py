"""The commit paths of the Java classic consumer (ConsumerCoordinator): commitSync with its
retries and deadline, commitAsync with its callbacks, the client's commit gate, and what an
OffsetCommit error does to the member (docs/semantics.md §6).

It owns the async commits in flight and the completed callbacks waiting for the application. It
never decides when to commit: the strategy and the auto commit inside poll() (`fetch`) do."""

from __future__ import annotations

from ..commands import Call, CommitResult, Send, Wait
from ..messages import RETRIABLE_COMMIT_ERRORS, OffsetCommit, Offsets
from .state import COMPLETING_REBALANCE, PREPARING_REBALANCE, STABLE


class CommitPaths:
    """commitSync, commitAsync and their responses (a part of `sim.model.consumer.Consumer`)."""

    def _gate(self) -> str | None:
        """The client refuses to send a commit unless its member state is stable (docs/semantics.md
        §6): RebalanceInProgressException mid-rebalance, CommitFailedException when out."""
        if self.state == STABLE:
            return None
        if self.state in (PREPARING_REBALANCE, COMPLETING_REBALANCE):
            return "REBALANCE_IN_PROGRESS"
        return "COMMIT_FAILED"

    def commit_identity(self) -> tuple[str, int]:
        """The member id and generation a commit carries (a consumer group's member: its epoch)."""
        return self.member_id, self.generation

    def commit_sync(self, offsets: Offsets | None, kind: str = "sync", deadline_us=None):
        """commitSync: retriable errors are retried with exponential backoff (retry.backoff.ms
        doubling up to retry.backoff.max.ms; Kafka's jitter left out) until the deadline, then a
        timeout whose outcome may be unknown; other errors are raised at once. With nothing to
        commit it sends nothing but still waits for the async commits in flight."""
        if self.completed_async:
            yield from self.invoke_callbacks()
        offsets = self.position_offsets() if offsets is None else offsets
        self.commit_sequence += 1
        sequence = self.commit_sequence
        config = self.config
        deadline = self.now + config.api_timeout_us if deadline_us is None else deadline_us
        if not offsets:
            error = yield from self._await_async_commits(deadline)
            return CommitResult(offsets, error, sequence)
        retries = 0
        while True:
            error = self._gate()
            if error is not None:
                break
            if not (yield from self._await_coordinator(deadline)):
                error = "TIMEOUT"  # ensureCoordinatorReady ran out of time
                break
            request_id = self._request_id()
            member_id, generation = self.commit_identity()
            self.observer.commit_sent(self.now, request_id, generation, offsets, kind)
            request = OffsetCommit(member_id, generation, offsets, self.instance_id)
            response = yield Call(request, request_id)
            error = response.error
            self.observer.commit_completed(self.now, request_id, error or "ok")
            if error is None:
                break
            if error in RETRIABLE_COMMIT_ERRORS:
                self._coordinator_lost(error)
                backoff = min(config.retry_backoff_us << retries, config.retry_backoff_max_us)
                retries += 1
                if self.now + backoff < deadline:
                    yield Wait(self.now + backoff, wakeable=False)
                    continue
                error = "TIMEOUT"
                break
            self._on_commit_error(error, generation)
            break
        # Earlier async commits were sent first on the same connection, so their callbacks run
        # before commitSync returns.
        if self.completed_async:
            yield from self.invoke_callbacks()
        return CommitResult(offsets, error, sequence)

    def _await_async_commits(self, deadline: int):
        """ConsumerCoordinator.commitOffsetsSync with empty offsets -> invokePendingAsyncCommits:
        every commitAsync's callback runs by the time commitSync returns, so it waits (for the
        coordinator, then the responses) until no async commit is in flight, running the
        callbacks as they complete; TIMEOUT when the deadline passes first (commitSync's
        TimeoutException)."""
        while self.inflight_async:
            if self.now >= deadline or not (yield from self._await_coordinator(deadline)):
                return "TIMEOUT"
            yield Wait(deadline)
            if self.completed_async:
                yield from self.invoke_callbacks()
        return None

    def commit_async(self, offsets: Offsets | None, kind: str = "async"):
        """commitAsync: sent once, never retried; the callback runs in a later poll or commit.
        While the coordinator is unknown it is not sent but waits for the lookup under way
        (ConsumerCoordinator.commitOffsetsAsync: coordinatorUnknownAndUnreadyAsync ->
        pendingAsyncCommits): `pending_async_sends` sends it when the coordinator is found,
        `on_coordinator_lookup_failed` fails it."""
        offsets = self.position_offsets() if offsets is None else offsets
        self.commit_sequence += 1
        if not offsets:
            return
        if not self.coordinator_known:
            self.pending_async.append((offsets, self.commit_sequence, kind))
            return
        send = self._async_request(offsets, self.commit_sequence, kind)
        if send is not None:
            yield send

    def _async_request(self, offsets: Offsets, sequence: int, kind: str) -> Send | None:
        """doCommitOffsetsAsync: the OffsetCommit to send, or None when the commit gate fails it
        in the client (its callback gets the error; the auto commit's has none to run)."""
        error = self._gate()
        if error is not None:
            if kind != "auto":
                self.completed_async.append(CommitResult(offsets, error, sequence))
            return None
        request_id = self._request_id()
        member_id, generation = self.commit_identity()
        self.inflight_async[request_id] = (offsets, sequence, generation, kind)
        self.observer.commit_sent(self.now, request_id, generation, offsets, kind)
        return Send(OffsetCommit(member_id, generation, offsets, self.instance_id), request_id)

    def pending_async_sends(self) -> list[Send]:
        """The coordinator was found: the async commits that waited for the lookup go, in the
        order they were made (the lookup future's listeners: doCommitOffsetsAsync)."""
        sends = []
        while self.pending_async:
            send = self._async_request(*self.pending_async.popleft())
            if send is not None:
                sends.append(send)
        return sends

    def on_coordinator_lookup_failed(self) -> bool:
        """The lookup was answered COORDINATOR_NOT_AVAILABLE: every async commit waiting for it
        fails with RetriableCommitFailedException (the lookup future's onFailure); an auto
        commit's re-arms after retry.backoff.ms. True when a callback is now due (the loop
        should look)."""
        failed = False
        while self.pending_async:
            offsets, sequence, kind = self.pending_async.popleft()
            if kind == "auto":
                self.next_auto_commit_us = self.now + self.config.retry_backoff_us
            else:
                self.completed_async.append(
                    CommitResult(offsets, "COORDINATOR_NOT_AVAILABLE", sequence)
                )
                failed = True
        return failed

    def on_response(self, request_id: int, response) -> None:
        """An async commit's response arrived (the response handler runs at once; the user's
        callback waits for the consumer thread)."""
        offsets, sequence, generation, kind = self.inflight_async.pop(request_id)
        error = response.error
        self.observer.commit_completed(self.now, request_id, error or "ok")
        if error is not None and error not in RETRIABLE_COMMIT_ERRORS:
            self._on_commit_error(error, generation)
        elif error is not None:
            self._coordinator_lost(error)
        if kind == "auto":
            if error in RETRIABLE_COMMIT_ERRORS:  # re-armed after retry.backoff.ms
                self.next_auto_commit_us = self.now + self.config.retry_backoff_us
        else:
            self.completed_async.append(CommitResult(offsets, error, sequence))

    def _on_commit_error(self, error: str, sent_generation: int) -> None:
        """OffsetCommitResponseHandler (docs/semantics.md §6): REBALANCE_IN_PROGRESS asks for a
        rejoin, keeping the generation. FENCED_INSTANCE_ID is fatal only if the generation it
        was sent with is still the member's: once it changed, another rejoin is under way and
        the commit just fails. ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID reset the generation,
        unless the generation changed while the member is PREPARING_REBALANCE (it is already
        rejoining); in COMPLETING_REBALANCE they reset it too."""
        unchanged = sent_generation == self.generation
        if error == "REBALANCE_IN_PROGRESS":
            self.rejoin_needed = True
        elif error == "FENCED_INSTANCE_ID":
            if unchanged:
                self.failed = True  # FencedInstanceIdException: fatal, the loop unwinds
        elif error in ("ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID"):
            if unchanged or self.state != PREPARING_REBALANCE:
                self._reset_on_response_error(error)

    def invoke_callbacks(self):
        while self.completed_async:
            result = self.completed_async.popleft()
            yield from self.call(self.strategy.on_commit_result(self, result))

"""librdkafka's consumer queue and offset store (classic protocol).

It owns what was fetched and not yet handed over (consume(n) waits for n messages or its
timeout; each fetch starts at a rotating partition: rdkafka_queue.c rd_kafka_q_serve_rkmessages,
rdkafka_fetcher.c rkb_active_toppar_next), the stored offsets (at hand-over with
enable.auto.offset.store, else after processing) and the committed offsets as the client last
knew them. It never sends a commit: `commit_ops` reads the stored offsets."""

from __future__ import annotations

from collections import deque

from ..messages import Offsets


class OffsetStore:
    """The consumer queue and the offset store (a part of
    `sim.model.librdkafka.LibrdkafkaConsumer`)."""

    def _take(self, ends):
        """consume(n) with n = max.poll.records (poll() is n = 1): it returns once n messages are
        there, or at its timeout with fewer (rd_kafka_q_serve_rkmessages). With the default
        enable.auto.offset.store every offset handed over is stored at once."""
        self._fetch(ends)
        budget = self.config.max_poll_records
        queued = sum(end - start for _, start, end in self._fetched)
        if queued < budget and self.now < self.poll_deadline_us:
            return ()
        slices = []
        fetched, positions = self._fetched, self.positions
        while budget and fetched:
            segment = fetched[0]
            p, start, end = segment
            taken = min(budget, end - start)
            slices.append((p, start, start + taken))
            positions[p] = start + taken
            self.observer.delivered(self.now, p, start, start + taken)
            budget -= taken
            if start + taken == end:
                fetched.popleft()
            else:
                segment[1] = start + taken
        if self.strategy.auto_offset_store:
            for p, _, end in slices:
                self.stored[p] = end
        return tuple(slices)

    def _fetch(self, ends) -> None:
        """One fetch response into the consumer queue: every fetchable (assigned, unpaused)
        partition's records past its fetch position, starting at a rotating partition that moves
        on by one per fetch (rkb_active_toppar_next). A paused partition's queued messages are
        dropped and its fetch position goes back to the application's (rd_kafka_toppar_pause's
        version barrier)."""
        assignment, paused = self.assignment, self.paused
        if paused:
            self._purge(paused)
        n = len(assignment)
        got = False
        for i in range(n):
            k = (self._fetch_next + i) % n
            p = assignment[k]
            if p in paused:
                continue
            start = self._fetch_pos.get(p, self.positions[p])
            if ends[k] > start:
                self._fetched.append([p, start, ends[k]])
                self._fetch_pos[p] = ends[k]
                got = True
        if got:
            self._fetch_next = (self._fetch_next + 1) % n

    def _fetch_from_last(self) -> None:
        """A new assignment's fetchers start in reverse: rd_kafka_assignment_serve_pending scans
        its pending list backwards, and the broker thread adds the partitions it finds started
        to its empty fetch list in partition order (its toppar list), the round robin starting
        at the first added (rd_kafka_broker_active_toppar_add); the rest join after them. How
        many of the highest partitions its first pass finds started (1..n) is a race between
        the two threads: the driver draws it (`fetch_race`); by hand, 1."""
        n = len(self.assignment)
        started = self.fetch_race(n) if self.fetch_race is not None and n > 1 else 1
        self._fetch_next = n - started if n else 0

    def _assignment_received(self, assigned, added):
        result = yield from super()._assignment_received(assigned, added)
        self._fetch_from_last()
        return result

    def _purge(self, partitions) -> None:
        self._fetched = deque(s for s in self._fetched if s[0] not in partitions)
        for p in partitions:
            self._fetch_pos.pop(p, None)

    def _mark_processed(self, piece, records: int) -> None:
        """rd_kafka_offsets_store(offset + 1) after each processed record, when the application
        stores its offsets itself; a partition no longer assigned is refused (__STATE)."""
        super()._mark_processed(piece, records)
        if not self.strategy.auto_offset_store:
            for p, _, _ in piece:
                if p in self.processed and p in self.assignment:
                    self.stored[p] = self.processed[p]

    def _stored_now(self, progress) -> dict[int, int]:
        """The stored offsets now; `progress` = (slices, records finished) of a batch being
        processed, whose finished records the application has stored one by one."""
        if progress is None or self.strategy.auto_offset_store:
            return self.stored
        stored = dict(self.stored)
        slices, records = progress
        for p, start, end in slices:
            if records <= 0:
                break
            taken = min(records, end - start)
            if p in self.assignment:
                stored[p] = start + taken
            records -= taken
        return stored

    def _set_position(self, partition: int, offset: int, source: str) -> None:
        if source == "committed":  # the OffsetFetch answer updates rktp_committed_pos
            self.committed[partition] = offset
        self._purge((partition,))  # a new position: queued messages are outdated
        super()._set_position(partition, offset, source)

    def _commit_offsets(self, stored: dict[int, int]) -> Offsets:
        """The stored offsets above the committed ones (rd_kafka_topic_partition_list_set_offsets
        with from_rktp: others are left out of the commit)."""
        committed = self.committed
        return tuple(
            (p, stored[p])
            for p in sorted(self.assignment)
            if p in stored and stored[p] > committed.get(p, -1)
        )

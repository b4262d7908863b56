"""One real consumer process: a strategy written as the confluent-kafka poll loop an application
would write, its effects appended to a file, killing itself (SIGKILL) at its pinned loop point.

`python -m sim.conformance.worker SPEC.json`. The spec (`sim.conformance.spec`) names the
bootstrap, topic, group, strategy, client settings (by group protocol), the effects file and the
crash points still pending for this consumer. A crash point is claimed by creating
`fired-<index>` (O_EXCL) in the run's folder first, so it fires once across incarnations and
consumers. SIGTERM is a clean close: the loop ends, the strategy's `finally` runs, then close().
SIGUSR1 is a stall: the loop sleeps as long as the controller's stall file says.

Each loop point sits where the model puts it (sim/model/consumer.py: `before-process` after
consume() returned records, `mid-batch` after the k-th record, `after-process`, and
`before-commit` / `after-commit` around the first commit call of the batch).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

from confluent_kafka import Consumer, KafkaException, TopicPartition

AUTO_COMMIT = ("auto", "auto-store-after-process")


class Worker:
    commit_failed = KafkaException  # what a failed synchronous commit raises

    def __init__(self, spec: dict):
        self.spec = spec
        self.topic = spec["topic"]
        self.name = spec["strategy"]
        self.points = spec["points"]  # pending crash points: {index, at, batch, after, owner_of}
        self.batch = 0  # this process's batches that returned records
        self.processed: dict[int, int] = {}  # partition -> last processed offset + 1
        self.stopping = False
        self.commits_async = self.commits_done = 0  # async commit calls, results returned
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        self.effects = os.open(spec["effects"], flags, 0o644)
        self.consumer = self.open_consumer(spec)

    # ---- the client: confluent-kafka (a subclass may speak another) ---------------------------
    def open_consumer(self, spec: dict):
        consumer = Consumer({**client_config(spec), "on_commit": self._on_commit})
        consumer.subscribe([self.topic], on_revoke=self.on_revoke, on_lost=self.on_revoke)
        return consumer

    def fetch(self, n: int, timeout_s: float) -> list:
        """(partition, offset) of each record one consume(n) returned, in its order. A fatal
        error (an instance id refused UNRELEASED_INSTANCE_ID, say) ends the application, as the
        model's consumer stops: the drain starts it again."""
        messages = self.consumer.consume(n, timeout_s)
        for m in messages:
            if m.error() is not None and m.error().fatal():
                raise SystemExit(f"fatal: {m.error()}")
        return [(m.partition(), m.offset()) for m in messages if not m.error()]

    def send_commit(self, offsets, asynchronous: bool) -> None:
        """The client's commit call; raises when a synchronous one fails."""
        if offsets is None:
            self.consumer.commit(asynchronous=asynchronous)
        else:
            tps = [TopicPartition(self.topic, p, o) for p, o in offsets]
            self.consumer.commit(offsets=tps, asynchronous=asynchronous)

    def _on_commit(self, error, partitions) -> None:
        """offset_commit_cb, served by the next consume(): librdkafka posts one for each commit
        operation without a reply queue of its own (rdkafka_cgrp.c
        rd_kafka_cgrp_propagate_commit_result), so for each async commit (and each auto
        commit), not for a sync one, which confluent-kafka awaits on its own queue."""
        self.commits_done += 1

    def pending_commits(self) -> int:
        """The async commit calls whose result has not come back: one still retried or
        deferred, waiting for the coordinator, may yet land (a sync commit returns with its
        result). The auto commit's operations are the timer's, not counted."""
        if self.spec["strategy"] in AUTO_COMMIT:
            return 0
        return max(0, self.commits_async - self.commits_done)

    def assigned(self) -> set[int]:
        return {tp.partition for tp in self.consumer.assignment()}

    def positions(self) -> dict[int, int]:
        held = self.consumer.assignment()
        return {tp.partition: tp.offset for tp in (self.consumer.position(held) if held else [])}

    def store(self, partition: int, offset: int) -> None:
        """enable.auto.offset.store=false: the application stores what it processed."""
        self.consumer.store_offsets(offsets=[TopicPartition(self.topic, partition, offset)])

    # ---- crash points ------------------------------------------------------------------------
    def point(self, at: str, done: int = 0, total: int = 0) -> None:
        """SIGKILL this process if a pending crash point is here and this worker claims it. A
        mid-batch point past the end of a short batch fires after its last record."""
        for p in self.points:
            if p["at"] != at or p["batch"] != self.batch:
                continue
            if at == "mid-batch" and done != min(p["after"], total):
                continue
            owner = p.get("owner_of")
            if owner is not None and owner not in self.assigned():
                continue
            flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY
            try:
                claim = os.open(self.spec["fired"] + str(p["index"]), flags)
            except FileExistsError:
                continue
            os.write(claim, str(self.spec["slot"]).encode())  # read by the controller: no fsync
            os.kill(os.getpid(), signal.SIGKILL)

    # ---- commits -----------------------------------------------------------------------------
    def commit(self, offsets=None, asynchronous=False) -> bool:
        """A commit as the application makes it; False when a synchronous one raised."""
        self.point("before-commit")
        ok = True
        try:
            self.send_commit(offsets, asynchronous)
            self.commits_async += asynchronous
        except self.commit_failed:
            ok = False
        self.point("after-commit")
        return ok

    def processed_offsets(self, partitions=None):
        parts = self.assigned() if partitions is None else partitions
        return [(p, self.processed[p]) for p in sorted(parts) if p in self.processed]

    def on_revoke(self, consumer, partitions) -> None:
        """The rebalance callback's revoke (and lost) half."""
        if self.name == "async-then-sync-processed":
            offsets = self.processed_offsets({tp.partition for tp in partitions})
            if offsets:
                self.commit(offsets)

    # ---- the loop ----------------------------------------------------------------------------
    def process(self, p: int, o: int) -> None:
        time.sleep(self.spec["processing_ms"] / 1000)
        os.write(self.effects, f"{p} {o}\n".encode())
        os.fsync(self.effects)
        self.processed[p] = o + 1
        if self.name == "auto-store-after-process":
            self.store(p, o + 1)

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGUSR1, self._stall)
        n, timeout = self.spec["max_poll_records"], self.spec["poll_timeout_ms"] / 1000
        try:
            while not self.stopping:
                messages = self.fetch(n, timeout)
                if messages:
                    self.batch += 1
                    if not self.handle(messages):
                        continue
                else:
                    self.report_positions()
                self.after_batch(messages)
        finally:
            self.on_close()
            self.consumer.close()

    def handle(self, messages) -> bool:
        """Process a batch with the strategy's hooks; False: the batch was skipped."""
        name = self.name
        if name == "commit-before-process":
            if not self.commit(_next_offsets(messages)):
                return False  # on_commit_error = "skip": the batch is not processed
        self.point("before-process")
        slices = _slices(messages)
        done = 0
        for partition, offsets in slices:
            for offset in offsets:
                self.process(partition, offset)
                done += 1
                self.point("mid-batch", done, len(messages))
                if name == "sync-per-record":
                    self.commit([(partition, offset + 1)])
            if name == "per-partition-sync":
                self.commit([(partition, offsets[-1] + 1)])
        self.point("after-process")
        return True

    def after_batch(self, messages) -> None:
        name = self.name
        if name == "async-then-sync":
            self.commit(asynchronous=True)
        elif not messages:
            return
        elif name == "sync-per-batch":
            self.commit(_next_offsets(messages))
        elif name == "async-per-batch":
            self.commit(_next_offsets(messages), asynchronous=True)
        elif name == "async-then-sync-processed":
            self.commit(self.processed_offsets(), asynchronous=True)
        elif name == "off-by-one":
            self.commit([(p, o - 1) for p, o in _next_offsets(messages)])

    def report_positions(self) -> None:
        """After an empty poll: where this consumer stands on each partition it holds, for the
        controller's test that the group has consumed to the end and has no commit outstanding
        (written atomically)."""
        text = json.dumps({"positions": self.positions(), "pending": self.pending_commits()})
        path = self.spec["status"]
        with open(path + ".tmp", "w") as file:
            file.write(text)
        os.replace(path + ".tmp", path)

    def on_close(self) -> None:
        if self.name == "async-then-sync":
            self.commit()
        elif self.name == "async-then-sync-processed":
            offsets = self.processed_offsets()
            if offsets:
                self.commit(offsets)

    def _stop(self, signum, frame) -> None:
        self.stopping = True

    def _stall(self, signum, frame) -> None:
        """A stall fault: the loop stops where it is (in a record's processing, or after the
        consume() under way returns) for the milliseconds the controller wrote."""
        with open(self.spec["stall"]) as file:
            time.sleep(int(file.read()) / 1000)


def client_config(spec: dict) -> dict:
    """The confluent-kafka configuration of the spec's consumer. With the consumer group
    protocol the session, heartbeat and assignor are the broker's: librdkafka refuses
    `session.timeout.ms`, `heartbeat.interval.ms` and `partition.assignment.strategy` there."""
    name = spec["strategy"]
    config = {
        "bootstrap.servers": spec["bootstrap"],
        "group.id": spec["group"],
        "auto.offset.reset": spec["auto_offset_reset"],
        "enable.auto.commit": name in AUTO_COMMIT,
        "auto.commit.interval.ms": spec["auto_commit_interval_ms"],
        "enable.auto.offset.store": name != "auto-store-after-process",
        "max.poll.interval.ms": spec["max_poll_interval_ms"],
        "log_level": 3,
    }
    if spec["protocol"] == "consumer":
        config["group.protocol"] = "consumer"
        if spec["remote_assignor"]:
            config["group.remote.assignor"] = spec["remote_assignor"]
    else:
        config["session.timeout.ms"] = spec["session_timeout_ms"]
        config["heartbeat.interval.ms"] = spec["heartbeat_interval_ms"]
        config["partition.assignment.strategy"] = spec["assignor"]
    if "isolation" in spec:  # the transactional strategy's
        config["isolation.level"] = spec["isolation"]
    if spec["instance_id"]:
        config["group.instance.id"] = spec["instance_id"]
    if os.environ.get("OFFSIM_CONFORM_DEBUG"):  # librdkafka's debug log, to stderr
        config.update(debug=os.environ["OFFSIM_CONFORM_DEBUG"], log_level=7)
    return config


def _slices(messages):
    """The batch as consecutive runs of one partition, in the order consume() returned them."""
    out: list[tuple[int, list[int]]] = []
    for p, o in messages:
        if out and out[-1][0] == p:
            out[-1][1].append(o)
        else:
            out.append((p, [o]))
    return out


def _next_offsets(messages):
    last: dict[int, int] = {}
    for p, o in messages:
        last[p] = o + 1
    return sorted(last.items())


if __name__ == "__main__":
    with open(sys.argv[1]) as file:
        Worker(json.load(file)).run()

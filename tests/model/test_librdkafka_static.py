"""A static librdkafka member driven by hand: its commits carry group.instance.id, a fenced
commit is fatal, and close() sends no LeaveGroup (docs/semantics.md §10, static members;
rdkafka_request.c rd_kafka_OffsetCommitRequest and rd_kafka_handle_OffsetCommit,
rdkafka_cgrp.c rd_kafka_cgrp_leave_maybe)."""

from sim.model.commands import Processed, Send, Stopped, Wait
from sim.model.consumer import NullObserver
from sim.model.librdkafka import LibrdkafkaConsumer
from sim.model.messages import CommitResponse, OffsetCommit
from sim.strategies import make_strategy

from .test_consumer import config
from .test_librdkafka import Client


class StaticClient(Client):
    def __init__(self, strategy):
        strategy = make_strategy(strategy)
        self.consumer = LibrdkafkaConsumer(0, "m", config(), strategy, NullObserver(), "instance-0")
        self.loop = self.consumer.run()
        self.command = next(self.loop)


def test_a_static_member_commits_with_its_instance_id_and_closes_without_leave_group():
    """A poison record after 4 of 10: close() commits the four stored offsets, with the
    instance id, then stops; the partitions wait for the session to expire."""
    s = StaticClient("auto-store-after-process")
    s.join(committed=0)
    s.hand_over(30)
    s.reply(Processed(4, True))
    send = s.skip_points()
    assert send.request == OffsetCommit("m", 1, ((0, 4),), "instance-0")
    s.reply()
    s.commit_ok(send)
    assert s.reply() == Stopped("error")


def test_a_fenced_commit_is_fatal():
    """Another instance took the instance id: FENCED_INSTANCE_ID on a commit is a fatal error,
    and the loop unwinds through close() instead of polling on."""
    s = StaticClient("sync-per-batch")
    s.join(committed=0)
    s.hand_over(30)
    s.reply(Processed(10, False))
    assert isinstance(s.skip_points(), Wait)  # commit() enqueued; the application waits
    send = s.served()
    assert isinstance(send, Send) and send.request.instance_id == "instance-0"
    s.consumer.on_response(send.request_id, CommitResponse("FENCED_INSTANCE_ID"))
    assert s.consumer.failed
    s.reply()
    assert s.skip_points() == Stopped("error")  # no LeaveGroup, no further poll or commit

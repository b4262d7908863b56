"""The read-process-write application's transactional calls, carried out inside the poll loop.

The loop of a KIP-447 application (docs/exactly-once.md, Transactions), as the `transactional`
strategy asks for it:

    producer.initTransactions()                       # on the first assignment
    while (running) {
        records = consumer.poll()
        producer.beginTransaction()                   # + AddPartitionsToTxn for the outputs
        for (r : records) producer.send(result(r))    # the engine appends the results
        producer.sendOffsetsToTransaction(next offsets, consumer.groupMetadata())
        producer.commitTransaction()
    } catch (abortable) { producer.abortTransaction(); seek to the committed offsets }
      catch (fatal)     { the process exits }

Each call here is a client call a strategy returns (like `CommitSync`); the consumer's `call`
runs its `carry_out(consumer)`, a generator of driver commands, with the consumer's
`TransactionalProducer` (`consumer.txn_producer`, set by the driver). What an error does is the
producer's (`TransactionalProducer.on_response`): retried after `retry.backoff.ms` (a retriable
error, a coordinator to find again, or a dropped connection: the client re-enqueues the request,
TransactionManager.TxnRequestHandler.onComplete), abortable, or fatal. It owns no state; it never
reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from .commands import Call, LoopPoint, Wait
from .messages import Offsets, TxnOffsetCommit
from .txn_errors import ABORTABLE, FATAL, retry_delay_us
from .txn_producer import IN_TRANSACTION, UNINITIALIZED

OUTPUT_TOPIC = "output"  # the output partition of input partition p is p
GROUP_ID = "offsim"  # the group id sendOffsetsToTransaction names (its offsets partition)


def _exchange(consumer, request, point: str | None = None):
    """Send `request` until it is answered for good: None (done), ABORTABLE or FATAL. A
    TxnOffsetCommit is recorded as a commit of kind "txn" (applied when its transaction's COMMIT
    marker reaches the offsets partition)."""
    producer = consumer.txn_producer
    offsets = type(request) is TxnOffsetCommit
    while True:
        request_id = consumer._request_id()
        if offsets:
            observer = consumer.observer
            generation = request.generation
            observer.commit_sent(consumer.now, request_id, generation, request.offsets, "txn")
        response = yield Call(request, request_id, point)
        error = response.error
        if offsets:
            observer.commit_completed(consumer.now, request_id, error or "ok")
        if error == "UNKNOWN":  # the connection dropped: the client sends it again
            action = "retry"
        else:
            action = producer.on_response(request, error, response)
        if action in (None, ABORTABLE, FATAL):
            return action
        delay = retry_delay_us(request, error, producer.client, consumer.config.retry_backoff_us)
        yield Wait(consumer.now + delay, wakeable=False)


def _abort(consumer, action: str):
    """An error ended the transaction. Fatal: the process exits. Abortable: abortTransaction,
    then the positions go back to the committed offsets (the stable ones: the fetch waits for
    the abort's markers), or to auto.offset.reset where none is committed."""
    producer = consumer.txn_producer
    if action == ABORTABLE:
        for request in producer.abort_transaction():
            if (yield from _exchange(consumer, request)) is not None:
                action = FATAL  # the abort itself failed: the producer is fenced
                break
    if action == FATAL:
        consumer.failed = True
        return
    for p in consumer.assignment:
        consumer.positions.pop(p, None)
    yield from consumer.refresh_positions()


@dataclass(frozen=True, slots=True)
class InitTransactions:
    """producer.initTransactions(): a producer id and epoch for the slot's transactional.id,
    fencing every older producer of it and aborting its open transaction."""

    def carry_out(self, consumer):
        producer = consumer.txn_producer
        if producer.state != UNINITIALIZED:
            return True
        (request,) = producer.init_transactions()
        if (yield from _exchange(consumer, request)) is not None:
            consumer.failed = True  # initTransactions threw: the application exits
            return False
        return True


@dataclass(frozen=True, slots=True)
class BeginTransaction:
    """beginTransaction(), then the first send() to each output partition adds it to the
    transaction (AddPartitionsToTxn, awaited here: the records are appended after it)."""

    partitions: tuple[int, ...]

    def carry_out(self, consumer):
        producer = consumer.txn_producer
        consumer.txn_produce_error = None
        producer.begin_transaction()
        for request in producer.send((OUTPUT_TOPIC, p) for p in self.partitions):
            action = yield from _exchange(consumer, request)
            if action is not None:
                yield from _abort(consumer, action)
                return False
        return True


@dataclass(frozen=True, slots=True)
class CommitTransaction:
    """sendOffsetsToTransaction(offsets, groupMetadata) and commitTransaction(). A produce the
    log refused (a fenced epoch) fails the commit first (maybeTransitionToErrorState). Loop
    points: `before-commit` (results produced, nothing committed), `in-commit` (EndTxn sent,
    its answer not yet back), `after-commit`."""

    offsets: Offsets

    def carry_out(self, consumer):
        producer = consumer.txn_producer
        if producer.state != IN_TRANSACTION:
            return True
        number = consumer.batch_number
        if consumer.loop_points:
            yield LoopPoint("before-commit", number)
        action = None
        if consumer.txn_produce_error is not None:
            action = producer.on_response(None, consumer.txn_produce_error)
        if action is None:
            (request,) = producer.send_offsets_to_transaction(GROUP_ID)
            action = yield from _exchange(consumer, request)
        if action is None:
            member_id, generation = consumer.commit_identity()  # consumer.groupMetadata()
            request = producer.txn_offset_commit(
                self.offsets, member_id, generation, consumer.instance_id
            )
            action = yield from _exchange(consumer, request)
        if action is None:
            (request,) = producer.commit_transaction()
            point = "in-commit" if consumer.loop_points else None
            action = yield from _exchange(consumer, request, point)
        if action is not None:
            yield from _abort(consumer, action)
            return False
        if consumer.loop_points:
            yield LoopPoint("after-commit", number)
        return True

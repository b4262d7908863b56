"""commitSync's deadline bounds every wait inside it, the wait for the coordinator included
(ConsumerCoordinator.commitOffsetsSync -> invokePendingAsyncCommits ->
ensureCoordinatorReady(timer))."""

import pytest

from sim.model.commands import Send, Wait

from .test_consumer import S, Script


def test_an_empty_commit_sync_times_out_while_the_coordinator_stays_unknown():
    """An empty commitSync waiting for an async commit in flight (invokePendingAsyncCommits)
    while no coordinator is known: ensureCoordinatorReady gives up at commitSync's deadline,
    which throws TimeoutException: the commit fails with TIMEOUT, it does not wait on."""
    s = Script("async-per-batch", api_timeout_us=2 * S)
    s.join()
    s.process_batch(4, now=0)
    assert isinstance(s.skip_points(), Send)
    s.consumer.coordinator_known = False
    commit = s.consumer.commit_sync(())
    wait = next(commit)
    assert isinstance(wait, Wait) and wait.until_us == 2 * S
    s.consumer.now = wait.until_us
    with pytest.raises(StopIteration) as done:
        commit.send(None)
    assert done.value.value.error == "TIMEOUT"

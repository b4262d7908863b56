"""Transactional offset commits at the group coordinator, fed by hand (sim/model/txn_offsets.py,
GroupCoordinator.txn_offset_commit / txn_marker / offset_fetch). Sources: Kafka's
group-coordinator/.../OffsetMetadataManager.java (OMM), classic/ClassicGroup.java (CG), and the
consumer's ConsumerCoordinator.java (CC)."""

from sim.model import coordinator as co
from sim.model.messages import JoinGroup, OffsetCommit, OffsetFetch, SyncGroup, TxnOffsetCommit

from .test_coordinator import S, replies, stable_group

PID, EPOCH = 1000, 0


def txn_commit(g, member, generation, offsets, epoch=EPOCH, instance_id=None, rid=600):
    request = TxnOffsetCommit("app-0", PID, epoch, member, generation, offsets, instance_id)
    return replies(g.txn_offset_commit(4 * S, rid, request))[rid].error


def fetch(g, partitions=(0,), stable=True):
    request = OffsetFetch(tuple(partitions), require_stable=stable)
    return replies(g.offset_fetch(5 * S, 700, request))[700]


def test_transactional_offsets_stay_pending_until_the_commit_marker():
    """OMM.replay with a producer id: the offsets go to pendingTransactionalOffsets, not to the
    committed ones; OMM.replayEndTransactionMarker with COMMIT moves them over."""
    g = stable_group()
    assert txn_commit(g, "a", g.generation, ((0, 10), (2, 7))) is None
    assert g.committed[0] is None
    assert g.txn_marker(5 * S, PID, EPOCH, commit=True) == (None, ((0, 10), (2, 7)))
    assert (g.committed[0], g.committed[2]) == (10, 7)


def test_an_abort_marker_drops_the_pending_offsets():
    """OMM.replayEndTransactionMarker with ABORT: the pending offsets are removed, the committed
    ones stay what they were: the consumed records will be read again."""
    g = stable_group()
    commit = OffsetCommit("a", g.generation, ((0, 4),))
    g.commit(4 * S, 1, commit)
    txn_commit(g, "a", g.generation, ((0, 10),))
    assert g.txn_marker(5 * S, PID, EPOCH, commit=False) == (None, ())
    assert g.committed[0] == 4 and not g.txn_offsets.pending


def test_an_old_generation_is_refused_kip_447():
    """CG.validateOffsetCommit with the group metadata sent by sendOffsetsToTransaction: a
    zombie whose generation is gone gets ILLEGAL_GENERATION (an abortable error for it)."""
    g = stable_group()
    assert txn_commit(g, "a", g.generation - 1, ((0, 10),)) == "ILLEGAL_GENERATION"
    assert not g.txn_offsets.pending


def test_a_member_no_longer_in_the_group_is_refused():
    """CG.validateOffsetCommit -> validateMember: UNKNOWN_MEMBER_ID."""
    g = stable_group()
    assert txn_commit(g, "zombie", g.generation, ((0, 10),)) == "UNKNOWN_MEMBER_ID"


def test_a_transactional_commit_is_accepted_while_the_group_completes_a_rebalance():
    """CG.validateOffsetCommit: REBALANCE_IN_PROGRESS in COMPLETING_REBALANCE is for plain
    commits only ("the group state is not enforced" for transactional ones)."""
    g = stable_group()
    g.state = co.COMPLETING_REBALANCE
    assert replies(g.commit(4 * S, 1, OffsetCommit("a", g.generation, ((0, 3),))))[1].error == (
        "REBALANCE_IN_PROGRESS"
    )
    assert txn_commit(g, "a", g.generation, ((0, 10),)) is None


def test_the_deprecated_api_without_group_metadata_is_not_fenced_by_generation():
    """sendOffsetsToTransaction(offsets, groupId) sends generation -1 and no member: CG skips
    the member and generation checks for a transactional commit, so a zombie's offsets are
    accepted (only the producer epoch fences it)."""
    g = stable_group()
    assert txn_commit(g, "", -1, ((0, 10),)) is None


def test_an_older_producer_epoch_is_refused():
    """The __consumer_offsets append checks the producer's epoch (ProducerAppendInfo.
    checkProducerEpoch): after a marker at a bumped epoch, the zombie's TxnOffsetCommit gets
    INVALID_PRODUCER_EPOCH, which its client reads as PRODUCER_FENCED."""
    g = stable_group()
    txn_commit(g, "a", g.generation, ((0, 10),))
    g.txn_marker(5 * S, PID, EPOCH + 1, commit=False)  # fenced by the transaction coordinator
    assert txn_commit(g, "a", g.generation, ((0, 12),)) == "INVALID_PRODUCER_EPOCH"


def test_a_stable_fetch_waits_while_offsets_are_pending():
    """OMM.fetchOffsets with requireStable: a partition with pending transactional offsets
    answers UNSTABLE_OFFSET_COMMIT (CC retries after its backoff); without requireStable the
    committed offset is returned; once the marker is in, the stable fetch returns it."""
    g = stable_group()
    txn_commit(g, "a", g.generation, ((0, 10),))
    assert fetch(g).error == "UNSTABLE_OFFSET_COMMIT"
    assert fetch(g, stable=False).offsets == (None,)
    assert fetch(g, partitions=(1,)).offsets == (None,)  # another partition is stable
    g.txn_marker(5 * S, PID, EPOCH, commit=True)
    assert fetch(g).offsets == (10,)


def test_a_plain_commit_written_after_the_transactional_one_wins():
    """OMM.replayEndTransactionMarker keeps the most recent committed offset: a plain commit
    appended after the TxnOffsetCommit is not overwritten when the transaction commits."""
    g = stable_group()
    txn_commit(g, "a", g.generation, ((0, 10), (1, 5)))
    g.commit(4 * S, 1, OffsetCommit("a", g.generation, ((0, 3),)))
    assert g.txn_marker(5 * S, PID, EPOCH, commit=True) == (None, ((1, 5),))
    assert (g.committed[0], g.committed[1]) == (3, 5)


def test_pending_offsets_survive_a_failover_and_a_marker_waits_for_the_new_leader():
    """The TxnOffsetCommit records are in __consumer_offsets: the new coordinator replays them
    as pending; a marker arriving while the partition has no leader is refused
    (NOT_LEADER_OR_FOLLOWER) and re-sent by the transaction coordinator."""
    g = stable_group()
    txn_commit(g, "a", g.generation, ((0, 10),))
    g.failover(5 * S)
    assert g.txn_marker(6 * S, PID, EPOCH, commit=True) == ("NOT_LEADER_OR_FOLLOWER", ())
    g.start_loading(7 * S)
    g.loaded(8 * S)
    assert fetch(g).error == "UNSTABLE_OFFSET_COMMIT"
    assert g.txn_marker(9 * S, PID, EPOCH, commit=True) == (None, ((0, 10),))


def test_a_member_id_without_a_generation_is_still_validated():
    """CG.validateOffsetCommit validates the member and generation when any of generation >= 0,
    a member id or an instance id is there: a member id with generation -1 gets
    ILLEGAL_GENERATION, and generation 0 with no member id UNKNOWN_MEMBER_ID; only the
    deprecated API's (no member, generation -1, no instance id) skips the check."""
    g = stable_group()
    assert txn_commit(g, "a", -1, ((0, 10),)) == "ILLEGAL_GENERATION"
    assert txn_commit(g, "", 0, ((0, 10),)) == "UNKNOWN_MEMBER_ID"
    assert txn_commit(g, "", -1, ((0, 10),)) is None


def test_a_replaced_static_instance_is_fenced_on_a_transactional_commit():
    """CG.validateMember with the group instance id: an instance id now mapped to another member
    id gets FENCED_INSTANCE_ID (the old incarnation is a zombie)."""
    g = co.GroupCoordinator(4, 3 * S)
    g.join(0, 1, JoinGroup("a", 45 * S, 300 * S, instance_id="instance-0"))
    g.timer(3 * S, ("initial-delay", g.epoch))
    g.sync(3 * S, 2, SyncGroup("a", 1, (("a", (0, 1, 2, 3)),), "instance-0"))
    g.join(4 * S, 3, JoinGroup("a2", 45 * S, 300 * S, instance_id="instance-0"))
    assert txn_commit(g, "a", 1, ((0, 10),), instance_id="instance-0") == "FENCED_INSTANCE_ID"
    assert txn_commit(g, "a2", 1, ((0, 10),), instance_id="instance-0") is None

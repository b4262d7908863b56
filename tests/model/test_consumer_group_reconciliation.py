"""One member's reconciliation towards its target, fed by hand (CurrentAssignmentBuilder)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.consumer_group.reconciliation import (
    MEMBER_TRANSITIONS,
    STABLE,
    UNRELEASED_PARTITIONS,
    UNREVOKED_PARTITIONS,
    Member,
    reconcile,
)


def nobody(partition):
    return -1


def held_by_other(*partitions):
    return lambda p: 7 if p in partitions else -1


def test_a_reconciled_member_stays_as_it_is():
    """STABLE at the target epoch: nothing to do."""
    member = Member("a", epoch=3, assigned=(0, 1))
    assert reconcile(member, 3, (0, 1), nobody, None) is member


def test_a_new_epoch_with_the_same_partitions_only_bumps_the_epoch():
    """Another member's change bumps every member's epoch, the previous one remembered
    (computeNextAssignment; ConsumerGroupMember.Builder.updateMemberEpoch)."""
    member = Member("a", epoch=3, previous_epoch=2, assigned=(0, 1))
    after = reconcile(member, 5, (0, 1), nobody, None)
    assert (after.state, after.epoch, after.previous_epoch, after.assigned) == (
        STABLE,
        5,
        3,
        (0, 1),
    )


def test_a_member_must_revoke_before_moving_on_and_keeps_its_epoch():
    """Partitions no longer targeted are pending revocation; the member stays in its epoch
    (UNREVOKED_PARTITIONS) with the partitions it keeps."""
    member = Member("a", epoch=3, assigned=(0, 1, 2, 3))
    after = reconcile(member, 5, (0, 1), nobody, (0, 1, 2, 3))
    assert after.state == UNREVOKED_PARTITIONS
    assert (after.epoch, after.assigned, after.pending_revocation) == (3, (0, 1), (2, 3))


def test_a_heartbeat_without_owned_partitions_proves_no_revocation():
    """ownsRevokedPartitions: a heartbeat that does not carry its partitions (null: unchanged)
    leaves the member waiting."""
    member = Member(
        "a", epoch=3, state=UNREVOKED_PARTITIONS, assigned=(0, 1), pending_revocation=(2, 3)
    )
    assert reconcile(member, 5, (0, 1), nobody, None) is member
    assert reconcile(member, 5, (0, 1), nobody, (0, 1, 3)) is member


def test_revoking_acknowledged_moves_the_member_to_the_target_epoch():
    """Once the heartbeat reports none of the revoked partitions, the member reconciles towards
    the latest target at its epoch."""
    member = Member(
        "a", epoch=3, state=UNREVOKED_PARTITIONS, assigned=(0, 1), pending_revocation=(2, 3)
    )
    after = reconcile(member, 5, (0, 1), nobody, (0, 1))
    assert (after.state, after.epoch, after.pending_revocation) == (STABLE, 5, ())


def test_a_member_already_rid_of_the_partitions_skips_the_revocation():
    """computeNextAssignment: no UNREVOKED_PARTITIONS when the member no longer reports the
    partitions to revoke (a rejoining member owns nothing)."""
    member = Member("a", epoch=0, assigned=(0, 1, 2))
    after = reconcile(member, 4, (0,), nobody, ())
    assert (after.state, after.epoch, after.assigned) == (STABLE, 4, (0,))


def test_a_partition_still_held_elsewhere_is_not_given_yet():
    """Unreleased partitions: a targeted partition another member still holds is left out, and
    the member waits in UNRELEASED_PARTITIONS at the target epoch."""
    member = Member("b", epoch=0)
    after = reconcile(member, 2, (2, 3), held_by_other(3), ())
    assert (after.state, after.epoch, after.assigned) == (UNRELEASED_PARTITIONS, 2, (2,))


def test_a_waiting_member_takes_the_partitions_once_released():
    """UNRELEASED_PARTITIONS: each heartbeat takes whatever was released since."""
    member = Member("b", epoch=2, state=UNRELEASED_PARTITIONS, assigned=(2,))
    assert reconcile(member, 2, (2, 3), held_by_other(3), None).assigned == (2,)
    after = reconcile(member, 2, (2, 3), nobody, None)
    assert (after.state, after.assigned) == (STABLE, (2, 3))


def test_revocation_comes_before_taking_new_partitions():
    """A member that must revoke gets nothing new until it has acknowledged."""
    member = Member("a", epoch=1, assigned=(0, 1))
    after = reconcile(member, 2, (1, 2), nobody, (0, 1))
    assert (after.state, after.assigned, after.pending_revocation) == (
        UNREVOKED_PARTITIONS,
        (1,),
        (0,),
    )


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(MEMBER_TRANSITIONS)),
    st.sets(st.integers(0, 5)),
    st.sets(st.integers(0, 5)),
    st.sets(st.integers(0, 5)),
    st.one_of(st.none(), st.sets(st.integers(0, 5))),
)
def test_reconciliation_keeps_the_member_state_table(state, assigned, target, elsewhere, owned):
    """Every step is a transition of MEMBER_TRANSITIONS, and a member never gains a partition
    held elsewhere nor one outside its target."""
    member = Member("a", epoch=2, state=state, assigned=tuple(sorted(assigned)))
    owned = None if owned is None else tuple(sorted(owned))
    after = reconcile(member, 4, tuple(sorted(target)), held_by_other(*elsewhere), owned)
    assert after.state in MEMBER_TRANSITIONS[state]
    gained = set(after.assigned) - set(member.assigned)
    assert not gained & elsewhere
    assert gained <= target

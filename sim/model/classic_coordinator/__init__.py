"""The parts of the classic group coordinator (`sim.model.coordinator.GroupCoordinator` composes
them), one concern each:

- `group`: the group states and their transitions, a member, the persisted group.
- `join_phase`: the initial rebalance delay, the join phase and its completion, member removal.
- `offsets`: OffsetCommit, TxnOffsetCommit and its markers, OffsetFetch, the offsets' expiry.
- `failover`: the failover's phases, the persisted group loaded again, refusals while unserved.

The package owns no state itself: each part is a mixin over the fields `GroupCoordinator` declares;
the mixins import only `group` (and the outputs). They never read a clock: every input carries the
current time and a timeout is a `SetTimer` output.
"""

"""How the Java consumer's membership in a consumer group ends or restarts
(ConsumerMembershipManager over AbstractMembershipManager): fenced (onPartitionsLost, then a
rejoin with epoch 0 and the same member id), fatal, leaving (onPartitionsRevoked or
onPartitionsLost, then the leave epoch -1, or -2 for a static member), and the poll timeout's
leave that goes STALE.

It owns no state of its own (the member's is `JavaMembership`'s). It never sends the leave
heartbeat: `java_heartbeat` does once the state is LEAVING."""

from __future__ import annotations

from .java_member_states import (
    FATAL,
    FENCED,
    JOINING,
    LEAVING,
    NONE,
    NOT_IN_GROUP,
    PREPARE_LEAVING,
    UNSUBSCRIBED,
    Assign,
    Revoking,
)
from .messages import LEAVE_GROUP_MEMBER_EPOCH, LEAVE_GROUP_STATIC_MEMBER_EPOCH


class Leaving:
    """Fenced, fatal, leaving (a part of
    `sim.model.consumer_group.java_membership.JavaMembership`)."""

    def transition_to_fenced(self) -> list:
        """transitionToFenced: out of the group at once (epoch 0), onPartitionsLost, then rejoin
        as the same member id with epoch 0. A member already leaving just stops."""
        if self.state == PREPARE_LEAVING:
            self.transition_to_sending_leave_group()
            self._transition(UNSUBSCRIBED)
            return []
        if self.state in (LEAVING, UNSUBSCRIBED):
            self.state = UNSUBSCRIBED
            return []
        self._transition(FENCED)
        self.epoch = 0
        return self._release()

    def transition_to_fatal(self, error: str) -> list:
        """transitionToFatal: the error reaches the application's next call; the partitions are
        released as lost unless the member was leaving or out already."""
        previous = self.state
        self._transition(FATAL)
        self.fatal_error = error
        self.epoch = 0
        if previous in (UNSUBSCRIBED, LEAVING, PREPARE_LEAVING):
            return []
        return self._release()

    def _release(self) -> list:
        """signalPartitionsLost (no callback for no partitions), then clearAssignment."""
        if self.assigned:
            return [self._callback("lost", self.assigned, "lost")]
        return self._released()

    def _released(self) -> list:
        self.assigned = ()
        self.current = NONE
        self.target = NONE
        if self.state == FENCED:
            self._join()
        return [Assign((), ())]

    def _join(self) -> None:
        """transitionToJoining: epoch 0; a reconciliation under way is void."""
        if self._step is not None:
            self._rejoined = True
        self.epoch = 0
        self._transition(JOINING)
        self.target = NONE

    def leave(self) -> list:
        """leaveGroup (unsubscribe, and close()): onPartitionsRevoked if still in the group, else
        onPartitionsLost; then the leave heartbeat goes as soon as the heartbeat manager runs."""
        if self.state in NOT_IN_GROUP:
            if self.state == FENCED:
                self.assigned = ()
                self._transition(UNSUBSCRIBED)
            return []
        if self.state in (PREPARE_LEAVING, LEAVING):
            return []
        self._transition(PREPARE_LEAVING)
        if not self.assigned:
            return self._left()
        if self.epoch > 0:
            return [Revoking(self.assigned), self._callback("revoked", self.assigned, "leave")]
        return [self._callback("lost", self.assigned, "leave")]

    def _left(self) -> list:
        """The release before leaving is done: on to the leave epoch, unless the member was
        fenced or failed meanwhile."""
        self.assigned = ()
        if self.state not in (UNSUBSCRIBED, FATAL):
            self.transition_to_sending_leave_group()
        return [Assign((), ())]

    def transition_to_sending_leave_group(self, poll_timer_expired: bool = False) -> None:
        """transitionToSendingLeaveGroup: the leave epoch (-1, or -2 for a static member), and
        LEAVING until the leave heartbeat is out. After a poll timeout the partitions are
        released as lost once it is (STALE)."""
        if poll_timer_expired:
            self.poll_timer_expired = True
            self._transition(PREPARE_LEAVING)
        static = self.instance_id is not None
        self.epoch = LEAVE_GROUP_STATIC_MEMBER_EPOCH if static else LEAVE_GROUP_MEMBER_EPOCH
        self.current = NONE
        self._transition(LEAVING)

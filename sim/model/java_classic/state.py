"""What every part of the Java classic consumer shares: the member states as the client sees them
(AbstractCoordinator.MemberState) and a null observer. The settings are
`sim.model.client_config`'s, shared with the other clients.

It owns no behaviour and never changes a consumer: the parts that do are the other modules of
`sim.model.java_classic`."""

from __future__ import annotations

NO_GENERATION = -1
# The client's own view of its membership (AbstractCoordinator.MemberState).
UNJOINED = "UNJOINED"
PREPARING_REBALANCE = "PREPARING_REBALANCE"
COMPLETING_REBALANCE = "COMPLETING_REBALANCE"
STABLE = "STABLE"


class NullObserver:
    """Records nothing: for driving a consumer by hand."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None

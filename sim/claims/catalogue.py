"""The claims catalogue: what tutorials and the clients' sources say, as data `offsim check` can
test.

Every expected verdict in the catalogue is what the simulator shows (the quick budget of
`offsim check` confirms each one); a claim tutorials state loosely is stated here as precisely
as the model can show it (docs/claims.md, Where the claims come from). The claims live in
`sim.claims.catalogue_commits` (commit strategies as they are),
`sim.claims.catalogue_settings` (a setting beyond the strategy),
`sim.claims.catalogue_consumer_group` (the consumer group protocol, KIP-848),
`sim.claims.catalogue_transactions` (transactions); this module joins them, in that order, and
never defines a claim itself.
"""

from __future__ import annotations

from sim.claims.catalogue_commits import COMMIT_CLAIMS
from sim.claims.catalogue_consumer_group import CONSUMER_GROUP_CLAIMS
from sim.claims.catalogue_settings import SETTING_CLAIMS
from sim.claims.catalogue_transactions import TRANSACTION_CLAIMS
from sim.claims.claim import Claim

__all__ = ["CATALOGUE", "claim_by_id"]

CATALOGUE: tuple[Claim, ...] = (
    COMMIT_CLAIMS + SETTING_CLAIMS + CONSUMER_GROUP_CLAIMS + TRANSACTION_CLAIMS
)


def claim_by_id(claim_id: str) -> Claim:
    for claim in CATALOGUE:
        if claim.id == claim_id:
            return claim
    raise KeyError(claim_id)

"""Claims you can check: the catalogue, the counterexample search, and the same API for yours.

    from sim.claims import Claim, check_claim
    claim = Claim("my-claim", "never loses", ("sync-per-batch",), "no-loss", "holds")
    outcome = check_claim(claim, examples=50)
    assert outcome.matches, outcome.explain("counterexamples")

Imports are lazy so that `offsim` starts without loading hypothesis (docs/claims.md).
"""

from sim._lazy import lazy_exports

__all__ = [
    "CATALOGUE",
    "PROPERTIES",
    "Claim",
    "Counterexample",
    "Outcome",
    "SearchSpace",
    "UnreplayableError",
    "check_claim",
    "claim_by_id",
    "crash_points",
    "fault_schedules",
    "load_claims",
    "violation",
]

_EXPORTS = {
    "CATALOGUE": "sim.claims.catalogue",
    "PROPERTIES": "sim.claims.claim",
    "Claim": "sim.claims.claim",
    "claim_by_id": "sim.claims.catalogue",
    "violation": "sim.claims.claim",
    "SearchSpace": "sim.claims.claim",
    "Counterexample": "sim.claims.judge",
    "UnreplayableError": "sim.claims.judge",
    "load_claims": "sim.claims.load",
    "Outcome": "sim.claims.search",
    "check_claim": "sim.claims.search",
    "crash_points": "sim.claims.exhaustive",
    "fault_schedules": "sim.claims.faults",
}


__getattr__ = lazy_exports("sim.claims", _EXPORTS)

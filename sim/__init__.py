"""offsim: a deterministic simulator of Kafka consumer delivery semantics under failure."""

from sim._lazy import lazy_exports

__version__ = "0.5.0"

__all__ = [
    "Claim",
    "Outcome",
    "RunResult",
    "ScenarioError",
    "check_claim",
    "compare",
    "fault_schedules",
    "load_scenario",
    "run",
    "__version__",
]

_EXPORTS = {
    "RunResult": "sim.api",
    "compare": "sim.sweep.compare",
    "run": "sim.api",
    "ScenarioError": "sim.scenario",
    "load_scenario": "sim.scenario",
    "Claim": "sim.claims",
    "Outcome": "sim.claims",
    "check_claim": "sim.claims",
    "fault_schedules": "sim.claims",
}


__getattr__ = lazy_exports("sim", _EXPORTS)

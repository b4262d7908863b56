"""offsim: a deterministic simulator of Kafka consumer delivery semantics under failure."""

__version__ = "0.1.0"

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
    "compare": "sim.api",
    "run": "sim.api",
    "ScenarioError": "sim.scenario",
    "load_scenario": "sim.scenario",
    "Claim": "sim.claims",
    "Outcome": "sim.claims",
    "check_claim": "sim.claims",
    "fault_schedules": "sim.claims",
}


def __getattr__(name):
    """Import the public API on first use, so `import sim.model` stays light."""
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")

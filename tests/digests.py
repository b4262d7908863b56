"""The digest registry: the trace digest of every shipped scenario under every strategy, at seed 1.

`tests/digests.json` is committed; `tests/test_digests.py` compares it with fresh runs, so a change
of behaviour is a visible diff in review. After a deliberate change, regenerate it with
`python -m tests.digests`, bump `sim.__version__`, regenerate `reports/` and the notebooks, and say
why in `CHANGELOG.md`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sim import __version__, load_scenario, run
from sim.scenario.shipped import SHIPPED
from sim.strategies import STRATEGY_NAMES, strategy_class

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = ROOT / "tests" / "digests.json"
SEED = 1


def scenario_paths() -> list[Path]:
    return sorted(SHIPPED.glob("*.toml"))


def digests_of(path: Path) -> dict[str, str]:
    scenario = load_scenario(path)
    return {
        name: run(scenario, seed=SEED, strategy=name).summary()["trace_digest"]
        for name in STRATEGY_NAMES
        if not strategy_class(name).unsupported(scenario)
    }


def compute() -> dict:
    return {
        "offsim_version": __version__,
        "seed": SEED,
        "digests": {path.stem: digests_of(path) for path in scenario_paths()},
    }


def main() -> int:
    REGISTRY.write_text(json.dumps(compute(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {REGISTRY.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

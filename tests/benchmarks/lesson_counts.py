"""Every shipped lesson's loss and duplicate counts, and trace digests, for a before/after check
of a change that may move digests but must not change what the lessons teach: each shipped
scenario at seeds 1-3 under its own strategy, and at seed 1 under every strategy.

    python tests/benchmarks/lesson_counts.py write before.json   # on the code before
    python tests/benchmarks/lesson_counts.py write after.json    # on the code after
    python tests/benchmarks/lesson_counts.py compare before.json after.json

`compare` prints every count that changed (each must be explained as a model fix) and how many
digests moved; it exits 1 when a count changed.
"""

from __future__ import annotations

import json
import sys

from sim import load_scenario, run
from sim.scenario.shipped import SHIPPED
from sim.strategies import STRATEGY_NAMES

COUNTS = ("lost", "duplicated_records", "duplicate_effects", "lost_effects", "quiesced")


def counts() -> dict[str, dict]:
    out = {}
    for path in sorted(SHIPPED.glob("*.toml")):
        scenario = load_scenario(path)
        runs = [("own", seed) for seed in (1, 2, 3)] + [(name, 1) for name in STRATEGY_NAMES]
        for strategy, seed in runs:
            chosen = None if strategy == "own" else strategy
            summary = run(scenario, seed=seed, strategy=chosen).summary()
            keep = (*COUNTS, "trace_digest")
            out[f"{path.stem}/{strategy}/{seed}"] = {k: summary[k] for k in keep}
    return out


def compare(before: dict, after: dict) -> int:
    changed = 0
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if old is None or new is None:
            print(f"{key}: only {'after' if old is None else 'before'}")
            changed += 1
            continue
        for field in COUNTS:
            if old[field] != new[field]:
                print(f"{key}: {field} {old[field]} -> {new[field]}")
                changed += 1
    moved = sum(
        before[k]["trace_digest"] != after[k]["trace_digest"] for k in before.keys() & after.keys()
    )
    print(f"{len(before)} runs: {changed} count changes, {moved} digests moved")
    return 1 if changed else 0


def main() -> int:
    if sys.argv[1:2] == ["write"] and len(sys.argv) == 3:
        with open(sys.argv[2], "w") as f:
            json.dump(counts(), f, indent=1, sort_keys=True)
        return 0
    if sys.argv[1:2] == ["compare"] and len(sys.argv) == 4:
        with open(sys.argv[2]) as a, open(sys.argv[3]) as b:
            return compare(json.load(a), json.load(b))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

"""Every shipped scenario under every strategy at seed 1 gives the digest the registry records.

A failure here is a change of behaviour. If it is deliberate: `python -m tests.digests`, bump
`sim.__version__`, regenerate `reports/` and the notebooks, and say why in `CHANGELOG.md`.
"""

import json

import pytest

from sim import __version__
from tests.digests import REGISTRY, SEED, digests_of, scenario_paths

RECORDED = json.loads(REGISTRY.read_text())


def test_registry_lists_every_shipped_scenario_at_this_version():
    assert sorted(RECORDED["digests"]) == sorted(p.stem for p in scenario_paths())
    assert RECORDED["seed"] == SEED
    assert RECORDED["offsim_version"] == __version__, (
        "digests changed without a version bump, or the version was bumped without regenerating"
    )


@pytest.mark.parametrize("path", scenario_paths(), ids=lambda p: p.stem)
def test_digests_match_the_registry(path):
    assert digests_of(path) == RECORDED["digests"][path.stem], (
        f"{path.stem}: behaviour changed; see tests/digests.py for what a deliberate change needs"
    )

"""Async processing combined with the other group models: shipped scenarios that restart,
rebalance and reassign, run with a worker queue under the cooperative protocol and with static
membership, must drain and pass every cross-check (docs/model.md, Asynchronous processing)."""

import pytest

from sim import load_scenario, run

VARIANTS = {
    "cooperative": {"protocol": "cooperative", "assignor": "cooperative-sticky"},
    "static": {"static_membership": True},
}
SCENARIOS = ("rolling-restart", "cooperative-window-redelivery", "latest-skips-preloaded")
STRATEGIES = ("auto", "async-worker-commit-completed")


def async_run(name, variant, strategy):
    s = load_scenario(name)
    s = s.replace(consumer={"processing": "async"}, group=VARIANTS[variant])
    return run(s, strategy=strategy)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("name", SCENARIOS)
def test_async_processing_drains_with_every_group_model(name, variant, strategy):
    result = async_run(name, variant, strategy)
    assert result.ok and result.report.metrics.quiesced


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_completed_frontier_loses_nothing_across_restarts_and_rebalances(variant):
    """Committing what the worker completed, and waiting for it on revoke and close, loses
    nothing however the group hands partitions around."""
    result = async_run("rolling-restart", variant, "async-worker-commit-completed")
    assert result.ok and result.summary()["lost"] == 0

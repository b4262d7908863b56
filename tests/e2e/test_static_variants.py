"""Shipped scenarios under static membership variants end well: every cross-check holds and the
group drains (the robustness matrix found a failover that lost the instance-id map, and a closed
static member the coordinator never expired)."""

import pytest

from sim import load_scenario, run

VARIANTS = {
    "static": {"group": {"static_membership": True}},
    "coop+static": {
        "group": {
            "protocol": "cooperative",
            "assignor": "cooperative-sticky",
            "static_membership": True,
        }
    },
    "librdkafka+static": {
        "consumer": {"client": "librdkafka"},
        "group": {"static_membership": True},
    },
}


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", ["coordinator-failover", "production-like", "rolling-restart"])
def test_scenario_under_static_variant_is_ok(name, variant):
    s = load_scenario(name).replace(**VARIANTS[variant])
    result = run(s)
    assert result.ok, (result.report.metrics.quiesced, result.report.failures)

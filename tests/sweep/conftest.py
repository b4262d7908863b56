"""A tiny sweep (2 x 2 grid, 2 strategies, 2 seeds: 16 runs of a few ms) written to a temporary
directory, for every test of the sweep package."""

import pytest

BASE = """
name = "tiny-base"
[run]
duration_ms = 10_000
[broker]
initial_rebalance_delay_ms = 0
[topic]
partitions = 2
initial_records = 10_000
[group]
consumers = 2
session_timeout_ms = 6_000
heartbeat_interval_ms = 2_000
[strategy]
name = "auto"
[[faults]]
kind = "crash"
consumer = "random"
rate_per_min = 20.0
restart_after_ms = 1_000
"""

SWEEP = """
name = "tiny"
base = "base.toml"
strategies = ["auto", "sync-per-batch"]
seeds = 2
first_seed = 3
[parameters]
"strategy.auto_commit_interval_ms" = [500, 2_000]
"faults[0].rate_per_min" = { from = 10.0, to = 20.0, step = 10.0 }
"""


@pytest.fixture
def write_sweep(tmp_path):
    """Write the base scenario and a sweep file (the tiny one, or `text`); return the sweep path."""

    def write(text: str = SWEEP):
        (tmp_path / "base.toml").write_text(BASE)
        path = tmp_path / "sweep.toml"
        path.write_text(text)
        return path

    return write


@pytest.fixture
def tiny(write_sweep):
    from sim.sweep.spec import load_sweep

    return load_sweep(write_sweep())

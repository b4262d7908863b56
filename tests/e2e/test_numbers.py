"""The numbers users ask for, through the command line: one unit per quantity, lag and latency,
intervals that respect the quantity, and strategies that repeat each other marked."""

import json

import pytest


@pytest.fixture(scope="module")
def crash_rows(request):
    from .conftest import offsim

    proc = offsim("compare", "crash-mid-batch", "--seeds", "3", "--json", check=True)
    return {row["strategy"]: row for row in json.loads(proc.stdout)}


def test_a_ghost_member_stalls_the_whole_group_for_about_forty_seconds(cli):
    """The crashed member's session (45 s) outlasts its restart (5 s): the eager group revokes
    everything and waits for the ghost to expire. The group stands still 38 s; its six
    partitions are down 242 partition-seconds (the crashed member's two from the crash)."""
    out = json.loads(cli("run", "ghost-member-stall", "--json", check=True).stdout)
    assert 35_000 <= out["group_stall_ms"] <= 45_000
    assert 6 * 35_000 <= out["rebalance_downtime_ms"] <= 6 * 45_000
    # 500 records/s over six partitions kept arriving while nobody committed.
    assert out["lag_records_max"] > 500 / 6 * 35


def test_the_run_table_names_the_unit_of_every_duration_and_shows_lag_per_partition(cli):
    text = cli("run", "ghost-member-stall", check=True).stdout
    assert "rebalance downtime (partition-s)" in text and "group stall (s)" in text
    assert "simulated time (s)" in text and "(ms)" not in text
    assert "PARTITION  LOG-END-OFFSET  CURRENT-OFFSET  LAG" in text


def test_run_json_has_lag_per_partition_and_latency(cli):
    out = json.loads(cli("run", "crash-mid-batch", "--json", check=True).stdout)
    lags = out["lag_by_partition"]
    assert [lag["partition"] for lag in lags] == list(range(6))
    assert all(
        lag["lag_records"] == lag["log_end_offset"] - lag["committed_offset"] for lag in lags
    )
    assert 0 < out["latency_p50_ms"] <= out["latency_p99_ms"] <= out["latency_max_ms"]
    assert out["live_latency_p50_ms"] is None  # every record was pre-loaded


def test_compare_intervals_never_run_below_zero(crash_rows):
    for row in crash_rows.values():
        for field in ("lost", "duplicated_records", "group_stall_ms", "lag_records_mean"):
            cell = row[field]
            assert 0 <= cell["min"] <= cell["low"] <= cell["mean"] <= cell["high"] <= cell["max"]


def test_compare_marks_a_strategy_that_repeats_another_under_the_java_client(crash_rows):
    same = crash_rows["auto-store-after-process"]
    assert same["identical_to"] == "auto" and "Java client" in same["identical_why"]
    assert same["trace_digests"] == crash_rows["auto"]["trace_digests"]
    assert crash_rows["auto"]["identical_to"] is None


def test_the_compare_table_folds_identical_strategies_and_says_why(cli):
    text = cli(
        "compare", "crash-mid-batch", "--seeds", "2",
        "--strategies", "auto,sync-per-batch,auto-store-after-process", check=True,
    ).stdout  # fmt: skip
    assert "  = auto-store-after-process" in text
    assert "auto-store-after-process = auto: the same trace on every seed" in text
    assert "downtime partition-s" in text and "group stall s" in text and "±" not in text

"""Every shipped scenario through the command line, with the lesson it teaches."""

import json

import pytest

from sim.scenario.shipped import shipped_files
from sim.strategies import STRATEGY_NAMES

from .conftest import SCENARIOS

RUN_FIELDS = (
    "scenario strategy seed produced effects unique_processed lost duplicated_records "
    "duplicate_effects concurrent_duplicates offset_regressions over_commits commits "
    "failed_commits rebalances crashes rebalance_downtime_ms records_per_sim_s sim_time_ms "
    "events trace_digest"
).split()


def run_json(cli, scenario, *args):
    proc = cli("run", scenario, "--json", *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_scenario_runs_with_the_documented_fields_and_cross_checks(cli, path):
    """`offsim run --json` reports every field docs/metrics.md defines and the cross-checks hold."""
    out = run_json(cli, path)
    missing = [f for f in RUN_FIELDS if f not in out]
    assert not missing
    assert out["cross_checks_ok"] and out["quiesced"]
    assert out["unique_processed"] + out["lost"] == out["produced"]


def test_the_table_names_what_was_lost(cli):
    """Without --json, a readable table with the counts and the anomalies' stories."""
    proc = cli("run", "commit-before-process-loss")
    assert proc.returncode == 0, proc.stderr
    assert "lost" in proc.stdout and "commit-before-process" in proc.stdout


LESSONS = {
    # scenario: (strategy or None, expect loss, expect duplicates)
    "crash-mid-batch": (None, False, True),
    "async-masked-failure": (None, False, True),
    "commit-before-process-loss": (None, True, False),
    "off-by-one-restart": (None, False, True),
    "finally-commit-poison": (None, True, False),
    "auto-commit-crash": (None, False, True),
    "zombie-poll-timeout": (None, False, True),
    "static-zombie-poll-timeout": (None, False, True),
    "gc-pause": (None, False, True),
    "network-cut": (None, False, True),
    "async-processing-auto-loss": (None, True, False),
    "async-processing-completed-commit": (None, False, True),
    "librdkafka-auto-crash": (None, True, False),
    "librdkafka-queued-commit": (None, True, False),
    "java-new-consumer-autocommit": (None, True, False),
    "async-retry-regression": (None, False, False),
    "coordinator-failover": (None, False, False),
    "rolling-restart": (None, False, False),
    "latest-skips-preloaded": (None, True, False),
    "offsets-expire": (None, False, True),
    "cooperative-window-redelivery": (None, False, True),
    "static-restart": (None, False, False),
    "static-restart-after-session": (None, False, False),
    "idempotent-sink-redelivery": (None, False, True),  # processed twice, one effect each
    "external-offsets-zombie": (None, False, True),  # the zombie's writes refused
    # KIP-848 (group.protocol = "consumer"): tests/e2e/test_kip848_lessons.py checks each lesson
    "kip848-slow-member-join": (None, False, False),
    "kip848-crash": (None, False, False),
    "kip848-auto-commit-on-revoke": (None, False, False),
    "kip848-commit-before-process-crash": (None, True, False),
    "kip848-zombie-poll-timeout": (None, False, True),
    "kip848-librdkafka-zombie": (None, False, False),
    "kip848-static-crash-restart": (None, False, False),
    "kip848-stale-epoch-commit": (None, False, False),
    "transactional-crash-in-commit": (None, False, True),  # aborted, read again, shown once
    "read-uncommitted-sees-aborted": (None, False, True),  # the aborted results shown too
    "transactional-zombie-fenced": (None, False, True),  # the zombie's transaction aborted
}


@pytest.mark.parametrize("name", sorted(LESSONS))
def test_each_lesson_shows_its_anomaly(cli, name):
    """Each scenario teaches one thing: loss, duplicates, or both absent."""
    strategy, loses, duplicates = LESSONS[name]
    out = run_json(cli, name)
    assert (out["lost"] > 0) == loses
    assert (out["duplicated_records"] > 0) == duplicates


def test_the_processed_variant_of_the_finally_pattern_loses_nothing(cli):
    """Committing processed offsets in `finally` fixes the seed's combined pattern."""
    out = run_json(cli, "finally-commit-poison", "--strategy", "async-then-sync-processed")
    assert out["lost"] == 0


def test_librdkafka_storing_after_processing_loses_nothing(cli):
    """The twin of librdkafka-auto-crash: offsets stored after processing, the timer commits
    only processed records, and the crash re-processes instead of losing."""
    out = run_json(cli, "librdkafka-auto-crash", "--strategy", "auto-store-after-process")
    assert out["lost"] == 0 and out["duplicated_records"] > 0


def test_librdkafka_explicit_offsets_or_the_java_client_lose_nothing_to_the_queued_commit(cli):
    """The twins of librdkafka-queued-commit: an async commit of explicit offsets, or Java's
    commitAsync() (positions read at the call), commit nothing unprocessed; the crash only
    re-processes."""
    out = run_json(cli, "librdkafka-queued-commit", "--strategy", "async-per-batch")
    assert out["lost"] == 0 and out["duplicated_records"] > 0


def test_a_ghost_member_stalls_its_partitions_until_its_session_expires(cli):
    """The crashed member's session (45 s) minus the restart delay (5 s): the whole eager group
    waits, so all six partitions are down for about 40 s."""
    out = run_json(cli, "ghost-member-stall")
    assert out["rebalance_downtime_ms"] >= 6 * 35_000
    assert out["lost"] == 0


def test_a_blind_async_retry_moves_a_committed_offset_back(cli):
    """The naive callback retry lands after a newer commit; the sequence-number retry does not."""
    assert run_json(cli, "async-retry-regression")["offset_regressions"] > 0
    out = run_json(cli, "async-retry-regression", "--strategy", "async-retry-seq")
    assert out["offset_regressions"] == 0


def test_async_commits_failing_in_a_failover_rebalance_duplicate(cli):
    """The last async commit before the revocation failed, so the new owners start earlier;
    commitSync retried until the coordinator was back and lost nothing to the rebalance."""
    out = run_json(cli, "coordinator-failover", "--strategy", "async-per-batch")
    assert out["duplicated_records"] > 0 and out["lost"] == 0


def test_compare_lists_every_strategy_with_intervals(cli):
    """`compare --json` aggregates each strategy over seeds (mean and 95% interval)."""
    proc = cli("compare", "crash-mid-batch", "--seeds", "2", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [r["strategy"] for r in rows][:2] == ["auto", "sync-per-batch"]
    lost = rows[1]["lost"]
    assert lost["low"] <= lost["mean"] <= lost["high"]
    table = cli("compare", "crash-mid-batch", "--seeds", "2", "--strategies", "auto,off-by-one")
    assert table.returncode == 0 and "off-by-one" in table.stdout


def test_strategies_and_scenarios_list_one_line_each(cli):
    strategies = cli("strategies", check=True).stdout.strip().splitlines()
    assert len(strategies) == len(STRATEGY_NAMES) and strategies[0].startswith("auto")
    scenarios = cli("scenarios", check=True).stdout.strip().splitlines()
    assert len(scenarios) == len(shipped_files())

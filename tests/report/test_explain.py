"""`offsim explain` names the cause of each shipped scenario's anomaly in plain words."""

import pytest

from sim import load_scenario, run
from sim.report.explain import Storyteller, explain_lines, parse_record
from sim.usage import UsageError
from tests.e2e.conftest import offsim


def story(name: str, **kwargs) -> str:
    scenario = load_scenario(name)
    result = run(scenario, **kwargs)
    return " ".join(" ".join(explain_lines(result.report, scenario)).split())


def test_crash_mid_batch_duplicates_come_from_the_crash_and_the_committed_offset():
    """The processor crashed before committing; the new owner resumed from the last commit."""
    text = story("crash-mid-batch")
    assert "p0:1000 was processed twice" in text
    assert "consumer-0-0 (generation 1) processed it" in text
    assert "it crashed at 8.627 s before any commit covered it" in text
    assert "consumer-0-1 (generation 2) resumed p0 from the committed offset 1000" in text


def test_finally_commit_poison_loses_what_the_finally_commit_of_positions_covered():
    """The poison record, then commitSync of the positions in `finally` past unprocessed ones."""
    text = story("finally-commit-poison")
    assert "p2:1100 was lost" in text
    assert "a processing-error fault hit it" in text
    assert "in `finally`, its sync commit of 1500 (its position" in text
    assert "covered 1100, which had not been processed" in text


def test_the_fixed_strategy_has_no_story_to_tell():
    """async-then-sync-processed on the same poison record: nothing lost, nothing doubled."""
    text = story("finally-commit-poison", strategy="async-then-sync-processed")
    assert "no anomaly" in text


def test_commit_before_process_loses_what_the_early_commit_covered_at_the_crash():
    """The commit of the batch end lands before processing; a crash; the next owner skips."""
    text = story("commit-before-process-loss")
    assert "p4:1620 was lost" in text
    assert "before processing the batch, its sync commit of 2000" in text
    assert "it crashed at" in text
    assert "resumed p4 from the committed offset 2000" in text and "never read again" in text


def test_async_masked_failure_duplicates_follow_failed_async_commits_and_a_crash():
    """Failed async commits, never retried, then a crash: the new owner resumes far back. The
    three groups with that cause are told once."""
    text = story("async-masked-failure")
    assert "0:500..999, 0:1000..1499, 0:1500..1999 (1,500 records, 3 groups)" in text
    assert "async commits covering it (1000, 1500, 2000) all failed with " in text
    assert "COORDINATOR_NOT_AVAILABLE" in text
    assert "resumed p0 from the committed offset 500" in text


def test_a_record_without_anomaly_is_processed_once():
    """--record on a clean record says who processed it."""
    scenario = load_scenario("crash-mid-batch")
    result = run(scenario)
    teller = Storyteller(result.report.history, scenario.group.session_timeout_ms)
    _, words = teller.record(3, 5)
    assert words.startswith("p3:5 was processed once: consumer-1-0 (generation 1)")


@pytest.mark.parametrize("text", ["x", "2", "2:", "-1:4", "2:4:5"])
def test_bad_record_syntax_is_refused(text):
    with pytest.raises(UsageError, match="expected PARTITION:OFFSET"):
        parse_record(text)


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ("oops", "--record 'oops': expected PARTITION:OFFSET"),
        ("6:0", "--record 6:0: partition must be in 0..5"),
        ("1:2000", "--record 1:2000: offset of partition 1 must be in 0..1999"),
    ],
)
def test_cli_bad_record_exits_2_with_one_line(record, message):
    """Bad syntax or a record outside the log: one line naming the argument, exit 2."""
    proc = offsim("explain", "crash-mid-batch", "--record", record)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"offsim: {message}")
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


def test_cli_explains_one_record():
    proc = offsim("explain", "crash-mid-batch", "--record", "0:1000", check=True)
    assert "p0:1000 was processed twice" in proc.stdout

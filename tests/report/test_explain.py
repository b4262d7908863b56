"""`offsim explain` names the cause of each shipped scenario's anomaly in plain words."""

import pytest

from sim import load_scenario, run
from sim.cli.explain import parse_record
from sim.cli.usage import UsageError
from sim.ledger import Commit
from sim.report.explain import explain_lines, stories
from sim.report.storyteller import Storyteller
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
    checker's three groups (cut at batch boundaries) with that cause are one range, told once."""
    text = story("async-masked-failure")
    assert "0:500..1999 (1,500 records) p0:500 was processed twice" in text
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


def test_one_paragraph_per_cause_whatever_the_batches_and_partitions():
    """ghost-member-stall under auto commit: the crash of consumer-1-0 doubles 650 records of
    p2 and p3 in many small batches; that is one cause, told once, with both ranges, and no
    record is left "not examined"."""
    text = story("ghost-member-stall", strategy="auto")
    assert "duplicate: 650 (1 cause) 2:1838..2162, 3:1837..2161 (650 records)" in text
    assert "not examined" not in text and "groups" not in text


def test_a_concurrent_duplicate_says_two_members_processed_at_once_and_why():
    """gc-pause: the paused member still held p1 when the group gave it to the other. The
    concurrent story names both members, the pause, the hand-over and when the zombie learned;
    the duplicate section points to it instead of repeating a paragraph."""
    scenario = load_scenario("gc-pause")
    sections = {s.kind: s for s in stories(run(scenario).report, scenario)}
    (duplicate,), (concurrent,) = (
        sections["duplicate"].causes,
        sections["concurrent-duplicate"].causes,
    )
    assert duplicate.words != concurrent.words
    assert "concurrent-duplicate story below" in duplicate.words
    words = concurrent.words
    assert words.startswith("p1:500 was processed by two members at once: consumer-0-0 (generation")
    assert "consumer-0-0's whole process paused for 15000 ms" in words
    assert "the group gave p1 to consumer-1-0 in generation 2" in words
    assert "consumer-0-0 learned it had lost p1 only at 23.072 s (lost)" in words


def test_a_stalled_zombie_story_names_the_stall_and_the_poll_timeout():
    text = story("zombie-poll-timeout")
    assert "by two members at once" in text and "poll loop stalled" in text
    assert "max.poll.interval.ms ran out" in text


def test_the_cooperative_story_names_the_rebalance_window():
    """cooperative-window-redelivery: the records were processed while the group rebalanced,
    poll() returning records, and the revocation committed nothing for them."""
    text = story("cooperative-window-redelivery")
    assert (
        "consumer-1-0 (generation 1) processed it at 22.410 s; that was inside the rebalance "
        "window (the group rebalanced from generation 2 between 21.148 s and 24.150 s" in text
    )
    assert "ended (revoked) at 24.341 s with no commit covering it" in text


def test_each_error_is_named_once_and_an_unknown_outcome_is_not_an_error_code():
    """Commits that failed differently: each code once, with its count; a lost connection's
    unknown outcome in words (UNKNOWN is no Kafka error code)."""
    scenario = load_scenario("crash-mid-batch")
    teller = Storyteller(run(scenario).report.history, 10_000)

    def commit(offset, outcome, kind="async"):
        return Commit(1, 0, 1, ((0, offset),), kind, 1, 0, outcome=outcome)

    phrase = teller.commits_phrase(
        [commit(10, "UNKNOWN"), commit(20, "UNKNOWN_MEMBER_ID"), commit(30, "UNKNOWN_MEMBER_ID")], 0
    )
    assert phrase == (
        "its 3 async commits covering it (10, 20, 30): 2 failed with UNKNOWN_MEMBER_ID, 1 had an "
        "unknown outcome (its connection failed with the request in flight)"
    )
    assert teller.commits_phrase([commit(10, "ILLEGAL_GENERATION", "sync")], 0) == (
        "its sync commit of 10 failed with ILLEGAL_GENERATION"
    )
    same = teller.commits_phrase([commit(10, "NOT_COORDINATOR"), commit(20, "NOT_COORDINATOR")], 0)
    assert same.count("NOT_COORDINATOR") == 1


def test_run_prints_the_stories_and_no_reference_to_json_groups():
    """`offsim run` tells causes, as explain does; the JSON has no groups, so no pointer to it."""
    proc = offsim("run", "ghost-member-stall", "--strategy", "auto", check=True)
    assert "duplicate: 650 (1 cause)" in proc.stdout
    assert "--json" not in proc.stdout and "groups" not in proc.stdout

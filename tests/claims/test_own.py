"""A team's own claims, scenarios and strategies: a claim over one's own scenario file, claims
files for `offsim check --claims`, and strategy classes named by import path (docs/claims.md,
docs/strategies.md)."""

import contextlib
import io
import json
from xml.etree import ElementTree

import pytest

from sim import Claim, check_claim, load_scenario, run
from sim.claims import UnreplayableError
from sim.claims.load import load_claims
from sim.cli import main
from sim.scenario import ScenarioError
from sim.strategies.base import CommitSync, Strategy

OURS = """
description = "Our consumer group: three members, a crash a minute, some commit errors."
[run]
duration_ms = 20_000
[topic]
partitions = 6
initial_records = 1_800
[group]
consumers = 3
session_timeout_ms = 6_000
heartbeat_interval_ms = 2_000
[consumer]
max_poll_records = 100
[[faults]]
kind = "crash"
consumer = "random"
rate_per_min = 1.0
restart_after_ms = 2_000
[[faults]]
kind = "commit-error"
error = "COORDINATOR_LOAD_IN_PROGRESS"
from_ms = 5_000
to_ms = 6_000
"""

CLAIMS = """
[[claims]]
id = "ours-never-loses"
statement = "Our consumer loses no record under crashes and commit errors"
base = "ours.toml"
strategies = ["sync-per-batch"]
property = "no-loss"
expected = "holds"

[[claims]]
id = "ours-skipping-ahead-never-loses"
statement = "Committing the batch end before processing it loses nothing"
base = "ours.toml"
strategies = ["tests.claims.test_own:SkipsAhead"]
property = "no-loss"
expected = "holds"
"""


class SkipsAhead(Strategy):
    """A strategy of one's own with a loss planted: the batch end is committed before the batch
    is processed."""

    name = "skips-ahead"

    def before_process(self, consumer, batch):
        return [CommitSync(batch.next_offsets)]


def ours(tmp_path, text=OURS):
    path = tmp_path / "ours.toml"
    path.write_text(text)
    return path


def claim_over(base, strategies=("sync-per-batch",), **fields):
    return Claim(
        id="ours-never-loses",
        statement="Our consumer loses no record",
        strategies=strategies,
        property="no-loss",
        expected="holds",
        base=base,
        **fields,
    )


def check(*args) -> tuple[int, str]:
    """`offsim check ...` in this process: (exit code, stdout)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["check", *map(str, args)])
    return code, out.getvalue()


def test_a_claim_over_ones_own_scenario_searches_its_faults(tmp_path):
    """The base's fault kinds become the kinds a search draws, on its consumers, up to its poll
    size, from its initial rebalance delay to the end of its run."""
    space = claim_over(ours(tmp_path)).search_space()
    assert space.kinds == ("crash", "commit-error")
    assert (space.consumers, space.max_records) == (3, 100)
    assert (space.window_ms, space.max_faults) == ((3_000, 20_000), 3)


def test_the_claim_declares_the_bounds_of_the_search(tmp_path):
    """faults, window_ms and max_faults, when given, replace what the base implies."""
    claim = claim_over(ours(tmp_path), faults=("leave",), window_ms=(4_000, 9_000), max_faults=1)
    space = claim.search_space()
    assert (space.kinds, space.window_ms, space.max_faults) == (("leave",), (4_000, 9_000), 1)


def test_the_search_replaces_the_bases_faults_with_what_it_draws(tmp_path):
    """Every example is the base with a drawn schedule instead of its own faults, inside the
    bounds: a held claim is checked, a counterexample breaks it with faults of those kinds."""
    outcome = check_claim(claim_over(ours(tmp_path), strategies=(SkipsAhead,)), examples=20)
    assert outcome.verdict == "refuted"
    faults = outcome.counterexample.faults
    assert {f["kind"] for f in faults} <= {"crash", "commit-error"}
    assert all(f.get("consumer", 0) in (0, 1, 2, "random") for f in faults)
    assert check_claim(claim_over(ours(tmp_path)), examples=10).matches


def test_a_counterexample_names_its_strategy_by_import_path_and_replays_exactly(tmp_path):
    """The replay file records `module:Class`, and running it shows the very violation."""
    outcome = check_claim(claim_over(ours(tmp_path), strategies=(SkipsAhead,)), examples=20)
    example = outcome.counterexample
    assert example.scenario.strategy.name == f"{__name__}:SkipsAhead"
    path = example.write(tmp_path / "ce" / "ours.toml", "ours-never-loses")
    replayed = run(load_scenario(path)).summary()
    assert f"{replayed['lost']} records lost" == example.violation


def test_a_failed_claim_says_the_violation_its_witness_and_the_replay_file(tmp_path):
    """Three lines, led by the violation: not a scenario dump."""
    outcome = check_claim(claim_over(ours(tmp_path), strategies=(SkipsAhead,)), examples=20)
    first, witness, replay = outcome.explain(tmp_path / "ce").splitlines()
    assert first.startswith("ours-never-loses: counterexample found: ")
    assert first.split(": ", 2)[2].startswith("100 records lost (skips-ahead; crash (consumer 0")
    assert witness.startswith("  witness: lost ")
    assert (
        replay == f"  replay: offsim run {(tmp_path / 'ce' / 'ours-never-loses.toml').as_posix()}"
    )
    assert (tmp_path / "ce" / "ours-never-loses.toml").exists()


def test_a_class_no_import_path_reaches_gets_no_replay_file(tmp_path):
    """A class defined in a function cannot be named by a scenario file: the tool refuses to
    write one (rather than write one naming another strategy), and still replays it in-process."""

    class Local(SkipsAhead):
        name = "local"

    outcome = check_claim(claim_over(ours(tmp_path), strategies=(Local,)), examples=20)
    example = outcome.counterexample
    assert example.scenario is None
    with pytest.raises(UnreplayableError, match="no import path reaches"):
        example.toml()
    assert outcome.explain(tmp_path / "ce").endswith("define it in a module and name it "
                                                      "package.module:Class")  # fmt: skip
    assert not (tmp_path / "ce").exists()
    assert f"{example.replay().summary()['lost']} records lost" == example.violation


def test_a_claims_file_is_checked_with_its_failure_said_first(tmp_path):
    """`offsim check --claims FILE --out DIR --junit FILE`: a table, then each claim whose verdict
    is not the expected one, led by its violation; a replay file that reproduces it; a JUnit
    testcase per claim with the failure's message."""
    ours(tmp_path)
    (tmp_path / "claims.toml").write_text(CLAIMS)
    code, out = check("--claims", tmp_path / "claims.toml", "--examples", 15,
                      "--out", tmp_path / "ce", "--junit", tmp_path / "junit.xml")  # fmt: skip
    assert code == 1
    assert "  ours-never-loses  " in out and "! ours-skipping-ahead-never-loses" in out
    failure = out.split("\n\n")[-1].splitlines()
    assert failure[0].startswith("ours-skipping-ahead-never-loses: counterexample found: ")
    replay = load_scenario(tmp_path / "ce" / "ours-skipping-ahead-never-loses.toml")
    assert run(replay).summary()["lost"] > 0
    suite = ElementTree.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert list(cases) == ["ours-never-loses", "ours-skipping-ahead-never-loses"]
    assert suite.get("failures") == "1" and cases["ours-never-loses"].find("failure") is None
    message = cases["ours-skipping-ahead-never-loses"].find("failure").get("message")
    assert message.startswith("counterexample found: ") and "records lost" in message


def test_check_writes_nothing_unless_asked(tmp_path, monkeypatch):
    """No --out, --report or --junit: no file, anywhere (offsim report writes reports/)."""
    monkeypatch.chdir(tmp_path)
    code, out = check("--claim", "auto-can-duplicate", "--json")
    assert code == 0 and json.loads(out)[0]["counterexample"]["file"] is None
    assert list(tmp_path.iterdir()) == []


def test_check_takes_strategies_of_ones_own_by_import_path(tmp_path):
    """--strategies checks a catalogue claim over one's own class instead of its own."""
    code, out = check("--claim", "sync-per-batch-at-least-once", "--strategies",
                      f"{__name__}:SkipsAhead", "--json")  # fmt: skip
    (row,) = json.loads(out)
    strategy = row["counterexample"]["strategy"]
    assert (code, row["verdict"], strategy) == (1, "refuted", f"{__name__}:SkipsAhead")


def test_every_problem_of_a_claims_file_is_reported_at_once(tmp_path):
    """One line each, naming the file, the claim's field and what is allowed."""
    ours(tmp_path)
    bad = """
[[claims]]
id = "Not Kebab"
statement = ""
strategies = ["nope"]
property = "no-lots"
expected = "maybe"
faults = ["crash", "quake"]
window_ms = [5, 3]

[[claims]]
id = "fine"
statement = "x"
base = "ours.toml"
strategies = ["auto"]
property = "no-loss"
expected = "holds"
window_ms = [1_000, 30_000]

[[claims]]
id = "gone"
statement = "x"
base = "nowhere.toml"
strategies = ["auto"]
property = "no-loss"
expected = "holds"
"""
    (tmp_path / "claims.toml").write_text(bad)
    with pytest.raises(ScenarioError) as caught:
        load_claims(tmp_path / "claims.toml")
    lines = caught.value.lines
    assert all(line.startswith(f"{tmp_path / 'claims.toml'}: claims[") for line in lines)
    fields = [line.split(": ")[1] for line in lines]
    assert fields == [
        "claims[0].id",
        "claims[0].statement",
        "claims[0].strategies",
        "claims[0].property",
        "claims[0].expected",
        "claims[0].faults[1]",
        "claims[0].window_ms",
        "claims[1].window_ms",
        "claims[2].base",
    ]
    assert "30000 is after the end of the base's run (run.duration_ms = 20000)" in lines[7]

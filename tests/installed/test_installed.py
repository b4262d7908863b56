"""The issue's "Must show": every documented path works from `pip install` in any folder.

Each test runs the installed package (tests/installed/conftest.py) from a temporary folder: the
README's tour as written, the notebooks with `jupyter execute` from their folder and from `/`, a
user's own scenario, claims file and strategy class, and `--fail-on` in CI.
"""

import json
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.installed

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def readme_block(heading: str) -> list[str]:
    """The commands of the README's first bash block after `heading`, comments dropped."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", text[text.index(heading) :], re.S).group(1)
    lines = (re.sub(r"\s#.*", "", line).strip() for line in block.splitlines())
    return [line for line in lines if line]


def test_every_command_of_the_readme_tour_works_as_written(installed, empty):
    """Run in order from one empty folder (a sweep's --plot reads what the sweep before wrote);
    each exits 0, with no traceback, and the files they name are written there."""
    commands = readme_block("## A short tour")
    assert len(commands) >= 20 and all(c.startswith("offsim ") for c in commands)
    failed = []
    for command in commands:
        proc = installed.run(command, cwd=empty)
        if proc.returncode != 0 or "Traceback" in proc.stderr:
            failed.append(f"{command} -> exit {proc.returncode}: {proc.stderr[-600:]}")
    assert not failed, "\n".join(failed)
    written = {p.name for p in empty.iterdir()}
    expected = {"timeline.png", "run.jsonl", "compare.png", "counterexamples", "claims.xml"}
    assert expected | {"results.sqlite", "sweep.png"} <= written


def test_the_readmes_first_command_names_what_an_installed_offsim_runs(installed, empty):
    """`offsim compare production-like --seeds 5` after `pip install .` (what the fixture does),
    from elsewhere: the scenario is found and compared (here on one strategy and seed: the whole
    comparison is the tour's `compare` fourteen times over, and reports/comparison.md's)."""
    (first, _) = readme_block("# offsim")
    install, command = first.split(" && ")
    assert (install, command) == (
        "python3 -m pip install .",
        "offsim compare production-like --seeds 5",
    )
    proc = installed.run(command.replace("5", "1") + " --strategies auto", cwd=empty)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("production-like: 1 seeds; a cell: mean [95% bootstrap interval]")


def test_shipped_scenarios_are_listed_and_loaded_by_name_from_any_folder(installed, empty):
    """`offsim scenarios` one line each; `load_scenario("crash-mid-batch")` from Python."""
    listed = installed.run("offsim scenarios", cwd=empty).stdout.splitlines()
    names = [line.split()[0] for line in listed]
    assert "crash-mid-batch" in names and "sweeps/commit-interval" in names
    code = "from sim import load_scenario, run; print(run(load_scenario('crash-mid-batch')).ok)"
    proc = installed.run([installed.bin / "python", "-c", code], cwd=empty)
    assert proc.stdout.strip() == "True", proc.stderr


@pytest.mark.parametrize("where", ["notebooks", "/"])
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_executes_from_its_folder_and_from_root(installed, notebook, where):
    """`jupyter execute` exits 0: every cell ran without an error, loading its scenarios by name."""
    cwd = ROOT / "notebooks" if where == "notebooks" else Path("/")
    target = notebook.name if where == "notebooks" else notebook
    proc = installed.run(["jupyter", "execute", target], cwd=cwd)
    assert proc.returncode == 0, proc.stderr[-2000:]


STRATEGY = '''
from sim.strategies import CommitSync, Strategy


class CommitsFirst(Strategy):
    """Ours: commits the batch end before processing it (a loss waiting for a crash)."""

    name = "commits-first"

    def before_process(self, consumer, batch):
        return [CommitSync(batch.next_offsets)]
'''

WORKLOAD = """
[run]
duration_ms = 20_000
[topic]
partitions = 4
initial_records = 8_000
[group]
consumers = 2
session_timeout_ms = 6_000
heartbeat_interval_ms = 2_000
[consumer]
max_poll_records = 100
processing_ms = { dist = "exponential", mean = 5.0 }
[[faults]]
kind = "crash"
consumer = "random"
rate_per_min = 6.0
restart_after_ms = 2_000
"""

CLAIMS = """
[[claims]]
id = "sync-never-loses"
statement = "commitSync after each batch loses nothing on our workload"
base = "our-workload.toml"
strategies = ["sync-per-batch"]
property = "no-loss"
expected = "holds"

[[claims]]
id = "ours-never-loses"
statement = "Our consumer loses nothing on our workload"
base = "our-workload.toml"
strategies = ["ourapp:CommitsFirst"]
property = "no-loss"
expected = "holds"
"""


def test_a_users_own_scenario_claims_and_strategy(installed, empty):
    """Checked: the failing claim says its violation in one line, then its witness and a replay
    file, which `offsim run` reproduces; compared: the strategy beside the shipped ones."""
    (empty / "ourapp.py").write_text(STRATEGY)
    (empty / "our-workload.toml").write_text(WORKLOAD)
    (empty / "our-claims.toml").write_text(CLAIMS)
    check = installed.run(
        "offsim check --claims our-claims.toml --examples 20 --out ce --junit claims.xml",
        cwd=empty,
    )
    assert check.returncode == 1, check.stderr
    violation, witness, replay = check.stdout.split("\n\n")[-1].strip().splitlines()
    lost = int(re.match(r"ours-never-loses: counterexample found: (\d+) records lost \(ourapp:"
                        r"CommitsFirst; ", violation).group(1))  # fmt: skip
    assert witness.startswith("  witness: lost ")
    assert replay == "  replay: offsim run ce/ours-never-loses.toml"
    again = installed.run("offsim run ce/ours-never-loses.toml --json", cwd=empty)
    assert again.returncode == 0 and json.loads(again.stdout)["lost"] == lost
    suite = ElementTree.parse(empty / "claims.xml").getroot()
    assert [c.get("name") for c in suite.iter("testcase")] == ["sync-never-loses",
                                                               "ours-never-loses"]  # fmt: skip
    compare = installed.run(
        "offsim compare our-workload.toml --seeds 2 --json "
        "--strategies ourapp:CommitsFirst,sync-per-batch,auto",
        cwd=empty,
    )
    assert compare.returncode == 0, compare.stderr
    rows = {row["strategy"]: row for row in json.loads(compare.stdout)}
    assert list(rows) == ["ourapp:CommitsFirst", "sync-per-batch", "auto"]
    assert rows["ourapp:CommitsFirst"]["lost"]["mean"] > 0 == rows["sync-per-batch"]["lost"]["mean"]


def test_fail_on_exits_1_on_loss_saying_so_first(installed, empty):
    """For CI: a run that loses records fails the build, and its first line says why."""
    proc = installed.run("offsim run commit-before-process-loss --fail-on lost", cwd=empty)
    assert proc.returncode == 1
    assert re.fullmatch(r"failed \(--fail-on\): lost: [\d,]+ records lost",
                        proc.stdout.splitlines()[0])  # fmt: skip
    assert installed.run("offsim run crash-mid-batch --fail-on lost", cwd=empty).returncode == 0

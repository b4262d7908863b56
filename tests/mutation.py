"""Mutation testing of the model's rules: `python -m tests.mutation` (outside the default run).

Runs mutmut (`pip install -e '.[mutation]'`) over what `[tool.mutmut]` in pyproject.toml names
(the classic protocol's coordinator, the Java and librdkafka clients, the assignors and the
strategies), each mutant against the fast tests that reach it (`tests/model` and the fast engine
tests), and writes `reports/mutation.md`: the score, then every surviving mutant with its diff
and its verdict from `tests/mutation_verdicts.toml` (equivalent, and why; in our own machinery,
not a Kafka rule; or not judged yet), and the mutants that earlier runs left alive and a named
test now kills. It also breaks by hand each rule the review of issue 12 found unpinned or wrong
(`PLANTED`), in a copy of the project, and requires the test named after the rule to fail on an
assertion: a plant that does not compile or import, or a test that errors, is "plant broken",
never caught.

    python -m tests.mutation            # a fresh run (removes mutants/ first), then the report
    python -m tests.mutation --planted  # only the rules broken by hand (no mutmut needed)
    python -m tests.mutation --resume   # keep mutants/: test what changed, re-test survivors
    python -m tests.mutation --report   # only rewrite the report from mutants/
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
C = "sim/model/coordinator.py"
# The classic coordinator's parts (sim/model/classic_coordinator/): its join phase, its offsets.
CJ, CO = (f"sim/model/classic_coordinator/{m}.py" for m in ("join_phase", "offsets"))
# librdkafka's parts (sim/model/librdkafka_classic/): the rebalance, the thread's own rejoin.
LR, LT = (f"sim/model/librdkafka_classic/{m}.py" for m in ("rebalance", "thread_rejoin"))
# The Java classic client's parts (sim/model/java_classic/): its membership, commits, heartbeat.
JM, JC, JH = (f"sim/model/java_classic/{m}.py" for m in ("membership", "commits", "heartbeat"))
TC, TJ, TL = "tests/model/test_coordinator.py", "tests/model/test_consumer.py", "tests/model/"
# Rules the review found unpinned or wrong (issue 12), each broken by hand the way the review
# broke it: (rule, file, text, broken text, the test named after the rule that must fail); text
# and broken text may be tuples of several replacements, and then the file a tuple of their files.
PLANTED = (
    (
        "the coordinator checks the state before the generation",
        CO,
        '        if req.generation != self.generation:\n            return "ILLEGAL_GENERATION"\n'
        "        if self.state == COMPLETING_REBALANCE:\n"
        '            return "REBALANCE_IN_PROGRESS"\n',
        "        if self.state == COMPLETING_REBALANCE:\n"
        '            return "REBALANCE_IN_PROGRESS"\n'
        '        if req.generation != self.generation:\n            return "ILLEGAL_GENERATION"\n',
        f"{TC}::test_commit_checks_the_generation_before_the_state",
    ),
    (
        "close() never calls onPartitionsLost",
        JM,
        "yield from self.revoke(lost=self.state != STABLE)",
        "yield from self.revoke(lost=False)",
        f"{TJ}::test_close_after_a_reset_generation_calls_on_partitions_lost_and_sends_no_leave_group",
    ),
    (
        "no session reset on an accepted commit",
        CO,
        "        self._reset_deadline(now, self.members[req.member_id], out)\n        return out",
        "        return out",
        f"{TC}::test_an_accepted_commit_resets_the_member_s_session",
    ),
    (
        "close() runs the callbacks of commits completing after LeaveGroup",
        JM,
        "            yield Wait(deadline)\n",
        "            yield Wait(deadline)\n            yield from self.invoke_callbacks()\n",
        f"{TJ}::test_close_never_runs_the_callbacks_of_commits_completing_after_leave_group",
    ),
    (
        "a static member keeps its generation on poll timeout",
        JH,
        "        self._reset_generation(reset_member=True)\n        return sends",
        "        if self.instance_id is None:\n"
        "            self._reset_generation(reset_member=True)\n        return sends",
        "tests/model/test_liveness.py::"
        "test_a_static_member_s_poll_timeout_sends_nothing_but_resets_its_generation",
    ),
    (
        "librdkafka does not wait for outstanding commits before rejoining (rebalance callback)",
        LR,
        "            yield from self.revoke(lost=self.generation == NO_GENERATION)\n"
        "        yield from self._await_commits()\n\n    def revoke",
        "            yield from self.revoke(lost=self.generation == NO_GENERATION)\n"
        "\n    def revoke",
        f"{TL}test_librdkafka.py::test_the_rejoin_waits_for_outstanding_commits",
    ),
    (
        "librdkafka does not wait for outstanding commits before rejoining (its own thread)",
        LT,
        "            or self.open_ops\n",
        "",
        f"{TL}test_librdkafka.py::"
        "test_without_a_rebalance_callback_the_thread_revokes_mid_batch_and_rejoins_itself",
    ),
    (
        "the initial delay earns one window per member, not per window",
        (C, CJ),
        (
            "                self.new_member_joined = True\n",
            "            self.new_member_joined = False\n            out.append(",
        ),
        (
            "                self.new_member_joined += 1\n",
            "            self.new_member_joined -= 1\n            out.append(",
        ),
        f"{TC}::test_initial_delay_extends_once_per_window_not_once_per_member",
    ),
    (
        "librdkafka commits on revoke without auto commit (rebalance callback)",
        LR,
        "        if removed and not lost and self.strategy.auto_commit:\n"
        '            send = self._start_op(removed, kind="auto")',
        '        if removed and not lost:\n            send = self._start_op(removed, kind="auto")',
        f"{TL}test_librdkafka.py::test_revoke_commits_the_stored_offsets_only_with_auto_commit",
    ),
    (
        "librdkafka commits on revoke without auto commit (its own thread)",
        LT,
        "            if removed and not lost and self.strategy.auto_commit:\n"
        '                send = self._start_op(removed, "auto")',
        "            if removed and not lost:\n"
        '                send = self._start_op(removed, "auto")',
        f"{TL}test_librdkafka.py::"
        "test_librdkafka_thread_revoke_commits_stored_offsets_only_with_auto_commit",
    ),
    (
        "a static member keeps heartbeating after its poll timeout",
        "sim/engine/liveness.py",
        "\n                last = self._last_heartbeat(inst)\n"
        "                self._apply(self.coordinator.heartbeats_stopped(now, member_id, last))\n",
        "\n                last = self._last_heartbeat(inst)\n",
        "tests/engine/test_liveness.py::"
        "test_a_static_zombie_is_expired_one_session_after_its_heartbeats_stop",
    ),
    (
        "every member's session is reset when the group becomes stable",
        C,
        "                    m.sync_request = None\n"
        "                    self._reset_deadline(now, m, out)",
        "                    m.sync_request = None\n"
        "                self._reset_deadline(now, m, out)",
        f"{TC}::test_becoming_stable_resets_the_session_only_of_members_with_a_parked_sync",
    ),
    (
        "the initial delay's first window is capped by the rebalance timeout",
        CJ,
        "        delay = self.initial_rebalance_delay_us\n",
        "        delay = min(self.initial_rebalance_delay_us, self._rebalance_timeout_us())\n",
        f"{TC}::test_initial_delay_first_window_is_full_even_past_the_rebalance_timeout",
    ),
    (
        "a stale commit error skips the generation reset in COMPLETING_REBALANCE too",
        JC,
        "            if unchanged or self.state != PREPARING_REBALANCE:",
        "            if unchanged or self.state not in "
        "(PREPARING_REBALANCE, COMPLETING_REBALANCE):",
        f"{TJ}::test_a_stale_commit_error_while_completing_rebalance_resets_the_generation",
    ),
    (
        "FENCED_INSTANCE_ID on a commit is always fatal",
        JC,
        "            if unchanged:\n                self.failed = True",
        "            if True:\n                self.failed = True",
        f"{TJ}::test_fenced_instance_id_is_fatal_only_if_the_generation_is_unchanged",
    ),
    (
        "commitAsync is sent while the coordinator is unknown",
        JC,
        "        if not self.coordinator_known:\n"
        "            self.pending_async.append((offsets, self.commit_sequence, kind))\n"
        "            return\n",
        "",
        "tests/model/test_async_commit_lookup.py::"
        "test_classic_commit_async_waits_for_the_lookup_while_the_coordinator_is_unknown",
    ),
    (
        "a refused consumer group heartbeat keeps the member's session alive",
        "sim/model/consumer_group/coordinator.py",
        "                *self.heartbeats_stopped(now, req.member_id, last),\n",
        "",
        "tests/model/test_consumer_group_coordinator.py::"
        "test_refused_heartbeats_do_not_refresh_the_session_so_the_refused_rejoin_ends",
    ),
)
MUTANTS = ROOT / "mutants"
VERDICTS = ROOT / "tests" / "mutation_verdicts.toml"
REPORT = ROOT / "reports" / "mutation.md"

# mutmut's exit codes per mutant (mutmut/stats.py), folded into what the report counts.
KILLED, SURVIVED, NO_TESTS, TIMEOUT = "killed", "survived", "no tests", "timeout"
STATUS = {1: KILLED, 3: KILLED, 0: SURVIVED, 5: NO_TESTS, 33: NO_TESTS}
STATUS.update(dict.fromkeys((36, -24, 24, 152, 255), TIMEOUT))


def status(exit_code: int | None) -> str:
    if exit_code is None:
        return "not checked"
    return STATUS.get(exit_code, "suspicious")


def mutmut(*args: str) -> int:
    return subprocess.call([sys.executable, "-m", "mutmut", *args], cwd=ROOT)


def results() -> dict[str, tuple[str, str]]:
    """{mutant name: (source path, status)} from mutmut's per-file metadata."""
    found = {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        source = meta.relative_to(MUTANTS).as_posix().removesuffix(".meta")
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            found[name] = (source, status(code))
    return found


def diff(name: str, source: str) -> str:
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    lines = get_diff_for_mutant(name, path=source).splitlines()
    return "\n".join(line for line in lines if not line.startswith(("---", "+++")))


CAUGHT, MISSED, BROKEN = "caught", "not caught", "plant broken"


def planted(rules=PLANTED) -> list[tuple[str, str, str]]:
    """Break each rule in a copy of the project and run its test there: [(rule, test, verdict)],
    the verdict `verdict`'s. The copy's `sim` is imported before the installed one (pytest puts
    the copy's root first on sys.path)."""
    outcome = []
    with tempfile.TemporaryDirectory() as tmp:
        for rule, path, text, broken, test in rules:
            copy = Path(tmp) / "copy"
            shutil.rmtree(copy, ignore_errors=True)
            for part in ("sim", "tests", "scenarios"):
                src = ROOT / part
                if src.is_symlink():
                    (copy / part).symlink_to(os.readlink(src))
                else:
                    shutil.copytree(src, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
            shutil.copy(ROOT / "pyproject.toml", copy)
            texts = text if isinstance(text, tuple) else (text,)
            brokens = broken if isinstance(broken, tuple) else (broken,)
            paths = path if isinstance(path, tuple) else (path,) * len(texts)
            for where, old, new in zip(paths, texts, brokens, strict=True):
                source = copy / where
                code = source.read_text()
                if code.count(old) != 1:
                    raise SystemExit(f"error: the planted change for {rule!r} no longer applies")
                source.write_text(code.replace(old, new))
            outcome.append((rule, test, verdict(copy, test)))
    return outcome


def verdict(copy: Path, test: str) -> str:
    """Run `test` in the planted copy, with this module as a pytest plugin that writes down what
    each phase raised. CAUGHT only when the test fails on an assertion (the test's own, or the
    checker's verdict it asserts); BROKEN when the plant does not even run: a module that does
    not compile or import, nothing collected, a setup or teardown error, any other exception;
    MISSED when the test passes (or skips)."""
    outcome = copy / "planted-outcome.txt"
    outcome.unlink(missing_ok=True)
    run = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0"]
    run += ["-p", "tests.mutation", test]
    env = {**os.environ, OUTCOME: str(outcome)}
    subprocess.call(run, cwd=copy, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    said = [line.split() for line in outcome.read_text().splitlines()] if outcome.exists() else []
    raised = {raised for when, raised in said if when == "call"}
    if not raised or any(when != "call" for when, _ in said):
        return BROKEN
    if raised <= {"passed", "Skipped"}:
        return MISSED
    return CAUGHT if raised <= {"passed", "Skipped", "AssertionError"} else BROKEN


# ---- the plugin half of `verdict`, loaded in the planted copy's run (pytest -p tests.mutation) --
OUTCOME = "OFFSIM_PLANTED_OUTCOME"  # the file it writes to, one "phase raised" line per event


def _said(when: str, raised: str) -> None:
    if os.environ.get(OUTCOME):
        with open(os.environ[OUTCOME], "a") as out:
            out.write(f"{when} {raised}\n")


def pytest_collectreport(report) -> None:
    if report.failed:  # a module that does not compile or import
        _said("collect", "error")


def pytest_runtest_makereport(item, call) -> None:
    if call.excinfo is not None:
        _said(call.when, call.excinfo.type.__name__)
    elif call.when == "call":
        _said("call", "passed")


def report(found: dict[str, tuple[str, str]], verdicts: dict, rules=()) -> str:
    equivalent, killed_by = verdicts.get("equivalent", {}), verdicts.get("killed_by", {})
    machinery = verdicts.get("not_a_rule", {})  # mutant or function -> why

    def not_a_rule(name: str) -> str | None:
        return machinery.get(name) or machinery.get(name.rsplit("__mutmut_", 1)[0])

    counts = Counter(s for _, s in found.values())
    tried = sum(counts[s] for s in (KILLED, SURVIVED, NO_TESTS, TIMEOUT))
    score = (counts[KILLED] + counts[TIMEOUT]) / tried if tried else 0.0
    survivors = sorted(n for n, (_, s) in found.items() if s == SURVIVED)
    judged = [n for n in survivors if n in equivalent]
    ours = [n for n in survivors if n not in equivalent and not_a_rule(n)]
    adjusted = (counts[KILLED] + counts[TIMEOUT] + len(judged)) / tried if tried else 0.0
    out = [
        "# Mutation testing",
        "",
        "Regenerated by `python -m tests.mutation` (mutmut over `[tool.mutmut]` in",
        "pyproject.toml; verdicts in `tests/mutation_verdicts.toml`). A mutant is one small change",
        "to the model (an operator, a constant, a condition, a removed call); a test kills it by",
        "failing. A survivor either changes no behaviour (equivalent: why is given) or is a rule",
        "no test pins.",
        "",
        f"- Mutants tried: {tried}; killed: {counts[KILLED]}; timed out (killed): "
        f"{counts[TIMEOUT]}; survived: {counts[SURVIVED]}; reached by no selected test: "
        f"{counts[NO_TESTS]}.",
        f"- Score: {score:.1%} killed; {adjusted:.1%} counting the survivors judged equivalent "
        f"({len(judged)}). {len(ours)} more survivors change our own machinery, not a Kafka "
        "rule (the application's loop and worker, the idle-poll speed-up, the strategy registry);"
        f" not judged yet: {len(survivors) - len(judged) - len(ours)}.",
        "",
        "| file | killed | survived | no tests | timeout |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    by_file: dict[str, Counter] = {}
    for source, s in found.values():
        by_file.setdefault(source, Counter())[s] += 1
    for source, c in sorted(by_file.items()):
        out.append(f"| `{source}` | {c[KILLED]} | {c[SURVIVED]} | {c[NO_TESTS]} | {c[TIMEOUT]} |")
    out += ["", "## Rules broken by hand, each caught by the test named after it", ""]
    out += ["| rule broken | test | caught |", "| --- | --- | --- |"]
    shown = {CAUGHT: "yes", MISSED: "**no**", BROKEN: f"**{BROKEN}**"}
    for rule, test, said in rules:
        out.append(f"| {rule} | `{test.rpartition('::')[2]}` | {shown[said]} |")
    out += ["", "## Survivors of an earlier run killed by a test named after the rule", ""]
    for name, test in sorted(killed_by.items()):
        now = found.get(name, ("", "gone (the function changed)"))[1]
        out.append(f"- `{name}`: {test} ({now})")
    sections = (
        ("Survivors judged equivalent", judged),
        ("Survivors in our own machinery, not a Kafka rule", ours),
        ("Survivors not judged yet", [n for n in survivors if n not in judged + ours]),
    )
    for title, names in sections:
        out += ["", f"## {title} ({len(names)})", ""]
        for name in names:
            why = equivalent.get(name) or not_a_rule(name)
            out.append(f"### `{name}`" + (f"\n\n{why}" if why else ""))
            out += ["", "```diff", diff(name, found[name][0]), "```", ""]
    return "\n".join(out).rstrip() + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation", description=__doc__)
    parser.add_argument(
        "--resume", action="store_true", help="keep mutants/, re-test the last run's survivors"
    )
    parser.add_argument("--report", action="store_true", help="only write the report")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--planted", action="store_true", help="only the rules broken by hand")
    args = parser.parse_args(argv)
    if args.planted:
        rules = planted()
        for rule, _, said in rules:
            print(f"{said}: {rule}")
        return 0 if all(said == CAUGHT for *_, said in rules) else 1
    if importlib.util.find_spec("mutmut") is None:
        print("error: mutmut is not installed: pip install -e '.[mutation]'", file=sys.stderr)
        return 2
    os.chdir(ROOT)  # mutmut reads its configuration and mutants/ from the project root
    if not args.report:
        if not args.resume:
            shutil.rmtree(MUTANTS, ignore_errors=True)
        children = ("--max-children", str(args.max_children))
        code = mutmut("run", *children)
        survivors = [n for n, (_, s) in results().items() if s == SURVIVED]
        if code == 0 and args.resume and survivors:  # against the tests added since
            code = mutmut("run", *children, *survivors)
        if code != 0:
            print(f"error: mutmut run exited with {code}", file=sys.stderr)
            return code
    verdicts = tomllib.loads(VERDICTS.read_text()) if VERDICTS.exists() else {}
    rules = planted()
    REPORT.write_text(report(results(), verdicts, rules))
    print(f"wrote {REPORT.relative_to(ROOT)}")
    missed = [f"error: planted rule {rule!r}: {said}" for rule, _, said in rules if said != CAUGHT]
    for line in missed:
        print(line, file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

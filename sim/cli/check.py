"""`offsim check`: claims against the simulator, the catalogue's or a claims file's.

Prints a table, each verdict beside the claim's statement (or `--json`), then, for each claim
whose verdict is not the one it expects, the violation, its witness and the replay file. It
writes only what it is asked for: counterexample files into `--out DIR`, a markdown report to
`--report FILE`, a JUnit XML report to `--junit FILE` (`offsim report` is what regenerates
`reports/`). The markdown holds no wall-clock time, so the same command writes the same bytes.
Exit 1 when a verdict differs from the claim's expectation.
"""

from __future__ import annotations

import contextlib
import functools
import json
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from xml.etree import ElementTree

from sim.cli.usage import UsageError, check_output, strategy_list
from sim.files import write_text
from sim.progress import progress


def add_parser(subparsers) -> None:
    from sim.claims.search import DEFAULT_EXAMPLES

    p = subparsers.add_parser("check", help="search claims for counterexamples")
    p.add_argument("--claim", metavar="ID", help="check one claim (default: every one)")
    p.add_argument(
        "--claims",
        metavar="FILE",
        help="a claims file of your own (docs/claims.md; default: the catalogue)",
    )
    p.add_argument(
        "--strategies",
        metavar="LIST",
        help="check each claim over these (a,b,package.module:Class) instead of its own",
    )
    p.add_argument(
        "--examples",
        metavar="N",
        type=int,
        default=DEFAULT_EXAMPLES,
        help=f"fault schedules tried per strategy (default {DEFAULT_EXAMPLES})",
    )
    p.add_argument(
        "--exhaustive", action="store_true", help="also run every crash point (docs/claims.md)"
    )
    p.add_argument(
        "--workers",
        metavar="N",
        type=int,
        default=1,
        help="check the claims on N local processes (the same verdicts; default 1)",
    )
    p.add_argument("--json", action="store_true", help="a JSON list, one object per claim")
    p.add_argument("--out", metavar="DIR", help="write each counterexample's replay file here")
    p.add_argument("--report", metavar="FILE", help="write the markdown report (reports/claims.md)")
    p.add_argument("--junit", metavar="FILE", help="write a JUnit XML report, one test per claim")
    p.set_defaults(func=cmd_check)


def select_claims(args) -> tuple:
    from sim.claims.catalogue import CATALOGUE
    from sim.claims.load import load_claims

    claims = CATALOGUE if args.claims is None else load_claims(args.claims)
    if args.claim is None:
        return claims
    chosen = tuple(c for c in claims if c.id == args.claim)
    if not chosen:
        ids = ", ".join(c.id for c in claims)
        raise UsageError(f"unknown claim {args.claim!r}; allowed: {ids}")
    return chosen


def cmd_check(args) -> int:
    if args.examples < 1:
        raise UsageError("--examples must be at least 1")
    if args.workers < 1:
        raise UsageError(f"--workers {args.workers}: allowed: an integer of at least 1")
    check_output("--report", args.report)
    check_output("--junit", args.junit)
    if args.out is not None and Path(args.out).is_file():
        raise UsageError(f"--out {args.out}: is a file; allowed: a folder (made if missing)")
    claims = select_claims(args)
    strategies = None if args.strategies is None else strategy_list(args.strategies)
    out = None if args.out is None else Path(args.out)
    one = functools.partial(
        timed_check, examples=args.examples, exhaustive=args.exhaustive, strategies=strategies
    )
    rows = []
    with contextlib.ExitStack() as stack:
        if args.workers > 1 and len(claims) > 1:
            pool = stack.enter_context(ProcessPoolExecutor(min(args.workers, len(claims))))
            checked = pool.map(one, claims)  # in the claims' order, whichever finishes first
        else:
            checked = map(one, claims)
        for outcome, seconds in progress(checked, len(claims), "check", "claim"):
            rows.append((outcome, seconds, replay_file(outcome, out)))
    if args.json:
        print(json.dumps([as_json(o, s, f) for o, s, f in rows], indent=2))
    else:
        print(table(rows))
        for outcome, _, replay in rows:
            if not outcome.matches:
                print("\n" + explained(outcome, replay))
    if args.report:
        write_text(args.report, markdown(rows, args))
    if args.junit:
        write_text(args.junit, junit(rows))
    return 0 if all(o.matches for o, _, _ in rows) else 1


def timed_check(claim, **options) -> tuple:
    """One claim's outcome and the seconds its search took (on whichever process ran it): each
    search depends only on the claim and the options, so the verdicts do not depend on
    `--workers`."""
    from sim.claims.search import check_claim

    start = time.perf_counter()
    outcome = check_claim(claim, **options)
    return outcome, time.perf_counter() - start


def replay_file(outcome, out: Path | None) -> Path | str | None:
    """Write the counterexample's replay file into `out`: its path, or why it was not written
    (a strategy class no scenario file can name), or None (no counterexample, or no `out`)."""
    from sim.claims.judge import UnreplayableError

    example = outcome.counterexample
    if example is None or out is None:
        return None
    try:
        return example.write(out / f"{outcome.claim.id}.toml", outcome.claim.id)
    except UnreplayableError as error:
        return f"not written: {error}"


def explained(outcome, replay: Path | str | None) -> str:
    """`Outcome.described`, naming the replay file written (or why there is none)."""
    if isinstance(replay, Path):
        return outcome.described(f"offsim run {replay.as_posix()}")
    return outcome.described(replay or "not written (--out DIR writes it)")


def as_json(outcome, seconds: float, replay) -> dict:
    claim, example = outcome.claim, outcome.counterexample
    row = {
        "claim": claim.id,
        "statement": claim.statement,
        "strategies": list(claim.strategies),
        "property": claim.property,
        "faults": list(claim.kinds),
        "expected": claim.expected,
        "verdict": outcome.verdict,
        "found": outcome.found,
        "evidence": outcome.evidence,
        "matches": outcome.matches,
        "seconds": round(seconds, 3),
        "counterexample": None,
    }
    if example is not None:
        row["counterexample"] = {
            "strategy": example.strategy,
            "file": replay.as_posix() if isinstance(replay, Path) else None,
            "violation": example.violation,
            "faults": list(example.faults),
            "witness": list(example.witness),
        }
    return row


def _grid(head: list[str], body: list[list[str]], markdown: bool = False) -> list[str]:
    if markdown:
        return [f"| {' | '.join(r)} |" for r in [head, ["---"] * len(head), *body]]
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [head, ["-" * w for w in widths], *body]
    ]


def table(rows) -> str:
    """The terminal table: each verdict, what the claim expects, and its statement beside it;
    `!` marks a verdict the claim does not expect."""
    head = ["claim", "found", "expected", "evidence", "time", "statement"]
    body = [
        [
            ("  " if o.matches else "! ") + o.claim.id,
            o.found,
            o.expected_words,
            o.evidence,
            f"{s:.1f} s",
            o.claim.statement,
        ]
        for o, s, _ in rows
    ]
    wrong = sum(not o.matches for o, _, _ in rows)
    claims = f"{len(rows)} claim" + ("" if len(rows) == 1 else "s")
    last = f"{claims}, {wrong} with a verdict other than expected"
    return "\n".join([*_grid(head, body), "", last])


def median_faults(rows) -> float | None:
    counts = [len(o.counterexample.faults) for o, _, _ in rows if o.counterexample is not None]
    return statistics.median(counts) if counts else None


def command_line(args) -> str:
    """The `offsim check` command that writes this report."""
    words = ["offsim check", f"--examples {args.examples}"]
    words += ["--exhaustive"] if args.exhaustive else []
    words += [] if args.claims is None else [f"--claims {args.claims}"]
    words += [] if args.out is None else [f"--out {args.out}"]
    return " ".join(words + [f"--report {args.report}"])


def markdown(rows, args) -> str:
    """The markdown report (reports/claims.md): deterministic (no wall-clock times), so it diffs
    only when a verdict or a counterexample changes."""
    lines = [
        "# Claims: verdicts of `offsim check`",
        "",
        f"Generated by `{command_line(args)}` (`offsim report` regenerates this file); the "
        "search is derandomized: same command, same file. See docs/claims.md.",
        "",
    ]
    body = [
        [
            f"`{o.claim.id}`",
            o.claim.statement,
            o.found,
            o.expected_words,
            o.evidence,
            "yes" if o.matches else "**NO**",
        ]
        for o, _, _ in rows
    ]
    head = ["claim", "statement", "found", "expected", "evidence", "as expected"]
    lines += _grid(head, body, True)
    median = median_faults(rows)
    if median is not None:
        lines += ["", f"Median number of faults in the shrunk counterexamples: {median:g}."]
    lines += ["", "## What each claim covers", ""]
    for o, _, _ in rows:
        c = o.claim
        source = f"; source: {c.source}" if c.source else ""
        lines.append(
            f"- `{c.id}`: {', '.join(c.strategies)}; property {c.property}; faults: "
            f"{', '.join(c.kinds)}{source}."
        )
    for o, _, replay in rows:
        if o.counterexample is None:
            continue
        example = o.counterexample
        again = f" Replay: `offsim run {replay.as_posix()}`." if isinstance(replay, Path) else ""
        lines += [
            "",
            f"## Counterexample: `{o.claim.id}`",
            "",
            f"{example.strategy}: {example.violation}.{again}",
            "",
            "Faults:",
            "",
            "```json",
            *(json.dumps(f, sort_keys=False) for f in example.faults),
            "```",
            "",
            "Witness (the run's report):",
            "",
            "```",
            *example.witness,
            "```",
        ]
    return "\n".join(lines) + "\n"


def junit(rows) -> str:
    """A JUnit XML report for CI: one testcase per claim; a failure for a verdict the claim does
    not expect (its message the violation), an error for an unknown one."""
    failures = sum(not o.matches and o.verdict != "unknown" for o, _, _ in rows)
    errors = sum(o.verdict == "unknown" for o, _, _ in rows)
    total = f"{sum(s for _, s, _ in rows):.3f}"
    counts = {"tests": str(len(rows)), "failures": str(failures), "errors": str(errors)}
    suites = ElementTree.Element("testsuites", name="offsim check", time=total, **counts)
    suite = ElementTree.SubElement(
        suites, "testsuite", name="offsim check", skipped="0", time=total, **counts
    )
    for outcome, seconds, replay in rows:
        case = ElementTree.SubElement(
            suite, "testcase", classname="claims", name=outcome.claim.id, time=f"{seconds:.3f}"
        )
        text = explained(outcome, replay)
        if outcome.verdict == "unknown":
            ElementTree.SubElement(case, "error", message=outcome.found, type="unknown").text = text
        elif not outcome.matches:
            first = text.splitlines()[0].removeprefix(f"{outcome.claim.id}: ")
            ElementTree.SubElement(case, "failure", message=first, type="verdict").text = text
        ElementTree.SubElement(case, "system-out").text = (
            f"{outcome.claim.statement}\n{outcome.found} ({outcome.evidence}); "
            f"expected {outcome.expected_words}"
        )
    ElementTree.indent(suites)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        + ElementTree.tostring(suites, encoding="unicode")
        + "\n"
    )

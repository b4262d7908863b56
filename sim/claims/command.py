"""`offsim check`: the claims catalogue against the simulator (DESIGN.md, Command line).

Prints a table (or `--json`), writes each counterexample as a scenario file `offsim run`
replays, and, when the whole catalogue is checked, `reports/claims.md`. The report holds no
wall-clock time, so the same command writes the same bytes. Exit 1 when a verdict differs from
the catalogue's expectation.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from sim.files import write_text
from sim.usage import UsageError

DEFAULT_OUT = Path("reports/counterexamples")
DEFAULT_REPORT = Path("reports/claims.md")


def add_parser(subparsers) -> None:
    from sim.claims.search import DEFAULT_EXAMPLES

    p = subparsers.add_parser("check", help="search the claims catalogue for counterexamples")
    p.add_argument("--claim", metavar="ID", help="check one claim (default: the whole catalogue)")
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
    p.add_argument("--json", action="store_true", help="a JSON list, one object per claim")
    p.add_argument(
        "--out",
        metavar="DIR",
        default=str(DEFAULT_OUT),
        help=f"counterexample files (default {DEFAULT_OUT})",
    )
    p.add_argument(
        "--report",
        metavar="FILE",
        help=f"the markdown report (default {DEFAULT_REPORT} when the whole catalogue is checked)",
    )
    p.set_defaults(func=cmd_check)


def cmd_check(args) -> int:
    from tqdm import tqdm

    from sim.claims.catalogue import CATALOGUE, claim_by_id
    from sim.claims.search import check_claim

    if args.examples < 1:
        raise UsageError("--examples must be at least 1")
    if args.claim is None:
        claims = CATALOGUE
    else:
        try:
            claims = (claim_by_id(args.claim),)
        except KeyError:
            ids = ", ".join(c.id for c in CATALOGUE)
            raise UsageError(f"unknown claim {args.claim!r}; allowed: {ids}") from None
    out = Path(args.out)
    rows = []
    for claim in tqdm(claims, desc="claims", unit="claim", file=sys.stderr, leave=False):
        start = time.perf_counter()
        outcome = check_claim(claim, examples=args.examples, exhaustive=args.exhaustive)
        rows.append((outcome, time.perf_counter() - start, write_counterexample(outcome, out)))
    if args.json:
        print(json.dumps([as_json(o, s, f) for o, s, f in rows], indent=2))
    else:
        print(table(rows))
    report = args.report or (DEFAULT_REPORT if args.claim is None else None)
    if report is not None:
        Path(report).parent.mkdir(parents=True, exist_ok=True)
        write_text(report, markdown(rows, args))
    return 0 if all(o.matches for o, _, _ in rows) else 1


def write_counterexample(outcome, out: Path) -> Path | None:
    """`<out>/<claim id>.toml`: the claim's scenario with the counterexample's faults and seed."""
    example = outcome.counterexample
    if example is None:
        return None
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{outcome.claim.id}.toml"
    header = (
        f"# Counterexample to the claim {outcome.claim.id!r} (offsim check): "
        f"{example.violation}.\n# Replay it with `offsim run` on this file.\n"
    )
    write_text(path, header + example.toml())
    return path


def as_json(outcome, seconds: float, path: Path | None) -> dict:
    claim, example = outcome.claim, outcome.counterexample
    row = {
        "claim": claim.id,
        "statement": claim.statement,
        "strategies": list(claim.strategies),
        "property": claim.property,
        "faults": list(claim.faults),
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
            "file": None if path is None else path.as_posix(),
            "violation": example.violation,
            "faults": example.faults,
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
    """The terminal table: claim, expected, found, evidence, time; `!` marks a mismatch."""
    head = ["claim", "expected", "found", "evidence", "time"]
    body = [
        [
            ("  " if o.matches else "! ") + o.claim.id,
            o.claim.expected,
            o.found,
            o.evidence,
            f"{s:.1f} s",
        ]
        for o, s, _ in rows
    ]
    wrong = sum(not o.matches for o, _, _ in rows)
    last = f"{len(rows)} claims, {wrong} verdict(s) differ from the catalogue"
    return "\n".join([*_grid(head, body), "", last])


def median_faults(rows) -> float | None:
    counts = [len(o.counterexample.faults) for o, _, _ in rows if o.counterexample is not None]
    return statistics.median(counts) if counts else None


def markdown(rows, args) -> str:
    """reports/claims.md: deterministic (no wall-clock times), so it diffs only when a verdict
    or a counterexample changes."""
    mode = " --exhaustive" if args.exhaustive else ""
    lines = [
        "# Claims: verdicts of `offsim check`",
        "",
        f"Generated by `offsim check --examples {args.examples}{mode}`; regenerate with the same "
        "command (the search is derandomized: same command, same file). See docs/claims.md.",
        "",
    ]
    body = [
        [
            f"`{o.claim.id}`",
            o.claim.expected,
            o.found,
            o.evidence,
            "yes" if o.matches else "**NO**",
            o.claim.source,
        ]
        for o, _, _ in rows
    ]
    lines += _grid(["claim", "expected", "found", "evidence", "as expected", "source"], body, True)
    median = median_faults(rows)
    if median is not None:
        lines += ["", f"Median number of faults in the shrunk counterexamples: {median:g}."]
    lines += ["", "## Claims", ""]
    for o, _, _ in rows:
        c = o.claim
        lines.append(
            f"- `{c.id}` ({', '.join(c.strategies)}; {c.property}; faults: "
            f"{', '.join(c.faults)}): {c.statement}."
        )
    for o, _, path in rows:
        if o.counterexample is None:
            continue
        example = o.counterexample
        replay = path.as_posix() if path is not None else f"{args.out}/{o.claim.id}.toml"
        lines += [
            "",
            f"## Counterexample: `{o.claim.id}`",
            "",
            f"{example.strategy}: {example.violation}. Replay: `offsim run {replay}`.",
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

"""`offsim explain SCENARIO [--record P:OFFSET]`: the stories of a run, or of one record, in
words (`sim.report.explain`), and as a picture or a page when asked."""

from __future__ import annotations

import re
import textwrap

from sim.cli.usage import UsageError, check_html, check_plot, check_seed, check_strategy
from sim.report.explain import explain_lines
from sim.report.storyteller import Storyteller

RECORD = re.compile(r"^(\d+):(\d+)$")


def parse_record(text: str) -> tuple[int, int]:
    """P:OFFSET, or a UsageError with a one-line message."""
    m = RECORD.match(text.strip())
    if m is None:
        raise UsageError(f"--record {text!r}: expected PARTITION:OFFSET, e.g. 2:417")
    return int(m.group(1)), int(m.group(2))


def check_record(ledger, p: int, offset: int) -> None:
    """A UsageError naming the allowed range when the record is not in the run's log."""
    if not 0 <= p < ledger.partitions:
        raise UsageError(f"--record {p}:{offset}: partition must be in 0..{ledger.partitions - 1}")
    end = ledger.log_end[p]
    if not 0 <= offset < end:
        allowed = f"0..{end - 1}" if end else "none (the partition is empty)"
        raise UsageError(f"--record {p}:{offset}: offset of partition {p} must be in {allowed}")


def cmd_explain(args) -> int:
    from sim import api
    from sim.scenario import load_scenario

    check_strategy(args.strategy)
    check_seed(args.seed)
    record = None if args.record is None else parse_record(args.record)
    check_plot(args.plot)
    check_html(args.html)
    scenario = load_scenario(args.scenario)
    result = api.run(scenario, seed=args.seed, strategy=args.strategy)
    if record is not None:
        check_record(result.ledger, *record)
    m = result.report.metrics
    print(
        f"{result.scenario} · {result.strategy} · seed {result.seed}: {m.lost:,} lost, "
        f"{m.duplicated_records:,} processed more than once"
    )
    if record is not None:
        teller = Storyteller(result.report.history, scenario.session_timeout_ms)
        print("\n".join(textwrap.wrap(teller.record(*record)[1], 100)))
    else:
        print("\n".join(explain_lines(result.report, scenario, args.causes)))
    if args.plot:
        from sim.report.timeline import plot_run

        plot_run(result, args.plot, record)
    if args.html:
        from sim.report.page import run_page, write_page

        write_page(args.html, run_page(result, record))
    return 0


def add_explain_parser(subparsers) -> None:
    """`offsim explain SCENARIO [--seed N] [--strategy NAME] [--record P:OFFSET] [--plot F]`."""
    p = subparsers.add_parser("explain", help="the story of each anomaly, or of one record")
    p.add_argument("scenario", help="a scenario file, or the name of a shipped scenario")
    p.add_argument("--seed", type=int, help="overrides run.seed")
    p.add_argument(
        "--strategy", help="overrides strategy.name: a name, or package.module:Class of your own"
    )
    p.add_argument("--record", metavar="P:OFFSET", help="explain this one record")
    p.add_argument("--causes", type=int, default=3, help="causes told per anomaly kind")
    p.add_argument("--plot", metavar="FILE", help="also draw the timeline (.png or .svg)")
    p.add_argument("--html", metavar="FILE", help="also write the run's interactive page (.html)")
    p.set_defaults(func=cmd_explain)

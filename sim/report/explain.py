"""`offsim explain`: each anomaly's chain of events told as one short paragraph.

The checker's witnesses list events; a reader wants the story: who processed the record, what
went wrong with the commits that should have covered it, how that consumer's hold ended, and
where the next owner resumed. Everything here is read from `History` (the checker's index of
the ledger) after the run; nothing is recomputed from the model. Groups that share a cause
(the same processor, ending, commit failures and resume point) are told once, with their count.
"""

from __future__ import annotations

import re
import textwrap

from sim.anomalies import AnomalyGroup
from sim.usage import UsageError, check_plot, check_strategy
from sim.witness import History

TIMES = {1: "once", 2: "twice", 3: "three times"}


def _s(us: int) -> str:
    return f"{us / 1e6:.3f} s"


def _rec(p: int, offset: int) -> str:
    return f"p{p}:{offset}"


class Storyteller:
    """Plain-word stories of records, over one run's History and scenario."""

    def __init__(self, history: History, session_timeout_ms: float):
        self.h = history
        self.session_us = int(session_timeout_ms * 1000)

    def who(self, instance: int, partition: int | None = None, seq: int | None = None) -> str:
        """A member's name, with the generation of its hold on the partition at event `seq`."""
        name = self.h.name(instance)
        if partition is None:
            return name
        tenure = self.h.tenure(instance, partition, seq)
        return name if tenure is None else f"{name} (generation {tenure.generation})"

    # ---- pieces of a story ------------------------------------------------------------------
    def _fault(self, instance: int, after_seq: int):
        """The first fault that hit the instance after event `after_seq`."""
        for f in self.h.ledger.faults:
            if f.instance == instance and f.seq > after_seq and f.kind != "commit-error":
                return f
        return None

    def ending(self, instance: int, partition: int, seq: int) -> tuple[str, str]:
        """(cause word, phrase) for how the instance's hold on the partition after `seq` ended."""
        tenure = self.h.tenure(instance, partition, seq)
        stop = self.h.ledger.stops.get(instance)
        if stop is not None and stop.how == "crash" and tenure is not None:
            if tenure.end_seq is None or tenure.end_seq >= stop.seq:
                return "crash", f"it crashed at {_s(stop.at_us)}; " + self.expiry(stop)
        fault = self._fault(instance, seq)
        if fault is not None and fault.kind == "processing-error":
            closed = f"; it closed at {_s(stop.at_us)}" if stop is not None else ""
            return "error", f"a poison record threw at {_s(fault.at_us)}{closed}"
        if tenure is None or tenure.end_us is None:
            return "held", f"it still held p{partition}"
        how = tenure.ended_by
        return how, f"its hold on p{partition} ended ({how}) at {_s(tenure.end_us)}"

    def expiry(self, stop) -> str:
        """A crashed member sends no LeaveGroup: the group waits out its session. The ledger
        has no expiry event; the next stable generation is when the group moved on."""
        session = f"session.timeout.ms ({self.session_us / 1e6:g} s)"
        for at_us, generation, _ in self.h.ledger.generations:
            if at_us >= stop.at_us:
                return (
                    f"with no heartbeats its {session} ran out, and the group rebalanced "
                    f"without it at {_s(at_us)} (generation {generation})"
                )
        return f"with no heartbeats its {session} ran out"

    def failed_commits(self, instance: int, partition: int, offset: int, after_seq: int) -> list:
        """The instance's commits after `after_seq` whose offset covered the record but that
        never landed: failed, unknown, or still in flight when it stopped."""
        stop = self.h.ledger.stops.get(instance)
        until = stop.seq if stop is not None else None
        found = []
        for c in self.h.ledger.commits.values():
            if c.instance != instance or c.sent_seq <= after_seq:
                continue
            if until is not None and c.sent_seq > until:
                continue
            if c.applied_seq is None and any(p == partition and o > offset for p, o in c.offsets):
                found.append(c)
        return sorted(found, key=lambda c: c.sent_seq)

    def commits_phrase(self, commits: list, partition: int) -> str:
        if not commits:
            return ""
        offsets = [o for c in commits for p, o in c.offsets if p == partition]
        kinds = sorted({c.kind for c in commits})
        codes = sorted({c.outcome or "no answer before it stopped" for c in commits})
        why = " / ".join(f"with {code}" if code.isupper() else code for code in codes)
        retry = " and was not retried" if kinds == ["async"] and len(commits) == 1 else ""
        if len(commits) == 1:
            return f"its {kinds[0]} commit of {offsets[0]} failed {why}{retry}"
        return (
            f"its {len(commits)} {'/'.join(kinds)} commits covering it "
            f"({', '.join(map(str, offsets))}) all failed {why}"
        )

    def resume_phrase(self, seg, offset: int) -> tuple[str, int | None]:
        pos = self.h.resumed_from(seg, offset)
        p = seg.partition
        who = self.who(seg.instance, p, seg.seq)
        if pos is None:
            return f"{who} took over p{p}", None
        source = {
            "committed": f"from the committed offset {pos.offset}",
            "reset": f"from offset {pos.offset} (auto.offset.reset)",
            "seek": f"after seeking to {pos.offset}",
        }.get(pos.source, f"from {pos.offset} ({pos.source})")
        return f"{who} resumed p{p} {source} at {_s(pos.at_us)}", pos.offset

    # ---- stories ----------------------------------------------------------------------------
    def processed(self, p: int, offset: int) -> tuple[tuple, str]:
        """(cause, paragraph) of a record processed once or more."""
        runs = self.h.processings(p, offset)
        rec = _rec(p, offset)
        t0, s0 = runs[0]
        first = f"{self.who(s0.instance, p, s0.seq)} processed it at {_s(t0)}"
        if len(runs) == 1:
            return ("once",), f"{rec} was processed once: {first}."
        times = TIMES.get(len(runs), f"{len(runs)} times")
        parts = [first]
        cause: list = ["duplicate", p, s0.instance]
        for (tk, sk), (_, sp) in zip(runs[1:], runs[:-1], strict=True):
            resume, resumed_at = self.resume_phrase(sk, offset)
            if sk.instance == sp.instance:
                parts.append(f"{resume} and processed {offset} again at {_s(tk)}")
                cause += ["again", resumed_at]
                continue
            failed = self.failed_commits(sp.instance, p, offset, sp.seq)
            if failed:
                parts.append(self.commits_phrase(failed, p))
            if self.h.owner_until(sp) > tk:
                parts += [f"at {_s(w.at_us)} {w.words}" for w in self.h.liveness(sp, tk)]
                parts.append(
                    f"{self.h.name(sp.instance)} still believed it owned p{p} (a zombie) when "
                    f"{self.h.name(sk.instance)} processed {offset} again at {_s(tk)}"
                )
                cause += ["zombie", sk.instance]
                continue
            word, phrase = self.ending(sp.instance, p, sp.seq)
            if not failed and word == "crash":
                phrase = phrase.replace("; ", " before any commit covered it; ", 1)
            parts += [phrase, f"{resume} and processed {offset} again at {_s(tk)}"]
            codes = tuple(sorted({c.outcome or "-" for c in failed}))
            cause += [word, codes, sk.instance, resumed_at]
        return tuple(cause), f"{rec} was processed {times}. " + "; ".join(parts) + "."

    def lost(self, p: int, offset: int) -> tuple[tuple, str]:
        """(cause, paragraph) of a record nobody processed."""
        h, rec = self.h, _rec(p, offset)
        cover = next(((c, o) for c, o in h.applied[p] if o > offset), None)
        reads = [d for d in h.deliveries[p] if d.start <= offset < d.end]
        if cover is not None:
            reads = [d for d in reads if d.seq < cover[0].applied_seq] or reads
        if not reads:
            ending = "the run drained" if h.ledger.quiesced else "the run did not drain"
            return ("never-delivered", p), f"{rec} was lost: it was never delivered ({ending})."
        d = reads[-1]
        parts = [f"{self.who(d.instance, p, d.seq)} received [{d.start}, {d.end}) at {_s(d.at_us)}"]
        done = [s.end for s in h.segments[p] if s.instance == d.instance and d.start <= s.start]
        done = [e for e in done if e <= offset]
        if done:
            parts.append(f"it processed up to {max(done) - 1}")
        fault = self._fault(d.instance, d.seq)
        cause: list = ["lost", p, d.instance]
        if cover is None:
            word, phrase = self.ending(d.instance, p, d.seq)
            parts.append(phrase + ", and no commit ever covered it")
            return tuple(cause + [word]), f"{rec} was lost. " + "; ".join(parts) + "."
        commit, committed = cover
        whose = "its" if commit.instance == d.instance else f"{h.name(commit.instance)}'s"
        what = f"{whose} {commit.kind} commit of {committed}"
        if commit.instance == d.instance and committed == d.end:
            what += " (its position, the end of the batch)"
        when = ""
        if fault is not None and fault.seq < commit.sent_seq and commit.instance == d.instance:
            parts.append(f"a {fault.kind} fault hit it at {_s(fault.at_us)} ({fault.detail})")
            when = "then, in `finally`, "
        elif commit.sent_seq <= d.seq + 1 + len(done):
            when = "before processing the batch, "
        parts.append(
            f"{when}{what} was applied at {_s(commit.applied_us)} and covered {offset}, "
            "which had not been processed"
        )
        word, phrase = self.ending(d.instance, p, d.seq)
        parts.append(phrase.split("; ")[-1] if when.startswith("then") else phrase)
        nxt = next(
            (q for q in h.positions[p] if q.seq > commit.applied_seq and q.offset > offset), None
        )
        if nxt is not None:
            who = self.who(nxt.instance, p, nxt.seq)
            parts.append(
                f"{who} resumed p{p} from the {nxt.source} offset {nxt.offset} at "
                f"{_s(nxt.at_us)}: {offset} was never read again"
            )
        cause += [word, when, commit.kind, nxt.offset if nxt else None]
        return tuple(cause), f"{rec} was lost. " + "; ".join(parts) + "."

    def record(self, p: int, offset: int) -> tuple[tuple, str]:
        """The story of any record: lost, processed once, or processed more than once."""
        effects = self.h.ledger.effects_per_offset(p)
        if offset >= len(effects) or effects[offset] == 0:
            return self.lost(p, offset)
        return self.processed(p, offset)

    def group(self, group: AnomalyGroup) -> tuple[tuple, str]:
        """A group's cause and story: told for its first record; kinds without a story of their
        own (offset-regression, skip, reorder) read out their witness."""
        if group.kind in ("lost", "duplicate", "concurrent-duplicate"):
            cause, words = self.record(group.partition, group.start)
            return (group.kind, *cause[1:]), words
        events = "; ".join(f"at {_s(w.at_us)}, {w.words}" for w in group.witness)
        return (group.kind, group.partition, group.start), f"{events}."


def _span(g: AnomalyGroup) -> str:
    return f"{g.partition}:{g.start}" + ("" if g.records == 1 else f"..{g.end - 1}")


def explain_lines(report, scenario, causes_per_kind: int = 3) -> list[str]:
    """Every anomaly kind found: its groups merged by cause, the largest causes told."""
    teller = Storyteller(report.history, scenario.group.session_timeout_ms)
    lines: list[str] = []
    for anomaly in report.anomalies.values():
        if not anomaly.count:
            continue
        causes: dict[tuple, list] = {}
        for g in anomaly.groups:
            cause, words = teller.group(g)
            causes.setdefault(cause, [words, []])[1].append(g)
        ranked = sorted(causes.values(), key=lambda c: -sum(g.records for g in c[1]))
        lines += ["", f"{anomaly.kind}: {anomaly.count:,} ({len(causes)} causes)"]
        for words, groups in ranked[:causes_per_kind]:
            spans = ", ".join(_span(g) for g in groups[:3])
            more = f" and {len(groups) - 3} more" if len(groups) > 3 else ""
            records = sum(g.records for g in groups)
            lines.append(f"{spans}{more} ({records:,} records, {len(groups)} groups)")
            lines += textwrap.wrap(words, 98, initial_indent="  ", subsequent_indent="  ")
        hidden = len(ranked) - causes_per_kind
        if hidden > 0:
            rest = sum(g.records for c in ranked[causes_per_kind:] for g in c[1])
            lines.append(f"... and {hidden} more causes ({rest:,} records)")
        unexamined = anomaly.total_groups - len(anomaly.groups)
        if unexamined > 0 and anomaly.kind != "offset-regression":
            rest = anomaly.count - sum(g.records for g in anomaly.groups)
            lines.append(f"... and {unexamined:,} more groups ({rest:,} records) not examined")
    if not lines:
        lines = ["", "no anomaly: nothing lost, nothing processed twice."]
    return lines


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
    record = None if args.record is None else parse_record(args.record)
    check_plot(args.plot)
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
        teller = Storyteller(result.report.history, scenario.group.session_timeout_ms)
        print("\n".join(textwrap.wrap(teller.record(*record)[1], 100)))
    else:
        print("\n".join(explain_lines(result.report, scenario, args.causes)))
    if args.plot:
        from sim.report.timeline import plot_run

        plot_run(result, args.plot)
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
    p.set_defaults(func=cmd_explain)

"""The story of one record, in plain words: who processed it, what went wrong with the commits
that should have covered it, how that consumer's hold ended, where the next owner resumed.

Everything here is read from `History` (the checker's index of the ledger) after the run;
nothing is recomputed from the model, and nothing here groups records by cause or formats a
report (`sim.report.explain` does).
"""

from __future__ import annotations

from collections import Counter

from sim.ledger.anomalies import AnomalyGroup
from sim.ledger.witness import History
from sim.report.timeline_data import rebalance_windows
from sim.report.timeline_data import seconds as _s

__all__ = ["Storyteller"]

TIMES = {1: "once", 2: "twice", 3: "three times"}


def _rec(p: int, offset: int) -> str:
    return f"p{p}:{offset}"


def _failure(outcome: str | None) -> str:
    if outcome is None:
        return "got no answer before it stopped"
    if outcome == "UNKNOWN":
        return "had an unknown outcome (its connection failed with the request in flight)"
    return f"failed with {outcome}"


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
        """How the commits that should have covered the record failed, each error named once:
        an error code as Kafka spells it; UNKNOWN (the connection failed with the request in
        flight) and no answer at all in words, never as a code."""
        if not commits:
            return ""
        offsets = [o for c in commits for p, o in c.offsets if p == partition]
        kinds = sorted({c.kind for c in commits})
        counts = Counter(c.outcome for c in commits)
        whys = {code: _failure(code) for code in counts}
        retry = " and was not retried" if kinds == ["async"] and len(commits) == 1 else ""
        if len(commits) == 1:
            return f"its {kinds[0]} commit of {offsets[0]} {whys[commits[0].outcome]}{retry}"
        head = (
            f"its {len(commits)} {'/'.join(kinds)} commits covering it "
            f"({', '.join(map(str, offsets))})"
        )
        if len(counts) == 1:
            return f"{head} all {whys[commits[0].outcome]}"
        order = sorted(counts, key=lambda code: (-counts[code], code or ""))
        return f"{head}: " + ", ".join(f"{counts[code]} {whys[code]}" for code in order)

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
        return f"{who} resumed p{p} {source} at {_s(pos.at_us)}", pos.source

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
        # A cause is what happened to whom, not where: the same crash behind records of two
        # partitions is one cause, told once with both ranges.
        cause: list = ["duplicate", s0.instance]
        for (tk, sk), (tp, sp) in zip(runs[1:], runs[:-1], strict=True):
            resume, resumed_from = self.resume_phrase(sk, offset)
            if sk.instance == sp.instance:
                parts.append(f"{resume} and processed {offset} again at {_s(tk)}")
                cause += ["again", resumed_from]
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
            window = self.window(tp, word)
            if window:
                parts.append(f"that was {window}")
                if not failed:
                    phrase += " with no commit covering it"
            parts += [phrase, f"{resume} and processed {offset} again at {_s(tk)}"]
            codes = tuple(sorted({c.outcome or "-" for c in failed}))
            cause += [word, codes, sk.instance, resumed_from, bool(window)]
        return tuple(cause), f"{rec} was processed {times}. " + "; ".join(parts) + "."

    def window(self, at_us: int, ending: str) -> str:
        """The rebalance under way when a record was processed, if its processor's hold then
        ended by revocation: the window in which poll() goes on returning records while the
        join runs (cooperative protocol). Java auto-commits at the join's start
        (ConsumerCoordinator.onJoinPrepare) and fails any commit until the member is stable
        again (sendOffsetCommitRequest: generationIfStable, RebalanceInProgressException)."""
        if ending != "revoked":
            return ""
        for start, end, generation in rebalance_windows(self.h.ledger):
            if start <= at_us <= end:
                return (
                    f"inside the rebalance window (the group rebalanced from generation "
                    f"{generation} between {_s(start)} and {_s(end)}: poll() went on returning "
                    "records while the join was under way)"
                )
        return ""

    def concurrent(self, p: int, offset: int) -> tuple[tuple, str]:
        """(cause, paragraph) of a record two members processed while both held the
        partition: which member was the zombie (the older generation), what kept it from
        learning, when the group moved the partition, and when the zombie found out."""
        h, rec = self.h, _rec(p, offset)
        runs = h.processings(p, offset)
        pair = next(
            ((a, b) for a, b in zip(runs, runs[1:], strict=False)
             if a[1].instance != b[1].instance and b[0] < h.owner_until(a[1])),
            None,
        )  # fmt: skip
        if pair is None:
            return self.processed(p, offset)
        (t1, s1), (t2, s2) = pair
        held = {s.instance: h.tenure(s.instance, p, s.seq) for s in (s1, s2)}
        zombie, owner = sorted((s1, s2), key=lambda s: held[s.instance].generation)
        z, o = h.name(zombie.instance), h.name(owner.instance)
        parts = [
            f"{rec} was processed by two members at once: {self.who(s1.instance, p, s1.seq)} "
            f"processed it at {_s(t1)} and {self.who(s2.instance, p, s2.seq)} at {_s(t2)}, "
            f"while both believed they owned p{p}"
        ]
        why = [f"at {_s(w.at_us)} {w.words}" for w in h.liveness(zombie, max(t1, t2))]
        taken = held[owner.instance]
        why.append(
            f"the group gave p{p} to {o} in generation {taken.generation} at {_s(taken.start_us)}"
        )
        end = held[zombie.instance]
        if end.end_us is not None:
            why.append(f"{z} learned it had lost p{p} only at {_s(end.end_us)} ({end.ended_by})")
        else:
            why.append(f"{z} never learned it had lost p{p}")
        kinds = tuple(sorted({f.kind for f in h.ledger.faults if f.instance == zombie.instance}))
        cause = ("concurrent-duplicate", p, zombie.instance, owner.instance, kinds)
        return cause, ". ".join(parts) + ". Why: " + "; ".join(why) + "."

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
        cause: list = ["lost", d.instance]
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
        cause += [word, when, commit.kind, nxt.source if nxt else None]
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
        if group.kind == "concurrent-duplicate":
            return self.concurrent(group.partition, group.start)
        if group.kind in ("lost", "duplicate"):
            cause, words = self.record(group.partition, group.start)
            return (group.kind, *cause[1:]), words
        events = "; ".join(f"at {_s(w.at_us)}, {w.words}" for w in group.witness)
        return (group.kind, group.partition, group.start), f"{events}."

"""The checker on hand-built histories with a known verdict (Jepsen style).

Each history is a few ledger events typed by hand; each test names one behaviour: an anomaly
found and explained, a metric counted, or a cross-check that must fail on a planted fault.
"""

from dataclasses import asdict

import numpy as np
import pytest

from sim.ledger import Ledger
from sim.ledger.anomalies import MAX_GROUPS, runs
from sim.ledger.checker import ANOMALY_KINDS, check
from sim.model.sink import make_sink


class Story:
    """A hand-built history over `partitions` partitions of `records` records each."""

    def __init__(self, partitions=1, records=10, sink="plain", **settings):
        self.ledger = Ledger(partitions)
        self.sink = make_sink(sink, partitions, **settings)
        for p in range(partitions):
            self.ledger.appended(0, p, records)
        self.requests = 0

    def start(self, at, instance, generation=1, partitions=(0,), offset=0, source="reset"):
        """An instance starts, joins, and learns its assignment and starting positions."""
        self.ledger.instance_started(at, instance, instance, 0, f"consumer-{instance}-0")
        self.ledger.assigned(at + 1, instance, generation, partitions)
        for p in partitions:
            self.ledger.position(at + 2, instance, p, offset, source)

    def process(self, at, instance, start, end, p=0, generation=1, deliver=True, sink=True):
        """poll() returns [start, end) at `at`; record i finishes at at + 10 * (i + 1)."""
        if deliver:
            self.ledger.delivered(at, instance, p, start, end)
        done = at + 10 * np.arange(1, end - start + 1, dtype=np.int64)
        self.ledger.processed(instance, generation, p, start, end, done)
        if sink:
            absorbed = self.sink.apply(p, start, end, generation)
            if absorbed:  # as the engine records it
                reason = self.sink.absorbed_reason
                self.ledger.absorbed(instance, p, start, end, absorbed, reason)
        return int(done[-1]) if end > start else at

    def commit(self, at, instance, offset, p=0, generation=1, outcome="ok", applied=True):
        """A commit sent at `at`, applied at at + 1, completed at at + 2."""
        self.requests += 1
        rid = self.requests
        self.ledger.commit_sent(at, instance, rid, generation, ((p, offset),), "sync")
        if applied:
            self.ledger.commit_applied(at + 1, rid)
        self.ledger.commit_completed(at + 2, rid, outcome)

    def crash(self, at, instance):
        self.ledger.fault(at, "crash", instance)
        self.ledger.instance_stopped(at, instance, "crash")

    def check(self, at=100_000, quiesced=True):
        self.ledger.finish(at, quiesced)
        return check(self.ledger, self.sink)


def failing(report) -> list[str]:
    return [c.name for c in report.cross_checks if not c.passed]


def events(group) -> list[str]:
    return [w.event for w in group.witness]


# ---- a clean run -----------------------------------------------------------------------------
def test_a_clean_history_has_no_anomaly():
    """Process, commit what was processed, close: nothing lost, doubled or out of order."""
    s = Story()
    s.start(0, 0)
    s.commit(s.process(1_000, 0, 0, 5), 0, 5)
    s.commit(s.process(2_000, 0, 5, 10), 0, 10)
    s.ledger.revoked(3_000, 0, (0,), False)
    s.ledger.instance_stopped(3_000, 0, "close")
    report = s.check(at=5_000)
    m = report.summary()
    assert all(report.anomalies[k].count == 0 for k in ANOMALY_KINDS)
    assert report.ok and m["cross_checks_ok"] and m["cross_check_failures"] == []
    assert (m["produced"], m["effects"], m["unique_processed"]) == (10, 10, 10)
    assert (m["commits"], m["failed_commits"], m["over_commits"]) == (2, 0, 0)
    busy_us = max(g.last_us for g in s.ledger.segments) - min(g.first_us for g in s.ledger.segments)
    assert m["sim_time_ms"] == 5.0  # throughput counts the busy span, not the idle tail:
    assert m["records_per_sim_s"] == round(10 * 1e6 / busy_us, 1) > 10 * 1e6 / 5_000


def test_the_summary_names_every_metric():
    """summary() carries the fields of `offsim run --json` and the cross-check verdict."""
    s = Story()
    summary = s.check().summary()
    design = """produced effects unique_processed lost duplicated_records duplicate_effects
        concurrent_duplicates offset_regressions over_commits commits failed_commits rebalances
        crashes rebalance_downtime_ms records_per_sim_s sim_time_ms events trace_digest""".split()
    assert set(design + ["skips", "reorders", "quiesced", "cross_checks_ok"]) <= set(summary)


# ---- lost ------------------------------------------------------------------------------------
def test_a_commit_before_processing_then_a_crash_loses_the_rest():
    """Commit the batch end, crash half way: the next owner starts past records nobody
    processed. The witness names the delivery, the crash, the commit and the new start."""
    s = Story()
    s.start(0, 0)
    s.ledger.delivered(1_000, 0, 0, 0, 10)
    s.commit(1_000, 0, 10)
    s.process(1_010, 0, 0, 5, deliver=False)
    s.crash(1_100, 0)
    s.start(5_000, 1, generation=2, offset=10, source="committed")
    report = s.check()
    lost = report.anomalies["lost"]
    assert lost.count == 5 and report.summary()["lost"] == 5
    (group,) = lost.groups
    assert (group.partition, group.start, group.end) == (0, 5, 10)
    assert events(group) == ["delivered", "commit-applied", "tenure-ended", "position"]
    assert "crashed" in group.witness[2].words and "offset 10" in group.witness[3].words
    assert report.ok


def test_consecutive_lost_records_with_different_causes_are_two_groups():
    """Lost offsets split where the delivery that covered them ends."""
    s = Story()
    s.start(0, 0)
    s.ledger.delivered(1_000, 0, 0, 0, 5)
    s.crash(1_100, 0)
    s.start(5_000, 1, generation=2, offset=10, source="reset")
    lost = s.check().anomalies["lost"]
    assert lost.count == 10
    assert [(g.start, g.end) for g in lost.groups] == [(0, 5), (5, 10)]
    assert "delivered" in events(lost.groups[0]) and "delivered" not in events(lost.groups[1])


def test_groups_are_capped_but_counts_are_exact():
    """Every odd offset lost: fifty groups counted, the first MAX_GROUPS kept in offset order."""
    s = Story(records=100)
    s.start(0, 0)
    for offset in range(0, 100, 2):
        s.process(1_000 + offset * 100, 0, offset, offset + 1)
    lost = s.check().anomalies["lost"]
    assert (lost.count, lost.total_groups, len(lost.groups)) == (50, 50, MAX_GROUPS)
    assert [g.start for g in lost.groups] == list(range(1, 2 * MAX_GROUPS, 2))


def test_any_record_can_be_explained():
    """explain(p, offset) tells a processed record's story, and a lost one's like its group."""
    s = Story()
    s.start(0, 0)
    s.process(1_000, 0, 0, 5)
    s.crash(2_000, 0)
    report = s.check()
    assert [w.event for w in report.explain(0, 2)] == ["processed"]
    assert report.explain(0, 5) == report.anomalies["lost"].groups[0].witness


def test_witnesses_are_built_when_first_read_and_the_summary_is_the_metrics():
    """A group keeps how to find its witness and builds it once, on first use; the summary holds
    every metric as a plain value, as dataclasses.asdict gives them (the per-partition lag as a
    list of dicts, as JSON has it)."""
    s = Story()
    s.start(0, 0)
    s.process(1_000, 0, 0, 5)
    s.crash(2_000, 0)
    report = s.check()
    group = report.anomalies["lost"].groups[0]
    assert "witness" not in vars(group)
    assert group.witness is group.witness == report.explain(0, 5)
    summary = report.summary()
    metrics = asdict(report.metrics)
    metrics["lag_by_partition"] = [lag._asdict() for lag in report.metrics.lag_by_partition]
    assert {k: summary[k] for k in metrics} == metrics
    assert list(summary)[: len(metrics)] == list(metrics)


def test_runs_are_cut_where_the_mask_changes_and_at_breaks():
    """runs() against a record-by-record walk, on random masks and breaks (some outside)."""
    rng = np.random.default_rng(6)
    for _ in range(500):
        n = int(rng.integers(0, 30))
        mask = rng.random(n) < rng.random()
        breaks = [int(b) for b in rng.integers(-2, n + 3, int(rng.integers(0, 6)))]
        expected, start = [], None
        for i in range(n + 1):
            if start is not None and (i == n or not mask[i] or i in breaks):
                expected.append((start, i))
                start = None
            if start is None and i < n and mask[i]:
                start = i
        starts, ends = runs(mask, breaks)
        assert list(zip(starts.tolist(), ends.tolist(), strict=True)) == expected


# ---- duplicates ------------------------------------------------------------------------------
def test_a_crash_before_the_commit_duplicates_the_uncommitted_records():
    """Commit 4, process to 10, crash: the next owner resumes at the committed 4 and processes
    4..9 again, after the first owner's tenure ended: duplicates, not concurrent, not reorders."""
    s = Story()
    s.start(0, 0)
    s.commit(s.process(1_000, 0, 0, 4), 0, 4)
    s.process(2_000, 0, 4, 10)
    s.crash(3_000, 0)
    s.start(5_000, 1, generation=2, offset=4, source="committed")
    s.process(6_000, 1, 4, 10, generation=2)
    report = s.check()
    m = report.summary()
    assert (m["duplicated_records"], m["duplicate_effects"]) == (6, 6)
    assert (m["concurrent_duplicates"], m["reorders"], m["skips"], m["lost"]) == (0, 0, 0, 0)
    (group,) = report.anomalies["duplicate"].groups
    assert (group.start, group.end) == (4, 10)
    assert events(group) == [
        "commit-applied", "processed", "tenure-ended", "position", "processed",
    ]  # fmt: skip
    assert "(committed)" in group.witness[3].words and report.ok


def test_duplicate_effects_count_every_extra_processing():
    """Three processings of a record are one duplicated record and two extra effects."""
    s = Story(records=3)
    for instance in range(3):
        s.start(instance * 1_000, instance, generation=instance + 1)
        s.process(instance * 1_000 + 100, instance, 0, 3, generation=instance + 1)
        s.crash(instance * 1_000 + 500, instance)
    m = s.check().summary()
    assert (m["duplicated_records"], m["duplicate_effects"], m["effects"]) == (3, 6, 9)


def test_a_zombie_processing_while_the_new_owner_does_is_a_concurrent_duplicate():
    """The old owner never learned it lost the partition: both process records 0..4 while
    both tenures are open."""
    s = Story()
    s.start(0, 0)
    s.process(1_000, 0, 0, 5)
    s.start(2_000, 1, generation=2, offset=0, source="reset")
    s.process(2_100, 1, 0, 5, generation=2)
    s.ledger.revoked(3_000, 0, (0,), True)
    report = s.check()
    assert report.summary()["concurrent_duplicates"] == 5
    (group,) = report.anomalies["concurrent-duplicate"].groups
    assert "zombie" in events(group)


def test_a_zombie_batch_recorded_after_the_new_owners_still_counts_at_its_own_times():
    """Effects are recorded when a batch ends: the zombie's earlier-finished records arrive after
    the new owner's, and concurrency is judged on per-record times, not on recording order."""
    s = Story(records=5)
    s.start(0, 0)
    s.ledger.delivered(1_000, 0, 0, 0, 5)
    s.start(1_100, 1, generation=2, offset=0, source="reset")
    s.process(1_150, 1, 0, 5, generation=2)
    s.process(1_000, 0, 0, 5, deliver=False)
    s.ledger.revoked(1_300, 0, (0,), True)
    report = s.check()
    assert report.summary()["concurrent_duplicates"] == 5
    assert [w.instance for w in report.anomalies["duplicate"].groups[0].witness[:2]] == [0, 1]


# ---- offsets ---------------------------------------------------------------------------------
def test_a_stale_commit_landing_last_is_an_offset_regression():
    """Last write wins: commit 8, then an older commit of 4 lands and moves the offset back."""
    s = Story()
    s.start(0, 0)
    s.process(1_000, 0, 0, 8)
    s.commit(2_000, 0, 8)
    s.commit(2_500, 0, 4)
    report = s.check()
    regression = report.anomalies["offset-regression"]
    assert regression.count == 1 and report.summary()["offset_regressions"] == 1
    (group,) = regression.groups
    assert (group.start, group.end) == (4, 8)
    assert events(group) == ["commit-applied", "commit-applied"]
    assert "from 8 to 4" in group.witness[1].words


def test_a_commit_above_the_processed_frontier_is_an_over_commit():
    """A commit applied before every record below it finished counts; one applied after does
    not."""
    s = Story()
    s.start(0, 0)
    s.ledger.delivered(1_000, 0, 0, 0, 10)
    s.commit(1_000, 0, 10)
    finished = s.process(1_005, 0, 0, 10, deliver=False)
    s.commit(finished + 1, 0, 10)
    assert s.check().summary()["over_commits"] == 1


def test_a_record_processed_after_being_committed_is_still_an_over_commit():
    """The frontier is per record in time: a record that finished after the commit landed."""
    s = Story(records=2)
    s.start(0, 0)
    s.process(1_000, 0, 0, 1)
    s.commit(1_500, 0, 2)
    s.process(2_000, 0, 1, 2)
    m = s.check().summary()
    assert (m["over_commits"], m["lost"]) == (1, 0)


# ---- order within a tenure -------------------------------------------------------------------
def test_a_skipped_batch_within_a_tenure_is_a_skip():
    """Records 5..7 are delivered but not processed, and the loop goes on at 8."""
    s = Story()
    s.start(0, 0)
    s.process(1_000, 0, 0, 5)
    s.ledger.delivered(2_000, 0, 0, 5, 8)
    s.process(3_000, 0, 8, 10)
    report = s.check()
    (group,) = report.anomalies["skip"].groups
    assert report.summary()["skips"] == 3 and (group.start, group.end) == (5, 8)
    assert events(group) == ["processed", "delivered", "processed"]
    assert report.summary()["reorders"] == 0


def test_going_back_without_a_seek_is_a_reorder():
    """Within one tenure, a segment that starts before where the last one ended."""
    s = Story()
    s.start(0, 0)
    s.process(1_000, 0, 0, 4)
    s.process(2_000, 0, 0, 4)
    m = s.check().summary()
    assert (m["reorders"], m["skips"], m["duplicated_records"]) == (4, 0, 4)


def test_a_seek_back_then_reprocessing_is_a_duplicate_not_a_reorder():
    """An explicit seek sets where reading goes on: re-reading from there is in order."""
    s = Story()
    s.start(0, 0)
    s.process(1_000, 0, 0, 4)
    s.ledger.position(1_500, 0, 0, 0, "seek")
    s.process(2_000, 0, 0, 4)
    m = s.check().summary()
    assert (m["reorders"], m["skips"], m["duplicated_records"]) == (0, 0, 4)


def test_a_tenure_starting_elsewhere_than_its_position_skips():
    """The first segment of a tenure must start at the position the instance was given."""
    s = Story()
    s.start(0, 0, offset=2, source="committed")
    s.process(1_000, 0, 4, 10)
    assert s.check().summary()["skips"] == 2


# ---- metrics ---------------------------------------------------------------------------------
def test_downtime_is_partition_time_without_an_owner():
    """Owned 1 ms to 2 ms, unowned until 5 ms, owned to the end at 10 ms: 3 ms of downtime; a
    partition never assigned adds nothing."""
    s = Story(partitions=2)
    s.ledger.assigned(1_000, 0, 1, (0,))
    s.ledger.revoked(2_000, 0, (0,), False)
    s.ledger.assigned(5_000, 1, 2, (0,))
    assert s.check(at=10_000).summary()["rebalance_downtime_ms"] == 3.0


def test_commit_failures_crashes_and_rebalances_are_counted():
    """failed_commits counts every outcome but ok (an unknown outcome too)."""
    s = Story()
    s.start(0, 0)
    s.ledger.rebalance_started(10, 0)
    s.ledger.rebalance_started(20, 1)
    s.commit(100, 0, 0)
    s.commit(200, 0, 0, outcome="REBALANCE_IN_PROGRESS", applied=False)
    s.commit(300, 0, 0, outcome="unknown")
    s.crash(400, 0)
    m = s.check(quiesced=False).summary()
    assert (m["commits"], m["failed_commits"], m["crashes"], m["rebalances"]) == (3, 2, 1, 2)
    assert m["quiesced"] is False


# ---- cross-checks: each must fail on a planted fault -----------------------------------------
def test_a_sink_missing_an_effect_fails_the_cross_check():
    """The engine forgot one sink write: the sink no longer matches the ledger."""
    s = Story()
    s.start(0, 0)
    s.process(1_000, 0, 0, 5)
    s.process(2_000, 0, 5, 10, sink=False)
    report = s.check()
    assert not report.ok and failing(report) == ["sink-matches-ledger"]
    assert "partition 0: 5 offsets differ, first 5" in report.summary()["cross_check_failures"][0]


def test_an_idempotent_sink_shows_each_processed_record_once():
    """Duplicates processed into an idempotent sink: one visible effect each, and it agrees."""
    s = Story(sink="idempotent")
    s.start(0, 0)
    s.process(1_000, 0, 0, 10)
    s.crash(1_500, 0)
    s.start(2_000, 1, generation=2)
    s.process(3_000, 1, 0, 10, generation=2)
    report = s.check()
    assert report.ok and report.summary()["duplicated_records"] == 10
    assert s.sink.total_effects == 10 and s.sink.absorbed == 10


def test_duplicate_effects_are_what_the_sink_shows_twice():
    """The same history into a plain and an idempotent sink: as many records processed twice,
    but only the plain sink shows the second effects (duplicate_effects), and every run counts
    the deliveries, repeats included."""
    summaries = {}
    for kind in ("plain", "idempotent"):
        s = Story(sink=kind)
        s.start(0, 0)
        s.process(1_000, 0, 0, 10)
        s.crash(1_500, 0)
        s.start(2_000, 1, generation=2)
        s.process(3_000, 1, 0, 10, generation=2)
        summaries[kind] = s.check().summary()
    plain, idempotent = summaries["plain"], summaries["idempotent"]
    assert plain["deliveries"] == idempotent["deliveries"] == 20
    assert plain["duplicated_records"] == idempotent["duplicated_records"] == 10
    assert (plain["effects"], plain["duplicate_effects"]) == (20, 10)
    assert (idempotent["effects"], idempotent["duplicate_effects"]) == (10, 0)
    assert plain["cross_checks_ok"] and idempotent["cross_checks_ok"]


def test_lost_effects_are_the_lost_records_for_a_plain_sink():
    """Records never processed have no effect: lost_effects counts them as lost does."""
    s = Story()
    s.start(0, 0)
    s.process(1_000, 0, 0, 6)
    m = s.check().summary()
    assert (m["lost"], m["lost_effects"]) == (4, 4)


def test_a_business_key_sink_agrees_and_covers_superseded_records():
    """A business-key sink over a history with a repeat: the cross-check holds, and a record
    never processed whose key was later written by a newer record is not a lost effect."""
    s = Story(sink="idempotent", key="business", keys_per_partition=4)
    s.start(0, 0)
    s.process(1_000, 0, 0, 3)
    s.process(2_000, 0, 4, 10)  # offset 3 is skipped; its key 3 gets offset 7
    s.process(3_000, 0, 4, 6)  # a repeat: absorbed
    m = s.check().summary()
    assert m["cross_checks_ok"] and (m["lost"], m["lost_effects"]) == (1, 0)
    assert (m["effects"], m["duplicate_effects"]) == (9, 0)


def test_a_business_key_row_out_of_step_fails_the_cross_check():
    """A planted bug: the sink's row for a key does not hold the newest processed record."""
    s = Story(sink="idempotent", key="business", keys_per_partition=4)
    s.start(0, 0)
    s.process(1_000, 0, 0, 10)
    s.sink._versions[0][2] = 2  # key 2's row should hold offset 6
    assert failing(s.check()) == ["sink-matches-ledger"]


def test_absorbed_records_the_ledger_did_not_see_fail_the_cross_check():
    """The engine forgot to record what the sink absorbed: the trace would hide it."""
    s = Story(sink="idempotent")
    s.start(0, 0)
    s.process(1_000, 0, 0, 10)
    s.sink.apply(0, 0, 10)
    report = s.check()
    assert failing(report) == ["sink-matches-ledger"]
    assert "absorbed 10 records, the ledger recorded 0" in report.failures[0]


def test_an_external_store_agrees_with_its_refused_writes():
    """External offsets: the zombie's write refused (recorded absorbed, reason fenced), the
    store's results and offset match the writes the ledger saw land; the effects are once."""
    s = Story(sink="external-offsets")
    s.start(0, 0)
    s.process(1_000, 0, 0, 5)
    s.sink.claim(0, 2)
    s.start(2_000, 1, generation=2)
    s.process(2_500, 1, 5, 10, generation=2)
    s.process(3_000, 0, 5, 8, generation=1)  # the zombie of generation 1
    report = s.check()
    m = report.summary()
    assert report.ok and s.ledger.absorbed_writes[0].reason == "fenced"
    assert (m["duplicated_records"], m["duplicate_effects"], m["lost_effects"]) == (3, 0, 0)
    (group,) = report.anomalies["duplicate"].groups  # the story says the write was refused
    assert any("the store refused the write" in w.words for w in group.witness)


def test_an_external_store_offset_out_of_step_fails_the_cross_check():
    """A planted bug: the stored offset is not where the last landed write ended."""
    s = Story(sink="external-offsets")
    s.start(0, 0)
    s.process(1_000, 0, 0, 5)
    s.sink.stored[0] = 4
    assert failing(s.check()) == ["sink-matches-ledger"]


def test_a_sink_that_shows_repeats_fails_as_idempotent():
    """A plain sink passed off as idempotent shows duplicates twice: the cross-check fails."""
    s = Story()
    s.start(0, 0)
    s.process(1_000, 0, 0, 10)
    s.process(2_000, 0, 0, 10)
    s.sink.kind = "idempotent"
    assert failing(s.check()) == ["sink-matches-ledger"]


def test_processing_more_often_than_delivered_fails():
    """One delivery, two processings by the same instance: an effect out of nowhere."""
    s = Story()
    s.start(0, 0)
    s.process(1_000, 0, 0, 10)
    s.process(2_000, 0, 0, 10, deliver=False)
    assert failing(s.check()) == ["effects-within-deliveries"]


def test_processing_records_delivered_to_someone_else_fails():
    """Records delivered to one instance and processed by another."""
    s = Story()
    s.start(0, 0)
    s.start(0, 1)
    s.ledger.delivered(1_000, 0, 0, 0, 10)
    s.process(1_000, 1, 0, 10, deliver=False)
    assert failing(s.check()) == ["processed-was-delivered"]


def test_a_commit_past_the_log_end_at_that_moment_fails():
    """Offset 15 stored while the log held 10 records, even though it grew to 20 later."""
    s = Story()
    s.start(0, 0)
    s.commit(1_000, 0, 15)
    s.ledger.appended(2_000, 0, 10)
    assert failing(s.check()) == ["commits-within-log-end"]


def test_reading_past_what_was_ever_appended_fails():
    """Records 10 and 11 never existed, yet they were delivered and processed."""
    s = Story()
    s.start(0, 0)
    s.process(1_000, 0, 8, 12)
    assert failing(s.check()) == ["committed-within-appended"]


@pytest.mark.parametrize("kind", ["plain", "idempotent"])
def test_sinks_count_visible_effects(kind):
    """plain: every processing shows; idempotent: a repeat is absorbed."""
    sink = make_sink(kind, 2)
    sink.apply(1, 0, 3)
    sink.apply(1, 2, 5)
    expected = [1, 1, 2, 1, 1] if kind == "plain" else [1, 1, 1, 1, 1]
    assert sink.visible(1).tolist() == expected and sink.visible(0).tolist() == []
    assert sink.total_effects == sum(expected)


def test_an_unknown_sink_kind_is_refused():
    with pytest.raises(ValueError, match="allowed: plain, idempotent"):
        make_sink("exactly-once", 1)

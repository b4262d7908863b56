"""The timeline: what it draws (read from `build_timeline`'s data, not from pixels), and that
`--plot` writes it. Each shipped lesson's cause must show as its own kind of mark."""

import functools
from pathlib import Path

import pytest

from sim import load_scenario, run
from sim.ledger import Fault
from sim.report.timeline import plot_run
from sim.report.timeline_build import build_timeline
from sim.report.timeline_data import MARKS, SPANS
from tests.e2e.conftest import offsim

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
S = 1_000_000  # µs per second


@functools.cache
def result(name: str, **kwargs):
    return run(load_scenario(SCENARIOS / f"{name}.toml"), **kwargs)


def timeline(name: str, record=None):
    return build_timeline(result(name), record)


def lane(tl, name: str) -> int:
    return tl.lanes.index(name)


def _on(tl, items, kind: str, lane_name: str | None) -> list:
    where = None if lane_name is None else lane(tl, lane_name)
    return [x for x in items if x.kind == kind and where in (None, x.lane)]


def spans(tl, kind: str, lane_name: str | None = None) -> list:
    return _on(tl, tl.spans, kind, lane_name)


def points(tl, kind: str, lane_name: str | None = None) -> list:
    return _on(tl, tl.points, kind, lane_name)


def legend_kinds(tl) -> set[str]:
    return {kind for _, kind, _ in tl.legend()}


def overlap(span, a: float, b: float) -> bool:
    return span.start_us < b and span.end_us > a


# ---- crash-mid-batch --record 0:1200 ----------------------------------------------------------
def test_the_requested_record_is_followed_through_its_life():
    """--record 0:1200: delivered to consumer-0-0, processed, delivered again to consumer-0-1
    after the crash, processed again, and a commit passed it: each a mark on its own lane."""
    tl = timeline("crash-mid-batch", (0, 1200))
    assert tl.lanes[-1] == "record p0:1200" and tl.record_lane == len(tl.lanes) - 1
    life = sorted((p.at_us, p.kind) for p in tl.points if p.lane == tl.record_lane)
    assert [kind for _, kind in life] == [
        "delivered", "processed", "redelivered", "processed", "committed-past",
    ]  # fmt: skip
    assert "consumer-0-0" in points(tl, "delivered")[0].text
    assert "consumer-0-1" in points(tl, "redelivered")[0].text
    assert abs(life[1][0] - 8.443 * S) < 1_000  # processed at 8.443 s, as the story says
    assert spans(tl, "life")[0].start_us == life[0][0]


def test_the_axis_ends_with_the_action_not_the_run():
    """Everything ends at about 24 s; the run window is 60 s. The axis stops just after the
    last event and says where the run ends."""
    tl = timeline("crash-mid-batch")
    assert 24.1 * S < tl.x_end_us < 25.5 * S
    assert "the run ends at 60.078 s" in tl.note
    assert tl.x_start_us > 5 * S  # nothing happens before the group forms at 6 s


def test_the_legend_lists_only_what_is_drawn():
    """Every legend entry has a mark or span on the picture, and nothing drawn is missing."""
    tl = timeline("crash-mid-batch")
    drawn = {s.kind for s in tl.spans} | {p.kind for p in tl.points}
    assert legend_kinds(tl) == drawn
    assert not legend_kinds(tl) & {"commit-failed", "processing-error", "lost", "stall"}


def test_a_crashed_members_partitions_are_shaded_until_the_next_generation():
    """consumer-0-0 crashed at 8.627 s holding p0 and p1: no owner until generation 2."""
    tl = timeline("crash-mid-batch")
    for p in ("p0", "p1"):
        (orphaned,) = [s for s in spans(tl, "no-owner", p) if s.end_us - s.start_us > S]
        assert abs(orphaned.start_us - 8.627 * S) < 1_000
        assert abs(orphaned.end_us - 18.09 * S) < 10_000
    assert points(tl, "crash", "consumer-0")


def test_lane_labels_are_readable():
    """The generation labels sit in their own lane at a readable size; partitions with
    anomalies say how many in their lane's name."""
    tl = timeline("crash-mid-batch")
    assert [lab.text for lab in tl.labels if lab.lane == 0] == ["g1", "g2"]
    assert tl.alerts == {lane(tl, "p0"): "300 twice"}


# ---- stalls and pauses ------------------------------------------------------------------------
def test_a_gc_pause_is_drawn_as_a_pause_not_as_processing():
    """gc-pause: consumer-0 is paused 8 s to 23 s; no processing is drawn inside it."""
    tl = timeline("gc-pause")
    (pause,) = spans(tl, "pause", "consumer-0")
    assert (pause.start_us, pause.end_us) == (8 * S, 23 * S)
    inside = (8 * S + 50_000, 23 * S - 50_000)
    assert not [s for s in spans(tl, "processing", "consumer-0") if overlap(s, *inside)]


def test_a_stall_and_a_pause_draw_different_pictures():
    """zombie-poll-timeout (a stalled loop, then max.poll.interval.ms) and gc-pause (the
    whole process) end in the same duplicates; their timelines name different causes."""
    stall, pause = timeline("zombie-poll-timeout"), timeline("gc-pause")
    assert {"stall", "poll-timeout"} <= legend_kinds(stall)
    assert "pause" in legend_kinds(pause) and "stall" not in legend_kinds(pause)
    (stalled,) = spans(stall, "stall", "consumer-0")
    assert not [s for s in spans(stall, "processing", "consumer-0")
                if overlap(s, stalled.start_us + 50_000, stalled.end_us - 50_000)]  # fmt: skip


def test_a_zombie_shows_two_owners_and_what_was_processed_again():
    """gc-pause: consumer-1 takes p1 while the paused consumer-0 still holds it."""
    tl = timeline("gc-pause")
    (two,) = spans(tl, "two-owners", "p1")
    assert 18 * S < two.start_us < 18.3 * S and 23 * S < two.end_us < 23.3 * S
    again = spans(tl, "again", "p1")
    assert again and all(overlap(s, two.start_us, two.end_us + 100_000) for s in again)
    assert not [s for s in again if s.end_us < 18 * S]  # the first processing is not "again"


def test_a_network_cut_is_its_own_period():
    tl = timeline("network-cut")
    (cut,) = spans(tl, "network-cut", "consumer-0")
    assert (cut.start_us, cut.end_us) == (8 * S, 28 * S)
    assert "pause" not in legend_kinds(tl) and "stall" not in legend_kinds(tl)


# ---- rolling restarts and failovers -----------------------------------------------------------
def test_a_rolling_restart_marks_each_step_and_draws_no_duplicate_pattern():
    """Three steps (close, then a new incarnation), no record processed twice: no "processed
    again" hatch, and the caught-up consumers' small batches draw solid bars, not a fence."""
    tl = timeline("rolling-restart")
    steps = points(tl, "rolling-restart")
    assert [round(p.at_us / S, 1) for p in steps] == [8.0, 15.5, 23.0]
    assert len(points(tl, "restart")) == 3 and not points(tl, "leave")
    assert not spans(tl, "again")
    for p in range(6):
        assert len(spans(tl, "processing", f"p{p}")) <= 16


def test_a_coordinator_failover_is_marked_and_not_called_a_rebalance():
    """coordinator-failover: unavailable 10-13 s, loading 13-17 s, on the group lane; the
    rebalance under way when it began is cut there, and no rebalance is drawn inside it."""
    tl = timeline("coordinator-failover")
    (down,), (loading,) = spans(tl, "unavailable", "group"), spans(tl, "loading", "group")
    assert (down.start_us, down.end_us) == (10 * S, 13 * S)
    assert (loading.start_us, loading.end_us) == (13 * S, 17 * S)
    assert not [s for s in spans(tl, "rebalancing") if overlap(s, 10 * S, 17 * S)]
    assert points(tl, "commit-failed", "consumer-0")


# ---- the group lane: a classic rebalance, a consumer group's reconciliation --------------------
def test_a_consumer_group_reconciles_on_the_group_lane_and_never_rebalances():
    """group.protocol = "consumer": members keep processing while the group moves to a new
    target assignment (the partition lanes show each revocation and assignment), so the group
    lane draws a lighter "reconciling" band, named so in the legend, never the classic grey
    "group rebalancing" span."""
    tl = timeline("kip848-slow-member-join")
    assert not spans(tl, "rebalancing")
    bands = spans(tl, "reconciling", "group")
    assert bands and all(b.text.startswith("reconciling from epoch") for b in bands)
    labels = {style.label for _, kind, style in tl.legend() if kind == "reconciling"}
    assert labels == {"group reconciling (members keep processing)"}
    assert "rebalancing" not in legend_kinds(tl)


def test_a_classic_group_still_draws_its_rebalances_grey():
    """A classic group stops its members for a rebalance: the grey "group rebalancing" span."""
    tl = timeline("rolling-restart")
    assert spans(tl, "rebalancing", "group") and not spans(tl, "reconciling")
    assert SPANS["rebalancing"].label == "group rebalancing"


# ---- every kind of event ----------------------------------------------------------------------
def test_joins_leaves_lost_responses_and_commit_errors_each_have_a_mark():
    """production-like: a scale-up, a clean leave, coordinator errors and a lost response."""
    tl = timeline("production-like")
    for kind in ("join", "leave", "lost-response", "commit-failed", "commit-unknown", "crash",
                 "restart"):  # fmt: skip
        assert points(tl, kind), kind


def test_expired_offsets_are_marked_on_the_group_lane():
    tl = timeline("offsets-expire")
    assert [p.lane for p in points(tl, "offsets-expired")] == [0]


def test_a_poison_record_and_its_loss_are_marked():
    tl = timeline("finally-commit-poison")
    assert points(tl, "processing-error") and points(tl, "lost")
    assert tl.alerts[lane(tl, "p2")].endswith("lost")


def test_a_fault_kind_without_a_style_still_draws_under_its_own_name():
    """A new kind of event (another branch may add one) is drawn with the generic mark and
    named in the legend, until it gets a style of its own in MARKS."""
    r = run(load_scenario(SCENARIOS / "crash-mid-batch.toml"))
    r.ledger.faults.append(Fault(10**9, 9 * S, "coordinator-rediscovery", 1, ""))
    tl = build_timeline(r)
    (mark,) = points(tl, "fault")
    assert mark.label == "coordinator-rediscovery" and mark.lane == lane(tl, "consumer-1")
    assert "coordinator-rediscovery" in [style.label for _, _, style in tl.legend()]


def test_every_style_has_both_inks():
    """Each kind draws in the PNG (matplotlib) and the page (Plotly) with its own symbol."""
    symbols = [(s.symbol, s.plotly) for k, s in MARKS.items() if k != "fault"]
    assert len(set(symbols)) == len(symbols)
    assert all(style.label for kind, style in SPANS.items())


def test_twelve_partitions_and_ten_minutes_stay_readable(tmp_path):
    """A ten-minute production-like run over twelve partitions: at most a few marks per pixel
    column and lane, labels no closer than their width, and a picture a slide can hold."""
    base = load_scenario(SCENARIOS / "production-like.toml")
    faults = [f.model_dump(exclude_none=True) for f in base.faults]
    for f in faults:
        if f["kind"] == "crash":
            f["to_ms"] = 590_000
    scenario = base.replace(
        topic={"partitions": 12, "produce_rate_per_s": 60}, run={"duration_ms": 600_000},
        faults=faults,
    )  # fmt: skip
    r = run(scenario)
    tl = build_timeline(r, columns=1100)
    assert len(tl.lanes) == 1 + 4 + 12
    assert len(tl.spans) + len(tl.points) < 6 * 1100 * len(tl.lanes) / 10
    per_lane: dict[int, list] = {}
    for lab in tl.labels:
        per_lane.setdefault(lab.lane, []).append(lab)
    pixel = (tl.x_end_us - tl.x_start_us) / 1100
    for labels in per_lane.values():
        for a, b in zip(labels, labels[1:], strict=False):
            assert b.at_us - a.at_us >= 6 * len(a.text) * pixel
    path = tmp_path / "long.png"
    plot_run(r, path)
    assert path.stat().st_size < 400_000


# ---- the files --------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_plot_writes_the_same_picture_twice(tmp_path, suffix):
    """Both formats, by the file's extension; the same run draws the same bytes."""
    first, second = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
    plot_run(result("finally-commit-poison"), first)
    plot_run(result("finally-commit-poison"), second)
    data = first.read_bytes()
    assert data == second.read_bytes() and len(data) > 1000


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_plot_writes_a_picture(tmp_path, suffix):
    """Both formats, by the file's extension, with the anomaly marks of a lossy run."""
    path = tmp_path / f"timeline{suffix}"
    plot_run(run(load_scenario("finally-commit-poison")), path)
    data = path.read_bytes()
    assert len(data) > 1000
    assert data.startswith(b"\x89PNG") if suffix == ".png" else b"<svg" in data[:2000]


def test_cli_run_and_explain_write_plots(tmp_path):
    png, svg = tmp_path / "run.png", tmp_path / "explain.svg"
    offsim("run", "crash-mid-batch", "--plot", png, check=True)
    offsim("explain", "crash-mid-batch", "--record", "0:1200", "--plot", svg, check=True)
    assert png.stat().st_size > 1000 and svg.stat().st_size > 1000


def test_cli_refuses_an_unknown_plot_format(tmp_path):
    proc = offsim("run", "crash-mid-batch", "--plot", tmp_path / "t.pdf")
    assert proc.returncode == 2 and "must end in .png or .svg" in proc.stderr

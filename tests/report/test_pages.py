"""`--html FILE`: one self-contained page per run, comparison and sweep (the browser tests in
tests/browser/ open them in Chromium)."""

import re

import pytest

from sim import load_scenario, run
from sim.report.page import run_page
from sim.report.page_figures import steps, timeline_figure
from sim.report.timeline_build import build_timeline
from tests.e2e.conftest import offsim
from tests.report.test_timeline import SCENARIOS


def page(name: str, record=None) -> str:
    return run_page(run(load_scenario(SCENARIOS / f"{name}.toml")), record)


def test_a_run_page_is_self_contained_and_the_same_every_time():
    """Plotly's JavaScript inlined once; no script, style or link from anywhere else; the same
    run writes the same bytes."""
    text = page("crash-mid-batch", (0, 1200))
    assert text == page("crash-mid-batch", (0, 1200))
    assert len(re.findall(r"<script\b[^>]*\bsrc=", text)) == 0
    assert not re.search(r"<link\b", text) and "@import" not in text
    assert text.count("plotly.js v") >= 1 and 1_000_000 < len(text) < 8_000_000
    assert "cdn." not in text.split("<script")[0]  # nothing fetched before the inlined library


def test_a_run_page_holds_the_summary_the_stories_the_record_and_the_scenario():
    text = page("crash-mid-batch", (0, 1200))
    for section in ('id="timeline"', 'id="record"', 'id="summary"', 'id="stories"',
                    'id="scenario"'):  # fmt: skip
        assert section in text
    assert "records processed more than once" in text  # the summary table
    assert 'id="story-duplicate-0"' in text and "p0:1000 was processed twice" in text
    assert "p0:1200 was processed twice" in text  # the record's own story
    assert "name = &quot;crash-mid-batch&quot;" in text  # the scenario, as TOML


def test_each_anomaly_on_the_timeline_knows_its_witness_and_its_story():
    """The click glue's data: one entry per anomaly, its witness events, its story's id."""
    text = page("gc-pause")
    data = re.search(r"var W = (\[.*?\]);", text).group(1)
    assert (
        '"story": "story-duplicate-0"' in data and '"story": "story-concurrent-duplicate-0"' in data
    )
    assert "still held partition 1" in data


def test_the_step_through_plays_the_runs_events_in_order():
    """One animation frame per event (routine commits aside), in time order; the first frame
    names the first event, the pause of gc-pause among them."""
    tl = build_timeline(run(load_scenario(SCENARIOS / "gc-pause.toml")), columns=2000)
    told = steps(tl)
    assert [e.at_us for e in told] == sorted(e.at_us for e in told)
    assert any(e.kind == "pause" for e in told) and not any(e.kind == "commit-ok" for e in told)
    fig = timeline_figure(tl)
    assert len(fig.frames) == len(told)
    assert fig.frames[0].data[0].text[0].startswith(f"{told[0].at_us / 1e6:.3f} s: generation 1")


@pytest.mark.parametrize("command", [
    ["run", "crash-mid-batch"], ["explain", "crash-mid-batch", "--record", "0:1200"],
    ["compare", "crash-mid-batch", "--strategies", "auto,sync-per-batch", "--seeds", "2"],
])  # fmt: skip
def test_the_commands_write_a_page(tmp_path, command):
    out = tmp_path / "page.html"
    offsim(*command, "--html", out, check=True)
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "Plotly.newPlot" in text


@pytest.mark.parametrize(("name", "message"), [
    ("page.txt", "the file must end in .html"),
    ("missing/page.html", "no such folder"),
])  # fmt: skip
def test_a_bad_page_path_exits_2_before_running(tmp_path, name, message):
    proc = offsim("run", "crash-mid-batch", "--html", tmp_path / name)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""  # refused before the run

"""The HTML pages (`--html FILE`): one self-contained file per run, comparison or sweep.

A page opens offline, from a USB stick in a lecture hall: Plotly's JavaScript is inlined once,
nothing is fetched (no CDN, no font, no MathJax). The run's page holds the interactive timeline
(zoom, hover any bar or mark for its details, click an anomaly's red circle to star its witness
and highlight its story, play the run event by event), the summary, each anomaly's story, and
the scenario. The only JavaScript of ours is that click's glue, a dozen lines. The same run
writes the same bytes (fixed element ids, no date).
"""

from __future__ import annotations

import html
import json
import textwrap

import plotly.io as pio

from sim import __version__
from sim.files import write_text
from sim.report.explain import stories
from sim.report.page_figures import S, compare_figure, sweep_figure, timeline_figure
from sim.report.storyteller import Storyteller
from sim.report.tables import compare_table, run_table
from sim.report.timeline_build import build_timeline
from sim.scenario import dump_scenario

COLUMNS = 2000  # pixel columns of the page's timeline: finer than the PNG's, for zooming
CONFIG = {"displaylogo": False, "responsive": True, "scrollZoom": False}
STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 1.2em 2em; color: #222;
       max-width: 1500px; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
.lead { color: #444; max-width: 60em; } .how { color: #555; font-size: 0.92em; }
nav a { margin-right: 1.2em; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
.story { border-left: 4px solid #ddd; padding: 0.3em 0.8em; margin: 0.6em 0; max-width: 70em; }
.story .records { font-weight: bold; font-family: monospace; }
.story.chosen { border-left-color: #b01c1c; background: #fff3f3; }
footer { color: #777; font-size: 0.85em; margin-top: 2em; }
"""
# Clicking an anomaly's circle stars its witness and highlights its story (Plotly's click
# event; the witnesses are data written beside it). The whole of our JavaScript.
GLUE = """
var gd = document.getElementById('{plot_id}');
var W = WITNESSES;
function trace(name) {
  for (var i = 0; i < gd.data.length; i++) { if (gd.data[i].name === name) { return i; } }
  return -1;
}
gd.on('plotly_click', function (event) {
  var point = event.points[0];
  if (!point || point.data.name !== 'anomalies') { return; }
  var w = W[point.customdata];
  Plotly.restyle(gd, {x: [w.x], y: [w.y], hovertext: [w.text]}, [trace('witness')]);
  document.querySelectorAll('.story.chosen').forEach(function (e) {
    e.classList.remove('chosen');
  });
  var story = document.getElementById(w.story);
  if (story) { story.classList.add('chosen'); story.scrollIntoView({block: 'nearest'}); }
});
// Pausing (or moving the slider during play) interrupts Plotly's animation, which rejects the
// interrupted animation's promise with no reason; nothing failed, so say nothing.
window.addEventListener('unhandledrejection', function (event) {
  if (event.reason === undefined) { event.preventDefault(); }
});
"""


def _figure_html(fig, div_id: str, first: bool, post_script: str | None = None) -> str:
    return pio.to_html(
        fig, config=CONFIG, auto_play=False, include_plotlyjs=first, include_mathjax=False,
        full_html=False, div_id=div_id, post_script=post_script, default_height=None,
    )  # fmt: skip


def document(title: str, lead: str, sections: list[tuple[str, str, str]]) -> str:
    """A whole page: `sections` are (id, heading, inner HTML)."""
    nav = "".join(f'<a href="#{sid}">{html.escape(head)}</a>' for sid, head, _ in sections)
    body = "".join(
        f'<section id="{sid}"><h2>{html.escape(head)}</h2>{inner}</section>'
        for sid, head, inner in sections
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{STYLE}</style></head><body>"
        f'<header><h1>{html.escape(title)}</h1><p class="lead">{html.escape(lead)}</p>'
        f"<nav>{nav}</nav></header>{body}"
        f"<footer>Written by offsim {__version__}; opens offline, nothing is fetched."
        "</footer></body></html>\n"
    )


def _pre(text: str) -> str:
    return f"<pre>{html.escape(text)}</pre>"


def _story_sections(result, spec) -> tuple[str, dict]:
    """The stories as HTML, and (kind, partition, offset) -> the id of the story telling it."""
    parts, where = [], {}
    for section in stories(result.report, spec):
        n = len(section.causes)
        parts.append(f"<h3>{section.kind}: {section.count:,} ({n} cause{'s' * (n != 1)})</h3>")
        for k, cause in enumerate(section.causes):
            sid = f"story-{section.kind}-{k}"
            for g in cause.groups:
                where[(section.kind, g.partition, g.start)] = sid
            parts.append(
                f'<div class="story" id="{sid}"><span class="records">{cause.spans(8)}</span> '
                f"({cause.records:,} records)<br>{html.escape(cause.words)}</div>"
            )
        if section.unexamined_records:
            parts.append(f"<p>… and {section.unexamined_records:,} more records whose cause was "
                         "not examined (offsim explain --record P:OFFSET tells any record's "
                         "story).</p>")  # fmt: skip
    if not parts:
        parts = ["<p>No anomaly: nothing lost, nothing processed twice.</p>"]
    return "".join(parts), where


def run_page(result, record: tuple[int, int] | None = None) -> str:
    """The page of one run (`offsim run --html`, `offsim explain --html`)."""
    spec = result.spec
    timeline = build_timeline(result, record, COLUMNS)
    stories_html, where = _story_sections(result, spec)
    witnesses = []
    for a in timeline.anomalies:
        witnesses.append({
            "x": [w.at_us * S for w in a.witness], "y": [w.lane for w in a.witness],
            "text": [w.text for w in a.witness],
            "story": where.get((a.kind, a.partition, a.start), ""),
        })  # fmt: skip
    glue = GLUE.replace("WITNESSES", json.dumps(witnesses, sort_keys=True))
    figure = _figure_html(timeline_figure(timeline), "timeline-plot", True, glue)
    how = (
        '<p class="how">Hover a bar or a mark for its details; drag to zoom, double-click to '
        "zoom out. Click a red circle (an anomaly) to star the events that caused it and "
        "highlight its story below. ▶ plays the run event by event (the slider steps through "
        "it by hand).</p>"
    )
    sections = [("timeline", "Timeline", how + figure)]
    if record is not None:
        teller = Storyteller(result.report.history, spec.session_timeout_ms)
        words = teller.record(*record)[1]
        sections.append(("record", f"Record p{record[0]}:{record[1]}",
                         f'<div class="story chosen">{html.escape(words)}</div>'))  # fmt: skip
    sections += [
        ("summary", "Summary", _pre(run_table(result.summary()))),
        ("stories", "Each anomaly's story", stories_html),
        ("scenario", "The scenario", _pre(dump_scenario(spec))),
    ]
    lead = " ".join(spec.description.split()) or timeline.title
    return document(timeline.title, lead, sections)


def compare_page(rows: list[dict], spec) -> str:
    """The page of `offsim compare --html`: a panel per field, the table, the scenario."""
    figure = _figure_html(compare_figure(rows), "compare-plot", True)
    sections = [
        ("charts", "Every field, per strategy", figure),
        ("table", "Table", _pre(compare_table(rows))),
        ("scenario", "The scenario", _pre(dump_scenario(spec))),
    ]
    title = f"{spec.name}: {len(rows)} strategies over {rows[0]['seeds']} seeds"
    return document(title, " ".join(spec.description.split()), sections)


def sweep_page(name: str, chart, table: str, sweep_text: str) -> str:
    """The page of `offsim sweep --html`: the panels of the sweep chart, the table, the file."""
    figure = _figure_html(sweep_figure(chart), "sweep-plot", True)
    sections = [
        ("charts", "Over the grid", figure),
        ("table", "Table", _pre(table)),
        ("sweep", "The sweep file", _pre(sweep_text)),
    ]
    lead = "\n".join(textwrap.wrap(chart.title, 200))
    return document(f"{name}: a sweep", lead, sections)


def write_page(path, page: str) -> None:
    """Write a page whole (a partial file moved into place: never half a page)."""
    write_text(path, page)

"""The interactive figures of the HTML pages, drawn with Plotly from the same data as the PNGs.

The run's timeline is `sim.report.timeline_data.Timeline` (its lanes, spans and marks, each with
the words a hover shows), plus what only a page can do: a trace of the anomalies to click (the
page's glue puts the clicked one's witness in the `witness` trace) and animation frames that
step through the run's events one by one, with a slider and play/pause buttons (Plotly's own
animation: no JavaScript of ours). Comparisons draw every interval field of `compare`'s rows,
whatever they are; sweeps draw `sim.report.sweep_charts.SweepChart`'s panels.
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.report.sweep_charts import Heatmap, Note, Tradeoff
from sim.report.timeline_data import MARKS, SPANS, slot_color
from sim.report.timeline_data import Point as Mark

S = 1e-6  # µs -> s on the x axis
# Span kind -> (offset from the lane's centre, height), as in the PNG; held strips per row.
BOXES = {
    "processing": (-0.34, 0.5), "again": (-0.4, 0.62), "no-owner": (-0.45, 0.9),
    "two-owners": (-0.45, 0.9), "rebalancing": (-0.32, 0.64), "reconciling": (-0.32, 0.64),
    "unavailable": (-0.32, 0.64), "loading": (-0.32, 0.64), "stall": (-0.42, 0.84),
    "pause": (-0.42, 0.84), "network-cut": (-0.42, 0.84), "life": (-0.04, 0.08),
    "held-0": (0.2, 0.11), "held-1": (0.33, 0.11),
}  # fmt: skip
STEP_KINDS = {"no-owner", "two-owners", "rebalancing", "reconciling", "unavailable", "loading",
              "stall", "pause", "network-cut", "again"}  # fmt: skip
MAX_STEPS = 250
FONT = {"family": "DejaVu Sans, Arial, sans-serif", "size": 12}


def _span_trace(kind: str, color: str | None, row: int, spans: list) -> go.Bar:
    style = SPANS[kind]
    top, high = BOXES[f"held-{row}" if kind == "held" else kind]
    ink = color or style.color
    marker: dict = {"color": ink, "line": {"width": 0}}
    if kind == "held":
        marker["opacity"] = 0.55
    elif not style.fill:
        face = {"no-owner": "#f4f4f4", "two-owners": "#fbe4e4"}.get(kind, "rgba(0,0,0,0)")
        marker = {"color": face, "line": {"width": 0.8, "color": ink},
                  "pattern": {"shape": style.plotly, "fgcolor": ink, "size": 6}}  # fmt: skip
    elif kind in ("unavailable", "loading"):
        marker["opacity"] = 0.6
    return go.Bar(
        orientation="h", base=[sp.start_us * S for sp in spans],
        x=[(sp.end_us - sp.start_us) * S for sp in spans],
        y=[sp.lane + top + high / 2 for sp in spans], width=high, marker=marker,
        hovertext=[sp.text for sp in spans], hoverinfo="text", name=style.label,
        legendgroup=f"span-{kind}", showlegend=False,
    )  # fmt: skip


def _mark_trace(kind: str, label: str, points: list) -> go.Scatter:
    style = MARKS[kind]
    dy = -0.44 if kind.startswith("commit-") else 0.0
    return go.Scatter(
        x=[p.at_us * S for p in points], y=[p.lane + dy for p in points], mode="markers",
        marker={"symbol": style.plotly, "color": style.color, "size": style.size + 2,
                "line": {"width": 1, "color": style.color if "open" in style.plotly else "white"}},
        hovertext=[p.text for p in points], hoverinfo="text", name=label or style.label,
    )  # fmt: skip


def steps(timeline) -> list[Mark]:
    """The run told event by event: every mark but routine commits, and the start of every
    period, in time order; at most MAX_STEPS (the first of each stretch speaks for it)."""
    events = [p for p in timeline.points if p.kind != "commit-ok"]
    events += [Mark(s.lane, s.start_us, s.kind, s.text) for s in timeline.spans
               if s.kind in STEP_KINDS]  # fmt: skip
    events += [Mark(lab.lane, lab.at_us, "generation", lab.hover) for lab in timeline.labels]
    events.sort(key=lambda p: (p.at_us, p.lane))
    if len(events) > MAX_STEPS:
        width = (timeline.x_end_us - timeline.x_start_us) / MAX_STEPS
        kept, last = [], None
        for e in events:
            column = int((e.at_us - timeline.x_start_us) // width)
            if column != last:
                kept.append(e)
                last = column
        events = kept
    return events


def _cursor(event: Mark, lanes: int, x_mid: float) -> dict:
    t = event.at_us * S
    side = "right" if t < x_mid else "left"
    return {
        "x": [t, t, t],
        "y": [-0.55, lanes - 0.45, event.lane],
        "text": [f"{t:.3f} s: {event.text}", "", ""],
        "textposition": f"bottom {side}",
    }


def timeline_figure(timeline, stories: dict[int, str] | None = None) -> go.Figure:
    """The timeline with hover words, the anomalies to click, the (empty) witness trace the
    glue fills, and one animation frame per step. `stories`: anomaly index -> the element id
    of its story on the page. Trace names `anomalies`, `witness` and `now` are the glue's."""
    fig = go.Figure()
    groups: dict[tuple, list] = {}
    for span in timeline.spans:
        groups.setdefault((span.kind, span.color, span.row), []).append(span)
    order = list(SPANS)
    for (kind, color, row), spans in sorted(groups.items(), key=lambda kv: order.index(kv[0][0])):
        fig.add_trace(_span_trace(kind, color, row, spans))
    for _, kind, style in timeline.legend():  # one legend entry per kind drawn
        if kind in SPANS:
            ink = style.color
            marker = {"color": ink if style.fill else "#ffffff", "line": {"width": 1, "color": ink},
                      "pattern": {"shape": style.plotly, "fgcolor": ink}}  # fmt: skip
            fig.add_trace(go.Bar(x=[None], y=[None], orientation="h", name=style.label,
                                 marker=marker, legendgroup=f"span-{kind}"))  # fmt: skip
    marks: dict[tuple, list] = {}
    for p in timeline.points:
        marks.setdefault((p.kind, p.label), []).append(p)
    for (kind, label), points in marks.items():
        fig.add_trace(_mark_trace(kind, label, points))
    fig.add_trace(go.Scatter(
        x=[lab.at_us * S for lab in timeline.labels], y=[lab.lane for lab in timeline.labels],
        mode="text", text=[lab.text for lab in timeline.labels], textposition="middle right",
        hovertext=[lab.hover for lab in timeline.labels], hoverinfo="text", showlegend=False,
        textfont={"size": 11, "color": "#333"},
    ))  # fmt: skip
    anomalies = timeline.anomalies
    fig.add_trace(go.Scatter(
        x=[a.at_us * S for a in anomalies], y=[a.lane for a in anomalies], mode="markers",
        marker={"symbol": "circle-open", "size": 22, "color": "#b01c1c", "line": {"width": 2.5}},
        customdata=list(range(len(anomalies))), name="anomalies", showlegend=bool(anomalies),
        hovertext=[f"{a.kind} {a.records}: click for its witness" for a in anomalies],
        hoverinfo="text",
    ))  # fmt: skip
    fig.add_trace(go.Scatter(
        x=[], y=[], mode="markers", name="witness", hoverinfo="text", showlegend=False,
        marker={"symbol": "star", "size": 18, "color": "#ffd400", "line": {"width": 1.5,
                                                                           "color": "#b01c1c"}},
    ))  # fmt: skip
    lanes = len(timeline.lanes)
    x_mid = (timeline.x_start_us + timeline.x_end_us) / 2 * S
    told = steps(timeline)
    first = _cursor(told[0], lanes, x_mid) if told else {"x": [], "y": [], "text": []}
    fig.add_trace(go.Scatter(
        **first, mode="lines+markers+text", name="now", showlegend=False, hoverinfo="skip",
        line={"color": "#b01c1c", "width": 1.5, "dash": "dot"},
        marker={"size": [0, 0, 16], "symbol": "circle-open", "color": "#b01c1c"},
        textfont={"size": 12, "color": "#b01c1c"}, cliponaxis=False,
    ))  # fmt: skip
    now = len(fig.data) - 1
    fig.frames = [
        go.Frame(name=str(k), data=[go.Scatter(**_cursor(e, lanes, x_mid))], traces=[now])
        for k, e in enumerate(told)
    ]
    _layout(fig, timeline, lanes, told)
    return fig


def _layout(fig, timeline, lanes: int, told: list) -> None:
    ticks = [f"{name} · {timeline.alerts[k]}" if k in timeline.alerts else name
             for k, name in enumerate(timeline.lanes)]  # fmt: skip
    frame = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate",
             "transition": {"duration": 0}}  # fmt: skip
    plot_px = 34 * lanes  # the page's heading carries the title; the buttons sit above
    fig.update_layout(
        font=FONT, barmode="overlay", bargap=0, height=plot_px + 230, plot_bgcolor="white",
        hovermode="closest", margin={"l": 10, "r": 10, "t": 70, "b": 160}, clickmode="event",
        xaxis={"title": "simulated time (s)" + (f" · {timeline.note}" if timeline.note else ""),
               "range": [timeline.x_start_us * S, timeline.x_end_us * S], "showgrid": True,
               "gridcolor": "#eee", "zeroline": False},
        yaxis={"tickvals": list(range(lanes)), "ticktext": ticks, "range": [lanes - 0.45, -0.6],
               "showgrid": False, "zeroline": False, "fixedrange": True, "automargin": True},
        legend={"orientation": "h", "y": -60 / plot_px, "yanchor": "top", "font": {"size": 11}},
        shapes=[{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": s - 0.5, "y1": s - 0.5,
                 "line": {"color": "#555", "width": 1}} for s in timeline.sections],
        updatemenus=[{
            "type": "buttons", "direction": "left", "x": 0, "y": 1.0, "yanchor": "bottom",
            "xanchor": "left", "pad": {"b": 28}, "showactive": False,
            "buttons": [
                {"label": "▶ play the run", "method": "animate",
                 "args": [None, {**frame, "frame": {"duration": 1500, "redraw": False},
                                 "fromcurrent": True}]},
                {"label": "❚❚ pause", "method": "animate", "args": [[None], frame]},
            ],
        }] if told else [],
        sliders=[{
            "active": 0, "x": 0.22, "len": 0.78, "y": 1.0, "yanchor": "bottom",
            "pad": {"b": 10, "t": 0}, "currentvalue": {"prefix": "step ", "font": {"size": 11}},
            "steps": [{"label": str(k + 1), "method": "animate", "args": [[str(k)], frame]}
                      for k in range(len(told))],
        }] if told else [],
    )  # fmt: skip


def compare_figure(rows: list[dict]) -> go.Figure:
    """One small panel per interval field of `compare`'s rows (the mean, with the 95% interval
    as a whisker), strategies down each panel, whatever fields the rows carry."""
    fields = [k for k, v in rows[0].items() if isinstance(v, dict) and "mean" in v]
    columns = 4
    lines = -(-len(fields) // columns)
    fig = make_subplots(
        rows=lines,
        cols=columns,
        subplot_titles=[f.replace("_", " ") for f in fields],
        horizontal_spacing=0.09,
        vertical_spacing=0.5 / lines,
    )
    names = [r["strategy"] for r in rows]
    for k, f in enumerate(fields):
        cells = [r[f] for r in rows]
        means = [c["mean"] for c in cells]
        fig.add_trace(go.Bar(
            x=means, y=names, orientation="h", marker={"color": "#4c72b0"}, showlegend=False,
            error_x={"type": "data", "symmetric": False, "color": "#222", "thickness": 1,
                     "array": [c["high"] - c["mean"] for c in cells],
                     "arrayminus": [c["mean"] - c["low"] for c in cells]},
            hovertext=[f"{n}: {f} {c['mean']:,.2f} (95% interval {c['low']:,.2f} to "
                       f"{c['high']:,.2f})" for n, c in zip(names, cells, strict=True)],
            hoverinfo="text",
        ), row=k // columns + 1, col=k % columns + 1)  # fmt: skip
    fig.update_yaxes(autorange="reversed", showticklabels=True, tickfont={"size": 10})
    fig.update_xaxes(rangemode="tozero", tickfont={"size": 10})
    fig.update_annotations(font={"size": 12})
    seeds = rows[0]["seeds"]
    fig.update_layout(
        title={"text": f"{rows[0]['scenario']}: mean over {seeds} seeds, whiskers the 95% "
                       "interval", "x": 0.01},
        font=FONT, height=80 + lines * (60 + 22 * len(rows)), plot_bgcolor="white",
        margin={"l": 10, "r": 10, "t": 70, "b": 30},
    )  # fmt: skip
    return fig


def sweep_figure(chart) -> go.Figure:
    """`sim.report.sweep_charts.SweepChart`'s panels, two a row, hover for every number."""
    panels = [p for line in chart.rows for p in line]
    lines = len(chart.rows)
    fig = make_subplots(rows=lines, cols=2, subplot_titles=[p.title for p in panels],
                        horizontal_spacing=0.12, vertical_spacing=0.35 / lines)  # fmt: skip
    for k, panel in enumerate(panels):
        where = {"row": k // 2 + 1, "col": k % 2 + 1}
        if isinstance(panel, Heatmap):
            text = [[panel.text(i, j).replace("\n", " ") for j in range(len(line))]
                    for i, line in enumerate(panel.values)]  # fmt: skip
            fig.add_trace(go.Heatmap(
                z=panel.values, x=panel.xs or [""], y=panel.ys, text=text,
                texttemplate="%{text}", colorscale=panel.cmap, zmin=0, zmax=panel.vmax,
                showscale=False, hovertemplate="%{y}, %{x}: %{text}<extra></extra>",
            ), **where)  # fmt: skip
            fig.update_yaxes(title_text=panel.ylabel, autorange="reversed", type="category",
                             **where)  # fmt: skip
            fig.update_xaxes(title_text=panel.xlabel, type="category", **where)
        elif isinstance(panel, Note):
            fig.add_trace(go.Scatter(x=[0.5], y=[0.5], mode="text", text=[panel.text],
                                     textfont={"size": 14, "color": "#666"}, hoverinfo="skip",
                                     showlegend=False), **where)  # fmt: skip
            fig.update_xaxes(visible=False, range=[0, 1], **where)
            fig.update_yaxes(visible=False, range=[0, 1], **where)
        elif isinstance(panel, Tradeoff):
            for s, (strategy, points) in enumerate(panel.series.items()):
                fig.add_trace(go.Scatter(
                    x=[p.x for p in points], y=[p.y for p in points], mode="markers+text",
                    text=[p.label for p in points], textposition="top right",
                    textfont={"size": 9}, name=strategy, legendgroup=strategy,
                    showlegend=k == len(panels) - 1, marker={"color": slot_color(s)},
                    error_x={"type": "data", "symmetric": False, "thickness": 0.8,
                             "array": [p.x_high - p.x for p in points],
                             "arrayminus": [p.x - p.x_low for p in points]},
                    error_y={"type": "data", "symmetric": False, "thickness": 0.8,
                             "array": [p.y_high - p.y for p in points],
                             "arrayminus": [p.y - p.y_low for p in points]},
                    hovertemplate="%{text}: %{x:.2f} twice per 1,000, %{y:.1f}<extra>"
                                  f"{strategy}</extra>",
                ), **where)  # fmt: skip
            fig.update_xaxes(title_text=panel.xlabel, rangemode="tozero", **where)
            fig.update_yaxes(title_text=panel.ylabel, rangemode="tozero", **where)
    fig.update_annotations(font={"size": 12})
    fig.update_layout(title={"text": chart.title, "x": 0.01, "font": {"size": 13}}, font=FONT,
                      height=120 + 330 * lines, plot_bgcolor="white",
                      margin={"l": 10, "r": 10, "t": 80, "b": 30})  # fmt: skip
    return fig

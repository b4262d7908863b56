"""The documentation shows what the code does."""

from pathlib import Path

from sim.scenario import dump_scenario, parse_scenario

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_scenario_docs_show_the_current_defaults():
    """docs/scenarios.md carries the dump of a name-only scenario: every field and default."""
    defaults = dump_scenario(parse_scenario({"name": "defaults"})).rstrip()
    assert f"```toml\n{defaults}\n```" in (DOCS / "scenarios.md").read_text()


def test_the_pages_doc_names_every_mark_and_period():
    """docs/pages.md's table has a row for every kind the timeline can draw."""
    from sim.report.timeline_data import MARKS, SPANS

    text = (DOCS / "pages.md").read_text()
    words = {
        "processing": "processing", "held": "partition held", "no-owner": "no owner",
        "two-owners": "two owners", "again": "processed again",
        "rebalancing": "group rebalancing", "unavailable": "coordinator unavailable",
        "loading": "loading", "stall": "poll loop stalled",
        "pause": "process paused", "network-cut": "cut off from the coordinator",
        "life": "the record's life", "commit-ok": "commit ok", "commit-failed": "failed",
        "commit-unknown": "outcome unknown", "crash": "| crash", "restart": "| restart",
        "join": "join", "leave": "leave", "rolling-restart": "rolling restart step",
        "poll-timeout": "max.poll.interval.ms ran out", "processing-error": "poison record",
        "lost-response": "commit response lost", "offsets-expired": "committed offsets expired",
        "fault": "grey circle", "lost": "| lost", "delivered": "record delivered",
        "redelivered": "again", "processed": "processed", "committed-past": "commit passed it",
    }  # fmt: skip
    assert set(words) == set(MARKS) | set(SPANS), "a new kind needs a row in docs/pages.md"
    for kind, phrase in words.items():
        assert phrase in text, kind

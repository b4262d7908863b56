"""The documentation shows what the code does."""

from pathlib import Path

from sim.scenario import dump_scenario, parse_scenario

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_scenario_docs_show_the_current_defaults():
    """docs/scenarios.md carries the dump of a name-only scenario: every field and default."""
    defaults = dump_scenario(parse_scenario({"name": "defaults"})).rstrip()
    assert f"```toml\n{defaults}\n```" in (DOCS / "scenarios.md").read_text()

"""Each page in a real browser: headless Chromium opens it from a file, it renders with no
console error, it asks for nothing over the network, and a screenshot is taken; the run page's
click and step-through work."""

import pytest

from sim import load_scenario, run
from sim.report.page import compare_page, run_page, sweep_page, write_page
from sim.report.sweep_charts import sweep_chart
from tests.report.test_timeline import SCENARIOS
from tests.sweep.test_charts import LABELS, ROWS

CRASH = load_scenario(SCENARIOS / "crash-mid-batch.toml")


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The four kinds of page, written once."""
    from sim import compare

    out = tmp_path_factory.mktemp("pages")
    paths = {name: out / f"{name}.html" for name in ("run", "explain", "compare", "sweep")}
    write_page(paths["run"], run_page(run(load_scenario(SCENARIOS / "gc-pause.toml"))))
    write_page(paths["explain"], run_page(run(CRASH), (0, 1200)))
    rows = compare(CRASH, ["auto", "sync-per-batch"], seeds=2)
    write_page(paths["compare"], compare_page(rows, CRASH))
    chart = sweep_chart("hand-made", ["a", "b"], ROWS, LABELS)
    write_page(paths["sweep"], sweep_page("hand-made", chart, "a table", 'name = "hand-made"'))
    return paths


@pytest.mark.parametrize("kind", ["run", "explain", "compare", "sweep"])
def test_the_page_renders_offline_without_a_console_error(browser, pages, kind, tmp_path):
    shot = tmp_path / f"{kind}.png"
    with browser.open(pages[kind]) as (page, visit):
        page.screenshot(path=str(shot))
    assert visit.console_errors == [] and visit.page_errors == []
    assert visit.outside == [], "the page asked the network for something"
    assert visit.requests == [pages[kind].resolve().as_uri()]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_a_planted_network_request_is_caught(browser, tmp_path):
    """The offline check can fail: a page that loads a script from a CDN is seen doing so."""
    page = tmp_path / "leaky.html"
    page.write_text(
        '<!DOCTYPE html><html><body><div class="plotly"><svg class="main-svg"></svg></div>'
        '<script src="https://cdn.example.invalid/plotly.min.js"></script></body></html>'
    )
    with browser.open(page) as (_, visit):
        pass
    assert visit.outside == ["https://cdn.example.invalid/plotly.min.js"]


def test_clicking_an_anomaly_stars_its_witness_and_highlights_its_story(browser, pages):
    with browser.open(pages["run"]) as (page, visit):
        witness = "() => document.getElementById('timeline-plot').data"
        before = page.evaluate(f"{witness}.find(t => t.name === 'witness').x.length")
        page.evaluate("""() => {
            const gd = document.getElementById('timeline-plot');
            const i = gd.data.findIndex(t => t.name === 'anomalies');
            gd.emit('plotly_click', {points: [{data: gd.data[i], customdata: 1}]});
        }""")
        after = page.evaluate(f"{witness}.find(t => t.name === 'witness').x.length")
        chosen = page.locator(".story.chosen").get_attribute("id")
        assert visit.console_errors == [] and visit.page_errors == []
    assert before == 0 and after >= 3
    assert chosen == "story-concurrent-duplicate-0"


def test_play_steps_through_the_run(browser, pages):
    """The play button moves the cursor from the first event onwards."""
    with browser.open(pages["explain"]) as (page, visit):
        cursor = """() => document.getElementById('timeline-plot').data
                    .find(t => t.name === 'now').x[0]"""
        first = page.evaluate(cursor)
        page.get_by_text("▶ play the run").click()
        page.wait_for_function(f"({cursor})() > {first}", timeout=15_000)
        page.get_by_text("❚❚ pause").click()
        assert visit.console_errors == [] and visit.page_errors == []

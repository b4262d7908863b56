"""Files written whole: an interruption leaves the old file or the new one, never half."""

import pytest

from sim.files import replacing, write_text
from sim.report.charts import plt, save


def test_an_interrupted_write_leaves_the_old_file_and_no_partial(tmp_path):
    target = tmp_path / "report.md"
    target.write_text("old\n")
    with pytest.raises(KeyboardInterrupt), replacing(target) as partial:
        partial.write_text("half of the n")
        raise KeyboardInterrupt
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_a_finished_write_replaces_the_file(tmp_path):
    target = tmp_path / "report.md"
    target.write_text("old\n")
    write_text(target, "new\n")
    assert target.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_a_chart_is_written_through_a_partial_file_with_its_suffix(tmp_path, monkeypatch):
    """matplotlib picks the format by the suffix, so the partial file keeps it."""
    import matplotlib.figure

    seen = []
    savefig = matplotlib.figure.Figure.savefig
    monkeypatch.setattr(
        matplotlib.figure.Figure,
        "savefig",
        lambda fig, path, **kw: (seen.append(str(path)), savefig(fig, path, **kw))[1],
    )
    save(plt.figure(), tmp_path / "c.svg")
    assert seen[0].endswith(".partial.svg")
    assert (tmp_path / "c.svg").read_text().startswith("<?xml")
    assert [p.name for p in tmp_path.iterdir()] == ["c.svg"]

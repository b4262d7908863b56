"""`offsim sweep` end to end, in its own process, as a user runs it."""

import csv
import sqlite3

from tests.e2e.conftest import offsim
from tests.sweep.conftest import SWEEP


def test_sweep_runs_resumes_and_exports(write_sweep, tmp_path):
    """A first run stores every task and prints the table; a second runs nothing new."""
    path, out, table = write_sweep(), tmp_path / "r.sqlite", tmp_path / "r.csv"
    first = offsim("sweep", path, "--workers", "2", "--out", out, "--csv", table, check=True)
    assert "16 to run" in first.stderr
    assert "sync-per-batch" in first.stdout and "dup records" in first.stdout
    assert len(first.stdout.splitlines()) == 3 + 4 * 2  # title, head, rule, point x strategy
    assert len(list(csv.DictReader(open(table, encoding="utf-8")))) == 16
    again = offsim("sweep", path, "--workers", "1", "--out", out, check=True)
    assert "16 already in" in again.stderr and "0 to run" in again.stderr
    assert again.stdout == first.stdout
    assert sqlite3.connect(out).execute("SELECT count(*) FROM runs").fetchone() == (16,)


def test_bad_sweep_exits_2_with_one_line(write_sweep, tmp_path):
    path = write_sweep(SWEEP.replace("seeds = 2", "seeds = -1"))
    proc = offsim("sweep", path, "--out", tmp_path / "r.sqlite")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "seeds: -1 is out of range" in proc.stderr


def test_bad_workers_exit_2(write_sweep, tmp_path):
    proc = offsim("sweep", write_sweep(), "--workers", "0", "--out", tmp_path / "r.sqlite")
    assert proc.returncode == 2 and proc.stderr.startswith("offsim: --workers")


def test_sweep_plot_is_drawn_from_the_stored_results_and_is_deterministic(write_sweep, tmp_path):
    """--plot draws the heatmaps from what the results file holds: a second call, which runs
    nothing, draws the same bytes."""
    path, out = write_sweep(), tmp_path / "r.sqlite"
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    offsim("sweep", path, "--workers", "1", "--out", out, "--plot", first, check=True)
    again = offsim("sweep", path, "--workers", "1", "--out", out, "--plot", second, check=True)
    assert "0 to run" in again.stderr
    assert first.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert first.read_bytes() == second.read_bytes()


def test_sweep_writes_its_page_with_the_same_panels(write_sweep, tmp_path):
    out = tmp_path / "sweep.html"
    offsim("sweep", write_sweep(), "--workers", "1", "--out", tmp_path / "r.sqlite",
           "--html", out, check=True)  # fmt: skip
    text = out.read_text(encoding="utf-8")
    assert "auto commit interval (ms)" in text and "Over the grid" in text


def test_sweep_plot_needs_a_picture_file(write_sweep, tmp_path):
    proc = offsim("sweep", write_sweep(), "--out", tmp_path / "r.sqlite", "--plot", "x.txt")
    assert proc.returncode == 2 and "must end in .png or .svg" in proc.stderr


def test_an_out_file_that_is_not_a_results_file_exits_2_untouched(write_sweep, tmp_path):
    out = tmp_path / "notes.sqlite"
    out.write_text("my notes\n")
    proc = offsim("sweep", write_sweep(), "--workers", "1", "--out", out)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "not an offsim results file" in proc.stderr and "Traceback" not in proc.stderr
    assert out.read_text() == "my notes\n"


def test_a_results_file_of_another_version_is_not_resumed(write_sweep, tmp_path):
    """Runs of two model versions never mix in one file: resuming one written by another
    version exits 2 and adds nothing."""
    path, out = write_sweep(), tmp_path / "r.sqlite"
    offsim("sweep", path, "--workers", "1", "--out", out, check=True)
    with sqlite3.connect(out) as db:
        db.execute("UPDATE meta SET value = '0.0.1' WHERE name = 'offsim_version'")
        db.execute("DELETE FROM runs WHERE seed = 3")
    proc = offsim("sweep", path, "--workers", "1", "--out", out)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "written by offsim 0.0.1" in proc.stderr
    assert sqlite3.connect(out).execute("SELECT count(*) FROM runs").fetchone() == (8,)

"""The results store: one row per key, batches as transactions, resumable without doubles."""

import csv
import sqlite3

from sim.cli.sweep import record
from sim.sweep.executors import run_serial
from sim.sweep.store import Store


def test_a_key_is_stored_once(tmp_path):
    """Adding a row whose key is stored already changes nothing, whatever its content."""
    with Store(tmp_path / "r.sqlite") as store:
        assert store.add("s", [(("d", "auto", 1), {"x": 1}, {"lost": 3})]) == 1
        assert store.add("s", [(("d", "auto", 1), {"x": 2}, {"lost": 9})]) == 0
        assert store.summaries() == [(("d", "auto", 1), {"x": 1}, {"lost": 3})]


def test_restart_after_a_kill_skips_what_is_done(tiny, tmp_path):
    """A sweep killed after some batches, run again on all tasks, ends with each task's row
    exactly once, the rows written before the kill untouched, equal to an uninterrupted sweep."""
    tasks = tiny.tasks()
    path = tmp_path / "r.sqlite"
    with Store(path) as store:  # the first run, killed after 5 runs were committed
        record(store, tiny.name, run_serial(tasks[:5]))
    first_rows = "SELECT rowid, scenario_digest FROM runs ORDER BY rowid LIMIT 5"
    before = sqlite3.connect(path).execute(first_rows).fetchall()
    with Store(path) as store:
        todo = [t for t in tasks if t.key not in store.done()]
        assert len(todo) == len(tasks) - 5
        record(store, tiny.name, run_serial(todo))
        resumed = store.summaries(t.key for t in tasks)
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM runs").fetchone() == (len(tasks),)
    assert db.execute(first_rows).fetchall() == before
    with Store(tmp_path / "whole.sqlite") as store:
        record(store, tiny.name, run_serial(tasks))
        assert store.summaries(t.key for t in tasks) == resumed


def test_an_interrupt_keeps_the_finished_runs(tiny, tmp_path):
    """Ctrl-C mid-batch: the runs finished before it are stored, nothing else."""
    tasks = tiny.tasks()

    def interrupted():
        yield from run_serial(tasks[:3])
        raise KeyboardInterrupt

    with Store(tmp_path / "r.sqlite") as store:
        try:
            record(store, tiny.name, interrupted())
        except KeyboardInterrupt:
            pass
        assert store.done() == {t.key for t in tasks[:3]}


def test_summary_fields_are_queryable(tiny, tmp_path):
    """lost, duplicated_records and trace_digest are columns; any other field via json."""
    path = tmp_path / "r.sqlite"
    with Store(path) as store:
        record(store, tiny.name, run_serial(tiny.tasks()))
    db = sqlite3.connect(path)
    rows = db.execute("SELECT strategy, avg(duplicated_records), count(trace_digest), "
                      "sum(json_extract(summary, '$.crashes')) FROM runs GROUP BY strategy "
                      "ORDER BY strategy").fetchall()  # fmt: skip
    assert [r[0] for r in rows] == ["auto", "sync-per-batch"]
    assert all(r[1] > 0 and r[2] == 8 and r[3] > 0 for r in rows)


def test_export_csv(tiny, tmp_path):
    """One line per row in the given order: the key, each parameter, every summary field."""
    tasks = tiny.tasks()
    with Store(tmp_path / "r.sqlite") as store:
        record(store, tiny.name, run_serial(tasks))
        assert store.export_csv(tmp_path / "r.csv", [t.key for t in tasks]) == len(tasks)
    rows = list(csv.DictReader(open(tmp_path / "r.csv", encoding="utf-8")))
    assert [(r["scenario_digest"], r["strategy"], int(r["seed"])) for r in rows] == [
        t.key for t in tasks
    ]
    assert rows[0]["strategy.auto_commit_interval_ms"] == "500"
    assert {"lost", "duplicated_records", "trace_digest", "offsim_version"} <= set(rows[0])

"""The results store: one SQLite row per (scenario digest, strategy, seed), so a sweep is
resumable.

The rule this module keeps: a row is written once and never changed. Rows arrive in batches, each
batch one transaction, and INSERT OR IGNORE on the primary key makes a re-run of a finished task a
no-op: a sweep killed at any moment loses at most the batch in flight (its tasks run again on
restart) and never doubles a row. A run is a pure function of its key, so whichever process wrote
a row first wrote what any other would have.

The summary (`RunResult.summary()`) is kept whole as JSON, so a field the checker adds later is
stored without a schema change; the fields a sweep is usually queried by are generated columns
over it (SELECT strategy, avg(lost) FROM runs GROUP BY strategy).

A run is a pure function of its key only for one version of the model, so the file records the
offsim version that wrote it, and another version refuses to add to it: resuming across versions
would mix two models' results in one table.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
from collections.abc import Iterable

from sim import __version__
from sim.files import replacing

KEY = ("scenario_digest", "strategy", "seed")
QUERY_FIELDS = {"lost": "INTEGER", "duplicated_records": "INTEGER", "trace_digest": "TEXT"}

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS runs (
    scenario_digest TEXT NOT NULL,
    strategy TEXT NOT NULL,
    seed INTEGER NOT NULL,
    sweep TEXT NOT NULL,
    parameters TEXT NOT NULL,
    summary TEXT NOT NULL,
    {
    ", ".join(
        f"{name} {kind} GENERATED ALWAYS AS (json_extract(summary, '$.{name}')) VIRTUAL"
        for name, kind in QUERY_FIELDS.items()
    )
},
    PRIMARY KEY (scenario_digest, strategy, seed)
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('offsim_version', '{__version__}');
"""


class StoreError(Exception):
    """The results file cannot be used: not a results file, or written by another version."""


class Store:
    """A results file; `with Store(path) as store:` closes it."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._db = sqlite3.connect(self.path)
        try:
            with self._db:
                self._db.executescript(_SCHEMA)
            (version,) = self._db.execute(
                "SELECT value FROM meta WHERE name = 'offsim_version'"
            ).fetchone()
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise StoreError(f"{self.path}: not an offsim results file ({error})") from None
        if version != __version__:
            self._db.close()
            raise StoreError(
                f"{self.path}: written by offsim {version}, this is offsim {__version__}, whose "
                "runs may differ; give another --out"
            )

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def done(self) -> set[tuple[str, str, int]]:
        """The keys already stored."""
        return set(self._db.execute(f"SELECT {', '.join(KEY)} FROM runs"))

    def add(self, sweep: str, rows: Iterable[tuple[tuple, dict, dict]]) -> int:
        """Store (key, grid point, summary) rows in one transaction; returns how many were new."""
        values = [(*key, sweep, _json(point), _json(summary)) for key, point, summary in rows]
        with self._db:
            before = self._db.total_changes
            self._db.executemany(
                "INSERT OR IGNORE INTO runs (scenario_digest, strategy, seed, "
                "sweep, parameters, summary) VALUES (?, ?, ?, ?, ?, ?)",
                values,
            )
            return self._db.total_changes - before

    def summaries(self, keys: Iterable[tuple] | None = None) -> list[tuple[tuple, dict, dict]]:
        """(key, grid point, summary) for `keys` in their order (missing ones left out), or for
        every row ordered by key."""
        select = f"SELECT {', '.join(KEY)}, parameters, summary FROM runs"
        if keys is None:
            found = self._db.execute(select + f" ORDER BY {', '.join(KEY)}")
            return [(tuple(r[:3]), json.loads(r[3]), json.loads(r[4])) for r in found]
        rows = []
        for key in keys:
            r = self._db.execute(
                select + " WHERE scenario_digest = ? AND strategy = ? AND seed = ?", tuple(key)
            ).fetchone()
            if r is not None:
                rows.append((tuple(r[:3]), json.loads(r[3]), json.loads(r[4])))
        return rows

    def export_csv(self, path: str | os.PathLike[str], keys: Iterable[tuple] | None = None) -> int:
        """One CSV line per row (see `summaries` for which and in what order): the key, each grid
        parameter, then every summary field. Returns the number of rows written."""
        rows = self.summaries(keys)
        params = _union(point for _, point, _ in rows)
        fields = [f for f in _union(s for _, _, s in rows) if f not in KEY]
        with replacing(path) as partial, open(partial, "w", newline="", encoding="utf-8") as file:
            out = csv.writer(file)
            out.writerow([*KEY, *params, *fields])
            for key, point, summary in rows:
                out.writerow(
                    [
                        *key,
                        *(_cell(point.get(p)) for p in params),
                        *(_cell(summary.get(f)) for f in fields),
                    ]
                )
        return len(rows)


def _json(value: dict) -> str:
    return json.dumps(value, separators=(",", ":"))


def _union(dicts: Iterable[dict]) -> list[str]:
    """Every key, in order of first appearance."""
    return list(dict.fromkeys(key for d in dicts for key in d))


def _cell(value) -> object:
    if isinstance(value, list | dict):
        return json.dumps(value)
    return "" if value is None else value

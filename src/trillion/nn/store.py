"""The run store: SQLite (standard library), one file per ladder, safe against a kill at any moment.

Tables: ``runs`` (id, config JSON, status pending/running/finished, result JSON, provenance JSON,
times) and ``metrics`` (run, step, values JSON; primary key (run, step), so a resumed run that
repeats steps replaces rather than duplicates them). WAL journal with synchronous=FULL: a commit
that returned survives SIGKILL; a finished run is written in one transaction with its result.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from trillion.errors import InputError

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    config TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'finished')),
    result TEXT,
    provenance TEXT,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS quantization (
    run TEXT NOT NULL REFERENCES runs(id),
    format TEXT NOT NULL,
    values_json TEXT NOT NULL,
    PRIMARY KEY (run, format)
);
CREATE TABLE IF NOT EXISTS metrics (
    run TEXT NOT NULL REFERENCES runs(id),
    step INTEGER NOT NULL,
    values_json TEXT NOT NULL,
    PRIMARY KEY (run, step)
);
"""


def damaged(path: Path, detail: str) -> InputError:
    return InputError(str(path), None, f"is damaged ({detail}); `trillion ladder repair --dir {path.parent}` "
                      "moves it aside and rebuilds it from the run folders (no finished run is lost)")  # fmt: skip


class Store:
    """The ladder's SQLite store, checked (``PRAGMA quick_check``) every time it is opened: a
    damaged file is an `InputError` naming it and the repair command, never used silently."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as e:
            raise damaged(self.path, f"SQLite: {e}") from None
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            verdict = self.db.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                raise damaged(self.path, f"SQLite quick_check: {str(verdict)[:120]}")
            self.db.executescript(SCHEMA)
            self.runs()  # every stored value decodes (bytes can be damaged inside intact pages)
            self.quantization()
        except sqlite3.DatabaseError as e:
            self.db.close()
            raise damaged(self.path, f"SQLite: {e}") from None
        except InputError:
            self.db.close()
            raise

    def close(self) -> None:
        self.db.close()

    def _rows(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """All rows of `query`; a value SQLite cannot decode is the damaged-store error."""
        try:
            return self.db.execute(query, params).fetchall()
        except sqlite3.DatabaseError as e:
            raise damaged(self.path, f"SQLite: {str(e).split(' with text ')[0][:120]}") from None

    def _json(self, text: str, column: str) -> Any:
        try:
            return json.loads(text)
        except (ValueError, TypeError):
            raise damaged(self.path, f"a stored {column} is not valid JSON") from None

    def add_run(self, run_id: str, config: dict[str, Any]) -> None:
        now = time.time()
        self.db.execute(
            "INSERT OR IGNORE INTO runs (id, config, status, created, updated) VALUES (?, ?, 'pending', ?, ?)",
            (run_id, json.dumps(config, sort_keys=True), now, now),
        )

    def status(self, run_id: str) -> str | None:
        rows = self._rows("SELECT status FROM runs WHERE id = ?", (run_id,))
        return rows[0][0] if rows else None

    def start(self, run_id: str, provenance: dict[str, Any]) -> None:
        self.db.execute(
            "UPDATE runs SET status = 'running', provenance = ?, updated = ? WHERE id = ? AND status != 'finished'",
            (json.dumps(provenance, sort_keys=True), time.time(), run_id),
        )

    def log(self, run_id: str, rows: list[tuple[int, dict[str, Any]]]) -> None:
        """Metrics of several steps in one transaction."""
        if not rows:
            return
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR REPLACE INTO metrics (run, step, values_json) VALUES (?, ?, ?)",
                [(run_id, step, json.dumps(v)) for step, v in rows],
            )

    def finish(self, run_id: str, result: dict[str, Any]) -> None:
        self.db.execute(
            "UPDATE runs SET status = 'finished', result = ?, updated = ? WHERE id = ?",
            (json.dumps(result, sort_keys=True), time.time(), run_id),
        )

    def runs(self, status: str | None = None) -> list[dict[str, Any]]:
        q = "SELECT id, config, status, result, provenance FROM runs"
        rows = self._rows(q + (" WHERE status = ?" if status else "") + " ORDER BY created, id",
                          (status,) if status else ())  # fmt: skip
        return [
            {"id": r[0], "config": self._json(r[1], "config"), "status": r[2],
             "result": self._json(r[3], "result") if r[3] else None,
             "provenance": self._json(r[4], "provenance") if r[4] else None}
            for r in rows
        ]  # fmt: skip

    def metrics(self, run_id: str) -> list[tuple[int, dict[str, Any]]]:
        rows = self._rows("SELECT step, values_json FROM metrics WHERE run = ? ORDER BY step", (run_id,))
        return [(s, self._json(v, "metric")) for s, v in rows]

    def save_quantization(self, run_id: str, fmt: str, values: dict[str, Any]) -> None:
        self.db.execute("INSERT OR REPLACE INTO quantization (run, format, values_json) VALUES (?, ?, ?)",
                        (run_id, fmt, json.dumps(values)))  # fmt: skip

    def quantization(self) -> list[dict[str, Any]]:
        rows = self._rows("SELECT run, format, values_json FROM quantization ORDER BY run, format")
        out = []
        for r, f, v in rows:
            values = self._json(v, "quantization")
            if not isinstance(values, dict):
                raise damaged(self.path, "a stored quantization is not a JSON object")
            out.append({"run": r, "format": f, **values})
        return out

    def integrity(self) -> str:
        return str(self._rows("PRAGMA integrity_check")[0][0])


def salvage(path: Path) -> list[tuple[Any, ...]]:
    """Whatever rows of ``runs`` a damaged store still yields (read-only, one query, errors ignored)."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return []
    db.text_factory = lambda b: b.decode("utf-8", errors="replace")  # damaged JSON is skipped by the caller
    try:
        return db.execute("SELECT id, config, status, result FROM runs").fetchall()
    except sqlite3.Error:
        return []
    finally:
        db.close()

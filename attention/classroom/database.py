"""Where the class store lives: the database URL from the environment, SQLite's engine (WAL,
writes that take the lock up front) and an upsert for either dialect."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import Table, create_engine, event
from sqlalchemy.engine import Engine

DATABASE_ENV = "ATTENTION_DATABASE_URL"
DATA_DIR_ENV = "ATTENTION_DATA_DIR"
SQLITE_FILE = "classroom.sqlite3"


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where the SQLite file lives: ATTENTION_DATA_DIR, else $XDG_DATA_HOME/attention-explorer,
    else ~/.local/share/attention-explorer."""
    env = os.environ if environ is None else environ
    if env.get(DATA_DIR_ENV):
        return Path(env[DATA_DIR_ENV]).expanduser()
    base = Path(env["XDG_DATA_HOME"]) if env.get("XDG_DATA_HOME") else Path.home() / ".local" / "share"
    return base / "attention-explorer"


def database_url(environ: Mapping[str, str] | None = None) -> str:
    """ATTENTION_DATABASE_URL (PostgreSQL: `postgresql+psycopg://user:pw@host/db`), else the
    SQLite file in `data_dir()`."""
    env = os.environ if environ is None else environ
    url = (env.get(DATABASE_ENV) or "").strip()
    if url.startswith("postgresql://"):  # the form managed databases hand out
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url or f"sqlite:///{data_dir(env) / SQLITE_FILE}"


def sqlite_engine(url: str) -> Engine:
    path = url.removeprefix("sqlite:///")
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # transactions begin below, not in the driver
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")  # a writer waits for the lock
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # A write takes the lock at its start: a deferred transaction that reads and then
        # writes fails at once (SQLITE_BUSY) when another process wrote in between.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write")
                             else "BEGIN")

    return engine


def upsert(engine: Engine, table: Table):
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)

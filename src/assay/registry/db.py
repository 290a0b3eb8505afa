"""Open a registry from one URL: make the engine, bring the schema up to date (Alembic)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError

from assay.config import data_dir
from assay.errors import StoreError, UsageError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
ENV_URL = "ASSAY_REGISTRY_URL"


def default_url() -> str:
    """``ASSAY_REGISTRY_URL`` if set, else a SQLite file in Assay's data directory."""
    url = os.environ.get(ENV_URL, "").strip()
    return url or f"sqlite:///{data_dir() / 'registry.sqlite'}"


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (SQLite or PostgreSQL), with SQLite tuned for a web server."""
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise UsageError(
            f"registry URL {url!r} is not a database URL",
            "use sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST/DB",
        ) from err
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise UsageError(
            f"registry backend {parsed.get_backend_name()!r} is not supported",
            "use a sqlite:/// or postgresql:// URL",
        )
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(
            parsed,
            pool_pre_ping=True,
            json_serializer=json_text,
            json_deserializer=json_value,
            connect_args={"check_same_thread": False, "timeout": 30}
            if parsed.get_backend_name() == "sqlite"
            else {"connect_timeout": 10},
        )
    except (NoSuchModuleError, ImportError) as err:
        raise StoreError(f"no database driver for {parsed.drivername}", str(err)) from err
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def json_text(value: Any) -> str:
    """JSON text of a stored document (orjson: an assessment is ~2 MB and the standard
    library's encoder took ~25 ms of each store); the standard encoder for what orjson
    refuses (integers beyond 64 bits)."""
    try:
        return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, default=str)


def json_value(text: str) -> Any:
    """A stored JSON document read back (orjson; the standard decoder for the ``NaN`` that
    registries written before orjson may hold)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def plain_json(value: Any) -> Any:
    """``value`` as JSON would give it back (tuples as lists, other objects as their text)."""
    return orjson.loads(json_text(value))


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest revision (a no-op when already there)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except OperationalError as err:
        raise StoreError(
            f"cannot open the registry at {engine.url.render_as_string(hide_password=True)}: "
            f"{str(err.orig).strip().splitlines()[0] if err.orig else err}",
            "check the URL, that the server runs and the file is writable",
        ) from err
    except SQLAlchemyError as err:
        raise StoreError(
            f"cannot migrate the registry: {err.__class__.__name__}",
            "the database may belong to another program; use an empty database",
        ) from err

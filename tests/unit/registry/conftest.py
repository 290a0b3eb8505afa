"""Registry fixtures: every test runs against SQLite AND a real PostgreSQL server.

The PostgreSQL server comes from ``scripts/pg-ensure.sh`` (installs Debian's postgresql if
missing, starts a cluster on 127.0.0.1, creates the test user and database), or from
``ASSAY_TEST_PG_URL`` when set. Each test gets an empty schema.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from assay.registry import Registry

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The URL of the PostgreSQL test database (the server is started when needed)."""
    url = os.environ.get("ASSAY_TEST_PG_URL", "").strip()
    if url:
        return url
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "pg-ensure.sh")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        pytest.fail(f"scripts/pg-ensure.sh could not start PostgreSQL: {done.stderr[-1500:]}")
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A database of this test session's own (test runs in parallel do not collide)."""
    name = f"assay_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def registry_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty registry database: a SQLite file, or the PostgreSQL test database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.sqlite'}"
    url: str = request.getfixturevalue("postgres_url")
    _empty_postgres(url)
    return url


@pytest.fixture
def registry(registry_url: str) -> Iterator[Registry]:
    reg = Registry.open(registry_url)
    yield reg
    reg.close()

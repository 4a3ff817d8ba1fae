"""Test fixtures: a fresh database per test, built by the real migrations, on SQLite and,
when REVLINE_TEST_DATABASE_URL names a PostgreSQL server, on PostgreSQL too."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from revline.app import create_app
from revline.auth import service as auth_service
from revline.config import Settings
from revline.kit.db import Database
from revline.setup import upgrade_database

PG_ADMIN_URL = os.environ.get("REVLINE_TEST_DATABASE_URL")
# No test app runs the in-process worker unless it asks for one: a background thread writing
# schedules and running jobs would make other tests' database state depend on timing.
os.environ.setdefault("REVLINE_RUN_WORKER", "false")
ENGINES = ["sqlite"] + (["postgresql"] if PG_ADMIN_URL else [])


def _pg_url(name: str) -> str:
    assert PG_ADMIN_URL is not None
    url = make_url(Settings(database_url=PG_ADMIN_URL).database_url).set(database=name)
    return url.render_as_string(hide_password=False)


def _pg_admin(sql: str) -> None:
    assert PG_ADMIN_URL is not None
    engine = create_engine(
        Settings(database_url=PG_ADMIN_URL).database_url, isolation_level="AUTOCOMMIT"
    )
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(sql)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    upgrade_database(db)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    if not PG_ADMIN_URL:
        pytest.skip("REVLINE_TEST_DATABASE_URL is not set")
    name = f"revline_tpl_{uuid.uuid4().hex[:12]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    db = Database(_pg_url(name))
    upgrade_database(db)
    db.dispose()
    yield name
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=ENGINES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh, fully migrated database for one test."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "revline.db"
        shutil.copyfile(template, path)
        db = Database(f"sqlite:///{path}")
        yield db
        db.dispose()
        return
    template_name: str = request.getfixturevalue("pg_template")
    name = f"revline_t_{uuid.uuid4().hex[:12]}"
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    db = Database(_pg_url(name))
    yield db
    db.dispose()
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def settings(database: Database) -> Settings:
    return Settings(database_url=database.url, auto_migrate=False, run_worker=False)


@pytest.fixture
def app(settings: Settings, database: Database) -> FastAPI:
    return create_app(settings, db=database)


@pytest.fixture
def token(database: Database) -> str:
    with database.unit_of_work() as session:
        return auth_service.create_token(session, name="tests").token


@pytest.fixture
def client(app: FastAPI, token: str) -> Iterator[TestClient]:
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as c:
        yield c


@pytest.fixture
def anon_client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    """Revline served over real HTTP on 127.0.0.1; yields its base URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A migrated SQLite file for CLI tests, made by ``revline db upgrade`` itself."""
    from tests.cli_support import run

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = run("db", "upgrade", "--database-url", url)
    assert result.exit_code == 0, result.output
    assert "Database is up to date" in result.output
    return url

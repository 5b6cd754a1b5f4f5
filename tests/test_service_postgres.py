"""The feedback store on PostgreSQL: schema created and migrated, feedback stored and listed.

The server is the one named by ``K2SAFETY_TEST_POSTGRES_URL`` if set; otherwise the tests start
a throwaway one on 127.0.0.1 with the machine's ``initdb`` and ``pg_ctl`` (as the ``postgres``
user when run as root, since PostgreSQL refuses to run as root), and skip saying why when they
cannot.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_service_support import (
    ORDER_SIGN,
    REASONS,
    Keys,
    asgi_client,
    bearer,
    claims,
    config,
    endpoint,
    make_app,
    sign,
    warfarin_with_k2,
)

psycopg = pytest.importorskip("psycopg", reason="psycopg (the service extra) is not installed")

from k2safety.service import SCHEMA_VERSION, StoreError, open_store  # noqa: E402
from k2safety.service._store import MIGRATIONS, FeedbackRow, IssuedCard  # noqa: E402

pytestmark = pytest.mark.anyio

URL_ENV = "K2SAFETY_TEST_POSTGRES_URL"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL server's URL, for a database of its own."""
    if os.environ.get(URL_ENV):
        yield os.environ[URL_ENV]
        return
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip(f"no PostgreSQL server: set {URL_ENV}, or install PostgreSQL (initdb, pg_ctl)")
    prefix: list[str] = []
    # Not under pytest's own temporary folder: another pytest run on the machine prunes old ones
    # and would delete the data of a server still running.
    folder = Path(tempfile.mkdtemp(prefix="k2safety-postgres-"))
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user to run PostgreSQL as")
        runuser = shutil.which("runuser")
        if runuser is None:
            pytest.skip("running as root without runuser to start PostgreSQL as postgres")
        prefix = [runuser, "-u", "postgres", "--"]
        os.chown(folder, user.pw_uid, user.pw_gid)
        for parent in folder.parents:  # postgres must be able to reach its folder
            if parent == Path(tempfile.gettempdir()):
                break
            os.chmod(parent, os.stat(parent).st_mode | 0o011)
    data = folder / "data"
    port = _free_port()
    run = {"capture_output": True, "text": True, "check": False, "timeout": 120}
    made = subprocess.run(
        [*prefix, initdb, "-D", str(data), "-A", "trust", "-U", "k2safety", "--no-sync"], **run
    )  # type: ignore[call-overload]
    if made.returncode != 0:
        pytest.skip(f"initdb failed: {made.stderr.strip()[:300]}")
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    started = subprocess.run(
        [*prefix, pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"],
        **run,
    )  # type: ignore[call-overload]
    if started.returncode != 0:
        pytest.skip(f"PostgreSQL did not start: {started.stderr.strip()[:300]}")
    try:
        yield f"postgresql://k2safety@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], **run)  # type: ignore[call-overload]
        shutil.rmtree(folder, ignore_errors=True)


_counter = iter(range(10_000))


@pytest.fixture
def database(server: str) -> Iterator[str]:
    """A fresh database on the server, dropped afterwards."""
    name = f"k2safety_test_{os.getpid()}_{next(_counter)}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    base = server.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_a_new_database_gets_the_schema_and_keeps_feedback(database: str) -> None:
    store = open_store(database)
    assert store.dialect == "postgres"
    assert store.schema_version() == SCHEMA_VERSION
    store.record_cards(
        [
            IssuedCard(
                "0b6a7d1e-3f0c-4a8e-9b55-3c2f1d0e9a77",
                "s",
                "h-1",
                "K2-VKA",
                "critical",
                "v",
                "2026-11-30T10:00:00Z",
            )
        ]
        * 2  # a retry issues the same card again
    )
    row = FeedbackRow(
        "2026-11-30T10:01:00Z",
        "s",
        "0b6a7d1e-3f0c-4a8e-9b55-3c2f1d0e9a77",
        "overridden",
        "2026-11-30T10:00:30Z",
        REASONS,
        "supervised",
        "Supervised",
        "INR weekly",
        None,
        "iss",
    )
    store.add_feedback([row])
    (listed,) = store.feedback()
    assert (listed.rule_code, listed.user_comment, listed.hook_instance) == (
        "K2-VKA",
        "INR weekly",
        "h-1",
    )
    assert store.migrate() == SCHEMA_VERSION
    store.close()


def test_an_older_schema_is_migrated_and_a_newer_one_refused(database: str) -> None:
    with psycopg.connect(database) as connection:
        connection.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for statement in MIGRATIONS[0]["postgres"]:
            connection.execute(statement)
        connection.execute("INSERT INTO schema_version VALUES (1)")
    store = open_store(database)
    assert store.schema_version() == SCHEMA_VERSION
    store.close()
    with psycopg.connect(database) as connection:
        names = connection.execute("SELECT indexname FROM pg_indexes").fetchall()
        assert ("feedback_by_outcome",) in names
        connection.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(StoreError, match="newer than this k2safety"):
        open_store(database)


def test_two_processes_starting_together_migrate_once(database: str) -> None:
    errors: list[BaseException] = []

    def start() -> None:
        try:
            open_store(database).close()
        except BaseException as error:  # the test reports it
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with psycopg.connect(database) as connection:
        assert connection.execute("SELECT version FROM schema_version").fetchall() == [
            (SCHEMA_VERSION,)
        ]


def test_a_password_never_shows_in_a_store_error() -> None:
    with pytest.raises(StoreError) as raised:
        open_store("postgresql://user:hunter2@127.0.0.1:1/none?connect_timeout=2")
    assert "hunter2" not in str(raised.value)


async def test_the_service_stores_feedback_in_postgresql(
    tmp_path: Path, database: str, capsys: Any
) -> None:
    keys = Keys()
    app = make_app(config(tmp_path, keys, database=database))
    async with asgi_client(app) as client:
        hook = endpoint(ORDER_SIGN)
        response = await client.post(
            f"/cds-services/{ORDER_SIGN}",
            json=warfarin_with_k2(instance="pg-1"),
            headers=bearer(sign(keys.ec, claims(hook))),
        )
        card = response.json()["cards"][0]["uuid"]
        feedback = {
            "feedback": [
                {
                    "card": card,
                    "outcome": "overridden",
                    "overrideReason": {
                        "reason": {"system": REASONS, "code": "record-inaccurate"},
                        "userComment": "stopped last month",
                    },
                    "outcomeTimestamp": "2026-11-30T12:00:00Z",
                }
            ]
        }
        stored = await client.post(
            f"/cds-services/{ORDER_SIGN}/feedback",
            json=feedback,
            headers=bearer(sign(keys.ec, claims(endpoint(ORDER_SIGN, feedback=True)))),
        )
    assert stored.status_code == 200, stored.text

    from k2safety.cli import _feedback

    parser = argparse.ArgumentParser(prog="k2safety")
    _feedback.register(parser.add_subparsers())
    args = parser.parse_args(["feedback", "list", "--database", database, "--format", "json"])
    assert args.handler(args) == 0
    (line,) = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert (line["rule_code"], line["reason_code"], line["user_comment"]) == (
        "K2-VKA",
        "record-inaccurate",
        "stopped last month",
    )

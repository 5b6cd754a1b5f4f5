"""Where feedback and issued cards are kept: SQLite by default, PostgreSQL given a URL.

The service creates the schema and migrates it on start: ``schema_version`` holds the version
the database is at, and each migration in :data:`MIGRATIONS` runs once, in order, in one
transaction with the version update (PostgreSQL takes an advisory lock, SQLite a write lock,
so two processes starting together migrate once). A database at a newer version than this
code knows is refused rather than guessed at.

Two tables: ``issued_card`` (each card the service answered with: its uuid, service,
``hookInstance``, rule code and indicator; no patient data) and ``feedback`` (what the CDS
client reported back, with the override reason and the clinician's comment). Issued cards are
buffered in memory and written in batches, off the request path; feedback is written before
the call that reports it is answered.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "FeedbackRow",
    "IssuedCard",
    "Store",
    "StoreError",
    "open_store",
]


class StoreError(Exception):
    """The database cannot be opened, migrated or written."""


@dataclass(frozen=True, slots=True)
class IssuedCard:
    uuid: str
    service: str
    hook_instance: str
    rule_code: str
    indicator: str
    knowledge_version: str
    issued_at: str


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    """One feedback entry as stored (and as ``k2safety feedback list`` shows it)."""

    received_at: str
    service: str
    card_uuid: str
    outcome: str
    outcome_timestamp: str
    reason_system: str | None
    reason_code: str | None
    reason_display: str | None
    user_comment: str | None
    accepted_suggestions: str | None
    client: str | None
    rule_code: str | None = None
    """From the issued card with the feedback's uuid; None when the service never issued it."""
    hook_instance: str | None = None
    id: int | None = None


Dialect = Literal["sqlite", "postgres"]

# Each migration, for each dialect: the statements that take the schema from the version before
# to its own. Never change one that has shipped; add a new one.
MIGRATIONS: tuple[dict[Dialect, tuple[str, ...]], ...] = (
    {
        "sqlite": (
            """CREATE TABLE issued_card (
                uuid TEXT PRIMARY KEY, service TEXT NOT NULL, hook_instance TEXT NOT NULL,
                rule_code TEXT NOT NULL, indicator TEXT NOT NULL,
                knowledge_version TEXT NOT NULL, issued_at TEXT NOT NULL)""",
            """CREATE TABLE feedback (
                id INTEGER PRIMARY KEY AUTOINCREMENT, received_at TEXT NOT NULL,
                service TEXT NOT NULL, card_uuid TEXT NOT NULL, outcome TEXT NOT NULL,
                outcome_timestamp TEXT NOT NULL, reason_system TEXT, reason_code TEXT,
                reason_display TEXT, user_comment TEXT, accepted_suggestions TEXT,
                client TEXT)""",
        ),
        "postgres": (
            """CREATE TABLE issued_card (
                uuid TEXT PRIMARY KEY, service TEXT NOT NULL, hook_instance TEXT NOT NULL,
                rule_code TEXT NOT NULL, indicator TEXT NOT NULL,
                knowledge_version TEXT NOT NULL, issued_at TEXT NOT NULL)""",
            """CREATE TABLE feedback (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, received_at TEXT NOT NULL,
                service TEXT NOT NULL, card_uuid TEXT NOT NULL, outcome TEXT NOT NULL,
                outcome_timestamp TEXT NOT NULL, reason_system TEXT, reason_code TEXT,
                reason_display TEXT, user_comment TEXT, accepted_suggestions TEXT,
                client TEXT)""",
        ),
    },
    {
        # Listing overrides newest first, and finding the cards of one call.
        "sqlite": (
            "CREATE INDEX feedback_by_outcome ON feedback (outcome, received_at)",
            "CREATE INDEX issued_card_by_hook_instance ON issued_card (hook_instance)",
        ),
        "postgres": (
            "CREATE INDEX feedback_by_outcome ON feedback (outcome, received_at)",
            "CREATE INDEX issued_card_by_hook_instance ON issued_card (hook_instance)",
        ),
    },
)
SCHEMA_VERSION = len(MIGRATIONS)
"""The schema version this code creates and expects."""

_LOCK_ID = 0x6B32_5361_6665  # "k2Safe": the PostgreSQL advisory lock held while migrating

_INSERT_CARD = (
    "INSERT INTO issued_card (uuid, service, hook_instance, rule_code, indicator, "
    "knowledge_version, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (uuid) DO NOTHING"
)
_INSERT_FEEDBACK = (
    "INSERT INTO feedback (received_at, service, card_uuid, outcome, outcome_timestamp, "
    "reason_system, reason_code, reason_display, user_comment, accepted_suggestions, client) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SELECT_FEEDBACK = (
    "SELECT f.received_at, f.service, f.card_uuid, f.outcome, f.outcome_timestamp, "
    "f.reason_system, f.reason_code, f.reason_display, f.user_comment, "
    "f.accepted_suggestions, f.client, c.rule_code, c.hook_instance, f.id "
    "FROM feedback f LEFT JOIN issued_card c ON c.uuid = f.card_uuid"
)


class _Connection(Protocol):
    def cursor(self) -> Any: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def close(self) -> None: ...


class Store:
    """One database connection, used by one thread at a time (calls are serialized)."""

    def __init__(self, connect: Callable[[], _Connection], dialect: Dialect, where: str) -> None:
        self._connect = connect
        self._connection = connect()
        self.dialect: Dialect = dialect
        self.where = where
        self._lock = threading.Lock()
        self.migrate()

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.dialect == "postgres" else statement

    def _run(self, work: Any) -> Any:
        with self._lock:
            if getattr(self._connection, "closed", False):  # a PostgreSQL connection was lost
                self._connection = self._connect()
            cursor = self._connection.cursor()
            try:
                result = work(cursor)
                self._connection.commit()
                return result
            except StoreError:
                self._rollback()
                raise
            except Exception as error:
                self._rollback()
                raise StoreError(
                    f"the {self.dialect} database failed: {type(error).__name__}"
                ) from error
            finally:
                cursor.close()

    def _rollback(self) -> None:
        # A lost connection cannot roll back; the next call reconnects.
        with contextlib.suppress(Exception):
            self._connection.rollback()

    def schema_version(self) -> int:
        def read(cursor: Any) -> int:
            cursor.execute("SELECT version FROM schema_version")
            row = cursor.fetchone()
            return int(row[0]) if row else 0

        result: int = self._run(read)
        return result

    def migrate(self) -> int:
        """Bring the schema to :data:`SCHEMA_VERSION`; returns the version it was at."""

        def work(cursor: Any) -> int:
            if self.dialect == "postgres":
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
            else:
                cursor.execute("BEGIN IMMEDIATE")
            cursor.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            cursor.execute("SELECT version FROM schema_version")
            rows = cursor.fetchall()
            if len(rows) > 1:
                raise StoreError("schema_version holds more than one row")
            found = int(rows[0][0]) if rows else 0
            if found > SCHEMA_VERSION:
                raise StoreError(
                    f"the database's schema is at version {found}, newer than this k2safety "
                    f"knows ({SCHEMA_VERSION}); upgrade k2safety"
                )
            for migration in MIGRATIONS[found:]:
                for statement in migration[self.dialect]:
                    cursor.execute(statement)
            if not rows:
                cursor.execute(self._sql("INSERT INTO schema_version (version) VALUES (?)"), (0,))
            cursor.execute(self._sql("UPDATE schema_version SET version = ?"), (SCHEMA_VERSION,))
            return found

        found: int = self._run(work)
        return found

    def record_cards(self, cards: Sequence[IssuedCard]) -> None:
        if not cards:
            return
        rows = [
            (
                c.uuid,
                c.service,
                c.hook_instance,
                c.rule_code,
                c.indicator,
                c.knowledge_version,
                c.issued_at,
            )
            for c in cards
        ]
        self._run(lambda cursor: cursor.executemany(self._sql(_INSERT_CARD), rows))

    def add_feedback(self, entries: Sequence[FeedbackRow]) -> None:
        rows = [
            (
                e.received_at,
                e.service,
                e.card_uuid,
                e.outcome,
                e.outcome_timestamp,
                e.reason_system,
                e.reason_code,
                e.reason_display,
                e.user_comment,
                e.accepted_suggestions,
                e.client,
            )
            for e in entries
        ]
        self._run(lambda cursor: cursor.executemany(self._sql(_INSERT_FEEDBACK), rows))

    def issued(self, uuids: Sequence[str]) -> dict[str, str]:
        """The rule code of each of these card uuids the service issued."""
        if not uuids:
            return {}
        marks = ", ".join("?" for _ in uuids)

        def read(cursor: Any) -> dict[str, str]:
            statement = f"SELECT uuid, rule_code FROM issued_card WHERE uuid IN ({marks})"
            cursor.execute(self._sql(statement), tuple(uuids))
            return {str(uuid): str(code) for uuid, code in cursor.fetchall()}

        found: dict[str, str] = self._run(read)
        return found

    def feedback(
        self, *, outcome: str | None = "overridden", limit: int = 100
    ) -> list[FeedbackRow]:
        """Stored feedback, newest first: overrides only unless ``outcome`` says otherwise."""

        def read(cursor: Any) -> list[FeedbackRow]:
            statement = _SELECT_FEEDBACK
            parameters: tuple[Any, ...] = ()
            if outcome is not None:
                statement += " WHERE f.outcome = ?"
                parameters = (outcome,)
            statement += " ORDER BY f.received_at DESC, f.id DESC LIMIT ?"
            cursor.execute(self._sql(statement), (*parameters, limit))
            return [FeedbackRow(*row) for row in cursor.fetchall()]

        rows: list[FeedbackRow] = self._run(read)
        return rows

    def close(self) -> None:
        with self._lock:
            self._connection.close()


def open_store(database: str) -> Store:
    """The store at ``database``: a ``postgresql://`` URL, or else a SQLite file path."""
    if database.startswith(("postgresql://", "postgres://")):
        return _open_postgres(database)
    try:
        connection = sqlite3.connect(
            database, check_same_thread=False, isolation_level=None, timeout=10.0
        )
    except sqlite3.Error as error:
        raise StoreError(f"cannot open the SQLite database {database}: {error}") from None
    first = _SqliteTransactions(connection)
    return Store(lambda: first, "sqlite", database)


class _SqliteTransactions:
    """A SQLite connection in autocommit mode whose cursors run inside explicit transactions,
    so that migrations (``BEGIN IMMEDIATE``) and writes both commit where :class:`Store` says."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA foreign_keys=ON")

    def cursor(self) -> Any:
        return _SqliteCursor(self._connection)

    def commit(self) -> None:
        if self._connection.in_transaction:
            self._connection.execute("COMMIT")

    def rollback(self) -> None:
        if self._connection.in_transaction:
            self._connection.execute("ROLLBACK")

    def close(self) -> None:
        self._connection.close()


class _SqliteCursor:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self._cursor = connection.cursor()

    def _begin(self) -> None:
        if not self._connection.in_transaction:
            self._cursor.execute("BEGIN")

    def execute(self, statement: str, parameters: Sequence[Any] = ()) -> None:
        if statement != "BEGIN IMMEDIATE":
            self._begin()
        self._cursor.execute(statement, parameters)

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        self._begin()
        self._cursor.executemany(statement, rows)

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    def close(self) -> None:
        self._cursor.close()


def _open_postgres(url: str) -> Store:
    try:
        import psycopg
    except ImportError:
        raise StoreError(
            "a postgresql:// database needs psycopg: pip install 'k2safety[service]'"
        ) from None

    def connect() -> _Connection:
        try:
            connection: _Connection = psycopg.connect(url, connect_timeout=10)
        except psycopg.Error as error:
            raise StoreError(
                f"cannot connect to the PostgreSQL database {_redacted(url)}: "
                f"{type(error).__name__}"
            ) from None
        return connection

    return Store(connect, "postgres", _redacted(url))


def _redacted(url: str) -> str:
    """A database URL without its password, for messages."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at:
        return url.split("?", 1)[0]
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host.split('?', 1)[0]}"

"""The audit chain on PostgreSQL: the tampering tests of ``tests/test_audit_chain.py`` (rows deleted, changed, inserted
or re-hashed with the server stopped; an unkeyed chain keyed once) run here against a PostgreSQL database, their
direct edits made through a PostgreSQL connection instead of opening the DuckDB file. (The tests there that copy or
restore the database file, or read its bytes, are about DuckDB's file backups, which PostgreSQL does not have yet.)
Every test here uses PostgreSQL whatever HUBDESK_TEST_ENGINE says; skipped when PostgreSQL is not installed."""
from __future__ import annotations

import os

import duckdb
import pytest

import tests.test_audit_chain as chain_tests
from core.platform import pg
from core.platform.db import close_all, get_db
from tests.conftest import pg_cluster_or_skip
from tests.test_audit_chain import chain  # noqa: F401  (the fixture, over this module's db)


@pytest.fixture
def db(isolated, monkeypatch):
    """This module's database: a fresh PostgreSQL one with the 21 demo communities (as conftest's ``db``)."""
    from core.orgs import communities

    cluster = pg_cluster_or_skip()
    name, url = cluster.fresh("communities", isolated)
    monkeypatch.setenv("HUBDESK_DB", url)
    monkeypatch.setenv("HUBDESK_DATA_DIR", str(isolated))
    monkeypatch.setattr(chain_tests, "duckdb", _Editor())
    close_all()
    database = get_db()
    communities.install_provider()
    yield database
    close_all()
    cluster.drop(name)


class _Connection:
    """What ``duckdb.connect(path)`` gives the tampering tests: statements on the configured PostgreSQL database,
    outside HubDesk (no write lock, no audit), in DuckDB's spelling."""

    def __init__(self, url: str):
        import psycopg

        self._con = psycopg.connect(url, autocommit=True, options=f"-c search_path={pg.SEARCH_PATH.replace(' ', '')}")

    def execute(self, sql: str, params=None):
        return pg.PgCursor(self._con).execute(sql, params)

    def close(self) -> None:
        self._con.close()


class _Editor:
    def connect(self, path, read_only: bool = False):
        return _Connection(os.environ["HUBDESK_DB"])

    def __getattr__(self, name):
        return getattr(duckdb, name)


def test_deleting_the_newest_rows_with_the_server_stopped_is_found_and_the_rows_named(chain, capsys):  # noqa: F811
    chain_tests.test_deleting_the_newest_rows_with_the_server_stopped_is_found_and_the_rows_named(chain, capsys)


@pytest.mark.parametrize("digest", [chain_tests._sha256, chain_tests._wrong_key], ids=["sha256", "another-key"])
def test_a_changed_row_with_every_following_hash_recomputed_is_found_and_the_rows_named(chain, digest, capsys):  # noqa: F811
    chain_tests.test_a_changed_row_with_every_following_hash_recomputed_is_found_and_the_rows_named(chain, digest, capsys)


def test_the_whole_chain_rewritten_as_unkeyed_rows_is_found_against_the_head_file(chain):  # noqa: F811
    chain_tests.test_the_whole_chain_rewritten_as_unkeyed_rows_is_found_against_the_head_file(chain)


def test_a_changed_row_alone_is_named_alone(chain):  # noqa: F811
    chain_tests.test_a_changed_row_alone_is_named_alone(chain)


def test_rows_inserted_in_the_middle_with_a_recomputed_chain_are_found(chain):  # noqa: F811
    chain_tests.test_rows_inserted_in_the_middle_with_a_recomputed_chain_are_found(chain)


def test_an_unkeyed_chain_is_keyed_once_audited_and_its_old_rows_stay_protected(chain):  # noqa: F811
    chain_tests.test_an_unkeyed_chain_is_keyed_once_audited_and_its_old_rows_stay_protected(chain)


def test_an_unkeyed_row_after_the_key_was_introduced_is_bad(chain):  # noqa: F811
    chain_tests.test_an_unkeyed_row_after_the_key_was_introduced_is_bad(chain)


def test_the_chain_is_on_postgresql(db):
    assert isinstance(db, pg.PgDatabase) and get_db() is db

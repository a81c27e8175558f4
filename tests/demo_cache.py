"""One demo database per code version, shared by every test that needs one.

The demo build (migrations + every demo builder) takes 25-35 s. It is done once and kept under
``.pytest_cache/hubdesk-demo/demo-<hash>.duckdb``, where the hash covers everything that shapes the file
(``core/``, ``schemas/``, the migrations). AppTests copy it (``demo_db``), browser servers copy it
(``tests/browser/conftest.start_server``); a new code version builds a new one. A file lock makes
parallel pytest processes (or a helper running tests beside CI) build it once.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".pytest_cache" / "hubdesk-demo"
FAST_ENV = {"HUBDESK_BCRYPT_ROUNDS": "4", "HUBDESK_LOGIN_SLEEP": "0",
            "HUBDESK_BACKUP_ON_START": "0", "HUBDESK_BACKUP_EVERY_HOURS": "0"}


def code_version() -> str:
    """A hash of every file that decides what the demo database holds."""
    h = hashlib.sha256()
    files = sorted([*ROOT.joinpath("core").rglob("*.py"), *ROOT.joinpath("core").rglob("*.sql"),
                    *ROOT.joinpath("schemas").rglob("*.py")])
    for f in files:
        h.update(str(f.relative_to(ROOT)).encode())
        h.update(f.read_bytes())
    h.update(FAST_ENV["HUBDESK_BCRYPT_ROUNDS"].encode())
    return h.hexdigest()[:16]


def template() -> Path:
    """The demo database of this code version (built now if missing). Never open it: copy it."""
    CACHE.mkdir(parents=True, exist_ok=True)
    target = CACHE / f"demo-{code_version()}.duckdb"
    if target.exists():
        return target
    with open(CACHE / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if target.exists():
                return target
            work = CACHE / f"building-{os.getpid()}"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            env = dict(os.environ, **FAST_ENV, HUBDESK_DB=str(work / "demo.duckdb"),
                       HUBDESK_SECRETS=str(work / "secrets.toml"), HUBDESK_DEMO="1")
            # its own process: the test process's Streamlit caches and open connections stay untouched
            done = subprocess.run([sys.executable, "-c", "from core import app, db; app.bootstrap(); db.close_all()"],
                                  cwd=ROOT, env=env, timeout=600, capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"building the demo database failed:\n{done.stderr[-3000:]}")
            for src, dst in _companions(work / "demo.duckdb", target):  # before the file: its presence means done
                if src.exists():
                    os.replace(src, dst)
            os.replace(work / "demo.duckdb", target)
            shutil.rmtree(work, ignore_errors=True)
            # earlier code versions: keep the newest few (another test process, of another version of the
            # code, may be about to copy its own), drop the rest
            for old in sorted(CACHE.glob("demo-*.duckdb"), key=lambda p: p.stat().st_mtime, reverse=True)[4:]:
                for _, companion in _companions(old, old):
                    companion.unlink(missing_ok=True)
                old.unlink(missing_ok=True)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return target


def _companions(db: Path, cached: Path) -> list[tuple[Path, Path]]:
    """(file beside a database ``db``, where the cache keeps it for ``cached``): the secrets file holding the
    audit key its audit log was signed with, and the audit head file (``core.audit``)."""
    return [(db.with_name("secrets.toml"), cached.with_name(cached.stem + ".secrets.toml")),
            (Path(str(db) + ".audit-head"), Path(str(cached) + ".audit-head"))]


def copy_to(path: Path) -> Path:
    """A private copy of the demo database at ``path``, with its audit key (``secrets.toml`` beside it,
    which is where the tests' HUBDESK_SECRETS points) and its audit head file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    source = template()
    for dst, cached in _companions(path, source):
        if cached.exists():
            shutil.copy(cached, dst)
    shutil.copy(source, path)
    return path


def query_one(sql: str, params: list | None = None):
    """One row from the demo database of this code version, read-only (for tests that pick a record)."""
    import duckdb

    con = duckdb.connect(str(template()), read_only=True)
    try:
        return con.execute(sql, params or []).fetchone()
    finally:
        con.close()

"""One demo database per code version, shared by every test that needs one.

The demo build (migrations + every demo builder) takes 25-35 s. It is done once and kept under
``.pytest_cache/hubdesk-demo/demo-<hash>.duckdb``, where the hash covers everything that shapes the file
(``core/``, ``schemas/``, the migrations). AppTests copy it (``demo_db``), browser servers copy it
(``tests/browser/conftest.start_server``); a new code version builds a new one. A file lock makes
parallel pytest processes (or a helper running tests beside CI) build it once. ``tests/conftest.py`` starts
the build in the background (:func:`build_in_background`) as soon as collection shows a test that needs it.

On PostgreSQL (``HUBDESK_TEST_ENGINE=postgres``) the demo is built on the test cluster and kept as a ``pg_dump``
file per code version and day (:func:`pg_demo`); each test process restores it once into its cluster's template
(``tests/pg_cluster.py`` ``Cluster.demo``), which ``demo_db`` copies with ``CREATE DATABASE … TEMPLATE``.

The empty migrated database of the ``db`` fixture is kept the same way (:func:`empty_template`), and the
benchmark's generated data (``bench/generate.py``) is cached the same way (:func:`bench_template`), keyed
also by the generator's source, under its own lock.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".pytest_cache" / "hubdesk-demo"
FAST_ENV = {"HUBDESK_BCRYPT_ROUNDS": "4", "HUBDESK_LOGIN_SLEEP": "0",
            "HUBDESK_BACKUP_ON_START": "0", "HUBDESK_BACKUP_EVERY_HOURS": "0",
            # no reminder job in tests unless a test starts one: it would write while a test asserts nothing was
            "HUBDESK_REMINDERS_EVERY_MINUTES": "0",
            # no thread computing the dashboards after each test server's start (core/dashboards/warm.py: its own tests)
            "HUBDESK_WARM_DASHBOARDS": "0",
            # no script loading the elements' code in every test page (core/ui/preload.py: its own browser test)
            "HUBDESK_PRELOAD": "0"}


PIN = CACHE / "PIN"


def code_version() -> str:
    """A hash of every file that decides what the demo database holds.

    While several people edit ``core/`` at once (each edit would start a new 30-second build for everyone's
    next test run), ``.pytest_cache/hubdesk-demo/PIN`` may name one version to use meanwhile; CI
    (``CI=true``) ignores it, and so does anyone who deletes it."""
    if os.environ.get("CI") != "true" and PIN.exists() and PIN.read_text().strip():
        return PIN.read_text().strip()
    h = hashlib.sha256()
    files = sorted([*ROOT.joinpath("core").rglob("*.py"), *ROOT.joinpath("core").rglob("*.sql"),
                    *ROOT.joinpath("schemas").rglob("*.py")])
    for f in files:
        h.update(str(f.relative_to(ROOT)).encode())
        h.update(f.read_bytes())
    h.update(FAST_ENV["HUBDESK_BCRYPT_ROUNDS"].encode())
    return h.hexdigest()[:16]


def _target() -> Path:
    return CACHE / f"demo-{code_version()}.duckdb"


def is_built() -> bool:
    return _target().exists()


def build_in_background() -> threading.Thread:
    """Starts :func:`template` in a daemon thread (the build itself is a child process, so the tests keep
    the interpreter): whoever calls ``template()`` next waits on the same lock instead of building twice.
    A failed build is left for that caller, which tries again and reports it."""
    environ = dict(os.environ)  # now, before a test's monkeypatch.setenv can change it

    def build() -> None:
        try:
            template(environ)
        except Exception:  # noqa: BLE001 - the next template() call builds again and raises
            pass

    thread = threading.Thread(target=build, name="demo-template-build", daemon=True)
    thread.start()
    return thread


def template(environ: dict | None = None) -> Path:
    """The demo database of this code version (built now if missing, in a child process given ``environ``,
    default ``os.environ``). Never open it: copy it."""
    return _cached(_target(), "from core import app; from core.platform import db; app.bootstrap(); db.close_all()", "demo", environ)


EMPTY_CODE = """
import os
os.environ["HUBDESK_DEMO"] = "0"
from core.orgs import communities
from core.platform import db
from core.platform.actor import SYSTEM
from schemas import choices
database = db.get_db()
communities.install_provider()
communities.ensure(choices.DEMO_COMMUNITIES, SYSTEM, db=database)
db.close_all()
"""


def empty_template() -> Path:
    """An empty database of this code version: migrated, with the 21 demo communities, no users, no
    organisations (what the tests' ``db`` fixture starts from), built once. Copy it (:func:`copy_to`)."""
    return _cached(CACHE / f"empty-{code_version()}.duckdb", EMPTY_CODE, "empty-", None)


BENCH_CODE = """
import datetime, json, os, sys
os.environ["HUBDESK_DEMO"] = "0"
sys.path.insert(0, "bench")
import generate
from core.platform import db
loaded = generate.generate({scale}, os.environ["HUBDESK_DB"], today=datetime.date.fromisoformat("{today}"))
db.close_all()
with open(os.environ["HUBDESK_DB"] + ".json", "w") as f:
    json.dump(loaded.counts, f)
"""


def bench_template(scale: int, today) -> Path:
    """The benchmark's data (``bench/generate.py``) at ``scale`` for ``today``, built once per code version
    (the hash also covers ``bench/generate.py``), with its row counts in ``<file>.json``. Copy it
    (:func:`copy_to`), never open it."""
    h = hashlib.sha256(code_version().encode())
    h.update(ROOT.joinpath("bench", "generate.py").read_bytes())
    target = CACHE / f"bench-{scale}x-{today.isoformat()}-{h.hexdigest()[:16]}.duckdb"
    return _cached(target, BENCH_CODE.format(scale=int(scale), today=today.isoformat()), "bench-", None)


def _cached(target: Path, code: str, prefix: str, environ: dict | None) -> Path:
    """``target``, built (if missing) by running ``code`` in a child process whose HUBDESK_DB is a fresh
    file; a file lock makes parallel test processes build it once."""
    CACHE.mkdir(parents=True, exist_ok=True)
    if target.exists():
        return target
    # one lock per kind (a bench build does not wait for a demo build); the demo's keeps its old name
    with open(CACHE / ("build.lock" if prefix == "demo" else f"build-{prefix.strip('-')}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if target.exists():
                return target
            # one folder per build: a worker builds the demo in a background thread while its tests may build the
            # bench template (another lock); a folder per process only let the two overwrite each other's file, and
            # the demo template then held the bench's data (27 generated experts, no demo accounts)
            work = CACHE / f"building-{prefix.strip('-')}-{os.getpid()}-{threading.get_ident()}"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            env = dict(os.environ if environ is None else environ, **FAST_ENV, HUBDESK_DB=str(work / "demo.duckdb"),
                       HUBDESK_SECRETS=str(work / "secrets.toml"), HUBDESK_DEMO="1")
            # its own process: the test process's Streamlit caches and open connections stay untouched
            done = subprocess.run([sys.executable, "-c", code],
                                  cwd=ROOT, env=env, timeout=600, capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"building {target.name} failed:\n{done.stderr[-3000:]}")
            for src, dst in _companions(work / "demo.duckdb", target):  # before the file: its presence means done
                if src.exists():
                    os.replace(src, dst)
            os.replace(work / "demo.duckdb", target)
            shutil.rmtree(work, ignore_errors=True)
            # earlier code versions: keep the newest few (another test process, of another version of the
            # code, may be about to copy its own), drop the rest
            for old in sorted(CACHE.glob(f"{prefix}*.duckdb"), key=lambda p: p.stat().st_mtime, reverse=True)[4:]:
                for _, companion in _companions(old, old):
                    companion.unlink(missing_ok=True)
                old.unlink(missing_ok=True)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return target


DEMO_CODE = "from core import app; from core.platform import db; app.bootstrap(); db.close_all()"


def _pg_target() -> Path:
    """The demo on PostgreSQL, as ``pg_dump``'s custom format: per code version and per day (the demo's dates
    follow the day it is built; the PostgreSQL run is compared with nothing built on another day)."""
    import datetime as dt

    return CACHE / f"demo-{code_version()}-{dt.date.today().isoformat()}.pgdump"


def pg_is_built() -> bool:
    return _pg_target().exists()


def pg_companions(dump: Path) -> tuple[Path, Path]:
    """(the secrets file holding the audit key, the audit head file) kept beside a demo dump."""
    return dump.with_name(dump.stem + ".secrets.toml"), Path(str(dump) + ".audit-head")


def pg_demo(cluster, environ: dict | None = None) -> Path:
    """The demo database on PostgreSQL for this code version: a ``pg_dump`` file (with its audit key and audit head
    file beside it), built if missing as a first server start builds it (``core.app.bootstrap`` with
    ``HUBDESK_DEMO=1``, in a child process given ``environ``) in a new database of ``cluster``
    (``tests/pg_cluster.py``), dumped, and the database dropped. Measured: the build 9.5 s, the dump 0.2 s, a
    restore 0.4 s; so one test process builds it (a file lock, as for the DuckDB demo) and every other restores
    it (``Cluster.demo``), in this run and the next ones of the same code on the same day."""
    target = _pg_target()
    CACHE.mkdir(parents=True, exist_ok=True)
    if target.exists():
        return target
    with open(CACHE / "build-pg.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if target.exists():
                return target
            work = CACHE / f"building-pg-{os.getpid()}-{threading.get_ident()}"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            name = cluster.create(template=cluster.templates()["migrated"], prefix="demo")
            try:  # a failed build leaves neither its database nor its folder
                _build_pg(cluster, name, work, target, environ)
            finally:
                cluster.drop(name)
                shutil.rmtree(work, ignore_errors=True)
            for old in sorted(CACHE.glob("demo-*.pgdump"), key=lambda p: p.stat().st_mtime, reverse=True)[4:]:
                for companion in pg_companions(old):
                    companion.unlink(missing_ok=True)
                old.unlink(missing_ok=True)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return target


def _build_pg(cluster, name: str, work: Path, target: Path, environ: dict | None) -> None:
    """Builds the demo in ``name`` (a database of ``cluster``), dumps it into ``work`` and moves the dump, with its
    audit key and head file, to ``target``."""
    env = dict(os.environ if environ is None else environ, **FAST_ENV, HUBDESK_DB=cluster.url(name),
               HUBDESK_DATA_DIR=str(work), HUBDESK_SECRETS=str(work / "secrets.toml"), HUBDESK_DEMO="1",
               PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", DEMO_CODE], cwd=ROOT, env=env, timeout=600, capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise RuntimeError(f"building {target.name} failed:\n{done.stderr[-3000:]}")
    cluster.client("pg_dump", "--format=custom", "--compress=0", f"--file={work / 'demo.pgdump'}",
                   f"--dbname={cluster.url(name)}")
    secrets, head = pg_companions(target)
    os.replace(work / "secrets.toml", secrets)  # before the dump: its presence means done
    if (work / f"{name}.postgresql.audit-head").exists():
        os.replace(work / f"{name}.postgresql.audit-head", head)
    os.replace(work / "demo.pgdump", target)


def pg_build_in_background(cluster_of) -> threading.Thread:
    """:func:`pg_demo` restored into the cluster's ``template_demo`` (``Cluster.demo``) in a daemon thread (the
    build is a child process); ``cluster_of()`` gives the cluster. A failure is left for the next caller, which
    tries again and reports it."""
    environ = dict(os.environ)

    def build() -> None:
        try:
            cluster_of().demo(environ)
        except Exception:  # noqa: BLE001 - the next Cluster.demo() call builds again and raises
            pass

    thread = threading.Thread(target=build, name="pg-demo-template-build", daemon=True)
    thread.start()
    return thread


def _companions(db: Path, cached: Path) -> list[tuple[Path, Path]]:
    """(file beside a database ``db``, where the cache keeps it for ``cached``): the secrets file holding the
    audit key its audit log was signed with, and the audit head file (``core.platform.audit``)."""
    return [(db.with_name("secrets.toml"), cached.with_name(cached.stem + ".secrets.toml")),
            (Path(str(db) + ".audit-head"), Path(str(cached) + ".audit-head")),
            (Path(str(db) + ".json"), Path(str(cached) + ".json"))]


def copy_to(path: Path, source: Path | None = None) -> Path:
    """A private copy of the demo database (or of ``source``, e.g. :func:`bench_template`) at ``path``, with
    its audit key (``secrets.toml`` beside it, which is where the tests' HUBDESK_SECRETS points) and its
    audit head file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    source = source or template()
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


def query_all(sql: str, params: list | None = None) -> list:
    """Every row from the demo database of this code version, read-only (see :func:`query_one`)."""
    import duckdb

    con = duckdb.connect(str(template()), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()

"""A throwaway PostgreSQL cluster for the tests: ``HUBDESK_TEST_ENGINE=postgres`` (every test's database is then a
PostgreSQL database) and ``tests/test_pg_*.py``.

One cluster per test process (per pytest-xdist worker): ``initdb`` into a temporary folder, started with
``pg_ctl`` on a free port of 127.0.0.1 (and a unix socket in the same folder), trust authentication (local test
use only; fsync off), stopped and deleted at the end. PostgreSQL refuses to run as root: when the tests run as
root the cluster runs as ``nobody`` (``runuser``), its folder owned by that user.

Each test gets a fresh database in milliseconds: ``CREATE DATABASE … TEMPLATE`` of a database migrated once per
session (:meth:`Cluster.templates`), and dropped after the test. The demo database (``demo_db``) is copied the same
way from ``template_demo`` (:meth:`Cluster.demo`), restored once per process from a ``pg_dump`` of the demo built on
PostgreSQL, which ``tests/demo_cache.py`` keeps per code version (built by the first process that needs it).

Binaries: ``HUBDESK_PG_BIN``, else the newest ``/usr/lib/postgresql/*/bin``, else ``pg_ctl`` on PATH. Missing:
the tests that need the cluster are skipped, or fail under ``CI=true`` (``.ci/run`` installs Debian's
``postgresql``).
"""
from __future__ import annotations

import atexit
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path

ADMIN_DB = "postgres"
USER = "postgres"


def bin_dir() -> Path | None:
    given = os.environ.get("HUBDESK_PG_BIN")
    if given:
        return Path(given) if (Path(given) / "pg_ctl").exists() else None
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if found:
        return found[-1].parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


def missing_reason() -> str | None:
    if bin_dir() is None:
        return "PostgreSQL binaries not found (apt-get install postgresql, or set HUBDESK_PG_BIN)"
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'psycopg[binary,pool]')"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self) -> None:
        self.bin = bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="hubdesk-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_nobody = os.geteuid() == 0
        self._templates: dict[str, str] = {}
        self._demo: tuple[str, Path, Path] | None = None
        self._demo_lock = threading.Lock()
        self._version: int | None = None
        self._lock = threading.Lock()
        self.started = False

    # -- running the binaries
    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_nobody:
            cmd = ["runuser", "-u", "nobody", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=self.root)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
                               + self._log_tail())
        return done

    def client(self, *args: str, timeout: float = 300) -> None:
        """Runs a client program of the cluster's (``pg_dump``, ``pg_restore``) as this user: only the server must
        not run as root, and the files it reads and writes are this user's."""
        done = subprocess.run([str(self.bin / args[0]), *args[1:]], capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}):\n{done.stderr[-2000:]}" + self._log_tail())

    def _log_tail(self) -> str:
        log = self.root / "server.log"
        return f"\nserver.log:\n{log.read_text(errors='replace')[-2000:]}" if log.exists() else ""

    def start(self) -> "Cluster":
        if self.as_nobody:
            shutil.chown(self.root, "nobody")
        self._run("initdb", "-D", str(self.data), "-U", USER, "-A", "trust", "-E", "UTF8", "--locale=C",
                  "--no-sync", "--no-instructions")
        opts = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
                " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
                " -c shared_buffers=32MB")
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.root / "server.log"), "-w", "-t", "60",
                  "start")
        self.started = True
        self._watch()
        return self

    def _watch(self) -> None:
        """A watchdog that stops the cluster and deletes its folder if this process ends without doing it
        (killed, or a pytest-xdist worker that exits at once)."""
        ctl = [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]
        if self.as_nobody:
            ctl = ["runuser", "-u", "nobody", "--", *ctl]
        script = (f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
                  f"if [ -d {shlex.quote(str(self.data))} ]; then {shlex.join(ctl)} >/dev/null 2>&1; "
                  f"rm -rf {shlex.quote(str(self.root))}; fi")
        subprocess.Popen(["sh", "-c", script], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)

    def stop(self) -> None:
        if self.started:
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=60)
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)

    # -- databases
    def url(self, dbname: str = ADMIN_DB) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{dbname}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(sql)

    def create(self, template: str | None = None, prefix: str = "t") -> str:
        """A new database (a copy of ``template`` when given); returns its name. PostgreSQL 15's default way of
        copying a template (WAL_LOG) took 0.39 s a database here, FILE_COPY 0.11 s (fsync is off)."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        copy = " STRATEGY FILE_COPY" if template and self.version() >= 150000 else ""
        self.admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"{copy}' if template else ""))
        return name

    def version(self) -> int:
        if self._version is None:
            import psycopg

            with psycopg.connect(self.url(), autocommit=True) as con:
                self._version = int(con.execute("SHOW server_version_num").fetchone()[0])
        return self._version

    def drop(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def templates(self) -> dict[str, str]:
        """``migrated`` (every migration, nothing else: what a new database holds) and ``communities`` (the same
        with the 21 demo communities, as ``tests/demo_cache.py``'s empty template), built once per session in a
        child process; their audit key is in :attr:`secrets` and the head file in :meth:`head_file`."""
        with self._lock:
            if not self._templates:
                for name in ("template_migrated", "template_communities"):
                    self.drop(name)
                self.admin('CREATE DATABASE "template_migrated"')
                env = dict(os.environ, HUBDESK_DB=self.url("template_migrated"), HUBDESK_SECRETS=str(self.secrets),
                           HUBDESK_DATA_DIR=str(self.root / "state"), HUBDESK_DEMO="0", HUBDESK_BCRYPT_ROUNDS="4",
                           HUBDESK_BACKUP_ON_START="0", PYTHONPATH=str(ROOT))
                done = subprocess.run([sys.executable, "-c", TEMPLATE_CODE, self.url("template_communities")],
                                      cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
                if done.returncode != 0:
                    raise RuntimeError(f"building the PostgreSQL template databases failed:\n{done.stderr[-3000:]}")
                self._templates = {"migrated": "template_migrated", "communities": "template_communities"}
            return dict(self._templates)

    @property
    def secrets(self) -> Path:
        return self.root / "template.secrets.toml"

    def head_file(self, template: str) -> Path:
        return self.root / "state" / f"{template}.postgresql.audit-head"

    def demo(self, environ: dict | None = None) -> tuple[str, Path, Path]:
        """``template_demo``: the demo database of this code version, restored from its ``pg_dump``
        (``tests/demo_cache.pg_demo``, built now in this cluster if missing, its child process given ``environ``);
        returns (its name, the secrets file holding its audit key, its audit head file). Nothing stays connected to
        it (a template being copied must have no connections)."""
        from tests import demo_cache

        with self._demo_lock:
            if self._demo is None:
                dump = demo_cache.pg_demo(self, environ)
                self.drop(DEMO)
                self.admin(f'CREATE DATABASE "{DEMO}"')
                self.client("pg_restore", "--no-owner", f"--dbname={self.url(DEMO)}", str(dump))
                secrets, head = demo_cache.pg_companions(dump)
                self._demo = (DEMO, secrets, head)
            return self._demo

    def fresh(self, kind: str, data_dir: Path) -> tuple[str, str]:
        """A new database copied from the template ``kind`` (``migrated``, ``communities`` or ``demo``), with the
        template's audit key at ``data_dir/secrets.toml`` and its audit head file as the new database's (in
        ``data_dir``, which is to be ``HUBDESK_DATA_DIR``); returns (name, URL)."""
        if kind == "demo":
            template, secrets, head = self.demo()
        else:
            template = self.templates()[kind]
            secrets, head = self.secrets, self.head_file(template)
        name = self.create(template=template)
        if kind != "migrated":
            shutil.copy(secrets, data_dir / "secrets.toml")
            if head.exists():
                shutil.copy(head, data_dir / f"{name}.postgresql.audit-head")
        return name, self.url(name)


ROOT = Path(__file__).resolve().parent.parent
DEMO = "template_demo"
TEMPLATE_CODE = """
import sys
import psycopg
from core.orgs import communities
from core.platform import db
from core.platform.actor import SYSTEM
from schemas import choices
db.get_db()
db.close_all()
with psycopg.connect(sys.argv[1].rsplit("/", 1)[0] + "/postgres", autocommit=True) as con:
    con.execute('CREATE DATABASE "template_communities" TEMPLATE "template_migrated"')
database = db.get_db(sys.argv[1])
communities.install_provider()
communities.ensure(choices.DEMO_COMMUNITIES, SYSTEM, db=database)
db.close_all()
"""


_cluster: Cluster | None = None
_failed: str | None = None
_starting = threading.Lock()  # the demo's background build (tests/conftest.py) and the tests start it at once


def cluster() -> Cluster:
    """This process's cluster, started on first use (stopped by :func:`stop`, at the end of the session)."""
    global _cluster, _failed
    with _starting:
        if _failed:  # tried once in this process: do not try (and wait) again for every test
            raise RuntimeError(_failed)
        if _cluster is None:
            c = Cluster()
            try:
                c.start()
            except BaseException as exc:
                c.stop()
                _failed = f"the test PostgreSQL cluster did not start: {exc}"
                raise
            _cluster = c
            atexit.register(stop)
        return _cluster


def stop() -> None:
    global _cluster
    if _cluster is not None:
        _cluster.stop()
        _cluster = None

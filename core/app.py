"""Start-up: settings, secrets, a backup before new migrations, the database (migrated), choice providers,
first-start data, the automatic backups and, with ``HUBDESK_ANALYTICS=snapshot`` on PostgreSQL, the dashboards'
snapshot refresh (one background thread each per process). The server's entry point (Home.py) also starts the
dashboards' warm-up (core/dashboards/warm.py): not here, where a command-line process would close the database
under it."""
from __future__ import annotations

import gc
import logging
import threading

from core import checks, domain
from core.demo import build as demo
from core.orgs import communities, hubs
from core.platform import backup, cache, config, secrets_file, snapshot, users
from core.platform.actor import SYSTEM
from core.platform.db import Database, get_db
from schemas import choices

log = logging.getLogger("hubdesk")
_started: set[str] = set()
_lock = threading.Lock()


class ConfigProblem(RuntimeError):
    """The start-up checks found problems (each with its stable id): the message lists them."""

    def __init__(self, problems: list[str]):
        super().__init__("配置检查未通过:\n" + "\n".join(problems))
        self.problems = list(problems)


def _first_start(db: Database, s: config.Settings, progress=None) -> None:
    if db.scalar("SELECT count(*) FROM users"):
        return
    hubs.ensure_default(db)  # the one hub every account and record of a new database belongs to (本中心, hub 1)
    if s.demo:
        counts = demo.load(db, progress)
        log.warning("HubDesk: new database %s filled with demo data %s", db.path, counts)
        return
    communities.ensure(choices.DEMO_COMMUNITIES, SYSTEM, db=db)
    username, password = users.create(
        {"username": "admin", "name": "管理员", "roles": ["admin"], "active": True}, SYSTEM, db=db)
    note = s.data_dir / "initial-admin-password.txt"
    note.write_text(f"用户名: {username}\n初始密码: {password}\n登录后请立即修改密码,然后删除本文件。\n", encoding="utf-8")
    note.chmod(0o600)
    log.warning("HubDesk: empty database created; initial admin password written to %s", note)


_status: str = ""  # what a first start is doing now (shown to sessions that wait for it)


def status() -> str:
    return _status


def ready() -> bool:
    """True once this process has started the configured database (bootstrap() is then cheap)."""
    return str(config.load().db_path.resolve()) in _started


def bootstrap(progress=None) -> Database:
    """Idempotent; cheap after the first call in a process. ``progress(done, total, label)`` hears about
    the first-start demo data build (other callers wait for it to finish)."""
    s = config.load()
    key = str(s.db_path.resolve())
    if key in _started:
        return _synced(get_db(s.db_path))
    with _lock:
        if key in _started:
            return _synced(get_db(s.db_path))
        if s.backup_on_start:
            backup.before_migrations(s.db_path, s.backup_dir)  # an upgrade: copy the file before migrating it
        db = get_db(s.db_path)
        secrets_file.cookie_key(s.secrets_path)  # creates it, or refuses an insecure one
        domain.install_providers()
        problems = checks.run()  # entities and schemas (the pages registry: core.ui.screens.check, from Home.py)
        if problems:
            raise ConfigProblem(problems)
        def told(done: int, total: int, label: str) -> None:
            global _status
            _status = f"正在准备演示数据 … {done}/{total}:{label}"
            if progress:
                progress(done, total, label)

        with db.write_lock:  # on PostgreSQL every server's: of two servers starting on a new database, one fills it
            _first_start(db, s, told)
        cache.sync(db)  # what the shared store's versions are now: later runs see what other servers write after
        _started.add(key)
        backup.start_auto(db, s)  # at most one backup thread per process
        snapshot.start(db, s)  # HUBDESK_ANALYTICS=snapshot on PostgreSQL: the dashboards' DuckDB copy, its one thread
    return db


def _synced(db: Database) -> Database:
    """Once per page run: on PostgreSQL the tables other servers wrote since the last run are stale here
    (their cached figures are computed again, core.platform.cache.sync); nothing on DuckDB."""
    cache.sync(db)
    return db


_heap_frozen = False


def heap_frozen() -> bool:
    return _heap_frozen


def freeze_heap() -> None:
    """Once per process, after start-up has imported every screen (``Home.py`` imports them through
    ``core.ui.screens.check``, so this module loads none): the objects alive now (modules,
    classes, schemas, compiled code) leave the garbage collector's view (``gc.freeze``). Streamlit collects
    garbage in full after every script run (``runner.postScriptGC``, so a session's cyclic garbage does not
    build up); over the whole heap that cost ~100 ms of CPU per run and held the GIL meanwhile, the other
    sessions' runs waiting. After the freeze the collection walks only what runs created since."""
    global _heap_frozen
    with _lock:
        if _heap_frozen:
            return
        gc.collect()
        gc.freeze()
        _heap_frozen = True


def reset_for_tests() -> None:
    backup.stop_auto()
    snapshot.stop_all()
    _started.clear()

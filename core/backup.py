"""Consistent backups of the DuckDB file, and a checked restore."""
from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb

from core.errors import HubError

KEEP = 14
REQUIRED_TABLES = {"schema_version", "audit_log", "users", "organisations"}


class RestoreRefused(HubError):
    pass


def backup(db, dest_dir: Path | None = None, keep: int = KEEP) -> Path:
    """Checkpoint under the write lock, copy the file, keep the newest ``keep`` backups."""
    dest_dir = Path(dest_dir or db.path.parent / "backups")
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / f"{db.path.stem}-{datetime.now():%Y%m%d-%H%M%S-%f}.duckdb"
    with db.write_lock:
        with db.read() as cur:
            cur.execute("CHECKPOINT")
        shutil.copy2(db.path, target)
    old = sorted(dest_dir.glob(f"{db.path.stem}-*.duckdb"))[:-keep] if keep > 0 else []
    for p in old:
        p.unlink(missing_ok=True)
    return target


def check_file(path: Path) -> None:
    """Refuse a file that is not a readable HubDesk database."""
    if not path.is_file():
        raise RestoreRefused(f"找不到备份文件 {path}")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise RestoreRefused(f"{path} 不是可读取的 DuckDB 数据库文件(可能已损坏):{exc}") from exc
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    finally:
        con.close()
    missing = REQUIRED_TABLES - tables
    if missing:
        raise RestoreRefused(f"{path} 不是 HubDesk 数据库(缺少表:{'、'.join(sorted(missing))})")


def restore(source: Path, target: Path) -> Path | None:
    """Replace ``target`` with ``source`` (server stopped). Returns where the old file was kept."""
    source, target = Path(source), Path(target)
    check_file(source)
    kept = None
    if target.exists():
        try:  # fails when another process (the server) holds the file
            duckdb.connect(str(target)).close()
        except duckdb.Error as exc:
            raise RestoreRefused(f"{target} 正在被使用,请先停止 HubDesk 服务再恢复:{exc}") from exc
        kept = target.with_name(f"{target.stem}.replaced-{datetime.now():%Y%m%d-%H%M%S}{target.suffix}")
        target.rename(kept)
        wal = target.with_name(target.name + ".wal")
        if wal.exists():
            wal.rename(kept.with_name(kept.name + ".wal"))
    shutil.copy2(source, target)
    return kept

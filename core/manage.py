"""Command-line maintenance (run with the server stopped: DuckDB allows one process per file).

    python3 -m core.manage disable-demo-accounts
    python3 -m core.manage backup [--dest DIR] [--keep N]     # verified copy under data/backups/
    python3 -m core.manage backups                            # list the backups
    python3 -m core.manage check-backup FILE                  # is FILE a complete HubDesk database?
    python3 -m core.manage restore FILE                       # replace HUBDESK_DB with a backup
    python3 -m core.manage export --format parquet|excel DEST # every table (Parquet: a folder or .zip)
    python3 -m core.manage import-parquet SRC                 # into a new, empty HUBDESK_DB
    python3 -m core.manage check-audit                        # keyed hash chain, head file, backups: which rows
    python3 -m core.manage check-uploads                      # every document's file present and intact
    python3 -m core.manage send-reminders                     # the reminder job once (a systemd timer)
    python3 -m core.manage move-to-postgres --to postgresql://USER@HOST:PORT/DB [--from EXPORT]
                                                              # HUBDESK_DB's file (or a Parquet export) into
                                                              # a new, empty PostgreSQL database, checked

``backup``, ``export`` and ``check-backup`` open the file as it is, without migrating it, so a backup
taken before an upgrade is a copy of the old version. The other commands migrate the file like a server
start does, after the same pre-migration backup (``HUBDESK_BACKUP_ON_START``).

With ``HUBDESK_DB=postgresql://…`` the same commands work on that database: ``backup`` is a ``pg_dump`` (custom
format, ``.pgdump``), ``check-backup`` reads one back whole, ``restore`` replaces the database's contents in one
checked transaction (every HubDesk server stopped: it refuses while another session is connected);
``core.platform.backup`` says how. ``export`` is for the DuckDB file (PostgreSQL: ``backup``).
"""
from __future__ import annotations

import argparse
import os
import sys

from core import navigation
from core.notify import job
from core.platform import audit, backup, config, documents, export, pg, records, users
from core.platform.actor import SYSTEM
from core.platform.db import Database, get_db
from core.platform.errors import HubError


def _url() -> str | None:
    """HUBDESK_DB when it names a PostgreSQL database, else None (the DuckDB file of ``config``)."""
    value = os.environ.get("HUBDESK_DB", "")
    return value.strip() if pg.is_url(value) else None


def _open_unmigrated(path):
    """The database file as it is (no migrations: used before an upgrade, too); a PostgreSQL database as it is."""
    if _url():
        return pg.PgDatabase(_url())
    if not path.is_file():
        raise HubError(f"找不到数据库文件 {path}(请检查 HUBDESK_DB)")
    return Database(path)


def _sums_line(sums: dict) -> str:
    return f"{len(sums)} 张表,共 {sum(s.rows for s in sums.values()):,} 行"


def _where(url: str) -> str:
    d = pg.describe(url)
    return f"PostgreSQL 数据库 {d['dbname']}(服务器 {d['host']}:{d['port']},用户 {d['user']})"


def _move(to: str, src: str | None, s) -> int:
    """``move-to-postgres``: HUBDESK_DB's DuckDB file (migrated first, as a server start does) or the Parquet
    export ``src`` into the empty PostgreSQL database ``to``, created by the migrations; every table's rows and
    checksum compared on both sides and the audit chain verified before the commit (core.platform.export)."""
    to = (to or "").strip()
    if not pg.is_url(to):
        raise HubError(f"--to 应是 PostgreSQL 数据库的地址 postgresql://用户@服务器:端口/库名,而不是 {to!r}")
    if src is None and _url():
        raise HubError("HUBDESK_DB 已经是 PostgreSQL 数据库。move-to-postgres 迁出的是 DuckDB 文件:请让 HUBDESK_DB 指向"
                       "那个 .duckdb 文件(服务停止时),或用 --from 指定一份 Parquet 导出")
    if src is None and not s.db_path.is_file():
        raise HubError(f"找不到数据库文件 {s.db_path}(请检查 HUBDESK_DB)")
    target = get_db(to)  # connects, and creates the schema by the migrations
    if src is None:
        if s.backup_on_start:
            backup.before_migrations(s.db_path, s.backup_dir)
        source = get_db(s.db_path)  # migrated to this version, as a server start would (refused while a server runs)
        moved = export.move_database(source, target)
        what = f"DuckDB 文件 {s.db_path.name}"
    else:
        moved = export.move_export(src, target)
        what = f"Parquet 导出 {src}"
    rows = sum(v.rows for v in moved.sums.values())
    note = f"从{what}迁入 PostgreSQL:{len(moved.sums)} 张表、{rows:,} 行,两边行数和校验值一致,审计日志校验通过"
    with records.unit(SYSTEM, target) as u:
        u.changes.append(audit.Change("database", what, "import", note=note))
    print(f"已迁移到{_where(to)}:{len(moved.sums)} 张表、{rows:,} 行;每张表的行数和内容校验值两边一致。")
    report = audit.verify(target)
    print("\n".join(report.lines()))
    print(f"下一步:停止使用 {s.db_path.name if src is None else src},把 HUBDESK_DB 设为该 PostgreSQL 地址后启动服务"
          "(docs/deploy.md 第 11 节)。")
    return 0 if report.ok else 1


def _audit_report(db, s) -> audit.ChainReport:
    """The audit chain checked against the head file beside the database and the newest backups."""
    return audit.verify(db, backup.audit_anchors(s.backup_dir, db.path.stem))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m core.manage", description="HubDesk maintenance")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("disable-demo-accounts", help="disable every demo account")
    b = sub.add_parser("backup", help="consistent, verified copy of the database file")
    b.add_argument("--dest", help="folder (default: HUBDESK_BACKUP_DIR, else backups/ beside the database)")
    b.add_argument("--keep", type=int, help="backups to keep (default: HUBDESK_BACKUP_KEEP, 14)")
    sub.add_parser("backups", help="list the backups")
    c = sub.add_parser("check-backup", help="check that a file is a complete HubDesk database")
    c.add_argument("file")
    r = sub.add_parser("restore", help="replace the database with a backup (server stopped)")
    r.add_argument("file")
    e = sub.add_parser("export", help="every table to Parquet (a folder or .zip) or to one Excel workbook")
    e.add_argument("--format", choices=("parquet", "excel"), default="parquet")
    e.add_argument("dest")
    i = sub.add_parser("import-parquet", help="load a Parquet export into a new, empty database (HUBDESK_DB)")
    i.add_argument("src")
    sub.add_parser("check-audit", help="verify the audit log's hash chain")
    sub.add_parser("check-uploads", help="check that every document's file is in data/uploads and intact")
    sub.add_parser("send-reminders", help="queue the due reminders and send email / WeCom (the in-server scheduler's job)")
    m = sub.add_parser("move-to-postgres", help="copy the DuckDB file (HUBDESK_DB) or a Parquet export into a new, "
                                                "empty PostgreSQL database; counts and checksums checked")
    m.add_argument("--to", required=True, help="postgresql://USER@HOST:PORT/DB (an empty database; password: PGPASSWORD"
                                               " or in the URL)")
    m.add_argument("--from", dest="src", help="a Parquet export (folder or .zip) instead of HUBDESK_DB's file")
    args = parser.parse_args(argv)
    s = config.load()
    try:
        if args.cmd == "move-to-postgres":
            return _move(args.to, args.src, s)
        if args.cmd == "restore":
            sums = backup.check_file(args.file)
            kept = backup.restore(args.file, _url() or s.db_path, s.backup_dir)
            target = _where(_url()) if _url() else s.db_path
            print(f"已恢复 {args.file} -> {target}({_sums_line(sums)})"
                  + (f";{'原内容' if _url() else '原文件'}保留为 {kept}" if kept else ""))
            db = _open_unmigrated(s.db_path)  # what check-audit will say: the restore, as a restore
            try:
                print("\n".join(_audit_report(db, s).lines()))
            finally:
                db.close()
            return 0
        if args.cmd == "check-backup":
            sums = backup.check_file(args.file)
            print(f"{args.file} 完整可用:{_sums_line(sums)}")
            for t, v in sums.items():
                print(f"  {t:<28} {v.rows:>9,}  {v.checksum}")
            return 0
        if args.cmd == "backups":
            found = backup.backups(s.backup_dir, s.db_path.stem)
            if not found:
                print(f"{s.backup_dir} 中还没有 {s.db_path.stem} 的备份")
            for f in found:
                kind = "升级前" if f.kind == "before-migration" else ""
                print(f"{f.taken_at:%Y-%m-%d %H:%M:%S}  {f.size / 1024 / 1024:8.1f} MB  {f.path} {kind}".rstrip())
            return 0
        if args.cmd == "export" and _url():
            raise HubError("export 导出的是 DuckDB 数据库文件;PostgreSQL 数据库请用 python3 -m core.manage backup"
                           "(pg_dump 备份,可用 restore 恢复)")
        if args.cmd in ("backup", "export"):
            db = _open_unmigrated(s.db_path)
            try:
                if args.cmd == "backup":
                    keep = args.keep if args.keep is not None else s.backup_keep
                    print(backup.backup(db, args.dest or s.backup_dir, keep))
                elif args.format == "parquet":
                    manifest = export.export_parquet(db, args.dest)
                    rows = sum(t["rows"] for t in manifest["tables"].values())
                    print(f"已导出 {len(manifest['tables'])} 张表、{rows:,} 行到 {args.dest}")
                else:
                    summary = export.export_excel(db, args.dest)
                    rows = sum(t["rows"] for t in summary["tables"].values())
                    print(f"已导出 {len(summary['tables'])} 张表、{rows:,} 行到 {args.dest}"
                          + (f"({summary['cut_cells']} 个超长单元格已截断)" if summary["cut_cells"] else ""))
            finally:
                db.close()
            return 0

        if s.backup_on_start:  # the commands below migrate an older file: copy it first, as a server start does
            backup.before_migrations(s.db_path, s.backup_dir)
        if args.cmd == "import-parquet" and _url():  # into PostgreSQL: the move's checked copy
            return _move(_url(), args.src, s)
        if args.cmd == "import-parquet":
            fresh = not s.db_path.exists()
            db = get_db(s.db_path)  # a new file is created and migrated here
            try:
                counts = export.import_parquet(db, args.src)
            except HubError:
                if fresh:  # leave no empty database behind
                    db.close()
                    s.db_path.unlink(missing_ok=True)
                raise
            print(f"已导入 {len(counts)} 张表、{sum(counts.values()):,} 行到 {s.db_path}")
            return 0
        db = get_db(s.db_path)
        if args.cmd == "disable-demo-accounts":
            names = [r["username"] for r in db.fetch_all("SELECT username FROM users WHERE is_demo AND active")]
            admins_left = db.scalar("SELECT count(*) FROM users WHERE active AND NOT is_demo AND list_contains(roles, 'admin')")
            if not admins_left:
                print("请先创建一个非演示的管理员账号(用户与角色),再停用演示账号。", file=sys.stderr)
                return 2
            for n in names:
                users.set_active(n, False, SYSTEM, db=db)
            print(f"已停用 {len(names)} 个演示账号:{', '.join(names) or '无'}")
        elif args.cmd == "check-audit":
            rep = _audit_report(db, s)
            print("\n".join(rep.lines()))
            return 0 if rep.ok else 1
        elif args.cmd == "send-reminders":
            # the reminders' links name the pages' url paths (the pages registry sits above core.notify)
            report = job.run(db=db, url_path=lambda key: getattr(navigation.spec(key), "url_path", None))
            print(report.line())
            return 0 if not report.errors else 1
        elif args.cmd == "check-uploads":
            bad = backup.check_uploads(db, documents.uploads_dir())
            total = db.scalar("SELECT count(*) FROM documents")
            print(f"附件:{total} 个记录," + ("文件齐全" if not bad else f"{len(bad)} 个有问题"))
            for row in bad:
                print(f"  附件 {row['id']}({row['filename']}):{row['problem']} {row['stored_name']}")
            return 0 if not bad else 1
    except HubError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

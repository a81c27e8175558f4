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

``backup``, ``export`` and ``check-backup`` open the file as it is, without migrating it, so a backup
taken before an upgrade is a copy of the old version. The other commands migrate the file like a server
start does, after the same pre-migration backup (``HUBDESK_BACKUP_ON_START``).
"""
from __future__ import annotations

import argparse
import sys

from core import navigation
from core.notify import job
from core.platform import audit, backup, config, documents, export, users
from core.platform.actor import SYSTEM
from core.platform.db import Database, get_db
from core.platform.errors import HubError


def _open_unmigrated(path):
    """The database file as it is (no migrations: used before an upgrade, too)."""
    if not path.is_file():
        raise HubError(f"找不到数据库文件 {path}(请检查 HUBDESK_DB)")
    return Database(path)


def _sums_line(sums: dict) -> str:
    return f"{len(sums)} 张表,共 {sum(s.rows for s in sums.values()):,} 行"


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
    args = parser.parse_args(argv)
    s = config.load()
    try:
        if args.cmd == "restore":
            sums = backup.check_file(args.file)
            kept = backup.restore(args.file, s.db_path)
            print(f"已恢复 {args.file} -> {s.db_path}({_sums_line(sums)})"
                  + (f";原文件保留为 {kept}" if kept else ""))
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

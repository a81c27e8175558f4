"""Command-line maintenance (run with the server stopped: DuckDB allows one process per file).

    python3 -m core.manage disable-demo-accounts
    python3 -m core.manage backup [--dest DIR] [--keep N]
    python3 -m core.manage restore FILE
    python3 -m core.manage check-audit
"""
from __future__ import annotations

import argparse
import sys

from core import audit, backup, config, users
from core.actor import SYSTEM
from core.errors import HubError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m core.manage", description="HubDesk maintenance")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("disable-demo-accounts", help="disable every demo account")
    b = sub.add_parser("backup", help="consistent copy of the database file")
    b.add_argument("--dest")
    b.add_argument("--keep", type=int, default=backup.KEEP)
    r = sub.add_parser("restore", help="replace the database with a backup (server stopped)")
    r.add_argument("file")
    sub.add_parser("check-audit", help="verify the audit log's hash chain")
    args = parser.parse_args(argv)
    s = config.load()
    try:
        if args.cmd == "restore":
            kept = backup.restore(args.file, s.db_path)
            print(f"已恢复 {args.file} -> {s.db_path}" + (f"(原文件保留为 {kept})" if kept else ""))
            return 0
        from core.db import get_db

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
        elif args.cmd == "backup":
            print(backup.backup(db, args.dest, args.keep))
        elif args.cmd == "check-audit":
            rep = audit.verify(db)
            print(f"审计日志{'完整' if rep.ok else '异常'}:{rep.rows} 条" + ("" if rep.ok else f",第 {rep.first_bad_id} 条:{rep.reason}"))
            return 0 if rep.ok else 1
    except HubError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

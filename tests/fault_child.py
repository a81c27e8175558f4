"""A child process for tests/test_faults.py: runs HubDesk's core write path on ``HUBDESK_DB`` and reports
on stdout (one line per event, flushed) so the parent can kill it (SIGKILL) at a known point, hold the
file open as a "first server", or watch it meet a full disk or a read-only folder.

    python3 tests/fault_child.py import  --tag T --base N --rows N [--pause none|rows:K|audit|trace]
    python3 tests/fault_child.py reviews --round R --tasks ID:USER,... [--pause none|scores:K|audit|trace]
    python3 tests/fault_child.py hold                       # then commands on stdin: write N | count | quit
    python3 tests/fault_child.py diskfull --org ORG         # RLIMIT_FSIZE: a real "cannot write" at the OS level
    python3 tests/fault_child.py readonly --org ORG [--drop-to UID]

Events: ``READY pid``, ``BEGIN key``, ``TX`` (the transaction has written its first row), ``COMMITTED key n``,
``PAUSED where`` (the child then sleeps inside the open transaction until it is killed), ``RESULT {json}``,
``DONE``.

Pausing is observation only: the child wraps :meth:`core.platform.db.Transaction.execute` to count the statements
of the open transaction and to stop after the chosen one; everything else is the code the app runs.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import resource
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core import domain
from core.orgs import communities, organisations
from core.platform import audit, backup, documents, importer, records
from core.review import reviews  # noqa: E402
from core.platform.actor import SYSTEM, Actor  # noqa: E402
from core.platform.db import Transaction, close_all, get_db  # noqa: E402
from core.platform.errors import HubError  # noqa: E402
from schemas import choices  # noqa: E402
from schemas.base import field_specs  # noqa: E402
from tests.test_schema_organisation import org_values, uscc_for  # noqa: E402

STAFF = Actor("wangmin", ("staff",))
REVIEW_DAY = dt.date(2026, 4, 20)  # inside the default 2026 review window (tests/test_reviews.TODAY)
BATCH_TAG = "故障测试"  # organisations of an import batch carry "<BATCH_TAG>:<batch key>" in notes


def say(*parts) -> None:
    sys.stdout.write(" ".join(str(p) for p in parts) + "\n")
    sys.stdout.flush()


def result(step: str, **values) -> None:
    say("RESULT", json.dumps({"step": step, **values}, ensure_ascii=False, default=str))


def setup() -> None:
    db = get_db()
    communities.install_provider()
    domain.install_providers()
    if not db.scalar("SELECT count(*) FROM communities"):
        communities.ensure(choices.DEMO_COMMUNITIES, SYSTEM, db=db)


# ---- pausing inside the open transaction ----------------------------------------------------------------
class Pause:
    """Stops the process inside the transaction after the K-th ``INSERT INTO <table>`` (``rows:K``,
    ``scores:K``) or after the audit append, just before COMMIT (``audit``), while ``armed``; or, for a
    kill at a random moment inside the transaction (``trace``), says ``TX`` at the first such INSERT of
    every transaction and goes on."""

    def __init__(self, spec: str, table: str):
        self.kind, _, k = (spec or "none").partition(":")
        self.k = int(k or 0)
        self.table = table
        self.armed = False
        self.seen = 0
        if self.kind != "none":
            original = Transaction.execute

            def execute(tx, sql, params=None):
                out = original(tx, sql, params)
                if self.armed:
                    self._after(sql)
                return out

            Transaction.execute = execute

    def _after(self, sql: str) -> None:
        if self.kind == "trace" and sql.startswith(f"INSERT INTO {self.table} "):
            self.seen += 1
            if self.seen == 1:
                say("TX")
        elif self.kind in ("rows", "scores") and sql.startswith(f"INSERT INTO {self.table} "):
            self.seen += 1
            if self.seen == self.k:
                self._stop(f"{self.kind}:{self.k}")
        elif self.kind == "audit" and sql.startswith("INSERT INTO audit_log "):
            self._stop("audit")

    def _stop(self, where: str) -> None:
        say("PAUSED", where)
        time.sleep(600)  # killed by the parent long before this ends
        raise SystemExit(3)


# ---- a bulk import --------------------------------------------------------------------------------------
def workbook(tag: str, base: int, rows: int) -> bytes:
    """An organisations sheet as staff would upload it (the template's headers)."""
    from openpyxl import Workbook

    spec = organisations.IMPORT_SPEC
    labels = [field_specs(spec.entity.schema)[f]["label"] for f in spec.fields]
    wb = Workbook()
    ws = wb.active
    ws.append(labels)
    for i in range(rows):
        values = {"name": f"下沙故障测试协会{tag}-{i:04d}", "kind": "社会团体", "uscc": uscc_for("51", base + i),
                  "reg_date": dt.datetime(2021, 4, 1), "contact_person": "王芳", "contact_phone": "13857100000",
                  "community": "文海社区", "service_domains": "志愿服务", "stage": "初创期", "active": "是",
                  "notes": f"{BATCH_TAG}:{tag}"}
        ws.append([values.get(f) for f in spec.fields])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def run_import(args) -> None:
    setup()
    pause = Pause(args.pause, "organisations")
    spec = organisations.IMPORT_SPEC
    say("READY", os.getpid())
    batch = 0
    while batch < 100:
        tag = f"{args.tag}{batch}"
        rows = args.first_rows if batch == 0 else args.rows
        plan = importer.plan(spec, workbook(tag, args.base + batch * 1000, rows))
        assert len(plan.valid) == rows, plan.report_frame().to_string()
        pause.armed = batch == 1 or (pause.kind == "trace" and batch > 0)  # batch 0 commits whole first
        pause.seen = 0
        say("BEGIN", tag, rows)
        n = importer.commit(spec, plan, STAFF)
        say("COMMITTED", tag, n)
        batch += 1
    say("DONE")


# ---- a burst of score submissions ------------------------------------------------------------------------
def scoring_form(round_id: int, total: int) -> dict:
    from core.intake import rubrics

    crit = rubrics.criteria(round_id)
    values: dict = {"recommendation": "推荐"}
    left = total
    for c in crit:
        s = min(int(c["max_score"]), left)
        left -= s
        values[f"score_{c['id']}"] = s
        values[f"comment_{c['id']}"] = f"{c['name']}评语"
    return values


def run_reviews(args) -> None:
    setup()
    pause = Pause(args.pause, "review_scores")
    tasks = [(int(t.split(":")[0]), t.split(":")[1]) for t in args.tasks.split(",")]
    say("READY", os.getpid())
    for i, (assignment_id, reviewer) in enumerate(tasks):
        pause.armed = i == 1 or (pause.kind == "trace" and i > 0)
        pause.seen = 0
        say("BEGIN", assignment_id)
        reviews.save(assignment_id, scoring_form(args.round, 70 + i % 25), Actor(reviewer, ("reviewer",)),
                     submit=True, today=REVIEW_DAY)
        say("COMMITTED", assignment_id, 1)
    say("DONE")


# ---- the first server: holds the file and keeps writing -------------------------------------------------
def run_hold(args) -> None:
    setup()
    db = get_db()
    say("READY", os.getpid())
    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        if cmd == "write":
            n = int(arg)
            key = organisations.create(org_values(name=f"下沙第一服务写入测试{n:03d}", uscc=uscc_for("51", 90_000 + n)),
                                       STAFF)
            say("OK", key)
        elif cmd == "count":
            say("COUNT", db.scalar("SELECT count(*) FROM organisations"))
        elif cmd == "quit":
            break
    close_all()
    say("BYE")


# ---- a full disk: RLIMIT_FSIZE makes every write past the limit fail (EFBIG), as a full disk would ------
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(200_000)


def _limit(size: int) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, resource.RLIM_INFINITY))


def _unlimit() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def _attempt(step: str, fn, db, **extra) -> None:
    before = {t: db.scalar(f"SELECT count(*) FROM {t}") for t in ("organisations", "documents", "audit_log")}
    try:
        value, error = fn(), None
    except HubError as exc:
        value, error = None, {"type": type(exc).__name__, "reason": getattr(exc, "reason", None), "message": str(exc)}
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails the test on it
        value, error = None, {"type": type(exc).__name__, "reason": None, "message": str(exc), "unhandled": True}
    try:  # reads must keep working after the failure
        after = {t: db.scalar(f"SELECT count(*) FROM {t}") for t in ("organisations", "documents", "audit_log")}
        read_error = None
    except Exception as exc:  # noqa: BLE001
        after, read_error = None, f"{type(exc).__name__}: {exc}"
    result(step, value=value, error=error, before=before, after=after, read_error=read_error, **extra)


def run_diskfull(args) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the kernel kills the process at the first refused write
    setup()
    db = get_db()
    org = args.org
    wal = db.path.with_name(db.path.name + ".wal")
    say("READY", os.getpid())

    def new_org(n: int):
        return lambda: organisations.create(org_values(name=f"下沙磁盘测试协会{n:03d}", uscc=uscc_for("51", 80_000 + n)),
                                            STAFF)

    # 1. the WAL cannot grow: DuckDB refuses the COMMIT ("Could not write file …wal: File too large")
    _limit(wal.stat().st_size if wal.exists() else 0)
    _attempt("commit", new_org(1), db)
    # 2. an upload cannot be written
    _attempt("upload", lambda: documents.attach("organisations", org, "营业执照.png", PNG, STAFF), db,
             files=sorted(p.name for p in documents.uploads_dir().glob("*")) if documents.uploads_dir().exists() else [])
    # 3. a backup cannot be written
    _attempt("backup", lambda: str(backup.backup(db)), db)
    backups = db.path.parent / "backups"
    result("backup_files", files=sorted(p.name for p in backups.glob("*")) if backups.exists() else [])
    # 4. the WAL may grow but the database file may not: the commit's checkpoint fails with a FATAL error,
    #    after which DuckDB's instance refuses everything (reads too) until the file is opened again
    _unlimit()
    with db.read() as cur:
        cur.execute("SET checkpoint_threshold = '1KB'")
    _limit(db.path.stat().st_size)
    con_before = id(db._con)
    _attempt("checkpoint", new_org(2), db)
    result("reopened", reopened=id(db._con) != con_before)
    # 5. space again: writes work without a restart
    _unlimit()
    _attempt("recovered", new_org(3), db)
    result("uploads_after", files=sorted(p.name for p in documents.uploads_dir().glob("*"))
           if documents.uploads_dir().exists() else [])
    close_all()
    say("DONE")


# ---- a read-only data folder (chmod by the parent; as root, after dropping to an unprivileged user) ------
def run_readonly(args) -> None:
    from core.platform import config
    from core.platform import migrate  # noqa: F401  (imported before dropping privileges, like everything used)
    from core.platform.errors import ValidationFailed

    # Warm up while still able to read every installed module: a validation (pandera imports parts of
    # itself on first use) with a list of communities that needs no database, a refused one, a file type.
    choices.register_provider("communities", lambda: ["文海社区"])
    records.clean(organisations.ORGANISATION, org_values())
    try:
        records.clean(organisations.ORGANISATION, org_values(contact_phone="12"))
    except ValidationFailed:
        pass
    documents.detect(PNG)
    if args.drop_to is not None:
        os.setgroups([])
        os.setresgid(args.drop_to, args.drop_to, args.drop_to)
        os.setresuid(args.drop_to, args.drop_to, args.drop_to)
    probe = Path(os.environ["HUBDESK_DB"]).parent / ".probe"
    try:
        probe.write_bytes(b"x")
        probe.unlink()
        result("probe", restricts=False)
        say("DONE")
        return
    except OSError:
        result("probe", restricts=True)
    communities.install_provider()
    domain.install_providers()
    try:
        db = get_db()
    except HubError as exc:
        result("open", error={"type": type(exc).__name__, "message": str(exc)})
        say("DONE")
        return
    result("open", read_only=db.read_only, organisations=db.scalar("SELECT count(*) FROM organisations"),
           audit_ok=audit.verify(db).ok)
    _attempt("write", lambda: organisations.create(org_values(name="下沙只读测试协会", uscc=uscc_for("51", 70_001)),
                                                   STAFF), db)
    _attempt("update", lambda: organisations.update(args.org, {"notes": "只读时的修改"}, STAFF), db)
    _attempt("upload", lambda: documents.attach("organisations", args.org, "营业执照.png", PNG, STAFF), db)
    _attempt("backup", lambda: str(backup.backup(db)), db)
    result("files", files=sorted(p.name for p in db.path.parent.iterdir()))
    close_all()
    say("DONE")


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("import")
    p.add_argument("--tag", required=True)
    p.add_argument("--base", type=int, required=True)
    p.add_argument("--rows", type=int, default=40)
    p.add_argument("--first-rows", type=int, default=8)
    p.add_argument("--pause", default="none")
    p = sub.add_parser("reviews")
    p.add_argument("--round", type=int, required=True)
    p.add_argument("--tasks", required=True)
    p.add_argument("--pause", default="none")
    sub.add_parser("hold")
    p = sub.add_parser("diskfull")
    p.add_argument("--org", type=int, required=True)
    p = sub.add_parser("readonly")
    p.add_argument("--org", type=int, required=True)
    p.add_argument("--drop-to", type=int)
    args = parser.parse_args()
    {"import": run_import, "reviews": run_reviews, "hold": run_hold, "diskfull": run_diskfull,
     "readonly": run_readonly}[args.mode](args)


if __name__ == "__main__":
    main()

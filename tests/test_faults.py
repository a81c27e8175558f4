"""Faults (issue 8): a process killed mid-write, a second server on the same file, a full disk and a
read-only data folder.

* SIGKILL in the middle of a bulk import and of a burst of score submissions: the core write path runs in
  a child process (``tests/fault_child.py``) on a temp database; the child is killed while paused inside
  the open transaction (after some rows, after the audit append) and once at a random moment. On
  reopening: the file opens, every transaction is all there or not at all, every row has its audit row
  and every audit row its row, and the hash chain verifies. Three kill points each, on the same file.
* A second server on a file another process holds: a Chinese message naming the file, the PID and what
  to do (``core.platform.db``, Home.py via AppTest, a real ``streamlit run`` in a browser); the first keeps writing.
* Disk full and read-only folder: every write path (the transaction, the audit append, uploads,
  backups) fails with a Chinese message, nothing half-written, reads go on. Injected (DuckDB's own error
  texts, OSError ENOSPC), for real with RLIMIT_FSIZE in a child (the OS refuses the write), and with
  chmod (as root, in a child that drops to an unprivileged user; simulated where that is impossible).
"""
from __future__ import annotations

import errno
import json
import os
import pwd
import queue
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import pytest

from core.intake import applications
from core.orgs import organisations
from core.platform import audit, config, db as core_db, documents, importer, records, users
from core.platform.actor import Actor
from core.review import assignment, reviews
from core.platform.errors import DatabaseUnavailable, HubError, WriteFailed
from tests.apptest_helpers import app as home_app, errors
from tests.conftest import ROOT
from tests.browser.conftest import CHROMIUM_ARGS, _free_port, _healthy, new_context, wait_for_app
from tests.fault_child import BATCH_TAG, PNG, REVIEW_DAY, scoring_form, workbook
from tests.test_reviews import assign_all, expert, in_review
from tests.test_rounds import ADMIN, STONES, app_values, hub, make_org, make_round  # noqa: F401  (hub: fixture)
from tests.test_schema_organisation import org_values, uscc_for

STAFF = Actor("wangmin", ("staff",))
CHILD = str(ROOT / "tests" / "fault_child.py")
WAIT = 90  # seconds: the longest a child may take to reach the next event (a loaded 2-core machine)


# ---- the child process ----------------------------------------------------------------------------------
class Child:
    """``tests/fault_child.py`` with its stdout read line by line in the background."""

    def __init__(self, *args: str, env: dict | None = None, stdin: bool = False, log: Path | None = None):
        self.log = log or Path(tempfile.mkstemp(prefix="fault-child-", suffix=".log")[1])
        self._err = open(self.log, "w", encoding="utf-8")
        self.proc = subprocess.Popen(
            [sys.executable, CHILD, *args], cwd=ROOT, env=dict(os.environ, PYTHONUNBUFFERED="1", **(env or {})),
            stdout=subprocess.PIPE, stderr=self._err, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            text=True, encoding="utf-8",
        )
        self.lines: list[str] = []
        self._queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def next(self, timeout: float = WAIT) -> str | None:
        try:
            line = self._queue.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"the child said nothing for {timeout} s; said so far: {self.lines}\n{self.stderr()}")
        if line is not None:
            self.lines.append(line)
        return line

    def expect(self, prefix: str, timeout: float = WAIT) -> str:
        """The next line starting with ``prefix`` (earlier lines are kept in ``lines``)."""
        deadline = time.monotonic() + timeout
        while True:
            line = self.next(max(0.1, deadline - time.monotonic()))
            if line is None:
                raise AssertionError(f"the child ended (exit {self.proc.wait()}) before {prefix!r}; said: {self.lines}\n"
                                     + self.stderr())
            if line.startswith(prefix):
                return line

    def results(self) -> dict[str, dict]:
        """Every ``RESULT {json}`` line until the child ends, by step."""
        out = {}
        while (line := self.next()) is not None:
            if line.startswith("RESULT "):
                r = json.loads(line[len("RESULT "):])
                out[r["step"]] = r
        assert self.proc.wait(timeout=WAIT) == 0, self.stderr()
        return out

    def send(self, command: str) -> None:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def kill(self) -> None:
        """SIGKILL, like the OOM killer or a pulled plug for the process: no cleanup code runs."""
        os.kill(self.proc.pid, signal.SIGKILL)
        assert self.proc.wait(timeout=WAIT) == -signal.SIGKILL
        while self.next() is not None:  # what it said before dying, still in the pipe
            pass

    def stderr(self) -> str:
        self._err.flush()
        return "child stderr:\n" + self.log.read_text(encoding="utf-8")[-4000:]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=WAIT)
        self._err.close()
        self.log.unlink(missing_ok=True)


def reopen(path: Path):
    """Open the file again in this process, as a restarted server would (WAL replayed, migrations checked)."""
    core_db.close_all()
    return core_db.get_db(path)


def audit_matches(db, table: str, actions: tuple[str, ...]) -> None:
    """Every stored row of ``table`` has its creating audit row (with the same content) and every such
    audit row has its stored row."""
    keys = {str(r["id"]) for r in db.fetch_all(f"SELECT id FROM {table}")}
    logged = [r["row_key"] for r in db.fetch_all(
        f"SELECT row_key FROM audit_log WHERE table_name = ? AND action IN ({', '.join('?' for _ in actions)})",
        [table, *actions])]
    assert len(logged) == len(set(logged)), f"{table}: a row audited twice"
    assert set(logged) == keys, f"{table}: rows without audit {keys - set(logged)}, audit without rows {set(logged) - keys}"
    mismatched = db.scalar(
        f"SELECT count(*) FROM {table} t JOIN audit_log a ON a.table_name = ? AND a.row_key = CAST(t.id AS VARCHAR)"
        f" AND a.action IN ({', '.join('?' for _ in actions)})"
        " WHERE CAST(json_extract(a.after_json, '$.id') AS BIGINT) <> t.id", [table, *actions])
    assert mismatched == 0


def chain_ok(db) -> None:
    report = audit.verify(db)
    assert report.ok, report


def table_counts(db) -> dict[str, int]:
    names = [r["table_name"] for r in db.fetch_all(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE'")]
    return {t: int(db.scalar(f"SELECT count(*) FROM {t}")) for t in sorted(names)}


# ---- SIGKILL in the middle of a bulk import -------------------------------------------------------------
def import_batches(db) -> dict[str, int]:
    rows = db.fetch_all("SELECT notes, count(*) AS n FROM organisations WHERE notes LIKE ? GROUP BY notes",
                        [f"{BATCH_TAG}:%"])
    return {r["notes"].split(":", 1)[1]: int(r["n"]) for r in rows}


# paused after the rows' INSERT (a batch is one statement: records.Unit.create_many), after the audit append; at random
KILL_POINTS = ("rows:1", "audit", "trace")


def test_sigkill_during_bulk_imports_leaves_each_import_whole_or_absent(db):
    path = db.path
    core_db.close_all()
    rows, first = 30, 6
    expected: dict[str, int] = {}  # batch -> rows, for every batch the child reported committed
    seed = random.randrange(10**6)  # in every assertion message, to replay a failure
    rng = random.Random(seed)
    for n, pause in enumerate(KILL_POINTS):
        child = Child("import", "--tag", f"k{n}-", "--base", str(n * 100_000), "--rows", str(rows),
                      "--first-rows", str(first), "--pause", pause)
        try:
            child.expect("COMMITTED")  # some work is stored before the kill
            expected[f"k{n}-0"] = first
            if pause == "trace":  # free-running: a random moment after the next import's first row
                child.expect("COMMITTED")
                expected[f"k{n}-1"] = rows
                child.expect("TX")
                time.sleep(rng.uniform(0.0, 0.25))
            else:
                assert child.expect("PAUSED") == f"PAUSED {pause}"
            child.kill()
        finally:
            child.close()
        said = child.lines
        committed = {line.split()[1] for line in said if line.startswith("COMMITTED")}
        begun = {line.split()[1] for line in said if line.startswith("BEGIN")}
        for batch in committed:
            expected[batch] = first if batch.endswith("-0") else rows

        db = reopen(path)
        stored = import_batches(db)
        for batch, n_rows in expected.items():  # what was acknowledged survived the kill, whole
            assert stored.get(batch) == n_rows, (batch, stored, said, seed)
        in_flight = begun - committed
        for batch in set(stored) - set(expected):  # the import under way: all of it or none of it
            assert batch in in_flight and stored[batch] == rows, (batch, stored, said, seed)
            expected[batch] = rows
        if pause != "trace":  # killed before COMMIT: nothing of it
            assert not (in_flight & set(stored)), (stored, said)
        assert db.scalar("SELECT count(*) FROM organisations") == sum(expected.values())
        audit_matches(db, "organisations", ("import",))
        chain_ok(db)
        core_db.close_all()

    db = reopen(path)  # and the file takes new imports after all that
    plan = importer.plan(organisations.IMPORT_SPEC, workbook("after-", 900_000, 5))
    assert importer.commit(organisations.IMPORT_SPEC, plan, STAFF) == 5
    assert import_batches(db)["after-"] == 5
    audit_matches(db, "organisations", ("import",))
    chain_ok(db)


# ---- SIGKILL in the middle of a burst of score submissions ----------------------------------------------
def check_reviews(db, n_criteria: int) -> set[int]:
    """Every stored review is submitted with all its criterion scores; no orphan scores; audit both ways.
    Returns the assignments with a stored review."""
    reviews_ = db.fetch_all(
        "SELECT v.id, v.assignment_id, v.status, v.total, count(s.id) AS n FROM reviews v"
        " LEFT JOIN review_scores s ON s.review_id = v.id GROUP BY v.id, v.assignment_id, v.status, v.total")
    for r in reviews_:
        assert (r["status"], r["n"]) == ("submitted", n_criteria) and r["total"] is not None, r
    assert db.scalar("SELECT count(*) FROM review_scores WHERE review_id NOT IN (SELECT id FROM reviews)") == 0
    assert db.scalar("SELECT count(*) FROM review_scores") == n_criteria * len(reviews_)
    audit_matches(db, "reviews", ("submit_review",))
    audit_matches(db, "review_scores", ("create",))
    chain_ok(db)
    return {int(r["assignment_id"]) for r in reviews_}


def test_sigkill_during_a_burst_of_score_submissions_leaves_each_review_whole_or_absent(hub):
    rid = make_round()
    apps = [in_review(rid, i) for i in range(1, 5)]
    reviewers = [expert(f"expert_k{i}") for i in range(3)]
    tasks: list[tuple[int, str]] = []
    for app_id in apps:
        for who, aid in zip(reviewers, assign_all(app_id, reviewers)):
            assignment.confirm_no_conflict(aid, who)
            tasks.append((aid, who.username))
    n_criteria = int(hub.scalar("SELECT count(*) FROM rubric_criteria WHERE round_id = ?", [rid]))
    assert n_criteria >= 4
    path = hub.path
    core_db.close_all()

    acknowledged: set[int] = set()
    pending = list(tasks)
    seed = random.randrange(10**6)
    rng = random.Random(seed)
    # scores:1 -- after the submission's score rows (one INSERT for all of them, records.Unit.create_many),
    # before its audit row; audit -- after the audit row, before COMMIT; trace -- a random moment
    for pause in ("scores:1", "audit", "trace"):
        batch = pending[:8]
        child = Child("reviews", "--round", str(rid), "--tasks", ",".join(f"{a}:{u}" for a, u in batch),
                      "--pause", pause)
        try:
            child.expect("COMMITTED")
            if pause == "trace":  # free-running: a random moment after a submission's first score row
                child.expect("COMMITTED")
                child.expect("TX")
                time.sleep(rng.uniform(0.0, 0.04))
            else:
                assert child.expect("PAUSED") == f"PAUSED {pause}"
            child.kill()
        finally:
            child.close()
        committed = {int(line.split()[1]) for line in child.lines if line.startswith("COMMITTED")}
        begun = [int(line.split()[1]) for line in child.lines if line.startswith("BEGIN")]
        acknowledged |= committed

        db = reopen(path)
        stored = check_reviews(db, n_criteria)
        assert acknowledged <= stored, (acknowledged - stored, child.lines, seed)
        extra = stored - acknowledged  # only the submission under way may be there (killed after its COMMIT)
        assert extra <= {begun[-1]}, (extra, child.lines, seed)
        if pause != "trace":
            assert begun[-1] not in stored  # killed inside the transaction: none of it
        acknowledged |= extra
        pending = [t for t in pending if t[0] not in acknowledged]
        core_db.close_all()

    # the submission that was killed half-way can simply be made again
    db = reopen(path)
    aid, username = pending[0]
    assert reviews.save(aid, scoring_form(rid, 80), Actor(username, ("reviewer",)), submit=True,
                            today=REVIEW_DAY) is not None
    assert aid in check_reviews(db, n_criteria)


# ---- a second server on the same file -------------------------------------------------------------------
def _page_text_in_browser(base: str, wanted: str) -> str | None:
    """The page's text once ``wanted`` shows (Debian chromium via Playwright, as tests/browser does);
    None when no browser is available here."""
    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        chromium = None
    if not chromium:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium/playwright missing (see tests/browser/conftest.py)", pytrace=False)
        return None
    # in a thread of its own: the browser tests' session-wide Playwright may already run an event loop in
    # this thread, and the sync API refuses to start inside one
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(_browser_text, chromium, base, wanted).result()


def _browser_text(chromium: str, base: str, wanted: str) -> str:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            ctx = new_context(browser)
            page = ctx.new_page()
            page.goto(base + "/", wait_until="domcontentloaded")
            wait_for_app(page)
            page.locator("[data-testid='stAlertContentError']").first.wait_for(timeout=30_000)
            page.get_by_text(wanted, exact=False).first.wait_for(timeout=30_000)
            assert page.get_by_label("用户名", exact=True).count() == 0  # no sign-in form behind the message
            return "\n".join(page.locator("[data-testid='stAlertContentError']").all_inner_texts())
        finally:
            browser.close()


def test_a_second_server_on_the_same_file_is_refused_clearly_and_the_first_keeps_writing(isolated):
    path = (isolated / "hub.duckdb").resolve()
    first = Child("hold", stdin=True)
    server = None
    try:
        pid = int(first.expect("READY").split()[1])
        assert pid == first.proc.pid
        first.send("write 1")
        first.expect("OK")

        # (a) core.platform.db: the HubError subclass, naming the file, the process and what to do
        with pytest.raises(DatabaseUnavailable) as info:
            core_db.get_db()
        message = str(info.value)
        assert str(path) in message and f"PID {pid}" in message, message
        assert "正被另一个进程" in message and "请先停止" in message and "HUBDESK_DB" in message, message
        assert "Traceback" not in message and core_db._instances == {}  # nothing half-open is kept

        # (b) Home.py shows it with st.error, no exception
        at = home_app().run()
        assert not at.exception
        shown = errors(at)
        assert str(path) in shown and f"PID {pid}" in shown and "HUBDESK_DB" in shown, shown
        assert not at.text_input  # no login form behind the message

        # (c) a real `streamlit run` on that file: it serves, and the page shows the message
        port = _free_port()
        log = isolated / "second-server.log"
        with open(log, "w", encoding="utf-8") as out:
            server = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "Home.py", "--server.headless=true", f"--server.port={port}",
                 "--server.address=127.0.0.1", "--browser.gatherUsageStats=false", "--server.fileWatcherType=none"],
                cwd=ROOT, env=dict(os.environ, HUBDESK_DB=str(path)), stdout=out, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while not _healthy(base):
            assert server.poll() is None and time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.1)
        text = _page_text_in_browser(base, f"PID {pid}")
        if text is not None:  # (None: no browser here; the AppTest above saw the same page)
            assert str(path) in text and f"PID {pid}" in text and "正被另一个进程" in text and "HUBDESK_DB" in text, text
            assert "Traceback" not in text, text
        assert server.poll() is None  # the second server stays up, showing the message

        # the first keeps working: it writes, and sees its rows
        first.send("write 2")
        first.expect("OK")
        first.send("count")
        assert first.expect("COUNT") == "COUNT 2"

        # what the message says to do works: once the first stops, the app starts on that file
        first.send("quit")
        first.expect("BYE")
        assert first.proc.wait(timeout=WAIT) == 0
        at = home_app().run()
        assert not at.exception and not at.error
        assert "登录" in [b.label for b in at.button]
    finally:
        first.close()
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)
    core_db.close_all()
    db = core_db.get_db(path)
    assert db.scalar("SELECT count(*) FROM organisations") == 2
    chain_ok(db)


# ---- a full disk, injected where DuckDB reports it ------------------------------------------------------
ENOSPC_AT_COMMIT = 'TransactionContext Error: Failed to commit: Could not write file "{wal}": No space left on device'
EACCES_AT_COMMIT = 'TransactionContext Error: Failed to commit: Cannot open file "{wal}": Permission denied'


def _fail_commit(monkeypatch, exc: BaseException) -> list[int]:
    calls: list[int] = []

    def commit(cur):
        calls.append(1)
        raise exc

    monkeypatch.setattr(core_db.Database, "_commit", staticmethod(commit))
    return calls


def _wal(db) -> str:
    return str(db.path.with_name(db.path.name + ".wal"))


def _new_org(serial: int) -> dict:
    return org_values(name=f"下沙磁盘测试协会{serial:03d}", uscc=uscc_for("51", 60_000 + serial))


def _every_write_path(rid: int, org_id: int):
    """One write of each shape: a single record, a bulk import, an update, a unit of several tables."""
    plan = importer.plan(organisations.IMPORT_SPEC, workbook("disk-", 500_000, 12))
    assert len(plan.valid) == 12
    return {
        "create": lambda: organisations.create(_new_org(1), STAFF),
        "import": lambda: importer.commit(organisations.IMPORT_SPEC, plan, STAFF),
        "update": lambda: organisations.update(org_id, {"notes": "磁盘已满时的修改"}, STAFF),
        "unit": lambda: applications.save_draft(app_values(rid, org_id), STONES, STAFF),
    }


@pytest.mark.parametrize("reason, text, words", [
    ("disk_full", ENOSPC_AT_COMMIT, ("磁盘空间不足", "未保存", "可以继续查看")),
    ("read_only", EACCES_AT_COMMIT, ("只读", "未保存", "可以继续查看")),
])
def test_a_failed_commit_refuses_every_write_path_stores_nothing_and_reads_go_on(hub, reason, text, words):
    rid = make_round()
    org_id = make_org(1)
    paths = _every_write_path(rid, org_id)
    before = table_counts(hub)
    with pytest.MonkeyPatch.context() as mp:
        calls = _fail_commit(mp, duckdb.TransactionException(text.format(wal=_wal(hub))))
        for name, write in paths.items():
            with pytest.raises(WriteFailed) as info:
                write()
            assert info.value.reason == reason, name
            for w in words:
                assert w in str(info.value), (name, str(info.value))
            assert str(hub.path.parent) in str(info.value)
            assert table_counts(hub) == before, name  # nothing half-written: no row, no audit row
        assert len(calls) == len(paths)
        # reads go on: lists, a record, the audit check
        assert organisations.get(org_id)["notes"] is None
        assert len(hub.fetch_df("SELECT * FROM organisations")) == 1
        chain_ok(hub)
    # and once the disk has room again, the same writes go through (the write lock was released)
    for name, write in paths.items():
        write()
    after = table_counts(hub)
    assert after["organisations"] == before["organisations"] + 13
    assert after["applications"] == before["applications"] + 1
    audit_matches(hub, "organisations", ("create", "import"))
    chain_ok(hub)


def test_a_full_disk_during_the_audit_append_stores_neither_the_row_nor_its_audit(db):
    before = table_counts(db)
    original = core_db.Transaction.execute

    def execute(tx, sql, params=None):
        if sql.startswith("INSERT INTO audit_log"):
            raise duckdb.IOException(f'IO Error: Could not write file "{db.path}": No space left on device')
        return original(tx, sql, params)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(core_db.Transaction, "execute", execute)
        with pytest.raises(WriteFailed) as info:
            organisations.create(_new_org(2), STAFF)
    assert info.value.reason == "disk_full" and "磁盘空间不足" in str(info.value)
    assert table_counts(db) == before
    key = organisations.create(_new_org(2), STAFF)
    audit_matches(db, "organisations", ("create",))
    assert organisations.get(key)["name"] == "下沙磁盘测试协会002"
    chain_ok(db)


def test_a_fatal_checkpoint_error_reopens_the_file_so_reads_and_later_writes_work(db):
    key = organisations.create(_new_org(3), STAFF)
    before = table_counts(db)
    con = db._con
    with pytest.MonkeyPatch.context() as mp:
        _fail_commit(mp, duckdb.FatalException(
            f'FATAL Error: Failed to create checkpoint because of error: Could not write file "{db.path}": '
            "No space left on device"))
        with pytest.raises(WriteFailed) as info:
            organisations.update(key, {"notes": "检查点失败"}, STAFF)
    assert info.value.reason == "disk_full"
    assert db._con is not con  # opened again: DuckDB refuses everything on an invalidated instance
    assert table_counts(db) == before and organisations.get(key)["notes"] is None
    assert organisations.update(key, {"notes": "检查点恢复后"}, STAFF) is True
    assert organisations.get(key)["notes"] == "检查点恢复后"
    chain_ok(db)


class _FullDisk:
    """A file object whose write stores half the bytes and then fails with ENOSPC, like a filling disk."""

    def __init__(self, real):
        self.real = real

    def write(self, data):
        self.real.write(data[: len(data) // 2])
        self.real.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name):
        return getattr(self.real, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.real.close()


def test_an_upload_on_a_full_disk_fails_clearly_and_leaves_no_partial_file(db):
    org_id = organisations.create(_new_org(4), STAFF)
    before = table_counts(db)
    real_open = open
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(core_db, "open", lambda p, mode="r", *a, **k: _FullDisk(real_open(p, mode, *a, **k)),
                   raising=False)
        with pytest.raises(WriteFailed) as info:
            documents.attach("organisations", org_id, "营业执照.png", PNG, STAFF)
    assert info.value.reason == "disk_full" and "磁盘空间不足" in str(info.value) and "上传" in str(info.value)
    assert table_counts(db) == before
    uploads = documents.uploads_dir()
    assert not uploads.exists() or list(uploads.iterdir()) == []  # neither the file nor a piece of it
    doc_id = documents.attach("organisations", org_id, "营业执照.png", PNG, STAFF)
    meta, data = documents.read(doc_id)
    assert data == PNG and [p.name for p in uploads.iterdir()] == [meta["stored_name"]]


def test_an_upload_whose_record_cannot_be_saved_leaves_no_orphan_file(db, monkeypatch):
    org_id = organisations.create(_new_org(5), STAFF)
    before = table_counts(db)
    _fail_commit(monkeypatch, duckdb.TransactionException(ENOSPC_AT_COMMIT.format(wal=_wal(db))))
    with pytest.raises(WriteFailed):
        documents.attach("organisations", org_id, "营业执照.png", PNG, STAFF)
    assert table_counts(db) == before
    uploads = documents.uploads_dir()
    assert not uploads.exists() or list(uploads.iterdir()) == []


def test_a_backup_on_a_full_disk_fails_clearly_and_leaves_no_partial_file(db):
    from core.platform import backup

    organisations.create(_new_org(6), STAFF)
    good = backup.backup(db)
    real_copy = shutil.copyfile

    def copyfile(src, dst, *a, **k):
        with open(src, "rb") as s, open(dst, "wb") as d:
            d.write(s.read()[:4096])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(backup.shutil, "copyfile", copyfile)
        with pytest.raises(HubError) as info:
            backup.backup(db)
    assert "备份失败" in str(info.value) and "磁盘空间不足" in str(info.value)
    assert sorted(p.name for p in good.parent.iterdir()) == [good.name]  # the earlier backup stays, no piece
    assert backup.shutil.copyfile is real_copy
    organisations.create(_new_org(7), STAFF)  # the database itself is untouched and writable
    chain_ok(db)


def test_signing_in_works_while_writes_fail(db, monkeypatch):
    """Reads go on for people too: a full disk (or a read-only database) must not lock everyone out. The
    attempt cannot be recorded (login_attempts), so it is not; a wrong password is still refused."""
    username, password = users.create({"username": "staff2", "name": "工作人员二", "roles": ["staff"],
                                       "active": True}, ADMIN)
    before = table_counts(db)
    _fail_commit(monkeypatch, duckdb.TransactionException(ENOSPC_AT_COMMIT.format(wal=_wal(db))))

    def sign_in(pw: str):
        at = home_app().run()
        at.text_input(key="login_username").input(username)
        at.text_input(key="login_password").input(pw)
        return at.button[0].click().run()

    at = sign_in(password + "x")
    assert not at.exception and "用户名或密码不正确" in errors(at)
    at = sign_in(password)
    assert not at.exception and not at.error
    assert (at.session_state["authentication_status"], at.session_state["username"]) == (True, "staff2")
    assert "工作台" in [t.value for t in at.title]
    assert table_counts(db) == before


# ---- a full disk for real: the OS refuses the write (RLIMIT_FSIZE) --------------------------------------
def test_a_real_full_disk_in_a_child_fails_every_write_clearly_and_reads_go_on(db):
    org_id = organisations.create(_new_org(8), STAFF)
    path = db.path
    core_db.close_all()
    child = Child("diskfull", "--org", str(org_id))
    try:
        results = child.results()
    finally:
        child.close()
    for step in ("commit", "upload", "backup", "checkpoint"):
        r = results[step]
        assert r["value"] is None and r["error"] and not r["error"].get("unhandled"), r
        assert r["read_error"] is None and r["after"] == r["before"], r  # nothing stored, reads go on
        assert "失败" in r["error"]["message"], r
    assert results["commit"]["error"]["reason"] == "disk_full"
    assert "磁盘空间不足" in results["commit"]["error"]["message"]
    assert results["upload"]["error"]["reason"] == "disk_full"
    assert results["checkpoint"]["error"]["reason"] == "disk_full"
    assert results["reopened"]["reopened"] is True  # the fatal error was survived without a restart
    assert results["backup_files"]["files"] == []
    assert results["recovered"]["error"] is None and results["recovered"]["value"]
    assert results["uploads_after"]["files"] == []

    db = reopen(path)
    names = [r["name"] for r in db.fetch_all("SELECT name FROM organisations ORDER BY id")]
    assert names == ["下沙磁盘测试协会008", "下沙磁盘测试协会003"]  # only what was acknowledged
    assert db.scalar("SELECT count(*) FROM documents") == 0
    audit_matches(db, "organisations", ("create",))
    chain_ok(db)


# ---- a read-only data folder ----------------------------------------------------------------------------
def _chmod_restricts(folder: Path) -> bool:
    """Does a read-only folder stop this process from writing? (Not for root: it writes anyway.)"""
    probe = folder / "probe"
    probe.mkdir()
    probe.chmod(0o555)
    try:
        (probe / "x").write_bytes(b"x")
        return False
    except OSError:
        return True
    finally:
        probe.chmod(0o755)
        shutil.rmtree(probe)


def _unprivileged_uid() -> int | None:
    try:
        return pwd.getpwnam("nobody").pw_uid
    except KeyError:
        return None


@pytest.mark.parametrize("variant", ["folder", "folder-and-file"])
def test_a_read_only_data_folder_refuses_writes_clearly_and_reads_go_on(db, variant):
    org_id = organisations.create(_new_org(9), STAFF)
    core_db.close_all()
    drop_to = None
    if _chmod_restricts(db.path.parent):
        folder = Path(tempfile.mkdtemp(prefix="hubdesk-ro-"))
    elif os.geteuid() == 0 and _unprivileged_uid() is not None:
        drop_to = _unprivileged_uid()  # root ignores chmod: the child drops to an unprivileged user
        folder = Path(tempfile.mkdtemp(prefix="hubdesk-ro-", dir="/tmp"))  # /tmp: traversable for that user
    else:
        pytest.skip("chmod does not restrict this process and it cannot drop privileges: see the simulation below")
    target = folder / "hub.duckdb"
    shutil.copy2(db.path, target)
    keys = Path(tempfile.mkdtemp(prefix="hubdesk-keys-", dir="/tmp")) / "secrets.toml"  # the server's own
    shutil.copy2(config.load().secrets_path, keys)  # secrets file (audit key), readable by the child's user
    try:
        if drop_to is not None:
            os.chown(target, drop_to, drop_to)
            os.chown(keys.parent, drop_to, drop_to)
            os.chown(keys, drop_to, drop_to)
        target.chmod(0o444 if variant == "folder-and-file" else 0o644)
        folder.chmod(0o555)
        args = ["readonly", "--org", str(org_id)] + (["--drop-to", str(drop_to)] if drop_to is not None else [])
        child = Child(*args, env={"HUBDESK_DB": str(target), "HUBDESK_SECRETS": str(keys)})
        try:
            results = child.results()
        finally:
            child.close()
        if not results["probe"]["restricts"]:
            pytest.skip("the folder is still writable for the child: see the simulation below")
        assert "error" not in results["open"], results["open"]
        assert results["open"]["read_only"] is (variant == "folder-and-file")
        assert results["open"]["organisations"] == 1 and results["open"]["audit_ok"] is True
        for step in ("write", "update", "upload"):
            r = results[step]
            assert r["error"] and r["error"]["type"] == "WriteFailed" and r["error"]["reason"] == "read_only", r
            assert "只读" in r["error"]["message"] and "可以继续查看" in r["error"]["message"], r
            assert r["read_error"] is None and r["after"] == r["before"], r
        b = results["backup"]
        assert b["error"] and not b["error"].get("unhandled") and "失败" in b["error"]["message"], b
        assert b["read_error"] is None
        assert results["files"]["files"] == ["hub.duckdb"]  # no WAL, no upload, no piece of a backup
    finally:
        folder.chmod(0o755)
        target.chmod(0o644)
        shutil.rmtree(folder)
        shutil.rmtree(keys.parent)


@pytest.mark.parametrize("variant", ["folder", "folder-and-file"])
def test_a_read_only_data_folder_simulated(db, monkeypatch, variant):
    """The same as above without chmod (root): DuckDB's own errors for a read-only file or folder, and
    EACCES for the upload."""
    org_id = organisations.create(_new_org(10), STAFF)
    users.create({"username": "staff2", "name": "工作人员二", "roles": ["staff"], "active": True}, ADMIN)
    path = db.path
    if variant == "folder-and-file":
        real_connect = duckdb.connect

        def connect(database=":memory:", read_only=False, **kw):
            if not read_only and str(database) == str(path):
                raise duckdb.IOException(f'IO Error: Cannot open file "{database}": Permission denied')
            return real_connect(database, read_only=read_only, **kw)

        monkeypatch.setattr(core_db.duckdb, "connect", connect)
        db = reopen(path)
        assert db.read_only is True
    else:
        _fail_commit(monkeypatch, duckdb.TransactionException(EACCES_AT_COMMIT.format(wal=_wal(db))))
    monkeypatch.setattr(core_db, "open", lambda *a, **k: (_ for _ in ()).throw(
        PermissionError(errno.EACCES, os.strerror(errno.EACCES))), raising=False)
    before = table_counts(db)
    for write in (lambda: organisations.create(_new_org(11), STAFF),
                  lambda: organisations.update(org_id, {"notes": "只读"}, STAFF),
                  lambda: records.create_many(organisations.ORGANISATION, [_new_org(12), _new_org(13)], STAFF),
                  lambda: documents.attach("organisations", org_id, "营业执照.png", PNG, STAFF)):
        with pytest.raises(WriteFailed) as info:
            write()
        assert info.value.reason == "read_only"
        assert "只读" in str(info.value) and "可以继续查看" in str(info.value)
        assert table_counts(db) == before
    assert organisations.get(org_id)["name"] == "下沙磁盘测试协会010"
    chain_ok(db)
    if variant == "folder-and-file":  # the app starts on it: a warning, the sign-in form, no exception
        at = home_app().run()
        assert not at.exception and not at.error
        assert any("只读" in w.value for w in at.warning)
        assert "登录" in [b.label for b in at.button]

"""Every registered screen and the main actions, measured (issue 17). Called from ``bench/run.py``'s worker.

**Specs** (:func:`specs`): one entry per screen of :data:`core.navigation.PAGES` (33 today), for a role that
uses it: the leader for the dashboards, staff where staff may open it, the admin for the admin-only screens, a
reviewer for 我的评审; 工作台 and 修改密码 once per role. Screens that show one record open the busiest one of
the database (the application, project or organisation with the most rows attached), through the query
parameter the page reads (``application?id=``, ``project-file?id=``, ``activity-ledger?project=``,
``org-support?id=``, ``incubation-ratings?id=``, ``capability-assessments?org=``, ``my-reviews?task=``,
``accounts?user=``). ``tests/test_bench_screens.py`` checks that no registered screen is left out.

**Per screen** (:func:`measure_screens`), signed in through session state as ``tests/apptest_helpers.py`` does:

- *new session*: a new AppTest opening the screen (caches of the process warm);
- *warm*: a rerun of that session;
- *after write*: a write through the core write path to a table the screen reads (:data:`WRITE_FOR`), then a
  rerun (the write's own time is not counted);
- the SQL statements of one warm rerun, counted where every statement passes (the cursors of the
  Database's one DuckDB connection: :func:`recording`), and the slowest of them;
- flags: an exception, an error box, and English words or ``None``/``nan`` in the visible text.

**Actions** (:func:`measure_actions`): save an application (new draft), submit a review for a 6- and a
12-criterion rubric, record an activity, release a tranche, import 500 organisations (plan + commit), each
timed with its SQL statement count.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import re
import statistics
import time
import uuid
from contextlib import contextmanager

DASHBOARD_ROLE = "leader"

# the table each screen reads that the after-write step writes (through the core write path)
WRITE_FOR = {
    "home": "applications", "dash_overview": "activities", "dash_charts": "activities", "dash_meeting": "activities",
    "org_list": "organisations", "org_new": "organisations", "org_import": "organisations", "ideas": "applications",
    "apply": "applications", "applications": "applications", "application": "applications",
    "screening": "applications", "decisions": "applications", "experts": "applications",
    "review_assign": "applications", "review_summary": "applications", "my_reviews": "applications",
    "projects": "activities", "project": "activities", "risk_board": "activities", "activity_entry": "activities",
    "brands": "activities", "monitoring_policy": "activities", "mentoring": "training_attendance",
    "trainings": "training_attendance", "assessments": "assessments", "lifecycle": "organisations",
    "org_support": "training_attendance", "rounds": "applications", "users": "users", "audit": "activities",
    "account": "users", "venue_admin": "venues", "hubs": "organisations",
    "needs_track": "community_needs", "needs": "community_needs", "need_admin": "community_needs",
    "res_bookings": "bookings", "res_booking_calendar": "bookings", "equipment_admin": "equipment",
    "res_volunteers": "volunteers", "res_volunteers_read": "volunteers", "partner_claims": "partners",
    "res_surveys": "organisations", "res_surveys_read": "organisations",  # the per-project results name the org
    "partner_overview": "partners", "partner_admin": "partners",
    "res_publicity": "publicity_items", "res_publicity_read": "publicity_items",
    "res_beneficiaries": "activities", "res_beneficiaries_read": "activities",  # its counts join the ledger
    "res_dashboard": "bookings",
    "annual_report": "activities", "annual_report_read": "activities",  # the year's figures count the ledger
    "inbox": "notifications", "notify_admin": "notifications",
}


def _median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t) * 1000, out


# ---- counting every SQL statement ----------------------------------------------------------------------
_FETCH = {"fetchall", "fetchone", "fetchmany", "df", "fetchdf", "fetch_df", "arrow", "fetch_arrow_table",
          "fetchnumpy", "pl", "fetch_record_batch"}


class _Cursor:
    """A DuckDB cursor that logs each statement run through it with its time (execute plus the fetches of
    its result), then passes everything on."""

    def __init__(self, cur, log: list[dict]):
        self._cur, self._log, self._last = cur, log, None

    def _run(self, method: str, sql, args, kw, many: bool = False):
        t = time.perf_counter()
        getattr(self._cur, method)(sql, *args, **kw)
        entry = {"sql": " ".join(str(sql).split()), "ms": (time.perf_counter() - t) * 1000, "many": many}
        if args and not many:
            entry["params"] = args[0]
        self._log.append(entry)
        self._last = entry
        return self

    def execute(self, sql, *args, **kw):
        return self._run("execute", sql, args, kw)

    def executemany(self, sql, *args, **kw):
        return self._run("executemany", sql, args, kw, many=True)

    def __getattr__(self, name):
        attr = getattr(self._cur, name)
        if name in _FETCH and callable(attr):
            def fetch(*a, **k):
                t = time.perf_counter()
                try:
                    return attr(*a, **k)
                finally:
                    if self._last is not None:
                        self._last["ms"] += (time.perf_counter() - t) * 1000
            return fetch
        return attr


class _Connection:
    def __init__(self, con, log: list[dict]):
        self._con, self._log = con, log

    def cursor(self, *args, **kw):
        return _Cursor(self._con.cursor(*args, **kw), self._log)

    def __getattr__(self, name):
        return getattr(self._con, name)


@contextmanager
def recording(db):
    """The SQL statements ``db`` runs inside the block: every cursor of its one connection (reads, the write
    transaction with BEGIN/COMMIT, the audit append), as dicts ``{sql, ms, many}``."""
    log: list[dict] = []
    con = db._con
    db._con = _Connection(con, log)
    try:
        yield log
    finally:
        db._con = con


def slowest(log: list[dict]) -> dict | None:
    if not log:
        return None
    s = max(log, key=lambda e: e["ms"])
    params = _plain(s.get("params"))
    if isinstance(params, list) and len(params) > 6:
        params = params[:6] + [f"… {len(params)} in all"]
    return {"ms": round(s["ms"], 2), "sql": s["sql"][:400], "params": params}


def _plain(v):
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if v is None or isinstance(v, (int, float, str, bool)):
        return v
    return str(v)


def repeated(log: list[dict], top: int = 3) -> list[dict]:
    """The statement texts run most often (an N+1 shows as one text run once per row)."""
    counts: dict[str, int] = {}
    for e in log:
        counts[e["sql"]] = counts.get(e["sql"], 0) + 1
    return [{"n": n, "sql": s[:300]} for s, n in sorted(counts.items(), key=lambda x: -x[1])[:top] if n > 1]


# ---- which screens, as whom, on which record ---------------------------------------------------------------
def _user(db, role: str, prefer: str | None = None) -> str | None:
    if prefer:
        row = db.fetch_one("SELECT username FROM users WHERE username = ? AND active AND list_contains(roles, ?)",
                           [prefer, role])
        if row:
            return row["username"]
    row = db.fetch_one("SELECT username FROM users WHERE active AND list_contains(roles, ?) ORDER BY username LIMIT 1",
                       [role])
    return row["username"] if row else None


def busy_records(db) -> dict:
    """The busiest record of each kind a detail screen shows (most rows attached), and the reviewer with
    the most assignments with one of their tasks."""
    out: dict = {}
    row = db.fetch_one(
        "SELECT a.id, (SELECT count(*) FROM application_events e WHERE e.application_id = a.id)"
        " + (SELECT count(*) FROM assignments s WHERE s.application_id = a.id)"
        " + (SELECT count(*) FROM application_milestones m WHERE m.application_id = a.id) AS n"
        " FROM applications a ORDER BY n DESC, a.id LIMIT 1")
    out["application"] = row and int(row["id"])
    row = db.fetch_one(
        "SELECT p.id, count(a.id) AS n FROM projects p LEFT JOIN activities a ON a.project_id = p.id"
        " GROUP BY p.id ORDER BY n DESC, p.id LIMIT 1")
    out["project"] = row and int(row["id"])
    row = db.fetch_one(
        "SELECT p.id, count(a.id) AS n FROM projects p LEFT JOIN activities a ON a.project_id = p.id"
        " WHERE p.state = 'active' GROUP BY p.id ORDER BY n DESC, p.id LIMIT 1")
    out["active_project"] = row and int(row["id"])
    row = db.fetch_one(
        "SELECT o.id, (SELECT count(*) FROM training_attendance t WHERE t.org_id = o.id)"
        " + (SELECT count(*) FROM assessments s WHERE s.org_id = o.id)"
        " + (SELECT count(*) FROM applications a WHERE a.org_id = o.id) AS n"
        " FROM organisations o WHERE o.active ORDER BY n DESC, o.id LIMIT 1")
    out["org"] = row and int(row["id"])
    row = db.fetch_one("SELECT org_id AS id, count(*) AS n FROM assessments GROUP BY org_id ORDER BY n DESC, org_id"
                       " LIMIT 1")
    out["assessed_org"] = row and int(row["id"])
    row = db.fetch_one(
        "SELECT s.reviewer AS username, count(*) AS n FROM assignments s JOIN users u ON u.username = s.reviewer"
        " WHERE u.active GROUP BY s.reviewer ORDER BY n DESC, s.reviewer LIMIT 1")
    out["reviewer"] = row and row["username"]
    if out["reviewer"]:
        # one of their tasks, the one on the round with the most criteria (the biggest scoring form)
        row = db.fetch_one(
            "SELECT s.id FROM assignments s JOIN applications a ON a.id = s.application_id"
            " LEFT JOIN (SELECT round_id, count(*) AS n FROM rubric_criteria GROUP BY round_id) c ON c.round_id = a.round_id"
            " WHERE s.reviewer = ? ORDER BY coalesce(c.n, 0) DESC, (s.status = 'recused'), s.id DESC LIMIT 1",
            [out["reviewer"]])
        out["task"] = row and int(row["id"])
    return out


def _query_for(key: str, busy: dict) -> dict:
    q = {"application": {"id": busy.get("application")}, "project": {"id": busy.get("project")},
         "activity_entry": {"project": busy.get("active_project")}, "org_support": {"id": busy.get("org")},
         "lifecycle": {"id": busy.get("org")}, "assessments": {"org": busy.get("assessed_org")},
         "my_reviews": {"task": busy.get("task")}, "users": {"user": busy.get("reviewer")}}.get(key, {})
    return {k: str(v) for k, v in q.items() if v is not None}


def roles_for(page) -> list[str]:
    """The roles a screen is measured as: every role for a screen every role has, the leader for the
    dashboards, staff where staff may open it, else the admin (or the one role that may)."""
    from core.navigation import ALL_ROLES

    if set(page.roles) >= set(ALL_ROLES):
        return list(ALL_ROLES)
    if page.target.startswith("pages.dashboards:") and DASHBOARD_ROLE in page.roles:
        return [DASHBOARD_ROLE]
    for role in ("staff", "admin"):
        if role in page.roles:
            return [role]
    return [page.roles[0]]


def specs(db, users: dict[str, str] | None = None) -> list[dict]:
    """One spec per registered screen and role it is measured as: ``key`` (page key, role), ``page``,
    ``title``, ``url``, ``role``, ``username``, ``query``, ``write`` (the table written before the after-write
    rerun)."""
    from core import navigation

    busy = busy_records(db)
    users = dict(users or {})
    for role in navigation.ALL_ROLES:
        if role not in users:
            users[role] = _user(db, role, busy.get("reviewer") if role == "reviewer" else None)
    out = []
    for p in navigation.PAGES:
        if p.target.startswith("bench."):  # the benchmark's own empty floor page
            continue
        for role in roles_for(p):
            out.append({"key": f"{p.key}@{role}", "page": p.key, "title": p.title, "url": p.url_path, "role": role,
                        "username": users.get(role), "query": _query_for(p.key, busy),
                        "write": WRITE_FOR.get(p.key, "activities")})
    return out


# ---- what the screen showed --------------------------------------------------------------------------------
_ALLOWED = {"hubdesk", "excel", "xlsx", "xls", "csv", "pdf", "docx", "png", "jpg", "jpeg", "http", "https", "www",
            "uscc", "id", "url", "ok", "duckdb", "streamlit", "json", "zip", "wps", "ai", "cn", "com", "ngo",
            "word", "libreoffice"}  # the documents' formats and the PDF converter's name (core.documents)
_STRIP = re.compile(r":material/[a-z_]+:|:[a-z]+\[|https?://\S+|\]\([^)]*\)|`[^`]*`|\b[\w.+-]+@[\w.-]+\b")
_WORD = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z][A-Za-z_]{2,}(?![A-Za-z0-9_])")
_NONE = re.compile(r"(?<![A-Za-z])(None|nan|NaN|NaT|<NA>|null)(?![A-Za-z])")


def visible_texts(at) -> list[str]:
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "error", "warning", "success", "info"):
        parts += [str(e.value) for e in getattr(at, kind)]
    for m in at.metric:
        parts += [str(m.label), str(m.value)]
    for kind in ("button", "selectbox", "text_input", "number_input", "date_input", "multiselect", "radio",
                 "checkbox", "text_area", "toggle"):
        try:
            parts += [str(w.label) for w in getattr(at, kind)]
        except Exception:  # noqa: BLE001 (an element kind this version does not know)
            pass
    for t in at.tabs:
        parts.append(str(t.label))
    for d in at.dataframe:  # the headers as shown: a column's configured label, else its name
        try:
            cfg = json.loads(d.proto.columns or "{}")
            parts += [str((cfg.get(str(c)) or {}).get("label") or c) for c in d.value.columns
                      if not (cfg.get(str(c)) or {}).get("hidden")]
        except Exception:  # noqa: BLE001
            pass
    return parts


_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~$=:])")
_PATH = re.compile(r"(?:/[\w.-]+){2,}/?|\b[\w-]+(?:/[\w-]+)*/[\w-]+\.[a-z]{1,5}\b")


def flags(at, ignore: tuple[str, ...] = ()) -> dict:
    """Exceptions, error boxes, English words and None/nan in what the screen shows (``ignore``: names that
    are data, e.g. the usernames, which are ASCII by rule; file paths are data too)."""
    texts = visible_texts(at)
    english, nones = {}, {}
    for t in texts:
        t = _MD_ESCAPE.sub(r"\1", t)  # messages escape markdown (core.ui.text.md)
        for name in ignore:
            t = t.replace(name, " ")
        clean = _STRIP.sub(" ", _PATH.sub(" ", t))
        for m in _WORD.finditer(clean):
            if m.group(0).lower() not in _ALLOWED:
                english.setdefault(m.group(0), clean[max(0, m.start() - 25):m.end() + 25].replace("\n", " "))
        for m in _NONE.finditer(clean):
            nones.setdefault(m.group(0), clean[max(0, m.start() - 25):m.end() + 25].replace("\n", " "))
    return {"exception": [str(e.value)[:300] for e in at.exception],
            "error": [str(e.value)[:200] for e in at.error],
            "english": [f"{w}: …{c}…" for w, c in sorted(english.items())[:8]],
            "none": [f"{w}: …{c}…" for w, c in sorted(nones.items())[:4]]}


# ---- the writes before an after-write rerun ---------------------------------------------------------------
def make_writes(db, today: dt.date, writes_cls):
    """``bench.run.Writes`` plus writes to organisations and users (for the registry and account screens)."""

    class ScreenWrites(writes_cls):
        def _organisations(self, tag: str) -> None:
            from core.orgs import organisations

            org = self.db.fetch_one("SELECT id FROM organisations WHERE active ORDER BY id LIMIT 1")
            organisations.update(org["id"], {"notes": tag}, self.actor)

        def _venues(self, tag: str) -> None:
            from core.orgs import venues
            from core.platform import records

            community = self.db.scalar("SELECT name FROM communities ORDER BY name LIMIT 1")
            records.create(venues.VENUE, {"name": tag, "address": "基准路1号", "capacity": 30, "community": community,
                                          "owner": "基准街道"}, self.actor, db=self.db)

        def _community_needs(self, tag: str) -> None:  # 需求 (core.resources.needs)
            from core.resources import needs

            needs.create({"title": tag, "community": "文海社区", "target_group": "全体居民", "source": "问卷调查",
                          "surveyed_on": self.today, "urgency": "一般", "recorded_by": "基准记录人"}, self.actor,
                         db=self.db)

        def _bookings(self, tag: str) -> None:  # 场地预约 (core.resources.bookings): a new slot each time
            from core.resources import bookings

            venue = self.db.scalar("SELECT min(id) FROM venues")  # the generated data has none: one is made
            if venue is None:
                self._venues("基准预约场地")
                venue = self.db.scalar("SELECT min(id) FROM venues")
            org = self.db.scalar("SELECT min(id) FROM organisations")
            bookings.book({"venue_id": venue, "org_id": org, "contact_person": "基准预约人", "purpose": tag,
                           "booking_date": self.today + dt.timedelta(days=100 + self.n), "start_time": "09:00",
                           "end_time": "10:00"}, self.actor, db=self.db)

        def _equipment(self, tag: str) -> None:
            from core.platform import records
            from core.resources import bookings

            records.create(bookings.EQUIPMENT, {"name": tag, "kind": "其他", "quantity": 1, "community": "文海社区",
                                                "owner": "基准街道", "kept_at": "基准仓库"}, self.actor, db=self.db)

        def _partners(self, tag: str) -> None:  # 合作伙伴 (core.resources.partners): a new partner each time
            from core.resources import partners

            partners.create_partner({"name": tag, "kind": "企业", "offers": ["资金"]}, self.actor, db=self.db)

        def _volunteers(self, tag: str) -> None:  # 志愿者 (core.resources.volunteers): a new volunteer each time
            from core.resources import volunteers

            community = self.db.scalar("SELECT name FROM communities ORDER BY name LIMIT 1")
            volunteers.add_volunteer({"name": tag[:50], "community": community}, self.actor, db=self.db)

        def _publicity_items(self, tag: str) -> None:  # 宣传 (core.resources.publicity): a new post each time
            from core.resources import publicity

            brand = self.db.scalar("SELECT min(id) FROM brands")  # the generated data may have none: a project then
            project = None if brand is not None else self.db.scalar("SELECT min(id) FROM projects")
            publicity.add_item({"title": tag, "kind": "日常服务信息", "channel": "荟益沙", "published_on": self.today,
                                "brand_id": brand, "project_id": project}, self.actor, db=self.db)

        def _notifications(self, tag: str) -> None:  # 消息 (core.notify): a new inbox reminder for every account
            from core.notify import queue

            queue.enqueue([{"rule": "backup_failed", "record_kind": "bench", "record_ref": tag, "due_date": self.today,
                            "slot": 0, "recipient": u["username"], "channel": "inbox", "subject": tag, "body": tag}
                           for u in self.db.fetch_all("SELECT username FROM users")], db=self.db)

        def _users(self, tag: str) -> None:
            from core.platform import users
            from core.platform.actor import Actor

            users.update(BENCH_OTHER, {"name": f"基准账号{self.n}"}, Actor(BENCH_USERS["admin"], ("admin",)),
                         db=self.db)

    return ScreenWrites(db, today)


BENCH_USERS = {"admin": "bench-admin", "staff": "bench-staff"}
BENCH_OTHER = "bench-other"


def ensure_users(db) -> dict[str, str]:
    """An admin and a staff account to sign in as (the generated data has the leader and the experts only),
    and one account the after-write step renames; returns role -> username."""
    from core.platform import users
    from core.platform.actor import Actor

    system = Actor("system", ("admin",))
    wanted = {**BENCH_USERS, "other": BENCH_OTHER}
    for role, name in wanted.items():
        if users.get(name, db) is None:
            users.create({"username": name, "name": f"基准{'管理员' if role == 'admin' else '工作人员'}",
                          "roles": ["admin" if role == "admin" else "staff"], "active": True}, system, db=db)
    return dict(BENCH_USERS)


# ---- measuring the screens ------------------------------------------------------------------------------
def measure_screens(db, specs_: list[dict], repeat: int, writes, open_page, signed_in, explain=None) -> dict:
    """Per spec: new session, warm rerun, rerun after a write; statements of one warm rerun; flags."""
    out = {}
    ignore = tuple(sorted({s["username"] for s in specs_ if s["username"]} | {BENCH_OTHER}, key=len, reverse=True))
    for spec in specs_:
        r: dict = {"title": spec["title"], "role": spec["role"], "username": spec["username"],
                   "url": spec["url"] + "".join(f"?{k}={v}" for k, v in spec["query"].items()),
                   "write_table": spec["write"]}

        def session(spec=spec):
            at = signed_in(spec["username"], [spec["role"]])
            for k, v in spec["query"].items():
                at.query_params[k] = v
            return at
        try:
            news = []
            for _ in range(repeat):
                at = session()
                news.append(_timed(lambda: open_page(at, spec["url"]))[0])
            r["new_session_ms"] = _median(news)
            at.run()
            warms = [_timed(at.run)[0] for _ in range(repeat)]
            r["warm_ms"] = _median(warms)
            with recording(db) as log:
                at.run()
            r["statements"] = len(log)
            r["statements_ms"] = round(sum(e["ms"] for e in log), 1)
            r["slowest"] = slowest(log)
            r["repeated"] = repeated(log)
            s = max(log, key=lambda e: e["ms"]) if log else None
            if explain and s and s["ms"] >= explain["ms"] and s["sql"].lstrip().upper().startswith(("SELECT", "WITH")):
                try:
                    r["slowest"]["explain"] = explain["fn"](s["sql"], s.get("params"), spec["key"])
                except Exception as exc:  # noqa: BLE001 (reported)
                    r["slowest"]["explain_error"] = f"{type(exc).__name__}: {exc}"[:200]
            after, write_ms = [], []
            for _ in range(repeat):
                write_ms.append(writes.write(spec["write"]))
                after.append(_timed(at.run)[0])
            r["after_write_ms"] = _median(after)
            r["write_ms"] = _median(write_ms)
            r["samples"] = {"new_session": news, "warm": warms, "after_write": after}
            r.update(flags(at, ignore))
            r["elements"] = {"metric": len(at.metric), "dataframe": len(at.dataframe), "error": len(at.error)}
        except Exception as exc:  # noqa: BLE001 (a screen that breaks the harness is reported, not fatal)
            r.setdefault("exception", []).append(f"bench: {type(exc).__name__}: {exc}"[:300])
        out[spec["key"]] = r
    return out


# ---- the actions --------------------------------------------------------------------------------------
SIX = [20, 20, 15, 15, 15, 15]
TWELVE = [10] * 8 + [5] * 4


def _window(today: dt.date) -> dict:
    at = lambda days: today + dt.timedelta(days=days)  # noqa: E731
    return {"year": today.year, "ideas_start": at(-60), "ideas_end": at(-55), "apply_start": at(-50),
            "apply_end": at(-40), "screening_end": at(-30), "review_start": at(-20), "review_end": at(20),
            "notice_start": at(25), "notice_end": at(31), "project_start": at(40), "project_end": at(300)}


def _action(db, fn) -> dict:
    """Run ``fn`` once, timed, with its SQL statements counted."""
    with recording(db) as log:
        ms, value = _timed(fn)
    return {"ms": ms, "statements": len(log), "slowest": slowest(log), "repeated": repeated(log),
            "value": value if isinstance(value, (int, float, str)) else None}


def _review_round(db, maxima: list[int], tag: str, today: dt.date, res: dict, name: str) -> None:
    """A round in review with a rubric of ``maxima``, one application (its save is measured) and an expert;
    then the expert's submission, measured."""
    from core.intake import applications, rubrics
    from core.review import assignment, reviews
    from tests.test_reviews import expert
    from tests.test_rounds import STAFF, app_values, make_org, make_round, walk

    w = _window(today)
    rid = make_round(name=f"基准评审批次{tag}", **w)
    rubrics.set_rubric(rid, [{"name": f"评分项{i + 1}", "max_score": float(m), "weight": float(m)}
                             for i, m in enumerate(maxima)], STAFF)
    serial = int(uuid.uuid4().int % 900000) + 100000
    org = make_org(serial)
    stones = [{"due_date": w["project_start"] + dt.timedelta(days=90), "deliverable": "中期自评报告"},
              {"due_date": w["project_start"] + dt.timedelta(days=200), "deliverable": "结项报告"}]
    values = app_values(rid, org, title=f"基准申报{tag}")
    res[f"save_application_{name}"] = _action(db, lambda: applications.save_draft(values, stones, STAFF))
    app_id = res[f"save_application_{name}"]["value"]
    applications.submit(app_id, STAFF)
    walk(app_id, "screening", "eligible", "under_review")
    who = expert(f"bx{tag[:10]}")
    task = assignment.assign(app_id, who.username, STAFF)
    assignment.confirm_no_conflict(task, who)
    crit = rubrics.criteria(rid)
    scores: dict = {"recommendation": "推荐"}
    for c in crit:
        scores[f"score_{c['id']}"] = float(round(c["max_score"] * 0.8))
        scores[f"comment_{c['id']}"] = f"{c['name']}评语"
    res[f"submit_review_{name}"] = _action(db, lambda: reviews.save(task, scores, who, submit=True))
    res[f"submit_review_{name}"]["criteria"] = len(crit)


def org_workbook(n: int, tag: str) -> bytes:
    """An organisation import sheet of ``n`` new 备案 organisations (the template's headers, openpyxl)."""
    import openpyxl

    from core.orgs import organisations
    from core.platform import importer

    tpl = openpyxl.load_workbook(io.BytesIO(importer.template(organisations.IMPORT_SPEC)))
    headers = [c.value for c in tpl[importer.DATA_SHEET][1]]
    fields = organisations.IMPORT_SPEC.fields
    example = dict(organisations.IMPORT_SPEC.example)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = importer.DATA_SHEET
    ws.append(headers)
    for i in range(n):
        row = {**example, "name": f"基准导入社区服务队{tag}第{i + 1}号", "filing_no": f"基准备字〔2024〕第{tag}{i + 1:04d}号",
               "contact_person": "李华", "contact_phone": f"138{(i * 7919) % 100000000:08d}"}
        ws.append([row.get(f) for f in fields])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _pass_evaluation(db, project_id: int, kind: str, today: dt.date, actor) -> None:
    """A passing evaluation of ``kind`` (every item at full points) through the write path, so the tranche
    it gates may be released."""
    from core.monitoring import evaluations

    schema = evaluations.form_for(project_id, db)
    values = {"report_date": today - dt.timedelta(days=3), "self_report": "按计划完成项目服务", "eval_date": today,
              "method": "实地", "evaluator": "基准评估人", "conclusion": "项目执行规范,台账完整",
              "fail_action": None, "recover_amount": None}
    for name, col in schema.columns.items():
        if name.startswith("score_"):
            values[name] = float(re.search(r"满分([\d.]+)", col.metadata["label"]).group(1))
    evaluations.record(project_id, kind, values, actor, db=db)


def measure_actions(db, today: dt.date) -> dict:
    """The main actions, each once (after one unmeasured warm-up where the action allows), timed, with the
    SQL statements each ran."""
    from core.monitoring import ledger, money
    from core.orgs import organisations
    from core.platform import importer
    from core.platform.actor import Actor

    staff = Actor(BENCH_USERS["staff"], ("staff",))
    res: dict = {}
    errors: dict = {}
    tag = uuid.uuid4().hex[:6]
    for name, maxima in (("warmup", SIX), ("6", SIX), ("12", TWELVE)):
        try:
            _review_round(db, maxima, f"{tag}{name}", today, res, name)
        except Exception as exc:  # noqa: BLE001 (reported)
            errors[f"review_{name}"] = f"{type(exc).__name__}: {exc}"[:300]
    res.pop("save_application_warmup", None)
    res.pop("submit_review_warmup", None)

    p = db.fetch_one("SELECT id, communities[1] AS community FROM projects WHERE state = 'active'"
                     " AND start_date <= ? AND end_date >= ? ORDER BY id LIMIT 1", [today, today])

    def activity(i):
        return ledger.add({"project_id": p["id"], "activity_date": today, "community": p["community"],
                           "kind": "社区活动", "title": f"基准动作{tag}{i}", "participants": 10, "person_times": 18},
                          staff, db=db)
    try:
        activity(0)
        res["record_activity"] = _action(db, lambda: activity(1))
    except Exception as exc:  # noqa: BLE001
        errors["record_activity"] = f"{type(exc).__name__}: {exc}"[:300]

    # a planned tranche whose gate is met (the first one check_release accepts)
    cands = db.fetch_all(
        "SELECT t.id, t.amount, t.project_id, t.gate FROM tranches t JOIN projects p ON p.id = t.project_id WHERE t.status = 'planned'"
        " AND p.state = 'active' AND t.seq = (SELECT min(seq) FROM tranches u WHERE u.project_id = t.project_id"
        " AND u.status = 'planned') ORDER BY t.id LIMIT 200")
    released = 0
    for c in cands:
        values = {"released_on": today, "released_amount": float(c["amount"]), "approver": "基准审批人", "note": None}
        try:
            money.check_release(c["id"], values, staff, db=db)
        except Exception:  # noqa: BLE001 (the gate: the data released every tranche whose evaluation passed)
            try:
                _pass_evaluation(db, c["project_id"], c["gate"], today, staff)
                money.check_release(c["id"], values, staff, db=db)
            except Exception as exc:  # noqa: BLE001 (not this one: try the next)
                errors.setdefault("release_tranche_skipped", []).append(f"{c['id']}: {exc}"[:120])
                continue
        key = "release_tranche" if released else "release_tranche_warmup"
        try:
            res[key] = _action(db, lambda: money.release(c["id"], values, staff, db=db))
        except Exception as exc:  # noqa: BLE001
            errors["release_tranche"] = f"{type(exc).__name__}: {exc}"[:300]
        released += 1
        if released == 2:
            break
    res.pop("release_tranche_warmup", None)
    if "release_tranche" not in res and "release_tranche" not in errors:
        errors["release_tranche"] = f"no releasable tranche among {len(cands)} candidates"

    try:
        data = org_workbook(500, tag)
        spec = organisations.IMPORT_SPEC
        holder: dict = {}
        res["import_500_plan"] = _action(db, lambda: holder.setdefault("plan", importer.plan(spec, data)) and None)
        plan = holder["plan"]
        bad = [r for r in plan.report if r.status != "有效"]
        res["import_500_plan"]["rows"] = len(plan.valid)
        res["import_500_plan"]["refused_rows"] = len({r.row_number for r in bad})
        if bad:
            errors["import_500"] = "; ".join(f"{b.row_number} {b.status} {b.field} {b.message}" for b in bad[:3])[:300]
        res["import_500_commit"] = _action(db, lambda: importer.commit(spec, plan, staff, db=db))
    except Exception as exc:  # noqa: BLE001
        errors["import_500"] = f"{type(exc).__name__}: {exc}"[:300]
    for v in res.values():
        v["ms"] = round(v["ms"], 1)
    return {"actions": res, "errors": errors}

"""The dashboard benchmark (issue 7): per scale, how long each dashboard query and each dashboard screen
takes, and how that compares with the targets of the issue. Results go to ``bench/RESULTS.md`` (and the
raw figures to ``bench/out/results.json``).

    python3 bench/run.py [--scales 1 10 100] [--repeat 5] [--only screens|dashboards|all] [--out bench/RESULTS.md]

Per scale, in a fresh Python process each (so no cache or buffer of one scale helps another):

1. **Generate + load** the synthetic data (``bench/generate.py``) into ``bench/out/bench-<s>x.duckdb``,
   timed in its own process.
2. **Queries**: every named query of :data:`core.dashboards.dashboard.QUERIES` with the default filters (all years up
   to today): ``dashboard.run`` with the cache cleared before each call (what a screen pays after a
   write), the raw query function (no cache), and ``dashboard.run`` answered from the cache. Each SQL
   statement a query runs is timed too; statements slower than ``--explain-ms`` get an ``EXPLAIN
   ANALYZE`` (``bench/out/explain-<s>x-<query>-<n>.txt``).
3. **Floors**: an AppTest of an empty function, and ``Home.py`` signed in as the leader on a registered
   page that renders nothing (gate, navigation and sidebar only: the floor every screen stands on).
4. **Screens**: every dashboard screen of ``core.navigation`` (``pages.dashboards:*``) the leader may
   open, run through ``streamlit.testing.v1.AppTest`` signed in as the leader (as the tests do:
   ``tests/apptest_helpers.py``):
   - *warm*: a rerun of the same session, caches warm;
   - *after a write*: a write through the core write path to a table the screen reads (an activity by
     ``core.monitoring.ledger.add``, or an attendance by ``core.incubation.trainings.add_attendance``), then a rerun (the
     write's time is not counted; the caches it invalidated are);
   - *new session*: a new AppTest opening the screen in a process whose caches are warm (what a second
     browser tab costs), and *cold*: the same after clearing every cache (the first visit after start);
   - the dashboard queries each screen called (recorded around ``core.dashboards.dashboard.run``) and the ratio
     screen / (floor + the raw time of those queries).

5. **Every screen and the main actions** (issue 17, ``bench/screens.py``): every screen of
   ``core.navigation.PAGES`` as a role that uses it, on the busiest record where it shows one: new session,
   warm rerun, rerun after a write, the SQL statements of one warm rerun and the slowest of them, and flags
   (exception, error box, English or None in the visible text); then saving an application, submitting a
   review (6 and 12 criteria), recording an activity, releasing a tranche and importing 500 organisations,
   each timed with its statement count.

``--only dashboards`` runs 2-4, ``--only screens`` runs 3 and 5, ``--only all`` (the default) all of them.
Medians of ``--repeat`` runs (after one unrecorded warm-up where stated). No assertion: this reports.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
BENCH = ROOT / "bench"
OUT = BENCH / "out"
FLOOR_URL = "bench-floor"
LEADER = ("leader", ["leader"])
WRITER = ("bench-staff", ("staff",))

# the targets
TARGETS = {"warm_ms": 300, "after_write_ms": 1000, "new_session_ms": 1500, "ratio": 1.5, "load_s": 60,
           "small_warm_ms": 150}


def _median(xs) -> float | None:
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def _timed(fn) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t) * 1000, out


# ---- the machine -----------------------------------------------------------------------------------
def machine() -> dict:
    def cmd(*args) -> str:
        try:
            return subprocess.run(args, capture_output=True, text=True, timeout=20).stdout
        except (OSError, subprocess.TimeoutExpired):
            return ""

    lscpu = cmd("lscpu")
    keep = ("Architecture", "CPU(s)", "Model name", "Thread(s) per core", "Core(s) per socket", "Socket(s)",
            "Hypervisor vendor", "L2 cache", "L3 cache", "BogoMIPS")
    cpu = {}
    for line in lscpu.splitlines():
        k, _, v = line.partition(":")
        if k.strip() in keep and k.strip() not in cpu:
            cpu[k.strip()] = v.strip()
    mem = {}
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            k, _, v = line.partition(":")
            if k in ("MemTotal", "MemAvailable"):
                mem[k] = f"{int(v.split()[0]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    os_name = ""
    try:
        os_name = dict(line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines()
                       if "=" in line).get("PRETTY_NAME", "").strip('"')
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    pkgs = {}
    for p in ("streamlit", "duckdb", "pandas", "numpy", "pyarrow", "pandera", "altair", "streamlit-authenticator",
              "vl-convert-python"):
        try:
            pkgs[p] = version(p)
        except PackageNotFoundError:
            pkgs[p] = "-"
    return {"cpu": cpu, "memory": mem, "os": os_name, "kernel": platform.release(),
            "python": platform.python_version(), "packages": pkgs, "nproc": os.cpu_count(),
            "loadavg_start": os.getloadavg()}


def busy_processes(threshold: float = 50.0) -> list[str]:
    """Other processes using much CPU right now (a second benchmark would spoil the figures)."""
    out = subprocess.run(["ps", "-eo", "pid,pcpu,etimes,args", "--sort=-pcpu"], capture_output=True, text=True).stdout
    me = {os.getpid(), os.getppid()}
    found = []
    for line in out.splitlines()[1:8]:
        parts = line.split(None, 3)
        if len(parts) == 4 and int(parts[0]) not in me and float(parts[1]) >= threshold:
            found.append(f"{parts[0]} {parts[1]}% {parts[3][:100]}")
    return found


# ---- recording the SQL a query runs ----------------------------------------------------------------
class SqlRecorder:
    """Stands in for a :class:`core.platform.db.Database`: times each statement of the read methods, passes the
    rest through."""

    def __init__(self, db):
        self._db = db
        self.log: list[dict] = []

    def _rec(self, method: str, sql: str, params=None):
        t = time.perf_counter()
        out = getattr(self._db, method)(sql, params)
        self.log.append({"sql": sql, "params": list(params) if params is not None else None,
                         "ms": (time.perf_counter() - t) * 1000})
        return out

    def fetch_df(self, sql, params=None):
        return self._rec("fetch_df", sql, params)

    def fetch_all(self, sql, params=None):
        return self._rec("fetch_all", sql, params)

    def fetch_one(self, sql, params=None):
        return self._rec("fetch_one", sql, params)

    def scalar(self, sql, params=None):
        return self._rec("scalar", sql, params)

    def __getattr__(self, name):
        return getattr(self._db, name)


def _jsonable(v):
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


def explain(db, sql: str, params, path: Path) -> dict:
    """EXPLAIN ANALYZE of one statement: the text to ``path``; total time and the costliest operators."""
    with db.read() as cur:
        rows = cur.execute("EXPLAIN ANALYZE " + sql, params).fetchall() if params else \
            cur.execute("EXPLAIN ANALYZE " + sql).fetchall()
    text = "\n".join(str(r[-1]) for r in rows)
    path.write_text(f"-- {sql}\n-- params: {json.dumps(_jsonable(params), ensure_ascii=False)}\n\n{text}\n",
                    encoding="utf-8")
    total = re.search(r"Total Time:\s*([\d.]+)s", text)
    # operator boxes sit side by side: a header "╭─ Hash Group By ───" opens a box at its column, and
    # the box's last line reads "123,872 rows   40.0ms"
    unit = {"s": 1000.0, "ms": 1.0, "µs": 0.001}
    open_boxes: dict[int, str] = {}
    ops = []
    for line in text.splitlines():
        for m in re.finditer(r"╭─ ([^─│]+?) ─", line):
            open_boxes[m.start()] = m.group(1).strip()
        for m in re.finditer(r"([\d,]+) rows\s+([\d.]+)(µs|ms|s)\b", line):
            starts = [c for c in open_boxes if c <= m.start()]
            name = open_boxes[max(starts)] if starts else "?"
            ops.append((float(m.group(2)) * unit[m.group(3)], f"{name} ({m.group(1)} rows)"))
    ops.sort(reverse=True)
    return {"file": str(path.relative_to(ROOT)), "total_ms": float(total.group(1)) * 1000 if total else None,
            "top_operators": [{"ms": round(ms, 1), "operator": name} for ms, name in ops[:4]]}


# ---- the worker (one scale, one process) -----------------------------------------------------------
def _env(db_path: Path) -> None:
    # no backups of the bench file (HubDesk backs up at start and every N hours by default); no warm-up thread
    # computing the dashboards beside the first measurements (each screen is opened once before it is timed)
    os.environ.update(HUBDESK_DB=str(db_path), HUBDESK_SECRETS=str(OUT / "secrets.toml"), HUBDESK_DEMO="0",
                      HUBDESK_BACKUP_ON_START="0", HUBDESK_BACKUP_EVERY_HOURS="0", HUBDESK_WARM_DASHBOARDS="0")


def _floor_page() -> None:
    """A screen that renders nothing (the floor: gate, navigation and sidebar of Home.py only)."""


def _empty_script() -> None:
    """The smallest AppTest: an empty script."""


def _register_floor_page() -> None:
    from core import navigation

    if FLOOR_URL not in {p.url_path for p in navigation.PAGES}:
        navigation.PAGES = navigation.PAGES + (navigation.PageSpec(
            "bench_floor", "基准空白页", "bench.run:_floor_page", FLOOR_URL, ("leader", "admin", "staff"), "基准"),)


class Writes:
    """Writes through the core write path, one change each time, to a table a screen reads."""

    ORDER = ("activities", "applications", "training_attendance", "assessments")

    def __init__(self, db, today: dt.date):
        from core.platform.actor import Actor

        self.db, self.today, self.actor = db, today, Actor(*WRITER)
        self.n = 0

    def table_for(self, tables: set[str]) -> str:
        return next((t for t in self.ORDER if t in tables), "activities")

    def write(self, table: str) -> float:
        """One write to ``table`` (or the tables that go with it); returns its time in ms."""
        self.n += 1
        tag = f"基准写入{self.n}-{uuid.uuid4().hex[:6]}"
        return _timed(lambda: getattr(self, f"_{table}")(tag))[0]

    def _activities(self, tag: str) -> None:
        from core.monitoring import ledger

        p = self.db.fetch_one("SELECT id, communities[1] AS community FROM projects WHERE state = 'active'"
                              " AND start_date <= ? AND end_date >= ? ORDER BY id LIMIT 1", [self.today, self.today])
        ledger.add({"project_id": p["id"], "activity_date": self.today, "community": p["community"],
                    "kind": "社区活动", "title": tag, "participants": 10, "person_times": 18}, self.actor, db=self.db)

    def _applications(self, tag: str) -> None:
        """A legal move of an application of the latest round: 评审完成 <-> 送复评 (touches applications and
        application_events)."""
        from core.intake import applications

        a = self.db.fetch_one(
            "SELECT a.id, a.state FROM applications a JOIN rounds r ON r.id = a.round_id"
            " WHERE a.state IN ('reviewed', 're_review') ORDER BY r.year DESC, a.id LIMIT 1")
        applications.move(a["id"], "re_review" if a["state"] == "reviewed" else "reviewed", self.actor,
                          note=tag, db=self.db)

    def _training_attendance(self, tag: str) -> None:
        from core.incubation import trainings

        tr = self.db.fetch_one("SELECT id FROM trainings ORDER BY training_date DESC, id DESC LIMIT 1")
        org = self.db.fetch_one("SELECT id FROM organisations WHERE active ORDER BY id LIMIT 1")
        trainings.add_attendance(tr["id"], {"org_id": org["id"], "person": tag}, self.actor, db=self.db)

    def _assessments(self, tag: str) -> None:
        """A new assessment (with its indicator scores) of an organisation for a period it has none of."""
        from core.incubation import assessments
        from schemas.capability import score_field

        inst_id = assessments.latest_instrument_id(self.db)
        inst = assessments.instrument(inst_id, self.db)
        from schemas.choices import FIRST_PERIOD_YEAR

        period = f"{FIRST_PERIOD_YEAR + self.n % 10}年度"  # a period of the declared list (2015 onwards)
        org = self.db.fetch_one("SELECT o.id FROM organisations o WHERE NOT EXISTS (SELECT 1 FROM assessments a"
                                " WHERE a.org_id = o.id AND a.period = ?) ORDER BY o.id LIMIT 1", [period])
        values = {score_field(i["id"]): 3 + (i["id"] + self.n) % 3 for d in inst["dimensions"] for i in d["indicators"]}
        values |= {"period": period, "assessor": "基准测试", "assessed_on": self.today, "evidence": tag}
        assessments.create(org["id"], inst_id, values, self.actor, db=self.db)


def screens(navigation) -> list[dict]:
    """The dashboard screens the leader may open; the 专题分析 screen once per view (``?view=``)."""
    from core.ui import dashboard_view

    out = []
    for p in navigation.PAGES:
        if not (p.target.startswith("pages.dashboards:") and "leader" in p.roles):
            continue
        if p.target.endswith(":charts"):
            for v, (label, _) in dashboard_view.VIEWS.items():
                out.append({"key": f"{p.key}:{v}", "title": f"{p.title}·{label}", "url": p.url_path,
                            "query": {"view": v}, "state": {}, "expect_view": v})
        elif p.target.endswith(":meeting"):
            # the rotation paused on each slot in turn (the default rotation shows every screen)
            meeting = getattr(dashboard_view, "MEETING_SCREENS", None)
            slots = ({k: label for k, (label, _) in meeting.items()} if meeting
                     else {"overview": "数据总览", **{k: label for k, (label, _) in dashboard_view.VIEWS.items()}})
            for i, (v, label) in enumerate(slots.items()):
                out.append({"key": f"{p.key}:{v}", "title": f"{p.title}·{label}", "url": p.url_path, "query": {},
                            "state": {"dash:meeting:paused": True, "dash:meeting:slot": i}, "expect": label})
        else:
            out.append({"key": p.key, "title": p.title, "url": p.url_path, "query": {}, "state": {}})
    return out


SELECTABLE = ("year", "category", "state", "community", "brand", "period", "dimension", "code", "severity")


def _selections(name: str, df) -> list[dict]:
    """What a user would click: each KPI's key; for a chart, the fields of its busiest row."""
    if df is None or not len(df):
        return []
    if "key" in df.columns:
        return [{"key": k} for k in df["key"]]
    measure = next((c for c in ("person_times", "reached", "warnings", "granted", "amount", "median", "activities")
                    if c in df.columns), None)
    row = df.sort_values(measure, ascending=False).iloc[0] if measure else df.iloc[0]
    sel = {c: (row[c].item() if hasattr(row[c], "item") else row[c]) for c in SELECTABLE if c in df.columns}
    return [sel] if sel else []


def _cache_name(query: str) -> str:
    """The name a dashboard read is cached under (:mod:`core.platform.cache`)."""
    return "dashboard:options" if query == "filter_options" else query


def _clear_all_caches() -> None:
    import streamlit as st

    from core.platform import cache

    cache.clear()
    st.cache_data.clear()


def worker(scale: int, db_path: Path, repeat: int, explain_ms: float, only: str = "all") -> dict:
    _env(db_path)
    from streamlit.testing.v1 import AppTest

    from core import app, navigation
    from core.dashboards import dashboard
    from core.platform import cache
    from tests.apptest_helpers import open_page, signed_in

    db = app.bootstrap()
    today = dt.date.today()
    res: dict = {"scale": scale, "db": str(db_path), "repeat": repeat, "today": today.isoformat(),
                 "loadavg_start": os.getloadavg(), "queries": {}, "floors": {}, "screens": {}, "only": only}
    dashboards = only in ("dashboards", "all")

    # -- queries ---------------------------------------------------------------------------------
    f = dashboard.Filters().resolved()
    for name, q in (dashboard.QUERIES.items() if dashboards else ()):
        cache.clear()
        first, df = _timed(lambda: dashboard.run(name, None, db))
        cold = []
        for _ in range(repeat):
            cache.clear()
            cold.append(_timed(lambda: dashboard.run(name, None, db))[0])
        raw = [_timed(lambda: q.fn(f, db))[0] for _ in range(repeat)]
        hit = [_timed(lambda: dashboard.run(name, None, db))[0] for _ in range(repeat)]
        rec = SqlRecorder(db)
        q.fn(f, rec)
        stmts = []
        for i, s in enumerate(rec.log):
            entry = {"ms": round(s["ms"], 2), "sql": s["sql"]}
            if s["ms"] >= explain_ms:
                entry["explain"] = explain(db, s["sql"], s["params"], OUT / f"explain-{scale}x-{name}-{i + 1}.txt")
            stmts.append(entry)
        res["queries"][name] = {"label": q.label, "rows": len(df), "first_ms": first, "cold_ms": _median(cold),
                                "raw_ms": _median(raw), "hit_ms": _median(hit), "statements": stmts}

    # drill-downs: every KPI key, and for a chart the selection of its busiest row
    res["drills"] = {}
    for name, q in (dashboard.QUERIES.items() if dashboards else ()):
        if q.drill is None:
            continue
        df = dashboard.run(name, None, db)
        for sel in _selections(name, df):
            label = ", ".join(f"{k}={v}" for k, v in sel.items())
            times, rows, error = [], None, None
            for _ in range(repeat):
                cache.clear()
                try:
                    ms, out = _timed(lambda: dashboard.drill(name, None, sel, db))
                except Exception as exc:  # noqa: BLE001 (a refused selection is reported, not fatal)
                    error = f"{type(exc).__name__}: {exc}"
                    break
                times.append(ms)
                rows = len(out)
            res["drills"].setdefault(name, []).append({"selection": label, "ms": _median(times), "rows": rows,
                                                       "error": error})

    # the filter bar's choices (cached like a query; read by every screen's filter bar)
    if dashboards:
        _filter_options(res, db, repeat)
    _floors(res, AppTest, signed_in, open_page, repeat)
    floor = res["floors"]["home_empty_page"]
    if dashboards:
        _dashboard_screens(res, db, today, repeat, floor, navigation, dashboard, cache, open_page)
    if only in ("screens", "all"):
        _all_screens(res, db, today, repeat, floor, scale, explain_ms, open_page, signed_in)
    res["loadavg_end"] = os.getloadavg()
    return res


def _filter_options(res: dict, db, repeat: int) -> None:
    from core.dashboards import dashboard
    from core.platform import cache

    cache.clear()
    first, opts = _timed(lambda: dashboard.filter_options(db))
    cold = []
    for _ in range(repeat):
        cache.clear()
        cold.append(_timed(lambda: dashboard.filter_options(db))[0])
    hit = [_timed(lambda: dashboard.filter_options(db))[0] for _ in range(repeat)]
    rec = SqlRecorder(db)
    cache.clear()
    dashboard.filter_options(rec)
    res["queries"]["filter_options"] = {
        "label": "筛选项(年度、批次、类别、社区)", "rows": sum(len(v) for v in opts.values()), "first_ms": first,
        "cold_ms": _median(cold), "raw_ms": _median(cold), "hit_ms": _median(hit),
        "statements": [{"ms": round(x["ms"], 2), "sql": x["sql"]} for x in rec.log]}



def _floors(res: dict, AppTest, signed_in, open_page, repeat: int) -> None:
    # -- floors ----------------------------------------------------------------------------------
    def apptest_series(make, url: str | None, n: int) -> dict:
        news, reruns = [], []
        for _ in range(n):
            at = make()
            ms, _ = _timed(lambda: open_page(at, url) if url else at.run())
            news.append(ms)
        for _ in range(n):
            reruns.append(_timed(at.run)[0])
        return {"new_session_ms": _median(news), "rerun_ms": _median(reruns),
                "exception": [str(e.value) for e in at.exception]}

    empty = lambda: AppTest.from_function(_empty_script, default_timeout=120)  # noqa: E731
    apptest_series(empty, None, 1)  # warm-up: the first AppTest of a process pays imports
    res["floors"]["empty_function"] = apptest_series(empty, None, repeat)
    _register_floor_page()
    leader = lambda: signed_in(*LEADER)  # noqa: E731
    apptest_series(leader, FLOOR_URL, 1)
    res["floors"]["home_empty_page"] = apptest_series(leader, FLOOR_URL, repeat)


def _dashboard_screens(res: dict, db, today, repeat: int, floor: dict, navigation, dashboard, cache, open_page) -> None:
    # -- screens ---------------------------------------------------------------------------------
    from tests.apptest_helpers import signed_in

    leader = lambda: signed_in(*LEADER)  # noqa: E731
    specs = screens(navigation)
    res["screen_specs"] = specs
    writes = Writes(db, today)
    original_run = dashboard.run
    called: list[str] = []

    def recording_run(name, filters=None, db=None):
        called.append(name)
        return original_run(name, filters, db)

    original_options = dashboard.filter_options

    def recording_options(db=None):
        called.append("filter_options")
        return original_options(db)

    dashboard.run = recording_run
    dashboard.filter_options = recording_options
    try:
        for spec in specs:
            query = "".join(f"?{k}={v}" for k, v in spec["query"].items())
            out: dict = {"title": spec["title"], "url": spec["url"] + query}

            def session(spec=spec):
                at = leader()
                for k, v in spec["query"].items():
                    at.query_params[k] = v
                for k, v in spec["state"].items():
                    at.session_state[k] = v
                return at
            # cold: first visit with every cache empty (also tells which queries the screen runs)
            colds = []
            for _ in range(max(1, repeat // 2)):
                _clear_all_caches()
                called.clear()
                at = session()
                colds.append(_timed(lambda: open_page(at, spec["url"]))[0])
            names = sorted(set(called))
            out["queries"] = names
            out["cold_ms"] = _median(colds)
            out["samples"] = {"cold": colds}
            # new sessions in a warm process
            news = []
            for _ in range(repeat):
                at = session()
                news.append(_timed(lambda: open_page(at, spec["url"]))[0])
            out["new_session_ms"] = _median(news)
            out["samples"]["new_session"] = news
            # warm reruns of one session
            at.run()
            warms = [_timed(at.run)[0] for _ in range(repeat)]
            out["warm_ms"] = _median(warms)
            out["samples"]["warm"] = warms
            # after a write
            tables = set().union(*(dashboard.QUERIES[n].tables for n in names if n in dashboard.QUERIES))
            table = writes.table_for(tables)
            after, write_ms, recomputed = [], [], set()
            for _ in range(repeat):
                write_ms.append(writes.write(table))
                loads = {n: cache.loads(_cache_name(n)) for n in names}
                after.append(_timed(at.run)[0])
                recomputed |= {n for n in names if cache.loads(_cache_name(n)) > loads[n]}
            out["write_table"] = table
            out["write_ms"] = _median(write_ms)
            out["after_write_ms"] = _median(after)
            out["samples"]["after_write"] = after
            out["recomputed_after_write"] = sorted(recomputed)  # the cached reads the write invalidated
            out["exception"] = [str(e.value)[:300] for e in at.exception]
            out["shown"] = [str(t.value) for t in at.title][:2]
            if spec.get("expect_view") and at.session_state["dash:view"] != spec["expect_view"]:
                out["exception"].append(f"expected the view {spec['expect_view']!r}, the screen showed "
                                        f"{at.session_state['dash:view']!r}")
            if spec["state"] and spec.get("expect") and spec["expect"] not in out["shown"]:
                out["exception"].append(f"expected the slot {spec['expect']!r}, the screen showed {out['shown']}")
            out["elements"] = {"metric": len(at.metric), "dataframe": len(at.dataframe),
                               "chart": len(at.get("arrow_vega_lite_chart")) + len(at.get("vega_lite_chart")),
                               "error": len(at.error)}
            raw = sum(res["queries"][n]["raw_ms"] for n in names if n in res["queries"])
            out["queries_raw_ms"] = raw
            base = (floor["rerun_ms"] or 0) + raw
            base_new = (floor["new_session_ms"] or 0) + raw
            out["ratio_warm"] = out["warm_ms"] / base if base else None
            out["ratio_after_write"] = out["after_write_ms"] / base if base else None
            out["ratio_new_session"] = out["new_session_ms"] / base_new if base_new else None
            res["screens"][spec["key"]] = out
    finally:
        dashboard.run = original_run
        dashboard.filter_options = original_options


def _all_screens(res: dict, db, today, repeat: int, floor: dict, scale: int, explain_ms: float, open_page,
                 signed_in) -> None:
    """Every registered screen (``bench/screens.py``), then the main actions."""
    from bench import screens as sc

    users = sc.ensure_users(db)
    specs = sc.specs(db, users)
    res["all_screen_specs"] = specs
    writes = sc.make_writes(db, today, Writes)
    ex = {"ms": explain_ms, "fn": lambda sql, params, key: explain(
        db, sql, params, OUT / f"explain-{scale}x-screen-{key.replace('@', '-')}.txt")}
    out = sc.measure_screens(db, specs, repeat, writes, open_page, signed_in, explain=ex)
    for r in out.values():
        for k, fk in (("warm_ms", "rerun_ms"), ("after_write_ms", "rerun_ms"), ("new_session_ms", "new_session_ms")):
            base = floor.get(fk)
            r[f"ratio_{k[:-3]}"] = r[k] / base if r.get(k) is not None and base else None
    res["all_screens"] = out
    res["actions"] = sc.measure_actions(db, today)


# ---- the driver --------------------------------------------------------------------------------------
def _busy_jiffies() -> int:
    """CPU time of the whole machine that was not idle (``/proc/stat``), in clock ticks."""
    f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(f) - f[3] - (f[4] if len(f) > 4 else 0)


def _proc_jiffies(pid: int) -> int:
    """CPU time of one process (all its threads and waited-for children), in clock ticks."""
    try:
        f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(x) for x in f[11:15])
    except (OSError, IndexError, ValueError):
        return 0


def _run_json(args: list[str], timeout: int) -> tuple[dict, float, float]:
    """Run a child; its JSON line, wall seconds, and the CPU other processes used meanwhile (in cores)."""
    t = time.perf_counter()
    busy0 = _busy_jiffies()
    log = OUT / f"{Path(args[0]).stem}-{'-'.join(a.strip('-') for a in args[1:4])}.log"
    with open(log, "w", encoding="utf-8") as out, open(log.with_suffix(".err"), "w", encoding="utf-8") as err:
        # output goes to files: a child writing more than a pipe holds would block while we poll
        proc = subprocess.Popen([sys.executable, *args], stdout=out, stderr=err, cwd=ROOT,
                                env={**os.environ, "PYTHONWARNINGS": "ignore"})
        own = 0
        deadline = time.monotonic() + timeout
        while proc.poll() is None and time.monotonic() < deadline:
            own = max(own, _proc_jiffies(proc.pid))  # last reading before it ends
            time.sleep(0.2)
        if proc.poll() is None:
            proc.kill()
            raise RuntimeError(f"{' '.join(args)} took longer than {timeout} s")
    wall = time.perf_counter() - t
    stdout = log.read_text(encoding="utf-8")
    stderr = log.with_suffix(".err").read_text(encoding="utf-8")
    hz = os.sysconf("SC_CLK_TCK")
    others = max(0.0, (_busy_jiffies() - busy0 - own) / hz / wall) if wall else 0.0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{stderr[-3000:]}")
    line = [ln for ln in stdout.splitlines() if ln.startswith("{")][-1]
    return json.loads(line), wall, others


def machine_cpu(window: float = 3.0) -> float:
    """CPU cores the machine is using right now (averaged over ``window`` seconds)."""
    b0, t0 = _busy_jiffies(), time.perf_counter()
    time.sleep(window)
    return (_busy_jiffies() - b0) / os.sysconf("SC_CLK_TCK") / (time.perf_counter() - t0)


def wait_quiet(limit_s: float, threshold: float = 0.3) -> float:
    """Wait (up to ``limit_s``) until other work uses less than ``threshold`` CPU cores; returns the last reading."""
    end = time.monotonic() + limit_s
    used = machine_cpu()
    while used >= threshold and time.monotonic() < end:
        print(f"  machine busy ({used:.2f} cores in use: {busy_processes(20.0)}); waiting ...", file=sys.stderr)
        time.sleep(10)
        used = machine_cpu()
    return used


def run_scale(scale: int, repeat: int, explain_ms: float, skip_generate: bool, wait_s: float = 600,
              quiet: float = 0.3, only: str = "all") -> dict:
    db_path = OUT / f"bench-{scale}x.duckdb"
    result: dict = {"scale": scale}
    result["cpu_in_use_before"] = wait_quiet(wait_s, quiet)
    busy = busy_processes()
    if busy:
        print(f"  warning: busy processes while starting {scale}x: {busy}", file=sys.stderr)
    result["busy_before"] = busy
    if not skip_generate or not db_path.exists():
        gen, wall, others = _run_json(["bench/generate.py", "--scale", str(scale), "--out", str(db_path), "--json"],
                                      900)
        gen["wall_seconds"], gen["other_cpu_cores"] = wall, others
        result["generate"] = gen
        print(f"  {scale}x generated+loaded in {gen['total_seconds']:.1f} s ({wall:.1f} s with Python start-up)")
    work, wall, others = _run_json(["bench/run.py", "--worker", "--scale", str(scale), "--db", str(db_path),
                                    "--repeat", str(repeat), "--explain-ms", str(explain_ms), "--only", only], 3600)
    work["wall_seconds"], work["other_cpu_cores"] = wall, others
    result.update(work)
    print(f"  {scale}x measured in {wall:.0f} s (other processes used {others:.2f} CPU cores meanwhile)")
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="HubDesk dashboard benchmark")
    ap.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--explain-ms", type=float, default=25.0, help="EXPLAIN ANALYZE statements slower than this")
    ap.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    ap.add_argument("--skip-generate", action="store_true", help="reuse bench/out/bench-<s>x.duckdb if present")
    ap.add_argument("--wait-quiet", type=float, default=600,
                    help="before each scale, wait up to this many seconds for other processes to go quiet")
    ap.add_argument("--quiet", type=float, default=0.3, help="'quiet': other processes use fewer CPU cores than this")
    ap.add_argument("--only", choices=("screens", "dashboards", "all"), default="all",
                    help="dashboards: the dashboard queries and screens (issue 7); screens: every registered screen "
                         "and the main actions (bench/screens.py); all: both")
    ap.add_argument("--browser", action="store_true",
                    help="then the browser benchmark at the same scales (bench/browser.py: every screen, the actions, "
                         "sign-in and first start in chromium against streamlit run), in the same RESULTS.md")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--scale", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    if args.worker:
        print(json.dumps(worker(args.scale, args.db, args.repeat, args.explain_ms, args.only), default=str))
        return 0
    from bench import report

    started = dt.datetime.now()
    info = machine()
    results = []
    for s in args.scales:
        print(f"scale {s}x ...")
        results.append(run_scale(s, args.repeat, args.explain_ms, args.skip_generate, args.wait_quiet, args.quiet,
                                 args.only))
    info["loadavg_end"] = os.getloadavg()
    doc = {"started": started.isoformat(timespec="seconds"), "only": args.only,
           "finished": dt.datetime.now().isoformat(timespec="seconds"),
           "machine": info, "targets": TARGETS, "repeat": args.repeat, "results": results}
    (OUT / "results.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    if args.browser:  # its figures go to bench/out/browser.json, which the report below includes
        print("the browser benchmark ...")
        subprocess.run([sys.executable, "bench/browser.py", "--scales", *map(str, args.scales), "--repeat",
                        str(args.repeat)], cwd=ROOT, check=True)
    old = args.out.read_text(encoding="utf-8") if args.out.exists() else None
    args.out.write_text(report.markdown(doc, old), encoding="utf-8")
    print(f"wrote {args.out} and {OUT / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``bench/RESULTS.md`` from the benchmark's figures (``bench/out/results.json``).

    python3 bench/report.py            # rewrite RESULTS.md from the last results.json
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"


def _ms(v) -> str:
    if v is None:
        return "–"
    return f"{v:,.0f}" if v >= 100 else f"{v:,.1f}" if v >= 1 else f"{v:.2f}"


def _x(v) -> str:
    return "–" if v is None else f"{v:.2f}"


def _mark(ok: bool | None) -> str:
    return "–" if ok is None else ("✅" if ok else "❌")


def _miss(value, target, unit: str = "") -> str:
    """'met (x% of the target)' or 'missed by n (x%)'."""
    if value is None:
        return "not measured"
    if value <= target:
        return f"met ({value / target:.0%} of the target)"
    by = f"{value - target:.3f}" if unit == "" else f"{value - target:,.0f} {unit}"
    return f"**missed** by {by} ({value / target - 1:.1%} over)"


def checks(doc: dict) -> list[dict]:
    """Each target of the issue at the scale it applies to: the worst measurement over the screens, how
    many screens meet it, and whether all do."""
    t = doc["targets"]
    out = []
    screen_targets = {
        1: (("warm_ms", "every screen, rerun with warm caches", t["small_warm_ms"], "ms"),
            ("after_write_ms", "every screen, rerun right after a write (stricter reading)", t["small_warm_ms"], "ms")),
        100: (("warm_ms", "each screen, rerun with warm caches", t["warm_ms"], "ms"),
              ("after_write_ms", "each screen, rerun right after a write", t["after_write_ms"], "ms"),
              ("new_session_ms", "each screen, new session (AppTest; see caveats for the browser)",
               t["new_session_ms"], "ms"),
              ("ratio_warm", "screen / (floor + its queries), warm rerun", t["ratio"], ""),
              ("ratio_after_write", "screen / (floor + its queries), after a write", t["ratio"], ""),
              ("ratio_new_session", "screen / (floor + its queries), new session", t["ratio"], "")),
    }
    for r in doc["results"]:
        s = r["scale"]
        gen = r.get("generate")
        if s == 100 and gen:
            v = gen["total_seconds"]
            out.append({"scale": s, "what": "generating and loading the data", "unit": "s", "value": v,
                        "target": t["load_s"], "met": int(v <= t["load_s"]), "of": 1, "worst": ""})
        screens = r.get("screens", {})
        for key, label, limit, unit in screen_targets.get(s, ()):
            vals = [(sc.get(key), sc["title"]) for sc in screens.values() if sc.get(key) is not None]
            if not vals:
                continue
            worst, where = max(vals)
            out.append({"scale": s, "what": label, "unit": unit, "value": worst, "target": limit,
                        "met": sum(v <= limit for v, _ in vals), "of": len(vals), "worst": where})
    for c in out:
        c["ok"] = c["met"] == c["of"]
    return out


START, END = "<!-- analysis:start -->", "<!-- analysis:end -->"


def kept_analysis(old: str | None) -> str:
    """The hand-written analysis of an earlier RESULTS.md (between the markers), kept on regeneration."""
    if old and START in old and END in old:
        return old[old.index(START) + len(START):old.index(END)].strip("\n")
    return "_(to be written after looking at the figures)_"


def markdown(doc: dict, old: str | None = None) -> str:
    m = doc["machine"]
    L: list[str] = []
    add = L.append
    add("# HubDesk dashboard benchmark (issue 7)")
    add("")
    add(f"Run {doc['started']} – {doc['finished']} with `python3 bench/run.py --scales "
        f"{' '.join(str(r['scale']) for r in doc['results'])} --repeat {doc['repeat']}`; figures are medians of "
        f"{doc['repeat']} runs, in milliseconds unless marked. Raw figures: `bench/out/results.json` (git-ignored). "
        "How it measures: `bench/README.md` and the docstring of `bench/run.py`.")
    add("")
    add("## Analysis")
    add("")
    add(START)
    add(kept_analysis(old))
    add(END)
    add("")
    add("## Machine")
    add("")
    cpu = m.get("cpu", {})
    add(f"- CPU: {cpu.get('Model name', '?')}, {cpu.get('CPU(s)', m.get('nproc'))} CPU(s) "
        f"({cpu.get('Core(s) per socket', '?')} core(s) × {cpu.get('Thread(s) per core', '?')} thread(s)), "
        f"{cpu.get('Architecture', '')}, hypervisor {cpu.get('Hypervisor vendor', '–')}, "
        f"L2 {cpu.get('L2 cache', '?')}, "
        f"L3 {cpu.get('L3 cache', '?')}")
    add(f"- Memory: {m.get('memory', {}).get('MemTotal', '?')} (available at start "
        f"{m.get('memory', {}).get('MemAvailable', '?')})")
    add(f"- OS: {m.get('os', '?')}, kernel {m.get('kernel', '?')}; Python {m.get('python')}")
    add("- Packages: " + ", ".join(f"{k} {v}" for k, v in m.get("packages", {}).items()))
    la0, la1 = m.get("loadavg_start"), m.get("loadavg_end")
    add(f"- Load average at start {', '.join(f'{x:.2f}' for x in la0 or [])}, at end "
        f"{', '.join(f'{x:.2f}' for x in la1 or [])} (the machine is shared with other work; see *Caveats*)")
    add("")

    add("## Data sizes and generation")
    add("")
    tables = ["communities", "organisations", "rounds", "applications", "reviews", "review_scores", "projects",
              "tranches", "activities", "expenses", "evaluations", "trainings", "training_attendance",
              "assessments", "assessment_scores", "brands", "users"]
    res = doc["results"]
    add("| table | " + " | ".join(f"{r['scale']}x" for r in res) + " |")
    add("|---|" + "---:|" * len(res))
    for t in tables:
        add(f"| {t} | " + " | ".join(f"{r.get('generate', {}).get('counts', {}).get(t, '–'):,}"
                                     if isinstance(r.get('generate', {}).get('counts', {}).get(t), int) else "–"
                                     for r in res) + " |")
    add("| **generate (s)** | " + " | ".join(_s(r, "generate_seconds") for r in res) + " |")
    add("| **load incl. migrations (s)** | " + " | ".join(_s(r, "load_seconds") for r in res) + " |")
    add("| **generate + load (s)** | " + " | ".join(_s(r, "total_seconds") for r in res) + " |")
    add("| process wall time (s) | " + " | ".join(_s(r, "wall_seconds") for r in res) + " |")
    add("| other processes' CPU meanwhile (cores) | " + " | ".join(_s(r, "other_cpu_cores", 2) for r in res) + " |")
    add("| DuckDB file (MB) | " + " | ".join(
        f"{r['generate']['bytes'] / 1e6:,.0f}" if r.get("generate") else "–" for r in res) + " |")
    add("")

    add("## Dashboard queries")
    add("")
    add("`core.dashboards.dashboard.run(name)` with default filters (every year up to today): **cold** = cache cleared "
        "before each call, **raw** = the query function without the cache, **hit** = answered from the cache; "
        "rows = rows returned.")
    add("")
    names = list(res[0].get("queries", {})) if res else []
    head = "| query | " + " | ".join(f"{r['scale']}x cold | {r['scale']}x raw" for r in res) + " | hit (" \
           + f"{res[-1]['scale']}x) | rows ({res[-1]['scale']}x) |"
    add(head)
    add("|---|" + "---:|---:|" * len(res) + "---:|---:|")
    for n in names:
        cells = []
        for r in res:
            q = r["queries"].get(n, {})
            cells += [_ms(q.get("cold_ms")), _ms(q.get("raw_ms"))]
        last = res[-1]["queries"].get(n, {})
        add(f"| {n} ({last.get('label', '')}) | " + " | ".join(cells) + f" | {_ms(last.get('hit_ms'))} | "
            f"{last.get('rows', '–')} |")
    tot = ["**all queries (sum)**"]
    for r in res:
        tot += [_ms(sum(q["cold_ms"] for q in r["queries"].values())),
                _ms(sum(q["raw_ms"] for q in r["queries"].values()))]
    add("| " + " | ".join(tot) + " | | |")
    add("")
    drills = [(r["scale"], r.get("drills", {})) for r in res]
    if any(d for _, d in drills):
        add("Drill-downs (`dashboard.drill`, cache cleared; at most 5,000 rows): every KPI key, and for a chart "
            "the selection of its busiest bar or point. Per query the slowest selection:")
        add("")
        add("| query | " + " | ".join(f"{s}x slowest (ms) | {s}x rows" for s, _ in drills)
            + " | selection (last scale) |")
        add("|---|" + "---:|---:|" * len(drills) + "---|")
        for n in drills[-1][1]:
            cells, last_sel = [], ""
            for _, d in drills:
                ok = [x for x in d.get(n, []) if x["ms"] is not None]
                worst = max(ok, key=lambda x: x["ms"]) if ok else None
                errs = [x["error"] for x in d.get(n, []) if x["error"]]
                cells += [_ms(worst["ms"]) if worst else "–",
                          str(worst["rows"]) if worst else ("error" if errs else "–")]
                last_sel = worst["selection"] if worst else "; ".join(errs)[:80]
            add(f"| {n} | " + " | ".join(cells) + f" | {last_sel} |")
        add("")
    slow = [(r["scale"], n, i + 1, s) for r in res for n, q in r["queries"].items()
            for i, s in enumerate(q["statements"]) if s.get("explain")]
    if slow:
        add("Statements that took longer than the EXPLAIN threshold, with DuckDB's `EXPLAIN ANALYZE` "
            "(full plans in `bench/out/explain-*.txt`):")
        add("")
        add("| scale | query | statement | ms | EXPLAIN ANALYZE total | costliest operators |")
        add("|---:|---|---:|---:|---:|---|")
        for s, n, i, st in slow:
            e = st["explain"]
            ops = "; ".join(f"{o['operator']} {o['ms']:.0f} ms" for o in e["top_operators"])
            add(f"| {s}x | {n} | {i} | {_ms(st['ms'])} | {_ms(e['total_ms'])} | {ops} |")
        add("")

    add("## Screens (AppTest, signed in as the leader)")
    add("")
    floors = [(r["scale"], r.get("floors", {})) for r in res]
    add("Floors: **empty function** = `AppTest.from_function` of an empty function; **Home.py empty page** = "
        "`Home.py` signed in as the leader on a registered page that renders nothing (start-up check, sign-in "
        "gate, navigation, sidebar). The ratio's floor is the Home.py one.")
    add("")
    add("| floor | " + " | ".join(f"{s}x new session | {s}x rerun" for s, _ in floors) + " |")
    add("|---|" + "---:|---:|" * len(floors) + "")
    for key, label in (("empty_function", "empty function"), ("home_empty_page", "Home.py empty page")):
        add(f"| {label} | " + " | ".join(f"{_ms(f.get(key, {}).get('new_session_ms'))} | "
                                        f"{_ms(f.get(key, {}).get('rerun_ms'))}" for _, f in floors) + " |")
    add("")
    add("Measured per scale in one process: " + "; ".join(
        f"{r['scale']}x took {r.get('wall_seconds', 0):.0f} s, other processes used "
        f"{r.get('other_cpu_cores', 0):.2f} of the {m.get('nproc')} cores meanwhile" for r in res) + ".")
    add("")
    add("Per screen: **warm** = rerun of the same session with warm caches; **after write** = rerun right "
        "after a write through the core write path to a table the screen reads (the write itself, timed "
        "separately, is not included); **new session** = a new AppTest opening the screen while the process's "
        "caches are warm; **cold** = the same with every cache cleared (first visit after a start); "
        "**queries** = raw time of the dashboard queries the screen ran; **ratio** = screen / (Home.py floor + "
        "queries) for warm, after-write (rerun floor) and new-session (new-session floor).")
    add("")
    add("| scale | screen | warm | after write | new session | cold | queries (raw) | ratio warm | "
        "ratio after write | ratio new session | write (ms, table) | elements |")
    add("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for r in res:
        for key, sc in r.get("screens", {}).items():
            el = sc.get("elements", {})
            exc = " ⚠ exception: " + "; ".join(sc["exception"]) if sc.get("exception") else ""
            add(f"| {r['scale']}x | {sc['title']} (`{sc['url']}`) | {_ms(sc['warm_ms'])} | {_ms(sc['after_write_ms'])} "
                f"| {_ms(sc['new_session_ms'])} | {_ms(sc['cold_ms'])} | {_ms(sc['queries_raw_ms'])} "
                f"| {_x(sc['ratio_warm'])} | {_x(sc['ratio_after_write'])} | {_x(sc['ratio_new_session'])} "
                f"| {_ms(sc['write_ms'])} ({sc['write_table']}) | {el.get('metric', 0)} metrics, "
                f"{el.get('chart', 0)} charts, {el.get('dataframe', 0)} tables{exc} |")
    add("")
    add("Queries each screen ran (and, after the write, which of them were recomputed):")
    add("")
    if res:
        for key, sc in res[-1].get("screens", {}).items():
            add(f"- {sc['title']}: {', '.join(sc['queries']) or '–'} (recomputed after a write to "
                f"`{sc['write_table']}`: {', '.join(sc['recomputed_after_write']) or 'none'})")
    add("")

    L += screens_section(doc)
    add("## Caveats")
    add("")
    add("- **AppTest is not a browser.** It runs the script (queries, pandas, Altair's spec building and "
        "validation, Streamlit's element serialisation) but no websocket, no frontend and no Vega rendering. "
        "A real screen on a meeting-room display adds the browser's drawing time, which this benchmark does "
        "not measure.")
    add("- **A new browser session also pays the sign-in cookie check once.** streamlit-authenticator sleeps "
        "`HUBDESK_LOGIN_SLEEP` (0.7 s by default) when a new session re-authenticates from its cookie; "
        "AppTest skips that because the session starts signed in. Add 0.7 s to *new session* for a browser "
        "tab opened with a valid cookie.")
    add("- **Auto-refresh** runs the screen's fragment (`run_every`), which is at most a *warm* or *after "
        "write* rerun of the screen's body without the gate and sidebar. AppTest does not tick fragments, "
        "so the figures above are full reruns: an upper bound for a refresh.")
    add("- **Shared machine.** Other work ran on the same 2 cores during some runs (see *other processes' "
        "CPU* above, measured from `/proc/stat`). With ~1 core taken by others, times of work that uses "
        "both cores (DuckDB) grow the most. Single runs vary by ±30%; the medians are steadier.")
    add("- **Default filters only** (every year up to today, no round/category/community). A narrower filter "
        "reads fewer rows; the cache keeps each combination separately.")
    add("")
    add("## Targets")
    add("")
    add("The issue's targets, each against the worst screen (the per-screen figures are in the table above).")
    add("")
    add("| scale | target | limit | worst measured (where) | screens meeting it | verdict for the worst | |")
    add("|---:|---|---:|---|---:|---|---|")
    for c in checks(doc):
        unit = c["unit"]
        fmt = _x if unit == "" else (lambda v: f"{v:.1f} s") if unit == "s" else (lambda v: f"{_ms(v)} ms")
        lim = f"< {c['target']}" if unit == "" else f"< {c['target']} {unit}"
        where = f" ({c['worst']})" if c["worst"] else ""
        add(f"| {c['scale']}x | {c['what']} | {lim} | {fmt(c['value'])}{where} | {c['met']}/{c['of']} | "
            f"{_miss(c['value'], c['target'], unit)} | {_mark(c['ok'])} |")
    add("")
    L += extra_sections()
    return "\n".join(L) + "\n"


# ---- every screen and the actions (issue 17, bench/screens.py) ------------------------------------------
def _cell(text, n: int = 90) -> str:
    """Text for a table cell: one line, pipes escaped, cut at ``n`` characters."""
    t = " ".join(str(text).split()).replace("|", "\\|")
    return t if len(t) <= n else t[:n - 1] + "…"


def _code(text, n: int) -> str:
    return "`" + _cell(text, n).replace("`", "'") + "`"


def _flags(sc: dict) -> str:
    out = []
    if sc.get("exception"):
        out.append("⚠ exception: " + _cell("; ".join(sc["exception"]), 160))
    if sc.get("error"):
        out.append("⚠ error box: " + _cell("; ".join(sc["error"]), 120))
    if sc.get("english"):
        out.append("English: " + _cell("; ".join(sc["english"]), 160))
    if sc.get("none"):
        out.append("None/nan: " + _cell("; ".join(sc["none"]), 120))
    return "<br>".join(out) or "–"


def _ratio(sc: dict, key: str) -> str:
    v = sc.get(f"ratio_{key}")
    return "–" if v is None else f"{v:.1f}"


def _dominant(sc: dict) -> str:
    """The statement that dominates a screen's warm rerun (its slowest), with EXPLAIN's costliest operator, and
    the statement run most often when one runs many times (a per-row query)."""
    s = sc.get("slowest") or {}
    parts = []
    if s:
        parts.append(f"{_ms(s.get('ms'))} ms: {_code(s.get('sql', ''), 140)}")
        e = s.get("explain") or {}
        if e.get("top_operators"):
            top = e["top_operators"][0]
            parts.append(f"EXPLAIN: {top['operator']} {top['ms']:.0f} ms (`{e.get('file', '')}`)")
    rep = sc.get("repeated") or []
    if rep and rep[0]["n"] >= 5:
        parts.append(f"run {rep[0]['n']}× per rerun: {_code(rep[0]['sql'], 100)}")
    return "<br>".join(parts) or "–"


def screens_section(doc: dict) -> list[str]:
    res = [r for r in doc["results"] if r.get("all_screens")]
    if not res:
        return []
    L: list[str] = []
    add = L.append
    add("## Every screen (issue 17)")
    add("")
    add("Every screen of `core.navigation.PAGES`, as a role that uses it (`bench/screens.py`): the leader for "
        "the dashboards, staff where staff may open it, the admin for the admin-only ones, a reviewer for 我的评审, "
        "every role for 工作台 and 修改密码. Screens that show one record open the busiest one (most rows "
        "attached) through the query parameter the page reads. **new** = a new AppTest session opening the "
        "screen (process caches warm); **warm** = rerun of that session; **after write** = rerun right after a "
        "write through the core write path to the table named (the write's own time not included); **×floor** "
        "= the time over the Home.py empty-page floor of the same run (new session over the floor's new session, "
        "reruns over the floor's rerun); **stmts** = SQL statements one warm rerun ran (every cursor of the "
        "Database's connection, reads and writes); **SQL ms** = their summed time (the rest of a rerun is Python: Streamlit, pandas, the page); **slowest** = the slowest of them (execute + fetch). Flags: an "
        "exception, an error box, English words or None/nan in the visible text (titles, text, labels, metrics, "
        "table headers; usernames and file paths are data and are not flagged).")
    add("")
    for r in res:
        fl = r.get("floors", {}).get("home_empty_page", {})
        add(f"### {r['scale']}x (floor: new session {_ms(fl.get('new_session_ms'))} ms, rerun "
            f"{_ms(fl.get('rerun_ms'))} ms)")
        add("")
        add("| screen | role | url | new | warm | after write (table) | ×floor new / warm / after | stmts (SQL ms) | "
            "slowest (ms) | flags |")
        add("|---|---|---|---:|---:|---:|---:|---:|---:|---|")
        for sc in r["all_screens"].values():
            add(f"| {sc['title']} | {sc['role']} | `{sc['url']}` | {_ms(sc.get('new_session_ms'))} | "
                f"{_ms(sc.get('warm_ms'))} | {_ms(sc.get('after_write_ms'))} ({sc.get('write_table', '')}) | "
                f"{_ratio(sc, 'new_session')} / {_ratio(sc, 'warm')} / {_ratio(sc, 'after_write')} | "
                f"{sc.get('statements', '–')} ({_ms(sc.get('statements_ms'))}) | "
                f"{_ms((sc.get('slowest') or {}).get('ms'))} | {_flags(sc)} |")
        add("")
    for r in res:
        bad = [f"{sc['title']} ({sc['role']})" for sc in r["all_screens"].values()
               if sc.get("exception") or sc.get("error") or sc.get("english") or sc.get("none")]
        add(f"- {r['scale']}x: {len(r['all_screens'])} screens measured; flagged: " + ("、".join(bad) or "none") + ".")
    add("")
    big = max(res, key=lambda r: r["scale"])
    ranked = sorted(big["all_screens"].values(), key=lambda sc: -(max(sc.get("warm_ms") or 0,
                                                                      sc.get("after_write_ms") or 0)))[:10]
    add(f"### Slowest 10 at {big['scale']}x")
    add("")
    add("Ranked by the slower of warm and after-write rerun; the statement that dominates each warm rerun (and a "
        "statement run once per row, if any).")
    add("")
    add("| # | screen (role) | warm | after write | stmts (SQL ms) | dominated by |")
    add("|---:|---|---:|---:|---:|---|")
    for i, sc in enumerate(ranked, 1):
        add(f"| {i} | {sc['title']} ({sc['role']}, `{sc['url']}`) | {_ms(sc.get('warm_ms'))} | "
            f"{_ms(sc.get('after_write_ms'))} | {sc.get('statements', '–')} ({_ms(sc.get('statements_ms'))}) | "
            f"{_dominant(sc)} |")
    add("")
    L += actions_section(doc)
    return L


ACTIONS = (("save_application_6", "save an application (new draft, 2 milestones)"),
           ("save_application_12", "save an application (new draft, 2 milestones; the 12-criterion round)"),
           ("submit_review_6", "submit a review, 6-criterion rubric"),
           ("submit_review_12", "submit a review, 12-criterion rubric"),
           ("record_activity", "record an activity (ledger.add)"),
           ("release_tranche", "release a tranche (money.release)"),
           ("import_500_plan", "import 500 organisations: read and check the sheet (importer.plan)"),
           ("import_500_commit", "import 500 organisations: write them (importer.commit)"))


def actions_section(doc: dict) -> list[str]:
    res = [r for r in doc["results"] if r.get("actions")]
    if not res:
        return []
    L: list[str] = []
    add = L.append
    add("## Actions (issue 17)")
    add("")
    add("Each action once through its core function (after an unmeasured one of the same kind where it allows), "
        "timed, with every SQL statement it ran counted (reads, BEGIN/COMMIT, writes, the audit append). A "
        "submission must run as many statements for 12 criteria as for 6.")
    add("")
    add("| action | " + " | ".join(f"{r['scale']}x ms | {r['scale']}x stmts" for r in res) + " | slowest statement ("
        f"{res[-1]['scale']}x) |")
    add("|---|" + "---:|---:|" * len(res) + "---|")
    for key, label in ACTIONS:
        cells = []
        for r in res:
            a = r["actions"]["actions"].get(key)
            cells += [_ms(a["ms"]) if a else "–", str(a["statements"]) if a else "–"]
        last = res[-1]["actions"]["actions"].get(key) or {}
        s = last.get("slowest") or {}
        slow = f"{_ms(s.get('ms'))} ms {_code(s.get('sql', ''), 90)}" if s else "–"
        add(f"| {label} | " + " | ".join(cells) + f" | {slow} |")
    add("")
    for r in res:
        acts = r["actions"]["actions"]
        six, twelve = acts.get("submit_review_6"), acts.get("submit_review_12")
        if six and twelve:
            same = six["statements"] == twelve["statements"]
            add(f"- {r['scale']}x: a submission ran {six['statements']} statements for 6 criteria and "
                f"{twelve['statements']} for 12 ({'the same' if same else '**not the same**'}).")
        errs = {k: v for k, v in r["actions"].get("errors", {}).items() if k != "release_tranche_skipped"}
        if errs:
            add(f"- {r['scale']}x: ⚠ " + "; ".join(f"{k}: {_cell(v, 200)}" for k, v in errs.items()))
    add("")
    return L


def extra_sections() -> list[str]:
    """The browser (``bench/out/browser.json``, ``bench/browser.py``) and memory (``bench/out/memory.json``,
    ``bench/memory.py``) benchmarks' sections, when they have run; each module is imported only then."""
    import importlib

    L: list[str] = []
    for name in ("browser", "memory"):
        path = BENCH / "out" / f"{name}.json"
        if not path.exists():
            continue
        try:
            module = importlib.import_module(f"bench.{name}")
        except ImportError:
            continue
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            L += [module.markdown_section(doc).rstrip("\n"), ""]
        except Exception as exc:  # noqa: BLE001 (one broken section must not lose the report)
            L += [f"_(bench/{name}.py could not render {path.name}: {type(exc).__name__}: {exc})_", ""]
    return L


def _s(r: dict, key: str, digits: int = 1) -> str:
    g = r.get("generate") or {}
    v = g.get(key)
    return "–" if v is None else f"{v:.{digits}f}"


def main() -> int:
    doc = json.loads((BENCH / "out" / "results.json").read_text(encoding="utf-8"))
    target = BENCH / "RESULTS.md"
    old = target.read_text(encoding="utf-8") if target.exists() else None
    target.write_text(markdown(doc, old), encoding="utf-8")
    print(BENCH / "RESULTS.md")
    return 0


if __name__ == "__main__":
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    raise SystemExit(main())

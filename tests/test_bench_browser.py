"""bench/browser.py without a browser: which screens each role is measured on, and the report it writes from
raw samples (medians, p95, the AppTest figure beside them, which targets are met and by how much the others
miss). No timing is measured or asserted here."""
from __future__ import annotations

from bench import browser


def test_each_role_is_measured_on_its_own_screens():
    keys = {role: [p.key for p in browser.screens_for(role)] for role in browser.ROLES}
    assert keys["leader"] == ["home", "dash_overview", "dash_charts", "dash_meeting", "account"]
    assert keys["reviewer"] == ["home", "my_reviews", "inbox", "account"]
    assert {"home", "account", "rounds", "users", "audit", "monitoring_policy"} <= set(keys["admin"])
    assert not {"org_list", "dash_overview"} & set(keys["admin"])  # staff's and the leader's, measured there
    assert {"org_list", "apply", "project", "application"} <= set(keys["staff"])
    assert not [k for k in keys["staff"] if k.startswith("dash_")]


def _sample(kind, role, key, title, rep, seconds, **more):
    return {"kind": kind, "role": role, "key": key, "title": title, "rep": rep, "seconds": seconds, **more}


def test_the_report_shows_median_p95_the_apptest_figure_and_the_misses():
    samples = [_sample("screen", "staff", "org_list", "社会组织台账", i, s) for i, s in enumerate((0.2, 0.3, 0.25, 0.9))]
    samples += [_sample("screen", "staff", "apply", "项目申报", 0, None, error="TimeoutError: heading never shown")]
    samples += [_sample("screen", "leader", "home", "工作台", 0, 0.1, problems=["raw 'None'"])]
    samples += [_sample("detail", "staff", "project", "项目档案", 0, 1.4)]
    samples += [{"kind": "action", "action": "draft_save", "role": "staff", "rep": 0, "seconds": 0.3},
                {"kind": "action", "action": "tranche_release", "role": "staff", "error": "no releasable tranche"},
                {"kind": "signin", "how": "form", "rep": 0, "seconds": 2.0},
                {"kind": "signin", "how": "cookie", "rep": 0, "seconds": 1.0}]
    doc = {"started": "2026-12-07T10:00:00", "finished": "2026-12-07T10:30:00", "repeat": 4,
           "command": "python3 bench/browser.py --scales 100", "machine": {"nproc": 2},
           "datasets": [{"dataset": "100x", "samples": samples, "loadavg_before": [1.0], "loadavg_after": [2.0],
                         "other_cpu_cores": 0.5, "info": {"counts": {"applications": 25000}}}],
           "start": {"kind": "start", "healthy_s": 2.0, "progress_s": 4.5, "page_asked_s": 2.0, "login_form_s": 12.0}}
    results = {"results": [{"scale": 100, "all_screens": {"org_list@staff": {"warm_ms": 420.0},
                                                          "project@staff": {"warm_ms": 90.0, "new_session_ms": 800.0}}}]}
    text = browser.markdown_section(doc, results)
    rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines() if line.startswith("| ")}
    # 4 samples: median 0.275, p95 the slowest; the AppTest warm rerun beside it; 100x target is 1 s
    assert rows["社会组织台账"].startswith("| 社会组织台账 | staff | 0.28 | 0.90 | 0.20 | 4 |  | 0.42 | met |")
    assert "heading never shown" in rows["项目申报"] and "not measured" in rows["项目申报"]
    assert "raw 'None'" in rows["工作台"]
    detail = rows["项目档案 (by URL, page load)"]  # a page load: beside the AppTest new session
    assert " | 1.40 | 1.40 | 1.40 | 1 |  | 0.80 | **miss** ×1.4 |" in detail
    assert "no releasable tranche" in rows["确认拨付 (项目档案 · 资金)"]
    assert "(no target)" in rows["保存草稿 (项目申报)"]  # the action target is for 1x
    assert "**miss** ×1.3" in rows["form: click on 登录 → settled 工作台"]
    assert "met" in rows["login form settled"] and "**miss** by 1.5 s" in rows["first progress line (正在准备演示数据) visible"]
    assert "- 100x: sign-in (form): 2.00 s against < 1.5 s (×1.3, +0.50 s)" in text
    assert "- 100x: 项目档案 (by URL, page load) (staff): 1.40 s against < 1 s (×1.4, +0.40 s)" in text

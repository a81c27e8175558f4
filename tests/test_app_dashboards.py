"""AppTest: the dashboard screens (数据总览, 专题分析 with each of its views, 会议大屏) on the demo data,
their figures against core.dashboards.dashboard and SQL, filters, drill-down from a KPI row and from a chart
selection, live figures after a write; and role isolation: a leader reaches no writing screen, the
write path refuses a leader everywhere, and no dashboard carries a write widget."""
from __future__ import annotations

import pytest

from core import navigation
from core.dashboards import dashboard
from core.dashboards.dashboard import Filters
from core.platform.actor import DEFAULT_HUB
from core.ui import dashboard_view as view
from schemas.application import Application
from schemas.columns import label
from tests.apptest_helpers import (
    count, db, errors, open_page, plain, plain_texts as texts, registered_urls, screen_as, signed_in,
)

DASH_URLS = {"dashboard-overview", "dashboard-charts", "dashboard-meeting"}
WRITE_WIDGETS = ("text_input", "text_area", "number_input", "date_input", "time_input", "file_uploader",
                 "chat_input", "color_picker", "slider")


def _open(url: str, username: str = "leader", role: str = "leader", **query):
    at = signed_in(username, [role]).run()
    for k, v in query.items():
        at.query_params[k] = v
    return open_page(at, url)


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _chart_count(at) -> int:
    return len(at.get("vega_lite_chart"))


def _no_write_widgets(at) -> None:
    for kind in WRITE_WIDGETS:
        assert len(at.get(kind)) == 0, kind
    assert not at.get("form") and not at.get("data_editor")
    assert [b.label for b in at.button] == ["退出登录"]  # the only button: signing out


# ---- who sees the dashboards --------------------------------------------------------------------------------
@pytest.mark.parametrize("username,role", [("leader", "leader"), ("staff", "staff"), ("admin", "admin")])
def test_leaders_staff_and_admins_have_the_dashboards(demo_db, username, role):
    at = signed_in(username, [role]).run()
    assert DASH_URLS <= registered_urls(at)


def test_reviewers_do_not(demo_db):
    at = signed_in("expert", ["reviewer"]).run()
    assert not DASH_URLS & registered_urls(at)
    open_page(at, "dashboard-overview")
    assert [t.value for t in at.title] == ["无权访问"] and not at.metric
    direct = screen_as("expert", ["reviewer"], "pages.dashboards:overview").run()
    assert any("无权" in plain(e.value) for e in direct.error) and not direct.metric


# ---- 数据总览 -----------------------------------------------------------------------------------------------------
def test_overview_shows_every_kpi_with_its_change(demo_db):
    at = _open("dashboard-overview")
    assert not at.exception
    assert [t.value for t in at.title] == ["数据总览"]
    k = dashboard.kpis(Filters(hubs=(DEFAULT_HUB,))).set_index("key")  # the leader's hub (下沙)
    shown = {m.label: m for m in at.metric}
    for key, r in k.iterrows():
        m = shown[r["label"]]
        expected = view.fmt_value(r["value"], r["unit"])
        if key == "communities_covered":
            expected = f"{r['value']:,.0f}/{r['total']:,.0f}"
        assert m.value == expected, key
        if r["previous"] == r["value"]:
            assert m.delta == "持平", key
        else:
            assert m.delta == view.fmt_delta(r["value"], r["previous"], r["unit"]), key
    assert "最后更新" in texts(at)
    _no_write_widgets(at)


def test_demo_overview_shows_the_seed_figures_because_the_data_say_so(demo_db):
    """The seed's headline figures, read from the screen; each also checked against plain SQL here."""
    at = _open("dashboard-overview")
    m = _metrics(at)
    incubated = count("organisations", "WHERE incubation_in IS NOT NULL")
    assert incubated >= 50 and m["累计入壳孵化"] == f"{incubated} 家"
    assert count("applications", "WHERE state = 'funded'") == 76 and m["立项资助项目"] == "76 个"
    granted = float(db().scalar("SELECT sum(granted_amount) FROM applications WHERE state = 'funded'"))
    assert granted > 3_000_000 and m["资助金额"] == f"{granted / 10000:,.2f} 万元"
    trainings = count("trainings", f"WHERE hub_id = {DEFAULT_HUB}")  # 下沙's (the screen's user's hub)
    person_times = int(db().scalar("SELECT count(*) FROM training_attendance a JOIN trainings t ON t.id = a.training_id"
                                   " WHERE t.hub_id = ?", [DEFAULT_HUB]))
    assert trainings >= 30 and person_times >= 500
    assert m["能力培训"] == f"{trainings} 场" and m["培训人次"] == f"{person_times:,} 人次"
    assert (m["4A级社会组织"], m["3A级社会组织"]) == ("3 家", "10 家")
    assert m["引进专业社会组织"] == f"{count('organisations', 'WHERE brought_in_on IS NOT NULL')} 家" == "20 家"
    activities = count("activities")
    served = int(db().scalar("SELECT sum(person_times) FROM activities"))
    assert activities >= 5000 and m["服务活动"] == f"{activities:,} 场"
    assert served >= 100_000 and m["服务人次"] == f"{served:,} 人次"
    covered = int(db().scalar("SELECT count(DISTINCT community) FROM activities"))
    assert m["服务覆盖社区"] == f"{covered}/21"
    headline = at.dataframe[0].value  # 中心成效一览
    assert dict(zip(headline["指标"], headline["数据(自中心成立至今)"]))["公益创投立项资助项目"] == "76 个"


def test_filters_narrow_the_figures_and_a_backwards_range_is_refused(demo_db):
    at = _open("dashboard-overview")
    at.selectbox(key="dash:f:community").set_value("文海社区").run()
    assert not at.exception
    expected = count("organisations", "WHERE active AND community = '文海社区'")
    assert _metrics(at)["在册社会组织"] == f"{expected} 家"
    at.selectbox(key="dash:f:from").set_value(2025).run()
    at.selectbox(key="dash:f:to").set_value(2024).run()
    assert "起始年份不能晚于结束年份" in errors(at)
    assert not at.metric


def test_filters_are_kept_when_switching_screens(demo_db):
    at = _open("dashboard-overview")
    at.selectbox(key="dash:f:category").set_value("一老一小").run()
    open_page(at, "dashboard-charts")
    assert at.selectbox(key="dash:f:category").value == "一老一小"
    assert "一老一小" in texts(at)  # the window caption names the filter


def test_selecting_a_kpi_lists_its_records(demo_db):
    at = _open("dashboard-overview")
    k = dashboard.kpis(Filters())
    row = int(k.index[k["key"] == "funded"][0])
    at.session_state["dash:overview:kpis"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert "立项资助项目 · 明细" in texts(at)
    records = at.dataframe[-1].value
    assert len(records) == 76 and "承接组织" in records.columns
    # the headers are the declared labels: the schema's for a field (项目名称, not a bare 名称)
    assert list(records.columns) == list(dashboard.drill_columns("kpi_funding", {"key": "funded"}).values())
    assert label("title", of=Application) in records.columns
    assert sorted(records["编号"]) == sorted(r["id"] for r in db().fetch_all(
        "SELECT id FROM applications WHERE state = 'funded'"))


def test_the_screen_shows_a_write_on_its_next_run(demo_db):
    """What the fragment's refresh does: the next run after a write shows the new figure (no stale cache)."""
    from core.orgs import organisations
    from core.platform.actor import Actor
    from tests.test_schema_organisation import org_values, uscc_for

    at = _open("dashboard-overview")
    before = count("organisations", f"WHERE active AND hub_id = {DEFAULT_HUB}")  # the leader's hub's
    assert _metrics(at)["在册社会组织"] == f"{before} 家"
    organisations.create(org_values(name="下沙街道驾驶舱测试社", uscc=uscc_for("51", 777)), Actor("staff", ("staff",)))
    at.run()
    assert _metrics(at)["在册社会组织"] == f"{before + 1} 家"


def test_the_refresh_interval_comes_from_the_environment(demo_db, monkeypatch):
    monkeypatch.setenv(view.REFRESH_ENV, "2")
    at = _open("dashboard-overview")
    toggle = at.toggle(key="dash:overview:live")
    assert toggle.value is True and "每 2 秒" in toggle.label
    toggle.set_value(False).run()
    assert not at.exception and at.metric  # figures still shown, just not refreshed by themselves


def test_the_workbench_shows_the_registry_figures_under_their_declared_labels(demo_db):
    from core.dashboards import overview

    at = _open("workbench")
    assert not at.exception
    m = _metrics(at)
    label = overview.REGISTRY_LABELS
    assert m[label["active"]] == str(count("organisations", f"WHERE active AND hub_id = {DEFAULT_HUB}"))  # 下沙's
    assert m[label["incubated_ever"]] == str(count("organisations", "WHERE incubation_in IS NOT NULL"))
    assert m[label["communities_covered"]].endswith(f"/{count('communities', f'WHERE hub_id = {DEFAULT_HUB}')}")
    assert m[overview.rating_label("4A")] == str(overview.registry_figures()["ratings"].get("4A", 0))
    assert not set(overview.TODO_LABELS.values()) & set(m)  # a leader has no monitoring to-dos


# ---- 专题分析 --------------------------------------------------------------------------------------------------
VIEW_QUERIES = {"category_year": "category_year", "funnel": "funnel", "coverage": "community_coverage",
                "brands": "brand_matrix", "capability": "capability_trend", "risks": "risk_summary",
                "funding": "funding_sources"}


@pytest.mark.parametrize("name", list(view.VIEWS))
def test_each_chart_view(demo_db, name):
    at = _open("dashboard-charts", view=name)
    assert not at.exception
    assert [t.value for t in at.title] == ["专题分析"]
    assert at.radio(key="dash:view").value == name
    data = dashboard.run(VIEW_QUERIES[name], Filters())
    has_data = not data.empty and not (name == "funnel" and data["round"].isna().all())
    if has_data:
        assert _chart_count(at) >= 1
        labels = [b.label for b in at.get("download_button")]
        assert "导出PNG" in labels and "导出SVG" in labels and "导出Excel" in labels
        # the data table (last): the query's declared columns, their labels as headers, nothing in English
        assert list(at.dataframe[-1].value.columns) == list(dashboard.query(VIEW_QUERIES[name]).columns.values())
        for table in at.dataframe:
            assert all(any("\u4e00" <= ch <= "\u9fff" for ch in str(c)) for c in table.value.columns), name
    else:
        assert _chart_count(at) == 0 and at.info
    _no_write_widgets(at)


def test_funnel_view_shows_the_latest_round(demo_db):
    at = _open("dashboard-charts", view="funnel")
    latest = db().fetch_one("SELECT name FROM rounds ORDER BY year DESC, id DESC LIMIT 1")["name"]
    assert [s.value for s in at.subheader] == [f"{latest}:申报漏斗"]


def test_coverage_view_flags_communities(demo_db):
    at = _open("dashboard-charts", view="coverage")
    cov = dashboard.run("community_coverage", Filters(hubs=(DEFAULT_HUB,)))  # the screen's user's hub: 下沙's 21
    none = cov[cov["flag"] == dashboard.FLAG_NONE]["community"].tolist()
    warned = "\n".join(plain(w.value) for w in at.warning)
    if none:
        assert f"无服务社区({len(none)} 个)" in warned and none[0] in warned
    assert f"有服务记录的社区 {int((cov['activities'] > 0).sum())}/21 个" in texts(at).replace("*", "")


def test_a_chart_selection_lists_its_records(demo_db):
    at = _open("dashboard-charts", view="funnel")
    at.session_state["dash:funnel:chart"] = {"selection": {"pick": [{"state": "eligible"}]}}
    at.run()
    assert not at.exception
    assert "明细:到达「审查合格」的申报" in texts(at)
    expected = dashboard.drill("funnel", Filters(), {"state": "eligible"})
    shown = at.dataframe[0].value
    assert len(shown) == len(expected) > 0 and sorted(shown["编号"]) == sorted(expected["id"])


def test_a_category_year_selection_lists_the_funded_projects(demo_db):
    at = _open("dashboard-charts", view="category_year")
    row = db().fetch_one("SELECT r.year, a.category, count(*) AS n FROM applications a JOIN rounds r"
                         " ON r.id = a.round_id WHERE a.state = 'funded' GROUP BY ALL ORDER BY n DESC, 1, 2 LIMIT 1")
    at.session_state["dash:category_year:granted:chart"] = {
        "selection": {"pick": [{"year": row["year"], "category": row["category"]}]}}
    at.run()
    assert f"明细:{row['year']}年 {row['category']} 立项项目" in texts(at)
    assert len(at.dataframe[0].value) == row["n"]


# ---- 会议大屏 --------------------------------------------------------------------------------------------------
def test_meeting_mode_hides_the_sidebar_and_shows_one_view(demo_db):
    at = signed_in("leader", ["leader"]).run()
    at.session_state["dash:meeting:screens"] = ["funnel"]
    open_page(at, "dashboard-meeting")
    assert not at.exception
    assert [t.value for t in at.title] == ["申报漏斗"]
    assert _chart_count(at) == 1
    assert any("stSidebar" in str(h.proto) for h in at.get("html"))  # the meeting style hides the sidebar
    assert not at.get("download_button") and not at.dataframe  # a screen to look at, not to work on
    assert "第 1/1 屏" in texts(at)
    _no_write_widgets(at)


@pytest.mark.parametrize("screen", list(view.MEETING_SCREENS))
def test_every_meeting_screen_shows_one_chart_or_the_figures(demo_db, screen):
    at = signed_in("leader", ["leader"]).run()
    at.session_state["dash:meeting:screens"] = [screen]
    open_page(at, "dashboard-meeting")
    assert not at.exception
    assert [t.value for t in at.title] == [view.MEETING_SCREENS[screen][0]]
    if screen == "overview":
        assert len(at.metric) == len(dashboard.kpis(Filters())) and _chart_count(at) == 0
    else:
        assert _chart_count(at) <= 1  # one chart per screen (none when there is nothing to show)


def test_meeting_views_take_turns_on_the_clock():
    assert [view.meeting_slot(3, 20, now=t) for t in (0, 19.9, 20, 41, 60, 79)] == [0, 0, 1, 2, 0, 0]


def test_paused_meeting_mode_stays_on_its_view(demo_db):
    at = signed_in("leader", ["leader"]).run()
    at.session_state["dash:meeting:screens"] = ["overview", "funnel", "coverage"]
    at.session_state["dash:meeting:paused"] = True
    at.session_state["dash:meeting:slot"] = 2
    open_page(at, "dashboard-meeting")
    assert [t.value for t in at.title] == ["社区覆盖"]
    assert "已暂停轮播" in texts(at)


# ---- role isolation -------------------------------------------------------------------------------------------
WRITING = [p for p in navigation.PAGES if p.writes]


# 资源与需求 (issue 18): what leaders read of needs, bookings, volunteers and partners, without a form
RESOURCE_VIEWS = {"needs_track", "res_booking_calendar", "res_volunteers_read", "partner_overview", "res_dashboard"}
RESOURCE_VIEWS |= {"res_publicity_read"}  # 宣传概况 (issue 18)
RESOURCE_VIEWS |= {"res_beneficiaries_read"}  # 服务对象概况 (issue 18): counts only, never names
RESOURCE_VIEWS |= {"res_surveys_read"}  # 居民满意度概况 (issue 18)
RESOURCE_VIEWS |= {"inbox"}  # 消息 (issue 19): every account reads its own reminders (and picks its channels)
RESOURCE_VIEWS |= {"annual_report_read"}  # 年度成效报告 (issue 19): leaders download it, write nothing
# the writing screens a leader reaches: their own password and their own reminders' channels (row rules: own row only)
LEADER_OWN = {"account", "inbox"}


def test_the_only_writing_screens_a_leader_reaches_are_their_own_password_and_channels():
    leader = navigation.pages_for(["leader"])
    assert {p.key for p in leader if p.writes} == LEADER_OWN
    assert navigation.BY_KEY["account"].writes == ("user",)
    assert navigation.BY_KEY["inbox"].writes == ("notification_pref",)
    assert {p.key for p in leader} == {"home", "dash_overview", "dash_charts", "dash_meeting", "account", *RESOURCE_VIEWS}


def test_a_leader_session_cannot_open_any_writing_screen(demo_db):
    at = signed_in("leader", ["leader"]).run()
    urls = registered_urls(at)
    assert urls == {"", "my-password", *DASH_URLS, *(navigation.BY_KEY[k].url_path for k in RESOURCE_VIEWS)}
    for spec in WRITING:
        if spec.key in LEADER_OWN:
            continue
        assert spec.url_path not in urls
        open_page(at, spec.url_path)
        assert not at.exception, spec.key
        assert [t.value for t in at.title] == ["无权访问"], spec.key


@pytest.mark.parametrize("spec", [p for p in WRITING if p.key not in LEADER_OWN], ids=lambda p: p.key)
def test_every_writing_screen_refuses_a_leader_itself(demo_db, spec):
    data_rows = "WHERE table_name <> 'security_events'"  # the refusal itself is logged for the auditor
    before = count("audit_log", data_rows)
    at = screen_as("leader", ["leader"], spec.target).run()
    assert not at.exception
    assert any("无权" in plain(e.value) for e in at.error)
    assert not at.title and not at.get("form")
    assert count("audit_log", data_rows) == before
    assert count("security_events", "WHERE kind = 'access_refused' AND username = 'leader'") == 1


def test_the_write_path_refuses_a_leader_for_every_entity(db):
    from core.platform import records
    from core.platform.errors import PermissionDenied
    from core.registry import all_entities
    from tests.test_rounds import LEADER

    from core.platform.entities import may

    # row rules let every account start its own session (tests/test_permissions.py holds it to that) and set its own
    # reminders' channels (tests/test_notify.py)
    assert {e.name for e in all_entities() if may(LEADER, e, "create")} == {"user_session", "notification_pref"}
    assert not [e.name for e in all_entities() if may(LEADER, e, "delete")]
    for entity in all_entities():
        if entity.name not in ("user_session", "notification_pref"):
            with pytest.raises(PermissionDenied):
                records.create(entity, {}, LEADER)
        with pytest.raises(PermissionDenied):
            records.delete(entity, 1, LEADER)
    # the one exception is their own password, on their own account (users.change_own_password)
    from core.platform.users import USER

    assert set(USER.owner_may_set) == {"password_hash", "updated_at"}


def test_dashboards_write_nothing(demo_db):
    before = count("audit_log")
    at = _open("dashboard-overview")
    open_page(at, "dashboard-charts")
    for name in view.VIEWS:
        at.radio(key="dash:view").set_value(name).run()
        assert not at.exception, name
        assert _chart_count(at) >= 1, name
    open_page(at, "dashboard-meeting")
    assert count("audit_log") == before


def test_every_screen_works_on_an_empty_database(isolated):
    """A new database without demo data: zeros and short notes, no errors."""
    at = signed_in("admin", ["admin"]).run()
    open_page(at, "dashboard-overview")
    assert not at.exception
    assert _metrics(at)["立项资助项目"] == "0 个" and _metrics(at)["服务覆盖社区"] == "0/21"
    open_page(at, "dashboard-charts")
    for name in view.VIEWS:
        at.radio(key="dash:view").set_value(name).run()
        assert not at.exception, name
    assert at.info  # 资金来源: nothing signed yet
    at.session_state["dash:meeting:screens"] = list(view.MEETING_SCREENS)
    open_page(at, "dashboard-meeting")
    assert not at.exception

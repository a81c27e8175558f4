"""AppTest: 资源与需求总览 (pages/res_dashboard.py) as a leader — the sections with their headline tiles, the
tables headed by the declared labels and holding the core queries' rows, a chart selection opening the records
behind it, the community and year filters from the URL, a backwards range refused in Chinese; no widget that
writes, nothing written; a reviewer is refused."""
from __future__ import annotations

import datetime as dt

import pytest

from bench.screens import flags
from core.dashboards import resources as res
from core.dashboards.dashboard import Filters
from core.ui.text import md
from tests.apptest_helpers import count, errors, open_page, signed_in

XIASHA = (1,)  # the leader's hub (下沙, the demo's default hub): what the screen counts

URL = "resources-dashboard"
TABS = ["资源", "合作伙伴", "需求", "志愿者", "满意度", "宣传"]
TODAY = dt.date.today()
WRITTEN = "WHERE table_name NOT IN ('security_events', 'user_sessions')"  # sign-in and refusals are logged


@pytest.fixture
def loaded(demo_db):
    assert count("bookings") and count("partner_contributions") and count("volunteer_services")
    return demo_db


def _open(tab: str | None = None, user: str = "leader", roles=("leader",), **query):
    at = signed_in(user, list(roles)).run()
    if tab:
        at.query_params["tab"] = tab
    for k, v in query.items():
        at.query_params[k] = v
    return open_page(at, URL)


def _tables(at) -> list:
    """The section's tables (the 指标明细 of the headline figures, above every section, left out)."""
    return [d for d in at.dataframe if list(d.value.columns) != list(res.HEADLINE_COLUMNS.values())]


def _headers(at) -> list[list[str]]:
    return [list(d.value.columns) for d in _tables(at)]


def test_a_leader_reads_every_section_and_no_widget_writes(loaded):
    before = count("audit_log", WRITTEN)
    at = _open()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["资源与需求总览"]
    assert [t.label for t in at.tabs] == TABS
    tiles = {m.label: m.value for m in at.metric}
    h = res.headline(Filters(today=TODAY, hubs=XIASHA))
    assert tiles["场地数(个)"] == f"{h['venues']}" and tiles["服务志愿者(人)"] == f"{h['volunteers']:,}"
    assert tiles["伙伴资金(万元)"] == f"{h['money'] / 10000:,.2f}"
    assert h["hours"] >= 1000 and "," in tiles["服务时长(小时)"]  # thousands separated (the demo's hours run to thousands)
    for tab in TABS:
        at = _open(tab)
        assert not at.exception, (tab, at.exception)
        f = flags(at, ignore=("leader",))
        assert not f["english"] and not f["none"], (tab, f)
        # no form, no button but signing out, no field to type in: the screen only reads
        assert not [b for b in at.button if b.key != "logout_btn"], tab
        for kind in ("text_input", "text_area", "number_input", "date_input", "multiselect", "checkbox"):
            assert not list(getattr(at, kind)), (tab, kind)
        assert [s.label for s in at.selectbox] == ["起始年份", "结束年份", "社区"]
        assert [t.label for t in at.toggle] == ["自动刷新(每 30 秒)"]
    assert count("audit_log", WRITTEN) == before


def test_the_tables_are_the_core_figures_under_their_declared_labels(loaded):
    f = Filters(today=TODAY, hubs=XIASHA)
    at = _open("资源")
    assert _headers(at)[:2] == [list(res.VENUE_COLUMNS.values()), list(res.COMMUNITY_USE_COLUMNS.values())]
    assert len(_tables(at)[0].value) == len(res.run("res_venue_use", f))
    idle = res.run("res_venue_use", f).query("flag == '闲置'")["name"].tolist()
    if idle:
        assert all(name in at.warning[0].value for name in idle)
    at = _open("合作伙伴")
    assert _headers(at) == [list(res.KIND_COLUMNS.values()), list(res.SOURCE_COLUMNS.values()),
                            list(res.SHARE_COLUMNS.values()), list(res.CONTINUITY_YEAR_COLUMNS.values())]
    shown = _tables(at)[2].value
    money = res.run("res_non_gov", f)
    assert len(shown) == len(money)
    assert all("," in str(v) for v in shown["资金合计(元)"] if float(str(v).replace(",", "")) >= 1000)  # thousands
    at = _open("需求")
    needs = _tables(at)[0].value
    assert list(needs.columns) == list(res.NEEDS_COLUMNS.values())
    assert needs["需求总数"].astype(int).sum() == count("community_needs", "WHERE hub_id = 1")
    at = _open("志愿者")
    assert [list(h) for h in _headers(at)] == [
        list(res.VOLUNTEER_COLUMNS.pick("year", "volunteers", "activities", "hours").values()),
        list(res.VOLUNTEER_COLUMNS.pick("org", "volunteers", "activities", "hours").values()),
        list(res.VOLUNTEER_COLUMNS.pick("agreement_no", "project", "volunteers", "activities", "hours").values())]
    at = _open("满意度")
    assert _headers(at) == [list(res.SATISFACTION_COLUMNS.values())]
    assert len(_tables(at)[0].value) == len(res.run("res_satisfaction", f))
    at = _open("宣传")
    assert _headers(at) == [list(res.PUBLICITY_COLUMNS.values())]
    brand = res.run("res_publicity", f).sort_values("media").iloc[-1]
    at.session_state["res-dash:宣传:brand:chart"] = {"selection": {"pick": [{"brand_id": int(brand["brand_id"]),
                                                                              "measure": "media"}]}}
    at.run()
    assert f"**明细:{brand['brand']} 的媒体报道**({brand['media']} 条)" in [m.value for m in at.markdown]
    assert list(_tables(at)[0].value.columns) == list(res.PUBLICITY_DRILL_COLUMNS.values())


def test_a_chart_selection_lists_the_records_behind_it(loaded):
    f = Filters(today=TODAY, hubs=XIASHA)
    venue = res.run("res_venue_use", f).sort_values("bookings").iloc[-1]
    at = _open("资源")
    at.session_state["res-dash:资源:venues:chart"] = {"selection": {"pick": [{"venue_id": int(venue["venue_id"])}]}}
    at.run()
    assert not at.exception, at.exception
    assert f"**明细:{venue['name']} 的已批准预约**({venue['bookings']} 条)" in [m.value for m in at.markdown]
    records = _tables(at)[0].value
    assert list(records.columns) == list(res.BOOKING_DRILL_COLUMNS.values())
    assert set(records["场地/设备"]) == {venue["name"]} and len(records) == venue["bookings"]
    assert records["预约时长(小时)"].astype(float).sum() == pytest.approx(venue["booked_hours"], abs=0.05)

    year = int(res.run("res_continuity", Filters(year_from=2015, today=TODAY))["year"].max())
    at = _open("合作伙伴", **{"from": "2019"})
    at.session_state["res-dash:合作伙伴:continuity:chart"] = {"selection": {"pick": [{"year": year, "cls": "repeated"}]}}
    at.run()
    assert not at.exception, at.exception
    heads = [m.value for m in at.markdown if m.value.startswith("**明细:")]
    assert heads and heads[0].startswith(f"**明细:{year}年 多次合作伙伴的贡献**")
    assert list(_tables(at)[3].value.columns) == list(res.CONTRIBUTION_DRILL_COLUMNS.values())


def test_the_filters_from_the_url_narrow_the_figures_and_a_backwards_range_is_refused(loaded):
    community = res.run("res_venue_use", Filters(today=TODAY, hubs=XIASHA))["community"].iloc[0]
    at = _open("资源", community=community)
    assert not at.exception, at.exception
    assert set(_tables(at)[0].value["所属社区"]) == {community}
    at = _open("合作伙伴", **{"from": "2023", "to": "2024"})
    assert set(_tables(at)[0].value["年度"].astype(int)) <= {2023, 2024}
    at = _open("资源", **{"from": "2025", "to": "2020"})
    assert not at.exception
    assert "起始年份不能晚于结束年份" in errors(at)
    assert not at.dataframe and not at.metric


def test_a_reviewer_is_refused(loaded):
    at = _open(user="expert", roles=("reviewer",))
    assert [t.value for t in at.title] == ["无权访问"]
    assert not at.dataframe


def test_a_window_or_community_without_records_says_so_in_chinese(loaded):
    empty_community = loaded.scalar("SELECT name FROM communities WHERE name NOT IN (SELECT community FROM venues)"
                                    " AND hub_id = 1 ORDER BY sort_order LIMIT 1")
    for tab in TABS:
        for query in ({"community": empty_community}, {"from": "2019", "to": "2019"}):
            at = _open(tab, **query)
            assert not at.exception, (tab, query, at.exception)
            f = flags(at, ignore=("leader",))
            assert not f["english"] and not f["none"], (tab, query, f)
    at = _open("资源", community=empty_community)
    assert "所选社区还没有登记场地。" in [i.value for i in at.info]
    at = _open("志愿者", **{"from": "2019", "to": "2019"})
    assert "所选范围内没有志愿服务记录。" in [i.value for i in at.info]


def test_selecting_a_headline_figure_lists_the_records_behind_it(loaded):
    f = Filters(today=TODAY, hubs=XIASHA)
    h = res.headline(f)
    at = _open("需求")
    keys = list(res.HEADLINE)
    at.session_state["res-dash:需求:kpis"] = {"selection": {"rows": [keys.index("needs_unanswered")], "columns": []}}
    at.run()
    assert not at.exception, at.exception
    assert f"**{md(res.HEADLINE['needs_unanswered'][1])} · 明细**({h['needs_unanswered']:,} 条)" in \
        [m.value for m in at.markdown]
    (records,) = [d.value for d in at.dataframe if list(d.value.columns) == list(res.NEED_DRILL_COLUMNS.values())]
    assert len(records) == h["needs_unanswered"] and "已满足" not in set(records["状态"])

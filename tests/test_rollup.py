"""Roll-up dashboards (issue 20) on the demo network: a district leader's figures are the sums of its street hubs'
(qt_leader of 钱塘区 = 下沙 + 白杨), a street's staff see their own hub only (by_staff of 白杨: none of 下沙's records
in any figure or drill-down, the records without a hub yet left out), 各枢纽对比's rows match the per-hub counts
computed here in SQL, and the screens give the 枢纽 filter and 各枢纽对比 to a district's users only."""
from __future__ import annotations

import pytest

from core.dashboards import dashboard, overview
from core.dashboards import resources as res
from core.dashboards.dashboard import Filters, FiltersRefused
from core.demo import hubs as demo_hubs
from core.orgs import hubs
from core.platform.actor import DEFAULT_HUB, SYSTEM
from tests.apptest_helpers import open_page, plain_texts, signed_in
from tests.test_dashboard import TODAY, data  # noqa: F401 - test_dashboard's dataset, a fixture

# a selection of each query's drill-down that the demo data has (read from the database where it varies)
SELECTIONS = {"kpi_organisations": [{"key": k} for k in ("registered", "incubated_ever", "incubating", "brought_in")],
              "kpi_funding": [{"key": k} for k in ("funded", "granted", "signed", "disbursed")],
              "kpi_service": [{"key": k} for k in ("activities", "person_times", "communities_covered")],
              "kpi_trainings": [{"key": "trainings"}], "kpi_ratings": [{"key": "4A"}, {"key": "3A"}],
              "category_year": [{}], "funnel": [{"state": "submitted"}], "community_coverage": [{"community": "文海社区"}],
              "brand_matrix": [{"brand": "青葵伙伴"}, {"brand": "青葵伙伴", "key": "publicity"}],
              "capability_trend": [], "risk_summary": [{}], "risk_counts": [{}], "funding_sources": [{}]}


def _hub_ids(db) -> dict[str, int]:
    return {r["name"]: int(r["id"]) for r in db.fetch_all("SELECT id, name FROM hubs")}


def _scope(username: str, role: str, db) -> tuple[int, ...]:
    return hubs.actor_for(username, (role,), db).hubs


def _values(f: Filters, db) -> dict[str, tuple[float, float | None]]:
    return {r.key: (r.value, r.previous) for r in dashboard.kpis(f, db).itertuples()}


def _selections(db) -> dict[str, list[dict]]:
    period = db.scalar("SELECT period FROM assessments ORDER BY assessed_on DESC LIMIT 1")
    return {**SELECTIONS, "capability_trend": [{"period": period}]}


def test_every_hub_scoped_query_runs_on_both_engines(data):  # noqa: F811 - the fixture imported above
    """test_dashboard's small dataset (every organisation of hub 1; runs on PostgreSQL too): scoped to hub 1 every
    figure is the unscoped one, scoped to a hub without records every record-based figure is empty."""
    from core.platform.db import get_db

    db = get_db()
    hubs.ensure_default(db)
    other = hubs.create({"name": "测试街道社会组织服务中心", "level": "街道"}, SYSTEM, db=db)
    today = TODAY
    assert _values(Filters(hubs=(DEFAULT_HUB,), today=today), db) == _values(Filters(today=today), db)
    empty = Filters(hubs=(other,), today=today)
    assert not any(v for v, _ in _values(empty, db).values())
    for name, q in dashboard.QUERIES.items():
        dashboard.run(name, empty, db)
        for sel in SELECTIONS[name][:1] or [{"period": "2025上半年"}]:
            assert dashboard.drill(name, empty, sel, db).empty or name == "kpi_service", name
    rows = dashboard.comparison(Filters(hubs=(DEFAULT_HUB, other), today=today), db)
    assert list(rows["hub"]) == ["本中心", "测试街道"] and rows["funded"].tolist() == [3, 0]


def test_a_district_leader_sees_the_sum_of_its_streets(demo_db):
    db = demo_db
    ids = _hub_ids(db)
    baiyang = ids[demo_hubs.BAIYANG]
    scope = _scope("qt_leader", "leader", db)
    assert {DEFAULT_HUB, baiyang, ids[demo_hubs.QIANTANG]} == set(scope)
    every = _values(Filters(hubs=scope), db)
    xiasha = _values(Filters(hubs=dashboard.hub_filters(scope, DEFAULT_HUB, db), hub=DEFAULT_HUB), db)
    by = _values(Filters(hubs=dashboard.hub_filters(scope, baiyang, db), hub=baiyang), db)
    qt = ids[demo_hubs.QIANTANG]
    own = _values(Filters(hubs=(qt,), hub=qt), db)  # the district's own records: the training it organised
    assert own["trainings"][0] == 1
    for key, (value, previous) in every.items():
        assert value == pytest.approx(xiasha[key][0] + by[key][0] + own[key][0]), key
        assert (previous or 0) == pytest.approx((xiasha[key][1] or 0) + (by[key][1] or 0) + (own[key][1] or 0)), key
    active = "SELECT count(*) FROM organisations WHERE active AND hub_id = ?"
    assert by["registered"][0] == db.scalar(active, [baiyang]) == demo_hubs.ORGS_PER_STREET
    assert xiasha["registered"][0] == db.scalar(active, [DEFAULT_HUB]) > 0
    assert xiasha["funded"][0] > 0 and xiasha["trainings"][0] > 0  # 下沙 holds the case study's records
    # every district's hub sees its streets, the city every hub; a hub outside the scope is refused in Chinese
    assert set(dashboard.hub_filters(_scope("hz_admin", "admin", db), ids[demo_hubs.QIANTANG], db)) == set(scope)
    with pytest.raises(FiltersRefused, match="查看范围"):
        dashboard.hub_filters(scope, ids["西溪街道社会组织服务中心"], db)
    # the headline table and the workbench's registry figures count the same hubs
    assert overview.registry_figures(db, hubs=scope)["active"] == every["registered"][0] \
        == db.scalar("SELECT count(*) FROM organisations WHERE active AND hub_id IN (?, ?)", [DEFAULT_HUB, baiyang])


def test_a_street_user_sees_its_own_hub_only_in_every_figure_and_drill_down(demo_db):
    db = demo_db
    baiyang = _hub_ids(db)[demo_hubs.BAIYANG]
    scope = _scope("by_staff", "staff", db)
    assert scope == (baiyang,)
    f = Filters(hubs=scope)
    mine = {int(r["id"]) for r in db.fetch_all("SELECT id FROM organisations WHERE hub_id = ?", [baiyang])}
    theirs = {r["name"] for r in db.fetch_all("SELECT name FROM organisations WHERE hub_id <> ?", [baiyang])}
    k = _values(f, db)
    assert k.pop("registered")[0] == len(mine)
    assert {key: v for key, (v, _) in k.items() if v} == {}  # 白杨 has no application, project, training or rating
    xiasha = Filters(hubs=(DEFAULT_HUB,))
    shown_for_xiasha = 0
    for name, selections in _selections(db).items():
        for sel in selections:
            records = dashboard.drill(name, f, sel, db)
            if name == "kpi_organisations":
                assert set(records["id"].astype(int)) <= mine, (name, sel)
            elif name != "kpi_service" or sel["key"] != "communities_covered":
                assert records.empty, (name, sel, records.head(3))
            for column in ("org", "name"):
                if column in records:
                    assert not set(records[column]) & theirs, (name, sel)
            shown_for_xiasha += len(dashboard.drill(name, xiasha, sel, db))
    cov = dashboard.drill("kpi_service", f, {"key": "communities_covered"}, db)
    assert cov.empty
    assert shown_for_xiasha > 100  # the same selections list 下沙's records: the test can fail
    for name, q in dashboard.QUERIES.items():
        if q.kind == "chart" and name not in ("community_coverage", "funnel", "risk_summary"):
            assert dashboard.run(name, f, db).empty, name
    cov = dashboard.run("community_coverage", f, db)
    assert cov[["projects", "activities"]].sum().sum() == 0 and cov["organisations"].sum() == db.scalar(
        "SELECT count(*) FROM organisations o JOIN communities c ON c.name = o.community WHERE o.active AND o.hub_id = ?",
        [baiyang])  # its own organisations only
    # the resources (027, 029): 白杨 counts its own venues and needs (the demo's few), none of 下沙's
    own_venues = {int(r["id"]) for r in db.fetch_all("SELECT id FROM venues WHERE hub_id = ?", [baiyang])}
    assert own_venues and set(res.run("res_venue_use", f, db)["venue_id"]) == own_venues
    assert set(res.headline_drill("needs_total", f, db)["id"]) == {
        int(r["id"]) for r in db.fetch_all("SELECT id FROM community_needs WHERE hub_id = ?", [baiyang])}
    for name in ("res_by_kind", "res_non_gov", "res_continuity", "res_satisfaction"):
        assert res.run(name, f, db).empty, name
    assert res.headline(f, db)["volunteers"] == 0 and res.headline(f, db)["money"] == 0
    assert res.headline(xiasha, db)["venues"] > len(own_venues) == res.headline(f, db)["venues"]
    # 各枢纽对比 of a street: its own row
    rows = dashboard.comparison(f, db)
    assert list(rows["hub_id"]) == [baiyang] and rows["registered"].iloc[0] == len(mine)


def test_a_hub_scoped_query_reads_only_tables_its_cache_watches(demo_db):
    """With hubs, the hub predicate reads ``organisations``: the cache must watch it (else a stale figure)."""
    import duckdb

    db = demo_db
    f = Filters(hubs=_scope("qt_leader", "leader", db)).resolved()
    selections = _selections(db)
    seen: dict[str, set[str]] = {}
    current = [""]
    original = db.fetch_df, db.fetch_all, db.fetch_one, db.scalar

    def spy(fn):
        def wrapped(sql, params=None):
            seen.setdefault(current[0], set()).update(duckdb.get_table_names(sql.replace("?", "NULL")))
            return fn(sql, params)
        return wrapped

    db.fetch_df, db.fetch_all, db.fetch_one, db.scalar = (spy(fn) for fn in original)
    try:
        for name, q in dashboard.QUERIES.items():
            current[0] = name
            q.fn(f, db)
            for sel in selections[name][:1]:
                current[0] = f"drill:{name}"
                q.drill(f, sel, db, 10)
        current[0] = "comparison"
        dashboard.HUB_QUERY.fn(f, db)
    finally:
        db.fetch_df, db.fetch_all, db.fetch_one, db.scalar = original
    for name, q in dashboard.QUERIES.items():
        assert seen[name] <= set(dashboard._tables(q.tables, f)), name
        assert seen.get(f"drill:{name}", set()) <= set(dashboard._tables(q.drill_tables, f)), name
    assert seen["comparison"] <= set(dashboard.HUB_QUERY.tables)


def test_the_hub_comparison_matches_per_hub_counts(demo_db):
    db = demo_db
    scope = _scope("hz_admin", "admin", db)
    rows = dashboard.comparison(Filters(hubs=scope), db)
    streets = {int(r["id"]) for r in db.fetch_all("SELECT id FROM hubs WHERE level = '街道'")}
    assert set(rows["hub_id"]) == streets and len(rows) == 5
    names = dashboard.hub_labels(db)
    runs = [d for i, d in enumerate(rows["district"]) if i == 0 or rows["district"].iloc[i - 1] != d]
    assert len(runs) == len(set(runs)) == 3  # each district's streets together, under it
    assert rows.set_index("hub")["district"]["下沙街道"] == rows.set_index("hub")["district"]["白杨街道"] == "钱塘区"
    for r in rows.itertuples():
        assert r.hub == names[r.hub_id]
        assert r.registered == db.scalar("SELECT count(*) FROM organisations WHERE active AND hub_id = ?"
                                         " AND coalesce(reg_date, CAST(created_at AS DATE)) <= current_date", [r.hub_id])
        app = db.fetch_one(
            "SELECT count(*) FILTER (WHERE a.state <> 'draft') AS applied, count(*) FILTER (WHERE a.state = 'funded')"
            " AS funded, coalesce(sum(a.granted_amount) FILTER (WHERE a.state = 'funded'), 0) AS granted"
            " FROM applications a JOIN organisations o ON o.id = a.org_id JOIN rounds r ON r.id = a.round_id"
            " WHERE o.hub_id = ? AND r.year <= year(current_date)", [r.hub_id])
        act = db.fetch_one(
            "SELECT count(*) AS n, coalesce(sum(x.person_times), 0) AS pt FROM activities x"
            " JOIN projects p ON p.id = x.project_id JOIN applications a ON a.id = p.application_id"
            " JOIN organisations o ON o.id = a.org_id WHERE o.hub_id = ? AND year(x.activity_date) <= year(current_date)",
            [r.hub_id])
        assert (r.applied, r.funded, r.activities, r.person_times) == (app["applied"], app["funded"], act["n"],
                                                                         act["pt"]), r.hub
        assert r.granted == pytest.approx(float(app["granted"])), r.hub
    xs = rows.set_index("hub").loc["下沙街道"]
    assert xs["funded"] > 0 and xs["activities"] > 0
    # a district's rows add up to its leader's figures
    qt = _values(Filters(hubs=_scope("qt_leader", "leader", db)), db)
    mine = rows[rows["district"] == "钱塘区"]
    assert mine["funded"].sum() == qt["funded"][0] and mine["person_times"].sum() == qt["person_times"][0]


def test_the_hub_filter_and_the_comparison_are_a_district_users(demo_db):
    at = signed_in("qt_leader", ["leader"]).run()
    at.query_params["view"] = "hubs"
    open_page(at, "dashboard-charts")
    assert not at.exception
    assert at.radio(key="dash:view").value == "hubs"
    hub = at.selectbox(key="dash:f:hub")
    assert hub.label == "枢纽" and hub.options[0] == "全部枢纽" and len(hub.options) == 4  # 全部, 钱塘区, 下沙, 白杨
    table = at.dataframe[0].value
    assert list(table.columns[:4]) == ["所属区", "枢纽", "登记组织", "申报"]
    assert list(table["枢纽"]) == ["下沙街道", "白杨街道"] and set(table["所属区"]) == {"钱塘区"}
    # 资助金额 a number as the counts are (drawn right-aligned with thousands separators), not left-aligned text
    assert table["资助金额(元)"].dtype.kind == "f" and table["资助金额(元)"].iloc[0] > 3_000_000
    assert table["登记组织"].dtype.kind in "iu" or str(table["登记组织"].dtype) == "Int64"
    assert "None" not in plain_texts(at) and "nan" not in plain_texts(at)
    meeting = signed_in("qt_leader", ["leader"]).run()
    meeting.session_state["dash:meeting:screens"] = ["hubs"]  # the district's meeting room: the streets side by side
    open_page(meeting, "dashboard-meeting")
    assert not meeting.exception and [t.value for t in meeting.title] == ["各枢纽对比"]
    assert list(meeting.dataframe[0].value["枢纽"]) == ["下沙街道", "白杨街道"]
    street = signed_in("by_staff", ["staff"]).run()
    open_page(street, "dashboard-overview")
    assert not street.exception
    assert not [s for s in street.selectbox if s.label == "枢纽"]
    assert {m.label: m.value for m in street.metric}["在册社会组织"] == f"{demo_hubs.ORGS_PER_STREET} 家"
    shown = plain_texts(street) + "".join(df.value.to_string() for df in street.dataframe)
    assert "None" not in shown and "nan" not in shown and "尚未按枢纽登记" not in shown  # every figure has its hub
    street.query_params["view"] = "hubs"
    open_page(street, "dashboard-charts")
    assert street.radio(key="dash:view").value != "hubs" and "各枢纽对比" not in street.radio(key="dash:view").options

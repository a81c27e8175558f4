"""领导驾驶舱: every dashboard query against a small hand-built dataset with exact expected numbers, the
time window (flows in the window, stocks at its end, the previous year for the change), each filter,
the drill-downs behind KPIs and chart selections, the headline table, and the charts' export.

The dataset is written straight into the tables (a fixture, not the app's write path) so each figure
below can be worked out by hand from the rows here.
"""
from __future__ import annotations

import datetime as dt

import pytest

from core.dashboards import dashboard
from core.dashboards.dashboard import DrillRefused, Filters, FiltersRefused

D = dt.date
TODAY = D(2026, 6, 30)
ALL = Filters(today=TODAY)  # window: everything up to 2026; stocks at 2026-06-30, previous at 2025-12-31


def _insert(tx, table: str, rows: list[dict]) -> list[int]:
    ids = []
    for row in rows:
        cols = list(row)
        cur = tx.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"
                         " RETURNING id", [row[c] for c in cols])
        ids.append(cur.fetchone()[0])
    tx.touch(table)
    return ids


def _project(app_id: int, no: str, granted: float, communities: list[str], brand_id, state: str, start: dt.date,
             end: dt.date, **extra) -> dict:
    return {"application_id": app_id, "agreement_no": no, "agreement_date": start, "granted_amount": granted,
            "start_date": start, "end_date": end, "planned_activities": 20, "planned_person_times": 400,
            "communities": communities, "brand_id": brand_id, "midterm_due": start + dt.timedelta(days=150),
            "final_due": end + dt.timedelta(days=30), "state": state, **extra}


@pytest.fixture
def data(db):
    """Five organisations, two rounds, six applications (three funded), three projects, tranches,
    five activities, three trainings, assessments, brands with service points."""
    ids: dict[str, int] = {}
    with db.transaction() as tx:
        orgs = _insert(tx, "organisations", [
            {"name": "甲", "kind": "社会服务机构", "community": "文海社区", "reg_date": D(2019, 3, 1),
             "incubation_in": D(2019, 5, 1), "incubation_out": D(2021, 5, 1), "brought_in_on": D(2019, 5, 1),
             "rating": "4A", "rating_date": D(2026, 3, 1), "rating_expiry": D(2031, 3, 1), "active": True},
            {"name": "乙", "kind": "社区社会组织(备案)", "community": "高沙社区", "reg_date": D(2024, 2, 1),
             "incubation_in": D(2025, 4, 1), "active": True},
            {"name": "丙", "kind": "社区社会组织(备案)", "community": "文海社区", "reg_date": D(2026, 1, 15),
             "incubation_in": D(2026, 2, 1), "active": True},
            {"name": "丁", "kind": "社会团体", "community": "下沙社区", "reg_date": D(2018, 1, 1),
             "incubation_in": D(2018, 8, 1), "incubation_out": D(2019, 8, 1), "rating": "3A",
             "rating_date": D(2022, 6, 1), "rating_expiry": D(2027, 6, 1), "active": False},
            {"name": "戊", "kind": "社会团体", "community": "高沙社区", "reg_date": D(2015, 5, 5),
             "brought_in_on": D(2025, 9, 1), "rating": "2A", "rating_date": D(2021, 7, 1),
             "rating_expiry": D(2026, 7, 1), "active": True},
        ])
        ids.update(zip(("A", "B", "C", "D", "E"), orgs))
        # 甲's history: 3A (2021-01-10, valid until 2026-01-10), then 4A (2026-03-01)
        _insert(tx, "ratings", [
            {"org_id": ids["A"], "level": "3A", "score": 760, "rated_on": D(2021, 1, 10), "expires_on": D(2026, 1, 10)},
            {"org_id": ids["A"], "level": "4A", "score": 820, "rated_on": D(2026, 3, 1), "expires_on": D(2031, 3, 1)},
        ])
        common = {"total_budget": 500000, "project_ceiling": 80000, "categories": ["一老一小", "社区治理", "文化建设"],
                  "checklist": ["登记/备案有效"]}
        rounds = []
        for year in (2025, 2026):
            rounds += _insert(tx, "rounds", [{
                "year": year, "name": f"{year}年创投", **common, "apply_start": D(year, 3, 1), "apply_end": D(year, 3, 31),
                "screening_end": D(year, 4, 10), "review_start": D(year, 4, 11), "review_end": D(year, 4, 30),
                "notice_start": D(year, 5, 5), "notice_end": D(year, 5, 12), "project_start": D(year, 6, 1),
                "project_end": D(year + 1, 3, 31)}])
        ids["R2025"], ids["R2026"] = rounds
        apps = _insert(tx, "applications", [
            {"round_id": ids["R2025"], "org_id": ids["A"], "state": "funded", "category": "一老一小", "title": "a1",
             "granted_amount": 40000, "communities": ["文海社区"]},
            {"round_id": ids["R2025"], "org_id": ids["B"], "state": "funded", "category": "社区治理", "title": "a2",
             "granted_amount": 25000.50, "communities": ["高沙社区", "文海社区"]},
            {"round_id": ids["R2025"], "org_id": ids["E"], "state": "rejected", "category": "一老一小", "title": "a3",
             "communities": ["高沙社区"]},
            {"round_id": ids["R2026"], "org_id": ids["C"], "state": "funded", "category": "一老一小", "title": "a4",
             "granted_amount": 30000, "communities": ["下沙社区"]},
            {"round_id": ids["R2026"], "org_id": ids["B"], "state": "under_review", "category": "社区治理",
             "title": "a5", "communities": ["高沙社区"]},
            {"round_id": ids["R2026"], "org_id": ids["E"], "state": "ineligible", "category": "文化建设",
             "title": "a6", "communities": ["高沙社区"]},
        ])
        ids.update(zip(("a1", "a2", "a3", "a4", "a5", "a6"), apps))
        events = []
        for app, states in (("a4", ("submitted", "screening", "eligible", "under_review", "reviewed", "recommended",
                                    "public_notice", "funded")),
                            ("a5", ("submitted", "screening", "eligible", "under_review")),
                            ("a6", ("submitted", "screening", "ineligible"))):
            prev = "draft"
            for s in states:
                events.append({"application_id": ids[app], "from_state": prev, "to_state": s})
                prev = s
        _insert(tx, "application_events", events)
        brands = _insert(tx, "brands", [{"name": "1516便民服务", "tier": "核心品牌"},
                                        {"name": "青葵伙伴", "tier": "特色品牌"},
                                        {"name": "邻里书房", "tier": "特色品牌"}])
        ids.update(zip(("b1", "b2", "b3"), brands))
        _insert(tx, "service_points", [
            {"brand_id": ids["b1"], "community": "文海社区", "name": "文海一站"},
            {"brand_id": ids["b1"], "community": "文海社区", "name": "文海二站"},
            {"brand_id": ids["b1"], "community": "高沙社区", "name": "高沙站"},
            {"brand_id": ids["b2"], "community": "下沙社区", "name": "下沙站"},
        ])
        projects = _insert(tx, "projects", [
            _project(ids["a1"], "XS-2025-01", 40000, ["文海社区"], ids["b1"], "closed", D(2025, 6, 1), D(2026, 3, 31),
                     funds_self=5000, funds_enterprise=3000, funds_donation=2000),
            _project(ids["a2"], "XS-2025-02", 25000.50, ["高沙社区", "文海社区"], ids["b2"], "closed", D(2025, 6, 1),
                     D(2026, 3, 31)),
            _project(ids["a4"], "XS-2026-01", 30000, ["下沙社区"], None, "active", D(2026, 5, 1), D(2027, 2, 28),
                     funds_self=10000),
        ])
        ids.update(zip(("p1", "p2", "p3"), projects))
        _insert(tx, "tranches", [
            {"project_id": ids["p1"], "seq": 1, "share": 50, "amount": 20000, "gate": "signing", "status": "released",
             "released_on": D(2025, 7, 1), "released_amount": 20000},
            {"project_id": ids["p1"], "seq": 2, "share": 30, "amount": 12000, "gate": "midterm", "status": "released",
             "released_on": D(2026, 2, 1), "released_amount": 12000},
            {"project_id": ids["p1"], "seq": 3, "share": 20, "amount": 8000, "gate": "final", "status": "planned"},
            {"project_id": ids["p2"], "seq": 1, "share": 50, "amount": 12500.25, "gate": "signing",
             "status": "released", "released_on": D(2025, 8, 1), "released_amount": 12500.25},
            {"project_id": ids["p3"], "seq": 1, "share": 50, "amount": 15000, "gate": "signing", "status": "released",
             "released_on": D(2026, 5, 1), "released_amount": 15000},
        ])
        acts = _insert(tx, "activities", [
            {"project_id": ids["p1"], "activity_date": D(2025, 9, 10), "community": "文海社区", "kind": "服务",
             "title": "x1", "participants": 30, "person_times": 30},
            {"project_id": ids["p1"], "activity_date": D(2026, 3, 5), "community": "文海社区", "kind": "服务",
             "title": "x2", "participants": 20, "person_times": 50},
            {"project_id": ids["p2"], "activity_date": D(2025, 10, 1), "community": "高沙社区", "kind": "服务",
             "title": "x3", "participants": 20, "person_times": 20},
            {"project_id": ids["p2"], "activity_date": D(2026, 4, 1), "community": "文海社区", "kind": "服务",
             "title": "x4", "participants": 10, "person_times": 10},
            {"project_id": ids["p3"], "activity_date": D(2026, 5, 20), "community": "下沙社区", "kind": "服务",
             "title": "x5", "participants": 60, "person_times": 100},
        ])
        ids.update(zip(("x1", "x2", "x3", "x4", "x5"), acts))
        trainings = _insert(tx, "trainings", [
            {"title": "t1", "kind": "线下培训", "topic": "财税管理", "training_date": D(2025, 4, 1)},
            {"title": "t2", "kind": "线下培训", "topic": "项目设计", "training_date": D(2026, 3, 1)},
            {"title": "t3", "kind": "线上课程", "topic": "品牌传播", "training_date": D(2026, 6, 1)},
        ])
        ids.update(zip(("t1", "t2", "t3"), trainings))
        _insert(tx, "training_attendance", [
            {"training_id": ids["t1"], "org_id": ids["A"], "person": "p1"},
            {"training_id": ids["t1"], "org_id": ids["B"], "person": "p2"},
            {"training_id": ids["t2"], "org_id": ids["A"], "person": "p1"},
            {"training_id": ids["t2"], "org_id": ids["A"], "person": "p3"},
            {"training_id": ids["t2"], "org_id": ids["C"], "person": "p4"},
        ])
        [inst] = _insert(tx, "assessment_instruments", [{"version": 1, "name": "测试工具"}])
        dims = _insert(tx, "instrument_dimensions", [
            {"instrument_id": inst, "seq": 1, "name": "内部治理", "weight": 1},
            {"instrument_id": inst, "seq": 2, "name": "财务管理", "weight": 1}])
        inds = _insert(tx, "instrument_indicators", [
            {"dimension_id": dims[0], "seq": 1, "name": "i1"}, {"dimension_id": dims[0], "seq": 2, "name": "i2"},
            {"dimension_id": dims[1], "seq": 1, "name": "i3"}, {"dimension_id": dims[1], "seq": 2, "name": "i4"}])
        # indicator scores (i1, i2 | i3, i4) -> dimension scores (mean − 1) / 4 × 100
        for org, period, day, scores in (("A", "2025上半年", D(2025, 6, 10), (5, 4, 2, 2)),   # 87.5 | 25
                                         ("B", "2025上半年", D(2025, 6, 12), (3, 3, 4, 5)),   # 50 | 87.5
                                         ("A", "2026上半年", D(2026, 6, 1), (5, 5, 3, 4)),    # 100 | 62.5
                                         ("C", "2026上半年", D(2026, 6, 2), (1, 1, 5, 5))):   # 0 | 100
            [a] = _insert(tx, "assessments", [{"org_id": ids[org], "period": period, "instrument_id": inst,
                                               "assessor": "评估员", "assessed_on": day}])
            _insert(tx, "assessment_scores", [{"assessment_id": a, "indicator_id": i, "score": s}
                                              for i, s in zip(inds, scores)])
    return ids


def kpi(name: str, f: Filters = ALL) -> dict[str, tuple]:
    df = dashboard.run(name, f)
    return {r.key: (r.value, r.previous) for r in df.itertuples()}


# ---- the window ------------------------------------------------------------------------------------------
def test_window_flows_stocks_and_previous_year():
    f = Filters(today=TODAY)
    assert f.window == (dashboard.YEAR_MIN, 2026) and f.previous_window == (dashboard.YEAR_MIN, 2025)
    assert (f.end, f.previous_end) == (TODAY, D(2025, 12, 31))
    g = Filters(year_from=2023, year_to=2024, today=TODAY)
    assert g.window == (2023, 2024) and g.previous_window == (2022, 2023)
    assert (g.end, g.previous_end) == (D(2024, 12, 31), D(2023, 12, 31))
    assert Filters(year_to=2030, today=TODAY).end == TODAY  # never past today


def test_a_backwards_year_range_is_refused(db):
    with pytest.raises(FiltersRefused, match="起始年份不能晚于结束年份"):
        dashboard.run("kpi_funding", Filters(year_from=2026, year_to=2025, today=TODAY))


# ---- KPIs --------------------------------------------------------------------------------------------------
def test_organisation_stocks(data):
    assert kpi("kpi_organisations") == {
        "registered": (4, 3),      # 甲 乙 丙 戊 (丁 deregistered); 丙 registered in 2026
        "incubated_ever": (4, 3),  # 甲 乙 丙 丁; 丙 entered in 2026
        "incubating": (2, 1),      # 乙 丙 (甲 left in 2021, 丁 deregistered)
        "brought_in": (2, 2),      # 甲 (2019), 戊 (2025-09)
    }
    assert kpi("kpi_organisations", Filters(community="文海社区", today=TODAY)) == {
        "registered": (2, 1), "incubated_ever": (2, 1), "incubating": (1, 0), "brought_in": (1, 1)}
    # at the end of 2024: 乙 registered, not yet incubated; 戊 not yet brought in
    assert kpi("kpi_organisations", Filters(year_to=2024, today=TODAY)) == {
        "registered": (3, 2), "incubated_ever": (2, 2), "incubating": (0, 0), "brought_in": (1, 1)}


def test_funding(data):
    assert kpi("kpi_funding") == {"funded": (3, 2), "granted": (95000.50, 65000.50), "signed": (3, 2),
                                  "disbursed": (59500.25, 32500.25)}
    assert kpi("kpi_funding", Filters(year_from=2026, year_to=2026, today=TODAY)) == {
        "funded": (1, 2), "granted": (30000, 65000.50), "signed": (1, 2), "disbursed": (27000, 32500.25)}
    assert kpi("kpi_funding", Filters(category="一老一小", today=TODAY)) == {
        "funded": (2, 1), "granted": (70000, 40000), "signed": (2, 1), "disbursed": (47000, 20000)}
    assert kpi("kpi_funding", Filters(community="文海社区", today=TODAY)) == {
        "funded": (2, 2), "granted": (65000.50, 65000.50), "signed": (2, 2), "disbursed": (44500.25, 32500.25)}


def test_a_round_has_no_previous_year(data):
    got = kpi("kpi_funding", Filters(round_id=data["R2025"], today=TODAY))
    assert got == {"funded": (2, None), "granted": (65000.50, None), "signed": (2, None), "disbursed": (44500.25, None)}


def test_service(data):
    df = dashboard.run("kpi_service", ALL).set_index("key")
    assert df.loc["activities", ["value", "previous"]].tolist() == [5, 2]
    assert df.loc["person_times", ["value", "previous"]].tolist() == [210, 50]
    assert df.loc["communities_covered", ["value", "previous", "total"]].tolist() == [3, 2, 21]
    assert kpi("kpi_service", Filters(year_from=2026, today=TODAY)) == {
        "activities": (3, 2), "person_times": (160, 50), "communities_covered": (2, 2)}
    assert kpi("kpi_service", Filters(category="一老一小", today=TODAY)) == {
        "activities": (3, 1), "person_times": (180, 30), "communities_covered": (2, 1)}
    one = dashboard.run("kpi_service", Filters(community="文海社区", today=TODAY)).set_index("key")
    assert one.loc["activities", ["value", "previous"]].tolist() == [3, 1]
    assert one.loc["person_times", ["value", "previous"]].tolist() == [90, 30]
    assert one.loc["communities_covered", ["value", "total"]].tolist() == [1, 1]


def test_trainings(data):
    assert kpi("kpi_trainings") == {"trainings": (3, 1), "training_person_times": (5, 2)}
    # 文海社区: attendees of 甲 and 丙 only; t3 had nobody from there
    assert kpi("kpi_trainings", Filters(community="文海社区", today=TODAY)) == {
        "trainings": (2, 1), "training_person_times": (4, 1)}


def test_ratings_valid_at_the_end_of_each_year(data):
    # now: 甲 4A (2026-03), 戊 2A (valid until 2026-07-01); 丁 deregistered does not count
    # end of 2025: 甲 still 3A (valid until 2026-01-10), 戊 2A
    assert kpi("kpi_ratings") == {"1A": (0, 0), "2A": (1, 1), "3A": (0, 1), "4A": (1, 0), "5A": (0, 0)}
    assert kpi("kpi_ratings", Filters(community="高沙社区", today=TODAY))["2A"] == (1, 1)
    # a week later 戊's 2A has expired
    assert kpi("kpi_ratings", Filters(today=D(2026, 7, 8)))["2A"] == (0, 1)


def test_kpis_and_headline_come_from_the_data(data):
    k = dashboard.kpis(ALL)
    assert list(k["query"].unique()) == list(dashboard.KPI_QUERIES)
    assert len(k) == 4 + 4 + 3 + 2 + 5
    h = dict(dashboard.headline(today=TODAY).itertuples(index=False))
    assert h["累计入壳孵化社会组织"] == "4 家"
    assert h["公益创投立项资助项目"] == "3 个"
    assert h["公益创投资助金额"] == "95,000.50 元"
    assert h["服务居民"] == "210 人次"
    assert h["能力培训"] == "3 场,5 人次"
    assert h["等级评估"] == "4A 1 家,2A 1 家"
    assert h["服务覆盖社区"] == "3 个(共 21 个社区)"
    assert h["引进专业社会组织"] == "2 家"


# ---- charts -------------------------------------------------------------------------------------------------
def test_category_year(data):
    df = dashboard.run("category_year", ALL)
    got = [tuple(r) for r in df[["year", "category", "funded", "granted", "activities", "person_times"]].itertuples(
        index=False)]
    assert got == [(2025, "一老一小", 1, 40000.0, 1, 30), (2025, "社区治理", 1, 25000.5, 1, 20),
                   (2026, "一老一小", 1, 30000.0, 2, 150), (2026, "社区治理", 0, 0.0, 1, 10)]
    only = dashboard.run("category_year", Filters(community="高沙社区", today=TODAY))
    assert [tuple(r) for r in only[["year", "category", "funded", "person_times"]].itertuples(index=False)] == [
        (2025, "社区治理", 1, 20)]


def test_funnel_of_the_current_round(data):
    df = dashboard.run("funnel", ALL).set_index("state")
    assert df["round"].unique().tolist() == ["2026年创投"]
    assert df["current"][df["current"] > 0].to_dict() == {"ineligible": 1, "under_review": 1, "funded": 1}
    assert df["reached"][df["reached"] > 0].to_dict() == {
        "draft": 3, "submitted": 3, "screening": 3, "eligible": 2, "ineligible": 1, "under_review": 2,
        "reviewed": 1, "recommended": 1, "public_notice": 1, "funded": 1}
    path = df[df["on_path"]].sort_values("path_seq").index.tolist()
    assert path == list(dashboard.FUNNEL_PATH)
    cat = dashboard.run("funnel", Filters(category="社区治理", today=TODAY)).set_index("state")
    assert cat["reached"][cat["reached"] > 0].to_dict() == {
        "draft": 1, "submitted": 1, "screening": 1, "eligible": 1, "under_review": 1}
    old = dashboard.run("funnel", Filters(round_id=data["R2025"], today=TODAY)).set_index("state")
    assert old["round"].iloc[0] == "2025年创投"
    assert old["current"][old["current"] > 0].to_dict() == {"funded": 2, "rejected": 1}
    # the latest round of an earlier window
    assert dashboard.run("funnel", Filters(year_to=2025, today=TODAY))["round"].iloc[0] == "2025年创投"


def test_funnel_without_a_round(db):
    df = dashboard.run("funnel", ALL)
    assert len(df) == len(dashboard.choices.APP_STATES) and df["round"].isna().all() and df["reached"].sum() == 0


def test_community_coverage_flags_communities_without_service(data):
    df = dashboard.run("community_coverage", ALL).set_index("community")
    assert len(df) == 21
    assert df.loc["文海社区", ["projects", "activities", "person_times", "organisations", "flag"]].tolist() == [
        2, 3, 90, 2, ""]
    assert df.loc["高沙社区", ["projects", "activities", "person_times", "organisations", "flag"]].tolist() == [
        1, 1, 20, 2, ""]
    assert df.loc["下沙社区", ["projects", "activities", "person_times", "organisations", "flag"]].tolist() == [
        1, 1, 100, 0, ""]
    assert (df["flag"] == dashboard.FLAG_NONE).sum() == 18
    assert df.loc["金沙湖社区", "flag"] == dashboard.FLAG_NONE


def test_community_coverage_flags_low_service(data, db):
    """With service in 12 communities the median is 100 person-times: 20 is below half of it."""
    from schemas.choices import DEMO_COMMUNITIES

    others = [c for c in DEMO_COMMUNITIES if c not in ("文海社区", "高沙社区", "下沙社区")][:9]
    with db.transaction() as tx:
        _insert(tx, "activities", [{"project_id": data["p3"], "activity_date": D(2026, 6, 1), "community": c,
                                    "kind": "服务", "title": f"y{i}", "participants": 100, "person_times": 100}
                                   for i, c in enumerate(others)])
    df = dashboard.run("community_coverage", ALL).set_index("community")
    assert df["flag"].to_dict()["高沙社区"] == dashboard.FLAG_LOW   # 20 < 0.5 × median 100
    assert df.loc["文海社区", "flag"] == ""                          # 90 >= 50
    assert (df["flag"] == dashboard.FLAG_NONE).sum() == 9


def test_brand_matrix(data):
    df = dashboard.run("brand_matrix", ALL)
    got = [tuple(r) for r in df[["brand", "tier", "points", "communities", "projects", "activities",
                                 "person_times"]].itertuples(index=False)]
    assert got == [("1516便民服务", "核心品牌", 3, 2, 1, 2, 80), ("青葵伙伴", "特色品牌", 1, 1, 1, 2, 30),
                   ("邻里书房", "特色品牌", 0, 0, 0, 0, 0)]
    this_year = dashboard.run("brand_matrix", Filters(year_from=2026, today=TODAY)).set_index("brand")
    assert this_year.loc["1516便民服务", ["projects", "activities", "person_times"]].tolist() == [0, 1, 50]


def test_capability_trend_median_per_dimension_per_period(data):
    df = dashboard.run("capability_trend", ALL)
    got = [tuple(r) for r in df[["period", "dimension", "median", "organisations"]].itertuples(index=False)]
    assert got == [("2025上半年", "内部治理", 68.75, 2), ("2025上半年", "财务管理", 56.25, 2),
                   ("2026上半年", "内部治理", 50.0, 2), ("2026上半年", "财务管理", 81.25, 2)]
    wenhai = dashboard.run("capability_trend", Filters(community="文海社区", year_to=2025, today=TODAY))
    assert [tuple(r) for r in wenhai[["period", "dimension", "median"]].itertuples(index=False)] == [
        ("2025上半年", "内部治理", 87.5), ("2025上半年", "财务管理", 25.0)]


def test_funding_sources_share_per_year(data):
    df = dashboard.run("funding_sources", ALL)
    got = [tuple(r) for r in df[["year", "source", "amount", "share"]].itertuples(index=False)]
    assert got == [(2025, "government", 65000.5, 86.7), (2025, "self", 5000.0, 6.7),
                   (2025, "enterprise", 3000.0, 4.0), (2025, "donation", 2000.0, 2.7),
                   (2026, "government", 30000.0, 75.0), (2026, "self", 10000.0, 25.0),
                   (2026, "enterprise", 0.0, 0.0), (2026, "donation", 0.0, 0.0)]
    assert df["source_label"].iloc[0] == dashboard.SOURCES["government"]


def test_risk_figures_are_the_risk_boards(data):
    from core.monitoring import risks

    summary = risks.summary(today=TODAY)
    counts = dashboard.run("risk_counts", ALL).set_index("key")["value"].to_dict()
    assert counts == {k: summary[k] for k in (*risks.SEVERITIES, "total", "projects")}
    board = risks.board(today=TODAY)
    by_rule = dashboard.run("risk_summary", ALL)
    assert int(by_rule["warnings"].sum()) == summary["total"] == len(board)
    assert set(zip(by_rule["code"], by_rule["severity"])) == set(zip(board["code"], board["severity"]))
    assert summary["total"] > 0  # 丙's project (p3) is behind its pace and idle at TODAY
    # only p3 runs; the other categories' projects are closed
    assert dashboard.run("risk_summary", Filters(category="社区治理", today=TODAY)).empty
    assert set(dashboard.drill("risk_summary", ALL, {})["project_id"]) == {data["p3"]}


# ---- drill-downs ---------------------------------------------------------------------------------------------
def test_drill_downs_list_the_records_behind_a_figure(data):
    ids = lambda df: sorted(df["id"].tolist())  # noqa: E731
    assert ids(dashboard.drill("kpi_funding", ALL, {"key": "funded"})) == sorted([data["a1"], data["a2"], data["a4"]])
    paid = dashboard.drill("kpi_funding", ALL, {"key": "disbursed"})
    assert len(paid) == 4 and paid["released_amount"].sum() == pytest.approx(59500.25)
    assert ids(dashboard.drill("kpi_funding", ALL, {"key": "signed"})) == sorted([data["p1"], data["p2"], data["p3"]])
    assert ids(dashboard.drill("kpi_organisations", ALL, {"key": "incubating"})) == sorted([data["B"], data["C"]])
    assert ids(dashboard.drill("kpi_ratings", ALL, {"key": "4A"})) == [data["A"]]
    acts = dashboard.drill("kpi_service", Filters(community="文海社区", today=TODAY), {"key": "activities"})
    assert ids(acts) == sorted([data["x1"], data["x2"], data["x4"]]) and acts["person_times"].sum() == 90
    covered = dashboard.drill("kpi_service", ALL, {"key": "communities_covered"})
    assert sorted(covered["community"]) == sorted(["文海社区", "高沙社区", "下沙社区"])
    trained = dashboard.drill("kpi_trainings", ALL, {"key": "trainings"}).set_index("title")
    assert trained["attendance"].to_dict() == {"t1": 2, "t2": 3, "t3": 0}


def test_drill_downs_of_chart_selections(data):
    cy = dashboard.drill("category_year", ALL, {"year": 2026, "category": "一老一小"})
    assert cy["id"].tolist() == [data["a4"]] and cy["person_times"].tolist() == [100]
    eligible = dashboard.drill("funnel", ALL, {"state": "eligible"})
    assert sorted(eligible["id"]) == sorted([data["a4"], data["a5"]])
    assert set(eligible["state_label"]) == {"已立项资助", "专家评审中"}
    assert len(dashboard.drill("funnel", ALL, {"state": "draft"})) == 3
    gaosha = dashboard.drill("community_coverage", ALL, {"community": "高沙社区"})
    assert gaosha["id"].tolist() == [data["x3"]]
    brand = dashboard.drill("brand_matrix", ALL, {"brand": "1516便民服务"})
    assert brand[["id", "activities", "person_times"]].values.tolist() == [[data["p1"], 2, 80]]
    scores = dashboard.drill("capability_trend", ALL, {"period": "2026上半年", "dimension": "财务管理"})
    assert scores[["org", "score"]].values.tolist() == [["丙", 100.0], ["甲", 62.5]]
    funded_2025 = dashboard.drill("funding_sources", ALL, {"year": 2025, "source": "self"})
    assert sorted(funded_2025["id"]) == sorted([data["p1"], data["p2"]])


def test_drill_refuses_unknown_selections(data):
    with pytest.raises(DrillRefused):
        dashboard.drill("kpi_funding", ALL, {"key": "nonsense"})
    with pytest.raises(DrillRefused, match="请先在图表中选择"):
        dashboard.drill("community_coverage", ALL, {})


def test_drill_limit(data):
    assert len(dashboard.drill("kpi_service", ALL, {"key": "activities"}, limit=2)) == 2


def test_every_query_reads_only_tables_it_declares(data):
    """Run every query and drill-down with DuckDB's own list of the tables a statement reads: each table the
    SQL touches must be declared (else a write there would leave a stale figure in the cache)."""
    import duckdb

    from core.platform.db import get_db

    db = get_db()
    seen: dict[str, set[str]] = {}
    original = db.fetch_df, db.fetch_all, db.fetch_one, db.scalar

    def spy(fn):
        def wrapped(sql, params=None):
            seen.setdefault(current[0], set()).update(duckdb.get_table_names(sql.replace("?", "NULL")))
            return fn(sql, params)
        return wrapped

    current = [""]
    db.fetch_df, db.fetch_all, db.fetch_one, db.scalar = (spy(f) for f in original)
    try:
        selections = {"kpi_organisations": {"key": "incubating"}, "kpi_funding": {"key": "disbursed"},
                      "kpi_service": {"key": "communities_covered"}, "kpi_trainings": {"key": "trainings"},
                      "kpi_ratings": {"key": "4A"}, "category_year": {"year": 2025},
                      "funnel": {"state": "eligible"}, "community_coverage": {"community": "文海社区"},
                      "brand_matrix": {"brand": "青葵伙伴"}, "capability_trend": {"period": "2025上半年"},
                      "risk_summary": {}, "risk_counts": {}, "funding_sources": {"year": 2025}}
        from core.platform import cache

        for name, q in dashboard.QUERIES.items():
            current[0] = name
            cache.clear()  # shared reads (the risk board) must run their SQL for every query
            q.fn(ALL, db)
            current[0] = f"drill:{name}"
            cache.clear()
            q.drill(ALL, selections[name], db, 10)
            if name == "kpi_funding":
                for key in ("funded", "signed"):
                    q.drill(ALL, {"key": key}, db, 10)
    finally:
        db.fetch_df, db.fetch_all, db.fetch_one, db.scalar = original
    for name, q in dashboard.QUERIES.items():
        assert seen[name] <= set(q.tables), (name, seen[name] - set(q.tables))
        assert seen[f"drill:{name}"] <= set(q.drill_tables), (name, seen[f"drill:{name}"] - set(q.drill_tables))


# ---- export ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt,magic", [("png", b"\x89PNG"), ("svg", b"<svg")])
def test_charts_export_to_png_and_svg(data, fmt, magic):
    from core.ui import charts

    chart = charts.category_year_bars(dashboard.run("category_year", ALL), "granted")
    out = charts.to_image(chart, fmt)
    assert out.startswith(magic) and len(out) > 1000
    if fmt == "svg":
        text = out.decode("utf-8")
        assert "资助金额" in text and "一老一小" in text  # Chinese labels survive as text


def test_every_chart_builds_from_its_query(data):
    from core.ui import charts

    builders = {"category_year": lambda df: charts.category_year_bars(df, "person_times"),
                "funnel": charts.funnel_bars, "community_coverage": charts.coverage_bars,
                "brand_matrix": charts.brand_bars, "capability_trend": charts.capability_lines,
                "risk_summary": charts.risk_bars, "funding_sources": charts.funding_share}
    for name, build in builders.items():
        spec = build(dashboard.run(name, ALL)).to_dict()
        assert spec["params"][0]["name"] == charts.PICK, name
        titles = {enc.get("title") for enc in spec["encoding"].values() if isinstance(enc, dict)}
        assert any(t and any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in titles), name  # Chinese axis titles


# ---- labels: declared once (the schemas' for fields, beside the query for what it computes) ----------------------
DRILL_SELECTIONS = [("kpi_organisations", {"key": "incubating"}), ("kpi_funding", {"key": "funded"}),
                    ("kpi_funding", {"key": "signed"}), ("kpi_funding", {"key": "disbursed"}),
                    ("kpi_service", {"key": "activities"}), ("kpi_service", {"key": "communities_covered"}),
                    ("kpi_trainings", {"key": "trainings"}), ("kpi_ratings", {"key": "4A"}),
                    ("category_year", {"year": 2025}), ("funnel", {"state": "eligible"}),
                    ("community_coverage", {"community": "文海社区"}), ("brand_matrix", {"brand": "青葵伙伴"}),
                    ("capability_trend", {"period": "2025上半年"}), ("risk_summary", {}),
                    ("funding_sources", {"year": 2025})]


def test_every_column_a_screen_shows_has_a_declared_label(data):
    for name, q in dashboard.QUERIES.items():
        df = dashboard.run(name, ALL)
        assert q.columns and set(q.columns) <= set(df.columns), name
    for name, sel in DRILL_SELECTIONS:
        df = dashboard.drill(name, ALL, sel)
        assert len(df), (name, sel)
        assert list(df.columns) == list(dashboard.drill_columns(name, sel)), (name, sel)
    with pytest.raises(DrillRefused):
        dashboard.drill_columns("kpi_funding", {"key": "nonsense"})


def test_field_columns_read_their_schemas_labels():
    from schemas.application import Application, Decision
    from schemas.capability import Training
    from schemas.columns import label
    from schemas.monitoring import Activity, Release
    from schemas.organisation import Organisation

    cols = dashboard.drill_columns
    assert cols("kpi_organisations", {"key": "registered"})["community"] == label("community", of=Organisation)
    assert cols("kpi_service", {"key": "activities"})["title"] == label("title", of=Activity) == "活动主题"
    assert cols("kpi_trainings", {"key": "trainings"})["title"] == label("title", of=Training) == "培训名称"
    assert cols("kpi_funding", {"key": "funded"})["title"] == label("title", of=Application) == "项目名称"
    assert cols("kpi_funding", {"key": "disbursed"})["released_amount"] == label("released_amount", of=Release)
    assert dashboard.query("category_year").columns["granted"] == label("granted_amount", of=Decision)
    assert dashboard.query("category_year").columns["person_times"] == label("person_times", of=Activity)
    assert dashboard.FILTER_LABELS["category"] == label("category", of=Application)


CHART_BUILDERS = {"category_year": lambda df: charts_module().category_year_bars(df, "granted"),
                  "funnel": lambda df: charts_module().funnel_bars(df),
                  "community_coverage": lambda df: charts_module().coverage_bars(df),
                  "brand_matrix": lambda df: charts_module().brand_bars(df),
                  "capability_trend": lambda df: charts_module().capability_lines(df),
                  "risk_summary": lambda df: charts_module().risk_bars(df),
                  "funding_sources": lambda df: charts_module().funding_share(df)}


def charts_module():
    from core.ui import charts

    return charts


def test_chart_titles_are_the_declared_labels(data):
    """Every axis, legend and tooltip that names a column reads that column's declared label."""
    shown_as = {"flag_label": "flag"}  # the coverage chart shows the flag's words
    for name, build in CHART_BUILDERS.items():
        cols = dashboard.query(name).columns
        spec = build(dashboard.run(name, ALL)).to_dict()
        titled = 0
        for channel, enc in spec["encoding"].items():
            if channel not in ("x", "y", "color", "tooltip"):  # order, opacity: no title of their own
                continue
            for e in enc if isinstance(enc, list) else [enc]:
                if not isinstance(e, dict) or "field" not in e or e.get("title", "") is None:
                    continue
                field = shown_as.get(e["field"], e["field"])
                assert field in cols, (name, channel, field)
                assert e.get("title") == cols[field], (name, channel, field, e.get("title"))
                titled += 1
        assert titled >= 3, name


# ---- 引进专业社会组织 (the organisation's 引进日期) --------------------------------------------------------------
def test_brought_in_date_is_optional_and_not_before_registration(db):
    from core.platform.errors import ValidationFailed
    from core.platform.validation import validate
    from schemas.organisation import Organisation
    from tests.test_schema_organisation import org_values

    assert validate(Organisation, org_values())["brought_in_on"] is None
    ok = validate(Organisation, org_values(reg_date=D(2020, 5, 12), brought_in_on=D(2021, 3, 1)))
    assert ok["brought_in_on"] == D(2021, 3, 1)
    with pytest.raises(ValidationFailed) as info:
        validate(Organisation, org_values(reg_date=D(2020, 5, 12), brought_in_on=D(2019, 1, 1)))
    assert info.value.fields == {"brought_in_on": ["引进日期不能早于登记/备案日期"]}


def test_the_demo_brings_in_twenty_registered_organisations():
    from core.demo import orgs as demo_orgs

    rows = demo_orgs.organisation_rows(today=D(2026, 11, 1))
    brought = [r for r in rows if r["brought_in_on"]]
    assert len(brought) == 20
    assert all(r["kind"] != demo_orgs.FILED for r in brought)
    assert not {r["name"] for r in brought} & set(demo_orgs.LOCAL_REGISTERED)
    assert all(r["reg_date"] <= r["brought_in_on"] <= D(2026, 11, 1) for r in brought)

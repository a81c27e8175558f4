"""资源与需求总览 (core.dashboards.resources) on the demo database: every figure equals a count made by hand in SQL
(or, for the continuity per year, by a plain Python walk over the contributions), the records of its drill-down
add up to it, the filters narrow what they say they narrow, and a write shows at once (the cache follows it)."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest

from core.dashboards import resources as res
from core.dashboards.dashboard import DrillRefused, Filters
from core.platform.actor import Actor
from core.resources import partners

STAFF = Actor("staff", ("staff",))
TODAY = dt.date.today()
ALL = Filters(year_from=2015, today=TODAY)  # every year of the demo data
MINUTES = ("(CAST(split_part({c}, ':', 1) AS INTEGER) * 60 + CAST(split_part({c}, ':', 2) AS INTEGER))")
HOURS = f"({MINUTES.format(c='end_time')} - {MINUTES.format(c='start_time')}) / 60.0"


@pytest.fixture
def demo(demo_db):
    assert demo_db.scalar("SELECT count(*) FROM bookings WHERE state = 'approved'")
    assert demo_db.scalar("SELECT count(*) FROM partner_contributions")
    assert demo_db.scalar("SELECT count(*) FROM volunteer_services")
    return demo_db


# ---- 资源 ----------------------------------------------------------------------------------------------------
def test_venue_use_is_the_approved_hours_over_the_period_and_its_drill_adds_up(demo):
    f = Filters(today=TODAY)  # this year up to today
    start, end = res.period(f.resolved())
    assert (start, end) == (dt.date(TODAY.year, 1, 1), TODAY)
    df = res.run("res_venue_use", f)
    assert len(df) == demo.scalar("SELECT count(*) FROM venues")
    for r in df.itertuples():
        hand = demo.fetch_one(f"SELECT count(*) AS n, coalesce(sum({HOURS}), 0) AS h FROM bookings WHERE venue_id = ?"
                              " AND state = 'approved' AND booking_date BETWEEN ? AND ?", [r.venue_id, start, end])
        assert r.bookings == hand["n"] and r.booked_hours == pytest.approx(float(hand["h"]), abs=0.05), r.name
        assert r.flag == (res.FLAG_NO_HOURS if r.rate != r.rate else res.FLAG_IDLE if r.rate < res.IDLE_BELOW
                          else res.FLAG_OK)
        rows = res.drill("res_venue_use", f, {"venue_id": int(r.venue_id)})
        assert len(rows) == r.bookings
        assert rows["hours"].sum() == pytest.approx(r.booked_hours, abs=0.05)
        assert set(rows["item"]) <= {r.name}  # the venue by its name, the organisation by its name
        assert rows["org"].notna().all() and not rows["org"].astype(str).str.isdigit().any()
    assert list(res.VENUE_COLUMNS.values())[:2] == ["场地名称", "所属社区"]  # the schema's labels
    assert set(res.BOOKING_DRILL_COLUMNS) <= set(res.drill("res_venue_use", f, {"venue_id": int(df["venue_id"][0])}))


def test_community_use_sums_its_venues_and_the_filter_keeps_one_community(demo):
    f = Filters(today=TODAY)
    venues = res.run("res_venue_use", f)
    com = res.run("res_community_use", f)
    assert set(com["community"]) == set(venues["community"])
    for r in com.itertuples():
        mine = venues[venues["community"] == r.community]
        assert r.venues == len(mine) and r.idle == int((mine["flag"] == res.FLAG_IDLE).sum())
        assert r.booked_hours == pytest.approx(mine["booked_hours"].sum())
        rows = res.drill("res_community_use", f, {"community": r.community})
        assert rows["hours"].sum() == pytest.approx(r.booked_hours, abs=0.05)
    one = com["community"][0]
    narrowed = res.run("res_venue_use", Filters(today=TODAY, community=one))
    assert set(narrowed["community"]) == {one}
    with pytest.raises(DrillRefused):
        res.drill("res_venue_use", f, {})


# ---- 合作伙伴 -------------------------------------------------------------------------------------------------
def test_contributions_by_kind_and_by_source_equal_the_hand_counts_and_their_drills(demo):
    for name, field, col in (("res_by_kind", "kind", "c.kind"), ("res_by_source", "source", "p.kind")):
        df = res.run(name, ALL)
        hand = demo.fetch_all(
            f"SELECT year(c.contributed_on) AS y, {col} AS k, count(*) AS n,"
            " CAST(coalesce(sum(c.amount), 0) + coalesce(sum(c.estimated_value), 0) AS DOUBLE) AS v"
            " FROM partner_contributions c JOIN partners p ON p.id = c.partner_id GROUP BY ALL")
        assert len(df) == len(hand)
        got = {(int(r.year), getattr(r, field)): (r.contributions, r.value) for r in df.itertuples()}
        for h in hand:
            assert got[(h["y"], h["k"])] == (h["n"], pytest.approx(h["v"]))
        for r in df.itertuples():
            rows = res.drill(name, ALL, {"year": int(r.year), field: getattr(r, field)})
            assert len(rows) == r.contributions
            assert rows["amount"].fillna(0).sum() + rows["estimated_value"].fillna(0).sum() == pytest.approx(r.value)
            assert rows["partner"].notna().all()  # the partner's name, not its id


def test_non_government_share_per_year_and_its_money_drill(demo):
    df = res.run("res_non_gov", ALL)
    for r in df.itertuples():
        hand = demo.fetch_one(
            "SELECT CAST(sum(c.amount) AS DOUBLE) AS money,"
            " CAST(coalesce(sum(c.amount) FILTER (WHERE p.kind <> '政府部门'), 0) AS DOUBLE) AS non_gov"
            " FROM partner_contributions c JOIN partners p ON p.id = c.partner_id WHERE year(c.contributed_on) = ?",
            [int(r.year)])
        assert r.money == pytest.approx(hand["money"] or 0) and r.non_gov_money == pytest.approx(hand["non_gov"])
        if r.money:
            assert r.non_gov_share == pytest.approx(hand["non_gov"] / hand["money"])
        rows = res.drill("res_non_gov", ALL, {"year": int(r.year)})
        assert rows["amount"].sum() == pytest.approx(r.money)
    assert (df["non_gov_share"] < 1).any()  # the demo has government money in some year


def test_continuity_per_year_classifies_each_partner_by_its_history_so_far(demo):
    contribs = demo.fetch_all("SELECT c.id, c.partner_id, year(c.contributed_on) AS y, c.amount, p.agreement,"
                              " p.agreement_start, p.agreement_end FROM partner_contributions c"
                              " JOIN partners p ON p.id = c.partner_id")
    years_of = defaultdict(set)
    for c in contribs:
        years_of[c["partner_id"]].add(c["y"])
    expected: dict[tuple[int, str], set] = defaultdict(set)
    for c in contribs:
        start, stop = c["agreement_start"], c["agreement_end"]
        if c["agreement"] and (start is None or start.year <= c["y"]) and (stop is None or stop.year >= c["y"]):
            cls = "agreement"
        elif len({y for y in years_of[c["partner_id"]] if y <= c["y"]}) >= 2:
            cls = "repeated"
        else:
            cls = "once"
        expected[(c["y"], cls)].add(c["partner_id"])
    df = res.run("res_continuity", ALL)
    assert {(int(r.year), r.cls): r.partners for r in df.itertuples()} == {k: len(v) for k, v in expected.items()}
    assert set(df["continuity"]) <= {"单次合作", "多次合作", "协议合作"}
    for year, part in df.groupby("year"):
        assert part["share"].sum() == pytest.approx(1.0, abs=0.001)
    for r in df.itertuples():
        rows = res.drill("res_continuity", ALL, {"year": int(r.year), "cls": r.cls})
        assert rows["partner"].nunique() == r.partners and len(rows) == r.contributions
    assert {"once", "repeated"} <= set(df["cls"])
    with pytest.raises(DrillRefused):
        res.drill("res_continuity", ALL, {"year": 2024, "cls": "sometimes"})


def test_the_year_range_narrows_the_partners_figures(demo):
    f = Filters(year_from=2023, year_to=2024, today=TODAY)
    df = res.run("res_by_kind", f)
    assert set(df["year"]) == {2023, 2024}
    n = demo.scalar("SELECT count(*) FROM partner_contributions WHERE year(contributed_on) BETWEEN 2023 AND 2024")
    assert df["contributions"].sum() == n


# ---- 需求 ------------------------------------------------------------------------------------------------------
def test_needs_covered_and_open_per_community_equal_the_hand_counts_and_their_drills(demo):
    df = res.run("res_needs", Filters(today=TODAY))
    assert len(df) == demo.scalar("SELECT count(*) FROM communities")
    linked = "EXISTS (SELECT 1 FROM need_links l WHERE l.need_id = n.id)"
    for r in df.itertuples():
        hand = demo.fetch_one(
            "SELECT count(*) AS total, count(*) FILTER (WHERE status = '已满足') AS met,"
            f" count(*) FILTER (WHERE status <> '已满足' AND {linked}) AS answered,"
            f" count(*) FILTER (WHERE status <> '已满足' AND NOT {linked}) AS unanswered"
            " FROM community_needs n WHERE community = ?", [r.community])
        assert (r.total, r.met, r.answered, r.unanswered) == (hand["total"], hand["met"], hand["answered"],
                                                              hand["unanswered"]), r.community
        for segment in res.NEED_SEGMENTS:
            rows = res.drill("res_needs", Filters(today=TODAY), {"community": r.community, "segment": segment})
            assert len(rows) == getattr(r, segment)
            if segment == "met":
                assert set(rows["status"]) <= {"已满足"}
    one = df[df["total"] > 0]["community"].iloc[0]
    assert list(res.run("res_needs", Filters(today=TODAY, community=one))["community"]) == [one]


# ---- 志愿者 -----------------------------------------------------------------------------------------------------
def test_volunteers_and_hours_per_year_organisation_and_project_and_their_drills(demo):
    df = res.run("res_volunteers", ALL)
    base = ("FROM volunteer_services s JOIN activities x ON x.id = s.activity_id JOIN volunteers v ON v.id = s.volunteer_id"
            " LEFT JOIN organisations o ON o.id = v.org_id JOIN projects p ON p.id = x.project_id")
    total = demo.fetch_one(f"SELECT count(DISTINCT s.volunteer_id) AS n, sum(s.hours) AS h {base}")
    (t,) = df[df["dim"] == "total"].itertuples()
    assert t.volunteers == total["n"] and t.hours == pytest.approx(float(total["h"]))
    for dim, key, expr in (("year", "year", "year(x.activity_date)"), ("org", "org", "coalesce(o.name, '个人志愿者')"),
                           ("project", "agreement_no", "p.agreement_no")):
        part = df[df["dim"] == dim]
        hand = {h["k"]: h for h in demo.fetch_all(
            f"SELECT {expr} AS k, count(DISTINCT s.volunteer_id) AS n, sum(s.hours) AS h, count(*) AS services"
            f" {base} GROUP BY 1")}
        assert len(part) == len(hand)
        assert part["hours"].sum() == pytest.approx(t.hours)
        for r in part.head(5).itertuples():
            k = int(getattr(r, key)) if dim == "year" else getattr(r, key)
            assert (r.volunteers, r.hours) == (hand[k]["n"], pytest.approx(float(hand[k]["h"])))
            rows = res.drill("res_volunteers", ALL, {key: k})
            assert len(rows) == hand[k]["services"] and rows["hours"].sum() == pytest.approx(r.hours)
            assert rows["name"].notna().all() and rows["project"].notna().all()
    h = res.headline(ALL)
    assert (h["volunteers"], h["hours"]) == (t.volunteers, pytest.approx(t.hours))


def test_the_community_filter_keeps_the_service_done_there(demo):
    place = demo.scalar("SELECT x.community FROM volunteer_services s JOIN activities x ON x.id = s.activity_id"
                        " GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    df = res.run("res_volunteers", Filters(year_from=2015, today=TODAY, community=place))
    hours = demo.scalar("SELECT sum(s.hours) FROM volunteer_services s JOIN activities x ON x.id = s.activity_id"
                        " WHERE x.community = ?", [place])
    assert df[df["dim"] == "total"]["hours"].iloc[0] == pytest.approx(float(hours))
    rows = res.drill("res_volunteers", Filters(year_from=2015, today=TODAY, community=place), {"year": TODAY.year})
    assert set(rows["community"]) == {place}


# ---- the cache follows the write path ---------------------------------------------------------------------------
def test_a_new_contribution_shows_at_once(demo):
    partner = demo.fetch_one("SELECT id FROM partners WHERE kind = '企业' ORDER BY id LIMIT 1")
    before = res.run("res_non_gov", ALL)
    money_before = float(before.loc[before["year"] == TODAY.year, "money"].sum())
    assert res.run("res_non_gov", ALL).equals(before)  # a second read is the cached one
    partners.add_contribution({"partner_id": partner["id"], "contributed_on": TODAY, "kind": "资金",
                               "amount": 12345.0, "description": "测试捐赠"}, STAFF, db=demo)
    after = res.run("res_non_gov", ALL)
    assert float(after.loc[after["year"] == TODAY.year, "money"].sum()) == pytest.approx(money_before + 12345.0)
    rows = res.drill("res_non_gov", ALL, {"year": TODAY.year})
    assert "测试捐赠" in set(rows["description"])


# ---- 满意度 ------------------------------------------------------------------------------------------------------
def test_satisfaction_per_category_equals_the_answers_and_its_drill(demo):
    from schemas.survey import SCALE

    df = res.run("res_satisfaction", ALL)
    assert len(df), "the demo holds surveys of the closed projects"
    for r in df.itertuples():
        hand = demo.fetch_one(
            "SELECT count(*) AS n, avg(CASE WHEN a.score >= 4 THEN 1.0 ELSE 0.0 END) AS share"
            " FROM survey_answers a JOIN survey_questions q ON q.id = a.question_id WHERE q.kind = ? AND q.category = ?",
            [SCALE, r.category])
        assert r.answers == hand["n"] and r.satisfied == pytest.approx(float(hand["share"]))
        rows = res.drill("res_satisfaction", ALL, {"category": r.category})
        assert len(rows) == r.answers
        assert (rows["satisfied"] == "是").mean() == pytest.approx(r.satisfied)
        assert rows["project"].notna().all()
    later = Filters(year_from=TODAY.year + 1, year_to=TODAY.year + 1, today=TODAY)
    assert res.run("res_satisfaction", later).empty  # no response dated next year


# ---- 宣传 --------------------------------------------------------------------------------------------------------
def test_publicity_per_brand_equals_the_records_and_its_drill(demo):
    from schemas.publicity import MEDIA_REPORT

    df = res.run("res_publicity", ALL)
    brand_of = "coalesce(i.brand_id, (SELECT p.brand_id FROM projects p WHERE p.id = i.project_id))"
    assert df["posts"].sum() + df["media"].sum() == demo.scalar(
        f"SELECT count(*) FROM publicity_items i WHERE {brand_of} IS NOT NULL")
    for r in df[(df["posts"] > 0) | (df["media"] > 0)].itertuples():
        hand = demo.fetch_one(f"SELECT count(*) FILTER (WHERE kind <> ?) AS posts, count(*) FILTER (WHERE kind = ?)"
                              f" AS media FROM publicity_items i WHERE {brand_of} = ?", [MEDIA_REPORT, MEDIA_REPORT,
                                                                                        r.brand_id])
        assert (r.posts, r.media) == (hand["posts"], hand["media"]), r.brand
        for measure in res.PUBLICITY_MEASURES:
            rows = res.drill("res_publicity", ALL, {"brand_id": int(r.brand_id), "measure": measure})
            assert len(rows) == getattr(r, measure)
            assert set(rows["brand"]) <= {r.brand}
    assert df["media"].sum() > 0 and df["posts"].sum() > 0


# ---- the headline figures ------------------------------------------------------------------------------------------
def test_every_headline_figure_has_its_records(demo):
    for f in (Filters(today=TODAY), Filters(year_from=2019, today=TODAY)):
        h = res.headline(f)
        rows = {k: res.headline_drill(k, f) for k in res.HEADLINE}
        for k, df in rows.items():
            assert list(res.HEADLINE_DRILL_COLUMNS[k]) == [c for c in res.HEADLINE_DRILL_COLUMNS[k] if c in df], k
        assert len(rows["venues"]) == h["venues"] and len(rows["idle"]) == h["idle"]
        venues = res.run("res_venue_use", f)
        assert rows["rate"]["hours"].sum() == pytest.approx(venues["booked_hours"].sum(), abs=0.1)
        assert rows["money"]["amount"].sum() == pytest.approx(h["money"])
        non_gov = rows["non_gov_share"][rows["non_gov_share"]["partner_kind"] != "政府部门"]["amount"].sum()
        assert (non_gov / h["money"] if h["money"] else None) == pytest.approx(h["non_gov_share"])
        once = rows["once_share"]
        cont = res.run("res_continuity", f)
        last = cont[cont["year"] == h["last_year"]]
        assert once["partner"].nunique() == int(last.loc[last["cls"] == "once", "partners"].sum())
        assert (len(rows["needs_total"]), len(rows["needs_open"]), len(rows["needs_unanswered"])) == \
            (h["needs_total"], h["needs_open"], h["needs_unanswered"])
        assert rows["hours"]["hours"].sum() == pytest.approx(h["hours"])
    with pytest.raises(DrillRefused):
        res.headline_drill("everything", Filters(today=TODAY))

"""The demo data of 资源与需求 (core.demo.resources): a second run of every loader adds nothing (the demo template
holds the first run's rows), the loaders are deterministic, and the figures the issue asks for hold — the volunteers'
service records add up to the ledger's volunteer counts, enterprises give repeatedly and once, needs are claimed."""
from __future__ import annotations

import datetime as dt

from core.demo import res_needs, res_partners, res_volunteers, resources
from core.monitoring.ledger import VOLUNTEERS_SQL
from core.resources import partners as pt
from core.resources import volunteers as vol

TABLES = ("volunteers", "volunteer_services", "volunteer_calls", "volunteer_signups", "venues", "equipment",
          "bookings", "community_needs", "need_events", "need_links", "partners", "partner_contributions",
          "claim_items", "survey_responses", "survey_answers", "beneficiaries", "beneficiary_enrolments",
          "beneficiary_attendance", "publicity_items", "projects", "activities", "project_events", "audit_log")


def _sql(db, *statements: tuple[str, list] | str) -> None:
    """Raw statements (undoing a loader's rows), in one transaction that tells the caches what changed."""
    with db.transaction() as tx:
        for st in statements:
            sql, params = (st, None) if isinstance(st, str) else st
            tx.execute(sql, params)
            tx.touch(sql.split()[2] if sql.startswith("DELETE") else sql.split()[1])


def _counts(db) -> dict[str, int]:
    return {t: db.scalar(f"SELECT count(*) FROM {t}") for t in TABLES}


def test_a_second_run_of_the_loaders_adds_nothing(demo_db):
    before = _counts(demo_db)
    assert before["volunteers"] and before["community_needs"] and before["partners"] and before["bookings"]
    funds = demo_db.fetch_all("SELECT id, funds_enterprise, funds_donation FROM projects ORDER BY id")
    for _ in range(2):  # every loader sees its rows and returns without a write
        assert not any(resources.load(demo_db).values())
    assert _counts(demo_db) == before
    assert demo_db.fetch_all("SELECT id, funds_enterprise, funds_donation FROM projects ORDER BY id") == funds


def _volunteer_rows(db) -> list[tuple]:
    return [tuple(r.values()) for r in db.fetch_all(
        "SELECT name, gender, community, skills, org_id, consent, phone FROM volunteers WHERE hub_id = 1"  # 下沙's
        " ORDER BY id")]


def _service_rows(db) -> list[tuple]:
    return [tuple(r.values()) for r in db.fetch_all(
        "SELECT v.name, v.phone, s.activity_id, s.hours, s.role FROM volunteer_services s"
        " JOIN volunteers v ON v.id = s.volunteer_id ORDER BY s.id")]


def test_the_volunteer_loader_is_deterministic(demo_db):
    people, services = _volunteer_rows(demo_db), _service_rows(demo_db)
    _sql(demo_db, *(f"DELETE FROM {t}" for t in ("volunteer_signups", "volunteer_calls", "volunteer_services",
                                                 "volunteers")))
    counts = res_volunteers.load(demo_db)
    assert counts["volunteers"] == len(people) and counts["volunteer_services"] == len(services)
    assert _volunteer_rows(demo_db) == people and _service_rows(demo_db) == services


def _need_rows(db) -> list[tuple]:
    return [tuple(r.values()) for r in db.fetch_all(
        "SELECT title, community, target_group, source, urgency, residents, recorded_by, status FROM community_needs"
        " WHERE hub_id = 1 ORDER BY id")]  # 下沙's (the case study's loader; 白杨's come with the network)


def test_the_needs_loader_is_deterministic(demo_db):
    needs = _need_rows(demo_db)
    links = demo_db.fetch_all("SELECT kind, target_id FROM need_links ORDER BY id")
    _sql(demo_db, *(f"DELETE FROM {t}" for t in ("need_links", "need_events", "community_needs")))
    assert res_needs.load(demo_db)["needs"] == len(needs)
    assert _need_rows(demo_db) == needs
    assert demo_db.fetch_all("SELECT kind, target_id FROM need_links ORDER BY id") == links


def test_the_partner_loader_is_deterministic(demo_db):
    def rows():
        return [tuple(r.values()) for r in demo_db.fetch_all(
            "SELECT p.name, c.contributed_on, c.kind, c.amount, c.description, c.estimated_value, c.project_id"
            " FROM partner_contributions c JOIN partners p ON p.id = c.partner_id ORDER BY c.id")]

    def items():
        return [tuple(r.values()) for r in demo_db.fetch_all(
            "SELECT title, kind, source, status, project_id, need_id, amount_sought FROM claim_items ORDER BY id")]

    given, claimed = rows(), items()
    funds = demo_db.fetch_all("SELECT id, funds_enterprise, funds_donation FROM projects ORDER BY id")
    # undo what completing the claim added to its project, then load again
    undo = ["DELETE FROM project_events WHERE event = '企业公益认领资金到位'",
            *(f"DELETE FROM {t}" for t in ("claim_items", "partner_contributions", "partners"))]
    for c in demo_db.fetch_all("SELECT c.project_id, c.amount, p.kind FROM partner_contributions c"
                               " JOIN partners p ON p.id = c.partner_id WHERE c.claim_id IS NOT NULL"
                               " AND c.project_id IS NOT NULL AND c.amount IS NOT NULL"):
        column = "funds_enterprise" if c["kind"] == "企业" else "funds_donation"
        undo.insert(0, (f"UPDATE projects SET {column} = {column} - ? WHERE id = ?", [c["amount"], c["project_id"]]))
    _sql(demo_db, *undo)
    res_partners.load(demo_db)
    assert rows() == given and items() == claimed
    assert demo_db.fetch_all("SELECT id, funds_enterprise, funds_donation FROM projects ORDER BY id") == funds


def test_volunteer_records_add_up_to_the_ledgers_volunteer_counts(demo_db):
    off = demo_db.fetch_all(
        f"SELECT a.id, a.volunteers, {VOLUNTEERS_SQL} AS shown FROM activities a"
        f" WHERE {VOLUNTEERS_SQL} <> a.volunteers")
    assert off == []  # the ledger shows, from the records, the count it had before they existed
    covered = demo_db.scalar("SELECT count(DISTINCT activity_id) FROM volunteer_services")
    assert covered == demo_db.scalar(
        "SELECT count(*) FROM activities a JOIN projects p ON p.id = a.project_id"
        " WHERE p.state = 'active' AND a.volunteers > 0")
    hours = demo_db.scalar("SELECT sum(hours) FROM volunteer_services")
    assert hours > 0
    for by in ("volunteer", "org", "project"):  # every total adds up to the same hours
        assert abs(vol.totals(by, demo_db)["hours"].sum() - hours) < 1e-6
    per_project = vol.totals("project", demo_db)
    expected = demo_db.fetch_all(
        "SELECT p.agreement_no, count(DISTINCT s.volunteer_id) AS n FROM volunteer_services s"
        " JOIN activities a ON a.id = s.activity_id JOIN projects p ON p.id = a.project_id GROUP BY 1")
    assert dict(zip(per_project["agreement_no"], per_project["volunteers"])) == {r["agreement_no"]: r["n"]
                                                                                 for r in expected}


def test_enterprises_give_repeatedly_and_once_and_needs_are_claimed(demo_db):
    df = pt.continuity(demo_db).set_index("name")
    assert df.loc[res_partners.TECH, "continuity"] == "多次合作"
    assert df.loc[res_partners.TECH, "years"] >= 3
    assert df.loc[res_partners.CATERING, "continuity"] == "单次合作"
    assert df.loc[res_partners.LOGISTICS, "continuity"] == "单次合作"
    assert df.loc[res_partners.XIASHA_FUND, "continuity"] == "协议合作"
    enterprises = df[df["kind"] == "企业"]["continuity"].value_counts().to_dict()
    assert enterprises.get("多次合作", 0) >= 1 and enterprises.get("单次合作", 0) >= 2
    states = {r["status"]: r["n"] for r in demo_db.fetch_all(
        "SELECT status, count(*) AS n FROM claim_items GROUP BY status")}
    assert states["done"] == 1 and states["claimed"] == 1 and states["withdrawn"] == 1 and states["open"] >= 2
    # the completed claim: a contribution of the enterprise that claimed it, its money on the project
    done = demo_db.fetch_one("SELECT * FROM claim_items WHERE status = 'done'")
    given = demo_db.fetch_one("SELECT * FROM partner_contributions WHERE id = ?", [done["contribution_id"]])
    assert given["claim_id"] == done["id"] and given["partner_id"] == done["partner_id"]
    assert given["project_id"] == done["project_id"] and float(given["amount"]) == float(done["pledged_amount"])
    project = demo_db.fetch_one("SELECT funds_enterprise FROM projects WHERE id = ?", [done["project_id"]])
    on_project = demo_db.scalar("SELECT sum(amount) FROM partner_contributions c JOIN partners p"
                                " ON p.id = c.partner_id WHERE c.project_id = ? AND p.kind = '企业'",
                                [done["project_id"]])
    assert float(project["funds_enterprise"]) == float(on_project)
    # a claimable item answers a community need; nothing lies after today
    assert demo_db.scalar("SELECT count(*) FROM claim_items i JOIN community_needs n ON n.id = i.need_id") >= 1
    assert demo_db.scalar("SELECT max(contributed_on) FROM partner_contributions") <= dt.date.today()

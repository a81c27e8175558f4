"""Shared registries across the hub tree (issue 20): the expert pool (a district's and the city's experts are in the pool
of every street below, a street's own only in its own; conflicts of interest still checked per application; one
person's load counted across hubs; an expert scores their own tasks whatever hub runs the round; a shared expert's
profile kept by the expert's own hub), a round's name unique per hub, partners shared down the tree, and an
attachment opened by id only within the reader's hubs. On a small network built here: 杭州市 → 钱塘区 → 甲街道, 乙街道
(runs on both engines)."""
from __future__ import annotations

import pytest

from core.intake import applications, rounds, workflow
from core.orgs import hubs, organisations
from core.platform import users
from core.platform.actor import SYSTEM, Actor
from core.platform.errors import NotFound, PermissionDenied, ValidationFailed
from core.review import assignment, reviewers, reviews
from tests.test_hub_isolation import screen_of
from tests.test_reviews import TODAY, form, split
from tests.test_rounds import STONES, app_values, round_values, with_amount
from tests.test_schema_organisation import org_values, uscc_for

SAME_NAME = "2026年度公益创投"


def _in(hub: int, name: str, role: str, db) -> Actor:
    return Actor(name, (role,), hub_id=hub, scope=hubs.subtree(hub, db))


def _expert(username: str, hub: int, db) -> Actor:
    """An active reviewer account of ``hub`` (created by that hub's admin: an account belongs to its creator's hub)."""
    users.create({"username": username, "name": f"专家{username}", "roles": ["reviewer"], "active": True},
                 Actor(f"admin_{hub}", ("admin",), hub_id=hub), password_hash="not-a-real-hash")
    return _in(hub, username, "reviewer", db)


def _in_review(round_id: int, serial: int, staff: Actor, admin: Actor, name: str) -> tuple[int, int]:
    """An organisation of the staff's hub and its application in ``round_id``, sent to 专家评审."""
    org = organisations.create(org_values(name=name, uscc=uscc_for("51", serial)), staff)
    app = applications.save_draft(app_values(round_id, org, title=f"{name}的项目", **with_amount(40000)), STONES, staff)
    applications.submit(app, staff)
    for state in ("screening", "eligible", "under_review"):
        workflow.move(applications.APPLICATION, app, state, admin)
    return org, app


@pytest.fixture
def pool_net(db):
    from core import domain

    domain.install_providers()
    hubs.ensure_default(db)
    city = hubs.create({"name": "杭州市枢纽", "level": "市", "parent_id": None}, SYSTEM)
    qt = hubs.create({"name": "钱塘区枢纽", "level": "区", "parent_id": city}, SYSTEM)
    a = hubs.create({"name": "甲街道中心", "level": "街道", "parent_id": qt}, SYSTEM)
    b = hubs.create({"name": "乙街道中心", "level": "街道", "parent_id": qt}, SYSTEM)
    n = {"db": db, "city": city, "qt": qt, "a": a, "b": b,
         "admin_a": _in(a, "admin_a", "admin", db), "staff_a": _in(a, "staff_a", "staff", db),
         "admin_b": _in(b, "admin_b", "admin", db), "staff_b": _in(b, "staff_b", "staff", db),
         "qt_admin": _in(qt, "qt_admin", "admin", db), "qt_staff": _in(qt, "qt_staff", "staff", db)}
    for name, hub in (("qt_e1", qt), ("qt_e2", qt), ("city_e", city), ("a_e", a), ("b_e", b)):
        n[name] = _expert(name, hub, db)
    n["ra"] = rounds.create(round_values(name=SAME_NAME, reviewers_per_app=3), n["admin_a"])
    n["rb"] = rounds.create(round_values(name=SAME_NAME, reviewers_per_app=3), n["admin_b"])  # the same name
    n["org_a"], n["app_a"] = _in_review(n["ra"], 1, n["staff_a"], n["admin_a"], "甲街道邻里互助会")
    n["org_b"], n["app_b"] = _in_review(n["rb"], 2, n["staff_b"], n["admin_b"], "乙街道银龄互助会")
    return n


def _pool(round_id: int) -> set[str]:
    return set(reviewers.pool(round_id)["username"])


# ---- the expert pool ---------------------------------------------------------------------------------------------

def test_a_rounds_pool_is_the_experts_of_its_hub_and_of_the_hubs_above(pool_net):
    n = pool_net
    assert _pool(n["ra"]) == {"a_e", "qt_e1", "qt_e2", "city_e"}  # 甲's own, the district's, the city's
    assert _pool(n["rb"]) == {"b_e", "qt_e1", "qt_e2", "city_e"}  # 甲's own expert is not 乙's
    planned = assignment.plan_round(n["ra"])
    chosen = {u for _, u in planned.pairs}
    assert len(planned.pairs) == 3 and chosen < _pool(n["ra"])  # 3 for the one application, from the pool alone
    assignment.confirm_plan(n["ra"], planned.pairs, n["staff_a"])
    stored = {r["reviewer"] for r in n["db"].fetch_all("SELECT reviewer FROM assignments WHERE application_id = ?",
                                                        [n["app_a"]])}
    assert stored == {u for _, u in planned.pairs}
    with pytest.raises(ValidationFailed) as info:  # 乙's own expert, by hand, in 甲's round
        assignment.assign(n["app_a"], "b_e", n["staff_a"])
    assert info.value.form == ["专家b_e属于「乙街道中心」,不在本批次的专家库中:专家库是本批次所属枢纽及其上级枢纽(区、市)"
                               "的评审专家,请选择其中的专家"]
    assert assignment.assign(n["app_b"], "qt_e1", n["staff_b"])  # the district's expert serves 乙 too


def test_conflicts_are_checked_per_application_whatever_the_hubs(pool_net):
    n = pool_net
    # the district keeps its expert's declared affiliations: qt_e1 sits on the board of 甲's organisation
    reviewers.add_affiliation("qt_e1", {"org_id": n["org_a"], "relation": "理事"}, n["qt_admin"])
    with pytest.raises(ValidationFailed) as info:
        assignment.assign(n["app_a"], "qt_e1", n["staff_a"])
    assert info.value.form == ["专家qt_e1与申报组织有利益冲突:已申报与该组织的关系:理事"]
    assert all(p != (n["app_a"], "qt_e1") for p in assignment.plan_round(n["ra"]).pairs)
    assert assignment.assign(n["app_b"], "qt_e1", n["staff_b"])  # no conflict with 乙's applicant
    # 甲's staff see the affiliation with their organisation; 乙's staff are not told of 甲's organisation
    with screen_of(n["staff_a"]):
        assert list(reviewers.affiliations("qt_e1")["org"]) == ["甲街道邻里互助会"]
    with screen_of(n["staff_b"]):
        assert reviewers.affiliations("qt_e1").empty
    with pytest.raises(PermissionDenied):  # a street does not edit the district's expert's affiliations
        reviewers.add_affiliation("qt_e1", {"org_id": n["org_a"], "relation": "顾问"}, n["staff_a"])


def test_a_shared_experts_load_counts_across_hubs(pool_net):
    n = pool_net
    reviewers.save_profile("qt_e2", {"expertise": ["一老一小"], "load_cap": 1}, n["qt_admin"])
    assignment.assign(n["app_a"], "qt_e2", n["staff_a"])  # 甲's round: one task
    with pytest.raises(ValidationFailed) as info:  # 乙's round, reviewed at the same time: one person's workload
        assignment.assign(n["app_b"], "qt_e2", n["staff_b"])
    assert info.value.form == ["专家qt_e2本批次已分配 0 个项目(其中同期其他批次 1 个),达到上限 1"]
    assert "qt_e2" not in {u for _, u in assignment.plan_round(n["rb"]).pairs}
    assert assignment.loads(rounds.get(n["rb"]), n["db"]) == {"qt_e2": 1}


def test_a_street_reads_a_district_experts_profile_and_the_district_edits_it(pool_net):
    n = pool_net
    with pytest.raises(PermissionDenied) as info:
        reviewers.save_profile("qt_e1", {"expertise": ["社区治理"], "load_cap": 3}, n["staff_a"])
    assert "只能新建和修改本枢纽的记录" in str(info.value)
    assert reviewers.profile("qt_e1") is None
    reviewers.save_profile("qt_e1", {"expertise": ["社区治理"], "load_cap": 3}, n["qt_admin"])
    assert reviewers.profile("qt_e1")["load_cap"] == 3
    assert (reviewers.editable("qt_e1", n["staff_a"]), reviewers.editable("a_e", n["staff_a"]),
            reviewers.editable("qt_e1", n["qt_admin"])) == (False, True, True)
    # 评审专家 lists the experts a hub uses or reads: 甲 its own and those above, never 乙's; the district all
    assert set(reviewers.reviewers(actor=n["staff_a"])["username"]) == {"a_e", "qt_e1", "qt_e2", "city_e"}
    assert set(reviewers.reviewers(actor=n["qt_staff"])["username"]) == {"a_e", "b_e", "qt_e1", "qt_e2", "city_e"}
    with screen_of(n["staff_b"]):
        listed = reviewers.reviewers()
    assert dict(zip(listed["username"], listed["hub"])) == {
        "b_e": "乙街道中心", "qt_e1": "钱塘区枢纽", "qt_e2": "钱塘区枢纽", "city_e": "杭州市枢纽"}


def test_an_expert_scores_the_tasks_of_every_hub_and_reads_nothing_else(pool_net):
    n = pool_net
    t_a = assignment.assign(n["app_a"], "qt_e1", n["staff_a"])
    t_b = assignment.assign(n["app_b"], "qt_e1", n["staff_b"])
    t_other = assignment.assign(n["app_b"], "b_e", n["staff_b"])
    expert = n["qt_e1"]
    with screen_of(expert):
        tasks = reviews.my_assignments("qt_e1")
        assert set(tasks["assignment_id"]) == {t_a, t_b}
        for task, rid in ((t_a, n["ra"]), (t_b, n["rb"])):
            assert reviews.application_for_reviewer(task, expert)["id"] in (n["app_a"], n["app_b"])
            assignment.confirm_no_conflict(task, expert)
            assert reviews.save(task, form(rid, split(80)), expert, submit=True, today=TODAY) == pytest.approx(80)
        with pytest.raises(PermissionDenied):  # someone else's task in the same round
            reviews.application_for_reviewer(t_other, expert)
    stored = n["db"].fetch_all("SELECT assignment_id, status, total FROM reviews ORDER BY assignment_id")
    assert [(r["assignment_id"], r["status"], float(r["total"])) for r in stored] == [
        (t_a, "submitted", 80.0), (t_b, "submitted", 80.0)]
    # an expert later moved to a hub that does not read 甲 still scores the task given while they were in the pool
    t_moved = assignment.assign(n["app_a"], "a_e", n["staff_a"])
    with n["db"].transaction() as tx:
        tx.execute("UPDATE users SET hub_id = ? WHERE username = 'a_e'", [n["b"]])
    moved = _in(n["b"], "a_e", "reviewer", n["db"])
    with screen_of(moved):
        assert set(reviews.my_assignments("a_e")["assignment_id"]) == {t_moved}
        assert reviews.application_for_reviewer(t_moved, moved)["id"] == n["app_a"]
        with pytest.raises(NotFound):  # the rest of 甲's chain stays closed to them
            applications.get(n["app_a"])
        assignment.confirm_no_conflict(t_moved, moved)
        reviews.save(t_moved, form(n["ra"], split(70)), moved, submit=False, today=TODAY)
    assert n["db"].scalar("SELECT status FROM reviews WHERE assignment_id = ?", [t_moved]) == "draft"


def test_staff_of_another_hub_still_cannot_write_the_review_chain(pool_net):
    n = pool_net
    task = assignment.assign(n["app_a"], "qt_e1", n["staff_a"])
    with pytest.raises(PermissionDenied):  # 乙's staff, 甲's assignment
        reviews.unassign(task, n["staff_b"])
    with pytest.raises(PermissionDenied):  # the district reads the streets' review, never writes it
        assignment.assign(n["app_a"], "qt_e2", n["qt_staff"])
    assert n["db"].scalar("SELECT count(*) FROM assignments") == 1


# ---- a round's name per hub --------------------------------------------------------------------------------------

def test_a_rounds_name_is_unique_within_its_hub_only(pool_net):
    n = pool_net
    named = {r["hub_id"]: r["name"] for r in n["db"].fetch_all("SELECT hub_id, name FROM rounds")}
    assert named == {n["a"]: SAME_NAME, n["b"]: SAME_NAME}
    with pytest.raises(ValidationFailed) as info:
        rounds.create(round_values(name=SAME_NAME), n["admin_a"])
    assert info.value.fields == {"name": [f"批次名称已存在:本枢纽已有「{SAME_NAME}」(编号 {n['ra']}),请换一个名称"]}
    with pytest.raises(ValidationFailed):  # renaming 乙's other round to its own round's name
        other = rounds.create(round_values(name="2026年乙街道第二批"), n["admin_b"])
        rounds.update(other, {"name": SAME_NAME}, n["admin_b"])
    assert rounds.create(round_values(name=SAME_NAME), n["qt_admin"])  # the district's own round
    with pytest.raises(Exception):  # the database holds it too (migration 029: UNIQUE (hub_id, name))
        with n["db"].transaction() as tx:
            tx.execute("INSERT INTO rounds (year, name, total_budget, project_ceiling, categories, checklist,"
                       " apply_start, apply_end, screening_end, review_start, review_end, notice_start, notice_end,"
                       " project_start, project_end, hub_id) SELECT year, name, total_budget, project_ceiling,"
                       " categories, checklist, apply_start, apply_end, screening_end, review_start, review_end,"
                       " notice_start, notice_end, project_start, project_end, hub_id FROM rounds WHERE id = ?",
                       [n["ra"]])


# ---- attachments by id -------------------------------------------------------------------------------------------

def test_an_attachment_is_read_by_id_only_within_the_readers_hubs(pool_net):
    from core.platform import documents
    from tests.test_uploads import PNG

    n = pool_net
    doc = documents.attach("applications", n["app_a"], "现场照片.png", PNG, n["staff_a"])
    for reader in (n["staff_a"], n["qt_staff"]):  # 甲's own staff; the district reads its streets
        with screen_of(reader):
            assert documents.read(doc)[1] == PNG
        assert documents.download(doc, reader).data == PNG
    with screen_of(n["staff_b"]):  # 乙's staff ask for 甲's attachment by its id: not found, as a missing one
        with pytest.raises(NotFound) as info:
            documents.read(doc)
    assert str(info.value) == f"附件(编号 {doc})不存在"
    with pytest.raises(NotFound):
        documents.download(doc, n["staff_b"])
    before = n["db"].scalar("SELECT count(*) FROM documents")
    with pytest.raises(PermissionDenied) as info:  # nor may they attach a file to 甲's application
        documents.attach("applications", n["app_a"], "越权上传.png", PNG, n["staff_b"])
    assert "只能为本枢纽的记录上传附件" in str(info.value)
    assert n["db"].scalar("SELECT count(*) FROM documents") == before


# ---- partners shared down the tree -------------------------------------------------------------------------------

def test_partners_of_a_district_are_seen_below_a_streets_only_by_it_and_claims_stay_in_their_hub(pool_net):
    import datetime as dt

    from core.platform import records
    from core.resources import partners as pt
    from schemas import choices
    from tests.test_hub_isolation import _listed

    n = pool_net
    kind = {"kind": "企业", "offers": ["资金"]}
    qp = pt.create_partner({"name": "钱塘示例科技有限公司", **kind}, n["qt_staff"])
    ap = pt.create_partner({"name": "甲街道爱心超市", **kind}, n["staff_a"])
    bp = pt.create_partner({"name": "乙街道便民药房", **kind}, n["staff_b"])
    assert {r["id"]: r["hub_id"] for r in n["db"].fetch_all("SELECT id, hub_id FROM partners")} == {
        qp: n["qt"], ap: n["a"], bp: n["b"]}
    for actor, seen in ((n["staff_a"], {qp, ap}), (n["staff_b"], {qp, bp}), (n["qt_staff"], {qp, ap, bp})):
        assert _listed(pt.PARTNERS_VIEW, actor) == seen
        with screen_of(actor):
            assert set(choices.get("partners")) == seen
            for pid in (qp, ap, bp):
                if pid in seen:
                    assert pt.get_partner(pid)["id"] == pid
                else:
                    with pytest.raises(NotFound):
                        pt.get_partner(pid)
    with pytest.raises(PermissionDenied):  # a street reads the district's partner, never edits it
        records.update(pt.PARTNER, qp, {"contact_person": "王敏"}, n["staff_a"])
    # a claimable item of 甲 (no record behind it: the publisher's hub); the district's partner may claim it, 乙's not
    item = pt.publish({"title": "社区助餐点餐具", "kind": "资金", "needed": "助餐点餐具一批", "amount_sought": 5000,
                       "source": "其他", "published_on": dt.date(2026, 3, 1)}, n["staff_a"])
    with pytest.raises(ValidationFailed) as info:
        pt.claim(item, {"partner_id": bp, "claimed_on": dt.date(2026, 3, 2)}, n["staff_a"])
    assert "不是本枢纽或上级枢纽(区、市)登记的伙伴" in " ".join(info.value.fields["partner_id"])
    with pytest.raises(PermissionDenied):  # 乙's staff do not record a claim on 甲's item
        pt.claim(item, {"partner_id": qp, "claimed_on": dt.date(2026, 3, 2)}, n["staff_b"])
    pt.claim(item, {"partner_id": qp, "claimed_on": dt.date(2026, 3, 2)}, n["staff_a"])
    cid = pt.complete(item, {"completed_on": dt.date(2026, 3, 9)}, n["staff_a"])
    assert n["db"].fetch_one("SELECT hub_id, amount FROM partner_contributions WHERE id = ?", [cid]) == {
        "hub_id": n["a"], "amount": pytest.approx(5000)}
    assert n["db"].scalar("SELECT hub_id FROM claim_items WHERE id = ?", [item]) == n["a"]
    # the figures count the reader's hubs' contributions: 甲 and the district see the money, 乙 none of it
    for actor, money in ((n["staff_a"], 5000.0), (n["qt_staff"], 5000.0), (n["staff_b"], 0.0)):
        table = pt.continuity(actor=actor)
        assert float(table["money"].sum()) == money
        assert "钱塘示例科技有限公司" in set(table["name"]) and ("甲街道爱心超市" in set(table["name"])) == (
            actor is not n["staff_b"])
    assert _listed(pt.CONTRIBUTIONS_VIEW, n["staff_b"]) == set() and _listed(pt.CONTRIBUTIONS_VIEW, n["staff_a"]) == {cid}

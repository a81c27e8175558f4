"""Isolation of 孵化与能力建设 and the communities between hubs (issue 20, core.incubation.scope, migration 028): a
training is organised by one hub and seen at and below it (a district's by every street below it, a street's by that
street alone and, read-only, its district); a sign-in, a pairing and its sessions and actions, an assessment, a stage
change, a decision and a rating are their organisation's hub's; each hub keeps its own communities. First on a small
network built here (runs on both engines), then on the demo network: 白杨's staff see none of 下沙's records, 钱塘区
reads both and writes neither."""
from __future__ import annotations

import datetime as dt

import pytest

from core.dashboards import dashboard
from core.incubation import assessments as A, lifecycle, mentoring, support, trainings as T
from core.orgs import communities, hubs, organisations
from core.platform import listing
from core.platform.actor import SYSTEM, Actor
from core.platform.errors import NotFound, PermissionDenied, ValidationFailed
from schemas import choices
from tests.test_hub_isolation import screen_of
from tests.test_schema_organisation import org_values, uscc_for

D = dt.date


def _in(hub: int, name: str, role: str, db) -> Actor:
    return Actor(name, (role,), hub_id=hub, scope=hubs.subtree(hub, db))


def _training(title: str, actor: Actor, day=D(2025, 6, 15)) -> int:
    return T.create({"title": title, "kind": "线下培训", "topic": "财税管理", "training_date": day, "capacity": 20},
                    actor)


def _listed(actor: Actor) -> set[int]:
    return {int(v) for v in listing.fetch_all(T.LIST_VIEW, listing.Query(hubs=actor.hubs))["id"]}


@pytest.fixture
def net(db):
    from core import domain

    domain.install_providers()
    hubs.ensure_default(db)
    A.ensure_defaults(db=db)
    qt = hubs.create({"name": "钱塘区枢纽", "level": "区", "parent_id": None}, SYSTEM)
    a = hubs.create({"name": "甲街道中心", "level": "街道", "parent_id": qt}, SYSTEM)
    b = hubs.create({"name": "乙街道中心", "level": "街道", "parent_id": qt}, SYSTEM)
    communities.ensure(["甲一社区", "甲二社区"], SYSTEM, db, hub_id=a)
    communities.ensure(["乙一社区"], SYSTEM, db, hub_id=b)
    n = {"db": db, "qt": qt, "a": a, "b": b, "staff_a": _in(a, "staff_a", "staff", db),
         "staff_b": _in(b, "staff_b", "staff", db), "qt_staff": _in(qt, "qt_staff", "staff", db),
         "qt_leader": _in(qt, "qt_leader", "leader", db)}
    n["org_a"] = organisations.create(org_values(name="甲街道邻里互助会", uscc=uscc_for("51", 1), community="甲一社区"),
                                      n["staff_a"])
    n["org_b"] = organisations.create(org_values(name="乙街道银龄互助会", uscc=uscc_for("51", 2), community="乙一社区"),
                                      n["staff_b"])
    n["t_a"] = _training("甲街道财税实务", n["staff_a"])
    n["t_b"] = _training("乙街道财税实务", n["staff_b"])
    n["t_qt"] = _training("钱塘区财税管理专题培训", n["qt_staff"], D(2025, 7, 1))
    return n


def test_a_training_is_seen_at_and_below_its_hub_and_edited_only_by_it(net):
    db, a, b = net["db"], net["staff_a"], net["staff_b"]
    assert db.fetch_one("SELECT hub_id FROM trainings WHERE id = ?", [net["t_a"]])["hub_id"] == net["a"]
    assert db.fetch_one("SELECT hub_id FROM trainings WHERE id = ?", [net["t_qt"]])["hub_id"] == net["qt"]
    # a street: its own and its district's, never the other street's; the district: all three
    assert _listed(a) == {net["t_a"], net["t_qt"]}
    assert _listed(b) == {net["t_b"], net["t_qt"]}
    assert _listed(net["qt_leader"]) == {net["t_a"], net["t_b"], net["t_qt"]}
    assert T.get(net["t_b"], actor=a) is None and T.get(net["t_qt"], actor=a)["title"] == "钱塘区财税管理专题培训"
    with screen_of(a):  # a detail opened by URL id, the effectiveness tables
        assert T.get(net["t_b"]) is None
        assert set(T.by_event()["id"]) == {net["t_a"], net["t_qt"]}
        assert set(T.upcoming(["财税管理"], today=D(2025, 1, 1))["id"]) == {net["t_a"], net["t_qt"]}
    # only the organising hub edits a training: not a street its district's, nor the district a street's
    with pytest.raises(PermissionDenied, match="只能新建和修改本枢纽的记录"):
        T.update(net["t_qt"], {"capacity": 30}, a)
    with pytest.raises(PermissionDenied):
        T.update(net["t_b"], {"capacity": 30}, net["qt_staff"])
    assert db.fetch_one("SELECT capacity FROM trainings WHERE id = ?", [net["t_qt"]])["capacity"] == 20


def test_each_street_signs_its_own_organisations_in_to_a_district_training_and_reads_only_them(net):
    db, a, b = net["db"], net["staff_a"], net["staff_b"]
    sa = T.add_attendance(net["t_qt"], {"org_id": net["org_a"], "person": "王芳"}, a)
    T.add_attendance(net["t_qt"], {"org_id": net["org_b"], "person": "李强"}, b)
    T.save_feedback(sa, {"usefulness": 5, "clarity": 4, "fit": 4}, a)
    # another hub's organisation is refused by the write path; another street's training is not found
    with pytest.raises(PermissionDenied):
        T.add_attendance(net["t_qt"], {"org_id": net["org_b"], "person": "赵六"}, a)
    with pytest.raises(NotFound):
        T.add_attendance(net["t_b"], {"org_id": net["org_a"], "person": "王芳"}, a)
    with pytest.raises(NotFound):
        T.save_feedback(sa, {"usefulness": 1, "clarity": 1, "fit": 1}, b)
    with pytest.raises(PermissionDenied):
        T.remove_attendance(sa, b)
    assert db.scalar("SELECT count(*) FROM training_attendance") == 2
    assert db.fetch_one("SELECT usefulness FROM training_feedback")["usefulness"] == 5
    with screen_of(a):
        assert list(T.attendance(net["t_qt"])["person"]) == ["王芳"]
        assert list(T.feedback(net["t_qt"])["person"]) == ["王芳"]
        assert int(T.by_event().set_index("id").loc[net["t_qt"], "attendees"]) == 1
        assert choices.get("orgs") == [net["org_a"]]  # the sign-in form's organisation picker
        assert list(support.trainings(net["org_b"])["title"]) == []
    with screen_of(net["qt_leader"]):
        assert sorted(T.attendance(net["t_qt"])["person"]) == ["李强", "王芳"]
        assert int(T.by_event().set_index("id").loc[net["t_qt"], "attendees"]) == 2
    # the dashboards count a training at its organising hub
    at = {h: dashboard.kpi_trainings(dashboard.Filters(year_to=2025, hubs=h), db).set_index("key")["value"]
          for h in ((net["a"],), (net["qt"], net["a"], net["b"]))}
    assert int(at[(net["a"],)]["trainings"]) == 1
    assert int(at[(net["qt"], net["a"], net["b"])]["trainings"]) == 3
    assert int(at[(net["qt"], net["a"], net["b"])]["training_person_times"]) == 2


def test_an_organisations_incubation_records_are_its_hubs(net):
    db, a, b, org = net["db"], net["staff_a"], net["staff_b"], net["org_a"]
    m = mentoring.add_mentor({"name": "周慧", "speciality": "公益领域专家", "active": True}, a)
    p = mentoring.add_pairing({"mentor_id": m, "org_id": org, "start_date": D(2026, 1, 5)}, a)
    s = mentoring.record_session({"pairing_id": p, "session_date": D(2026, 1, 10), "hours": 2.0,
                                  "module": "项目策划设计", "form": "面谈", "findings": "目标过宽,建议聚焦助餐"},
                                 [{"action": "修改项目书", "owner": "王芳", "due_date": D(2026, 2, 1)}], a)
    lifecycle.change_stage(org, {"to_stage": "成熟期", "changed_on": D(2025, 3, 1), "reason": "开展首个项目"}, a)
    inst = A.instrument(A.latest_instrument_id())
    values = {f"score_{i['id']}": 3 for d in inst["dimensions"] for i in d["indicators"]}
    aid, _ = A.create(org, inst["id"], values | {"period": "2025年上半年", "assessor": "王敏",
                                                 "assessed_on": D(2025, 5, 10)}, a)
    # 乙's staff write none of it
    m2 = mentoring.add_mentor({"name": "陈立", "speciality": "公益领域专家", "active": True}, b)  # one shared pool
    for write in (lambda: mentoring.add_pairing({"mentor_id": m2, "org_id": org, "start_date": D(2026, 3, 1)}, b),
                  lambda: mentoring.record_session({"pairing_id": p, "session_date": D(2026, 1, 20), "hours": 1.0,
                                                    "module": "项目策划设计", "form": "面谈",
                                                    "findings": "跟进"}, [], b),
                  lambda: mentoring.end_pairing(p, D(2026, 6, 1), b),
                  lambda: lifecycle.change_stage(org, {"to_stage": "初创期", "changed_on": D(2026, 3, 1),
                                                       "reason": "独立运作"}, b),
                  lambda: lifecycle.record_rating(org, {"level": "3A", "score": 80, "rated_on": D(2026, 3, 1)}, b),
                  lambda: mentoring.mark_done(db.scalar("SELECT id FROM mentoring_actions"), D(2026, 1, 20), b)):
        with pytest.raises(PermissionDenied):
            write()
    with pytest.raises(ValidationFailed):
        A.create(org, inst["id"], values | {"period": "2025年下半年", "assessor": "王敏",
                                            "assessed_on": D(2025, 11, 10)}, b)
    assert db.scalar("SELECT count(*) FROM mentor_pairings") == 1 and db.scalar("SELECT count(*) FROM assessments") == 1
    # ... and read none of it, in lists, pickers and by id
    with screen_of(b):
        assert mentoring.pairings().empty and mentoring.sessions().empty and mentoring.actions().empty
        assert mentoring.follow_up_counts(D(2026, 1, 15)) == {"open": 0, "overdue": 0, "done": 0}
        assert int(mentoring.mentors().set_index("id").loc[m, "pairings"]) == 0  # the shared pool, counted for 乙
        assert choices.get("pairings") == []
        with pytest.raises(NotFound):
            mentoring.get_pairing(p)
        with pytest.raises(NotFound):
            support.history(org)
        assert lifecycle.stage_history(org).empty and lifecycle.current_ratings().empty
        assert A.assessed_orgs() == [] and A.periods() == [] and A.get(aid) is None
        assert A.assessment_frame().empty and A.not_assessed().empty is False
        assert set(A.not_assessed()["org_id"]) == {net["org_b"]}
        assert (lifecycle.coverage()["orgs"].sum()) == 1
    with screen_of(net["qt_leader"]):  # the district reads the street's records
        assert list(mentoring.sessions()["id"]) == [s]
        assert A.assessed_orgs() == [(org, "甲街道邻里互助会")]
        assert support.history(org)["summary"]["sessions"] == 1


def test_each_hub_offers_its_own_communities(net):
    db, a, b = net["db"], net["staff_a"], net["staff_b"]
    assert db.fetch_one("SELECT hub_id FROM communities WHERE name = '乙一社区'")["hub_id"] == net["b"]
    with screen_of(b):
        assert choices.get("communities") == ["乙一社区"]
        assert dashboard.filter_options(db)["communities"] == ["乙一社区"]
        with pytest.raises(ValidationFailed):  # 乙's form refuses 甲's community
            organisations.create(org_values(name="乙街道文体队", uscc=uscc_for("51", 5), community="甲一社区"), b)
    with screen_of(net["qt_leader"]):
        assert set(choices.get("communities")) == {"甲一社区", "甲二社区", "乙一社区"}
    with pytest.raises(PermissionDenied):  # an admin of 乙 adds to 乙's list, never to 甲's
        communities.ensure(["甲三社区"], Actor("admin_b", ("admin",), hub_id=net["b"]), db, hub_id=net["a"])
    cov = dashboard.community_coverage(dashboard.Filters(year_to=2025, hubs=(net["a"],)), db)
    assert list(cov["community"]) == ["甲一社区", "甲二社区"]


# ---- the demo network --------------------------------------------------------------------------------------------

def test_baiyang_staff_see_none_of_xiashas_incubation_and_qiantang_reads_it(demo_db):
    db = demo_db
    by, xs, qt = (hubs.actor_for(u, r, db) for u, r in
                  (("by_staff", ("staff",)), ("staff", ("staff",)), ("qt_leader", ("leader",))))
    xiasha_trainings = {int(r["id"]) for r in db.fetch_all("SELECT id FROM trainings WHERE hub_id = 1")}
    assert len(xiasha_trainings) == 58  # the case study's, all 下沙's street trainings
    district = db.fetch_one("SELECT t.id FROM trainings t JOIN hubs h ON h.id = t.hub_id WHERE h.level = '区'")["id"]
    assert _listed(by) == {district}  # 钱塘区's training, and none of 下沙's
    assert _listed(xs) == xiasha_trainings | {district} and _listed(qt) == xiasha_trainings | {district}
    org = int(db.scalar("SELECT org_id FROM assessments ORDER BY id LIMIT 1"))
    training = min(xiasha_trainings)
    with screen_of(by):
        assert T.get(training) is None and list(T.by_event()["id"]) == [district]
        signed = set(T.attendance(district)["org_id"])  # 白杨's own two of the four sign-ins
        assert len(signed) == 2 and signed <= {o for o, _ in organisations.options()}
        assert mentoring.sessions().empty and mentoring.actions().empty and A.assessed_orgs() == []
        assert lifecycle.current_ratings().empty and lifecycle.expiring().empty
        with pytest.raises(NotFound):
            support.history(org)
        offered = choices.get("communities")
        assert offered == communities.names(db, hubs=(by.hub_id,)) and "文海社区" not in offered and len(offered) == 3
    with screen_of(qt):
        assert T.get(training) is not None and len(A.assessed_orgs()) > 0
        assert "文海社区" in choices.get("communities") and "智格社区" in choices.get("communities")
    with screen_of(xs):
        assert len(mentoring.sessions()) > 0 and "智格社区" not in choices.get("communities")

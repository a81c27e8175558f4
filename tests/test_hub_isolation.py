"""Isolation of the 公益创投 chain between hubs (issue 20, core.intake.scope): a round belongs to a hub (migration 025,
stamped by the write path) and takes applications only from that hub's organisations; every reader of the chain
(rounds, ideas, applications, screening queue, review admin, decisions and notice, projects, tranches, ledger,
expenses, evaluations, risk board, dossier, documents) keeps the reader's hubs, a record of another hub opened by id
reads as not found, and a write to another hub's record is refused by the write path. First on a small network
built here (runs on both engines), then on the demo network: 白杨's staff see none of 下沙's chain, 下沙's staff see
theirs, 钱塘区 reads both and writes neither."""
from __future__ import annotations

from contextlib import contextmanager

import pytest

from core.intake import applications, ideas, rounds
from core.orgs import hubs, organisations
from core.platform import listing, records
from core.platform.actor import SYSTEM, Actor, act_as
from core.platform.errors import NotFound, PermissionDenied, ValidationFailed
from schemas import choices
from tests.test_rounds import STONES, app_values, round_values
from tests.test_schema_organisation import org_values, uscc_for


@contextmanager
def screen_of(actor: Actor | None):
    """Read as the signed-in user of a screen (what the sign-in gate declares on every run)."""
    act_as(actor)
    try:
        yield
    finally:
        act_as(None)


def _ids(df, column: str = "id") -> set[int]:
    return {int(v) for v in df[column]}


def _listed(view, actor: Actor) -> set[int]:
    return _ids(listing.fetch_all(view, listing.Query(hubs=actor.hubs)))


# ---- a small network: 甲街道 and 乙街道 under 钱塘区 -------------------------------------------------------

def _in(hub: int, name: str, role: str, db) -> Actor:
    return Actor(name, (role,), hub_id=hub, scope=hubs.subtree(hub, db))


@pytest.fixture
def net(db):
    from core import domain

    domain.install_providers()
    hubs.ensure_default(db)
    qt = hubs.create({"name": "钱塘区枢纽", "level": "区", "parent_id": None}, SYSTEM)
    a = hubs.create({"name": "甲街道中心", "level": "街道", "parent_id": qt}, SYSTEM)
    b = hubs.create({"name": "乙街道中心", "level": "街道", "parent_id": qt}, SYSTEM)
    n = {"db": db, "qt": qt, "a": a, "b": b, "admin_a": _in(a, "admin_a", "admin", db),
         "staff_a": _in(a, "staff_a", "staff", db), "admin_b": _in(b, "admin_b", "admin", db),
         "staff_b": _in(b, "staff_b", "staff", db), "qt_staff": _in(qt, "qt_staff", "staff", db)}
    n["r1"] = rounds.create(round_values(name="2026年甲街道公益创投"), n["admin_a"])
    n["org1"] = organisations.create(org_values(name="甲街道邻里互助会", uscc=uscc_for("51", 1)), n["staff_a"])
    n["org1b"] = organisations.create(org_values(name="甲街道青少年服务社", uscc=uscc_for("51", 3)), n["staff_a"])
    n["app1"] = applications.save_draft(app_values(n["r1"], n["org1"]), STONES, n["staff_a"])
    n["rb"] = rounds.create(round_values(name="2026年乙街道公益创投"), n["admin_b"])
    n["orgb"] = organisations.create(org_values(name="乙街道银龄互助会", uscc=uscc_for("51", 2)), n["staff_b"])
    n["appb"] = applications.save_draft(app_values(n["rb"], n["orgb"], title="乙街道邻里食堂"), STONES, n["staff_b"])
    return n


def test_a_round_belongs_to_its_creators_hub_and_takes_only_that_hubs_organisations(net):
    db = net["db"]
    hub_of = {r["id"]: r["hub_id"] for r in db.fetch_all("SELECT id, hub_id FROM rounds")}
    assert hub_of == {net["r1"]: net["a"], net["rb"]: net["b"]}
    before = db.scalar("SELECT count(*) FROM applications")
    with pytest.raises(ValidationFailed) as info:  # 乙's round, 甲's organisation
        applications.save_draft(app_values(net["rb"], net["org1"], title="跨枢纽申报"), STONES, net["staff_b"])
    said = " ".join(info.value.fields["org_id"])
    assert "属于「甲街道中心」的台账" in said and "本批次「2026年乙街道公益创投」属于「乙街道中心」" in said
    assert "请选择本枢纽的组织" in said
    with pytest.raises(ValidationFailed) as info:  # 甲's round, 乙's organisation
        applications.save_draft(app_values(net["r1"], net["orgb"], title="跨枢纽申报"), STONES, net["staff_a"])
    assert "属于「乙街道中心」的台账" in " ".join(info.value.fields["org_id"])
    assert db.scalar("SELECT count(*) FROM applications") == before


def test_a_write_to_another_hubs_chain_is_refused_by_the_write_path(net):
    db = net["db"]
    audit = db.scalar("SELECT count(*) FROM audit_log")
    with pytest.raises(PermissionDenied) as info:  # a new application in 甲's round, by 乙's staff
        applications.save_draft(app_values(net["r1"], net["org1b"], title="越权申报"), STONES, net["staff_b"])
    assert "属于其他枢纽的台账" in str(info.value) and "请由该枢纽的工作人员办理" in str(info.value)
    with pytest.raises(PermissionDenied):  # editing 甲's draft
        applications.save_draft(app_values(net["r1"], net["org1"], title="改名后的项目"), STONES, net["staff_b"],
                                app_id=net["app1"])
    with pytest.raises(PermissionDenied) as info:  # the district reads 甲's chain, never writes it
        applications.submit(net["app1"], net["qt_staff"])
    assert "属于「甲街道中心」的台账" in str(info.value)
    with pytest.raises(PermissionDenied):  # 乙's round settings, by 甲's admin
        rounds.update(net["rb"], {"notes": "越权修改"}, net["admin_a"], override_reason="测试越权")
    assert db.scalar("SELECT count(*) FROM audit_log") == audit
    assert db.fetch_one("SELECT title, state FROM applications WHERE id = ?", [net["app1"]]) == {
        "title": "幸福食堂助餐服务", "state": "draft"}
    assert applications.submit(net["appb"], net["staff_b"]) == "submitted"  # its own hub's: as before


def test_each_hub_reads_its_own_chain_and_the_district_reads_both(net):
    r1, rb, app1, appb = net["r1"], net["rb"], net["app1"], net["appb"]
    staff_a, staff_b, qt_staff = net["staff_a"], net["staff_b"], net["qt_staff"]
    for actor, keep_rounds, keep_apps in ((staff_b, {rb}, {appb}), (staff_a, {r1}, {app1}),
                                          (qt_staff, {r1, rb}, {app1, appb})):
        assert _ids(rounds.all_rounds(actor=actor)) == keep_rounds
        assert _listed(applications.LIST_VIEW, actor) == keep_apps
        with screen_of(actor):
            assert _ids(rounds.all_rounds()) == keep_rounds
            assert set(choices.get("rounds")) == keep_rounds
            assert rounds.current()["id"] in keep_rounds
            assert {i for i, _ in applications.options()} == keep_apps
            assert {i for i, _ in applications.editable()} == keep_apps
            assert sum(applications.counts_by_state().values()) == len(keep_apps)
            for app_id in (app1, appb):
                if app_id in keep_apps:
                    assert applications.get(app_id)["id"] == app_id
                else:  # opened by id (?id=): the words of a missing record, nothing of its content
                    with pytest.raises(NotFound, match=f"申报项目\\(编号 {app_id}\\)不存在"):
                        applications.get(app_id)
            for round_id in (r1, rb):
                if round_id not in keep_rounds:
                    with pytest.raises(NotFound, match="创投批次"):
                        rounds.get(round_id)
    idea_b = ideas.create({"title": "乙街道老年助餐点", "description": "希望在社区设立老年助餐点", "community": "文海社区",
                           "category": "一老一小", "source": "居民"}, staff_b)
    assert net["db"].scalar("SELECT hub_id FROM ideas WHERE id = ?", [idea_b]) == net["b"]
    assert _listed(ideas.LIST_VIEW, staff_a) == set() and _listed(ideas.LIST_VIEW, qt_staff) == {idea_b}
    with screen_of(staff_a), pytest.raises(NotFound):
        ideas.get(idea_b)


# ---- the demo network: 下沙 holds the whole case study, 白杨 none of it -----------------------------------------

def _demo_actors(db) -> dict[str, Actor]:
    return {name: hubs.actor_for(name, roles, db) for name, roles in
            (("by_staff", ("staff",)), ("staff", ("staff",)), ("qt_leader", ("leader",)))}


def test_baiyang_staff_see_none_of_xiashas_chain_xiasha_sees_its_own_and_qiantang_reads_both(demo_db):
    from core.documents import catalog
    from core.monitoring import dossier, evaluations, ledger, money, projects, risks
    from core.review import assignment, consolidation, decisions

    db = demo_db
    who = _demo_actors(db)
    running = db.fetch_one(
        "SELECT p.id AS pid, p.application_id AS app, a.round_id AS rnd FROM projects p"
        " JOIN applications a ON a.id = p.application_id WHERE p.state = 'active' ORDER BY p.id LIMIT 1")
    pid, app_id, round_id = running["pid"], running["app"], running["rnd"]
    reviewed = db.scalar("SELECT a.round_id FROM assignments s JOIN applications a ON a.id = s.application_id"
                         " ORDER BY s.id DESC LIMIT 1")
    every = {"rounds": db.scalar("SELECT count(*) FROM rounds"), "apps": db.scalar("SELECT count(*) FROM applications"),
             "projects": db.scalar("SELECT count(*) FROM projects"), "ideas": db.scalar("SELECT count(*) FROM ideas")}
    assert min(every.values()) > 0

    # 白杨: every list empty, every record of 下沙 not found (by id, as a URL opens it)
    by = who["by_staff"]
    for view in (applications.LIST_VIEW, ideas.LIST_VIEW, projects.LIST_VIEW, ledger.LIST_VIEW):
        assert _listed(view, by) == set(), view.entity.name
    with screen_of(by):
        assert rounds.all_rounds().empty and rounds.current() is None
        for source in ("rounds", "round_names", "notice_applications", "projects", "active_projects"):
            assert choices.get(source) == [], source
        assert applications.options() == [] and applications.editable() == [] and ideas.options() == []
        assert applications.queue(("submitted", "resubmitted", "returned")).empty
        assert sum(applications.counts_by_state().values()) == 0
        assert projects.awaiting_agreement().empty and money.execution_by_project().empty
        assert ledger.progress_all().empty and evaluations.due_reports().empty
        assert risks.board().empty and risks.summary()["total"] == 0
        opened = [
            lambda: rounds.get(round_id), lambda: applications.get(app_id), lambda: projects.get(pid),
            lambda: assignment.matrix(reviewed), lambda: assignment.for_application(app_id),
            lambda: consolidation.table(reviewed), lambda: consolidation.progress(reviewed),
            lambda: decisions.notice_list(round_id), lambda: decisions.objections(round_id),
            lambda: money.tranches(pid), lambda: money.expenses(pid), lambda: money.summary(pid),
            lambda: ledger.activities(pid), lambda: ledger.progress(pid), lambda: evaluations.evaluations(pid),
            lambda: risks.acks(pid), lambda: projects.timeline(pid), lambda: dossier.sheets(pid),
        ]
        for i, read in enumerate(opened):
            with pytest.raises(NotFound, match="不存在"):
                read()
                pytest.fail(f"reader {i} showed another hub's record")
    for key, record_id in (("application", app_id), ("agreement", pid), ("notice", round_id)):
        with pytest.raises(NotFound):  # the documents of these, asked for by 白杨's staff
            catalog.word(key, record_id, by, db)
    with pytest.raises(PermissionDenied, match="属于其他枢纽的台账"):  # and no write to them
        records.update(projects.PROJECT, pid, {}, by, system={"notes": "越权"})

    # 下沙's staff and 钱塘区's leader: everything as before (the leader through the roll-up)
    for name in ("staff", "qt_leader"):
        actor = who[name]
        assert _listed(applications.LIST_VIEW, actor) and len(_listed(projects.LIST_VIEW, actor)) == every["projects"]
        assert len(_listed(ideas.LIST_VIEW, actor)) == every["ideas"]
        with screen_of(actor):
            assert len(rounds.all_rounds()) == every["rounds"]
            assert len(choices.get("rounds")) == every["rounds"]
            assert applications.get(app_id)["id"] == app_id and projects.get(pid)["id"] == pid
            assert not money.tranches(pid).empty and not ledger.activities(pid).empty
            assert not ledger.progress_all().empty and not decisions.notice_list(round_id).empty
            assert not assignment.matrix(reviewed).empty
    with screen_of(who["qt_leader"]):
        leader_board = risks.board()
    with screen_of(who["staff"]):
        assert len(risks.board()) == len(leader_board)
    with pytest.raises(PermissionDenied):
        records.update(applications.APPLICATION, app_id, {}, who["qt_leader"], system={"decision_note": "越权"})


def test_baiyang_staff_opening_xiashas_application_and_project_by_url_see_nothing_of_them(demo_db):
    """The screens: 申报项目 ?id= of 下沙's application reads as a missing one for 白杨's staff (and shows it to 下沙's
    staff), its list is empty; 项目档案 ?id= of 下沙's project offers and shows nothing."""
    from tests.apptest_helpers import open_page, plain_texts, signed_in

    row = demo_db.fetch_one("SELECT p.id AS pid, a.id AS app, a.title, p.agreement_no FROM projects p"
                            " JOIN applications a ON a.id = p.application_id ORDER BY p.id LIMIT 1")

    def screen(user: str, url: str, **query):
        at = signed_in(user, ["staff"]).run()
        for k, v in query.items():
            at.query_params[k] = v
        at = open_page(at, url)
        assert not at.exception, at.exception
        return at

    at = screen("by_staff", "application-list", id=str(row["app"]))
    shown = plain_texts(at)
    assert f"申报项目(编号 {row['app']})不存在" in shown and row["title"] not in shown
    assert all(df.value.empty for df in at.dataframe)
    at = screen("by_staff", "project-file", id=str(row["pid"]))
    shown = plain_texts(at)
    assert row["agreement_no"] not in shown and row["title"] not in shown
    pickers = [s for s in at.selectbox if s.key == "project:chosen"]
    assert pickers and not pickers[0].options and pickers[0].value is None
    at = screen("staff", "application-list", id=str(row["app"]))
    assert row["title"] in [s.value for s in at.subheader][0]


# ---- 资源与需求 (migration 027, core.resources.hubs): each hub's venues, bookings, needs, volunteers, surveys ---------

def _venue_values(name: str) -> dict:
    return {"name": name, "address": "测试路1号", "capacity": 30, "community": "文海社区", "owner": "社区居委会",
            "open_days": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"], "open_from": "08:00", "open_to": "20:00"}


def test_a_hubs_resources_are_stamped_kept_to_its_readers_and_written_only_by_it(net):
    import datetime as dt

    from core.dashboards import resources as res
    from core.dashboards.dashboard import Filters
    from core.orgs.venues import VENUE
    from core.platform import admin
    from core.resources import bookings, needs, surveys, volunteers
    from tests.test_needs import need_values

    db, a, b = net["db"], net["a"], net["b"]
    staff_a, staff_b, qt_staff = net["staff_a"], net["staff_b"], net["qt_staff"]
    va = records.create(VENUE, _venue_values("甲街道邻里中心"), staff_a)
    vb = records.create(VENUE, _venue_values("乙街道议事厅"), staff_b)
    na = needs.create(need_values(title="甲街道老人助餐难"), staff_a)
    nb = needs.create(need_values(title="乙街道孩子放学无人看护"), staff_b)
    person = {"name": "周晓梅", "community": "文海社区", "consent": False}
    pa = volunteers.add_volunteer(person, staff_a)
    pb = volunteers.add_volunteer({**person, "name": "林晓雯"}, staff_b)
    sa = surveys.ensure_standard(staff_a)
    sb = surveys.ensure_standard(staff_b)
    assert sa != sb  # each hub its own standard questionnaire
    for table, key, hub in (("venues", va, a), ("venues", vb, b), ("community_needs", na, a),
                            ("community_needs", nb, b), ("volunteers", pa, a), ("volunteers", pb, b),
                            ("surveys", sa, a), ("surveys", sb, b)):
        assert db.scalar(f"SELECT hub_id FROM {table} WHERE id = ?", [key]) == hub, table
    day = dt.date.today() + dt.timedelta(days=7)
    slot = {"org_id": net["orgb"], "contact_person": "王芳", "purpose": "邻里议事", "booking_date": day,
            "start_time": "09:00", "end_time": "11:00"}
    kb = bookings.book({**slot, "venue_id": vb}, staff_b)
    assert db.scalar("SELECT hub_id FROM bookings WHERE id = ?", [kb]) == b
    with pytest.raises(ValidationFailed, match="所选场地不存在"):  # 甲's venue, booked by 乙's staff
        bookings.book({**slot, "venue_id": va}, staff_b)
    with pytest.raises(ValidationFailed, match="不存在"):  # 乙's need answered by 甲's application
        needs.link(nb, "application", net["app1"], staff_b)

    venue_view, sets = admin.list_view(VENUE), {}
    for actor, mine in ((staff_a, {"v": {va}, "n": {na}, "p": {pa}, "s": {sa}, "k": set()}),
                        (staff_b, {"v": {vb}, "n": {nb}, "p": {pb}, "s": {sb}, "k": {kb}}),
                        (qt_staff, {"v": {va, vb}, "n": {na, nb}, "p": {pa, pb}, "s": {sa, sb}, "k": {kb}})):
        assert _listed(venue_view, actor) == mine["v"] and _listed(needs.LIST_VIEW, actor) == mine["n"]
        assert _listed(volunteers.LIST_VIEW, actor) == mine["p"]
        with screen_of(actor):
            assert set(choices.get("venues")) == mine["v"] and set(choices.get("volunteers")) == mine["p"]
            assert set(choices.get("surveys")) == mine["s"] and _ids(surveys.surveys()) == mine["s"]
            assert _ids(bookings.bookings()) == mine["k"] and bookings.pending_count() == len(mine["k"])
            assert set(bookings.utilisation(day, day)["venue_id"]) == mine["v"]
            assert needs.totals()["total"] == len(mine["n"]) and volunteers.summary()["volunteers"] == len(mine["p"])
            assert {i for i, _ in needs.options("application")} == (
                {net["app1"], net["appb"]} if actor is qt_staff else {net["app1"] if actor is staff_a else net["appb"]})
            for key, get in ((va, lambda k: records.get(VENUE, k)), (na, needs.get),
                             (pa, lambda k: volunteers.volunteer(k, actor)), (sa, surveys.survey)):
                if actor is staff_b:  # 甲's record opened by id: the words of a missing one
                    with pytest.raises(NotFound, match="不存在"):
                        get(key)
                else:
                    assert get(key)["id"] == key
        sets[actor.username] = res.run("res_venue_use", Filters(hubs=actor.hubs), db)
    assert set(sets["staff_b"]["venue_id"]) == {vb} and set(sets["qt_staff"]["venue_id"]) == {va, vb}

    # nobody writes another hub's: not the other street, not the district above both (read-only roll-up)
    audit = db.scalar("SELECT count(*) FROM audit_log")
    for actor in (staff_b, qt_staff):
        for write in (lambda: records.update(VENUE, va, {"capacity": 99}, actor),
                      lambda: needs.update(na, {"urgency": "紧急"}, actor),
                      lambda: needs.change_status(na, "暂缓", dt.date.today(), "越权", actor),
                      lambda: records.update(volunteers.VOLUNTEER, pa, {"notes": "越权"}, actor),
                      lambda: surveys.save_survey(sa, {"name": "越权问卷"}, None, actor)):
            with pytest.raises(PermissionDenied, match="只能新建和修改本枢纽的记录"):
                write()
    with pytest.raises((PermissionDenied, NotFound)):
        bookings.approve(kb, staff_a)
    assert db.scalar("SELECT count(*) FROM audit_log") == audit
    assert db.fetch_one("SELECT capacity FROM venues WHERE id = ?", [va])["capacity"] == 30
    bookings.approve(kb, staff_b)  # its own hub's: as before
    assert db.scalar("SELECT state FROM bookings WHERE id = ?", [kb]) == "approved"


def test_baiyang_staff_see_only_baiyangs_resources_and_the_district_reads_both(demo_db):
    from core.dashboards import resources as res
    from core.dashboards.dashboard import Filters
    from core.orgs.venues import VENUE
    from core.platform import admin
    from core.resources import bookings, needs, publicity, surveys, volunteers

    db = demo_db
    who = _demo_actors(db)
    by, xs, qt = who["by_staff"], who["staff"], who["qt_leader"]
    baiyang = by.hub_id
    count = {t: {h: db.scalar(f"SELECT count(*) FROM {t} WHERE hub_id = ?", [h]) for h in (1, baiyang)}
             for t in ("venues", "community_needs", "volunteers", "publicity_items", "bookings")}
    assert [count[t][baiyang] for t in ("venues", "community_needs", "volunteers")] == [2, 2, 3]
    assert count["publicity_items"][baiyang] == 0 and min(count[t][1] for t in count) > 0
    xs_venue = db.scalar("SELECT min(id) FROM venues WHERE hub_id = 1")
    xs_need = db.scalar("SELECT min(id) FROM community_needs WHERE hub_id = 1")
    xs_person = db.scalar("SELECT min(id) FROM volunteers WHERE hub_id = 1")
    xs_post = db.scalar("SELECT min(id) FROM publicity_items WHERE hub_id = 1")
    money = {}  # the partners' money each reader's dashboard counts (the contributions its hubs recorded, 029)
    for actor, hubs_ in ((by, (baiyang,)), (xs, (1,)), (qt, (1, baiyang))):
        want = {t: sum(count[t][h] for h in hubs_) for t in count}
        assert len(_listed(admin.list_view(VENUE), actor)) == want["venues"]
        assert len(_listed(needs.LIST_VIEW, actor)) == want["community_needs"]
        assert len(_listed(volunteers.LIST_VIEW, actor)) == want["volunteers"]
        assert len(_listed(publicity.LIST_VIEW, actor)) == want["publicity_items"]
        with screen_of(actor):
            assert len(choices.get("venues")) == want["venues"] and len(bookings.bookings()) == want["bookings"]
            assert needs.totals()["total"] == want["community_needs"]
            assert publicity.summary()["items"] == want["publicity_items"]
            if actor is by:
                assert surveys.summary()["responses"] == 0 and volunteers.totals("volunteer").empty
                for opened in (lambda: records.get(VENUE, xs_venue), lambda: needs.get(xs_need),
                               lambda: volunteers.volunteer(xs_person, by), lambda: publicity.item(xs_post)):
                    with pytest.raises(NotFound, match="不存在"):
                        opened()
        f = Filters(hubs=actor.hubs)
        h = res.headline(f, db)
        money[actor.username] = h["money"]
        assert h["venues"] == want["venues"] and h["needs_total"] == want["community_needs"]
        drill = res.headline_drill("needs_total", f, db)
        assert len(drill) == min(want["community_needs"], len(drill)) and (actor is not by or len(drill) == 2)
        if actor is by:
            assert h["volunteers"] == 0 and res.run("res_satisfaction", f, db).empty
            assert res.run("res_publicity", f, db)[list(publicity.REACH_KEYS)].to_numpy().sum() == 0
    assert money["by_staff"] == 0 and money["qt_leader"] == money["staff"] > 0
    with pytest.raises(PermissionDenied, match="属于其他枢纽的台账"):
        records.update(VENUE, xs_venue, {"capacity": 1}, by)
    with pytest.raises(PermissionDenied):  # the district reads both streets, writes neither
        needs.update(xs_need, {"urgency": "紧急"}, qt)

"""盲评 (issue 14, 评审公平): in a blind round the reviewer reads a reviewer-facing title (评审用名称, set by
staff at 资格审查, by default 「项目类别-序号」) and no text they can read names the organisation: not its
registered name, its short forms, its brands, nor its people (法定代表人, 联系人, staff on training rosters).

Core level: one built organisation whose name hides in every text field, and a walk over every field the
reviewer side returns for every application of every blind demo round; the screening that stores the title
(audited, refused when it names the organisation or repeats another's); what a reviewer can export. The
rendered page is walked in tests/test_app_reviews.py and in the browser (tests/browser/test_e2e_blind_review.py)."""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterator

import pandas as pd
import pytest

from core.incubation import trainings as T
from core.intake import applications, blind, rounds
from core.monitoring import brands
from core.platform.actor import Actor
from core.review import reviews
from core.platform.errors import PermissionDenied, ValidationFailed
from tests.test_reviews import assign_all, expert
from tests.test_rounds import (  # noqa: F401  (hub is a fixture)
    STAFF, STONES, YEAR, audit_rows, hub, last_audit_id, make_app, make_org, make_round, walk, with_amount,
)

QK = "杭州市钱塘区青葵儿童关爱服务中心"
QK_LEAKS = (QK, "青葵儿童关爱服务中心", "青葵儿童关爱", "青葵", "青葵伙伴", "杨珍浩", "林子涵", "周晓东")


def strings(value: Any) -> Iterator[str]:
    """Every string inside ``value`` (dicts: keys and values; lists, tuples, frames: every cell)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings(k)
            yield from strings(v)
    elif isinstance(value, (list, tuple, set)):
        for v in value:
            yield from strings(v)
    elif isinstance(value, pd.DataFrame):
        yield from strings([str(c) for c in value.columns])
        yield from strings(value.to_numpy().ravel().tolist())
    elif hasattr(value, "tolist"):
        yield from strings(value.tolist())


def leaks(value: Any, forbidden) -> list[tuple[str, str]]:
    return [(f, s) for s in strings(value) for f in forbidden if f in s]


# ---- one organisation that names itself everywhere -------------------------------------------------

def _qingkui(*, blind_round: bool) -> dict:
    rid = make_round(blind_review=blind_round)
    org = make_org(7, name=QK, legal_rep="杨珍浩", contact_person="林子涵")
    brands.create({"name": "青葵伙伴", "tier": "核心品牌", "description": "关爱困境儿童"}, STAFF)
    tid = T.create({"title": "项目管理实务", "kind": "线下培训", "topic": "财税管理", "training_date": dt.date(2025, 6, 15),
                    "capacity": 10}, STAFF)
    T.add_attendance(tid, {"org_id": org, "person": "周晓东"}, STAFF)
    stones = [{"due_date": STONES[0]["due_date"], "deliverable": "青葵伙伴成长营结营,提交中期报告"},
              {"due_date": STONES[1]["due_date"], "deliverable": "杨珍浩审定结项报告"}]
    app_id = make_app(
        rid, org, submit=True, stones=stones, category="弱势群体关爱", title="青葵伙伴困境儿童陪伴计划",
        summary="青葵伙伴为困境儿童提供一对一陪伴", needs_analysis=f"项目将依托{QK}的服务经验,青葵儿童关爱团队已走访",
        target_group="青葵驿站推荐的困境儿童", planned_activities="1. 项目负责人周晓东带领学业辅导\n2. 联系人林子涵跟进个案",
        cofunding_self=2000, cofunding_other=5000, cofunding_note="青葵儿童关爱服务中心自筹,杨珍浩个人捐赠",
        **with_amount(40000))
    walk(app_id, "screening", "eligible", "under_review")
    li = expert("expert_li")
    (task,) = assign_all(app_id, [li])
    return {"round": rid, "org": org, "app": app_id, "task": task, "li": li}


def test_the_organisations_names_are_its_name_short_forms_brands_and_people(hub):
    s = _qingkui(blind_round=True)
    found = blind.names(s["org"])
    assert set(QK_LEAKS) <= set(found)
    assert found["青葵"] == found[QK] == "【申报组织】" and found["周晓东"] == "【相关人员】"
    assert "困境儿童" not in found and "弱势群体关爱" not in found


@pytest.mark.parametrize("name, short", [
    ("杭州市钱塘区同心社会工作服务中心", ["同心社会工作服务中心", "同心"]),
    ("钱塘区1516便民服务社", ["1516便民服务社", "1516便民", "1516"]),
    ("杭州市钱塘区和合社区发展服务中心", ["和合社区发展服务中心", "和合社区发展", "和合"]),
    ("下沙街道文海社区邻里互助会", ["邻里互助会"]),  # 文海社区 is a place; 邻里 alone is an ordinary word
    ("杭州市钱塘区社会工作者协会", ["社会工作者协会"]),
])
def test_short_names(name, short):
    assert blind.short_names(name, ["文海社区"]) == short


def test_a_blind_reviewer_reads_the_reviewer_title_and_no_name_anywhere(hub):
    s = _qingkui(blind_round=True)
    view = reviews.application_for_reviewer(s["task"], s["li"])
    assert leaks(view, QK_LEAKS) == []
    assert view["title"] == "弱势群体关爱-01" == applications.reviewer_title(s["app"])
    assert view["org"] == reviews.BLIND_HIDDEN
    assert view["summary"] == "【申报组织】为困境儿童提供一对一陪伴"
    assert [m["deliverable"] for m in view["milestones"]] == ["【申报组织】成长营结营,提交中期报告", "【相关人员】审定结项报告"]
    assert view["cofunding_note"] == "【申报组织】自筹,【相关人员】个人捐赠"
    tasks = reviews.my_assignments("expert_li")
    assert tasks["title"].tolist() == ["弱势群体关爱-01"]
    assert leaks(tasks, QK_LEAKS) == []


def test_staff_and_open_rounds_still_see_the_real_names(hub):
    s = _qingkui(blind_round=False)
    view = reviews.application_for_reviewer(s["task"], s["li"])
    assert (view["title"], view["org"]) == ("青葵伙伴困境儿童陪伴计划", QK)
    assert view["cofunding_note"] == "青葵儿童关爱服务中心自筹,杨珍浩个人捐赠"
    assert reviews.my_assignments("expert_li")["title"].tolist() == ["青葵伙伴困境儿童陪伴计划"]
    assert applications.get(s["app"])["title"] == "青葵伙伴困境儿童陪伴计划"


# ---- 资格审查 sets the reviewer-facing title ---------------------------------------------------------

def _screening_app(**kw) -> tuple[int, int]:
    rid = make_round(blind_review=True)
    org = make_org(7, name=QK, legal_rep="杨珍浩", contact_person="林子涵")
    other = make_org(8)
    first = make_app(rid, other, submit=True, category="弱势群体关爱", title="困境家庭微心愿圆梦行动", **with_amount(30000))
    app_id = make_app(rid, org, submit=True, category="弱势群体关爱", title="青葵伙伴困境儿童陪伴计划", **with_amount(40000))
    for a in (first, app_id):
        walk(a, "screening")
    return first, app_id


def _ticks() -> dict:
    return {f"ok_{i}": True for i in range(len(rounds.defaults(YEAR)["checklist"]))}


def test_screening_stores_the_typed_title_and_audits_it(hub, db):
    _, app_id = _screening_app()
    before = last_audit_id(db)
    applications.screen(app_id, _ticks(), "eligible", STAFF, blind_title=" 困境儿童陪伴(甲) ")
    assert applications.get(app_id)["blind_title"] == "困境儿童陪伴(甲)"
    assert applications.reviewer_title(app_id) == "困境儿童陪伴(甲)"
    moved = db.fetch_all("SELECT after_json FROM audit_log WHERE id > ? AND table_name = 'applications'", [before])
    assert len(moved) == 1 and "困境儿童陪伴(甲)" in moved[0]["after_json"]
    before = last_audit_id(db)
    assert applications.set_reviewer_title(app_id, "困境儿童陪伴(乙)", STAFF) == "困境儿童陪伴(乙)"
    (row,) = audit_rows(db, before)
    assert (row["table_name"], row["action"], row["note"]) == ("applications", "update", "评审用名称")
    assert applications.set_reviewer_title(app_id, "", STAFF) == "弱势群体关爱-02"  # empty: back to the default


def test_screening_left_empty_stores_the_default(hub):
    first, app_id = _screening_app()
    applications.screen(app_id, _ticks(), "eligible", STAFF, blind_title=None)
    applications.screen(first, _ticks(), "eligible", STAFF, blind_title="")
    assert applications.get(app_id)["blind_title"] == "弱势群体关爱-02"
    assert applications.get(first)["blind_title"] == "弱势群体关爱-01"


@pytest.mark.parametrize("typed, message", [
    ("青葵困境儿童陪伴", "评审用名称不能含申报组织的名称、简称、品牌或人员姓名(含「青葵」),请改写或留空"),
    ("杨珍浩的儿童项目", "评审用名称不能含申报组织的名称、简称、品牌或人员姓名(含「杨珍浩」),请改写或留空"),
    ("弱势群体关爱-01", "本批次的申报(编号 {first})已使用评审用名称「弱势群体关爱-01」,请换一个"),
])
def test_a_title_that_names_the_organisation_or_repeats_another_is_refused(hub, db, typed, message):
    first, app_id = _screening_app()
    before = last_audit_id(db)
    with pytest.raises(ValidationFailed) as info:
        applications.screen(app_id, _ticks(), "eligible", STAFF, blind_title=typed)
    assert info.value.fields == {"blind_title": [message.format(first=first)]}
    assert applications.get(app_id)["state"] == "screening" and applications.get(app_id)["blind_title"] is None
    assert last_audit_id(db) == before
    assert db.scalar("SELECT count(*) FROM screenings") == 0


# ---- every blind demo application, every field the reviewer side returns -----------------------------

def _forbidden(db, org_id: int) -> set[str]:
    """What identifies the organisation, read from the registry here (not from core.intake.blind): its name, its
    people, its brands; plus the short forms core.intake.blind derives (pinned for 青葵 above)."""
    org = db.fetch_one("SELECT name, legal_rep, contact_person FROM organisations WHERE id = ?", [org_id])
    out = {org["name"], org["legal_rep"], org["contact_person"]}
    out |= {r["person"] for r in db.fetch_all("SELECT person FROM training_attendance WHERE org_id = ?", [org_id])}
    out |= {r["name"] for r in db.fetch_all(
        "SELECT DISTINCT b.name FROM projects p JOIN applications a ON a.id = p.application_id JOIN brands b"
        " ON b.id = p.brand_id WHERE a.org_id = ?", [org_id])}
    out |= set(blind.short_names(org["name"], [r["name"] for r in db.fetch_all("SELECT name FROM communities")]))
    return {s for s in out if s and len(s) >= 2}


def test_every_blind_demo_application_hides_its_organisation_from_its_reviewers(demo_db):
    from core.platform.db import get_db

    db = get_db()
    tasks = db.fetch_all(
        "SELECT s.id, s.reviewer, a.id AS app_id, a.org_id, a.round_id FROM assignments s JOIN applications a"
        " ON a.id = s.application_id JOIN rounds r ON r.id = a.round_id WHERE r.blind_review ORDER BY a.id, s.id")
    apps = {t["app_id"]: t for t in tasks}  # one reviewer per application (each sees the same view)
    assert len(apps) > 100 and {t["round_id"] for t in tasks} == {
        r["id"] for r in db.fetch_all("SELECT id FROM rounds WHERE blind_review")}
    qk = db.scalar("SELECT id FROM organisations WHERE name = ?", [QK])
    assert {"青葵", "青葵伙伴", "青葵儿童关爱服务中心"} <= _forbidden(db, qk)
    assert any(t["org_id"] == qk for t in apps.values())
    found: list = []
    for t in apps.values():
        view = reviews.application_for_reviewer(t["id"], Actor(t["reviewer"], ("reviewer",)))
        assert view["title"] == applications.reviewer_title(t["app_id"])
        found += [(t["app_id"], *x) for x in leaks(view, _forbidden(db, t["org_id"]))]
    assert found == []
    # every reviewer's task list (the table and the task picker of 我的评审, and its CSV download)
    for who in sorted({t["reviewer"] for t in tasks}):
        listed = reviews.my_assignments(who)
        for row in listed[listed["blind"]].itertuples():
            org = db.scalar("SELECT org_id FROM applications WHERE id = ?", [row.application_id])
            assert leaks([row.title, row.category, row.round], _forbidden(db, org)) == [], (who, row.title)
            assert row.title == applications.reviewer_title(row.application_id)


def test_a_reviewer_reaches_no_export_but_the_screen_tables(demo_db):
    """What a reviewer may open: 工作台, 我的评审 (its tables, checked above and in the AppTest), 消息 (checked
    below), 修改密码; the full export is refused. A new screen for reviewers must be added here, with its blind check."""
    from core.navigation import PAGES
    from core.platform import export
    from core.platform.db import get_db

    assert {p.key for p in PAGES if "reviewer" in p.roles} == {"home", "my_reviews", "inbox", "account"}
    with pytest.raises(PermissionDenied):
        export.download(get_db(), Actor("expert", ("reviewer",)), "excel")


def test_an_experts_reminders_of_a_blind_round_name_no_organisation_and_no_real_title(demo_db):
    """消息 (issue 19): the reminders of open review tasks in the blind 2026 round reach each expert under the title
    the expert sees in 我的评审, never the organisation's name or the application's real title."""
    from core.notify import inbox, job
    from core.platform.db import get_db

    db = get_db()
    open_tasks = db.fetch_all(
        "SELECT s.reviewer, o.name AS org, a.title FROM assignments s JOIN applications a ON a.id = s.application_id"
        " JOIN rounds r ON r.id = a.round_id JOIN organisations o ON o.id = a.org_id"
        " WHERE r.blind_review AND s.status = 'assigned' AND a.state IN ('under_review', 're_review')")
    assert open_tasks
    job.run(db=db)
    reached = 0
    for reviewer in sorted({t["reviewer"] for t in open_tasks}):
        shown = " ".join(str(v) for v in inbox.messages(reviewer, db=db).to_numpy().ravel())
        reached += "评审任务" in shown  # a task assigned lately (新的评审任务) is announced; older ones wait for their due date
        for t in open_tasks:
            assert t["org"] not in shown and t["title"] not in shown, (reviewer, t["org"])
    assert reached >= 3


def test_the_screening_form_proposes_the_reviewer_title_and_stores_what_staff_type(demo_db):
    """资格审查 of an application in the (blind) current demo round: the 评审用名称 field shows the default;
    a name of the organisation is refused under the field with the input kept and nothing written; a
    fitting one is stored with the conclusion."""
    from core.platform.db import get_db
    from tests.apptest_helpers import errors, open_page, signed_in

    db = get_db()
    app_id = int(db.scalar("SELECT min(a.id) FROM applications a JOIN rounds r ON r.id = a.round_id"
                           " WHERE r.blind_review AND a.state = 'screening'"))
    org = db.scalar("SELECT o.name FROM organisations o JOIN applications a ON a.org_id = o.id WHERE a.id = ?", [app_id])
    at = open_page(signed_in("staff", ["staff"]).run(), "screening-queue")
    at.selectbox(key="screen:chosen").set_value(app_id).run()
    key = f"screen_form:{app_id}"
    field = at.text_input(key=f"{key}::blind_title")
    assert field.label == "评审用名称(盲评)" and field.value == applications.reviewer_title(app_id)
    audited = db.scalar("SELECT count(*) FROM audit_log WHERE table_name <> 'user_sessions'")
    field.input(f"{org}的项目")
    at.selectbox(key=f"{key}::outcome").set_value("eligible")
    at.button(key=f"FormSubmitter:{key}-提交审查结论").click().run()
    assert not at.exception
    assert "评审用名称不能含申报组织的名称" in errors(at)
    assert at.text_input(key=f"{key}::blind_title").value == f"{org}的项目"
    assert applications.get(app_id)["state"] == "screening" and applications.get(app_id)["blind_title"] is None
    assert db.scalar("SELECT count(*) FROM audit_log WHERE table_name <> 'user_sessions'") == audited
    at.text_input(key=f"{key}::blind_title").input("评审项目甲")
    at.button(key=f"FormSubmitter:{key}-提交审查结论").click().run()
    assert not errors(at)
    assert (applications.get(app_id)["state"], applications.get(app_id)["blind_title"]) == ("eligible", "评审项目甲")

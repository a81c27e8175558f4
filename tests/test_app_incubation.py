"""AppTest: 一对一辅导 (mentor-sessions), 组织成长档案 (org-support) and 孵化与等级 (incubation-ratings):
role checks, good and bad input on every form (on bad input the values stay and nothing is stored),
the follow-up of agreed actions, one organisation's dossier, the expiring list and the coverage report."""
from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from core.platform.actor import Actor
from tests.apptest_helpers import (
    count as _count, db as _db, errors as _errors, open_page, plain, plain_texts as texts, screen_as, signed_in, successes as _successes,
)

TODAY = dt.date.today()
STAFF = Actor("staff", ("staff",))
SCREENS = {"mentor-sessions": ("pages.mentoring:mentoring", "一对一辅导"),
           "org-support": ("pages.mentoring:org_support", "组织成长档案"),
           "incubation-ratings": ("pages.mentoring:lifecycle", "孵化与等级")}


def _staff(url_path: str, **query) -> AppTest:
    at = signed_in("staff", ["staff"]).run()
    for k, v in query.items():
        at.query_params[k] = v
    return open_page(at, url_path)


def _frame(at: AppTest, column: str):
    """The first table on the screen with this column."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def _org(where: str) -> dict:
    return _db().fetch_one(f"SELECT * FROM organisations WHERE active AND {where} ORDER BY id LIMIT 1")


def _mentor_and_pairing(org_id: int, start: dt.date | None = None) -> tuple[int, int]:
    from core.incubation import mentoring

    m = mentoring.add_mentor({"name": "测试导师周慧", "speciality": "财务合规顾问", "active": True}, STAFF)
    p = mentoring.add_pairing({"mentor_id": m, "org_id": org_id, "start_date": start or TODAY - dt.timedelta(days=60)},
                              STAFF)
    return m, p


# ---- access --------------------------------------------------------------------------------------

def test_staff_and_admin_open_each_screen(demo_db):
    for username in ("staff", "admin"):
        at = signed_in(username, [username]).run()
        for url, (_, title) in SCREENS.items():
            open_page(at, url)
            assert not at.exception, (username, url, at.exception)
            assert [t.value for t in at.title] == [title]
            assert not at.error


@pytest.mark.parametrize("username,role", [("expert", "reviewer"), ("leader", "leader")])
def test_reviewer_and_leader_get_a_no_access_notice(demo_db, username, role):
    at = signed_in(username, [role]).run()
    for url in SCREENS:
        open_page(at, url)
        assert not at.exception
        assert [t.value for t in at.title] == ["无权访问"]
        assert "导师" not in texts(at) and "等级到期" not in texts(at)


@pytest.mark.parametrize("username,role", [("expert", "reviewer"), ("leader", "leader")])
def test_screens_refuse_reviewer_and_leader_when_called_directly(demo_db, username, role):
    for target, _ in SCREENS.values():
        at = screen_as(username, [role], target, id="1").run()
        assert not at.exception
        assert any("无权" in plain(e.value) for e in at.error)
        assert len(at.title) == 0 and len(at.dataframe) == 0 and not at.get("form")


# ---- mentors and pairings ------------------------------------------------------------------------

MENTOR_SUBMIT = "FormSubmitter:mentor_new-登记导师"


def test_register_a_mentor(demo_db):
    n = _count("mentors")
    at = _staff("mentor-sessions", tab="导师库")  # the tab is drawn once opened
    at.text_input(key="mentor_new::name").input("测试导师孙强")
    at.selectbox(key="mentor_new::speciality").set_value("资深项目管理者")
    at.selectbox(key="mentor_new::username").set_value("expert02")
    at.text_input(key="mentor_new::phone").input("13905710000")
    at.button(key=MENTOR_SUBMIT).click().run()
    assert not at.exception and not _errors(at)
    row = _db().fetch_one("SELECT * FROM mentors WHERE name = '测试导师孙强'")
    assert (row["speciality"], row["username"], row["phone"], row["active"], row["created_by"]) == (
        "资深项目管理者", "expert02", "139 0571 0000", True, "staff")
    assert _count("mentors") == n + 1
    assert f"已登记导师(编号 {row['id']})" in _successes(at)
    assert at.text_input(key="mentor_new::name").value == ""  # emptied for the next one
    from core.incubation.mentoring import MENTOR_COLUMNS

    assert "测试导师孙强" in set(_frame(at, MENTOR_COLUMNS["username"])[MENTOR_COLUMNS["name"]])


def test_a_bad_mentor_is_refused_and_the_form_keeps_what_was_typed(demo_db):
    at = _staff("mentor-sessions", tab="导师库")
    n, audit = _count("mentors"), _count("audit_log")  # after signing in: the refused form writes nothing
    at.text_input(key="mentor_new::employer").input("浙江财经大学")
    at.text_input(key="mentor_new::phone").input("12345")
    at.button(key=MENTOR_SUBMIT).click().run()
    assert not at.exception
    errors = _errors(at)
    for msg in ("请填写导师姓名", "请选择专长", "联系电话无效"):
        assert msg in errors, msg
    assert (_count("mentors"), _count("audit_log")) == (n, audit)
    assert at.text_input(key="mentor_new::employer").value == "浙江财经大学"
    assert at.text_input(key="mentor_new::phone").value == "12345"


def test_pairing_good_and_bad(demo_db):
    from core.incubation import mentoring

    org = _org("incubation_in IS NULL")
    m = mentoring.add_mentor({"name": "测试导师周慧", "speciality": "公益领域专家", "active": True}, STAFF)
    at = _staff("mentor-sessions", tab="导师结对")
    n, audit = _count("mentor_pairings"), _count("audit_log")  # after signing in
    at.selectbox(key="mentor_pairing::mentor_id").set_value(m)
    at.selectbox(key="mentor_pairing::org_id").set_value(org["id"])
    at.date_input(key="mentor_pairing::start_date").set_value(dt.date(2026, 3, 1))
    at.date_input(key="mentor_pairing::end_date").set_value(dt.date(2026, 2, 1))
    at.button(key="FormSubmitter:mentor_pairing-建立结对").click().run()
    assert not at.exception
    assert "结对结束日期不能早于开始日期" in _errors(at)
    assert (_count("mentor_pairings"), _count("audit_log")) == (n, audit)
    assert at.selectbox(key="mentor_pairing::org_id").value == org["id"]
    at.date_input(key="mentor_pairing::end_date").set_value(None)
    at.button(key="FormSubmitter:mentor_pairing-建立结对").click().run()
    assert not at.exception and not _errors(at)
    row = _db().fetch_one("SELECT * FROM mentor_pairings WHERE mentor_id = ?", [m])
    assert (row["org_id"], row["start_date"], row["end_date"]) == (org["id"], dt.date(2026, 3, 1), None)
    assert f"已建立结对(编号 {row['id']})" in _successes(at)
    pairs = _frame(at, "辅导次数")
    assert pairs.loc[pairs["编号"] == row["id"], "状态"].tolist() == ["辅导中"]


# ---- sessions with agreed actions ----------------------------------------------------------------

SESSION_SUBMIT = "FormSubmitter:mentor_session-保存辅导记录"


def _fill_session(at: AppTest, pairing: int, **values) -> AppTest:
    at.selectbox(key="mentor_session::pairing_id").set_value(pairing)
    at.date_input(key="mentor_session::session_date").set_value(values.get("day", TODAY - dt.timedelta(days=7)))
    at.number_input(key="mentor_session::hours").set_value(values.get("hours", 2.5))
    at.selectbox(key="mentor_session::module").set_value("财务规范管理")
    at.selectbox(key="mentor_session::form").set_value("现场")
    at.text_area(key="mentor_session::findings").input("报销凭证不全,未建立固定资产台账。")
    return at


def _actions(at: AppTest, *rows: dict, n: int = 0) -> AppTest:
    """Type the agreed actions into the form's rows (事项 / 负责人 / 完成期限)."""
    for i, row in enumerate(rows):
        base = f"mentor_session:act:{n}:{i}"
        at.text_input(key=f"{base}:action").input(row["action"] or "")
        at.text_input(key=f"{base}:owner").input(row["owner"] or "")
        at.date_input(key=f"{base}:due_date").set_value(dt.date.fromisoformat(row["due_date"]))
    return at


def test_record_a_session_with_its_agreed_actions(demo_db):
    org = _org("incubation_in IS NULL")
    _, p = _mentor_and_pairing(org["id"])
    due = (TODAY + dt.timedelta(days=20)).isoformat()
    at = _actions(_fill_session(_staff("mentor-sessions"), p),
                  {"action": "补齐报销凭证", "owner": "出纳李娜", "due_date": due},
                  {"action": "建立固定资产台账", "owner": "负责人王芳", "due_date": due})
    at.button(key=SESSION_SUBMIT).click().run()
    assert not at.exception and not _errors(at)
    s = _db().fetch_one("SELECT * FROM mentoring_sessions WHERE pairing_id = ?", [p])
    assert (s["hours"], s["module"], s["form"], s["created_by"]) == (2.5, "财务规范管理", "现场", "staff")
    acts = _db().fetch_all("SELECT action, owner, due_date, status FROM mentoring_actions WHERE session_id = ? ORDER BY id",
                           [s["id"]])
    assert [(a["action"], a["owner"], a["status"]) for a in acts] == [("补齐报销凭证", "出纳李娜", "open"),
                                                                      ("建立固定资产台账", "负责人王芳", "open")]
    assert f"已保存辅导记录(编号 {s['id']}),商定待办事项 2 项" in _successes(at)
    assert at.session_state["mentor_session:n"] == 1  # fresh, empty action rows for the next session
    assert at.text_input(key="mentor_session:act:1:0:action").value == ""
    assert at.text_area(key="mentor_session::findings").value == ""
    assert s["id"] in set(_frame(at, "发现的问题与建议")["编号"])


def test_a_bad_session_stores_nothing_and_keeps_the_form(demo_db):
    org = _org("incubation_in IS NULL")
    _, p = _mentor_and_pairing(org["id"])
    at = _staff("mentor-sessions")
    n, audit = _count("mentoring_sessions") + _count("mentoring_actions"), _count("audit_log")  # after signing in
    at = _actions(_fill_session(at, p, hours=0.0),
                  {"action": "补齐报销凭证", "owner": None, "due_date": (TODAY + dt.timedelta(days=5)).isoformat()})
    at.button(key=SESSION_SUBMIT).click().run()
    assert not at.exception
    errors = _errors(at)
    assert "辅导时长(小时)必须大于0" in errors
    assert "待办事项第1行:请填写负责人" in errors
    assert _count("mentoring_sessions") + _count("mentoring_actions") == n and _count("audit_log") == audit
    assert at.number_input(key="mentor_session::hours").value == 0.0
    assert at.text_area(key="mentor_session::findings").value == "报销凭证不全,未建立固定资产台账。"
    assert at.text_input(key="mentor_session:act:0:0:action").value == "补齐报销凭证"


def test_follow_up_list_and_mark_done(demo_db):
    from core.incubation import mentoring

    org = _org("incubation_in IS NULL")
    _, p = _mentor_and_pairing(org["id"])
    day = TODAY - dt.timedelta(days=30)
    sid = mentoring.record_session(
        {"pairing_id": p, "session_date": day, "hours": 2, "module": "风险预警防控", "form": "线上",
         "findings": "缺少活动安全预案。"},
        [{"action": "制定活动安全预案", "owner": "负责人王芳", "due_date": TODAY - dt.timedelta(days=3)},
         {"action": "购买活动意外险", "owner": "负责人王芳", "due_date": TODAY + dt.timedelta(days=3)}], STAFF)
    late, ok = [r["id"] for r in _db().fetch_all("SELECT id FROM mentoring_actions WHERE session_id = ? ORDER BY id", [sid])]
    at = _staff("mentor-sessions", tab="待办跟进")
    shown = _frame(at, "跟进状态").set_index("编号")
    assert shown.loc[late, "跟进状态"] == "已逾期" and shown.loc[ok, "跟进状态"] == "未完成"
    at.button(key="actions:done:btn").click().run()  # nothing chosen
    assert "请选择待办事项" in _errors(at)
    assert _count("mentoring_actions", "WHERE status = 'done' AND session_id = ?", [sid]) == 0
    at.selectbox(key="actions:done:id").set_value(late)
    at.date_input(key="actions:done:date").set_value(day - dt.timedelta(days=1))  # before the session
    at.button(key="actions:done:btn").click().run()
    assert f"完成日期不能早于辅导日期({day})" in _errors(at)
    at.date_input(key="actions:done:date").set_value(TODAY)
    at.button(key="actions:done:btn").click().run()
    assert not at.exception
    assert _db().fetch_one("SELECT status, done_date FROM mentoring_actions WHERE id = ?", [late]) == {
        "status": "done", "done_date": TODAY}
    assert f"待办事项「制定活动安全预案({org['name']},期限 {TODAY - dt.timedelta(days=3)})」已标记为完成" in _successes(at)
    assert late not in set(_frame(at, "跟进状态")["编号"])  # the default filter hides done ones
    at.multiselect(key="actions:filter").set_value(["已完成"]).run()
    assert _frame(at, "跟进状态").set_index("编号").loc[late, "跟进状态"] == "已完成"


# ---- the organisation's dossier ------------------------------------------------------------------

def test_the_dossier_of_one_organisation(demo_db):
    from core.incubation import mentoring

    org = _org("id IN (SELECT org_id FROM applications WHERE state = 'funded')")
    _, p = _mentor_and_pairing(org["id"])
    mentoring.record_session({"pairing_id": p, "session_date": TODAY - dt.timedelta(days=10), "hours": 3,
                              "module": "执行流程管控", "form": "面谈", "findings": "活动记录不完整。"},
                             [{"action": "补齐活动签到表", "owner": "项目主管", "due_date": TODAY - dt.timedelta(days=1)}],
                             STAFF)
    at = _staff("org-support")
    assert "选择一个组织" in texts(at)
    at.selectbox(key="support:org").set_value(org["id"]).run()
    assert not at.exception
    assert [t.label for t in at.tabs] == ["一对一辅导", "能力培训", "能力评估", "资助项目", "阶段与孵化", "等级评估"]
    metrics = {m.label: m.value for m in at.metric}
    hours = float(_db().scalar("SELECT sum(s.hours) FROM mentoring_sessions s JOIN mentor_pairings p"
                               " ON p.id = s.pairing_id WHERE p.org_id = ?", [org["id"]]))
    assert float(metrics["辅导时长(小时)"]) == hours
    funded = _count("applications", "WHERE org_id = ? AND state IN ('funded', 'public_notice')", [org["id"]])
    assert metrics["资助项目"] == str(funded) and funded >= 1
    assert "项辅导待办已逾期" in texts(at)
    assert "补齐活动签到表" in set(_frame(at, "跟进状态")["待办事项"])
    assert len(_frame(at, "资助金额(元)")) == funded
    assert at.query_params["id"] == str(org["id"])
    assert any(b.proto.label == "导出完整档案(Excel)" for b in at.get("download_button"))


def test_the_dossier_opens_from_the_url(demo_db):
    org = _org("rating IS NOT NULL")
    at = _staff("org-support", id=str(org["id"]))
    assert not at.exception
    assert at.selectbox(key="support:org").value == org["id"]
    assert org["name"] in texts(at) and f"等级:{org['rating']}" in texts(at)


def test_dossier_and_history_tables_read_the_declared_labels(demo_db):
    """Every table of the dossier and of the 孵化与等级 history is headed by the labels declared once beside its
    query: the schema's field labels (评估等级, 新的发展阶段), the stamps (创建人), the computed columns."""
    from core.incubation import lifecycle, support

    org = _org(" AND ".join(f"id IN (SELECT org_id FROM {t})" for t in (
        "stage_changes", "incubation_decisions", "ratings", "training_attendance", "assessments", "mentor_pairings",
        "applications WHERE state = 'funded'")))
    at = _staff("org-support", id=str(org["id"]))
    assert not at.exception
    shown = [list(d.value.columns) for d in at.dataframe]
    for declared in (lifecycle.STAGE_COLUMNS, lifecycle.DECISION_COLUMNS, lifecycle.RATING_COLUMNS,
                     support.TRAINING_COLUMNS, support.ASSESSMENT_COLUMNS, support.FUNDED_COLUMNS):
        assert list(declared.values()) in shown, (list(declared.values()), shown)
    assert ["编号", "评估日期", "评估等级", "评估得分(满分1000)", "有效期至", "说明", "创建人"] in shown
    assert ["编号", "变更日期", "原发展阶段", "新的发展阶段", "变更依据", "创建人"] in shown
    assert ["培训日期", "培训名称", "培训形式", "主题领域", "授课老师", "姓名", "职务"] in shown
    metrics = [m.label for m in at.metric]
    assert metrics == ["辅导次数", "辅导时长(小时)", "培训人次", "能力评估", "资助项目"]

    at = _life(org["id"])
    history = [list(d.value.columns) for d in at.dataframe]
    assert ["变更日期", "原发展阶段", "新的发展阶段", "变更依据", "创建人"] in history
    assert ["决定日期", "决定", "符合的标准", "说明", "创建人"] in history
    assert ["组织名称", "所属社区", "等级评估", "评估日期", "等级有效期至", "剩余天数"] in history
    assert ["组织名称", "等级评估", "评估日期", "等级有效期至", "状态", "可申请晋级日期", "晋级申请"] in history


# ---- lifecycle, incubation, ratings --------------------------------------------------------------

def _life(org_id: int) -> AppTest:
    at = _staff("incubation-ratings")
    return at.selectbox(key="life:org").set_value(org_id).run()


def test_stage_change_good_and_bad(demo_db):
    org = _org("stage = '初创期'")
    at = _life(org["id"])
    n, audit = _count("stage_changes"), _count("audit_log")  # after signing in
    key = f"stage:{org['id']}"
    at.selectbox(key=f"{key}::to_stage").set_value("初创期")
    at.text_area(key=f"{key}::reason").input("完成登记,开展首个项目")
    at.button(key=f"FormSubmitter:{key}-记录阶段变更").click().run()
    assert not at.exception
    assert "该组织当前已处于「初创期」" in _errors(at)
    assert (_count("stage_changes"), _count("audit_log")) == (n, audit)
    assert at.text_area(key=f"{key}::reason").value == "完成登记,开展首个项目"
    at.selectbox(key=f"{key}::to_stage").set_value("成长期")
    at.button(key=f"FormSubmitter:{key}-记录阶段变更").click().run()
    assert not at.exception and not _errors(at)
    assert "已记录阶段变更:初创期 → 成长期" in _successes(at)
    assert _db().scalar("SELECT stage FROM organisations WHERE id = ?", [org["id"]]) == "成长期"
    row = _db().fetch_one("SELECT * FROM stage_changes WHERE org_id = ? ORDER BY id DESC LIMIT 1", [org["id"]])
    assert (row["from_stage"], row["to_stage"], row["changed_on"], row["reason"]) == (
        "初创期", "成长期", TODAY, "完成登记,开展首个项目")
    assert "发展阶段:成长期" in texts(at)


def test_entry_needs_a_reason_when_criteria_are_missing(demo_db):
    org = _org("incubation_in IS NULL")
    n = _count("incubation_decisions")
    at = _life(org["id"])
    key = f"incubation:{org['id']}:入壳"
    at.multiselect(key=f"{key}::criteria_met").set_value(["有明确的服务领域和对象", "有初步的项目设想"])
    at.button(key=f"FormSubmitter:{key}-记录入壳").click().run()
    assert not at.exception
    assert "未满足全部标准时,请在说明中写明仍作此决定的理由" in _errors(at)
    assert _count("incubation_decisions") == n
    assert at.multiselect(key=f"{key}::criteria_met").value == ["有明确的服务领域和对象", "有初步的项目设想"]
    at.text_area(key=f"{key}::note").input("核心成员正在招募,先行入壳")
    at.button(key=f"FormSubmitter:{key}-记录入壳").click().run()
    assert not at.exception and not _errors(at)
    assert _db().scalar("SELECT incubation_in FROM organisations WHERE id = ?", [org["id"]]) == TODAY
    assert _count("incubation_decisions") == n + 1
    assert "记录出壳" in [b.label for b in at.button]  # the next decision is graduation


def test_graduation_on_the_entry_day_is_refused(demo_db):
    org = _org("incubation_in IS NOT NULL AND incubation_out IS NULL")
    at = _life(org["id"])
    key = f"incubation:{org['id']}:出壳"
    at.date_input(key=f"{key}::decided_on").set_value(org["incubation_in"])
    at.multiselect(key=f"{key}::criteria_met").set_value(["完成登记或备案", "内部治理制度健全", "独立运作至少一个项目",
                                                          "能力评估总分达到60分"])
    at.button(key=f"FormSubmitter:{key}-记录出壳").click().run()
    assert not at.exception
    assert f"出壳日期须晚于入壳日期({org['incubation_in']})" in _errors(at)
    assert _db().scalar("SELECT incubation_out FROM organisations WHERE id = ?", [org["id"]]) is None
    assert at.date_input(key=f"{key}::decided_on").value == org["incubation_in"]


def test_graduation_asks_first_and_writes_once(demo_db):
    org = _org("incubation_in IS NOT NULL AND incubation_out IS NULL")
    at = _life(org["id"])
    n, audit = _count("incubation_decisions"), _count("audit_log")  # after signing in
    key = f"incubation:{org['id']}:出壳"
    at.multiselect(key=f"{key}::criteria_met").set_value(["完成登记或备案", "内部治理制度健全", "独立运作至少一个项目",
                                                          "能力评估总分达到60分"])
    at.button(key=f"FormSubmitter:{key}-记录出壳").click().run()
    assert not at.exception and not _errors(at)
    box = "\n".join(plain(w.value) for w in at.warning if "请确认" in plain(w.value))
    assert f"记录「{org['name']}」于 {TODAY} 出壳(满足全部出壳标准)" in box
    assert "不能再记录入壳或出壳" in box and "不可撤销" in box
    assert (_count("incubation_decisions"), _count("audit_log")) == (n, audit)  # asked, nothing written yet
    assert _db().scalar("SELECT incubation_out FROM organisations WHERE id = ?", [org["id"]]) is None
    at.button(key=f"{key}:yes").click().run()
    assert not at.exception, _errors(at)
    assert _db().scalar("SELECT incubation_out FROM organisations WHERE id = ?", [org["id"]]) == TODAY
    assert _count("incubation_decisions") == n + 1
    assert f"已记录出壳决定({TODAY}),孵化完成" in _successes(at)
    assert not [b for b in at.button if b.key == f"{key}:yes"]  # the box is gone: a second click writes nothing
    assert "孵化已完成" in texts(at)


def test_tabs_and_organisation_in_the_url(demo_db):
    org = _org("rating IS NOT NULL")
    at = _staff("org-support", id=str(org["id"]), tab="等级评估")
    assert not at.exception
    assert at.query_params["tab"] == "等级评估" and at.query_params["id"] == str(org["id"])
    ratings = _frame(at, "有效期至")
    assert not {str(v) for v in ratings.astype(object).to_numpy().ravel()} & {"None", "nan", "NaT"}
    from core.incubation.lifecycle import RATING_COLUMNS

    made_by = set(ratings[RATING_COLUMNS["created_by"]])
    assert made_by and "system" not in made_by and "staff" not in made_by


def test_rating_good_and_bad(demo_db):
    org = _org("rating IS NULL")
    n = _count("ratings")
    at = _life(org["id"])
    key = f"rating:{org['id']}"
    at.selectbox(key=f"{key}::level").set_value("3A")
    at.number_input(key=f"{key}::score").set_value(1200.0)
    at.date_input(key=f"{key}::rated_on").set_value(TODAY - dt.timedelta(days=1))
    at.button(key=f"FormSubmitter:{key}-记录评估结果").click().run()
    assert not at.exception
    assert "评估得分(满分1000)不能大于1000" in _errors(at)
    assert _count("ratings") == n
    assert at.number_input(key=f"{key}::score").value == 1200.0 and at.selectbox(key=f"{key}::level").value == "3A"
    at.number_input(key=f"{key}::score").set_value(742.0)
    at.button(key=f"FormSubmitter:{key}-记录评估结果").click().run()
    assert not at.exception and not _errors(at)
    day = TODAY - dt.timedelta(days=1)
    stored = _db().fetch_one("SELECT rating, rating_date, rating_expiry FROM organisations WHERE id = ?", [org["id"]])
    from core.orgs.organisations import add_years

    assert stored == {"rating": "3A", "rating_date": day, "rating_expiry": add_years(day, 5)}
    assert _count("ratings") == n + 1
    assert f"{add_years(day, 2)} 起可申请晋级" in texts(at)


def test_expiring_ratings_and_the_coverage_report(demo_db):
    from core.incubation import lifecycle

    at = _staff("incubation-ratings")
    expiring = lifecycle.expiring()
    assert f"共 {len(expiring)} 个组织的等级将在12个月内到期" in texts(at)
    assert list(_frame(at, "剩余天数")["组织名称"]) == list(expiring["name"])
    cov = _frame(at, "服务缺口")
    assert list(cov["发展阶段"]) == ["零基础筹备期", "初创期", "成长期", "成熟期"]
    assert [int(x) for x in cov["在册组织数"]] == [_count("organisations", "WHERE active AND stage = ? AND hub_id = 1", [s])
                                                  for s in cov["发展阶段"]]  # the staff's hub's (下沙)
    at.selectbox(key="life:year").set_value(TODAY.year).run()
    assert not at.exception
    assert len(_frame(at, "服务缺口")) == 4

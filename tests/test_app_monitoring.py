"""AppTest: 动态监管 screens — project list and agreement signing, the project file (ledger, money,
evaluations, warnings, timeline, dossier), the risk board, activity entry and import, the brand matrix and
the monitoring rules. Good and bad input, values kept, nothing stored on bad input, role checks."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook

from core.monitoring import ledger, money, projects
from core.platform.actor import Actor
from tests.monitoring_fixtures import running_funded_app
from tests.apptest_helpers import (
    count, db, errors, open_page, plain, plain_texts, screen_as, signed_in, successes,
)

STAFF = Actor("staff", ("staff",))
ADMIN = Actor("admin", ("admin",))
TODAY = dt.date.today()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SCREENS = [("funded-projects", "项目监管"), ("project-file", "项目档案"), ("risk-warnings", "风险预警"),
           ("activity-ledger", "服务台账录入"), ("brand-matrix", "品牌矩阵")]


def _funded(serial: int = 1, **kw) -> int:
    return running_funded_app(serial, **kw)


def _project(serial: int = 1, **kw) -> int:
    app_id = _funded(serial, **kw)
    return projects.sign_agreement(app_id, projects.agreement_defaults(app_id), STAFF)


def _open(url_path: str, *, user: str = "staff", roles=("staff",), **query):
    at = signed_in(user, list(roles)).run()
    for k, v in query.items():
        at.query_params[k] = str(v)
    return open_page(at, url_path)


def _every_tab(pid: int) -> list:
    """The project file opened on each of its tabs in turn (a tab's tables are drawn while it is open)."""
    from pages.monitoring import PROJECT_TABS

    return [_open("project-file", id=pid, tab=tab) for tab in PROJECT_TABS]


def _frames(pid: int) -> list:
    """Every table of the project file, tab by tab (the last one is 项目动态's timeline)."""
    return [f.value for at in _every_tab(pid) for f in at.dataframe]


def _submit(at, key: str, label: str):
    return at.button(key=f"FormSubmitter:{key}-{label}").click().run()


# ---- access --------------------------------------------------------------------------------------

@pytest.mark.parametrize("url_path,title", SCREENS)
def test_staff_open_every_monitoring_screen(demo_db, url_path, title):
    at = _open(url_path)
    assert not at.exception
    assert [t.value for t in at.title] == [title]


def test_only_admins_open_the_monitoring_rules(demo_db):
    at = _open("monitoring-rules", user="admin", roles=("admin",))
    assert not at.exception and [t.value for t in at.title] == ["监管规则"]
    at = _open("monitoring-rules")
    assert [t.value for t in at.title] == ["无权访问"]  # not registered for staff: a no-access notice


@pytest.mark.parametrize("username,role", [("expert", "reviewer"), ("leader", "leader")])
@pytest.mark.parametrize("url_path", [u for u, _ in SCREENS])
def test_reviewers_and_leaders_never_reach_a_monitoring_screen(demo_db, username, role, url_path):
    at = _open(url_path, user=username, roles=(role,))
    assert not at.exception
    assert [t.value for t in at.title] != [dict(SCREENS)[url_path]]


@pytest.mark.parametrize("target", ["pages.monitoring:project_list", "pages.monitoring:project_page",
                                    "pages.monitoring:risk_board", "pages.monitoring:activity_entry",
                                    "pages.monitoring:brand_matrix", "pages.monitoring:policy"])
def test_screens_refuse_a_leader_when_called_directly(demo_db, target):
    before = count("audit_log", "WHERE table_name <> 'security_events'")
    at = screen_as("leader", ["leader"], target).run()
    assert not at.exception  # the refusal itself may be recorded (security_events); nothing else
    assert "无权" in errors(at)
    assert len(at.title) == 0
    assert count("audit_log", "WHERE table_name <> 'security_events'") == before


# ---- agreement -----------------------------------------------------------------------------------

def test_sign_an_agreement_bad_then_good(demo_db):
    app_id = _funded(1)
    at = _open("funded-projects")
    at.selectbox(key="sign:app").set_value(app_id).run()
    key = f"sign:{app_id}"
    assert at.text_input(key=f"{key}::agreement_no").value.startswith("GY-")
    at.text_input(key=f"{key}::agreement_no").input("界面-001")
    at.number_input(key=f"{key}::budget_other").set_value(99999)  # lines no longer add up to the grant
    before = (count("projects"), count("tranches"), count("audit_log"))
    _submit(at, key, "签订协议")
    assert not at.exception
    assert "各预算科目之和须等于资助金额" in errors(at)
    assert (count("projects"), count("tranches"), count("audit_log")) == before
    assert at.text_input(key=f"{key}::agreement_no").value == "界面-001"  # kept

    at.number_input(key=f"{key}::budget_other").set_value(2000)
    _submit(at, key, "签订协议")
    assert not at.exception, errors(at)
    row = db().fetch_one("SELECT * FROM projects WHERE application_id = ?", [app_id])
    assert row["agreement_no"] == "界面-001" and float(row["granted_amount"]) == 40000
    shares = [r["share"] for r in db().fetch_all("SELECT share FROM tranches WHERE project_id = ? ORDER BY seq", [row["id"]])]
    assert shares == [50.0, 30.0, 20.0]
    assert any("已签订资助协议" in s for s in successes(at))


# ---- project file --------------------------------------------------------------------------------

def test_project_file_shows_every_tab_and_the_dossier(demo_db):
    pid = _project(2)
    at = _open("project-file", id=pid)
    assert not at.exception
    assert [t.label for t in at.tabs] == ["协议与里程碑", "服务台账", "资金", "评估", "预警", "宣传报道", "项目动态"]
    labels = [b.label for b in at.get("download_button")]
    assert "导出项目档案(Excel + 附件 zip)" in labels
    at = _open("project-file", id=pid, tab="项目动态")  # a read-only tab is drawn while open
    timeline = at.dataframe[-1].value
    assert "签订资助协议" in list(timeline["事件"]) and "申报:已立项资助" in list(timeline["事件"])


def test_record_an_activity_bad_then_good(demo_db):
    pid = _project(3)
    at = _open("project-file", id=pid)
    key = f"activity:{pid}"
    at.date_input(key=f"{key}::activity_date").set_value(TODAY - dt.timedelta(days=300))  # before the period
    at.selectbox(key=f"{key}::community").set_value("文海社区")
    at.selectbox(key=f"{key}::kind").set_value("小组活动")
    at.text_input(key=f"{key}::title").input("<b>老人</b>健康讲座")
    at.number_input(key=f"{key}::participants").set_value(20)
    at.number_input(key=f"{key}::person_times").set_value(10)
    before = count("activities")
    _submit(at, key, "登记活动")
    assert not at.exception
    msgs = errors(at)
    assert "服务人次不能少于参与人数" in msgs
    assert count("activities") == before
    assert at.text_input(key=f"{key}::title").value == "<b>老人</b>健康讲座"

    at.number_input(key=f"{key}::person_times").set_value(35)
    _submit(at, key, "登记活动")
    start = db().scalar("SELECT start_date FROM projects WHERE id = ?", [pid])
    assert f"活动日期 {TODAY - dt.timedelta(days=300)} 早于协议执行开始日期 {start}" in errors(at)
    assert count("activities") == before

    at.date_input(key=f"{key}::activity_date").set_value(TODAY - dt.timedelta(days=3))
    _submit(at, key, "登记活动")
    assert not errors(at)
    row = db().fetch_one("SELECT * FROM activities WHERE project_id = ?", [pid])
    assert (row["title"], row["participants"], row["person_times"], row["volunteers"]) == ("<b>老人</b>健康讲座", 20, 35, 0)


def _confirm_box(at) -> str:
    """The text of the open confirmation box (what cannot be undone)."""
    return "\n".join(plain(w.value) for w in at.warning if "请确认" in plain(w.value))


def test_the_activity_form_offers_the_projects_communities_first(demo_db):
    pid = _project(12)
    agreed = list(projects.get(pid)["communities"])
    assert agreed and len(agreed) < 21
    at = _open("activity-ledger", project=pid)
    key = f"activity_entry:{pid}"
    options = at.selectbox(key=f"{key}::community").options
    assert options[:len(agreed)] == agreed and len(options) == 21
    outside = [o for o in options[len(agreed):]]
    assert all(o.endswith("(协议外)") for o in outside)
    assert "本项目协议约定的服务社区:" + "、".join(agreed) in plain_texts(at)
    at.date_input(key=f"{key}::activity_date").set_value(TODAY - dt.timedelta(days=2))
    at.selectbox(key=f"{key}::community").set_value("金沙湖社区")  # outside the agreement: allowed, with a note
    at.selectbox(key=f"{key}::kind").set_value("社区活动")
    at.text_input(key=f"{key}::title").input("金沙湖邻里节")
    at.number_input(key=f"{key}::participants").set_value(30)
    at.number_input(key=f"{key}::person_times").set_value(30)
    _submit(at, key, "登记活动")
    assert not errors(at)
    assert db().fetch_one("SELECT community, title FROM activities WHERE project_id = ?", [pid]) == {
        "community": "金沙湖社区", "title": "金沙湖邻里节"}
    note = next(m for m in successes(at) if "已登记活动:金沙湖邻里节" in m)
    assert "注意:金沙湖社区不在资助协议约定的服务社区(" + "、".join(agreed) + ")内" in note
    assert at.query_params["project"] == str(pid)


def test_release_gating_and_a_midterm_evaluation(demo_db):
    pid = _project(4)
    t1, t2 = [r["id"] for r in db().fetch_all("SELECT id FROM tranches WHERE project_id = ? ORDER BY seq", [pid])][:2]
    at = _open("project-file", id=pid, tab="资金")
    rkey = f"release:{t1}"
    _submit(at, rkey, "拨付第1期资金")  # no approver: refused, nothing asked, nothing stored
    assert "请填写审批人" in errors(at) and not _confirm_box(at)
    at.text_input(key=f"{rkey}::approver").input("陈主任")
    before = count("audit_log")
    _submit(at, rkey, "拨付第1期资金")
    assert not at.exception, errors(at)
    box = _confirm_box(at)  # validated, kept, and asked: what will happen and that it cannot be undone
    assert "拨付第1期资金 20,000 元" in box and "审批人 陈主任" in box and "不能撤回" in box and "不可撤销" in box
    assert db().fetch_one("SELECT status FROM tranches WHERE id = ?", [t1]) == {"status": "planned"}
    assert count("audit_log") == before
    at.button(key=f"{rkey}:no").click().run()  # 取消: nothing stored, the values stay
    assert not _confirm_box(at) and at.text_input(key=f"{rkey}::approver").value == "陈主任"
    assert db().fetch_one("SELECT status FROM tranches WHERE id = ?", [t1]) == {"status": "planned"}
    _submit(at, rkey, "拨付第1期资金")
    at.button(key=f"{rkey}:yes").click().run()
    assert not at.exception, errors(at)
    assert db().fetch_one("SELECT status, approver FROM tranches WHERE id = ?", [t1]) == {"status": "released", "approver": "陈主任"}
    assert "已登记拨付第1期资金 20,000 元" in successes(at)
    assert at.query_params["tab"] == "资金"  # the screen stays on the tab the user was on
    assert not [b for b in at.button if b.key == f"{rkey}:yes"]  # the box is closed: a second click finds nothing
    assert count("project_events", "WHERE project_id = ? AND event = '拨付第1期资金'", [pid]) == 1
    assert "第2期暂不能拨付" in plain_texts(at) and "中期评估尚未通过" in plain_texts(at)
    assert not [b for b in at.button if b.key == f"FormSubmitter:release:{t2}-拨付第2期资金"]
    tranches = next(f.value for f in at.dataframe if "计划金额(元)" in f.value.columns)  # as people read them
    assert list(tranches["计划金额(元)"]) == ["20,000", "12,000", "8,000"]
    assert list(tranches["拨付金额(元)"]) == ["20,000", "", ""]

    # a failing mid-term evaluation without the action to take is refused and stores nothing
    at = _open("project-file", id=pid, tab="评估")
    ekey = f"eval:{pid}:midterm"
    at.date_input(key=f"{ekey}::eval_date").set_value(TODAY)
    at.selectbox(key=f"{ekey}::method").set_value("实地")
    at.text_input(key=f"{ekey}::evaluator").input("王敏")
    for i in range(1, 6):
        at.number_input(key=f"{ekey}::score_{i}").set_value(5)
    at.text_area(key=f"{ekey}::conclusion").input("进度滞后")
    before = count("evaluations")
    _submit(at, ekey, "保存中期评估")
    assert "评估未通过时须选择处理方式" in errors(at)
    assert count("evaluations") == before
    assert at.text_input(key=f"{ekey}::evaluator").value == "王敏"

    for i, pts in enumerate((28, 22, 18, 13, 9), start=1):
        at.number_input(key=f"{ekey}::score_{i}").set_value(pts)
    at.text_area(key=f"{ekey}::conclusion").input("按计划推进,台账完整")
    _submit(at, ekey, "保存中期评估")
    assert not at.exception, errors(at)
    ev = db().fetch_one("SELECT total_score, grade, passed FROM evaluations WHERE project_id = ?", [pid])
    assert (ev["total_score"], ev["grade"], ev["passed"]) == (90.0, "A", True)
    assert any("已保存中期评估" in m and "90 分,A 等,通过" in m for m in successes(at))
    assert at.query_params["tab"] == "评估"  # still on 评估, not back on 协议与里程碑
    assert at.radio(key=f"eval:kind:{pid}").value == "midterm"
    assert "现在不能录入中期评估:该项目的中期评估已通过" in plain_texts(at)
    at = _open("project-file", id=pid)  # tranche 2 is now releasable
    assert [b for b in at.button if b.key == f"FormSubmitter:release:{t2}-拨付第2期资金"]
    assert at.radio(key=f"eval:kind:{pid}").value == "final"  # the next evaluation due is offered first


def test_a_terminating_evaluation_asks_first_and_writes_once(demo_db):
    pid = _project(9)
    first = db().fetch_one("SELECT id, amount FROM tranches WHERE project_id = ? AND seq = 1", [pid])
    money.release(first["id"], {"released_on": TODAY, "released_amount": float(first["amount"]), "approver": "陈主任",
                                "note": None}, STAFF)
    at = _open("project-file", id=pid, tab="评估")
    ekey = f"eval:{pid}:midterm"
    at.date_input(key=f"{ekey}::eval_date").set_value(TODAY)
    at.selectbox(key=f"{ekey}::method").set_value("资料")
    at.text_input(key=f"{ekey}::evaluator").input("王敏")
    for i in range(1, 6):
        at.number_input(key=f"{ekey}::score_{i}").set_value(2)
    at.text_area(key=f"{ekey}::conclusion").input("台账缺失,资金使用不规范")
    at.selectbox(key=f"{ekey}::fail_action").set_value("terminate")
    _submit(at, ekey, "保存中期评估")
    assert "终止项目时须填写追回金额" in errors(at)
    assert count("evaluations", "WHERE project_id = ?", [pid]) == 0
    at.number_input(key=f"{ekey}::recover_amount").set_value(5000)
    _submit(at, ekey, "保存中期评估")
    box = _confirm_box(at)
    assert "10 分(C 等,未通过)" in box and "第2、3期资金(共 20,000 元)将取消" in box and "追回资金 5,000 元" in box
    assert "不能恢复" in box and "不可撤销" in box
    assert count("evaluations", "WHERE project_id = ?", [pid]) == 0 and projects.get(pid)["state"] == "active"
    at.button(key=f"{ekey}:yes").click().run()
    assert not at.exception, errors(at)
    assert projects.get(pid)["state"] == "terminated"
    assert count("evaluations", "WHERE project_id = ?", [pid]) == 1
    assert [r["status"] for r in db().fetch_all("SELECT status FROM tranches WHERE project_id = ? ORDER BY seq",
                                                [pid])] == ["released", "cancelled", "cancelled"]
    assert "项目已终止" in plain_texts(at) and at.query_params["tab"] == "评估"
    assert not [b for b in at.button if b.key == f"{ekey}:yes"]


def test_closing_says_why_it_cannot_be_done_yet(demo_db):
    pid = _project(10)
    at = _open("project-file", id=pid, tab="评估")
    close = at.button(key=f"eval:close:{pid}")
    assert close.disabled
    assert "项目暂不能结项:末期评估尚未通过;第1、2、3期资金尚未拨付或取消" in plain_texts(at)


def test_project_file_tables_read_like_a_document(demo_db):
    """Amounts with separators, dates without time, people by 姓名, no None / nan / NaT anywhere."""
    pid = _project(11)
    tabs = _every_tab(pid)
    assert not any(at.exception for at in tabs)
    frames = [f.value for at in tabs for f in at.dataframe]
    for frame in frames:
        cells = {str(v) for v in frame.astype(object).to_numpy().ravel()}
        assert not cells & {"None", "nan", "NaT", "<NA>"}, frame
    timeline = frames[-1]
    assert "王敏(工作人员)" in set(timeline["经办人"]) and "staff" not in set(timeline["经办人"])
    execution = next(f for f in frames if "执行率(%)" in f.columns)
    assert execution["预算(元)"].iloc[-1] == "40,000" and execution["已支出(元)"].iloc[-1] == "0"
    stones = next(f for f in frames if "交付成果" in f.columns)
    at = tabs[0]
    assert all(len(d) == 10 for d in stones["计划日期"])  # 2026-03-01, never 2026-03-01 00:00:00
    assert "已拨付(元)" in {m.label for m in at.metric}
    assert {m.label: m.value for m in at.metric}["已拨付(元)"] == "0"


def test_a_column_reads_the_same_on_the_project_file_and_in_its_dossier(demo_db):
    """Each column's label is declared once: the project file's tables (ledger, tranches, expenses,
    evaluations, timeline) name their columns as the dossier's sheets do, and as the forms do."""
    from core.monitoring import dossier, evaluations
    from schemas.base import field_specs
    from schemas.monitoring import Activity, Expense

    pid = _project(13)
    ledger.add({"project_id": pid, "activity_date": TODAY - dt.timedelta(days=5), "community": "文海社区",
                "place": "活动室", "kind": "小组活动", "title": "老人健康小组", "participants": 10, "person_times": 12,
                "volunteers": 2, "notes": None}, STAFF)
    money.add_expense(pid, {"expense_date": TODAY - dt.timedelta(days=4), "line": "budget_materials", "amount": 500,
                            "description": "活动物资", "voucher_no": "PZ-013", "over_reason": None}, STAFF)
    evaluations.record(pid, "midterm", {
        "report_date": TODAY - dt.timedelta(days=3), "self_report": "按计划推进", "eval_date": TODAY - dt.timedelta(days=2),
        "method": "实地", "evaluator": "王敏", "conclusion": "台账完整", "fail_action": None, "recover_amount": None,
        **{f"score_{i}": s for i, s in enumerate((28, 22, 18, 13, 9), start=1)}}, STAFF)
    sheets = dossier.sheets(pid)
    frames = _frames(pid)

    def shown(marker: str) -> list[str]:
        return list(next(f for f in frames if marker in f.columns).columns)

    activity, expense = ({m["label"] for m in field_specs(s).values()} for s in (Activity, Expense))
    acts = shown("活动主题")
    assert acts == list(sheets["服务台账"].columns) and set(acts) >= activity - {"项目"}
    spent = shown("凭证号")
    assert spent == list(sheets["经费支出"].columns) and set(spent) >= expense
    assert set(shown("计划金额(元)")) - {"暂不能拨付的原因"} <= set(sheets["拨付记录"].columns)
    assert set(shown("评估结论")) <= set(sheets["中期末期评估"].columns)
    assert list(frames[-1].columns) == list(sheets["项目动态"].columns)


def test_an_expense_over_the_margin_needs_a_reason(demo_db):
    pid = _project(5)
    at = _open("project-file", id=pid)
    key = f"expense:{pid}"
    at.date_input(key=f"{key}::expense_date").set_value(TODAY)
    at.selectbox(key=f"{key}::line").set_value("budget_other")  # 2,000 元 budgeted
    at.number_input(key=f"{key}::amount").set_value(3000)
    at.text_input(key=f"{key}::description").input("购买活动物资")
    at.text_input(key=f"{key}::voucher_no").input("PZ-001")
    _submit(at, key, "登记支出")
    assert "超支说明" in errors(at)
    assert count("expenses", "WHERE project_id = ?", [pid]) == 0
    assert at.text_input(key=f"{key}::voucher_no").value == "PZ-001"  # kept
    at.text_area(key=f"{key}::over_reason").input("物资涨价,经中心同意调整")
    _submit(at, key, "登记支出")
    assert not errors(at)
    row = db().fetch_one("SELECT amount, over_reason FROM expenses WHERE project_id = ?", [pid])
    assert float(row["amount"]) == 3000 and row["over_reason"] == "物资涨价,经中心同意调整"
    assert money.execution(pid).set_index("line").loc["budget_other", "rate"] == 150.0


# ---- risk board ----------------------------------------------------------------------------------

def test_risk_board_lists_and_acknowledges_a_warning(demo_db):
    pid = _project(6, start_days_ago=100)  # no activity in 100 days: pace and idle warnings
    at = _open("risk-warnings")
    assert not at.exception
    board = at.dataframe[0].value
    mine = board[board["协议编号"] == projects.get(pid)["agreement_no"]]
    # 100 days in, no activity: behind on activities and person-times, idle, the day-60 milestone overdue
    assert {"活动进度滞后", "服务人次滞后", "长期未开展活动", "里程碑逾期"} <= set(mine["预警规则"])
    choice = f"{pid}|idle"
    at.selectbox(key="risk:ack:pick").set_value(choice).run()
    key = f"risk:ack:{choice}"
    at.text_area(key=f"{key}::note").input("已电话联系,下周恢复活动")
    at.date_input(key=f"{key}::until").set_value(TODAY - dt.timedelta(days=1))
    _submit(at, key, "确认处理")
    assert errors(at)
    assert count("risk_acks") == 0
    at.date_input(key=f"{key}::until").set_value(TODAY + dt.timedelta(days=14))
    _submit(at, key, "确认处理")
    assert not errors(at)
    ack = db().fetch_one("SELECT project_id, code, note, created_by FROM risk_acks")
    assert ack == {"project_id": pid, "code": "idle", "note": "已电话联系,下周恢复活动", "created_by": "staff"}


def test_an_admin_changes_a_rules_threshold_and_switches_it_off(demo_db):
    """The rule settings are edited by field (severity, threshold, enabled), labelled as core declares them, by the
    top hub's admin (杭州市's hz_admin: the rules hold for every hub); a street's admin reads them."""
    from core.monitoring import risks
    from core.platform import users

    street = _open("risk-warnings", user="admin", roles=("admin",))  # 下沙's admin: 下沙 has a parent
    assert not street.exception and not [b for b in street.button if b.key == "risk:settings:save"]
    assert users.NOT_OPERATOR_SETTING in [c.value for c in street.caption]
    at = _open("risk-warnings", user="hz_admin", roles=("admin",))
    assert not at.exception
    idle = [r.code for r in risks.RULES].index("idle")
    at.session_state["risk:settings"] = {"edited_rows": {idle: {"threshold": 45.0, "enabled": False}},
                                         "added_rows": [], "deleted_rows": []}
    at.button(key="risk:settings:save").click().run()
    assert not at.exception and not errors(at), errors(at)
    assert db().fetch_one("SELECT severity, threshold, enabled FROM risk_settings WHERE code = 'idle'") == {
        "severity": "中", "threshold": 45.0, "enabled": False}
    assert "已保存预警规则设置" in successes(at)


# ---- activity entry and import -------------------------------------------------------------------

def _activity_sheet(rows: list[dict], pid: int) -> bytes:
    """A filled copy of the import template (its header row as staff download it)."""
    from openpyxl import load_workbook

    from core.platform import importer
    from schemas.base import field_specs
    from schemas.monitoring import Activity

    head = [c.value for c in load_workbook(io.BytesIO(importer.template(ledger.import_spec(pid)))).worksheets[0][1]]
    name_of = {m["label"]: n for n, m in field_specs(Activity).items()}
    wb = Workbook()
    ws = wb.active
    ws.append(head)
    for rec in rows:
        ws.append([rec.get(name_of.get(str(h).rstrip("*"), "")) for h in head])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_import_activities_with_a_bad_row_then_reimport(demo_db):
    pid = _project(7)
    d = TODAY - dt.timedelta(days=5)
    good = {"activity_date": d, "community": "文海社区", "kind": "社区活动", "title": "邻里节", "participants": 40,
            "person_times": 60, "volunteers": 5}
    bad = dict(good, title="读书会", person_times=10)  # fewer person-times than participants
    data = _activity_sheet([good, bad], pid)
    at = _open("activity-ledger", project=pid, tab="批量导入")  # the project and the tab from the URL
    assert at.selectbox(key="entry:project").value == pid
    key = f"acts_import_all:{pid}"
    at.file_uploader(key=f"{key}:file").set_value(("台账.xlsx", data, XLSX)).run()
    assert not at.exception
    assert "可导入 1 行,错误 1 行" in plain_texts(at)
    assert count("activities", "WHERE project_id = ?", [pid]) == 0  # nothing before confirming
    at.button(key=f"{key}:confirm").click().run()
    assert not at.exception
    stored = db().fetch_all("SELECT title, person_times, created_by FROM activities WHERE project_id = ?", [pid])
    assert stored == [{"title": "邻里节", "person_times": 60, "created_by": "staff"}]

    again = _open("activity-ledger")
    again.selectbox(key="entry:project").set_value(pid).run()
    again.file_uploader(key=f"{key}:file").set_value(("台账.xlsx", data, XLSX)).run()
    assert "已存在 1 行" in plain_texts(again)
    assert count("activities", "WHERE project_id = ?", [pid]) == 1


# ---- brands and rules ----------------------------------------------------------------------------

def test_create_a_brand_bad_then_good(demo_db):
    at = _open("brand-matrix")
    at.text_input(key="brand_new::name").input("邻")
    before = count("brands")
    _submit(at, "brand_new", "创建品牌")
    assert errors(at) and count("brands") == before
    assert at.text_input(key="brand_new::name").value == "邻"
    at.text_input(key="brand_new::name").input("邻里守望")
    at.selectbox(key="brand_new::tier").set_value("特色品牌")
    _submit(at, "brand_new", "创建品牌")
    assert not errors(at)
    assert db().fetch_one("SELECT tier FROM brands WHERE name = '邻里守望'") == {"tier": "特色品牌"}


def test_admin_sets_a_round_policy_bad_then_good(demo_db):
    rid = int(db().scalar("SELECT max(id) FROM rounds"))
    at = _open("monitoring-rules", user="admin", roles=("admin",))
    at.selectbox(key="policy:round").set_value(rid).run()
    key = f"policy:{rid}"
    assert at.text_input(key=f"{key}::tranche_shares").value == "50,30,20"
    at.text_input(key=f"{key}::tranche_shares").input("40,40")
    at.text_input(key=f"{key}::tranche_gates").input("签约后,中期评估通过后")
    _submit(at, key, "保存规则")
    assert "合计为100" in errors(at)
    assert count("monitoring_policies") == 0
    at.text_input(key=f"{key}::tranche_shares").input("40,60")
    _submit(at, key, "保存规则")
    assert not errors(at), errors(at)
    row = db().fetch_one("SELECT tranche_shares, tranche_gates FROM monitoring_policies WHERE round_id = ?", [rid])
    assert row == {"tranche_shares": [40.0, 60.0], "tranche_gates": ["signing", "midterm"]}


def test_the_workbench_shows_the_monitoring_to_dos(demo_db):
    from core.monitoring import evaluations, risks

    _funded(8)  # one funded application without an agreement
    at = _open("workbench")
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    summary = risks.summary()
    assert metrics["待签资助协议"] == "1"
    assert metrics["高风险预警"] == str(summary["高"])
    assert metrics["中/低风险预警"] == str(summary["中"] + summary["低"])
    assert metrics["逾期评估报告"] == str(len(evaluations.due_reports()))
    assert summary["total"] > 0  # the demo has projects at risk
    leader = _open("workbench", user="leader", roles=("leader",))
    assert "待签资助协议" not in {m.label for m in leader.metric}

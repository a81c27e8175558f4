"""AppTest: correcting a contribution (伙伴贡献与认领 → 贡献记录, ?contribution=N) and a volunteer's service record
(志愿者 → 服务时长): staff save a correction (audited, shown in 修改记录; a claimed contribution's amount moves the
project's 配套资金), a refused change keeps the input and writes nothing, leaders get no form; the import panels
are offered to staff only."""
from __future__ import annotations

from tests.apptest_helpers import count, db, errors, open_page, plain_texts, signed_in, successes

EDIT = "contribution:edit"
SERVICE = "volunteer:service:edit"


def _open(user: str, roles: list[str], url: str, **query):
    at = signed_in(user, roles).run()
    for k, v in query.items():
        at.query_params[k] = v
    return open_page(at, url)


def _claimed() -> dict:
    """The demo's completed claim's contribution (money into a running project's 配套资金:企业)."""
    return db().fetch_one("SELECT c.id, c.project_id, c.amount, c.partner_id FROM partner_contributions c"
                          " WHERE c.claim_id IS NOT NULL ORDER BY c.id LIMIT 1")


def test_staff_correct_a_claimed_contributions_amount_and_the_project_follows(demo_db):
    c = _claimed()
    funds = float(db().scalar("SELECT funds_enterprise FROM projects WHERE id = ?", [c["project_id"]]))
    at = _open("staff", ["staff"], "partner-claims", tab="贡献记录", contribution=str(c["id"]))
    assert not at.exception, at.exception
    assert [t.label for t in at.tabs if t.label in ("详情", "编辑", "修改记录")] == ["详情", "编辑", "修改记录"]
    assert "来自企业公益认领" in plain_texts(at)
    at.number_input(key=f"{EDIT}::amount").set_value(float(c["amount"]) + 500)
    at = at.button(key=f"FormSubmitter:{EDIT}-保存修改").click().run()
    assert not at.exception, at.exception
    assert "已保存修改" in successes(at)
    assert float(db().scalar("SELECT amount FROM partner_contributions WHERE id = ?", [c["id"]])) == \
        float(c["amount"]) + 500
    assert float(db().scalar("SELECT funds_enterprise FROM projects WHERE id = ?", [c["project_id"]])) == funds + 500
    at = _open("staff", ["staff"], "partner-claims", tab="贡献记录", contribution=str(c["id"]))
    logs = [d.value for d in at.dataframe if "修改内容" in d.value.columns]  # 修改记录: the completion, the correction
    assert logs and "捐赠金额" in logs[0].to_string()


def test_a_claimed_contributions_partner_is_kept_and_the_refusal_writes_nothing(demo_db):
    c = _claimed()
    other = db().scalar("SELECT id FROM partners WHERE id <> ? ORDER BY id LIMIT 1", [c["partner_id"]])
    before = count("audit_log", "WHERE table_name NOT IN ('security_events', 'user_sessions')")
    at = _open("staff", ["staff"], "partner-claims", tab="贡献记录", contribution=str(c["id"]))
    at.selectbox(key=f"{EDIT}::partner_id").set_value(other)
    at = at.button(key=f"FormSubmitter:{EDIT}-保存修改").click().run()
    assert not at.exception, at.exception
    assert "由认领项目决定,不能修改" in errors(at)
    assert at.selectbox(key=f"{EDIT}::partner_id").value == other  # the input is kept
    assert db().scalar("SELECT partner_id FROM partner_contributions WHERE id = ?", [c["id"]]) == c["partner_id"]
    assert count("audit_log", "WHERE table_name NOT IN ('security_events', 'user_sessions')") == before


def test_leaders_read_contributions_without_a_form(demo_db):
    c = _claimed()
    at = _open("leader", ["leader"], "partner-overview", tab="贡献记录", contribution=str(c["id"]))
    assert not at.exception, at.exception
    assert not [b for b in at.button if str(b.key).startswith("FormSubmitter:")]


def _service() -> dict:
    return db().fetch_one(
        "SELECT s.id, s.activity_id, s.hours, a.project_id FROM volunteer_services s JOIN activities a"
        " ON a.id = s.activity_id ORDER BY s.id LIMIT 1")


def test_staff_correct_a_service_record_on_the_hours_tab(demo_db):
    s = _service()
    at = _open("staff", ["staff"], "volunteer-register", view="服务时长")
    assert not at.exception, at.exception
    assert "从Excel导入服务时长" in [e.label for e in at.expander]
    at.selectbox(key="vol:project").set_value(s["project_id"]).run()
    at.selectbox(key="vol:activity").set_value(s["activity_id"]).run()
    at.selectbox(key=f"vol:fix:{s['activity_id']}").set_value(s["id"]).run()
    assert not at.exception, at.exception
    assert at.number_input(key=f"{SERVICE}::hours").value == s["hours"]
    at.number_input(key=f"{SERVICE}::hours").set_value(s["hours"] + 1)
    at = at.button(key=f"FormSubmitter:{SERVICE}-保存修改").click().run()
    assert not at.exception, at.exception
    assert "已保存修改" in successes(at)
    assert db().scalar("SELECT hours FROM volunteer_services WHERE id = ?", [s["id"]]) == s["hours"] + 1
    # a volunteer who already served at the activity: refused in Chinese, nothing written
    other = db().scalar("SELECT volunteer_id FROM volunteer_services WHERE activity_id = ? AND id <> ? LIMIT 1",
                        [s["activity_id"], s["id"]])
    if other is not None:
        before = count("volunteer_services"), count("audit_log")
        at.selectbox(key=f"{SERVICE}::volunteer_id").set_value(other)
        at = at.button(key=f"FormSubmitter:{SERVICE}-保存修改").click().run()
        assert "该志愿者在此活动已有服务记录" in errors(at)
        assert (count("volunteer_services"), count("audit_log")) == before


def test_leaders_get_no_import_and_no_correction_of_service_records(demo_db):
    at = _open("leader", ["leader"], "volunteer-overview", view="服务时长")
    assert not at.exception, at.exception
    assert "从Excel导入服务时长" not in [e.label for e in at.expander]

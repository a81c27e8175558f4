"""AppTest: 创投批次 (round-admin, admin only): create from the defaults, date rules, the freeze."""
from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import (
    count as _count, db as _db, errors as _errors, open_page, plain, plain_texts as texts, screen_as as _screen_as, signed_in,
)


def _current() -> int:
    """The demo's current round (this year's: mid-review, about 30 applications)."""
    from core.intake import rounds

    return int(rounds.current()["id"])


def _admin() -> AppTest:
    return open_page(signed_in("admin", ["admin"]).run(), "round-admin")


def _new() -> AppTest:
    """The screen opened on 新建批次 (a tab is drawn once it was opened: core.ui.kept_tabs)."""
    at = signed_in("admin", ["admin"]).run()
    at.query_params["tab"] = "新建批次"
    return open_page(at, "round-admin")


# ---- access --------------------------------------------------------------------------------------

def test_admin_opens_round_admin(demo_db):
    at = _admin()
    assert not at.exception
    assert [t.value for t in at.title] == ["创投批次"]
    table = at.dataframe[0].value
    year = dt.date.today().year
    assert len(table) == year - 2019 + 1  # one demo round a year since 2019
    assert list(table["年度"])[:2] == [year, year - 1]
    assert [t.label for t in at.tabs] == ["查看与修改", "新建批次"]
    assert at.selectbox(key="round:chosen").value == _current()
    assert "当前阶段:" in texts(at)
    # this year's round has applications: frozen, a reason field is offered
    assert any("设置已冻结" in plain(w.value) for w in at.warning)
    assert at.text_input(key="round_edit:reason").value == ""
    assert at.text_input(key="round_edit::name").value == f"{year}年下沙街道公益创投"


@pytest.mark.parametrize("username,role", [("staff", "staff"), ("expert", "reviewer"), ("leader", "leader")])
def test_other_roles_get_a_no_access_notice_for_the_url(demo_db, username, role):
    at = signed_in(username, [role]).run()
    open_page(at, "round-admin")
    assert not at.exception
    assert [t.value for t in at.title] == ["无权访问"]
    assert "创投批次" not in [t.value for t in at.title]
    assert not [w for w in at.text_input if str(w.key).startswith("round_")]


@pytest.mark.parametrize("username,role", [("staff", "staff"), ("leader", "leader")])
def test_screen_refuses_non_admins_when_called_directly(demo_db, username, role):
    at = _screen_as(username, [role], "pages.rounds:render").run()
    assert not at.exception
    assert any("无权" in plain(e.value) for e in at.error)
    assert len(at.title) == 0
    assert len(at.dataframe) == 0


# ---- create --------------------------------------------------------------------------------------

def test_create_round_from_the_defaults(demo_db):
    rounds_before, audit_before = _count("rounds"), _count("audit_log")
    at = _new()
    # the new-round form starts from core.intake.rounds.defaults()
    assert at.number_input(key="round_new::total_budget").value == 500000.0
    assert at.number_input(key="round_new::project_ceiling").value == 80000.0
    assert at.date_input(key="round_new::apply_start").value == dt.date(dt.date.today().year, 3, 1)
    next_year = dt.date.today().year + 1  # the default dates (this year's) fall near next year's round too
    at.text_input(key="round_new::name").input("2030年下沙街道公益创投(测试)")
    at.number_input(key="round_new::year").set_value(next_year)
    at.button(key="FormSubmitter:round_new-创建批次").click().run()
    assert not at.exception
    assert not _errors(at)
    assert _count("rounds") == rounds_before + 1
    row = _db().fetch_one("SELECT * FROM rounds WHERE name = '2030年下沙街道公益创投(测试)'")
    assert row is not None
    assert row["year"] == next_year
    assert float(row["project_ceiling"]) == 80000.0
    assert row["max_apps_per_org"] == 1
    assert list(row["checklist"]) == ["登记/备案有效", "无不良记录", "预算不超上限", "配套资金说明"]
    assert row["created_by"] == "admin"
    assert any(f"已创建批次(编号 {row['id']})" in plain(s.value) for s in at.success)
    audit = _db().fetch_all("SELECT * FROM audit_log WHERE table_name = 'rounds' AND row_key = ? AND action = 'create'",
                            [str(row["id"])])
    assert len(audit) == 1 and audit[0]["actor"] == "admin"
    assert _count("audit_log") > audit_before
    # the new round is listed, and the form is back at the defaults
    assert len(at.dataframe[0].value) == rounds_before + 1
    assert at.number_input(key="round_new::year").value == dt.date.today().year


def test_bad_dates_show_the_rule_and_store_nothing(demo_db):
    rounds_before, audit_before = _count("rounds"), _count("audit_log")
    at = _new()
    at.text_input(key="round_new::name").input("2031年下沙街道公益创投(日期错误)")
    at.number_input(key="round_new::year").set_value(2031)
    at.date_input(key="round_new::apply_start").set_value(dt.date(2031, 3, 20))
    at.date_input(key="round_new::apply_end").set_value(dt.date(2031, 3, 1))
    at.button(key="FormSubmitter:round_new-创建批次").click().run()
    assert not at.exception
    errors = _errors(at)
    assert "未保存" in errors
    assert "项目申报截止须不早于申报开始" in errors
    assert not at.success
    assert _count("rounds") == rounds_before
    assert _count("audit_log") == audit_before
    # what was typed is kept
    assert at.text_input(key="round_new::name").value == "2031年下沙街道公益创投(日期错误)"
    assert at.number_input(key="round_new::year").value == 2031
    assert at.date_input(key="round_new::apply_start").value == dt.date(2031, 3, 20)
    assert at.date_input(key="round_new::apply_end").value == dt.date(2031, 3, 1)


def test_ceiling_above_budget_and_missing_name_are_refused(demo_db):
    rounds_before = _count("rounds")
    at = _new()
    at.text_input(key="round_new::name").input("")
    at.number_input(key="round_new::project_ceiling").set_value(900000.0)
    at.button(key="FormSubmitter:round_new-创建批次").click().run()
    assert not at.exception
    errors = _errors(at)
    assert "请填写批次名称" in errors
    assert "单个项目资助上限不能超过资金总额" in errors
    assert _count("rounds") == rounds_before
    assert at.number_input(key="round_new::project_ceiling").value == 900000.0


def test_duplicate_round_name_is_refused(demo_db):
    rounds_before = _count("rounds")
    at = _new()  # the defaults carry this year's name, which the demo already has
    at.button(key="FormSubmitter:round_new-创建批次").click().run()
    assert not at.exception
    assert "批次名称已存在" in _errors(at)
    assert _count("rounds") == rounds_before


# ---- edit: the freeze ----------------------------------------------------------------------------

def _round(round_id: int | None = None) -> dict:
    from core.intake import rounds

    return rounds.get(round_id or _current())


def test_editing_a_frozen_round_without_a_reason_changes_nothing(demo_db):
    before, audit_before = _round(), _count("audit_log")
    at = _admin()
    at.number_input(key="round_edit::project_ceiling").set_value(90000.0)
    at.button(key="FormSubmitter:round_edit-保存批次设置").click().run()
    assert not at.exception
    assert "设置已冻结" in _errors(at)
    assert "请填写修改原因" in _errors(at)
    assert not at.success
    assert _round() == before
    assert _count("audit_log") == audit_before
    assert at.number_input(key="round_edit::project_ceiling").value == 90000.0  # kept for a second try


def test_editing_a_frozen_round_with_a_reason_is_stored_and_audited(demo_db):
    audit_before = _count("audit_log")
    at = _admin()
    at.text_input(key="round_edit:reason").input("区财政追加预算")
    at.number_input(key="round_edit::total_budget").set_value(1200000.0)
    at.button(key="FormSubmitter:round_edit-保存批次设置").click().run()
    assert not at.exception
    assert not _errors(at)
    assert "已保存修改" in [plain(s.value) for s in at.success]
    r = _round()
    assert float(r["total_budget"]) == 1200000.0
    assert float(r["project_ceiling"]) == 80000.0  # untouched fields stay
    assert r["name"] == f"{dt.date.today().year}年下沙街道公益创投"
    audit = _db().fetch_all("SELECT * FROM audit_log WHERE table_name = 'rounds' AND row_key = ? ORDER BY id",
                            [str(_current())])
    assert audit[-1]["action"] == "update_frozen"
    assert audit[-1]["note"] == "区财政追加预算"
    assert audit[-1]["actor"] == "admin"
    assert _count("audit_log") == audit_before + 1
    # the form shows the stored value; the reason was used up (the next change needs its own)
    assert at.number_input(key="round_edit::total_budget").value == 1200000.0
    assert at.text_input(key="round_edit:reason").value == ""
    at.number_input(key="round_edit::project_ceiling").set_value(90000.0)
    at.button(key="FormSubmitter:round_edit-保存批次设置").click().run()
    assert "请填写修改原因" in _errors(at)
    assert float(_round()["project_ceiling"]) == 80000.0


def test_saving_an_unchanged_frozen_round_with_a_reason_writes_nothing(demo_db):
    audit_before = _count("audit_log")
    at = _admin()
    at.text_input(key="round_edit:reason").input("核对")
    at.button(key="FormSubmitter:round_edit-保存批次设置").click().run()
    assert not at.exception
    assert not _errors(at)
    assert "没有需要保存的修改" in [plain(s.value) for s in at.success]
    assert _count("audit_log") == audit_before


def test_a_round_without_applications_is_edited_without_a_reason(demo_db):
    from core.intake import rounds
    from core.platform.actor import Actor

    values = dict(rounds.defaults(2030), name="2031年下沙街道公益创投")
    new_id = rounds.create(values, Actor("admin", ("admin",)))
    at = _admin()
    at.selectbox(key="round:chosen").set_value(new_id).run()
    assert not at.exception
    assert not at.warning
    assert not [w for w in at.text_input if w.key == "round_edit:reason"]
    assert at.text_input(key="round_edit::name").value == "2031年下沙街道公益创投"
    at.text_input(key="round_edit::name").input("2031年下沙街道公益创投(改)")
    at.button(key="FormSubmitter:round_edit-保存批次设置").click().run()
    assert not at.exception
    assert not _errors(at)
    assert rounds.get(new_id)["name"] == "2031年下沙街道公益创投(改)"
    last = _db().fetch_one("SELECT action FROM audit_log WHERE table_name = 'rounds' AND row_key = ?"
                           " ORDER BY id DESC LIMIT 1",
                           [str(new_id)])
    assert last["action"] == "update"


def test_bad_dates_in_an_edit_are_refused(demo_db):
    before = _round()
    at = _admin()
    at.text_input(key="round_edit:reason").input("调整日期")
    at.date_input(key="round_edit::notice_start").set_value(before["notice_end"] + dt.timedelta(days=5))
    at.button(key="FormSubmitter:round_edit-保存批次设置").click().run()
    assert not at.exception
    assert "公示须在专家评审截止之后,且开始不晚于结束" in _errors(at)
    assert _round() == before


def test_quotas_of_a_frozen_round_need_the_reason(demo_db):
    from core.intake import rounds

    at = _admin()
    at.number_input(key=f"quota:{_current()}:社区治理").set_value(300000.0)
    at.button(key=f"quota:save:{_current()}").click().run()
    assert not at.exception
    assert "设置已冻结" in _errors(at)
    assert rounds.quotas(_current()) == {}
    at.text_input(key="round_edit:reason").input("按类别分配")
    at.number_input(key=f"quota:{_current()}:社区治理").set_value(300000.0)
    at.button(key=f"quota:save:{_current()}").click().run()
    assert not at.exception
    assert "已保存类别额度" in [plain(s.value) for s in at.success]
    assert rounds.quotas(_current()) == {"社区治理": 300000.0}
    assert at.number_input(key=f"quota:{_current()}:社区治理").value == 300000.0
    assert at.text_input(key="round_edit:reason").value == ""
    notes = _db().fetch_all("SELECT action, note FROM audit_log WHERE table_name = 'round_quotas' ORDER BY id")
    assert notes == [{"action": "create", "note": "按类别分配"}]

"""AppTest: 社会组织台账 (list, search, filters, detail, edit), 登记新组织 and 批量导入."""
from __future__ import annotations

import re

import datetime as dt

import pytest

from tests.apptest_helpers import (
    db as _db, errors as _errors, open_page, plain, plain_texts as texts, signed_in, successes,
)


VALID_USCC = "52330114MJ1234567Y"  # 社会服务机构, correct check character
BAD_CHECK_USCC = "52330114MJ1234567X"  # same, wrong check character


def _org_count() -> int:
    return int(_db().scalar("SELECT count(*) FROM organisations"))


def _audit_rows(table: str, key=None, action: str | None = None) -> list[dict]:
    sql, params = "SELECT * FROM audit_log WHERE table_name = ?", [table]
    if key is not None:
        sql += " AND row_key = ?"
        params.append(str(key))
    if action:
        sql += " AND action = ?"
        params.append(action)
    return _db().fetch_all(sql + " ORDER BY id", params)


def _caption(at) -> str:
    return next(str(c.value) for c in at.caption if str(c.value).startswith("共 "))


def _staff(url_path: str, **query):
    at = signed_in("staff", ["staff"]).run()
    for k, v in query.items():
        at.query_params[k] = v
    return open_page(at, url_path)


# ---- list ----------------------------------------------------------------------------------------

def test_list_shows_all_55_organisations(demo_db):
    at = _staff("orgs")
    assert not at.exception
    assert "社会组织台账" in [t.value for t in at.title]
    assert _caption(at).startswith("共 55 条")
    assert "第 1/2 页" in _caption(at)
    df = at.dataframe[0].value
    assert len(df) == 50
    assert "组织名称" in df.columns and "统一社会信用代码" in df.columns
    assert "在表格中选择一行查看详情或编辑。" in texts(at)
    # empty cells are blank (not "None") and dates carry no time of day
    assert not df.isna().any().any()
    assert (df["备案编号"] == "").any()
    assert all(v == "" or re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in df["等级有效期至"])
    assert at.get("download_button")  # Excel export offered


def test_list_second_page_holds_the_rest(demo_db):
    at = _staff("orgs")
    at.number_input(key="orgs:page").set_value(2).run()
    assert not at.exception
    assert "第 2/2 页" in _caption(at)
    assert len(at.dataframe[0].value) == 5


def test_search_narrows_the_list(demo_db):
    at = _staff("orgs")
    at.text_input(key="orgs:q").input("1516").run()
    assert not at.exception
    assert _caption(at).startswith("共 2 条")
    names = set(at.dataframe[0].value["组织名称"])
    assert names == {"钱塘区1516便民服务社", "下沙街道春晓社区1516便民服务队"}
    # by USCC and by filing number too
    at.text_input(key="orgs:q").input("52330100MJ096880C0").run()
    assert list(at.dataframe[0].value["组织名称"]) == ["杭州市钱塘区同心社会工作服务中心"]
    at.text_input(key="orgs:q").input("下沙备字〔2023〕第004号").run()
    assert list(at.dataframe[0].value["组织名称"]) == ["下沙街道下沙社区银龄志愿服务队"]
    at.text_input(key="orgs:q").input("没有这样的组织").run()
    assert _caption(at).startswith("共 0 条")
    assert len(at.dataframe[0].value) == 0


def test_search_text_is_a_parameter_not_sql(demo_db):
    at = _staff("orgs")
    at.text_input(key="orgs:q").input("' OR 1=1 --").run()
    assert not at.exception
    assert _caption(at).startswith("共 0 条")


def test_filters_narrow_the_list(demo_db):
    db = _db()
    at = _staff("orgs")
    at.multiselect(key="orgs:f:kind").set_value(["基金会"]).run()
    assert not at.exception
    assert _caption(at).startswith("共 2 条")
    assert set(at.dataframe[0].value["组织类型"]) == {"基金会"}

    at.multiselect(key="orgs:f:kind").set_value([]).run()
    at.multiselect(key="orgs:f:community").set_value(["春晓社区"]).run()
    expected = db.scalar("SELECT count(*) FROM organisations WHERE community = '春晓社区' AND hub_id = 1")  # 下沙's
    assert _caption(at).startswith(f"共 {expected} 条")
    assert set(at.dataframe[0].value["所属社区"]) == {"春晓社区"}

    # two filters combine (AND)
    at.multiselect(key="orgs:f:kind").set_value(["社区社会组织(备案)"]).run()
    expected = db.scalar("SELECT count(*) FROM organisations WHERE community = '春晓社区' AND kind = '社区社会组织(备案)'"
                         " AND hub_id = 1")
    assert _caption(at).startswith(f"共 {expected} 条")

    at.multiselect(key="orgs:f:kind").set_value([]).run()
    at.multiselect(key="orgs:f:community").set_value([]).run()
    at.multiselect(key="orgs:f:rating").set_value(["4A"]).run()
    assert _caption(at).startswith("共 3 条")
    at.multiselect(key="orgs:f:rating").set_value(["未评级"]).run()
    expected = db.scalar("SELECT count(*) FROM organisations WHERE rating IS NULL AND hub_id = 1")  # staff: 下沙's
    assert _caption(at).startswith(f"共 {expected} 条")

    at.multiselect(key="orgs:f:rating").set_value([]).run()
    at.multiselect(key="orgs:f:incubation").set_value(["在孵"]).run()
    expected = db.scalar("SELECT count(*) FROM organisations WHERE incubation_in IS NOT NULL AND incubation_out IS NULL"
                         " AND hub_id = 1")
    assert _caption(at).startswith(f"共 {expected} 条")
    assert set(at.dataframe[0].value["孵化状态"]) == {"在孵"}


def test_sort_order_can_be_changed(demo_db):
    at = _staff("orgs")
    at.toggle(key="orgs:desc").set_value(True).run()
    assert not at.exception
    assert list(at.dataframe[0].value["编号"])[:2] == [55, 54]


def test_search_and_filter_reset_to_page_one(demo_db):
    at = _staff("orgs")
    at.number_input(key="orgs:page").set_value(2).run()
    at.text_input(key="orgs:q").input("社区").run()
    assert "第 1/" in _caption(at)


# ---- detail and edit -----------------------------------------------------------------------------

def test_detail_and_prefilled_edit_form(demo_db):
    from core.orgs import organisations

    org = organisations.get(3)
    at = _staff("orgs", id="3")
    assert not at.exception
    assert org["name"] in [s.value for s in at.subheader]
    shown = texts(at)
    assert f"统一社会信用代码:{org['uscc']}" in shown
    assert f"联系电话:{org['contact_phone']}" in shown
    assert "等级评估:4A" in shown
    assert [t.label for t in at.tabs] == ["详情", "编辑", "修改记录"]

    assert at.text_input(key="org_edit::name").value == org["name"]
    assert at.selectbox(key="org_edit::kind").value == org["kind"]
    assert at.text_input(key="org_edit::uscc").value == org["uscc"]
    assert at.text_input(key="org_edit::filing_no").value == ""
    assert at.text_input(key="org_edit::contact_person").value == org["contact_person"]
    assert at.text_input(key="org_edit::contact_phone").value == org["contact_phone"]
    assert at.selectbox(key="org_edit::community").value == org["community"]
    assert at.selectbox(key="org_edit::stage").value == org["stage"]
    assert at.date_input(key="org_edit::incubation_in").value == org["incubation_in"]
    assert at.date_input(key="org_edit::incubation_out").value == org["incubation_out"]
    assert at.selectbox(key="org_edit::rating").value == "4A"
    assert at.multiselect(key="org_edit::service_domains").value == list(org["service_domains"])
    assert at.checkbox(key="org_edit::active").value is True
    # history tab: the demo load wrote a create row; headers and actions in Chinese
    assert len(at.dataframe) == 2
    history = at.dataframe[1].value
    assert list(history["动作"]) == ["新建"]
    assert list(history["操作人"]) == ["系统"]  # the demo load, by its Chinese name
    assert history.iloc[0]["修改内容"].startswith(f"组织名称:{org['name']};组织类型:{org['kind']}")
    assert all(re.search(r"[\u4e00-\u9fff]", str(c)) for c in history.columns)


def test_unknown_id_shows_a_warning(demo_db):
    at = _staff("orgs", id="9999")
    assert not at.exception
    assert "该组织不存在。" in texts(at)
    assert not [w for w in at.text_input if str(w.key).startswith("org_edit::")]


def test_edit_stores_the_change_and_audits_it(demo_db):
    from core.orgs import organisations

    before_audit = len(_audit_rows("organisations", 3))
    at = _staff("orgs", id="3")
    at.text_input(key="org_edit::contact_person").input("周新")
    at.text_input(key="org_edit::contact_phone").input("13800138000")
    at.button(key="FormSubmitter:org_edit-保存修改").click().run()
    assert not at.exception
    assert "已保存修改" in successes(at)
    org = organisations.get(3)
    assert org["contact_person"] == "周新"
    assert org["contact_phone"] == "138 0013 8000"  # normalised
    assert org["updated_by"] == "staff"
    rows = _audit_rows("organisations", 3, "update")
    assert len(_audit_rows("organisations", 3)) == before_audit + 1
    assert rows[-1]["actor"] == "staff"
    assert "周新" in rows[-1]["after_json"]
    # the form now shows the stored (normalised) values
    assert at.text_input(key="org_edit::contact_phone").value == "138 0013 8000"
    assert "联系人:周新" in texts(at)


def test_edit_without_changes_says_so(demo_db):
    before = len(_audit_rows("organisations", 3))
    at = _staff("orgs", id="3")
    at.button(key="FormSubmitter:org_edit-保存修改").click().run()
    assert not at.exception
    assert "没有需要保存的修改" in successes(at)
    assert len(_audit_rows("organisations", 3)) == before


@pytest.mark.parametrize("phone,message", [
    ("", "请填写联系电话"),
    ("12345", "联系电话无效"),
])
def test_bad_edit_keeps_the_typed_values_and_stores_nothing(demo_db, phone, message):
    from core.orgs import organisations

    before = organisations.get(3)
    before_audit = len(_audit_rows("organisations", 3))
    at = _staff("orgs", id="3")
    at.text_input(key="org_edit::contact_person").input("周新")
    at.text_input(key="org_edit::contact_phone").input(phone)
    at.button(key="FormSubmitter:org_edit-保存修改").click().run()
    assert not at.exception
    errors = _errors(at)
    assert "未保存" in errors
    assert message in errors
    assert not at.success
    assert at.text_input(key="org_edit::contact_person").value == "周新"
    assert at.text_input(key="org_edit::contact_phone").value == phone
    assert organisations.get(3) == before
    assert len(_audit_rows("organisations", 3)) == before_audit
    # a rerun (any other interaction) keeps the typed values too
    at.run()
    assert at.text_input(key="org_edit::contact_person").value == "周新"


def test_edit_then_fix_the_error_saves(demo_db):
    from core.orgs import organisations

    at = _staff("orgs", id="3")
    at.text_input(key="org_edit::contact_phone").input("12345")
    at.button(key="FormSubmitter:org_edit-保存修改").click().run()
    assert "联系电话无效" in _errors(at)
    at.text_input(key="org_edit::contact_phone").input("0571-86001234")
    at.button(key="FormSubmitter:org_edit-保存修改").click().run()
    assert not at.exception
    assert "联系电话无效" not in _errors(at)
    assert "已保存修改" in successes(at)
    assert organisations.get(3)["contact_phone"] == "0571 8600 1234"


def test_edit_to_a_name_already_used_is_refused(demo_db):
    from core.orgs import organisations

    other = organisations.get(2)
    at = _staff("orgs", id="3")
    at.text_input(key="org_edit::name").input(other["name"])
    at.button(key="FormSubmitter:org_edit-保存修改").click().run()
    assert not at.exception
    assert f"组织名称已被登记:「{other['name']}」(编号 2)" in _errors(at)
    assert organisations.get(3)["name"] != other["name"]


def test_switching_record_reloads_the_edit_form(demo_db):
    from core.orgs import organisations

    at = _staff("orgs", id="3")
    at.text_input(key="org_edit::contact_person").input("未保存的输入")
    at.query_params["id"] = "24"
    at.run()
    assert at.text_input(key="org_edit::name").value == organisations.get(24)["name"]
    assert at.text_input(key="org_edit::contact_person").value == organisations.get(24)["contact_person"]
    assert at.text_input(key="org_edit::filing_no").value == organisations.get(24)["filing_no"]


# ---- new organisation ----------------------------------------------------------------------------

def _fill_new(at, **values):
    kinds = {"text": at.text_input, "select": at.selectbox, "date": at.date_input, "multi": at.multiselect,
             "check": at.checkbox, "area": at.text_area}
    widget_of = {"name": "text", "kind": "select", "uscc": "text", "filing_no": "text", "reg_date": "date",
                 "legal_rep": "text", "contact_person": "text", "contact_phone": "text", "community": "select",
                 "service_domains": "multi", "stage": "select", "incubation_in": "date", "incubation_out": "date",
                 "rating": "select", "rating_date": "date", "active": "check", "notes": "area"}
    for name, value in values.items():
        kinds[widget_of[name]](key=f"org_new::{name}").set_value(value)
    return at


def _submit_new(at):
    return at.button(key="FormSubmitter:org_new-登记").click().run()


GOOD = dict(
    name="下沙街道测试社会工作服务中心", kind="社会服务机构", uscc="52330114 mj1234567y",
    reg_date=dt.date(2024, 5, 6), legal_rep="赵一", contact_person="钱二", contact_phone="138-0013-8000",
    community="文海社区", service_domains=["社区治理", "志愿服务"], stage="初创期",
    incubation_in=dt.date(2024, 6, 1),
)


def test_new_form_starts_empty_with_active_ticked(demo_db):
    at = _staff("orgs-new")
    assert not at.exception
    assert "登记新组织" in [t.value for t in at.title]
    assert at.text_input(key="org_new::name").value == ""
    assert at.selectbox(key="org_new::kind").value is None
    assert at.date_input(key="org_new::reg_date").value is None
    assert at.multiselect(key="org_new::service_domains").value == []
    assert at.checkbox(key="org_new::active").value is True


def test_new_organisation_is_stored(demo_db):
    count = _org_count()
    at = _fill_new(_staff("orgs-new"), **GOOD)
    _submit_new(at)
    assert not at.exception
    assert not _errors(at)
    assert _org_count() == count + 1
    row = _db().fetch_one("SELECT * FROM organisations WHERE name = ?", [GOOD["name"]])
    assert row is not None
    assert row["uscc"] == VALID_USCC  # compacted, upper case
    assert row["contact_phone"] == "138 0013 8000"
    assert row["kind"] == "社会服务机构"
    assert row["community"] == "文海社区"
    assert list(row["service_domains"]) == ["社区治理", "志愿服务"]
    assert row["reg_date"] == dt.date(2024, 5, 6)
    assert row["incubation_in"] == dt.date(2024, 6, 1)
    assert row["incubation_out"] is None
    assert row["active"] is True
    assert row["created_by"] == "staff"
    audit = _audit_rows("organisations", row["id"], "create")
    assert len(audit) == 1 and audit[0]["actor"] == "staff"
    assert f"已登记:{GOOD['name']}(编号 {row['id']})" in successes(at)
    # the form is emptied for the next organisation (and active is ticked again)
    assert at.text_input(key="org_new::name").value == ""
    assert at.selectbox(key="org_new::kind").value is None
    assert at.checkbox(key="org_new::active").value is True
    # it appears in the list
    open_page(at, "orgs")
    assert _caption(at).startswith("共 56 条")


def test_new_filed_organisation_with_rating(demo_db):
    at = _fill_new(_staff("orgs-new"), name="下沙街道文海社区测试志愿队", kind="社区社会组织(备案)",
                   filing_no="下沙备字〔2026〕第099号", contact_person="孙三", contact_phone="0571-86001234",
                   community="文海社区", stage="零基础筹备期", rating="2A", rating_date=dt.date(2025, 3, 1))
    _submit_new(at)
    assert not at.exception
    assert not _errors(at)
    row = _db().fetch_one("SELECT * FROM organisations WHERE name = '下沙街道文海社区测试志愿队'")
    assert row["uscc"] is None
    assert row["filing_no"] == "下沙备字〔2026〕第099号"
    assert row["rating_expiry"] == dt.date(2030, 3, 1)  # derived: 5 years


def test_bad_new_organisation_shows_every_message_and_keeps_values(demo_db):
    count = _org_count()
    audit_before = len(_audit_rows("organisations"))
    typed = dict(
        name="下沙街道测试社会工作服务中心", kind="社会服务机构", uscc=BAD_CHECK_USCC, legal_rep="赵一",
        contact_phone="13800138000", service_domains=["社区治理"],
        incubation_in=dt.date(2024, 6, 1), incubation_out=dt.date(2024, 1, 1), notes="备注文字",
    )
    at = _fill_new(_staff("orgs-new"), **typed)
    _submit_new(at)
    assert not at.exception
    errors = _errors(at)
    assert "未保存" in errors
    assert "统一社会信用代码无效" in errors
    assert "请填写联系人" in errors
    assert "请选择所属社区" in errors
    assert "请选择发展阶段" in errors
    assert "出壳日期不能早于入壳日期" in errors
    assert not at.success
    # nothing stored
    assert _org_count() == count
    assert len(_audit_rows("organisations")) == audit_before
    # every typed value is still there
    assert at.text_input(key="org_new::name").value == typed["name"]
    assert at.selectbox(key="org_new::kind").value == "社会服务机构"
    assert at.text_input(key="org_new::uscc").value == BAD_CHECK_USCC
    assert at.text_input(key="org_new::legal_rep").value == "赵一"
    assert at.text_input(key="org_new::contact_phone").value == "13800138000"
    assert at.multiselect(key="org_new::service_domains").value == ["社区治理"]
    assert at.date_input(key="org_new::incubation_in").value == dt.date(2024, 6, 1)
    assert at.date_input(key="org_new::incubation_out").value == dt.date(2024, 1, 1)
    assert at.text_area(key="org_new::notes").value == "备注文字"
    assert at.checkbox(key="org_new::active").value is True
    assert at.text_input(key="org_new::contact_person").value == ""

    # fix the errors: now it is stored
    at.text_input(key="org_new::uscc").input(VALID_USCC)
    at.text_input(key="org_new::contact_person").input("钱二")
    at.selectbox(key="org_new::community").set_value("文海社区")
    at.selectbox(key="org_new::stage").set_value("初创期")
    at.date_input(key="org_new::incubation_out").set_value(dt.date(2024, 12, 1))
    _submit_new(at)
    assert not at.exception
    assert not _errors(at)
    assert _org_count() == count + 1


def test_empty_new_form_names_the_required_fields(demo_db):
    count = _org_count()
    at = _submit_new(_staff("orgs-new"))
    assert not at.exception
    errors = _errors(at)
    for label in ("组织名称", "联系人", "联系电话"):
        assert f"请填写{label}" in errors
    for label in ("组织类型", "所属社区", "发展阶段"):
        assert f"请选择{label}" in errors
    assert _org_count() == count


@pytest.mark.parametrize("extra,message", [
    (dict(kind="社会服务机构", uscc=None), "社会团体、社会服务机构、基金会和其他社会组织须填写统一社会信用代码"),
    (dict(kind="社会团体", uscc=VALID_USCC), "统一社会信用代码前两位与组织类型不符"),
    (dict(kind="社区社会组织(备案)", uscc=VALID_USCC, filing_no="下沙备字〔2026〕第098号"), "请改填备案编号"),
    (dict(kind="社区社会组织(备案)", uscc=None), "社区社会组织(备案)须填写备案编号"),
    (dict(incubation_in=None, incubation_out=dt.date(2024, 1, 1)), "填写出壳日期前须先填写入壳日期"),
    (dict(rating="3A"), "等级评估与评估日期须同时填写"),
    (dict(reg_date=dt.date.today() + dt.timedelta(days=3)), "登记/备案日期不能晚于今天"),
    (dict(contact_phone="010-1234"), "联系电话无效"),
])
def test_new_organisation_rules(demo_db, extra, message):
    count = _org_count()
    values = dict(GOOD, **extra)
    values = {k: ("" if v is None and k in ("uscc", "filing_no") else v) for k, v in values.items()}
    at = _fill_new(_staff("orgs-new"), **values)
    _submit_new(at)
    assert not at.exception
    assert message in _errors(at)
    assert _org_count() == count


def test_duplicate_name_is_refused_naming_the_existing_record(demo_db):
    from core.orgs import organisations

    existing = organisations.get(24)
    count = _org_count()
    at = _fill_new(_staff("orgs-new"), **dict(GOOD, name=existing["name"]))
    _submit_new(at)
    assert not at.exception
    assert f"组织名称已被登记:「{existing['name']}」(编号 24)" in _errors(at)
    assert _org_count() == count
    assert at.text_input(key="org_new::name").value == existing["name"]


def test_duplicate_uscc_is_refused_naming_the_existing_record(demo_db):
    from core.orgs import organisations

    existing = organisations.get(3)
    at = _fill_new(_staff("orgs-new"), **dict(GOOD, uscc=existing["uscc"].lower()))
    count = _org_count()
    _submit_new(at)
    assert f"统一社会信用代码已被登记:「{existing['name']}」(编号 3)" in _errors(at)
    assert _org_count() == count


def test_markup_in_notes_is_stored_and_shown_literally(demo_db):
    payload = "<script>alert(1)</script> **粗体** <b>x</b>"
    at = _fill_new(_staff("orgs-new"), **dict(GOOD, notes=payload))
    _submit_new(at)
    assert not at.exception
    row = _db().fetch_one("SELECT id, notes FROM organisations WHERE name = ?", [GOOD["name"]])
    assert row["notes"] == payload
    at.query_params["id"] = str(row["id"])
    open_page(at, "orgs")
    assert not at.exception
    # shown with st.text (never as markdown/HTML), and loaded verbatim into the edit form
    assert "备注:" + payload in [t.value for t in at.text]
    assert not [m for m in at.markdown if "<script>" in str(m.value)]
    assert at.text_area(key="org_edit::notes").value == payload


def test_admin_can_register_too(demo_db):
    at = signed_in("admin", ["admin"]).run()
    open_page(at, "orgs-new")
    _fill_new(at, **GOOD)
    _submit_new(at)
    assert not at.exception
    row = _db().fetch_one("SELECT created_by FROM organisations WHERE name = ?", [GOOD["name"]])
    assert row["created_by"] == "admin"


# ---- import --------------------------------------------------------------------------------------

def _template() -> bytes:
    from core.orgs import organisations
    from core.platform import importer

    return importer.template(organisations.IMPORT_SPEC)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_import_page_renders_for_staff(demo_db):
    at = _staff("orgs-import")
    assert not at.exception
    assert "批量导入社会组织" in [t.value for t in at.title]
    buttons = at.get("download_button")
    assert [b.label for b in buttons] == ["下载导入模板"]
    assert len(at.file_uploader) == 1
    assert at.file_uploader[0].allowed_type == [".xlsx"]
    assert len(at.dataframe) == 0


def _filled(*names: str) -> bytes:
    """The template with real organisations (the example's values under other names) in 导入数据."""
    import io

    from openpyxl import load_workbook

    from core.orgs import organisations

    spec = organisations.IMPORT_SPEC
    wb = load_workbook(io.BytesIO(_template()))
    example = list(wb["填写示例"].iter_rows(values_only=True))[1]
    for i, name in enumerate(names):
        wb["导入数据"].append([name, *example[1:2], None, f"下沙备字〔2026〕第{200 + i}号", *example[4:]])
    assert spec.fields[3] == "filing_no"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_the_unfilled_template_imports_nothing_and_says_why(demo_db):
    count = _org_count()
    at = _staff("orgs-import")
    at.file_uploader(key="org_import:file").set_value(("模板.xlsx", _template(), XLSX))
    at.run()
    assert not at.exception
    assert "「导入数据」工作表(第一个工作表)没有数据行" in _errors(at)
    assert not [b for b in at.button if b.key == "org_import:confirm"]
    assert _org_count() == count


def test_the_example_row_left_in_is_refused_and_named(demo_db):
    """The example copied into 导入数据 (as a hurried user does) is an error naming its row; nothing is
    offered for import, and the warning says why."""
    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(_template()))
    wb["导入数据"].append(list(list(wb["填写示例"].iter_rows(values_only=True))[1]))
    buf = io.BytesIO()
    wb.save(buf)
    count = _org_count()
    at = _staff("orgs-import")
    at.file_uploader(key="org_import:file").set_value(("模板.xlsx", buf.getvalue(), XLSX))
    at.run()
    assert not at.exception
    report = at.dataframe[0].value
    assert report.iloc[0]["行号"] == 2 and report.iloc[0]["结果"] == "错误"
    assert "这一行是模板中的填写示例(「下沙街道示例社区志愿服务队」),不会导入" in report.iloc[0]["说明"]
    assert "没有可导入的行:1 行有错误(原因见上表「说明」列),请在文件中改正后重新上传。" in texts(at)
    assert not [b for b in at.button if b.key == "org_import:confirm"]
    assert _org_count() == count


def test_import_a_filled_template(demo_db):
    count = _org_count()
    at = _staff("orgs-import")
    at.file_uploader(key="org_import:file").set_value(("模板.xlsx", _filled("下沙街道导入真实志愿队"), XLSX))
    at.run()
    assert not at.exception
    assert "共 1 行:可导入 1 行" in texts(at)
    assert _org_count() == count  # nothing written before confirming
    at.button(key="org_import:confirm").click().run()
    assert not at.exception
    assert "已导入 1 条社会组织。" in successes(at)
    assert _org_count() == count + 1
    row = _db().fetch_one("SELECT * FROM organisations WHERE name = '下沙街道导入真实志愿队'")
    assert row["created_by"] == "staff"
    assert list(row["service_domains"]) == ["志愿服务", "一老一小"]
    assert _audit_rows("organisations", row["id"])


def test_import_same_file_again_adds_nothing(demo_db):
    data = _filled("下沙街道导入重复测试队")
    at = _staff("orgs-import")
    at.file_uploader(key="org_import:file").set_value(("模板.xlsx", data, XLSX))
    at.run()
    at.button(key="org_import:confirm").click().run()
    count = _org_count()
    again = _staff("orgs-import")
    again.file_uploader(key="org_import:file").set_value(("模板.xlsx", data, XLSX))
    again.run()
    assert not again.exception
    assert "已存在 1 行" in texts(again)
    assert "没有可导入的行:1 行与已有记录相同,已跳过。" in texts(again)
    assert not [b for b in again.button if b.key == "org_import:confirm"]
    assert _org_count() == count


def test_import_refuses_a_file_that_is_not_xlsx(demo_db):
    count = _org_count()
    at = _staff("orgs-import")
    at.file_uploader(key="org_import:file").set_value(("fake.xlsx", b"not a workbook at all", XLSX))
    at.run()
    assert not at.exception
    assert at.error
    assert _org_count() == count


def test_selecting_a_row_opens_its_detail(demo_db):
    from core.orgs import organisations

    at = _staff("orgs")
    # what the browser sends when the third row is clicked
    at.session_state["orgs:table"] = {"selection": {"rows": [2], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    org = organisations.get(int(at.dataframe[0].value.iloc[2]["编号"]))
    assert org["name"] in [plain(s.value) for s in at.subheader]
    assert at.text_input(key="org_edit::name").value == org["name"]


def test_concurrent_edit_of_another_field_is_not_overwritten(demo_db):
    """Staff's form was loaded before an admin changed another field: saving keeps the admin's change."""
    from core.orgs import organisations
    from core.platform.actor import Actor

    at = _staff("orgs", id="3")
    organisations.update(3, {"legal_rep": "他人修改"}, Actor("admin", ("admin",)))
    at.text_input(key="org_edit::contact_person").input("我的修改")
    at.button(key="FormSubmitter:org_edit-保存修改").click().run()
    assert not at.exception
    assert not _errors(at)
    org = organisations.get(3)
    assert org["contact_person"] == "我的修改"
    assert org["legal_rep"] == "他人修改"
    # the form now shows both changes
    assert at.text_input(key="org_edit::legal_rep").value == "他人修改"
    assert at.text_input(key="org_edit::contact_person").value == "我的修改"
    update = _audit_rows("organisations", 3, "update")[-1]
    assert "他人修改" in update["before_json"]  # staff's write changed only contact_person


def test_markup_in_a_name_is_shown_literally(demo_db):
    from core.orgs import organisations
    from core.platform.actor import Actor

    name = "测试**粗体**[链接](http://example.com)组织"
    org_id = organisations.create(dict(GOOD, name=name, uscc=VALID_USCC, contact_phone="13800138000", active=True),
                                  Actor("staff", ("staff",)))
    at = _staff("orgs", id=str(org_id))
    assert not at.exception
    heading = at.subheader[0].value
    assert "**" not in heading.replace("\\*", "")  # every markdown character is escaped
    assert plain(heading) == name
    assert at.text_input(key="org_edit::name").value == name


def test_import_reports_bad_rows_and_imports_only_the_good_ones(demo_db):
    import pandas as pd

    from core.orgs import organisations
    from core.platform.excel import workbook_bytes
    from schemas.base import field_specs

    spec = organisations.IMPORT_SPEC
    specs = field_specs(spec.entity.schema)
    headers = [specs[f]["label"] + ("*" if specs[f]["required"] else "") for f in spec.fields]
    good = dict(spec.example, name="下沙街道导入测试志愿队", filing_no="下沙备字〔2026〕第101号")
    bad = dict(spec.example, name="下沙街道导入测试错误队", filing_no="下沙备字〔2026〕第102号", contact_phone="123")
    rows = [[r.get(f) for f in spec.fields] for r in (good, bad)]
    data = workbook_bytes({"导入数据": pd.DataFrame(rows, columns=headers)})
    count = _org_count()
    at = _staff("orgs-import")
    at.file_uploader(key="org_import:file").set_value(("导入.xlsx", data, XLSX))
    at.run()
    assert not at.exception
    assert "共 2 行:可导入 1 行,错误 1 行" in texts(at)
    report = at.dataframe[0].value
    bad_row = report[report["结果"] == "错误"].iloc[0]
    assert bad_row["行号"] == 3
    assert "联系电话" in bad_row["说明"]
    at.button(key="org_import:confirm").click().run()
    assert not at.exception
    assert _org_count() == count + 1
    assert _db().fetch_one("SELECT id FROM organisations WHERE name = '下沙街道导入测试志愿队'")
    assert not _db().fetch_one("SELECT id FROM organisations WHERE name = '下沙街道导入测试错误队'")


# ---- the selection follows the record ------------------------------------------------------------

def _shown_org(at) -> str:
    return plain(at.subheader[0].value) if at.subheader else ""


def test_selection_follows_the_record_when_the_search_is_cleared(demo_db):
    """Search, select the first row, clear the search: the same organisation stays selected (the table
    highlights its new row), its 编辑 edits that one, and its id is in the URL."""
    from core.orgs import organisations

    at = _staff("orgs")
    at.text_input(key="orgs:q").input("云水").run()
    found = at.dataframe[0].value
    target = int(found.iloc[0]["编号"])
    name = organisations.get(target)["name"]
    assert len(found) == 2 and target != int(_db().scalar("SELECT min(id) FROM organisations"))
    at.session_state["orgs:table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert _shown_org(at) == name
    assert at.query_params["id"] == str(target)

    at.text_input(key="orgs:q").input("").run()
    assert not at.exception
    everything = at.dataframe[0].value
    assert len(everything) == 50
    assert _shown_org(at) == name  # not the organisation now in row 1
    assert at.text_input(key="org_edit::name").value == name
    where = everything.index[everything["编号"] == target].tolist()
    assert at.session_state["orgs:table"]["selection"]["rows"] == where

    # 编辑 saves to that organisation, not to the one in the first row
    at.text_input(key="org_edit::contact_person").input("跟随选择")
    at.button(key="FormSubmitter:org_edit-保存修改").click().run()
    assert not at.exception
    assert organisations.get(target)["contact_person"] == "跟随选择"
    first = int(everything.iloc[0]["编号"])
    assert organisations.get(first)["contact_person"] != "跟随选择"


def test_selection_of_a_record_filtered_out_stays_and_can_be_cleared(demo_db):
    at = _staff("orgs", id="29")
    assert _shown_org(at) == plain(_db().scalar("SELECT name FROM organisations WHERE id = 29"))
    assert at.session_state["orgs:table"]["selection"]["rows"] == [28]
    at.text_input(key="orgs:q").input("青葵").run()
    assert "已选中的记录(编号 29)不在当前列表中" in texts(at)
    assert at.session_state["orgs:table"]["selection"]["rows"] == []
    at.button(key="orgs:unselect").click().run()
    assert not at.exception
    assert not at.subheader
    assert "id" not in at.query_params
    assert "在表格中选择一行查看详情或编辑。" in texts(at)


def test_clicking_the_selected_row_again_clears_the_selection(demo_db):
    at = _staff("orgs")
    at.session_state["orgs:table"] = {"selection": {"rows": [4], "columns": [], "cells": []}}
    at.run()
    assert _shown_org(at)
    at.session_state["orgs:table"] = {"selection": {"rows": [], "columns": [], "cells": []}}
    at.run()
    assert not at.subheader
    assert "id" not in at.query_params


def test_every_input_of_the_form_speaks_chinese(demo_db):
    """Empty selects, multiselects and text inputs show a Chinese placeholder (never Streamlit's "Choose an
    option"), and no multiselect offers the English "Select all"."""
    at = _staff("orgs-new")
    cjk = re.compile(r"[\u4e00-\u9fff]")
    widgets = [*at.selectbox, *at.multiselect, *at.text_input, *at.text_area]
    assert len(widgets) >= 10
    for w in widgets:
        assert w.placeholder and cjk.search(w.placeholder), (w.key, w.placeholder)
    for m in at.multiselect:
        assert m.proto.select_all == 0, m.key  # 0: the "Select all" option is never shown

"""AppTest: the generic entity screen (core.ui.admin), through the 场地 (venue) it draws from its declaration alone
(core.orgs.venues): the list's headers are the schema's labels, 新建 / 编辑 / 导入 write through core.platform.records and are audited,
a refusal keeps the input and writes nothing, and a role that may open the screen but not write (leader) sees no form."""
from __future__ import annotations

import dataclasses
import io
import re

import pytest

from tests.apptest_helpers import count, db, errors, open_page, plain_texts, screen_as, signed_in, successes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NEW = "venue:new"


def _first() -> str:
    return str(db().scalar("SELECT min(id) FROM venues"))


def _open(user: str, roles: list[str], **query):
    at = signed_in(user, roles).run()
    for k, v in query.items():
        at.query_params[k] = v
    return open_page(at, "venues")


def _audit(key=None) -> list[dict]:
    sql, params = "SELECT * FROM audit_log WHERE table_name = 'venues'", []
    if key is not None:
        sql += " AND row_key = ?"
        params.append(str(key))
    return db().fetch_all(sql + " ORDER BY id", params)


def _fill_new(at, name: str, capacity=80):
    at.text_input(key=f"{NEW}::name").input(name)
    at.text_input(key=f"{NEW}::address").input("幸福南路5号")
    at.number_input(key=f"{NEW}::capacity").set_value(capacity)
    at.selectbox(key=f"{NEW}::community").set_value("幸福社区")
    at.text_input(key=f"{NEW}::owner").input("幸福社区居委会")
    return at


def _submit(at, form: str, label: str):
    return at.button(key=f"FormSubmitter:{form}-{label}").click().run()


def test_list_shows_the_declared_columns_with_the_schema_labels(demo_db):
    at = _open("staff", ["staff"])
    assert not at.exception
    assert [t.value for t in at.title] == ["场地资源"]
    assert [t.label for t in at.tabs] == ["列表", "新建", "导入"]
    df = at.dataframe[0].value
    assert list(df.columns) == ["编号", "场地名称", "所属社区", "地址", "可容纳人数", "开放时间", "管理单位", "联系电话"]
    assert len(df) == count("venues", "WHERE hub_id = 1") >= 5  # the demo's venues of 下沙 (the staff's hub)
    assert not df.isna().any().any() and not (df.astype(str) == "None").any().any()
    assert [m.label for m in at.multiselect if m.key == "venue:f:community"] == ["所属社区"]
    assert "搜索场地名称、地址、管理单位" in [t.placeholder for t in at.text_input if t.key == "venue:q"]


def test_create_then_edit_and_the_history_names_fields_in_chinese(demo_db):
    before = count("venues")
    at = _submit(_fill_new(_open("staff", ["staff"]), "幸福社区睦邻客厅"), NEW, "登记")
    assert not at.exception, at.exception
    row = db().fetch_one("SELECT * FROM venues WHERE name = '幸福社区睦邻客厅'")
    assert count("venues") == before + 1 and row["capacity"] == 80 and row["created_by"] == "staff"
    assert f"已登记场地:幸福社区睦邻客厅(编号 {row['id']})" in successes(at)
    assert [a["action"] for a in _audit(row["id"])] == ["create"]

    at = _open("staff", ["staff"], id=str(row["id"]))
    assert "幸福社区睦邻客厅" in [s.value for s in at.subheader]
    assert [t.label for t in at.tabs] == ["列表", "详情", "编辑", "修改记录", "新建", "导入"]  # the record's inside 列表
    assert "可容纳人数:80" in plain_texts(at) and "联系人:—" in plain_texts(at)
    assert at.text_input(key="venue:edit::name").value == "幸福社区睦邻客厅"
    at.text_input(key="venue:edit::contact_person").input("吴芳")
    at = _submit(at, "venue:edit", "保存修改")
    assert not at.exception
    assert "已保存修改" in successes(at)
    assert db().fetch_one("SELECT contact_person FROM venues WHERE id = ?", [row["id"]])["contact_person"] == "吴芳"
    history = at.dataframe[-1].value
    assert list(history["动作"]) == ["修改", "新建"]
    assert history.iloc[0]["修改内容"].startswith("联系人:")
    assert history.iloc[1]["修改内容"].startswith("场地名称:幸福社区睦邻客厅")
    assert all(re.search(r"[\u4e00-\u9fff]", str(c)) for c in history.columns)


@pytest.mark.parametrize("name, capacity, message", [
    ("下沙街道社会组织服务中心报告厅", 80, "场地名称已被登记:「下沙街道社会组织服务中心报告厅」"),  # a demo venue's name
    ("幸福社区睦邻客厅", 0, "可容纳人数"),
])
def test_a_refusal_keeps_the_input_and_writes_nothing(demo_db, name, capacity, message):
    before, audited = count("venues"), len(_audit())
    at = _submit(_fill_new(_open("staff", ["staff"]), name, capacity), NEW, "登记")
    assert not at.exception
    assert "未保存:请按提示修改后重新提交。" in errors(at) and message in errors(at)
    assert at.text_input(key=f"{NEW}::name").value == name  # the input is kept
    assert at.text_input(key=f"{NEW}::address").value == "幸福南路5号"
    assert (count("venues"), len(_audit())) == (before, audited)


def _workbook(rows: list[list]) -> bytes:
    from openpyxl import load_workbook

    from core.orgs.venues import VENUE
    from core.platform import admin, importer

    wb = load_workbook(io.BytesIO(importer.template(admin.import_spec(VENUE))))
    headers = [c.value for c in wb["导入数据"][1]]
    assert headers[:4] == ["场地名称*", "地址*", "可容纳人数*", "所属社区*"]  # the schema's labels, its order
    for r in rows:
        wb["导入数据"].append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_import_a_small_workbook(demo_db):
    before, audited = count("venues"), len(_audit())
    data = _workbook([["白杨社区睦邻中心", "白杨街道1号", 50, "白杨社区", None, None, "白杨社区居委会"],
                      ["春晓社区活动室", "春晓路2号", "很多", "春晓社区", None, None, "春晓社区居委会"]])
    at = _open("staff", ["staff"])
    at.file_uploader(key="venue:import:file").set_value(("场地.xlsx", data, XLSX))
    at.run()
    assert not at.exception
    assert "共 2 行:可导入 1 行,错误 1 行" in plain_texts(at)
    report = at.dataframe[-1].value
    assert list(report.columns) == ["行号", "结果", "字段", "说明"]
    assert list(report["字段"]) == ["", "可容纳人数"]
    assert count("venues") == before  # nothing written before confirming
    at.button(key="venue:import:confirm").click().run()
    assert "已导入 1 条场地。" in successes(at)
    assert count("venues") == before + 1 and len(_audit()) == audited + 1
    assert db().fetch_one("SELECT created_by FROM venues WHERE name = '白杨社区睦邻中心'")["created_by"] == "staff"


def test_an_import_with_no_good_row_writes_nothing(demo_db):
    before = count("venues")
    at = _open("staff", ["staff"])
    at.file_uploader(key="venue:import:file").set_value(
        ("场地.xlsx", _workbook([["下沙街道社会组织服务中心报告厅", "下沙", 10, "下沙社区", None, None, "街道"]]), XLSX))
    at.run()
    assert "已存在 1 行" in plain_texts(at)
    assert not [b for b in at.button if b.key == "venue:import:confirm"]
    assert count("venues") == before


def test_a_role_that_may_open_the_screen_but_write_nothing_sees_no_form(demo_db, monkeypatch):
    """Leaders keep to the dashboards (the venue screen is admin/staff's); were the hub to open it to them (one
    word in the screen spec), they would read it: every form on the screen asks core.platform.entities.may first."""
    from core import navigation
    from core.orgs.venues import VENUE
    from core.platform import records
    from core.platform.actor import Actor
    from core.platform.errors import PermissionDenied

    page = navigation.BY_KEY["venue_admin"]
    monkeypatch.setitem(navigation.BY_KEY, "venue_admin", dataclasses.replace(page, roles=(*page.roles, "leader")))
    at = screen_as("leader", ["leader"], "core.ui.admin:venue", id=_first()).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["场地资源"]
    assert [t.label for t in at.tabs] == ["详情", "修改记录"]  # no 新建 / 导入 / 编辑
    assert not at.get("form") and not at.get("file_uploader")
    assert len(at.dataframe[0].value) == count("venues", "WHERE hub_id = 1")
    assert "在表格中选择一行查看详情。" not in plain_texts(at)  # a record is selected (?id=N)
    with pytest.raises(PermissionDenied):
        records.create(VENUE, {"name": "领导新建的场地", "address": "x", "capacity": 1, "community": "下沙社区",
                               "owner": "x"}, Actor("leader", ("leader",)))


@pytest.mark.parametrize("user, role", [("leader", "leader"), ("expert", "reviewer")])
def test_a_leader_or_a_reviewer_cannot_open_the_venues(demo_db, user, role):
    before, audited = count("venues"), len(_audit())
    at = _open(user, [role])
    assert [t.value for t in at.title] == ["无权访问"]
    assert not at.dataframe and not at.get("form")
    direct = screen_as(user, [role], "core.ui.admin:venue").run()
    assert "您的角色无权访问此页面。" in errors(direct) and not direct.dataframe and not direct.title
    assert (count("venues"), len(_audit())) == (before, audited)

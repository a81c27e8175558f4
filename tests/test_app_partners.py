"""AppTest: 伙伴贡献与认领 (pages/res_partners.py) and the partners' generic screen (合作伙伴, /partners).
Staff claim an item for a partner and register its arrival (after a confirmation): the contribution is stored, the
item is done and the project file shows the money in 配套资金:企业; a refusal keeps the input and writes nothing;
the continuity tables read in Chinese; leaders read without forms; reviewers are refused."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.apptest_helpers import count, db, errors, open_page, plain_texts, signed_in, successes

TODAY = dt.date.today()


def _open(user: str, roles: list[str], url: str = "partner-claims", **query):
    at = signed_in(user, roles).run()
    for k, v in query.items():
        at.query_params[k] = v
    return open_page(at, url)


def _item(project_id: int) -> int:
    from core.platform.actor import Actor
    from core.resources import partners

    return partners.publish({"title": "补足活动经费", "kind": "资金", "needed": "活动物资和保险", "amount_sought": 6000.0,
                             "source": "项目资金缺口", "project_id": project_id,
                             "published_on": TODAY - dt.timedelta(days=3)}, Actor("staff", ("staff",)))


def test_staff_claim_then_complete_and_the_project_file_shows_the_money(demo_db):
    pid = db().scalar("SELECT max(id) FROM projects WHERE state = 'active'")
    before = float(db().scalar("SELECT coalesce(funds_enterprise, 0) FROM projects WHERE id = ?", [pid]))
    tech = db().scalar("SELECT id FROM partners WHERE name = '杭州钱塘智造科技有限公司'")  # the demo's (template)
    assert tech is not None
    item = _item(pid)
    at = _open("staff", ["staff"], item=str(item))
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["伙伴贡献与认领"]
    assert [t.label for t in at.tabs][:5] == ["企业公益认领", "发布认领项目", "贡献记录", "登记贡献", "合作持续性"]
    assert "认领状态:开放认领" in plain_texts(at)
    assert "资金缺口约" in plain_texts(at) or "已由资助金额和企业、捐赠配套资金补足" in plain_texts(at)
    at.selectbox(key=f"claim:{item}::partner_id").set_value(tech)
    at.date_input(key=f"claim:{item}::claimed_on").set_value(TODAY)
    at = at.button(key=f"FormSubmitter:claim:{item}-登记认领").click().run()
    assert not at.exception, at.exception
    assert "已登记认领:杭州钱塘智造科技有限公司" in successes(at)
    assert db().scalar("SELECT status FROM claim_items WHERE id = ?", [item]) == "claimed"
    assert "认领状态:已认领" in plain_texts(at)
    at.date_input(key=f"complete:{item}::completed_on").set_value(TODAY)
    at = at.button(key=f"FormSubmitter:complete:{item}-登记到位").click().run()
    assert "配套资金:企业增加 6,000.00 元" in plain_texts(at)  # asked first: nothing stored yet
    assert db().scalar("SELECT status FROM claim_items WHERE id = ?", [item]) == "claimed"
    at = at.button(key=f"complete:{item}:yes").click().run()
    assert not at.exception, at.exception
    assert db().scalar("SELECT status FROM claim_items WHERE id = ?", [item]) == "done"
    assert any(s.startswith("已登记到位(贡献编号") for s in successes(at))
    after = float(db().scalar("SELECT funds_enterprise FROM projects WHERE id = ?", [pid]))
    assert after == before + 6000
    project = _open("staff", ["staff"], "project-file", id=str(pid))
    assert not project.exception
    assert project.number_input(key=f"agreement:{pid}::funds_enterprise").value == pytest.approx(after)
    timeline = _open("staff", ["staff"], "project-file", id=str(pid), tab="项目动态")  # drawn when its tab is open
    assert "企业公益认领资金到位" in timeline.dataframe[-1].value.to_string()


def test_a_refused_publish_keeps_the_input_and_writes_nothing(demo_db):
    before, audited = count("claim_items"), count("audit_log")
    at = _open("staff", ["staff"], tab="发布认领项目")
    at.text_input(key="claim_new::title").input("社区长者食堂餐具")
    at.selectbox(key="claim_new::kind").set_value("物资")
    at.text_area(key="claim_new::needed").input("长者食堂需要餐具 200 套")
    at.selectbox(key="claim_new::source").set_value("社区需求")
    at = at.button(key="FormSubmitter:claim_new-发布").click().run()
    assert not at.exception
    assert "需求来源为社区需求时,请填写社区需求编号" in errors(at)
    assert at.text_input(key="claim_new::title").value == "社区长者食堂餐具"
    assert (count("claim_items"), count("audit_log")) == (before, audited)


def test_the_continuity_tab_reads_in_chinese(demo_db):
    at = _open("leader", ["leader"], "partner-overview")
    assert not at.exception, at.exception
    assert [m.label for m in at.metric] == ["协议合作(家)", "多次合作(家)", "单次合作(家)", "暂无贡献(家)"]
    frames = [f.value for f in at.dataframe]
    years = next(f for f in frames if list(f.columns)[:2] == ["年度", "贡献伙伴数"])
    assert list(years.columns) == ["年度", "贡献伙伴数", "其中往年合作过的伙伴", "回头伙伴占比", "贡献次数", "资金合计(元)",
                                   "非政府资金(元)", "非政府资金占比", "折合价值合计(元)"]
    assert str(TODAY.year - 1) in list(years["年度"])
    for frame in at.dataframe:
        assert not (frame.value.astype(str) == "None").any().any()
    per = next(f for f in frames if "合作持续性" in f.columns)
    assert "协议合作" in set(per["合作持续性"]) and "杭州钱塘智造科技有限公司" in set(per["伙伴名称"])


def test_leaders_read_without_forms_and_reviewers_are_refused(demo_db):
    open_item = db().scalar("SELECT min(id) FROM claim_items WHERE status = 'open'")
    before = count("audit_log")
    at = _open("leader", ["leader"], "partner-overview", item=str(open_item))
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["伙伴合作概况"]
    assert [t.label for t in at.tabs] == ["合作持续性", "合作伙伴", "企业公益认领", "贡献记录"]
    assert "认领状态:开放认领" in plain_texts(at) and not at.get("form")
    assert not [f for f in at.dataframe if "可提供资源" in f.value.columns]  # 合作伙伴 is drawn when its tab is open
    at = _open("leader", ["leader"], "partner-overview", tab="合作伙伴")
    frames = [f.value for f in at.dataframe]
    partners = next(f for f in frames if "伙伴名称" in f.columns and "可提供资源" in f.columns)
    assert len(partners) == count("partners") and "资金、技能志愿者" in set(partners["可提供资源"])
    assert count("audit_log") == before  # reading writes nothing
    for url in ("partner-claims", "partners"):  # the writing screens are staff's and admins'
        assert [t.value for t in _open("leader", ["leader"], url).title] == ["无权访问"]
    for url in ("partner-claims", "partners", "partner-overview"):
        refused = _open("expert", ["reviewer"], url)
        assert [t.value for t in refused.title] == ["无权访问"] and not refused.dataframe


def test_partners_import_from_excel_on_their_generic_screen(demo_db):
    import io

    from openpyxl import load_workbook

    from core.platform import admin, importer
    from core.resources.partners import PARTNER

    wb = load_workbook(io.BytesIO(importer.template(admin.import_spec(PARTNER))))
    headers = [c.value for c in wb["导入数据"][1]]
    assert headers[:4] == ["伙伴名称*", "伙伴类型*", "政府部门类别", "可提供资源*"]
    row = {"伙伴名称*": "杭州导入测试有限公司", "伙伴类型*": "企业", "可提供资源*": "资金、物资", "联系电话": "13857109999",
           "签订合作协议": "是", "协议开始日期": "2025-01-01"}
    wb["导入数据"].append([row.get(h) for h in headers])
    wb["导入数据"].append([{"伙伴名称*": "钱塘区某局", "伙伴类型*": "政府部门", "可提供资源*": "场地"}.get(h) for h in headers])
    buf = io.BytesIO()
    wb.save(buf)
    before = count("partners")
    at = _open("staff", ["staff"], "partners")
    at.file_uploader(key="partner:import:file").set_value(
        ("伙伴.xlsx", buf.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    at.run()
    assert not at.exception, at.exception
    assert "共 2 行:可导入 1 行,错误 1 行" in plain_texts(at)
    assert "请选择政府部门类别" in at.dataframe[-1].value.to_string()
    at.button(key="partner:import:confirm").click().run()
    assert "已导入 1 条合作伙伴。" in successes(at)
    stored = db().fetch_one("SELECT * FROM partners WHERE name = '杭州导入测试有限公司'")
    assert count("partners") == before + 1
    assert (list(stored["offers"]), stored["contact_phone"], stored["agreement"]) == (["资金", "物资"], "138 5710 9999", True)

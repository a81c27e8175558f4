"""AppTest: 宣传 (pages/res_publicity.py) per role — staff keep the 宣传台账 (list, a record's details with its link,
the form, the import), a bad link is refused in Chinese, keeps the input and writes nothing, a title like ``=1+1`` or
``{{x}}`` shows as typed; the brand matrix and the project file show the records; leaders read the totals only."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.apptest_helpers import count, db, errors, open_page, plain, plain_texts, signed_in, successes

URL, URL_READ = "publicity-ledger", "publicity-overview"
NEW = "publicity:new"


@pytest.fixture
def loaded(demo_db):
    """The demo database: its template holds the demo 宣传台账 (core.demo.resources)."""
    assert count("publicity_items") >= 240
    return demo_db


def _open(user: str, roles: list[str], url: str = URL, **query):
    at = signed_in(user, roles).run()
    for k, v in query.items():
        at.query_params[k] = v
    return open_page(at, url)


def _branded_project() -> dict:
    return db().fetch_one("SELECT p.id, p.brand_id, b.name AS brand, p.agreement_no FROM projects p"
                          " JOIN brands b ON b.id = p.brand_id ORDER BY p.id DESC LIMIT 1")


def _fill(at, title: str, link: str, project: int):
    at.text_input(key=f"{NEW}::title").input(title)
    at.selectbox(key=f"{NEW}::kind").set_value("媒体报道")
    at.selectbox(key=f"{NEW}::channel").set_value("潮新闻")
    at.date_input(key=f"{NEW}::published_on").set_value(dt.date.today() - dt.timedelta(days=1))
    at.text_input(key=f"{NEW}::link").input(link)
    at.selectbox(key=f"{NEW}::project_id").set_value(project)
    at.number_input(key=f"{NEW}::reads").set_value(4321)
    return at.button(key=f"FormSubmitter:{NEW}-登记").click().run()


def test_staff_read_the_ledger_and_a_records_details_with_its_link(loaded):
    item = db().fetch_one("SELECT id, title, link FROM publicity_items WHERE kind = '媒体报道' AND link IS NOT NULL"
                          " ORDER BY id LIMIT 1")
    at = _open("staff", ["staff"])
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["宣传台账"]
    assert [t.label for t in at.tabs][:4] == ["宣传台账", "登记宣传", "从Excel导入", "传播统计"]
    df = at.dataframe[0].value
    assert list(df.columns) == ["编号", "发布日期", "宣传类别", "发布渠道", "媒体级别", "宣传标题", "关联项目", "计入品牌",
                                "阅读量", "原文链接"]
    assert not (df.astype(str).isin(["None", "nan", "<NA>"])).any().any()
    at = _open("staff", ["staff"], id=str(item["id"]))
    assert item["title"] in [plain(s.value) for s in at.subheader]
    assert f"原文链接:{item['link']}" in plain_texts(at)
    links = at.get("link_button")
    assert [b.proto.url for b in links] == [item["link"]] and [b.proto.label for b in links] == ["打开原文"]
    assert {"编辑", "修改记录"} <= {t.label for t in at.tabs}
    figures = plain_texts(at)
    assert "按品牌" in figures and "按年度" in figures and "按渠道" in figures


def test_a_bad_link_is_refused_keeps_the_input_and_writes_nothing_then_a_literal_title_is_stored(loaded):
    project = _branded_project()
    before = count("publicity_items"), count("audit_log")
    at = _fill(_open("staff", ["staff"]), "=1+1", "tidenews.com.cn/news.html?id=1", project["id"])
    assert not at.exception, at.exception
    assert "链接须为以 http:// 或 https:// 开头的完整网址" in errors(at)
    assert at.text_input(key=f"{NEW}::title").value == "=1+1"
    assert at.text_input(key=f"{NEW}::link").value == "tidenews.com.cn/news.html?id=1"
    assert (count("publicity_items"), count("audit_log")) == before
    at.text_input(key=f"{NEW}::link").input("https://tidenews.com.cn/news.html?id=1")
    at = at.button(key=f"FormSubmitter:{NEW}-登记").click().run()
    assert not at.exception, at.exception
    row = db().fetch_one("SELECT * FROM publicity_items WHERE title = '=1+1'")
    assert row["level"] == "省级" and row["project_id"] == project["id"] and row["reads"] == 4321
    assert row["created_by"] == "staff"
    assert any(f"已登记宣传记录:=1+1(编号 {row['id']})" in s for s in successes(at))
    at = _open("staff", ["staff"], id=str(row["id"]))
    assert "=1+1" in [plain(s.value) for s in at.subheader]
    assert "=1+1" in set(at.dataframe[0].value["宣传标题"])


def test_a_template_like_title_shows_as_typed_in_the_project_file_and_the_brand_matrix(loaded):
    from core.platform.actor import Actor
    from core.resources import publicity

    project = _branded_project()
    publicity.add_item({"title": "{{x}} 与 **粗体**", "kind": "品牌故事", "channel": "荟益沙",
                        "published_on": dt.date.today(), "project_id": project["id"]}, Actor("staff", ("staff",)))
    at = _open("staff", ["staff"], url="project-file", id=str(project["id"]), tab="宣传报道")
    assert not at.exception, at.exception
    shown = [df.value for df in at.dataframe if "宣传标题" in df.value.columns]
    assert shown and "{{x}} 与 **粗体**" in set(shown[0]["宣传标题"])
    at = _open("staff", ["staff"], url="brand-matrix")
    assert not at.exception, at.exception
    matrix = at.dataframe[0].value.set_index("品牌名称")
    expected = publicity.reach_by_brand().set_index("brand")
    for col, key in (("发布信息(篇)", "posts"), ("媒体报道(篇)", "media"), ("省级报道(篇)", "media_province"),
                     ("阅读量合计", "reads")):
        assert str(matrix.loc[project["brand"], col]).replace(",", "") == str(expected.loc[project["brand"], key])
    at.selectbox(key="brands:publicity").set_value(project["brand_id"])
    at = at.run()
    rows = [df.value for df in at.dataframe if "宣传标题" in df.value.columns]
    assert rows and "{{x}} 与 **粗体**" in set(rows[0]["宣传标题"])


def test_leaders_read_the_totals_and_get_no_form(loaded):
    written = "WHERE table_name NOT IN ('security_events', 'user_sessions')"  # an access refused is logged
    before = count("publicity_items"), count("audit_log", written)
    at = _open("leader", ["leader"])
    assert [t.value for t in at.title] == ["无权访问"]  # the staff's screen
    at = _open("leader", ["leader"], url=URL_READ)
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["宣传概况"]
    assert not [b for b in at.button if str(b.key).startswith("FormSubmitter:")]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["日常服务信息"] == "212 篇" and metrics["媒体报道(省市区级)"] == "44 篇"
    headers = [list(df.value.columns) for df in at.dataframe]
    assert ["品牌名称", "品牌类别", "发布信息(篇)", "媒体报道(篇)", "区级报道(篇)", "市级报道(篇)", "省级报道(篇)",
            "国家级报道(篇)", "阅读量合计"] in headers
    assert any(h[0] == "发布年度" for h in headers) and any(h[:2] == ["发布渠道", "渠道类型"] for h in headers)
    assert (count("publicity_items"), count("audit_log", written)) == before

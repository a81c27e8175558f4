"""AppTest: the Word / PDF buttons on 申报详情, 项目档案, 决定与公示 and 评审汇总, and the 年度成效报告 screens (staff
write the year's text; leaders read the figures and download the report); the PDF button says in Chinese when the
server has no converter."""
from __future__ import annotations

import datetime as dt

import pytest

from core.documents import annual
from tests.apptest_helpers import open_page, plain_texts, signed_in

TODAY = dt.date.today()


TABS = {"decision-notice": "公示名单", "review-summary": "复评、调整与签字"}


def _open(url_path: str, *, user: str = "staff", roles=("staff",), **query):
    at = signed_in(user, list(roles)).run()
    for k, v in query.items():
        at.query_params[k] = str(v)
    return open_page(at, url_path)


def _labels(at) -> list[str]:
    return [b.label for b in at.get("download_button")]


def _noticed_round(db) -> int:
    return db.scalar("SELECT id FROM rounds WHERE notice_published_at IS NOT NULL ORDER BY year DESC LIMIT 1")


@pytest.mark.parametrize("url,query,title", [
    ("project-file", "project", "资助协议"), ("project-file", "project", "档案封面与摘要"),
    ("application", "application", "申报书"), ("decision-notice", "round", "公示"),
    ("review-summary", "round", "专家评分汇总表")])
def test_each_screen_offers_its_document_as_word_and_pdf(demo_db, url, query, title):
    ids = {"project": demo_db.scalar("SELECT min(id) FROM projects"),
           "application": demo_db.scalar("SELECT min(application_id) FROM projects"), "round": _noticed_round(demo_db)}
    where = {} if query == "round" else {"id": ids[query]}
    if url in TABS:
        where["tab"] = TABS[url]  # the document's tab (tabs bound to the URL draw the chosen one)
    at = _open(url, **where)
    if query == "round":
        at = at.selectbox(key="round").set_value(ids["round"]).run()
    assert not at.exception
    labels = _labels(at)
    assert f"{title}(Word)" in labels and f"{title}(PDF)" in labels


def test_without_libreoffice_the_pdf_button_says_so(demo_db, monkeypatch):
    monkeypatch.setenv("HUBDESK_SOFFICE", "")
    at = _open("project-file", id=demo_db.scalar("SELECT min(id) FROM projects"))
    assert "资助协议(Word)" in _labels(at) and "资助协议(PDF)" not in _labels(at)
    off = [b for b in at.button if b.label == "资助协议(PDF 暂不可用)"]
    assert off and off[0].disabled
    assert "服务器未安装 PDF 转换组件(LibreOffice),暂时只能下载 Word 版" in plain_texts(at)


def test_staff_write_the_years_text_and_download_the_report(demo_db):
    at = _open("annual-report")
    assert not at.exception and [t.value for t in at.title] == ["年度成效报告"]
    assert at.selectbox(key="report:year").value == TODAY.year
    figures = at.dataframe[0].value
    assert dict(zip(figures["指标"], figures["累计(截至年末)"]))["公益创投立项资助项目"] == "76 个"
    assert {"年度成效报告(Word)", "年度成效报告(PDF)"} <= set(_labels(at))
    form = f"report:text:{TODAY.year}"
    at.text_area(key=f"{form}::reflection").input("孵化覆盖面仍有局限")
    at.text_area(key=f"{form}::plans").input("拓展企业公益认领")
    at.button(key=f"FormSubmitter:{form}-保存").click().run()
    assert not at.exception and "已保存" in plain_texts(at)
    row = annual.reflection(TODAY.year)
    assert (row["reflection"], row["plans"], row["created_by"]) == ("孵化覆盖面仍有局限", "拓展企业公益认领", "staff")
    # a report of another year has its own (empty) text
    at.selectbox(key="report:year").set_value(TODAY.year - 1).run()
    assert at.text_area(key=f"report:text:{TODAY.year - 1}::reflection").value in ("", None)


def test_leaders_read_the_figures_and_download_the_report_but_write_nothing(demo_db):
    at = _open("annual-report-view", user="leader", roles=("leader",))
    assert not at.exception and [t.value for t in at.title] == ["年度成效报告"]
    assert {"年度成效报告(Word)", "年度成效报告(PDF)"} <= set(_labels(at))
    assert not at.text_area and not at.get("form")
    denied = _open("annual-report", user="leader", roles=("leader",))
    assert not denied.get("download_button")

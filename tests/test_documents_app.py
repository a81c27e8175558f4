"""AppTest: the Word / PDF buttons on 申报详情, 项目档案, 决定与公示 and 评审汇总, and the 年度成效报告 screens (staff
write the year's text; leaders read the figures and download the report); the PDF is made on 生成 (once per document
version), then offered; a conversion that fails, or no converter on the server, is said in Chinese only.

LibreOffice is stood in for by a script (``HUBDESK_SOFFICE``) that writes a small PDF and counts its runs, or fails:
these tests are about the screen (tests/test_documents_pdf.py and the browser test convert for real)."""
from __future__ import annotations

import datetime as dt

import pytest

from core.documents import annual, pdf
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


FAKE = """#!/bin/sh
echo run >> "{runs}"
{body}
"""
WRITES = """out=""; prev=""
for a in "$@"; do [ "$prev" = "--outdir" ] && out="$a"; prev="$a"; done
mkdir -p "$out" && printf '%%PDF-1.4 stand-in\\n' > "$out/document.pdf"
"""
FAILS = "echo 'Error: source file could not be loaded' >&2\nexit 1\n"
SLOW = "sleep 30\n"


@pytest.fixture
def soffice(tmp_path, monkeypatch):
    """A stand-in converter: ``soffice(fails=False)`` installs it; ``.runs()`` counts its conversions."""
    runs = tmp_path / "runs.txt"

    def install(fails: bool = False, slow: bool = False):
        exe = tmp_path / ("broken-soffice" if fails else "slow-soffice" if slow else "soffice")
        exe.write_text(FAKE.format(runs=runs, body=FAILS if fails else SLOW if slow else WRITES))
        exe.chmod(0o755)
        monkeypatch.setenv("HUBDESK_SOFFICE", str(exe))
        return install

    install.runs = lambda: len(runs.read_text().splitlines()) if runs.exists() else 0
    pdf.forget()
    yield install
    pdf.forget()


def _make_pdf(at, key: str):
    return at.button(key=f"{key}:pdf-make").click().run()


def _all_text(at) -> str:
    return "\n".join([plain_texts(at)] + [e.value for e in at.exception] + [b.label for b in at.button]
                     + _labels(at))


def _noticed_round(db) -> int:
    return db.scalar("SELECT id FROM rounds WHERE notice_published_at IS NOT NULL ORDER BY year DESC LIMIT 1")


@pytest.mark.parametrize("url,query,title,key", [
    ("project-file", "project", "资助协议", "project:agreement"),
    ("project-file", "project", "档案封面与摘要", "project:dossier-doc"),
    ("application", "application", "申报书", None), ("decision-notice", "round", "公示", "notice:doc"),
    ("review-summary", "round", "专家评分汇总表", "summary:doc")])
def test_each_screen_offers_its_document_as_word_and_pdf(demo_db, soffice, url, query, title, key):
    soffice()
    ids = {"project": demo_db.scalar("SELECT min(id) FROM projects"),
           "application": demo_db.scalar("SELECT min(application_id) FROM projects"), "round": _noticed_round(demo_db)}
    where = {} if query == "round" else {"id": ids[query]}
    if url in TABS:
        where["tab"] = TABS[url]  # the document's tab (tabs bound to the URL draw the chosen one)
    at = _open(url, **where)
    if query == "round":
        at = at.selectbox(key="round").set_value(ids["round"]).run()
    assert not at.exception
    key = key or f"app:{ids['application']}:doc"
    assert f"{title}(Word)" in _labels(at) and f"{title}(PDF)" not in _labels(at)  # the PDF is made on request
    assert at.button(key=f"{key}:pdf-make").label == f"生成{title}(PDF)"
    at = _make_pdf(at, key)  # 生成 PDF: converted, then offered
    assert not at.exception and not at.error
    assert f"{title}(Word)" in _labels(at) and f"{title}(PDF)" in _labels(at)
    assert soffice.runs() == 1


def test_a_second_click_on_an_unchanged_document_converts_nothing(demo_db, soffice):
    soffice()
    pid = demo_db.scalar("SELECT min(id) FROM projects")
    at = _make_pdf(_open("project-file", id=pid), "project:agreement")
    assert "资助协议(PDF)" in _labels(at) and soffice.runs() == 1
    at = _make_pdf(_open("project-file", id=pid), "project:agreement")  # another visit, the same agreement
    assert "资助协议(PDF)" in _labels(at) and soffice.runs() == 1
    # the agreement changes: its next PDF is a new conversion
    with demo_db.transaction() as tx:
        tx.execute("UPDATE projects SET granted_amount = granted_amount + 1 WHERE id = ?", [pid])
    at = _make_pdf(_open("project-file", id=pid), "project:agreement")
    assert "资助协议(PDF)" in _labels(at) and soffice.runs() == 2


@pytest.mark.parametrize("broken", ["fails", "times out"])
def test_a_failed_conversion_says_so_in_chinese_only_and_the_word_button_stays(demo_db, soffice, monkeypatch,
                                                                             broken):
    if broken == "fails":
        soffice(fails=True)
    else:
        soffice(slow=True)
        monkeypatch.setattr(pdf, "TIMEOUT", 1)
    at = _make_pdf(_open("project-file", id=demo_db.scalar("SELECT min(id) FROM projects")), "project:agreement")
    assert not at.exception
    errors = [e.value for e in at.error]
    expected = "PDF 转换失败,请稍后重试或先下载 Word 版" if broken == "fails" else "PDF 转换超过"
    assert len(errors) == 1 and errors[0].startswith(expected), errors
    assert "资助协议(Word)" in _labels(at) and "资助协议(PDF)" not in _labels(at)
    assert at.button(key="project:agreement:pdf-make").label == "生成资助协议(PDF)"  # to try again
    shown = _all_text(at)
    for english in ("could not", "Error", "error", "Exception", "Traceback", "exit", "stderr"):
        assert english not in shown, english


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
    assert "年度成效报告(Word)" in _labels(at) and at.button(key="report:annual:pdf-make").label == "生成年度成效报告(PDF)"
    form = f"report:text:{TODAY.year}"
    # the demo year's text is there already, in the seed case's words (core.demo.annual_report)
    assert at.text_area(key=f"{form}::reflection").value.startswith("中心平台孵化培育覆盖面存在局限")
    assert at.text_area(key=f"{form}::highlights").value.startswith("基于让群众受益的初心")
    assert at.text_area(key=f"{form}::plans").value.startswith("未来,下沙社服将持续深耕服务领域")
    at.text_area(key=f"{form}::reflection").input("孵化覆盖面仍有局限")
    at.text_area(key=f"{form}::plans").input("拓展企业公益认领")
    at.button(key=f"FormSubmitter:{form}-保存").click().run()
    assert not at.exception and "已保存" in plain_texts(at)
    row = annual.reflection(TODAY.year)
    assert (row["reflection"], row["plans"], row["updated_by"]) == ("孵化覆盖面仍有局限", "拓展企业公益认领", "staff")
    # a report of another year has its own (empty) text
    at.selectbox(key="report:year").set_value(TODAY.year - 1).run()
    assert at.text_area(key=f"report:text:{TODAY.year - 1}::reflection").value in ("", None)


def test_leaders_read_the_figures_and_download_the_report_but_write_nothing(demo_db):
    at = _open("annual-report-view", user="leader", roles=("leader",))
    assert not at.exception and [t.value for t in at.title] == ["年度成效报告"]
    assert "年度成效报告(Word)" in _labels(at) and at.button(key="report:annual:pdf-make")
    assert not at.text_area and not at.get("form")
    denied = _open("annual-report", user="leader", roles=("leader",))
    assert not denied.get("download_button")

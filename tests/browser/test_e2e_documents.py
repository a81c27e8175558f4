"""文书 in a real browser: staff open a project's 项目档案 by its link and download its 资助协议 as Word and as PDF
(Playwright's download event); the files open (python-docx, pypdf) and hold the agreement's figures (the agreement
number, the organisation by name, the granted amount with thousands separators, every tranche, Chinese dates); staff
write the year's reflection on 年度成效报告, and a leader downloads the report with the seed table, the charts and
that text (printed literally). The PDF takes two steps (生成, then 下载); on a server whose converter fails, 生成 says
so in Chinese beside the buttons and the Word button still downloads."""
from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from core.documents import pdf
from core.documents.render import cn_date
from core.platform import formats
from tests import demo_cache
from tests.browser.conftest import WAIT_MS, goto, login, screenshot, settle, start_server, wait_for_app
from tests.browser.widgets import box, fill


def _project() -> dict:
    """A demo project with released tranches, read from the demo database the server copies."""
    pid, no, org, granted, signed = demo_cache.query_one(
        "SELECT p.id, p.agreement_no, o.name, p.granted_amount, p.agreement_date FROM projects p"
        " JOIN applications a ON a.id = p.application_id JOIN organisations o ON o.id = a.org_id"
        " WHERE EXISTS (SELECT 1 FROM tranches t WHERE t.project_id = p.id AND t.status = 'released')"
        " ORDER BY p.id LIMIT 1")
    amounts = [r[0] for r in demo_cache.query_all("SELECT amount FROM tranches WHERE project_id = ? ORDER BY seq", [pid])]
    return {"id": pid, "agreement_no": no, "org": org, "granted": float(granted), "signed": signed,
            "tranches": [float(a) for a in amounts]}


def _main_text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


def _download(page, key: str) -> tuple[str, bytes]:
    with page.expect_download(timeout=WAIT_MS * 3) as info:
        box(page, key).get_by_role("button").click()
    dl = info.value
    return dl.suggested_filename, Path(dl.path()).read_bytes()


def test_staff_download_the_agreement_as_word_and_pdf_from_the_project_file(server, page):
    if not pdf.available():
        pytest.fail("LibreOffice is not installed (bash tests/run.sh installs it)")
    p = _project()
    login(page, server, "staff")
    goto(page, f"{server}/project-file?id={p['id']}")
    page.get_by_role("heading", name=re.compile(re.escape(p["agreement_no"]))).first.wait_for(timeout=WAIT_MS)
    settle(page)
    word_button = box(page, "project:agreement:docx").get_by_role("button")
    assert word_button.inner_text().strip().endswith("资助协议(Word)")
    screenshot(page, "documents-project-file-buttons")

    name, data = _download(page, "project:agreement:docx")
    assert name == f"资助协议_{p['agreement_no']}.docx"
    doc = Document(io.BytesIO(data))
    text = "\n".join([x.text for x in doc.paragraphs] +
                     [c.text for t in doc.tables for row in t.rows for c in row.cells])
    assert f"协议编号:{p['agreement_no']}" in text and f"乙方(项目承接方):{p['org']}" in text
    assert f"人民币 {formats.money(p['granted'])} 元" in text and "," in formats.money(p["granted"])
    for amount in p["tranches"]:
        assert formats.money(amount) in text
    assert cn_date(p["signed"]) in text

    make = box(page, "project:agreement:pdf-make").get_by_role("button")
    assert make.inner_text().strip().endswith("生成资助协议(PDF)")
    make.click()  # 生成: the server converts, then the download button appears
    box(page, "project:agreement:pdf").get_by_role("button").wait_for(timeout=WAIT_MS * 6)
    settle(page)
    screenshot(page, "documents-project-file-pdf-made")
    name, data = _download(page, "project:agreement:pdf")
    assert name == f"资助协议_{p['agreement_no']}.pdf" and data.startswith(b"%PDF")
    pdf_text = re.sub(r"\s+", "", "".join(pg.extract_text() for pg in PdfReader(io.BytesIO(data)).pages))
    for value in (p["agreement_no"], p["org"], f"人民币{formats.money(p['granted'])}元", cn_date(p["signed"])):
        assert re.sub(r"\s+", "", value) in pdf_text
    screenshot(page, "documents-project-file-downloaded")


def test_a_leader_downloads_the_annual_report_and_staff_write_its_text(server, browser):
    from tests.browser.conftest import new_context

    year = dt.date.today().year
    funded = demo_cache.query_one("SELECT count(*) FROM applications WHERE state = 'funded'")[0]
    staff = new_context(browser).new_page()
    login(staff, server, "staff")
    goto(staff, f"{server}/annual-report")
    staff.get_by_role("heading", name="年度成效报告").first.wait_for(timeout=WAIT_MS)
    fill(staff, f"report:text:{year}::reflection", "孵化覆盖面仍有局限 {{ x }}")
    staff.get_by_role("button", name="保存", exact=True).click()
    staff.get_by_text("已保存", exact=True).first.wait_for(timeout=WAIT_MS)
    screenshot(staff, "documents-annual-report-staff")
    staff.context.close()

    leader = new_context(browser).new_page()
    login(leader, server, "leader")
    goto(leader, f"{server}/annual-report-view")
    leader.get_by_role("heading", name="年度成效报告").first.wait_for(timeout=WAIT_MS)
    settle(leader)
    assert not leader.locator("textarea").count()  # leaders read and download; staff write
    screenshot(leader, "documents-annual-report-leader")
    name, data = _download(leader, "report:annual:docx")
    assert name == f"{year}年度成效报告.docx"
    doc = Document(io.BytesIO(data))
    cells = [[c.text for c in row.cells] for t in doc.tables for row in t.rows]
    assert next(r for r in cells if r[0] == "公益创投立项资助项目")[2] == f"{funded} 个"  # cumulative, as the seed
    assert len(doc.inline_shapes) >= 3  # the dashboards' charts
    assert "孵化覆盖面仍有局限 {{ x }}" in "\n".join(p.text for p in doc.paragraphs)
    leader.context.close()


@pytest.fixture(scope="module")
def broken_server(browser, tmp_path_factory):
    """A server whose PDF converter fails (exits 1 with LibreOffice's English on stderr)."""
    work = tmp_path_factory.mktemp("hubdesk-broken-pdf")
    broken = work / "broken-soffice"
    broken.write_text("#!/bin/sh\necho 'Error: source file could not be loaded' >&2\nexit 1\n")
    broken.chmod(0o755)
    base, stop = start_server(work, "documents-broken-pdf", env={"HUBDESK_SOFFICE": str(broken)})
    try:
        yield base
    finally:
        stop()


def test_a_failed_pdf_conversion_is_said_in_chinese_and_the_word_still_downloads(broken_server, page):
    p = _project()
    login(page, broken_server, "staff")
    goto(page, f"{broken_server}/project-file?id={p['id']}")
    page.get_by_role("heading", name=re.compile(re.escape(p["agreement_no"]))).first.wait_for(timeout=WAIT_MS)
    settle(page)
    box(page, "project:agreement:pdf-make").get_by_role("button").click()
    wait_for_app(page)
    alert = page.locator("[data-testid='stAlertContentError']", has_text="PDF 转换失败")
    alert.first.wait_for(timeout=WAIT_MS * 3)
    settle(page)
    screenshot(page, "documents-pdf-failed")
    assert alert.first.inner_text().strip() == "PDF 转换失败,请稍后重试或先下载 Word 版;多次失败请联系管理员查看服务器日志"
    text = _main_text(page)
    for english in ("could not", "Error", "error", "Exception", "Traceback"):
        assert english not in text, english
    assert not box(page, "project:agreement:pdf").count()  # no download that would break
    name, data = _download(page, "project:agreement:docx")  # the Word button is unaffected
    assert name == f"资助协议_{p['agreement_no']}.docx" and p["agreement_no"] in "\n".join(
        x.text for x in Document(io.BytesIO(data)).paragraphs)

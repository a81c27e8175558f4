"""文书 as PDF: LibreOffice (headless, on the server) converts the same .docx; the PDF opens with a PDF reader and
its text holds the record's figures. Where LibreOffice is missing the PDF is refused in Chinese (the Word document
still works); a conversion that runs over its time limit is stopped. One conversion's time is printed (no timing
assert). In CI (``CI=true``) a missing LibreOffice fails these tests instead of skipping them."""
from __future__ import annotations

import datetime as dt
import io
import os
import re
import time

import pytest
from pypdf import PdfReader

from core.documents import annual, catalog, pdf
from core.documents.render import cn_date
from core.monitoring import money
from core.platform import formats
from core.platform.errors import PermissionDenied
from core.review import decisions
from tests.test_documents_word import LEADER, STAFF, _noticed_round, _project, docx_text

TODAY = dt.date.today()

needs_engine = pytest.mark.skipif(not pdf.available() and os.environ.get("CI") != "true",
                                  reason="LibreOffice is not installed (bash tests/run.sh installs it)")


def pdf_text(data: bytes) -> str:
    """The PDF's text with every space and line break removed (a PDF's text layer splits CJK and digits)."""
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 1
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@needs_engine
def test_the_agreement_pdf_holds_the_figures_and_one_conversion_is_timed(demo_db):
    p = _project(demo_db)
    word = catalog.word("agreement", p["id"], STAFF)
    started = time.perf_counter()
    data = pdf.convert(word)
    print(f"\none conversion (资助协议, {len(word):,} bytes .docx -> {len(data):,} bytes PDF): "
          f"{time.perf_counter() - started:.2f} s")
    text = pdf_text(data)
    for value in (p["agreement_no"], p["org"], p["title"], f"人民币{formats.money(p['granted_amount'])}元"):
        assert squeeze(value) in text
    for t in money.tranches(p["id"]).to_dict("records"):
        assert formats.money(t["amount"]) in text
    assert squeeze(cn_date(p["agreement_date"])) in text


@needs_engine
def test_every_document_has_its_pdf(demo_db):
    p = _project(demo_db)
    r = _noticed_round(demo_db)
    listed = decisions.notice_list(r["id"])
    checks = {
        ("application", p["application_id"]): [p["title"], p["org"]],
        ("dossier", p["id"]): ["一项目一档案", p["agreement_no"], formats.money(money.summary(p["id"])["released"])],
        ("notice", r["id"]): [f"合计拟资助{formats.money(float(listed['granted_amount'].sum()))}元", *listed["title"][:3]],
        ("score_sheet", r["id"]): ["签字锁定", demo_db.scalar("SELECT name FROM users WHERE username = ?",
                                                           [r["scores_locked_by"]])],
        ("annual", TODAY.year): [f"{TODAY.year}年度", *annual.figures(TODAY.year)["total"][:4]],
    }
    for (key, record), expected in checks.items():
        text = pdf_text(catalog.pdf(key, record, LEADER if key == "annual" else STAFF))
        for value in expected:
            assert squeeze(value) in text, (key, value)


@needs_engine
def test_user_text_prints_literally_in_the_pdf_too(demo_db):
    from tests.test_documents_word import TRICKY, _sql

    p = _project(demo_db)
    _sql(demo_db, "UPDATE applications SET title = ? WHERE id = ?", [TRICKY, p["application_id"]], "applications")
    assert squeeze(TRICKY) in pdf_text(catalog.pdf("agreement", p["id"], STAFF))


def test_without_libreoffice_the_pdf_is_refused_in_chinese_and_the_word_still_works(demo_db, monkeypatch):
    monkeypatch.setenv("HUBDESK_SOFFICE", "")
    assert not pdf.available()
    p = _project(demo_db)
    with pytest.raises(pdf.PdfUnavailable, match="未安装 PDF 转换组件"):
        catalog.pdf("agreement", p["id"], STAFF)
    assert p["agreement_no"] in docx_text(catalog.word("agreement", p["id"], STAFF))
    with pytest.raises(PermissionDenied):  # the role is checked before anything else
        catalog.pdf("agreement", p["id"], LEADER)


def test_a_conversion_that_runs_over_its_time_is_stopped(monkeypatch, tmp_path):
    slow = tmp_path / "slow-soffice"
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(0o755)
    monkeypatch.setenv("HUBDESK_SOFFICE", str(slow))
    with pytest.raises(pdf.PdfUnavailable, match="超过 1 秒未完成"):
        pdf.convert(b"PK\x03\x04 not really", timeout=1)


def test_a_failed_conversion_is_refused(monkeypatch, tmp_path):
    broken = tmp_path / "broken-soffice"
    broken.write_text("#!/bin/sh\necho 'Error: source file could not be loaded' >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setenv("HUBDESK_SOFFICE", str(broken))
    with pytest.raises(pdf.PdfUnavailable, match="PDF 转换失败") as info:
        pdf.convert(b"x")
    # LibreOffice's own words go to the log and the exception's detail, not into the message a person reads
    assert "could not be loaded" in info.value.detail and "could not" not in str(info.value)

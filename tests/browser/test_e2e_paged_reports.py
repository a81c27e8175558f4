"""A report longer than a page (issue 17: at a city's scale 全部评级组织 lists thousands of organisations) shows
one page cut in the database, its count, a page number a person types, and an Excel export of every row."""
from __future__ import annotations

import pytest
from openpyxl import load_workbook

from tests import demo_cache
from tests.browser.conftest import WAIT_MS, login, new_context, settle, start_server, goto
from tests.browser.widgets import box, grid_rows, number


@pytest.fixture(scope="module")
def small_pages(browser, tmp_path_factory):
    base, stop = start_server(tmp_path_factory.mktemp("paged"), "paged", env={"HUBDESK_PAGE_SIZE": "8"})
    try:
        yield base
    finally:
        stop()


def _ratings(page):
    """全部评级组织: the tab's second table (after 12个月内到期的等级)."""
    return page.locator("[data-testid='stDataFrame']").nth(1)


def test_the_ratings_report_pages_and_exports_every_row(browser, small_pages, tmp_path):
    names = [r[0] for r in demo_cache.query_all(
        "SELECT name FROM organisations WHERE active AND rating IS NOT NULL ORDER BY rating DESC, rating_expiry, name, id")]
    assert len(names) > 8
    pages = -(-len(names) // 8)
    ctx = new_context(browser)
    try:
        page = ctx.new_page()
        login(page, small_pages, "staff")
        goto(page, small_pages + "/incubation-ratings?tab=等级到期与晋级")
        settle(page)
        assert [r["组织名称"] for r in grid_rows(_ratings(page))] == names[:8]
        body = page.locator("body")
        assert f"共 {len(names)} 条,第 1/{pages} 页(每页 8 条)" in body.inner_text()
        number(page, "life:ratings:page", 2)
        settle(page)
        assert f"共 {len(names)} 条,第 2/{pages} 页(每页 8 条)" in body.inner_text()
        assert [r["组织名称"] for r in grid_rows(_ratings(page))] == names[8:16]
        with page.expect_download(timeout=WAIT_MS) as dl:
            box(page, "life:ratings:xlsx").get_by_role("button").click()
        saved = tmp_path / dl.value.suggested_filename
        dl.value.save_as(saved)
        ws = load_workbook(saved).active
        header = [c.value for c in ws[1]]
        exported = [row[header.index("组织名称")] for row in ws.iter_rows(min_row=2, values_only=True)]
        assert exported == names  # every row, not the page
    finally:
        ctx.close()

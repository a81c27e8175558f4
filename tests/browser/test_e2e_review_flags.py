"""复评 that cannot be skipped, in a real browser (issue 14): on 评审汇总 the administrator finds 签字锁定评分
refused while the demo's current round has a 分差 flag open (the refusal names the project and says what
to do), resolves the flag with a reason (the screen asks first; a too-short reason is refused and kept),
and then signs off. The database is read after the server stops. Screenshots: /tmp/shots-flags/."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.conftest import WAIT_MS, login, open_screen, settle, start_server
from tests.browser.widgets import box, choose, fill

SHOTS = Path("/tmp/shots-flags")
REASON = "经评审组会商,低分专家已书面说明扣分理由,维持原评分"


def _db(path: Path):
    from core.platform.db import Database

    return Database(path)


@pytest.fixture
def fresh(browser, tmp_path, request):
    base, stop = start_server(tmp_path, request.node.name)
    try:
        yield base, stop, tmp_path / "hub.duckdb"
    finally:
        stop()


@pytest.fixture(scope="module")
def flag(tmp_path_factory) -> dict:
    """The demo's current round and its one open flag (read from a copy of the demo database)."""
    from core.review import consolidation
    from tests import demo_cache

    db = _db(demo_cache.copy_to(tmp_path_factory.mktemp("flag-facts") / "hub.duckdb"))
    try:
        rid = db.scalar("SELECT id FROM rounds ORDER BY year DESC, id DESC LIMIT 1")
        (row,) = consolidation.open_flags(rid, db).to_dict("records")
    finally:
        db.close()
    return {"round": rid, "id": int(row["id"]), "title": row["title"]}


def _shot(page, name: str, at=None) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    if at is not None:
        at.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_sign_off_waits_for_the_flag_then_an_admin_resolves_it_with_a_reason(fresh, flag, page):
    base, stop, path = fresh
    login(page, base, "admin")
    open_screen(page, "评审汇总")
    page.get_by_role("tab", name="复评、调整与签字").click()
    settle(page)
    main = page.locator("[data-testid='stMain']")

    # 签字锁定评分 is refused, and says which project and what to do
    lock = page.get_by_role("button", name="签字锁定评分", exact=True)
    lock.scroll_into_view_if_needed()
    assert lock.is_disabled()
    refusal = main.get_by_text(re.compile("还有 1 个项目分差过大、尚未处理,不能签字锁定"))
    refusal.wait_for(timeout=WAIT_MS)
    said = refusal.inner_text()
    assert f"「{flag['title']}」(编号 {flag['id']}" in said and "送复评" in said and "解除分差提示" in said
    _shot(page, "flags-1-sign-off-refused", lock)

    # the admin resolves the flag: a reason, checked before anything is asked
    choose(page, "summary:flagged", flag["title"])
    key = f"summary:resolve:{flag['id']}"
    fill(page, f"{key}::reason", "短")
    page.get_by_role("button", name="解除分差提示", exact=True).click()
    settle(page)
    main.get_by_text("解除理由长度应为4–500个字符").first.wait_for(timeout=WAIT_MS)
    assert box(page, f"{key}::reason").locator("textarea").input_value() == "短"  # kept
    _shot(page, "flags-2-reason-too-short", box(page, f"{key}::reason"))
    fill(page, f"{key}::reason", REASON)
    page.get_by_role("button", name="解除分差提示", exact=True).click()
    settle(page)
    confirm = box(page, f"{key}-confirm")
    confirm.get_by_text(re.compile("请确认:不送复评")).wait_for(timeout=WAIT_MS)
    assert REASON in confirm.inner_text() and "此操作不可撤销" in confirm.inner_text()
    _shot(page, "flags-3-resolve-asks-first", confirm)
    confirm.get_by_role("button", name="确认解除").click()
    settle(page)
    main.get_by_text(re.compile("已解除.*的分差提示,理由已记入审计日志和专家评分汇总表")).wait_for(timeout=WAIT_MS)
    main.get_by_text("本批次没有待处理的分差提示。").wait_for(timeout=WAIT_MS)

    # now the round can be signed off
    lock = page.get_by_role("button", name="签字锁定评分", exact=True)
    lock.scroll_into_view_if_needed()
    assert lock.is_enabled()
    lock.click()
    settle(page)
    box(page, "summary:lock-confirm").get_by_role("button", name="确认签字锁定评分").click()
    settle(page)
    main.get_by_text("已签字锁定本批次评分。").wait_for(timeout=WAIT_MS)
    _shot(page, "flags-4-signed-off")
    text = main.inner_text()
    assert not re.search(r"\bNone\b|\bnan\b|Traceback|Error", text)
    stop()

    db = _db(path)
    try:
        (res,) = db.fetch_all("SELECT * FROM flag_resolutions WHERE application_id = ?", [flag["id"]])
        assert (res["reason"], res["created_by"]) == (REASON, "admin")
        logged = db.fetch_all("SELECT actor, action, note FROM audit_log WHERE table_name = 'flag_resolutions'"
                              " AND row_key = ?", [str(res["id"])])
        assert [(a["actor"], a["action"], a["note"]) for a in logged] == [("admin", "create", REASON)]
        rnd = db.fetch_one("SELECT scores_locked_at, scores_locked_by FROM rounds WHERE id = ?", [flag["round"]])
        assert rnd["scores_locked_at"] is not None and rnd["scores_locked_by"] == "admin"
        assert rnd["scores_locked_at"] > res["created_at"]
    finally:
        db.close()

"""Sessions as an auditor tries them in a real browser: a copied cookie replayed after 退出登录 or after a
password change signs nobody in; a dashboard's auto-refresh stops showing data once its session is
revoked; eight tabs pressing Enter together get one guess; a forged or bad-algorithm cookie gives the
login form, never a traceback."""
from __future__ import annotations

import jwt
import pytest

from tests.browser.conftest import (COOKIE_NAME, DEMO_PASSWORDS, WAIT_MS, goto, login, new_context, settle,
                                    start_server, wait_for_app)


@pytest.fixture(scope="module")
def server(browser, tmp_path_factory):
    base, stop = start_server(tmp_path_factory.mktemp("hubdesk"), "e2e_sessions",
                              env={"HUBDESK_DASH_REFRESH": "2"})
    try:
        yield base
    finally:
        stop()


def _auth_cookie(ctx) -> list[dict]:
    return [c for c in ctx.cookies() if c["name"] == COOKIE_NAME]


def _shows_login_form(page) -> bool:
    """Once the page shows either the sign-in form or a signed-in sidebar (a loaded machine draws it late): the form."""
    form, signed_in = page.get_by_label("用户名", exact=True), page.get_by_role("button", name="退出登录")
    form.or_(signed_in).first.wait_for(timeout=WAIT_MS)
    return form.count() == 1 and signed_in.count() == 0


def _replay(browser, base: str, cookie: list[dict], path: str = "/orgs"):
    """Another browser presenting a copied cookie; returns its page (caller closes the context)."""
    ctx = new_context(browser)
    ctx.add_cookies(cookie)
    page = ctx.new_page()
    goto(page, base + path)
    return ctx, page


def test_a_cookie_copied_before_logout_no_longer_signs_in(server, browser):
    ctx = new_context(browser)
    page = ctx.new_page()
    login(page, server, "staff", form=True)
    copied = _auth_cookie(ctx)
    other, replay = _replay(browser, server, copied)  # the copy works while the session lives
    assert replay.get_by_role("heading", name="社会组织台账").count() == 1
    other.close()
    page.get_by_role("button", name="退出登录").click()
    wait_for_app(page)
    page.get_by_label("用户名", exact=True).wait_for(timeout=WAIT_MS)
    other, replay = _replay(browser, server, copied)
    try:
        assert _shows_login_form(replay)
        assert replay.get_by_role("heading", name="社会组织台账").count() == 0
        assert "登录已失效" in replay.locator("[data-testid='stMain']").inner_text()
    finally:
        other.close()
        ctx.close()


def test_a_password_change_ends_the_other_browsers_session_and_its_live_dashboard(server, browser):
    watcher_ctx, watcher = new_context(browser), None
    changer_ctx = new_context(browser)
    try:
        watcher = watcher_ctx.new_page()
        login(watcher, server, "leader", form=True)
        goto(watcher, server + "/dashboard-overview")
        watcher.get_by_text("在册社会组织").first.wait_for(timeout=WAIT_MS)
        copied = _auth_cookie(watcher_ctx)
        changer = changer_ctx.new_page()
        login(changer, server, "leader", form=True)
        goto(changer, server + "/my-password")
        for key, value in (("pw_change::current", DEMO_PASSWORDS["leader"]), ("pw_change::new", "Meeting-Room-2026!"),
                           ("pw_change::confirm", "Meeting-Room-2026!")):
            changer.locator(f".st-key-{key.replace(':', '-')} input").fill(value)
        settle(changer)
        for key, value in (("pw_change::current", DEMO_PASSWORDS["leader"]), ("pw_change::new", "Meeting-Room-2026!")):
            assert changer.locator(f".st-key-{key.replace(':', '-')} input").input_value() == value
        changer.get_by_role("button", name="修改密码").last.click()
        wait_for_app(changer)
        changer.get_by_text("密码已修改").wait_for(timeout=WAIT_MS)
        # the browser that changed it stays signed in
        assert changer.get_by_role("button", name="退出登录").count() == 1
        # the other one's dashboard refreshes every 2 s by itself: its next tick ends in the login form
        watcher.get_by_label("用户名", exact=True).wait_for(timeout=15_000)
        assert watcher.get_by_text("在册社会组织").count() == 0
        assert "修改密码" in watcher.locator("[data-testid='stMain']").inner_text()
        other, replay = _replay(browser, server, copied, "/dashboard-overview")
        try:
            assert _shows_login_form(replay)
        finally:
            other.close()
    finally:
        watcher_ctx.close()
        changer_ctx.close()


@pytest.mark.parametrize("case", ["alg none", "HS512 with the right key", "forged key", "old format", "garbage"])
def test_a_bad_cookie_gives_the_login_form_never_a_traceback(server, browser, tmp_path_factory, case):
    key = "k" * 48
    for folder in tmp_path_factory.getbasetemp().glob("hubdesk*"):  # the module server's secrets file
        secrets = folder / "secrets.toml"
        if secrets.exists() and "cookie_key" in secrets.read_text():
            import tomllib

            key = tomllib.loads(secrets.read_text())["auth"]["cookie_key"]
    token = {
        "alg none": lambda: jwt.encode({"sid": "x", "exp": 9999999999}, None, algorithm="none"),
        "HS512 with the right key": lambda: jwt.encode({"sid": "x", "exp": 9999999999}, key, algorithm="HS512"),
        "forged key": lambda: jwt.encode({"sid": "x", "exp": 9999999999}, "f" * 48, algorithm="HS256"),
        "old format": lambda: jwt.encode({"username": "admin", "exp_date": 9999999999.0}, key, algorithm="HS256"),
        "garbage": lambda: "eyJ.not-a-token",
    }[case]()
    ctx = new_context(browser)
    ctx.add_cookies([{"name": COOKIE_NAME, "value": token, "url": server}])
    try:
        page = ctx.new_page()
        goto(page, server + "/orgs")
        text = page.locator("body").inner_text()
        assert "Traceback" not in text and "Error" not in text
        assert _shows_login_form(page)
        page.get_by_label("用户名", exact=True).fill("staff")
        page.get_by_label("密码", exact=True).fill(DEMO_PASSWORDS["staff"])
        page.get_by_role("button", name="登录", exact=True).click()
        page.get_by_role("heading", name="社会组织台账").wait_for(timeout=WAIT_MS)
    finally:
        ctx.close()


def test_eight_tabs_pressing_enter_together_get_one_guess(server, browser):
    """Four failures recorded, then eight browsers submit at the same moment: one attempt is evaluated,
    the other seven are refused in Chinese; after that the right password is refused too (locked)."""
    first = new_context(browser)
    page = first.new_page()
    goto(page, server + "/")
    for _ in range(4):
        page.get_by_label("用户名", exact=True).fill("expert02")
        page.get_by_label("密码", exact=True).fill("Wrong-guess-2026")
        page.get_by_role("button", name="登录", exact=True).click()
        wait_for_app(page)
        page.get_by_text("用户名或密码不正确").wait_for(timeout=WAIT_MS)
    first.close()
    contexts = [new_context(browser) for _ in range(8)]
    pages = []
    try:
        for ctx in contexts:
            p = ctx.new_page()
            goto(p, server + "/")
            p.get_by_label("用户名", exact=True).fill("expert02")
            p.get_by_label("密码", exact=True).fill("Wrong-guess-2026")
            pages.append(p)
        for p in pages:  # all eight press Enter before any answer comes back
            p.get_by_label("密码", exact=True).press("Enter", no_wait_after=True)
        answers = []
        for p in pages:
            wait_for_app(p)
            p.locator("[data-testid='stAlertContentError']").first.wait_for(timeout=WAIT_MS)
            answers.append(p.locator("[data-testid='stAlertContentError']").first.inner_text())
        evaluated = [a for a in answers if "用户名或密码不正确" in a or "已锁定至" in a]
        refused = [a for a in answers if "锁定" in a and a not in evaluated or "正在进行其他登录尝试" in a]
        assert len(evaluated) <= 1, answers
        assert len(evaluated) + len(refused) == 8, answers
        p = pages[0]
        settle(p)
        p.get_by_label("用户名", exact=True).fill("expert02")
        p.get_by_label("密码", exact=True).fill(DEMO_PASSWORDS["expert"])
        p.get_by_role("button", name="登录", exact=True).click()
        wait_for_app(p)
        p.get_by_text("已被锁定").wait_for(timeout=WAIT_MS)
        assert p.get_by_role("button", name="退出登录").count() == 0
    finally:
        for ctx in contexts:
            ctx.close()


def test_sign_in_after_a_deep_link_lands_there_and_logout_returns_to_the_form(server, browser):
    ctx = new_context(browser)
    try:
        page = ctx.new_page()
        login(page, server, "admin", form=True)
        page.get_by_role("button", name="退出登录").click()
        wait_for_app(page)
        page.get_by_label("用户名", exact=True).wait_for(timeout=WAIT_MS)
        page.reload(wait_until="domcontentloaded")  # F5 after signing out: still signed out
        settle(page)
        assert _shows_login_form(page)
    finally:
        ctx.close()



def test_an_admins_password_reset_ends_the_users_sessions(server, browser):
    staff_ctx, admin_ctx = new_context(browser), new_context(browser)
    try:
        staff = staff_ctx.new_page()
        login(staff, server, "expert03", DEMO_PASSWORDS["expert"], form=True)
        copied = _auth_cookie(staff_ctx)
        admin = admin_ctx.new_page()
        login(admin, server, "admin", form=True)
        goto(admin, server + "/accounts?user=expert03")
        admin.get_by_role("tab", name="修改账号").click()
        settle(admin)
        admin.get_by_role("button", name="重置密码").click()
        wait_for_app(admin)
        admin.get_by_text("所有登录会话随之结束").wait_for(timeout=WAIT_MS)  # it asks first, saying so
        admin.get_by_role("button", name="确认重置密码").click()
        wait_for_app(admin)
        admin.get_by_text("已重置账号 expert03 的密码").wait_for(timeout=WAIT_MS)
        # the expert's open tab is signed out at its next interaction, and the copied cookie is worthless
        staff.reload(wait_until="domcontentloaded")
        settle(staff)
        assert _shows_login_form(staff)
        other, replay = _replay(browser, server, copied, "/my-reviews")
        try:
            assert _shows_login_form(replay)
        finally:
            other.close()
    finally:
        staff_ctx.close()
        admin_ctx.close()

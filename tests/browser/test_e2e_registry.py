"""The organisation registry in a real browser: the sign-in gate on a fresh server, a staff member
registering an organisation end to end (validation, list, Excel export), and a leader kept out.
"""
from __future__ import annotations

import random
import re

from openpyxl import load_workbook
from stdnum.cn import uscc as stdnum_uscc

from core import navigation
from tests.browser.widgets import open_select
from tests.browser.conftest import (ROOT, WAIT_MS, goto, login, new_context, open_screen, screenshot, settle,
                                   sidebar_link, sidebar_links, start_server, wait_for_app)

# Every screen's url_path (the brief's list plus whatever core.navigation registers today) and every
# pages/ file stem: a visit to a stem must never run that file.
SCREEN_PATHS = ["/"] + sorted(
    {"/workbench", "/orgs", "/orgs-new", "/orgs-import", "/accounts", "/audit-log", "/my-password"}
    | {"/" + p.url_path for p in navigation.PAGES if p.url_path}
)
STEM_PATHS = sorted({"/registry", "/users", "/audit", "/home", "/account"}
                    | {"/" + f.stem for f in (ROOT / "pages").glob("*.py") if not f.stem.startswith("_")})
SCREEN_TITLES = sorted({p.title for p in navigation.PAGES})
DEMO_ORG_TEXTS = ["文海社区", "钱塘区1516便民服务社", "邻里互助会"]
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015: no I, O, Z, S, V


def _no_data(page, path: str) -> None:
    """What a stranger may see on a pages/ file stem of a fresh server: Streamlit runs that file directly
    (its old multipage mode, before any session has called st.navigation); the file only defines
    functions, so the page stays empty -- no login form, and above all no data and no screen."""
    app = page.locator("[data-testid='stApp']")
    text = app.inner_text()
    for needle in DEMO_ORG_TEXTS + SCREEN_TITLES:
        assert needle not in text, f"{path}: signed-out page shows {needle!r}"
    assert page.locator("[data-testid='stDataFrame']").count() == 0, f"{path}: signed-out page shows a table"
    assert page.locator("[data-testid='stForm']").count() == 0, f"{path}: signed-out page shows a form"


def _login_form_and_no_data(page, path: str) -> None:
    app = page.locator("[data-testid='stApp']")
    page.get_by_label("用户名", exact=True).wait_for(timeout=2_000)  # the run has finished already
    text = app.inner_text()
    for needle in DEMO_ORG_TEXTS + SCREEN_TITLES:
        assert needle not in text, f"{path}: signed-out page shows {needle!r}"
    assert page.locator("[data-testid='stDataFrame']").count() == 0, f"{path}: signed-out page shows a table"
    assert page.get_by_role("heading", name="社会组织台账").count() == 0


def test_fresh_server_shows_no_data_without_login(browser, tmp_path, request):
    """Own server, so the first request it ever sees is a pages/ file stem (the fresh-server trap)."""
    base, stop = start_server(tmp_path, request.node.name)
    ctx = new_context(browser)  # one profile keeps the HTTP cache (the JS bundle); cookies cleared per visit
    page = ctx.new_page()  # each URL typed into this tab: a new page load, so a new session of the app
    failures = []
    try:
        # the stems first, while no session has run Home.py yet (the trap), then every screen
        for path in STEM_PATHS + SCREEN_PATHS:
            check = _no_data if path in STEM_PATHS else _login_form_and_no_data
            ctx.clear_cookies()  # a stranger: no sign-in cookie
            try:
                page.evaluate("() => { try { window.sessionStorage.clear() } catch (e) {} }")  # as in a new tab
                page.goto(base + path, wait_until="commit")
                wait_for_app(page)  # the first run has finished: whatever it shows is what a stranger gets
                check(page, path)
            except Exception as exc:  # noqa: BLE001 - collect every URL's result, then fail once
                screenshot(page, f"{request.node.name}{path.replace('/', '_') or '_root'}")
                first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                shown = page.locator("[data-testid='stApp']").inner_text(timeout=2_000)[:200].replace("\n", " | ")
                failures.append(f"{path}: {first_line} -- page shows: {shown!r}")
    finally:
        ctx.close()
        stop()
    assert not failures, "signed-out visits showed data or no login form:\n" + "\n".join(failures)


# --- staff registers an organisation ----------------------------------------------------------

def _valid_uscc() -> str:
    body = "51330114MJ" + "".join(random.choices(USCC_ALPHABET, k=7))
    return body + stdnum_uscc.calc_check_digit(body)


def _field(page, name: str):
    """The widget container of form ``org_new``'s field (Streamlit keys "org_new::name" -> class st-key-org_new--name)."""
    return page.locator(f".st-key-org_new--{name}")


def _text(page, name: str):
    return _field(page, name).locator("input")


def _selected(page, name: str) -> str:
    """The option a selectbox shows (its combobox input holds the selected option's text)."""
    return _field(page, name).get_by_role("combobox").input_value()


def _choose(page, name: str, option: str) -> None:
    open_select(page, _field(page, name).locator("[data-testid='stSelectbox']"))
    page.get_by_role("option", name=option, exact=True).click()
    page.wait_for_function(
        "([sel, want]) => document.querySelector(sel)?.value === want",
        arg=[f".st-key-org_new--{name} input[role='combobox']", option], timeout=WAIT_MS,
    )


def _submit(page) -> None:
    page.locator("[data-testid='stForm']").get_by_role("button", name="登记").click()
    settle(page)


def test_staff_registers_an_organisation(server, page, tmp_path):
    login(page, server, "staff")
    open_screen(page, "登记新组织")

    good = _valid_uscc()
    bad = good[:-1] + next(c for c in USCC_ALPHABET if c != good[-1])
    assert not stdnum_uscc.is_valid(bad)
    name = "钱塘区浏览器测试公益服务社" + "".join(random.choices("甲乙丙丁戊己庚辛壬癸", k=4))
    typed = {"name": name, "uscc": bad, "contact_person": "赵测试", "contact_phone": "13812345678"}

    for field, value in typed.items():
        _text(page, field).fill(value)
    _choose(page, "kind", "社会团体")
    _choose(page, "community", "文海社区")
    _choose(page, "stage", "初创期")
    _submit(page)

    # rejected: the USCC error under its field, everything typed still there (and nothing stored:
    # the search below finds exactly one organisation with this name)
    page.get_by_text("未保存:请按提示修改后重新提交。").wait_for(timeout=WAIT_MS)
    # the message sits right below the USCC field (a following sibling in its column)
    below_uscc = _field(page, "uscc").locator("xpath=following-sibling::*")
    below_uscc.get_by_text(re.compile("^统一社会信用代码无效")).first.wait_for(timeout=WAIT_MS)
    assert page.get_by_text("已登记").count() == 0
    for field, value in typed.items():
        assert _text(page, field).input_value() == value, f"{field} lost after a failed submit"
    assert (_selected(page, "kind"), _selected(page, "community"), _selected(page, "stage")) == ("社会团体", "文海社区", "初创期")

    # corrected: saved
    _text(page, "uscc").fill(good)
    _submit(page)
    page.locator("[data-testid='stAlert']", has_text=f"已登记:{name}").wait_for(timeout=WAIT_MS)
    assert page.locator("[data-testid='stForm'] [data-testid='stAlert']", has_text="统一社会信用代码无效").count() == 0

    # in the registry list: search by name (the grid is a canvas, so check the count caption)
    open_screen(page, "社会组织台账")
    search = page.get_by_placeholder("名称、统一社会信用代码或备案编号")
    search.fill(name)
    search.press("Enter")
    wait_for_app(page)
    page.get_by_text(re.compile(r"共 1 条,第 1/1 页")).wait_for(timeout=WAIT_MS)
    assert page.locator("[data-testid='stDataFrame']").count() == 1

    # Excel export of the filtered list contains the organisation
    with page.expect_download(timeout=WAIT_MS) as info:
        page.get_by_role("button", name=re.compile("导出Excel")).click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    workbook = load_workbook(target, read_only=True)
    cells = [str(c) for ws in workbook.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    workbook.close()
    assert name in cells
    assert good in cells


# --- a leader never reaches the registry ------------------------------------------------------

def test_leader_cannot_reach_registry(server, page):
    login(page, server, "leader")
    page.get_by_role("heading", name="工作台").wait_for(timeout=WAIT_MS)
    shown = sorted(t.strip() for t in sidebar_links(page).locator("[data-testid='stMarkdownContainer']").all_inner_texts())
    assert shown == sorted(p.title for p in navigation.pages_for(["leader"])), shown
    assert "工作台" in shown and "修改密码" in shown
    own = {p.title for p in navigation.pages_for(["leader"])}  # 年度成效报告: the leader's own read-only page has the title too
    forbidden = [p.title for p in navigation.PAGES if "leader" not in p.roles and p.title not in own]
    assert "社会组织台账" in forbidden
    for title in forbidden:
        assert sidebar_link(page, title).count() == 0, f"leader sees the {title} link"

    # a full page load of /orgs: a new session, signed in again from the cookie, says 无权访问
    goto(page, server + "/orgs")
    page.get_by_role("heading", name="无权访问").wait_for(timeout=WAIT_MS)
    assert page.get_by_role("button", name="退出登录").count() == 1, "the cookie did not sign the leader back in"
    assert page.get_by_role("heading", name="社会组织台账").count() == 0
    assert page.locator("[data-testid='stDataFrame']").count() == 0
    assert page.get_by_label("用户名", exact=True).count() == 0

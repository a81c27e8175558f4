"""公益创投 intake in a real browser (issue 12), doing what a person does: 金点子 → 转为申报 lands in the
new draft, which is completed and submitted; a draft is found from the list and the detail, edited,
saved and still there after F5; a refused submission says the draft was saved and what is missing;
资格审查 with no conclusion keeps its form and says why; the detail and the printable notice read as
money; objections are offered by what they are; publishing the notice asks first and the screen stays
on its tab; buttons that can do nothing say why; no English widget text.

The tests share one server (and so one database) and run in file order: publishing the current
round's notice (which closes it to new drafts) comes last.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests import demo_cache
from tests.browser.conftest import WAIT_MS, goto, login, settle, wait_for_app
from tests.browser.test_e2e_rounds import _add_milestone
from tests.browser.widgets import open_select, box, choose, fill, multi, number

RAW = ("None", "nan", "NaT", "24800.0", "00:00:00")
ENGLISH = ("Choose an option", "Select all", "No results", "No options", "Add row", "empty")
SHOTS = os.environ.get("HUBDESK_SHOTS")  # e.g. /tmp/shots-intake: screenshots of each screen for review


# ---- the demo data this server starts with (a copy of the same template) ------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    import duckdb

    copy = tmp_path_factory.mktemp("demo-read") / "demo.duckdb"
    shutil.copy(demo_cache.template(), copy)
    con = duckdb.connect(str(copy), read_only=True)

    def one(sql: str, params=()):
        cur = con.execute(sql, list(params))
        names = [d[0] for d in cur.description]
        row = cur.fetchone()
        return dict(zip(names, row)) if row else None

    current = one("SELECT id, name, categories FROM rounds ORDER BY year DESC, id DESC LIMIT 1")
    data = {
        "round": current,
        "idea": one("SELECT id, title, description, category FROM ideas i WHERE application_id IS NULL"
                    " AND duplicate_of IS NULL AND NOT EXISTS (SELECT 1 FROM ideas d WHERE d.duplicate_of = i.id)"
                    " AND list_contains(?, category) ORDER BY id DESC LIMIT 1", [current["categories"]]),
        "orgs": [r[0] for r in con.execute(
            "SELECT name FROM organisations WHERE active AND id NOT IN (SELECT org_id FROM applications"
            " WHERE round_id = ? AND state <> 'withdrawn') ORDER BY id", [current["id"]]).fetchall()],
        "drafts": [dict(zip(("id", "title"), r)) for r in con.execute(
            "SELECT id, title FROM applications WHERE round_id = ? AND state = 'draft' ORDER BY id",
            [current["id"]]).fetchall()],
        "submitted": one("SELECT id, title FROM applications WHERE round_id = ? AND state = 'submitted'"
                         " ORDER BY id LIMIT 1", [current["id"]]),
        "recommended": one("SELECT id, title, requested_amount FROM applications WHERE round_id = ?"
                           " AND state = 'recommended' ORDER BY id LIMIT 1", [current["id"]]),
        "past": one("SELECT id, name FROM rounds WHERE year = ? ", [int(current["name"][:4]) - 1]),
    }
    data["funded"] = one("SELECT id, title, requested_amount, granted_amount FROM applications"
                         " WHERE round_id = ? AND state = 'funded' AND granted_amount >= 1000 ORDER BY id LIMIT 1",
                         [data["past"]["id"]])
    con.close()
    return data


# ---- helpers ------------------------------------------------------------------------------------------

def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _alert(page, text: str):
    alert = page.locator("[data-testid='stAlert']", has_text=text).first
    alert.wait_for(timeout=WAIT_MS)
    return alert


def _body(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


def _no_raw_or_english(page, where: str) -> None:
    text = _body(page)
    for raw in RAW:
        assert not re.search(rf"(?<![A-Za-z]){re.escape(raw)}(?![A-Za-z])", text), f"{where}: shows {raw!r}"
    for words in ENGLISH:
        assert words not in text, f"{where}: English widget text {words!r}"


def _click(page, name: str, *, within=None) -> None:
    (within or page).get_by_role("button", name=name, exact=True).first.click()
    settle(page)


def _tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).first.click()
    settle(page)


def _query(page) -> dict[str, str]:
    from urllib.parse import parse_qsl, urlsplit

    return dict(parse_qsl(urlsplit(page.url).query))


def _path(page) -> str:
    from urllib.parse import urlsplit

    return urlsplit(page.url).path


def _selectbox_text(page, key: str) -> str:
    """What a selectbox shows: its label and the chosen option (drawn as text or as the input's value)."""
    widget = box(page, key).locator("[data-testid='stSelectbox']")
    values = [i.input_value() for i in widget.locator("input").all()]
    return " ".join([widget.inner_text(), *values])


def _options(page, key: str) -> list[str]:
    open_select(page, box(page, key).locator("[data-testid='stSelectbox']"))
    page.get_by_role("option").first.wait_for(timeout=WAIT_MS)
    texts = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    return texts


def _select_first_row(page, key: str, search: str) -> None:
    """Type into the list's search box, then click the first row's selection cell (a canvas grid)."""
    field = box(page, f"{key}:q").locator("input")
    field.fill(search)
    field.press("Enter")
    settle(page)
    grid = box(page, f"{key}:table").locator("[data-testid='stDataFrame']")
    grid.scroll_into_view_if_needed()
    area = grid.bounding_box()
    page.mouse.click(area["x"] + 16, area["y"] + 35 + 17)
    settle(page)


# ---- 1. 金点子 → 转为申报 → the draft, completed and submitted ---------------------------------------------

def test_promoting_an_idea_opens_its_draft_which_is_completed_and_submitted(server, page, demo):
    idea, org = demo["idea"], demo["orgs"][0]
    login(page, server, "staff")
    goto(page, server + "/idea-pool")
    _select_first_row(page, "ideas", idea["title"])
    page.get_by_role("heading", name=idea["title"]).first.wait_for(timeout=WAIT_MS)
    _tab(page, "转为申报")
    button = page.get_by_role("button", name="生成申报草稿")
    assert button.is_disabled()
    page.get_by_text("请先选择申报组织,再点「生成申报草稿」").first.wait_for(timeout=WAIT_MS)  # says why
    _shot(page, "01-idea-promote")
    choose(page, f"idea_org:{idea['id']}", org)
    button.click()
    settle(page)

    # straight into the new draft, in the editor
    page.get_by_role("heading", name="项目申报").first.wait_for(timeout=WAIT_MS)
    assert _path(page).endswith("/apply"), page.url
    draft_id = _query(page)["id"]
    _alert(page, f"已生成申报草稿(编号 {draft_id}")
    page.get_by_text(f"编辑申报 编号 {draft_id}").first.wait_for(timeout=WAIT_MS)
    assert box(page, "app_form::title").locator("input").input_value() == idea["title"]
    assert org in _selectbox_text(page, "app_form::org_id")
    _shot(page, "02-apply-promoted-draft")

    # complete it and submit
    multi(page, "app_form::communities", "文海社区")
    fill(page, "app_form::target_group", "辖区残疾人及其家庭")
    number(page, "app_form::planned_beneficiaries", 800)
    budget = {"budget_personnel": 20000, "budget_materials": 10000, "budget_venue": 3000, "budget_publicity": 2000,
              "budget_other": 0}
    for name, amount in budget.items():
        number(page, f"app_form::{name}", amount)
    number(page, "app_form::requested_amount", sum(budget.values()))
    fill(page, "app_form::needs_analysis", "辖区残疾人康复训练需往返市区,家庭负担重")
    fill(page, "app_form::planned_activities", "每周三次社区康复训练,每月一次家属培训")
    _add_milestone(page, "2027-06-01", "中期评估报告")  # also saves the draft
    _click(page, "保存并提交")
    _alert(page, f"已提交(编号 {draft_id}")
    goto(page, f"{server}/application?id={draft_id}")
    page.get_by_text("状态:已提交").first.wait_for(timeout=WAIT_MS)


# ---- 2. a draft from the list and the detail, edited, saved, F5; a refused submission --------------------

def test_a_draft_is_found_edited_saved_and_kept_after_reload(server, page, demo):
    draft = demo["drafts"][0]
    link = f"编辑并提交此草稿(编号 {draft['id']})"
    login(page, server, "staff")

    # from the list: select the draft's row; its detail below has the link to the editor
    goto(page, server + "/application-list")
    _select_first_row(page, "apps", draft["title"])
    page.get_by_role("link", name=link).first.wait_for(timeout=WAIT_MS)
    _shot(page, "03-application-list-draft")

    # from the detail: the same link opens it in the editor
    goto(page, f"{server}/application?id={draft['id']}")
    _no_raw_or_english(page, "申报详情 (draft)")
    _shot(page, "04-application-detail-draft")
    page.get_by_role("link", name=link).first.click()
    wait_for_app(page)
    page.get_by_role("heading", name="项目申报").first.wait_for(timeout=WAIT_MS)
    settle(page)
    assert _path(page).endswith("/apply") and _query(page).get("id") == str(draft["id"]), page.url
    assert box(page, "app_form::title").locator("input").input_value() == draft["title"]

    fill(page, "app_form::target_group", "辖区困境儿童")
    _click(page, "保存草稿")
    _alert(page, f"草稿已保存(编号 {draft['id']}),尚未提交")

    page.reload(wait_until="domcontentloaded")  # F5: the same draft, with what was saved
    settle(page)
    page.get_by_text(f"编辑申报 编号 {draft['id']}").first.wait_for(timeout=WAIT_MS)
    # the form fills in as the page finishes loading after F5 (a person reads it once it shows): wait for it
    # to show the saved value, then read it
    saved = box(page, "app_form::target_group").locator("input")
    expect(saved).to_have_value("辖区困境儿童", timeout=WAIT_MS)
    assert saved.input_value() == "辖区困境儿童"

    # submitting the incomplete draft: it was saved, it was not submitted, and this is what is missing
    _click(page, "保存并提交")
    notice = _alert(page, f"草稿已保存(编号 {draft['id']}),但没有提交")
    assert "请填写申请资助金额(元)" in notice.inner_text()
    assert "未保存" not in _body(page)
    _shot(page, "05-apply-saved-not-submitted")
    _no_raw_or_english(page, "项目申报")


# ---- 3. 资格审查 without a conclusion ---------------------------------------------------------------------

def test_screening_without_a_conclusion_keeps_the_form_and_says_why(server, page, demo):
    app = demo["submitted"]
    login(page, server, "staff")
    goto(page, server + "/screening-queue")
    choose(page, "screen:chosen", app["title"])
    _click(page, "开始资格审查")
    _alert(page, "已开始资格审查")
    form = page.locator("[data-testid='stForm']")
    form.get_by_role("button", name="提交审查结论").wait_for(timeout=WAIT_MS)

    form.get_by_role("button", name="提交审查结论").click()  # no conclusion chosen
    settle(page)
    _alert(page, "请选择审查结论")
    assert app["title"] in _selectbox_text(page, "screen:chosen")  # not reset to 请选择
    assert form.get_by_role("button", name="提交审查结论").is_visible()

    form.get_by_text("无不良记录", exact=True).click()  # untick one item, give no reason
    form.get_by_role("button", name="提交审查结论").click()
    settle(page)
    _alert(page, "「无不良记录」不符合时须填写原因")
    _alert(page, "请选择审查结论")
    assert not box(page, f"screen_form:{app['id']}::ok_1").locator("input").is_checked()  # the input stays
    assert app["title"] in _selectbox_text(page, "screen:chosen")
    assert _query(page).get("id") == str(app["id"])
    _shot(page, "06-screening-errors")
    _no_raw_or_english(page, "资格审查")

    goto(page, f"{server}/application?id={app['id']}")  # nothing was recorded
    page.get_by_text("状态:资格审查中").first.wait_for(timeout=WAIT_MS)
    _tab(page, "资格审查")
    page.get_by_text("还没有资格审查记录").first.wait_for(timeout=WAIT_MS)


# ---- 4. the detail and the printable notice read as money ---------------------------------------------

def test_the_detail_and_the_printable_notice_read_as_money(server, page, demo):
    funded, past = demo["funded"], demo["past"]
    login(page, server, "staff")
    goto(page, f"{server}/application?id={funded['id']}")
    granted = f"{float(funded['granted_amount']):,.0f}"
    page.get_by_role("cell", name=granted, exact=True).first.wait_for(timeout=WAIT_MS)
    _no_raw_or_english(page, "申报详情")
    _shot(page, "07-application-detail-funded")
    _tab(page, "流转记录")
    assert _query(page).get("tab") == "流转记录"
    page.get_by_role("cell", name="系统").first.wait_for(timeout=WAIT_MS)  # people by name, never 'system'
    page.reload(wait_until="domcontentloaded")  # F5 keeps the record and the tab
    settle(page)
    assert page.get_by_role("tab", name="流转记录").first.get_attribute("aria-selected") == "true"

    goto(page, f"{server}/decision-notice?round={past['name']}&tab=公示名单")
    assert past["name"] in _selectbox_text(page, "round")
    assert page.get_by_role("tab", name="公示名单").first.get_attribute("aria-selected") == "true"
    _shot(page, "08-decision-notice-past")
    with page.expect_download(timeout=WAIT_MS) as info:
        page.get_by_role("button", name="下载打印版(文本)").click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert text.startswith(f"{past['name']} 拟资助项目公示")
    for raw in ("None", "nan", "NaT", ".0 ", ".0\n", "00:00:00"):
        assert raw not in text, raw
    amounts = re.findall(r"(\d[\d,]*(?:\.\d+)?)\s*$", "\n".join(text.splitlines()[4:-3]), re.M)
    assert amounts and all(re.fullmatch(r"\d{1,3}(,\d{3})*(\.\d{2})?", a) for a in amounts), amounts
    assert re.search(r"合计拟资助 \d{1,3}(,\d{3})+ 元", text)


# ---- 5. objections by what they are ----------------------------------------------------------------------

def test_objections_are_offered_by_what_they_are(server, page, demo):
    login(page, server, "staff")
    goto(page, server + "/decision-notice?tab=异议登记")
    fill(page, "objection_new::content", "居民反映评审过程未公开,请复核")
    page.locator("[data-testid='stForm']").get_by_role("button", name="登记").click()
    settle(page)
    _alert(page, "已登记异议")
    _tab(page, "处理异议")
    options = _options(page, "objection:chosen")
    assert options and not any(o.strip().isdigit() for o in options), options
    assert any("收到 · 关于未指明项目:居民反映评审过程未公开" in o and "登记人 王敏(工作人员)" in o
               for o in options), options
    _shot(page, "09-objections")
    _no_raw_or_english(page, "异议登记")


# ---- 6. publishing the notice asks first; the screen stays on its tab ------------------------------------

def test_publishing_the_notice_asks_first_and_stays_on_its_tab(server, page, demo):
    app = demo["recommended"]
    login(page, server, "admin")
    goto(page, server + "/decision-notice?tab=公示名单")
    publish = page.get_by_role("button", name="发布公示", exact=True)
    assert publish.is_disabled()  # nothing decided yet: it says why
    page.get_by_text("还没有决定资助的项目,不能发布公示").first.wait_for(timeout=WAIT_MS)

    _tab(page, "资助决定")
    choose(page, "decide:chosen", app["title"])
    page.locator("[data-testid='stForm']").get_by_role("button", name="确认决定").click()
    settle(page)
    _alert(page, f"已记录决定:{app['title']}")
    assert page.get_by_role("tab", name="资助决定").first.get_attribute("aria-selected") == "true"

    _tab(page, "公示名单")
    assert _query(page).get("tab") == "公示名单"
    publish.click()
    settle(page)
    warning = _alert(page, "此操作不可撤销")
    assert "不能再作出资助决定" in warning.inner_text() and "共 1 个项目" in warning.inner_text()
    _shot(page, "10-publish-confirm")
    _click(page, "取消")
    assert publish.is_enabled()  # nothing published
    assert not page.get_by_text("公示已于").count()

    publish.click()
    settle(page)
    _click(page, "确认发布公示")
    _alert(page, "公示已发布")
    _alert(page, "公示已于")
    assert page.get_by_role("tab", name="公示名单").first.get_attribute("aria-selected") == "true"
    assert _query(page).get("tab") == "公示名单"
    page.get_by_role("button", name="公示期满,确认立项").wait_for(timeout=WAIT_MS)
    assert page.get_by_role("button", name="公示期满,确认立项").is_disabled()
    page.get_by_text("期满后才能确认立项").first.wait_for(timeout=WAIT_MS)
    _shot(page, "11-published")
    _no_raw_or_english(page, "决定与公示")

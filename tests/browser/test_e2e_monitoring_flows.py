"""动态监管 and 孵化与能力建设 as a person uses them in Chromium (issue 12):

- after 保存中期评估 the screen stays on 评估 (the tab is in the URL), and a shared link
  ``/project-file?id=N&tab=资金`` opened in a fresh tab shows that project on that tab;
- releasing a tranche asks first and says what cannot be undone; 取消 writes nothing; a double click on
  确认拨付 releases once (one 拨付 event in 项目动态); the tranche plan's export keeps shares and amounts as numbers
  shown as declared (50%, 12,000);
- the activity form offers the project's own communities first and marks the others 「协议外」;
- 评估期 of a capability assessment is picked from defined periods (no free text);
- 出壳 asks first and says it cannot be undone;
- no English widget text on these screens.

The tables are canvas grids (not readable as text): the timeline is read from its own Excel export.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from openpyxl import load_workbook

from tests import demo_cache
from tests.browser.conftest import WAIT_MS, goto, login, open_screen, settle
from tests.browser.widgets import open_select, box, choose, fill, number

PREPARE = "from tests.browser.test_e2e_monitoring_flows import build; build()"  # see build() below

AGREEMENT_NO = "FLOWS-001"
ORG = "下沙街道流程测试社会组织"
AGREED = ["金沙湖社区", "云水社区"]  # not the first communities of the list: "first" must be the project's doing
ENGLISH = ("Choose an option", "Select all", "Add row", "No options to select")


def build() -> int:
    """A running project 150 days into 300, tranche 1 released, its mid-term report due (run before the server
    starts, see ``start_server(prepare=...)``)."""
    from core.monitoring import money, projects
    from core.platform.actor import Actor
    from tests.monitoring_fixtures import running_funded_app

    staff = Actor("staff", ("staff",))
    app_id = running_funded_app(7, start_days_ago=150, length=300, org_name=ORG)
    values = projects.agreement_defaults(app_id)
    values.update(agreement_no=AGREEMENT_NO, planned_activities=4, planned_person_times=100, communities=AGREED,
                  midterm_due=dt.date.today() - dt.timedelta(days=3))
    pid = projects.sign_agreement(app_id, values, staff)
    first = money.tranches(pid).iloc[0]
    money.release(int(first["id"]), {"released_on": values["agreement_date"], "released_amount": float(first["amount"]),
                                     "approver": "陈主任", "note": None}, staff)
    return pid



def _demo(sql: str):
    return demo_cache.query_one(sql)


# --- helpers ------------------------------------------------------------------------------------

def _tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).first.click()
    settle(page)


def _selected_tab(page) -> str:
    return page.locator("[data-testid='stTabs'] [role='tab'][aria-selected='true']").first.inner_text().strip()


def _query(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def _date(page, key: str, day: dt.date) -> None:
    field = box(page, key).locator("input")
    field.fill(day.isoformat())
    field.press("Enter")
    page.keyboard.press("Escape")
    settle(page)  # the date's run ends before the next field is used (it can redraw the form under a click)
    assert field.input_value() == day.isoformat()


def _form_button(page, key: str, name: str) -> None:
    page.locator("[data-testid='stForm']").filter(has=box(page, key)).get_by_role("button", name=name).click()
    settle(page)


def _alert(page, text: str):
    alert = page.locator("[data-testid='stAlert']", has_text=text).first
    alert.wait_for(timeout=WAIT_MS)
    return alert.inner_text()


def _open_project(page) -> int:
    open_screen(page, "项目档案")
    choose(page, "project:chosen", AGREEMENT_NO)
    page.get_by_role("heading", name=re.compile(AGREEMENT_NO)).first.wait_for(timeout=WAIT_MS)
    return int(_query(page)["id"])


def _no_english(page) -> None:
    text = page.locator("[data-testid='stMain']").inner_text()
    for words in ENGLISH:
        assert words not in text, f"{page.url}: {words!r} shown"


def _tranche_export_reads_as_declared(page) -> None:
    """The tranche plan's 导出Excel: shares (stored in points) are percentages, amounts money, both still numbers
    (formats declared with the labels: schemas.columns.format_of)."""
    from core.monitoring.money import TRANCHE_COLUMNS

    with page.expect_download(timeout=WAIT_MS) as dl:
        box(page, "project:tranches:xlsx").get_by_role("button").click()
    sheet = load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes())).worksheets[0]
    header, *rows = list(sheet.iter_rows())
    col = {c.value: i for i, c in enumerate(header)}
    shares = [(r[col[TRANCHE_COLUMNS["share"]]].value, r[col[TRANCHE_COLUMNS["share"]]].number_format) for r in rows]
    assert shares == [(50, '0"%"'), (30, '0"%"'), (20, '0"%"')]
    second = rows[1][col[TRANCHE_COLUMNS["amount"]]]
    assert (second.value, second.number_format) == (12000, "#,##0")


# --- 项目档案: the tab stays, the URL names it, a release asks first and writes once -------------

def test_midterm_keeps_the_tab_then_a_release_asks_first_and_a_double_click_writes_once(server, page):
    login(page, server, "staff")
    pid = _open_project(page)
    _tab(page, "评估")
    assert _query(page).get("tab") == "评估"
    ekey = f"eval:{pid}:midterm"
    _date(page, f"{ekey}::eval_date", dt.date.today())
    choose(page, f"{ekey}::method", "实地")
    fill(page, f"{ekey}::evaluator", "王敏")
    for i, pts in enumerate((27, 21, 17, 12, 8), start=1):
        number(page, f"{ekey}::score_{i}", pts)
    fill(page, f"{ekey}::conclusion", "按计划推进,台账完整")
    _form_button(page, f"{ekey}::evaluator", "保存中期评估")
    saved = _alert(page, "已保存中期评估")
    assert "85 分,A 等,通过" in saved
    assert _selected_tab(page) == "评估" and _query(page).get("tab") == "评估"  # not back on 协议与里程碑
    assert page.get_by_text("现在不能录入中期评估").first.is_visible()

    _tab(page, "资金")
    page.get_by_role("button", name="拨付第2期资金").wait_for(timeout=WAIT_MS)
    form = page.locator("[data-testid='stForm']").filter(has=page.get_by_role("button", name="拨付第2期资金"))
    form.locator("input[aria-label*='审批人']").fill("陈主任")
    form.get_by_role("button", name="拨付第2期资金").click()
    settle(page)
    confirm = page.locator("[class*='st-key-release-'][class*='-confirm']").first
    confirm.wait_for(timeout=WAIT_MS)
    text = confirm.inner_text()
    assert "拨付第2期资金 12,000 元" in text and "审批人 陈主任" in text and "此操作不可撤销" in text
    confirm.get_by_role("button", name="取消").click()  # changed one's mind: nothing released
    settle(page)
    assert not page.locator("[class*='st-key-release-'][class*='-confirm']").count()
    assert form.locator("input[aria-label*='审批人']").input_value() == "陈主任"  # the input is kept

    form.get_by_role("button", name="拨付第2期资金").click()
    settle(page)
    yes = page.locator("[class*='st-key-release-'][class*='-confirm']").get_by_role("button", name="确认拨付")
    yes.dblclick()  # an impatient double click
    settle(page)
    _alert(page, "已登记拨付第2期资金 12,000 元")
    assert _selected_tab(page) == "资金"
    _tranche_export_reads_as_declared(page)
    page.locator("[data-testid='stAlert']", has_text="第3期暂不能拨付").first.wait_for(timeout=WAIT_MS)
    assert not page.locator("[data-testid='stAlert']", has_text="已拨付").filter(
        has_text="第2期资金已拨付").count()  # the second click found no box: no refusal either

    _tab(page, "项目动态")  # the timeline, as its Excel export (the grid shows only its first rows)
    with page.expect_download(timeout=WAIT_MS) as dl:
        box(page, "project:timeline:xlsx").get_by_role("button").click()
    sheet = load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes())).worksheets[0]
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    events = [r[header.index("事件")] for r in rows]
    assert events.count("拨付第2期资金") == 1, events
    assert "staff" not in {r[header.index("经办人")] for r in rows}  # people by name
    _no_english(page)


def test_a_shared_link_opens_the_project_on_its_tab_in_a_fresh_tab(server, context):
    page = context.new_page()
    login(page, server, "staff")
    pid = _open_project(page)
    fresh = context.new_page()  # a colleague's link, opened in a new tab (signed in by cookie)
    goto(fresh, f"{server}/project-file?id={pid}&tab=资金")
    fresh.get_by_role("heading", name=re.compile(AGREEMENT_NO)).first.wait_for(timeout=WAIT_MS)
    assert _selected_tab(fresh) == "资金"
    fresh.get_by_role("tabpanel", name="资金").get_by_text("分期拨付", exact=True).wait_for(timeout=WAIT_MS)
    fresh.reload(wait_until="domcontentloaded")  # F5 keeps the place
    settle(fresh)
    fresh.get_by_role("heading", name=re.compile(AGREEMENT_NO)).first.wait_for(timeout=WAIT_MS)
    assert _selected_tab(fresh) == "资金" and _query(fresh) == {"id": str(pid), "tab": "资金"}


# --- 服务台账录入: the project's communities first ---------------------------------------------------

def test_the_activity_form_offers_the_projects_communities_first(server, page):
    login(page, server, "staff")
    open_screen(page, "服务台账录入")
    choose(page, "entry:project", AGREEMENT_NO)
    pid = int(_query(page)["project"])
    key = f"activity_entry:{pid}"
    page.get_by_text("本项目协议约定的服务社区:" + "、".join(AGREED)).first.wait_for(timeout=WAIT_MS)
    open_select(page, box(page, f"{key}::community").locator("[data-testid='stSelectbox']"))
    options = [o.strip() for o in page.get_by_role("option").all_inner_texts()]
    page.keyboard.press("Escape")
    assert options[:2] == AGREED, options
    assert len(options) >= 3 and all(o.endswith("(协议外)") for o in options[2:]), options
    _no_english(page)

    _date(page, f"{key}::activity_date", dt.date.today() - dt.timedelta(days=1))
    choose(page, f"{key}::community", "文海社区")  # outside the agreement: allowed, and said so
    choose(page, f"{key}::kind", "社区活动")
    fill(page, f"{key}::title", "文海邻里节")
    number(page, f"{key}::participants", 30)
    number(page, f"{key}::person_times", 30)
    _form_button(page, f"{key}::title", "登记活动")
    saved = _alert(page, "已登记活动:文海邻里节")
    assert "注意:文海社区不在资助协议约定的服务社区(金沙湖社区、云水社区)内" in saved


# --- 能力评估: 评估期 is a choice ----------------------------------------------------------------

def test_the_assessment_period_is_picked_from_defined_periods(server, page):
    org = _demo("SELECT name FROM organisations WHERE active ORDER BY id LIMIT 1")[0]
    login(page, server, "staff")
    open_screen(page, "能力评估")
    choose(page, "assess:org", org)
    form = page.locator("[data-testid='stForm']").filter(has=page.get_by_role("button", name="保存评估"))
    period = form.locator("[class*='--period']")
    period.wait_for(timeout=WAIT_MS)
    assert period.locator("[data-testid='stSelectbox']").count() == 1  # a choice, not a text box
    today = dt.date.today()
    current = f"{today.year}年{'上' if today.month <= 6 else '下'}半年"
    assert period.locator("input").input_value() == current
    open_select(page, period.locator("[data-testid='stSelectbox']"))
    page.keyboard.type(f"{today.year}下半")  # the way people used to type it
    options = [o.strip() for o in page.get_by_role("option").all_inner_texts()]
    page.keyboard.press("Escape")
    assert options and all(re.fullmatch(r"\d{4}年(上半年|下半年|年度|第[一二三四]季度)", o) for o in options), options
    assert f"{today.year}年下半年" in options
    _no_english(page)


# --- 孵化与等级: 出壳 asks first ------------------------------------------------------------------

def test_graduation_asks_first_and_cancel_writes_nothing(server, page):
    org_id, name = _demo("SELECT id, name FROM organisations WHERE active AND incubation_in IS NOT NULL"
                         " AND incubation_out IS NULL ORDER BY id LIMIT 1")
    login(page, server, "staff")
    open_screen(page, "孵化与等级")
    choose(page, "life:org", name)
    key = f"incubation:{org_id}:出壳"
    criteria = box(page, f"{key}::criteria_met")
    for c in ("完成登记或备案", "内部治理制度健全", "独立运作至少一个项目", "能力评估总分达到60分"):
        criteria.locator("input").first.click()
        page.keyboard.type(c)
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        settle(page)
    chosen = criteria.inner_text()
    assert all(c in chosen for c in ("完成登记或备案", "能力评估总分达到60分")), chosen
    _no_english(page)
    _form_button(page, f"{key}::note", "记录出壳")
    confirm = box(page, f"{key}-confirm")
    confirm.wait_for(timeout=WAIT_MS)
    text = confirm.inner_text()
    assert f"记录「{name}」于 {dt.date.today()} 出壳" in text and "此操作不可撤销" in text
    confirm.get_by_role("button", name="取消").click()
    settle(page)
    assert not box(page, f"{key}-confirm").count()
    assert page.get_by_role("button", name="记录出壳").count() == 1  # still to be decided: nothing written
    _form_button(page, f"{key}::note", "记录出壳")
    box(page, f"{key}-confirm").get_by_role("button", name="确认出壳").click()
    settle(page)
    _alert(page, "孵化完成")
    page.get_by_text("孵化已完成").first.wait_for(timeout=WAIT_MS)

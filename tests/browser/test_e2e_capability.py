"""能力建设 in a real browser: staff create a training on 能力培训, sign one attendee in through the
attendance form and a second through the sign-in sheet (the screen's own template, filled with
openpyxl and uploaded), and see the person-times on the screen; then, on 能力评估, enter an assessment
for that organisation with two clearly weakest dimensions, and see its profile: the radar chart and
the 支持建议 naming those two dimensions with the mentoring modules and training topics the support map
gives them (and the new training among the 近期相关培训, its topic serving the weakest dimension).

The tables are canvas grids (glide-data-grid); with keyboard focus the grid also renders its visible
cells as an accessible <table> inside the canvas, which is what ``_grid_rows`` reads.
"""
from __future__ import annotations

import datetime as dt
import random
import re

from openpyxl import load_workbook

from core.incubation.assessments import DEFAULT_SUPPORT
from schemas.capability import DEFAULT_INSTRUMENT
from tests.browser.conftest import WAIT_MS, login, open_screen, settle
from tests.browser.widgets import pick, box as _box, choose as _choose, fill as _fill, grid_rows, number as _number

# indicator score per dimension: 财务管理 and 品牌传播 clearly the weakest (0 and 25 points), the rest 75–100
SCORES = {"内部治理": 4, "项目管理": 5, "财务管理": 1, "人力资源": 4, "品牌传播": 2, "资源动员": 4, "服务成效": 5}
# (mean − 1) / 4 × 100 per dimension, weighted by the default instrument: 67.5
TOTAL = sum(w * (SCORES[d] - 1) / 4 * 100 for d, w, _ in DEFAULT_INSTRUMENT) / sum(w for _, w, _ in DEFAULT_INSTRUMENT)
WEAKEST = ("财务管理", "品牌传播")
TOPIC = "财税管理"  # serves 财务管理 (core.incubation.assessments.DEFAULT_SUPPORT)
ORG = "杭州市钱塘区社会工作者协会"  # a demo organisation (core.demo.orgs)
PERIODS = ("2026年下半年", "2026年度", "2026年第四季度", "2027年上半年", "2027年度")


def _tab(page, name: str, within=None) -> None:
    (within or page).get_by_role("tab", name=name, exact=True).first.click()
    settle(page)




def _success(page, text: str):
    alert = page.locator("[data-testid='stAlert']", has_text=text).first
    alert.wait_for(timeout=WAIT_MS)
    return alert.inner_text()


# --- 能力培训 ------------------------------------------------------------------------------------

def _create_training(page, title: str, day: dt.date) -> int:
    open_screen(page, "能力培训")
    _tab(page, "新建培训")
    _fill(page, "training_new::title", title)
    _choose(page, "training_new::kind", "线下培训")
    _choose(page, "training_new::topic", TOPIC)
    date_box = _box(page, "training_new::training_date").locator("input")
    date_box.fill(day.isoformat())
    date_box.press("Enter")
    page.keyboard.press("Escape")
    _fill(page, "training_new::trainer", "孙会计")
    _number(page, "training_new::capacity", 40)
    _fill(page, "training_new::place", "下沙街道社会组织服务中心")
    assert date_box.input_value() == day.isoformat()
    page.locator("[data-testid='stForm']").get_by_role("button", name="创建培训").click()
    settle(page)
    text = _success(page, "已创建培训")
    return int(re.search(r"编号 (\d+)", text).group(1))


def _open_training(page, title: str) -> None:
    """培训列表: search for the title, select the only row (its selection cell at the grid's left)."""
    _tab(page, "培训列表")
    search = _box(page, "trainings:q").locator("input")
    search.fill(title)
    search.press("Enter")
    settle(page)
    page.get_by_text("共 1 条", exact=False).first.wait_for(timeout=WAIT_MS)
    grid = _box(page, "trainings:table").locator("[data-testid='stDataFrame']")
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + 35 + 17)  # the first row's selection cell
    settle(page)
    page.get_by_role("heading", name=title).first.wait_for(timeout=WAIT_MS)


def _attendance_caption(page, n: int) -> str:
    caption = page.get_by_text(re.compile(rf"已签到 {n} 人次"))
    caption.first.wait_for(timeout=WAIT_MS)
    return caption.first.inner_text()


def _sign_in_by_form(page, tid: int, org: str, person: str) -> None:
    key = f"attend:{tid}"
    _choose(page, f"{key}::org_id", org)
    _fill(page, f"{key}::person", person)
    _fill(page, f"{key}::position", "财务负责人")
    _fill(page, f"{key}::phone", "13900002222")
    page.locator("[data-testid='stForm']").get_by_role("button", name="登记签到").click()
    settle(page)
    _success(page, f"已登记签到:{person}")


def _sign_in_by_sheet(page, tid: int, title: str, org: str, person: str, tmp_path) -> None:
    tabs = page.locator("[data-testid='stTabs']").filter(has=page.get_by_role("tab", name="签到表导入"))
    _tab(page, "签到表导入", within=tabs.first)
    with page.expect_download(timeout=WAIT_MS) as dl:
        _box(page, f"att_import:{tid}:template").get_by_role("button").click()
    assert dl.value.suggested_filename == f"签到表模板-{title}.xlsx"
    template = tmp_path / dl.value.suggested_filename
    dl.value.save_as(template)
    wb = load_workbook(template)
    ws = wb["导入数据"]
    headers = [c.value for c in ws[1]]
    assert headers[:2] == ["组织名称*", "姓名*"], headers
    row = {"组织名称*": org, "姓名*": person, "职务": "项目专员", "联系电话": "13900003333"}
    ws.delete_rows(2, ws.max_row)
    ws.append([row.get(h) for h in headers])
    sheet = tmp_path / f"签到表-{tid}.xlsx"
    wb.save(sheet)
    _box(page, f"att_import:{tid}:file").locator("input[type='file']").set_input_files(str(sheet))
    settle(page)
    page.get_by_text("共 1 行:可导入 1 行").first.wait_for(timeout=WAIT_MS)
    _box(page, f"att_import:{tid}:confirm").get_by_role("button").click()
    settle(page)
    _success(page, "已导入 1 条签到。")


# --- 能力评估 ------------------------------------------------------------------------------------

def _enter_assessment(page, org: str) -> str:
    open_screen(page, "能力评估")
    _choose(page, "assess:org", org)
    form = page.locator("[data-testid='stForm']").filter(has=page.get_by_role("button", name="保存评估"))
    form.wait_for(timeout=WAIT_MS)
    done = page.get_by_text("该组织已有评估:")
    existing = done.first.inner_text() if done.count() else ""
    period = next(p for p in PERIODS if f"{p}(" not in existing)
    fields = form.locator("[class*='--score_']")
    expected = sum(len(inds) for _, _, inds in DEFAULT_INSTRUMENT)
    assert fields.count() == expected, (fields.count(), expected)
    for i in range(fields.count()):
        field = fields.nth(i)
        label = field.locator("[data-testid='stWidgetLabel']").inner_text().strip()
        box = field.locator("input")
        box.fill(str(SCORES[label.split("·")[0]]))
        box.press("Tab")
    pick(page, page.locator("[class*='--period'] [data-testid='stSelectbox']"), period, exact=True)  # 评估期
    assert form.locator("[class*='--period'] input").input_value() == period
    form.get_by_role("button", name="保存评估").click()
    settle(page)
    saved = _success(page, f"已保存 {org}「{period}」的评估")
    assert saved.strip().endswith(f"总分 {TOTAL:.2f}"), saved
    return period


def _check_profile(page, org: str, period: str, title: str) -> None:
    _tab(page, "组织画像")
    _choose(page, "profile:org", org)
    chosen = page.locator("[class*='st-key-profile-period-'] [data-testid='stSelectbox']").first
    shown = chosen.locator("input").first.input_value()
    assert shown.startswith(f"{period}(") and f"总分 {TOTAL:.1f}" in shown, shown  # the newest one, first
    chart = page.locator("[data-testid='stVegaLiteChart']").first
    chart.wait_for(state="visible", timeout=WAIT_MS)
    chart.locator("canvas, svg").first.wait_for(state="visible", timeout=WAIT_MS)
    page.get_by_text("依据最近一次评估中得分最低的两个维度").first.wait_for(timeout=WAIT_MS)
    panel = page.get_by_role("tabpanel", name="组织画像")
    frames = panel.locator("[data-testid='stDataFrame']")  # keys only tag selectable ones: found by headers
    tables = [grid_rows(frames.nth(i)) for i in range(frames.count())]
    rows = next(t for t in tables if t and "建议辅导模块" in t[0])
    assert [r["维度"] for r in rows] == list(WEAKEST), rows
    for r in rows:
        modules, topics = DEFAULT_SUPPORT[r["维度"]]
        assert r["建议辅导模块"] == "、".join(modules), r
        assert r["建议培训主题"] == "、".join(topics), r
    assert [float(r["得分"]) for r in rows] == [0.0, 25.0], rows
    # the new training's topic serves the weakest dimension and it lies ahead: listed as 近期相关培训
    page.get_by_text("近期相关培训:").first.wait_for(timeout=WAIT_MS)
    coming = next(t for t in tables if t and "培训名称" in t[0])
    assert any(r["培训名称"] == title and r["主题领域"] == TOPIC for r in coming), coming


def test_training_attendance_then_assessment_profile(server, page, tmp_path):
    suffix = "".join(random.choices("甲乙丙丁戊己庚辛壬癸", k=4))
    title = f"社会组织财务规范实务{suffix}"
    day = dt.date.today()  # held today: people can sign in (not before the day), and it still counts as 近期
    login(page, server, "staff")

    tid = _create_training(page, title, day)
    _open_training(page, title)
    _attendance_caption(page, 0)
    _sign_in_by_form(page, tid, ORG, f"钱{suffix}")
    assert "已签到 1 人次,来自 1 个组织,到课率 2.5%" in _attendance_caption(page, 1)
    _sign_in_by_sheet(page, tid, title, ORG, f"孙{suffix}", tmp_path)
    assert "已签到 2 人次,来自 1 个组织,到课率 5.0%" in _attendance_caption(page, 2)

    period = _enter_assessment(page, ORG)
    _check_profile(page, ORG, period, title)

"""专家评审 in a real browser: the demo reviewer 'expert' opens the one task of the current round they
have not started, confirms no conflict of interest, submits the live scoring form with one score
above its maximum (rejected in Chinese, everything typed kept), corrects it and submits; staff, in a
second browser profile, see that reviewer's 已提交 count on the 评审进度 board go up by one, and the
专家评分汇总表 (Excel) gain that review with its total.

The tables are canvas grids (glide-data-grid). Once the canvas has keyboard focus the grid also
renders its visible cells as an accessible <table> inside the canvas; that text is what we read.
"""
from __future__ import annotations

import re

from openpyxl import load_workbook

from schemas.review import DEFAULT_RUBRIC
from tests.browser.conftest import WAIT_MS, goto, login, new_context, open_screen, screenshot, settle
from tests.browser.widgets import open_select, grid_rows

REVIEWER = "expert"
REVIEWER_NAME = "李教授(评审专家)"  # core/demo/build.py DEMO_ACCOUNTS
SUBMIT = "提交评分"  # then 确认提交评分 in the box that says it cannot be undone
FORM_ERROR = "未保存:请按提示修改后重新提交。"
MAXIMA = {name: top for name, top, _ in DEFAULT_RUBRIC}  # 需求分析20 项目设计25 执行能力20 预算合理性15 创新性10 可持续性10
# what the reviewer types first: 需求分析 above its maximum; 预算合理性 below 60% of its maximum, with a comment
FIRST = {"需求分析": 25, "项目设计": 20, "执行能力": 15, "预算合理性": 8, "创新性": 8, "可持续性": 7}
CORRECTED = dict(FIRST, 需求分析=16)
COMMENTS = {"预算合理性": "人员经费占比偏高,部分物资单价缺少测算依据"}
RECOMMENDATION = "可推荐"
# The server's first script run builds the demo database (about 15 s on a 2-core machine, more under
# load): longer than one WAIT_MS-bounded step of ``login`` can safely absorb. Waited for once, up front.
FIRST_RUN_MS = 4 * WAIT_MS


def _css_key(key: str) -> str:
    return "st-key-" + re.sub(r"[^A-Za-z0-9_-]", "-", key)


def _box(page, key: str):
    return page.locator(f".{_css_key(key)}")


def _weighted(scores: dict[str, float]) -> float:
    """core.intake.rubrics.weighted_total for the default rubric (weight = maximum)."""
    return round(sum(MAXIMA[n] * scores[n] / MAXIMA[n] for n in MAXIMA) / sum(MAXIMA.values()) * 100, 2)




def _first_run(page, server) -> None:
    """Lets the fresh server finish its first run (the demo database) before anyone signs in: the
    sign-in form only appears once start-up is done."""
    page.goto(server + "/", wait_until="domcontentloaded")
    page.get_by_label("用户名", exact=True).wait_for(timeout=FIRST_RUN_MS)


# --- the reviewer ------------------------------------------------------------------------------

def _open_not_started_task(page) -> tuple[str, str]:
    """Reads the reviewer's task table, picks the current round's one task that is 未开始 and opens it;
    returns (assignment id, project title)."""
    open_screen(page, "我的评审")
    rows = grid_rows(page.locator("[data-testid='stDataFrame']").first)
    current = [r for r in rows if r["创投批次"] == rows[0]["创投批次"]]  # newest round first (ORDER BY review_end DESC)
    assert len(current) == 4, f"the demo reviewer should have 4 tasks in {rows[0]['批次']}: {current}"
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["截止日期"]) for r in current), current  # a date, no 00:00:00
    todo = [r for r in current if r["状态"] == "未开始"]
    assert len(todo) == 1, f"expected exactly one task not started: {current}"
    aid, title = todo[0]["任务编号"], todo[0]["项目名称"]

    open_select(page, _box(page, "task").locator("[data-testid='stSelectbox']"))
    option = f"{aid} · {title}"  # the options are "<task id> · <title>" (a title may recur in another round)
    page.keyboard.type(aid)
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)
    assert _box(page, "task").get_by_role("combobox").input_value() == option
    return aid, title


def _score_fields(page, aid: str) -> dict[str, tuple]:
    """criterion name -> (score input, comment input, the score's widget container), from the form's
    widget keys score:<task>::score_<criterion id> / ::comment_<criterion id>."""
    prefix = _css_key(f"score:{aid}::score_")
    fields = {}
    for name, top in MAXIMA.items():
        box = page.locator(f"[class*='{prefix}']").filter(has_text=f"{name}(满分{top:g})")
        assert box.count() == 1, f"no single score field for {name}"
        cid = re.search(re.escape(prefix) + r"(\d+)(?:\s|$)", box.get_attribute("class")).group(1)
        fields[name] = (box.locator("input"), _box(page, f"score:{aid}::comment_{cid}").locator("input"), box)
    return fields


def _type(page, field, value) -> None:
    """A live form: every committed value reruns the page; wait for each rerun to finish."""
    field.fill(str(value))
    field.press("Tab")
    settle(page, quiet_ms=300)


def _assert_kept(page, aid: str, fields: dict, scores: dict, recommendation: str) -> None:
    for name, (score, comment, _) in fields.items():
        assert float(score.input_value()) == scores[name], f"{name}: score {score.input_value()!r} after the rerun"
        assert comment.input_value() == COMMENTS.get(name, ""), f"{name}: comment {comment.input_value()!r}"
    assert _box(page, f"score:{aid}::recommendation").get_by_role("combobox").input_value() == recommendation


def _reviewer_submits(page, server) -> float:
    login(page, server, REVIEWER)
    aid, title = _open_not_started_task(page)

    # not started: the conflict-of-interest declaration comes first
    page.get_by_role("button", name="确认无利益冲突").click()
    settle(page)
    form = _box(page, f"score:{aid}__live")
    form.wait_for(timeout=WAIT_MS)
    assert page.get_by_role("button", name="确认无利益冲突").count() == 0
    fields = _score_fields(page, aid)

    # everything filled in, 需求分析 above its maximum
    for name, value in FIRST.items():
        _type(page, fields[name][0], value)
    for name, text in COMMENTS.items():
        _type(page, fields[name][1], text)
    open_select(page, _box(page, f"score:{aid}::recommendation").locator("[data-testid='stSelectbox']"))
    page.get_by_role("option", name=RECOMMENDATION, exact=True).click()
    settle(page, quiet_ms=300)
    # a score above its maximum: no total yet, and the screen says which score is out of range
    page.get_by_test_id("stMetricValue").filter(has_text="—").wait_for(timeout=WAIT_MS)
    page.get_by_text("超出满分范围:需求分析").wait_for(timeout=WAIT_MS)

    page.get_by_role("button", name=SUBMIT).click()
    settle(page)
    form.get_by_text(FORM_ERROR).wait_for(timeout=WAIT_MS)
    need = fields["需求分析"][2]
    below = need.locator("xpath=following-sibling::*").get_by_text(re.compile(r"需求分析.*应在0到20之间"))
    below.first.wait_for(timeout=WAIT_MS)  # the message right below the field
    alerts = form.locator("[data-testid='stAlert']")  # the form's message and the one field error
    assert alerts.count() == 2, f"one field error expected, the form shows {alerts.all_inner_texts()}"
    assert alerts.filter(has_text=FORM_ERROR).count() == 1
    assert page.get_by_text(re.compile("已于 .* 提交")).count() == 0
    _assert_kept(page, aid, fields, FIRST, RECOMMENDATION)

    # corrected: submitted
    _type(page, fields["需求分析"][0], CORRECTED["需求分析"])
    page.get_by_test_id("stMetricValue").filter(has_text=f"{_weighted(CORRECTED):.2f}").wait_for(timeout=WAIT_MS)
    page.get_by_role("button", name=SUBMIT).click()
    settle(page)
    page.get_by_role("button", name="确认" + SUBMIT).click()  # it asks first
    settle(page)
    total = _weighted(CORRECTED)
    done = re.compile(rf"^已于 \d{{4}}-\d{{2}}-\d{{2}} \d{{2}}:\d{{2}} 提交,加权总分 {total:.2f},推荐意见:{RECOMMENDATION}。$")
    page.locator("[data-testid='stAlert']").get_by_text(done).wait_for(timeout=WAIT_MS)
    assert page.get_by_text(FORM_ERROR).count() == 0
    assert page.get_by_role("button", name=SUBMIT).count() == 0, "a submitted review must not be editable"

    # the task table says so too
    row = next(r for r in grid_rows(page.locator("[data-testid='stDataFrame']").first) if r["任务编号"] == aid)
    assert (row["项目名称"], row["状态"], float(row["加权总分"])) == (title, "已提交", total), row
    return total


# --- staff ---------------------------------------------------------------------------------------

def _progress(page) -> dict[str, int]:
    """The reviewer's row of the 评审进度 board (current round)."""
    page.get_by_role("tab", name="评审进度").click()
    panel = page.get_by_role("tabpanel", name="评审进度")
    rows = grid_rows(panel.locator("[data-testid='stDataFrame']"))
    mine = [r for r in rows if r["专家"] == REVIEWER_NAME]  # experts by name, never by account
    assert len(mine) == 1, f"{REVIEWER} not on the progress board: {rows[:3]}"
    return {k: int(v) for k, v in mine[0].items() if k != "专家"}


def _per_review_sheet(page, tmp_path, name: str) -> list[tuple]:
    """逐份评分 of the exported 专家评分汇总表: the reviewer's rows (项目, 加权总分, 推荐意见)."""
    page.get_by_role("tab", name="汇总与排名").click()
    settle(page)  # the tab is in the URL: its click reruns the page, which renews the export's file
    with page.expect_download(timeout=WAIT_MS) as info:
        page.get_by_role("button", name="导出专家评分汇总表(Excel)").click()
    download = info.value
    assert download.suggested_filename.endswith("专家评分汇总表.xlsx"), download.suggested_filename
    target = tmp_path / name
    download.save_as(target)
    wb = load_workbook(target, read_only=True)
    try:
        header, *rows = wb["逐份评分"].iter_rows(values_only=True)
    finally:
        wb.close()
    col = {h: i for i, h in enumerate(header)}
    return sorted((r[col["项目编号"]], r[col["加权总分"]], r[col["推荐意见"]]) for r in rows
                  if r[col["专家"]] in (REVIEWER, REVIEWER_NAME))


def _staff_view(page, tmp_path, name: str) -> tuple[dict[str, int], list[tuple]]:
    return _progress(page), _per_review_sheet(page, tmp_path, name)


def test_reviewer_scores_and_staff_see_progress(server, browser, page, tmp_path):
    staff_ctx = new_context(browser)  # a second browser profile: its own cookies and session
    staff = staff_ctx.new_page()
    try:
        _first_run(staff, server)
        login(staff, server, "staff")
        open_screen(staff, "评审汇总")
        before, sheet_before = _staff_view(staff, tmp_path, "before.xlsx")

        total = _reviewer_submits(page, server)

        goto(staff, server + "/review-summary")  # a new session (signed in again by the cookie): fresh numbers
        staff.get_by_role("heading", name="评审汇总").first.wait_for(timeout=WAIT_MS)
        after, sheet_after = _staff_view(staff, tmp_path, "after.xlsx")
        assert after["已提交"] == before["已提交"] + 1, (before, after)
        # the same tasks; the failed submission stored no draft; nothing overdue before the deadline
        assert (after["已分配"], after["草稿"], after["逾期"]) == (before["已分配"], before["草稿"], before["逾期"])
        assert len(sheet_after) == len(sheet_before) + 1, (sheet_before, sheet_after)
        new = [r for r in sheet_after if r not in sheet_before]
        assert len(new) == 1 and new[0][1:] == (total, RECOMMENDATION), new
    except Exception:
        screenshot(staff, "test_reviewer_scores_and_staff_see_progress-staff")
        raise
    finally:
        staff_ctx.close()

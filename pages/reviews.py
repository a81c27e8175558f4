"""我的评审 (reviewers): only the expert's own assignments; confirm no conflict or recuse; score the
application with the round's rubric (live total), save a draft, submit once — after a confirmation that
says what cannot be undone. The open task is in the URL (F5 keeps it)."""
import pandas as pd
import streamlit as st

from core.intake import rubrics
from core.platform.formats import date as date_text
from core.review import assignment, reviews
from core.platform.formats import money, number
from core.ui.confirm import ask, asking, cancel, confirm_box, confirm_button
from core.ui.forms import load, schema_form
from core.ui.session import act, attempt, require, settled, show_flash
from core.ui.text import md
from schemas.application import Application, Milestone
from schemas.columns import columns
from schemas.monitoring import Expense

SUBMIT = "提交评分"
DRAFT = "保存草稿"
APP = columns("org_id", "category", "communities", "summary", "needs_analysis", "target_group", "planned_activities",
              "cofunding_note", "planned_beneficiaries", of=Application)
TEXTS = APP.pick("summary", "needs_analysis", "target_group", "planned_activities", "cofunding_note")
BUDGET = columns("line", "amount", of=Expense)  # the application's budget by 预算科目
MILESTONES = columns("due_date", "deliverable", of=Milestone)


def _show_application(view: dict) -> None:
    st.subheader(md(view["title"]))
    st.caption(md(f"{APP['org_id']}:{view['org']} · {APP['category']}:{view['category']} · "
                  f"{APP['communities']}:{'、'.join(view['communities'] or []) or '—'}"))
    for key, label in TEXTS.items():
        if view.get(key):
            st.markdown(f"**{label}**")
            st.text(str(view[key]))
    budget = pd.DataFrame([("人员", view["budget_personnel"]), ("物资", view["budget_materials"]),
                           ("场地", view["budget_venue"]), ("宣传", view["budget_publicity"]),
                           ("其他", view["budget_other"]), ("合计(申请金额)", view["requested_amount"])],
                          columns=list(BUDGET))
    budget["amount"] = budget["amount"].map(money)
    c1, c2 = st.columns(2)
    c1.dataframe(budget.rename(columns=BUDGET), hide_index=True)
    stones = pd.DataFrame(view["milestones"], columns=list(MILESTONES))
    c2.dataframe(pd.DataFrame({"due_date": stones["due_date"].map(date_text), "deliverable": stones["deliverable"].fillna("—")})
                 .rename(columns=MILESTONES), hide_index=True)
    st.caption(f"{APP['planned_beneficiaries']}:{number(view['planned_beneficiaries'])}")


def _live_total(key: str, crit: list[dict]) -> None:
    scores = {c["id"]: st.session_state.get(f"{key}::score_{c['id']}") for c in crit}
    outside = [c["name"] for c in crit if scores[c["id"]] is not None
               and not 0 <= float(scores[c["id"]]) <= float(c["max_score"])]
    total = None if outside else rubrics.weighted_total(scores, crit)
    filled = sum(v is not None for v in scores.values())
    st.metric("加权总分(百分制)", rubrics.score_text(total), help=f"已填写 {filled}/{len(crit)} 项")
    # always one line here, so the form below does not move while the reviewer types
    st.caption(("超出满分范围:" + "、".join(outside)) if outside else "各项得分须在0到满分之间。")


def _task_table(tasks: pd.DataFrame) -> None:
    state = tasks["review_status"].map(reviews.state_words)
    recused = tasks["assignment_status"] == "recused"
    state[recused] = tasks["assignment_status"][recused].map(assignment.STATUS_WORDS)
    shown = tasks.assign(state=state, deadline=tasks["deadline"].map(date_text), total=tasks["total"].map(rubrics.score_text))
    st.dataframe(shown[list(reviews.TASK_COLUMNS)].rename(columns=reviews.TASK_COLUMNS), hide_index=True, width="stretch")


@settled
def render() -> None:
    who = require("my_reviews")
    st.title("我的评审")
    show_flash()
    tasks = reviews.my_assignments(who.username)
    if tasks.empty:
        st.info("目前没有分配给您的评审任务。")
        return
    _task_table(tasks)
    labels = {int(r.assignment_id): f"{r.assignment_id} · {r.title}" for r in tasks.itertuples()}
    chosen = st.selectbox("打开评审任务", list(labels), format_func=labels.get, index=None, placeholder="请选择评审任务",
                          key="task", bind="query-params")
    if chosen is None:
        return
    view = attempt(lambda: reviews.application_for_reviewer(int(chosen), who))  # refuses anything not assigned to this user
    if view is None:
        return
    task = view["task"]
    if task["status"] == "recused":
        st.warning(md(f"您已申报利益冲突并回避:{task['recused_reason']}"))
        return
    # the declaration before the application, in one slot that stays (empty) once it is confirmed: the application
    # keeps its place on the page, so 确认无利益冲突 adds the scoring form below it and does not draw it again
    slot = st.empty()
    if task["no_conflict_at"] is None:
        with slot.container():
            _declare(int(chosen), who)
        _show_application(view)
        return
    _show_application(view)
    st.divider()
    _scoring(int(chosen), view, who)


def _declare(chosen: int, who) -> None:
    st.info("开始评分前,请确认您与申报组织不存在利益冲突(担任理事、顾问、员工、志愿者,或近两年辅导过该组织等)。")
    if st.button("确认无利益冲突", type="primary", key=f"myrev:ok:{chosen}"):
        act(lambda: assignment.confirm_no_conflict(chosen, who), None, once=("no_conflict", chosen))
    st.markdown("**如存在利益冲突,请申报并回避:**")
    reason = st.text_input("申报利益冲突(说明情况)", key=f"myrev:why:{chosen}", placeholder="如:本人担任该组织理事")
    confirm_button(f"myrev:recuse:{chosen}", "申报回避",
                   "申报与该组织存在利益冲突并回避:回避后您不能再为该项目评分,工作人员会另行安排专家。",
                   lambda: assignment.recuse(chosen, reason, who), None, once=("recuse", chosen), primary=False)


def _scoring(chosen: int, view: dict, who) -> None:
    rnd = view["round"]
    form = reviews.scoring_form(chosen, rnd)  # criteria, stored review and values, schema: three reads in all
    crit, review = form["criteria"], form["review"]
    key = f"score:{chosen}"
    ck, pending_key = f"{key}:submit", f"{key}::__pending"
    st.caption(f"评审截止:{date_text(rnd['review_end'])}。" + ("可打半分。" if rnd["half_points"] else "请打整数分。")
               + "单项得分低于满分60%时须填写评语。")
    if review is not None and review["status"] == "submitted":
        cancel(ck)
        st.session_state.pop(pending_key, None)
        st.success(f"已于 {review['submitted_at']:%Y-%m-%d %H:%M} 提交,加权总分 {rubrics.score_text(review['total'])},"
                   f"推荐意见:{review['recommendation'] or '—'}。")
        st.dataframe(pd.DataFrame(reviews.pending_rows(rnd["id"], form["values"], crit=crit)), hide_index=True,
                     width="stretch")
        return
    if review is not None and review.get("reopened_reason"):
        st.warning(md(f"工作人员已重新开放本评分:{review['reopened_reason']}"))
    if asking(ck) and pending_key in st.session_state:
        _confirm_submission(chosen, view, crit, st.session_state[pending_key], ck, who)
        return
    cancel(ck)
    if pending_key in st.session_state:
        # back from the confirmation (取消, or a refusal): the form shows exactly what was typed
        for name, value in st.session_state.pop(pending_key).items():
            st.session_state[f"{key}::{name}"] = value
    draft_schema = form["draft_schema"]
    load(key, form["values"], draft_schema, token=(chosen, review["updated_at"] if review else None))
    _live_total(key, crit)

    def save(values: dict) -> str:
        total = reviews.save(chosen, values, who, submit=False)
        return "草稿已保存" + ("" if total is None else f",当前加权总分 {rubrics.score_text(total)}")

    def submit(values: dict) -> None:
        # checked now (the errors show under their fields, nothing is stored); written only on 确认
        reviews.check_submission(chosen, values, who)
        st.session_state[pending_key] = dict(values)
        ask(ck)

    schema_form(draft_schema, key, save, submit_label=DRAFT, extra_actions={SUBMIT: submit},
                clear_on_success=False, columns=2, live=True)
    st.caption("「提交评分」前会请您确认;提交后不能再修改,如需更正须请工作人员重新开放。")


def _confirm_submission(chosen: int, view: dict, crit: list[dict], values: dict, ck: str, who) -> None:
    """The checked scores, read-only, and the confirmation box: written only on 确认提交评分."""
    total = rubrics.weighted_total({c["id"]: values.get(f"score_{c['id']}") for c in crit}, crit)
    st.markdown("**您将提交以下评分:**")
    st.dataframe(pd.DataFrame(reviews.pending_rows(view["round"]["id"], values, crit=crit)), hide_index=True,
                 width="stretch")
    confirm_box(ck, SUBMIT,
                f"提交对「{view['title']}」的评分:加权总分 {rubrics.score_text(total)},"
                f"总体推荐意见:{values.get('recommendation') or '—'}。提交后您不能再修改;如需更正,须请工作人员重新开放。",
                lambda: reviews.save(chosen, values, who, submit=True), None, once=("submit", chosen))


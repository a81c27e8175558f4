"""我的评审 (reviewers): only the expert's own assignments; confirm no conflict or recuse; score the
application with the round's rubric (live total), save a draft, submit once."""
import pandas as pd
import streamlit as st

from core import assignment, reviews, rubrics
from core.errors import HubError
from core.ui.forms import load, schema_form
from core.ui.session import require
from core.ui.text import md

STATUS = {None: "未开始", "draft": "草稿", "submitted": "已提交"}


def _show_application(view: dict) -> None:
    st.subheader(md(view["title"]))
    st.caption(md(f"申报组织:{view['org']} · 类别:{view['category']} · 服务社区:{'、'.join(view['communities'] or [])}"))
    for label, key in (("项目简介", "summary"), ("需求分析", "needs_analysis"), ("服务对象", "target_group"),
                       ("计划开展的活动", "planned_activities"), ("配套资金说明", "cofunding_note")):
        if view.get(key):
            st.markdown(f"**{label}**")
            st.text(str(view[key]))
    budget = pd.DataFrame([("人员", view["budget_personnel"]), ("物资", view["budget_materials"]),
                           ("场地", view["budget_venue"]), ("宣传", view["budget_publicity"]),
                           ("其他", view["budget_other"]), ("合计(申请金额)", view["requested_amount"])],
                          columns=["预算科目", "金额(元)"])
    c1, c2 = st.columns(2)
    c1.dataframe(budget, hide_index=True)
    c2.dataframe(pd.DataFrame(view["milestones"], columns=["due_date", "deliverable"])
                 .rename(columns={"due_date": "日期", "deliverable": "交付成果"}), hide_index=True)
    st.caption(f"计划服务人次:{view['planned_beneficiaries']}")


def _live_total(key: str, crit: list[dict]) -> None:
    scores = {c["id"]: st.session_state.get(f"{key}::score_{c['id']}") for c in crit}
    outside = [c["name"] for c in crit if scores[c["id"]] is not None
               and not 0 <= float(scores[c["id"]]) <= float(c["max_score"])]
    total = None if outside else rubrics.weighted_total(scores, crit)
    filled = sum(v is not None for v in scores.values())
    st.metric("加权总分(百分制)", "—" if total is None else f"{total:.2f}", help=f"已填写 {filled}/{len(crit)} 项")
    # always one line here, so the form below does not move while the reviewer types
    st.caption(("超出满分范围:" + "、".join(outside)) if outside else "各项得分须在0到满分之间。")


def render() -> None:
    who = require("my_reviews")
    st.title("我的评审")
    tasks = reviews.my_assignments(who.username)
    if tasks.empty:
        st.info("目前没有分配给您的评审任务。")
        return
    shown = tasks.assign(状态=tasks["review_status"].map(lambda s: STATUS.get(s, s) if isinstance(s, str) else "未开始"))
    shown.loc[shown["assignment_status"] == "recused", "状态"] = "已回避"
    st.dataframe(shown[["assignment_id", "title", "category", "round", "deadline", "状态", "total"]].rename(columns={
        "assignment_id": "任务编号", "title": "项目名称", "category": "类别", "round": "批次", "deadline": "截止日期",
        "total": "加权总分"}), hide_index=True, width="stretch",
        column_config={"截止日期": st.column_config.DateColumn(format="YYYY-MM-DD")})  # a DATE, not midnight
    labels = {int(r.assignment_id): f"{r.assignment_id} · {r.title}" for r in tasks.itertuples()}
    chosen = st.selectbox("打开评审任务", list(labels), format_func=labels.get, index=None, placeholder="请选择",
                          key="myrev:chosen")
    if chosen is None:
        return
    try:
        view = reviews.application_for_reviewer(int(chosen), who)  # refuses anything not assigned to this user
    except HubError as exc:
        st.error(md(exc))
        return
    task = view["task"]
    if task["status"] == "recused":
        st.warning(md(f"您已申报利益冲突并回避:{task['recused_reason']}"))
        return
    if task["no_conflict_at"] is None:
        st.info("开始评分前,请确认您与申报组织不存在利益冲突(担任理事、顾问、员工、志愿者,或近两年辅导过该组织等)。")
        c1, c2 = st.columns(2)
        if c1.button("确认无利益冲突", type="primary", key=f"myrev:ok:{chosen}"):
            _try(lambda: assignment.confirm_no_conflict(int(chosen), who))
        reason = c2.text_input("申报利益冲突(说明情况)", key=f"myrev:why:{chosen}")
        if c2.button("申报冲突并回避", key=f"myrev:recuse:{chosen}"):
            _try(lambda: assignment.recuse(int(chosen), reason, who))
        _show_application(view)
        return
    _show_application(view)
    st.divider()
    rnd = view["round"]
    crit = rubrics.criteria(rnd["id"])
    review = reviews.review_of(int(chosen))
    key = f"score:{chosen}"
    st.caption(f"评审截止:{rnd['review_end']}。" + ("可打半分。" if rnd["half_points"] else "请打整数分。")
               + "单项得分低于满分60%时须填写评语。")
    if review is not None and review["status"] == "submitted":
        st.success(f"已于 {review['submitted_at']:%Y-%m-%d %H:%M} 提交,加权总分 {review['total']:.2f},推荐意见:{review['recommendation']}。")
        st.dataframe(pd.DataFrame([{"评分项": c["name"], "满分": c["max_score"],
                                    "得分": reviews.form_values(int(chosen)).get(f"score_{c['id']}"),
                                    "评语": reviews.form_values(int(chosen)).get(f"comment_{c['id']}")} for c in crit]),
                     hide_index=True)
        return
    if review is not None and review.get("reopened_reason"):
        st.warning(md(f"工作人员已重新开放本评分:{review['reopened_reason']}"))
    draft_schema = reviews.schema_for(rnd["id"], submit=False)
    load(key, reviews.form_values(int(chosen)), draft_schema, token=(chosen, review["updated_at"] if review else None))
    _live_total(key, crit)

    def save(values: dict) -> str:
        total = reviews.save(int(chosen), values, who, submit=False)
        return "草稿已保存" + ("" if total is None else f",当前加权总分 {total:.2f}")

    def submit(values: dict) -> None:
        # None: the read-only view drawn on the rerun says it was submitted, with the total; a message kept
        # for a form that is no longer drawn would show up stale if staff reopen the review later
        reviews.save(int(chosen), values, who, submit=True)

    schema_form(draft_schema, key, save, submit_label="保存草稿", extra_actions={"提交评分(提交后不能修改)": submit},
                clear_on_success=False, columns=2, live=True)


def _try(fn) -> None:
    try:
        fn()
    except HubError as exc:
        st.error(md(exc))
    else:
        st.rerun()

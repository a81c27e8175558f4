"""专家评审 for staff: expert profiles and affiliations, the rubric and assignments, and the
consolidation panel (statistics, 复评, ranking, recommendation, overrides, progress, export, sign-off)."""
import streamlit as st

from core import assignment, consolidation, reviewers, reviews, rounds, rubrics, workflow
from core.errors import HubError
from core.excel import XLSX_MIME
from core.ui.editor import frame, rows_from_state
from core.ui.forms import load, schema_form
from core.ui.session import require
from core.ui.text import md
from schemas.review import Affiliation, Override, ReviewerProfile

CRIT_COLS = ["name", "max_score", "weight", "guidance"]


def _try(fn, ok: str, rerun: bool = True) -> bool:
    try:
        fn()
    except HubError as exc:
        st.error(md(exc))
        return False
    st.session_state["review_admin:ok"] = ok
    if rerun:
        st.rerun()
    return True


def _flash() -> None:
    msg = st.session_state.pop("review_admin:ok", None)
    if msg:
        st.success(md(msg))


def _round_picker(key: str) -> dict | None:
    table = rounds.all_rounds()
    if table.empty:
        st.info("还没有创投批次。")
        return None
    names = dict(zip(table["id"], table["name"]))
    chosen = st.selectbox("创投批次", table["id"].tolist(), format_func=names.get, index=0, key=key)
    return rounds.get(int(chosen))


# ---- experts ------------------------------------------------------------------------------------
def experts() -> None:
    who = require("experts")
    st.title("评审专家")
    _flash()
    people = reviewers.reviewers()
    st.dataframe(people.rename(columns={"username": "账号", "name": "姓名", "title": "职称/身份", "employer": "工作单位",
                                        "expertise": "擅长领域", "load_cap": "评审上限"}), hide_index=True, width="stretch")
    st.caption("评审专家账号在「用户与角色」中创建(角色:评审专家)。")
    if people.empty:
        return
    names = dict(zip(people["username"], people["name"]))
    chosen = st.selectbox("选择专家", people["username"].tolist(), format_func=lambda u: f"{names[u]}({u})", index=None,
                          placeholder="请选择", key="experts:chosen")
    if chosen is None:
        return
    tab_profile, tab_aff = st.tabs(["专家档案", "关联组织(利益冲突)"])
    with tab_profile:
        prof = reviewers.profile(chosen) or {}
        load("expert_profile", prof, ReviewerProfile, token=(chosen, str(prof.get("updated_at"))))
        schema_form(ReviewerProfile, "expert_profile",
                    lambda v: (reviewers.save_profile(chosen, v, who), "已保存专家档案")[1],
                    submit_label="保存档案", clear_on_success=False)
    with tab_aff:
        aff = reviewers.affiliations(chosen)
        st.dataframe(aff.drop(columns=["username", "org_id"]).rename(columns={
            "id": "编号", "org": "组织", "relation": "关系", "note": "说明"}), hide_index=True, width="stretch")
        st.caption("登记后,自动和手动分配都不会把该组织的申报分给这位专家。")
        schema_form(Affiliation, f"affiliation:{chosen}",
                    lambda v: f"已登记关联(编号 {reviewers.add_affiliation(chosen, v, who)})", submit_label="登记关联")
        if not aff.empty:
            gone = st.selectbox("删除关联", aff["id"].tolist(), index=None, placeholder="选择要删除的关联",
                                format_func=lambda i: f"{i} · {aff.set_index('id').loc[i, 'org']}", key=f"aff:del:{chosen}")
            if gone is not None and st.button("删除", key=f"aff:delbtn:{chosen}"):
                _try(lambda: reviewers.remove_affiliation(int(gone), who), "已删除关联")


# ---- rubric and assignment -----------------------------------------------------------------------
def _rubric(r: dict, who) -> None:
    crit = rubrics.criteria(r["id"])
    frozen = rubrics.is_frozen(r["id"])
    total = sum(float(c["max_score"]) for c in crit)
    st.caption(f"满分合计 {total:g} / {float(r.get('rubric_total') or 100):g}。"
               + ("已有专家提交评分,评分细则已冻结。" if frozen else "可增删评分项;满分之和须等于总分。"))
    base = [{k: c[k] for k in CRIT_COLS} for c in crit] or rubrics.default_rows()
    key = f"rubric:{r['id']}"
    st.data_editor(frame(base, CRIT_COLS), key=key, num_rows="fixed" if frozen else "dynamic", disabled=frozen,
                   hide_index=True, width="stretch", column_config={
                       "name": st.column_config.TextColumn("评分项"), "max_score": st.column_config.NumberColumn("满分"),
                       "weight": st.column_config.NumberColumn("权重"), "guidance": st.column_config.TextColumn("评分要点")})
    if not frozen and st.button("保存评分细则", key=f"{key}:save"):
        _try(lambda: rubrics.set_rubric(r["id"], rows_from_state(base, CRIT_COLS, key), who), "已保存评分细则")


def assign() -> None:
    who = require("review_assign")
    st.title("评审分配")
    _flash()
    r = _round_picker("assign:round")
    if r is None:
        return
    with st.expander("评分细则", expanded=not rubrics.criteria(r["id"])):
        _rubric(r, who)
    st.subheader("自动分配")
    st.caption(f"每个项目 {r['reviewers_per_app']} 位专家;每位专家本批次最多 {r.get('load_cap') or 12} 个(专家档案可单独设置);"
               "有利益冲突的专家不会被分配;优先匹配擅长领域,并平衡工作量。")
    if st.button("生成分配方案", key="assign:plan"):
        st.session_state["assign:planned"] = (r["id"], assignment.plan_round(r["id"]))
    planned = st.session_state.get("assign:planned")
    pairs = planned[1].pairs if planned and planned[0] == r["id"] else []
    if planned and planned[0] == r["id"]:
        for app_id, why in planned[1].shortfalls:
            st.warning(md(f"项目 #{app_id} 专家不足:{why}"))
        if pairs and st.button(f"确认分配({len(pairs)} 个)", type="primary", key="assign:confirm"):
            st.session_state.pop("assign:planned", None)
            _try(lambda: assignment.confirm_plan(r["id"], pairs, who), f"已确认分配 {len(pairs)} 个评审任务")
    st.caption("分配矩阵:● 已分配 ○ 待确认 回避 = 专家已申报冲突")
    st.dataframe(assignment.matrix(r["id"], pairs), hide_index=True, width="stretch")

    st.subheader("手动分配")
    opts = applications_in_review(r["id"])
    c1, c2 = st.columns(2)
    app_id = c1.selectbox("项目", list(opts), format_func=opts.get, index=None, placeholder="请选择", key="assign:app")
    people = reviewers.reviewers()
    names = dict(zip(people["username"], people["name"]))
    expert = c2.selectbox("专家", list(names), format_func=lambda u: f"{names[u]}({u})", index=None,
                          placeholder="请选择", key="assign:expert")
    if st.button("分配", key="assign:manual", disabled=app_id is None or expert is None):
        _try(lambda: assignment.assign(int(app_id), expert, who), f"已把项目 #{app_id} 分配给 {expert}")
    if app_id is not None:
        current = assignment.for_application(int(app_id))
        st.dataframe(current.rename(columns={"id": "任务编号", "reviewer": "专家", "status": "分配状态",
                                             "no_conflict_at": "确认无冲突时间", "recused_reason": "回避原因",
                                             "review": "评分状态", "total": "总分"}), hide_index=True)
        removable = current[current["review"] != "submitted"]["id"].tolist()
        gone = st.selectbox("取消分配", removable, index=None, placeholder="选择任务", key="assign:remove")
        if gone is not None and st.button("取消该分配", key="assign:removebtn"):
            _try(lambda: assignment.unassign(int(gone), who), "已取消分配")


def applications_in_review(round_id: int) -> dict:
    from core import applications

    return dict(applications.options(round_id, states=assignment.REVIEW_STATES))


# ---- consolidation ------------------------------------------------------------------------------
def summary() -> None:
    who = require("review_summary")
    st.title("评审汇总")
    _flash()
    r = _round_picker("summary:round")
    if r is None:
        return
    locked = r["scores_locked_at"] is not None
    if locked:
        st.info(f"评分已于 {r['scores_locked_at']:%Y-%m-%d %H:%M} 由 {r['scores_locked_by']} 签字锁定。")
    tab_table, tab_progress, tab_actions = st.tabs(["汇总与排名", "评审进度", "复评、调整与签字"])
    t = consolidation.table(r["id"])
    with tab_table:
        if t.empty:
            st.caption("本批次还没有进入评审的项目。")
        else:
            st.caption("计分:" + ("去掉一个最高分和一个最低分后取平均(5份及以上)" if r["trimmed_mean"] else "平均分")
                       + f";极差超过 {r['discrepancy_threshold']:g} 分提示复评;同分时依次比较中位数、不推荐票数。")
            shown = t.assign(state=t["state"].map(workflow.state_label),
                             flagged=t["flagged"].map({True: "⚠ 分差过大", False: ""}),
                             recommended=t["recommended"].map({True: "是", False: "否"}))
            st.dataframe(shown.rename(columns=consolidation.LABELS), hide_index=True, width="stretch")
        st.download_button("导出专家评分汇总表(Excel)", data=lambda: consolidation.summary_workbook(r["id"]),
                           file_name=f"{r['name']}-专家评分汇总表.xlsx", mime=XLSX_MIME, key="summary:xlsx",
                           on_click="ignore")
    with tab_progress:
        st.dataframe(consolidation.progress(r["id"]), hide_index=True, width="stretch")
    with tab_actions:
        _actions(r, t, who, locked)


def _actions(r: dict, t, who, locked: bool) -> None:
    if st.button("把评分已全部提交的项目标为「评审完成」", key="summary:complete"):
        _try(lambda: consolidation.complete_reviews(r["id"], who), "已更新评审状态")
    if t.empty:
        return
    labels = {int(x.id): f"#{x.id} {x.title}({workflow.state_label(x.state)})" for x in t.itertuples()}
    st.subheader("复评")
    flagged = [int(i) for i in t[t["flagged"]]["id"]]
    target = st.selectbox("分差过大的项目", flagged, format_func=labels.get, index=None, placeholder="请选择",
                          key="summary:flagged")
    note = st.text_input("复评安排(增加的专家或会商意见)", key="summary:rnote")
    if st.button("送复评", key="summary:rereview", disabled=target is None):
        _try(lambda: consolidation.send_to_re_review(int(target), note, who), "已送复评;请在「评审分配」中增加专家")
    st.subheader("调整推荐")
    pick = st.selectbox("项目", list(labels), format_func=labels.get, index=None, placeholder="请选择", key="summary:ov")
    if pick is not None:
        schema_form(Override, f"override:{pick}",
                    lambda v: (consolidation.set_override(int(pick), v, who), "已记录调整")[1],
                    submit_label="保存调整", defaults={"recommended": True})
    st.subheader("重新开放评分")
    # chosen by project and expert: the review's own id is shown on no screen
    app_pick = st.selectbox("项目", list(labels), format_func=labels.get, index=None, placeholder="请选择",
                            key="summary:reopen_app")
    rows = assignment.for_application(int(app_pick)) if app_pick is not None else None
    done = {} if rows is None else {int(x.id): f"{x.reviewer}(加权总分 {x.total:.2f})"
                                    for x in rows[rows["review"] == "submitted"].itertuples()}
    task = st.selectbox("已提交的评分", list(done), format_func=done.get, index=None, placeholder="请选择",
                        key="summary:reopen_task")
    why = st.text_input("重新开放的原因", key="summary:reopen_why")
    if st.button("重新开放", key="summary:reopen", disabled=task is None):
        _try(lambda: reviews.reopen(int(reviews.review_of(int(task))["id"]), why, who),
             f"已重新开放 {done[int(task)]}对项目 #{app_pick} 的评分")
    st.subheader("签字锁定与推荐名单")
    if who.has("admin"):
        if not locked and st.button("签字锁定本批次评分", type="primary", key="summary:lock"):
            _try(lambda: consolidation.sign_off(r["id"], who), "已签字锁定")
        if locked:
            reason = st.text_input("解锁原因", key="summary:unlock_why")
            if st.button("解锁评分", key="summary:unlock"):
                _try(lambda: consolidation.unlock(r["id"], reason, who), "已解锁")
    else:
        st.caption("签字锁定由管理员办理。")
    if st.button("按推荐名单更新项目状态(推荐立项/不推荐)", key="summary:apply", disabled=not locked):
        _try(lambda: consolidation.apply_recommendation(r["id"], who), "已按推荐名单更新状态,请到「决定与公示」作出决定")

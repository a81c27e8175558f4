"""专家评审 for staff: expert profiles and affiliations, the rubric and assignments, and the
consolidation panel (statistics, 复评, ranking, recommendation, overrides, progress, export, sign-off).

People by name, projects by title; the round, the expert and the tab are in the URL (F5 and shared links
keep the place); an action's message is shown where the action was; irreversible steps ask first."""
import pandas as pd
import streamlit as st

from core.intake import rounds, rubrics, workflow
from core.platform import entities
from core.platform.excel import XLSX_MIME
from core.platform.formats import date as date_text, text as plain_text
from core.review import assignment, consolidation, reviewers, reviews
from core.ui.confirm import ask, asking, confirm_box, confirm_button
from core.ui.editor import child_editor, child_rows
from core.ui.forms import load, schema_form
from core.ui.session import act, require, settled, show_flash
from core.ui.text import md
from core.ui.tables import paged_table
from core.ui.documents import download_buttons
from schemas.columns import JOINED, SYSTEM, columns, label
from schemas.review import Affiliation, Criterion, FlagResolution, Override, ReopenReason, ReviewerProfile
from schemas.user import UserAccount

CRIT_COLS = ["name", "max_score", "weight", "guidance"]
EXPERT_COLUMNS = columns("name", "title", "employer", "expertise", "load_cap", "hub", "username", of=(UserAccount, ReviewerProfile),
                         computed={"hub": SYSTEM["hub_id"]})
AFFILIATION_COLUMNS = columns("org", "relation", "note", of=Affiliation)

def _why(reason: str | None) -> None:
    """Beside a disabled button: why it cannot do anything now (never a silent button)."""
    if reason:
        st.caption(md(reason))


def _round_picker() -> dict | None:
    table = rounds.all_rounds()
    if table.empty:
        st.info("还没有创投批次。")
        return None
    names = dict(zip(table["id"], table["name"]))
    chosen = st.selectbox(JOINED["round"], table["id"].tolist(), format_func=names.get, index=0, key="round",
                          bind="query-params", placeholder="请选择批次")
    return rounds.get(int(chosen))


# ---- experts ------------------------------------------------------------------------------------
@settled
def experts() -> None:
    who = require("experts")
    st.title("评审专家")
    def shown(page: pd.DataFrame) -> pd.DataFrame:
        page = page[list(EXPERT_COLUMNS)].astype(object).map(lambda v: "—" if pd.isna(v) else plain_text(v))
        return page.assign(load_cap=page["load_cap"].replace("—", "批次设置"))

    paged_table(reviewers.reviewer_rows(), "评审专家", key="experts:list", columns=EXPERT_COLUMNS, shown=shown)
    st.caption("评审专家账号在「用户与角色」中创建(角色:评审专家)。区、市级枢纽的专家属于其下每个街道枢纽的专家库,"
               "档案由专家所属枢纽维护。")
    people = reviewers.reviewers()  # the picker below offers every expert the list shows
    if people.empty:
        return
    names = dict(zip(people["username"], people["name"]))
    chosen = st.selectbox("选择专家", people["username"].tolist(), format_func=lambda u: f"{names[u]}({u})", index=None,
                          placeholder="请选择专家", key="expert", bind="query-params")
    if chosen is None:
        return
    own = reviewers.editable(chosen, who)
    if not own:
        st.info(f"{names[chosen]}属于「{reviewers.hub_of(chosen)}」的专家库(本枢纽共用,只读):档案和关联组织由该枢纽维护。")
    tab_profile, tab_aff = st.tabs(["专家档案", "关联组织(利益冲突)"], key="view", bind="query-params")
    with tab_profile:
        prof = reviewers.profile(chosen) or {}
        if not own:
            _profile_text(prof)
            return _affiliations_read(chosen, names[chosen], tab_aff)
        load("expert_profile", prof, ReviewerProfile, token=(chosen, str(prof.get("updated_at"))))
        schema_form(ReviewerProfile, "expert_profile",
                    lambda v: (reviewers.save_profile(chosen, v, who), f"已保存{names[chosen]}的专家档案")[1],
                    submit_label="保存档案", clear_on_success=False)
    with tab_aff:
        show_flash(("affiliations", chosen))
        aff = _affiliation_table(chosen, f"{names[chosen]}还没有登记关联组织。")
        schema_form(Affiliation, f"affiliation:{chosen}",
                    lambda v: (reviewers.add_affiliation(chosen, v, who), "已登记关联")[1], submit_label="登记关联")
        if not aff.empty:
            labels = {int(x.id): f"{x.org}({x.relation})" for x in aff.itertuples()}
            gone = st.selectbox("删除关联", list(labels), index=None, placeholder="选择要删除的关联",
                                format_func=labels.get, key=f"aff:del:{chosen}")
            if st.button("删除", key=f"aff:delbtn:{chosen}", disabled=gone is None,
                         help="请先选择要删除的关联" if gone is None else None):
                act(lambda: reviewers.remove_affiliation(int(gone), who), f"已删除关联:{labels[int(gone)]}",
                    once=("affiliation", int(gone)), where=("affiliations", chosen))


def _profile_text(prof: dict) -> None:
    """A shared expert's profile as text (another hub keeps it)."""
    heads = columns("title", "employer", "expertise", "communities", "load_cap", "notes", of=ReviewerProfile)
    rows = [{"项目": heads[k], "内容": plain_text(prof.get(k)) if k != "load_cap" or prof.get(k) else "批次设置"}
            for k in heads]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def _affiliations_read(chosen: str, name: str, tab) -> None:
    with tab:
        _affiliation_table(chosen, f"{name}没有登记与本枢纽组织的关联。")


def _affiliation_table(chosen: str, empty: str) -> pd.DataFrame:
    """The expert's affiliations (those the reader may see) and what they do; returns them."""
    aff = reviewers.affiliations(chosen)
    if aff.empty:
        st.caption(empty)
    else:
        st.dataframe(aff[list(AFFILIATION_COLUMNS)].rename(columns=AFFILIATION_COLUMNS).fillna("—"),
                     hide_index=True, width="stretch")
    st.caption("登记后,自动和手动分配都不会把该组织的申报分给这位专家。")
    return aff


# ---- rubric and assignment -----------------------------------------------------------------------
def _rubric(r: dict, who) -> None:
    crit = rubrics.criteria(r["id"])
    frozen = rubrics.is_frozen(r["id"])
    total = sum(float(c["max_score"]) for c in crit)
    show_flash(("rubric", r["id"]))
    st.caption(f"满分合计 {total:g} / {float(r.get('rubric_total') or 100):g}。"
               + ("已有专家提交评分,评分细则已冻结。" if frozen else "可增删评分项;满分之和须等于总分。"))
    base = [{k: c[k] for k in CRIT_COLS} for c in crit] or rubrics.default_rows()
    key = f"rubric:{r['id']}"
    # a fixed table with empty rows to fill (no English "Add row" toolbar)
    heads = columns(*CRIT_COLS, of=Criterion)
    kinds = {"max_score": st.column_config.NumberColumn, "weight": st.column_config.NumberColumn}
    child_editor(base, CRIT_COLS, key, disabled=frozen,
                 column_config={c: kinds.get(c, st.column_config.TextColumn)(heads[c]) for c in CRIT_COLS})
    if not frozen and st.button("保存评分细则", key=f"{key}:save"):
        act(lambda: rubrics.set_rubric(r["id"], child_rows(CRIT_COLS, key), who), "已保存评分细则",
            once=("rubric", r["id"], str(child_rows(CRIT_COLS, key))), where=("rubric", r["id"]))


def _send_waiting(r: dict, who) -> None:
    """The round's 审查合格 applications not yet sent to review: say so, and offer the step."""
    waiting = assignment.waiting(r["id"])
    if not waiting:
        return
    titles = "、".join(f"「{w['title']}」" for w in waiting)
    st.info(md(f"有 {len(waiting)} 个项目已通过资格审查(审查合格),但还没有送专家评审:{titles}。"
               "送审后才能为它们分配专家。"), icon=":material/info:")

    # short labels: the box's 确认… button has a narrow column (core/ui/confirm.py)
    confirm_button("assign:send", f"全部送审({len(waiting)} 个)",
                   f"把以上 {len(waiting)} 个审查合格的项目转为「专家评审中」,每个项目记入流转记录和审计日志。"
                   "送审后不能退回「审查合格」。", lambda: assignment.send_eligible_to_review(r["id"], who),
                   lambda n: f"已把 {n} 个项目送专家评审(状态:专家评审中);现在可以生成分配方案。",
                   once=("send", r["id"]), where=("plan", r["id"]))


@settled
def assign() -> None:
    who = require("review_assign")
    st.title("评审分配")
    r = _round_picker()
    if r is None:
        return
    with st.expander("评分细则", expanded=not rubrics.criteria(r["id"])):
        _rubric(r, who)
    st.subheader("自动分配")
    pool = reviewers.pool(r["id"])
    st.caption(f"专家库:本批次所属枢纽及其上级枢纽(区、市)的评审专家,共 {len(pool)} 位。"
               f"每个项目 {r['reviewers_per_app']} 位专家;每位专家本批次最多 {r.get('load_cap') or 12} 个(专家档案可单独设置;"
               "同期其他枢纽批次的任务一并计入);有利益冲突的专家不会被分配;优先匹配擅长领域,并平衡工作量。")
    with st.expander(f"本批次专家库({len(pool)} 位)"):
        st.dataframe(pool[["name", "hub"]].rename(columns={"name": EXPERT_COLUMNS["name"], "hub": EXPERT_COLUMNS["hub"]}),
                     hide_index=True, width="stretch")
    show_flash(("plan", r["id"]))
    _send_waiting(r, who)
    nothing = assignment.nothing_to_plan(r["id"])
    token = assignment.plan_token(r["id"])
    if st.button("生成分配方案", key="assign:plan", disabled=nothing is not None, help=nothing):
        st.session_state["assign:planned"] = (r["id"], token, assignment.plan_round(r["id"]))
    _why(nothing)
    planned = st.session_state.get("assign:planned")
    if planned and planned[:2] != (r["id"], token):
        planned = None  # another round, or the assignments changed since (e.g. this plan was confirmed): stale
    pairs = planned[2].pairs if planned else []
    if planned:
        titles = assignment.app_titles(r["id"])
        for app_id, why in planned[2].shortfalls:
            st.warning(md(f"{titles.get(app_id, f'项目(编号 {app_id})')}专家不足:{why}"))
        if pairs:
            st.info(f"分配方案:{len(pairs)} 个评审任务(下表中的 ○),确认后才生效。")
            c1, c2, _ = st.columns([2, 1, 4])
            if c1.button(f"确认分配({len(pairs)} 个)", type="primary", key="assign:confirm"):
                act(lambda: assignment.confirm_plan(r["id"], pairs, who), f"已确认分配 {len(pairs)} 个评审任务",
                    once=("confirm_plan", r["id"], token), where=("plan", r["id"]))
            if c2.button("放弃方案", key="assign:discard"):
                st.session_state.pop("assign:planned", None)
                st.rerun()
        elif not planned[2].shortfalls:
            st.info("没有需要分配的项目。")
    st.markdown("**分配矩阵**")
    m = assignment.matrix(r["id"], pairs)
    if m.empty:
        st.caption("本批次还没有进入专家评审的项目。")
    else:
        st.caption("● 已分配 ○ 方案中、待确认 回避 = 专家已申报利益冲突;「已分配」为每个项目已确认的专家人数。")
        st.dataframe(m, hide_index=True, width="stretch")
    _manual(r, who)


def _manual(r: dict, who) -> None:
    st.subheader("手动分配")
    show_flash(("manual", r["id"]))
    opts = applications_in_review(r["id"])
    if not opts:
        st.caption("本批次没有「专家评审中」或「复评中」的项目;项目送专家评审后才能分配专家。")
        return
    names = reviewers.person_names()
    people = [u for u in reviewers.pool(r["id"])["username"]]  # the round's pool: its hub's and the hubs above
    c1, c2 = st.columns(2)
    app_id = c1.selectbox("项目", list(opts), format_func=opts.get, index=None, placeholder="请选择项目", key="assign:app")
    expert = c2.selectbox("专家", people, format_func=lambda u: names.get(u, u), index=None,
                          placeholder="请选择专家", key="assign:expert")
    missing = "请先选择项目和专家。" if app_id is None or expert is None else None
    if st.button("分配", key="assign:manual", disabled=missing is not None, help=missing):
        act(lambda: assignment.assign(int(app_id), expert, who),
            f"已把{assignment.app_titles(r['id']).get(int(app_id))}分配给 {names.get(expert, expert)}",
            once=("assign", int(app_id), expert), where=("manual", r["id"]))
    _why(missing)
    if app_id is None:
        return
    current = assignment.for_application(int(app_id))
    if current.empty:
        st.caption("该项目还没有分配专家。")
        return
    shown = current.assign(
        status=current["status"].map(lambda s: assignment.STATUS_WORDS.get(s, s)),
        no_conflict_at=current["no_conflict_at"].map(date_text), recused_reason=current["recused_reason"].map(plain_text),
        review=current["review"].map(reviews.state_words),
        total=current["total"].map(rubrics.score_text))
    st.dataframe(shown[list(assignment.ASSIGNMENT_COLUMNS)].rename(columns=assignment.ASSIGNMENT_COLUMNS),
                 hide_index=True, width="stretch")
    removable = {int(x.id): x.name for x in current[current["review"] != "submitted"].itertuples()}
    if not removable:
        st.caption("该项目的专家都已提交评分,不能取消分配。")
        return
    gone = st.selectbox("取消分配", list(removable), format_func=removable.get, index=None, placeholder="请选择专家",
                        key="assign:remove")
    if gone is None:
        st.button("取消该分配", key="assign:removebtn", disabled=True, help="请先选择要取消分配的专家")
        _why("请先选择要取消分配的专家。")
        return
    confirm_button(f"assign:remove:{gone}", "取消该分配",
                   f"取消 {removable[int(gone)]} 对该项目的分配;该专家已保存的草稿评分(如有)将一并删除。",
                   lambda: reviews.unassign(int(gone), who), f"已取消 {removable[int(gone)]} 对该项目的分配",
                   once=("unassign", int(gone)), where=("manual", r["id"]))


def applications_in_review(round_id: int) -> dict:
    from core.intake import applications

    return dict(applications.options(round_id, states=assignment.REVIEW_STATES))


# ---- consolidation ------------------------------------------------------------------------------
@settled
def summary() -> None:
    who = require("review_summary")
    st.title("评审汇总")
    r = _round_picker()
    if r is None:
        return
    locked = r["scores_locked_at"] is not None
    if locked:
        st.info(f"评分已于 {r['scores_locked_at']:%Y-%m-%d %H:%M} 由 {reviewers.person(r['scores_locked_by'])} 签字锁定。")
    tab_table, tab_progress, tab_actions = st.tabs(["汇总与排名", "评审进度", "复评、调整与签字"], key="tab",
                                                   bind="query-params")
    t = consolidation.table(r["id"])
    with tab_table:
        if t.empty:
            st.caption("本批次还没有进入评审的项目。")
        else:
            st.caption("计分:" + ("去掉一个最高分和一个最低分后取平均(5份及以上)" if r["trimmed_mean"] else "平均分")
                       + f";极差超过 {r['discrepancy_threshold']:g} 分提示复评;同分时依次比较中位数、不推荐票数。")
            st.dataframe(consolidation.display(t), hide_index=True, width="stretch")
        st.download_button("导出专家评分汇总表(Excel)", data=lambda: consolidation.summary_workbook(r["id"]),
                           file_name=f"{r['name']}-专家评分汇总表.xlsx", mime=XLSX_MIME, key="summary:xlsx",
                           on_click="ignore")
    with tab_progress:
        board = consolidation.progress(r["id"])
        if board.empty:
            st.caption("本批次还没有分配评审任务。")
        else:
            st.dataframe(board, hide_index=True, width="stretch")
    with tab_actions:
        download_buttons("score_sheet", r["id"], who, key="summary:doc")  # the sheet to sign, Word / PDF
        _actions(r, t, who, locked)


def _actions(r: dict, t, who, locked: bool) -> None:
    st.subheader("评审完成")
    show_flash(("complete", r["id"]))
    ready = consolidation.ready_to_complete(r["id"])
    why = None if ready else "没有可标为「评审完成」的项目:仍在评审中的项目都还有专家未提交评分。"
    if st.button(f"把评分已全部提交的项目标为「评审完成」({len(ready)} 个)", key="summary:complete",
                 disabled=why is not None, help=why):
        act(lambda: consolidation.complete_reviews(r["id"], who), lambda n: f"已把 {n} 个项目标为「评审完成」",
            once=("complete", r["id"]), where=("complete", r["id"]))
    _why(why)
    if t.empty:
        return
    labels = {int(x.id): f"{x.title}(编号 {x.id},{workflow.state_label(x.state)})" for x in t.itertuples()}
    _re_review(r, t, labels, who, locked)
    st.subheader("调整推荐")
    pick = st.selectbox("项目", list(labels), format_func=labels.get, index=None, placeholder="请选择项目", key="summary:ov")
    if pick is not None:
        schema_form(Override, f"override:{pick}",
                    lambda v: (consolidation.set_override(int(pick), v, who), "已记录调整")[1],
                    submit_label="保存调整", defaults={"recommended": True})
    _reopen(r, labels, dict(zip(t["id"].astype(int), t["title"])), who, locked)
    _sign_off(r, t, who, locked)


def _re_review(r: dict, t, labels: dict, who, locked: bool) -> None:
    st.subheader("复评")
    show_flash(("re_review", r["id"]))
    flagged = [int(i) for i in t[t["flagged"].astype(bool)]["id"]]
    if not flagged:
        st.caption("本批次没有待处理的分差提示。")
        return
    st.caption("分差过大的项目须送复评并完成复评,或由管理员写明理由解除提示;处理完之前不能签字锁定评分。")
    target = st.selectbox("分差过大的项目", flagged, format_func=labels.get, index=None, placeholder="请选择项目",
                          key="summary:flagged")
    note = st.text_input("复评安排(增加的专家或会商意见)", key="summary:rnote", placeholder="如:增加两位专家会商")
    why = ("请先选择项目。" if target is None else
           "本批次评分已签字锁定:须先由管理员解锁评分,才能送复评。" if locked else None)
    if st.button("送复评", key="summary:rereview", disabled=why is not None, help=why):
        act(lambda: consolidation.send_to_re_review(int(target), note, who), "已送复评;请在「评审分配」中增加专家",
            once=("re_review", int(target)), where=("re_review", r["id"]))
    _why(why)
    if entities.may(who, consolidation.FLAG_RESOLUTION, "create") and target is not None:
        _resolve_flag(r, int(target), labels, who)


def _resolve_flag(r: dict, app_id: int, labels: dict, who) -> None:
    """An admin keeps the scores without 复评: a reason (the form keeps it on a refusal), then 确认."""
    st.markdown("**或:解除分差提示(管理员)**")
    key = f"summary:resolve:{app_id}"
    pending = f"{key}:checked"

    def check(values: dict) -> None:
        rec, _ = consolidation.check_flag_resolution(app_id, values, who)
        st.session_state[pending] = rec
        ask(key)

    schema_form(FlagResolution, key, check, submit_label="解除分差提示", clear_on_success=False)
    if asking(key) and pending in st.session_state:
        rec = st.session_state[pending]

        def resolve() -> None:
            consolidation.resolve_flag(app_id, rec, who)
            st.session_state.pop(pending, None)

        confirm_box(key, "解除", f"不送复评,采用{labels[app_id]}的现有评分并解除分差提示。理由:{rec['reason']}。"
                             "解除人、时间和理由记入审计日志,并显示在汇总表的「分差处理」中。", resolve,
                    f"已解除{labels[app_id]}的分差提示,理由已记入审计日志和专家评分汇总表",
                    once=("resolve_flag", app_id), where=("re_review", r["id"]))


def _reopen(r: dict, labels: dict, titles: dict, who, locked: bool) -> None:
    st.subheader("重新开放评分")
    show_flash(("reopen", r["id"]))
    if locked:
        st.caption("本批次评分已签字锁定;须先由管理员解锁,才能重新开放评分。")
        return
    # chosen by project and expert: the review's own id is shown on no screen
    app_pick = st.selectbox("项目", list(labels), format_func=labels.get, index=None, placeholder="请选择项目",
                            key="summary:reopen_app")
    rows = assignment.for_application(int(app_pick)) if app_pick is not None else None
    done = {} if rows is None else {int(x.id): f"{x.name}(加权总分 {rubrics.score_text(x.total)})"
                                    for x in rows[rows["review"] == "submitted"].itertuples()}
    who_only = {} if rows is None else dict(zip(rows["id"].astype(int), rows["name"]))
    task = st.selectbox("已提交的评分", list(done), format_func=done.get, index=None, placeholder="请选择评分",
                        key="summary:reopen_task")
    why_text = st.text_input(label("reason", of=ReopenReason), key="summary:reopen_why", placeholder="至少4个字,将告知专家并记入审计日志")
    why = ("请先选择项目。" if app_pick is None else
           "该项目还没有已提交的评分。" if not done else "请选择要重新开放的评分。" if task is None else None)
    if st.button("重新开放", key="summary:reopen", disabled=why is not None, help=why):
        act(lambda: reviews.reopen(int(reviews.review_of(int(task))["id"]), why_text, who),
            f"已重新开放{who_only[int(task)]}对「{titles[int(app_pick)]}」的评分,请专家修改后重新提交",
            once=("reopen", int(task)), where=("reopen", r["id"]))
    _why(why)


def _sign_off(r: dict, t, who, locked: bool) -> None:
    st.subheader("签字锁定与推荐名单")
    here = ("sign_off", r["id"])
    show_flash(here)
    if entities.may(who, rounds.ROUND, "update"):  # signing off and unlocking the scores change the round
        if not locked:
            confirm_button("summary:lock", "签字锁定评分", consequence=consolidation.sign_off_consequence(r["id"]),
                           fn=lambda: consolidation.sign_off(r["id"], who), ok="已签字锁定本批次评分。",
                           once=("lock", r["id"]), where=here, disabled_reason=consolidation.flags_refusal(r["id"]))
        else:
            reason = st.text_input("解锁原因", key="summary:unlock_why", placeholder="至少4个字,将记入审计日志")
            if st.button("解锁评分", key="summary:unlock"):
                act(lambda: consolidation.unlock(r["id"], reason, who), "已解锁评分", once=("unlock", r["id"]), where=here)
    else:
        st.caption("签字锁定由管理员办理。")
    todo = t[t["state"] == "reviewed"] if not t.empty else t
    yes = int(todo["recommended"].sum()) if not todo.empty else 0
    why = ("须先由管理员签字锁定评分,才能按推荐名单更新项目状态。" if not locked else
           "没有「评审完成」的项目可以更新。" if todo.empty else None)
    st.caption("按推荐名单把「评审完成」的项目转为「推荐立项」或「不推荐」:")
    confirm_button("summary:apply", "更新推荐状态",
                   f"把 {len(todo)} 个「评审完成」的项目按推荐名单转为「推荐立项」({yes} 个)或「不推荐」({len(todo) - yes} 个);"
                   "之后请到「决定与公示」作出决定。", lambda: consolidation.apply_recommendation(r["id"], who),
                   lambda done: f"已按推荐名单更新状态:推荐立项 {done[0]} 个,不推荐 {done[1]} 个;请到「决定与公示」作出决定。",
                   once=("apply", r["id"]), where=here, disabled_reason=why, primary=False)

"""动态监管: the project list and agreements, one project's file (agreement, ledger, money, evaluations,
warnings, timeline, dossier), the risk board, activity entry and import, the brand matrix and the
per-round monitoring rules. Thin screens: every figure and every rule is in core; each screen checks its
role first."""
import datetime as dt
from typing import Callable

import pandas as pd
import streamlit as st

from core.monitoring import brands, dossier, evaluations, ledger, money, monitoring_policy, projects, risks
from core.platform import formats, users
from core.resources import surveys  # 满意度调查: the evaluation item residents' satisfaction feeds
from core.resources import needs, publicity
from core.ui import beneficiaries as res_beneficiaries  # 服务对象: the project's counts and its 负责社工
from core.ui.documents import download_buttons  # 文书: Word / PDF of the agreement and the dossier
from core.ui.confirm import ask, asking, confirm_box, confirm_button
from core.ui.forms import load, reset, schema_form
from core.ui.imports import import_panel
from core.ui.links import page_link
from core.ui.listview import list_view
from core.ui.session import act, attempt, flash, require, show_flash, url_tabs
from core.ui.tables import table
from core.ui.text import md
from schemas.columns import label
from schemas.monitoring import (
    EVALUATION_KINDS, PROJECT_STATES, Activity, Agreement, Brand, Expense, MonitoringPolicy, ProjectMilestone, Release,
    RiskAck, ServicePoint,
)

# the columns each table shows, by name (their labels are declared once, beside the query in core)
ACTIVITY_COLUMNS = ledger.ACTIVITY_COLUMNS.without("id")
PHOTO_COLUMNS = ledger.PHOTO_COLUMNS.without("id")
TRANCHE_COLUMNS = money.TRANCHE_COLUMNS.without("id", "note")
EXPENSE_COLUMNS = money.EXPENSE_COLUMNS.without("id")
EXECUTION_COLUMNS = money.EXECUTION_COLUMNS
EVALUATION_COLUMNS = evaluations.EVALUATION_COLUMNS.pick(
    "kind_label", "eval_date", "method", "evaluator", "party", "total_score", "grade", "outcome_label", "recover_amount",
    "conclusion")
WARNING_COLUMNS = risks.WARNING_COLUMNS.pick("severity", "agreement_no", "title", "org", "rule", "detail", "ack_note",
                                             "ack_until", "ack_by")
PROJECT_WARNING_COLUMNS = risks.WARNING_COLUMNS.pick("acknowledged", *WARNING_COLUMNS)
DUE_COLUMNS = evaluations.DUE_COLUMNS.without("project_id")
MILESTONE_COLUMNS = projects.MILESTONE_COLUMNS.without("id")
BRAND_COLUMNS = publicity.OVERVIEW_COLUMNS.without("id")  # the brand's figures and its reach (宣传)
PUBLICITY_COLUMNS = publicity.RECORD_COLUMNS.without("id")
POINT_COLUMNS = brands.POINT_COLUMNS.without("id")


def _shown(df: pd.DataFrame, columns: dict) -> pd.DataFrame:
    """Only the columns people read, in the declared order (ids and codes stay out of the table)."""
    return df[[c for c in columns if c in df.columns]]


def _money(v) -> str:
    return formats.money(v)


def _pct(v) -> str:
    return formats.EMPTY if formats.is_empty(v) else f"{float(v):.0f}%"


# ``st.file_uploader`` writes "Upload" and "200MB per file • JPG, PNG…" in English and has no parameter for them:
# inside a container keyed ``photo-upload-…`` the English is hidden and Chinese drawn instead (as core.ui.imports)
PHOTO_UPLOADER_CSS = """<style>
[class*="st-key-photo-upload-"] [data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p,
[class*="st-key-photo-upload-"] [data-testid="stFileUploaderDropzoneInstructions"] span {
  visibility: hidden; font-size: 0; }
[class*="st-key-photo-upload-"] [data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
  content: "选择照片"; visibility: visible; font-size: 0.875rem; }
[class*="st-key-photo-upload-"] [data-testid="stFileUploaderDropzoneInstructions"] span::after {
  content: "仅限 JPG、PNG、WebP 图片"; visibility: visible; font-size: 0.75rem; }
</style>"""

PROJECT_TABS = ["协议与里程碑", "服务台账", "资金", "评估", "预警", "宣传报道", "项目动态"]


def _table(df: pd.DataFrame, name: str, *, key: str, columns: dict, empty: str) -> None:
    """A table, or one line saying there is nothing yet (an empty grid only says "empty", in English)."""
    with st.container():  # one element either way: what follows keeps its place (an open expander stays open)
        if df.empty:
            st.caption(empty)
        else:
            table(df, name, key=key, columns=columns)


def _confirmed_form(model, key: str, check, write, *, action: str, consequence, ok, submit_label: str,
                    **form) -> None:
    """A form whose submit cannot be undone: 提交 validates everything (``check(values)`` raises like the
    write would; nothing is stored) and keeps the values; a box then says what will happen and that it
    cannot be undone; only its 确认 writes (once: the box closes on the first click)."""
    def on_submit(values: dict) -> None:
        checked = check(values)
        st.session_state[f"{key}:checked"] = (values, checked)
        ask(key)

    schema_form(model, key, on_submit, submit_label=submit_label, clear_on_success=False, **form)
    if asking(key) and f"{key}:checked" in st.session_state:
        values, checked = st.session_state[f"{key}:checked"]
        confirm_box(key, action, consequence(checked), lambda: write(values), ok(checked))


# ==== 项目监管: list + agreements ===================================================================
def project_list() -> None:
    who = require("projects")
    st.title("项目监管")
    tab_list, tab_sign = url_tabs(["立项项目", "签订资助协议"])
    with tab_list:
        only_warned = st.toggle("只看有未处理预警的项目", key="projects:warned")
        if only_warned:
            board = risks.board()
            if board.empty:
                st.success("目前没有未处理的预警。")
            else:
                ids = sorted(set(int(i) for i in board["project_id"]))
                st.caption(f"{len(ids)} 个项目有未处理的预警(共 {len(board)} 条),在「风险预警」中逐条处理。")
                for pid in ids:
                    rows = board[board["project_id"] == pid]
                    first = rows.iloc[0]
                    page_link("project", f"{first['agreement_no']} {first['title']}:"
                              + "、".join(f"{r.severity}·{r.rule}" for r in rows.itertuples()), id=pid)
        else:
            selected = list_view(projects.LIST_VIEW, "projects", title="立项项目")
            if selected is not None:
                from schemas import choices

                page_link("project", f"打开项目档案:{choices.label('projects', int(selected))}", id=int(selected))
            else:
                st.caption("在表格中选择一个项目,打开它的档案:协议、服务台账、资金、评估、预警和动态。")
    with tab_sign:
        _sign(who)


def _sign(who) -> None:
    done = st.session_state.pop("sign:done", None)
    if done is not None:
        from schemas import choices

        page_link("project", f"打开刚签订的项目档案:{choices.label('projects', done)}", id=done)
    waiting = projects.awaiting_agreement()
    if waiting.empty:
        st.info("所有已立项资助的项目都已签订资助协议。")
        return
    labels = {int(r.id): f"{r.title}({r.org},{r.round},资助 {_money(r.granted_amount)} 元)" for r in waiting.itertuples()}
    if st.session_state.get("sign:app") not in labels:
        st.session_state.pop("sign:app", None)
    chosen = st.selectbox("待签协议的立项项目", list(labels), format_func=labels.get, index=None,
                          placeholder="请选择", key="sign:app")
    if chosen is None:
        st.caption(f"{len(labels)} 个已立项资助的项目尚未签订资助协议。")
        return
    key = f"sign:{chosen}"
    load(key, projects.agreement_defaults(int(chosen)), Agreement, token=int(chosen))
    st.caption("默认值来自申报书和批次设置:资助金额按申报预算比例分配到各科目;里程碑沿用申报书;"
               "按本批次的监管规则生成分期拨付计划。")

    def save(values: dict) -> None:
        pid = projects.sign_agreement(int(chosen), values, who)
        flash(f"已签订资助协议(协议编号 {projects.get(pid)['agreement_no']}),已生成分期拨付计划")
        st.session_state["sign:done"] = pid
        st.session_state.pop("sign:app", None)

    schema_form(Agreement, key, save, submit_label="签订协议")


# ==== 项目档案 =======================================================================================
def _query_id() -> int | None:
    raw = st.query_params.get("id", "")
    return int(raw) if raw.isdigit() else None


def project_page() -> None:
    who = require("project")
    st.title("项目档案")
    from schemas import choices

    ids = choices.get("projects")
    current = _query_id()
    chosen = st.selectbox("立项项目", ids, format_func=lambda v: choices.label("projects", v),
                          index=ids.index(current) if current in ids else None, placeholder="选择或搜索项目",
                          key="project:chosen")
    if chosen is None:
        show_flash()
        st.caption("选择一个立项项目查看它的完整档案。")
        return
    st.query_params["id"] = str(chosen)
    p = attempt(lambda: projects.get(int(chosen)))
    if p is None:
        return
    _header(p)
    download_buttons("agreement", p["id"], who, key="project:agreement")  # 文书 (core.documents)
    download_buttons("dossier", p["id"], who, key="project:dossier-doc")
    # Only the open tab draws what is read-only (tables, figures); what a person types into (forms, pickers)
    # is drawn in every tab on every run, so nothing typed in one tab is lost by opening another. 宣传报道 and
    # 项目动态 hold nothing to type: drawn only while open (?tab= keeps the choice; a reload reopens it).
    tabs = url_tabs(PROJECT_TABS)
    with tabs[0]:
        _agreement_tab(p, who, tabs[0].open)
    with tabs[1]:
        _ledger_tab(p, who, tabs[1].open)
    with tabs[2]:
        _money_tab(p, who, tabs[2].open)
    with tabs[3]:
        _evaluation_tab(p, who, tabs[3].open)
    with tabs[4]:
        _warnings_tab(p, who, tabs[4].open)
    publicity_tab = tabs[PROJECT_TABS.index("宣传报道")]
    if publicity_tab.open:  # the project's posts and media reports (core.resources.publicity)
        with publicity_tab:
            _table(_shown(publicity.of_project(p["id"]), PUBLICITY_COLUMNS), f"宣传报道-{p['agreement_no']}",
                   key="project:publicity", columns=PUBLICITY_COLUMNS,
                   empty="该项目还没有宣传记录,可在「宣传台账」中登记。")
    timeline_tab = tabs[PROJECT_TABS.index("项目动态")]
    if timeline_tab.open:
        with timeline_tab:
            table(projects.readable(projects.timeline(p["id"]), people=["by_user"]),
                  f"项目动态-{p['agreement_no']}", key="project:timeline", columns=projects.TIMELINE_COLUMNS)


def _read_only(shown: bool, draw: Callable[[], None]) -> None:
    """A read-only part of a tab that also holds inputs: drawn only while its tab is open (a closed tab's
    table costs the browser its grid and the server its read). One container either way, so the inputs
    after it keep their places."""
    with st.container():
        if shown:
            draw()


def _header(p: dict) -> None:
    st.subheader(md(f"{p['title']}({p['agreement_no']})"))
    st.caption(md(f"{p['org']} · {p['round']} · {p['category']} · 品牌:{formats.text(p['brand'])} · "
                  f"执行期 {formats.date(p['start_date'])} 至 {formats.date(p['end_date'])} · "
                  f"服务社区:{formats.text(list(p['communities'] or []))}"))
    if answered := needs.answered_text("project", p["id"]):  # 需求动态跟踪 (core.resources.needs)
        st.caption(md(answered))
    prog = ledger.progress(p["id"])
    summ = money.summary(p["id"])
    c = st.columns(5)
    c[0].metric(projects.COLUMNS["state_label"], PROJECT_STATES.get(p["state"], p["state"]))
    c[1].metric(f"活动场次(计划 {formats.number(prog['planned_activities'])})", formats.number(prog["activities"]),
                help=f"已开展 / 计划;按进度应达 {prog['expected_activities']:,.0f} 场")
    c[2].metric(f"服务人次(计划 {formats.number(prog['planned_person_times'])})", formats.number(prog["person_times"]),
                help=f"已服务 / 计划;按进度应达 {prog['expected_person_times']:,.0f} 人次")
    c[3].metric("已拨付(元)", _money(summ["released"]), help=f"资助 {_money(summ['granted'])} 元")
    c[4].metric("经费执行率", _pct(summ["execution_pct"]), help=f"执行期已过 {_pct(summ['elapsed_pct'])}")
    if p["state"] in ("stopped", "terminated") and p.get("state_note"):
        st.warning(md(f"{PROJECT_STATES[p['state']]}:{p['state_note']}"))
    st.download_button("导出项目档案(Excel + 附件 zip)", data=lambda: dossier.zip_bytes(p["id"]),
                       file_name=f"档案_{p['agreement_no']}.zip", mime="application/zip",
                       icon=":material/folder_zip:", on_click="ignore", key="project:dossier")


def _agreement_tab(p: dict, who, shown: bool) -> None:
    res_beneficiaries.project_staff_panel(p, who)
    key = f"agreement:{p['id']}"
    load(key, p, Agreement, token=(p["id"], str(p.get("updated_at"))))
    schema_form(Agreement, key, lambda v: "已保存协议" if projects.update_agreement(p["id"], v, who) else "没有修改",
                submit_label="保存协议", changes_only=True, clear_on_success=False)
    st.markdown("**里程碑**")
    stones = projects.milestones(p["id"])
    _read_only(shown, lambda: _table(_shown(stones, MILESTONE_COLUMNS), f"里程碑-{p['agreement_no']}",
                                     key="project:stones", columns=MILESTONE_COLUMNS,
                                     empty="还没有里程碑,可在下方新增。"))
    with st.expander("登记完成 / 新增里程碑", key=f"stones:open:{p['id']}"):
        ids = [int(i) for i in stones["id"]] if not stones.empty else []
        labels = {int(r.id): f"{formats.date(r.due_date)} {r.deliverable}"
                  + (f"(已于 {formats.date(r.done_on)} 完成)" if not formats.is_empty(r.done_on) else "")
                  for r in stones.itertuples()}
        sel = st.selectbox("选择里程碑(编辑)", ids, format_func=labels.get, index=None,
                           placeholder="不选择则新增里程碑", key=f"stone:pick:{p['id']}")
        skey = f"stone:{p['id']}:{sel}"
        if sel is not None:
            row = stones[stones["id"] == sel].iloc[0].to_dict()
            load(skey, row, ProjectMilestone, token=sel)
            schema_form(ProjectMilestone, skey, lambda v: "已保存里程碑" if projects.update_milestone(sel, v, who)
                        else "没有修改", submit_label="保存里程碑", clear_on_success=False)
        else:
            schema_form(ProjectMilestone, skey,
                        lambda v: f"已新增里程碑:{(v.get('deliverable') or '').strip()}"
                        if projects.add_milestone(p["id"], v, who) else None,
                        submit_label="新增里程碑")


def _ledger_tab(p: dict, who, shown: bool) -> None:
    closed = p["state"] in ("terminated", "closed")
    acts = ledger.activities(p["id"]) if shown or not closed else None  # the photos' picker lists them too

    def figures() -> None:
        prog = ledger.progress(p["id"])
        c = st.columns(3)
        c[0].metric("活动进度", _pct(None if prog["activity_pace"] is None else 100 * prog["activity_pace"]),
                    help="已开展场次 ÷ 按执行期进度应达场次")
        c[1].metric("服务人次进度", _pct(None if prog["person_pace"] is None else 100 * prog["person_pace"]),
                    help="已服务人次 ÷ 按执行期进度应达人次")
        c[2].metric("最近一次活动", formats.date(prog["last_activity"]))
        res_beneficiaries.project_counts_line(p)
        _table(_shown(acts, ACTIVITY_COLUMNS), f"服务台账-{p['agreement_no']}", key="project:acts",
               columns=ACTIVITY_COLUMNS, empty="还没有登记服务活动。")
        if closed:
            st.caption(f"项目{PROJECT_STATES[p['state']]},不能再登记活动。")

    _read_only(shown, figures)
    if closed:
        return
    with st.expander("登记活动", key=f"acts:open:{p['id']}"):
        _activity_form(int(p["id"]), who, f"activity:{p['id']}")
    with st.expander("批量导入活动(Excel)", key=f"acts:import:open:{p['id']}"):
        spec = ledger.import_spec(p["id"])
        import_panel(spec, f"acts_import:{p['id']}", noun="活动", template_name="服务台账导入模板.xlsx",
                     commit=lambda plan: ledger.commit_import(spec, plan, who))
    with st.expander("活动照片", key=f"acts:photos:open:{p['id']}"):
        _photos(acts, who, p["id"])


def _activity_form(pid: int, who, key: str, **form) -> None:
    """The activity form of one project: its agreed communities offered first; another community is
    allowed and the saved message says it lies outside the agreement."""
    agreed = ledger.agreed_communities(pid)
    st.caption(md(f"带 * 的为必填项。本项目协议约定的服务社区:{formats.text(agreed)}(列在最前);"
                  "也可选择其他社区,标注为「协议外」。活动日期须在项目执行期内;服务人次不少于参与人数。"))
    schema = ledger.activity_form(pid)

    def save(values: dict) -> str:
        values = {**values, "project_id": pid}
        aid = ledger.add(values, who)
        note = ledger.outside_note(pid, values.get("community"))
        return f"已登记活动:{values.get('title') or ''}(编号 {aid})" + (f"。{note}" if note else "")

    schema_form(schema, key, save, submit_label="登记活动",
                fields=[n for n in Activity.to_schema().columns if n != "project_id"], **form)


def _photos(acts: pd.DataFrame, who, pid: int) -> None:
    if acts.empty:
        st.caption("还没有活动记录。")
        return
    labels = {int(r.id): f"{formats.date(r.activity_date)} {r.title}" for r in acts.itertuples()}
    aid = st.selectbox("活动", list(labels), format_func=labels.get, index=None, placeholder="选择活动",
                       key=f"photo:act:{pid}")
    if aid is None:
        return
    shown = ledger.photos(int(aid))
    if not shown.empty:
        table(projects.readable(_shown(shown, PHOTO_COLUMNS), people=["created_by"]),
              "活动照片", key=f"photo:list:{aid}", export=False, columns=PHOTO_COLUMNS)
    st.html(PHOTO_UPLOADER_CSS)
    with st.container(key=f"photo-upload-{aid}"):
        up = st.file_uploader("上传照片(JPG / PNG / WebP)", type=["jpg", "jpeg", "png", "webp"],
                              key=f"photo:file:{aid}")
    if up is None:
        st.button("保存照片", key=f"photo:save:{aid}", disabled=True, help="请先选择要上传的照片")
        st.caption("请先选择要上传的照片。")
    elif st.button("保存照片", key=f"photo:save:{aid}"):
        act(lambda: ledger.attach_photo(int(aid), up.name, up.getvalue(), who), f"已保存照片:{up.name}")


def _money_tab(p: dict, who, shown: bool) -> None:
    tr = money.tranches(p["id"])

    def tranches() -> None:
        st.markdown("**分期拨付**")
        table(_shown(tr, TRANCHE_COLUMNS),
              f"拨付记录-{p['agreement_no']}", key="project:tranches", columns=TRANCHE_COLUMNS)

    def spending() -> None:
        st.markdown("**经费执行率**")
        ex = money.execution(p["id"])
        table(_shown(ex, EXECUTION_COLUMNS),
              f"经费执行-{p['agreement_no']}", key="project:execution", columns=EXECUTION_COLUMNS)
        st.markdown("**经费支出**")
        _table(projects.readable(_shown(money.expenses(p["id"]), EXPENSE_COLUMNS), people=["created_by"]),
               f"经费支出-{p['agreement_no']}", key="project:expenses", columns=EXPENSE_COLUMNS,
               empty="还没有登记经费支出。")

    _read_only(shown, tranches)
    nxt = tr[tr["status"] == "planned"].sort_values("seq").head(1)
    if not nxt.empty:
        t = nxt.iloc[0]
        if not bool(t["releasable"]):
            st.info(md(f"第{int(t['seq'])}期暂不能拨付:{t['blocked_reason']}"))
        else:
            _release_form(int(t["id"]), int(t["seq"]), float(t["amount"]), who)
    _read_only(shown, spending)
    if p["state"] not in ("terminated", "closed"):
        with st.expander("登记支出", key=f"expense:open:{p['id']}"):
            schema_form(Expense, f"expense:{p['id']}",
                        lambda v: f"已登记支出 {formats.money(v.get('amount'))} 元(凭证号 {v.get('voucher_no')})"
                        if money.add_expense(p["id"], v, who) else None, submit_label="登记支出")


def _release_form(tid: int, seq: int, amount: float, who) -> None:
    st.markdown(f"**拨付第{seq}期**(计划 {_money(amount)} 元)")
    _confirmed_form(
        Release, f"release:{tid}", lambda v: money.check_release(tid, v, who), lambda v: money.release(tid, v, who),
        action="拨付", submit_label=f"拨付第{seq}期资金",
        consequence=lambda c: (f"拨付第{seq}期资金 {_money(c['released_amount'])} 元,拨付日期 "
                               f"{formats.date(c['released_on'])},审批人 {c['approver']}。拨付登记后不能撤回或修改,"
                               "并记入项目动态。"),
        ok=lambda c: f"已登记拨付第{seq}期资金 {_money(c['released_amount'])} 元",
        defaults={"released_on": dt.date.today(), "released_amount": amount})


def _evaluation_tab(p: dict, who, shown: bool) -> None:
    pid = int(p["id"])
    closed = p["state"] in ("terminated", "closed")

    def done() -> None:
        _table(_shown(evaluations.evaluations(pid), EVALUATION_COLUMNS), f"项目评估-{p['agreement_no']}",
               key="project:evals", columns=EVALUATION_COLUMNS, empty="还没有评估记录。")
        if closed:
            st.caption(f"项目{PROJECT_STATES[p['state']]},不能再评估。")

    _read_only(shown, done)
    if closed:
        return
    policy = monitoring_policy.policy_for_project(pid)
    st.caption(f"评分表满分 {policy.full_mark:g} 分;A ≥ {policy.grade_a:g},B ≥ {policy.grade_b:g},"
               f"合格等级:{'、'.join(policy.pass_grades)}(按本批次监管规则)。")
    kinds = list(EVALUATION_KINDS)
    first = 1 if evaluations.refusal(pid, "midterm") and not evaluations.refusal(pid, "final") else 0
    kind = st.radio(EVALUATION_COLUMNS["kind_label"], kinds, format_func=EVALUATION_KINDS.get, horizontal=True,
                    index=first, key=f"eval:kind:{pid}")
    refused = evaluations.refusal(pid, kind)
    if refused:
        st.info(md(f"现在不能录入{EVALUATION_KINDS[kind]}:{refused}。"))
    else:
        _evaluation_form(p, kind, policy, who)
    due = evaluations.due_reports()
    mine = due[due["project_id"] == pid] if not due.empty else due
    for r in mine.itertuples():
        st.warning(md(f"{r.kind_label}自评报告已逾期 {r.days_overdue} 天(截止 {formats.date(r.due)})。"))
        if r.past_grace:
            confirm_button(f"eval:missing:{r.kind}", f"按逾期未报处理:{r.kind_label}不合格并停止拨付",
                           f"记录{r.kind_label}不合格(逾期未报,0 分,C 等),项目停止拨付,直到重新评估通过。"
                           "这条评估记录不能删除或修改。",
                           lambda k=r.kind: evaluations.fail_missing_report(pid, k, who),
                           f"已记为{r.kind_label}不合格(逾期未报),停止拨付", primary=False)
    if p["state"] == "active":
        st.markdown("**结项**")
        confirm_button(f"eval:close:{pid}", "结项",
                       f"项目「{p['title']}」结项。结项后不能再登记活动、支出、拨付或评估,也不能恢复为执行中。",
                       lambda: evaluations.close(pid, who), "项目已结项",
                       disabled_reason=evaluations.close_refusal(pid))


def _evaluation_form(p: dict, kind: str, policy, who) -> None:
    """The evaluation form; a failed evaluation that terminates the project asks first (it cannot be undone)."""
    pid, label = int(p["id"]), EVALUATION_KINDS[kind]
    schema, fed = surveys.evaluation_form(pid, policy)  # the satisfaction item with the survey's result (core)
    ekey = f"eval:{pid}:{kind}"
    if fed is not None:
        st.info(md(fed["text"]), icon=":material/sentiment_satisfied:")

    def check(values: dict) -> dict | None:
        preview = evaluations.preview(pid, kind, values, who)
        if preview["outcome"] == "terminate":
            return preview
        eid = evaluations.record(pid, kind, values, who)  # not a termination: saved at once
        reset(ekey, schema)
        verdict = "通过" if preview["passed"] else "未通过,已停止拨付"
        flash(f"已保存{label}(编号 {eid}):{formats.number(preview['total'])} 分,{preview['grade']} 等,{verdict}")
        return None  # the callback ran before this run: the table and the tab's message show it

    def consequence(c: dict) -> str:
        cancelled = c["cancelled"]
        money_left = (f"未拨付的第{'、'.join(str(t['seq']) for t in cancelled)}期资金(共 "
                      f"{_money(sum(t['amount'] for t in cancelled))} 元)将取消," if cancelled else "")
        return (f"{label}得分 {formats.number(c['total'])} 分({c['grade']} 等,未通过),处理方式为终止项目:"
                f"项目「{p['title']}」将终止,{money_left}需追回资金 {_money(c['recover_amount'])} 元。"
                "终止后不能再登记活动、支出、拨付或评估,也不能恢复。")

    def on_submit(values: dict) -> None:
        c = check(values)
        if c is not None:
            st.session_state[f"{ekey}:checked"] = (values, c)
            ask(ekey)

    schema_form(schema, ekey, on_submit, submit_label=f"保存{label}", clear_on_success=False,
                defaults=None if fed is None or fed["score"] is None else {fed["field"]: fed["score"]})
    if asking(ekey) and f"{ekey}:checked" in st.session_state:
        values, c = st.session_state[f"{ekey}:checked"]
        confirm_box(ekey, "终止项目", consequence(c), lambda: evaluations.record(pid, kind, values, who),
                    f"已保存{label}:未通过,项目已终止")


def _warnings_tab(p: dict, who, shown: bool) -> None:
    w = risks.warnings(project_id=p["id"])

    def listed() -> None:
        if w.empty:
            st.success("该项目目前没有预警。")
            return
        rows = projects.readable(w.assign(acknowledged=w["acknowledged"].map({True: "已处理", False: "未处理"})),
                                 people=["ack_by"])
        table(_shown(rows, PROJECT_WARNING_COLUMNS), f"预警-{p['agreement_no']}",
              key="project:warnings", columns=PROJECT_WARNING_COLUMNS)

    _read_only(shown, listed)
    if not w.empty:
        _ack_form(w[~w["acknowledged"]], who, f"ack:{p['id']}")


def _ack_form(open_rows: pd.DataFrame, who, key: str) -> None:
    if open_rows.empty:
        return
    labels = {f"{int(r.project_id)}|{r.code}": f"{r.severity} · {r.agreement_no} · {r.rule}:{r.detail}"
              for r in open_rows.itertuples()}
    chosen = st.selectbox("处理预警", list(labels), format_func=labels.get, index=None, placeholder="选择要处理的预警",
                          key=f"{key}:pick")
    if chosen is None:
        return
    pid, code = chosen.split("|", 1)

    def save(values: dict) -> None:
        risks.acknowledge(int(pid), code, values, who)
        flash("已记录预警处理情况")

    schema_form(RiskAck, f"{key}:{chosen}", save, submit_label="确认处理",
                defaults={"until": dt.date.today() + dt.timedelta(days=14)})


# ==== 风险预警 =======================================================================================
def risk_board() -> None:
    who = require("risk_board")
    st.title("风险预警")
    show_flash()
    s = risks.summary()
    c = st.columns(4)
    c[0].metric("高", s.get("高", 0))
    c[1].metric("中", s.get("中", 0))
    c[2].metric("低", s.get("低", 0))
    c[3].metric("涉及项目", s.get("projects", 0))
    board = risks.board()
    if board.empty:
        st.success("目前没有未处理的预警。")
    else:
        table(_shown(projects.readable(board, people=["ack_by"]), WARNING_COLUMNS), "风险预警",
              key="risk:board", columns=WARNING_COLUMNS)
        with st.expander("打开项目档案", key="risk:links:open"):
            for pid, g in board.groupby("project_id", sort=False):
                first = g.iloc[0]
                page_link("project", f"{first['agreement_no']} {first['title']}({len(g)} 条)", id=int(pid))
        _ack_form(board, who, "risk:ack")
    due = evaluations.due_reports()
    if not due.empty:
        st.subheader("逾期未交的评估报告")
        table(_shown(due.assign(past_grace=due["past_grace"].map({True: "是", False: "否"})), DUE_COLUMNS),
              "逾期评估报告", key="risk:due", columns=DUE_COLUMNS)
    with st.expander("预警规则与阈值", key="risk:rules:open"):
        _rule_settings(who)


def _rule_settings(who) -> None:
    rows = risks.setting_rows()
    cols = risks.SETTING_COLUMNS
    if not risks.may_set(who):
        st.dataframe(rows.drop(columns=["code"]).rename(columns=cols), hide_index=True, width="stretch")
        st.caption(users.NOT_OPERATOR_SETTING if who.has("admin") else "修改阈值需要管理员权限。")
        return
    edited = st.data_editor(
        rows, key="risk:settings", hide_index=True, width="stretch", disabled=["code", "rule", "unit", "help"],
        column_config={
            "code": None, "rule": st.column_config.TextColumn(cols["rule"]),
            "severity": st.column_config.SelectboxColumn(cols["severity"], options=list(risks.SEVERITIES),
                                                         required=True),
            "threshold": st.column_config.NumberColumn(cols["threshold"], min_value=0.0, required=True),
            "unit": st.column_config.TextColumn(cols["unit"]), "enabled": st.column_config.CheckboxColumn(cols["enabled"]),
            "help": st.column_config.TextColumn(cols["help"])})
    if st.button("保存规则设置", key="risk:settings:save"):
        def save_all() -> None:
            for r in edited.itertuples():
                risks.save_setting(r.code, {"severity": r.severity, "threshold": float(r.threshold),
                                            "enabled": bool(r.enabled)}, who)
        act(save_all, "已保存预警规则设置")


# ==== 活动录入 =======================================================================================
def activity_entry() -> None:
    who = require("activity_entry")
    st.title("服务台账录入")
    from schemas import choices

    ids = choices.get("active_projects")
    raw = st.query_params.get("project", "")
    current = int(raw) if raw.isdigit() else None
    pid = st.selectbox(label("project_id", of=Activity), ids, format_func=lambda v: choices.label("active_projects", v),
                       index=ids.index(current) if current in ids else None, placeholder="选择或搜索执行中的项目",
                       key="entry:project", help="先选择项目,再登记活动或导入台账;表单只提供该项目协议约定的社区在前")
    if pid is None:
        st.query_params.pop("project", None)
    else:
        st.query_params["project"] = str(pid)
    tab_one, tab_import, tab_all = url_tabs(["登记活动", "批量导入", "全部活动"])
    with tab_one:
        if pid is None:
            st.info("请先在上方选择项目,再登记活动。")
        else:
            _activity_form(int(pid), who, f"activity_entry:{pid}", clear_on_success=False)
    with tab_import:
        if pid is None:
            st.info("请先在上方选择项目,再导入该项目的服务台账。")
        else:
            spec = ledger.import_spec(int(pid))
            import_panel(spec, f"acts_import_all:{pid}", noun="活动", template_name="服务台账导入模板.xlsx",
                         commit=lambda plan: ledger.commit_import(spec, plan, who))
    with tab_all:
        list_view(ledger.LIST_VIEW, "activities", title="服务台账", selectable=False)


# ==== 品牌矩阵 =======================================================================================
def brand_matrix() -> None:
    who = require("brands")
    st.title("品牌矩阵")
    ov = publicity.brand_overview()
    if ov.empty:  # a hub without brands yet (a new street's centre)
        st.info("本枢纽还没有品牌:可在下方「新建品牌」中创建核心品牌或特色品牌,再为品牌新增服务点。")
    else:
        table(_shown(ov, BRAND_COLUMNS), "品牌矩阵", key="brands:overview", columns=BRAND_COLUMNS)
    tab_points, tab_publicity, tab_new, tab_point = url_tabs(["服务点", "宣传报道", "新建品牌", "新增服务点"])
    with tab_points:
        labels = {int(r.id): r.name for r in ov.itertuples()}
        b = st.selectbox("品牌", list(labels), format_func=labels.get, index=None, placeholder="选择品牌", key="brands:pick")
        if b is not None:
            _table(_shown(brands.points(int(b)), POINT_COLUMNS), f"服务点-{labels[b]}",
                   key="brands:points", columns=POINT_COLUMNS,
                   empty="该品牌还没有服务点,可在「新增服务点」中添加。")
    with tab_publicity:  # the records behind 发布信息 / 媒体报道 / 阅读量合计
        labels = {int(r.id): r.name for r in ov.itertuples()}
        b = st.selectbox("品牌", list(labels), format_func=labels.get, index=None, placeholder="选择品牌",
                         key="brands:publicity")
        if b is not None:
            _table(_shown(publicity.of_brand(int(b)), PUBLICITY_COLUMNS), f"宣传报道-{labels[b]}",
                   key="brands:publicity:rows", columns=PUBLICITY_COLUMNS, empty="该品牌还没有宣传记录,可在「宣传台账」中登记。")
    with tab_new:
        schema_form(Brand, "brand_new", lambda v: f"已创建品牌:{v.get('name')}" if brands.create(v, who) else None,
                    submit_label="创建品牌")
    with tab_point:
        schema_form(ServicePoint, "point_new", lambda v: f"已新增服务点:{v.get('name')}" if brands.add_point(v, who)
                    else None, submit_label="新增服务点")


# ==== 监管规则 =======================================================================================
def policy() -> None:
    who = require("monitoring_policy")
    st.title("监管规则")
    show_flash()
    st.caption("每个创投批次的分期拨付比例与条件、评估等级线和评分表、科目超支容许幅度、报告逾期宽限。"
               "修改只影响之后签订的协议的拨付计划;评估按修改后的规则评分。")
    from schemas import choices

    rid = st.selectbox(label("round"), choices.get("rounds"), format_func=lambda v: choices.label("rounds", v), index=None,
                       placeholder="选择批次", key="policy:round")
    if rid is None:
        return
    pol = monitoring_policy.policy_for(int(rid))
    st.caption("当前使用:" + ("本批次自定义规则" if pol.stored else "默认规则(50% / 30% / 20%,A ≥ 85,B ≥ 60)"))
    key = f"policy:{rid}"
    load(key, pol.form_values(), MonitoringPolicy, token=(rid, pol.stored))

    def save(values: dict) -> str:
        monitoring_policy.save(int(rid), values, who)
        return "已保存监管规则"

    schema_form(MonitoringPolicy, key, save, submit_label="保存规则", clear_on_success=False)

"""动态监管: the project list and agreements, one project's file (agreement, ledger, money, evaluations,
warnings, timeline, dossier), the risk board, activity entry and import, the brand matrix and the
per-round monitoring rules. Thin screens: every figure and every rule is in core; each screen checks its
role first."""
import datetime as dt

import pandas as pd
import streamlit as st

from core import brands, dossier, evaluations, ledger, money, monitoring_policy, projects, risks
from core.errors import HubError
from core.excel import XLSX_MIME
from core.ui.forms import load, schema_form
from core.ui.imports import import_panel
from core.ui.links import page_link
from core.ui.listview import list_view
from core.ui.session import act, flash, require, show_flash
from core.ui.tables import table
from core.ui.text import md
from schemas.monitoring import (
    EVALUATION_KINDS, PROJECT_STATES, Activity, Agreement, Brand, Expense, MonitoringPolicy, ProjectMilestone, Release,
    RiskAck, ServicePoint,
)

ACTIVITY_COLUMNS = {"id": "编号", "activity_date": "活动日期", "community": "服务社区", "place": "地点", "kind": "活动类型",
                    "title": "活动主题", "participants": "参与人数", "person_times": "服务人次", "volunteers": "志愿者",
                    "notes": "备注", "photos": "照片"}
TRANCHE_COLUMNS = {"seq": "期次", "share": "比例(%)", "amount": "计划金额(元)", "gate_label": "拨付条件",
                   "planned_date": "计划日期", "status_label": "状态", "released_on": "拨付日期",
                   "released_amount": "拨付金额(元)", "approver": "审批人", "blocked_reason": "暂不能拨付的原因"}
EXPENSE_COLUMNS = {"expense_date": "支出日期", "line_label": "预算科目", "amount": "金额(元)", "description": "用途说明",
                   "voucher_no": "凭证号", "over_reason": "超支说明", "created_by": "登记人"}
EXECUTION_COLUMNS = {"label": "预算科目", "budget": "预算(元)", "spent": "已支出(元)", "rate": "执行率(%)"}
EVALUATION_COLUMNS = {"kind_label": "评估类型", "eval_date": "评估日期", "method": "评估方式", "evaluator": "评估人",
                      "total_score": "得分", "grade": "等级", "outcome_label": "结果", "recover_amount": "追回金额(元)",
                      "conclusion": "评估结论"}
WARNING_COLUMNS = {"severity": "严重程度", "agreement_no": "协议编号", "title": "项目名称", "org": "承接组织",
                   "rule": "预警规则", "detail": "情况", "ack_note": "处理说明", "ack_until": "跟进至", "ack_by": "处理人"}
TIMELINE_COLUMNS = {"happened_on": "日期", "event": "事项", "detail": "说明", "by_user": "经办人"}
DUE_COLUMNS = {"agreement_no": "协议编号", "title": "项目名称", "kind_label": "报告", "due": "截止日期",
               "days_overdue": "逾期天数", "past_grace": "已过宽限期"}
MILESTONE_COLUMNS = {"id": "编号", "due_date": "计划日期", "deliverable": "交付成果", "done_on": "完成日期", "note": "说明"}


def _shown(df: pd.DataFrame, columns: dict) -> pd.DataFrame:
    """Only the columns people read, in the declared order (ids and codes stay out of the table)."""
    return df[[c for c in columns if c in df.columns]]


def _money(v) -> str:
    return "—" if v is None or pd.isna(v) else f"{float(v):,.2f}"


def _pct(v) -> str:
    return "—" if v is None or pd.isna(v) else f"{float(v):.0f}%"


# ==== 项目监管: list + agreements ===================================================================
def project_list() -> None:
    who = require("projects")
    st.title("项目监管")
    show_flash()
    tab_list, tab_sign = st.tabs(["立项项目", "签订资助协议"])
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
                page_link("project", f"打开项目档案(编号 {selected})", id=int(selected))
            else:
                st.caption("在表格中选择一个项目,打开它的档案:协议、服务台账、资金、评估、预警和动态。")
    with tab_sign:
        _sign(who)


def _sign(who) -> None:
    done = st.session_state.pop("sign:done", None)
    if done is not None:
        page_link("project", f"打开刚签订的项目档案(编号 {done})", id=done)
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
        flash(f"已签订资助协议(项目编号 {pid}),已生成分期拨付计划")
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
    show_flash()
    from schemas import choices

    ids = choices.get("projects")
    current = _query_id()
    chosen = st.selectbox("立项项目", ids, format_func=lambda v: choices.label("projects", v),
                          index=ids.index(current) if current in ids else None, placeholder="选择或搜索项目",
                          key="project:chosen")
    if chosen is None:
        st.caption("选择一个立项项目查看它的完整档案。")
        return
    st.query_params["id"] = str(chosen)
    try:
        p = projects.get(int(chosen))
    except HubError as exc:
        st.error(md(exc))
        return
    _header(p)
    tabs = st.tabs(["协议与里程碑", "服务台账", "资金", "评估", "预警", "项目动态"])
    with tabs[0]:
        _agreement_tab(p, who)
    with tabs[1]:
        _ledger_tab(p, who)
    with tabs[2]:
        _money_tab(p, who)
    with tabs[3]:
        _evaluation_tab(p, who)
    with tabs[4]:
        _warnings_tab(p, who)
    with tabs[5]:
        table(projects.timeline(p["id"]), f"项目动态-{p['agreement_no']}", key="project:timeline",
              columns=TIMELINE_COLUMNS)


def _header(p: dict) -> None:
    st.subheader(md(f"{p['title']}({p['agreement_no']})"))
    st.caption(md(f"{p['org']} · {p['round']} · {p['category']} · 品牌:{p['brand'] or '—'} · "
                  f"执行期 {p['start_date']} 至 {p['end_date']} · 服务社区:{'、'.join(p['communities'] or [])}"))
    prog = ledger.progress(p["id"])
    summ = money.summary(p["id"])
    c = st.columns(5)
    c[0].metric("状态", PROJECT_STATES.get(p["state"], p["state"]))
    c[1].metric("活动场次", f"{prog['activities']} / {prog['planned_activities']}",
                help=f"按进度应达 {prog['expected_activities']:.0f} 场")
    c[2].metric("服务人次", f"{prog['person_times']:,} / {prog['planned_person_times']:,}",
                help=f"按进度应达 {prog['expected_person_times']:,.0f} 人次")
    c[3].metric("已拨付(元)", _money(summ["released"]), help=f"资助 {_money(summ['granted'])} 元")
    c[4].metric("经费执行率", _pct(summ["execution_pct"]), help=f"执行期已过 {_pct(summ['elapsed_pct'])}")
    if p["state"] in ("stopped", "terminated") and p.get("state_note"):
        st.warning(md(f"{PROJECT_STATES[p['state']]}:{p['state_note']}"))
    st.download_button("导出项目档案(Excel + 附件 zip)", data=lambda: dossier.zip_bytes(p["id"]),
                       file_name=f"档案_{p['agreement_no']}.zip", mime="application/zip",
                       icon=":material/folder_zip:", on_click="ignore", key="project:dossier")


def _agreement_tab(p: dict, who) -> None:
    key = f"agreement:{p['id']}"
    load(key, p, Agreement, token=(p["id"], str(p.get("updated_at"))))
    schema_form(Agreement, key, lambda v: "已保存协议" if projects.update_agreement(p["id"], v, who) else "没有修改",
                submit_label="保存协议", changes_only=True, clear_on_success=False)
    st.markdown("**里程碑**")
    stones = projects.milestones(p["id"])
    table(stones, f"里程碑-{p['agreement_no']}", key="project:stones", columns=MILESTONE_COLUMNS)
    with st.expander("登记完成 / 新增里程碑"):
        ids = [int(i) for i in stones["id"]] if not stones.empty else []
        labels = {int(r.id): f"{r.due_date} {r.deliverable}" for r in stones.itertuples()}
        sel = st.selectbox("选择里程碑(编辑)", ids, format_func=labels.get, index=None, placeholder="新增里程碑",
                           key=f"stone:pick:{p['id']}")
        skey = f"stone:{p['id']}:{sel}"
        if sel is not None:
            row = stones[stones["id"] == sel].iloc[0].to_dict()
            load(skey, row, ProjectMilestone, token=sel)
            schema_form(ProjectMilestone, skey, lambda v: "已保存里程碑" if projects.update_milestone(sel, v, who)
                        else "没有修改", submit_label="保存里程碑", clear_on_success=False)
        else:
            schema_form(ProjectMilestone, skey,
                        lambda v: f"已新增里程碑(编号 {projects.add_milestone(p['id'], v, who)})",
                        submit_label="新增里程碑")


def _ledger_tab(p: dict, who) -> None:
    prog = ledger.progress(p["id"])
    c = st.columns(3)
    c[0].metric("活动进度", _pct(None if prog["activity_pace"] is None else 100 * prog["activity_pace"]),
                help="已开展场次 ÷ 按执行期进度应达场次")
    c[1].metric("服务人次进度", _pct(None if prog["person_pace"] is None else 100 * prog["person_pace"]),
                help="已服务人次 ÷ 按执行期进度应达人次")
    c[2].metric("最近一次活动", str(prog["last_activity"] or "—"))
    acts = ledger.activities(p["id"])
    table(acts, f"服务台账-{p['agreement_no']}", key="project:acts", columns=ACTIVITY_COLUMNS)
    if p["state"] in ("terminated", "closed"):
        st.caption("项目已结束,不能再登记活动。")
        return
    with st.expander("登记活动"):
        akey = f"activity:{p['id']}"
        schema_form(Activity, akey, lambda v: f"已登记活动(编号 {ledger.add(v, who)})", submit_label="登记活动",
                    defaults={"project_id": p["id"]}, fields=[n for n in Activity.to_schema().columns])
    with st.expander("批量导入活动(Excel)"):
        spec = ledger.import_spec(p["id"])
        import_panel(spec, f"acts_import:{p['id']}", noun="活动", template_name="服务台账导入模板.xlsx",
                     commit=lambda plan: ledger.commit_import(spec, plan, who))
    with st.expander("活动照片"):
        _photos(acts, who, p["id"])


def _photos(acts: pd.DataFrame, who, pid: int) -> None:
    if acts.empty:
        st.caption("还没有活动记录。")
        return
    labels = {int(r.id): f"{r.activity_date} {r.title}" for r in acts.itertuples()}
    aid = st.selectbox("活动", list(labels), format_func=labels.get, index=None, placeholder="选择活动",
                       key=f"photo:act:{pid}")
    if aid is None:
        return
    shown = ledger.photos(int(aid))
    if not shown.empty:
        table(shown, "活动照片", key=f"photo:list:{aid}", export=False)
    up = st.file_uploader("上传照片(JPG / PNG / WebP)", type=["jpg", "jpeg", "png", "webp"], key=f"photo:file:{aid}")
    if up is not None and st.button("保存照片", key=f"photo:save:{aid}"):
        act(lambda: ledger.attach_photo(int(aid), up.name, up.getvalue(), who), "已保存照片")


def _money_tab(p: dict, who) -> None:
    tr = money.tranches(p["id"])
    st.markdown("**分期拨付**")
    table(_shown(tr, TRANCHE_COLUMNS), f"拨付记录-{p['agreement_no']}",
          key="project:tranches", columns=TRANCHE_COLUMNS)
    nxt = tr[tr["status"] == "planned"].sort_values("seq").head(1)
    if not nxt.empty:
        t = nxt.iloc[0]
        if not bool(t["releasable"]):
            st.info(md(f"第{int(t['seq'])}期暂不能拨付:{t['blocked_reason']}"))
        else:
            rkey = f"release:{int(t['id'])}"
            st.markdown(f"**拨付第{int(t['seq'])}期**(计划 {_money(t['amount'])} 元)")
            schema_form(Release, rkey, lambda v: _release(int(t["id"]), v, who), submit_label="确认拨付",
                        defaults={"released_on": dt.date.today(), "released_amount": float(t["amount"])})
    st.markdown("**经费执行率**")
    ex = money.execution(p["id"])
    table(_shown(ex, EXECUTION_COLUMNS), f"经费执行-{p['agreement_no']}",
          key="project:execution", columns=EXECUTION_COLUMNS)
    st.markdown("**经费支出**")
    table(_shown(money.expenses(p["id"]), EXPENSE_COLUMNS), f"经费支出-{p['agreement_no']}",
          key="project:expenses", columns=EXPENSE_COLUMNS)
    if p["state"] not in ("terminated", "closed"):
        with st.expander("登记支出"):
            schema_form(Expense, f"expense:{p['id']}",
                        lambda v: f"已登记支出(编号 {money.add_expense(p['id'], v, who)})", submit_label="登记支出")


def _release(tranche_id: int, values: dict, who) -> None:
    money.release(tranche_id, values, who)
    flash("已登记拨付")


def _evaluation_tab(p: dict, who) -> None:
    evs = evaluations.evaluations(p["id"])
    table(_shown(evs, EVALUATION_COLUMNS),
          f"项目评估-{p['agreement_no']}", key="project:evals", columns=EVALUATION_COLUMNS)
    if p["state"] in ("terminated", "closed"):
        return
    policy = monitoring_policy.policy_for_project(p["id"])
    st.caption(f"评分表满分 {policy.full_mark:g} 分;A ≥ {policy.grade_a:g},B ≥ {policy.grade_b:g},"
               f"合格等级:{'、'.join(policy.pass_grades)}(按本批次监管规则)。")
    kind = st.radio("评估类型", list(EVALUATION_KINDS), format_func=EVALUATION_KINDS.get, horizontal=True,
                    key=f"eval:kind:{p['id']}")
    schema = evaluations.form_schema(policy)
    ekey = f"eval:{p['id']}:{kind}"

    def save(values: dict) -> None:
        eid = evaluations.record(p["id"], kind, values, who)
        flash(f"已保存{EVALUATION_KINDS[kind]}(编号 {eid})")

    schema_form(schema, ekey, save, submit_label=f"保存{EVALUATION_KINDS[kind]}")
    due = evaluations.due_reports()
    mine = due[due["project_id"] == p["id"]] if not due.empty else due
    for r in mine.itertuples():
        st.warning(md(f"{r.kind_label}自评报告已逾期 {r.days_overdue} 天(截止 {r.due})。"))
        if r.past_grace and st.button(f"按逾期未报处理:{r.kind_label}不合格并停止拨付", key=f"eval:missing:{r.kind}"):
            act(lambda k=r.kind: evaluations.fail_missing_report(p["id"], k, who), "已记为评估不合格,停止拨付")
    if p["state"] == "active" and st.button("结项", key=f"eval:close:{p['id']}",
                                            help="末期评估通过且各期资金已拨付或取消后结项"):
        act(lambda: evaluations.close(p["id"], who), "项目已结项")


def _warnings_tab(p: dict, who) -> None:
    w = risks.warnings(project_id=p["id"])
    if w.empty:
        st.success("该项目目前没有预警。")
        return
    shown = w.assign(acknowledged=w["acknowledged"].map({True: "已处理", False: "未处理"}))
    table(_shown(shown, {"acknowledged": "处理状态", **WARNING_COLUMNS}), f"预警-{p['agreement_no']}",
          key="project:warnings", columns={"acknowledged": "处理状态", **WARNING_COLUMNS})
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
        table(_shown(board, WARNING_COLUMNS), "风险预警", key="risk:board", columns=WARNING_COLUMNS)
        with st.expander("打开项目档案"):
            for pid, g in board.groupby("project_id", sort=False):
                first = g.iloc[0]
                page_link("project", f"{first['agreement_no']} {first['title']}({len(g)} 条)", id=int(pid))
        _ack_form(board, who, "risk:ack")
    due = evaluations.due_reports()
    if not due.empty:
        st.subheader("逾期未交的评估报告")
        table(_shown(due, DUE_COLUMNS), "逾期评估报告", key="risk:due", columns=DUE_COLUMNS)
    with st.expander("预警规则与阈值"):
        _rule_settings(who)


def _rule_settings(who) -> None:
    current = risks.settings()
    rows = [{"code": r.code, "规则": r.label, "严重程度": current[r.code]["severity"],
             "阈值": float(current[r.code]["threshold"]), "单位": r.unit, "启用": bool(current[r.code]["enabled"]),
             "说明": r.help} for r in risks.RULES]
    df = pd.DataFrame(rows)
    if "admin" not in who.roles:
        st.dataframe(df.drop(columns=["code"]), hide_index=True, width="stretch")
        st.caption("修改阈值需要管理员权限。")
        return
    edited = st.data_editor(df, key="risk:settings", hide_index=True, width="stretch", disabled=["code", "规则", "单位", "说明"],
                            column_config={"code": None,
                                           "严重程度": st.column_config.SelectboxColumn(options=["高", "中", "低"], required=True),
                                           "阈值": st.column_config.NumberColumn(min_value=0.0, required=True)})
    if st.button("保存规则设置", key="risk:settings:save"):
        def save_all() -> None:
            for r in edited.itertuples():
                risks.save_setting(r.code, {"severity": r.严重程度, "threshold": float(r.阈值), "enabled": bool(r.启用)}, who)
        act(save_all, "已保存预警规则设置")


# ==== 活动录入 =======================================================================================
def activity_entry() -> None:
    who = require("activity_entry")
    st.title("服务台账录入")
    show_flash()
    tab_one, tab_import, tab_all = st.tabs(["登记活动", "批量导入", "全部活动"])
    with tab_one:
        st.caption("带 * 的为必填项。活动日期须在项目执行期内;服务人次不少于参与人数。")
        schema_form(Activity, "activity_entry", lambda v: f"已登记活动(编号 {ledger.add(v, who)})", submit_label="登记活动",
                    clear_on_success=False)
    with tab_import:
        from schemas import choices

        ids = choices.get("active_projects")
        pid = st.selectbox("导入到项目", ids, format_func=lambda v: choices.label("active_projects", v), index=None,
                           placeholder="选择项目", key="acts_import:project")
        if pid is not None:
            spec = ledger.import_spec(int(pid))
            import_panel(spec, f"acts_import_all:{pid}", noun="活动", template_name="服务台账导入模板.xlsx",
                         commit=lambda plan: ledger.commit_import(spec, plan, who))
    with tab_all:
        list_view(ledger.LIST_VIEW, "activities", title="服务台账", selectable=False)


# ==== 品牌矩阵 =======================================================================================
def brand_matrix() -> None:
    who = require("brands")
    st.title("品牌矩阵")
    show_flash()
    ov = brands.overview()
    table(ov.drop(columns=["id"]), "品牌矩阵", key="brands:overview", columns={
        "name": "品牌", "tier": "类别", "description": "简介", "points": "服务点", "communities": "覆盖社区",
        "projects": "项目数", "activities": "活动场次", "person_times": "服务人次"})
    tab_points, tab_new, tab_point = st.tabs(["服务点", "新建品牌", "新增服务点"])
    with tab_points:
        labels = {int(r.id): r.name for r in ov.itertuples()}
        b = st.selectbox("品牌", list(labels), format_func=labels.get, index=None, placeholder="选择品牌", key="brands:pick")
        if b is not None:
            table(brands.points(int(b)), f"服务点-{labels[b]}", key="brands:points",
                  columns={"id": "编号", "community": "社区", "name": "服务点", "address": "地址"})
    with tab_new:
        schema_form(Brand, "brand_new", lambda v: f"已创建品牌(编号 {brands.create(v, who)})", submit_label="创建品牌")
    with tab_point:
        schema_form(ServicePoint, "point_new", lambda v: f"已新增服务点(编号 {brands.add_point(v, who)})",
                    submit_label="新增服务点")


# ==== 监管规则 =======================================================================================
def policy() -> None:
    who = require("monitoring_policy")
    st.title("监管规则")
    show_flash()
    st.caption("每个创投批次的分期拨付比例与条件、评估等级线和评分表、科目超支容许幅度、报告逾期宽限。"
               "修改只影响之后签订的协议的拨付计划;评估按修改后的规则评分。")
    from schemas import choices

    rid = st.selectbox("创投批次", choices.get("rounds"), format_func=lambda v: choices.label("rounds", v), index=None,
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

"""项目申报: intake form (drafts and submission), the list with its status board, one application's
page (content, milestones, documents, screening, timeline, moves), and the screening queue."""
import datetime as dt

import pandas as pd
import streamlit as st

from core import applications, documents, ideas, rounds, workflow
from core.errors import HubError, ValidationFailed
from core.ui.editor import frame, rows_from_state
from core.ui.forms import adopt, load, reset, schema_form
from core.ui.listview import list_view
from core.ui.session import act, flash, require, show_flash
from core.ui.tables import table
from core.ui.text import md
from schemas.application import Application, screening_form_schema
from schemas.choices import APP_STATES

STONE_COLS = ["due_date", "deliverable"]
FORM = "app_form"


def _query_id() -> int | None:
    raw = st.query_params.get("id", "")
    return int(raw) if raw.isdigit() else None


# ---- intake -------------------------------------------------------------------------------------
def _milestone_editor(base: list[dict]) -> None:
    st.session_state[f"{FORM}:stones_base"] = base
    st.markdown("**项目里程碑** *(日期须在项目执行期内;提交时至少一项)*")
    shown = frame([{**m, "due_date": str(m["due_date"]) if m.get("due_date") else None} for m in base], STONE_COLS)
    st.data_editor(
        shown, key=f"{FORM}:stones", num_rows="dynamic", hide_index=True, width="stretch",
        column_config={"due_date": st.column_config.TextColumn("日期", help="格式:2027-03-01",
                                                                validate=r"^\d{4}-\d{1,2}-\d{1,2}$"),
                       "deliverable": st.column_config.TextColumn("交付成果", max_chars=200)},
    )


def _stones() -> list[dict]:
    return rows_from_state(st.session_state.get(f"{FORM}:stones_base", []), STONE_COLS, f"{FORM}:stones")


def _token(app: dict) -> tuple:
    return app["id"], str(app.get("updated_at"))


def _keep(new_id: int) -> None:
    """The form now edits ``new_id`` (a draft just saved) and keeps what was typed and any messages."""
    st.session_state[f"{FORM}:id"] = new_id
    adopt(FORM, _token(applications.get(new_id)))


def intake() -> None:
    who = require("apply")
    st.title("项目申报")
    show_flash()
    app_id = _query_id() or st.session_state.get(f"{FORM}:id")
    app = None
    if app_id:
        try:
            app = applications.get(int(app_id))
        except HubError as exc:
            st.error(md(exc))
            return
        st.caption(f"编辑申报 编号 {app['id']} · 当前状态:{workflow.state_label(app['state'])}")
        if st.button("新建另一个申报", key="app_form:new"):
            st.session_state.pop(f"{FORM}:id", None)
            st.query_params.pop("id", None)
            reset(FORM, Application)
            st.rerun()
        if app["state"] not in applications.EDITABLE:
            st.warning("该申报已进入审查或评审流程,内容不能再修改。")
            return
        if app["state"] == "returned":
            st.info(f"退回补充材料,补交期限:{app['return_due']}。修改后点「保存并提交」重新提交。")
        load(FORM, app, Application, token=_token(app))
        base = [{"due_date": m["due_date"], "deliverable": m["deliverable"]} for m in applications.milestones(app["id"])]
    else:
        st.caption("先保存草稿(只需批次、组织和项目名称),补全后提交。带 * 的为提交时必填。")
        current = rounds.current()
        load(FORM, {"round_id": current["id"] if current else None}, Application, token="new")
        base = []

    def save(values: dict) -> str:
        new_id = applications.save_draft(values, _stones(), who, app_id=app["id"] if app else None)
        _keep(new_id)
        return f"草稿已保存(编号 {new_id})"

    def save_and_submit(values: dict) -> None:
        new_id = applications.save_draft(values, _stones(), who, app_id=app["id"] if app else None)
        _keep(new_id)
        try:
            target = applications.submit(new_id, who)
        except ValidationFailed as exc:
            raise ValidationFailed(fields=exc.fields, form=[f"草稿已保存(编号 {new_id}),但提交未通过:"] + exc.form) from None
        # submitted: the form is not drawn again (the application can no longer be edited here)
        flash(f"已提交(编号 {new_id},状态:{workflow.state_label(target)})")

    schema_form(Application, FORM, save, submit_label="保存草稿", clear_on_success=False,
                extra_actions={"保存并提交": save_and_submit}, extra=lambda: _milestone_editor(base))


# ---- list and status board ----------------------------------------------------------------------
def app_list() -> None:
    require("applications")
    st.title("申报项目")
    show_flash()
    current = rounds.current()
    counts = applications.counts_by_state(current["id"] if current else None)
    if current:
        st.caption(f"状态看板:{md(current['name'])}(点击数字按状态筛选)")
    shown = [(s, n) for s, n in counts.items() if n]
    cols = st.columns(max(1, min(6, len(shown))))
    for i, (state, n) in enumerate(shown):
        if cols[i % len(cols)].button(f"{APP_STATES[state]}  {n}", key=f"board:{state}"):
            st.session_state["apps:f:state"] = [APP_STATES[state]]
            if current:
                st.session_state["apps:f:round"] = [current["name"]]
    selected = list_view(applications.LIST_VIEW, "apps", title="申报项目")
    if selected is not None:
        st.divider()
        _detail(int(selected))


# ---- one application ----------------------------------------------------------------------------
def _content(app: dict) -> None:
    org = applications.org_name(app["org_id"])
    rows = [
        ("申报组织", org), ("创投批次", rounds.get(app["round_id"])["name"]), ("项目类别", app["category"]),
        ("服务社区", "、".join(app["communities"] or [])), ("服务对象", app["target_group"]),
        ("计划服务人次", app["planned_beneficiaries"]), ("申请资助金额(元)", app["requested_amount"]),
        ("资助金额(元)", app["granted_amount"]), ("配套资金:自筹/其他(元)", f"{app['cofunding_self'] or 0} / {app['cofunding_other'] or 0}"),
    ]
    st.dataframe(pd.DataFrame(rows, columns=["项目", "内容"]).astype(str), hide_index=True, width="stretch")
    for label, key in (("项目简介", "summary"), ("需求分析", "needs_analysis"), ("计划开展的活动", "planned_activities"),
                       ("配套资金说明", "cofunding_note"), ("决定说明", "decision_note")):
        if app.get(key):
            st.markdown(f"**{label}**")
            st.text(app[key])
    budget = pd.DataFrame([(lbl, app.get(k)) for k, lbl in
                           (("budget_personnel", "人员"), ("budget_materials", "物资"), ("budget_venue", "场地"),
                            ("budget_publicity", "宣传"), ("budget_other", "其他"))], columns=["预算科目", "金额(元)"])
    st.dataframe(budget, hide_index=True)


def _documents(app: dict, who) -> None:
    docs = documents.list_for("applications", app["id"])
    if docs.empty:
        st.caption("暂无附件。")
    for row in docs.itertuples(index=False):
        meta, data = documents.read(int(row.id))
        st.download_button(f"下载 {md(row.filename)}({row.kind},{row.size_bytes // 1024} KB)", data=data,
                           file_name=meta["filename"], mime="application/octet-stream", key=f"doc:{row.id}",
                           on_click="ignore")
    upload = st.file_uploader("上传附件(PDF、图片或 .xlsx)", key=f"doc_up:{app['id']}")
    if upload is not None and st.button("保存附件", key=f"doc_save:{app['id']}"):
        try:
            documents.attach("applications", app["id"], upload.name, upload.getvalue(), who)
        except HubError as exc:
            st.error(md(exc))
        else:
            st.success("附件已保存")


def _elsewhere(t: workflow.Transition) -> str | None:
    """Moves that need their own form are made on their own screen."""
    if t.target in ("submitted", "resubmitted"):
        return "在「项目申报」中提交"
    if t.source in ("screening", "returned") and t.target in ("eligible", "ineligible", "returned"):
        return "在「资格审查」中办理"
    if t.source in ("recommended", "not_recommended", "public_notice") and t.target != "withdrawn":
        return "在「决定与公示」中办理"
    return None


def _moves(app: dict, who) -> None:
    moves = workflow.moves_from(app["state"], who.roles)
    if not moves:
        st.caption("当前状态下您没有可执行的操作。")
        return
    note = st.text_input("说明(撤回时必填)", key=f"move_note:{app['id']}")
    for t in moves:
        where = _elsewhere(t)
        if where:
            st.caption(f"{t.label}:{where}")
            continue
        if st.button(t.label, key=f"move:{app['id']}:{t.target}"):
            try:
                applications.move(app["id"], t.target, who, note=note or None)
            except HubError as exc:
                st.error(md(exc))
            else:
                flash(f"已{t.label}")  # shown after the rerun, which draws the new state
                st.rerun()


def _detail(app_id: int) -> None:
    who = require("application")
    try:
        app = applications.get(app_id)
    except HubError as exc:
        st.error(md(exc))
        return
    st.subheader(md(f"{app['title']}(编号 {app['id']})"))
    st.caption(f"状态:{workflow.state_label(app['state'])}")
    idea = ideas.for_application(app["id"])
    if idea:
        st.caption(md(f"来自金点子 编号 {idea['id']}:{idea['title']}({idea['source']})"))
    tabs = st.tabs(["申报内容", "里程碑", "附件", "资格审查", "流转记录", "操作"])
    with tabs[0]:
        _content(app)
    with tabs[1]:
        st.dataframe(pd.DataFrame(applications.milestones(app["id"]), columns=["id", "due_date", "deliverable"])
                     .rename(columns={"id": "编号", "due_date": "日期", "deliverable": "交付成果"}), hide_index=True)
    with tabs[2]:
        _documents(app, who)
    with tabs[3]:
        rnd = rounds.get(app["round_id"])
        st.caption("审查清单:" + "、".join(rnd["checklist"] or []))
        st.dataframe(applications.screenings(app["id"]), hide_index=True, width="stretch")
    with tabs[4]:
        st.dataframe(workflow.timeline(app["id"]), hide_index=True, width="stretch")
    with tabs[5]:
        _moves(app, who)


def app_page() -> None:
    require("application")
    st.title("申报详情")
    show_flash()
    opts = applications.options()
    current = _query_id()
    ids = [i for i, _ in opts]
    chosen = st.selectbox("申报项目", ids, format_func=dict(opts).get,
                          index=ids.index(current) if current in ids else None, placeholder="选择或搜索申报项目",
                          key="app_page:chosen")
    if chosen is None:
        return
    st.query_params["id"] = str(chosen)
    _detail(int(chosen))


# ---- screening ----------------------------------------------------------------------------------
def screening() -> None:
    who = require("screening")
    st.title("资格审查")
    show_flash()
    q = applications.queue(("submitted", "resubmitted", "screening", "returned"))
    if q.empty:
        st.info("没有待审查的申报。")
        return
    q = q.assign(状态=q["state"].map(workflow.state_label), 逾期=q["overdue"].map(lambda v: "已逾期" if v is True else ""))
    table(q.drop(columns=["state", "overdue"]), "资格审查队列", key="screen:queue", columns={
        "id": "编号", "title": "项目名称", "org": "申报组织", "category": "类别", "requested_amount": "申请金额",
        "submitted_at": "提交时间", "return_due": "补交期限"})
    labels = {int(r.id): f"{r.id} · {r.title}({r.org},{workflow.state_label(r.state)})" for r in q.itertuples()}
    chosen = st.selectbox("选择申报", list(labels), format_func=labels.get, index=None, placeholder="请选择",
                          key="screen:chosen")
    if chosen is None:
        return
    app = applications.get(int(chosen))
    if app["state"] in ("submitted", "resubmitted"):
        if st.button("开始资格审查", type="primary", key=f"screen:start:{chosen}"):
            act(lambda: applications.move(app["id"], "screening", who), "已开始资格审查")
        return
    if app["state"] == "returned":
        st.info(f"已退回补充材料,补交期限 {app['return_due']}。")
        if app["return_due"] and app["return_due"] < dt.date.today() and st.button("逾期未补充,判定不合格", key=f"screen:late:{chosen}"):
            act(lambda: applications.move(app["id"], "ineligible", who, note="逾期未补充材料"), "已判定不合格")
        return
    rnd = rounds.get(app["round_id"])
    checklist = list(rnd["checklist"] or [])
    schema = screening_form_schema(checklist)
    key = f"screen_form:{app['id']}"
    load(key, {f"ok_{i}": True for i in range(len(checklist))}, schema, token=app["id"])

    def save(values: dict) -> None:
        ticks = {k: v for k, v in values.items() if k.startswith(("ok_", "why_"))}
        applications.screen(app["id"], ticks, values.get("outcome"), who, reasons=values.get("reasons"),
                            return_due=values.get("return_due"))
        # the application leaves screening: this form is not drawn again, the message goes on top
        flash(f"已记录审查结论:{workflow.state_label(values.get('outcome'))}")

    if app["returned_count"]:
        st.caption("该申报已退回过一次,不能再次退回。")
    schema_form(schema, key, save, submit_label="提交审查结论", columns=2, clear_on_success=False)


"""项目申报: intake form (drafts and submission), the list with its status board, one application's
page (content, milestones, documents, screening, timeline, moves), and the screening queue.

The record a screen shows is in the URL (``?id=N``) and so is the tab of the application page
(``?tab=…``): F5, a bookmark or a shared link opens the same place."""
import datetime as dt

import pandas as pd
import streamlit as st

from core.intake import applications, ideas, rounds, workflow
from core.platform import documents, formats
from core.platform.errors import ValidationFailed
from core.resources import needs
from core.ui.confirm import confirm_button
from core.ui.editor import child_editor, child_rows
from core.ui.forms import adopt, load, reset, schema_form
from core.ui.links import page_link
from core.ui.listview import list_view
from core.ui.session import act, attempt, flash, require, show_flash
from core.ui.tables import paged_table, table
from core.ui.text import md
from core.ui.documents import download_buttons
from schemas.application import Application, BlindTitle, screening_form_schema, with_blind_title
from schemas.base import field_specs
from schemas.choices import APP_STATES

STONE_COLS = ["due_date", "deliverable"]
FORM = "app_form"
NOT_SUBMITTED = f"{FORM}:not_submitted"
DETAIL_TABS = ["申报内容", "里程碑", "附件", "资格审查", "流转记录", "操作"]


def _query_id() -> int | None:
    raw = st.query_params.get("id", "")
    return int(raw) if raw.isdigit() else None


def _set_query_id(app_id: int | None) -> None:
    if app_id is None:
        st.query_params.pop("id", None)
    elif st.query_params.get("id") != str(app_id):
        st.query_params["id"] = str(app_id)


def _small_table(df: pd.DataFrame) -> None:
    """A short table as page text (readable, printable, selectable); stored text shown literally."""
    st.table(df.map(lambda v: md(v) if isinstance(v, str) else v), hide_index=True)


# ---- intake -------------------------------------------------------------------------------------
def _milestone_editor(base: list[dict]) -> None:
    st.markdown("**项目里程碑** *(日期须在项目执行期内;提交时至少一项)*")
    # empty rows to fill instead of the data editor's "Add row" toolbar (English, and hidden until hovered)
    child_editor([{**m, "due_date": str(m["due_date"]) if m.get("due_date") else None} for m in base], STONE_COLS,
                 f"{FORM}:stones",
                 column_config={"due_date": st.column_config.TextColumn(applications.MILESTONE_COLUMNS["due_date"],
                                                                         help="格式:2027-03-01",
                                                                         validate=r"^\d{4}-\d{1,2}-\d{1,2}$"),
                                "deliverable": st.column_config.TextColumn(
                                    applications.MILESTONE_COLUMNS["deliverable"], max_chars=200)})


def _stones() -> list[dict]:
    return child_rows(STONE_COLS, f"{FORM}:stones")


def _token(app: dict) -> tuple:
    return app["id"], str(app.get("updated_at"))


def _keep(new_id: int) -> None:
    """The form now edits ``new_id`` (a draft just saved) and keeps what was typed and any messages; the
    URL names it, so F5 or a bookmark reopens this draft."""
    _set_query_id(new_id)
    adopt(FORM, _token(applications.get(new_id)))


def _problems(exc: ValidationFailed) -> list[str]:
    """Every reason a submission was refused, each naming its field."""
    specs = field_specs(Application)
    out = [m for m in exc.form if m != "申报内容不完整,请补全后再提交"]
    for name, msgs in exc.fields.items():
        label = specs[name]["label"] if name in specs else ("项目里程碑" if name == "milestones" else "")
        out += [m if not label or label in m else f"{label}:{m}" for m in msgs]
    return out


def _not_submitted_notice() -> None:
    """After 保存并提交 saved the draft but the submission was refused: say both, exactly (drawn above the
    buttons, where the user clicked)."""
    pending = st.session_state.pop(NOT_SUBMITTED, None)
    if not pending:
        return
    app_id, problems = pending
    st.warning(md(f"草稿已保存(编号 {app_id}),但没有提交:申报仍是草稿,不会进入资格审查。")
               + "\n\n请补全以下内容后再点「保存并提交」:\n" + "\n".join(f"- {md(p)}" for p in problems),
               icon=":material/warning:")


def _open_draft() -> None:
    _set_query_id(st.session_state.get(f"{FORM}:open"))


def _draft_picker(app_id: int | None) -> None:
    """Every draft (and every application returned for more material) can be reopened here."""
    options = applications.editable()
    labels = dict(options)
    st.session_state[f"{FORM}:open"] = app_id if app_id in labels else None
    st.selectbox("继续填写草稿或退回补充的申报", list(labels), format_func=labels.get, index=None,
                 key=f"{FORM}:open", on_change=_open_draft,
                 placeholder=f"共 {len(labels)} 个可继续填写的申报,选择一个打开;不选则新建" if labels else "没有未完成的草稿")


def intake() -> None:
    who = require("apply")
    st.title("项目申报")
    show_flash()
    app_id = _query_id()
    _draft_picker(app_id)
    app = None
    if app_id:
        app = attempt(lambda: applications.get(int(app_id)))
        if app is None:
            return
        head = st.columns([4, 1], vertical_alignment="center")
        head[0].caption(md(f"编辑申报 编号 {app['id']} · {app['title']} · 当前状态:{workflow.state_label(app['state'])}"))
        if head[1].button("新建另一个申报", key="app_form:new"):
            _set_query_id(None)
            reset(FORM, Application)
            st.rerun()
        if app["state"] not in applications.EDITABLE:
            st.warning("该申报已进入审查或评审流程,内容不能再修改。")
            page_link("application", f"查看申报详情(编号 {app['id']})", id=app["id"])
            return
        if app["state"] == "returned":
            st.info(f"退回补充材料,补交期限:{formats.date(app['return_due'])}。修改后点「保存并提交」重新提交。")
        load(FORM, app, Application, token=_token(app))
        base = [{"due_date": m["due_date"], "deliverable": m["deliverable"]} for m in applications.milestones(app["id"])]
    else:
        st.caption("新建申报:先保存草稿(只需批次、组织和项目名称),补全后提交。带 * 的为提交时必填。")
        current = rounds.current()
        load(FORM, {"round_id": current["id"] if current else None}, Application, token="new")
        base = []

    def save(values: dict) -> str:
        new_id = applications.save_draft(values, _stones(), who, app_id=app["id"] if app else None)
        _keep(new_id)
        return f"草稿已保存(编号 {new_id}),尚未提交。补全后点「保存并提交」。"

    def save_and_submit(values: dict) -> None:
        new_id = applications.save_draft(values, _stones(), who, app_id=app["id"] if app else None)
        _keep(new_id)
        try:
            target = applications.submit(new_id, who)
        except ValidationFailed as exc:
            # the draft *was* saved: not a "未保存" refusal, but a saved draft that was not submitted
            st.session_state[NOT_SUBMITTED] = (new_id, _problems(exc))
            return None
        # submitted: the form is not drawn again (the application can no longer be edited here)
        flash(f"已提交(编号 {new_id},状态:{workflow.state_label(target)})")
        return None

    def extra() -> None:
        _milestone_editor(base)
        _not_submitted_notice()

    schema_form(Application, FORM, save, submit_label="保存草稿", clear_on_success=False,
                extra_actions={"保存并提交": save_and_submit}, extra=extra)


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
    if counts.get("draft"):
        st.caption("草稿和退回补充的申报:选中一行,点「编辑并提交」在「项目申报」中补全。")
    selected = list_view(applications.LIST_VIEW, "apps", title="申报项目")
    if selected is not None:
        st.divider()
        _detail(int(selected))


# ---- one application ----------------------------------------------------------------------------
def _content(app: dict) -> None:
    _small_table(pd.DataFrame(applications.content_rows(app), columns=["项目", "内容"]))
    for key, label in applications.TEXT_COLUMNS.items():
        if not formats.is_empty(app.get(key)):
            st.markdown(f"**{label}**")
            st.text(app[key])
    st.markdown("**预算**")
    _small_table(pd.DataFrame(applications.budget_rows(app), columns=list(applications.BUDGET_COLUMNS.values())))


def _documents(app: dict, who, shown: bool) -> None:
    """The attachments (their downloads drawn while the tab is open) and the upload (always: a file chosen and
    not yet saved stays chosen while another tab is open)."""
    with st.container():  # one element either way: the upload below keeps its place
        if shown:
            docs = documents.list_for("applications", app["id"])
            if docs.empty:
                st.caption("暂无附件。")
            for row in docs.itertuples(index=False):
                meta, data = documents.read(int(row.id))
                st.download_button(f"下载 {md(row.filename)}({row.kind},{row.size_bytes // 1024} KB)", data=data,
                                   file_name=meta["filename"], mime="application/octet-stream", key=f"doc:{row.id}",
                                   on_click="ignore")
    upload = st.file_uploader("上传附件(PDF、图片或 .xlsx)", key=f"doc_up:{app['id']}")
    if st.button("保存附件", key=f"doc_save:{app['id']}", disabled=upload is None,
                 help="先选择要上传的文件" if upload is None else None):
        if attempt(lambda: documents.attach("applications", app["id"], upload.name, upload.getvalue(), who)):
            st.success("附件已保存")
    if upload is None:
        st.caption("先选择文件,再点「保存附件」。")


def _elsewhere(t: workflow.Transition) -> str | None:
    """Moves that need their own form are made on their own screen."""
    if t.target in ("submitted", "resubmitted"):
        return "在「项目申报」中提交"
    if t.source in ("screening", "returned") and t.target in ("eligible", "ineligible", "returned"):
        return "在「资格审查」中办理"
    if t.target == "re_review":  # with the 复评 arrangement, while the scores are not signed off
        return "在「评审汇总」中办理"
    if t.source in ("recommended", "not_recommended", "public_notice") and t.target != "withdrawn":
        return "在「决定与公示」中办理"
    return None


def _moves(app: dict, who) -> None:
    moves = workflow.moves_from(app["state"], who.roles)
    if not moves:
        st.caption("当前状态下您没有可执行的操作。")
        return
    note = st.text_input("说明(撤回时必填)", key=f"move_note:{app['id']}", placeholder="写明原因或备注")
    for t in moves:
        where = _elsewhere(t)
        if where:
            st.caption(f"{t.label}:{where}")
            continue
        if t.target == "withdrawn":  # final: the application can never come back
            confirm_button(
                f"move:{app['id']}:{t.target}", t.label,
                f"撤回申报「{app['title']}」(编号 {app['id']}),原因:{note}。撤回后该申报不能恢复,也不能再提交",
                lambda: applications.move(app["id"], "withdrawn", who, note=note or None), "已撤回",
                disabled_reason=None if note.strip() else "撤回须先在上面的「说明」中写明原因(写完按回车)",
                primary=False)
            continue
        if st.button(t.label, key=f"move:{app['id']}:{t.target}"):
            act(lambda t=t: applications.move(app["id"], t.target, who, note=note or None), f"已{t.label}")


def _detail(app_id: int) -> None:
    who = require("application")
    app = attempt(lambda: applications.get(app_id))
    if app is None:
        return
    st.subheader(md(f"{app['title']}(编号 {app['id']})"))
    st.caption(f"状态:{workflow.state_label(app['state'])}")
    download_buttons("application", app["id"], who, key=f"app:{app['id']}:doc")  # 申报书 (core.documents)
    if app["state"] in applications.EDITABLE:
        what = "草稿" if app["state"] == "draft" else "退回补充的申报"
        page_link("apply", f"编辑并提交此{what}(编号 {app['id']})", id=app["id"])
    idea = ideas.for_application(app["id"])
    if idea:
        st.caption(md(f"来自金点子 编号 {idea['id']}:{idea['title']}({idea['source']})"))
    if answered := needs.answered_text("application", app["id"]):  # 需求动态跟踪 (core.resources.needs)
        st.caption(md(answered))
    # The tabs that only show (申报内容, 里程碑, 流转记录; the screening records) are drawn while open; what a
    # person types or picks (an attachment to upload, the 评审用名称, a move's note) is drawn in every run, so
    # opening another tab loses nothing. ?tab= keeps the choice; a reload reopens it.
    tabs = st.tabs(DETAIL_TABS, key="tab", bind="query-params")
    if tabs[0].open:
        with tabs[0]:
            _content(app)
    if tabs[1].open:
        with tabs[1]:
            stones = applications.milestone_rows(app["id"])
            if stones.empty:
                st.caption("还没有填写里程碑。")
            else:
                _small_table(stones)
    with tabs[2]:
        _documents(app, who, tabs[2].open)
    with tabs[3]:
        rnd = rounds.get(app["round_id"])
        with st.container():  # one element either way: the form below keeps its place
            if tabs[3].open:
                st.caption("审查清单:" + "、".join(rnd["checklist"] or []))
                done = applications.screenings(app["id"])
                if done.empty:
                    st.caption("还没有资格审查记录。")
                else:
                    _small_table(done)
        if rnd["blind_review"]:
            _reviewer_title_form(app, who)
    if tabs[4].open:
        with tabs[4]:
            _small_table(workflow.timeline(app["id"]))
    with tabs[5]:
        _moves(app, who)


def _reviewer_title_form(app: dict, who) -> None:
    """盲评: the 评审用名称 reviewers read instead of the title; staff may change it here."""
    key = f"blind_title:{app['id']}"
    load(key, {"blind_title": applications.reviewer_title(app["id"])}, BlindTitle, token=_token(app))

    def save(values: dict) -> str:
        return "评审用名称已保存:" + applications.set_reviewer_title(app["id"], values.get("blind_title"), who)

    schema_form(BlindTitle, key, save, submit_label="保存评审用名称", clear_on_success=False, columns=1)


def app_page() -> None:
    require("application")
    st.title("申报详情")
    show_flash()
    opts = applications.options()
    current = _query_id()
    ids = [i for i, _ in opts]
    labels = dict(opts)
    chosen = st.selectbox("申报项目", ids, format_func=labels.get,
                          index=ids.index(current) if current in ids else None, placeholder="选择或搜索申报项目",
                          key="app_page:chosen")
    if chosen is None:
        if current is not None and current not in ids:
            st.error(f"没有编号为 {current} 的申报项目。")
        return
    _set_query_id(chosen)
    _detail(int(chosen))


# ---- screening ----------------------------------------------------------------------------------
def screening() -> None:
    who = require("screening")
    st.title("资格审查")
    show_flash()
    waiting = applications.queue_rows(("submitted", "resubmitted", "screening", "returned"))
    if not waiting.count():
        st.info("没有待审查的申报。")
        return
    cols = applications.COLUMNS.pick("id", "title", "state", "overdue", "org", "category", "requested_amount",
                                     "submitted_at", "return_due")
    paged_table(waiting, "资格审查队列", key="screen:queue", columns=cols, shown=lambda q: q.assign(
        state=q["state"].map(workflow.state_label), overdue=q["overdue"].map(lambda v: "已逾期" if v is True else ""))[
        list(cols)])
    # A label must not change while the application stays in the queue (its state does: 已提交 -> 资格审查中):
    # the browser sends the label it showed, and a label no longer offered resets the choice to 请选择.
    labels = {int(r.id): f"{r.title}({r.org})·编号 {r.id}" for r in waiting.all().itertuples()}  # the picker offers all
    wanted = _query_id()
    if "screen:chosen" not in st.session_state or st.session_state.get("screen:url") != wanted:
        st.session_state["screen:chosen"] = wanted if wanted in labels else None  # F5, a link: the URL decides
    chosen = st.selectbox("选择申报", list(labels), format_func=labels.get, index=None, placeholder="请选择要审查的申报",
                          key="screen:chosen")
    _set_query_id(chosen)
    st.session_state["screen:url"] = chosen
    if chosen is None:
        if wanted is not None and wanted not in labels:
            st.info(f"编号 {wanted} 的申报不在待审查队列中(可能已审查完毕)。")
        return
    app = applications.get(int(chosen))
    st.caption(f"当前状态:{workflow.state_label(app['state'])}")
    if app["state"] in ("submitted", "resubmitted"):
        if st.button("开始资格审查", type="primary", key=f"screen:start:{chosen}"):
            act(lambda: applications.move(app["id"], "screening", who), "已开始资格审查")
        return
    if app["state"] == "returned":
        st.info(f"已退回补充材料,补交期限 {formats.date(app['return_due'])}。")
        if app["return_due"] and app["return_due"] < dt.date.today():
            confirm_button(f"screen:late:{chosen}", "逾期未补充,判定不合格",
                           f"「{app['title']}」判定为审查不合格(逾期未补充材料)。判定后该申报不能再补充材料或重新提交",
                           lambda: applications.move(app["id"], "ineligible", who, note="逾期未补充材料"), "已判定不合格")
        else:
            st.caption("补交期限未到:等待申报组织补充材料后重新提交。")
        return
    rnd = rounds.get(app["round_id"])
    checklist = list(rnd["checklist"] or [])
    schema = screening_form_schema(checklist)
    start = {f"ok_{i}": True for i in range(len(checklist))}
    if rnd["blind_review"]:  # 盲评: the name reviewers will read, proposed and editable here
        schema = with_blind_title(schema)
        start["blind_title"] = applications.reviewer_title(app["id"])
    key = f"screen_form:{app['id']}"
    load(key, start, schema, token=app["id"])

    def save(values: dict) -> None:
        ticks = {k: v for k, v in values.items() if k.startswith(("ok_", "why_"))}
        applications.screen(app["id"], ticks, values.get("outcome"), who, reasons=values.get("reasons"),
                            return_due=values.get("return_due"), blind_title=values.get("blind_title"))
        # the application leaves screening: this form is not drawn again, the message goes on top
        flash(f"已记录审查结论:{workflow.state_label(values.get('outcome'))}")

    if app["returned_count"]:
        st.caption("该申报已退回过一次,不能再次退回。")
    schema_form(schema, key, save, submit_label="提交审查结论", columns=2, clear_on_success=False)

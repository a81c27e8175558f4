"""决定与公示: admins decide grants within the budget, publish the notice, log objections, finalise."""
import datetime as dt

import streamlit as st

from core.intake import applications, rounds, workflow
from core.platform import entities, formats
from core.review import decisions
from core.platform.excel import XLSX_MIME, workbook_bytes
from core.ui.confirm import confirm_button
from core.ui.forms import load, schema_form
from core.ui.session import flash, require, show_flash
from core.ui.tables import table
from core.ui.text import md
from core.ui.documents import download_buttons
from schemas.application import Decision, Objection
from schemas.columns import JOINED

TABS = ["资助决定", "公示名单", "异议登记"]


def _budget(r: dict) -> None:
    granted = decisions.granted_total(r["id"])
    cols = st.columns(4)
    figures = {"total_budget": formats.money(r["total_budget"]), "granted": formats.money(granted, empty="0"),
               "left": formats.money(float(r["total_budget"]) - granted, empty="0"),
               "project_ceiling": formats.money(r["project_ceiling"])}
    for col, (name, title) in zip(cols, decisions.BUDGET_FIGURES.items()):
        col.metric(title, figures[name])


def _decide(r: dict, who) -> None:
    q = applications.queue(("recommended", "not_recommended", "public_notice"), round_id=r["id"])
    if q.empty:
        st.info("本批次还没有推荐结果。评审完成后,工作人员可在申报详情中「列入推荐」或「不予推荐」。")
        return
    q = q.assign(requested_amount=q["requested_amount"].map(formats.money).astype(object))
    shown = q.assign(state=q["state"].map(workflow.state_label))[list(decisions.DECIDE_COLUMNS)]
    table(shown, "推荐与决定", key="decide:list", columns=decisions.DECIDE_COLUMNS)
    pending = q[q["state"].isin(["recommended", "not_recommended"])]
    if pending.empty:
        st.caption("推荐名单上的项目都已作出决定。")
        return
    # labels never change while an application waits here (a decision takes it off the list): a label that
    # changed under the browser would reset the selection
    labels = {int(x.id): f"{x.title}({x.org},{workflow.state_label(x.state)},申请 {x.requested_amount} 元)·编号 {x.id}"
              for x in pending.itertuples()}
    chosen = st.selectbox("对以下项目作出决定", list(labels), format_func=labels.get, index=None,
                          placeholder="请选择项目", key="decide:chosen")
    if chosen is None:
        st.caption("选择一个项目后填写决定。")
        return
    app = applications.get(int(chosen))
    key = f"decision:{chosen}"
    load(key, {"decision": "资助" if app["state"] == "recommended" else "不予资助",
               "granted_amount": float(app["requested_amount"] or 0) if app["state"] == "recommended" else None},
         Decision, token=chosen)

    def save(values: dict) -> None:
        warnings = decisions.decide(int(chosen), values, who)
        # the application leaves the pending list, so this form is not drawn again: say it on top
        st.session_state["decide:warnings"] = warnings
        flash(f"已记录决定:{md(app['title'])}({values.get('decision')})")

    schema_form(Decision, key, save, submit_label="确认决定", columns=2, clear_on_success=False)


def _notice(r: dict, who) -> None:
    listed = decisions.notice_list(r["id"])
    if r["notice_published_at"]:
        st.success(f"公示已于 {r['notice_published_at']:%Y-%m-%d %H:%M} 发布,"
                   f"公示期 {formats.date(r['notice_start'])} 至 {formats.date(r['notice_end'])}。")
    else:
        st.caption(f"公示期 {formats.date(r['notice_start'])} 至 {formats.date(r['notice_end'])}(尚未发布)。")
    if listed.empty:
        st.info("本批次还没有决定资助的项目,公示名单为空。")
    else:
        st.dataframe(decisions.notice_rows(listed), hide_index=True, width="stretch", key="notice:table")
        cols = st.columns([1, 1, 3])
        cols[0].download_button(
            "导出公示名单(Excel)", key="notice:xlsx", on_click="ignore", mime=XLSX_MIME,
            data=workbook_bytes({"公示名单": listed.rename(columns=decisions.NOTICE_COLUMNS)}),
            file_name=f"{r['name']}-公示名单.xlsx")
        cols[1].download_button("下载打印版(文本)", data=decisions.notice_text(r["id"]), file_name=f"{r['name']}-公示.txt",
                                mime="text/plain", key="notice:txt", on_click="ignore")
        download_buttons("notice", r["id"], who, key="notice:doc")  # 公示 as Word / PDF (core.documents)
    if not entities.may(who, rounds.ROUND, "update"):  # publishing the notice changes the round
        st.caption("发布公示和确认立项由管理员办理。")
        return
    if not r["notice_published_at"]:
        confirm_button(
            "notice:publish", "发布公示",
            f"发布「{r['name']}」的拟资助项目公示(共 {len(listed)} 个项目)。发布后公示名单即对外公开,"
            "本批次不能再作出资助决定,也不能撤回公示",
            lambda: decisions.publish_notice(r["id"], who), "公示已发布",
            disabled_reason=decisions.publish_blocker(r["id"]))
    else:
        confirm_button(
            "notice:finalise", "公示期满,确认立项",
            f"公示名单上的项目全部转为「已立项」,进入项目监管。立项后不能退回公示状态",
            lambda: decisions.finalise(r["id"], who), "公示期满,已确认立项",
            disabled_reason=decisions.finalise_offer(r["id"]))


def _objections(r: dict, who) -> None:
    log = decisions.objections(r["id"])
    if log.empty:
        st.caption("本批次还没有登记异议。")
    else:
        table(decisions.objection_rows(log), "异议登记", key="objections:list")
    tab_new, tab_edit = st.tabs(["登记异议", "处理异议"], key="objection_tab", bind="query-params")
    with tab_new:
        schema_form(Objection, "objection_new", lambda v: f"已登记异议(编号 {decisions.add_objection(r['id'], v, who)})",
                    submit_label="登记", defaults={"closed": False, "received_date": dt.date.today()})
    with tab_edit:
        labels = {int(row["id"]): decisions.objection_label(row) for row in log.to_dict("records")}
        if not labels:
            st.caption("还没有可处理的异议:先在「登记异议」中登记。")
            return
        chosen = st.selectbox("选择异议", list(labels), format_func=labels.get, index=None,
                              placeholder="请选择要处理的异议", key="objection:chosen")
        if chosen is None:
            return
        row = log[log["id"] == chosen].iloc[0].to_dict()
        load("objection_edit", row, Objection, token=(chosen, str(row)))
        schema_form(Objection, "objection_edit",
                    lambda v: "已保存" if decisions.update_objection(int(chosen), v, who) else "没有需要保存的修改",
                    submit_label="保存", clear_on_success=False, changes_only=True)


def render() -> None:
    who = require("decisions")
    st.title("决定与公示")
    show_flash()  # what was just done (a decided application has left the list; a notice was published)
    for w in st.session_state.pop("decide:warnings", []):
        st.warning(md(w))
    all_rounds = rounds.all_rounds()
    if all_rounds.empty:
        st.info("还没有创投批次。")
        return
    names = dict(zip(all_rounds["id"], all_rounds["name"]))
    # the round and the tab live in the URL: F5 and a shared link keep the place
    chosen = st.selectbox(JOINED["round"], all_rounds["id"].tolist(), format_func=names.get, index=0, key="round",
                          bind="query-params", placeholder="请选择创投批次")
    r = rounds.get(int(chosen))
    _budget(r)
    tab_decide, tab_notice, tab_obj = st.tabs(TABS, key="tab", bind="query-params")
    with tab_decide:
        if who.has("admin"):
            _decide(r, who)
        else:
            st.info("资助决定由管理员作出;工作人员可查看公示名单、登记和处理异议。")
    with tab_notice:
        _notice(r, who)
    with tab_obj:
        _objections(r, who)

"""决定与公示: admins decide grants within the budget, publish the notice, log objections, finalise."""
import datetime as dt

import streamlit as st

from core import applications, decisions, rounds, workflow
from core.excel import XLSX_MIME, workbook_bytes
from core.ui.forms import load, schema_form
from core.ui.tables import table
from core.ui.session import act, flash, require, show_flash
from core.ui.text import md
from schemas.application import Decision, Objection


def _budget(r: dict) -> None:
    granted = decisions.granted_total(r["id"])
    cols = st.columns(4)
    cols[0].metric("资金总额(元)", f"{float(r['total_budget']):,.0f}")
    cols[1].metric("已决定资助(元)", f"{granted:,.0f}")
    cols[2].metric("剩余可分配(元)", f"{float(r['total_budget']) - granted:,.0f}")
    cols[3].metric("单个项目上限(元)", f"{float(r['project_ceiling']):,.0f}")


def _decide(r: dict, who) -> None:
    q = applications.queue(("recommended", "not_recommended", "public_notice"), round_id=r["id"])
    if q.empty:
        st.info("本批次还没有推荐结果。评审完成后,工作人员可在申报详情中「列入推荐」或「不予推荐」。")
        return
    q = q.assign(状态=q["state"].map(workflow.state_label))
    table(q.drop(columns=["state", "return_due", "overdue"]), "推荐与决定", key="decide:list", columns={
        "id": "编号", "title": "项目名称", "org": "申报组织", "category": "类别", "requested_amount": "申请金额",
        "submitted_at": "提交时间"})
    pending = q[q["state"].isin(["recommended", "not_recommended"])]
    if pending.empty:
        st.caption("推荐名单上的项目都已作出决定。")
        return
    labels = {int(x.id): f"{x.id} · {x.title}({workflow.state_label(x.state)},申请 {float(x.requested_amount or 0):,.0f} 元)"
              for x in pending.itertuples()}
    chosen = st.selectbox("对以下项目作出决定", list(labels), format_func=labels.get, index=None, placeholder="请选择",
                          key="decide:chosen")
    if chosen is None:
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
    table = decisions.notice_list(r["id"])
    if r["notice_published_at"]:
        st.success(f"公示已于 {r['notice_published_at']:%Y-%m-%d %H:%M} 发布,公示期 {r['notice_start']} 至 {r['notice_end']}。")
    else:
        st.caption(f"公示期 {r['notice_start']} 至 {r['notice_end']}。")
    st.dataframe(table, hide_index=True, width="stretch")
    st.download_button("导出公示名单(Excel)", data=workbook_bytes({"公示名单": table}),
                       file_name=f"{r['name']}-公示名单.xlsx", mime=XLSX_MIME, key="notice:xlsx", on_click="ignore")
    st.download_button("下载打印版(文本)", data=_printable(r, table), file_name=f"{r['name']}-公示.txt",
                       mime="text/plain", key="notice:txt", on_click="ignore")
    if not who.has("admin"):
        return
    if not r["notice_published_at"] and st.button("发布公示", type="primary", key="notice:publish"):
        act(lambda: decisions.publish_notice(r["id"], who), "公示已发布")
    if r["notice_published_at"] and st.button("公示期满,确认立项", key="notice:finalise"):
        act(lambda: decisions.finalise(r["id"], who), "公示期满,已确认立项")


def _printable(r: dict, table) -> str:
    lines = [f"{r['name']} 拟资助项目公示", f"公示期:{r['notice_start']} 至 {r['notice_end']}", ""]
    for row in table.itertuples(index=False):
        lines.append("  ".join(str(v) for v in row))
    lines += ["", f"合计拟资助 {float(table['拟资助金额'].sum() if len(table) else 0):,.2f} 元",
              "如有异议,请于公示期内向下沙街道社会组织发展服务中心反映。"]
    return "\n".join(lines)


def _objections(r: dict, who) -> None:
    log = decisions.objections(r["id"])
    table(log, "异议登记", key="objections:list", columns={
        "id": "编号", "application_id": "涉及项目", "received_date": "收到日期", "content": "异议内容",
        "handling": "处理情况", "result": "处理结果", "closed": "已办结"})
    tab_new, tab_edit = st.tabs(["登记异议", "处理异议"])
    with tab_new:
        schema_form(Objection, "objection_new", lambda v: f"已登记异议(编号 {decisions.add_objection(r['id'], v, who)})",
                    submit_label="登记", defaults={"closed": False, "received_date": dt.date.today()})
    with tab_edit:
        ids = log["id"].tolist()
        chosen = st.selectbox("选择异议", ids, index=None, placeholder="请选择", key="objection:chosen")
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
    table = rounds.all_rounds()
    if table.empty:
        st.info("还没有创投批次。")
        return
    names = dict(zip(table["id"], table["name"]))
    chosen = st.selectbox("创投批次", table["id"].tolist(), format_func=names.get, index=0, key="decisions:round")
    r = rounds.get(int(chosen))
    _budget(r)
    tab_decide, tab_notice, tab_obj = st.tabs(["资助决定", "公示名单", "异议登记"])
    with tab_decide:
        if who.has("admin"):
            _decide(r, who)
        else:
            st.info("资助决定由管理员作出;工作人员可查看公示名单、登记和处理异议。")
    with tab_notice:
        _notice(r, who)
    with tab_obj:
        _objections(r, who)

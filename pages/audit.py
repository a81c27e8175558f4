"""审计日志 (admin): filter the audit log, verify its hash chain."""
import datetime as dt

import streamlit as st

from core import audit
from core.db import get_db
from core.ui.auditlog import action_label, audit_frame
from core.ui.session import require


def render() -> None:
    require("audit")
    st.title("审计日志")
    db = get_db()
    cols = st.columns(4)
    actor = cols[0].selectbox("操作人", audit.distinct(db, "actor"), index=None, placeholder="全部", key="audit:actor")
    table = cols[1].selectbox("数据表", audit.distinct(db, "table_name"), index=None, placeholder="全部", key="audit:table")
    action = cols[2].selectbox("动作", audit.distinct(db, "action"), index=None, placeholder="全部", key="audit:action",
                               format_func=action_label)
    key = cols[3].text_input("记录编号", key="audit:key")
    cols = st.columns(3)
    since = cols[0].date_input("起始日期", value=None, key="audit:since", format="YYYY-MM-DD")
    until = cols[1].date_input("截止日期", value=None, key="audit:until", format="YYYY-MM-DD")
    text = cols[2].text_input("内容包含", key="audit:text")
    size = 100
    signature = (actor, table, action, key, since, until, text)
    if st.session_state.get("audit:sig") != signature:  # new filters: back to the first page
        st.session_state["audit:sig"] = signature
        st.session_state["audit:page"] = 1
    page = st.number_input("页码", min_value=1, step=1, key="audit:page")
    df, total = audit.query(
        db, actor=actor, table=table, action=action, key=key.strip() or None,
        since=dt.datetime.combine(since, dt.time()) if since else None,
        until=dt.datetime.combine(until, dt.time()) + dt.timedelta(days=1) if until else None,
        text=text.strip() or None, limit=size, offset=(int(page) - 1) * size,
    )
    st.caption(f"共 {total} 条,每页 {size} 条")
    st.dataframe(audit_frame(df), hide_index=True, width="stretch")
    st.divider()
    if st.button("校验审计日志完整性", key="audit:verify", icon=":material/verified:"):
        report = audit.verify(db)
        if report.ok:
            st.success(f"完整:共 {report.rows} 条记录,哈希链无断裂。")
        else:
            st.error(f"发现问题:第 {report.first_bad_id} 条,{report.reason}")
